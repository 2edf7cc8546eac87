"""The last line of defence around a command: usage errors exit 2, bugs one line and exit 3."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from .config import ConfigError
from .display import printable
from .exitcodes import Exit
from .rulepack import PackError

ISSUES_URL = "https://github.com/escm-check/escm-check/issues"


def one_line(text: object, limit: int = 400) -> str:
    """Text for a one-line message: control characters escaped, length capped."""
    s = printable(text)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def run_guarded(fn: Callable[[], Exit], verbose: bool) -> Exit:
    """Run `fn`, turning configuration errors into exit 2 and bugs into one line and exit 3.

    The internal-error line names what was being processed (`progress.current`) and where
    to report it; the traceback follows only with --verbose.
    """
    from . import progress

    progress.set_current(None)
    try:
        code: Exit = fn()
        return code
    except ConfigError as exc:
        click.echo(f"escm-check: configuration error: {exc}", err=True)
        return Exit.USAGE
    except PackError as exc:
        click.echo(f"escm-check: rule pack error:\n{exc}", err=True)
        return Exit.USAGE
    except KeyboardInterrupt:
        click.echo("escm-check: interrupted", err=True)
        return Exit.INTERNAL
    except Exception as exc:  # the last line of defence
        where = f" while processing {one_line(progress.current)}" if progress.current else ""
        click.echo(
            f"escm-check: internal error{where}: {type(exc).__name__}: {one_line(exc)} "
            f"(please report it at {ISSUES_URL}; rerun with --verbose for the traceback)",
            err=True,
        )
        if verbose:
            click.echo(traceback.format_exc(), err=True, nl=False)
        return Exit.INTERNAL
    finally:
        progress.set_current(None)


def guarded(command: Callable[..., None]) -> Callable[..., None]:
    """Wrap a command that returns nothing in `run_guarded` (its `_fail` exits pass through)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        def go() -> Exit:
            command(*args, **kwargs)
            return Exit.OK

        code = run_guarded(go, kwargs.get("verbose", False) is True)
        if code != Exit.OK:
            sys.exit(int(code))

    return wrapper
