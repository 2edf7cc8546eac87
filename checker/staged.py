"""The pre-commit check: the check's own engine over HEAD followed by the index.

For the named files only, the history is two steps long: the version committed at HEAD and
the version in the index, read from git's object store (never the whole history, so the
hook's cost grows with the files staged, not with the repository). Documents are read from
the index by the same readers as the check, their metadata normalised the same way, their
change control judged by the same code (`judge`), and the whole set evaluated by the same
`evaluate`. The findings are the check's findings for these documents once the change is
committed, less those the hook cannot know:

- the commit itself: its approval trailer, author and date (`NEEDS_COMMIT`);
- the rest of the repository: whether a Practice is served at all, ids repeated in other
  documents, the newest record of an activity (`NEEDS_REPOSITORY`);
- history older than HEAD: a document made approved again is compared with its last
  approved version only by the check.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from . import history
from .adapters.limits import Limits
from .config import Config
from .discover import is_candidate
from .evaluate import DocInput, RepoInfo, evaluate
from .findings import Finding, make, sort_findings
from .formats import SIDECAR_SUFFIX, sidecar_rel
from .gitrun import repo_root, run_git
from .parsing import parse_bytes, read_all
from .pipeline import control_settings
from .rulepack import Pack
from .stages import judge_document, meta_path, read_document

# Rules that judge the commit: its approval trailer and author, its date
NEEDS_COMMIT = frozenset(
    {"change-unapproved", "self-approved", "approval-stale", "review-overdue", "uncommitted-changes"}
)
# Rules that need every document of the repository, or its whole history
NEEDS_REPOSITORY = frozenset(
    {
        "activity-not-evidenced",
        "doctype-missing",
        "duplicate-id",
        "record-stale",
        "history-shallow",
        "history-unavailable",
        "untracked-document",
        "waiver-invalid",
        "waiver-expired",
    }
)


def staged_files(cwd: Path) -> list[Path]:
    """Every file added, copied, modified or renamed in the index of the repository holding
    `cwd`: what `staged` checks when it is named no file (pre-commit always names them)."""
    root = repo_root(cwd)
    if root is None:
        return []
    out = run_git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames")
    return [root / rel for rel in out.decode("utf-8", "surrogateescape").split("\0") if rel]


def check_staged(paths: Sequence[Path], pack: Pack, cfg: Config, as_of: dt.date | None = None) -> tuple[Finding, ...]:
    """The check's findings for the named files as they are staged (see the module's notes)."""
    findings: list[Finding] = []
    by_root: dict[Path, list[str]] = {}
    roots: dict[Path, Path] = {}
    for p in paths:
        # abspath, not resolve(): a staged symlink (or a loop of them) is never followed
        full = Path(os.path.abspath(p))
        if full.parent not in roots:
            roots[full.parent] = repo_root(full.parent) or full.parent
        root = roots[full.parent]
        rel = full.relative_to(root).as_posix() if full.is_relative_to(root) else full.name
        if full.is_symlink():
            findings.append(make("file-skipped", "symbolic link not followed", path=rel))
            continue
        if rel.endswith(SIDECAR_SUFFIX) and (root / rel[: -len(SIDECAR_SUFFIX)]).is_file():
            rel = rel[: -len(SIDECAR_SUFFIX)]  # a staged sidecar re-checks the file it describes
            full = root / rel
        if not is_candidate(rel, {sidecar_rel(rel)} if Path(sidecar_rel(str(full))).exists() else set(), cfg.formats):
            continue
        if rel not in by_root.setdefault(root, []):
            by_root[root].append(rel)
    when = as_of or cfg.as_of or dt.date.today()
    for root, rels in sorted(by_root.items()):
        findings += _check_root(root, rels, pack, cfg, when)
    return sort_findings(findings)


def _check_root(root: Path, rels: Sequence[str], pack: Pack, cfg: Config, as_of: dt.date) -> list[Finding]:
    limits = Limits.from_mapping(cfg.limits)
    wanted = [*rels, *(sidecar_rel(r) for r in rels)]
    repo, blobs = history.staged_history(root, wanted)
    staged_bytes = history.read_blobs(root, [b for b in blobs.values() if b is not None])
    docs = []
    outside = [r for r in rels if blobs.get(r) is None and blobs.get(sidecar_rel(r)) is None]
    worktree = dict(zip(outside, read_all(root, outside, limits, jobs=cfg.jobs, formats=cfg.formats), strict=True))
    for rel in rels:
        if rel in worktree:  # in no index (a repository without commits, a file not added)
            docs.append(worktree[rel])
            continue
        data, side = (staged_bytes.get(blobs[r] or "") for r in (rel, sidecar_rel(rel)))
        docs.append(parse_bytes(rel, data, limits, side, cfg.formats))
    settings = control_settings(cfg)
    paths = [meta_path(d) for d in docs]
    versions = history.load_versions(root, repo, paths, limits, cfg.formats) if repo.available else {}
    findings: list[Finding] = []
    inputs: list[DocInput] = []
    for doc in docs:
        parsed = read_document(doc, cfg.field_map, cfg.value_map)
        findings += parsed[2]
        control = None
        if doc.has_metadata and doc.path in repo.files:
            mine = versions.get(meta_path(doc), ())
            judged = judge_document(parsed, repo, mine, settings, as_of, modified=False, judge_only=history.STAGED)
            control = judged.control
            findings += judged.findings
        inputs.append(DocInput(doc=doc, meta=parsed[1], control=control))
    result = evaluate(pack, inputs, RepoInfo(root=str(root), head=repo.head), cfg, as_of, findings)
    named = {*rels, *(sidecar_rel(r) for r in rels)}
    skip = NEEDS_COMMIT | NEEDS_REPOSITORY
    return [f for f in result.findings if f.path in named and f.rule not in skip]
