"""No command changes the repository it reads.

Before and after every command the checked repository is snapshotted: every file and folder
under it (.git included) with its type, size, modification time and content hash, the index's
bytes, every ref and HEAD, and `git status --porcelain`. The snapshot itself is taken with
GIT_OPTIONAL_LOCKS=0, so `git status` does not refresh the index behind the test's back.

The repository is the bundled example replayed (escm_check.demo.replay) plus a Word file, a
PDF with its sidecar, a rule pack, a symlink, an uncommitted change, a staged change and an
untracked file. `init` is the only command that writes, and only into the folder it is given:
into an empty folder elsewhere it leaves the repository alone, and into the repository (which
already has a config) it refuses without writing anything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from escm_check.demo import examples_dir, replay

from . import docfactory as df
from .clirun import Run, escm_check
from .gitrepo import base_env

RULES = Path(__file__).resolve().parent.parent / "rules"


def snapshot(repo: Path) -> dict[str, Any]:
    """Everything a command could change in `repo`, as comparable values."""
    env = {**base_env(), "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> bytes:
        return subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, check=True).stdout

    status = git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored")
    refs = git("for-each-ref", "--format=%(refname) %(objectname) %(symref)")
    entries: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(repo, followlinks=False):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            st = os.lstat(full)
            digest = ""
            if os.path.isfile(full) and not os.path.islink(full):
                digest = hashlib.sha256(full.read_bytes()).hexdigest()
            elif os.path.islink(full):
                digest = os.readlink(full)
            entries[str(full.relative_to(repo))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return {
        "status": status,
        "refs": refs,
        "head": (repo / ".git" / "HEAD").read_bytes(),
        "index": (repo / ".git" / "index").read_bytes(),
        "files": entries,
        "top": os.lstat(repo).st_mtime_ns,
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = [k for k in ("status", "refs", "head", "index", "top") if before[k] != after[k]]
    b, a = before["files"], after["files"]
    out += [f"added {p}" for p in sorted(set(a) - set(b))]
    out += [f"removed {p}" for p in sorted(set(b) - set(a))]
    out += [f"changed {p}: {b[p]} -> {a[p]}" for p in sorted(set(a) & set(b)) if a[p] != b[p]]
    return out


@dataclass(frozen=True)
class Env:
    repo: Path
    elsewhere: Path  # a folder outside the repository for outputs
    cache: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    base = tmp_path_factory.mktemp("never-writes")
    repo = base / "repo"
    ex = examples_dir()
    replay(ex / "evidence_history.yaml", ex / "evidence_repo", repo)
    shutil.copytree(RULES / "comm", repo / "rules" / "org")
    df.build_docx(
        repo / "word" / "policy.docx",
        [df.Heading("Purpose"), "Text [escm: knw07.b1]"],
        custom={"id": "DOCX-1", "type": "policy", "practices": "knw07"},
    )
    df.build_pdf(repo / "scans" / "minutes.pdf", ["Minutes [escm: knw07.c5]"])
    (repo / "scans" / "minutes.pdf.yaml").write_text(
        "id: PDF-1\ntype: record\npractices: [knw07]\ndate: 2026-09-01\n", encoding="utf-8"
    )
    os.symlink("/etc/hostname", repo / "outside.md")
    git_env = base_env()
    for args in (["add", "-A"], ["-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "extras"]):
        subprocess.run(["git", "-C", str(repo), *args], env=git_env, check=True, capture_output=True)
    docs = sorted(p for p in (repo / "procedures").glob("*.md"))
    with docs[0].open("a", encoding="utf-8") as fh:  # a staged change
        fh.write("\nA staged sentence.\n")
    subprocess.run(["git", "-C", str(repo), "add", str(docs[0])], env=git_env, check=True)
    with docs[1].open("a", encoding="utf-8") as fh:  # an unstaged change
        fh.write("\nAn unstaged sentence.\n")
    (repo / "procedures" / "untracked-draft.md").write_text("# Draft\n", encoding="utf-8")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Env(repo, elsewhere, base / "cache")


def _fmt_outputs(e: Env) -> list[str]:
    out = []
    for fmt in ("text", "json", "sarif", "junit", "markdown", "html"):
        out += ["--format", fmt, "--output", str(e.elsewhere / f"report.{fmt}")]
    return out


def _staged(e: Env) -> list[str]:
    return ["staged", *sorted(str(p) for p in (e.repo / "procedures").glob("*.md"))]


def _inspect(e: Env) -> list[str]:
    return [
        "inspect",
        str(e.repo / "word" / "policy.docx"),
        str(e.repo / "scans" / "minutes.pdf"),
        str(e.repo / "outside.md"),
        *sorted(str(p) for p in (e.repo / "policies").glob("*.md")),
    ]


COMMANDS: dict[str, Callable[[Env], list[str]]] = {
    "check-text": lambda e: ["check", str(e.repo)],
    "check-all-formats": lambda e: ["check", str(e.repo), "-v", *_fmt_outputs(e)],
    "check-since": lambda e: ["check", str(e.repo), "--since", "HEAD~3", "--format", "json"],
    "check-no-cache": lambda e: ["check", str(e.repo), "--no-cache", "--format", "sarif"],
    "check-subfolder": lambda e: ["check", str(e.repo / "procedures"), "--format", "json"],
    "check-org-rules": lambda e: ["check", str(e.repo), "--rules", "rules/org", "-q"],
    "check-default-path": lambda e: ["--format", "markdown"],
    "staged": _staged,
    "inspect": _inspect,
    "inspect-json": lambda e: [*_inspect(e), "--format", "json"],
    "practices": lambda e: ["practices", "--format", "json"],
    "explain": lambda e: ["explain", "knw07"],
    "rules": lambda e: ["rules"],
    "pack-validate": lambda e: ["pack", "validate", "rules/org"],
    "pack-docs": lambda e: ["pack", "docs", "rules/org"],
    "demo-elsewhere": lambda e: ["demo", "--dir", str(e.elsewhere / "demo"), "--format", "json"],
    "init-elsewhere": lambda e: ["init", str(e.elsewhere / "new")],
    "init-into-the-repository": lambda e: ["init", str(e.repo)],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_never_writes_the_repository(env: Env, name: str) -> None:
    before = snapshot(env.repo)
    run: Run = escm_check(*COMMANDS[name](env), cwd=env.repo, cache_home=env.cache)
    after = snapshot(env.repo)
    assert run.code in ((2,) if name == "init-into-the-repository" else (0, 1)), run.output
    assert "Traceback" not in run.output, run.output
    assert not diff(before, after), (name, diff(before, after))
    if name == "init-into-the-repository":
        assert run.code == 2 and "already exist" in run.output
    if name == "init-elsewhere":
        assert run.code == 0 and (env.elsewhere / "new" / ".escm-check.yaml").is_file()
    if name == "check-all-formats":
        assert all((env.elsewhere / f"report.{f}").stat().st_size for f in ("json", "html"))
    if name == "demo-elsewhere":
        assert (env.elsewhere / "demo" / ".git").is_dir()


def test_the_cache_lives_outside_the_repository(env: Env) -> None:
    escm_check("check", str(env.repo), "-q", cwd=env.repo, cache_home=env.cache)
    assert env.cache.exists() and any(env.cache.rglob("*"))


def test_the_snapshot_sees_what_a_write_would_change(tmp_path: Path) -> None:
    """The snapshot is sharp enough: a touch, an index refresh and a new ref all show."""
    from .gitrepo import GitRepo

    r = GitRepo(tmp_path / "r")
    r.write("a.md", "# A\n")
    r.commit("a")
    before = snapshot(r.path)
    assert not diff(before, snapshot(r.path))
    os.utime(r.path / "a.md", ns=(1, 1))
    touched = snapshot(r.path)
    assert any("a.md" in d for d in diff(before, touched))
    subprocess.run(
        ["git", "-C", str(r.path), "status"], env=base_env(), capture_output=True, check=True
    )  # with optional locks: refreshes the index after the touch
    assert "index" in diff(touched, snapshot(r.path))
    r.git("tag", "v1")
    assert "refs" in diff(touched, snapshot(r.path))
