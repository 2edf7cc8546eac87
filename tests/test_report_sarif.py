"""SARIF reporter: valid against the official SARIF 2.1.0 schema, one rule per slug, locations.

tests/data/sarif-2.1.0.schema.json is the SARIF 2.1.0 schema as shipped by Microsoft's SARIF SDK
(`sarif-2.1.0.json` in the npm package @microsoft/sarif-multitool-linux 5.7.0), unmodified.
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from escm_check.findings import CATALOGUE, Finding, sort_findings
from escm_check.reporters import get_reporter
from escm_check.reporters.sarif_report import URI_BASE_ID, render
from escm_check.result import REPORT_SCHEMA_VERSION, CheckResult

from .report_fixtures import empty_result, hostile_result, huge_result, typical_result

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-2.1.0.schema.json"
# RFC 3986 characters of a URI reference; the schema's uri-reference format is only checked when
# optional packages are installed, so the tests check the characters themselves.
URI_REF = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%?#]*")


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _sarif(result: CheckResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render(result))
    errors = sorted(_validator().iter_errors(log), key=lambda err: list(err.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return log


def test_schema_file_is_the_sarif_2_1_0_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert "SARIF" in schema["title"] and "2.1.0" in schema["title"]
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert len(schema["definitions"]) >= 50


@pytest.mark.parametrize("build", [typical_result, empty_result, hostile_result, huge_result], ids=lambda f: f.__name__)
def test_valid_against_the_official_schema(build: Any) -> None:
    log = _sarif(build())
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1


def test_schema_validation_catches_a_broken_log() -> None:
    log = json.loads(render(typical_result()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_validator().iter_errors(log))


def test_one_rule_per_slug_used_with_meaning_and_hint() -> None:
    result = typical_result()
    run = _sarif(result)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    used = sorted({f.rule for f in result.findings})
    assert [r["id"] for r in rules] == used
    for rule in rules:
        info = CATALOGUE[rule["id"]]
        assert rule["shortDescription"]["text"] == info.meaning
        assert rule["help"]["text"] == info.hint
        level = {"error": "error", "warning": "warning", "info": "note"}[info.severity]
        assert rule["defaultConfiguration"]["level"] == level
    assert run["tool"]["driver"]["name"] == "escm-check"


def test_results_carry_rule_level_message_location_and_practice() -> None:
    result = typical_result()
    run = _sarif(result)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    findings = sort_findings(result.findings)
    assert len(results) == len(findings)
    for res, f in zip(results, findings, strict=True):
        assert res["ruleId"] == f.rule
        assert rules[res["ruleIndex"]]["id"] == f.rule
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f.severity]
        assert res["message"]["text"].startswith(f.message)
        assert res["properties"].get("practice") == f.practice
        assert res["properties"].get("activity") == f.activity
        (loc,) = res["locations"]
        artifact = loc["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == URI_BASE_ID
        assert not artifact["uri"].startswith("/")
        assert URI_REF.fullmatch(artifact["uri"]), artifact["uri"]
        if f.line:
            assert loc["physicalLocation"]["region"] == {"startLine": f.line}
        else:
            assert "region" not in loc["physicalLocation"]


def test_paths_are_relative_percent_encoded_uris() -> None:
    result = typical_result()
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in _sarif(result)["runs"][0]["results"]
    }
    assert "policies/knowledge/PRC-KNW-07%20version%20and%20change%20control.md" in uris
    assert "records/knw07/2025-02-03-verification.md" in uris


def test_findings_without_a_path_are_located_at_the_repository_root() -> None:
    run = _sarif(typical_result())["runs"][0]
    rootless = [r for r in run["results"] if r["ruleId"] in ("doctype-missing", "waiver-invalid")]
    assert len(rootless) == 2
    for r in rootless:
        artifact = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": ".", "uriBaseId": URI_BASE_ID}
    doctype = next(r for r in rootless if r["ruleId"] == "doctype-missing")
    assert doctype["locations"][0]["logicalLocations"][0]["name"] == "ppl01"
    assert run["originalUriBaseIds"][URI_BASE_ID]["uri"] == "file:///srv/process-repo/"


def test_report_schema_version_and_run_properties() -> None:
    result = typical_result()
    log = _sarif(result)
    assert log["properties"]["schemaVersion"] == REPORT_SCHEMA_VERSION
    props = log["runs"][0]["properties"]
    assert props["schemaVersion"] == REPORT_SCHEMA_VERSION
    assert props["capabilityLevel"] == 1
    assert props["targetLevel"] == 3
    assert props["gate"]["passed"] is False
    assert props["head"] == result.head
    assert log["runs"][0]["invocations"][0]["exitCode"] == 1


def test_cause_and_fingerprints() -> None:
    run = _sarif(typical_result())["runs"][0]
    overdue = next(r for r in run["results"] if r["ruleId"] == "review-overdue")
    assert overdue["properties"]["cause"] == "knw07"
    prints = [next(iter(r["partialFingerprints"].values())) for r in run["results"]]
    assert len(set(prints)) == len(prints)


def test_fingerprint_survives_a_line_move() -> None:
    result = typical_result()
    moved = msgspec.structs.replace(
        result,
        findings=tuple(msgspec.structs.replace(f, line=(f.line or 0) + 5) if f.path else f for f in result.findings),
    )

    def prints(r: CheckResult) -> list[str]:
        return [res["partialFingerprints"] for res in _sarif(r)["runs"][0]["results"]]

    assert prints(result) == prints(moved)


def test_slug_outside_the_catalogue_still_gets_a_rule() -> None:
    extra = Finding(
        rule="pack-custom-check",
        severity="warning",
        message="Custom.",
        path="a.md",
        hint="Do the custom thing.",
    )
    result = msgspec.structs.replace(empty_result(), findings=(extra,))
    rules = _sarif(result)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["id"] == "pack-custom-check"
    assert rules[0]["help"]["text"] == "Do the custom thing."


def test_deterministic_whatever_the_finding_order() -> None:
    result = typical_result()
    shuffled = list(result.findings)
    random.Random(7).shuffle(shuffled)
    again = msgspec.structs.replace(result, findings=tuple(shuffled))
    assert render(result) == render(again) == render(typical_result())


def test_hostile_text_round_trips() -> None:
    log = _sarif(hostile_result())
    message = log["runs"][0]["results"][0]["message"]["text"]
    assert message == hostile_result().findings[0].message


def test_registered_under_its_format_name() -> None:
    assert get_reporter("sarif") is render
