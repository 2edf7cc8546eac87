"""The crosswalk in a check, on real git repositories: accepted entries are claims (for a whole
document, a section or a PDF page), suggested ones never count, the file is validated with
file:line and change-controlled, and a PDF signed elsewhere becomes evidence through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from escm_check.cli import main

from .docfactory import build_pdf, legacy_doc
from .evalkit import FILLER
from .gitrepo import GitRepo, doc

EDITOR = "Ines Editor <ines@example.org>"
APPROVER = "Carl Approver <carl@example.org>"
APPROVED = {"Approved-by": APPROVER}
HANDBOOK = doc(
    f"# Security handbook\n\n## Incident handling\n\n{FILLER}\n\n## Holidays\n\n{FILLER}\n",
    title="Security handbook",
    status="approved",
)


def check_json(path: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--as-of", "2026-10-01", "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def check_text(path: Path) -> str:
    result = CliRunner().invoke(main, ["check", str(path), "--as-of", "2026-10-01", "--no-cache"])
    return result.output


def activity(data: dict, practice: str, act: str) -> dict:  # type: ignore[type-arg]
    p = next(p for p in data["practices"] if p["id"] == practice)
    return next(a for a in p["activities"] if a["id"] == act)  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write("handbook/security.md", HANDBOOK)
    build_pdf(
        r.path / "signed/continuity-plan.pdf",
        ["Continuity plan, signed 2026", "Recovery steps\n" + FILLER[:90] + "\n" + FILLER[90:]],
    )
    r.commit("Handbook and signed plan", author=EDITOR, trailers=APPROVED)
    return r


def crosswalk(*entries: str) -> str:
    return "version: 1\nentries:\n" + "".join(entries)


def test_accepted_entries_are_claims_and_suggested_ones_never_count(repo: GitRepo) -> None:
    before = check_json(repo.path)
    assert activity(before, "thr04", "b1")["status"] == "not-satisfied"
    repo.write(
        ".escm-crosswalk.yaml",
        crosswalk(
            "  - path: handbook/security.md\n    section: Incident handling\n    practices: [thr04]\n"
            "    satisfies: {thr04: [b1]}\n    status: accepted\n",
            "  - path: signed/continuity-plan.pdf\n    page: 2\n    practices: [thr07]\n"
            "    satisfies: {thr07: [b3]}\n    status: accepted\n",
            "  - path: handbook/security.md\n    section: Holidays\n    practices: [ppl03]\n"
            "    satisfies: {ppl03: [b1]}\n    status: suggested\n    score: 0.41\n",
        ),
    )
    repo.commit("Map the handbook and the signed plan", author=EDITOR, trailers=APPROVED)
    data = check_json(repo.path)
    thr04 = activity(data, "thr04", "b1")
    assert thr04["status"] == "satisfied", thr04
    assert thr04["evidence"][0]["path"] == "handbook/security.md"
    thr07 = activity(data, "thr07", "b3")  # b3 asks for no record
    assert thr07["status"] == "satisfied", thr07
    assert thr07["evidence"][0]["path"] == "signed/continuity-plan.pdf"
    assert activity(data, "ppl03", "b1")["status"] == "not-satisfied"
    assert not [f for f in data["findings"] if f["severity"] == "error" and f["rule"].startswith("crosswalk")]
    # the crosswalk is in the report with its history
    cw = next(d for d in data["documents"] if d["path"] == ".escm-crosswalk.yaml")
    assert cw["format"] == "crosswalk" and len(cw["history"]) == 1
    assert cw["history"][0]["approver"] == APPROVER
    # the suggestion is listed, not counted
    text = check_text(repo.path)
    assert "1 crosswalk suggestion(s), not counted until accepted:" in text
    assert "handbook/security.md § Holidays: ppl03" in text


def test_unknown_path_practice_and_activity_are_errors_at_their_line(repo: GitRepo) -> None:
    repo.write(
        ".escm-crosswalk.yaml",
        crosswalk(
            "  - path: handbook/securty.md\n    practices: [thr04]\n    status: accepted\n",
            "  - path: handbook/security.md\n    practices: [thr99]\n    status: accepted\n",
            "  - path: handbook/security.md\n    practices: [thr04]\n    satisfies: {thr04: [b42]}\n"
            "    status: accepted\n",
        ),
    )
    repo.commit("A crosswalk with mistakes", author=EDITOR, trailers=APPROVED)
    data = check_json(repo.path)
    bad = sorted((f["line"], f["message"]) for f in data["findings"] if f["rule"] == "crosswalk-invalid")
    assert [line for line, _ in bad] == [3, 6, 9], bad
    assert "did you mean handbook/security.md" in bad[0][1]
    assert "thr99" in bad[1][1] and "b42" in bad[2][1]
    assert all(f["severity"] == "error" for f in data["findings"] if f["rule"] == "crosswalk-invalid")
    assert any("crosswalk-invalid" in r for r in data["gate"]["reasons"])


def test_an_unapproved_crosswalk_change_is_reported_and_approves_nothing(repo: GitRepo) -> None:
    repo.write(
        ".escm-crosswalk.yaml",
        crosswalk(
            "  - path: signed/continuity-plan.pdf\n    page: 2\n    practices: [thr07]\n"
            "    satisfies: {thr07: [b3]}\n    status: accepted\n"
        ),
    )
    repo.commit("Claim the plan myself", author=EDITOR)
    data = check_json(repo.path)
    assert [f["rule"] for f in data["findings"] if f["path"] == ".escm-crosswalk.yaml"] == ["crosswalk-unapproved"]
    pdf = next(d for d in data["documents"] if d["path"] == "signed/continuity-plan.pdf")
    assert pdf["status"] == "draft"
    assert activity(data, "thr07", "b3")["status"] == "not-satisfied"


def test_a_legacy_doc_claimed_by_the_crosswalk_is_judged_in_full(repo: GitRepo) -> None:
    (repo.path / "references").mkdir()
    legacy_doc(repo.path / "references/old-plan.doc")
    repo.commit("Old plan", author=EDITOR, trailers=APPROVED)
    data = check_json(repo.path)
    assert [f["severity"] for f in data["findings"] if f["rule"] == "parse-error"] == ["warning"]
    repo.write(
        ".escm-crosswalk.yaml",
        crosswalk("  - path: references/old-plan.doc\n    practices: [thr07]\n    status: accepted\n"),
    )
    repo.commit("Claim the old plan", author=EDITOR, trailers=APPROVED)
    data = check_json(repo.path)
    assert [f["severity"] for f in data["findings"] if f["rule"] == "parse-error"] == ["error"]
