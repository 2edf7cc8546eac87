"""Dispatch by format, worker processes, the per-file time limit, and paths never followed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from escm_check.adapters.limits import LimitExceeded, Limits, read_bounded
from escm_check.documents import Document
from escm_check.formats import classify
from escm_check.parsing import read_all, read_one

from .docfactory import Heading, build_docx, build_pdf, legacy_doc, slow_pdf

LIMITS = Limits()
PROSE = "The quality manager keeps every controlled document under version control."


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("docs/policy.md", "markdown"),
        ("README.MARKDOWN", "markdown"),
        ("a/b.docx", "docx"),
        ("macro.DOCM", "docx"),
        ("old.doc", "docx"),
        ("scan.PDF", "pdf"),
        ("a/report.pdf.yaml", None),
        ("records/log.xlsx.yml", None),
        ("config.yaml", None),
        ("image.png", None),
        ("Makefile", None),
        ("", None),
        ("dir/", None),
    ],
)
def test_classify(rel: str, kind: str | None) -> None:
    assert classify(rel) == kind


def test_classify_with_sidecars_present() -> None:
    present = {"records/audit-log.xlsx", "records/audit-log.xlsx.yaml", "image.png"}
    assert classify("records/audit-log.xlsx", present) == "sidecar"
    assert classify("image.png", present) is None
    assert classify("records/audit-log.xlsx.yaml", present) is None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small mixed repository: Markdown, Word, PDF, a record with a sidecar, oddities."""
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "policy.md").write_text(
        f"---\nid: POL-1\ntitle: Policy\n---\n# Purpose\n\n{PROSE} <!-- escm: knw07.b1 -->\n", encoding="utf-8"
    )
    build_docx(
        root / "docs" / "procedure.docx",
        [Heading("Steps"), PROSE, "[escm: knw07.b2]"],
        custom={"id": "PRC-1", "practices": "knw07"},
    )
    build_pdf(root / "records" / "minutes.pdf", [f"{PROSE} [escm: knw07.c1]"], info={"id": "REC-1"})
    (root / "records" / "log.xlsx").write_bytes(b"x")
    (root / "records" / "log.xlsx.yaml").write_text("id: REC-2\ntype: record\n")
    legacy_doc(root / "docs" / "old.doc")
    (root / "docs" / "folder.pdf").mkdir()
    (root / "docs" / "link.docx").symlink_to(root / "docs" / "procedure.docx")
    outside = tmp_path / "outside"
    outside.mkdir()
    build_pdf(outside / "secret.pdf", ["secret"])
    (root / "linked").symlink_to(outside)
    return root


RELS = [
    "docs/policy.md",
    "docs/procedure.docx",
    "records/minutes.pdf",
    "records/log.xlsx",
    "docs/old.doc",
    "docs/folder.pdf",
    "docs/link.docx",
    "linked/secret.pdf",
    "docs/missing.pdf",
    "../repo/docs/policy.md",
    "image.png",
]


def check_mixed(docs: list[Document]) -> None:
    by = {d.path: d for d in docs}
    assert [d.path for d in docs] == RELS
    assert by["docs/policy.md"].format == "markdown"
    assert [t.key for t in by["docs/policy.md"].tags] == ["knw07.b1"]
    assert by["docs/procedure.docx"].metadata["id"] == "PRC-1"
    assert [(t.key, t.line) for t in by["docs/procedure.docx"].tags] == [("knw07.b2", 3)]
    assert [(t.key, t.line) for t in by["records/minutes.pdf"].tags] == [("knw07.c1", 1)]
    log = by["records/log.xlsx"]
    assert log.format == "sidecar" and log.metadata["id"] == "REC-2"
    assert "97-2003" in (by["docs/old.doc"].error or "")
    for rel in (
        "docs/folder.pdf",
        "docs/link.docx",
        "linked/secret.pdf",
        "docs/missing.pdf",
        "../repo/docs/policy.md",
        "image.png",
    ):
        doc = by[rel]
        assert doc.error is not None, rel
        assert [f.rule for f in doc.problems] == ["file-skipped"], rel
    assert "symbolic link" in (by["linked/secret.pdf"].error or "")
    assert "directory" in (by["docs/folder.pdf"].error or "")


def test_read_all_mixed_repository(repo: Path) -> None:
    check_mixed(read_all(repo, RELS, LIMITS))


@pytest.mark.parametrize("jobs", [1, 2])
def test_jobs_give_identical_documents(repo: Path, jobs: int) -> None:
    reference = [read_one(repo, rel, LIMITS) for rel in RELS]
    assert read_all(repo, RELS, LIMITS, jobs=jobs) == reference


def test_in_process_when_time_limit_is_off(repo: Path) -> None:
    docs = read_all(repo, RELS, Limits(timeout_seconds=0), jobs=1)
    check_mixed(docs)


def test_many_files_across_workers(tmp_path: Path) -> None:
    rels = []
    for i in range(12):
        build_docx(tmp_path / f"d{i}.docx", [Heading("H"), f"[escm: knw07.b{i % 9 + 1}]"], custom={"id": f"D{i}"})
        build_pdf(tmp_path / f"p{i}.pdf", [f"page [escm: prf02.c{i % 5 + 1}]"])
        rels += [f"d{i}.docx", f"p{i}.pdf"]
    docs = read_all(tmp_path, rels, LIMITS, jobs=2)
    assert [d.path for d in docs] == rels
    assert all(d.error is None for d in docs)
    assert [d.metadata["id"] for d in docs if d.format == "docx"] == [f"D{i}" for i in range(12)]


def test_hung_file_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    """A PDF that takes seconds to read is killed at the limit; the other files are read."""
    slow_pdf(tmp_path / "slow.pdf", text_ops=200_000)
    build_pdf(tmp_path / "fine.pdf", [f"{PROSE} [escm: knw07.b1]"])
    build_docx(tmp_path / "fine.docx", [Heading("H"), PROSE], custom={"id": "F"})
    (tmp_path / "fine.md").write_text("# H\n\ntext\n")
    start = time.perf_counter()
    slow_alone = read_one(tmp_path, "slow.pdf", Limits())  # it is slow, but it does finish
    took = time.perf_counter() - start
    assert slow_alone.error is None
    # a limit well under this machine's own time for the file, so the test holds anywhere
    limit = round(max(0.05, took / 4), 3)
    docs = read_all(tmp_path, ["slow.pdf", "fine.pdf", "fine.docx", "fine.md"], Limits(timeout_seconds=limit), jobs=1)
    slow, pdf, word, md = docs
    assert slow.error is not None and f"timeout_seconds = {limit:g}" in slow.error
    [f] = slow.problems
    assert f.rule == "parse-error" and f.path == "slow.pdf" and "limits" in f.hint
    assert pdf.error is None and [t.key for t in pdf.tags] == ["knw07.b1"]
    assert word.error is None and word.metadata["id"] == "F"
    assert md.error is None  # the error above names the limit: the file was stopped, not waited for


def test_read_one_never_raises(repo: Path) -> None:
    doc = read_one(repo, "records/minutes.pdf", None)  # type: ignore[arg-type]
    assert doc.error is not None and "AttributeError" in doc.error
    assert [f.rule for f in doc.problems] == ["internal-error"]  # a bug, not a damaged file
    nul = read_one(repo, "docs/a\0b.pdf", LIMITS)
    assert nul.error is not None and [f.rule for f in nul.problems] == ["file-skipped"]


def test_symlink_loop_and_odd_names(tmp_path: Path) -> None:
    (tmp_path / "loop.pdf").symlink_to(tmp_path / "loop.pdf")
    odd = ["with space.pdf", "café – ü.pdf", "new\nline.pdf"]
    for name in odd:
        build_pdf(tmp_path / name, [f"text [escm: knw07.b1] {name}"])
    docs = read_all(tmp_path, ["loop.pdf", *odd], LIMITS, jobs=2)
    assert [f.rule for f in docs[0].problems] == ["file-skipped"]
    for doc in docs[1:]:
        assert doc.error is None and [t.key for t in doc.tags] == ["knw07.b1"]


def test_empty_input() -> None:
    assert read_all(Path("/nonexistent"), [], LIMITS) == []


def test_directory_named_like_markdown(tmp_path: Path) -> None:
    (tmp_path / "notes.md").mkdir()
    [doc] = read_all(tmp_path, ["notes.md"], LIMITS)
    assert doc.format == "markdown" and [f.rule for f in doc.problems] == ["file-skipped"]


def test_unreadable_permissions(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = build_pdf(tmp_path / "locked.pdf", ["x"])
    path.chmod(0)
    [doc] = read_all(tmp_path, ["locked.pdf"], LIMITS)
    assert doc.error is not None and "cannot read" in doc.error


def test_hundred_megabyte_files_are_refused_before_reading(tmp_path: Path) -> None:
    """Sparse files: 100 MB on paper, nothing on disk, refused from their size alone."""
    rels = ["huge.pdf", "huge.docx", "huge.xlsx"]
    for rel in rels:
        with open(tmp_path / rel, "wb") as fh:
            fh.truncate(100 * 2**20)
    (tmp_path / "huge.xlsx.yaml").write_text("id: X\n")
    docs = read_all(tmp_path, rels, LIMITS)
    for doc in docs[:2]:
        assert doc.error is not None and "max_file_bytes" in doc.error
        assert "100 MiB" in doc.error and "50 MiB" in doc.error
    # a sidecar-only record never opens the file it describes
    assert docs[2].error is None and docs[2].metadata == {"id": "X"}


def test_limits_from_config() -> None:
    assert Limits.from_mapping(None) == Limits()
    limits = Limits.from_mapping(
        {
            "max_file_bytes": "10 MiB",
            "max_unzipped_bytes": 1000,
            "max_zip_ratio": 50,
            "max_pages": 10,
            "timeout_seconds": 2,
        }
    )
    assert limits == Limits(10 * 2**20, 1000, 50.0, 10, 2.0)
    assert Limits.from_mapping({"max_file_bytes": "200MB"}).max_file_bytes == 200_000_000
    for bad in (
        {"max_file_mb": 5},
        {"max_pages": 1.5},
        {"max_pages": True},
        {"max_file_bytes": "lots"},
        {"timeout_seconds": -1},
        {"max_zip_ratio": "x"},
        {"max_pages": 0},
    ):
        with pytest.raises(ValueError, match="limits"):
            Limits.from_mapping(bad)


_KILLER = r"""
import os, signal, sys, time
parent, tick = int(sys.argv[1]), os.sysconf("SC_CLK_TCK")
with open("/proc/self/stat") as fh:
    born = int(fh.read().rsplit(")", 1)[1].split()[19])
deadline = time.time() + 60
while time.time() < deadline:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # a child of the test, started after this script, that has burnt CPU: the worker
        # deep inside the slow PDF
        if (int(fields[1]) == parent and int(fields[19]) >= born
                and int(fields[11]) / tick > 0.3):
            os.kill(int(entry), signal.SIGSEGV)
            sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_crashed_worker_is_a_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    """A parser that segfaults costs one finding: here a real worker really gets SIGSEGV."""
    import subprocess
    import sys

    slow_pdf(tmp_path / "slow.pdf", text_ops=1_000_000)
    build_pdf(tmp_path / "fine.pdf", [f"{PROSE} [escm: knw07.b1]"])
    killer = subprocess.Popen([sys.executable, "-c", _KILLER, str(os.getpid())])
    try:
        docs = read_all(tmp_path, ["slow.pdf", "fine.pdf"], Limits(timeout_seconds=120), jobs=1)
    finally:
        assert killer.wait(timeout=60) == 0
    crashed, fine = docs
    assert crashed.error is not None and "SIGSEGV" in crashed.error
    assert [f.rule for f in crashed.problems] == ["parse-error"]
    assert fine.error is None and [t.key for t in fine.tags] == ["knw07.b1"]


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4096])
def test_bounded_read_returns_the_whole_file_up_to_the_limit(tmp_path: Path, size: int) -> None:

    path = tmp_path / "f.md"
    data = bytes(range(256)) * (size // 256 + 1)
    path.write_bytes(data[:size])
    limits = Limits(max_file_bytes=1000)
    if size > 1000:
        with pytest.raises(LimitExceeded):
            read_bounded(path, limits)
    else:
        assert read_bounded(path, limits) == data[:size]


def test_bounded_read_of_a_file_whose_size_stat_does_not_know(tmp_path: Path) -> None:
    """/proc files say size 0 and hold more: read on, still bounded by the limit."""

    proc = Path("/proc/self/status")
    if not proc.exists() or proc.stat().st_size != 0:
        pytest.skip("needs a file whose size fstat reports as 0")
    assert b"Name:" in read_bounded(proc, Limits(max_file_bytes=1 << 20))
    with pytest.raises(LimitExceeded):
        read_bounded(proc, Limits(max_file_bytes=10))


def test_a_read_document_keeps_each_sections_substance_without_the_text() -> None:
    from escm_check.adapters.markdown import parse_markdown
    from escm_check.stages import read_document

    prose = "Each step is carried out by the named owner and recorded in the register."
    text = f"---\nid: X\n---\n# Title\n\n## Purpose\n\n{prose}\n\n## Scope\n\nTBD\n"
    doc = parse_markdown(text, "x.md")
    slim, meta, _ = read_document(doc, {})
    assert slim.text == "" and all(s.text == "" for s in slim.sections)
    assert [s.substantive for s in slim.sections] == [s.substantive for s in doc.sections] == [False, True, False]
    assert [(s.heading, s.tags, s.start, s.end) for s in slim.sections] == [
        (s.heading, s.tags, s.start, s.end) for s in doc.sections
    ]
    assert slim.metadata == doc.metadata and meta.id == "X"
