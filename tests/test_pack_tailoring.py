"""A pack that extends eSCM-SP v2 changes the result exactly as its author intended.

The tailored pack is the worked example of docs/rule-packs.md, read from that page, so the
documentation cannot drift from what the loader does. Ratings are pure: the same documents are
rated against the base pack and against the tailoring, and the test asserts the difference; the
last test runs the tailoring through the whole pipeline, chosen by the config's `rules:`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.evaluate import RepoInfo, evaluate
from escm_check.result import CheckResult
from escm_check.rulepack import Activity, Pack, PackError, Practice, load_pack

from .evalkit import AS_OF, FILLER, config, docs, front, full_practice, pack, practice_doc
from .gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rule-packs.md"
sys.path.insert(0, str(ROOT / "tools"))
from seed_shingles import copied, load  # noqa: E402


def example_files(target: Path) -> Path:
    """Write every ```yaml block of the docs that starts with `# file: PATH` under `target`."""
    text = DOC.read_text(encoding="utf-8")
    written = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        m = re.match(r"# file: (\S+)\n", block)
        if m:
            path = target / m.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block, encoding="utf-8")
            written.append(m.group(1))
    assert sorted(written) == ["tallis/pack.yaml", "tallis/tailoring.yaml", "tallis/tallis-practices.yaml"]
    return target / "tallis"


@pytest.fixture(scope="module")
def tailored(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return load_pack(example_files(tmp_path_factory.mktemp("docs")))


def rate(p: Pack, files: dict[str, str], as_of: dt.date = AS_OF, **cfg: Any) -> CheckResult:
    c = config(**cfg)
    return evaluate(p, docs(files, None, c.field_map), RepoInfo("/repo", "c0ffee"), c, as_of)


def status(r: CheckResult, pid: str) -> str:
    return str(next(p.status for p in r.practices if p.id == pid))


def activity(r: CheckResult, pid: str, aid: str) -> str:
    return str(next(a.status for p in r.practices if p.id == pid for a in p.activities if a.id == aid))


def practice(p: Pack, pid: str) -> Practice:
    found = p.practice(pid)
    assert found is not None, pid
    return found


def act(p: Pack, pid: str, aid: str) -> Activity:
    found = practice(p, pid).activity(aid)
    assert found is not None, f"{pid}.{aid}"
    return found


# --------------------------------------------------------------------------- the merged pack


def test_the_merge_keeps_the_base_and_applies_every_change(tailored: Pack) -> None:
    base = pack()
    assert tailored.id == "tallis-escm" and tailored.extends == "escm-sp-v2"
    assert len(tailored.practices) == len(base.practices) + 1
    assert tailored.level_name(2) == "Certification baseline"
    assert tailored.level_name(3) == base.level_name(3)
    # thr08 joins its area, after the base's thr Practices
    ids = [p.id for p in tailored.practices]
    assert ids.index("thr08") == ids.index("thr07") + 1
    knw02 = tailored.practice("knw02")
    assert knw02 is not None and knw02.type == "procedure"
    assert knw02.required_ids[knw02.required_ids.index("b8") + 1] == "b9"
    c5 = act(tailored, "knw07", "c5")
    assert c5.performed is not None and c5.performed.check == "record" and c5.performed.max_age == "6 months"
    assert c5.performed.own, "a window the organization set must not yield to record_max_age"
    assert [p.id for p in tailored.practices if not p.in_scope] == [f"tfr0{i}" for i in range(1, 7)]
    # what changed, why, and where it was decided
    note = practice(tailored, "knw07").tailoring
    assert len(note) == 1 and "6 months" in note[0] and "audited every quarter" in note[0]
    assert re.search(r"tallis/tailoring\.yaml:\d+\)$", note[0])
    assert practice(tailored, "knw01").tailoring == ()
    # the base pack itself is untouched
    assert practice(base, "knw02").type is None
    assert all(p.in_scope for p in base.practices)


def test_procedure_structure_is_replaced(tailored: Pack) -> None:
    parts = [s.part for s in tailored.doc_types["procedure"].structure]
    assert parts == ["purpose", "roles", "steps", "records"]
    assert tailored.doc_types["policy"] == pack().doc_types["policy"]


# ------------------------------------------------------------------- ratings change as intended


def test_out_of_scope_area_is_not_rated(tailored: Pack) -> None:
    files = full_practice("tfr01")
    assert status(rate(pack(), files), "tfr01") == "satisfied"
    assert status(rate(pack(), {}), "tfr02") == "not-satisfied"
    r = rate(tailored, files)
    assert {status(r, f"tfr0{i}") for i in range(1, 7)} == {"not-rated"}
    assert not [
        f for f in r.findings if f.practice and f.practice.startswith("tfr") and f.rule == "activity-not-evidenced"
    ]


def test_a_stricter_record_window_fails_a_nine_month_old_record(tailored: Pack) -> None:
    nine_months_ago = "2026-02-01"  # AS_OF is 2026-11-01
    files = full_practice("knw07", record_date=nine_months_ago)
    assert status(rate(pack(), files), "knw07") == "satisfied"
    r = rate(tailored, files)
    assert status(r, "knw07") == "not-satisfied"
    assert activity(r, "knw07", "c5") == "not-satisfied"
    stale = [f for f in r.findings if f.rule == "record-stale" and f.practice == "knw07"]
    assert stale and "6 months" in stale[0].message
    # the organization's own window holds even when the config allows longer
    assert status(rate(tailored, files, record_max_age="24 months"), "knw07") == "not-satisfied"
    # and a record inside the window still satisfies it
    recent = full_practice("knw07", record_date="2026-06-15")
    assert status(rate(tailored, recent), "knw07") == "satisfied"


def test_an_added_activity_unsatisfies_a_practice_until_evidenced(tailored: Pack) -> None:
    files = full_practice("knw02")  # b1..b8 and c1..c5 evidenced, in a procedure
    assert status(rate(pack(), files), "knw02") == "satisfied"
    r = rate(tailored, files)
    assert status(r, "knw02") == "not-satisfied"
    assert [a.id for p in r.practices if p.id == "knw02" for a in p.activities if a.status != "satisfied"] == ["b9"]
    files["knw02/access-review.md"] = practice_doc("knw02", "procedure", ["b9"], id="PRC-ACCESS")
    assert status(rate(tailored, files), "knw02") == "satisfied"


def test_a_changed_documentation_type_is_expected(tailored: Pack) -> None:
    files = full_practice("knw02")
    files["knw02/procedure.md"] = files["knw02/procedure.md"].replace("type: procedure", "type: guideline")
    files["knw02/access-review.md"] = practice_doc("knw02", "guideline", ["b9"], id="GDL-ACCESS")
    assert status(rate(pack(), files), "knw02") == "satisfied"  # the base names no type
    r = rate(tailored, files)
    assert status(r, "knw02") == "not-satisfied"
    assert any(f.rule == "doctype-missing" and f.practice == "knw02" for f in r.findings)


def test_an_added_practice_is_rated_and_counts_for_its_level(tailored: Pack) -> None:
    r = rate(tailored, {})
    assert status(r, "thr08") == "not-satisfied"
    assert next(p for p in r.practices if p.id == "thr08").level == 2
    body = practice_doc("thr08", "procedure", ["b1", "b2", "c1", "c2", "c3", "c4"])
    body = body.replace("## Steps", "## Records\n\n" + FILLER + "\n\n## Steps")
    record = front(
        id="REC-THR08",
        title="Residency check",
        type="record",
        practices="[thr08]",
        satisfies="{thr08: [c5]}",
        date="2026-10-01",
        record_kind="review-record",
    )
    files = {"thr08/procedure.md": body, "thr08/check.md": record + "# Residency check\n\n" + FILLER + "\n"}
    assert status(rate(tailored, files), "thr08") == "satisfied"


def test_changed_structure_is_checked_on_documents(tailored: Pack) -> None:
    files = full_practice("knw07")
    base_structure = [f for f in rate(pack(), files).findings if f.rule == "doctype-structure"]
    assert base_structure == []
    found = [f for f in rate(tailored, files).findings if f.rule == "doctype-structure"]
    assert [f.path for f in found] == ["knw07/procedure.md"]
    assert "'records'" in found[0].message


def test_renamed_level_reaches_the_result(tailored: Pack) -> None:
    assert (2, "Certification baseline") in rate(tailored, {}).levels


# --------------------------------------------------------------------------- smaller packs


def _pack(folder: Path, head: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(head, encoding="utf-8")
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


HEAD = 'id: {id}\nname: Test\nversion: "1"\nextends: {extends}\n'


def test_evidence_defaults_of_an_extending_pack_are_the_organizations_own(tmp_path: Path) -> None:
    p = load_pack(
        _pack(
            tmp_path / "strict",
            HEAD.format(id="strict", extends="escm-sp-v2")
            + "evidence_defaults:\n  c:\n    c5: {performed: {check: record, max_age: 3 months}}\n",
        )
    )
    c5 = act(p, "prf01", "c5")
    assert c5.performed is not None and c5.performed.max_age == "3 months" and c5.performed.own
    assert act(p, "prf01", "c4") == act(pack(), "prf01", "c4")
    files = full_practice("knw07", record_date="2026-06-15")  # 4.5 months before AS_OF
    assert status(rate(pack(), files), "knw07") == "satisfied"
    assert status(rate(p, files), "knw07") == "not-satisfied"


def test_an_evidence_change_with_a_new_check_kind_replaces_the_rule(tmp_path: Path) -> None:
    overlay = (
        "changes:\n  - practice: knw07\n"
        "    reason: Verification is a section of the audit procedure.\n"
        "    change_activities:\n      - id: c5\n"
        "        documented: {check: tagged-section}\n        performed: null\n"
    )
    head = HEAD.format(id="t", extends="escm-sp-v2") + "overlays: [o.yaml]\n"
    p = load_pack(_pack(tmp_path / "t", head, {"o.yaml": overlay}))
    c5 = act(p, "knw07", "c5")
    assert c5.documented is not None and c5.documented.check == "tagged-section" and c5.performed is None


def test_a_pack_can_extend_a_sibling_that_extends_a_builtin(tmp_path: Path) -> None:
    tallis = example_files(tmp_path)
    team = _pack(
        tmp_path / "tallis-pune",
        HEAD.format(id="tallis-pune", extends="../tallis") + "overlays: [pune.yaml]\n",
        {"pune.yaml": "changes:\n  - practice: thr08\n    in_scope: false\n    reason: Pune hosts no client data.\n"},
    )
    p = load_pack(team)
    assert p.extends == "tallis-escm" and p.id == "tallis-pune"
    assert not practice(p, "thr08").in_scope
    assert not practice(p, "tfr01").in_scope  # from the middle pack
    assert act(p, "knw07", "c5").performed.max_age == "6 months"  # type: ignore[union-attr]
    assert tallis.is_dir()


def test_extends_cannot_leave_the_folder_that_holds_the_pack(tmp_path: Path) -> None:
    example_files(tmp_path / "outside")
    inner = _pack(tmp_path / "repo" / "rules" / "mine", HEAD.format(id="mine", extends="../../../outside/tallis"))
    with pytest.raises(PackError) as exc:
        load_pack(inner)
    assert "leads out of" in str(exc.value) and "pack.yaml:4:" in str(exc.value)


def test_a_cycle_of_extends_is_reported(tmp_path: Path) -> None:
    _pack(tmp_path / "a", HEAD.format(id="a", extends="../b"))
    _pack(tmp_path / "b", HEAD.format(id="b", extends="../a"))
    with pytest.raises(PackError) as exc:
        load_pack(tmp_path / "a")
    assert "cycle" in str(exc.value)


def test_summaries_of_the_worked_example_are_ours() -> None:
    # the example's own summaries are written for it; none is lifted from the model text
    fp = load()
    text = DOC.read_text(encoding="utf-8")
    for line in text.splitlines():
        if "summary:" in line:
            assert not copied(line, fp), line


def test_config_rules_runs_the_tailoring_through_the_whole_pipeline(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    example_files(repo.path / "rules")
    repo.write(".escm-check.yaml", "rules: rules/tallis\nas_of: 2026-11-01\n")
    for path, text in full_practice("knw07", record_date="2026-02-01").items():
        repo.write(path, text)
    repo.commit(
        "Version and change control procedure",
        date=dt.date(2026, 5, 20),
        trailers={"Approved-by": "Quality Manager <qm@example.org>"},
    )
    r = CliRunner().invoke(main, [str(repo.path), "--format", "json"])
    data = json.loads(r.output[r.output.index("{") :])
    assert data["model"]["id"] == "tallis-escm"
    by_id = {p["id"]: p for p in data["practices"]}
    assert {by_id[f"tfr0{i}"]["status"] for i in range(1, 7)} == {"not-rated"}
    knw07 = by_id["knw07"]
    assert knw07["status"] == "not-satisfied"
    assert [a["id"] for a in knw07["activities"] if a["status"] != "satisfied"] == ["c5"]
    assert any(f["rule"] == "record-stale" and f["practice"] == "knw07" for f in data["findings"])


def test_a_documentation_type_of_the_pack_is_declared_by_documents_end_to_end(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    _pack(
        repo.path / "rules" / "ops",
        HEAD.format(id="ops", extends="escm-sp-v2")
        + "doc_types:\n  runbook:\n    summary: Step-by-step operating instructions for one service.\n"
        "    structure:\n      - part: steps\n        headings: [steps, instructions]\n",
    )
    meta = 'id: {id}\ntitle: Restart\ntype: runbook\nstatus: approved\nversion: "1.0"\nowner: Ops lead\n'
    meta += "approved_by: Quality Manager <qm@example.org>\napproved_on: 2026-05-20\n"
    repo.write("ops/restart.md", f"---\n{meta.format(id='RB-1')}---\n# Restart\n\n## Steps\n\n{FILLER}\n")
    repo.write("ops/failover.md", f"---\n{meta.format(id='RB-2')}---\n# Failover\n\n## Notes\n\n{FILLER}\n")
    repo.commit("Runbooks", date=dt.date(2026, 5, 20), trailers={"Approved-by": "Quality Manager <qm@example.org>"})

    def findings(*args: str) -> list[tuple[str, str, str]]:
        r = CliRunner().invoke(main, [str(repo.path), "--format", "json", "--as-of", "2026-06-01", *args])
        data = json.loads(r.output[r.output.index("{") :])
        return [
            (f["rule"], f["path"], f["message"])
            for f in data["findings"]
            if f["rule"] in ("front-matter-invalid", "doctype-structure")
        ]

    # the pack defines runbooks: they are accepted, and their structure is checked
    assert findings("--rules", str(repo.path / "rules" / "ops")) == [
        (
            "doctype-structure",
            "ops/failover.md",
            "runbook has no 'steps' section (a heading such as 'steps', 'instructions')",
        )
    ]
    # the model alone does not: the type is named as unknown, with the ones it has
    got = findings()
    assert [(rule, path) for rule, path, _ in got] == [
        ("front-matter-invalid", "ops/failover.md"),
        ("front-matter-invalid", "ops/restart.md"),
    ]
    assert "'runbook' is not a documentation type of escm-sp-v2 (one of policy, procedure" in got[0][2]
    assert got[0][2].endswith("record, other)")


def test_a_documentation_type_name_must_be_writable_in_front_matter(tmp_path: Path) -> None:
    folder = _pack(
        tmp_path / "odd",
        HEAD.format(id="odd", extends="escm-sp-v2") + "doc_types:\n  Run Book:\n    summary: Operating steps.\n",
    )
    with pytest.raises(PackError, match=r"pack\.yaml:\d+: documentation type 'Run Book' cannot be written in front"):
        load_pack(folder)
