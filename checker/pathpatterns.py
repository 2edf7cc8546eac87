"""Path patterns with .gitignore semantics: the configuration's `include`, `exclude` and `formats`.

Patterns are pathspec's gitignore patterns (`*`, `?`, `[a-z]`, `**`, a trailing `/` for a
folder, `!` to negate, `\\` to escape; the last pattern that matches a path decides). They
are matched by RE2, whose time is linear in the path: a pattern from a user's config cannot
backtrack catastrophically, as it can under Python's `re` (pathspec's fallback backend).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import re2  # google-re2: pathspec's linear-time backend
from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

# Named, never "best": a missing RE2 must fail loudly, not fall back to a backtracking matcher.
BACKEND = "re2"


class PatternError(ValueError):
    """A pattern that cannot be compiled, or that can never match; the message names it."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"pattern {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


def _reason(exc: Exception) -> str:
    """What is wrong, in the pattern's terms rather than the regular expression's."""
    if isinstance(exc, re.error):
        return f"not a valid pattern: {exc.msg}"
    return "not a valid .gitignore pattern (a lone '!' or a trailing '\\' stand for nothing)"


@contextmanager
def _quiet_re() -> Iterator[None]:
    """pathspec also compiles each pattern with `re`, which warns of a `[` inside a set (a
    possible future meaning): matching is RE2's, so the warning is noise on the user's terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _compile(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    try:
        with _quiet_re():
            return GitIgnoreSpec.from_lines(patterns, backend=BACKEND)
    except (ValueError, re.error, re2.error) as exc:
        raise PatternError(" ".join(patterns), _reason(exc)) from None


def _why_nothing(pattern: str) -> str:
    """Why .gitignore reads `pattern` as no pattern at all."""
    text = pattern.strip()
    if "[" in text and text not in ("", "/") and not text.startswith("#"):
        return "matches nothing: a '[' is never closed (write '\\[' for a literal '[')"
    return "matches nothing: it is empty, a lone '/' or a '#' comment (write '\\#' for a leading '#')"


def check_pattern(pattern: str) -> None:
    """Raise PatternError when `pattern` is not a gitignore pattern that can match a path."""
    try:
        with _quiet_re():
            parsed = GitIgnoreSpecPattern(pattern)
    except (ValueError, re.error) as exc:
        raise PatternError(pattern, _reason(exc)) from None
    if parsed.include is None:
        raise PatternError(pattern, _why_nothing(pattern))
    _compile((pattern,))


def unnegated(pattern: str) -> str:
    """The pattern without its leading `!`: what it selects, whether it adds or removes it."""
    return pattern[1:] if pattern.startswith("!") else pattern


class Patterns:
    """A list of gitignore patterns: a path matches when the last pattern that matches it is
    not negated. An empty list matches nothing."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        for pattern in self.patterns:
            check_pattern(pattern)
        self._spec = _compile(self.patterns) if self.patterns else None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, path: str, folder: bool = False) -> bool:
        """True when the repository-relative POSIX `path` (a folder's when `folder`) matches."""
        if self._spec is None:
            return False
        return bool(self._spec.match_file(path + "/" if folder else path))


@lru_cache(maxsize=256)
def name_pattern(pattern: str) -> Patterns:
    """One pattern, compiled once, for matching a file's name (the configuration's `formats`)."""
    return Patterns((pattern,))
