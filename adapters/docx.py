"""Word documents (.docx, .docm): properties as metadata, headings as sections, markers as tags.

The package is read straight from the zip rather than through python-docx: python-docx
refuses .docm, parses every part of the package with lxml before we could vet it, and
its ``paragraph.style`` lookup is slow. Here every XML part we touch goes through
defusedxml with DTDs forbidden (no entity expansion, no external entities, no network),
and the zip directory is checked against the limits before any part is decompressed.

Locations are 1-based paragraph indexes in reading order, counting the paragraphs in
table cells and text boxes too, so a marker in a table has a location of its own.
Headings are paragraphs whose style is a built-in "heading N" (level N), "Title"
(level 1), or has an outline level, directly or through its basedOn chain.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from lxml import etree

from ..documents import Document, Section, Tag, section_spans
from ..findings import Finding
from .limits import (
    InflateBudget,
    LimitExceeded,
    Limits,
    NotAFile,
    check_size,
    check_zip_directory,
    error_document,
    limit_document,
    read_bounded,
    skipped_document,
)
from .sidecar import (
    Property,
    SidecarMeta,
    find_markers,
    load_sidecar,
    merge_problems,
    property_metadata,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# An encrypted OOXML file is an OLE container whose directory names this stream (UTF-16).
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)  # transitional, strict
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

CORE_KEYS = {
    "title": "title",
    "version": "version",
    "revision": "revision",
    "lastModifiedBy": "last_modified_by",
    "category": "category",
    "keywords": "keywords",
    "created": "created",
    "modified": "modified",
}

CONVERT_HINT = "Open the file in Word and save it as a .docx document."
PASSWORD_HINT = "Remove the password protection in Word and save the file again."
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


class DocxError(Exception):
    """The package cannot be read as a Word document; the message says why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def read_docx(abs_path: Path, rel: str, limits: Limits) -> Document:
    """Read a Word document; a damaged, hostile or oversized file is a parse-error Document."""
    try:
        data = read_bounded(abs_path, limits)
    except LimitExceeded as exc:
        return limit_document(rel, "docx", exc, location_kind="paragraph")
    except NotAFile as exc:
        return skipped_document(rel, "docx", str(exc), location_kind="paragraph")
    except OSError as exc:
        return error_document(rel, "docx", f"cannot read the file: {exc.strerror or exc}", location_kind="paragraph")
    return parse_docx(data, rel, limits, lambda: load_sidecar(abs_path, rel, limits))


def parse_docx(
    data: bytes, rel: str, limits: Limits, sidecar: Callable[[], SidecarMeta | None] | None = None
) -> Document:
    """A Word document from its bytes (a file, or a blob from git history).

    `sidecar` reads the file's sidecar, when one may exist; its metadata then wins over the
    package's properties. Never raises: a bad package is a parse-error Document.
    """
    try:
        check_size(len(data), limits)
        return _read_package(data, rel, limits, sidecar)
    except LimitExceeded as exc:
        return limit_document(rel, "docx", exc, location_kind="paragraph")
    except DocxError as exc:
        return error_document(rel, "docx", str(exc), location_kind="paragraph", hint=exc.hint)


def sniff(data: bytes) -> str | None:
    """Why bytes cannot be a Word package, before trying to unzip them; None when they may be."""
    if data.startswith(ZIP_MAGICS):
        return None
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in data[: 1 << 20] or ENCRYPTED_STREAM in data[-(1 << 20) :]:
            return (
                "the document is password-protected (encrypted), so its content cannot be "
                "read; remove the password (File > Info > Protect Document) and save it "
                "again as .docx"
            )
        return (
            "a legacy Word 97-2003 (.doc) file or another OLE compound file, not a .docx "
            "package; convert it: open it in Word and save it as .docx"
        )
    if not data:
        return "the file is empty, not a Word package"
    if data.lstrip()[:5] == b"{\\rtf":
        return "an RTF file named like a Word document; save it as .docx"
    return "not a Word package: a .docx file is a zip archive and this file is not one"


def _read_package(data: bytes, rel: str, limits: Limits, load: Callable[[], SidecarMeta | None] | None) -> Document:
    why = sniff(data)
    if why:
        hint = PASSWORD_HINT if "password" in why else CONVERT_HINT
        raise DocxError(why, hint=hint)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    # NotImplementedError: a directory entry naming a zip version or method zipfile lacks
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise DocxError(
            f"not a readable zip package (a .docx file is a zip archive): {exc}", hint=CONVERT_HINT
        ) from exc
    with zf:
        check_zip_directory(zf, limits)
        pkg = _Package(zf, InflateBudget(limits, "the Word package's parts"))
        main = pkg.main_part()
        root = pkg.big_xml(main)
        ns = _namespace(root.tag)
        if ns not in W_NAMESPACES or _local(root.tag) != "document":
            raise DocxError(
                f"the package's main part {main} is <{_local(root.tag)}>, not a Word "
                "document (an Excel or PowerPoint file renamed to .docx?)",
                hint="Give the file the extension of its real format.",
            )
        body = root.find(f"{{{ns}}}body")
        styles = _heading_styles(pkg, main, ns)
        parsed = _Body(ns, styles, rel).parse(body)
        sidecar = load() if load is not None else None
        if sidecar is not None:
            metadata, lines = sidecar.data, sidecar.lines
            source, has_meta = "sidecar", sidecar.ok
            meta_problems: tuple[Finding, ...] = sidecar.problems
        else:
            metadata, has_meta, meta_problems = _properties(pkg, rel)
            lines = {k: 0 for k in metadata}  # a property has no paragraph of its own
            source = "docx-properties"
    return Document(
        path=rel,
        format="docx",
        metadata=metadata,
        meta_lines=lines,
        meta_source=source,
        has_metadata=has_meta,
        sections=parsed.sections,
        text=parsed.text,
        location_kind="paragraph",
        problems=merge_problems(meta_problems, parsed.problems),
    )


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# Markup text is escaped (&lt;), so these bytes only occur in a real declaration.
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be"))
_LXML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, collect_ids=False
)


def _dtd_refused(name: str, what: str) -> DocxError:
    return DocxError(
        f"part {name} declares a DTD or entities ({what}); Word never writes these, so the "
        "file was crafted or damaged and is refused",
        hint="Re-save the document from Word, or remove the file.",
    )


class _Package:
    """Part access by name, with relationships resolved the way OPC defines them."""

    def __init__(self, zf: zipfile.ZipFile, budget: InflateBudget) -> None:
        self.zf = zf
        # every part read counts, once per read, against the one per-file limit the zip
        # directory was checked against (zipfile never inflates past a declared size)
        self.budget = budget
        # OPC part names are case-insensitive; zip names are not.
        self.names = {info.filename.lower(): info.filename for info in zf.infolist()}

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def info(self, name: str) -> zipfile.ZipInfo:
        return self.zf.getinfo(self.names[name.lower()])

    def raw(self, name: str) -> bytes:
        actual = self.names.get(name.lower())
        if actual is None:
            raise DocxError(f"the package has no part {name}", hint=CONVERT_HINT)
        self.budget.take(self.zf.getinfo(actual).file_size)
        try:
            return self.zf.read(actual)  # never more than the size the directory declared
        except (
            zipfile.BadZipFile,
            RuntimeError,
            NotImplementedError,
            zlib.error,
            EOFError,
            OSError,
            ValueError,
        ) as exc:
            raise DocxError(f"part {name} cannot be decompressed: {exc}", hint=CONVERT_HINT) from exc

    def xml(self, name: str) -> Element:
        """A small part (relationships, properties) through defusedxml, DTDs forbidden."""
        raw = self.raw(name)
        try:
            return fromstring(raw, forbid_dtd=True)  # type: ignore[no-any-return]
        except DefusedXmlException as exc:
            raise _dtd_refused(name, type(exc).__name__) from exc
        # LookupError: an XML declaration naming an encoding Python does not know
        except (ParseError, ValueError, RecursionError, LookupError) as exc:
            raise DocxError(f"part {name} is not well-formed XML: {exc}", hint=CONVERT_HINT) from exc

    def big_xml(self, name: str) -> Any:
        """A large part (document, styles) through libxml2, which is several times faster.

        The parser never substitutes entities, loads a DTD or touches the network, and
        keeps libxml2's depth and size caps; a part that declares a DTD at all is then
        refused, exactly as defusedxml would.
        """
        data = self.raw(name)
        if any(marker in data for marker in _DOCTYPE_MARKERS):  # before libxml2 sees it
            raise _dtd_refused(name, "DOCTYPE")
        try:
            root = etree.fromstring(data, _LXML_PARSER)
        except (etree.LxmlError, ValueError, RecursionError, LookupError) as exc:
            raise DocxError(f"part {name} is not well-formed XML: {exc}", hint=CONVERT_HINT) from exc
        if root is None:
            raise DocxError(f"part {name} is empty", hint=CONVERT_HINT)
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise _dtd_refused(name, "DOCTYPE")
        return root

    def rels(self, source: str) -> dict[str, str]:
        """Relationship type (last path segment) -> target part name, for a part or the package."""
        folder, base = posixpath.split(source)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_name):
            return {}
        out: dict[str, str] = {}
        for rel in self.xml(rels_name):
            if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            target = rel.get("Target") or ""
            if not target or kind in out:
                continue
            joined = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            out[kind] = posixpath.normpath(joined).lstrip("/")
        return out

    def main_part(self) -> str:
        main = self.rels("").get("officeDocument", "word/document.xml")
        if not self.has(main):
            raise DocxError(
                f"the zip package has no document part ({main}): it is not a Word document, or it is damaged",
                hint=CONVERT_HINT,
            )
        return main


def _heading_styles(pkg: _Package, main: str, ns: str) -> dict[str, int]:
    """Paragraph style id -> heading level, from names, outline levels and basedOn chains.

    Style ids are localised (a German Word writes ``berschrift1``) but style names of
    built-in styles are always stored in English, so names decide.
    """
    styles_part = pkg.rels(main).get("styles")
    if not styles_part or not pkg.has(styles_part):
        return {}
    # Documents made from one template share their styles part byte for byte, and it is
    # the largest part of a short document: parse each distinct one once per process,
    # recognised from the zip directory (CRC and size) without decompressing it again.
    info = pkg.info(styles_part)
    key = (ns, info.CRC, info.file_size)
    cached = _STYLE_CACHE.get(key)
    if cached is not None:
        return cached
    levels = _style_levels(pkg.big_xml(styles_part), ns)
    if len(_STYLE_CACHE) >= 64:
        _STYLE_CACHE.pop(next(iter(_STYLE_CACHE)))
    _STYLE_CACHE[key] = levels
    return levels


_STYLE_CACHE: dict[tuple[str, int, int], dict[str, int]] = {}


def _style_levels(root: Any, ns: str) -> dict[str, int]:
    w = f"{{{ns}}}"
    own: dict[str, int | None] = {}
    based: dict[str, str] = {}
    for style in root.iter(f"{w}style"):
        if style.get(f"{w}type") != "paragraph":
            continue
        sid = style.get(f"{w}styleId")
        if not sid:
            continue
        name_el = style.find(f"{w}name")
        name = (name_el.get(f"{w}val") or "") if name_el is not None else ""
        level: int | None = None
        m = _HEADING_NAME.match(name.strip())
        if m:
            level = int(m.group(1))
        elif name.strip().lower() == "title":
            level = 1
        else:
            outline = style.find(f"{w}pPr/{w}outlineLvl")
            level = _outline_level(outline.get(f"{w}val") if outline is not None else None)
        own[sid] = level
        base = style.find(f"{w}basedOn")
        if base is not None and base.get(f"{w}val"):
            based[sid] = base.get(f"{w}val") or ""
    resolved: dict[str, int] = {}
    for sid in own:
        cur: str | None = sid
        seen: set[str] = set()
        while cur is not None and cur not in seen:  # basedOn cycles exist in damaged files
            seen.add(cur)
            lvl = own.get(cur)
            if lvl is not None:
                resolved[sid] = lvl
                break
            cur = based.get(cur)
    return resolved


def _outline_level(val: str | None) -> int | None:
    """Word's 0-based outline level; 9 means body text."""
    if val is None or not val.isascii() or not val.isdigit() or len(val) > 2:
        return None
    n = int(val)
    return n + 1 if 0 <= n <= 8 else None


def _default_style_level(style_id: str) -> int | None:
    """Heading level from the style id alone, for a package without a styles part."""
    m = re.match(r"^heading\s*([1-9])$", style_id, re.IGNORECASE)
    if m:
        return int(m.group(1))
    return 1 if style_id.lower() == "title" else None


@dataclass
class _Parsed:
    sections: tuple[Section, ...] = ()
    text: str = ""
    problems: list[Finding] = field(default_factory=list)


class _Body:
    """Walks ``w:body`` once: paragraphs in reading order, headings, markers."""

    def __init__(self, ns: str, styles: dict[str, int], path: str) -> None:
        w = f"{{{ns}}}"
        self.styles = styles
        self.path = path
        self.P = f"{w}p"
        self.PPR = f"{w}pPr"
        self.PSTYLE = f"{w}pStyle"
        self.OUTLINE = f"{w}outlineLvl"
        self.VAL = f"{w}val"
        self.T = f"{w}t"
        self.TAB = f"{w}tab"
        self.BREAKS = (f"{w}br", f"{w}cr")
        self.HYPHEN = f"{w}noBreakHyphen"
        # Deleted and moved-away text is still in the XML of a tracked-changes document;
        # the Fallback branch of mc:AlternateContent repeats the Choice branch.
        self.SKIP = frozenset({f"{w}del", f"{w}moveFrom", f"{w}sectPr", f"{w}pPr", f"{w}rPr", f"{{{MC_NS}}}Fallback"})

    def paragraphs(self, body: Element) -> Iterator[Element]:
        """Every ``w:p`` in document order, nested ones (text boxes) after their anchor."""
        stack = [body]
        while stack:
            el = stack.pop()
            if el.tag == self.P:
                yield el
            if el.tag in self.SKIP:
                continue
            stack.extend(reversed(list(el)))

    def text_of(self, p: Element) -> str:
        """The visible text of one paragraph, without the paragraphs nested in it."""
        parts: list[str] = []
        stack = list(reversed(list(p)))
        while stack:
            el = stack.pop()
            tag = el.tag
            if tag == self.T:
                parts.append(el.text or "")
            elif tag == self.TAB:
                parts.append("\t")
            elif tag in self.BREAKS:
                parts.append("\n")
            elif tag == self.HYPHEN:
                parts.append("-")
            elif tag != self.P and tag not in self.SKIP:
                stack.extend(reversed(list(el)))
        return "".join(parts)

    def level_of(self, p: Element) -> int | None:
        ppr = p.find(self.PPR)
        if ppr is None:
            return None
        outline = ppr.find(self.OUTLINE)
        if outline is not None:  # direct formatting overrides the style
            return _outline_level(outline.get(self.VAL))
        style = ppr.find(self.PSTYLE)
        if style is None:
            return None
        sid = style.get(self.VAL) or ""
        if self.styles:
            return self.styles.get(sid)
        return _default_style_level(sid)

    def parse(self, body: Element | None) -> _Parsed:
        out = _Parsed()
        if body is None:
            return out
        texts: list[str] = []
        bodies: list[str] = []  # per paragraph, markers removed; "" for headings
        heads: list[tuple[int, int, str]] = []  # (0-based paragraph, level, heading)
        tags_at: list[tuple[int, Tag]] = []
        for i, p in enumerate(self.paragraphs(body)):
            raw = self.text_of(p)
            texts.append(raw)
            found = find_markers(raw, self.path, i + 1)
            out.problems.extend(found.problems)
            tags_at.extend((i, t) for t in found.tags)
            level = self.level_of(p)
            heading = " ".join(found.text.split()) if level is not None else ""
            if heading and level is not None:
                heads.append((i, level, heading))
                bodies.append("")
            else:
                bodies.append(found.text.strip())
        out.sections = _sections(heads, bodies, tags_at)
        out.text = "\n".join(texts)
        return out


def _sections(
    heads: list[tuple[int, int, str]], bodies: list[str], tags_at: list[tuple[int, Tag]]
) -> tuple[Section, ...]:
    """Sections with `section_spans`, as the Markdown reader builds them, so both formats rate
    alike; the untitled section before the first heading is kept only when it holds anything."""
    sections: list[Section] = []
    for sp in section_spans(heads, len(bodies), tags_at):
        text = "\n".join(b for b in bodies[sp.start + 1 : sp.end] if b)
        if sp.level == 0 and not text and not sp.tags:
            continue
        first = max(sp.start, 0) + 1  # 1-based paragraph of the heading (or of the first paragraph)
        sections.append(Section(sp.heading, sp.level, first, max(sp.end, first), sp.tags, text))
    return tuple(sections)


def _properties(pkg: _Package, rel: str) -> tuple[dict[str, Any], bool, tuple[Finding, ...]]:
    """Custom properties first, then the core properties that stand in for missing keys."""
    parts = pkg.rels("")
    custom_part = parts.get("custom-properties", "docProps/custom.xml")
    core_part = parts.get("core-properties", "docProps/core.xml")
    props: list[Property] = []
    if pkg.has(custom_part):
        props = list(_custom_properties(pkg.xml(custom_part)))
    meta = property_metadata(props, rel, "custom document property")
    data = meta.data
    if pkg.has(core_part):
        for key, value in _core_properties(pkg.xml(core_part)).items():
            # Custom properties win; core ones only fill gaps (title and version count).
            if value and key not in data:
                data[key] = value
    return data, meta.has_evidence, tuple(meta.problems)


def _custom_properties(root: Element) -> Iterator[Property]:
    for prop in root:
        if _local(prop.tag) != "property":
            continue
        name = prop.get("name") or ""
        value_el = next(iter(prop), None)
        if not name or value_el is None:
            continue
        kind = _local(value_el.tag)
        if kind == "vector":
            items = [(c.text or "").strip() for c in value_el]
            yield Property(name, ", ".join(items), [i for i in items if i])
            continue
        text = value_el.text or ""
        yield Property(name, text, _typed(kind, text))


def _typed(kind: str, text: str) -> Any:
    """A custom property's value in its declared type (text for anything unexpected)."""
    t = text.strip()
    try:
        if kind in ("i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint"):
            return int(t)
        if kind in ("r4", "r8", "decimal"):
            return float(t)
    except ValueError:
        return text
    if kind == "bool":
        return t.lower() in ("true", "1")
    return text


def _core_properties(root: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in root:
        key = CORE_KEYS.get(_local(el.tag))
        if key and el.text and el.text.strip():
            out[key] = el.text.strip()
    return out
