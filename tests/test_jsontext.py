"""The C-encoded report JSON is json.dumps' text, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from escm_check.jsontext import dump_lines, dumps
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]

leaves = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text()
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, derandomize=True)
@given(values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    # and written piece by piece, the same bytes
    assert b"".join(dump_lines(value)) == (dumps(value) + "\n").encode("utf-8")


@settings(max_examples=100, derandomize=True)
@given(st.lists(st.dictionaries(st.text(max_size=8), values, max_size=4), max_size=5))
def test_report_shaped_values_piece_by_piece(documents: list[dict[str, Any]]) -> None:
    value = {"documents": documents, "runs": [{"results": documents}], "none": [], "empty": {}}
    assert b"".join(dump_lines(value)).decode("utf-8") == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_lone_surrogate_is_written_as_json_dumps_writes_it() -> None:
    value = {"path": "bad-\udcff-name.md", "n": [1, {}]}
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    with pytest.raises(UnicodeEncodeError):
        b"".join(dump_lines(value))


def test_report_schemas_name_no_floats() -> None:
    # dumps spells floats differently from json.dumps; reports must not hold any
    for name in ("report.schema.json",):
        text = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert '"number"' not in text, name
