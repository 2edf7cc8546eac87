"""The plain front-matter reader: the common shapes read without composing, everything else
left to the careful path, and the same values and lines either way."""

from __future__ import annotations

import pytest
from escm_check.frontmatter import load_mapping
from escm_check.plainyaml import _NOT_PLAIN_ASCII, _not_plain_text, read_plain
from escm_check.yamlcore import YAML_LIMITS
from hypothesis import given, settings
from hypothesis import strategies as st

LIMITS = YAML_LIMITS["front-matter"]

COMMON = """id: KNW-02670
title: Policy 2670 for knw
type: policy
practices: [knw07, thr04]
satisfies:
  knw07: [b1, b2]
  thr04: b1   # the one activity
status: approved
version: "3.4"
owner: 'Quality Manager'

approved_by:
- Kai Weber
- "Ann Lee"
approved_on: 2020-10-08
review_cycle: 12 months
# a comment line
"""


def test_the_common_shape_is_read_plainly_with_the_careful_values_and_lines() -> None:
    plain = read_plain(COMMON, LIMITS, 1)
    assert plain is not None
    data, lines = plain
    assert data["practices"] == ["knw07", "thr04"]
    assert data["satisfies"] == {"knw07": ["b1", "b2"], "thr04": "b1"}
    assert data["approved_by"] == ["Kai Weber", "Ann Lee"]
    assert data["approved_on"] == "2020-10-08"
    assert data["owner"] == "Quality Manager"
    assert lines["id"] == 2 and lines["approved_by"] == 13
    careful = load_mapping(COMMON, "x.md", 1, plain=False)
    assert (careful.data, careful.lines, careful.problems) == (data, lines, ())


@pytest.mark.parametrize(
    "text",
    [
        "version: 3.4",  # a number: the careful path words the trap
        "status: yes",  # a boolean
        "title: 2020-10-08",  # a date where text is meant
        "owner: ~",  # null
        "owner:",  # null, then nothing
        "id: a\nid: b",  # a duplicate key
        'title: "a\\tb"',  # an escape
        "title: It's: here",  # a colon
        "practices: [knw07, [thr04]]",  # nesting in a flow list
        "satisfies: {knw07: b1}",  # a flow mapping
        "satisfies:\n  knw07:\n    - b1",  # deeper nesting
        "title: &a x\nowner: *a",  # an anchor and an alias
        "title: !!str x",  # a tag
        "title: |\n  block",  # a block scalar
        "title: two\n  lines",  # a plain scalar continued
        "approved_on: 2026-02-30",  # a date that is not one
        "on: x",  # a key YAML reads as a boolean
        "title:\tx",  # a tab
        "title: a\u2028b",  # a line break only YAML sees
    ],
)
def test_anything_outside_the_subset_takes_the_careful_path(text: str) -> None:
    assert read_plain(text, LIMITS) is None
    assert load_mapping(text, "x.md") == load_mapping(text, "x.md", plain=False)


def test_a_list_longer_than_the_node_limit_is_left_to_the_careful_refusal() -> None:
    text = "practices: [" + ", ".join(["knw07"] * LIMITS.nodes) + "]"
    assert read_plain(text, LIMITS) is None
    assert "nodes" in load_mapping(text, "x.md").problems[0].message


KEYS = st.sampled_from(["id", "title", "version", "status", "approved_on", "practices", "x", "yes", "null"])
SCALARS = st.one_of(
    st.sampled_from(
        ["policy", "a b", "a, b", "1", "1.0", "yes", "~", "2020-10-08", "2020-1-8", "0x1F", "a #b", "C#", "é"]
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
VALUES = st.one_of(
    SCALARS,
    SCALARS.map(lambda s: f'"{s}"'),
    SCALARS.map(lambda s: f"'{s}'"),
    st.lists(SCALARS, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
)
LINES = st.one_of(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.tuples(KEYS, st.sampled_from(["", "  ", "- ", "   "]), st.lists(VALUES, min_size=0, max_size=3)).map(
        lambda k: f"{k[0]}:\n" + "\n".join(f"{k[1]}{v}" for v in k[2])
    ),
    st.tuples(KEYS, st.lists(st.tuples(KEYS, VALUES), max_size=3)).map(
        lambda k: f"{k[0]}:\n" + "\n".join(f"  {a}: {b}" for a, b in k[1])
    ),
    st.sampled_from(["", "# c", "  # c", "  x", "---", "- a"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8).map("\n".join))
def test_plain_and_careful_readings_agree_whenever_the_plain_reader_answers(text: str) -> None:
    plain = read_plain(text, LIMITS, 1)
    careful = load_mapping(text, "x.md", 1, plain=False)
    if plain is not None:
        assert careful.problems == () and careful.ok
        assert (careful.data, careful.lines) == plain
    assert load_mapping(text, "x.md", 1) == careful


def test_lines_read_before_give_fresh_values_and_still_count_as_duplicates() -> None:
    text = "practices: [knw07, thr04]\ntype: policy"
    first = read_plain(text, LIMITS)
    second = read_plain(text, LIMITS)
    assert first is not None and second is not None
    first[0]["practices"].append("ppl01")
    assert second[0]["practices"] == ["knw07", "thr04"]
    assert read_plain("type: policy\ntype: policy", LIMITS) is None
    values = {"practices": ["knw07", "thr04"], "type": "policy"}
    assert read_plain(text, LIMITS, 5) == (values, {"practices": 6, "type": 7})


def test_the_ascii_test_of_plain_text_agrees_with_the_full_one_on_every_ascii_character() -> None:
    for code in range(128):
        char = chr(code)
        assert bool(_NOT_PLAIN_ASCII.search(char)) == bool(_not_plain_text().search(char)), repr(char)
