"""The PDF reader on reportlab-built PDFs, pypdf-added metadata and hand-made broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from escm_check.adapters.limits import Limits
from escm_check.adapters.pdf import pdf_date, read_pdf
from escm_check.documents import Document

from .docfactory import (
    _stream,
    build_pdf,
    circular_pdf,
    headerless,
    raw_pdf,
    truncated,
    xmp_packet,
)

LIMITS = Limits()
PROSE = "The quality manager keeps every controlled document under version control."


def read(path: Path, limits: Limits = LIMITS) -> Document:
    return read_pdf(path, path.name, limits)


def only_error(doc: Document) -> str:
    assert doc.error is not None
    assert [f.rule for f in doc.problems] == ["parse-error"]
    assert doc.problems[0].severity == "error" and doc.problems[0].path == doc.path
    return doc.error


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return build_pdf(
        tmp_path / "good.pdf", [f"Purpose\n{PROSE} [escm: knw07.b3]", "Records\nMinutes [escm: knw07.c1, knw07.c2]"]
    )


# ------------------------------------------------------------------ text, pages, tags


def test_pages_are_sections_and_tags_are_located_by_page(good: Path) -> None:
    doc = read(good)
    assert doc.error is None and doc.problems == ()
    assert doc.format == "pdf" and doc.location_kind == "page"
    assert [(s.heading, s.level, s.start, s.end) for s in doc.sections] == [("Page 1", 1, 1, 1), ("Page 2", 1, 2, 2)]
    assert [(t.key, t.line) for t in doc.tags] == [("knw07.b3", 1), ("knw07.c1", 2), ("knw07.c2", 2)]
    p1 = doc.sections[0]
    assert PROSE in p1.text and "escm" not in p1.text and p1.substantive
    assert not doc.sections[1].substantive
    assert doc.text.split("\f")[0].startswith("Purpose")
    assert "\r" not in doc.text


def test_marker_wrapped_across_lines(tmp_path: Path) -> None:
    doc = read(build_pdf(tmp_path / "w.pdf", ["text [escm: knw07.\nb3, prf02.b1\n]"]))
    assert [t.key for t in doc.tags] == ["knw07.b3", "prf02.b1"]


def test_malformed_marker_is_a_finding_on_its_page(tmp_path: Path) -> None:
    doc = read(build_pdf(tmp_path / "m.pdf", ["ok", "[escm: knw07]"]))
    assert [(f.rule, f.line) for f in doc.problems] == [("unknown-activity", 2)]


def test_page_without_text(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(10, 10, 100, 100, fill=1)
    c.showPage()
    c.save()
    doc = read(path)
    assert doc.error is None and len(doc.sections) == 1 and doc.text == ""


# ------------------------------------------------------------------ metadata


def test_info_dictionary_keys(tmp_path: Path) -> None:
    path = build_pdf(
        tmp_path / "i.pdf",
        ["x"],
        title="Audit report",
        info={
            "id": "REC-01",
            "Practices": "knw07 prf02",
            "Approved_By": "COO",
            "type": "record",
            "satisfies": "knw07.c1, knw07.c2",
            "date": "D:20260214",
        },
    )
    doc = read(path)
    m = doc.metadata
    assert doc.meta_source == "pdf-info" and doc.has_metadata
    assert m["id"] == "REC-01" and m["practices"] == ["knw07", "prf02"]
    assert m["approved_by"] == "COO" and m["title"] == "Audit report"
    assert m["satisfies"] == {"knw07": ["c1", "c2"]} and m["date"] == "2026-02-14"
    assert m["created"] == "2000-01-01T00:00:00+00:00"  # reportlab's invariant date
    assert doc.meta_line("id") == 0


def test_title_alone_is_not_evidence_metadata(tmp_path: Path) -> None:
    doc = read(build_pdf(tmp_path / "t.pdf", ["x"], title="Just a title"))
    assert doc.metadata["title"] == "Just a title" and not doc.has_metadata


def test_xmp_custom_properties(tmp_path: Path) -> None:
    xmp = xmp_packet({"id": "X-1", "practices": "knw07", "owner": "QM"}, title="XMP title")
    doc = read(build_pdf(tmp_path / "x.pdf", ["x"], xmp=xmp))
    assert doc.metadata["id"] == "X-1" and doc.metadata["practices"] == ["knw07"]
    assert doc.metadata["owner"] == "QM"
    assert doc.has_metadata and doc.meta_source in ("pdf-xmp", "pdf-info+xmp")


def test_standard_xmp_terms_are_not_our_keys(tmp_path: Path) -> None:
    """dc:type and dc:date are Dublin Core terms, not `type:` and `date:`; an own namespace is."""
    xmp = xmp_packet({"id": "X"}).replace(
        b"<pdfx:id>X</pdfx:id>",
        b"<dc:type><rdf:Bag><rdf:li>Text</rdf:li></rdf:Bag></dc:type><dc:date>2001</dc:date>"
        b'<org:owner xmlns:org="https://example.org/escm/">QM</org:owner>',
    )
    doc = read(build_pdf(tmp_path / "dc.pdf", ["x"], xmp=xmp))
    assert "type" not in doc.metadata and "date" not in doc.metadata
    assert doc.metadata["owner"] == "QM"


def test_info_wins_over_xmp(tmp_path: Path) -> None:
    xmp = xmp_packet({"id": "FROM-XMP", "owner": "XMP owner"})
    doc = read(build_pdf(tmp_path / "b.pdf", ["x"], info={"id": "FROM-INFO"}, xmp=xmp))
    assert doc.metadata["id"] == "FROM-INFO" and doc.metadata["owner"] == "XMP owner"
    assert doc.meta_source == "pdf-info+xmp"


def test_xmp_entities_are_never_expanded(tmp_path: Path) -> None:
    xmp = (
        xmp_packet({"id": "ENTITIES"})
        .replace(b"ENTITIES", b"&a;&a;&a;")
        .replace(b"<x:xmpmeta", b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x:xmpmeta', 1)
    )
    doc = read(build_pdf(tmp_path / "d.pdf", [PROSE], xmp=xmp))
    assert doc.error is None and "id" not in doc.metadata and PROSE in doc.text
    [f] = doc.problems
    assert f.severity == "warning" and "XMP" in f.message
    assert "aaaaaaaaaa" not in repr(doc)


def test_sidecar_first(tmp_path: Path, good: Path) -> None:
    path = build_pdf(tmp_path / "s.pdf", ["x"], info={"id": "FROM-INFO"})
    (tmp_path / "s.pdf.yaml").write_text("id: REC-7\ntype: record\ndate: 2026-01-31\n")
    doc = read(path)
    assert doc.meta_source == "sidecar" and doc.has_metadata
    assert doc.metadata == {"id": "REC-7", "type": "record", "date": "2026-01-31"}
    assert doc.meta_lines == {"id": 1, "type": 2, "date": 3}


def test_broken_sidecar_does_not_fall_back(tmp_path: Path) -> None:
    path = build_pdf(tmp_path / "s.pdf", ["x"], info={"id": "FROM-INFO"})
    (tmp_path / "s.pdf.yaml").write_text("id: [unclosed\n")
    doc = read(path)
    assert doc.error is None and doc.meta_source == "sidecar" and not doc.has_metadata
    assert doc.metadata == {}
    [f] = doc.problems
    assert f.rule == "yaml-error" and f.path == "s.pdf.yaml"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("D:20260214093000+01'00'", "2026-02-14T09:30:00+01:00"),
        ("D:20260214093000Z", "2026-02-14T09:30:00Z"),
        ("D:20260214", "2026-02-14"),
        ("D:2026", "2026-01-01"),
        ("not a date", "not a date"),
    ],
)
def test_pdf_dates(raw: str, iso: str) -> None:
    assert pdf_date(raw) == iso


# ------------------------------------------------------------------ hostile and broken input


def test_encrypted_with_a_password(tmp_path: Path) -> None:
    doc = read(build_pdf(tmp_path / "locked.pdf", ["secret"], user_password="pw"))
    assert "encrypted with a password" in only_error(doc)
    assert "password" in doc.problems[0].hint


def test_encrypted_with_a_sidecar_counts_by_its_metadata(tmp_path: Path) -> None:
    build_pdf(tmp_path / "locked.pdf", ["secret"], user_password="pw")
    (tmp_path / "locked.pdf.yaml").write_text("id: LOCK-1\ntitle: Locked\ntype: record\ndate: 2026-01-05\n")
    doc = read(tmp_path / "locked.pdf")
    assert doc.error is None and doc.has_metadata and doc.meta_source == "sidecar"
    assert doc.metadata["id"] == "LOCK-1" and doc.meta_lines["id"] == 1
    assert doc.sections == () and doc.text == ""
    [lost] = doc.problems
    assert (lost.rule, lost.severity) == ("parse-error", "warning")
    assert "encrypted with a password" in lost.message and "metadata comes from the sidecar" in lost.message


def test_encrypted_by_pypdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    src = build_pdf(tmp_path / "plain.pdf", ["secret"])
    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt("user-pw", "owner-pw", algorithm="AES-256")
    path = tmp_path / "aes.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    assert "encrypted" in only_error(read(path))


def test_owner_password_only_is_readable(tmp_path: Path) -> None:
    """Permissions-only encryption opens without a password: it is read like any PDF."""
    doc = read(build_pdf(tmp_path / "perm.pdf", [PROSE], owner_password="owner"))
    assert doc.error is None and PROSE in doc.text


def test_truncated(tmp_path: Path, good: Path) -> None:
    assert "truncated" in only_error(read(truncated(tmp_path / "cut.pdf", good)))


def test_no_header(tmp_path: Path, good: Path) -> None:
    assert "%PDF-" in only_error(read(headerless(tmp_path / "nohead.pdf", good)))


def test_not_a_pdf_and_empty(tmp_path: Path) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("hello")
    assert "header" in only_error(read(text))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert "empty" in only_error(read(empty))


def test_circular_page_tree(tmp_path: Path) -> None:
    doc = read(circular_pdf(tmp_path / "loop.pdf"))
    # the readable page is kept; the unreadable one is a warning on its page
    assert doc.error is None and "Loop page" in doc.text
    assert [(f.rule, f.severity, f.line) for f in doc.problems] == [("parse-error", "warning", 2)]


def test_pdfplumber_reads_what_pdfium_will_not_open(tmp_path: Path) -> None:
    """A page tree that says /Count 0 over a real page: PDFium gives up, pdfminer walks Kids."""
    path = tmp_path / "count0.pdf"
    path.write_bytes(
        raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 0 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>",
                _stream(b"BT /F1 12 Tf 72 720 Td (Recovered [escm: knw07.b1]) Tj ET"),
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            ]
        )
    )
    doc = read(path)
    assert doc.error is None and [(t.key, t.line) for t in doc.tags] == [("knw07.b1", 1)]


def test_page_tree_that_only_loops(tmp_path: Path) -> None:
    path = tmp_path / "self.pdf"
    path.write_bytes(raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]))
    assert "page" in only_error(read(path))


# PDFs whose objects refer to themselves (bench/adversarial.py times them)
SELF_REFERENCES = [
    # an object whose stream length is itself, and an outline whose Next is itself
    [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 3 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Outlines /First 3 0 R /Next 3 0 R /Count 1 /Title (x) >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>",
        b"<< /Length 5 0 R >>\nstream\nBT ET\nendstream",
    ],
    # a form XObject that draws itself
    [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /X 5 0 R >> >> >>",
        _stream(b"/X Do"),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /X 5 0 R"
        b" >> >> /Length 5 >>\nstream\n/X Do\nendstream",
    ],
]


@pytest.mark.parametrize("objects", SELF_REFERENCES)
def test_self_references_do_not_hang(tmp_path: Path, objects: list[bytes]) -> None:
    path = tmp_path / "selfref.pdf"
    path.write_bytes(raw_pdf(objects))
    doc = read(path)
    assert doc.format == "pdf"


def test_page_limit(good: Path) -> None:
    msg = only_error(read(good, Limits(max_pages=1)))
    assert "max_pages = 1" in msg and "2 pages" in msg


def test_size_limit(good: Path) -> None:
    assert "max_file_bytes" in only_error(read(good, Limits(max_file_bytes=100)))


def test_directory_and_fifo_named_pdf(tmp_path: Path) -> None:
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    doc = read(folder)
    assert doc.error and [f.rule for f in doc.problems] == ["file-skipped"]
    fifo = tmp_path / "pipe.pdf"
    import os

    os.mkfifo(fifo)
    doc = read(fifo)  # must not block waiting for a writer
    assert [f.rule for f in doc.problems] == ["file-skipped"]
