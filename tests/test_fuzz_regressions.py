"""Inputs that once stopped a whole check with an internal error, each on a real repository.

Every case commits real files to a real git repository and runs the real CLI, writing every
report format: the run must finish with a verdict (exit 0 or 1), every report must be whole,
and the bad input must be a finding on its own document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.reporters import FORMATS

from .docfactory import Heading, bomb_pdf, build_docx, rewrite_part
from .gitrepo import GitRepo, doc

APPROVED = "Bob Approver <bob@example.org>"
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md", "html": "html"}


def check_all_formats(repo: GitRepo, tmp: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run `check` writing every format to a file; (exit code, JSON report, CLI output)."""
    args = ["check", str(repo.path), "--no-cache", *extra]
    out = tmp / "reports"
    out.mkdir(exist_ok=True)
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(out / f"report.{EXTENSIONS[fmt]}")]
    r = CliRunner().invoke(main, args)
    texts = {fmt: (out / f"report.{EXTENSIONS[fmt]}").read_bytes().decode("utf-8") for fmt in FORMATS}
    assert all(texts.values()), r.output
    assert texts["html"].rstrip().endswith("</html>")
    return r.exit_code, json.loads(texts["json"]), r.output


def findings_of(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f.get("path") == path]


def front(**meta: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "PRC-1",
        "title": "Change procedure",
        "type": "procedure",
        "practices": ["knw07"],
        "status": "approved",
        "version": "1.0",
        "owner": "Quality Manager",
        "approved_by": "Bob Approver",
        "approved_on": "2026-03-01",
    }
    base.update(meta)
    return base


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "proc")
    r.write(".escm-check.yaml", "as_of: 2026-10-01\n")
    r.write("policies/other.md", doc(**front(id="POL-1", title="Other", type="policy", practices=["knw01"])))
    r.commit("add the other policy", date="2026-02-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    return r


# ---------------------------------------------------------------- text decoding


def test_latin1_front_matter_in_an_earlier_commit(repo: GitRepo, tmp_path: Path) -> None:
    latin1 = doc(**front(title="!raw Procédure de contrôle")).encode("latin-1")
    assert b"\xe9" in latin1
    repo.write("procedures/change.md", latin1)
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    # the same body: whether the content changed is decided by parsing both front matters
    repo.write("procedures/change.md", doc(**front(title="!raw Procédure de contrôle", version="1.1")))
    repo.commit("save as UTF-8", date="2026-03-02T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out
    assert not [f for f in report["findings"] if f["rule"] == "internal-error"]
    entry = next(d for d in report["documents"] if d["path"] == "procedures/change.md")
    assert [h["version"] for h in entry["history"]][:2] == ["1.1", "1.0"]


def test_a_stray_latin1_byte_in_the_working_tree_is_a_finding_with_its_offset(repo: GitRepo, tmp_path: Path) -> None:
    text = doc(**front(), body="# Purpose\n\nCaf\xe9 text pasted from an old tool.\n")
    data = text.replace("Caf\xe9", "Caf\udce9").encode("utf-8", "surrogateescape")
    repo.write("procedures/change.md", data)
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out
    (bad,) = [f for f in findings_of(report, "procedures/change.md") if "UTF-8" in f["message"]]
    offset = data.index(b"\xe9")
    assert f"byte {offset}" in bad["message"]
    assert bad["line"] == data[:offset].count(b"\n") + 1
    entry = next(d for d in report["documents"] if d["path"] == "procedures/change.md")
    assert entry["id"] == "PRC-1"  # the rest of the file is still read


@pytest.mark.parametrize("odd_break", ["\x85", "\u2028", "\u2029"])
def test_surrogate_pair_escapes_with_a_yaml_only_line_break(repo: GitRepo, tmp_path: Path, odd_break: str) -> None:
    # NEL/LS/PS send the reader to PyYAML's pure-Python loader, which accepts \\u escapes of
    # surrogates; libyaml refuses them. Either way the report must be valid UTF-8.
    text = (
        '---\nid: "PRC-\\ud83d\\ude00-\\udc80"\ntitle: Change\ntype: procedure\n'
        f'practices: [knw07]\nstatus: approved\nversion: "1.0"\nowner: "Q{odd_break}M"\n'
        "approved_by: Bob Approver\napproved_on: 2026-03-01\n---\n# Purpose\n\nText.\n"
    )
    repo.write("procedures/change.md", text)
    repo.write("records/scan.xlsx.yaml", text.split("---\n")[1].replace("PRC-", "REC-"))
    repo.write("records/scan.xlsx", b"PK\x03\x04 a spreadsheet")
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out
    ids = {d["path"]: d["id"] for d in report["documents"]}
    assert ids["procedures/change.md"] == "PRC-\U0001f600-\ufffd"
    assert ids["records/scan.xlsx"] == "REC-\U0001f600-\ufffd"


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize("bad", ["1" * 5000, "1." + "9" * 5000, "1.²", "٢.٠", "2.0\u0007"])
def test_a_version_outside_the_grammar_is_an_invalid_value(repo: GitRepo, tmp_path: Path, bad: str) -> None:
    repo.write("procedures/change.md", doc(**front(version="1.0")))
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    repo.write("procedures/change.md", doc(**front(version=bad), body="# Purpose\n\nChanged text.\n"))
    repo.commit("change", date="2026-03-02T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    repo.write("procedures/change.md", doc(**front(version="1.1"), body="# Purpose\n\nChanged again.\n"))
    repo.commit("fix", date="2026-03-03T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    repo.write("procedures/other.md", doc(**front(id="PRC-2", version=bad)))
    repo.commit("add another", date="2026-03-04T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code == 1, out
    (invalid,) = [f for f in findings_of(report, "procedures/other.md") if f["rule"] == "front-matter-invalid"]
    assert invalid["message"].startswith("version: ") and invalid["line"] == 7


# ---------------------------------------------------------------- durations


def test_a_review_cycle_of_9999_years_is_an_invalid_value(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("procedures/change.md", doc(**front(review_cycle="9999 years")))
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code == 1, out
    (invalid,) = [f for f in findings_of(report, "procedures/change.md") if f["rule"] == "front-matter-invalid"]
    assert "review_cycle" in invalid["message"] and "too long" in invalid["message"]


def test_a_review_due_past_year_9999_is_not_overdue(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("procedures/change.md", doc(**front(approved_on="9999-06-01", review_cycle="100 years")))
    repo.commit("add", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVED})
    code, report, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out
    assert not [f for f in findings_of(report, "procedures/change.md") if f["rule"] == "review-overdue"]


@pytest.mark.parametrize(("key", "value"), [("record_max_age", "9999 years"), ("review_cycle", "99999 days")])
def test_a_config_duration_out_of_range_is_a_configuration_error(
    repo: GitRepo, tmp_path: Path, key: str, value: str
) -> None:
    repo.write(".escm-check.yaml", f"as_of: 2026-10-01\n{key}: {value}\n")
    r = CliRunner().invoke(main, ["check", str(repo.path), "--no-cache"])
    assert r.exit_code == 2, r.output
    assert key in r.stderr and ".escm-check.yaml:2" in r.stderr


def test_the_oldest_record_window_at_the_first_date(repo: GitRepo, tmp_path: Path) -> None:
    repo.write(".escm-check.yaml", "as_of: 0001-06-01\nrecord_max_age: 100 years\n")
    code, _, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out


# ---------------------------------------------------------------- decompression


def encrypted(data: bytes, tmp: Path) -> bytes:
    """The same PDF encrypted with an owner password only (it opens without one)."""
    from pypdf import PdfReader, PdfWriter

    src = tmp / "plain.pdf"
    src.write_bytes(data)
    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = tmp / "enc.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    return out.read_bytes()


@pytest.mark.parametrize("variant", ["one-filter", "two-filters", "encrypted"])
def test_a_pdf_that_inflates_past_the_limit_is_refused(repo: GitRepo, tmp_path: Path, variant: str) -> None:
    mib = 1024 * 1024
    data = bomb_pdf(48 * mib, layers=2 if variant == "two-filters" else 1)
    if variant == "encrypted":
        data = encrypted(data, tmp_path)
        assert b"/Encrypt" in data
    assert len(data) < mib
    repo.write(".escm-check.yaml", "as_of: 2026-10-01\nlimits:\n  max_unzipped_bytes: 16 MiB\n")
    repo.write("procedures/bomb.pdf", data)
    repo.write("procedures/bomb.pdf.yaml", "id: BOMB-1\ntitle: Bomb\ntype: procedure\npractices: [knw07]\n")
    repo.commit("add", date="2026-03-01T10:00:00+00:00")
    code, report, out = check_all_formats(repo, tmp_path)
    assert code == 1, out
    (refused,) = [f for f in findings_of(report, "procedures/bomb.pdf") if f["rule"] == "parse-error"]
    assert "max_unzipped_bytes" in refused["message"] and "16 MiB" in refused["message"]


def test_surrogate_escapes_in_the_configuration(repo: GitRepo, tmp_path: Path) -> None:
    # the NEL sends the configuration to the pure-Python YAML reader, which accepts the escapes
    repo.write(
        ".escm-check.yaml",
        'as_of: 2026-10-01\nwaivers:\n  - practice: ppl02\n    reason: "no staff \\ud83d\\ude00 \\udc80\x85here"\n'
        "    approved_by: Chief Operating Officer\n    expires: 2027-06-30\n",
    )
    code, report, out = check_all_formats(repo, tmp_path)
    assert code in (0, 1), out
    ppl02 = next(p for p in report["practices"] if p["id"] == "ppl02")
    assert "\U0001f600 \ufffd" in json.dumps(ppl02, ensure_ascii=False)


def test_a_word_package_naming_an_unknown_zip_version(repo: GitRepo, tmp_path: Path) -> None:
    # found by bench/fuzz.py: zipfile raises NotImplementedError while reading the directory
    import struct

    path = build_docx(tmp_path / "v.docx", [Heading("Purpose"), "Text."], custom={"practices": "knw07"})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 6 : at + 8] = struct.pack("<H", 67)  # "version needed to extract": 6.7
    repo.write("procedures/v.docx", bytes(data))
    repo.commit("add", date="2026-03-01T10:00:00+00:00")
    code, report, out = check_all_formats(repo, tmp_path)
    assert code == 1, out
    (bad,) = [f for f in findings_of(report, "procedures/v.docx") if f["rule"] == "parse-error"]
    assert "zip file version 6.7" in bad["message"]


@pytest.mark.parametrize("part", ["docProps/custom.xml", "word/document.xml"])
def test_a_word_part_declaring_an_unknown_encoding(repo: GitRepo, tmp_path: Path, part: str) -> None:
    # found by bench/fuzz.py: one flipped byte in the XML declaration names an encoding
    # Python does not know, and the XML parser raises LookupError
    import zipfile

    path = build_docx(tmp_path / "e.docx", [Heading("Purpose"), "Text."], custom={"practices": "knw07"})
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part)
    bad = xml.replace(b'encoding="UTF-8"', b'encoding="UTFM8"', 1).replace(b"encoding='UTF-8'", b"encoding='UTFM8'", 1)
    assert bad != xml
    rewrite_part(path, part, bad)
    repo.write("procedures/e.docx", path.read_bytes())
    repo.commit("add", date="2026-03-01T10:00:00+00:00")
    code, report, out = check_all_formats(repo, tmp_path)
    assert code == 1, out
    assert not [f for f in report["findings"] if f["rule"] == "internal-error"]
    assert [f for f in findings_of(report, "procedures/e.docx") if "UTFM8" in f["message"]]
