"""`escm-check demo` against the expected result documented in examples/README.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.demo import examples_dir, replay

README = Path(__file__).resolve().parent.parent / "examples" / "README.md"


def _table(after: str) -> list[list[str]]:
    text = README.read_text()
    block = text[text.index(after) :]
    rows = []
    for line in block.splitlines()[1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set(cells[0]) <= {"-", " "}:
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # drop the header


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "repo"
    ex = examples_dir()
    replay(ex / "evidence_history.yaml", ex / "evidence_repo", target)
    return target


@pytest.fixture(scope="module")
def report(demo_repo: Path) -> dict:  # type: ignore[type-arg]
    r = CliRunner().invoke(main, ["check", str(demo_repo), "--format", "json"])
    assert r.exit_code == 1, r.output
    return json.loads(r.output)  # type: ignore[no-any-return]


def test_level_and_gate(report: dict) -> None:  # type: ignore[type-arg]
    text = README.read_text()
    assert "**Capability Level 1**, target Level 2" in text
    assert report["capability_level"] == 1 and report["target_level"] == 2
    assert report["gate"]["passed"] is False
    quoted = re.search(r'\("(Capability Level 1 is below[^"]+)"\)', text.replace("\n  ", " "))
    assert quoted and quoted.group(1) in report["gate"]["reasons"]


def test_level_2_gaps_match_the_documented_table(report: dict) -> None:  # type: ignore[type-arg]
    documented = {row[0]: row for row in _table("### Level 2 Practices that fail")}
    failing = {p["id"]: p for p in report["practices"] if p["level"] == 2 and p["status"] != "satisfied"}
    assert set(failing) == set(documented)
    # each gap has its own cause; a rule may stand behind more than one of them
    assert len(documented) >= 5 and len({row[4] for row in documented.values()}) == len(documented)
    for pid, row in documented.items():
        missing = [a["id"] for a in failing[pid]["activities"] if a["status"] != "satisfied"]
        said = row[1]
        if said.startswith("none"):
            assert missing == [] and failing[pid]["doctype_met"] is False
        elif said.startswith("all"):
            assert len(missing) == int(said.split()[1])
        else:
            assert missing == [a.strip() for a in said.split(",")], pid
        rule = row[2].strip("`")
        path = row[3].strip("`")
        assert any(f["rule"] == rule and f["path"] == path for f in report["findings"]), (pid, rule, path)


def test_documented_but_not_performed_gaps(report: dict) -> None:  # type: ignore[type-arg]
    """The README's "documented, not yet performed" gaps are exactly the report's, and there are two or more."""
    said = {
        (row[0], row[1])
        for row in _table("### Level 2 Practices that fail")
        if row[4].startswith("documented, not yet")
    }
    found = {
        (p["id"], a["id"])
        for p in report["practices"]
        if p["level"] == 2
        for a in p["activities"]
        if a["gap"] == "not-performed"
    }
    assert len(said) >= 2 and said == found
    for pid, aid in found:
        act = next(a for p in report["practices"] if p["id"] == pid for a in p["activities"] if a["id"] == aid)
        assert act["documented"]["satisfied"] and act["documented"]["evidence"]
        assert not act["performed"]["satisfied"] and act["performed"]["record_kinds"]
        assert act["reason"].startswith("documented, not yet performed")


def test_documented_findings_and_locations(report: dict) -> None:  # type: ignore[type-arg]
    rows = _table("The findings behind these gaps")
    assert rows
    for rule, severity, location, _practice in rows:
        path, _, line = location.strip("`").rpartition(":")
        hits = [
            f
            for f in report["findings"]
            if f["rule"] == rule.strip("`") and f["path"] == path and f["line"] == int(line)
        ]
        assert hits and hits[0]["severity"] == severity, (rule, location)


def test_summary_line(demo_repo: Path) -> None:
    line = re.search(r"Summary line: `([^`]+)`", README.read_text())
    assert line
    out = CliRunner().invoke(main, ["check", str(demo_repo)]).output
    assert out.rstrip().splitlines()[-1] == line.group(1)


def test_demo_command_prints_where_the_repository_is(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    assert f"Demo repository: {tmp_path / 'd'}" in r.output
    assert "gate FAILED" in r.output
