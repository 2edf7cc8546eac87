"""Markdown reporter for a pull-request comment or a CI step summary.

GitHub rejects comments over 65,536 characters, so the report is built to a budget: the gate,
the level and the Practice Satisfaction Profile always fit; gaps and findings are added in order
of importance until the budget is spent, and the report says what it left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from ..findings import SEVERITY_ORDER, Finding, sort_findings
from ..result import CheckResult, PracticeResult, ProfileCell

MAX_CHARS = 60_000
TOP_GAPS = 25
# Kept free for the closing note and the lines that announce a cut, so adding them can never
# push a full report over the limit.
_RESERVE = 800

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _plain(text: str) -> str:
    """One line, without control characters."""
    return " ".join(_CONTROL.sub("", text).split())


def md(text: str) -> str:
    """Escape text so Markdown and HTML in it show literally (safe in table cells too)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(_plain(text), quote=False))


def code(text: str, *, in_table: bool = False) -> str:
    """A code span, or escaped text when the text itself holds a backtick."""
    text = _plain(text)
    if not text:
        return ""
    if "`" in text:
        return md(text)
    return f"`{text.replace('|', chr(92) + '|')}`" if in_table else f"`{text}`"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def profile_areas(result: CheckResult) -> list[tuple[str, str]]:
    """(id, name) of the Areas that have a Practice or a profile cell, in model order."""
    names = dict(result.areas)
    used = {p.area for p in result.practices} | {c.area for c in result.profile}
    order = [a for a, _ in result.areas if a in used]
    order += sorted(used - set(order))
    return [(a, names.get(a, a)) for a in order]


def profile_levels(result: CheckResult) -> list[int]:
    """The Levels that have a Practice or a profile cell, ascending."""
    return sorted({p.level for p in result.practices} | {c.level for c in result.profile})


def profile_cells(result: CheckResult) -> dict[tuple[str, int], ProfileCell]:
    """The profile as given, or computed from the Practices when the result has none."""
    if result.profile:
        return {(c.area, c.level): c for c in result.profile}
    cells: dict[tuple[str, int], ProfileCell] = {}
    for p in result.practices:
        old = cells.get((p.area, p.level), ProfileCell(p.area, p.level, 0, 0))
        scope = p.status in ("satisfied", "not-satisfied")
        cells[(p.area, p.level)] = ProfileCell(
            p.area,
            p.level,
            old.satisfied + (p.status == "satisfied"),
            old.in_scope + scope,
        )
    return cells


def _cell_text(cell: ProfileCell | None) -> str:
    if cell is None or cell.in_scope == 0:
        return "·"
    if cell.satisfied >= cell.in_scope:
        mark = "🟢"
    elif cell.satisfied == 0:
        mark = "🔴"
    else:
        mark = "🟠"
    return f"{mark} {cell.satisfied}/{cell.in_scope}"


def _header(result: CheckResult) -> list[str]:
    verdict = "✅ gate passed" if result.gate.passed else "❌ gate failed"
    lines = [f"## escm-check: {verdict}", ""]
    facts = [f"**Capability Level {result.capability_level}** supported by the evidence"]
    if result.target_level is not None:
        facts.append(f"target **Level {result.target_level}**")
    model = f"{result.model_name} v{result.model_version}" if result.model_version else ""
    facts.append(md(model or result.model_id))
    facts.append(f"as of {md(result.as_of)}")
    if result.head:
        facts.append(f"HEAD {code(result.head[:12])}")
    lines.append(" · ".join(facts))
    lines.append("")
    for reason in result.gate.reasons:
        lines.append(f"- {md(reason)}")
    if result.gate.reasons:
        lines.append("")
    counts: dict[str, int] = {}
    for p in result.practices:
        counts[p.status] = counts.get(p.status, 0) + 1
    order = ("satisfied", "not-satisfied", "not-applicable", "not-rated")
    practice_bits = [f"{counts[s]} {s.replace('-', ' ')}" for s in order if counts.get(s)]
    severities: dict[str, int] = {}
    for f in result.findings:
        severities[f.severity] = severities.get(f.severity, 0) + 1
    finding_bits = [
        _plural(severities[s], s, "info" if s == "info" else None)
        for s in ("error", "warning", "info")
        if severities.get(s)
    ]
    lines.append(f"**{_plural(len(result.practices), 'Practice')}:** " + (" · ".join(practice_bits) or "none") + "  ")
    lines.append("**Findings:** " + (" · ".join(finding_bits) or "none"))
    lines.append("")
    return lines


def _profile(result: CheckResult) -> list[str]:
    levels = profile_levels(result)
    areas = profile_areas(result)
    if not levels or not areas:
        return []
    cells = profile_cells(result)
    level_names = dict(result.levels)
    lines = ["### Practice Satisfaction Profile", ""]
    head = ["Capability Area"] + [f"Level {lv}" for lv in levels]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| :-- |" + " :-: |" * len(levels))
    totals = {lv: [0, 0] for lv in levels}
    for area, name in areas:
        row = [f"{md(name)} ({md(area)})"]
        for lv in levels:
            cell = cells.get((area, lv))
            row.append(_cell_text(cell))
            if cell:
                totals[lv][0] += cell.satisfied
                totals[lv][1] += cell.in_scope
        lines.append("| " + " | ".join(row) + " |")
    total_row = ["**All areas**"] + [_cell_text(ProfileCell("", lv, totals[lv][0], totals[lv][1])) for lv in levels]
    lines.append("| " + " | ".join(total_row) + " |")
    lines.append("")
    legend = "Satisfied / in scope. 🟢 all satisfied · 🟠 some · 🔴 none · · nothing in scope."
    named = [f"Level {lv}: {md(level_names[lv])}" for lv in levels if lv in level_names]
    if named:
        legend += " " + "; ".join(named) + "."
    lines.append(legend)
    lines.append("")
    return lines


def _changes(result: CheckResult) -> list[str]:
    if not result.regressions and not result.improvements:
        return []
    since = f" since {code(result.since)}" if result.since else ""
    lines = [f"### Changes{since}", ""]
    for mark, label, entries in (
        ("🔻", "regressed", result.regressions),
        ("🔺", "improved", result.improvements),
    ):
        for e in entries:
            what = f"{e.practice}.{e.activity}" if e.activity else e.practice
            lines.append(f"- {mark} {label} **{md(what)}**: {md(e.before)} → {md(e.after)}")
    lines.append("")
    return lines


def _gap_order(result: CheckResult) -> list[PracticeResult]:
    area_rank = {a: i for i, (a, _) in enumerate(profile_areas(result))}
    gaps = [p for p in result.practices if p.status == "not-satisfied"]
    # Lower levels first: a gap there blocks every level above it.
    return sorted(gaps, key=lambda p: (p.level, area_rank.get(p.area, 99), p.id))


def _gap_item(p: PracticeResult, findings: list[Finding]) -> str:
    missing = [a for a in p.activities if a.status == "not-satisfied"]
    head = f"- **{md(p.id)}** {md(p.title)} (Level {p.level})"
    if missing:
        head += ": missing " + ", ".join(code(a.id) for a in missing)
    lines = [head]
    if p.doctype_met is False:
        lines.append(f"  - no approved {md(p.type or 'controlled')} document serves it")
    for a in missing:
        reason = f" — {md(a.reason)}" if a.reason else ""
        lines.append(f"  - {code(a.id)} {md(a.summary)}{reason}")
        if len(a.sides) > 1:
            lines += [f"    - {md(s.line())}" for s in a.sides]
    for f in findings[:3]:
        where = f" at {code(f.location())}" if f.path else ""
        lines.append(f"  - {f.severity} {code(f.rule)}{where}: {md(f.message)}")
    if len(findings) > 3:
        lines.append(f"  - … and {_plural(len(findings) - 3, 'more finding')}")
    return "\n".join(lines) + "\n"


def _finding_row(f: Finding) -> str:
    target = ""
    if f.practice:
        target = f"{f.practice}.{f.activity}" if f.activity else f.practice
    cells = [
        f.severity,
        code(f.rule, in_table=True),
        code(f.location(), in_table=True),
        md(target),
        md(f.message),
    ]
    return "| " + " | ".join(cells) + " |\n"


class _Budget:
    """Appends text while it fits under the limit, counting what it had to leave out."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def add(self, text: str) -> None:
        """Append text unconditionally (headings and cut notes, which the reserve covers)."""
        self.parts.append(text)
        self.size += len(text)

    def fits(self, text: str) -> bool:
        """Whether text can be added without passing the limit."""
        return self.size + len(text) <= self.limit

    def add_items(self, items: Iterable[str]) -> int:
        """Add items in order while they fit; return how many were left out."""
        items = list(items)
        for i, item in enumerate(items):
            if not self.fits(item):
                return len(items) - i
            self.add(item)
        return 0


def _cut_note(n: int, what: str) -> str:
    return (
        f"\n_… {n} more {what} not shown: this report is cut to stay under "
        f"{MAX_CHARS:,} characters. The HTML, JSON and SARIF reports hold everything._\n"
    )


def render(result: CheckResult) -> str:
    """Render a Markdown summary of at most MAX_CHARS characters."""
    findings = sorted(sort_findings(result.findings), key=lambda f: SEVERITY_ORDER.get(f.severity, 9))
    by_practice: dict[str, list[Finding]] = {}
    for f in findings:
        if f.practice:
            by_practice.setdefault(f.practice, []).append(f)

    budget = _Budget(MAX_CHARS - _RESERVE)
    budget.add("\n".join(_header(result)) + "\n")
    for block in (_profile(result), _changes(result)):
        if block:
            text = "\n".join(block) + "\n"
            if budget.fits(text):
                budget.add(text)
            else:
                budget.add(_cut_note(1, "section"))

    gaps = _gap_order(result)
    if gaps:
        shown = gaps[:TOP_GAPS]
        budget.add(f"### Top gaps ({len(shown)} of {len(gaps)})\n\n")
        left = budget.add_items(_gap_item(p, by_practice.get(p.id, [])) for p in shown)
        if left:
            budget.add(_cut_note(left, "gaps"))
        elif len(gaps) > len(shown):
            budget.add(f"\n_… and {_plural(len(gaps) - len(shown), 'more Practice')} not satisfied._\n")
        budget.add("\n")

    if findings:
        head = (
            f"<details><summary>All findings ({len(findings)})</summary>\n\n"
            "| Severity | Rule | Location | Practice | Message |\n"
            "| :-- | :-- | :-- | :-- | :-- |\n"
        )
        tail = "\n</details>\n"
        if budget.fits(head + tail):
            budget.add(head)
            budget.limit -= len(tail)
            left = budget.add_items(_finding_row(f) for f in findings)
            budget.limit += len(tail)
            if left:
                budget.add(_cut_note(left, "findings"))
            budget.add(tail)
        else:
            budget.add(_cut_note(len(findings), "findings"))

    text = "".join(budget.parts)
    if len(text) > MAX_CHARS:
        # Only reachable when the header alone is enormous (thousands of gate reasons).
        note = _cut_note(1, "part")
        text = text[: MAX_CHARS - len(note)].rsplit("\n", 1)[0] + note
    return text
