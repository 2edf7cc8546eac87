"""What every non-Markdown format shares: sidecar metadata, string properties and text markers.

A sidecar ``NAME.ext.yaml`` beside a file is that file's front matter, for formats that
cannot carry it (a spreadsheet record, a PDF from a supplier). Word and PDF files can also
carry their metadata as string properties, where lists are comma-separated; those strings
are normalised here to the same shapes front matter gives. Section tags in Word and PDF
text are ``[escm: knw07.b3, knw07.b4]`` markers, parsed here for both.

When a Document's ``meta_source`` is ``"sidecar"``, its ``meta_lines`` are line numbers
in the sidecar (``sidecar_rel(doc.path)``), not in the document itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from ..decoding import decode_text, undecodable
from ..documents import TAG_ID, Document, LocationKind, Tag
from ..findings import Finding, make
from ..formats import SIDECAR_SUFFIX, DocFormat, sidecar_rel
from ..frontmatter import load_mapping, normalise_text
from ..metadata_keys import ALL_KEYS, DATE_KEYS, LIST_KEYS
from .limits import LimitExceeded, Limits, NotAFile, read_bounded

# The user-facing evidence keys (DESIGN.md); property names are matched to these after
# case folding so `Approved By` in Word's custom property dialog still counts.
KNOWN_KEYS = ALL_KEYS
# Properties the writing application stamps on every save (Word's core properties, a PDF's
# dates): they record that the file was saved, not what it says, so a change of them alone
# is not a change of the document's content.
SAVE_STAMP_KEYS = frozenset({"created", "modified", "revision", "last_modified_by"})

# Linear: the body excludes brackets, so a stray `[escm:` cannot make the scan backtrack.
MARKER = re.compile(r"\[\s*escm\s*:([^\[\]]{0,2000})\]", re.IGNORECASE)
_SPLIT = re.compile(r"[,;\s]+")
_DOT_SPACE = re.compile(r"\s*\.\s*")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def sidecar_path(abs_path: Path) -> Path:
    """``report.pdf`` -> ``report.pdf.yaml``: the sidecar keeps the full file name."""
    return abs_path.with_name(abs_path.name + SIDECAR_SUFFIX)


class SidecarMeta(msgspec.Struct, frozen=True):
    """Metadata read from a sidecar, with the line of each key in the sidecar."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)
    lines: dict[str, int] = msgspec.field(default_factory=dict)
    problems: tuple[Finding, ...] = ()
    ok: bool = False  # read and parsed; broken metadata counts as absent, as in front matter

    def document(
        self, rel: str, fmt: DocFormat, location_kind: LocationKind = "line", more: Iterable[Finding] = ()
    ) -> Document:
        """A Document of `rel` holding only this metadata (its text is not read)."""
        return Document(
            path=rel,
            format=fmt,
            metadata=self.data,
            meta_lines=self.lines,
            meta_source="sidecar",
            has_metadata=self.ok,
            location_kind=location_kind,
            problems=merge_problems(self.problems, more),
        )


def load_sidecar(abs_path: Path, rel: str, limits: Limits) -> SidecarMeta | None:
    """Read the sidecar of the file at ``abs_path``; None when there is none.

    Findings name the sidecar's path. A sidecar that cannot be read gives empty metadata
    and a finding rather than falling back to the file's own properties: the user meant
    the sidecar to be the source.
    """
    side = sidecar_path(abs_path)
    if not os.path.lexists(side):
        return None
    srel = sidecar_rel(rel)
    try:
        raw = read_bounded(side, limits)
    except LimitExceeded as exc:
        return SidecarMeta(problems=(make("yaml-error", f"sidecar refused: {exc}", path=srel),))
    except NotAFile as exc:
        return SidecarMeta(problems=(make("file-skipped", f"sidecar not read: {exc}", path=srel),))
    except OSError as exc:
        return SidecarMeta(problems=(make("yaml-error", f"sidecar cannot be read: {exc.strerror or exc}", path=srel),))
    return parse_sidecar(raw, srel)


def parse_sidecar(raw: bytes, srel: str) -> SidecarMeta:
    """A sidecar's metadata from its bytes (a file, or a blob from git history); findings name `srel`."""
    decoded = decode_text(raw)
    bad = undecodable(decoded, raw, srel, rule="yaml-error")
    block = load_mapping(normalise_text(decoded.text), srel)
    problems = block.problems if bad is None else (bad, *block.problems)
    return SidecarMeta(dict(block.data), dict(block.lines), problems, block.ok)


def read_sidecar(abs_path: Path, rel: str, limits: Limits) -> Document | None:
    """A metadata-only Document (format ``sidecar``) for a file of any type, or None.

    ``rel`` is the described file (``records/audit-log.xlsx``); the metadata comes from
    ``records/audit-log.xlsx.yaml``. The file itself is not opened.
    """
    meta = load_sidecar(abs_path, rel, limits)
    return None if meta is None else meta.document(rel, "sidecar")


PROPERTY_PREFIX = "escm_"


def canonical_key(name: str) -> str:
    """``Approved By`` / ``approved-by`` / ``escm_approved_by`` -> ``approved_by`` when it is one of our keys."""
    folded = re.sub(r"[\s\-]+", "_", name.strip()).lower()
    if folded.startswith(PROPERTY_PREFIX) and folded[len(PROPERTY_PREFIX) :] in KNOWN_KEYS:
        return folded[len(PROPERTY_PREFIX) :]
    return folded if folded in KNOWN_KEYS else name.strip()


class Property(msgspec.Struct, frozen=True):
    """One string-typed document property: its name, its text as stored, its typed value."""

    name: str
    text: str
    value: Any = None


class PropertyMeta(msgspec.Struct):
    """Metadata built from document properties and whether any evidence key was among them."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)
    problems: list[Finding] = msgspec.field(default_factory=list)
    has_evidence: bool = False


def property_metadata(props: Iterable[Property], path: str, where: str) -> PropertyMeta:
    """Normalise document properties to front-matter shapes.

    ``practices`` becomes a list, ``satisfies`` (``knw07.b1, knw07.b2``) a mapping of
    practice to activities, dates ISO dates; text keys keep the text as stored, so a
    version typed as a number keeps its digits. ``where`` names the source in findings.
    """
    out = PropertyMeta()
    for prop in props:
        key = canonical_key(prop.name)
        if not key:
            continue
        if key not in KNOWN_KEYS:
            out.data[key] = prop.text if prop.value is None else prop.value
            continue
        out.has_evidence = out.has_evidence or key != "title"
        text = prop.text.strip()
        if key in LIST_KEYS:
            out.data[key] = split_list(text)
        elif key == "satisfies":
            claims, bad = parse_satisfies(text)
            out.data[key] = claims
            for item in bad:
                out.problems.append(
                    make(
                        "front-matter-invalid",
                        f"{where} `satisfies`: {item!r} is not PRACTICE.ACTIVITY (e.g. knw07.b1)",
                        path=path,
                        hint="Write satisfies as a comma-separated list such as `knw07.b1, knw07.b2`.",
                    )
                )
        elif key in DATE_KEYS:
            out.data[key] = iso_date(prop.value if prop.value is not None else text)
        else:
            out.data[key] = text
    return out


def split_list(text: str) -> list[str]:
    """``knw07, prf02`` -> ``["knw07", "prf02"]``; commas, semicolons or spaces separate."""
    return [item for item in _SPLIT.split(text) if item]


def parse_satisfies(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """``knw07.b1, knw07.b2`` -> ``{"knw07": ["b1", "b2"]}`` and the items that do not parse."""
    claims: dict[str, list[str]] = {}
    bad: list[str] = []
    for item in split_list(text):
        m = TAG_ID.match(item.lower())
        if not m:
            bad.append(item)
            continue
        acts = claims.setdefault(m.group(1), [])
        if m.group(2) not in acts:
            acts.append(m.group(2))
    return claims, bad


def iso_date(value: Any) -> Any:
    """A date-like value as ``YYYY-MM-DD``; anything else is returned for the schema to judge."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        m = _ISO_DATE.match(value.strip())
        if m:
            return m.group(1)
        return value.strip()
    return value


class Markers(msgspec.Struct, frozen=True):
    """Tags found in one paragraph or page, and the text without the markers."""

    tags: tuple[Tag, ...]
    text: str
    problems: tuple[Finding, ...] = ()


def find_markers(text: str, path: str, location: int, where: str = "paragraph") -> Markers:
    """Parse ``[escm: knw07.b3, knw07.b4]`` markers located at a paragraph or page.

    A malformed id gives an ``unknown-activity`` finding at the location and no tag.
    """
    if "escm" not in text.lower():
        return Markers((), text)
    tags: list[Tag] = []
    problems: list[Finding] = []
    for m in MARKER.finditer(text):
        # A line break inside `knw07.b3` (PDF text wraps) must not split the id.
        items = split_list(_DOT_SPACE.sub(".", m.group(1)))
        if not items:
            problems.append(
                make(
                    "unknown-activity",
                    f"empty [escm: ] marker in {where} {location}",
                    path=path,
                    line=location,
                    hint="Name the activities, e.g. [escm: knw07.b3], or remove the marker.",
                )
            )
        for item in items:
            tm = TAG_ID.match(item.lower())
            if tm:
                tags.append(Tag(tm.group(1), tm.group(2), location))
            else:
                problems.append(
                    make(
                        "unknown-activity",
                        f"{item!r} in an [escm: ...] marker is not PRACTICE.ACTIVITY (e.g. knw07.b3)",
                        path=path,
                        line=location,
                        hint="Write each tag as a Practice id, a dot and an activity id: knw07.b3.",
                    )
                )
    return Markers(tuple(tags), MARKER.sub(" ", text), tuple(problems))


def merge_problems(*groups: Iterable[Finding]) -> tuple[Finding, ...]:
    """Concatenate finding groups, keeping order and dropping exact repeats."""
    seen: set[Finding] = set()
    out: list[Finding] = []
    for group in groups:
        for f in group:
            if f not in seen:
                seen.add(f)
                out.append(f)
    return tuple(out)
