"""`escm-check staged` is the check: its findings for a staged change are the check's findings
for that change once committed, on real git repositories with real Word and PDF files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.staged import NEEDS_COMMIT, NEEDS_REPOSITORY

from .docfactory import CONTROLLED_KINDS, write_controlled
from .gitrepo import GitRepo, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
AS_OF = "2026-06-01"
BODY = (
    "# Purpose\n\nThis procedure says how documents are changed and approved.\n\n"
    "## Steps\n\n1. Draft the change.\n2. Have it approved.\n"
)
Key = tuple[str, str, str | None, int | None]


def procedure(version: str = "1.0", body: str = BODY, **extra: Any) -> str:
    meta: dict[str, Any] = dict(
        id="PRC-1",
        title="Change control",
        type="procedure",
        practices=["knw07"],
        status="approved",
        version=version,
        owner="Quality Manager",
        approved_by="Bob Approver",
        approved_on="2026-01-01",
    )
    meta.update(extra)
    return doc(body, **meta)


def run(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(repo.path)
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def staged_json(repo: GitRepo, paths: Iterable[str], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    code, out = run(repo, "staged", "--format", "json", "--as-of", AS_OF, *paths, monkeypatch=monkeypatch)
    assert code in (0, 1), out
    data = json.loads(out)
    assert set(data) == {"schema_version", "findings"}
    return data["findings"]  # type: ignore[no-any-return]


def check_json(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    code, out = run(repo, "check", str(repo.path), "--format", "json", "--as-of", AS_OF, monkeypatch=monkeypatch)
    assert code in (0, 1), out
    return json.loads(out)  # type: ignore[no-any-return]


def key(f: dict[str, Any]) -> Key:
    return (f["rule"], f["severity"], f["path"], f["line"])


def check_verdict(data: dict[str, Any], paths: Iterable[str], commit: str) -> set[Key]:
    """The check's findings for the change `commit` made to `paths`, less what the hook cannot know.

    A change-control finding names the commit it judges; those about earlier commits are the
    verdicts on earlier changes.
    """
    mine = set(paths) | {f"{p}.yaml" for p in paths}
    out: set[Key] = set()
    for f in data["findings"]:
        if f["path"] not in mine or f["rule"] in NEEDS_COMMIT | NEEDS_REPOSITORY:
            continue
        if f["rule"] in ("version-not-bumped", "version-regressed") and (
            f"commit {commit[:10]} " not in f["message"] or f["severity"] == "info"
        ):
            continue
        out.add(key(f))
    return out


def approved_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write("proc.md", procedure("1.0"))
    repo.commit("Approve the procedure", author=ANN, trailers={"Approved-by": BOB})
    return repo


def test_a_reviewed_by_line_needs_no_version_bump_in_the_hook_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook once kept its own list of bookkeeping keys, without reviewed_by: it blocked a
    commit that the check, once committed, found nothing wrong with."""
    repo = approved_repo(tmp_path)
    repo.write("proc.md", procedure("1.0", reviewed_by="Carol Jones"))
    repo.git("add", "proc.md")
    code, out = run(repo, "staged", "--as-of", AS_OF, "proc.md", monkeypatch=monkeypatch)
    assert "version-not-bumped" not in out and code == 0, out
    hook = staged_json(repo, ["proc.md"], monkeypatch)
    sha = repo.commit("Record the review", author=ANN)
    report = check_json(repo, monkeypatch)
    assert not [f for f in report["findings"] if f["rule"] == "version-not-bumped"]
    assert {key(f) for f in hook} == check_verdict(report, ["proc.md"], sha)


@pytest.mark.parametrize(
    ("version", "body", "extra", "expected"),
    [
        ("1.0", BODY + "3. Publish it.\n", {}, {"version-not-bumped"}),
        ("1.0", BODY, {"owner": "Process Owner"}, {"version-not-bumped"}),  # a key is content too
        ("0.9", BODY + "3. Publish it.\n", {}, {"version-regressed"}),
        ("0.9", BODY, {}, {"version-regressed"}),  # a lower version alone
        ("1.1", BODY + "3. Publish it.\n", {}, set()),
        ("1.0", BODY, {"reviewed_on": "2026-03-01", "next_review": "2027-03-01"}, set()),  # bookkeeping
        ("1.0", BODY.replace("\n", "\r\n"), {}, set()),  # line ends alone
    ],
)
def test_staged_markdown_agrees_with_the_check_after_the_commit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    body: str,
    extra: dict[str, str],
    expected: set[str],
) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", procedure(version, body, **extra))
    repo.git("add", "proc.md")
    hook = staged_json(repo, ["proc.md"], monkeypatch)
    sha = repo.commit("Change", author=ANN, trailers={"Approved-by": BOB})
    report = check_json(repo, monkeypatch)
    assert {f["rule"] for f in hook} & {"version-not-bumped", "version-regressed"} == expected
    assert {key(f) for f in hook} == check_verdict(report, ["proc.md"], sha)
    # the finding objects are the check's: same fields, and outside change control the same values
    fields = set(report["findings"][0]) if report["findings"] else set()
    for f in hook:
        assert set(f) == fields or not fields
        if f["rule"] not in ("version-not-bumped", "version-regressed"):
            assert f in report["findings"]


def test_the_index_is_judged_not_the_working_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = approved_repo(tmp_path)
    repo.write("proc.md", procedure("1.0", BODY + "3. Publish it.\n"))
    repo.git("add", "proc.md")
    repo.write("proc.md", procedure("1.1", BODY + "3. Publish it.\n"))  # bumped, but not staged
    assert "version-not-bumped" in {f["rule"] for f in staged_json(repo, ["proc.md"], monkeypatch)}
    repo.git("add", "proc.md")
    assert "version-not-bumped" not in {f["rule"] for f in staged_json(repo, ["proc.md"], monkeypatch)}


STEP = "Documents are changed through reviewed requests."


@pytest.mark.parametrize("kind", CONTROLLED_KINDS)
@pytest.mark.parametrize(
    ("version", "expected"), [("1.0", {"version-not-bumped"}), ("0.9", {"version-regressed"}), ("1.1", set())]
)
def test_staged_word_and_pdf_agree_with_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, version: str, expected: set[str]
) -> None:
    repo = GitRepo(tmp_path / "repo")
    path = write_controlled(repo.path, kind, "1.0", STEP, steps=True)
    repo.commit("Approve", author=ANN, trailers={"Approved-by": BOB})
    write_controlled(repo.path, kind, version, STEP + " A new step.", steps=True)
    repo.git("add", "-A")
    staged_paths = [path, f"{path}.yaml"] if (repo.path / f"{path}.yaml").exists() else [path]
    hook = staged_json(repo, staged_paths, monkeypatch)
    sha = repo.commit("Change", author=ANN, trailers={"Approved-by": BOB})
    report = check_json(repo, monkeypatch)
    assert {f["rule"] for f in hook} & {"version-not-bumped", "version-regressed"} == expected
    assert {key(f) for f in hook} == check_verdict(report, [path], sha)


def test_a_new_document_and_a_repository_without_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("proc.md", procedure("1.0", type="procedur"))
    repo.git("add", "proc.md")
    hook = staged_json(repo, ["proc.md"], monkeypatch)  # no HEAD yet
    assert "front-matter-invalid" in {f["rule"] for f in hook}
    sha = repo.commit("Add", author=ANN, trailers={"Approved-by": BOB})
    assert {key(f) for f in hook} == check_verdict(check_json(repo, monkeypatch), ["proc.md"], sha)


def test_with_no_file_named_every_staged_file_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("docs/ok.md", procedure("1.0"))
    repo.write("docs/proc.md", procedure("1.0", id="PRC-2", type="procedur"))
    repo.write("docs/not-staged.md", procedure("1.0", id="PRC-3", practices=["knw99"]))
    repo.git("add", "docs/ok.md", "docs/proc.md")
    (repo.path / "docs").mkdir(exist_ok=True)
    monkeypatch.chdir(repo.path / "docs")  # from a folder inside the repository, as a person types it
    result = CliRunner().invoke(main, ["staged", "--as-of", AS_OF])
    assert result.exit_code == 1, result.output
    assert "docs/proc.md:" in result.output and "front-matter-invalid" in result.output
    assert "not-staged" not in result.output and "knw99" not in result.output
    assert result.output.rstrip().endswith("in 2 file(s)")
