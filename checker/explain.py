"""`escm-check explain`: one Practice in plain words."""

from __future__ import annotations

import textwrap

from .rulepack import EvidenceSides, Pack, Practice, describe_rule


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), 96, initial_indent=indent, subsequent_indent=indent) or [indent]


def render_explain(pack: Pack, p: Practice) -> str:
    """The Practice's statement, attributes, activities with evidence rules, and relations."""
    out = [f"{p.id}  {p.title}" + ("  [Support Practice]" if p.support else "")]
    out += _wrap(p.summary, "  ")
    out.append("")
    out.append(f"  Capability Area  {p.area} ({pack.area_name(p.area)})")
    out.append(f"  Level            {p.level} ({pack.level_name(p.level)})")
    out.append(f"  Phase            {p.phase}")
    out.append(f"  Type             {p.type or 'none named'}")
    out.append("")
    out.append("Required Activities")
    said: tuple[str, EvidenceSides] | None = None  # the activity whose evidence rules were last written out
    for a in p.activities:
        out += textwrap.wrap(" ".join(a.summary.split()), 96, initial_indent=f"  {a.id:<4}", subsequent_indent="      ")
        if a.supports:
            out.append(f"      Support Practices: {', '.join(a.supports)}")
        if said is not None and said[1] == a.sides:
            # b-activities mostly share one rule: name it once, not five times
            out.append(f"      evidence: as for {said[0]}")
        else:
            for rule in a.rules:
                out += _wrap(
                    f"{rule.side}: {describe_rule(rule)}" + (f" - {rule.summary}" if rule.summary else ""), "      "
                )
            said = (a.id, a.sides)
        for r in a.recommended:
            out += _wrap(f"{r.id}  (recommended) {r.summary}", "        ")
        for n in a.notes:
            out += _wrap(f"note: {n}", "      ")
    out.append("")
    out.append("Documentation expected")
    if p.type and p.type in pack.doc_types:
        dt = pack.doc_types[p.type]
        out += _wrap(f"An approved {p.type}: {dt.summary}", "  ")
        if dt.structure:
            out += _wrap("with sections for: " + ", ".join(s.part for s in dt.structure), "  ")
        if dt.requires:
            out += _wrap("and also: " + ", ".join(dt.requires), "  ")
    else:
        out += _wrap("No type is named; any approved document that guides the work serves it.", "  ")
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
