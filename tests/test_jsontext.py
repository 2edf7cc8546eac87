"""The C-encoded report JSON is json.dumps' text, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from escm_check.jsontext import dumps
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


def test_lone_surrogate_is_written_as_json_dumps_writes_it() -> None:
    value = {"path": "bad-\udcff-name.md", "n": [1, {}]}
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_report_schemas_name_no_floats() -> None:
    # dumps spells floats differently from json.dumps; reports must not hold any
    for name in ("report.schema.json",):
        text = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert '"number"' not in text, name
