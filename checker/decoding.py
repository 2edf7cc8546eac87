"""The one way bytes of a text file become text, and text from a parser becomes safe text.

Working-tree files, historical versions from git and sidecars all go through `decode_text`,
so a byte sequence reads the same whatever the path it came by. Undecodable bytes become
U+FFFD (the rest of the text is still read) and the offset of the first one is kept so the
reader can name it. No result ever holds a lone surrogate: Python's `surrogateescape` is
for file names, and a surrogate in text breaks libyaml and every UTF-8 writer downstream.
"""

from __future__ import annotations

import re

import msgspec

from .findings import Finding, make

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Decoded(msgspec.Struct, frozen=True):
    """Text decoded from bytes, and where (if anywhere) the bytes were not valid."""

    text: str
    encoding: str  # utf-8 | utf-16
    bad_offset: int | None = None  # byte offset of the first undecodable byte in the input
    bad_count: int = 0  # undecodable sequences, each read as U+FFFD

    @property
    def ok(self) -> bool:
        """True when every byte decoded."""
        return self.bad_offset is None


def decode_text(data: bytes) -> Decoded:
    """UTF-8 (BOM optional) or UTF-16 with a BOM; bad bytes read as U+FFFD, never surrogates."""
    if data.startswith(_UTF16_BOMS):
        return _decode(data, "utf-16", 0)
    skip = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    return _decode(data[skip:], "utf-8", skip)


def _decode(data: bytes, encoding: str, skip: int) -> Decoded:
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        first = exc.start
    text = data.decode(encoding, "replace")
    # a U+FFFD the file really holds is valid text; count only what the errors added
    bad = max(1, text.count("\ufffd") - _valid_replacement_chars(data, encoding))
    if encoding == "utf-16":
        text = scrub(text)
    return Decoded(text, encoding, first + skip, bad)


def _valid_replacement_chars(data: bytes, encoding: str) -> int:
    mark = "\ufffd".encode("utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be" if encoding == "utf-16" else "utf-8")
    return data.count(mark)


def text_of(data: bytes, *, whole: bool = True) -> str:
    """The text of `data` by `decode_text`, for readers that need no finding (history).

    A part cut from a UTF-8 file (`whole=False`) is UTF-8 whatever its first bytes are.
    """
    return decode_text(data).text if whole else data.decode("utf-8", "replace")


def undecodable(decoded: Decoded, data: bytes, rel: str, *, rule: str = "parse-error") -> Finding | None:
    """The finding for a file with undecodable bytes: file, byte offset and line; None when clean."""
    if decoded.ok:
        return None
    assert decoded.bad_offset is not None
    offset = decoded.bad_offset
    line = data[:offset].count(b"\n") + 1 if decoded.encoding == "utf-8" else None
    more = f" and {decoded.bad_count - 1} more place(s)" if decoded.bad_count > 1 else ""
    return make(
        rule,
        f"not valid {decoded.encoding.upper()} at byte {offset}{more}; each undecodable byte "
        "is read as U+FFFD and the rest of the file is read",
        path=rel,
        line=line,
        hint="Save the file as UTF-8 (text pasted from older tools is often Latin-1 or Windows-1252).",
    )


def scrub(text: str) -> str:
    """`text` with surrogate pairs joined into their character and lone surrogates as U+FFFD.

    YAML's `"\\ud83d\\ude00"` (a pair written as two escapes, as JSON does) becomes the one
    character it means; a lone `"\\ud800"` becomes U+FFFD.
    """
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def has_surrogates(text: str) -> bool:
    """True when `text` holds a surrogate code point (which no UTF-8 writer accepts)."""
    return _SURROGATE.search(text) is not None
