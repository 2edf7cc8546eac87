"""Write the Word, PDF and legacy files of examples/adopted_repo into a copy of it.

The signed originals of the example repository are binary files; they are built here (Word
with python-docx, PDF with reportlab and pypdf from the test extra) rather than committed:

    python -m escm_check.examples.adopted_binaries DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

# An OLE compound-file header: what a Word 97-2003 .doc begins with. The checker reads no
# further than these bytes to tell the file is a legacy document.
OLE_HEADER = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504

SUPPLIER_SECTIONS = (
    (
        "Selecting a supplier",
        "Candidate suppliers answer our due diligence questionnaire; the buyer compares at least two "
        "offers and records the reasons for the choice.",
    ),
    (
        "Agreement",
        "Every supplier signs the master services agreement with a service schedule naming the "
        "deliverables, service levels, security duties and exit terms.",
    ),
    (
        "Monitoring",
        "The supplier owner reviews delivery against the service levels every month and meets the "
        "supplier every quarter; issues and actions are logged.",
    ),
)
DR_PLAN_PAGES = (
    "Disaster Recovery Plan - Manchester hosting platform\nSigned by the Operations Director, 12 March 2026",
    "Failover\nThe standby site at Leeds takes over within four hours.\n"
    "The duty manager invokes the plan and calls the recovery team.",
    "Testing\nThe plan is exercised every year; results and actions are recorded.",
)


def write_docx(path: Path) -> None:
    """A signed supplier procedure: headings and paragraphs, core title only (no keys of ours)."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Supplier Management Procedure"
    document.core_properties.author = "Procurement Lead"
    document.add_heading("Supplier Management Procedure", level=1)
    for heading, text in SUPPLIER_SECTIONS:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def write_pdf(path: Path) -> None:
    """A signed disaster recovery plan whose Info dictionary carries /Type /Info, as some tools write."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("Disaster Recovery Plan")
    _, height = A4
    for page in DR_PLAN_PAGES:
        y = height - 72
        for line in page.split("\n"):
            c.drawString(72, y, line)
            y -= 14
        c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    writer.add_metadata({"/Type": "Info", "/Department": "Operations"})
    with open(path, "wb") as fh:
        writer.write(fh)


def build(root: Path) -> list[str]:
    """Write the binary files into `root` (a copy of adopted_repo); return their paths."""
    written = {
        "procedures/supplier-management.docx": write_docx,
        "plans/disaster-recovery-plan.pdf": write_pdf,
    }
    for rel, writer in written.items():
        writer(root / rel)
    legacy = root / "references/network-manual-2009.doc"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_bytes(OLE_HEADER)
    return [*written, "references/network-manual-2009.doc"]


if __name__ == "__main__":  # pragma: no cover
    for rel in build(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(rel)
