"""The one YAML core: each kind of input refused at its own limits, and the stricter rule
wherever front matter and data files used to disagree."""

from __future__ import annotations

import pytest
from escm_check.frontmatter import load_mapping
from escm_check.yamlcore import YAML_LIMITS
from escm_check.yamlsource import DataFileError, parse_yaml


def _bomb(levels: int) -> str:
    """Nine aliases per level: about 9**(levels + 1) nodes from a few lines."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines)


def test_each_kind_has_its_own_node_limit() -> None:
    # 74,732 expanded nodes: over the front-matter limit, under the data-file one
    text = _bomb(4)
    assert YAML_LIMITS["front-matter"].nodes < 74_732 < YAML_LIMITS["data"].nodes
    block = load_mapping(text, "x.md")
    assert not block.ok
    assert f"more than {YAML_LIMITS['front-matter'].nodes} nodes" in block.problems[0].message
    assert len(parse_yaml(text, "rules.yaml").data["a4"]) == 9


def test_a_data_file_over_its_byte_limit_is_refused_unread() -> None:
    text = "a: " + "x" * YAML_LIMITS["data"].bytes
    with pytest.raises(DataFileError, match="larger than"):
        parse_yaml(text, "rules.yaml")


def test_numeric_keys_collide_in_data_files_as_in_front_matter() -> None:
    # `1` and `0x1` are the same key once read; front matter always said so, data files now too
    text = "1: x\n0x1: y\n"
    assert "duplicate key '1'" in load_mapping(text, "x.md").problems[0].message
    with pytest.raises(DataFileError) as err:
        parse_yaml(text, "rules.yaml")
    assert (err.value.line, err.value.problem) == (2, "duplicate key '1'")


def test_a_collection_as_a_key_is_refused_in_front_matter_as_in_data_files() -> None:
    text = "id: A\n? [a, b]\n: x\n"
    block = load_mapping(text, "x.md", line_offset=1)
    assert not block.ok
    assert block.problems[0].message == "metadata refused: the key on line 3 is a list or mapping, not plain text"
    with pytest.raises(DataFileError, match="keys must be plain scalars"):
        parse_yaml(text, "rules.yaml")


def test_keys_that_differ_only_by_lone_surrogates_are_duplicates() -> None:
    # the `- ` run sends the text to PyYAML's own composer, which reads `\ud800` escapes
    text = '"\\ud800": 1\n"\\udfff": 2\n# ' + "- " * 1000
    block = load_mapping(text, "x.md")
    assert block.data == {"\ufffd": 2}
    assert [p.message for p in block.problems] == ["duplicate key '\ufffd' (first on line 1); YAML keeps only the last"]


def test_a_data_file_counts_lines_as_a_text_file_does() -> None:
    # YAML breaks lines at NEL; the file does not, so the duplicate is on the file's line 2
    text = 'title: "a\x85b"\nk: 1\nk: 2\n'
    with pytest.raises(DataFileError) as err:
        parse_yaml(text, "rules.yaml")
    assert err.value.line == 3


def test_a_tag_is_named_before_any_other_fault_in_a_data_file() -> None:
    text = "d: 2026-02-30\nx: !!python/object/apply:os.system [true]\n"
    with pytest.raises(DataFileError) as err:
        parse_yaml(text, "rules.yaml")
    assert (err.value.line, err.value.problem) == (
        2,
        "YAML tag !!python/object/apply:os.system is not allowed in a data file",
    )


def test_dates_are_iso_in_front_matter_and_as_written_in_data_files() -> None:
    text = "approved_on: 2026-02-14 00:00:00\nwhen: 2026-02-14 10:30:00\n"
    assert load_mapping(text, "x.md").data == {"approved_on": "2026-02-14", "when": "2026-02-14T10:30:00"}
    assert parse_yaml(text, "rules.yaml").data == {
        "approved_on": "2026-02-14 00:00:00",
        "when": "2026-02-14 10:30:00",
    }
