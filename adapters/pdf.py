"""PDF documents: metadata from a sidecar or the PDF's Info and XMP, text and tags by page.

Text comes from pypdfium2 (PDFium, C++), page by page, each page and text page closed as
soon as it is read so memory stays flat on long files; pdfplumber (pdfminer) is the
fallback for a file or page PDFium cannot read. Sections are pages (heading ``Page N``):
tags are located by page, and a page is the unit an evaluator can open.

Metadata: a sidecar ``NAME.pdf.yaml`` wins outright; otherwise the Info dictionary (our
keys as custom Info entries, any capitalisation) and an uncompressed XMP packet (``pdfx:``
custom properties, as Acrobat writes them) are read, Info first. ``meta_source`` is
``sidecar``, ``pdf-info``, ``pdf-xmp``, ``pdf-info+xmp`` or ``none``. A compressed XMP
stream is not read: decompressing it is exactly what a metadata bomb would exploit, and
writers keep XMP uncompressed so that tools can find it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..documents import Document, Section
from ..findings import Finding, make
from .limits import (
    InflateBudget,
    LimitExceeded,
    Limits,
    NotAFile,
    check_size,
    error_document,
    limit_document,
    read_bounded,
    skipped_document,
)
from .pdfstreams import count_inflated
from .sidecar import (
    KNOWN_KEYS,
    PROPERTY_PREFIX,
    Property,
    SidecarMeta,
    canonical_key,
    find_markers,
    load_sidecar,
    merge_problems,
    property_metadata,
)

HEADER_WINDOW = 1024  # the header may follow a little junk (ISO 32000-1, annex H)
EOF_WINDOW = 2048

# PDFium document-loading error codes (fpdfview.h).
_ERR_UNKNOWN, _ERR_FILE, _ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY, _ERR_PAGE = range(1, 7)

# Standard Info keys kept as metadata; only Title stands in for one of our keys.
_INFO_STANDARD = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "CreationDate": "created",
    "ModDate": "modified",
}
# Names the PDF format gives a meaning of its own (an Info dictionary may carry /Type /Info;
# PDF names are case-sensitive): never read as ours. A custom `type` entry, `escm_type` or a
# sidecar says our type.
_PDF_OWN_NAMES = frozenset({"Type"})
_XMP_STANDARD = {
    "title": "title",
    "creator": "author",
    "description": "subject",
    "Keywords": "keywords",
    "CreateDate": "created",
    "ModifyDate": "modified",
}
PDFX_NS = "http://ns.adobe.com/pdfx/1.3/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# The standard XMP schemas: our keys are read only from pdfx: (Acrobat's custom document
# properties) or from a namespace of the organisation's own.
_XMP_SCHEMAS = frozenset(
    {
        "http://purl.org/dc/elements/1.1/",
        "http://ns.adobe.com/xap/1.0/",
        "http://ns.adobe.com/pdf/1.3/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://ns.adobe.com/photoshop/1.0/",
        "http://www.aiim.org/pdfa/ns/id/",
        "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
        "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
        RDF_NS,
    }
)
_PDF_DATE = re.compile(
    r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"(Z|[+-]\d{2}'?\d{2}'?)?"
)
_XMP_START = (b"<x:xmpmeta", b"<x:xapmeta")
_XMP_ENDS = (b"</x:xmpmeta>", b"</x:xapmeta>")

PASSWORD_HINT = "Remove the password (save an unprotected copy) or exclude the file in the config."
REPAIR_HINT = "Re-export or re-download the PDF, or exclude the file in the config."


class PdfError(Exception):
    """The file cannot be read as a PDF; the message says why."""

    def __init__(self, message: str, hint: str = REPAIR_HINT) -> None:
        super().__init__(message)
        self.hint = hint


def read_pdf(abs_path: Path, rel: str, limits: Limits) -> Document:
    """Read a PDF; an encrypted, damaged or oversized file is a parse-error Document."""
    try:
        data = read_bounded(abs_path, limits)
    except LimitExceeded as exc:
        return limit_document(rel, "pdf", exc, location_kind="page")
    except NotAFile as exc:
        return skipped_document(rel, "pdf", str(exc), location_kind="page")
    except OSError as exc:
        return error_document(rel, "pdf", f"cannot read the file: {exc.strerror or exc}", location_kind="page")
    return parse_pdf(data, rel, limits, lambda: load_sidecar(abs_path, rel, limits))


def parse_pdf(
    data: bytes, rel: str, limits: Limits, sidecar: Callable[[], SidecarMeta | None] | None = None
) -> Document:
    """A PDF from its bytes (a file, or a blob from git history); never raises.

    `sidecar` reads the file's sidecar, when one may exist; its metadata then wins over the
    Info and XMP entries.
    """
    load = sidecar if sidecar is not None else _no_sidecar
    try:
        check_size(len(data), limits)
        sniff(data)
        # before any reader decodes a stream: PDFium and pdfminer inflate each one whole
        count_inflated(data, InflateBudget(limits, "the PDF's streams"))
        extracted = extract(data, limits)
    except LimitExceeded as exc:
        return limit_document(rel, "pdf", exc, location_kind="page")
    except PdfError as exc:
        meta = load() if exc.hint == PASSWORD_HINT else None
        if meta is None:
            return error_document(rel, "pdf", str(exc), location_kind="page", hint=exc.hint)
        # an encrypted PDF described by a sidecar still counts by its metadata; only its
        # text and tags are lost, which a warning says
        lost = make(
            "parse-error",
            f"{exc}; its text and tags are missing, its metadata comes from the sidecar",
            path=rel,
            severity="warning",
            hint=exc.hint,
        )
        return meta.document(rel, "pdf", "page", [lost])
    return _document(rel, data, extracted, load)


def _no_sidecar() -> SidecarMeta | None:
    return None


def sniff(data: bytes) -> None:
    """Refuse bytes that are not a whole PDF before a parser sees them (raises PdfError)."""
    if not data:
        raise PdfError("the file is empty, not a PDF")
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise PdfError("no %PDF- header at the start of the file: it is not a PDF, or its beginning is damaged")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise PdfError(
            "the file is truncated: it does not end with the %%EOF marker (an interrupted download or copy?)"
        )


@dataclass
class Extracted:
    """What a PDF parser returned: page texts and Info entries."""

    pages: list[str] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    unreadable: list[int] = field(default_factory=list)  # 0-based pages neither reader read


def extract(data: bytes, limits: Limits) -> Extracted:
    """Page texts and Info entries with PDFium, falling back to pdfplumber where it fails."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == _ERR_PASSWORD:
            raise PdfError(
                "the PDF is encrypted with a password, so its text cannot be read", hint=PASSWORD_HINT
            ) from exc
        if code == _ERR_SECURITY:
            raise PdfError(
                "the PDF is encrypted with a security handler that cannot be opened (certificate or DRM protection)",
                hint=PASSWORD_HINT,
            ) from exc
        reason = "it has no readable pages (a broken or circular page tree?)" if not code else f"PDFium: {exc}"
        return _fallback(data, limits, reason)
    try:
        count = len(pdf)
        _check_pages(count, limits)
        out = Extracted(info=_info(pdf))
        failed: list[int] = []
        for i in range(count):
            try:
                page = pdf[i]
            except pdfium.PdfiumError:
                failed.append(i)
                out.pages.append("")
                continue
            try:
                textpage = page.get_textpage()
                try:
                    out.pages.append(_clean(textpage.get_text_bounded()))
                finally:
                    textpage.close()
            except pdfium.PdfiumError:
                failed.append(i)
                out.pages.append("")
            finally:
                page.close()
    finally:
        pdf.close()
    if failed:
        _fill_pages(data, out, failed)
        if len(out.unreadable) == count:
            raise PdfError("no page of the PDF can be read (a damaged or circular page tree?)")
    return out


def _check_pages(count: int, limits: Limits) -> None:
    if count > limits.max_pages:
        raise LimitExceeded("max_pages", f"the PDF has {count} pages, over the limit max_pages = {limits.max_pages}")


def _clean(text: str) -> str:
    # PDFium ends lines with CRLF and marks soft hyphens and unmapped glyphs with controls.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_CONTROL)


_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\t\f"} | {0xFFFE: None, 0xFFFF: None}


def _meta_text(pdf: Any, key: str) -> str:
    """One Info entry's text; a lone UTF-16 surrogate in it reads as U+FFFD.

    pypdfium2's own `get_metadata_value` decodes strictly and raises on such an entry.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    enc_key = key.encode("ascii") + b"\0"
    n_bytes = pdfium_c.FPDF_GetMetaText(pdf, enc_key, None, 0)
    if n_bytes <= 2:
        return ""
    buffer = ctypes.create_string_buffer(n_bytes)
    pdfium_c.FPDF_GetMetaText(pdf, enc_key, buffer, n_bytes)
    return buffer.raw[: n_bytes - 2].decode("utf-16-le", "replace")


def _info(pdf: Any) -> dict[str, str]:
    """Standard Info entries, and each of our keys under the spellings people use for it."""
    out: dict[str, str] = {}
    for name in _INFO_STANDARD:
        value = _meta_text(pdf, name)
        if value:
            out[name] = value
    for key in [*sorted(KNOWN_KEYS), *(PROPERTY_PREFIX + k for k in sorted(KNOWN_KEYS))]:
        for name in _spellings(key):
            if name in _PDF_OWN_NAMES:
                continue
            value = _meta_text(pdf, name)
            if value:
                out[name] = value
                break
    return out


def _spellings(key: str) -> list[str]:
    """``approved_by`` -> approved_by, Approved_by, Approved_By, ApprovedBy, approved-by, ..."""
    parts = key.split("_")
    names = [
        key,
        key.capitalize(),
        "_".join(p.capitalize() for p in parts),
        "".join(p.capitalize() for p in parts),
        "-".join(parts),
        "-".join(p.capitalize() for p in parts),
        key.upper(),
    ]
    seen: list[str] = []
    for n in names:
        if n not in seen and n != "Title":  # the standard Title is read as a standard key
            seen.append(n)
    return seen


def _fallback(data: bytes, limits: Limits, reason: str) -> Extracted:
    """The whole file through pdfplumber, for a PDF PDFium cannot open."""
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            _check_pages(len(pdf.pages), limits)
            out = Extracted()
            for page in pdf.pages:
                out.pages.append(_clean(page.extract_text() or ""))
                page.close()
            info = pdf.metadata or {}
    except LimitExceeded:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types on damaged input
        if "password" in type(exc).__name__.lower() or "encrypt" in str(exc).lower():
            raise PdfError(
                "the PDF is encrypted with a password, so its text cannot be read", hint=PASSWORD_HINT
            ) from exc
        raise PdfError(f"the PDF cannot be read: {reason}") from exc
    if not out.pages:
        raise PdfError(f"the PDF cannot be read: {reason}")
    out.info = {str(k): v for k, v in info.items() if isinstance(v, str) and v}
    return out


def _fill_pages(data: bytes, out: Extracted, failed: list[int]) -> None:
    """Re-read the pages PDFium failed on with pdfplumber; leave them empty if it fails too."""
    done: set[int] = set()
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for i in failed:
                if i < len(pdf.pages):
                    page = pdf.pages[i]
                    out.pages[i] = _clean(page.extract_text() or "")
                    page.close()
                    done.add(i)
    except Exception:  # pdfminer raises many unrelated types; the pages stay unread
        pass
    out.unreadable = [i for i in failed if i not in done]


def pdf_date(value: str) -> str:
    """``D:20260214093000+01'00'`` -> ``2026-02-14T09:30:00+01:00`` (or the date alone)."""
    m = _PDF_DATE.match(value.strip())
    if not m:
        return value.strip()
    y, mo, d, h, mi, s, tz = m.groups()
    date = f"{y}-{mo or '01'}-{d or '01'}"
    if h is None:
        return date
    zone = ""
    if tz:
        zone = "Z" if tz == "Z" else tz[:3] + ":" + tz.replace("'", "")[3:5]
    return f"{date}T{h}:{mi or '00'}:{s or '00'}{zone}"


def _xmp_packet(data: bytes) -> bytes | None:
    """The last uncompressed XMP packet in the file (an incremental update appends a newer one)."""
    for start_tag, end_tag in zip(_XMP_START, _XMP_ENDS, strict=True):
        start = data.rfind(start_tag)
        if start < 0:
            continue
        end = data.find(end_tag, start)
        if end < 0:
            continue
        return data[start : end + len(end_tag)]
    return None


class XmpError(Exception):
    """The XMP packet is not well-formed or declares entities."""


def _xmp_properties(packet: bytes) -> Iterator[Property]:
    """Properties of an XMP packet; raises XmpError for a packet that cannot be parsed safely."""
    try:
        root = fromstring(packet, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError, RecursionError) as exc:
        raise XmpError(str(exc) or type(exc).__name__) from exc
    for desc in root.iter(f"{{{RDF_NS}}}Description"):
        for name, value in desc.attrib.items():
            ns, local = _split(name)
            if ns != RDF_NS:
                yield from _xmp_property(ns, local, value)
        for el in desc:
            ns, local = _split(el.tag)
            yield from _xmp_property(ns, local, _xmp_value(el))


def _xmp_property(ns: str, local: str, value: str) -> Iterator[Property]:
    if not value:
        return
    if ns in _XMP_SCHEMAS:
        # dc:type and dc:date mean something else in Dublin Core; only the mapped ones count
        if local in _XMP_STANDARD:
            yield Property(_XMP_STANDARD[local], value)
    elif ns == PDFX_NS or canonical_key(local) in KNOWN_KEYS:
        yield Property(local, value)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return "", tag


def _xmp_value(el: Element) -> str:
    """Text of a simple property, or the items of an rdf:Alt/Seq/Bag joined with commas."""
    items = [(li.text or "").strip() for li in el.iter(f"{{{RDF_NS}}}li")]
    if items:
        return ", ".join(i for i in items if i) if len(items) > 1 else items[0]
    return (el.text or "").strip()


def _document(rel: str, data: bytes, ex: Extracted, load: Callable[[], SidecarMeta | None]) -> Document:
    problems: list[Finding] = _unreadable_pages(rel, ex.unreadable)
    sections: list[Section] = []
    for n, text in enumerate(ex.pages, start=1):
        found = find_markers(text, rel, n, where="page")
        problems.extend(found.problems)
        body = "\n".join(line.strip() for line in found.text.split("\n") if line.strip())
        sections.append(Section(f"Page {n}", 1, n, n, found.tags, body))
    sidecar = load()
    if sidecar is not None:
        metadata, lines, source = sidecar.data, sidecar.lines, "sidecar"
        has_meta = sidecar.ok
        problems = list(merge_problems(sidecar.problems, problems))
    else:
        metadata, has_meta, source, meta_problems = _properties(rel, data, ex.info)
        lines = {k: 0 for k in metadata}  # Info and XMP entries have no page
        problems = list(merge_problems(meta_problems, problems))
    return Document(
        path=rel,
        format="pdf",
        metadata=metadata,
        meta_lines=lines,
        meta_source=source,
        has_metadata=has_meta,
        sections=tuple(sections),
        text="\f".join(ex.pages),
        location_kind="page",
        problems=tuple(problems),
    )


MAX_PAGE_FINDINGS = 5


def _unreadable_pages(rel: str, pages: list[int]) -> list[Finding]:
    """A warning per page no reader could read (the rest of the file still counts)."""
    out = [
        make(
            "parse-error",
            f"page {i + 1} cannot be read by either PDF reader (a damaged or "
            "circular page tree?); its text and tags are missing",
            path=rel,
            line=i + 1,
            severity="warning",
            hint=REPAIR_HINT,
        )
        for i in pages[:MAX_PAGE_FINDINGS]
    ]
    if len(pages) > MAX_PAGE_FINDINGS:
        out.append(
            make(
                "parse-error",
                f"{len(pages) - MAX_PAGE_FINDINGS} more pages cannot be read",
                path=rel,
                severity="warning",
                hint=REPAIR_HINT,
            )
        )
    return out


def _properties(rel: str, data: bytes, info: dict[str, str]) -> tuple[dict[str, Any], bool, str, list[Finding]]:
    """Info entries first, then XMP for the keys Info does not have."""
    info_props = [
        Property(_INFO_STANDARD.get(k, k), _info_text(k, v)) for k, v in info.items() if k.strip() not in _PDF_OWN_NAMES
    ]
    from_info = property_metadata(info_props, rel, "PDF Info entry")
    packet = _xmp_packet(data)
    xmp_problems: list[Finding] = []
    try:
        xmp_props = list(_xmp_properties(packet)) if packet else []
    except XmpError as exc:
        xmp_props = []
        xmp_problems.append(
            make(
                "parse-error",
                f"the XMP metadata cannot be parsed and is ignored: {exc}",
                path=rel,
                severity="warning",
                hint="Rewrite the PDF's metadata, or describe the file with a sidecar NAME.pdf.yaml.",
            )
        )
    from_xmp = property_metadata(xmp_props, rel, "XMP property")
    metadata = dict(from_info.data)
    used_xmp = False
    for key, value in from_xmp.data.items():
        if key not in metadata:
            metadata[key] = value
            used_xmp = True
    used_info = bool(from_info.data)
    source = (
        "pdf-info+xmp" if used_info and used_xmp else "pdf-info" if used_info else "pdf-xmp" if used_xmp else "none"
    )
    problems = list(merge_problems(from_info.problems, from_xmp.problems, xmp_problems))
    return metadata, from_info.has_evidence or from_xmp.has_evidence, source, problems


def _info_text(name: str, value: str) -> str:
    if name in ("CreationDate", "ModDate") or value.startswith("D:"):
        return pdf_date(value)
    return value
