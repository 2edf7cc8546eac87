"""JUnit reporter: parsed with junitparser, the way CI systems read it."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
from escm_check.reporters import get_reporter
from escm_check.reporters.junit_report import render
from escm_check.result import CheckResult, Gate
from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from .report_fixtures import (
    HOSTILE,
    empty_result,
    hostile_result,
    huge_result,
    passing_result,
    typical_result,
)


def _parse(result: CheckResult, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "escm-junit.xml"
    path.write_text(render(result), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    assert isinstance(xml, JUnitXml)
    return xml


def _suites(xml: JUnitXml) -> dict[str, TestSuite]:
    return {s.name: s for s in xml}


def _cases(suite: TestSuite) -> dict[str, TestCase]:
    return {c.name.split()[0]: c for c in suite}


def test_one_suite_per_area_and_one_case_per_practice_in_scope(tmp_path: Path) -> None:
    result = typical_result()
    suites = _suites(_parse(result, tmp_path))
    in_scope = [p for p in result.practices if p.status != "not-rated"]
    areas = {p.area for p in in_scope}
    area_suites = {n: s for n, s in suites.items() if n != "Gate"}
    assert sorted(n.split()[0] for n in area_suites) == sorted(areas)
    assert next(iter(area_suites)) == "knw Knowledge Management"
    for suite in area_suites.values():
        area = suite.name.split()[0]
        expected = [p.id for p in in_scope if p.area == area]
        assert list(_cases(suite)) == expected
        assert suite.tests == len(expected)


def test_not_rated_practices_are_left_out_and_counted(tmp_path: Path) -> None:
    suites = _suites(_parse(typical_result(), tmp_path))
    names = {c.name.split()[0] for s in suites.values() for c in s}
    assert not names & {"ppl10", "prf10", "tch06"}
    props = {
        p.name: p.value
        for p in suites["ppl People Management"].properties()  # type: ignore[no-untyped-call]
    }
    assert props == {"area": "ppl", "not-rated": "1"}


def test_counts_match_statuses(tmp_path: Path) -> None:
    result = typical_result()
    xml = _parse(result, tmp_path)
    not_satisfied = sum(1 for p in result.practices if p.status == "not-satisfied")
    waived = sum(1 for p in result.practices if p.status == "not-applicable")
    in_scope = sum(1 for p in result.practices if p.status != "not-rated")
    gate_cases = 2  # the gate and the findings outside any Practice
    assert xml.tests == in_scope + gate_cases
    assert xml.failures == not_satisfied + gate_cases
    assert xml.skipped == waived
    assert xml.errors == 0
    for suite in xml:
        cases = list(suite)
        assert suite.failures == sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result))
        assert suite.skipped == sum(1 for c in cases if c.is_skipped)


def test_failure_lists_missing_activities_and_findings(tmp_path: Path) -> None:
    suites = _suites(_parse(typical_result(), tmp_path))
    knw07 = _cases(suites["knw Knowledge Management"])["knw07"]
    (failure,) = knw07.result
    assert isinstance(failure, Failure)
    assert failure.message == "knw07 not satisfied: missing b3, c5"
    assert failure.type == "not-satisfied"
    text = failure.text or ""
    assert "b3   Record the version history." in text
    assert "reason: no approved document tags knw07.b3" in text
    assert "activity-not-evidenced [knw07.b3]" in text
    assert "record-stale [knw07.c5] records/knw07/2025-02-03-verification.md:4" in text
    assert "hint: Add a current record" in text

    ppl01 = _cases(suites["ppl People Management"])["ppl01"]
    assert "no approved policy document" in (ppl01.result[0].message or "")
    assert "doctype-missing" in (ppl01.result[0].text or "")


def test_not_applicable_is_skipped_with_the_waiver_reason(tmp_path: Path) -> None:
    suites = _suites(_parse(typical_result(), tmp_path))
    tch05 = _cases(suites["tch Technology Management"])["tch05"]
    assert tch05.is_skipped
    (skipped,) = tch05.result
    assert isinstance(skipped, Skipped)
    assert (skipped.message or "").startswith("not applicable: No provider-owned technology")


def test_satisfied_practices_pass(tmp_path: Path) -> None:
    suites = _suites(_parse(typical_result(), tmp_path))
    knw01 = _cases(suites["knw Knowledge Management"])["knw01"]
    assert knw01.is_passed
    assert knw01.classname == "escm-sp-v2.knw.level2"


def test_gate_and_loose_findings(tmp_path: Path) -> None:
    gate = _suites(_parse(typical_result(), tmp_path))["Gate"]
    cases = {c.name: c for c in gate}
    target = cases["Capability Level 3 target"]
    assert target.result[0].message == "Capability Level 1 is below the target Level 3."
    loose = cases["Findings outside any Practice"]
    text = loose.result[0].text or ""
    assert "waiver-invalid" in text and "untracked-document" in text


def test_passing_result_has_no_failures(tmp_path: Path) -> None:
    xml = _parse(passing_result(), tmp_path)
    assert xml.failures == 0
    assert xml.skipped == 0
    assert xml.tests == len(passing_result().practices) + 1


def test_warnings_only_outside_practices_do_not_fail(tmp_path: Path) -> None:
    result = typical_result()
    warnings = tuple(f for f in result.findings if f.severity != "error" and not f.practice)
    passed = msgspec.structs.replace(passing_result(), findings=warnings, gate=Gate(True, 2))
    xml = _parse(passed, tmp_path)
    assert xml.failures == 0
    loose = {c.name: c for c in _suites(xml)["Gate"]}["Findings outside any Practice"]
    assert loose.is_passed
    assert "front-matter-unknown-key" in (loose.system_out or "")


def test_empty_result_is_valid(tmp_path: Path) -> None:
    xml = _parse(empty_result(), tmp_path)
    assert [s.name for s in xml] == ["Gate"]
    assert xml.tests == 1 and xml.failures == 0


def test_hostile_text_survives_and_control_characters_are_replaced(tmp_path: Path) -> None:
    xml = _parse(hostile_result(), tmp_path)
    suite = _suites(xml)[f"knw {HOSTILE.replace(chr(7), chr(0xFFFD))}"]
    case = _cases(suite)["knw07"]
    text = case.result[0].text or ""
    assert "<script>alert('x')</script>" in text
    assert "\x07" not in text and "\ufffd" in text


def test_huge_result_parses(tmp_path: Path) -> None:
    result = huge_result()
    xml = _parse(result, tmp_path)
    assert xml.tests == len(result.practices) + 1
    assert xml.failures == len(result.practices) + 1


def test_deterministic() -> None:
    result = typical_result()
    shuffled = list(result.findings)
    random.Random(3).shuffle(shuffled)
    assert render(result) == render(msgspec.structs.replace(result, findings=tuple(shuffled)))
    assert render(result) == render(typical_result())


def test_registered_under_its_format_name() -> None:
    assert get_reporter("junit") is render
