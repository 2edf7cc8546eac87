"""Build real test documents: .docx with python-docx, PDFs with reportlab, and hostile files.

Everything here writes genuine files through the libraries users' tools produce them
with; hostile files are hand-made bytes, each built the way the attack it stands for is.
Other test modules reuse these helpers, so they take plain arguments and return the path.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part

MiB = 1024 * 1024

# ---------------------------------------------------------------------------- .docx


@dataclass(frozen=True)
class Heading:
    """A heading paragraph (level 0 is Word's Title style)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    """A body paragraph, optionally in a named style."""

    text: str
    style: str | None = None


@dataclass(frozen=True)
class Table:
    """A table of text cells."""

    rows: Sequence[Sequence[str]]


Block = Heading | Para | Table | str  # a bare string is a body paragraph

CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def custom_properties_xml(props: Mapping[str, Any]) -> bytes:
    """docProps/custom.xml as Word writes it; the value's Python type picks the vt: type."""
    items = []
    for pid, (name, value) in enumerate(props.items(), start=2):
        if isinstance(value, bool):
            vt = f"<vt:bool>{'true' if value else 'false'}</vt:bool>"
        elif isinstance(value, int):
            vt = f"<vt:i4>{value}</vt:i4>"
        elif isinstance(value, float):
            vt = f"<vt:r8>{value!r}</vt:r8>"
        elif isinstance(value, dt.datetime):
            vt = f"<vt:filetime>{value.strftime('%Y-%m-%dT%H:%M:%SZ')}</vt:filetime>"
        elif isinstance(value, dt.date):
            vt = f"<vt:filetime>{value.isoformat()}T00:00:00Z</vt:filetime>"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
            vt = f"<vt:lpwstr>{escape(value)}</vt:lpwstr>"
        else:
            vt = f"<vt:lpwstr>{escape(str(value))}</vt:lpwstr>"
        items.append(f'<property fmtid="{FMTID}" pid="{pid}" name={quoteattr(name)}>{vt}</property>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{"".join(items)}</Properties>'
    ).encode()


def build_docx(
    path: Path,
    blocks: Sequence[Block] = (),
    *,
    custom: Mapping[str, Any] | None = None,
    custom_xml: bytes | None = None,
    core: Mapping[str, Any] | None = None,
) -> Path:
    """Write a .docx with python-docx; ``custom`` becomes docProps/custom.xml in the package.

    ``core`` sets python-docx core properties (title, version, revision, category, ...).
    python-docx cannot write custom properties, so the part is added through its OPC
    package API, with the relationship and content type Word expects.
    """
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        elif isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            document.add_paragraph(block.text, style=block.style)
        else:
            ncols = max((len(r) for r in block.rows), default=1)
            table = document.add_table(rows=len(block.rows), cols=ncols)
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    if core:
        cp = document.core_properties
        for key, value in core.items():
            setattr(cp, key, value)
    blob = custom_xml if custom_xml is not None else (custom_properties_xml(custom) if custom else None)
    if blob is not None:
        package = document.part.package
        part = Part(PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, blob, package)
        package.relate_to(part, RT.CUSTOM_PROPERTIES)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def rewrite_part(path: Path, part: str, data: bytes | None) -> Path:
    """Replace (or with None, drop) one part of a zip package, keeping the others as they are."""
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == part:
                continue
            zout.writestr(info, zin.read(info.filename))
        if data is not None:
            zout.writestr(part, data)
    path.write_bytes(out.getvalue())
    return path


def document_xml(path: Path) -> bytes:
    """The main document part of a .docx."""
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml")


def billion_laughs_docx(path: Path) -> Path:
    """A .docx whose document part expands nested entities (the "billion laughs" attack)."""
    build_docx(path, [Heading("Purpose"), "Text."])
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    dtd = f"<!DOCTYPE w:document [{''.join(ents)}]>"
    xml = document_xml(path).decode("utf-8")
    xml = xml.replace("?>", "?>" + dtd, 1).replace(">Text.<", ">&lol9;<", 1)
    return rewrite_part(path, "word/document.xml", xml.encode("utf-8"))


def external_entity_docx(path: Path, target: str = "file:///etc/passwd") -> Path:
    """A .docx whose custom properties pull in an external entity (XXE)."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE Properties [<!ENTITY xxe SYSTEM "{target}">]>'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">'
        f'<property fmtid="{FMTID}" pid="2" name="owner"><vt:lpwstr>&xxe;</vt:lpwstr>'
        "</property></Properties>"
    ).encode()
    return build_docx(path, [Heading("Purpose"), "Text."], custom_xml=xml)


def zip_bomb_docx(path: Path, unzipped_mib: int = 64) -> Path:
    """A .docx whose document part inflates from a few KiB to ``unzipped_mib`` MiB of zeros.

    The part is deflated in streamed chunks so building it is fast and memory-flat; the
    result is a real bomb, not a zip with a forged directory.
    """
    build_docx(path, [Heading("Purpose"), "Text."])
    src = path.read_bytes()
    chunk = b"\0" * MiB
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info.filename, zin.read(info.filename), zipfile.ZIP_DEFLATED)
        bomb = zipfile.ZipInfo("word/document.xml")
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(bomb, "w", force_zip64=True) as fh:
            for _ in range(unzipped_mib):
                fh.write(chunk)
    return path


def docx_without_document_part(path: Path) -> Path:
    """A real .docx with word/document.xml removed."""
    build_docx(path, [Heading("Purpose"), "Text."])
    return rewrite_part(path, "word/document.xml", None)


# ---------------------------------------------------------------------------- OLE (CFB)

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def compound_file(streams: Sequence[tuple[str, bytes]]) -> bytes:
    """A minimal, structurally valid OLE compound file (CFB v3) holding the given streams.

    Streams are padded to 4096 bytes so they live in regular sectors and no mini stream
    is needed; at most three streams, so the directory fits one sector.
    """
    assert 1 <= len(streams) <= 3
    sector = 512
    padded = [(name, data.ljust(4096, b"\0")) for name, data in streams]
    # sector 0: FAT, sector 1: directory, then the streams' sectors
    fat = [FATSECT, ENDOFCHAIN]
    starts = []
    for _, data in padded:
        n = len(data) // sector + (1 if len(data) % sector else 0)
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
    assert len(fat) <= sector // 4
    fat += [FREESECT] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1, left, right, child)
            + b"\0" * 16
            + b"\0" * 4
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    entries = [entry("Root Entry", 5, NOSTREAM, NOSTREAM, 1, ENDOFCHAIN, 0)]
    for i, (name, data) in enumerate(padded):
        right = i + 2 if i + 1 < len(padded) else NOSTREAM
        entries.append(entry(name, 2, NOSTREAM, right, NOSTREAM, starts[i], len(data)))
    directory = b"".join(entries).ljust(sector, b"\0")
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREESECT) * 108
    )
    assert len(header) == sector
    body = b"".join(struct.pack("<I", v) for v in fat) + directory
    body += b"".join(data for _, data in padded)
    return header + body


def password_protected_docx(path: Path) -> Path:
    """What Word writes for a password-protected .docx: an OLE file with EncryptedPackage."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"  # agile encryption header
    path.write_bytes(
        compound_file([("EncryptionInfo", info), ("EncryptedPackage", struct.pack("<Q", 9000) + b"\x8f" * 64)])
    )
    return path


def legacy_doc(path: Path) -> Path:
    """A Word 97-2003 style compound file with a WordDocument stream."""
    fib = struct.pack("<HH", 0xA5EC, 0xC1) + b"\0" * 60
    path.write_bytes(compound_file([("WordDocument", fib), ("1Table", b"\0" * 16)]))
    return path


# ---------------------------------------------------------------------------- PDF


def build_pdf(
    path: Path,
    pages: Sequence[str],
    *,
    title: str | None = None,
    info: Mapping[str, str] | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
    xmp: bytes | None = None,
    outline: Sequence[tuple[str, int]] = (),
) -> Path:
    """Write a PDF with reportlab, one page per string (lines split on newlines).

    ``info`` adds custom Info dictionary keys and ``xmp`` a metadata stream (both through
    pypdf, as a document management system would); a password encrypts the file (reportlab's
    standard encryption: a user password is needed to open it, an owner password alone only
    restricts permissions).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    encrypt = None
    if user_password is not None or owner_password is not None:
        encrypt = StandardEncryption(user_password or "", ownerPassword=owner_password, strength=128)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt, invariant=1)
    if title is not None:
        c.setTitle(title)
    _, height = A4
    for n, page in enumerate(pages, start=1):
        y = height - 72
        for line in page.split("\n"):
            c.drawString(72, y, line)
            y -= 14
        for i, (text, at) in enumerate(outline):
            if at == n:
                key = f"outline{i}"
                c.bookmarkPage(key)
                c.addOutlineEntry(text, key, level=0)
        c.showPage()
    c.save()
    if info or xmp is not None:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(path)))
        if info:
            writer.add_metadata({("/" + k if not k.startswith("/") else k): v for k, v in info.items()})
        if xmp is not None:
            writer.xmp_metadata = xmp
        with open(path, "wb") as fh:
            writer.write(fh)
    return path


def xmp_packet(props: Mapping[str, str], title: str | None = None) -> bytes:
    """An XMP packet with pdfx: custom properties, as Acrobat writes custom document properties."""
    custom = "".join(f"<pdfx:{k}>{escape(v)}</pdfx:{k}>" for k, v in props.items())
    dc = (
        (f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>')
        if title
        else ""
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdfx="http://ns.adobe.com/pdfx/1.3/">'
        f"{dc}{custom}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def raw_pdf(
    objects: Sequence[bytes], *, root: int = 1, header: bytes = b"%PDF-1.4\n", extra_trailer: bytes = b""
) -> bytes:
    """A PDF assembled by hand from object bodies (object n is ``objects[n-1]``), with a
    correct cross-reference table, for structures no writer would produce."""
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (
        b"trailer\n<< /Size %d /Root %d 0 R " % (len(objects) + 1, root)
        + extra_trailer
        + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


def one_page_pdf(text: bytes, info: bytes, *, compress: bool = False) -> bytes:
    """A hand-assembled one-page PDF showing `text` (a PDF string's bytes), whose Info
    dictionary is `info` (the body between `<<` and `>>`), its page stream maybe compressed."""
    content = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    filt = b""
    if compress:
        content, filt = zlib.compress(content), b" /Filter /FlateDecode"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d%s >>\nstream\n" % (len(content), filt) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< " + info + b" >>",
        ],
        extra_trailer=b"/Info 6 0 R ",
    )


def _stream(data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def bomb_pdf(inflated: int, *, layers: int = 1) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes (spaces, valid content).

    With `layers` > 1 the stream is deflated that many times over (a filter chain), so each
    layer is small and only the last inflates to the full size.
    """
    content = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n" + b" " * inflated
    filters = []
    for _ in range(layers):
        content = zlib.compress(content, 9)
        filters.append(b"/FlateDecode")
    stream = b"<< /Length %d /Filter [%s] >>\nstream\n" % (len(content), b" ".join(filters)) + content + b"\nendstream"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def circular_pdf(path: Path) -> Path:
    """A page tree whose Kids point back up the tree, and a page that is its own parent."""
    content = _stream(b"BT /F1 12 Tf 72 720 Td (Loop page) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        content,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(raw_pdf(objects))
    return path


def slow_pdf(path: Path, text_ops: int = 400_000) -> Path:
    """A small file whose one page holds ``text_ops`` text operations: slow to extract.

    The content stream deflates to a few KiB, so the file is tiny while reading it takes
    a long time: the shape of a pathological PDF, for testing the per-file time limit.
    """
    op = b"BT /F1 6 Tf 10 10 Td (x) Tj ET\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(op * text_ops, compress=True),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(raw_pdf(objects))
    return path


def truncated(path: Path, source: Path, keep: float = 0.6) -> Path:
    """The first ``keep`` fraction of another file, as an interrupted copy leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def headerless(path: Path, source: Path) -> Path:
    """A PDF with its ``%PDF-`` header line overwritten."""
    data = source.read_bytes()
    end = data.index(b"\n") + 1
    path.write_bytes(b"X" * (end - 1) + b"\n" + data[end:])
    return path


# --------------------------------------------------------------------------- change-controlled office files

CONTROLLED_KINDS = ("docx", "pdf-with-info", "pdf-with-sidecar")  # where a Word or PDF procedure keeps its metadata


def controlled_props(version: str, **extra: Any) -> dict[str, Any]:
    """The metadata of the approved procedure the change-control tests edit, at `version`."""
    return {
        "id": "PRC-2",
        "title": "Change control",
        "type": "procedure",
        "practices": "knw07",
        "status": "approved",
        "version": version,
        "owner": "Quality Manager",
        "approved_by": "Bob Approver",
        "approved_on": "2026-01-01",
        **extra,
    }


def write_controlled(root: Path, kind: str, version: str, body: str, *, steps: bool = False) -> str:
    """Write that procedure as `kind` (one of CONTROLLED_KINDS) under `root`; its path.
    With `steps`, the Word file also has the section a procedure's structure asks for."""
    props = controlled_props(version)
    if kind == "docx":
        blocks: list[Any] = [Heading("Purpose"), body, *((Heading("Steps"), "1. Draft.") if steps else ())]
        build_docx(root / "proc.docx", blocks, custom=props)
        return "proc.docx"
    if kind == "pdf-with-info":
        build_pdf(root / "proc.pdf", [f"Purpose\n{body}"], info=props)
        return "proc.pdf"
    build_pdf(root / "proc.pdf", [f"Purpose\n{body}"])
    (root / "proc.pdf.yaml").write_text("".join(f"{k}: {v!r}\n" for k, v in props.items()), encoding="utf-8")
    return "proc.pdf"
