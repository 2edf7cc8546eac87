"""`plainschema.surely_valid` against jsonschema itself: True must always mean no error, and
the front matter of real documents must be settled without jsonschema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from escm_check.adapters.markdown import parse_markdown
from escm_check.metadata import _schema
from escm_check.plainschema import surely_valid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCHEMA = _schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

# text near every edge the schema draws: empty, one character, 120 and 121 characters,
# dates real and impossible, ids and claims of each pattern's shape and just outside it
TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            "x",
            "a" * 120,
            "a" * 121,
            "2026-01-31",
            "2026-02-30",
            "2026-1-1",
            "２０２６-01-01",
            "20260101",
            "policy",
            "Policy",
            "record",
            "a" * 42,
            "knw07",
            "7knw",
            "b1",
            "b12",
            "b123",
            "b1c",
            "approved",
            "Approved",
            "in-review",
            "12 months",
            " 3 weeks ",
            "0 days",
            "month",
            "training-record",
            "x-",
            "k\n",
        ]
    ),
    st.text(max_size=8),
)
SCALARS = st.one_of(TEXTS, st.integers(-2, 200), st.booleans(), st.none(), st.floats(allow_nan=False))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXTS, inner, max_size=3)),
    max_leaves=8,
)
FRONT = st.dictionaries(st.sampled_from([*SCHEMA["properties"], "extra", "Type"]), VALUES, max_size=8)
TYPICAL = st.fixed_dictionaries(
    {},
    optional={
        "id": TEXTS,
        "type": TEXTS,
        "status": TEXTS,
        "approved_on": TEXTS,
        "review_cycle": TEXTS,
        "approved_by": st.one_of(TEXTS, st.lists(TEXTS, max_size=3)),
        "practices": st.lists(TEXTS, max_size=3),
        "satisfies": st.dictionaries(TEXTS, st.lists(TEXTS, max_size=3), max_size=3),
    },
)
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _errors(value: Any) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(value)]


@SETTINGS
@given(st.one_of(FRONT, TYPICAL))
def test_surely_valid_never_passes_what_jsonschema_refuses(value: dict[str, Any]) -> None:
    if surely_valid(SCHEMA, value):
        assert _errors(value) == []


VALID = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(min_size=1, max_size=120),
        "title": st.text(min_size=1),
        "type": st.from_regex(r"\A[a-z][a-z0-9_-]{0,40}\Z"),
        "status": st.sampled_from(["draft", "in-review", "approved", "retired"]),
        "approved_on": st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10),
        "review_cycle": st.sampled_from(["12 months", " 1 year", "3 weeks ", "90 days"]),
        "approved_by": st.one_of(st.text(min_size=1), st.lists(st.text(min_size=1), min_size=1, max_size=3)),
        "practices": st.lists(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,30}\Z"), max_size=3),
        "satisfies": st.dictionaries(
            st.text(max_size=6), st.lists(st.from_regex(r"\A[A-Za-z][0-9]{1,2}[a-z]?\Z"), max_size=3), max_size=3
        ),
    },
)


@SETTINGS
@given(VALID)
def test_the_common_valid_front_matter_is_settled_here(value: dict[str, Any]) -> None:
    assert _errors(value) == []
    assert surely_valid(SCHEMA, value)


def test_the_example_documents_are_settled_without_jsonschema() -> None:
    settled = 0
    for path in sorted(EXAMPLES.rglob("*.md")):
        meta = dict(parse_markdown(path.read_text(encoding="utf-8"), path.name).metadata)
        instance = {k: v for k, v in meta.items() if k in SCHEMA["properties"]}
        if not instance or _errors(instance):
            continue
        assert surely_valid(SCHEMA, instance), path
        settled += 1
    assert settled >= 10


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "string", "minimum": 3}, "x"),  # a keyword it does not know
        ({"type": "integer"}, 3),  # a type it does not settle
        ({"oneOf": [{"type": "string"}, {"minLength": 1}]}, "x"),  # two branches pass
        ({"oneOf": [{"type": "string"}, {"pattern": "y"}]}, "x"),  # the other branch is not told apart by type
        ({"enum": [1, "1"]}, "1"),  # numbers in the enum
        ({"format": "date"}, "2026-02-30"),
        ({"format": "email"}, "a@b"),
        ({"items": [{"type": "string"}]}, ["x"]),
        (False, "x"),
    ],
)
def test_what_cannot_be_settled_here_is_left_to_jsonschema(schema: Any, value: Any) -> None:
    assert not surely_valid(schema, value)


def test_what_is_certain_is_settled() -> None:
    assert surely_valid({"oneOf": [{"type": "string"}, {"type": "array"}]}, "x")
    assert surely_valid({"format": "date", "type": "string"}, "2026-02-28")
    assert surely_valid({"format": "date"}, 3)  # formats apply to text only
    assert surely_valid(SCHEMA, {"satisfies": {"knw07": ["b1", "b2"]}, "status": "approved", "other": [1, None]})
    assert not surely_valid(SCHEMA, {"satisfies": {"knw07": ["b1", "bad claim"]}})
