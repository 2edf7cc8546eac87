"""Indented JSON text for reports, written by msgspec's C encoder.

`json.dumps(indent=2)` runs the pure-Python encoder: seconds for the report of a large
repository, where msgspec takes a tenth of a second. For the values reports hold (text,
integers, booleans, null, lists, mappings with text keys, and msgspec structs, written as
mappings of their fields in order: the report schemas name no other type) both write the
same bytes. Text with a lone surrogate, which UTF-8 cannot carry, goes through
`json.dumps` as before. Floats must not use this: msgspec spells
`1e-05` as `0.00001`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, for float-free values."""
    try:
        return msgspec.json.format(_ENCODER.encode(value), indent=2).decode("utf-8")
    except (msgspec.EncodeError, UnicodeError, TypeError):
        return json.dumps(value, indent=2, ensure_ascii=False, default=_plain)


# Mappings and lists this near the top are written item by item: a report's lists of
# documents, findings and SARIF results, each item a piece of its own.
SPLIT_DEPTH = 3


def dump_lines(value: Any) -> Iterator[bytes]:
    """`dumps(value)` and a newline as UTF-8 byte chunks, to be written in order.

    A large report is tens of megabytes: encoded piece by piece, it is never held whole, as
    bytes or as text. Text UTF-8 cannot carry raises UnicodeEncodeError, as writing it would.
    """
    yield from _pieces(value, 0)
    yield b"\n"


def _pieces(value: Any, depth: int) -> Iterator[bytes]:
    kind = type(value)
    if depth >= SPLIT_DEPTH or kind not in (dict, list, tuple) or not value:
        yield _piece(value, depth)
        return
    inner = b"\n" + b"  " * (depth + 1)
    last = len(value) - 1
    yield b"{" if kind is dict else b"["
    if kind is dict:
        for n, (key, item) in enumerate(value.items()):
            yield inner + _piece(key, 0) + b": "
            yield from _pieces(item, depth + 1)
            yield b"," if n < last else b""
    else:
        for n, item in enumerate(value):
            yield inner
            yield from _pieces(item, depth + 1)
            yield b"," if n < last else b""
    yield b"\n" + b"  " * depth + (b"}" if kind is dict else b"]")


def _piece(value: Any, depth: int) -> bytes:
    # a newline byte is always layout: JSON text spells a newline inside a string as \n
    try:
        text = msgspec.json.format(_ENCODER.encode(value), indent=2)
    except (msgspec.EncodeError, UnicodeError, TypeError):
        text = json.dumps(value, indent=2, ensure_ascii=False, default=_plain).encode("utf-8")
    return text.replace(b"\n", b"\n" + b"  " * depth) if depth else text


def _plain(value: Any) -> Any:
    # what msgspec writes for a struct (fields in order) and a tuple, for `json.dumps`
    if isinstance(value, msgspec.Struct):
        return msgspec.structs.asdict(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")
