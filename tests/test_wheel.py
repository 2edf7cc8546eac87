"""Build the wheel, install it into a fresh venv, run the console script outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("escm_check-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # our dependencies, without a network: this environment's packages, after the venv's own
    # (a path in a .pth file is only appended, and the .pth files in it, such as the editable
    # install's, are not run)
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheels[0])], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(env_dir / "bin" / "escm-check"), "explain", "knw07"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("knw07  Version & change control")
    # the installed copy is used, not the source tree
    where = subprocess.run(
        [str(py), "-c", "import escm_check, sys; print(escm_check.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert str(env_dir) in where
    listing = subprocess.run([str(py), "-m", "zipfile", "-l", str(wheels[0])], capture_output=True, text=True).stdout
    for needed in (
        "escm_check/rules/escm-sp-v2/knw.yaml",
        "escm_check/schemas/rulepack.schema.json",
        "escm_check/adapters/markdown.py",
    ):
        assert needed in listing
