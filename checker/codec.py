"""One JSON codec for every value the cache keeps: msgspec, driven by the value's type.

msgspec encodes and decodes structs, dataclasses, tuples, mappings, dates and literals from their
type hints and validates while it decodes, so a cached value of the wrong shape is refused
rather than trusted. Two things it cannot know from a type hint are handled here once:

- a field typed `Any` (a document's front matter, a rule file's YAML) may hold dates,
  tuples, keys that are not text and non-finite floats, which plain JSON would turn into
  something else; `tag` writes those with a one-key tag and `untag` reads them back exactly;
- a value whose parts are shared (a history's commits, named by many changes) is written in
  a compact wire form, through the `to_wire` and `from_wire` functions of its `Codec`.

JSON only: nothing read back can execute code.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

_TAG = "\x00"


class BadEntry(ValueError):
    """A stored value that is not what this version of the tool writes; treated as a miss."""


class Unencodable(ValueError):
    """A value the codec would not carry exactly; it is not stored."""


def _same(v: Any) -> Any:
    return v


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How values of one type are stored: msgspec JSON of `wire`, the type it validates
    against, with `to_wire` and `from_wire` for a type that needs a wire form of its own."""

    wire: Any
    to_wire: Callable[[T], Any] = field(default=_same)
    from_wire: Callable[[Any], T] = field(default=_same)

    def encode(self, value: T) -> bytes:
        """The value as JSON bytes; Unencodable when it cannot be carried exactly."""
        try:
            return msgspec.json.encode(self.to_wire(value))
        except (msgspec.EncodeError, TypeError, ValueError, OverflowError) as exc:
            raise Unencodable(str(exc)) from None

    @functools.cached_property
    def _decoder(self) -> msgspec.json.Decoder[Any]:
        # built once: `decode(data, type=...)` works the type out again on every call, which
        # for a nested type costs more than the decoding itself
        return msgspec.json.Decoder(self.wire)

    def decode(self, data: bytes | str) -> T:
        """The inverse of `encode`; BadEntry for anything `encode` would not have written."""
        try:
            return self.from_wire(self._decoder.decode(data))
        except BadEntry:
            raise
        except (msgspec.DecodeError, TypeError, ValueError, KeyError, IndexError, RecursionError) as exc:
            raise BadEntry(str(exc)) from None


def tag(v: Any) -> Any:
    """A plain value (YAML's kinds) as JSON, with dates, tuples, odd keys and floats tagged.

    A value that is JSON already (most front matter) is sent whole under one tag, so that
    `untag` need not walk it."""
    return {_JSON: v} if _json_only(v) else _tag(v)


_JSON = "\x00j"
_WRAPPED = "\x00w"


def tag_mapping(m: Any) -> Any:
    """A mapping for the wire: itself when it is JSON already (nothing walked on decoding,
    nothing copied on encoding), else `tag`'s form under a key no JSON-only mapping holds."""
    return m if type(m) is dict and _json_only(m) else {_WRAPPED: _tag(m)}


def untag_mapping(v: Any) -> Any:
    """The inverse of `tag_mapping`; BadEntry on anything it would not have written."""
    if type(v) is not dict:
        raise BadEntry(f"expected a mapping, not {type(v).__name__}")
    if len(v) == 1 and _WRAPPED in v:
        return untag(v[_WRAPPED])
    return v


def _json_only(v: Any) -> bool:
    t = type(v)
    if t is str or t is bool or t is int or v is None:
        return True
    if t is float:
        return math.isfinite(v)
    if t is list:
        return all(_json_only(x) for x in v)
    if t is dict:
        return all(type(k) is str and not k.startswith(_TAG) and _json_only(x) for k, x in v.items())
    return False


def _tag(v: Any) -> Any:
    t = type(v)
    if t is str or t is bool or t is int or v is None:
        return v
    if t is float:
        return v if math.isfinite(v) else {"\x00f": repr(v)}
    if t is dt.datetime:
        return {"\x00dt": v.isoformat()}
    if t is dt.date:
        return {"\x00d": v.isoformat()}
    if t is list:
        return [_tag(x) for x in v]
    if t is tuple:
        return {"\x00t": [_tag(x) for x in v]}
    if t is dict:
        if all(type(k) is str and not k.startswith(_TAG) for k in v):
            return {k: _tag(x) for k, x in v.items()}
        return {"\x00m": [[_tag(k), _tag(x)] for k, x in v.items()]}
    raise Unencodable(f"cannot store a value of type {t.__name__}")


def untag(v: Any) -> Any:
    """The inverse of `tag`; BadEntry on anything it would not have written."""
    t = type(v)
    if t is str or t is bool or t is int or t is float or v is None:
        return v
    if t is list:
        return [untag(x) for x in v]
    if t is not dict:
        raise BadEntry(f"unexpected JSON value {t.__name__}")
    if len(v) == 1:
        ((key, inner),) = v.items()
        if key.startswith(_TAG):
            return _untag_tagged(key, inner)
    return {k: untag(x) for k, x in v.items()}


def _untag_tagged(key: str, inner: Any) -> Any:
    if key == _JSON:
        return inner  # decoded from JSON, and JSON was all it held
    try:
        if key == "\x00f" and inner in ("inf", "-inf", "nan"):
            return float(inner)
        if key == "\x00dt" and type(inner) is str:
            return dt.datetime.fromisoformat(inner)
        if key == "\x00d" and type(inner) is str:
            return dt.date.fromisoformat(inner)
        if key == "\x00t" and type(inner) is list:
            return tuple(untag(x) for x in inner)
        if key == "\x00m" and type(inner) is list:
            out: dict[Any, Any] = {}
            for pair in inner:
                if type(pair) is not list or len(pair) != 2:
                    raise BadEntry("a mapping entry is not a pair")
                out[untag(pair[0])] = untag(pair[1])
            return out
    except (TypeError, ValueError) as exc:  # a bad date, an unhashable key
        raise BadEntry(str(exc)) from None
    raise BadEntry(f"unknown tag {key!r}")
