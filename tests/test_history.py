"""The history reader on real temporary git repositories: one log pass, one cat-file process."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from escm_check.frontmatter import normalise_text, split_front_matter
from escm_check.history import (
    Commit,
    DocVersion,
    _digest,
    _split_version,
    load_versions,
    read_history,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from .gitrepo import GitRepo, base_env, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
CAT = "Cat Committer <cat@example.org>"


def _commit(message: str = "x") -> Commit:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return Commit("0" * 40, (), "A", "a@x", when, "A", "a@x", when, message, ())


# --------------------------------------------------------------------------- the log pass


def test_commits_and_changes_are_read_with_identities_dates_and_blobs(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(status="draft", version="0.1"))
    repo.write("b.md", "b\n")
    first = repo.commit("Add a and b", author=ANN, date="2026-01-02T10:00:00+02:00")
    repo.write("a.md", doc(status="approved", version="1.0"))
    repo.remove("b.md")
    second = repo.commit(
        "Approve a",
        author=ANN,
        committer=CAT,
        date="2026-01-03T09:30:00-05:00",
        committer_date="2026-01-04T08:00:00+00:00",
        trailers={"Approved-by": BOB, "Reviewed-by": BOB},
    )

    h = read_history(repo.path)
    assert h.available and not h.shallow and h.problems == ()
    assert h.head == second
    assert list(h.commits) == [second, first]  # newest first

    c = h.commits[second]
    assert c.parents == (first,)
    assert (c.author_name, c.author_email) == ("Ann Author", "ann@example.org")
    assert (c.committer_name, c.committer_email) == ("Cat Committer", "cat@example.org")
    assert c.author_date == dt.datetime(2026, 1, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert c.committer_date == dt.datetime(2026, 1, 4, 8, 0, tzinfo=dt.timezone.utc)
    assert c.subject == "Approve a"
    assert c.trailers == (("Approved-by", BOB), ("Reviewed-by", BOB))
    assert c.trailer_values(["approved-BY"]) == (BOB,)
    assert h.commits[first].parents == ()

    a = h.files["a.md"].changes
    assert [ch.status for ch in a] == ["M", "A"]
    assert a[0].blob == repo.blob(second, "a.md")
    assert a[0].old_blob == a[1].blob == repo.blob(first, "a.md")
    assert a[1].old_blob is None
    assert a[0].commit is h.commits[second]  # one Commit object per commit, shared
    b = h.files["b.md"].changes
    assert [(ch.status, ch.blob is None) for ch in b] == [("D", True), ("A", False)]


def test_not_a_repository_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    h = read_history(tmp_path)
    assert not h.available and h.files == {} and h.head is None
    (f,) = h.problems
    assert f.rule == "history-unavailable" and f.severity == "error"
    assert "not a git repository" in f.message


def test_a_repository_without_commits_is_empty_not_broken(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(status="draft"))
    repo.git("add", "a.md")
    h = read_history(repo.path)
    assert h.available and h.head is None and h.files == {} and h.problems == ()
    assert load_versions(repo.path, h, ["a.md"]) == {}


def test_shallow_clone_is_flagged_with_the_fetch_depth_hint(tmp_path: Path) -> None:
    src = GitRepo(tmp_path / "src")
    for i in range(3):
        src.write("a.md", doc(version=f"1.{i}"))
        src.commit(f"v{i}")
    dst = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{src.path}", str(dst)], check=True, env=base_env())
    h = read_history(dst)
    assert h.available and h.shallow
    (f,) = h.problems
    assert f.rule == "history-shallow" and "fetch-depth: 0" in f.hint
    assert len(h.commits) == 1 and h.head == src.head()


def test_user_config_cannot_change_what_is_read(tmp_path: Path) -> None:
    """Renames stay a deletion and an addition, the root commit keeps its files."""
    repo = GitRepo(tmp_path)
    for key, value in [
        ("diff.renames", "copies"),
        ("log.showRoot", "false"),
        ("log.decorate", "full"),
        ("log.showSignature", "false"),
        ("core.abbrev", "7"),
        ("log.abbrevCommit", "true"),
        ("color.ui", "always"),
    ]:
        repo.git("config", key, value)
    repo.write("old.md", doc(status="draft", body="a long enough body to be a rename\n" * 5))
    repo.commit("add")
    repo.git("mv", "old.md", "new.md")
    repo.commit("rename")
    h = read_history(repo.path)
    assert [c.status for c in h.files["old.md"].changes] == ["D", "A"]
    assert [c.status for c in h.files["new.md"].changes] == ["A"]
    assert all(len(c.blob or "x" * 40) == 40 for f in h.files.values() for c in f.changes)


def test_a_commit_with_an_impossible_date_does_not_lose_the_history(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    tree = repo.git("mktree", input_text="").strip()
    body = f"tree {tree}\nauthor A <a@x> 1700000000 +9959\ncommitter A <a@x> 99999999999999999 -0000\n\nhand-made\n"
    sha = repo.git("hash-object", "--literally", "-t", "commit", "-w", "--stdin", input_text=body).strip()
    repo.git("update-ref", "refs/heads/main", sha)
    h = read_history(repo.path)
    assert h.available and h.head == sha
    c = h.commits[sha]
    assert c.author_date == dt.datetime(2023, 11, 19, 2, 12, 20, tzinfo=dt.timezone.utc)
    assert c.committer_date.year == 1970


def test_unusual_paths_survive(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    names = ["procédures/plan de qualité.md", "a\tb.md", 'quote"d.md', "new\nline.md"]
    for n in names:
        repo.write(n, doc(status="draft"))
    repo.commit("add")
    h = read_history(repo.path)
    assert set(h.files) == set(names)
    versions = load_versions(repo.path, h, names)
    assert {v[0].status for v in versions.values()} == {"draft"}


# --------------------------------------------------------------------------- where it runs


def test_subfolder_root_and_pathspec(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("process/a.md", doc(status="draft"))
    repo.write("src/app.py", "print(1)\n")
    repo.commit("add")
    repo.branch("topic")
    repo.write("src/app.py", "print(2)\n")
    repo.commit("code only")
    repo.checkout("main")
    merge = repo.merge("topic", committer=BOB)

    inside = read_history(repo.path / "process")
    assert set(inside.files) == {"a.md"}  # relative to the root given
    scoped = read_history(repo.path, pathspec="process")
    assert set(scoped.files) == {"process/a.md"}
    # the pathspec limits paths, not the walk: merge mode still sees every merge
    assert merge in scoped.commits and len(scoped.commits) == 3
    assert set(read_history(repo.path).files) == {"process/a.md", "src/app.py"}


def test_linked_worktree_reads_its_own_branch(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "main")
    repo.write("a.md", doc(status="draft"))
    repo.commit("add")
    wt = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "feature", str(wt))
    feature = GitRepo(wt, init=False)
    feature.write("b.md", doc(status="draft"))
    head = feature.commit("feature work")
    h = read_history(wt)
    assert h.available and h.head == head and set(h.files) == {"a.md", "b.md"}
    assert set(read_history(repo.path).files) == {"a.md"}
    assert set(load_versions(wt, h, ["b.md"])) == {"b.md"}


def test_detached_head(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(version="1.0"))
    first = repo.commit("one")
    repo.write("a.md", doc(version="1.1"))
    repo.commit("two")
    repo.checkout(first, detach=True)
    h = read_history(repo.path)
    assert h.head == first and len(h.files["a.md"].changes) == 1


def test_inside_a_real_pre_commit_hook(tmp_path: Path) -> None:
    """Git exports GIT_DIR and GIT_INDEX_FILE to hooks; they must not leak into our calls."""
    other = GitRepo(tmp_path / "other")
    other.write("elsewhere.md", doc(status="draft"))
    other_head = other.commit("other repository")
    repo = GitRepo(tmp_path / "repo")
    repo.write("a.md", doc(status="draft"))
    repo.commit("first")
    out = tmp_path / "hook.json"
    repo.install_hook(
        "pre-commit",
        f"""#!{sys.executable}
import json, os
from escm_check.history import read_history
own = read_history(os.getcwd())
far = read_history({str(other.path)!r})
env = {{k: os.environ.get(k) for k in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE")}}
with open({str(out)!r}, "w") as f:
    json.dump({{"env": env, "own": sorted(own.files), "far": sorted(far.files),
               "far_head": far.head,
               "problems": [p.message for p in own.problems + far.problems]}}, f)
""",
    )
    repo.write("b.md", doc(status="draft"))
    gd = ["--git-dir", str(repo.path / ".git"), "--work-tree", str(repo.path)]
    repo.git(*gd, "add", "b.md")
    repo.git(*gd, "commit", "-q", "-m", "second")  # hooks run: no --no-verify
    seen = json.loads(out.read_text())
    assert seen["env"]["GIT_DIR"] and seen["env"]["GIT_INDEX_FILE"]
    assert seen["problems"] == []
    assert seen["own"] == ["a.md"]  # b.md is staged, not committed yet
    assert seen["far"] == ["elsewhere.md"] and seen["far_head"] == other_head


# --------------------------------------------------------------------------- as of


def test_as_of_reads_the_history_as_it_stood(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(version="1.0"))
    jan = repo.commit("jan", date="2026-01-10T10:00:00+00:00")
    repo.branch("topic")
    repo.write("b.md", doc(version="0.1"))
    topic = repo.commit("authored in january, merged in march", date="2026-01-20T10:00:00+00:00")
    repo.checkout("main")
    repo.write("a.md", doc(version="1.1"))
    feb = repo.commit("feb", date="2026-02-10T23:30:00+00:00")
    repo.merge("topic", committer=BOB, date="2026-03-10T10:00:00+00:00")

    h = read_history(repo.path, as_of=dt.date(2026, 2, 10))
    assert h.head == feb and h.as_of == dt.date(2026, 2, 10)
    assert len(h.files["a.md"].changes) == 2
    assert "b.md" not in h.files and topic not in h.commits  # not on main until March
    assert read_history(repo.path, as_of=dt.date(2026, 2, 9)).head == jan
    early = read_history(repo.path, as_of=dt.date(2025, 12, 31))
    assert early.available and early.head is None and early.files == {}
    assert "b.md" in read_history(repo.path, as_of=dt.date(2026, 3, 10)).files


# --------------------------------------------------------------------------- merges


def test_first_parent_line_and_the_merge_that_brought_each_commit(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", "1\n")
    base = repo.commit("base")
    repo.branch("topic")
    repo.write("a.md", "2\n")
    t1 = repo.commit("topic 1")
    repo.branch("nested")
    repo.write("c.md", "c\n")
    n1 = repo.commit("nested 1")
    repo.checkout("topic")
    nested_merge = repo.merge("nested", committer=CAT)
    repo.checkout("main")
    repo.write("b.md", "b\n")
    direct = repo.commit("direct")
    merge = repo.merge("topic", committer=BOB)
    h = read_history(repo.path)
    assert h.first_parent_line() == {base, direct, merge}
    assert h.merged_by(direct) is None and h.merged_by(base) is None
    for sha in (t1, n1, nested_merge):
        m = h.merged_by(sha)
        assert m is not None and m.sha == merge and m.committer == BOB
    order = h.walk_order()
    assert order[merge] == 0 and order[base] == len(h.commits) - 1


# --------------------------------------------------------------------------- versions


def test_versions_newest_first_with_lazy_metadata(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(status="draft", version="0.1"))
    repo.write("x.pdf.yaml", "id: X\nstatus: draft\nversion: '1.0'\n")
    repo.write("x.pdf", b"%PDF-1.4 binary")
    repo.commit("add")
    repo.write("a.md", doc(status="approved", version="1.0"))
    repo.commit("approve")
    # only line ends change: the body hash must not
    repo.write("a.md", doc(status="approved", version="1.0").replace("\n", "\r\n"))
    repo.commit("crlf")
    repo.write("a.md", "---\nstatus: approved\nversion: 2.10\n---\nnew body\n")
    repo.commit("unquoted version, new body")
    h = read_history(repo.path)
    v = load_versions(repo.path, h, ["a.md", "x.pdf.yaml", "x.pdf", "nope.md"])
    assert set(v) == {"a.md", "x.pdf.yaml", "x.pdf"}  # unknown paths are skipped
    a = v["a.md"]
    assert [x.commit.subject for x in a] == ["unquoted version, new body", "crlf", "approve", "add"]
    assert [x.version for x in a] == ["2.10", "1.0", "1.0", "0.1"]
    assert [x.status for x in a] == ["approved", "approved", "approved", "draft"]
    assert a[0].meta["version"] == "2.10" and a[0].meta_ok  # the reader keeps the text
    assert a[1].body_hash == a[2].body_hash == a[3].body_hash != a[0].body_hash
    assert a[1].front_matter == a[2].front_matter != a[3].front_matter
    assert a[2].meta == {"status": "approved", "version": "1.0"}
    assert a[0].previous_blob == a[1].blob
    assert a[0].block.lines == {"status": 2, "version": 3}
    side = v["x.pdf.yaml"][0]
    assert side.meta == {"id": "X", "status": "draft", "version": "1.0"} and side.body_hash == ""
    # a PDF its reader cannot read has no metadata, and stands for its blob
    (broken,) = v["x.pdf"]
    assert broken.layout == "props" and not broken.meta_ok and broken.body_hash == broken.blob


def test_prefetch_reads_the_same_versions_during_the_log_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo(tmp_path)
    for i in range(5):
        repo.write("a.md", doc(status="approved", version=f"1.{i}", body=f"body {i}\n"))
        repo.write("a.md.yaml", f"status: draft\nversion: '0.{i}'\n")
        repo.write("same.md", doc(status="approved", version=f"1.{i}", body=f"body {i}\n"))
        repo.write("bin.pdf", b"%PDF " + bytes([i]))
        repo.commit(f"v{i}")
    paths = ["a.md", "a.md.yaml", "same.md"]
    plain = load_versions(repo.path, read_history(repo.path), paths)
    h = read_history(repo.path, prefetch=True)
    # Word and PDF blobs are read on request only: most PDFs have a sidecar instead
    assert len(load_versions(repo.path, h, ["bin.pdf"])["bin.pdf"]) == 5

    def no_git(root: object, limits: object = None) -> None:
        raise AssertionError("load_versions started git although everything was prefetched")

    monkeypatch.setattr("escm_check.history._Cutter.start", no_git)
    fetched = load_versions(repo.path, h, paths)
    assert set(fetched) == set(plain) == {"a.md", "a.md.yaml", "same.md"}
    for path in paths:
        assert [_seen(v) for v in fetched[path]] == [_seen(v) for v in plain[path]]
    assert [v.version for v in fetched["a.md.yaml"]] == ["0.4", "0.3", "0.2", "0.1", "0.0"]
    # every body differs and every scan is sure: no Markdown text is kept; a sidecar's is
    assert {v.front_matter for v in fetched["a.md"]} == {None}
    assert fetched["a.md.yaml"] == plain["a.md.yaml"]


def _seen(v: DocVersion) -> tuple[object, ...]:
    """What judging reads of a version that needs no YAML parse."""
    return v.commit, v.path, v.blob, v.body_hash, v.previous_blob, v.version, v.status, v.layout, v.missing


def test_prefetch_keeps_the_text_judging_can_need(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(status="draft", version="1.0", body="one\n"))
    repo.commit("add")
    repo.write("a.md", doc(status="draft", version="1.1", body="two\n"))
    repo.commit("new body")
    repo.write("a.md", doc(status="approved", version="1.1", body="two\n"))
    repo.commit("metadata only")
    repo.write("a.md", "---\nstatus: approved\nversion: [2]\n---\nthree\n")
    repo.commit("a version the line scan cannot read")
    h = read_history(repo.path, prefetch=True)
    unsure, approved, same_body, first = load_versions(repo.path, h, ["a.md"])["a.md"]
    # the two versions with one body are compared as YAML; the unsure one is parsed
    assert approved.meta["status"] == "approved" and same_body.meta["status"] == "draft"
    assert unsure.version == "[2]" and unsure.front_matter is not None
    assert first.front_matter is None and first.version == "1.0" and first.status == "draft"
    with pytest.raises(LookupError, match=r"a\.md at \w+ was not kept"):
        _ = first.meta


def test_prefetch_with_a_missing_object(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(version="1.0"))
    first = repo.commit("one")
    repo.write("a.md", doc(version="1.1"))
    repo.commit("two")
    repo.object_path(repo.blob(first, "a.md")).unlink()
    h = read_history(repo.path, prefetch=True)
    assert h.available
    newest, oldest = load_versions(repo.path, h, ["a.md"])["a.md"]
    assert newest.version == "1.1" and oldest.missing and oldest.problem is not None


def test_broken_and_unclosed_front_matter_are_values(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("bad.md", "---\nstatus: [approved\nversion: '1.0'\n---\nbody\n")
    repo.write("open.md", "---\nstatus: approved\nbody without a closing line\n")
    repo.write("none.md", "# Just a heading\n")
    repo.commit("odd files")
    h = read_history(repo.path)
    v = load_versions(repo.path, h, ["bad.md", "open.md", "none.md"])
    (bad,) = v["bad.md"]
    assert not bad.meta_ok and bad.meta == {} and bad.version == "1.0"
    (opened,) = v["open.md"]
    assert not opened.meta_ok and opened.block.problems[0].rule == "yaml-error"
    (none,) = v["none.md"]
    assert none.meta_ok and none.meta == {} and none.status is None and none.version is None


TRICKY = [
    "approved",
    '"approved"',
    "'approved'",
    "Approved # note",
    "approved#x",
    "2.10",
    '"2.10"',
    "1",
    "null",
    "~",
    "",
    "yes",
    "2026-01-01",
    '"a\\"b"',
    "'it''s'",
    "[1, 2]",
    "{a: 1}",
    "!!str 2.1",
    "&anchor x",
    '"x" # c',
    "-1.5e3",
    ".inf",
    "0x1A",
    "x: y",
]


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(TRICKY),
    version=st.sampled_from(TRICKY),
    extra=st.sampled_from(
        ["", "status: draft\n", "'version': '9'\n", "nested:\n  status: x\n", "block: |\n  version: 3\n"]
    ),
    order=st.booleans(),
)
def test_line_scan_agrees_with_the_yaml_reader(status: str, version: str, extra: str, order: bool) -> None:
    lines = [f"status: {status}", f"version: {version}"]
    front = "\n".join(lines if order else lines[::-1]) + "\n" + extra
    v = DocVersion(_commit(), "a.md", "1" * 40, front, "")  # layout "front"
    if not v.meta_ok:
        return  # invalid YAML: the parser has no value to agree with
    raw_s, raw_v = v.meta.get("status"), v.meta.get("version")
    assert v.status == (None if raw_s is None else str(raw_s).strip().lower())
    assert v.version == (None if raw_v is None or raw_v == "" else str(raw_v))


PIECES = [
    "---",
    "...",
    "--- ",
    "---\u00a0",
    "----",
    "... x",
    "status: approved",
    "a: [1",
    "",
    " ",
    "body text",
    "\ufeff---",
    "version: '1.0'",
    "---\t",
    "\x0c",
    "é: ü",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=9), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_the_fast_split_cuts_where_the_front_matter_reader_cuts(lines: list[str], eol: str, final_eol: bool) -> None:
    text = eol.join(lines) + (eol if final_eol else "")
    raw = text.encode("utf-8")
    front, body_hash, layout = _split_version("a.md", raw, "markdown")
    fm = split_front_matter(normalise_text(text), "a.md")
    assert body_hash == _digest(fm.body.encode("utf-8"))
    v = DocVersion(_commit(), "a.md", "1" * 40, front, body_hash, layout=layout)
    assert (v.meta, v.meta_ok) == (fm.meta.data, fm.meta.ok)
    assert v.block.lines == fm.meta.lines


def test_missing_and_corrupt_objects_are_findings(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(version="1.0"))
    repo.write("b.md", doc(version="1.0", id="B"))  # a blob of its own
    first = repo.commit("one")
    repo.write("a.md", doc(version="1.1"))
    repo.commit("two")
    repo.object_path(repo.blob(first, "a.md")).unlink()
    h = read_history(repo.path)
    assert h.available  # the log needs trees, not blobs
    v = load_versions(repo.path, h, ["a.md", "b.md"])
    newest, oldest = v["a.md"]
    assert not newest.missing and newest.version == "1.1"
    assert oldest.missing and oldest.problem is not None
    assert oldest.problem.rule == "history-unavailable" and oldest.problem.path == "a.md"
    assert first[:10] in oldest.problem.message
    assert v["b.md"][0].version == "1.0"

    # a corrupt object makes cat-file die: the rest is reported missing, nothing raises
    obj = repo.object_path(repo.blob(first, "b.md"))
    obj.chmod(0o644)
    obj.write_bytes(b"not zlib at all")
    v = load_versions(repo.path, h, ["a.md", "b.md"])
    assert v["b.md"][0].missing and v["b.md"][0].problem is not None


def test_a_missing_tree_makes_the_history_unavailable(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("a.md", "1\n")
    first = repo.commit("one")
    repo.write("a.md", "2\n")
    repo.commit("two")
    repo.object_path(repo.git("rev-parse", f"{first}^{{tree}}").strip()).unlink()
    h = read_history(repo.path)
    assert not h.available and h.files == {}
    (f,) = h.problems
    assert f.rule == "history-unavailable" and "cannot be read" in f.message


# --------------------------------------------------------------------------- trailers

TRAILER_CASES = [
    ("Subject only", ()),
    ("Approved-by: Bob <b@x>", ()),  # the subject is never a trailer block
    ("Fix\n\nApproved-by: Bob <b@x>\n", (("Approved-by", "Bob <b@x>"),)),
    (
        "Fix\n\nBody text.\n\nApproved-by: Bob\nReviewed-by: Cat\n\n\n",
        (("Approved-by", "Bob"), ("Reviewed-by", "Cat")),
    ),
    ("Fix\r\n\r\nApproved-by: Bob\r\n", (("Approved-by", "Bob"),)),
    ("Fix\n\napproved-BY :  Bob  \n", (("approved-BY", "Bob"),)),
    # a line git writes itself may follow the trailers
    ("Fix\n\nApproved-by: Bob\n(cherry picked from commit abc)\n", (("Approved-by", "Bob"),)),
    # a line of prose in the block makes it prose, as for every git tool (our former parser
    # read trailers here, and read "Note: ..." prose as one too)
    ("Merge\n\nApproved-by: Bob\nReviewed-by: Cat\nMerged via the web UI\n", ()),
    ("Fix\n\nThis paragraph explains why.\nIt has several lines.\nNote: see the ticket\n", ()),
    ("Fix\n\nApproved-by: Bob\n\nA final prose paragraph.\n", ()),
    (
        "Fix\n\nApproved-by: Bob Smith\n  of Quality\n\tAssurance\n",
        (("Approved-by", "Bob Smith of Quality Assurance"),),
    ),
    ("Fix\n\nApproved by: Bob\n", ()),  # keys have no spaces
    ("Fix\n  \t\nApproved-by: Bob\n", (("Approved-by", "Bob"),)),  # a blank line of spaces
    ("Fix\n\nApproved-by: Bob \u00e9\x1fx\n", (("Approved-by", "Bob \u00e9\x1fx"),)),
]


def test_trailers_are_read_by_git(tmp_path: Path) -> None:
    """Each message committed for real; the history carries what git's trailer parser reads."""
    repo = GitRepo(tmp_path)
    # a user's own trailer separators must not change what counts as an approval
    repo.git("config", "trailer.separators", ":#")
    shas = []
    for i, (message, _) in enumerate(TRAILER_CASES):
        repo.write("a.md", f"{i}\n")
        shas.append(repo.commit(message))
    h = read_history(repo.path)
    for sha, (message, expected) in zip(shas, TRAILER_CASES, strict=True):
        assert h.commits[sha].trailers == expected, message


def test_versions_forgotten_after_the_log_are_read_again(tmp_path: Path) -> None:
    # the judging workers hold their own copy; whatever this process judges after, it reads
    repo = GitRepo(tmp_path)
    for i in range(3):
        repo.write("a.md", doc(status="approved", version=f"1.{i}", body=f"body {i}\n"))
        repo.commit(f"v{i}")
    h = read_history(repo.path, prefetch=True)
    before = load_versions(repo.path, h, ["a.md"])["a.md"]
    h.forget_prefetched()
    after = load_versions(repo.path, h, ["a.md"])["a.md"]
    assert [_seen(v) for v in after] == [_seen(v) for v in before]
    assert [v.meta["version"] for v in after] == ["1.2", "1.1", "1.0"]  # read whole this time
