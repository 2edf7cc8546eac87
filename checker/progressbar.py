"""A progress bar on a terminal's stderr while many files are parsed; silent otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_FILES = 50  # below this a run is over before a bar helps
_WIDTH = 30


class ProgressBar:
    """Call with (done, total); draws at most ten times a second and clears itself at the end."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._drawn = False

    @classmethod
    def wanted(cls, total: int, quiet: bool) -> bool:
        """Only for a person watching a terminal: never in pipes, CI logs or quiet runs."""
        return not quiet and total >= MIN_FILES and sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = _WIDTH * done // max(total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {done}/{total}")
        self.stream.flush()
        self._drawn = True
        if done >= total:
            self.close()

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False
