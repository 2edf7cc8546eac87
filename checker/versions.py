"""The one grammar of a document's `version`, and the order of versions.

A version is short text (at most `MAX_LENGTH` characters, no control characters) whose
digits are ASCII: `2.1`, `v3`, `1.0-rc2`, `Rev B`. Dotted numbers compare numerically
(`2.10` > `2.9`, `2.0` == `2`); anything else compares piecewise, digit runs as numbers and
the rest as text. A digit run is at most `MAX_DIGITS` long, so no comparison ever converts
an unbounded number. Text outside the grammar (`1.²`, thousands of digits) is not a version:
`parse_version` says why, and callers report it as an invalid value rather than compare it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import msgspec

MAX_LENGTH = 64
MAX_DIGITS = 9  # per number: a version part beyond a billion is a typing accident
_NUMERIC = re.compile(r"[vV]?([0-9]{1,9}(?:\.[0-9]{1,9})*)", re.ASCII)
_PIECES = re.compile(r"[0-9]+|[^0-9]+", re.ASCII)

Piece = tuple[int, int, str]


class Version(msgspec.Struct, frozen=True):
    """A parsed version: its text and the key it sorts by."""

    text: str
    numeric: tuple[int, ...] | None  # dotted numbers, trailing zeros dropped
    pieces: tuple[Piece, ...]


class VersionError(ValueError):
    """Text that is not a version in our grammar; the message says why."""


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """Parse version text; raise VersionError naming the problem."""
    s = text.strip()
    if not s:
        raise VersionError("the version is empty")
    if len(s) > MAX_LENGTH:
        raise VersionError(f"the version is {len(s)} characters long; at most {MAX_LENGTH}")
    for ch in s:
        if unicodedata.category(ch)[0] == "C":
            raise VersionError(f"the version holds the control or invalid character U+{ord(ch):04X}")
        if ch not in "0123456789" and (ch.isdigit() or ch.isnumeric() or unicodedata.category(ch) == "Nd"):
            raise VersionError(f"the version holds {ch!r} (U+{ord(ch):04X}); write its digits as 0-9")
    pieces = tuple(_piece(p) for p in _PIECES.findall(s))
    m = _NUMERIC.fullmatch(s)
    numeric = None
    if m:
        parts = [int(p) for p in m.group(1).split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()  # 2.0 and 2 are the same version
        numeric = tuple(parts)
    return Version(s, numeric, pieces)


def _piece(p: str) -> Piece:
    if p[0] in "0123456789":
        if len(p) > MAX_DIGITS:
            raise VersionError(f"the version has a number of {len(p)} digits; at most {MAX_DIGITS}")
        return (0, int(p), "")
    return (1, 0, p)


def version_error(text: str) -> str | None:
    """Why `text` is not a version, or None when it is one."""
    try:
        parse_version(text)
    except VersionError as exc:
        return str(exc)
    return None


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is lower than, equal to or higher than `b`; raises VersionError."""
    va, vb = parse_version(a), parse_version(b)
    if va.numeric is not None and vb.numeric is not None:
        return (va.numeric > vb.numeric) - (va.numeric < vb.numeric)
    if va.text == vb.text:
        return 0
    return (va.pieces > vb.pieces) - (va.pieces < vb.pieces)


def version_key(text: str) -> tuple[int, ...] | None:
    """The dotted-number key of `text` (`v2.1.0` -> (2, 1)), or None when it is not one."""
    try:
        return parse_version(text).numeric
    except VersionError:
        return None
