"""Reading many Markdown and sidecar documents in forked worker processes.

Reading one is pure Python (about 0.35 ms for a page with ten keys of front matter), so
10,000 documents hold one core for seconds, and in a git repository share the interpreter
lock with the thread parsing `git log`. Above `MIN_DOCUMENTS`, `start` forks workers while
this process still has a single thread; each reads and normalises its share and sends the
values back in batches, msgspec-encoded (decoding one costs a seventh of reading it). This
process decodes them, meanwhile free for the history. A worker that fails or dies leaves its
unsent documents to be read here, so the result never depends on the workers.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .adapters.limits import Limits
from .cache import PARSED
from .codec import BadEntry, Unencodable
from .formats import Formats
from .parsing import default_jobs
from .stages import Parsed, read_documents

MIN_DOCUMENTS = 1000  # below this, forking and decoding cost more than they save
MIN_PER_WORKER = 500
BATCH = 200  # documents per message: small enough that decoding overlaps the reading


class Pending:
    """Documents being read; `result` waits for them, in the order asked for."""

    def __init__(
        self,
        read_here: Callable[[Sequence[str]], list[Parsed]],
        rels: Sequence[str],
        workers: list[tuple[Any, Connection, list[str]]],
    ) -> None:
        self._read_here = read_here
        self._rels = list(rels)
        self._workers = workers

    def result(self) -> list[Parsed]:
        """Every document read and normalised, in order; what a worker did not send is read here."""
        if not self._workers:
            return self._read_here(self._rels)
        got: dict[str, Parsed] = {}
        for proc, conn, share in self._workers:
            got.update(_receive(conn, share))
            conn.close()
            proc.join()
        missing = [r for r in self._rels if r not in got]
        if missing:
            got.update(zip(missing, self._read_here(missing), strict=True))
        return [got[r] for r in self._rels]


def start(
    root: Path,
    rels: Sequence[str],
    limits: Limits,
    jobs: int | None,
    field_map: Mapping[str, str | None],
    value_map: Mapping[str, Mapping[str, str]] | None = None,
    formats: Formats | None = None,
) -> Pending:
    """Start reading `rels` (Markdown and sidecar documents), in workers when it pays."""

    def read_here(todo: Sequence[str]) -> list[Parsed]:
        return read_documents(root, todo, limits, jobs, field_map, value_map, formats)

    cores = max(1, jobs if jobs is not None else default_jobs())
    count = min(cores, len(rels) // MIN_PER_WORKER)
    if len(rels) < MIN_DOCUMENTS or count < 2 or not _can_fork():
        return Pending(read_here, rels, [])
    ctx = mp.get_context("fork")
    size = math.ceil(len(rels) / count)
    workers = []
    for n in range(count):
        share = list(rels[n * size : (n + 1) * size])
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_work,
            args=(sender, root, share, limits, field_map, value_map, formats),
            name="escm-check-reader",
            daemon=True,
        )
        try:
            proc.start()
        except OSError:  # no processes to be had: this share is read here
            receiver.close()
            sender.close()
            continue
        sender.close()
        workers.append((proc, receiver, share))
    return Pending(read_here, rels, workers)


def _can_fork() -> bool:
    # fork copies only the calling thread: with other threads running, a lock one of them
    # held would stay locked in the child forever
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _work(
    conn: Connection,
    root: Path,
    share: list[str],
    limits: Limits,
    field_map: Mapping[str, str | None],
    value_map: Mapping[str, Mapping[str, str]] | None,
    formats: Formats | None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run; one message, not one per worker
    try:
        for i in range(0, len(share), BATCH):
            batch = share[i : i + BATCH]
            parsed = read_documents(root, batch, limits, 1, field_map, value_map, formats, show_progress=False)
            conn.send([(rel, _encode(p)) for rel, p in zip(batch, parsed, strict=True)])
    except (OSError, ValueError):
        pass  # the parent went away or the pipe broke: the parent reads what it lacks itself
    finally:
        conn.close()


def _encode(p: Parsed) -> bytes | None:
    try:
        return PARSED.encode(p)
    except Unencodable:
        return None  # read again in the parent, where no encoding is needed


def _receive(conn: Connection, share: Sequence[str]) -> dict[str, Parsed]:
    got: dict[str, Parsed] = {}
    while len(got) < len(share):
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            break
        for rel, data in batch:
            if data is None:
                continue
            try:
                got[rel] = PARSED.decode(data)
            except BadEntry:
                continue
    return got
