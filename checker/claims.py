"""Which documents claim to be evidence, and what becomes of findings on those that do not.

A document that claims nothing (no `practices` or `satisfies`, no section tag, no documentation
type of the pack, no accepted crosswalk entry) is not evidence: it is listed, never judged, and
nothing about its own front matter or format can fail the gate. Pure functions over values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import msgspec

from .documents import Document
from .findings import Finding, Severity, make
from .formats import is_legacy
from .metadata import DocMeta

CLAIM_KEYS = ("practices", "satisfies")
# Kept as they are on a document that claims nothing: a near miss such as `practice:` is
# most likely a claim that did not register, exactly what its author needs to hear.
KEPT_RULES = frozenset({"front-matter-unknown-key"})


def _mapped_keys(doc: Document, field_map: Mapping[str, str | None]) -> set[str]:
    return {t for k in doc.metadata if (t := field_map.get(k, k)) is not None}


def claims_something(
    doc: Document,
    meta: DocMeta,
    field_map: Mapping[str, str | None],
    pack_types: Collection[str],
    crosswalked: Collection[str] = (),
) -> bool:
    """True when the document offers itself as evidence in any of the ways a claim is made.

    A claim that failed validation still counts (the document is then judged in full and the
    failure reported), so a misspelt `practices` value is never silently ignored.
    """
    if meta.practices or meta.satisfies or doc.tags or doc.path in crosswalked:
        return True
    if doc.has_metadata and _mapped_keys(doc, field_map) & set(CLAIM_KEYS):
        return True
    return meta.type is not None and (meta.type in pack_types or meta.type == "record")


def demote_unclaimed(findings: Iterable[Finding], unclaimed: Collection[str]) -> list[Finding]:
    """Findings on documents that claim nothing become notes; a legacy file stays a warning.

    Findings without a path, or on documents that claim something, are kept as they are.
    """
    out: list[Finding] = []
    for f in findings:
        if f.path is None or f.path not in unclaimed or f.severity == "info" or f.rule in KEPT_RULES:
            out.append(f)
            continue
        severity: Severity = "warning" if is_legacy(f.path) and f.rule == "parse-error" else "info"
        if severity != f.severity:
            hint = f.hint
            if severity == "info":
                hint = (hint + " " if hint else "") + "It claims no Practice, so it is not evidence and not judged."
            f = msgspec.structs.replace(f, severity=severity, hint=hint)
        out.append(f)
    return out


FRONT_MATTER_RULES = frozenset({"front-matter-missing", "front-matter-invalid", "yaml-error", "version-not-string"})


def demote_front_matter(findings: Iterable[Finding], paths: Collection[str]) -> list[Finding]:
    """Findings about the front matter of documents whose claims come only from the crosswalk
    (their own metadata is unread or absent, and nothing rests on it) become notes."""
    out: list[Finding] = []
    for f in findings:
        if f.path in paths and f.rule in FRONT_MATTER_RULES and f.severity != "info":
            hint = (f.hint + " " if f.hint else "") + "Its claims come from the crosswalk, so nothing rests on it."
            f = msgspec.structs.replace(f, severity="info", hint=hint)
        out.append(f)
    return out


def not_evidence_findings(paths: Sequence[str]) -> list[Finding]:
    """One note per document that claims nothing, so the report lists them."""
    return [
        make("not-evidence", "claims no Practice: listed as not evidence, not judged", path=p) for p in sorted(paths)
    ]
