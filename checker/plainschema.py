"""Whether a value certainly passes a simple JSON Schema, decided without jsonschema.

Importing jsonschema and building a validator costs a reading worker more than validating
thousands of front matters, and nearly every front matter passes. `surely_valid` knows the
few keywords the front-matter schema uses and answers True only when jsonschema would find
no error; anything else (an unknown keyword, a failing value, a `oneOf` it cannot settle)
is False, and the caller asks jsonschema, which words every error. It reads the schema
itself, so the schema file stays the one statement of what is valid.
tests/test_plainschema.py checks on generated values that True always means no error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# keywords that never make a value invalid
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "examples", "$comment", "default"})
_TYPES: Mapping[str, type] = {"string": str, "array": list, "object": dict}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def surely_valid(schema: Mapping[str, Any] | bool, value: Any) -> bool:
    """True when `value` passes `schema` for certain; False when it fails or cannot be told here."""
    if isinstance(schema, bool):
        return schema  # the schemas `true` and `false`
    for key, want in schema.items():
        if key in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(key)
        if check is None or not check(want, value, schema):
            return False
    return True


def _type(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return isinstance(want, str) and want in _TYPES and isinstance(value, _TYPES[want])


def _min_length(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(value, str) or len(value) >= want


def _max_length(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(value, str) or len(value) <= want


def _min_items(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(value, list) or len(value) >= want


def _pattern(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(value, str) or _compiled(want).search(value) is not None


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _enum(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    # only text is settled here: JSON Schema's equality of numbers and booleans is not Python's
    return type(value) is str and all(type(w) is str for w in want) and value in want


def _format(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to text only
    if want != "date" or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _items(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(value, list) or (isinstance(want, dict) and all(surely_valid(want, v) for v in value))


def _properties(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(value, dict):
        return True
    return all(surely_valid(want[k], v) for k, v in value.items() if k in want)


def _additional(want: Any, value: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(value, dict) or not isinstance(want, dict):
        return False
    named = schema.get("properties", {})
    return all(surely_valid(want, v) for k, v in value.items() if k not in named)


def _one_of(want: Any, value: Any, _: Mapping[str, Any]) -> bool:
    # exactly one branch passes: one surely does, and every other is of another type
    passing = [s for s in want if surely_valid(s, value)]
    return len(passing) == 1 and all(s is passing[0] or _other_type(s, value) for s in want)


def _other_type(schema: Mapping[str, Any], value: Any) -> bool:
    want = schema.get("type")
    return isinstance(want, str) and want in _TYPES and not isinstance(value, _TYPES[want])


_KEYWORDS = {
    "type": _type,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minItems": _min_items,
    "pattern": _pattern,
    "enum": _enum,
    "format": _format,
    "items": _items,
    "properties": _properties,
    "additionalProperties": _additional,
    "oneOf": _one_of,
}
