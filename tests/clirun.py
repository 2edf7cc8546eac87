"""Run the installed `escm-check` console script in a subprocess, bounded in time and memory.

Used by the reliability tests: a hang is a failure (subprocess timeout), not a slow pass, and
the address space is capped so a run that would balloon fails instead of swapping.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 60.0  # seconds per run: generous; every case takes a few at most
MEMORY = 2 * 1024**3  # RLIMIT_AS for the checker and its reader processes


def argv0() -> list[str]:
    """The console script installed next to this interpreter (the real CLI)."""
    exe = Path(sys.executable).with_name("escm-check")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "escm_check.cli"]


def limit_memory() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def clean_env(cache_home: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's shell: no inherited git state, a private cache folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ESCM_"))}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "NO_COLOR": "1"})
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = str(cache_home)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Run:
    """One finished run: exit code and output decoded as UTF-8 (undecodable bytes escaped)."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def escm_check(
    *args: str,
    cwd: Path | None = None,
    cache_home: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Run:
    """Run `escm-check ARGS` and return the result; raise on a timeout."""
    full: Sequence[str] = [*argv0(), *args]
    proc = subprocess.run(
        full,
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        env=clean_env(cache_home, env),
        check=False,
    )
    return Run(
        tuple(full),
        proc.returncode,
        proc.stdout.decode("utf-8", "backslashreplace"),
        proc.stderr.decode("utf-8", "backslashreplace"),
    )
