"""`escm-check pack docs`: a Markdown reference of a rule pack, built from the loaded pack only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .rulepack import EvidenceRule, EvidenceSides, Pack, Practice, describe_rule


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(head: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(head)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(_cell(str(c)) for c in row) + " |" for row in rows]
    return out


def _rule_text(rule: EvidenceRule, summary: bool = True) -> str:
    text = f"`{rule.check}`"
    rest = describe_rule(rule)[len(rule.check) :].strip()
    if rest:
        text += f" {rest}"
    if summary and rule.summary:
        text += f": {rule.summary}"
    return text


def _sides_text(sides: EvidenceSides, summary: bool = True) -> str:
    """Both sides in one cell: `documented: ...; performed: ...`, with `-` for a side that asks nothing."""
    parts = []
    for name, rule in (("documented", sides.documented), ("performed", sides.performed)):
        parts.append(f"{name}: {_rule_text(rule, summary) if rule else '-'}")
    return "; ".join(parts)


def _anchor(p: Practice) -> str:
    return p.id


def _default_label(key: str) -> str:
    base, _, doc_type = key.partition(":")
    label = "b1..bn" if base == "b" else base
    return f"{label} of {doc_type} Practices" if doc_type else label


def render_pack_docs(pack: Pack) -> str:
    """The pack as a Markdown reference: model, levels, areas, types, evidence rules, Practices."""
    by_level = Counter(p.level for p in pack.practices)
    by_area = Counter(p.area for p in pack.practices)
    out = [f"# {pack.name} (`{pack.id}` {pack.version})", ""]
    if pack.notice:
        out += [f"> **Notice.** {' '.join(pack.notice.split())}", ""]
    facts = [
        f"- Practices: {len(pack.practices)}"
        + (
            f" ({sum(p.in_scope for p in pack.practices)} in scope)"
            if not all(p.in_scope for p in pack.practices)
            else ""
        )
    ]
    if pack.extends:
        facts.append(f"- Extends: `{pack.extends}`")
    if pack.source:
        facts.append(f"- Source: {' '.join(pack.source.split())}")
    out += [*facts, ""]

    out += ["## Capability Levels", ""]
    out += _table(
        ["Level", "Name", "Practices", "Meaning"],
        [
            (
                lv.level,
                lv.name,
                by_level.get(lv.level, 0),
                lv.summary
                + (f" (needs {lv.sustained_evaluations} consecutive evaluations)" if lv.sustained_evaluations else ""),
            )
            for lv in pack.levels
        ],
    )
    out.append("")

    out += ["## Capability Areas", ""]
    out += _table(
        ["Area", "Name", "Phases", "Practices", "Scope"],
        [(a.id, a.name, ", ".join(a.phases), by_area.get(a.id, 0), a.summary) for a in pack.areas],
    )
    out.append("")
    if pack.phases:
        out += ["## Phases", ""]
        out += _table(["Phase", "Meaning"], [(ph, pack.phase_summaries.get(ph, "")) for ph in pack.phases])
        out.append("")

    out += ["## Documentation types", ""]
    for dt in pack.doc_types.values():
        out.append(f"- **{dt.id}**: {' '.join(dt.summary.split())}")
        if dt.structure:
            parts = "; ".join(f"{s.part} ({', '.join(s.headings)})" for s in dt.structure)
            out.append(f"  Expected sections (a heading with one of the words): {parts}.")
        if dt.requires:
            out.append(f"  Also needs: {', '.join(dt.requires)}.")
    out.append("")

    if pack.evidence_defaults:
        out += [
            "## Evidence rules by default",
            "",
            "An activity uses these rules unless its Practice sets its own (marked *own* below). Each has two "
            "sides: where the activity is documented and what shows it was performed; `-` asks for nothing.",
            "",
        ]
        out += _table(
            ["Activity", "Rule"],
            [
                (_default_label(k), _sides_text(r))
                for k, r in sorted(pack.evidence_defaults.items(), key=lambda kv: ("abc".index(kv[0][0]), kv[0]))
            ],
        )
        out.append("")

    out += ["## Practices", ""]
    out += _table(
        ["Practice", "Title", "Area", "Level", "Phase", "Type", "In scope"],
        [
            (
                f"[{p.id}](#{_anchor(p)})",
                p.title,
                p.area,
                p.level,
                p.phase,
                p.type or "-",
                "yes" if p.in_scope else "no",
            )
            for p in pack.practices
        ],
    )
    out.append("")
    for area in pack.areas:
        members = [p for p in pack.practices if p.area == area.id]
        if not members:
            continue
        out += [f"### {area.name} (`{area.id}`)", ""]
        for p in members:
            out += _practice(pack, p)
    return "\n".join(out).rstrip("\n") + "\n"


def _practice(pack: Pack, p: Practice) -> list[str]:
    flags = [f"Level {p.level} ({pack.level_name(p.level)})", f"phase {p.phase}", f"type {p.type or 'none named'}"]
    if p.support:
        flags.append("Support Practice")
    if not p.in_scope:
        flags.append("**out of scope** (not rated)")
    out = [
        f'<a id="{_anchor(p)}"></a>',
        "",
        f"#### {p.id}: {p.title}",
        "",
        " ".join(p.summary.split()),
        "",
        "; ".join(flags) + ".",
        "",
    ]
    if p.tailoring:
        out += ["Tailoring:", ""]
        out += [f"- {_cell(t)}" for t in p.tailoring]
        out.append("")
    rows = []
    for a in p.activities:
        # A default rule is explained once, in the defaults table; an own rule here.
        rule = "; ".join(f"{r.side}: {_rule_text(r, r.own)}" + (" *(own)*" if r.own else "") for r in a.rules)
        extra = f" Supports: {', '.join(a.supports)}." if a.supports else ""
        rows.append((a.id, a.summary + extra, rule))
    out += _table(["Activity", "What is done", "Evidence rule"], rows)
    out.append("")
    for r in p.relationships:
        other = pack.practice(r.practice)
        title = f" ({other.title})" if other else ""
        why = f": {r.summary}" if r.summary else ""
        link = f"[{r.practice}](#{r.practice})" if other else r.practice
        out.append(f"- {r.kind}: {link}{title}{why}")
    if p.relationships:
        out.append("")
    for n in p.notes:
        out.append(f"- Note: {' '.join(n.split())}")
    if p.notes:
        out.append("")
    return out
