"""What the run is doing now: named in the one-line internal-error message."""

from __future__ import annotations

current: str | None = None


def set_current(what: str | None) -> None:
    """Record the file or stage being processed."""
    global current
    current = what
