"""JSON report: the whole result, stable key order, validated by schemas/report.schema.json."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..findings import Finding
from ..jsontext import dump_lines, dumps
from ..result import REPORT_SCHEMA_VERSION, ActivityResult, CheckResult, Evidence, SideResult


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule,
        "severity": f.severity,
        "path": f.path,
        "line": f.line,
        "practice": f.practice,
        "activity": f.activity,
        "message": f.message,
        "hint": f.hint,
    }
    if f.cause:
        out["cause"] = f.cause
    return out


def findings_as_dict(findings: Sequence[Finding]) -> dict[str, Any]:
    """Findings alone, each as the full report writes it (the pre-commit hook's JSON)."""
    return {"schema_version": REPORT_SCHEMA_VERSION, "findings": [_finding(f) for f in findings]}


def _evidence(e: Evidence) -> dict[str, Any]:
    return {"path": e.path, "line": e.line, "commit": e.commit, "kind": e.kind, "detail": e.detail}


def _side(s: SideResult | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "check": s.check,
        "satisfied": s.satisfied,
        "reason": s.reason,
        "record_kinds": list(s.record_kinds),
        "max_age": s.max_age,
        "doc_types": list(s.doc_types),
        "evidence": [_evidence(e) for e in s.evidence],
    }


def _activity(a: ActivityResult) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status,
        "reason": a.reason,
        "gap": a.gap,
        "evidence": [_evidence(e) for e in a.evidence],
        "documented": _side(a.documented),
        "performed": _side(a.performed),
    }


def as_dict(result: CheckResult) -> dict[str, Any]:
    """The report as plain data (also used by other reporters and tests)."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "model": {"id": result.model_id, "name": result.model_name, "version": result.model_version},
        "as_of": result.as_of,
        "repository": {"root": result.root, "head": result.head},
        "capability_level": result.capability_level,
        "target_level": result.target_level,
        "gate": {"passed": result.gate.passed, "reasons": list(result.gate.reasons)},
        "profile": [
            {"area": c.area, "level": c.level, "satisfied": c.satisfied, "in_scope": c.in_scope} for c in result.profile
        ],
        "practices": [
            {
                "id": p.id,
                "title": p.title,
                "area": p.area,
                "level": p.level,
                "phase": p.phase,
                "type": p.type,
                "status": p.status,
                "doctype_met": p.doctype_met,
                "documents": list(p.documents),
                "waiver": p.waiver,
                "activities": [_activity(a) for a in p.activities],
            }
            for p in result.practices
        ],
        "documents": [
            {
                "path": d.path,
                "format": d.format,
                "id": d.id,
                "type": d.type,
                "status": d.status,
                "version": d.version,
                "practices": list(d.practices),
                "last_commit": d.last_commit,
                # written as they are (commit, date, author, version, approver): a dict for each
                # of a large history's entries would double the report's memory
                "history": d.history,
            }
            for d in result.documents
        ],
        "findings": [_finding(f) for f in result.findings],
        "regressions": [
            {"practice": r.practice, "activity": r.activity, "before": r.before, "after": r.after}
            for r in result.regressions
        ],
        "improvements": [
            {"practice": r.practice, "activity": r.activity, "before": r.before, "after": r.after}
            for r in result.improvements
        ],
        "since": result.since,
    }


def render(result: CheckResult) -> str:
    """Pretty, sorted-by-model JSON with a trailing newline."""
    return dumps(as_dict(result)) + "\n"


def render_bytes(result: CheckResult) -> Iterator[bytes]:
    """`render(result)` as UTF-8 byte chunks (see `jsontext.dump_lines`)."""
    return dump_lines(as_dict(result))
