"""`escm-check explain` and `practices`: the model in plain words, and how to show evidence for it.

`explain` is what a process owner reads to learn what to produce: the documents a Practice
expects, for each activity what to write and which record to keep, and the literal syntax
that makes a document count (section tags, front-matter claims, crosswalk entries, records).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Any

from .durations import Duration, parse_duration
from .rulepack import Activity, EvidenceRule, Pack, Practice

WIDTH = 96


_TAG = re.compile(r"<!-- escm: [^>]*-->|\[escm: [^\]]*\]")
_KEEP = "\u00a0"  # a space inside a tag: the tag is copied from here and must stay on one line


def _wrap(text: str, indent: str, rest: str | None = None) -> list[str]:
    flat = _TAG.sub(lambda m: m.group(0).replace(" ", _KEEP), re.sub(r"[ \t\r\n]+", " ", text).strip())
    lines = textwrap.wrap(flat, WIDTH, initial_indent=indent, subsequent_indent=rest if rest is not None else indent)
    return [line.replace(_KEEP, " ") for line in lines] or [indent]


def rule_window(rule: EvidenceRule, window: Duration) -> Duration:
    """The record window a rule applies: its own, or the configuration's record_max_age."""
    return parse_duration(rule.max_age) if rule.own and rule.max_age else window


def _either(words: Sequence[str]) -> str:
    return " or ".join(words)


def _documented_text(p: Practice, a: Activity, rule: EvidenceRule) -> str:
    key = f"{p.id}.{a.id}"
    if rule.check == "owner-named":
        return "name the owner in an approved document serving the Practice (front matter `owner:`)"
    if rule.check == "tagged-section":
        types = rule.doc_types or ((p.type,) if p.type else ())
        where = f"the approved {_either(types)}" if types else "an approved document serving the Practice"
        return f"describe it in a section of {where}, tagged <!-- escm: {key} -->"
    return rule.summary or rule.check


def _performed_text(p: Practice, a: Activity, rule: EvidenceRule, window: Duration) -> str:
    key = f"{p.id}.{a.id}"
    within = rule_window(rule, window)
    kinds = f"record_kind: {_either(rule.record_kinds)}" if rule.record_kinds else "any record_kind"
    if rule.check == "record":
        return f"keep a record ({kinds}) dated within the last {within}, claiming {key}"
    if rule.check == "record-or-section":
        return (
            f"keep a record ({kinds}) dated within the last {within} claiming {key}, "
            f"or describe it in a section tagged <!-- escm: {key} -->"
        )
    if rule.check == "independent-approval":
        return "have someone other than the author of each change approve it (`approved_by:`, an Approved-by: trailer)"
    if rule.check == "change-controlled":
        return "keep the document under version control: raise `version:` with each change, review it on its cycle"
    return rule.summary or rule.check


def _activity_lines(p: Practice, a: Activity, window: Duration) -> list[str]:
    out = _wrap(a.summary, f"  {a.id:<4}", "      ")
    if a.supports:
        out.append(f"      Support Practices: {', '.join(a.supports)}")
    doc, done = a.documented, a.performed
    if doc is not None:
        out += _wrap(_documented_text(p, a, doc), "      write:  ", "              ")
    if done is not None:
        out += _wrap(_performed_text(p, a, done, window), "      keep:   ", "              ")
    elif doc is not None:
        out.append("      keep:   no record needed: describing it is enough")
    for rule in a.rules:
        if rule.reason:
            out += _wrap(rule.reason, "      why:    ", "              ")
    for r in a.recommended:
        out += _wrap(f"{r.id}  (recommended) {r.summary}", "        ")
    for n in a.notes:
        out += _wrap(f"note: {n}", "      ")
    return out


def _documents_expected(pack: Pack, p: Practice) -> list[str]:
    out = ["Documents expected"]
    dt = pack.doc_types.get(p.type or "")
    if dt is not None:
        out += _wrap(f"An approved {p.type}: {dt.summary}", "  ")
        for part in dt.structure:
            heads = ", ".join(f"'{h.title()}'" for h in part.headings[:3])
            out += _wrap(f"- {part.part}: a section with a heading such as {heads}", "    ", "      ")
        if dt.requires:
            out += _wrap(
                f"and also: {', '.join(dt.requires)} (a document of that type serving {p.id}, or a section so titled)",
                "  ",
            )
    else:
        out += _wrap("No type is named; any approved document that guides the work serves it.", "  ")
    needed = [
        f"{a.id}: {_either(a.performed.record_kinds) or 'any kind'}"
        for a in p.activities
        if a.performed is not None and a.performed.check == "record"
    ]
    if needed:
        out += _wrap(f"Records it needs (type: record, with record_kind): {'; '.join(needed)}.", "  ")
    return out


def _how_to_show(p: Practice, example: Activity, record: Activity | None, window: Duration) -> list[str]:
    key = f"{p.id}.{example.id}"
    out = ["How to show the evidence"]
    out += _wrap(
        f"A document serves {p.id} when it says so in its front matter and is approved "
        "(status: approved, owner, approved_by, approved_on, version):",
        "  ",
    )
    out += [
        "      ---",
        f"      practices: [{p.id}]",
        "      satisfies:                      # optional: activities the whole document covers",
        f"        {p.id}: [{example.id}]",
        "      ---",
    ]
    out += _wrap("Tag the section that describes an activity, under its heading:", "  ")
    out += [
        f"      Markdown:  <!-- escm: {key} -->      (several: <!-- escm: {key}, {p.id}.b2 -->)",
        f"      Word:      a paragraph [escm: {key}]",
        f"      PDF:       the text [escm: {key}] on the page, metadata in a sidecar NAME.pdf.yaml",
    ]
    out += _wrap(
        f"Word documents carry the front-matter keys as custom document properties (satisfies as `{key}, {p.id}.b2`).",
        "  ",
    )
    out += _wrap("Or claim it without touching the document, in .escm-crosswalk.yaml (accepted entries count):", "  ")
    out += [
        "      version: 1",
        "      entries:",
        "        - path: procedures/our-procedure.md",
        "          section: The heading of the section",
        f"          practices: [{p.id}]",
        f"          satisfies: {{{p.id}: [{example.id}]}}",
        "          status: accepted",
    ]
    if record is not None and record.performed is not None:
        rule = record.performed
        kind = rule.record_kinds[0] if rule.record_kinds else "report"
        out += _wrap(f"A record of the work done ({p.id}.{record.id}), dated on the day of the event:", "  ")
        out += [
            "      ---",
            f"      id: REC-{p.id.upper()}-2026-01",
            "      type: record",
            f"      record_kind: {kind}",
            "      date: 2026-01-15",
            f"      practices: [{p.id}]",
            f"      satisfies: {{{p.id}: [{record.id}]}}",
            "      ---",
        ]
        within = rule_window(rule, window)
        out += _wrap(
            f"Record window: {within} (record_max_age in the configuration, unless an activity sets its own); "
            "an older record does not count.",
            "  ",
        )
    return out


def render_explain(pack: Pack, p: Practice, window: Duration) -> str:
    """The Practice's statement, attributes, the documents it expects, what to write and keep for
    each activity, and the syntax that makes a document count; `window` is the record window."""
    out = [f"{p.id}  {p.title}" + ("  [Support Practice]" if p.support else "")]
    out += _wrap(p.summary, "  ")
    out.append("")
    out.append(f"  Capability Area  {p.area} ({pack.area_name(p.area)})")
    out.append(f"  Level            {p.level} ({pack.level_name(p.level)})")
    out.append(f"  Phase            {p.phase}")
    out.append(f"  Type             {p.type or 'none named'}")
    out.append("")
    out += _documents_expected(pack, p)
    out.append("")
    out.append("Required Activities (write: what a document must describe; keep: the record that shows it was done)")
    for a in p.activities:
        out += _activity_lines(p, a, window)
    out.append("")
    example = next(
        (a for a in p.activities if a.documented and a.documented.check == "tagged-section"), p.activities[0]
    )
    record = next(
        (a for a in p.activities if a.performed and a.performed.check == "record" and a.major == "b"),
        next((a for a in p.activities if a.performed and a.performed.check == "record"), None),
    )
    out += _how_to_show(p, example, record, window)
    if p.relationships:
        out.append("")
        out.append("Related Practices")
        for rel in p.relationships:
            other = pack.practice(rel.practice)
            title = f" {other.title}" if other else ""
            out += _wrap(f"{rel.kind}: {rel.practice}{title}" + (f" - {rel.summary}" if rel.summary else ""), "  ")
    if p.notes:
        out.append("")
        out.append("Notes on the source")
        for n in p.notes:
            out += _wrap(n, "  ")
    return "\n".join(out) + "\n"


def side_json(rule: EvidenceRule | None, window: Duration) -> dict[str, Any] | None:
    """One side of an activity's rule as `practices --format json` gives it."""
    if rule is None:
        return None
    out: dict[str, Any] = {"check": rule.check}
    if rule.doc_types:
        out["doc_types"] = list(rule.doc_types)
    if rule.record_kinds:
        out["record_kinds"] = list(rule.record_kinds)
    if rule.side == "performed" and rule.check in ("record", "record-or-section"):
        out["max_age"] = str(rule_window(rule, window))
    if rule.summary:
        out["summary"] = rule.summary
    if rule.reason:
        out["reason"] = rule.reason
    return out


def practices_json(pack: Pack, rows: Sequence[Practice], window: Duration) -> dict[str, Any]:
    """The Practices as data, each with its activities and both sides of their evidence rules."""
    return {
        "model": {"id": pack.id, "name": pack.name, "version": pack.version},
        "practices": [
            {
                "id": p.id,
                "title": p.title,
                "area": p.area,
                "phase": p.phase,
                "level": p.level,
                "type": p.type,
                "required_activities": list(p.required_ids),
                "recommended_activities": list(p.recommended_ids),
                "activities": [
                    {
                        "id": a.id,
                        "summary": a.summary,
                        "documented": side_json(a.documented, window),
                        "performed": side_json(a.performed, window),
                    }
                    for a in p.activities
                ],
            }
            for p in rows
        ],
    }


def practices_text(rows: Sequence[Practice]) -> str:
    """One line per Practice under a header row, then a count and the legend."""
    head = f"{'ID':<6} {'LEVEL':<5}  {'PHASE':<10}  {'TYPE':<9}  TITLE"
    lines = [head]
    lines += [f"{p.id:<6} L{p.level:<4}  {p.phase:<10}  {p.type or '-':<9}  {p.title}" for p in rows]
    lines.append(f"{len(rows)} Practice(s)")
    lines.append("TYPE is the documentation the Practice expects; '-': none named (any approved document serves it).")
    return "\n".join(lines) + "\n"
