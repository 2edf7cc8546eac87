"""`practices`, `explain`, `rules` and `--version` through the real console entry point."""

from __future__ import annotations

import json
from pathlib import Path

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
        "activities": knw07["activities"],
    }
    assert [a["id"] for a in knw07["activities"]] == knw07["required_activities"]
    assert set(ps[0]) == {
        "activities",
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


def test_practices_json_gives_both_sides_of_each_activity() -> None:
    _, out = run("practices", "--format", "json")
    by_id = {p["id"]: p for p in json.loads(out)["practices"]}
    acts = {a["id"]: a for a in by_id["knw07"]["activities"]}
    assert acts["b1"]["summary"] and acts["b1"]["documented"]["check"] == "tagged-section"
    assert acts["b1"]["performed"] is None
    c5 = acts["c5"]
    assert c5["documented"] is None
    assert c5["performed"]["check"] == "record" and c5["performed"]["max_age"] == "12 months"
    assert "audit-report" in c5["performed"]["record_kinds"]
    b6 = next(a for a in by_id["ppl08"]["activities"] if a["id"] == "b6")
    assert b6["performed"]["record_kinds"] == ["training-record"] and b6["performed"]["reason"]
    plan_b1 = next(a for a in by_id["del01"]["activities"] if a["id"] == "b1")
    assert plan_b1["documented"]["doc_types"] == ["plan"]


def test_practices_text_has_a_header_and_a_legend() -> None:
    code, out = run("practices", "--level", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "LEVEL", "PHASE", "TYPE", "TITLE"]
    assert lines[-2] == "48 Practice(s)"
    assert "'-': none named" in lines[-1]
    knw02 = next(line for line in lines if line.startswith("knw02"))
    assert knw02.split()[3] == "-"


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
        "Documents expected",
        "An approved procedure",
        "- steps: a section with a heading such as 'Steps'",
    ):
        assert needle in out
    b = out[out.index("\n  b1 ") : out.index("\n  c1 ")]
    for i in range(1, 6):
        assert f"tagged <!-- escm: knw07.b{i} -->" in b
    # b3 (approved changes) and b5 (changes tracked) must be shown done; the others are described
    assert b.count("no record needed") == 3
    for i in (3, 5):
        entry = b[b.index(f"\n  b{i} ") :]
        assert "keep:   keep a record (record_kind: " in entry.split("\n  b", 2)[1]


def test_explain_knw07_teaches_the_syntax_and_the_record_window() -> None:
    _, out = run("explain", "knw07")
    for needle in (
        "Markdown:  <!-- escm: knw07.b1 -->",
        "Word:      a paragraph [escm: knw07.b1]",
        "practices: [knw07]",
        "satisfies:",
        "knw07: [b1]",
        "version: 1",
        "- path: procedures/our-procedure.md",
        "status: accepted",
        "type: record",
        "record_kind: approval",  # knw07.b3, the first activity that asks for a record
        "satisfies: {knw07: [b3]}",
        "Record window: 12 months",
    ):
        assert needle in out, needle
    c5 = out[out.index("\n  c5 ") : out.index("How to show")]
    assert "dated within the last 12 months" in c5


def test_explain_takes_the_record_window_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".escm-check.yaml").write_text("record_max_age: 6 months\n", encoding="utf-8")
    _, out = run("explain", "ppl08", "--config", str(tmp_path / ".escm-check.yaml"))
    assert "Record window: 6 months" in out
    b6 = out[out.index("\n  b6 ") : out.index("\n  c1 ")]
    assert "record_kind: training-record) dated within the last 6 months" in b6
    assert "why:" in b6
    _, data = run("practices", "--format", "json", "--config", str(tmp_path / ".escm-check.yaml"))
    knw07 = next(p for p in json.loads(data)["practices"] if p["id"] == "knw07")
    assert knw07["activities"][-1]["performed"]["max_age"] == "6 months"


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
