"""JUnit XML reporter: one test case per Practice in scope, one test suite per Capability Area.

CI systems (GitLab, Jenkins, Azure DevOps) show JUnit reports natively, so a gap appears there as
a failed test whose failure text names the missing activities and the findings behind them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..findings import SEVERITY_ORDER, Finding, sort_findings
from ..result import CheckResult, PracticeResult

# XML 1.0 cannot carry most control characters even escaped; PDF text and commit messages can
# hold them, and one stray byte must not make the whole report unparseable.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _area_order(result: CheckResult) -> list[tuple[str, str]]:
    """Areas in model order, then any area a Practice names that the model table lacks."""
    names = dict(result.areas)
    order = [a for a, _ in result.areas]
    for p in result.practices:
        if p.area not in names:
            names[p.area] = p.area
            order.append(p.area)
    return [(a, names[a]) for a in order]


def _finding_line(f: Finding) -> str:
    where = f.location() or "(repository)"
    target = ""
    if f.practice:
        target = f" [{f.practice}.{f.activity}]" if f.activity else f" [{f.practice}]"
    text = f"{f.severity:<7} {f.rule}{target} {where}: {f.message}"
    if f.cause:
        text += f" (cause: {f.cause} not satisfied)"
    if f.hint:
        text += f"\n        hint: {f.hint}"
    return text


def _failure_text(p: PracticeResult, findings: list[Finding]) -> tuple[str, str]:
    """(one-line message, full text) for a Practice that is not satisfied."""
    missing = [a for a in p.activities if a.status == "not-satisfied"]
    parts: list[str] = []
    if missing:
        parts.append("missing " + ", ".join(a.id for a in missing))
    if p.doctype_met is False:
        parts.append(f"no approved {p.type or 'controlled'} document")
    message = f"{p.id} not satisfied" + (": " + "; ".join(parts) if parts else "")
    lines = [f"{p.id} {p.title} (Level {p.level}, {p.phase}, {p.type or 'no documentation type'})"]
    if missing:
        lines.append("")
        lines.append("Missing Required Activities:")
        for a in missing:
            lines.append(f"  {a.id:<4} {a.summary}")
            if a.reason:
                lines.append(f"       reason: {a.reason}")
            if len(a.sides) > 1:
                lines += [f"       {s.line()}" for s in a.sides]
    if p.doctype_met is False:
        lines.append("")
        lines.append(f"Documentation type: the {p.type or 'documentation-type'} expectation is not met.")
    if findings:
        lines.append("")
        lines.append("Findings:")
        lines.extend("  " + _finding_line(f) for f in findings)
    return message, "\n".join(lines) + "\n"


def _counts(suite: ET.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    return len(cases), failures, skipped


def _suite(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", {"name": _clean(name)})


def _finish_suite(suite: ET.Element) -> tuple[int, int, int]:
    tests, failures, skipped = _counts(suite)
    # Attributes are set after the cases exist; ElementTree keeps insertion order, so name
    # stays first and the counts follow it in a fixed order.
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    return tests, failures, skipped


def _practice_case(suite: ET.Element, p: PracticeResult, findings: list[Finding], model_id: str) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": _clean(f"{p.id} {p.title}"),
            "classname": _clean(f"{model_id}.{p.area}.level{p.level}"),
            "time": "0",
        },
    )
    if p.status == "not-applicable":
        reason = p.waiver or "waived"
        ET.SubElement(case, "skipped", {"message": _clean(f"not applicable: {reason}")})
    elif p.status == "not-satisfied":
        message, text = _failure_text(p, findings)
        failure = ET.SubElement(case, "failure", {"message": _clean(message), "type": "not-satisfied"})
        failure.text = _clean(text)
        return
    if findings:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n".join(_finding_line(f) for f in findings) + "\n")


def _gate_suite(root: ET.Element, result: CheckResult, loose: list[Finding]) -> ET.Element:
    suite = _suite(root, "Gate")
    target = result.gate.target_level
    label = f"Capability Level {target} target" if target is not None else "Gate"
    case = ET.SubElement(suite, "testcase", {"name": label, "classname": f"{result.model_id}.gate", "time": "0"})
    if not result.gate.passed:
        first = result.gate.reasons[0] if result.gate.reasons else "gate failed"
        failure = ET.SubElement(case, "failure", {"message": _clean(first), "type": "gate"})
        failure.text = _clean(
            f"Capability Level supported: {result.capability_level}\n"
            + "".join(f"- {r}\n" for r in result.gate.reasons)
        )
    if loose:
        # Findings about no Practice (a YAML error, an untracked file) still belong in CI's view;
        # error findings among them fail the gate, so they fail a test case too.
        loose_case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": "Findings outside any Practice",
                "classname": f"{result.model_id}.gate",
                "time": "0",
            },
        )
        text = "\n".join(_finding_line(f) for f in loose) + "\n"
        errors = [f for f in loose if f.severity == "error"]
        if errors:
            failure = ET.SubElement(
                loose_case,
                "failure",
                {"message": _clean(f"{len(errors)} error finding(s)"), "type": "findings"},
            )
            failure.text = _clean(text)
        else:
            out = ET.SubElement(loose_case, "system-out")
            out.text = _clean(text)
    return suite


def build(result: CheckResult) -> ET.Element:
    """The `<testsuites>` element."""
    findings = sorted(sort_findings(result.findings), key=lambda f: (SEVERITY_ORDER.get(f.severity, 9),))
    by_practice: dict[str, list[Finding]] = {}
    loose: list[Finding] = []
    for f in findings:
        if f.practice:
            by_practice.setdefault(f.practice, []).append(f)
        else:
            loose.append(f)
    known = {p.id for p in result.practices}
    # A finding naming a Practice the result does not rate would otherwise vanish.
    for pid in sorted(set(by_practice) - known):
        loose.extend(by_practice.pop(pid))

    title = f"escm-check {result.model_id}"
    root = ET.Element("testsuites", {"name": _clean(title)})
    totals = [0, 0, 0]
    for area, name in _area_order(result):
        in_scope = [p for p in result.practices if p.area == area and p.status != "not-rated"]
        not_rated = sum(1 for p in result.practices if p.area == area and p.status == "not-rated")
        if not in_scope:
            continue
        suite = _suite(root, f"{area} {name}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "area", "value": area})
        ET.SubElement(props, "property", {"name": "not-rated", "value": str(not_rated)})
        for p in in_scope:
            _practice_case(suite, p, by_practice.get(p.id, []), result.model_id)
        for i, n in enumerate(_finish_suite(suite)):
            totals[i] += n
    gate = _gate_suite(root, result, loose)
    for i, n in enumerate(_finish_suite(gate)):
        totals[i] += n
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", "0")
    root.set("skipped", str(totals[2]))
    root.set("time", "0")
    return root


def render(result: CheckResult) -> str:
    """Render the result as JUnit XML."""
    root = build(result)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
