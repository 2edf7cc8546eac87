"""The crosswalk file: read, validated against the pack and the documents (file:line), written."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from escm_check.crosswalk import (
    Entry,
    check_crosswalk,
    dump_crosswalk,
    load_crosswalk,
    parse_crosswalk,
    write_crosswalk,
)
from escm_check.rulepack import Pack, load_pack

DOCS: dict[str, list[str] | None] = {
    "policies/security.md": ["Security policy", "Incident response"],
    "scans/bcp.pdf": ["Page 1", "Page 2"],
    "word/legacy.docx": None,  # sections not known
}

GOOD = """\
version: 1
entries:
  - path: policies/security.md
    section: Incident response
    practices: [thr04]
    satisfies: {thr04: [b1, b2]}
    status: accepted
  - path: scans/bcp.pdf
    page: 2
    practices: [thr07]
    status: suggested
    score: 0.83
    note: signed on paper
  - path: word/legacy.docx
    section: Anything
    practices: [knw07]
    status: accepted
"""


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("escm-sp-v2")


def test_a_good_file_loads_with_lines_and_only_accepted_entries_count(pack: Pack) -> None:
    cw, problems = parse_crosswalk(GOOD, "cw.yaml")
    assert problems == []
    assert [e.line for e in cw.entries] == [3, 8, 14]
    first, second, _ = cw.entries
    assert first.section == "Incident response" and first.satisfies == {"thr04": ("b1", "b2")}
    assert second.page == 2 and second.score == 0.83 and not second.accepted
    assert [e.path for e in cw.accepted()] == ["policies/security.md", "word/legacy.docx"]
    assert check_crosswalk(cw, pack, DOCS) == []


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (("path: policies/security.md", "path: policies/securty.md"), 3, "did you mean policies/security.md"),
        (("practices: [knw07]", "practices: [knw77]"), 14, "no such Practice 'knw77'; did you mean knw07"),
        (("{thr04: [b1, b2]}", "{thr04: [b1, b42]}"), 3, "thr04 has no Required Activity 'b42'"),
        (("{thr04: [b1, b2]}", "{thr07: [b1]}"), 3, "does not list it in practices"),
        (("section: Incident response", "section: Incidents"), 3, "no section headed 'Incidents'"),
        (("page: 2", "page: 7"), 8, "no page 7"),
    ],
)
def test_unknown_path_practice_activity_or_section_is_located(
    pack: Pack, change: tuple[str, str], line: int, expected: str
) -> None:
    cw, problems = parse_crosswalk(GOOD.replace(*change), "cw.yaml")
    assert problems == []
    found = check_crosswalk(cw, pack, DOCS)
    assert [(p.path, p.line) for p in found] == [("cw.yaml", line)]
    assert expected in found[0].problem


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (("status: accepted\n  - path: scans", "status: approved\n  - path: scans"), 7, "status"),
        (("    page: 2\n", "    page: 2\n    section: Intro\n"), 8, "entries/1"),
        (("    score: 0.83", "    score: 1.5"), 12, "score"),
        (("    note: signed on paper", "    notes: signed"), 13, "unknown key 'notes'"),
        (("path: policies/security.md", "path: ../outside.md"), 3, "path"),
        (("version: 1", "version: 2"), 1, "version"),
    ],
)
def test_schema_problems_are_located_and_the_other_entries_kept(
    change: tuple[str, str], line: int, expected: str
) -> None:
    cw, problems = parse_crosswalk(GOOD.replace(*change), "cw.yaml")
    assert problems and problems[0].line == line and expected in problems[0].problem, problems
    assert str(problems[0]).startswith(f"cw.yaml:{line}: ")
    assert len(cw.entries) == (3 if "version" in expected else 2)


def test_a_mapping_repeated_is_reported_at_the_second_entry(pack: Pack) -> None:
    again = "  - path: policies/security.md\n    section: Incident response\n    practices: [thr04]\n"
    again += "    status: suggested\n"
    text = GOOD + again
    found = check_crosswalk(parse_crosswalk(text, "cw.yaml")[0], pack, DOCS)
    assert [(p.line, "first at line 3" in p.problem) for p in found] == [(18, True)]


def test_yaml_errors_and_unreadable_files_are_values(tmp_path: Path) -> None:
    cw, problems = parse_crosswalk("version: 1\nentries: [\n", "cw.yaml")
    assert cw.entries == () and problems[0].path == "cw.yaml" and "YAML" in problems[0].problem
    cw, problems = load_crosswalk(tmp_path / "missing.yaml")
    assert cw.entries == () and "cannot read" in problems[0].problem


def test_written_file_reads_back_equal_and_is_stable(tmp_path: Path, pack: Pack) -> None:
    entries = [
        Entry("a b/é.md", ("thr07",), "suggested", satisfies={"thr07": ("b2", "b4")}, score=0.5, note="x: y # z"),
        Entry("scans/bcp.pdf", ("thr07", "tfr03"), "accepted", page=3),
        Entry("p.md", ("knw07",), "accepted", section="Change: control"),
    ]
    target = tmp_path / "cw.yaml"
    write_crosswalk(target, entries, "eSCM-SP")
    text = target.read_bytes()
    assert text.startswith(b"# Crosswalk") and b"\r" not in text
    assert dump_crosswalk(entries, "eSCM-SP").encode() == text
    back, problems = load_crosswalk(target)
    assert problems == []
    assert [msgspec.structs.replace(e, line=None) for e in back.entries] == entries
    docs = {"a b/é.md": None, "scans/bcp.pdf": ["Page 3"], "p.md": ["Change: control"]}
    assert check_crosswalk(back, pack, docs) == []
