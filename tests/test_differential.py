"""Differential test: the pre-commit hook's verdict on a staged change equals the check's verdict
on that change once committed, over random sequences of edits to a Markdown and a Word document
in a real git repository.

Edits change front-matter keys, raise and lower versions, rewrite the body and move review
dates; every step is staged, judged by `staged`, committed with an approval and judged by the
full check. Compared: every finding both can judge (`staged.NEEDS_COMMIT` and
`staged.NEEDS_REPOSITORY` name the rest), as rule, severity, path and line; a change-control
finding of the check counts for the step when it names the step's commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from escm_check.findings import Finding
from escm_check.pipeline import CheckOptions, run_check
from escm_check.runner import pack_for, resolve_config
from escm_check.staged import NEEDS_COMMIT, NEEDS_REPOSITORY, check_staged
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .docfactory import Heading, build_docx
from .gitrepo import GitRepo, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
AS_OF = dt.date(2026, 6, 1)
MD, WORD = "proc.md", "proc.docx"
Key = tuple[str, str, str | None, int | None]

BASE: dict[str, Any] = dict(
    id="PRC-1",
    title="Change control",
    type="procedure",
    practices="knw07",
    status="approved",
    version="1.0",
    owner="Quality Manager",
    approved_by="Bob Approver",
    approved_on="2026-01-01",
)
BODIES = (
    "Documents are changed through reviewed requests.",
    "Documents are changed through reviewed and approved requests.",
    "Every change is recorded in the register.",
)
# keys an edit may set: content, bookkeeping, and one the check does not know
KEYS = st.sampled_from(["owner", "title", "reviewed_by", "approved_by", "reviewed_on", "next_review", "scope"])
VALUES = st.sampled_from(["Quality Manager", "Carol Jones", "2026-03-01", "2027-03-01", "Operations"])
VERSIONS = st.sampled_from(["0.9", "1.0", "1.1", "1.2", "2.0", "2.10"])
EDIT = st.one_of(
    st.tuples(st.just("version"), VERSIONS),
    st.tuples(st.just("body"), st.sampled_from(BODIES)),
    st.tuples(st.just("key"), st.tuples(KEYS, VALUES)),
    st.tuples(st.just("drop"), KEYS),
    st.tuples(st.just("review"), st.dates(dt.date(2025, 6, 1), dt.date(2026, 5, 31)).map(dt.date.isoformat)),
)
# one step: edits to the Markdown document, then edits to the Word document
STEP = st.tuples(st.lists(EDIT, min_size=1, max_size=2), st.lists(EDIT, min_size=1, max_size=2))


@dataclasses.dataclass
class Doc:
    meta: dict[str, Any]
    body: str = BODIES[0]

    def apply(self, edit: tuple[str, Any]) -> None:
        kind, value = edit
        if kind == "version":
            self.meta["version"] = value
        elif kind == "body":
            self.body = value
        elif kind == "key":
            self.meta[value[0]] = value[1]
        elif kind == "drop":
            self.meta.pop(value, None)
        else:
            self.meta["reviewed_on"] = value


def write(repo: GitRepo, md: Doc, word: Doc) -> None:
    text = f"# Purpose\n\n{md.body}\n\n## Steps\n\n1. Draft.\n"
    repo.write(MD, doc(text, **{**md.meta, "practices": [md.meta["practices"]]}))
    build_docx(repo.path / WORD, [Heading("Purpose"), word.body, Heading("Steps"), "1. Draft."], custom=word.meta)


def comparable(findings: Iterable[Finding], commit: str | None) -> set[Key]:
    out: set[Key] = set()
    for f in findings:
        if f.path not in (MD, WORD) or f.rule in NEEDS_COMMIT | NEEDS_REPOSITORY:
            continue
        earlier = commit is not None and (f"commit {commit[:10]} " not in f.message or f.severity == "info")
        if f.rule in ("version-not-bumped", "version-regressed") and earlier:
            continue  # the verdict on an earlier change
        out.add((f.rule, f.severity, f.path, f.line))
    return out


@seed(20260601)
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found: shrinking takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(STEP, min_size=2, max_size=3))
def test_staged_verdict_equals_the_check_after_the_commit(steps: list[tuple[list[Any], list[Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = GitRepo(Path(tmp) / "repo")
        repo.write(".escm-check.yaml", "limits: {timeout_seconds: 0}\njobs: 1\n")
        md, word = Doc(dict(BASE)), Doc(dict(BASE, id="PRC-2"))
        write(repo, md, word)
        repo.commit("Approve", author=ANN, trailers={"Approved-by": BOB})
        cfg = resolve_config(repo.path, None, {})
        pack = pack_for(cfg)
        for md_edits, word_edits in steps:
            for e in md_edits:
                md.apply(e)
            for e in word_edits:
                word.apply(e)
            write(repo, md, word)
            repo.git("add", "-A")
            hook = check_staged([repo.path / MD, repo.path / WORD], pack, cfg, AS_OF)
            sha = repo.commit("Change", author=ANN, trailers={"Approved-by": BOB}, allow_empty=True)
            result = run_check(CheckOptions(path=repo.path, config=cfg, as_of=AS_OF, use_cache=False), pack)
            assert comparable(hook, None) == comparable(result.findings, sha), (md_edits, word_edits)
