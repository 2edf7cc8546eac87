"""The COMM pack and its client-side example: the pack's facts, then the example rated twice.

First on pure values (the example's documents parsed and evaluated, no git), then through the
whole pipeline: the example's scripted history is replayed into a real temporary git repository
and `escm-check --model comm` is run on it.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.config import load_config
from escm_check.demo import replay
from escm_check.evaluate import RepoInfo, evaluate
from escm_check.result import CheckResult
from escm_check.rulepack import Pack, load_pack

from .evalkit import docs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "comm_client_repo"
HISTORY = ROOT / "examples" / "comm_client_history.yaml"
SEED = ROOT.parent / "shared" / "seeds" / "comm-client-outsourcing-maturity-model.txt"

LEVELS = {1: "Ad Hoc", 2: "Reactive", 3: "Proactive", 4: "Optimized", 5: "Strategic Partnering"}
SATISFIED = {"gov01", "gov02", "gov03", "acq01", "acq02", "acq03", "rel01", "rel02", "rel03", "rel04", "str01"}
GAPS = {"rel05", "str02", "str03", "str04"}


@pytest.fixture(scope="module")
def comm() -> Pack:
    return load_pack("comm")


# --------------------------------------------------------------------------- the pack


def test_levels_are_the_five_comm_stages(comm: Pack) -> None:
    assert {lv.level: lv.name for lv in comm.levels} == LEVELS
    by_level = Counter(p.level for p in comm.practices)
    assert by_level == {2: 5, 3: 5, 4: 3, 5: 2}  # level 1 is the base: no Practices
    assert not any(lv.sustained_evaluations for lv in comm.levels)


def test_practices_are_client_side_and_complete(comm: Pack) -> None:
    assert [a.id for a in comm.areas] == ["gov", "acq", "rel", "str"]
    assert len(comm.practices) == 15
    for p in comm.practices:
        assert p.id.startswith(p.area) and p.phase in comm.phases
        ids = list(p.required_ids)
        assert ids[:3] == ["a1", "a2", "a3"] and ids[-2:] == ["c1", "c2"], p.id
        b = ids[3:-2]
        assert b == [f"b{i}" for i in range(1, len(b) + 1)] and len(b) >= 3, p.id
    types = {p.id: p.type for p in comm.practices}
    assert types["gov01"] == "policy" and types["str01"] == "plan" and types["str02"] == "program"
    rel01 = comm.practice("rel01")
    c2 = rel01.activity("c2") if rel01 else None
    assert c2 is not None and c2.performed is not None and c2.performed.check == "record" and not c2.performed.own


def test_the_pack_says_it_is_not_official(comm: Pack) -> None:
    assert "not an official" in comm.notice
    assert "short public description" in comm.notice
    assert "No Practice details are published" in comm.source


def test_summaries_paraphrase_the_description() -> None:
    # The description is fingerprinted (hashes of every 6-word run, tests/data/comm-shingles6.gz,
    # made with tools/seed_shingles.py) so the test runs where the description is not present.
    sys.path.insert(0, str(ROOT / "tools"))
    from seed_shingles import shingles

    runs = set(gzip.decompress((ROOT / "tests" / "data" / "comm-shingles6.gz").read_bytes()).decode().split())
    allowed = set(shingles("of the client outsourcing maturity model", 6))  # the model's name
    for f in sorted((ROOT / "rules" / "comm").glob("*.yaml")):
        text = " ".join(str(s) for s in _strings(yaml.safe_load(f.read_text(encoding="utf-8"))))
        shared = set(shingles(text, 6)) & runs
        assert shared <= allowed, (f.name, len(shared - allowed))


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# --------------------------------------------------------------------------- the example, pure


def _example_files() -> dict[str, str]:
    return {
        p.relative_to(EXAMPLE).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(EXAMPLE.rglob("*.md"))
        if p.name != "README.md"
    }


def _rate(comm: Pack, files: dict[str, str]) -> CheckResult:
    """The example's documents as committed, rated on its config's date (no git)."""
    cfg = load_config(EXAMPLE / ".escm-check.yaml", {})
    assert cfg.as_of is not None
    return evaluate(comm, docs(files, None, cfg.field_map), RepoInfo(str(EXAMPLE), "c0ffee"), cfg, cfg.as_of)


def _statuses(r: CheckResult) -> dict[str, str]:
    return {p.id: p.status for p in r.practices}


def test_example_rates_proactive_on_pure_values(comm: Pack) -> None:
    cfg = load_config(EXAMPLE / ".escm-check.yaml", {})
    assert cfg.model == "comm" and cfg.as_of is not None and cfg.target_level == 3
    r = _rate(comm, _example_files())
    st = _statuses(r)
    assert {k for k, v in st.items() if v == "satisfied"} == SATISFIED
    assert {k for k, v in st.items() if v == "not-satisfied"} == GAPS
    assert r.capability_level == 3 and r.gate.passed
    assert (3, "Proactive") in r.levels
    errors = [f for f in r.findings if f.severity == "error" and f.practice not in GAPS]
    assert errors == []


def test_example_gaps_are_what_the_example_leaves_open(comm: Pack) -> None:
    cfg = load_config(EXAMPLE / ".escm-check.yaml", {})
    assert cfg.as_of is not None
    files = _example_files()
    # approving the innovation program is not enough: it still lacks a plan and its activities
    files["programs/provider-innovation.md"] = files["programs/provider-innovation.md"].replace(
        "status: draft", "status: approved\napproved_by: Grace Okafor\napproved_on: 2026-10-01"
    )
    r = _rate(comm, files)
    str02 = next(p for p in r.practices if p.id == "str02")
    assert str02.status == "not-satisfied"
    assert {a.id for a in str02.activities if a.status == "satisfied"} >= {"a1", "b1"}
    # dropping the September governance minutes leaves gov01..gov03 unverified: Level 1
    del files["records/2026-09-governance-forum-minutes.md"]
    r = _rate(comm, files)
    assert _statuses(r)["gov02"] == "not-satisfied" and r.capability_level == 1


# ------------------------------------------------------------------- the example, full pipeline


@pytest.fixture(scope="module")
def client_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("comm") / "fenmoor"
    commits = replay(HISTORY, EXAMPLE, target)
    assert commits == len(yaml.safe_load(HISTORY.read_text(encoding="utf-8"))["commits"])
    return target


def _check(*args: str) -> tuple[int, dict[str, Any]]:
    r = CliRunner().invoke(main, [*args, "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    out = r.output[r.output.index("{") :]
    data: dict[str, Any] = json.loads(out)
    return r.exit_code, data


def test_escm_check_model_comm_rates_the_client_example(client_repo: Path) -> None:
    code, data = _check("--model", "comm", str(client_repo))
    assert data["model"]["id"] == "comm"
    assert data["capability_level"] == 3
    assert data["gate"]["passed"] is True and code == 0
    practices = {p["id"]: p for p in data["practices"]}
    assert {k for k, p in practices.items() if p["status"] == "satisfied"} == SATISFIED
    assert {k for k, p in practices.items() if p["status"] == "not-satisfied"} == GAPS
    # history-based activities are evidenced from the real repository
    gov01 = {a["id"]: a for a in practices["gov01"]["activities"]}
    assert gov01["a2"]["status"] == "satisfied" and gov01["a3"]["status"] == "satisfied"
    ev = gov01["a3"]["evidence"][0]
    assert ev["path"] == "policies/outsourcing-policy.md"
    assert re.fullmatch(r"[0-9a-f]{40}", ev["commit"])
    # no change-control or document problems: every error belongs to a Practice above the target
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert errors and {f["practice"] for f in errors} <= GAPS, errors


def test_the_configured_model_and_a_higher_target(client_repo: Path) -> None:
    # the example's own config names the comm model
    code, data = _check(str(client_repo))
    assert data["model"]["id"] == "comm" and code == 0
    code, data = _check("--model", "comm", "--target-level", "4", str(client_repo))
    assert code == 1 and data["capability_level"] == 3
    assert data["gate"]["passed"] is False


def test_text_report_names_the_comm_levels(client_repo: Path) -> None:
    r = CliRunner().invoke(main, ["--model", "comm", str(client_repo)])
    assert r.exit_code == 0, r.output
    assert "Client Outsourcing Maturity Model" in r.output
    assert "Capability Level 3" in r.output
