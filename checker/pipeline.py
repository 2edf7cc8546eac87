"""The pipeline: discover -> adapt -> history -> evidence -> evaluate. Data flows one way.

Stages overlap where git does the work in a process of its own:

- the one `git log` pass runs in a thread (which only parses what git writes) while this
  thread parses the Markdown documents, so a cold check costs about the longer of the two
  rather than their sum. Word and PDF files are read before that, in worker processes forked
  while this process still has a single thread;
- the historical versions are read from `git cat-file` in chunks by a thread, while this
  thread judges the change control of the documents whose versions are already in.

Parsed documents, the history, the versions and the change-control verdicts come from the
cache (`cache.Cache`) when it has them. The cyclic garbage collector is paused for the run: it would otherwise walk the
hundreds of thousands of long-lived commits, changes and versions again and again (a tenth
of the time of a large check) for values that hold no reference cycles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from . import changecontrol, history, progress
from .adapters.limits import Limits
from .adapters.sidecar import sidecar_rel
from .cache import Cache, Parsed
from .config import Config
from .discover import Discovery, discover
from .documents import Document
from .evaluate import Control, DocInput, RepoInfo, evaluate
from .findings import Finding, make
from .gitrun import GitError, run_git
from .metadata import DocMeta, normalise
from .parsing import read_all
from .progressbar import ProgressBar
from .result import CheckResult
from .rulepack import Pack

T = TypeVar("T")
_HEAVY = frozenset({"docx", "pdf"})  # the formats read_all gives to worker processes
_FORMATS = {".md": "markdown", ".markdown": "markdown", ".docx": "docx", ".docm": "docx", ".doc": "docx", ".pdf": "pdf"}


def _format(rel: str) -> str:
    """The adapter `parsing.read_all` uses for a path (any other file has a sidecar)."""
    return _FORMATS.get(os.path.splitext(rel.rsplit("/", 1)[-1])[1].lower(), "sidecar")


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


def _meta_path(doc: Document) -> str:
    """The file whose history holds the document's metadata: its sidecar, or itself."""
    return sidecar_rel(doc.path) if doc.meta_source == "sidecar" else doc.path


def _controlled(meta: DocMeta) -> bool:
    """Documents under change control: everything with metadata except records."""
    return meta.type not in (None, "record")


class _Background(Generic[T]):
    """Run one call in a daemon thread (Ctrl-C must not wait for git); `result` re-raises."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="escm-check-history", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Everything allocated while paused is still in the youngest generation, and the
            # first collection after enable() would walk all of it (half a second for the
            # result of a large check). freeze() + unfreeze() moves it to the oldest
            # generation without a walk; it stays collectable there.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


VERSION_CHUNKS = 16  # chunks of paths, each read by one `git cat-file --batch` process
MIN_VERSION_CHUNK = 250
VERSION_READERS = 2  # cat-file processes at once: resolving deltas is git's CPU, not ours


class _VersionLoader:
    """`history.load_versions` in chunks, in daemon threads, in the order they are asked for.

    The result for each path is exactly what one call for all paths gives: versions are read
    per path, and chunks only split the list of paths. Up to `readers` chunks are read at
    once (each by its own cat-file process), the earliest first, while the caller judges the
    documents of the chunks already in.
    """

    def __init__(
        self,
        load: Callable[[Sequence[str]], dict[str, tuple[history.DocVersion, ...]]],
        paths: Sequence[str],
        readers: int = VERSION_READERS,
    ) -> None:
        size = max(MIN_VERSION_CHUNK, math.ceil(len(paths) / VERSION_CHUNKS))
        self._chunks = [list(paths[i : i + size]) for i in range(0, len(paths), size)]
        self._where = {p: n for n, chunk in enumerate(self._chunks) for p in chunk}
        self._ready = [threading.Event() for _ in self._chunks]
        self.loaded: dict[str, tuple[history.DocVersion, ...]] = {}
        self._error: BaseException | None = None
        self._load = load
        self._next = 0
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name="escm-check-versions", daemon=True)
            for _ in range(max(1, min(readers, len(self._chunks))))
        ]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                n = self._next
                if n >= len(self._chunks) or self._error is not None:
                    return
                self._next += 1
            try:
                got = self._load(self._chunks[n])
            except BaseException as exc:  # handed to the caller of get()
                with self._lock:
                    self._error = exc
                for event in self._ready:
                    event.set()
                return
            with self._lock:
                self.loaded.update(got)
            self._ready[n].set()

    def get(self, path: str) -> tuple[history.DocVersion, ...] | None:
        """The versions of `path` (waiting for its chunk), or None when it was not asked for."""
        n = self._where.get(path)
        if n is None:
            return None
        self._ready[n].wait()
        if self._error is not None:
            raise self._error
        return self.loaded.get(path, ())

    def join(self) -> None:
        """Wait for every chunk; re-raise a failure."""
        for t in self._threads:
            t.join()
        if self._error is not None:
            raise self._error


def _parse(
    root: Path, rels: Sequence[str], limits: Limits, jobs: int | None, field_map: dict[str, str]
) -> list[Parsed]:
    progress.set_current(f"the documents under {root}")  # an adapter's error is a finding
    bar = ProgressBar("parsing") if ProgressBar.wanted(len(rels), quiet=False) else None
    try:
        docs = read_all(root, list(rels), limits, jobs=jobs, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    out: list[Parsed] = []
    for d in docs:
        progress.set_current(d.path)  # named in the one-line internal-error message
        out.append((d, *normalise(d, field_map)))
    return out


def _head_now(root: Path) -> str | None:
    try:
        return run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except GitError:
        return None


def run_check(opts: CheckOptions, pack: Pack) -> CheckResult:
    """Run the whole pipeline once and return the result every reporter renders."""
    cfg = opts.config
    progress.set_current(f"the file list of {opts.path}")
    disc = discover(opts.path, cfg.include, cfg.exclude, Path(cfg.path) if cfg.path else None)
    if cfg.path:
        # findings about the config (waivers) are located relative to the repository like all others
        with contextlib.suppress(ValueError):
            rel = Path(cfg.path).resolve().relative_to(disc.root).as_posix()
            cfg = dataclasses.replace(cfg, path=rel)
    cache = Cache.open(cfg, disc.root) if opts.use_cache else None
    try:
        with _gc_paused():
            return _run(opts, pack, cfg, disc, cache)
    finally:
        if cache is not None:
            cache.close()


def _run(opts: CheckOptions, pack: Pack, cfg: Config, disc: Discovery, cache: Cache | None) -> CheckResult:
    root = disc.root
    limits = Limits.from_mapping(cfg.limits)
    jobs = cfg.jobs or opts.jobs
    field_map = dict(cfg.field_map)
    rels = list(disc.documents)
    formats = [_format(r) for r in rels]
    settings = _control_settings(cfg)
    pathspec = disc.prefix or None

    # documents the cache holds; the rest are read below
    results: list[Parsed | None] = [None] * len(rels)
    prints: dict[int, Any] = {}
    if cache is not None:
        hits, prints = cache.lookup_documents(rels, formats)
        for i, p in hits.items():
            results[i] = p
    todo = [i for i, p in enumerate(results) if p is None]
    heavy = [i for i in todo if formats[i] in _HEAVY]
    light = [i for i in todo if formats[i] not in _HEAVY]

    # Word and PDF first: their worker processes are forked before any thread starts
    for i, p in zip(heavy, _parse(root, [rels[i] for i in heavy], limits, jobs, field_map), strict=True):
        results[i] = p

    # the history: cached (decoded only if a verdict must be made), or one git log pass in a
    # thread while Markdown is parsed; every historical front matter is read alongside the
    # log (prefetch), since a history read afresh means every document is judged afresh
    hkey: str | None = None  # set while the history in hand is the one cached under it
    repo_hist: history.RepoHistory | None = None
    cached_history = False
    pending: _Background[history.RepoHistory] | None = None

    def read_history() -> history.RepoHistory:
        return history.read_history(root, as_of=opts.as_of, pathspec=pathspec, prefetch=True)

    def remember(c: Cache, key: str, hist: history.RepoHistory) -> bool:
        """Cache a history read in this run; False, caching nothing, when HEAD moved meanwhile."""
        if _head_now(root) != disc.head:
            return False
        c.save_history(key, hist)
        return True

    if disc.in_git:
        if cache is not None:
            hkey = cache.history_key(disc.head, opts.as_of, pathspec, settings)
            cached_history = hkey is not None and cache.has_history(hkey)
        if not cached_history:
            pending = _Background(read_history)
    for i, p in zip(light, _parse(root, [rels[i] for i in light], limits, jobs, field_map), strict=True):
        results[i] = p
    if cache is not None and prints:
        cache.store_documents((p, prints[i]) for i, p in enumerate(results) if i in prints and p is not None)
    progress.set_current(f"the git history of {root}")
    if pending is not None:
        repo_hist = pending.result()
        if cache is not None and hkey is not None and not remember(cache, hkey, repo_hist):
            hkey = None
    parsed: list[Parsed] = [p for p in results if p is not None]
    assert len(parsed) == len(rels)

    findings: list[Finding] = list(disc.findings)
    for _, _, fs in parsed:
        findings += fs

    # change-control verdicts the cache holds: same history, same bytes, same settings
    judged: dict[str, tuple[changecontrol.ControlResult, str | None]] = {}
    control_keys: dict[str, str] = {}
    to_judge = [d.path for d, _, _ in parsed if d.has_metadata and d.path not in disc.untracked]
    if cache is not None and hkey is not None:
        control_keys = cache.control_keys(hkey, ((p, p in disc.modified) for p in to_judge), opts.as_of, settings)
        judged = cache.load_controls(control_keys)
    if cached_history and any(p not in judged for p in to_judge):
        assert cache is not None and hkey is not None
        repo_hist = cache.load_history(hkey)
        if repo_hist is None:  # damaged, or evicted by another run since: read it here
            repo_hist = read_history()
            if not remember(cache, hkey, repo_hist):
                hkey, judged, control_keys = None, {}, {}
    # a history known only from the cache: complete, available, not shallow, no problems
    has_history = repo_hist is not None or cached_history

    # historical versions for the others: cached ones at once, the rest streamed in by a thread
    versions: dict[str, tuple[history.DocVersion, ...]] = {}
    loader: _VersionLoader | None = None
    to_load: list[str] = []
    if repo_hist is not None:
        findings += repo_hist.problems
        wanted = [
            _meta_path(d)
            for d, m, _ in parsed
            if _controlled(m) and d.path not in disc.untracked and d.path not in judged
        ]
        if repo_hist.available and wanted:
            hist = repo_hist

            def load(paths: Sequence[str]) -> dict[str, tuple[history.DocVersion, ...]]:
                return history.load_versions(root, hist, paths, limits)

            if cache is not None and hkey is not None:
                versions = cache.load_versions(hkey, hist, dict.fromkeys(wanted))
            to_load = [p for p in dict.fromkeys(wanted) if p not in versions]
            if to_load:
                loader = _VersionLoader(load, to_load)

    inputs: list[DocInput] = []
    fresh: list[tuple[str, changecontrol.ControlResult, str | None]] = []
    for doc, meta, _ in parsed:
        progress.set_current(doc.path)
        control = None
        if doc.path in disc.untracked:
            findings.append(make("untracked-document", "not tracked by git: not under version control", path=doc.path))
            control = Control(False, reason="not tracked by git")
        elif has_history and doc.has_metadata:
            if doc.path in judged:
                cr, last_author = judged[doc.path]
            else:
                assert repo_hist is not None  # loaded above for every document not judged
                meta_path = _meta_path(doc)
                mine = loader.get(meta_path) if loader is not None else None
                if mine is None:
                    mine = versions.get(meta_path, ())
                cr = changecontrol.check_document(
                    doc.path,
                    doc.metadata,
                    repo_hist,
                    mine,
                    settings,
                    opts.as_of,
                    tracked=True,
                    modified=doc.path in disc.modified,
                    meta_lines=doc.meta_lines,
                    sidecar=meta_path if meta_path != doc.path else None,
                )
                fh = repo_hist.files.get(doc.path)
                last_author = None
                if fh is not None and fh.changes:
                    c = fh.changes[0].commit
                    last_author = f"{c.author_name} <{c.author_email}>"
                if doc.path in control_keys:
                    fresh.append((control_keys[doc.path], cr, last_author))
            if _controlled(meta) and meta.approved:
                findings += cr.findings
            control = Control(
                controlled=cr.controlled,
                last_commit=cr.last_commit,
                last_author=last_author,
                review_due=cr.review_due,
                reason="; ".join(sorted({f.rule for f in cr.findings if f.severity == "error"}))
                or ("" if cr.controlled else "not under change control"),
                versions=cr.versions,
            )
        elif not disc.in_git:
            control = Control(False, reason="not in a git repository")
        inputs.append(DocInput(doc=doc, meta=meta, control=control))

    if loader is not None:
        loader.join()
        if cache is not None and hkey is not None:
            cache.save_versions(hkey, {p: loader.loaded.get(p, ()) for p in to_load})
    if cache is not None and hkey is not None and fresh:
        cache.save_controls(hkey, fresh)

    repo = RepoInfo(
        root=str(root),
        head=disc.head,
        available=bool(repo_hist.available) if repo_hist else cached_history,
        shallow=bool(repo_hist and repo_hist.shallow),
    )
    progress.set_current(f"the rating of {root}")
    result = evaluate(pack, inputs, repo, cfg, opts.as_of, findings)
    progress.set_current(None)
    return result
