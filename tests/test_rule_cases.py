"""Data-driven finding tests: one YAML file of passing and failing cases per finding slug.

Each case lists Markdown files and the exact (path, line) locations where the rule must
fire; `expect: []` is a passing case. Optional `config` and `practice` narrow a case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from escm_check.findings import CATALOGUE

from .evalkit import run

CASES_DIR = Path(__file__).parent / "rules"


def _cases() -> list[Any]:
    out = []
    for f in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(f.read_text())
        assert spec["rule"] in CATALOGUE, f
        assert any(c["expect"] for c in spec["cases"]) and any(not c["expect"] for c in spec["cases"]), (
            f"{f.name} needs at least one failing and one passing case"
        )
        for case in spec["cases"]:
            out.append(pytest.param(spec["rule"], case, id=f"{spec['rule']}:{case['name']}"))
    return out


@pytest.mark.parametrize(("rule", "case"), _cases())
def test_rule_case(rule: str, case: dict[str, Any]) -> None:
    result = run(case["files"], **(case.get("config") or {}))
    got = sorted(
        (f.path, f.line)
        for f in result.findings
        if f.rule == rule and (case.get("practice") is None or f.practice == case["practice"])
    )
    want = sorted((e["path"], e.get("line")) for e in case["expect"])
    assert got == want, [f for f in result.findings if f.rule == rule]


def test_every_document_rule_has_cases() -> None:
    covered = {yaml.safe_load(f.read_text())["rule"] for f in CASES_DIR.glob("*.yaml")}
    document_rules = {
        "front-matter-missing",
        "front-matter-invalid",
        "front-matter-unknown-key",
        "yaml-error",
        "version-not-string",
        "duplicate-id",
        "unknown-practice",
        "unknown-activity",
        "doctype-missing",
        "doctype-structure",
        "activity-not-evidenced",
        "section-empty",
        "not-approved",
        "record-stale",
        "record-date-missing",
        "waiver-expired",
        "waiver-invalid",
    }
    assert document_rules <= covered, document_rules - covered
