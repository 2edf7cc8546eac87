"""The one table of metadata keys agrees with the front-matter schema that validates them."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from escm_check import metadata_keys as mk


def _schema() -> dict[str, Any]:
    text = resources.files("escm_check.schemas").joinpath("front-matter.schema.json").read_text("utf-8")
    return dict(json.loads(text)["properties"])


def test_the_schema_has_exactly_the_keys() -> None:
    assert list(_schema()) == list(mk.KEYS)
    assert not set(mk.EXTRA_KEYS) & set(mk.KEYS)


def test_value_kinds_match_the_schema() -> None:
    props = _schema()
    assert {k for k, v in props.items() if v.get("format") == "date"} == mk.DATE_KEYS
    assert {k for k, v in props.items() if v.get("type") == "array"} == mk.LIST_KEYS
    assert {k for k, v in props.items() if v.get("type") == "object"} == mk.CLAIM_KEYS
    texts = {k for k, v in props.items() if v.get("type") == "string" and "format" not in v}
    assert texts <= mk.TEXT_KEYS
    # type and status are text too (a description or an enum of strings)
    assert all(isinstance(x, str) for x in props["status"]["enum"])


def test_every_key_has_one_kind() -> None:
    kinds = [mk.TEXT_KEYS, mk.DATE_KEYS, mk.LIST_KEYS, mk.CLAIM_KEYS]
    for key in mk.ALL_KEYS:
        assert sum(key in k for k in kinds) == 1, key
    assert mk.BOOKKEEPING_KEYS <= mk.ALL_KEYS
