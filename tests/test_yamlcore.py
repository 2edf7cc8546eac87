"""The one YAML core: the stricter rule wherever front matter and data files used to disagree."""

from __future__ import annotations

from escm_check.frontmatter import load_mapping


def test_a_collection_as_a_key_is_refused_in_front_matter_as_in_data_files() -> None:
    text = "id: A\n? [a, b]\n: x\n"
    block = load_mapping(text, "x.md", line_offset=1)
    assert not block.ok
    assert block.problems[0].message == "metadata refused: the key on line 3 is a list or mapping, not plain text"


def test_keys_that_differ_only_by_lone_surrogates_are_duplicates() -> None:
    # the `- ` run sends the text to PyYAML's own composer, which reads `\ud800` escapes
    text = '"\\ud800": 1\n"\\udfff": 2\n# ' + "- " * 1000
    block = load_mapping(text, "x.md")
    assert block.data == {"\ufffd": 2}
    assert [p.message for p in block.problems] == ["duplicate key '\ufffd' (first on line 1); YAML keeps only the last"]
