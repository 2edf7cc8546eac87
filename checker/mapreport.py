"""The outputs of `escm-check map`: text for a person, JSON for other tools."""

from __future__ import annotations

import json
from typing import Any

from .display import printable
from .mapping import DocumentMapping
from .maprun import MapResult


def map_json(result: MapResult) -> dict[str, Any]:
    """The JSON contract: model, then per document its ranked Practices and their best activities."""
    docs: list[dict[str, Any]] = []
    for d in result.documents:
        entry: dict[str, Any] = {
            "path": d.path,
            "practices": [
                {
                    "id": p.id,
                    "score": p.score,
                    "activities": [
                        {"id": a.id, "section": a.section, "line": a.line, "score": a.score} for a in p.activities
                    ],
                }
                for p in d.practices
            ],
            "declared": list(d.declared),
        }
        if d.error is not None:
            entry["error"] = d.error
        docs.append(entry)
    return {"model": result.model, "documents": docs}


def render_json(result: MapResult) -> str:
    """The JSON contract as text, keys in a fixed order, ending in a newline."""
    return json.dumps(map_json(result), indent=2, ensure_ascii=False) + "\n"


def _unit(d: DocumentMapping) -> str:
    return {"page": "page", "paragraph": "paragraph"}.get(d.location_kind, "line")


def render_text(result: MapResult, activities: int = 3) -> str:
    """Per document, its likely Practices with scores, best sections and best-matching activities."""
    lines: list[str] = []
    for d in result.documents:
        lines.append(printable(d.path))
        if d.error is not None:
            lines.append(f"  not read: {printable(d.error)}")
            continue
        if not d.practices:
            lines.append("  no Practice matches its words")
        for p in d.practices:
            mark = "  (declared)" if p.declared else ""
            title = printable(result.titles.get(p.id, ""))
            lines.append(f"  {p.id}  {p.score:.2f}  {title}{mark}")
            for s in p.sections:
                lines.append(f"      {_unit(d)} {s.line}: {printable(s.section)}  {s.score:.2f}")
            if p.activities and activities > 0:
                best = ", ".join(f"{a.id} ({_unit(d)} {a.line})" for a in p.activities[:activities])
                lines.append(f"      activities: {best}")
        missing = [pid for pid in d.declared if pid not in {p.id for p in d.practices}]
        if missing:
            lines.append(f"  declared but not ranked: {', '.join(missing)}")
    lines.append(f"{len(result.documents)} document(s) ranked against {result.model}")
    return "\n".join(lines) + "\n"
