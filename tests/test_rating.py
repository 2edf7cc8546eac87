"""Rating, level and waiver rules on pure values (no git, no files)."""

from __future__ import annotations

import datetime as dt

from escm_check.durations import Duration
from escm_check.evaluate import Control, capability_level

from .evalkit import AUTHOR, full_practice, pack, run

LEVEL2 = [p.id for p in pack().practices if p.level == 2]
LEVEL3 = [p.id for p in pack().practices if p.level == 3]


def all_of(ids: list[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for i in ids:
        files.update(full_practice(i))
    return files


def status(result, pid: str) -> str:  # type: ignore[no-untyped-def]
    return next(p.status for p in result.practices if p.id == pid)


def test_a_fully_evidenced_practice_is_satisfied() -> None:
    r = run(full_practice("knw07"))
    assert status(r, "knw07") == "satisfied"
    act = {a.id: a for p in r.practices if p.id == "knw07" for a in p.activities}
    assert act["b3"].evidence[0].path == "knw07/procedure.md"
    assert act["b3"].evidence[0].line is not None
    assert act["c5"].evidence[0].kind == "record"


def test_all_level_2_satisfied_gives_level_2_and_gate_passes() -> None:
    r = run(all_of(LEVEL2), target_level=2)
    assert [p.id for p in r.practices if p.level == 2 and p.status != "satisfied"] == []
    assert r.capability_level == 2
    assert r.gate.passed


def test_all_level_2_but_one_stays_at_level_1() -> None:
    files = all_of(LEVEL2)
    del files["thr01/verification.md"]
    r = run(files, target_level=2)
    assert status(r, "thr01") == "not-satisfied"
    assert r.capability_level == 1
    assert not r.gate.passed
    missing = [f for f in r.findings if f.rule == "activity-not-evidenced" and f.practice == "thr01"]
    assert [f.activity for f in missing] == ["c5"]


def test_level_3_with_a_level_2_gap_stays_at_1() -> None:
    files = all_of(LEVEL2 + LEVEL3)
    del files["del01/verification.md"]
    r = run(files)
    assert all(status(r, p) == "satisfied" for p in LEVEL3)
    assert r.capability_level == 1


def test_not_applicable_only_through_a_valid_waiver() -> None:
    files = all_of(LEVEL2)
    del files["thr01/verification.md"]
    waiver = {
        "practice": "thr01",
        "reason": "no client data at this site",
        "approved_by": "COO",
        "expires": "2027-01-31",
    }
    r = run(files, target_level=2, waivers=[waiver])
    assert status(r, "thr01") == "not-applicable"
    assert r.capability_level == 2 and r.gate.passed


def test_an_expired_waiver_is_not_applied() -> None:
    files = all_of(LEVEL2)
    del files["thr01/verification.md"]
    waiver = {"practice": "thr01", "reason": "r", "approved_by": "COO", "expires": "2026-10-01"}
    r = run(files, target_level=2, waivers=[waiver])
    assert status(r, "thr01") == "not-satisfied"
    assert [f.rule for f in r.findings if f.practice == "thr01" and f.rule.startswith("waiver")] == ["waiver-expired"]
    assert r.capability_level == 1


def test_an_incomplete_waiver_is_invalid() -> None:
    r = run(full_practice("knw07"), waivers=[{"practice": "knw08", "reason": "r"}])
    assert status(r, "knw08") == "not-satisfied"
    assert any(f.rule == "waiver-invalid" and "approved_by, expires" in f.message for f in r.findings)


def test_activity_waiver() -> None:
    files = full_practice("knw07")
    del files["knw07/verification.md"]
    w = {"activity": "knw07.c5", "reason": "new", "approved_by": "COO", "expires": "2027-01-01"}
    r = run(files, waivers=[w])
    assert status(r, "knw07") == "satisfied"


def test_out_of_scope_is_not_rated_and_does_not_block() -> None:
    files = all_of([p for p in LEVEL2 if not p.startswith("tfr")])
    r = run(files, target_level=2, scope={"exclude_areas": ["tfr"]})
    assert {status(r, p) for p in LEVEL2 if p.startswith("tfr")} == {"not-rated"}
    assert r.capability_level == 2


def test_draft_does_not_count() -> None:
    files = full_practice("knw07")
    files["knw07/procedure.md"] = files["knw07/procedure.md"].replace("status: approved", "status: draft")
    r = run(files)
    assert status(r, "knw07") == "not-satisfied"
    assert any(f.rule == "not-approved" for f in r.findings)


def test_self_approval_fails_a2() -> None:
    files = full_practice("knw07")
    files["knw07/procedure.md"] = files["knw07/procedure.md"].replace(
        "approved_by: Quality Manager", "approved_by: Asha Author"
    )
    r = run(files)
    a2 = next(a for p in r.practices if p.id == "knw07" for a in p.activities if a.id == "a2")
    assert a2.status == "not-satisfied" and "author" in a2.reason


def test_review_overdue_fails_a3_and_names_support_practice() -> None:
    files = all_of(["knw07", "knw08"])
    overdue = Control(True, last_commit="abc", last_author=AUTHOR, review_due=dt.date(2026, 1, 1))
    r = run(files, controls={"knw07/procedure.md": overdue})
    assert status(r, "knw07") == "not-satisfied"
    a3 = [f for f in r.findings if f.rule == "activity-not-evidenced" and f.practice == "knw07"]
    assert a3 and a3[0].activity == "a3"
    # knw08's own a3 is fine, but a Practice whose a3 fails while knw07 fails names the cause
    r2 = run(
        files, controls={"knw07/procedure.md": overdue, "knw08/procedure.md": Control(False, reason="not tracked")}
    )
    f = next(f for f in r2.findings if f.practice == "knw08" and f.activity == "a3")
    assert f.cause == "Support Practice knw07 not satisfied"


def test_stale_record_fails_c5() -> None:
    r = run(full_practice("knw07", record_date="2025-06-01"))
    assert status(r, "knw07") == "not-satisfied"
    stale = [f for f in r.findings if f.rule == "record-stale"]
    c5 = [f for f in stale if f.activity == "c5"]  # b-activities with records of their own go stale too
    assert c5 and c5[0].path == "knw07/verification.md"
    r2 = run(full_practice("knw07", record_date="2025-06-01"), record_max_age="24 months")
    assert status(r2, "knw07") == "satisfied"


def test_program_needs_a_plan() -> None:
    files = full_practice("prf07")
    assert status(run(files), "prf07") == "satisfied"
    del files["prf07/plan.md"]
    # the program document's own "Program Plan" section still counts as its plan
    assert status(run(files), "prf07") == "satisfied"
    files["prf07/program.md"] = files["prf07/program.md"].replace("## Program Plan", "## Timeline")
    r = run(files)
    assert status(r, "prf07") == "not-satisfied"
    assert any(f.rule == "doctype-missing" and f.practice == "prf07" for f in r.findings)


def test_level_5_needs_sustained_level_4() -> None:
    r = run(all_of([p.id for p in pack().practices]))
    assert r.capability_level == 4
    results = r.practices
    assert capability_level(results, pack(), [("2024-05-01", 4), ("2025-05-01", 4)]) == 5
    assert capability_level(results, pack(), [("2024-05-01", 3), ("2025-05-01", 4)]) == 4


def test_profile_counts() -> None:
    r = run(all_of(["knw07", "knw08"]))
    cell = next(c for c in r.profile if c.area == "knw" and c.level == 2)
    assert (cell.satisfied, cell.in_scope) == (2, 3)  # knw02, knw07, knw08
    cell = next(c for c in r.profile if c.area == "ppl" and c.level == 2)
    assert cell.satisfied == 0 and cell.in_scope > 0


def test_a_record_window_ends_on_the_same_day_of_the_month() -> None:
    # one month after 30 September is 30 October: the record is current through that day and
    # stale the day after, even though 31 October minus a month clamps back to 30 September
    files = full_practice("knw07", record_date="2026-09-30")
    current = run(files, as_of=dt.date(2026, 10, 30), record_max_age="1 month")
    assert status(current, "knw07") == "satisfied"
    late = run(files, as_of=dt.date(2026, 10, 31), record_max_age="1 month")
    assert status(late, "knw07") == "not-satisfied"
    stale = [f.path for f in late.findings if f.rule == "record-stale" and f.activity == "c5"]
    assert stale == ["knw07/verification.md"]


def test_a_window_is_counted_forward_from_its_start() -> None:
    month = Duration(1, "month")
    assert month.covers(dt.date(2023, 2, 28), dt.date(2023, 3, 28))
    assert not month.covers(dt.date(2023, 2, 28), dt.date(2023, 3, 29))
    assert month.covers(dt.date(2023, 1, 31), dt.date(2023, 2, 28))  # month ends clamp
    assert not month.covers(dt.date(2023, 1, 31), dt.date(2023, 3, 1))
    assert Duration(1, "year").covers(dt.date(2024, 2, 29), dt.date(2025, 2, 28))
    assert not Duration(1, "year").covers(dt.date(2024, 2, 29), dt.date(2025, 3, 1))


def test_a_reason_many_documents_share_names_five_of_them_once() -> None:
    files = full_practice("knw07")
    for i in range(7):
        files[f"knw07/copy-{i}.md"] = files["knw07/procedure.md"].replace("DOC-KNW07-PROCEDURE", f"DOC-COPY-{i}")
    files["knw07/self.md"] = (
        files["knw07/procedure.md"]
        .replace("DOC-KNW07-PROCEDURE", "DOC-SELF")
        .replace("approved_by: Quality Manager", "approved_by: Asha Author")
    )
    unknown = Control(True, last_commit="c0ffee", last_author=None)
    controls = {path: unknown for path in files if path != "knw07/self.md"}
    r = run(files, controls=controls)
    a2 = next(a for p in r.practices if p.id == "knw07" for a in p.activities if a.id == "a2")
    # the approved documents serving knw07, in path order: copy-0 to copy-6, procedure.md, self.md
    assert a2.reason == (
        "knw07/copy-0.md, knw07/copy-1.md, knw07/copy-2.md, knw07/copy-3.md, knw07/copy-4.md and 3 more: "
        "the author of its last change is unknown (no history); "
        "knw07/self.md: approved by the author of its last change"
    )


def test_a_document_whose_change_control_was_not_judged_is_not_called_unversioned() -> None:
    files = full_practice("knw07")
    # what the pipeline gives a tracked document without front matter of its own
    r = run(files, controls=dict.fromkeys(files))  # type: ignore[arg-type]
    a3 = next(a for p in r.practices if p.id == "knw07" for a in p.activities if a.id == "a3")
    assert a3.status == "not-satisfied"
    assert "change control not judged: no readable front matter of its own" in a3.reason
    assert "not under version control" not in a3.reason


def test_a_practice_with_only_drafts_names_five_of_them() -> None:
    files = {
        f"knw07/draft-{i}.md": text.replace("status: approved", "status: draft").replace("DOC-KNW07", f"DRAFT-{i}")
        for i in range(7)
        for path, text in full_practice("knw07").items()
        if path == "knw07/procedure.md"
    }
    r = run(files)
    gap = next(f for f in r.findings if f.rule == "activity-not-evidenced" and f.practice == "knw07")
    assert gap.message.endswith(
        "knw07/draft-0.md (draft), knw07/draft-1.md (draft), knw07/draft-2.md (draft), "
        "knw07/draft-3.md (draft), knw07/draft-4.md (draft) and 2 more"
    )
