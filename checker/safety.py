"""The safety net around each document: a bug while reading or judging one is a finding on it.

An unexpected exception in an adapter, in normalising metadata or in the change-control
verdict of one document becomes an ``internal-error`` finding on that document (exception
type and message), the run goes on with every other document, every report is written, and
the command exits 3 so CI can tell a bug in the checker from a compliance verdict. The
traceback is kept here, per process, for ``--verbose``; worker processes hand theirs over
with the document they read.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import TypeVar

from .findings import Finding, make

T = TypeVar("T")
RULE = "internal-error"
REPORT_HINT = (
    "This is a bug in escm-check, not a problem of the document: please report it with the "
    "file if you can share it; rerun with --verbose for the traceback."
)

_lock = threading.Lock()
_tracebacks: list[str] = []


def _start_clean_in_child() -> None:
    # A forked worker hands back the tracebacks it records; those it inherited are its
    # parent's, and sent back they would be kept there twice, doubling with every fork.
    global _lock
    _lock = threading.Lock()  # another thread of the parent may have held it at the fork
    _tracebacks.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, where workers are spawned, not forked
    os.register_at_fork(after_in_child=_start_clean_in_child)


def internal_error(path: str | None, doing: str, exc: BaseException) -> Finding:
    """The finding for `exc` raised while `doing` (e.g. "reading the file") for `path`."""
    detail = " ".join(str(exc).split()) or "(no message)"
    if len(detail) > 300:
        detail = detail[:297] + "..."
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    with _lock:
        _tracebacks.append(f"{path or '(no file)'}: internal error while {doing}:\n{trace}")
    return make(RULE, f"internal error while {doing}: {type(exc).__name__}: {detail}", path=path, hint=REPORT_HINT)


def guard(path: str | None, doing: str, fn: Callable[[], T], fallback: Callable[[Finding], T]) -> T:
    """`fn()`, or `fallback(finding)` with an internal-error finding when it raises."""
    try:
        return fn()
    except Exception as exc:  # the per-document safety net: one bug costs one document
        return fallback(internal_error(path, doing, exc))


def is_internal(findings: Iterable[Finding]) -> bool:
    """True when any finding is an internal error (the run exits 3)."""
    return any(f.rule == RULE for f in findings)


def drain() -> list[str]:
    """The tracebacks recorded in this process since the last call, oldest first."""
    with _lock:
        out = list(_tracebacks)
        _tracebacks.clear()
    return out


def adopt(tracebacks: Iterable[str]) -> None:
    """Keep tracebacks recorded in a worker process, for ``--verbose`` in this one."""
    with _lock:
        _tracebacks.extend(tracebacks)
