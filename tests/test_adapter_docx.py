"""The Word reader on real .docx files written with python-docx, and on hostile packages."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from escm_check.adapters.docx import read_docx
from escm_check.adapters.limits import Limits
from escm_check.documents import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .docfactory import (
    Heading,
    Para,
    Table,
    billion_laughs_docx,
    build_docx,
    document_xml,
    docx_without_document_part,
    external_entity_docx,
    legacy_doc,
    password_protected_docx,
    rewrite_part,
    zip_bomb_docx,
)

LIMITS = Limits()
PROSE = "The quality manager keeps every controlled document under version and change control."


def read(path: Path, limits: Limits = LIMITS) -> Document:
    return read_docx(path, path.name, limits)


def only_error(doc: Document) -> str:
    """The document failed with exactly one parse-error finding; its message."""
    assert doc.error is not None
    assert [f.rule for f in doc.problems] == ["parse-error"]
    assert doc.problems[0].severity == "error"
    assert doc.problems[0].path == doc.path
    assert doc.sections == () and doc.metadata == {}
    return doc.error


# ------------------------------------------------------------------ metadata


def test_custom_properties_are_the_metadata(tmp_path: Path) -> None:
    path = build_docx(
        tmp_path / "policy.docx",
        [Heading("Purpose"), PROSE],
        custom={
            "id": "POL-KNW-07",
            "Title": "Version control policy",
            "type": "policy",
            "practices": "knw07, prf02",
            "satisfies": "knw07.b1, knw07.b2, prf02.b1",
            "status": "approved",
            "version": "2.10",
            "owner": "Quality Manager",
            "Approved By": "Chief Operating Officer",
            "approved_on": dt.date(2026, 2, 14),
            "review_cycle": "12 months",
            "ContentTypeId": "0x0101",
            "Pages": 12,
        },
    )
    doc = read(path)
    assert doc.error is None and doc.problems == ()
    assert doc.format == "docx" and doc.location_kind == "paragraph"
    assert doc.meta_source == "docx-properties" and doc.has_metadata
    m = doc.metadata
    assert m["id"] == "POL-KNW-07"
    assert m["title"] == "Version control policy"  # custom wins over the core title
    assert m["practices"] == ["knw07", "prf02"]
    assert m["satisfies"] == {"knw07": ["b1", "b2"], "prf02": ["b1"]}
    assert m["version"] == "2.10"
    assert m["approved_by"] == "Chief Operating Officer"
    assert m["approved_on"] == "2026-02-14"
    assert m["ContentTypeId"] == "0x0101" and m["Pages"] == 12  # other keys are kept
    # properties have no paragraph: recorded, with location 0
    assert doc.meta_line("id") == 0 and set(doc.meta_lines) == set(m)


def test_numeric_version_keeps_its_digits(tmp_path: Path) -> None:
    """A version typed as a number in Word's dialog is stored as text; 2.10 stays 2.10."""
    path = build_docx(tmp_path / "v.docx", ["x"], custom={"id": "A", "version": 1.5})
    custom = (
        b'<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property '
        b'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="version">'
        b'<vt:r8>2.10</vt:r8></property><property fmtid="{D5CDD505-2E9C-101B-9397-'
        b'08002B2CF9AE}" pid="3" name="reviewed"><vt:bool>true</vt:bool></property>'
        b"</Properties>"
    )
    rewrite_part(path, "docProps/custom.xml", custom)
    doc = read(path)
    assert doc.metadata["version"] == "2.10"
    assert doc.metadata["reviewed"] is True


def test_core_properties_fill_gaps(tmp_path: Path) -> None:
    path = build_docx(
        tmp_path / "core.docx",
        ["x"],
        custom={"id": "A", "practices": "knw07"},
        core={
            "title": "Core title",
            "version": "3",
            "revision": 7,
            "category": "procedure",
            "keywords": "change, control",
            "last_modified_by": "Ana",
        },
    )
    m = read(path).metadata
    assert m["title"] == "Core title" and m["version"] == "3"
    assert m["revision"] == "7" and m["category"] == "procedure"
    assert m["keywords"] == "change, control" and m["last_modified_by"] == "Ana"
    assert "created" in m and "modified" in m


def test_core_properties_alone_are_not_evidence_metadata(tmp_path: Path) -> None:
    doc = read(build_docx(tmp_path / "plain.docx", ["x"], core={"title": "A title"}))
    assert doc.metadata["title"] == "A title"
    assert not doc.has_metadata


def test_malformed_satisfies_is_reported(tmp_path: Path) -> None:
    doc = read(build_docx(tmp_path / "s.docx", ["x"], custom={"id": "A", "satisfies": "knw07.b1; knw07"}))
    assert doc.metadata["satisfies"] == {"knw07": ["b1"]}
    [f] = doc.problems
    assert f.rule == "front-matter-invalid" and "'knw07'" in f.message


def test_sidecar_wins_over_properties(tmp_path: Path) -> None:
    path = build_docx(tmp_path / "p.docx", ["x"], custom={"id": "FROM-PROPS"})
    (tmp_path / "p.docx.yaml").write_text("id: FROM-SIDECAR\npractices: [knw07]\n")
    doc = read(path)
    assert doc.meta_source == "sidecar" and doc.has_metadata
    assert doc.metadata == {"id": "FROM-SIDECAR", "practices": ["knw07"]}
    assert doc.meta_lines == {"id": 1, "practices": 2}


# ------------------------------------------------------------------ sections and tags


def test_headings_sections_and_tags(tmp_path: Path) -> None:
    path = build_docx(
        tmp_path / "proc.docx",
        [
            Heading("Change control procedure", 0),  # 1  Title
            "Preamble words.",  # 2
            Heading("Purpose"),  # 3
            PROSE,  # 4
            "[escm: knw07.b3, KNW07.B4]",  # 5
            Heading("Roles", 2),  # 6
            Table([["Role", "Duty"], ["Owner", "Approves [escm: knw07.b5]"]]),  # 7-10
            Heading("Records [escm: knw07.c1]"),  # 11
            "Minutes are kept.",  # 12
        ],
    )
    doc = read(path)
    assert doc.problems == ()
    heads = [(s.heading, s.level, s.start, s.end) for s in doc.sections]
    assert heads == [
        ("Change control procedure", 1, 1, 2),
        ("Purpose", 1, 3, 10),
        ("Roles", 2, 6, 10),
        ("Records", 1, 11, 12),
    ]
    purpose, roles, records = doc.sections[1], doc.sections[2], doc.sections[3]
    assert [(t.key, t.line) for t in purpose.tags] == [("knw07.b3", 5), ("knw07.b4", 5)]
    assert [(t.key, t.line) for t in roles.tags] == [("knw07.b5", 10)]
    assert [(t.key, t.line) for t in records.tags] == [("knw07.c1", 11)]
    # a section's text has its sub-sections' text, table cells included, markers removed
    assert PROSE in purpose.text and "Approves" in purpose.text and "Owner" in roles.text
    assert "escm" not in purpose.text and purpose.substantive
    assert "[escm: knw07.b3" in doc.text  # the plain text is the text as written
    assert [t.key for t in doc.tags] == ["knw07.b3", "knw07.b4", "knw07.b5", "knw07.c1"]


def test_text_before_first_heading_is_a_level_zero_section(tmp_path: Path) -> None:
    doc = read(build_docx(tmp_path / "p.docx", ["Intro [escm: knw07.b1]", Heading("Body"), "x"]))
    first = doc.sections[0]
    assert (first.heading, first.level, first.start, first.end) == ("", 0, 1, 1)
    assert [t.key for t in first.tags] == ["knw07.b1"]


def test_malformed_marker_is_a_finding_at_its_paragraph(tmp_path: Path) -> None:
    doc = read(build_docx(tmp_path / "p.docx", [Heading("A"), "[escm: knw07, knw07.b2]", "[escm: ]"]))
    assert [t.key for t in doc.tags] == ["knw07.b2"]
    assert [(f.rule, f.line) for f in doc.problems] == [("unknown-activity", 2), ("unknown-activity", 3)]


def test_custom_style_based_on_heading_and_localised_style_ids(tmp_path: Path) -> None:
    document = docx.Document()
    styles = document.styles
    styles["Heading 1"].style_id = "berschrift1"  # what a German Word writes
    custom = styles.add_style("Appendix Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = styles["Heading 2"]
    document.add_heading("Geltungsbereich", level=1)
    document.add_paragraph("Text [escm: knw07.b1]")
    document.add_paragraph("Appendix A", style="Appendix Heading")
    document.add_paragraph("Quote", style="Quote")
    path = tmp_path / "de.docx"
    document.save(str(path))
    doc = read(path)
    assert [(s.heading, s.level) for s in doc.sections] == [("Geltungsbereich", 1), ("Appendix A", 2)]


def test_empty_heading_paragraph_is_not_a_section(tmp_path: Path) -> None:
    doc = read(build_docx(tmp_path / "p.docx", [Heading("A"), Heading(""), "x"]))
    assert [s.heading for s in doc.sections] == ["A"]


def test_tracked_changes_and_text_boxes(tmp_path: Path) -> None:
    """Deleted text is not read; an mc:Fallback copy of a text box is not read twice."""
    path = build_docx(tmp_path / "t.docx", [Heading("A"), "PLACEHOLDER"])
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = document_xml(path).decode()
    para = (
        '<w:r><w:t xml:space="preserve">kept </w:t></w:r>'
        '<w:del w:id="1" w:author="x"><w:r><w:delText>deleted</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="x"><w:r><w:t>inserted</w:t></w:r></w:ins>'
        '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
        'markup-compatibility/2006"><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        "<w:p><w:r><w:t>boxed [escm: knw07.b2]</w:t></w:r></w:p></w:txbxContent></w:drawing>"
        "</mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>boxed [escm: "
        "knw07.b2]</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    assert f'xmlns:w="{w}"' in xml
    xml = xml.replace("<w:r><w:t>PLACEHOLDER</w:t></w:r>", para)
    rewrite_part(path, "word/document.xml", xml.encode())
    doc = read(path)
    assert doc.error is None
    assert "kept inserted" in doc.text and "deleted" not in doc.text
    assert doc.text.count("boxed") == 1
    assert [(t.key, t.line) for t in doc.tags] == [("knw07.b2", 3)]


def test_docm_and_misnamed_doc_are_read(tmp_path: Path) -> None:
    src = build_docx(tmp_path / "m.docx", [Heading("A"), "x"], custom={"id": "M"})
    ct = (
        zipfile.ZipFile(src)
        .read("[Content_Types].xml")
        .replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
    )
    docm = tmp_path / "m.docm"
    docm.write_bytes(src.read_bytes())
    rewrite_part(docm, "[Content_Types].xml", ct)
    assert read(docm).metadata["id"] == "M"
    doc_named = tmp_path / "really-docx.doc"
    doc_named.write_bytes(src.read_bytes())
    assert read(doc_named).metadata["id"] == "M"


# ------------------------------------------------------------------ hostile and broken input


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_text("just some text\n")
    assert "not a Word package" in only_error(read(path))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    path.write_bytes(b"")
    assert "empty" in only_error(read(path))


def test_truncated_zip(tmp_path: Path) -> None:
    src = build_docx(tmp_path / "whole.docx", [Heading("A"), PROSE])
    path = tmp_path / "cut.docx"
    path.write_bytes(src.read_bytes()[:2000])
    assert "zip" in only_error(read(path))


def test_corrupt_part_data(tmp_path: Path) -> None:
    path = build_docx(tmp_path / "crc.docx", [Heading("A"), PROSE * 20])
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    msg = only_error(read(path))
    assert "word/document.xml" in msg


def test_without_document_part(tmp_path: Path) -> None:
    msg = only_error(read(docx_without_document_part(tmp_path / "nodoc.docx")))
    assert "no document part" in msg and "word/document.xml" in msg


def test_other_office_format_renamed(tmp_path: Path) -> None:
    path = tmp_path / "book.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    assert "not a Word document" in only_error(read(path))


def test_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    path = zip_bomb_docx(tmp_path / "bomb.docx", unzipped_mib=64)
    assert path.stat().st_size < 1024 * 1024
    msg = only_error(read(path))
    assert "max_zip_ratio" in msg
    # with the ratio allowed, the total size limit still holds
    msg = only_error(read(path, Limits(max_zip_ratio=10_000, max_unzipped_bytes=32 * 2**20)))
    assert "max_unzipped_bytes" in msg and "32 MiB" in msg


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    msg = only_error(read(billion_laughs_docx(tmp_path / "lol.docx")))
    assert "word/document.xml" in msg and "DTD" in msg


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = read(external_entity_docx(tmp_path / "xxe.docx", target=secret.as_uri()))
    msg = only_error(doc)
    assert "docProps/custom.xml" in msg
    assert "TOP-SECRET" not in repr(doc)


def test_password_protected(tmp_path: Path) -> None:
    doc = read(password_protected_docx(tmp_path / "locked.docx"))
    assert "password" in only_error(doc)
    assert "password" in doc.problems[0].hint.lower()


def test_legacy_doc(tmp_path: Path) -> None:
    doc = read(legacy_doc(tmp_path / "old.doc"))
    msg = only_error(doc)
    assert "97-2003" in msg and "convert" in msg
    assert ".docx" in doc.problems[0].hint


def test_rtf_named_doc(tmp_path: Path) -> None:
    path = tmp_path / "letter.doc"
    path.write_bytes(b"{\\rtf1\\ansi Hello}")
    assert "RTF" in only_error(read(path))


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = build_docx(tmp_path / "big.docx", [PROSE] * 50)
    msg = only_error(read(path, Limits(max_file_bytes=1000)))
    assert "max_file_bytes" in msg


def test_symlink_is_not_followed(tmp_path: Path) -> None:
    target = build_docx(tmp_path / "real.docx", ["x"], custom={"id": "R"})
    link = tmp_path / "link.docx"
    link.symlink_to(target)
    doc = read(link)
    assert doc.error is not None and [f.rule for f in doc.problems] == ["file-skipped"]


def test_dtd_in_styles_part_is_refused(tmp_path: Path) -> None:
    path = build_docx(tmp_path / "s.docx", [Heading("A"), "x"])
    styles = zipfile.ZipFile(path).read("word/styles.xml").decode()
    styles = styles.replace("?>", '?><!DOCTYPE w:styles [<!ENTITY e SYSTEM "http://example.invalid/x">]>', 1)
    rewrite_part(path, "word/styles.xml", styles.encode())
    assert "word/styles.xml" in only_error(read(path))


# ------------------------------------------------------------------ properties


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
_block = st.one_of(
    _text.map(Para),
    st.tuples(_text, st.integers(1, 4)).map(lambda t: Heading(t[0], t[1])),
    st.sampled_from(
        ["[escm: knw07.b3]", "[escm: knw07.b1, prf02.c5]", "[escm: oops]", "[escm: knw07.b3", "escm: knw07.b4]"]
    ).map(Para),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.lists(_block, max_size=12))
def test_sections_keep_their_invariants(tmp_path: Path, blocks: list[Para | Heading]) -> None:
    path = build_docx(tmp_path / "h.docx", blocks)
    doc = read(path)
    assert doc.error is None
    count = len(blocks)
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for s in doc.sections:
        assert 1 <= s.start <= s.end <= max(count, 1)
        for t in s.tags:
            assert s.start <= t.line <= s.end
        assert "[escm: knw07.b3]" not in s.text
    valid = sum(
        b.text.count(".")
        for b in blocks
        if isinstance(b, Para) and b.text.startswith("[escm: ") and b.text.endswith("]")
    )
    assert len(doc.tags) == valid


def test_too_many_zip_entries(tmp_path: Path) -> None:
    path = build_docx(tmp_path / "many.docx", [Heading("A"), "x"])
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(10_001):
            zf.writestr(f"junk/{i}.xml", b"")
    assert "entries" in only_error(read(path))
