"""Our hooks under the real pre-commit tool, through `pre-commit try-repo` on this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .evalkit import FILLER
from .gitrepo import GitRepo, base_env, doc

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit") or str(Path(os.sys.executable).with_name("pre-commit"))
BOB = "Bob Approver <bob@example.org>"


@pytest.fixture(scope="module")
def pc_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # one hook environment for the module: building it installs escm-check from this checkout
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: GitRepo, home: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**base_env(), "PRE_COMMIT_HOME": str(home), "PATH": os.environ["PATH"], "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    args = [PRE_COMMIT, "try-repo", str(ROOT), hook, "--verbose"]
    args += ["--files", *files] if files else ["--all-files"]
    return subprocess.run(args, cwd=repo.path, env=env, capture_output=True, text=True, timeout=900)


def procedure(version: str = "1.0", status: str = "approved", tag: str = "knw07.b1") -> str:
    body = (
        f"# Version control\n\n## Purpose\n{FILLER}\n\n## Roles\n{FILLER}\n\n## Inputs\n{FILLER}\n\n"
        f"## Steps\n<!-- escm: {tag} -->\n{FILLER}\n\n## Outputs\n{FILLER}\n"
    )
    return doc(
        body,
        id="PRC-1",
        title="Version control",
        type="procedure",
        practices=["knw07"],
        status=status,
        version=version,
        owner="QM",
        approved_by=BOB,
        approved_on="2026-03-01",
    )


@pytest.mark.slow
def test_staged_hook_passes_and_fails(tmp_path: Path, pc_home: Path) -> None:
    repo = GitRepo(tmp_path / "proc")
    repo.write("procedures/vc.md", procedure())
    repo.commit("add", trailers={"Approved-by": BOB})
    # a content change without a version bump, and a tag naming a missing activity
    repo.write("procedures/vc.md", procedure(tag="knw07.b1, knw07.b9").replace("Steps", "Steps to follow"))
    repo.git("add", "-A")
    bad = try_repo(repo, pc_home, "escm-check-staged", "procedures/vc.md")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "version-not-bumped" in bad.stdout and "unknown-activity" in bad.stdout
    assert "procedures/vc.md:" in bad.stdout

    repo.write("procedures/vc.md", procedure(version="1.1").replace("Steps", "Steps to follow"))
    repo.git("add", "-A")
    good = try_repo(repo, pc_home, "escm-check-staged", "procedures/vc.md")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


@pytest.mark.slow
def test_full_hook_applies_the_gate(tmp_path: Path, pc_home: Path) -> None:
    repo = GitRepo(tmp_path / "proc")
    repo.write(".escm-check.yaml", "target_level: 2\nas_of: 2026-10-01\n")
    repo.write("procedures/vc.md", procedure())
    repo.commit("add", trailers={"Approved-by": BOB}, date="2026-03-01T10:00:00+00:00")
    failing = try_repo(repo, pc_home, "escm-check")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "gate FAILED" in failing.stdout
    repo.write(
        ".escm-check.yaml",
        "target_level: 2\nas_of: 2026-10-01\nscope: {practices: [knw07]}\n"
        "waivers: [{practice: knw07, reason: pilot, approved_by: COO, "
        "expires: 2027-01-01}]\n",
    )
    repo.commit("narrow scope", trailers={"Approved-by": BOB}, date="2026-03-02T10:00:00+00:00")
    passing = try_repo(repo, pc_home, "escm-check")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "gate PASSED" in passing.stdout
