"""Every git call goes through here: `-C root`, an explicit environment, bytes out."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

# Inherited from a git hook, these would point git at the hook's repository and
# index instead of the one we were asked to check.
_STRIP = (
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_WORK_TREE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
)


class GitError(RuntimeError):
    """git is missing or a git command failed; the message says which and why."""


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without repository-selecting variables, in a fixed locale."""
    env = {k: v for k, v in (base if base is not None else os.environ).items() if k not in _STRIP}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never touch the index of the checked repository
    env.pop("GIT_CONFIG_PARAMETERS", None)
    return env


def git_cmd(root: Path | str, *args: str) -> list[str]:
    """The argv for a git call in `root`."""
    return ["git", "-C", str(root), "-c", "core.quotepath=off", *args]


def run_git(root: Path | str, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run git in `root` and return stdout; raise GitError with git's message on failure."""
    try:
        proc = subprocess.run(
            git_cmd(root, *args),
            input=input,
            capture_output=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError as exc:  # pragma: no cover - git is a hard requirement
        raise GitError("git is not installed or not on PATH") from exc
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc.stdout


def popen_git(root: Path | str, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    """Start a streaming git process (for `log` and `cat-file --batch`)."""
    return subprocess.Popen(
        git_cmd(root, *args),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(),
    )


def repo_root(path: Path | str) -> Path | None:
    """The top of the work tree containing `path`, or None when it is not in one."""
    p = Path(path)
    start = p if p.is_dir() else p.parent
    try:
        out = run_git(start, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    text = out.decode("utf-8", "surrogateescape").strip()
    return Path(text) if text else None


def split_z(data: bytes) -> list[str]:
    """Split NUL-terminated git output into paths (surrogate-escaped, never lossy)."""
    return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]
