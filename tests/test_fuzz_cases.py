"""Every reproducer the fuzz campaign (bench/fuzz.py) minimised, replayed as a regression test.

A case folder under tests/fuzz_cases/ holds case.json (the commits: author, date, message,
and the files each wrote or deleted) and the files' bytes. It is replayed into a real git
repository (on top of the example's scripted history when the case needs it) and checked
with every report format: no internal error, every report whole, the repository unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.reporters import FORMATS

from .gitrepo import GitRepo, base_env

CASES = Path(__file__).resolve().parent / "fuzz_cases"


def cases() -> list[Path]:
    return sorted(p for p in CASES.glob("*") if (p / "case.json").is_file()) if CASES.is_dir() else []


def build(case: Path, target: Path) -> GitRepo:
    """The case's repository at `target`, commit by commit."""
    meta: dict[str, Any] = json.loads((case / "case.json").read_text(encoding="utf-8"))
    if meta.get("base") == "example":
        from escm_check.demo import HISTORY, examples_dir, replay

        replay(examples_dir() / HISTORY, examples_dir() / "evidence_repo", target)
        repo = GitRepo(target, init=False)
    elif meta.get("base") is None:
        repo = GitRepo(target)
    else:
        pytest.skip(f"the case needs the generated base repository {meta['base']!r} (run bench/fuzz.py)")
    for c in meta["commits"]:
        for f in c["files"]:
            path = target / f["path"]
            if f.get("delete"):
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes((case / f["data"]).read_bytes())
        if not c["commit"]:
            continue
        name, _, email = c["author"].partition(" <")
        env = base_env() | {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": c["date"],
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email.rstrip(">"),
            "GIT_COMMITTER_DATE": c["date"],
        }
        repo.git("add", "-A", env=env)
        subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", "-"],
            cwd=target,
            env=env,
            input=base64.b64decode(c["message_b64"]),
            check=True,
            capture_output=True,
        )
    return repo


def tree_digest(root: Path) -> str:
    h = hashlib.sha1()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith(".git/") and path.is_file() and not path.is_symlink():
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + path.read_bytes())
    h.update(subprocess.run(["git", "ls-files", "-s", "-z"], cwd=root, capture_output=True, env=base_env()).stdout)
    return h.hexdigest()


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_fuzz_case(case: Path, tmp_path: Path) -> None:
    repo = build(case, tmp_path / "repo")
    before = tree_digest(repo.path)
    args = ["check", str(repo.path), "--no-cache"]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"report.{fmt}")]
    r = CliRunner().invoke(main, args, env={"NO_COLOR": "1", **{k: v for k, v in os.environ.items() if k == "HOME"}})
    assert r.exit_code in (0, 1, 2), r.output
    if r.exit_code != 2:  # a configuration error writes no report, by design
        report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        assert not [f for f in report["findings"] if f["rule"] == "internal-error"]
        for fmt in FORMATS:
            assert (tmp_path / f"report.{fmt}").read_bytes().decode("utf-8")
    assert tree_digest(repo.path) == before
