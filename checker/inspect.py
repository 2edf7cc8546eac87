"""`escm-check inspect`: what the checker sees in each file, to debug a document that won't count.

The report is plain JSON data: per file its format, the metadata with where each key was
read, the sections with their spans and tags, and every problem. The text rendering is
for people and says where a location is (line, paragraph or page) in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .documents import Document
from .findings import SEVERITY_ORDER, Finding
from .formats import sidecar_rel

INSPECT_VERSION = "1"

_SOURCE_LABELS = {
    "sidecar": "sidecar file",
    "docx-properties": "Word document properties (custom, then core for title and version)",
    "pdf-info": "PDF Info dictionary",
    "pdf-xmp": "PDF XMP metadata",
    "pdf-info+xmp": "PDF Info dictionary, then XMP metadata",
    "front-matter": "YAML front matter",
    "none": "none found",
}
_UNIT = {"line": "line", "paragraph": "paragraph", "page": "page"}


def inspect_documents(docs: Sequence[Document]) -> dict[str, Any]:
    """A JSON-able report of every document: metadata and sources, sections, tags, problems."""
    files = [_inspect_one(doc) for doc in docs]
    return {
        "inspect_version": INSPECT_VERSION,
        "files": files,
        "summary": {
            "files": len(files),
            "unreadable": sum(1 for f in files if f["error"] is not None),
            "with_metadata": sum(1 for f in files if f["metadata"]["present"]),
            "tags": sum(len(f["tags"]) for f in files),
            "problems": sum(len(f["problems"]) for f in files),
        },
    }


def _meta_file(doc: Document) -> str:
    return sidecar_rel(doc.path) if doc.meta_source == "sidecar" else doc.path


def _inspect_one(doc: Document) -> dict[str, Any]:
    meta_file = _meta_file(doc)
    # Lines are only meaningful where the metadata has lines (front matter, sidecar);
    # document properties have none and are recorded with 0.
    keys = []
    for key, value in doc.metadata.items():
        line = doc.meta_lines.get(key)
        keys.append({"key": key, "value": _jsonable(value), "file": meta_file, "line": line if line else None})
    sections = []
    for s in doc.sections:
        sections.append(
            {
                "heading": s.heading,
                "level": s.level,
                "start": s.start,
                "end": s.end,
                "words": len(s.text.split()),
                "substantive": s.substantive,
                "tags": [{"tag": t.key, "location": t.line} for t in s.tags],
            }
        )
    return {
        "path": doc.path,
        "format": doc.format,
        "location_kind": doc.location_kind,
        "error": doc.error,
        "metadata": {
            "present": doc.has_metadata,
            "source": doc.meta_source,
            "source_label": _SOURCE_LABELS.get(doc.meta_source, doc.meta_source),
            "file": meta_file,
            "keys": keys,
        },
        "sections": sections,
        "tags": [{"tag": t.key, "location": t.line} for t in doc.tags],
        "problems": [_finding(f) for f in sorted(doc.problems, key=_problem_order)],
        "notes": _notes(doc),
    }


def _problem_order(f: Finding) -> tuple[int, int, str, str]:
    return (SEVERITY_ORDER.get(f.severity, 9), f.line or 0, f.rule, f.message)


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "practice": f.practice,
        "activity": f.activity,
        "hint": f.hint,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _notes(doc: Document) -> list[str]:
    """Plain-language explanations of why a readable document may still not count."""
    notes: list[str] = []
    if doc.error is not None:
        return notes
    if not doc.has_metadata:
        side = sidecar_rel(doc.path)
        where = {
            "markdown": "YAML front matter at the top",
            "docx": "custom document properties (File > Info > Properties > Advanced > Custom) or a sidecar " + side,
            "pdf": "a sidecar " + side + " (or custom Info/XMP entries)",
            "sidecar": "a sidecar " + side,
        }[doc.format]
        notes.append(f"no evidence metadata (id, type, practices, ...) was found; add {where}")
    if doc.format == "pdf" and doc.sections and not doc.text.strip():
        notes.append(
            "no text could be extracted (a scanned image?): [escm: ...] markers are "
            "invisible until the PDF has a text layer (OCR it)"
        )
    for s in doc.sections:
        if s.tags and not s.substantive:
            unit = _UNIT[doc.location_kind]
            where = f"{unit} {s.start}" if s.start == s.end else f"{unit}s {s.start}-{s.end}"
            notes.append(
                f"section {_heading(s.heading)} ({where}) is tagged "
                f"{', '.join(t.key for t in s.tags)} but has too little content to "
                "count (at least eight words of prose)"
            )
    return notes


def _heading(heading: str) -> str:
    return f"'{heading}'" if heading else "(before the first heading)"


def render_inspect_text(report: dict[str, Any]) -> str:
    """The inspect report for people: one block per file."""
    out: list[str] = []
    for f in report.get("files", []):
        unit = _UNIT.get(f["location_kind"], "line")
        out.append(f"{f['path']}  [{f['format']}; locations are {unit}s]")
        if f["error"] is not None:
            out.append(f"  NOT READ: {f['error']}")
        meta = f["metadata"]
        if f["error"] is None:
            present = "" if meta["present"] else " (no evidence keys)"
            out.append(f"  metadata from {meta['source_label']}{present}:")
            if meta["source"] == "sidecar":
                out.append(f"    file: {meta['file']}")
            if not meta["keys"]:
                out.append("    (none)")
            width = max((len(k["key"]) for k in meta["keys"]), default=0)
            for k in meta["keys"]:
                at = f"  (line {k['line']})" if k["line"] else ""
                out.append(f"    {k['key']:<{width}} : {_show(k['value'])}{at}")
            out.append(f"  sections ({len(f['sections'])}):")
            if not f["sections"]:
                out.append("    (none)")
            for s in f["sections"]:
                span = f"{unit} {s['start']}" if s["start"] == s["end"] else f"{unit}s {s['start']}-{s['end']}"
                indent = "  " * max(0, s["level"] - 1)
                flag = "" if s["substantive"] else ", not substantive"
                out.append(
                    f"    {indent}{_heading(s['heading'])} (level {s['level']}, {span}, {s['words']} words{flag})"
                )
                for t in s["tags"]:
                    out.append(f"    {indent}  tag {t['tag']} at {unit} {t['location']}")
        for p in f["problems"]:
            where = (
                f" {p['path']}:{p['line']}"
                if p["line"]
                else (f" {p['path']}" if p["path"] and p["path"] != f["path"] else "")
            )
            out.append(f"  {p['severity']} {p['rule']}{where}: {p['message']}")
            if p["hint"]:
                out.append(f"      hint: {p['hint']}")
        for note in f["notes"]:
            out.append(f"  note: {note}")
        out.append("")
    s = report.get("summary")
    if s:
        out.append(
            f"{s['files']} file(s), {s['unreadable']} not read, {s['with_metadata']} with "
            f"metadata, {s['tags']} tag(s), {s['problems']} problem(s)"
        )
    return "\n".join(out) + "\n"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)
