"""Sidecar metadata for any file, string properties, and `[escm: ...]` markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from escm_check.adapters.limits import Limits
from escm_check.adapters.sidecar import (
    Property,
    canonical_key,
    find_markers,
    iso_date,
    parse_satisfies,
    property_metadata,
    read_sidecar,
    sidecar_path,
    split_list,
)
from escm_check.documents import TAG_ID
from escm_check.formats import is_sidecar_name, sidecar_rel
from hypothesis import given
from hypothesis import strategies as st

LIMITS = Limits()


def record(tmp_path: Path, yaml_text: str | bytes) -> Path:
    xlsx = tmp_path / "records" / "audit-log.xlsx"
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    xlsx.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    side = sidecar_path(xlsx)
    if isinstance(yaml_text, bytes):
        side.write_bytes(yaml_text)
    else:
        side.write_text(yaml_text, encoding="utf-8")
    return xlsx


def test_names() -> None:
    assert sidecar_path(Path("/r/a/report.pdf")) == Path("/r/a/report.pdf.yaml")
    assert sidecar_rel("a/audit-log.xlsx") == "a/audit-log.xlsx.yaml"
    assert is_sidecar_name("a/report.pdf.yaml") and is_sidecar_name("log.xlsx.YML")
    assert not is_sidecar_name("config.yaml") and not is_sidecar_name(".escm-check.yaml")
    assert not is_sidecar_name("report.pdf")


def test_sidecar_document_for_a_spreadsheet(tmp_path: Path) -> None:
    xlsx = record(
        tmp_path,
        "---\nid: REC-AUD-2026\ntype: record\npractices: [prf02]\nsatisfies:\n  prf02: [c5]\ndate: 2026-03-01\n",
    )
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)
    assert doc is not None
    assert doc.path == "records/audit-log.xlsx" and doc.format == "sidecar"
    assert doc.meta_source == "sidecar" and doc.has_metadata and doc.error is None
    assert doc.metadata == {
        "id": "REC-AUD-2026",
        "type": "record",
        "practices": ["prf02"],
        "satisfies": {"prf02": ["c5"]},
        "date": "2026-03-01",
    }
    assert doc.meta_line("id") == 2 and doc.meta_line("date") == 7
    assert doc.sections == () and doc.problems == ()


def test_no_sidecar(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"x")
    assert read_sidecar(tmp_path / "a.xlsx", "a.xlsx", LIMITS) is None


def test_invalid_yaml_names_the_sidecar_and_line(tmp_path: Path) -> None:
    xlsx = record(tmp_path, "id: A\npractices: [prf02\n")
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)
    assert doc is not None and not doc.has_metadata and doc.metadata == {}
    [f] = doc.problems
    assert f.rule == "yaml-error" and f.path == "records/audit-log.xlsx.yaml" and f.line


def test_yaml_traps_are_reported(tmp_path: Path) -> None:
    xlsx = record(tmp_path, "id: A\nversion: 2.10\nstatus: yes\n")
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)
    assert doc is not None and doc.metadata["version"] == "2.10"
    assert {f.rule for f in doc.problems} == {"version-not-string", "yaml-error"}


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    xlsx = record(tmp_path, "\n".join(lines) + "\n")
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)
    assert doc is not None and not doc.has_metadata
    assert [f.rule for f in doc.problems] == ["yaml-error"]


def test_not_utf8(tmp_path: Path) -> None:
    xlsx = record(tmp_path, b"id: A\ntitle: \xff\xfe caf\xe9\n")
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)
    assert doc is not None
    [f] = doc.problems
    assert f.rule == "yaml-error" and "UTF-8" in f.message and f.line == 2


def test_sidecar_over_size_limit(tmp_path: Path) -> None:
    xlsx = record(tmp_path, "id: A\n" + "# padding\n" * 200)
    doc = read_sidecar(xlsx, "records/audit-log.xlsx", Limits(max_file_bytes=100))
    assert doc is not None and "max_file_bytes" in doc.problems[0].message


def test_symlinked_sidecar_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: STOLEN\n")
    xlsx = tmp_path / "a.xlsx"
    xlsx.write_bytes(b"x")
    sidecar_path(xlsx).symlink_to(outside)
    doc = read_sidecar(xlsx, "a.xlsx", LIMITS)
    assert doc is not None and doc.metadata == {}
    assert [f.rule for f in doc.problems] == ["file-skipped"]


# ------------------------------------------------------------------ properties


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Approved By", "approved_by"),
        ("approved-by", "approved_by"),
        ("PRACTICES", "practices"),
        (" id ", "id"),
        ("Next Review", "next_review"),
        ("ContentTypeId", "ContentTypeId"),
    ],
)
def test_canonical_key(name: str, key: str) -> None:
    assert canonical_key(name) == key


def test_property_metadata() -> None:
    meta = property_metadata(
        [
            Property("Practices", "knw07; prf02 ,, tch01"),
            Property("satisfies", "KNW07.B1, knw07.b1, knw07.b2, prf02.c5, nope"),
            Property("approved_on", "2026-02-14T00:00:00Z"),
            Property("next_review", "in a year"),
            Property("version", "2.10", 2.1),
            Property("Custom", "1", 1),
        ],
        "p.docx",
        "custom document property",
    )
    assert meta.data == {
        "practices": ["knw07", "prf02", "tch01"],
        "satisfies": {"knw07": ["b1", "b2"], "prf02": ["c5"]},
        "approved_on": "2026-02-14",
        "next_review": "in a year",
        "version": "2.10",
        "Custom": 1,
    }
    assert meta.has_evidence
    [f] = meta.problems
    assert f.rule == "front-matter-invalid" and "'nope'" in f.message


def test_helpers() -> None:
    assert split_list(" a, b;c  d ") == ["a", "b", "c", "d"]
    assert parse_satisfies("") == ({}, [])
    assert iso_date("2026-02-14 10:00:00+01:00") == "2026-02-14"
    assert iso_date(12) == 12


# ------------------------------------------------------------------ markers


def test_markers() -> None:
    found = find_markers("See [escm: knw07.b3, KNW07.b4] and [ESCM:prf02.c5].", "p.docx", 7)
    assert [(t.key, t.line) for t in found.tags] == [("knw07.b3", 7), ("knw07.b4", 7), ("prf02.c5", 7)]
    assert "escm" not in found.text.lower() and found.problems == ()


def test_text_without_markers_is_untouched() -> None:
    found = find_markers("An [ordinary] paragraph about escm.", "p.docx", 1)
    assert found.tags == () and found.text == "An [ordinary] paragraph about escm."


_marker_text = st.text(alphabet=st.sampled_from(list("[]escmESCM:.,; knw07b3a\n\t-x")), max_size=80)


@given(st.one_of(_marker_text, st.text(max_size=80)), st.integers(1, 10_000))
def test_markers_never_raise_and_keep_invariants(text: str, location: int) -> None:
    found = find_markers(text, "f.pdf", location, where="page")
    for t in found.tags:
        assert TAG_ID.match(t.key) and t.line == location
    for f in found.problems:
        assert f.rule == "unknown-activity" and f.line == location
    assert len(found.text) <= len(text) + text.count("]")


def test_marker_scan_is_linear() -> None:
    text = "[escm: " * 20_000 + "knw07.b3"  # never closed: must not backtrack
    found = find_markers(text, "f.pdf", 1)
    assert found.tags == ()
