"""The check's stages as functions from values to a value: read, history, judge.

Discovery is `discover.discover` and the rating `evaluate.evaluate`; the pipeline runs them in
order and the cache memoises them (`cache.Memo`), so nothing here knows whether a value came
from the cache. Reading and judging work one document at a time: `read_document` and
`judge_document`, each mapped over the documents through `each_document`.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Container, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import msgspec

from . import changecontrol, history, progress, safety
from .adapters.limits import Limits
from .documents import Document
from .evaluate import Control
from .findings import Finding, make
from .formats import Formats, sidecar_rel
from .metadata import DocMeta, normalise
from .parsing import read_all
from .progressbar import parsing_bar

T = TypeVar("T")

Parsed = tuple[Document, DocMeta, tuple[Finding, ...]]


class Judgement(msgspec.Struct, frozen=True):
    """What version and change control says about one document, and its findings."""

    control: Control | None
    findings: tuple[Finding, ...] = ()


NOT_IN_GIT = Judgement(Control(False, reason="not in a git repository"))
NOT_JUDGED = Judgement(None)  # in git, but without metadata to judge


def each_document(path: str, doing: str, step: Callable[[], T], fallback: Callable[[Finding], T]) -> T:
    """Run one document's step (reading, judging) inside the per-document safety net: a bug
    there is `fallback(internal-error finding)` for this document, and the run goes on."""
    progress.set_current(path)
    return safety.guard(path, doing, step, fallback)


# --------------------------------------------------------------------------- read


def read_document(
    doc: Document, field_map: Mapping[str, str | None], value_map: Mapping[str, Mapping[str, str]] | None = None
) -> Parsed:
    """An adapter's Document with its normalised metadata and the findings about it.

    The text is dropped (`Document.without_text`): nothing after reading needs it, and a
    large repository's texts would be most of what the check holds and carries between
    processes."""
    return (doc.without_text(), *normalise(doc, field_map, value_map))


def read_documents(
    root: Path,
    rels: Sequence[str],
    limits: Limits,
    jobs: int | None,
    field_map: Mapping[str, str | None],
    value_map: Mapping[str, Mapping[str, str]] | None = None,
    formats: Formats | None = None,
    *,
    show_progress: bool = True,
) -> list[Parsed]:
    """Read and normalise `rels`, in order (Word and PDF in worker processes, see `read_all`);
    a progress bar on a terminal's stderr when `show_progress` (see `progressbar.wanted`)."""
    progress.set_current(f"the documents under {root}")
    with parsing_bar(len(rels), quiet=not show_progress) as bar:
        docs = read_all(root, list(rels), limits, jobs=jobs, progress=bar, formats=formats, keep_text=False)
    return [
        each_document(
            d.path, "reading the metadata", partial(read_document, d, field_map, value_map), partial(_unread, d)
        )
        for d in docs
    ]


def _unread(doc: Document, problem: Finding) -> Parsed:
    return (doc, DocMeta(valid=False), (problem,))


# --------------------------------------------------------------------------- history


def read_history(
    root: Path, as_of: dt.date, pathspec: str | None, formats: Formats | None = None
) -> history.RepoHistory:
    """The repository's history in one `git log` pass, every historical front matter read
    alongside (a history read afresh means every document is judged afresh)."""
    return history.read_history(root, as_of=as_of, pathspec=pathspec, prefetch=True, formats=formats)


# --------------------------------------------------------------------------- judge


def meta_path(doc: Document) -> str:
    """The file whose history holds the document's metadata: its sidecar, or itself."""
    return sidecar_rel(doc.path) if doc.meta_source == "sidecar" else doc.path


def controlled(meta: DocMeta) -> bool:
    """Documents under change control: everything with metadata except records."""
    return meta.type not in (None, "record")


def judge_untracked(parsed: Parsed) -> Judgement:
    """A document git does not track: not under version control."""
    path = parsed[0].path
    finding = make("untracked-document", "not tracked by git: not under version control", path=path)
    return Judgement(Control(False, reason="not tracked by git"), (finding,))


def judge_document(
    parsed: Parsed,
    repo: history.RepoHistory,
    versions: Sequence[history.DocVersion],
    settings: changecontrol.ControlSettings,
    as_of: dt.date,
    *,
    modified: bool,
    judge_only: str | None = None,
) -> Judgement:
    """Change control of one tracked document with metadata, from the history and the
    historical versions of its metadata file (`meta_path`); with `judge_only`, of that
    commit's change alone (the pre-commit hook's staged change)."""
    doc, meta, _ = parsed
    side = meta_path(doc)
    cr = changecontrol.check_document(
        doc.path,
        doc.metadata,
        repo,
        versions,
        settings,
        as_of,
        tracked=True,
        modified=modified,
        meta_lines=doc.meta_lines,
        sidecar=side if side != doc.path else None,
        judge_only=judge_only,
    )
    fh = repo.files.get(doc.path)
    last_author = fh.changes[0].commit.author if fh is not None and fh.changes else None
    control = Control(
        controlled=cr.controlled,
        last_commit=cr.last_commit,
        last_author=last_author,
        review_due=cr.review_due,
        reason="; ".join(sorted({f.rule for f in cr.findings if f.severity == "error"}))
        or ("" if cr.controlled else "not under change control"),
        versions=cr.versions,
    )
    # a version a reader's bug could not read is reported whatever the document's status
    shown = (
        cr.findings if controlled(meta) and meta.approved else tuple(f for f in cr.findings if f.rule == safety.RULE)
    )
    return Judgement(control, shown)


def judge_documents(
    parsed: Sequence[Parsed],
    repo: history.RepoHistory,
    settings: changecontrol.ControlSettings,
    as_of: dt.date,
    modified: Container[str],
    limits: Limits | None = None,
    formats: Formats | None = None,
) -> list[Judgement]:
    """`judge_document` over tracked documents with metadata; the historical versions of the
    controlled ones are read in a thread meanwhile (see `_VersionLoader`), Word and PDF
    versions under `limits`, each path by its format (`formats` first)."""
    wanted = [meta_path(d) for d, m, _ in parsed if controlled(m)]
    loader = _VersionLoader(repo, wanted, limits, formats=formats) if repo.available and wanted else None
    out = []
    for p in parsed:
        doc = p[0]
        versions = (loader.get(meta_path(doc)) if loader is not None else None) or ()
        step = partial(judge_document, p, repo, versions, settings, as_of, modified=doc.path in modified)
        out.append(each_document(doc.path, "judging its change control", step, _unjudged))
    if loader is not None:
        loader.join()
    return out


def _unjudged(problem: Finding) -> Judgement:
    return Judgement(Control(False, reason="change control could not be judged"), (problem,))


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
        repo: history.RepoHistory,
        paths: Sequence[str],
        limits: Limits | None = None,
        readers: int = VERSION_READERS,
        formats: Formats | None = None,
    ) -> None:
        paths = list(dict.fromkeys(paths))
        size = max(MIN_VERSION_CHUNK, math.ceil(len(paths) / VERSION_CHUNKS))
        self._chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
        self._where = {p: n for n, chunk in enumerate(self._chunks) for p in chunk}
        self._ready = [threading.Event() for _ in self._chunks]
        self.loaded: dict[str, tuple[history.DocVersion, ...]] = {}
        self._error: BaseException | None = None
        self._repo = repo
        self._limits = limits
        self._formats = formats
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
                got = history.load_versions(self._repo.root, self._repo, self._chunks[n], self._limits, self._formats)
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
