"""Both sides of an activity's evidence, end to end on real git repositories through the CLI.

ppl08.b6 (keep records of the training given) must be documented in an approved document and
performed: a training record dated within the record window. del01 is a plan Practice: its
b-activities count only in the plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from escm_check.cli import main

from .evalkit import FILLER
from .gitrepo import GitRepo, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
AS_OF = "2026-10-01"


def approved(body: str, doc_type: str, practice: str, ident: str) -> str:
    return doc(
        body,
        id=ident,
        title=f"{practice} {doc_type}",
        type=doc_type,
        practices=[practice],
        status="approved",
        version="1.0",
        owner="Head of People",
        approved_by=BOB,
        approved_on="2026-03-01",
    )


def training_procedure(tag_b6: bool) -> str:
    tag = "<!-- escm: ppl08.b6 -->\n" if tag_b6 else ""
    body = f"# Training\n\n## Steps\n\n{FILLER}\n\n## Training records\n{tag}\n{FILLER}\n"
    return approved(body, "procedure", "ppl08", "PRC-PPL-08")


def training_record(date: str, kind: str = "training-record") -> str:
    return doc(
        "# Training given\n\n" + FILLER + "\n",
        id=f"REC-TRN-{date}",
        title="Training given",
        type="record",
        record_kind=kind,
        date=date,
        practices=["ppl08"],
        satisfies={"ppl08": ["b6"]},
    )


def repo_with(tmp_path: Path, files: dict[str, str]) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write(".escm-check.yaml", f"target_level: 2\nas_of: {AS_OF}\n")
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("Add the documents", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    return repo


def report(repo: GitRepo) -> dict[str, Any]:
    r = CliRunner().invoke(main, ["check", str(repo.path), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    data: dict[str, Any] = json.loads(r.output)
    return data


def activity(data: dict[str, Any], practice: str, activity_id: str) -> dict[str, Any]:
    p = next(p for p in data["practices"] if p["id"] == practice)
    found: dict[str, Any] = next(a for a in p["activities"] if a["id"] == activity_id)
    return found


def text_report(repo: GitRepo) -> str:
    return CliRunner().invoke(main, ["check", str(repo.path)]).output


def test_documented_only_is_documented_not_yet_performed(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"procedures/training.md": training_procedure(True)})
    b6 = activity(report(repo), "ppl08", "b6")
    assert b6["status"] == "not-satisfied" and b6["gap"] == "not-performed"
    assert b6["reason"].startswith("documented, not yet performed: no record (training-record)")
    doc_side = b6["documented"]
    assert doc_side["satisfied"] and doc_side["evidence"][0]["path"] == "procedures/training.md"
    assert doc_side["evidence"][0]["commit"] == repo.head()
    assert not b6["performed"]["satisfied"] and b6["performed"]["record_kinds"] == ["training-record"]
    text = text_report(repo)
    line = doc_side["evidence"][0]["line"]
    assert "b6: documented, not yet performed" in text
    assert f"documented: tagged-section: procedures/training.md:{line}@{repo.head()[:10]}" in text
    assert "performed: record (training-record) within 12 months: missing" in text


def test_performed_only_is_performed_but_not_documented(tmp_path: Path) -> None:
    files = {"procedures/training.md": training_procedure(False), "records/training.md": training_record("2026-09-01")}
    repo = repo_with(tmp_path, files)
    data = report(repo)
    b6 = activity(data, "ppl08", "b6")
    assert b6["gap"] == "not-documented" and b6["reason"].startswith("performed but not documented")
    assert b6["performed"]["satisfied"] and b6["performed"]["evidence"][0]["path"] == "records/training.md"
    finding = next(f for f in data["findings"] if f["rule"] == "activity-not-evidenced" and f["activity"] == "b6")
    assert "performed but not documented" in finding["message"]
    line = b6["performed"]["evidence"][0]["line"]
    assert f"performed at records/training.md:{line}@{repo.head()[:10]}" in finding["message"]
    assert "<!-- escm: ppl08.b6 -->" in finding["hint"]


def test_both_sides_satisfy_the_activity(tmp_path: Path) -> None:
    files = {"procedures/training.md": training_procedure(True), "records/training.md": training_record("2026-09-01")}
    b6 = activity(report(repo_with(tmp_path, files)), "ppl08", "b6")
    assert b6["status"] == "satisfied" and b6["gap"] is None and b6["reason"] == ""
    assert {e["kind"] for e in b6["evidence"]} == {"tagged-section", "record"}
    assert b6["documented"]["satisfied"] and b6["performed"]["satisfied"]


def test_a_stale_record_leaves_the_activity_not_performed(tmp_path: Path) -> None:
    files = {"procedures/training.md": training_procedure(True), "records/training.md": training_record("2025-08-01")}
    data = report(repo_with(tmp_path, files))
    b6 = activity(data, "ppl08", "b6")
    assert b6["gap"] == "not-performed" and "newest record is from 2025-08-01" in b6["reason"]
    stale = [f for f in data["findings"] if f["rule"] == "record-stale" and f["activity"] == "b6"]
    assert stale and stale[0]["path"] == "records/training.md"


def test_a_record_of_another_kind_does_not_count(tmp_path: Path) -> None:
    files = {
        "procedures/training.md": training_procedure(True),
        "records/training.md": training_record("2026-09-01", kind="minutes"),
    }
    b6 = activity(report(repo_with(tmp_path, files)), "ppl08", "b6")
    assert b6["gap"] == "not-performed"
    assert "no record of kind training-record: records/training.md (minutes)" in b6["reason"]


def plan_procedure(doc_type: str) -> str:
    tags = "".join(f"\n## Step {i}\n<!-- escm: del01.b{i} -->\n\n{FILLER}\n" for i in range(1, 8))
    return approved(f"# Delivery {doc_type}\n{tags}", doc_type, "del01", f"DEL01-{doc_type.upper()}")


def test_a_plan_practice_without_its_plan(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"procedures/delivery.md": plan_procedure("procedure")})
    data = report(repo)
    b1 = activity(data, "del01", "b1")
    assert b1["status"] == "not-satisfied" and b1["gap"] == "documented-missing"
    assert b1["documented"]["doc_types"] == ["plan"]
    del01 = next(p for p in data["practices"] if p["id"] == "del01")
    assert del01["doctype_met"] is False
    assert any(f["rule"] == "doctype-missing" and f["practice"] == "del01" for f in data["findings"])
    # the same sections in the plan document the activities
    repo.write("plans/delivery.md", plan_procedure("plan"))
    repo.commit("Add the delivery plan", author=ANN, date="2026-04-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    b1 = activity(report(repo), "del01", "b1")
    assert b1["documented"]["satisfied"] and b1["documented"]["evidence"][0]["path"] == "plans/delivery.md"


def test_every_report_format_says_which_side_is_missing(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"procedures/training.md": training_procedure(True)})
    b6 = activity(report(repo), "ppl08", "b6")
    ref = f"procedures/training.md:{b6['documented']['evidence'][0]['line']}@{repo.head()[:10]}"
    for fmt in ("text", "markdown", "junit", "sarif", "html"):
        out = CliRunner().invoke(main, ["check", str(repo.path), "--format", fmt]).output
        assert "documented, not yet performed" in out, fmt
        assert ref in out or (fmt == "html" and "procedures/training.md" in out), fmt
