"""click's progress bar on a terminal's stderr while many files are parsed; silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

MIN_FILES = 50  # below this a run is over before a bar helps
LABEL = "parsing"


def wanted(total: int, quiet: bool, stream: TextIO | None = None) -> bool:
    """Only for a person watching a terminal: never in pipes, CI logs or quiet runs."""
    return not quiet and total >= MIN_FILES and (stream or sys.stderr).isatty()


@contextmanager
def parsing_bar(total: int, quiet: bool, stream: TextIO | None = None) -> Iterator[Callable[[int, int], None] | None]:
    """A `(done, total)` callback that moves a bar of `total` files on stderr when `wanted`,
    else None: nothing to call per file, and nothing printed (click would otherwise print
    its label once to a stream that is not a terminal)."""
    out = stream or sys.stderr
    if not wanted(total, quiet, out):
        yield None
        return
    with click.progressbar(length=total, label=LABEL, file=out, show_pos=True, show_eta=False) as bar:

        def report(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        yield report
