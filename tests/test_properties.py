"""Property-based tests of the readers of user text that everything else trusts.

- the front-matter reader (`frontmatter.split_front_matter`, `frontmatter.load_mapping`);
- the Markdown section and tag parser (`adapters.markdown.parse_markdown`).

Commit trailers are read by git's own parser (`history.TRAILERS`); test_history checks
what it gives on real commits.

Each raises nothing for any text (its errors are findings, or an empty result), gives the
same answer twice, and keeps its invariants: every line it reports lies inside the text (a
metadata key's line inside the front matter), sections come in order and nest without
crossing, and every tag lies in its section. Texts are drawn from the
fragments these formats are made of (YAML indicators, tags, aliases, headings, fences,
comments, line ends, BOMs, NULs) mixed with arbitrary Unicode.
"""

from __future__ import annotations

import json

import pytest
from escm_check.adapters.markdown import parse_markdown
from escm_check.documents import _WORD, TAG_ID, twenty_words
from escm_check.findings import CATALOGUE
from escm_check.frontmatter import load_mapping, normalise_text, split_front_matter
from escm_check.identity import parse_identity
from escm_check.rulepack import DocType, DocTypePart, heading_names, heading_words
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

YAML_BITS = [
    "---",
    "...",
    "\n",
    "\n",
    "\n",
    "id: X",
    "title: t",
    "version: 2.10",
    "status: no",
    "approved_on: 2026-02-30",
    "date: 2026-01-01",
    "practices: [knw07]",
    "  - a",
    "- ",
    "? ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "!!python/object:os.x",
    "!!python/object/apply:os.system [x]",
    "!!bool maybe",
    "!!timestamp soon",
    "!!int x",
    "!local",
    "!!binary x",
    "\t",
    "'",
    '"',
    "\\",
    "#",
    "|",
    ">",
    "%YAML 1.2",
    "key",
    "\ufeff",
    "\r\n",
    "\r",
    "\x00",
    "é",
    "政",
    " ",
    "  ",
    "~",
    "null",
    "id: X\nid: Y",
]
MD_BITS = [
    "# ",
    "## H",
    "### ",
    "####### x",
    " #",
    "Heading",
    "===",
    "---",
    "- - -",
    "```",
    "~~~",
    "````",
    "<!-- escm: knw07.b1 -->",
    "<!-- escm: knw07.b1, KNW08.C2 x -->",
    "<!--",
    "-->",
    "<!-- escm:",
    "escm:",
    "knw07.b1",
    "words and more words ",
    "\n",
    "\n",
    "\n",
    "    code",
    "[escm: knw07.b1]",
    "\r\n",
    "\ufeff",
    "\t",
    "  ",
    "#",
]


def texts(bits: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(bits), st.text(max_size=8))
    return st.lists(piece, max_size=60).map("".join)


FRONT = st.builds(
    lambda a, b, c: a + b + c,
    st.sampled_from(["---\n", "", "\n---\n", "---\r\n", "\ufeff---\n"]),
    texts(YAML_BITS),
    st.sampled_from(["\n---\n", "\n...\n", "", "\n---"]),
)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _check_findings(problems: tuple, path: str, last_line: int) -> None:  # type: ignore[type-arg]
    for f in problems:
        assert f.rule in CATALOGUE
        assert f.path == path
        assert f.line is None or 1 <= f.line <= last_line, (f, last_line)


# ----------------------------------------------------------------------------- front matter


@SETTINGS
@given(FRONT, texts(MD_BITS))
def test_front_matter_reader(head: str, body: str) -> None:
    text = normalise_text(head + body)
    fm = split_front_matter(text, "doc.md")
    assert fm == split_front_matter(text, "doc.md")  # deterministic
    n = _lines(text)
    _check_findings(fm.meta.problems, "doc.md", n)
    json.dumps(fm.meta.data)  # plain data only: no objects, dates as text
    if not fm.present:
        assert fm.body == text and fm.body_line == 1 and not fm.meta.data
        return
    lines = text.split("\n")
    if fm.body_line > 1:  # closed: the body is what follows the closing line
        close = fm.body_line - 2  # 0-based index of the closing `---`
        assert lines[0].rstrip() == "---" and lines[close].rstrip() in ("---", "...")
        assert fm.body == "\n".join(lines[close + 1 :])
        for key, line in fm.meta.lines.items():
            assert 2 <= line <= close, (key, line, close)  # inside the front matter
            assert key in fm.meta.data or not fm.meta.ok
    if not fm.meta.ok:
        assert fm.meta.problems and not fm.meta.data


@SETTINGS
@given(texts(YAML_BITS), st.integers(min_value=0, max_value=50))
def test_load_mapping(text: str, offset: int) -> None:
    text = normalise_text(text)  # what every caller passes: LF line ends, no BOM
    block = load_mapping(text, "x.yaml", line_offset=offset)
    assert block == load_mapping(text, "x.yaml", line_offset=offset)
    # libyaml puts an error at the end of the text on the line after it: in front matter, the
    # closing `---`
    _check_findings(block.problems, "x.yaml", offset + _lines(text) + 1)
    json.dumps(block.data)
    for line in block.lines.values():
        assert offset + 1 <= line <= offset + _lines(text)
    assert block.ok or not block.data


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']",
        "!!python/object:os.X\n{a: 1}",
        "a: !!python/name:os.system",
        "? !!python/name:os.system x\n: 1",
        "a: [!!python/object/new:os.system [x]]",
    ],
)
def test_python_tags_are_refused_not_run(text: str) -> None:
    block = load_mapping(text, "x.md")
    assert not block.ok and not block.data
    assert "not allowed" in block.problems[0].message


# YAML nested past any limit (bench/adversarial.py times it)
DEEP_NESTING = [
    "id: " + "[" * 100_000 + "]" * 100_000,
    "- " * 100_000 + "x",
    "? " * 100_000 + "x",
    "a: " + "{a: " * 60_000 + "}" * 60_000,
    "a: " + '["]", ' * 40_000,
]


@pytest.mark.parametrize("text", DEEP_NESTING)
def test_deep_nesting_is_refused_quickly_without_crashing(text: str) -> None:
    # libyaml recurses in C per level: without the guard these overflow the C stack (SIGSEGV)
    block = load_mapping(text, "x.md")
    assert not block.ok


# ----------------------------------------------------------------------------- Markdown


@SETTINGS
@given(FRONT, texts(MD_BITS))
def test_markdown_parser(head: str, body: str) -> None:
    text = head + body
    doc = parse_markdown(text, "doc.md")
    assert doc == parse_markdown(text, "doc.md")
    n = _lines(normalise_text(text))
    _check_findings(doc.problems, "doc.md", n)
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for s in doc.sections:
        assert 1 <= s.start <= s.end <= n, (s.start, s.end, n)
        for t in s.tags:
            assert s.start <= t.line <= s.end
            assert TAG_ID.match(t.key)
    for a in doc.sections:  # spans nest (a section holds its sub-sections) and never cross
        for b in doc.sections:
            if a.start < b.start <= a.end:
                assert b.end <= a.end and b.level > a.level, (a, b)
    body_start = split_front_matter(normalise_text(text), "doc.md").body_line
    for key, line in doc.meta_lines.items():
        assert 1 < line < body_start, (key, line)
    assert "<!--" not in doc.text or "-->" not in doc.text.split("<!--", 1)[1]
    # the check reads without keeping the text: the same Document as dropping it after reading
    lean = parse_markdown(text, "doc.md", keep_text=False)
    assert lean == doc.without_text() and lean.without_text() is lean


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.text(alphabet="abc xyz", min_size=1, max_size=9), st.booleans()), max_size=12
    )
)
def test_markdown_headings_and_tags_are_found(heads: list[tuple[int, str, bool]]) -> None:
    lines = []
    for level, title, tagged in heads:
        lines.append("#" * level + " " + title)
        if tagged:
            lines.append("<!-- escm: knw07.b1 -->")
        lines.append("Some words.")
    doc = parse_markdown("\n".join(lines), "doc.md")
    headed = [s for s in doc.sections if s.level > 0]
    assert [(s.level, s.heading) for s in headed] == [(lv, t.strip()) for lv, t, _ in heads]
    assert [bool(s.tags) for s in headed] == [tagged for _, _, tagged in heads]


# Markdown that once made the scanner quadratic (bench/adversarial.py times it)
SLOW_MARKDOWN = [
    "# a" + " " * 200_000 + "b",
    "<!-- escm:" + " " * 200_000 + "x",
    "<!--\n" * 100_000,
    "<!-- escm: " + "knw07.b1, " * 100_000 + "-->",
]


@pytest.mark.parametrize("text", SLOW_MARKDOWN)
def test_markdown_scanning_is_linear(text: str) -> None:
    # these backtracked quadratically (minutes to hours) in the regular expressions replaced
    parse_markdown(text, "doc.md")


# ----------------------------------------------------------------------------- known slow spots


def test_identity_parser_is_linear_on_spaces() -> None:
    parse_identity.cache_clear()
    assert parse_identity("a" + " " * 20_000 + "b") == ("a" + " " * 20_000 + "b", "")


# letters of every kind sre's classes tell apart: ASCII and not, digits that are and are not
# decimal, the underscore, marks, and what separates words
WORDISH = (
    st.integers(0, 60)
    .flatmap(
        lambda n: st.lists(
            st.tuples(
                st.sampled_from(["ab", "a", "Zé", "ß", "Жи", "中文", "1", "²", "½", "_", "x1y", "e\u0301", "’"]),
                st.sampled_from(["", " ", "-", "\n", ", "]),
            ),
            min_size=n,
            max_size=n,
        )
    )
    .map(lambda parts: "".join(w + sep for w, sep in parts))
)


@SETTINGS
@given(st.one_of(WORDISH, st.text(max_size=120)))
def test_twenty_words_counts_as_the_word_pattern_does(text: str) -> None:
    assert twenty_words(text) == (len(_WORD.findall(text)) >= 20)


HEADINGISH = st.lists(
    st.sampled_from(["Scope", "scope", "Roles", "and", "K", "İ", "sign-off", "Q&A", "2", "", " ", "-", "é", "Step"]),
    max_size=6,
).map(" ".join)


@SETTINGS
@given(
    st.lists(st.lists(st.one_of(HEADINGISH, st.text(max_size=12)), max_size=4), max_size=4),
    st.one_of(HEADINGISH, st.text(max_size=40)),
)
def test_a_heading_names_the_parts_whose_words_stand_whole_in_it(parts: list[list[str]], heading: str) -> None:
    # DocType.parts_named looks words up in a set; the rule it keeps: " word " is in the heading
    doc_type = DocType("t", "", tuple(DocTypePart(f"p{i}", tuple(words)) for i, words in enumerate(parts)))
    words = heading_words(heading)
    padded = [[f" {w.lower()} " for w in ws] for ws in parts]
    assert doc_type.parts_named(heading) == {i for i, ws in enumerate(padded) if any(w in words for w in ws)}
    assert [heading_names(heading, ws) for ws in parts] == [any(w in words for w in ws) for ws in padded]


def test_findings_the_sort_key_cannot_tell_apart_keep_one_order_in_every_process() -> None:
    import os
    import subprocess
    import sys

    # three findings alike but for their hint, and a repeat: string hashes differ per process
    code = (
        "from escm_check.findings import make, sort_findings\n"
        "fs = [make('file-skipped', 'same', path='a.md', hint=h) for h in ('first', 'second', 'third', 'first')]\n"
        "print([f.hint for f in sort_findings(fs)])\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for seed in range(8)
    }
    assert seen == {"['first', 'second', 'third']\n"}
