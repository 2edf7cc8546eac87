"""Text from files and file names made safe to print on one terminal line."""

from __future__ import annotations

from collections.abc import Sequence

# C0 controls (line breaks, ESC that starts a terminal escape sequence), DEL and C1 controls,
# and the Unicode line and paragraph separators: written as escapes, never sent raw
_ESCAPES = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_ESCAPES.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def printable(text: object) -> str:
    """`text` with control characters and undecodable bytes written as backslash escapes."""
    s = str(text)
    if s.isprintable():
        return s
    s = s.encode("utf-8", "backslashreplace").decode("utf-8")
    return s.translate(_ESCAPES)


def encodable(text: str) -> str:
    """`text` with undecodable bytes (held as lone surrogates) shown as `\\xff`, so it can be
    written as UTF-8: a file name or a message from a non-UTF-8 old version."""
    if text.isascii():
        return text  # nearly every path and message
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def listed(items: Sequence[str], limit: int) -> str:
    """`a, b, c and 4 more`: the first `limit` items named, the rest counted."""
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")
