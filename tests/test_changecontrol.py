"""Change-control verdicts on real temporary git repositories, one scenario per finding slug."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import pytest
from escm_check.changecontrol import (
    CONTROL_RULES,
    ControlResult,
    ControlSettings,
    check_document,
    compare_versions,
    parse_identity,
    same_person,
)
from escm_check.durations import Duration
from escm_check.frontmatter import load_mapping, normalise_text, split_front_matter
from escm_check.history import RepoHistory, load_versions, read_history

from .docfactory import CONTROLLED_KINDS, write_controlled
from .gitrepo import GitRepo, base_env, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
CAT = "Cat Committer <cat@example.org>"
BODY = "# Purpose\n\nThis procedure says how documents are changed and approved.\n"
AS_OF = dt.date(2026, 6, 1)
MERGE = ControlSettings(approval_mode="merge")


def approved(version: str = "1.0", body: str = BODY, **extra: Any) -> str:
    meta: dict[str, Any] = dict(
        id="PRC-1",
        title="Change control",
        type="procedure",
        status="approved",
        version=version,
        owner="Quality Manager",
        approved_by="Bob Approver",
        approved_on="2026-01-01",
    )
    meta.update(extra)
    return doc(body, **meta)


def draft(version: str = "0.1", body: str = BODY, **extra: Any) -> str:
    return approved(version, body, **{"status": "draft", **extra})


def judge(
    repo: GitRepo,
    path: str = "proc.md",
    *,
    as_of: dt.date = AS_OF,
    settings: ControlSettings | None = None,
    history: RepoHistory | None = None,
    prefetch: bool = False,
    **kw: Any,
) -> ControlResult:
    """Read the history, the versions and the working-tree front matter, then judge."""
    h = history or read_history(repo.path, as_of=as_of, prefetch=prefetch)
    meta_path = kw.get("sidecar") or path
    versions = load_versions(repo.path, h, [meta_path])
    text = normalise_text(repo.read(meta_path))
    block = load_mapping(text, meta_path) if meta_path.endswith(".yaml") else split_front_matter(text, meta_path).meta
    return check_document(
        path,
        block.data,
        h,
        versions.get(meta_path, ()),
        settings or ControlSettings(),
        as_of,
        meta_lines=block.lines,
        **kw,
    )


def rules(result: ControlResult, *, severity: str | None = None) -> list[str]:
    return sorted(f.rule for f in result.findings if severity is None or f.severity == severity)


def approved_repo(tmp_path: Path) -> GitRepo:
    """A document drafted by Ann, then approved by Bob through a trailer."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("proc.md", draft())
    repo.commit("Draft the procedure", author=ANN)
    repo.write("proc.md", approved("1.0"))
    repo.commit("Approve the procedure", author=ANN, trailers={"Approved-by": BOB})
    return repo


# --------------------------------------------------------------------------- clean histories


def test_a_controlled_document_and_its_version_history(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "\nA new step.\n", approved_on="2026-01-02"))
    last = repo.commit(
        "Add a step", author=ANN, date="2026-01-02T10:00:00+00:00", trailers={"Approved-by": BOB, "Reviewed-by": CAT}
    )
    r = judge(repo)
    assert r.findings == () and r.controlled and r.reason == ""
    assert r.last_commit == last and r.last_change_date == dt.date(2026, 1, 2)
    assert r.last_review == dt.date(2026, 1, 2) and r.review_due == dt.date(2027, 1, 2)
    assert [(e.version, e.author, e.approver) for e in r.versions] == [
        ("1.1", ANN, BOB),
        ("1.0", ANN, BOB),
        ("0.1", ANN, None),
    ]
    assert r.versions[0].commit == last and r.versions[0].date == "2026-01-02"


def test_drafts_change_freely_and_bookkeeping_keys_need_nothing(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("proc.md", draft("0.1"))
    repo.commit("draft")
    repo.write("proc.md", draft("0.1", BODY + "more\n"))
    repo.commit("edit the draft, same version, no approval")
    repo.write("proc.md", approved("1.0", BODY + "more\n"))
    repo.commit("approve", trailers={"Approved-by": BOB})
    # review bookkeeping on an approved document: no version bump, no approval
    repo.write(
        "proc.md",
        approved("1.0", BODY + "more\n", reviewed_on="2026-03-01", reviewed_by="Cat", next_review="2027-03-01"),
    )
    repo.commit("record the annual review")
    r = judge(repo)
    assert r.findings == () and r.controlled
    assert r.last_review == dt.date(2026, 3, 1) and r.review_due == dt.date(2027, 3, 1)


def test_line_endings_alone_are_not_a_content_change(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0").replace("\n", "\r\n"))
    repo.commit("normalise line ends")
    assert judge(repo).findings == ()


# --------------------------------------------------------------------------- the slugs


def test_untracked_document(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("new.md", approved())
    r = judge(repo, "new.md", tracked=False)
    assert rules(r) == ["untracked-document"] and not r.controlled
    assert r.findings[0].severity == "warning" and r.findings[0].path == "new.md"


def test_uncommitted_changes(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", BODY + "edited, not committed\n"))
    r = judge(repo, modified=True)
    assert rules(r) == ["uncommitted-changes"] and r.controlled  # a warning only
    # a draft being edited is the normal way of working: no warning
    repo.write("d.md", draft())
    repo.commit("a draft")
    repo.write("d.md", draft("0.2"))
    assert judge(repo, "d.md", modified=True).findings == ()


def test_a_staged_document_without_commits(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("proc.md", approved())
    repo.git("add", "proc.md")
    r = judge(repo, modified=True)
    assert rules(r) == ["uncommitted-changes"] and not r.controlled
    assert r.reason == "not committed yet" and r.versions == ()


def test_version_not_bumped(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", BODY + "A silent change.\n"))
    sha = repo.commit("Quiet edit", trailers={"Approved-by": BOB})
    r = judge(repo)
    assert rules(r) == ["version-not-bumped"] and not r.controlled
    f = r.findings[0]
    assert f.line == 6 and f.path == "proc.md" and sha[:10] in f.message
    assert "1.0" in f.message and r.reason == "1 change-control violation(s)"


def test_a_front_matter_change_is_a_content_change(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", owner="Chief Operating Officer"))
    repo.commit("New owner", trailers={"Approved-by": BOB})
    assert rules(judge(repo)) == ["version-not-bumped"]


def test_version_regressed(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("0.9", BODY + "changed\n"))
    repo.commit("Lower the version", trailers={"Approved-by": BOB})
    repo.write("proc.md", approved("0.8", BODY + "changed\n"))
    repo.commit("Lower it again, status only otherwise", trailers={"Approved-by": BOB})
    r = judge(repo)
    assert rules(r) == ["version-regressed", "version-regressed"]
    assert all(f.line == 6 for f in r.findings)


def test_numeric_versions_compare_as_numbers(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.9", BODY + "a\n"))
    repo.commit("1.9", trailers={"Approved-by": BOB})
    repo.write("proc.md", approved("1.10", BODY + "b\n"))
    repo.commit("1.10", trailers={"Approved-by": BOB})
    assert judge(repo).findings == ()


def test_change_unapproved(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "changed\n"))
    sha = repo.commit("Edit without approval", author=ANN)
    r = judge(repo)
    assert rules(r) == ["change-unapproved"] and not r.controlled
    f = r.findings[0]
    assert sha[:10] in f.message and "Approved-by" in f.message
    assert f.line == 8  # approved_by
    assert r.versions[0].approver is None


def test_approval_trailer_names_are_configurable_and_case_insensitive(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "changed\n"))
    repo.commit("Edit", trailers={"signed-off-BY-qm": BOB})
    custom = ControlSettings(approval_trailers=("Approved-by", "Signed-off-by-QM"))
    assert judge(repo, settings=custom).findings == ()
    assert rules(judge(repo)) == ["change-unapproved"]


@pytest.mark.parametrize(
    "approver", [ANN, "Ann Author <ANN@Example.org>", "Someone Else <ann@example.org>", "ann author", "ann@example.org"]
)
def test_self_approved(tmp_path: Path, approver: str) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "changed\n"))
    repo.commit("Edit", author=ANN, trailers={"Approved-by": approver})
    r = judge(repo)
    assert rules(r) == ["self-approved"] and not r.controlled
    assert r.findings[0].line == 8


def test_one_independent_approver_is_enough(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "changed\n"))
    repo.commit("Edit", author=ANN, trailers=[("Approved-by", ANN), ("Approved-by", BOB)])
    r = judge(repo)
    assert r.findings == () and r.versions[0].approver == BOB


def test_approval_stale(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "changed\n"))  # approved_on stays 2026-01-01
    repo.commit("Edit", date="2026-02-15T10:00:00+00:00", trailers={"Approved-by": BOB})
    r = judge(repo)
    assert rules(r) == ["approval-stale"] and r.controlled  # a warning, not a violation
    f = r.findings[0]
    assert f.severity == "warning" and f.line == 9 and "2026-02-15" in f.message


def test_review_overdue_from_approved_on(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    r = judge(repo, as_of=dt.date(2027, 1, 2))
    assert rules(r) == ["review-overdue"]
    assert r.review_due == dt.date(2027, 1, 1) and r.last_review == dt.date(2026, 1, 1)
    assert r.findings[0].line == 9  # approved_on decided the due date
    assert judge(repo, as_of=dt.date(2027, 1, 1)).findings == ()  # due that day, not overdue


def test_review_trailer_resets_the_clock(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", reviewed_on="2026-01-01"))
    repo.commit("Annual review", date="2026-12-20T10:00:00+00:00", trailers={"Reviewed-by": CAT})
    r = judge(repo, as_of=dt.date(2027, 6, 1))
    assert r.findings == () and r.last_review == dt.date(2026, 12, 20)
    # a custom review trailer name is honoured, the default no longer counts
    custom = ControlSettings(review_trailers=("Audited-by",))
    assert rules(judge(repo, as_of=dt.date(2027, 6, 1), settings=custom)) == ["review-overdue"]


def test_review_cycle_and_next_review_override_the_default(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("cycle.md", approved(review_cycle="6 months"))
    repo.write("next.md", approved(next_review="2026-03-01"))
    repo.write("default.md", approved())
    repo.commit("add", trailers={"Approved-by": BOB})
    r = judge(repo, "cycle.md", as_of=dt.date(2026, 7, 2))
    assert rules(r) == ["review-overdue"] and r.review_due == dt.date(2026, 7, 1)
    assert r.findings[0].line == 10  # review_cycle
    r = judge(repo, "next.md", as_of=dt.date(2026, 3, 2))
    assert rules(r) == ["review-overdue"] and r.findings[0].line == 10  # next_review
    assert "2026-03-01" in r.findings[0].message
    short = ControlSettings(review_cycle=Duration(30, "day"))
    r = judge(repo, "default.md", as_of=dt.date(2026, 2, 1), settings=short)
    assert rules(r) == ["review-overdue"] and r.review_due == dt.date(2026, 1, 31)


def test_records_and_drafts_have_no_review_cycle(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("rec.md", approved(type="record", date="2020-01-01", approved_on="2020-01-01"))
    repo.write("proc.md", draft(approved_on="2020-01-01"))
    repo.commit("add", trailers={"Approved-by": BOB})
    far = dt.date(2030, 1, 1)
    assert judge(repo, "rec.md", as_of=far).findings == ()
    assert judge(repo, as_of=far).findings == ()


def test_history_unavailable_is_reported_once_by_the_reader(tmp_path: Path) -> None:
    (tmp_path / "proc.md").write_text(approved())
    h = read_history(tmp_path)
    assert [p.rule for p in h.problems] == ["history-unavailable"]
    r = check_document("proc.md", {"status": "approved"}, h, (), ControlSettings(), AS_OF)
    assert not r.controlled and r.findings == () and "cannot be read" in r.reason


def test_missing_objects_take_the_document_out_of_control(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    first = repo.rev("HEAD~1")
    repo.object_path(repo.blob(first, "proc.md")).unlink()
    r = judge(repo)
    assert rules(r) == ["history-unavailable"] and not r.controlled
    assert r.findings[0].path == "proc.md" and "missing" in r.reason


def test_shallow_clone_is_never_controlled(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", BODY + "unapproved and not bumped\n"))
    repo.commit("violation")
    dst = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(dst)], check=True, env=base_env())
    r = judge(GitRepo(dst, init=False))
    assert not r.controlled and "shallow" in r.reason
    assert r.findings == ()  # the repository-level history-shallow finding says it once
    assert [v.commit for v in r.versions] == [repo.head()]
    deep = judge(repo)
    assert rules(deep) == ["change-unapproved", "version-not-bumped"]


# --------------------------------------------------------------------------- loopholes


def test_approving_again_after_a_draft_detour_needs_approval_and_a_new_version(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", draft("1.0"))
    repo.commit("back to draft (status only)")
    repo.write("proc.md", draft("1.0", BODY + "rewritten\n"))
    repo.commit("rewrite the draft")
    repo.write("proc.md", approved("1.0", BODY + "rewritten\n"))
    sha = repo.commit("approve again, same version, no approval")
    r = judge(repo)
    assert rules(r) == ["change-unapproved", "version-not-bumped"]
    assert all(sha[:10] in f.message for f in r.findings)


def test_prefetched_versions_give_the_same_verdict(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", draft("1.0", BODY + "rewritten\n"))
    repo.commit("rewrite as a draft")
    repo.write("proc.md", approved("1.0", BODY + "rewritten\n"))
    repo.commit("approve again without approval")
    assert judge(repo, prefetch=True) == judge(repo)
    # editing the approved text as a draft, and approving it again, each break the rules
    assert rules(judge(repo, prefetch=True)) == [
        "change-unapproved",
        "change-unapproved",
        "version-not-bumped",
        "version-not-bumped",
    ]


def test_creating_an_approved_document_needs_approval(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("proc.md", approved())
    repo.commit("add as approved, nobody approved it")
    assert rules(judge(repo)) == ["change-unapproved"]


def test_deleting_and_adding_again_keeps_the_version_rules(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.remove("proc.md")
    repo.commit("delete")
    repo.write("proc.md", approved("1.0", BODY + "different\n"))
    repo.commit("add again with the old version", trailers={"Approved-by": BOB})
    r = judge(repo)
    assert rules(r) == ["version-not-bumped"]
    assert [e.version for e in r.versions] == ["1.0", None, "1.0", "0.1"]


def test_a_later_reapproval_supersedes_earlier_violations(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", BODY + "sneaky\n"))
    repo.commit("unapproved, not bumped")
    repo.write("proc.md", draft("1.0", BODY + "sneaky\n"))
    repo.commit("start a revision (status only)")
    repo.write("proc.md", approved("1.1", BODY + "sneaky\n"))
    sha = repo.commit("approve 1.1", trailers={"Approved-by": BOB})
    r = judge(repo)
    assert r.controlled and rules(r, severity="error") == []
    assert rules(r, severity="info") == ["change-unapproved", "version-not-bumped"]
    assert all(f"superseded by the re-approval in {sha[:10]}" in f.message for f in r.findings)


def test_as_of_judges_the_history_as_it_stood(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.0", BODY + "later violation\n"))
    repo.commit("violation in March", date="2026-03-01T10:00:00+00:00")
    assert judge(repo, as_of=dt.date(2026, 2, 1)).findings == ()
    assert rules(judge(repo, as_of=dt.date(2026, 3, 1))) == [
        "approval-stale",
        "change-unapproved",
        "version-not-bumped",
    ]


# --------------------------------------------------------------------------- merge mode


def merged_repo(tmp_path: Path, merger: str) -> tuple[GitRepo, str]:
    repo = approved_repo(tmp_path)
    repo.branch("revise")
    repo.write("proc.md", approved("1.1", BODY + "reviewed change\n"))
    change = repo.commit("Revise the procedure", author=ANN)
    repo.checkout("main")
    repo.merge("revise", committer=merger)
    return repo, change


def test_merge_mode_a_merge_by_someone_else_approves(tmp_path: Path) -> None:
    repo, change = merged_repo(tmp_path, BOB)
    r = judge(repo, settings=MERGE)
    assert r.findings == () and r.controlled
    assert r.versions[0].commit == change and r.versions[0].approver == BOB
    # the same history in trailer mode: the merge is not an approval
    assert rules(judge(repo)) == ["change-unapproved"]


def test_merge_mode_merging_your_own_change_is_self_approval(tmp_path: Path) -> None:
    repo, change = merged_repo(tmp_path, ANN)
    r = judge(repo, settings=MERGE)
    assert rules(r) == ["self-approved"] and change[:10] in r.findings[0].message


def test_merge_mode_a_direct_commit_is_unapproved_but_a_trailer_still_counts(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", approved("1.1", BODY + "direct\n"))
    repo.commit("Direct to main")
    r = judge(repo, settings=MERGE)
    assert rules(r) == ["change-unapproved"] and "merge by someone else" in r.findings[0].message
    # the approval of the draft came through a trailer, which merge mode accepts as well
    assert [e.approver for e in r.versions] == [None, BOB, None]


def test_merge_mode_nested_branches(tmp_path: Path) -> None:
    repo = approved_repo(tmp_path)
    repo.branch("outer")
    repo.branch("inner")
    repo.write("proc.md", approved("1.1", BODY + "inner change\n"))
    repo.commit("inner change", author=ANN)
    repo.checkout("outer")
    repo.merge("inner", committer=ANN)  # Ann merges her own work into the topic branch ...
    repo.checkout("main")
    repo.merge("outer", committer=BOB)  # ... and Bob merges the topic into main
    assert judge(repo, settings=MERGE).findings == ()


# --------------------------------------------------------------------------- other formats


def test_binary_document_without_metadata_history(tmp_path: Path) -> None:
    """A .docx keeps its metadata inside: every change of an approved one needs approval."""
    repo = GitRepo(tmp_path)
    repo.write("p.docx", b"PK\x03\x04 v1")
    repo.commit("add", trailers={"Approved-by": BOB})
    repo.write("p.docx", b"PK\x03\x04 v2")
    repo.commit("edit without approval")
    h = read_history(repo.path)
    meta: Mapping[str, Any] = {"status": "approved", "version": "1.0"}
    r = check_document("p.docx", meta, h, (), ControlSettings(), AS_OF)
    assert rules(r) == ["change-unapproved"]
    assert [e.version for e in r.versions] == [None, None]
    draft_meta = {"status": "draft"}
    assert check_document("p.docx", draft_meta, h, (), ControlSettings(), AS_OF).findings == ()


def test_sidecar_metadata_with_a_binary_document(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("p.pdf", b"%PDF-1.4 v1")
    repo.write("p.pdf.yaml", "id: P\nstatus: approved\nversion: '1.0'\n")
    repo.commit("add", trailers={"Approved-by": BOB})
    repo.write("p.pdf", b"%PDF-1.4 v2")
    repo.commit("new pdf, same version", trailers={"Approved-by": BOB})
    r = judge(repo, "p.pdf", sidecar="p.pdf.yaml")
    assert rules(r) == ["version-not-bumped"] and r.findings[0].line == 3
    repo.write("p.pdf.yaml", "id: P\nstatus: approved\nversion: '1.1'\n")
    repo.commit("bump in the sidecar", trailers={"Approved-by": BOB})
    repo.write("p.pdf", b"%PDF-1.4 v3")
    repo.write("p.pdf.yaml", "id: P\nstatus: approved\nversion: '1.2'\n")
    repo.commit("pdf and sidecar together", trailers={"Approved-by": BOB})
    r = judge(repo, "p.pdf", sidecar="p.pdf.yaml")
    assert rules(r) == ["version-not-bumped"]  # only the old one
    assert [e.version for e in r.versions] == ["1.2", "1.1", "1.0", "1.0"]


# --------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2.10", "2.9", 1),
        ("2.0", "2", 0),
        ("v1.2", "1.10", -1),
        ("1.0.1", "1.0", 1),
        ("10", "9", 1),
        ("1.0-rc2", "1.0-rc10", -1),
        ("draft-b", "draft-a", 1),
        (" 1.1 ", "1.1", 0),
        ("2026-01", "2025-12", 1),
    ],
)
def test_compare_versions(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected


def test_identities() -> None:
    assert parse_identity("Bob Approver <Bob@Example.org>") == ("Bob Approver", "Bob@Example.org")
    assert parse_identity("bob@example.org") == ("", "bob@example.org")
    assert parse_identity("  Bob  ") == ("Bob", "")
    assert same_person(("Bob", "bob@x"), ("Robert", "BOB@X"))
    assert not same_person(("Bob", "bob@x"), ("Bob", "bob@y"))  # email decides when both have one
    assert same_person(("Bob", ""), ("bob", "bob@y"))
    assert not same_person(("", ""), ("", "x@y"))


def test_settings_are_plain_values() -> None:
    s = ControlSettings()
    assert s.approval_mode == "trailer" and s.approval_trailers == ("Approved-by",)
    assert s.review_trailers == ("Reviewed-by",) and s.review_cycle == Duration(12, "month")
    assert msgspec.structs.replace(s, approval_mode="merge").approval_mode == "merge"


# --------------------------------------------------------------------------- Word and PDF


STEP = "Documents are changed through reviewed requests."


def _report(repo: GitRepo) -> dict[str, Any]:
    import json

    from click.testing import CliRunner
    from escm_check.cli import main

    out = CliRunner().invoke(main, ["check", str(repo.path), "--format", "json", "--as-of", "2026-06-01"]).output
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", sorted(CONTROLLED_KINDS))
@pytest.mark.parametrize(
    ("version", "body", "expected"),
    [
        ("1.0", STEP + " A new step.", "version-not-bumped"),  # body changed, version kept
        ("0.9", STEP + " A new step.", "version-regressed"),
        ("1.1", STEP + " A new step.", None),
    ],
)
def test_word_and_pdf_versions_are_change_controlled(
    tmp_path: Path, fmt: str, version: str, body: str, expected: str | None
) -> None:
    repo = GitRepo(tmp_path)
    path = write_controlled(repo.path, fmt, "1.0", STEP)
    first = repo.commit("Approve the procedure", author=ANN, trailers={"Approved-by": BOB})
    write_controlled(repo.path, fmt, version, body)
    second = repo.commit("Change the procedure", author=ANN, trailers={"Approved-by": BOB})
    data = _report(repo)
    (entry,) = [d for d in data["documents"] if d["path"] == path]
    # the report shows each historical version, read through the format's own reader
    assert [(h["commit"], h["version"], h["approver"]) for h in entry["history"]] == [
        (second, version, BOB),
        (first, "1.0", BOB),
    ]
    found = sorted({f["rule"] for f in data["findings"] if f["path"] == path and f["rule"] in CONTROL_RULES})
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize("fmt", ["docx", "pdf-with-info"])
def test_resaving_an_unchanged_word_or_pdf_file_is_not_a_content_change(tmp_path: Path, fmt: str) -> None:
    """A re-save stamps a new save time and revision into the file; what it says is the same."""
    from .docfactory import Heading, build_docx, build_pdf, controlled_props

    repo = GitRepo(tmp_path)
    path = write_controlled(repo.path, fmt, "1.0", STEP)
    repo.commit("Approve the procedure", author=ANN, trailers={"Approved-by": BOB})
    before = (repo.path / path).read_bytes()
    if fmt == "docx":
        stamp = {"revision": 7, "modified": dt.datetime(2026, 2, 1, 12, 0), "last_modified_by": "Cat"}
        build_docx(repo.path / path, [Heading("Purpose"), STEP], custom=controlled_props("1.0"), core=stamp)
    else:
        build_pdf(
            repo.path / path, [f"Purpose\n{STEP}"], info={**controlled_props("1.0"), "ModDate": "D:20260201120000Z"}
        )
    assert (repo.path / path).read_bytes() != before
    repo.commit("Save again", author=ANN)
    data = _report(repo)
    assert not [f for f in data["findings"] if f["path"] == path and f["rule"] in CONTROL_RULES]
