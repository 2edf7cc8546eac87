"""A stage mapped over many items in forked worker processes, its values sent back encoded.

Reading a Markdown document (about 0.3 ms) and judging a document's change control (about
0.3 ms for a history of a dozen versions) are pure Python, so 10,000 documents hold one core
for seconds. Above `MIN_ITEMS`, `start` forks one worker per core while this process still
has a single thread (fork copies only the calling thread: a lock another thread held would
stay locked in the child). Each worker takes the next batch of items from a counter they
share, so one slowed by a busy core takes fewer, and sends the values back through the
stage's msgspec codec, which this process decodes (a sixth of the cost
of computing) as they come, meanwhile free for the thread that reads git's log.

The result never depends on the workers: a value a worker did not send, or sent in a form
the codec refuses, is computed here. The per-document safety net runs inside the stage,
in whichever process runs it; the tracebacks a worker's net keeps come back with its
values, for `--verbose`.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import threading
from collections.abc import Callable, Hashable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from .codec import BadEntry, Codec, Unencodable
from .parsing import default_jobs
from .safety import adopt, drain

K = TypeVar("K")
V = TypeVar("V")

MIN_ITEMS = 1000  # below this, forking and decoding cost more than they save
MIN_PER_WORKER = 500
BATCH = 200  # values per message: small enough that decoding overlaps the computing


class Pending(Generic[K, V]):
    """Values being computed; `result` waits for them, in the order of the items."""

    def __init__(
        self,
        compute: Callable[[Sequence[K]], Sequence[V]],
        codec: Codec[V],
        items: Sequence[K],
        workers: list[tuple[Any, Connection]],
    ) -> None:
        self._compute = compute
        self._codec = codec
        self._items = list(items)
        self._workers = workers
        self._wire: list[bytes | None] = []

    @property
    def forked(self) -> int:
        """How many worker processes are computing."""
        return len(self._workers)

    def result(self, progress: Callable[[int, int], None] | None = None, *, keep_wire: bool = False) -> list[V]:
        """Every item's value, in order; what a worker did not send is computed here.
        `progress(done, total)` hears of each batch as it arrives. With `keep_wire`, the
        bytes each value came in are kept for `take_wire`."""
        wire: dict[int, bytes] | None = {} if keep_wire else None
        got = _receive_all(self._workers, self._codec, progress, len(self._items), wire)
        for proc, _ in self._workers:
            proc.join()
        missing = [i for i in range(len(self._items)) if i not in got]
        if missing:
            values = self._compute([self._items[i] for i in missing])
            got.update(zip(missing, values, strict=True))
        if progress is not None:
            progress(len(self._items), len(self._items))
        if wire is not None:
            self._wire = [wire.get(i) for i in range(len(self._items))]
        return [got[i] for i in range(len(self._items))]

    def take_wire(self) -> list[bytes | None]:
        """Each value as a worker encoded it (None where it was computed here), once, after
        `result(keep_wire=True)`: what the cache stores without encoding the values again."""
        wire, self._wire = self._wire, []
        return wire


def start(
    items: Sequence[K],
    compute: Callable[[Sequence[K]], Sequence[V]],
    codec: Codec[V],
    jobs: int | None = None,
) -> Pending[K, V]:
    """Start computing `compute(items)` (a function of each item alone), in workers when it pays."""
    cores = max(1, jobs if jobs is not None else default_jobs())
    count = min(cores, len(items) // MIN_PER_WORKER)
    if len(items) < MIN_ITEMS or count < 2 or not _can_fork():
        return Pending(compute, codec, items, [])
    ctx = mp.get_context("fork")
    taken = ctx.Value("q", 0)  # the first item no worker has taken yet
    workers = []
    for _ in range(count):
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_work, args=(sender, compute, codec, items, taken), name="escm-check-worker", daemon=True
        )
        try:
            proc.start()
        except OSError:  # no processes to be had: the others, or this process, take the items
            receiver.close()
            sender.close()
            continue
        sender.close()
        workers.append((proc, receiver))
    return Pending(compute, codec, items, workers)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _work(
    conn: Connection,
    compute: Callable[[Sequence[Hashable]], Sequence[Any]],
    codec: Codec[Any],
    items: Sequence[Any],
    taken: Any,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run; one message, not one per worker
    try:
        while True:
            with taken.get_lock():
                start_at = taken.value
                taken.value = min(len(items), start_at + BATCH)
            if start_at >= len(items):
                break
            batch = range(start_at, min(len(items), start_at + BATCH))
            values = compute([items[i] for i in batch])
            conn.send(([(i, _encode(codec, v)) for i, v in zip(batch, values, strict=True)], drain()))
    except (OSError, ValueError):
        pass  # the parent went away or the pipe broke: the parent computes what it lacks
    finally:
        conn.close()


def _encode(codec: Codec[Any], value: Any) -> bytes | None:
    try:
        return codec.encode(value)
    except Unencodable:
        return None  # computed again in the parent, where nothing needs encoding


def _receive_all(
    workers: Sequence[tuple[Any, Connection]],
    codec: Codec[V],
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    wire: dict[int, bytes] | None = None,
) -> dict[int, V]:
    """The values the workers send, taken from whichever has a batch ready: a worker whose
    pipe is full waits for this process, so reading one worker to its end would stall the rest.
    `wire` is given each value's bytes as sent; the tracebacks each batch carries are kept
    here (`safety.adopt`)."""
    got: dict[int, V] = {}
    done = 0
    open_ = [conn for _, conn in workers]
    while open_:
        for conn in wait(open_):
            assert isinstance(conn, Connection)
            try:
                batch, tracebacks = conn.recv()
            except (EOFError, OSError):  # done, or ended early: what no worker sent is computed here
                open_.remove(conn)
                conn.close()
                continue
            adopt(tracebacks)
            done += len(batch)
            if progress is not None:
                progress(done, total)
            for i, data in batch:
                if data is None:
                    continue
                try:
                    got[i] = codec.decode(data)
                except BadEntry:
                    continue
                if wire is not None:
                    wire[i] = data
    return got
