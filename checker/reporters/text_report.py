"""Text report for a terminal: header, the Practice Satisfaction Profile, then the gaps."""

from __future__ import annotations

from collections import defaultdict

from ..display import printable
from ..findings import Finding
from ..result import CheckResult

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def _paint(text: str, colour: str, on: bool) -> str:
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m" if on else text


def _where(f: Finding) -> str:
    # paths and messages carry file names and document text: never raw control characters
    return printable(f.location() or "-")


def render_text(result: CheckResult, colour: bool = False, verbose: bool = False, quiet: bool = False) -> str:
    """The report as text; `colour` adds ANSI colours, `quiet` keeps only the verdict line."""
    lines: list[str] = []
    gate = _paint("PASSED", "green", colour) if result.gate.passed else _paint("FAILED", "red", colour)
    target = f" (target {result.target_level})" if result.target_level else ""
    verdict = f"Capability Level {result.capability_level}{target}: gate {gate}"
    if quiet:
        lines.append(verdict)
        lines += [f"  {printable(r)}" for r in result.gate.reasons]
        return "\n".join(lines) + "\n"
    lines.append(_paint(f"{result.model_name} v{result.model_version} ({result.model_id})", "bold", colour))
    lines.append(f"as of {result.as_of}  root {printable(result.root)}  HEAD {(result.head or 'none')[:12]}")
    if result.since:
        lines.append(f"compared with {result.since}")
    lines.append(verdict)
    lines += [f"  {printable(r)}" for r in result.gate.reasons]
    lines.append("")

    levels = sorted({c.level for c in result.profile})
    cells = {(c.area, c.level): c for c in result.profile}
    lines.append("Practice Satisfaction Profile (satisfied/in scope)")
    lines.append("  area  " + "".join(f"{'L' + str(lv):>8}" for lv in levels))
    for area, name in result.areas:
        row = []
        for lv in levels:
            c = cells.get((area, lv))
            if c is None:
                row.append(f"{'-':>8}")
                continue
            txt = f"{c.satisfied}/{c.in_scope}"
            col = "green" if c.satisfied == c.in_scope else ("yellow" if c.satisfied else "red")
            row.append(" " * (8 - len(txt)) + _paint(txt, col, colour))
        lines.append(f"  {area:<5} " + "".join(row) + f"  {name}")
    lines.append("")

    by_practice = defaultdict(list)
    for f in result.findings:
        if f.practice:
            by_practice[f.practice].append(f)
    top = result.target_level or max((p.level for p in result.practices), default=0)
    # gaps that decide the gate first, then those above the target level
    gaps = sorted((p for p in result.practices if p.status == "not-satisfied"), key=lambda p: p.level > top)
    if gaps:
        lines.append(f"{len(gaps)} Practice(s) not satisfied:")
    shown_above = False
    for p in gaps:
        if p.level > top and not shown_above and result.target_level:
            lines.append("")
            lines.append(f"Above the target level {top}:")
            shown_above = True
        lines.append(_paint(f"{p.id}  {p.title}  (Level {p.level}, {p.type or 'no type'})", "bold", colour))
        if p.missing:
            lines.append(f"  missing: {', '.join(p.missing)}")
        for a in p.activities:
            # a two-sided gap shows both sides, so the reader sees which one to add
            if a.gap_words and len(a.sides) > 1:
                lines.append(f"  {a.id}: {a.gap_words}")
                lines += [f"      {printable(s.line())}" for s in a.sides]
        for f in by_practice.get(p.id, []):
            lines.append(f"  {_where(f)}: {f.rule}: {printable(f.message)}")
            if verbose and f.hint:
                lines.append(_paint(f"      hint: {printable(f.hint)}", "dim", colour))
    if result.regressions:
        lines.append("")
        lines.append(f"{len(result.regressions)} regression(s) since {result.since}:")
        for r in result.regressions:
            lines.append(f"  {r.practice}{'.' + r.activity if r.activity else ''}: {r.before} -> {r.after}")
    other = [f for f in result.findings if not f.practice or f.practice not in {p.id for p in gaps}]
    shown = [f for f in other if verbose or f.severity != "info"]
    if shown:
        lines.append("")
        lines.append("Findings:")
        for f in shown:
            sev = {"error": _paint("error", "red", colour), "warning": _paint("warning", "yellow", colour)}.get(
                f.severity, f.severity
            )
            lines.append(f"  {_where(f)}: {sev} {f.rule}: {printable(f.message)}")
            if verbose and f.hint:
                lines.append(_paint(f"      hint: {printable(f.hint)}", "dim", colour))
    lines += _adoption_lines(result, verbose)
    sat = sum(1 for p in result.practices if p.status == "satisfied")
    na = sum(1 for p in result.practices if p.status == "not-applicable")
    nr = sum(1 for p in result.practices if p.status == "not-rated")
    lines.append("")
    lines.append(
        f"{sat} satisfied, {len(gaps)} not satisfied, {na} not applicable, {nr} not rated; "
        f"{sum(1 for f in result.findings if f.severity == 'error')} errors, "
        f"{sum(1 for f in result.findings if f.severity == 'warning')} warnings"
    )
    return "\n".join(lines) + "\n"


SUGGESTIONS_SHOWN = 10  # crosswalk suggestions listed without -v


def _adoption_lines(result: CheckResult, verbose: bool) -> list[str]:
    """Crosswalk suggestions waiting for a person, and how many documents are not evidence."""
    lines: list[str] = []
    suggested = [f for f in result.findings if f.rule == "crosswalk-suggestion"]
    if suggested:
        lines += ["", f"{len(suggested)} crosswalk suggestion(s), not counted until accepted:"]
        shown = suggested if verbose else suggested[:SUGGESTIONS_SHOWN]
        lines += [f"  {printable(f.message)}" for f in shown]
        if len(shown) < len(suggested):
            lines.append(f"  ... and {len(suggested) - len(shown)} more in {suggested[0].path} (-v lists them)")
    unclaimed = sum(1 for f in result.findings if f.rule == "not-evidence")
    if unclaimed and not verbose:
        lines += ["", f"{unclaimed} document(s) claim no Practice and are not evidence (-v lists them)."]
    return lines


def render(result: CheckResult) -> str:
    """Plain text without colour."""
    return render_text(result)
