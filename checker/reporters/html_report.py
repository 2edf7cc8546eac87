"""HTML reporter: one self-contained page an evaluator can open offline, follow and print.

Everything is inline (CSS, SVG, a few lines of JavaScript) and a Content-Security-Policy forbids
every network load, so the file can be mailed, archived with the evaluation and opened years
later exactly as it was produced.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from .. import __version__
from ..findings import CATALOGUE, SEVERITY_ORDER, Finding, sort_findings
from ..result import (
    REPORT_SCHEMA_VERSION,
    ActivityResult,
    CheckResult,
    DocumentSummary,
    Evidence,
    PracticeResult,
    ProfileCell,
)
from .markdown_report import profile_areas, profile_cells, profile_levels

STATUS_LABEL: dict[str, str] = {
    "satisfied": "satisfied",
    "not-satisfied": "not satisfied",
    "not-applicable": "not applicable",
    "not-rated": "not rated",
}
SHORT_COMMIT = 10
GATE_REASONS_SHOWN = 6
AREA_LABEL_CHARS = 30

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def e(text: object) -> str:
    """Escape any value for HTML text or a quoted attribute, dropping control characters."""
    return html.escape(_CONTROL.sub("", str(text)), quote=True)


def _anchor(prefix: str, key: str) -> str:
    return f"{prefix}-{_ID_UNSAFE.sub('-', key)}"


@cache
def _asset(name: str) -> str:
    package = resources.files(__package__ or "escm_check.reporters")
    return package.joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _short(commit: str | None) -> str:
    return commit[:SHORT_COMMIT] if commit else ""


def _chip(status: str, label: str | None = None) -> str:
    return f'<span class="chip {e(status)}">{e(label or STATUS_LABEL.get(status, status))}</span>'


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# ---------------------------------------------------------------- heat map


_EMPTY_FILL = "#f1f3f6"


# Colour stops for the share of in-scope Practices satisfied. Interpolating between close
# stops keeps mid values clean (straight red-to-green mixing turns them olive).
_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (214, 69, 69)),
    (0.25, (232, 116, 59)),
    (0.5, (240, 180, 41)),
    (0.75, (140, 193, 82)),
    (1.0, (47, 158, 99)),
)


def cell_colour(satisfied: int, in_scope: int) -> tuple[str, str]:
    """(fill, text colour) for a profile cell: red (none) through amber to green (all)."""
    if in_scope <= 0:
        return _EMPTY_FILL, "#8a93a3"
    ratio = max(0.0, min(1.0, satisfied / in_scope))
    rgb = _STOPS[-1][1]
    for (lo, a), (hi, b) in itertools.pairwise(_STOPS):
        if ratio <= hi:
            t = (ratio - lo) / (hi - lo)
            rgb = (
                round(a[0] + (b[0] - a[0]) * t),
                round(a[1] + (b[1] - a[1]) * t),
                round(a[2] + (b[2] - a[2]) * t),
            )
            break
    luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255
    ink = "#1d2430" if luminance > 0.6 else "#ffffff"
    return "#{:02x}{:02x}{:02x}".format(*rgb), ink


def _wrap(text: str, width: int) -> list[str]:
    """Split a short label into at most two lines of about `width` characters."""
    words = text.split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return lines


def _heatmap(result: CheckResult) -> str:
    areas = profile_areas(result)
    levels = profile_levels(result)
    if not areas or not levels:
        return '<p class="empty">No Practices were rated, so there is no profile to show.</p>'
    cells = profile_cells(result)
    level_names = dict(result.levels)
    by_cell: dict[tuple[str, int], list[PracticeResult]] = {}
    for p in result.practices:
        by_cell.setdefault((p.area, p.level), []).append(p)

    label_w, col_w, row_h, gap, head_h = 250, 176, 46, 6, 62
    width = label_w + len(levels) * (col_w + gap)
    total_y = head_h + len(areas) * (row_h + gap) + 8
    height = total_y + row_h + 4
    out = [
        f'<svg class="heatmap" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-labelledby="hm-title hm-desc">',
        '<title id="hm-title">Practice Satisfaction Profile</title>',
        '<desc id="hm-desc">Satisfied Practices out of those in scope, per Capability Area '
        "(rows) and Capability Level (columns).</desc>",
    ]
    target = result.target_level
    for i, level in enumerate(levels):
        x = label_w + i * (col_w + gap)
        cx = x + col_w / 2
        if level == target:
            out.append(
                f'<rect x="{x - 3}" y="4" width="{col_w + 6}" height="{total_y + row_h - 2}"'
                ' rx="9" fill="none" stroke="#24508f" stroke-width="1.5"'
                ' stroke-dasharray="5 4"/>'
            )
        label = f"Level {level}" + (" · target" if level == target else "")
        out.append(
            f'<text x="{cx:g}" y="24" text-anchor="middle" font-size="14" font-weight="700"'
            f' fill="#1d2430">{e(label)}</text>'
        )
        for j, line in enumerate(_wrap(level_names.get(level, ""), 28)):
            out.append(
                f'<text x="{cx:g}" y="{40 + j * 13}" text-anchor="middle" font-size="10.5"'
                f' fill="#5b6575">{e(line)}</text>'
            )

    def cell(x: float, y: float, c: ProfileCell | None, title: str, href: str | None) -> None:
        sat, scope = (c.satisfied, c.in_scope) if c else (0, 0)
        fill, ink = cell_colour(sat, scope)
        cx, inner = x + col_w / 2, []
        inner.append(f"<title>{e(title)}</title>")
        inner.append(f'<rect class="cell" x="{x}" y="{y}" width="{col_w}" height="{row_h}" rx="6" fill="{fill}"/>')
        if scope:
            pct = round(100 * sat / scope)
            inner.append(
                f'<text x="{cx:g}" y="{y + 21}" text-anchor="middle" font-size="15"'
                f' font-weight="700" fill="{ink}">{sat}/{scope}</text>'
            )
            inner.append(
                f'<text x="{cx:g}" y="{y + 36}" text-anchor="middle" font-size="10.5"'
                f' fill="{ink}">{pct}% satisfied</text>'
            )
        else:
            inner.append(f'<text x="{cx:g}" y="{y + 28}" text-anchor="middle" font-size="12" fill="{ink}">—</text>')
        body = "".join(inner)
        if href:
            out.append(f'<a href="#{e(href)}">{body}</a>')
        else:
            out.append(f"<g>{body}</g>")

    totals: dict[int, list[int]] = {lv: [0, 0] for lv in levels}
    for r, (area, name) in enumerate(areas):
        y = head_h + r * (row_h + gap)
        # The label column has a fixed width; a longer name from another pack is shortened
        # here and given whole in the tooltip.
        label = name if len(name) <= AREA_LABEL_CHARS else name[: AREA_LABEL_CHARS - 1] + "…"
        out.append(
            f'<text x="{label_w - 14}" y="{y + 21}" text-anchor="end" font-size="13.5"'
            f' font-weight="600" fill="#1d2430"><title>{e(name)}</title>{e(label)}</text>'
        )
        out.append(
            f'<text x="{label_w - 14}" y="{y + 36}" text-anchor="end" font-size="11" fill="#8a93a3">{e(area)}</text>'
        )
        for i, level in enumerate(levels):
            x = label_w + i * (col_w + gap)
            c = cells.get((area, level))
            members = by_cell.get((area, level), [])
            if c:
                totals[level][0] += c.satisfied
                totals[level][1] += c.in_scope
            title = f"{name}, Level {level}: "
            title += f"{c.satisfied} of {c.in_scope} in scope satisfied" if c else "no Practices"
            extra = {s: sum(1 for p in members if p.status == s) for s in ("not-applicable", "not-rated")}
            notes = [f"{n} {STATUS_LABEL[s]}" for s, n in extra.items() if n]
            if notes:
                title += " (" + ", ".join(notes) + ")"
            if members:
                title += "\n" + ", ".join(f"{p.id} {STATUS_LABEL.get(p.status, p.status)}" for p in members)
            href = _anchor("p", members[0].id) if members else None
            cell(x, y, c, title, href)
    out.append(f'<line x1="{label_w}" y1="{total_y - 6}" x2="{width - gap}" y2="{total_y - 6}" stroke="#cfd5df"/>')
    out.append(
        f'<text x="{label_w - 14}" y="{total_y + 27}" text-anchor="end" font-size="13.5"'
        ' font-weight="700" fill="#1d2430">All areas</text>'
    )
    for i, level in enumerate(levels):
        x = label_w + i * (col_w + gap)
        sat, scope = totals[level]
        total = ProfileCell("", level, sat, scope)
        cell(x, total_y, total, f"All areas, Level {level}: {sat} of {scope} satisfied", None)
    out.append("</svg>")
    return "".join(out)


def _legend() -> str:
    items = [
        (cell_colour(0, 1)[0], "none satisfied"),
        (cell_colour(1, 2)[0], "half satisfied"),
        (cell_colour(1, 1)[0], "all satisfied"),
        (_EMPTY_FILL, "no Practice in scope"),
    ]
    spans = "".join(
        f'<span><svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">'
        f'<rect width="14" height="14" rx="3" fill="{fill}" stroke="#cfd5df"/></svg>'
        f"{e(label)}</span>"
        for fill, label in items
    )
    note = (
        "<span>Cells count satisfied Practices out of those in scope; waived (not applicable)"
        " and not-rated Practices are outside the count. Select a cell to jump to its"
        " Practices.</span>"
    )
    return f'<div class="legend">{spans}{note}</div>'


# ---------------------------------------------------------------- sections


def _header(result: CheckResult) -> str:
    gate = result.gate
    cls = "pass" if gate.passed else "fail"
    badge = "Gate passed" if gate.passed else "Gate failed"
    level = f"Capability Level <strong>{result.capability_level}</strong>"
    if result.target_level is not None:
        level += f" · target Level {result.target_level}"
    shown = gate.reasons if len(gate.reasons) <= GATE_REASONS_SHOWN + 1 else gate.reasons[:GATE_REASONS_SHOWN]
    reasons = "".join(f"<li>{e(r)}</li>" for r in shown)
    rest = gate.reasons[len(shown) :]
    if rest:
        # A gate can fail for hundreds of reasons; the masthead stays readable and the rest
        # remains one click (or one print) away.
        reasons += (
            f"<li><details><summary>{len(rest)} more reasons</summary><ul>"
            + "".join(f"<li>{e(r)}</li>" for r in rest)
            + "</ul></details></li>"
        )
    rated = sum(1 for p in result.practices if p.status != "not-rated")
    facts: list[tuple[str, str]] = [
        ("Rule pack", f"<code>{e(result.model_id)}</code>"),
        ("Model version", e(result.model_version)),
        ("Evidence as of", e(result.as_of)),
        (
            "HEAD",
            f'<code title="{e(result.head)}">{e(_short(result.head))}</code>' if result.head else "not a git commit",
        ),
    ]
    if result.since:
        facts.append(("Compared with", f"<code>{e(result.since)}</code>"))
    facts.append(("Practices rated", f"{rated} of {len(result.practices)}"))
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    return (
        '<header class="masthead">'
        '<div class="brand">escm-check · compliance report</div>'
        f"<h1>{e(result.model_name)}</h1>"
        f'<p class="sub">Process repository <code>{e(result.root)}</code></p>'
        f'<div class="verdict {cls}" id="gate"><span class="badge">{badge}</span>'
        f'<div><div class="level">{level}</div>' + (f"<ul>{reasons}</ul>" if reasons else "") + "</div></div>"
        f'<dl class="facts">{dl}</dl>'
        "</header>"
    )


def _nav(result: CheckResult) -> str:
    links = [("summary", "Summary"), ("profile", "Profile")]
    if result.regressions or result.improvements:
        links.append(("changes", "Changes"))
    links += [
        ("practices-section", f"Practices ({len(result.practices)})"),
        ("documents", f"Documents ({len(result.documents)})"),
        ("findings-section", f"Findings ({len(set(result.findings))})"),
    ]
    return '<nav class="toc">' + "".join(f'<a href="#{k}">{e(v)}</a>' for k, v in links) + "</nav>"


def _summary(result: CheckResult) -> str:
    status: dict[str, int] = {}
    for p in result.practices:
        status[p.status] = status.get(p.status, 0) + 1
    severity: dict[str, int] = {}
    for f in result.findings:
        severity[f.severity] = severity.get(f.severity, 0) + 1
    in_scope = len(result.practices) - status.get("not-rated", 0)
    missing = sum(len(p.missing) for p in result.practices if p.status == "not-satisfied")
    below = result.target_level is not None and result.capability_level < result.target_level
    target = f"target {result.target_level}" if result.target_level is not None else "no target"
    approved = sum(1 for d in result.documents if d.status == "approved")
    cards = [
        (
            "bad" if below else "ok",
            "Capability Level",
            f"{result.capability_level} <small>{e(target)}</small>",
            "supported by the evidence",
        ),
        (
            "",
            "Practices satisfied",
            f"{status.get('satisfied', 0)} <small>of {in_scope} in scope</small>",
            f"{status.get('not-applicable', 0)} not applicable · {status.get('not-rated', 0)} not rated",
        ),
        (
            "bad" if status.get("not-satisfied") else "ok",
            "Gaps",
            str(status.get("not-satisfied", 0)),
            f"Practices not satisfied · {_plural(missing, 'activity', 'activities')} missing",
        ),
        (
            "bad" if severity.get("error") else "ok",
            "Errors",
            str(severity.get("error", 0)),
            f"{_plural(severity.get('warning', 0), 'warning')} · {severity.get('info', 0)} info",
        ),
        ("", "Documents", str(len(result.documents)), f"{approved} approved"),
    ]
    html_cards = "".join(
        f'<div class="card {cls}"><div class="k">{e(k)}</div><div class="v">{v}</div><div class="d">{e(d)}</div></div>'
        for cls, k, v, d in cards
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<p class="lead">Evidence as of {e(result.as_of)}.</p>'
        f'<div class="cards">{html_cards}</div></section>'
    )


def _profile(result: CheckResult) -> str:
    has_profile = bool(profile_areas(result) and profile_levels(result))
    legend = _legend() if has_profile else ""
    return (
        '<section id="profile"><h2>Practice Satisfaction Profile</h2>'
        '<p class="lead">Capability Area against Capability Level.</p>'
        f'<div class="heatmap-wrap">{_heatmap(result)}{legend}</div></section>'
    )


def _changes(result: CheckResult) -> str:
    if not result.regressions and not result.improvements:
        return ""
    items: list[str] = []
    for cls, label, entries in (
        ("down", "Regressed", result.regressions),
        ("up", "Improved", result.improvements),
    ):
        for entry in entries:
            what = f"{entry.practice}.{entry.activity}" if entry.activity else entry.practice
            items.append(
                f'<li><span class="{cls}">{label}</span> '
                f'<a href="#{e(_anchor("p", entry.practice))}"><code>{e(what)}</code></a>: '
                f"{e(STATUS_LABEL.get(entry.before, entry.before))} → "
                f"{e(STATUS_LABEL.get(entry.after, entry.after))}</li>"
            )
    since = f" since <code>{e(result.since)}</code>" if result.since else ""
    return f'<section id="changes"><h2>Changes{since}</h2><ul class="changes">{"".join(items)}</ul></section>'


def _location(path: str, line: int | None, doc_anchors: dict[str, str]) -> str:
    text = f"{path}:{line}" if line else path
    inner = f"<code>{e(text)}</code>"
    anchor = doc_anchors.get(path)
    return f'<a href="#{e(anchor)}">{inner}</a>' if anchor else inner


def _evidence(ev: Evidence, doc_anchors: dict[str, str]) -> str:
    commit = (
        f' @ <code title="{e(ev.commit)}">{e(_short(ev.commit))}</code>' if ev.commit else " @ <em>uncommitted</em>"
    )
    detail = f" — {e(ev.detail)}" if ev.detail else ""
    return f'<li>{_location(ev.path, ev.line, doc_anchors)}{commit} <span class="kind">{e(ev.kind)}</span>{detail}</li>'


def _activity(a: ActivityResult, doc_anchors: dict[str, str]) -> str:
    parts = [f"<p>{e(a.summary)}</p>"]
    if a.reason:
        parts.append(f'<p class="reason">{e(a.reason)}</p>')
    if len(a.sides) > 1:
        # both sides, each with its own evidence, so a gap shows which side is missing
        for s in a.sides:
            state = "holds" if s.satisfied else f"missing: {s.reason}"
            parts.append(f'<p class="side"><strong>{e(s.side)}</strong> <code>{e(s.rule_words)}</code> {e(state)}</p>')
            if s.evidence:
                parts.append(
                    '<ul class="evidence">' + "".join(_evidence(ev, doc_anchors) for ev in s.evidence) + "</ul>"
                )
    elif a.evidence:
        parts.append('<ul class="evidence">' + "".join(_evidence(ev, doc_anchors) for ev in a.evidence) + "</ul>")
    return (
        f'<li data-activity="{e(a.id)}"><span class="aid">{e(a.id)}</span>'
        f"<span>{_chip(a.status)}</span><div>{''.join(parts)}</div></li>"
    )


def _finding_item(f: Finding, doc_anchors: dict[str, str]) -> str:
    where = f" {_location(f.path, f.line, doc_anchors)}" if f.path else ""
    what = f" <code>{e(f.practice)}.{e(f.activity)}</code>" if f.activity else ""
    return f"<li>{_chip(f.severity)} <code>{e(f.rule)}</code>{what}{where}: {e(f.message)}</li>"


def _practice_row(
    p: PracticeResult,
    area_names: dict[str, str],
    findings: list[Finding],
    doc_anchors: dict[str, str],
) -> str:
    satisfied = sum(1 for a in p.activities if a.status == "satisfied")
    total = len(p.activities)
    if p.doctype_met is None:
        doctype = e(p.type or "none named")
    else:
        doctype = e(p.type or "none named") + (" · met" if p.doctype_met else " · <b>not met</b>")
    docs = ", ".join(_location(d, None, doc_anchors) for d in p.documents) or '<span class="empty">none</span>'
    meta = (
        f'<div class="pmeta"><span>Phase <b>{e(p.phase)}</b></span>'
        f"<span>Documentation type <b>{doctype}</b></span>"
        f"<span>Documents {docs}</span></div>"
    )
    waiver = f'<p class="waiver">Waived: {e(p.waiver)}</p>' if p.waiver else ""
    acts = (
        '<ol class="acts">' + "".join(_activity(a, doc_anchors) for a in p.activities) + "</ol>"
        if p.activities
        else '<p class="empty">No Required Activities rated.</p>'
    )
    found = (
        '<p class="ptitle">Findings</p><ul class="pfind">'
        + "".join(_finding_item(f, doc_anchors) for f in findings)
        + "</ul>"
        if findings
        else ""
    )
    if total:
        fill = 100 * satisfied / total
        bar = (
            '<svg class="bar" width="56" height="6" viewBox="0 0 56 6" aria-hidden="true">'
            '<rect width="56" height="6" rx="3" fill="#e6e9ef"/>'
            f'<rect width="{fill * 0.56:.1f}" height="6" rx="3" fill="#2f9e63"/></svg>'
        )
        count = f"{satisfied}/{total}{bar}"
    else:
        count = "—"
    area_name = area_names.get(p.area, p.area)
    return (
        f'<tr id="{e(_anchor("p", p.id))}" class="{e(p.status)}" data-practice="{e(p.id)}"'
        f' data-status="{e(p.status)}" data-area="{e(p.area)}" data-level="{p.level}">'
        f'<td class="pid">{e(p.id)}<span class="area">{e(area_name)}</span></td>'
        f"<td><details><summary>{e(p.title)}</summary>{meta}{waiver}{acts}{found}</details></td>"
        f'<td class="num">{p.level}</td>'
        f'<td class="num">{count}</td>'
        f"<td>{_chip(p.status)}</td>"
        "</tr>"
    )


def _practices(result: CheckResult, by_practice: dict[str, list[Finding]], doc_anchors: dict[str, str]) -> str:
    area_names = dict(profile_areas(result)) | dict(result.areas)
    area_rank = {a: i for i, (a, _) in enumerate(result.areas)}
    practices = sorted(result.practices, key=lambda p: (area_rank.get(p.area, len(area_rank)), p.area))
    rows = "".join(_practice_row(p, area_names, by_practice.get(p.id, []), doc_anchors) for p in practices)
    if not practices:
        return (
            '<section id="practices-section"><h2>Practices</h2>'
            '<p class="empty">No Practices in this result.</p>'
            '<table id="practices" hidden><tbody></tbody></table></section>'
        )
    tools = (
        '<div class="tools" hidden>'
        '<button type="button" data-toggle="open" data-scope="practices">Expand all</button>'
        '<button type="button" data-toggle="close" data-scope="practices">Collapse all</button>'
        "</div>"
    )
    return (
        '<section id="practices-section"><h2>Practices</h2>'
        '<p class="lead">Each Practice with its Required Activities, their status and the '
        "evidence behind them as <code>file:line @ commit</code>.</p>"
        f'{tools}<div class="table-wrap"><table id="practices">'
        '<colgroup><col class="c-id"><col><col class="c-level">'
        '<col class="c-acts"><col class="c-status"></colgroup>'
        '<thead><tr><th scope="col">Practice</th><th scope="col">Title and Required Activities'
        '</th><th scope="col" class="num">Level</th>'
        '<th scope="col" class="num">Activities</th><th scope="col">Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )


def _document(d: DocumentSummary, anchor: str) -> str:
    rows = "".join(
        f'<tr><td><code title="{e(v.commit)}">{e(_short(v.commit))}</code></td>'
        f"<td>{e(v.date)}</td><td>{e(v.author)}</td><td>{e(v.version or '—')}</td>"
        f"<td>{e(v.approver or '—')}</td></tr>"
        for v in d.history
    )
    history = (
        "<table><thead><tr><th>Commit</th><th>Date</th><th>Author</th><th>Version</th>"
        f"<th>Approved by</th></tr></thead><tbody>{rows}</tbody></table>"
        if d.history
        else '<p class="empty">No committed history.</p>'
    )
    status = _chip(d.status, d.status) if d.status else ""
    meta = " · ".join(
        x
        for x in (
            e(d.id) if d.id else "",
            e(d.type) if d.type else "",
            f"version {e(d.version)}" if d.version else "",
            e(d.format),
            _plural(len(d.history), "change"),
        )
        if x
    )
    practices = ", ".join(f'<a href="#{e(_anchor("p", p))}"><code>{e(p)}</code></a>' for p in d.practices) or "none"
    last = f'<code title="{e(d.last_commit)}">{e(_short(d.last_commit))}</code>' if d.last_commit else "uncommitted"
    return (
        f'<details class="doc" id="{e(anchor)}"><summary><code>{e(d.path)}</code>{status}'
        f'<span class="meta">{meta}</span></summary><div class="body">'
        f'<div class="pmeta"><span>Practices {practices}</span>'
        f"<span>Last commit {last}</span></div>{history}</div></details>"
    )


def _documents(result: CheckResult, doc_anchors: dict[str, str]) -> str:
    docs = sorted(result.documents, key=lambda d: d.path)
    body = "".join(_document(d, doc_anchors[d.path]) for d in docs) if docs else '<p class="empty">No documents.</p>'
    tools = (
        '<div class="tools" hidden>'
        '<button type="button" data-toggle="open" data-scope="documents">Expand all</button>'
        '<button type="button" data-toggle="close" data-scope="documents">Collapse all</button>'
        "</div>"
        if docs
        else ""
    )
    return (
        '<section id="documents"><h2>Controlled documents and change history</h2>'
        '<p class="lead">Every version of each document as recorded in git, newest first.</p>'
        f"{tools}{body}</section>"
    )


def _options(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    opts = '<option value="">all</option>' + "".join(f'<option value="{e(v)}">{e(t)}</option>' for v, t in values)
    return f'<label>{e(label)} <select name="{e(name)}">{opts}</select></label>'


NO_PRACTICE = "(none)"


def _findings(findings: list[Finding], known: set[str], doc_anchors: dict[str, str]) -> str:
    if not findings:
        return (
            '<section id="findings-section"><h2>Findings</h2>'
            '<p class="empty">No findings.</p>'
            '<table id="findings" hidden><tbody></tbody></table></section>'
        )
    severities = sorted({f.severity for f in findings}, key=lambda s: SEVERITY_ORDER.get(s, 9))
    rules = sorted({f.rule for f in findings})
    practices = sorted({f.practice or NO_PRACTICE for f in findings})
    form = (
        '<form id="filters" class="filters" hidden>'
        + _options("severity", "Severity", ((s, s) for s in severities))
        + _options("rule", "Rule", ((r, r) for r in rules))
        + _options("practice", "Practice", ((p, p) for p in practices))
        + '<button type="reset">Clear</button><output id="filter-count"></output></form>'
    )
    rows: list[str] = []
    for f in findings:
        practice = f.practice or NO_PRACTICE
        target = ""
        if f.practice:
            label = f"{f.practice}.{f.activity}" if f.activity else f.practice
            target = (
                f'<a href="#{e(_anchor("p", f.practice))}"><code>{e(label)}</code></a>'
                if f.practice in known
                else f"<code>{e(label)}</code>"
            )
        info = CATALOGUE.get(f.rule)
        meaning = f' title="{e(info.meaning)}"' if info else ""
        hint = f'<div class="hint">Fix: {e(f.hint)}</div>' if f.hint else ""
        cause = f" (cause: {e(f.cause)} not satisfied)" if f.cause else ""
        where = _location(f.path, f.line, doc_anchors) if f.path else '<span class="empty">repository</span>'
        rows.append(
            f'<tr data-severity="{e(f.severity)}" data-rule="{e(f.rule)}"'
            f' data-practice="{e(practice)}">'
            f'<td>{_chip(f.severity)}</td><td class="rule"><code{meaning}>{e(f.rule)}</code></td>'
            f'<td class="loc">{where}</td><td>{target}</td>'
            f"<td>{e(f.message)}{cause}{hint}</td></tr>"
        )
    return (
        '<section id="findings-section"><h2>Findings</h2>'
        '<p class="lead">Every finding, errors first. Filters need JavaScript; without it all '
        "findings are shown.</p>"
        f'{form}<div class="table-wrap"><table id="findings"><thead><tr>'
        '<th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Location</th>'
        '<th scope="col">Practice</th><th scope="col">Message</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def render(result: CheckResult) -> str:
    """Render the result as one self-contained HTML page."""
    css = _asset("report.css")
    js = _asset("report.js")
    findings = sorted(sort_findings(result.findings), key=lambda f: SEVERITY_ORDER.get(f.severity, 9))
    by_practice: dict[str, list[Finding]] = {}
    for f in findings:
        if f.practice:
            by_practice.setdefault(f.practice, []).append(f)
    doc_anchors = {d.path: f"doc-{i + 1}" for i, d in enumerate(sorted(result.documents, key=lambda d: d.path))}
    known = {p.id for p in result.practices}
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
        "base-uri 'none'; form-action 'none'"
    )
    title = f"escm-check report: {result.root} (Level {result.capability_level})"
    body = "".join(
        (
            _header(result),
            _nav(result),
            "<main>",
            _summary(result),
            _profile(result),
            _changes(result),
            _practices(result, by_practice, doc_anchors),
            _documents(result, doc_anchors),
            _findings(findings, known, doc_anchors),
            "</main>",
            f"<footer>Generated by escm-check {e(__version__)} with the "
            f"<code>{e(result.model_id)}</code> rule pack · report schema "
            f"{e(REPORT_SCHEMA_VERSION)} · evidence as of {e(result.as_of)}. This page is "
            "self-contained and loads nothing from the network.</footer>",
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="escm-check">'
        '<link rel="icon" href="data:,">'
        f"<title>{e(title)}</title><style>{css}</style></head>\n"
        f"<body>{body}<script>{js}</script></body></html>\n"
    )
