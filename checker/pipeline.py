"""The pipeline: discover -> adapt -> history -> evidence -> evaluate. Data flows one way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import changecontrol, history
from .adapters.limits import Limits
from .config import Config
from .discover import Discovery, discover
from .evaluate import Control, DocInput, RepoInfo, evaluate
from .findings import Finding, make
from .metadata import DocMeta, normalise
from .parsing import read_all
from .result import CheckResult
from .rulepack import Pack


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how."""

    path: Path
    config: Config
    as_of: dt.date
    jobs: int | None = None
    use_cache: bool = True


def _control_settings(cfg: Config) -> changecontrol.ControlSettings:
    return changecontrol.ControlSettings(
        approval_mode=cfg.approval_mode,  # type: ignore[arg-type]
        approval_trailers=cfg.approval_trailers,
        review_trailers=cfg.review_trailers,
        review_cycle=cfg.review_cycle,
    )


def _controlled(meta: DocMeta) -> bool:
    """Documents under change control: everything with metadata except records."""
    return meta.type not in (None, "record")


def run_check(opts: CheckOptions, pack: Pack) -> CheckResult:
    """Run the whole pipeline once and return the result every reporter renders."""
    cfg = opts.config
    disc = discover(opts.path, cfg.include, cfg.exclude,
                    Path(cfg.path) if cfg.path else None)
    if cfg.path:
        # findings about the config (waivers) are located relative to the repository like all others
        try:
            cfg = dataclasses.replace(cfg, path=Path(cfg.path).resolve().relative_to(disc.root).as_posix())
        except ValueError:
            pass
    limits = Limits.from_mapping(cfg.limits)
    parsed = read_all(disc.root, list(disc.documents), limits, jobs=cfg.jobs or opts.jobs)

    findings: list[Finding] = list(disc.findings)
    metas: list[tuple[DocMeta, tuple[Finding, ...]]] = [normalise(d, cfg.field_map) for d in parsed]
    for _, fs in metas:
        findings += fs

    repo_hist: history.RepoHistory | None = None
    versions: dict[str, tuple[history.DocVersion, ...]] = {}
    if disc.in_git:
        repo_hist = history.read_history(disc.root, as_of=opts.as_of, pathspec=disc.prefix or None)
        findings += repo_hist.problems
        wanted = [d.path for d, (m, _) in zip(parsed, metas) if _controlled(m) and d.path not in disc.untracked]
        if repo_hist.available:
            versions = history.load_versions(disc.root, repo_hist, wanted)

    settings = _control_settings(cfg)
    inputs: list[DocInput] = []
    for doc, (meta, _) in zip(parsed, metas):
        control = None
        if doc.path in disc.untracked:
            findings.append(make("untracked-document", "not tracked by git: not under version control",
                                 path=doc.path))
            control = Control(False, reason="not tracked by git")
        elif repo_hist is not None and doc.has_metadata:
            cr = changecontrol.check_document(
                doc.path, doc.metadata, repo_hist, versions.get(doc.path, ()), settings, opts.as_of,
                tracked=True, modified=doc.path in disc.modified, meta_lines=doc.meta_lines)
            if _controlled(meta) and meta.approved:
                findings += cr.findings
            fh = repo_hist.files.get(doc.path)
            last_author = None
            if fh is not None and fh.changes:
                c = fh.changes[0].commit
                last_author = f"{c.author_name} <{c.author_email}>"
            control = Control(
                controlled=cr.controlled, last_commit=cr.last_commit, last_author=last_author,
                review_due=cr.review_due,
                reason="; ".join(sorted({f.rule for f in cr.findings if f.severity == "error"}))
                or ("" if cr.controlled else "not under change control"),
                versions=cr.versions)
        elif not disc.in_git:
            control = Control(False, reason="not in a git repository")
        inputs.append(DocInput(doc=doc, meta=meta, control=control))

    repo = RepoInfo(root=str(disc.root), head=disc.head,
                    available=bool(repo_hist and repo_hist.available),
                    shallow=bool(repo_hist and repo_hist.shallow))
    return evaluate(pack, inputs, repo, cfg, opts.as_of, findings)
