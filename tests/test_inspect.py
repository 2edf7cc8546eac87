"""`inspect`: what the checker sees in a file, as JSON data and as text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from escm_check.adapters.limits import Limits
from escm_check.inspect import inspect_documents, render_inspect_text
from escm_check.parsing import read_all

from .docfactory import (
    Heading,
    billion_laughs_docx,
    build_docx,
    build_pdf,
    circular_pdf,
    docx_without_document_part,
    headerless,
    legacy_doc,
    password_protected_docx,
    truncated,
    zip_bomb_docx,
)

PROSE = "The quality manager keeps every controlled document under version control."


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, list[str]]:
    build_docx(
        tmp_path / "proc.docx",
        [Heading("Steps"), PROSE, "[escm: knw07.b2]", Heading("Records"), "[escm: knw07.c1, oops]"],
        custom={"id": "PRC-1", "practices": "knw07", "satisfies": "knw07.b1"},
    )
    build_pdf(tmp_path / "minutes.pdf", [f"{PROSE} [escm: knw07.c2]", "second page"])
    (tmp_path / "minutes.pdf.yaml").write_text("id: REC-1\ntype: record\ndate: 2026-03-01\n")
    build_pdf(tmp_path / "bare.pdf", ["no metadata here"])
    (tmp_path / "log.xlsx").write_bytes(b"x")
    (tmp_path / "log.xlsx.yaml").write_text("id: REC-2\n")
    (tmp_path / "broken.docx").write_text("not a zip")
    return tmp_path, ["proc.docx", "minutes.pdf", "bare.pdf", "log.xlsx", "broken.docx"]


def test_report_is_json_data_with_sources_sections_tags_problems(files: tuple[Path, list[str]]) -> None:
    root, rels = files
    report = inspect_documents(read_all(root, rels, Limits()))
    assert json.loads(json.dumps(report)) == report
    by = {f["path"]: f for f in report["files"]}
    assert [f["path"] for f in report["files"]] == rels

    proc = by["proc.docx"]
    assert proc["format"] == "docx" and proc["location_kind"] == "paragraph"
    assert proc["metadata"]["source"] == "docx-properties" and proc["metadata"]["present"]
    keys = {k["key"]: k for k in proc["metadata"]["keys"]}
    assert keys["satisfies"]["value"] == {"knw07": ["b1"]}
    assert keys["id"]["line"] is None and keys["id"]["file"] == "proc.docx"
    steps, records = proc["sections"]
    assert (steps["heading"], steps["start"], steps["end"]) == ("Steps", 1, 3)
    assert steps["tags"] == [{"tag": "knw07.b2", "location": 3}] and steps["substantive"]
    assert records["tags"] == [{"tag": "knw07.c1", "location": 5}]
    assert [p["rule"] for p in proc["problems"]] == ["unknown-activity"]
    assert any("too little content" in n for n in proc["notes"])

    minutes = by["minutes.pdf"]
    assert minutes["metadata"]["source"] == "sidecar"
    assert minutes["metadata"]["file"] == "minutes.pdf.yaml"
    assert {k["key"]: k["line"] for k in minutes["metadata"]["keys"]} == {"id": 1, "type": 2, "date": 3}
    assert minutes["tags"] == [{"tag": "knw07.c2", "location": 1}]
    assert [s["heading"] for s in minutes["sections"]] == ["Page 1", "Page 2"]

    assert not by["bare.pdf"]["metadata"]["present"]
    assert any("sidecar bare.pdf.yaml" in n for n in by["bare.pdf"]["notes"])
    assert by["log.xlsx"]["format"] == "sidecar"

    broken = by["broken.docx"]
    assert broken["error"] and broken["problems"][0]["rule"] == "parse-error"
    assert broken["problems"][0]["hint"]
    assert report["summary"] == {"files": 5, "unreadable": 1, "with_metadata": 3, "tags": 3, "problems": 2}


def test_text_rendering(files: tuple[Path, list[str]]) -> None:
    root, rels = files
    text = render_inspect_text(inspect_documents(read_all(root, rels, Limits())))
    assert "proc.docx  [docx; locations are paragraphs]" in text
    assert "metadata from Word document properties" in text
    assert re.search(r"\n    satisfies +: knw07: b1\n", text)
    assert "'Steps' (level 1, paragraphs 1-3" in text
    assert "tag knw07.b2 at paragraph 3" in text
    assert "tag knw07.c2 at page 1" in text
    assert "metadata from sidecar file:" in text and "file: minutes.pdf.yaml" in text
    assert re.search(r"\n    id +: REC-1  \(line 1\)\n", text)
    assert "NOT READ: not a Word package" in text
    assert "error unknown-activity proc.docx:5:" in text
    assert "hint:" in text
    assert text.rstrip().endswith("5 file(s), 1 not read, 3 with metadata, 3 tag(s), 2 problem(s)")


def test_scanned_pdf_note(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    c.rect(10, 10, 50, 50, fill=1)
    c.showPage()
    c.save()
    report = inspect_documents(read_all(tmp_path, ["scan.pdf"], Limits()))
    assert any("OCR" in n for n in report["files"][0]["notes"])


def test_inspect_command_on_hostile_files(tmp_path: Path) -> None:
    """Every hostile file is explained; the command neither crashes nor fails."""
    cli = pytest.importorskip("escm_check.cli")
    from click.testing import CliRunner

    good = build_pdf(tmp_path / "good.pdf", [PROSE])
    paths = [
        zip_bomb_docx(tmp_path / "bomb.docx"),
        billion_laughs_docx(tmp_path / "lol.docx"),
        docx_without_document_part(tmp_path / "nodoc.docx"),
        password_protected_docx(tmp_path / "locked.docx"),
        legacy_doc(tmp_path / "old.doc"),
        truncated(tmp_path / "cut.pdf", good),
        headerless(tmp_path / "nohead.pdf", good),
        circular_pdf(tmp_path / "loop.pdf"),
        good,
    ]
    result = CliRunner().invoke(cli.main, ["inspect", "--format", "json", *[str(p) for p in paths]])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    errors = {f["path"]: f["error"] for f in report["files"]}
    assert "max_zip_ratio" in errors["bomb.docx"]
    assert "DTD" in errors["lol.docx"]
    assert "no document part" in errors["nodoc.docx"]
    assert "password" in errors["locked.docx"]
    assert "97-2003" in errors["old.doc"]
    assert "truncated" in errors["cut.pdf"]
    assert "%PDF-" in errors["nohead.pdf"]
    assert errors["loop.pdf"] is None and errors["good.pdf"] is None
