"""Broken and unusual repositories, through the real CLI.

What a user gets, case by case (the contract these tests pin):

- a shallow clone never passes the gate: `history-shallow`, and both the finding's hint and
  the gate's reason say to fetch the full history (`fetch-depth: 0`);
- objects missing from the object store: a `history-unavailable` finding naming the path and
  commit (a missing blob) or the repository (a missing commit); the run goes on;
- a detached HEAD is normal (CI checks out pull requests that way): the report is the same as
  on a branch at the same commit;
- no commits yet: `history-unavailable` (no commits) and `untracked-document` per document;
- a folder that is not a repository: `history-unavailable`, and its documents are still read;
- a bare repository, or a folder inside `.git`: exit 2 with one line saying there is no
  working tree to check (a usage error: nothing there is a document);
- a path that is a file, or does not exist: exit 2;
- a damaged index, a merge in progress, GIT_DIR inherited from a hook: findings or a normal
  check, never exit 3.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .clirun import Run, escm_check
from .gitrepo import GitRepo, base_env, doc
from .test_check_e2e import ANN, BOB, audit, change_log, procedure

NARROW = "scope: {practices: [knw07]}\ntarget_level: 2\nas_of: 2026-10-01\n"


def no_traceback(run: Run) -> None:
    assert "Traceback" not in run.output, run.output
    assert run.code != 3, run.output


def report(run: Run) -> dict[str, Any]:
    no_traceback(run)
    assert run.code in (0, 1), run.output
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def findings(data: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["rule"] == rule]


@pytest.fixture()
def passing(tmp_path: Path) -> GitRepo:
    """A repository whose gate passes: knw07 fully evidenced, approved and controlled."""
    r = GitRepo(tmp_path / "origin")
    r.write(".escm-check.yaml", NARROW)
    r.write("procedures/version-control.md", procedure("1.0"))
    r.commit(
        "Add version control procedure", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB}
    )
    r.write("procedures/version-control.md", procedure("1.1", " Status is reported monthly."))
    r.write("records/audit-2026-09.md", audit("2026-09-10"))
    r.write("records/change-log-2026-09.md", change_log("2026-09-11"))
    r.commit(
        "Clarify status reporting; add September audit",
        author=ANN,
        date="2026-09-12T10:00:00+00:00",
        trailers={"Approved-by": BOB},
    )
    return r


def check_json(path: Path, tmp_path: Path, *extra: str) -> Run:
    return escm_check("check", str(path), "--format", "json", *extra, cache_home=tmp_path / "c")


def test_the_passing_repository_passes(passing: GitRepo, tmp_path: Path) -> None:
    data = report(check_json(passing.path, tmp_path))
    assert data["gate"]["passed"] is True


def test_shallow_clone_never_passes_and_says_fetch_depth_0(passing: GitRepo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", passing.path.as_uri(), str(clone)],
        check=True,
        env=base_env(),
        capture_output=True,
    )
    run = check_json(clone, tmp_path)
    data = report(run)
    assert run.code == 1 and data["gate"]["passed"] is False
    shallow = findings(data, "history-shallow")
    assert shallow and "fetch-depth: 0" in shallow[0]["hint"]
    assert any("fetch-depth: 0" in r for r in data["gate"]["reasons"])
    text = escm_check("check", str(clone), cache_home=tmp_path / "c")
    assert text.code == 1 and "fetch-depth: 0" in text.stdout
    no_traceback(text)


def test_missing_blob_is_named_by_path_and_commit(passing: GitRepo, tmp_path: Path) -> None:
    old = passing.rev("HEAD~1")
    blob = passing.blob(old, "procedures/version-control.md")
    passing.object_path(blob).unlink()  # loose objects: the repository was never packed
    data = report(check_json(passing.path, tmp_path))
    missing = [f for f in findings(data, "history-unavailable") if blob[:10] in f["message"]]
    assert missing and missing[0]["path"] == "procedures/version-control.md"
    assert old[:10] in missing[0]["message"]
    assert data["gate"]["passed"] is False


def test_missing_commit_makes_history_unavailable(passing: GitRepo, tmp_path: Path) -> None:
    passing.object_path(passing.rev("HEAD~1")).unlink()
    data = report(check_json(passing.path, tmp_path))
    assert findings(data, "history-unavailable")
    assert data["gate"]["passed"] is False
    # the documents are still read
    assert {d["path"] for d in data["documents"]} >= {"procedures/version-control.md"}


def test_detached_head_reports_like_the_branch(passing: GitRepo, tmp_path: Path) -> None:
    on_branch = check_json(passing.path, tmp_path)
    passing.checkout("HEAD", detach=True)
    detached = check_json(passing.path, tmp_path)
    assert report(detached) == report(on_branch)
    assert detached.stdout == on_branch.stdout


def test_no_commits_yet(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "new")
    r.write("procedures/version-control.md", procedure("1.0"))
    data = report(check_json(r.path, tmp_path))
    assert any("no commits yet" in f["message"] for f in findings(data, "history-unavailable"))
    untracked = findings(data, "untracked-document")
    assert [f["path"] for f in untracked] == ["procedures/version-control.md"]
    r.git("add", "-A")  # staged but still not committed
    data = report(check_json(r.path, tmp_path))
    assert any("no commits yet" in f["message"] for f in findings(data, "history-unavailable"))
    assert data["gate"]["passed"] is False


def test_not_a_repository_still_reads_the_documents(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    (folder / "procedures").mkdir(parents=True)
    (folder / "procedures" / "vc.md").write_text(procedure("1.0"), encoding="utf-8")
    (folder / "notes.md").write_text(doc(id="N-1", aproved_by="x"), encoding="utf-8")
    os.symlink(tmp_path, folder / "escape.md")  # outside git, links are still not followed
    data = report(check_json(folder, tmp_path))
    unavailable = findings(data, "history-unavailable")
    assert unavailable and "not in a git work tree" in unavailable[0]["message"]
    assert {"notes.md", "procedures/vc.md"} <= {d["path"] for d in data["documents"]}
    assert any(f["path"] == "notes.md" for f in findings(data, "front-matter-unknown-key"))
    assert [f["path"] for f in findings(data, "file-skipped")] == ["escape.md"]


@pytest.mark.parametrize("where", ["bare", "git-dir"])
def test_bare_repository_or_git_folder_is_a_usage_error(passing: GitRepo, tmp_path: Path, where: str) -> None:
    if where == "bare":
        target = tmp_path / "bare.git"
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(passing.path), str(target)],
            check=True,
            env=base_env(),
            capture_output=True,
        )
    else:
        target = passing.path / ".git"
    run = check_json(target, tmp_path)
    no_traceback(run)
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no working tree" in lines[0] and str(target) in lines[0]
    assert run.stdout == ""


def test_a_file_or_a_missing_path_is_a_usage_error(passing: GitRepo, tmp_path: Path) -> None:
    for target in (passing.path / "procedures" / "version-control.md", tmp_path / "nowhere"):
        run = check_json(target, tmp_path)
        no_traceback(run)
        assert run.code == 2, run.output
        assert run.stdout == ""


def test_damaged_index(passing: GitRepo, tmp_path: Path) -> None:
    (passing.path / ".git" / "index").write_bytes(b"DIRC garbage, not an index")
    data = report(check_json(passing.path, tmp_path))
    assert findings(data, "history-unavailable")
    assert data["gate"]["passed"] is False


def test_merge_in_progress(passing: GitRepo, tmp_path: Path) -> None:
    passing.branch("side")
    passing.write("procedures/version-control.md", procedure("1.2", " Side change."))
    passing.commit("side", trailers={"Approved-by": BOB})
    passing.checkout("main")
    passing.write("procedures/version-control.md", procedure("1.2", " Main change."))
    passing.commit("main", trailers={"Approved-by": BOB})
    merge = subprocess.run(
        ["git", "merge", "-q", "side"], cwd=passing.path, env=passing.env(), capture_output=True, text=True
    )
    assert merge.returncode != 0  # a conflict: the file holds conflict markers
    data = report(check_json(passing.path, tmp_path))
    assert data["documents"] and data["gate"]["passed"] is False


def test_git_dir_from_a_hook_is_ignored(passing: GitRepo, tmp_path: Path) -> None:
    other = GitRepo(tmp_path / "other")
    other.write("x.md", doc(id="OTHER-1"))
    other.commit("other")
    plain = report(check_json(passing.path, tmp_path))
    hooked = escm_check(
        "check",
        str(passing.path),
        "--format",
        "json",
        cache_home=tmp_path / "c",
        env={
            "GIT_DIR": str(other.path / ".git"),
            "GIT_INDEX_FILE": str(other.path / ".git" / "index"),
            "GIT_WORK_TREE": str(other.path),
        },
    )
    assert report(hooked) == plain


def test_unreadable_history_object_store(passing: GitRepo, tmp_path: Path) -> None:
    """The whole object store gone: every git call fails, the run still ends in findings."""
    shutil.rmtree(passing.path / ".git" / "objects")
    (passing.path / ".git" / "objects").mkdir()
    data = report(check_json(passing.path, tmp_path))
    assert any("missing from the repository" in f["message"] for f in findings(data, "history-unavailable"))
    assert data["gate"]["passed"] is False
