"""Run mypy (strict) on the package as it is installed: `escm_check` with its mapped subpackages.

The source folders (checker/, adapters/, ...) are mapped onto `escm_check.*` by setuptools,
which mypy cannot follow through an editable install; a link tree gives it the real layout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"
MAPPING = {"escm_check": "checker", "escm_check/adapters": "adapters"}


def main() -> int:
    shutil.rmtree(TREE, ignore_errors=True)
    for target, source in MAPPING.items():
        for f in (ROOT / source).rglob("*.py"):
            link = TREE / target / f.relative_to(ROOT / source)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(f, link)
    cmd = [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", str(TREE / "escm_check")]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
