"""Word and PDF documents for the synthetic repositories of bench/generate.py.

`office_files(pdfs, docx)` returns an `extra` callback for `generate.generate`: the first
commit adds `pdfs` PDFs (each with a sidecar NAME.pdf.yaml, as a supplier's PDF would have)
and `docx` Word documents (metadata in custom document properties), and one commit in
twenty revises one of them. The files are real: Word documents through python-docx and
PDFs through reportlab, with the builders of tests/docfactory.py. Everything is seeded, so
the same parameters give the same repository.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.docfactory import Heading, Table, build_docx, build_pdf  # noqa: E402

AREAS = ("knw", "ppl", "prf", "rel", "tch", "thr", "cnt", "sdd", "del", "tfr")
BODY = (
    "This part describes how the work is planned, who carries it out, which inputs it "
    "needs and which records show that it was done. Exceptions are raised with the owner."
)
APPROVERS = ("Ann Lee", "Bob Kim", "Cleo Diaz", "Dev Patel")

ExtraFiles = Callable[[random.Random, int], list[tuple[str, bytes]]]


def _practice(n: int) -> str:
    return f"{AREAS[n % 10]}{(n % 12) + 1:02d}"


SECTIONS = (
    "Purpose",
    "Activities",
    "Scope",
    "Roles",
    "Inputs",
    "Outputs",
    "Records",
    "Measures",
    "Exceptions",
    "References",
)


def docx_bytes(n: int, revision: int, scratch: Path, sections: int = 2) -> bytes:
    """A Word document with custom properties, `sections` tagged sections and a table."""
    p = _practice(n)
    path = scratch / f"w{n}-{revision}.docx"
    blocks: list[Any] = [Heading(f"Procedure {n}", 0)]
    for k in range(sections):
        blocks += [Heading(SECTIONS[k % len(SECTIONS)], 1)]
        if k < 2:
            blocks.append(f"[escm: {p}.b{k + 1}]")
        blocks += [BODY] * (1 if sections <= 2 else 5)
    if sections > 2:
        blocks.append(Table([["Step", "Owner", "Record"]] + [[f"{i}", "Process owner", f"R-{i}"] for i in range(1, 9)]))
    blocks.append(f"Revision {revision}: step {revision % 5 + 1} clarified.")
    build_docx(
        path,
        blocks,
        custom={
            "id": f"DOCX-{n:05d}",
            "title": f"Word procedure {n}",
            "type": "procedure",
            "practices": p,
            "satisfies": f"{p}.b1, {p}.b2",
            "status": "approved",
            "version": f"1.{revision}",
            "owner": "Quality Manager",
            "approved_by": APPROVERS[n % 4],
            "approved_on": "2024-03-01",
            "review_cycle": "12 months",
        },
    )
    data = path.read_bytes()
    path.unlink()
    return data


def pdf_bytes(n: int, revision: int, scratch: Path, pages: int = 3) -> bytes:
    """A PDF of `pages` pages (3: a few lines each; more: full pages of text) with
    `[escm: ...]` markers on its first two pages."""
    p = _practice(n)
    path = scratch / f"p{n}-{revision}.pdf"
    lines = 2 if pages <= 3 else 30
    text = "\n".join(BODY[:90] if i % 2 == 0 else BODY[90:] for i in range(lines))
    content = [f"Supplier plan {n}\n[escm: {p}.b1]\n{text}", f"Activities\n[escm: {p}.b2]\n{text}"]
    content += [f"Part {k}\n{text}" for k in range(3, pages)]
    content.append(f"Revision {revision}\nRecords are kept for three years.")
    build_pdf(path, content, title=f"Supplier plan {n}")
    data = path.read_bytes()
    path.unlink()
    return data


def pdf_sidecar(n: int, revision: int) -> bytes:
    """The NAME.pdf.yaml sidecar that holds a PDF's metadata."""
    p = _practice(n)
    return (
        f"id: PDF-{n:05d}\ntitle: Supplier plan {n}\ntype: plan\npractices: [{p}]\n"
        f'satisfies:\n  {p}: [b1, b2]\nstatus: approved\nversion: "1.{revision}"\n'
        f"owner: Quality Manager\napproved_by: {APPROVERS[n % 4]}\n"
        f"approved_on: {dt.date(2024, 3, 1).isoformat()}\nreview_cycle: 12 months\n"
    ).encode()


def office_files(pdfs: int, docx: int, revise_every: int = 20, *, pages: int = 3, sections: int = 2) -> ExtraFiles:
    """An `extra` callback for generate(): all files in the first commit, then revisions.

    `pages` per PDF and `sections` per Word document: the defaults make small files; a
    typical procedure or supplier report is nearer 10 pages and 8 sections.
    """
    scratch = Path(tempfile.mkdtemp(prefix="escm-bench-docs-"))
    revisions: dict[str, int] = {}

    def pdf(n: int) -> list[tuple[str, bytes]]:
        r = revisions.get(f"p{n}", 0)
        path = f"suppliers/{AREAS[n % 10]}/plan-{n:05d}.pdf"
        return [(path, pdf_bytes(n, r, scratch, pages)), (path + ".yaml", pdf_sidecar(n, r))]

    def word(n: int) -> list[tuple[str, bytes]]:
        r = revisions.get(f"w{n}", 0)
        path = f"word/{AREAS[n % 10]}/procedure-{n:05d}.docx"
        return [(path, docx_bytes(n, r, scratch, sections))]

    def extra(rng: random.Random, commit: int) -> list[tuple[str, bytes]]:
        if commit == 0:
            out: list[tuple[str, bytes]] = []
            for n in range(pdfs):
                out += pdf(n)
            for n in range(docx):
                out += word(n)
            return out
        if not revise_every or commit % revise_every or not (pdfs or docx):
            return []
        n = rng.randrange(pdfs + docx)
        if n < pdfs:
            revisions[f"p{n}"] = revisions.get(f"p{n}", 0) + 1
            return pdf(n)
        n -= pdfs
        revisions[f"w{n}"] = revisions.get(f"w{n}", 0) + 1
        return word(n)

    return extra
