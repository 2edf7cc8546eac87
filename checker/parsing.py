"""Which files are documents, and reading them: in-process, or in killable worker processes.

Markdown is read in this process: it is fast and pure Python. Word and PDF files go to
worker processes, because a pathological file can spin inside a C library where no Python
timeout reaches; a worker that overruns ``limits.timeout_seconds`` is killed and its file
becomes a ``parse-error`` naming the limit, and a worker that crashes (a segfault in a
parser) costs one finding, not the run. Workers are spread across cores when there are
enough files to pay for starting them.

Paths are never followed through symlinks: a symlink, or a path inside a symlinked
folder, becomes a Document with a ``file-skipped`` finding (and ``error`` set so it is
not mistaken for a document without metadata); so does a directory named like a
document, a device or a path that escapes the root.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from .adapters.limits import LIMIT_HINT, Limits, error_document, skipped_document
from .documents import Document, LocationKind
from .formats import DocFormat, Formats, classify, sidecar_rel
from .safety import adopt, drain, internal_error

_LOCATIONS: dict[str, LocationKind] = {"markdown": "line", "docx": "paragraph", "pdf": "page", "sidecar": "line"}
WORKER_FORMATS: frozenset[DocFormat] = frozenset({"docx", "pdf"})  # read in worker processes

MIN_FILES_PER_WORKER = 4  # starting a worker costs about as much as reading a few files
MAX_TASKS_PER_WORKER = 500  # recycle workers so a parser's leaks cannot accumulate


def read_one(root: Path, rel: str, limits: Limits) -> Document:
    """Read one file in this process, by format; never raises.

    There is no time limit here (use ``read_all`` for that); an unexpected exception
    becomes a ``parse-error`` Document naming it.
    """
    try:
        skip = _path_problem(root, rel, {})
    except Exception as exc:  # e.g. a NUL byte in the path
        skip = f"the path cannot be examined: {exc}"
    if skip is not None:
        return skipped_document(rel, _doc_format(rel), skip, location_kind=_location(rel))
    return _read(root, rel, limits)


def _doc_format(rel: str, formats: Formats | None = None) -> DocFormat:
    # a path discovery took without a reader of its own is read through its sidecar
    return classify(rel, formats=formats) or "sidecar"


def split_by_reader(rels: Sequence[str], formats: Formats | None = None) -> tuple[list[str], list[str]]:
    """(Word and PDF files, the rest), each in the order given: the first are read in
    killable worker processes, the rest as Markdown or sidecars."""
    heavy: list[str] = []
    light: list[str] = []
    for rel in rels:
        (heavy if _doc_format(rel, formats) in WORKER_FORMATS else light).append(rel)
    return heavy, light


def _location(rel: str, formats: Formats | None = None) -> LocationKind:
    return _LOCATIONS[_doc_format(rel, formats)]


def _read(root: Path, rel: str, limits: Limits, formats: Formats | None = None, *, keep_text: bool = True) -> Document:
    fmt = _doc_format(rel, formats)
    try:
        if fmt == "markdown":
            from .adapters.markdown import read_markdown

            # a plain string: a Path per file costs a tenth of reading a short one
            return read_markdown(os.path.join(root, rel), rel, limits, keep_text=keep_text)
        abs_path = root / rel
        if fmt == "docx":
            from .adapters.docx import read_docx

            return read_docx(abs_path, rel, limits)
        if fmt == "pdf":
            from .adapters.pdf import read_pdf

            return read_pdf(abs_path, rel, limits)
        from .adapters.sidecar import read_sidecar

        doc = read_sidecar(abs_path, rel, limits)
        if doc is None:
            return skipped_document(
                rel, "sidecar", "not a document format, and it has no sidecar (NAME.ext.yaml) to describe it"
            )
        return doc
    except Exception as exc:  # the one place a bug in an adapter is turned into a finding
        problem = internal_error(rel, "reading the file", exc)
        return Document(path=rel, format=fmt, location_kind=_LOCATIONS[fmt], problems=(problem,), error=problem.message)


def parse_bytes(
    rel: str, data: bytes | None, limits: Limits, sidecar: bytes | None = None, formats: Formats | None = None
) -> Document:
    """A document from its bytes and its sidecar's (as git stores them), by format; never raises.

    `data` None: the file itself is not there (a file described only by its sidecar needs none).
    """
    from .adapters.sidecar import parse_sidecar

    fmt = _doc_format(rel, formats)
    side = sidecar
    load = (lambda: parse_sidecar(side, sidecar_rel(rel))) if side is not None else None
    try:
        if fmt == "sidecar":
            if load is None:
                return skipped_document(rel, "sidecar", "it has no sidecar (NAME.ext.yaml) to describe it")
            return load().document(rel, "sidecar")
        if data is None:
            return skipped_document(rel, fmt, "the file is not in the index", location_kind=_LOCATIONS[fmt])
        if fmt == "markdown":
            from .adapters.markdown import parse_markdown_bytes

            return parse_markdown_bytes(data, rel, limits)
        if fmt == "docx":
            from .adapters.docx import parse_docx

            return parse_docx(data, rel, limits, load)
        from .adapters.pdf import parse_pdf

        return parse_pdf(data, rel, limits, load)
    except Exception as exc:  # as in _read: a bug in an adapter is a finding
        return error_document(
            rel,
            fmt,
            f"internal error while reading the file: {type(exc).__name__}: {exc}",
            location_kind=_LOCATIONS[fmt],
            hint="Report this as a bug in escm-check, with the file if you can share it.",
        )


def _path_problem(root: Path, rel: str, dirs: dict[str, str | None]) -> str | None:
    """Why ``rel`` must not be read (symlink anywhere on its path, not a file), or None.

    ``dirs`` caches the verdict on each folder so a large tree costs one lstat per folder.
    """
    parts = rel.split("/")
    # empty and `.` parts are what a normalised path would lose
    if not rel or "" in parts or "." in parts or ".." in parts:
        return "the path is not a plain path inside the repository"
    base = str(root)
    folder = ""
    for part in parts[:-1]:
        folder = f"{folder}/{part}" if folder else part
        if folder not in dirs:
            dirs[folder] = _folder_problem(root / folder, folder)
        if dirs[folder] is not None:
            return dirs[folder]
    try:
        st = os.lstat(os.path.join(base, rel))
    except FileNotFoundError:
        return "the file does not exist in the working tree"
    except OSError as exc:
        return f"the file cannot be examined: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link, and links are not followed"
    if stat.S_ISDIR(st.st_mode):
        return "it is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    return None


def _folder_problem(path: Path, folder: str) -> str | None:
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"folder {folder} cannot be examined: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return f"folder {folder} is a symbolic link, and links are not followed"
    if not stat.S_ISDIR(st.st_mode):
        return f"{folder} is not a folder"
    return None


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows
        return max(1, os.cpu_count() or 1)


class _Tracked(list):  # type: ignore[type-arg]
    """The results list, reporting each newly filled slot to a progress callback.

    Slots are filled in three places (skips, in-process reads, the worker pool); counting at
    the list keeps the pool free of progress concerns.
    """

    def __init__(self, size: int, progress: Callable[[int, int], None]) -> None:
        super().__init__([None] * size)
        self._done = 0
        self._progress = progress

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, int) and self[index] is None and value is not None:
            self._done += 1
            self._progress(self._done, len(self))
        super().__setitem__(index, value)


def read_all(
    root: Path,
    rels: Sequence[str],
    limits: Limits,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    formats: Formats | None = None,
    *,
    keep_text: bool = True,
) -> list[Document]:
    """Read every path, in the order given; one Document per path, never an exception.
    Without `keep_text`, Markdown documents come as `Document.without_text` leaves them.

    Word and PDF files are read in up to ``jobs`` worker processes (default: the cores
    available) under the per-file time limit; with ``limits.timeout_seconds == 0`` and
    ``jobs == 1`` everything is read in this process. Markdown and sidecar-only files are
    read here, while the workers run.
    """
    results: list[Document | None] = _Tracked(len(rels), progress) if progress is not None else [None] * len(rels)
    heavy: list[int] = []
    light: list[int] = []
    dirs: dict[str, str | None] = {}
    for i, rel in enumerate(rels):
        try:
            skip = _path_problem(root, rel, dirs)
        except Exception as exc:  # the path cannot even be examined; it is still one finding
            skip = f"the path cannot be examined: {exc}"
        fmt = _doc_format(rel, formats)
        if skip is not None:
            results[i] = skipped_document(rel, fmt, skip, location_kind=_LOCATIONS[fmt])
        elif fmt in WORKER_FORMATS:
            heavy.append(i)
        else:
            light.append(i)
    workers = max(1, jobs if jobs is not None else default_jobs())
    if heavy and (limits.timeout_seconds > 0 or workers > 1):
        size = min(workers, len(heavy), math.ceil(len(heavy) / MIN_FILES_PER_WORKER))
        try:
            pool = _Pool(root, limits, size, [(i, rels[i]) for i in heavy], results, formats)
        except OSError:  # no processes to be had: read here rather than not at all
            pool = None
        if pool is not None:
            try:
                for i in light:
                    results[i] = _read(root, rels[i], limits, formats, keep_text=keep_text)
                    pool.step(0.0)
                pool.finish()
            except OSError:
                pass  # the files still unread are read below, in this process
            finally:
                pool.close()
    for i in heavy + light:
        if results[i] is None:
            results[i] = _read(root, rels[i], limits, formats, keep_text=keep_text)
    return [
        doc
        if doc is not None
        else error_document(rels[i], _doc_format(rels[i], formats), "the file was not read (internal error)")
        for i, doc in enumerate(results)
    ]


# --------------------------------------------------------------------------- worker pool


def _context() -> Any:
    """fork where it is safe (Linux, one thread): workers start in milliseconds, already
    holding the imported parsers. Elsewhere a fresh interpreter per worker."""
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


READY = "ready"
STARTUP_SECONDS = 60.0  # a fresh interpreter (spawn) imports the parsers before its first file
MAX_START_FAILURES = 3


def _worker_main(conn: Connection, root: str, limits: Limits, formats: Formats | None = None) -> None:
    """Read the paths sent over ``conn`` until it sends None or closes."""
    import logging

    # The parent stops workers; a Ctrl-C in the terminal must not print a traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # pdfminer (the fallback) logs warnings about damaged files to stderr; the finding says it.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    base = Path(root)
    try:
        conn.send(READY)  # the time limit starts with the file, not with interpreter start-up
    except (OSError, ValueError):
        return
    while True:
        try:
            rel = conn.recv()
        except (EOFError, OSError):
            return
        if rel is None:
            return
        doc = _read(base, rel, limits, formats)
        try:
            conn.send((doc, drain()))
        except (OSError, ValueError):
            return
        except Exception as exc:  # a value in the Document that cannot be pickled
            problem = internal_error(rel, "handing the document over", exc)
            failed = Document(
                path=rel, format=doc.format, location_kind=doc.location_kind, problems=(problem,), error=problem.message
            )
            conn.send((failed, drain()))


@dataclass
class _Worker:
    proc: BaseProcess
    conn: Connection
    born: float
    ready: bool = False
    task: int | None = None
    rel: str = ""
    started: float = 0.0
    done: int = 0


class _Pool:
    """Workers fed one path at a time, each watched against the per-file time limit."""

    def __init__(
        self,
        root: Path,
        limits: Limits,
        size: int,
        tasks: list[tuple[int, str]],
        results: list[Document | None],
        formats: Formats | None = None,
    ) -> None:
        self.root = root
        self.formats = dict(formats or {})
        self.limits = limits
        self.results = results
        self.pending: deque[tuple[int, str]] = deque(tasks)
        self.start_failures = 0
        self.ctx = _context()
        if self.ctx.get_start_method() == "fork":
            _preload((rel for _, rel in tasks), self.formats)
        self.workers: list[_Worker] = []
        for _ in range(max(1, size)):
            self.workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(
            target=_worker_main,
            args=(child, str(self.root), self.limits, self.formats),
            daemon=True,
            name="escm-check-reader",
        )
        try:
            proc.start()
        finally:
            child.close()
        return _Worker(proc, parent, time.monotonic())

    def _dispatch(self) -> None:
        for w in list(self.workers):
            if w.ready and w.task is None and self.pending:
                index, rel = self.pending.popleft()
                try:
                    w.conn.send(rel)
                except (OSError, ValueError):
                    self.pending.appendleft((index, rel))
                    self._lost(w)
                    continue
                w.task, w.rel, w.started = index, rel, time.monotonic()

    def _busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.task is not None]

    def step(self, timeout: float | None) -> None:
        """Collect results and start-ups, stop overrunning workers, hand out more work."""
        live = [w for w in self.workers if w.task is not None or not w.ready]
        if live:
            handles: list[Any] = [w.conn for w in live] + [w.proc.sentinel for w in live]
            ready = set(wait(handles, timeout))
            for w in live:
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        self._lost(w)
                        continue
                    if not w.ready:
                        w.ready = True
                        self.start_failures = 0
                    else:
                        doc, tracebacks = msg
                        adopt(tracebacks)
                        self._store(w, doc)
                elif w.proc.sentinel in ready:
                    self._lost(w)
            self._overruns()
        self._dispatch()

    def _overruns(self) -> None:
        now = time.monotonic()
        limit = self.limits.timeout_seconds
        for w in list(self.workers):
            if w.task is not None and limit > 0 and now - w.started > limit:
                self._fail(
                    w,
                    f"reading the file took longer than the limit timeout_seconds "
                    f"= {limit:g} s, so it was stopped (a pathological file?)",
                    hint=LIMIT_HINT,
                )
            elif not w.ready and now - w.born > STARTUP_SECONDS:
                self._lost(w)

    def finish(self) -> None:
        """Block until every path has a Document (or no worker can be started)."""
        while self.pending or self._busy():
            if not self.workers:
                return  # read_all reads what is left in its own process
            self.step(self._wait_time())

    def _wait_time(self) -> float | None:
        now = time.monotonic()
        limit = self.limits.timeout_seconds
        deadlines = [w.born + STARTUP_SECONDS for w in self.workers if not w.ready]
        if limit > 0:
            deadlines += [w.started + limit for w in self._busy()]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now) + 0.01

    def _store(self, w: _Worker, doc: Document) -> None:
        assert w.task is not None
        self.results[w.task] = doc
        w.task = None
        w.done += 1
        if w.done >= MAX_TASKS_PER_WORKER and self.pending:
            self._retire(w)
            self.workers[self.workers.index(w)] = self._spawn()

    def _fail(self, w: _Worker, message: str, hint: str | None = None) -> None:
        assert w.task is not None
        fmt = _doc_format(w.rel, self.formats)
        self.results[w.task] = error_document(w.rel, fmt, message, location_kind=_LOCATIONS[fmt], hint=hint)
        w.task = None
        self._replace(w)

    def _lost(self, w: _Worker) -> None:
        """A worker died or its pipe broke: its file (if any) gets the reason."""
        if w.task is not None:
            self._fail(w, self._crash_message(w))
            return
        self.start_failures += 1
        if self.start_failures >= MAX_START_FAILURES:
            self._kill(w)
            self.workers.remove(w)
            return
        self._replace(w)

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        index = self.workers.index(w)
        if self.pending:
            self.workers[index] = self._spawn()
        else:
            del self.workers[index]

    @staticmethod
    def _crash_message(w: _Worker) -> str:
        w.proc.join(0.5)
        code = w.proc.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
        return (
            f"the reader process died while reading the file ({how}): the file is damaged or hostile, or memory ran out"
        )

    @staticmethod
    def _kill(w: _Worker) -> None:
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(2)
        w.conn.close()

    def _retire(self, w: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            w.conn.send(None)
        w.proc.join(2)
        self._kill(w)

    def close(self) -> None:
        """Stop every worker, politely first."""
        for w in self.workers:
            if w.task is None:
                with contextlib.suppress(OSError, ValueError):
                    w.conn.send(None)
        deadline = time.monotonic() + 2
        for w in self.workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            self._kill(w)
        self.workers = []


def _preload(rels: Any, formats: Formats | None = None) -> None:
    """Import the parsers once in the parent, so forked workers start with them loaded."""
    kinds = {_doc_format(rel, formats) for rel in rels}
    if "docx" in kinds:
        from .adapters import docx  # noqa: F401
    if "pdf" in kinds:
        import pypdfium2  # noqa: F401

        from .adapters import pdf  # noqa: F401
