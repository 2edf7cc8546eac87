"""`practices`, `explain`, `rules` and `--version` through the real console entry point."""

from __future__ import annotations

import json

from click.testing import CliRunner
from escm_check import __version__
from escm_check.cli import main
from escm_check.findings import CATALOGUE


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


def test_practices_json_lists_84_in_model_order() -> None:
    code, out = run("practices", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["model"] == {
        "id": "escm-sp-v2",
        "name": "eSourcing Capability Model for Service Providers",
        "version": "2",
    }
    ps = data["practices"]
    assert len(ps) == 84
    assert [p["id"] for p in ps[:3]] == ["knw01", "knw02", "knw03"] and ps[-1]["id"] == "tfr06"
    knw07 = next(p for p in ps if p["id"] == "knw07")
    assert knw07 == {
        "id": "knw07",
        "title": "Version & change control",
        "area": "knw",
        "phase": "Ongoing",
        "level": 2,
        "type": "procedure",
        "required_activities": ["a1", "a2", "a3", "b1", "b2", "b3", "b4", "b5", "c1", "c2", "c3", "c4", "c5"],
        "recommended_activities": knw07["recommended_activities"],
    }
    assert set(ps[0]) == {
        "id",
        "title",
        "area",
        "phase",
        "level",
        "type",
        "required_activities",
        "recommended_activities",
    }


def test_practices_filters() -> None:
    _, out = run("practices", "--level", "4", "--format", "json")
    assert len(json.loads(out)["practices"]) == 10
    _, out = run("practices", "--area", "tfr", "--format", "json")
    assert [p["id"] for p in json.loads(out)["practices"]] == [f"tfr0{i}" for i in range(1, 7)]
    _, out = run("practices", "--type", "program", "--format", "json")
    assert {p["id"] for p in json.loads(out)["practices"]} == {"prf07", "prf10", "prf11"}
    _, out = run("practices", "--type", "none", "--level", "2")
    assert "knw02" in out and "knw07" not in out


def test_explain_shows_activities_and_supports() -> None:
    code, out = run("explain", "knw07")
    assert code == 0
    assert out.startswith("knw07  Version & change control  [Support Practice]")
    for needle in (
        "Level            2",
        "Phase            Ongoing",
        "Type             procedure",
        "a1 ",
        "c5 ",
        "Support Practices: prf02",
        "Documentation expected",
    ):
        assert needle in out
    # a rule shared by consecutive activities is written out once
    assert out.count("documented: tagged-section - ") == 1
    b = out[out.index("\n  b1 ") : out.index("\n  c1 ")]
    assert b.count("evidence: as for b1") == 4
    assert "performed: record-or-section - " in out[out.index("\n  c1 ") :]


def test_explain_unknown_suggests() -> None:
    code, out = run("explain", "knw7")
    assert code == 2
    assert "unknown Practice 'knw7'" in out and "knw07" in out


def test_rules_lists_catalogue() -> None:
    code, out = run("rules", "--format", "json")
    assert code == 0
    slugs = [r["rule"] for r in json.loads(out)]
    assert slugs == list(CATALOGUE)
    for required in (
        "front-matter-missing",
        "front-matter-invalid",
        "yaml-error",
        "duplicate-id",
        "unknown-practice",
        "unknown-activity",
        "doctype-missing",
        "doctype-structure",
        "activity-not-evidenced",
        "section-empty",
        "not-approved",
        "review-overdue",
        "record-stale",
    ):
        assert required in slugs


def test_version() -> None:
    code, out = run("--version")
    assert code == 0 and __version__ in out
