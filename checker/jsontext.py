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
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, for float-free values."""
    try:
        return msgspec.json.format(_ENCODER.encode(value), indent=2).decode("utf-8")
    except (msgspec.EncodeError, UnicodeError, TypeError):
        return json.dumps(value, indent=2, ensure_ascii=False, default=_plain)


def dump_lines(value: Any) -> tuple[bytes, ...]:
    """`dumps(value)` and a newline as UTF-8 byte chunks, to be written in order.

    A large report is tens of megabytes: it is never held as text as well, nor copied to
    add the newline. Text UTF-8 cannot carry raises UnicodeEncodeError, as writing it would.
    """
    try:
        return msgspec.json.format(_ENCODER.encode(value), indent=2), b"\n"
    except (msgspec.EncodeError, UnicodeError, TypeError):
        return ((json.dumps(value, indent=2, ensure_ascii=False, default=_plain) + "\n").encode("utf-8"),)


def _plain(value: Any) -> Any:
    # what msgspec writes for a struct (fields in order) and a tuple, for `json.dumps`
    if isinstance(value, msgspec.Struct):
        return msgspec.structs.asdict(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")
