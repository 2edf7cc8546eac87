"""Markdown reporter: gate, level, profile and top gaps, never over 60,000 characters."""

from __future__ import annotations

import random
import re

import msgspec
import pytest
from escm_check.reporters import get_reporter
from escm_check.reporters.markdown_report import MAX_CHARS, code, md, render
from escm_check.result import Gate

from .report_fixtures import (
    empty_result,
    hostile_result,
    huge_result,
    passing_result,
    typical_result,
)


def _table(text: str, heading: str) -> list[list[str]]:
    """Rows (split on unescaped pipes) of the first table after a heading."""
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_gate_level_and_counts() -> None:
    text = render(typical_result())
    assert text.startswith("## escm-check: ❌ gate failed\n")
    assert "**Capability Level 1** supported by the evidence · target **Level 3**" in text
    assert "HEAD `9f2c4e1a7b3d`" in text
    assert "- Capability Level 1 is below the target Level 3." in text
    assert "**16 Practices:** 8 satisfied · 4 not satisfied · 1 not applicable · 3 not rated" in text
    assert "**Findings:** 7 errors · 4 warnings · 1 info" in text


def test_profile_table() -> None:
    rows = _table(render(typical_result()), "### Practice Satisfaction Profile")
    assert rows[0] == ["Capability Area", "Level 2", "Level 3", "Level 4"]
    body = {r[0]: r[1:] for r in rows[2:]}
    assert list(body) == [
        "Knowledge Management (knw)",
        "People Management (ppl)",
        "Performance Management (prf)",
        "Technology Management (tch)",
        "Service Delivery (del)",
        "**All areas**",
    ]
    assert body["Knowledge Management (knw)"] == ["🟠 2/3", "🟠 1/2", "·"]
    assert body["Performance Management (prf)"] == ["🟢 1/1", "🟢 1/1", "·"]
    assert body["**All areas**"] == ["🟠 6/9", "🟠 2/3", "·"]


def test_top_gaps_lowest_level_first_with_reasons_and_findings() -> None:
    text = render(typical_result())
    gaps = text[text.index("### Top gaps") :]
    assert gaps.startswith("### Top gaps (4 of 4)")
    order = re.findall(r"^- \*\*(\w+)\*\*", gaps, flags=re.M)
    assert order == ["knw07", "ppl01", "del04", "knw08"]
    assert "- **knw07** Version and change control (Level 2): missing `b3`, `c5`" in gaps
    assert "`b3` Record the version history. — no approved document tags knw07.b3" in gaps
    assert "error `record-stale` at `records/knw07/2025-02-03-verification.md:4`" in gaps
    assert "no approved policy document serves it" in gaps


def test_changes_since_base() -> None:
    text = render(typical_result())
    assert "### Changes since `v2025.12`" in text
    assert "- 🔻 regressed **knw07.c5**: satisfied → not-satisfied" in text
    assert "- 🔺 improved **tch01**: not-satisfied → satisfied" in text


def test_all_findings_table_errors_first() -> None:
    result = typical_result()
    text = render(result)
    assert "<details><summary>All findings (12)</summary>" in text
    rows = _table(text, "<details><summary>All findings")
    assert rows[0] == ["Severity", "Rule", "Location", "Practice", "Message"]
    severities = [r[0] for r in rows[2:]]
    assert len(severities) == len(result.findings)
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert text.rstrip().endswith("</details>")


def test_passing_result() -> None:
    text = render(passing_result())
    assert text.startswith("## escm-check: ✅ gate passed")
    assert "Top gaps" not in text
    assert "All findings" not in text
    assert "**Findings:** none" in text


def test_empty_result() -> None:
    text = render(empty_result())
    assert "gate passed" in text
    assert "Practice Satisfaction Profile" not in text
    assert "HEAD" not in text


@pytest.mark.parametrize(
    ("practices", "per_practice", "cut"),
    [(84, 60, True), (10, 400, True), (84, 1, False), (84, 0, False)],
)
def test_never_more_than_the_limit_and_says_what_was_cut(practices: int, per_practice: int, cut: bool) -> None:
    result = huge_result(practices, per_practice)
    text = render(result)
    assert len(text) <= MAX_CHARS
    assert "### Practice Satisfaction Profile" in text
    assert "**All areas**" in text
    note = re.search(r"_… (\d+) more findings not shown: this report is cut to stay under", text)
    assert bool(note) is cut
    shown = len(re.findall(r"^\| error \|", text, flags=re.M))
    hidden = int(note.group(1)) if note else 0
    assert shown + hidden == len(result.findings)


def test_enormous_header_is_still_capped() -> None:
    reasons = tuple(f"reason {i} " + "x" * 200 for i in range(2000))
    result = msgspec.structs.replace(typical_result(), gate=Gate(False, 3, reasons))
    text = render(result)
    assert len(text) <= MAX_CHARS
    assert "not shown: this report is cut" in text


def test_markup_is_escaped() -> None:
    text = render(hostile_result())
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    # Every table row keeps its column count: pipes inside cells are escaped.
    rows = _table(text, "<details><summary>All findings")
    assert {len(r) for r in rows} == {5}
    assert "\x07" not in text


def test_escape_helpers() -> None:
    assert md("a|b *c* <d>") == r"a\|b \*c\* &lt;d&gt;"
    assert code("x|y", in_table=True) == "`x\\|y`"
    assert code("a`b") == r"a\`b"
    assert code("") == ""


def test_deterministic() -> None:
    result = typical_result()
    shuffled = list(result.findings)
    random.Random(5).shuffle(shuffled)
    assert render(result) == render(msgspec.structs.replace(result, findings=tuple(shuffled)))


def test_registered_under_its_format_name() -> None:
    assert get_reporter("markdown") is render
