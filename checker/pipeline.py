"""The pipeline: discover -> read -> history -> judge -> evaluate. Data flows one way.

Each stage is a function from values to a value (`stages`, `discover.discover`,
`evaluate.evaluate`); the cache is one memoiser around them (`cache.Memo`), keyed by a
fingerprint of each stage's inputs, so a stage never knows whether its input came from the
cache. Stages overlap where git does the work in a process of its own:

- the one `git log` pass runs in a thread (which only parses what git writes) while this
  thread parses the Markdown documents, so a cold check costs about the longer of the two
  rather than their sum. Word and PDF files are read before that, in worker processes forked
  while this process still has a single thread;
- the historical versions are read from `git cat-file` in chunks by a thread, while this
  thread judges the change control of the documents whose versions are already in.

The cyclic garbage collector is paused for the run: it would otherwise walk the hundreds of
thousands of long-lived commits, changes and versions again and again (a tenth of the time
of a large check) for values that hold no reference cycles.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from . import changecontrol, forkmap, progress, safety
from .adapters.limits import Limits
from .cache import JUDGEMENT, KEEP_HISTORIES, PARSED, Deferred, Memo, Print, history_codec, make_key
from .config import Config
from .crosswalkcheck import crosswalk_file, read_for_check
from .discover import Discovery, discover
from .evaluate import DocInput, RepoInfo, evaluate
from .formats import Formats
from .gcpause import gc_paused
from .gitrun import GitError, run_git
from .history import RepoHistory
from .parsing import split_by_reader
from .progressbar import parsing_bar
from .result import CheckResult
from .rulepack import Pack
from .stages import (
    NOT_IN_GIT,
    NOT_JUDGED,
    Judgement,
    Parsed,
    judge_documents,
    judge_untracked,
    read_documents,
    read_history,
)


class CheckOptions(msgspec.Struct, frozen=True):
    """What to check and how."""

    path: Path
    config: Config
    as_of: dt.date
    jobs: int | None = None
    use_cache: bool = True
    quiet: bool = False  # no progress bar


def run_check(opts: CheckOptions, pack: Pack | Callable[[], Pack]) -> CheckResult:
    """Run the whole pipeline once and return the result every reporter renders.

    `pack` may be a function that loads the rule pack: it is then called while worker
    processes read the documents, when this process would otherwise wait."""
    cfg = opts.config
    progress.set_current(f"the file list of {opts.path}")
    disc = discover(opts.path, cfg.include, cfg.exclude, Path(cfg.path) if cfg.path else None, cfg.formats)
    if cfg.path:
        # findings about the config (waivers) are located relative to the repository like all others
        with contextlib.suppress(ValueError):
            rel = Path(cfg.path).resolve().relative_to(disc.root).as_posix()
            cfg = msgspec.structs.replace(cfg, path=rel)
    memo = Memo.open(cfg, disc.root, enabled=opts.use_cache)
    try:
        with gc_paused(promote=True):
            return _run(opts, pack, cfg, disc, memo)
    finally:
        memo.close()


def _run(opts: CheckOptions, rules: Pack | Callable[[], Pack], cfg: Config, disc: Discovery, memo: Memo) -> CheckResult:
    root, as_of, settings = disc.root, opts.as_of, control_settings(cfg)
    limits = Limits.from_mapping(cfg.limits)
    prints = memo.fingerprints(root, disc.documents, cfg.hash_key(), limits.max_file_bytes, cfg.formats)

    def key(rel: str) -> str | None:
        return prints[rel].key if rel in prints else None

    def keep(rel: str, p: Parsed) -> bool:
        # a document a bug stopped is read again next time, by then perhaps by a fixed checker
        return p[0].error is None and not safety.is_internal(p[2]) and prints[rel].unchanged()

    jobs = cfg.jobs or opts.jobs
    heavy, light = split_by_reader(disc.documents, cfg.formats)
    # Word and PDF first: their worker processes fork before any thread starts
    got = memo.map(
        "doc",
        PARSED,
        heavy,
        key,
        lambda todo: read_documents(
            root, todo, limits, jobs, cfg.field_map, cfg.value_map, cfg.formats, show_progress=not opts.quiet
        ),
        keep=keep,
    )
    # so do the workers reading many Markdown documents, which read while git's log streams
    found = memo.lookup(PARSED, light, key)
    here = os.getpid()  # the bar is drawn by this process: by the workers' batches, or as it reads
    reading = forkmap.start(
        found.todo,
        lambda todo: read_documents(
            root,
            todo,
            limits,
            jobs,
            cfg.field_map,
            cfg.value_map,
            cfg.formats,
            show_progress=not opts.quiet and os.getpid() == here,
        ),
        PARSED,
        jobs,
    )
    hist = _history(memo, disc, as_of, settings, cfg.formats)  # git log in a thread, or the stored history
    pack = rules if isinstance(rules, Pack) else rules()
    with parsing_bar(len(found.todo), quiet=opts.quiet or not reading.forked) as bar:
        read = reading.result(bar, keep_wire=memo.stores)
        got += found.finish("doc", read, keep=keep, wire=reading.take_wire())
    parsed = dict(zip(heavy + light, got, strict=True))
    docs = [parsed[r] for r in disc.documents]
    judged = _judge(memo, docs, disc, hist, settings, as_of, prints, limits, cfg.formats, jobs)

    known = hist.peek() if hist is not None else None  # None: stored, so complete, and not needed
    findings = [*disc.findings, *(f for _, _, fs in docs for f in fs), *(known.problems if known else ())]
    findings += [f for j in judged for f in j.findings]
    available = hist is not None and (known is None or known.available)
    repo = RepoInfo(str(root), disc.head, available=available, shallow=bool(known and known.shallow))
    inputs = [DocInput(doc=d, meta=m, control=j.control) for (d, m, _), j in zip(docs, judged, strict=True)]
    # the crosswalk's change control is judged from the history on every run, stored or not
    cw_hist = hist.get() if hist is not None and crosswalk_file(root, cfg)[0].is_file() else None
    cw = read_for_check(root, cfg, pack, [d for d, _, _ in docs], cw_hist, settings)
    # the history is most of what a long-lived repository's check holds: gone before the rating
    del hist, known, cw_hist
    progress.set_current(f"the rating of {root}")
    result = evaluate(pack, inputs, repo, cfg, as_of, [*findings, *cw.findings], cw.crosswalk, cw.approved)
    if cw.summary is not None:
        result = msgspec.structs.replace(
            result, documents=tuple(sorted((*result.documents, cw.summary), key=lambda s: s.path))
        )
    progress.set_current(None)
    return result


def control_settings(cfg: Config) -> changecontrol.ControlSettings:
    """The change-control settings of a configuration."""
    return changecontrol.ControlSettings(
        approval_mode=cfg.approval_mode,  # type: ignore[arg-type]
        approval_trailers=cfg.approval_trailers,
        review_trailers=cfg.review_trailers,
        review_cycle=cfg.review_cycle,
    )


def _history(
    memo: Memo,
    disc: Discovery,
    as_of: dt.date,
    settings: changecontrol.ControlSettings,
    formats: Formats | None = None,
) -> Deferred[RepoHistory] | None:
    """The history stage, started now; None outside git. Only a complete history read while
    HEAD stayed put is kept."""
    if not disc.in_git:
        return None
    root, pathspec = disc.root, disc.prefix or None

    def complete(h: RepoHistory) -> bool:
        return h.available and not h.shallow and not h.problems and _head_now(root) == disc.head

    return memo.deferred(
        "history",
        history_codec(str(root)),
        memo.history_key(root, disc.head, as_of.isoformat(), pathspec, settings),
        lambda: read_history(root, as_of, pathspec, formats),
        keep=complete,
        scope=make_key("scope", str(root), pathspec),
        prune=KEEP_HISTORIES,
    )


def _judge(
    memo: Memo,
    docs: Sequence[Parsed],
    disc: Discovery,
    hist: Deferred[RepoHistory] | None,
    settings: changecontrol.ControlSettings,
    as_of: dt.date,
    prints: dict[str, Print],
    limits: Limits,
    formats: Formats | None = None,
    jobs: int | None = None,
) -> list[Judgement]:
    """The judge stage: every tracked document with metadata judged from the history (kept
    by the history's, the document's and the settings' fingerprints); the others at once."""
    if hist is None:
        return [NOT_IN_GIT] * len(docs)
    tracked = [p for p in docs if p[0].has_metadata and p[0].path not in disc.untracked]
    scope = hist.key
    # what every document's judgement depends on, fingerprinted once (settings are costly to)
    common = memo.key("control", scope, as_of.isoformat(), settings) if scope is not None else None

    def key(p: Parsed) -> str | None:
        fp = prints.get(p[0].path)
        return make_key(common, fp.key, p[0].path in disc.modified) if fp is not None and common else None

    def judge(todo: Sequence[Parsed]) -> tuple[list[Judgement], list[bytes | None]]:
        """The judgements, and each as a worker encoded it (for the store)."""
        progress.set_current(f"the git history of {disc.root}")
        # waits for the log's thread to end, so workers fork from one thread
        repo = hist.get(settle=False)
        judging = forkmap.start(
            todo,
            lambda share: judge_documents(share, repo, settings, as_of, disc.modified, limits, formats),
            JUDGEMENT,
            jobs,
        )
        if judging.forked:
            repo.forget_prefetched()  # the workers hold their own; a leftover is read again
        hist.settle()  # the history is stored while the workers judge, without the cuts beside it
        values = judging.result(keep_wire=memo.stores)
        return values, judging.take_wire()

    found = memo.lookup(JUDGEMENT, tracked, key)
    judged, wire = judge(found.todo) if found.todo else ([], [])
    made = found.finish(
        "control",
        judged,
        keep=lambda p, j: hist.key is not None and not safety.is_internal(j.findings) and prints[p[0].path].unchanged(),
        scope=scope or "",
        wire=wire,
    )
    by_path = {p[0].path: j for p, j in zip(tracked, made, strict=True)}
    return [judge_untracked(p) if p[0].path in disc.untracked else by_path.get(p[0].path, NOT_JUDGED) for p in docs]


def _head_now(root: Path) -> str | None:
    try:
        return run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except GitError:
        return None
