"""The cache: one memoiser around the check's stages, values kept as JSON in SQLite.

`Memo.map` gives a stage's value for each of its items, taken from the store when an entry
exists under the fingerprint of that item's inputs and computed (then stored) otherwise;
`Memo.deferred` does the same for one value computed alongside other work. The stages never
know which: the pipeline names each stage's inputs by their fingerprints and the store is
never trusted (every value is decoded by the codec of its type, and anything else is a miss
that is computed again and overwritten). The fingerprints:

- a document read (`doc`): the path, the format, a BLAKE2b hash of the file's bytes (and of
  its sidecar's bytes for formats that read one), the tool and parser-library versions and
  ``Config.hash_key()``. The hash is of the bytes in the working tree, so a file that differs
  from the index or HEAD never reuses an entry made from another version of it. Documents
  that failed to parse are not kept (a timeout or a crashed reader must be retried), nor is
  anything that is not a plain regular file, nor a file that changed while it was read;
- the history (`history`): the HEAD commit, the shallow boundary, grafts and replace refs,
  ``as_of``, the pathspec and the approval settings. Only a complete history is kept (not an
  unavailable or shallow one, nor one read while HEAD moved). The two most recently used per
  repository and pathspec are kept, so switching between two branches does not thrash;
- a document's change-control judgement (`control`): the history's fingerprint, the
  document's, whether it differs from HEAD, the as-of date and the settings, so a re-run with
  HEAD unchanged judges only edited documents. Judgements are dropped with their history.

Why SQLite (WAL) and not one file per entry: a check of 10,000 documents reads and writes
10,000 small entries, which one transaction does in tens of milliseconds where 10,000 files
cost a create, write and rename each; SQLite makes every write atomic, lets any number of
readers run beside one writer, and serialises writers with a busy timeout, so two runs sharing
one cache both succeed. Values are JSON (`codec`, never pickle: nothing in the cache can
execute code); values over 64 KiB, a history, are stored zlib-compressed. A database file that
is not a database (or is damaged) is moved aside and a new one started. A cache that cannot be
opened or written is skipped: the check never depends on it.

The database lives in the user's cache directory (``platformdirs.user_cache_dir``), or in the
configured ``cache_dir``; it is never placed inside the checked repository unless configured
there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import sqlite3
import stat
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from .codec import BadEntry, Codec, Unencodable, tag, tag_mapping, untag, untag_mapping
from .config import Config
from .documents import Document
from .findings import Finding
from .formats import Formats, sidecar_rel
from .gitrun import GitError, run_git
from .history import Change, Commit, FileHistory, RepoHistory
from .metadata import DocMeta
from .parsing import _doc_format, _path_problem
from .result import version_entry
from .stages import Judgement, Parsed
from .yamlsource import Located

CACHE_FORMAT = 1
DB_NAME = f"escm-check-cache-v{CACHE_FORMAT}.sqlite3"
VALUE_FORMAT = 3  # part of every key: entries written in another form are never looked up
BUSY_TIMEOUT_SECONDS = 10.0
KEEP_HISTORIES = 2  # per repository and pathspec
COMPRESS_FROM = 64 * 1024  # characters
TTL_SECONDS = 30 * 86400  # entries unused this long are dropped
CHILD_KINDS = ("control",)  # scoped by the key of the history they were made from
TOUCH_AFTER_SECONDS = 86400  # a hit refreshes an entry's last use at most once a day
TOUCH_HISTORY_AFTER_SECONDS = 60  # recency decides which histories stay
_PARSER_DISTRIBUTIONS = (
    "PyYAML",
    "python-docx",
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "lxml",
    "defusedxml",
    "jsonschema",
    "msgspec",
)
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

K = TypeVar("K")
V = TypeVar("V")


# --------------------------------------------------------------------------- where


def default_cache_dir() -> Path:
    """The user's cache directory for escm-check."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("escm-check", appauthor=False))


def cache_dir_for(cfg: Config, root: Path) -> Path | None:
    """Where the cache lives for a check of `root`, or None when it must not be used.

    A configured `cache_dir` is taken as given (relative to the config file's folder). The
    default user cache directory is refused when it lies inside the checked repository (an
    unusual XDG_CACHE_HOME), since the cache is never written there unless configured.
    """
    if cfg.cache_dir:
        configured = Path(os.path.expanduser(cfg.cache_dir))
        if not configured.is_absolute():
            configured = Path(cfg.base_dir) / configured
        return configured.resolve()
    base = default_cache_dir().resolve()
    with contextlib.suppress(ValueError):
        base.relative_to(root.resolve())
        return None
    return base


# --------------------------------------------------------------------------- storage


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


class Store:
    """One SQLite database of JSON text values; every failure degrades to a miss."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = conn

    @classmethod
    def open(cls, directory: Path) -> Store | None:
        """Open (creating if need be) the database in `directory`; None when impossible."""
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return None
        path = directory / DB_NAME
        for attempt in range(2):
            try:
                return cls(path, cls._connect(path))
            except sqlite3.Error as exc:
                if attempt or not _is_corruption(exc):
                    return None
                _quarantine(path)
        return None  # pragma: no cover - the loop always returns

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            try:
                conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            except sqlite3.OperationalError as exc:
                if _is_corruption(exc):
                    raise
                # a file system without shared memory (some network mounts): rollback journal
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS entries ("
                " key TEXT PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL,"
                " used REAL NOT NULL, value TEXT NOT NULL)"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS entries_scope ON entries (kind, scope, used)")
            # the table must have the shape we use: a foreign database of the same name is not
            conn.execute("SELECT key, kind, scope, used, value FROM entries LIMIT 0")
        except BaseException:
            conn.close()
            raise
        return conn

    def _failed(self, exc: sqlite3.Error) -> None:
        """A damaged database is moved aside (a fresh one is made next run); busy is skipped."""
        if _is_corruption(exc):
            self.close()
            _quarantine(self.path)

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str | bytes, float]]:
        """(value, last use) of each key present, the value as JSON text or UTF-8 bytes;
        nothing when the database cannot be read."""
        out: dict[str, tuple[str | bytes, float]] = {}
        if self.conn is None or not keys:
            return out
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    f"SELECT key, value, used FROM entries WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, value, used in rows:
                    if isinstance(value, bytes):  # a large value, compressed
                        try:
                            value = zlib.decompress(value)  # UTF-8: the codec checks it
                        except (zlib.error, MemoryError):
                            continue  # damaged: a miss, rebuilt and overwritten
                    if isinstance(key, str) and isinstance(value, (str, bytes)) and isinstance(used, (int, float)):
                        out[key] = (value, float(used))
        except sqlite3.Error as exc:
            self._failed(exc)
            return {}
        return out

    def has(self, key: str) -> bool:
        """Whether an entry exists (without reading its value)."""
        if self.conn is None:
            return False
        try:
            return self.conn.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone() is not None
        except sqlite3.Error as exc:
            self._failed(exc)
            return False

    def put(
        self,
        rows: Iterable[tuple[str, str, str, bytes]],  # read once, as it is written
        *,
        touch: Sequence[str] = (),
        prune: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        """Write (key, kind, scope, value) rows and refresh `touch` in one transaction.

        `prune` names (kind, scope, keep): of those entries only the `keep` most recently used
        stay. On a write, entries unused for TTL_SECONDS are dropped, and versions and
        change-control verdicts whose history entry is gone with them.
        """
        if self.conn is None:
            return
        now = time.time()
        kinds: set[str] = set()

        def packed() -> Iterator[tuple[str, str, str, float, str | bytes]]:
            # one row at a time, as SQLite takes it: 50,000 verdicts are not held twice
            for k, kind, scope, v in rows:
                kinds.add(kind)
                yield k, kind, scope, now, _pack(v)

        stream = packed()
        first = next(stream, None)
        if first is None and not touch and not prune:
            return
        items = itertools.chain((first,), stream) if first is not None else iter(())
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO entries (key, kind, scope, used, value) VALUES (?, ?, ?, ?, ?)", items
                )
                if touch:
                    self.conn.executemany("UPDATE entries SET used = ? WHERE key = ?", [(now, k) for k in touch])
                for kind, scope, keep in prune:
                    self.conn.execute(
                        "DELETE FROM entries WHERE kind = ? AND scope = ? AND key NOT IN"
                        " (SELECT key FROM entries WHERE kind = ? AND scope = ?"
                        "  ORDER BY used DESC LIMIT ?)",
                        (kind, scope, kind, scope, keep),
                    )
                if first is not None:
                    self.conn.execute("DELETE FROM entries WHERE used < ?", (now - TTL_SECONDS,))
                if prune or kinds.intersection(CHILD_KINDS):
                    self.conn.execute(
                        f"DELETE FROM entries WHERE kind IN ({','.join('?' * len(CHILD_KINDS))}) AND scope NOT IN"
                        " (SELECT key FROM entries WHERE kind = 'history')",
                        CHILD_KINDS,
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self.conn = None


def _pack(value: bytes) -> str | bytes:
    """Large values (a history, its versions) are stored zlib-compressed: JSON of repeated
    names and hashes shrinks about five times for a few tenths of a second. Kept as bytes
    throughout: a long history's JSON is a hundred megabytes, not to be copied as text."""
    if len(value) < COMPRESS_FROM:
        return value.decode("utf-8")
    return zlib.compress(value, 1)


def _quarantine(path: Path) -> None:
    """Move a damaged database (and its WAL files) out of the way, then remove it.

    Renaming first keeps a process that still has the file open working on the old inode.
    """
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        aside = p.with_name(f"{p.name}.damaged-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.replace(p, aside)
        except OSError:
            continue
        with contextlib.suppress(OSError):
            aside.unlink()


# --------------------------------------------------------------------------- keys


@functools.lru_cache(maxsize=1)
def _tool_identity() -> list[Any]:
    """The tool version, the cache format, Python and the parser libraries' versions."""
    from importlib import metadata

    from . import __version__

    libs = []
    for name in _PARSER_DISTRIBUTIONS:
        try:
            libs.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            libs.append(f"{name}=-")
    return [__version__, CACHE_FORMAT, VALUE_FORMAT, list(sys.version_info[:2]), libs, _source_hash()]


def _source_hash() -> str:
    """A hash of the package's own Python sources, so a changed checker (an editable install
    between releases) never reads what an older one wrote."""
    from . import adapters

    h = hashlib.blake2b(digest_size=16)
    for folder in sorted({Path(__file__).parent, Path(adapters.__file__).parent}):
        for f in sorted(folder.rglob("*.py")):
            try:
                h.update(f"{f.relative_to(folder)}\0".encode())
                h.update(f.read_bytes())
            except OSError:
                h.update(b"?")
    return h.hexdigest()


def _stable(v: Any) -> Any:
    """JSON for key parts that json cannot take itself, the same in every process (sets are
    sorted: their iteration order changes with the string hash seed)."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: getattr(v, f.name) for f in dataclasses.fields(v)}
    if isinstance(v, msgspec.Struct):
        return msgspec.structs.asdict(v)
    if isinstance(v, (set, frozenset)):
        return sorted(json.dumps(x, sort_keys=True, default=_stable) for x in v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return repr(v)


def make_key(*parts: Any) -> str:
    """A fixed-length key for a tuple of parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=_stable)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


# --------------------------------------------------------------------------- fingerprints


def _digest_file(path: Path, limit: int) -> tuple[str, tuple[int, int, int]] | None:
    """BLAKE2b of a regular file's bytes and its (size, mtime, inode), or None.

    None for anything the adapters would refuse or treat specially: a symbolic link (not
    followed), not a regular file, over the size limit, unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        h = hashlib.blake2b(digest_size=20)
        with os.fdopen(os.dup(fd), "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest(), (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return None
    finally:
        os.close(fd)


def _stat_id(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass(frozen=True)
class Print:
    """A document's fingerprint, and what it was made from, to see the files did not change."""

    key: str
    files: tuple[tuple[Path, tuple[int, int, int] | None], ...]

    def unchanged(self) -> bool:
        """Whether every file is as it was when fingerprinted (not edited while read)."""
        return all(_stat_id(path) == ident for path, ident in self.files)


def _fingerprint(root: Path, rel: str, prefix: str, limit: int, formats: Formats | None = None) -> Print | None:
    """The fingerprint of the bytes a document is read from: the file, and its sidecar for
    formats that read one; None for a file the adapters refuse or treat specially."""
    fmt = _doc_format(rel, formats)
    parts: list[Any] = [prefix, rel, fmt]
    files: list[tuple[Path, tuple[int, int, int] | None]] = []
    if fmt != "sidecar":
        got = _digest_file(root / rel, limit)
        if got is None:
            return None
        parts.append(got[0])
        files.append((root / rel, got[1]))
    if fmt != "markdown":  # Word, PDF and other files read a sidecar NAME.ext.yaml
        side = root / sidecar_rel(rel)
        if os.path.lexists(side):
            got = _digest_file(side, limit)
            if got is None:
                return None  # a sidecar link or device: let the adapter say so
            parts.append(got[0])
            files.append((side, got[1]))
        else:
            parts.append(None)
            files.append((side, None))
    return Print(make_key(*parts), tuple(files))


# --------------------------------------------------------------------------- the memoiser


def _always(*_: Any) -> bool:
    return True


class Memo:
    """One memoiser for the stages of a check: a value by the fingerprint of its inputs.

    Without a store (the cache is off or cannot be used) it computes everything, keeps
    nothing and fingerprints nothing.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.tool = _tool_identity() if store is not None else []

    @classmethod
    def open(cls, cfg: Config, root: Path, *, enabled: bool = True) -> Memo:
        """The memo for checks of `root` under `cfg` (with no store when `enabled` is False,
        the config turns the cache off, or the cache directory cannot be used)."""
        directory = cache_dir_for(cfg, root) if enabled and cfg.cache else None
        return cls(Store.open(directory) if directory is not None else None)

    @property
    def stores(self) -> bool:
        """Whether values computed now are kept (there is a store)."""
        return self.store is not None

    def close(self) -> None:
        """Release the database."""
        if self.store is not None:
            self.store.close()

    def key(self, *parts: Any) -> str | None:
        """The fingerprint of a stage's inputs (and of this tool); None without a store."""
        return make_key(self.tool, *parts) if self.store is not None else None

    # ---- fingerprints of inputs outside the process: files and git

    def fingerprints(
        self, root: Path, rels: Sequence[str], config_key: str, limit: int, formats: Formats | None = None
    ) -> dict[str, Print]:
        """The fingerprint of each document's bytes; paths that cannot be fingerprinted
        (links, devices, files over the size limit) are left out: read, never kept."""
        if self.store is None:
            return {}
        prefix = make_key("doc", self.tool, config_key)
        out: dict[str, Print] = {}
        dirs: dict[str, str | None] = {}
        for rel in rels:
            try:
                if _path_problem(root, rel, dirs) is not None:
                    continue
            except Exception:  # a path that cannot even be examined is read_all's to report
                continue
            fp = _fingerprint(root, rel, prefix, limit, formats)
            if fp is not None:
                out[rel] = fp
        return out

    def history_key(self, root: Path, head: str | None, *parts: Any) -> str | None:
        """The fingerprint of the history at `head` (with `parts`: as-of, pathspec, settings):
        HEAD, the shallow boundary, grafts and replace refs; None when not to be kept."""
        if self.store is None or not head:
            return None
        try:
            common = run_git(root, "rev-parse", "--git-common-dir").decode("utf-8", "surrogateescape").strip()
            replace = run_git(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/replace/").decode(
                "utf-8", "surrogateescape"
            )
        except GitError:
            return None
        git_dir = Path(common) if os.path.isabs(common) else root / common
        boundary: list[str | None] = []
        for name in ("shallow", "info/grafts"):
            try:
                boundary.append(hashlib.blake2b((git_dir / name).read_bytes()).hexdigest())
            except FileNotFoundError:
                boundary.append(None)
            except OSError:
                return None
        env = [os.environ.get("GIT_NO_REPLACE_OBJECTS"), os.environ.get("GIT_GRAFT_FILE")]
        return self.key("history", head, boundary, replace, env, *parts)

    # ---- values

    def fetch(self, codec: Codec[V], keys: Sequence[str], touch_after: float = TOUCH_AFTER_SECONDS) -> dict[str, V]:
        """The values stored under `keys` that decode; a hit not used for `touch_after`
        seconds gets its last use refreshed, so expiry never drops what runs still read."""
        if self.store is None or not keys:
            return {}
        out: dict[str, V] = {}
        touch = []
        now = time.time()
        for key, (text, used) in self.store.get(keys).items():
            try:
                out[key] = codec.decode(text)
            except BadEntry:
                continue  # computed again and overwritten
            if now - used > touch_after:
                touch.append(key)
        if touch:
            self.store.put((), touch=touch)
        return out

    def keep(
        self,
        kind: str,
        codec: Codec[V],
        items: Iterable[tuple[str, V]],
        scope: str = "",
        prune: Sequence[tuple[str, str, int]] = (),
        encoded: Mapping[str, bytes] | None = None,
    ) -> None:
        """Store (key, value) pairs in one transaction; a value the codec cannot carry is not kept.
        `encoded` holds values `codec` has encoded already (a worker's bytes), by key."""
        if self.store is None:
            return
        self.store.put(self._encoded(kind, codec, items, scope, encoded or {}), prune=prune)

    @staticmethod
    def _encoded(
        kind: str, codec: Codec[V], items: Iterable[tuple[str, V]], scope: str, encoded: Mapping[str, bytes]
    ) -> Iterator[tuple[str, str, str, bytes]]:
        for key, value in items:
            sent = encoded.get(key)
            if sent is not None:
                yield key, kind, scope, sent
                continue
            try:
                yield key, kind, scope, codec.encode(value)
            except Unencodable:
                continue

    def lookup(self, codec: Codec[V], items: Sequence[K], key: Callable[[K], str | None]) -> Lookup[K, V]:
        """The stored values of `items` under `key(item)`, and the items still to compute
        (`Lookup.todo`); hand their values to `Lookup.finish`. An item whose key is None
        is always computed."""
        keys: list[str | None] = [key(x) for x in items] if self.store is not None else [None] * len(items)
        found = self.fetch(codec, [k for k in keys if k is not None])
        return Lookup(self, codec, items, keys, found)

    def map(
        self,
        kind: str,
        codec: Codec[V],
        items: Sequence[K],
        key: Callable[[K], str | None],
        compute: Callable[[Sequence[K]], Sequence[V]],
        *,
        keep: Callable[[K, V], bool] = _always,
        scope: str = "",
    ) -> list[V]:
        """`compute(items)`, with each item's value taken from the store when it holds one
        under `key(item)`; the others are computed in one call and kept when `keep` accepts
        them. An item whose key is None is always computed and never kept."""
        found = self.lookup(codec, items, key)
        return found.finish(kind, compute(found.todo) if found.todo else [], keep=keep, scope=scope)

    def deferred(
        self,
        kind: str,
        codec: Codec[V],
        key: str | None,
        compute: Callable[[], V],
        *,
        keep: Callable[[V], bool] = _always,
        scope: str = "",
        prune: int = 0,
    ) -> Deferred[V]:
        """One value, decoded from the store only when asked for, or else computed in a thread
        started now (while the caller does other work) and kept when `keep` accepts it;
        `prune` keeps only that many most recently used entries of `kind` in `scope`."""
        stored = key is not None and self.store is not None and self.store.has(key)
        pruning = [(kind, scope, prune)] if prune else []

        def load() -> V | None:
            assert key is not None
            return self.fetch(codec, [key], touch_after=TOUCH_HISTORY_AFTER_SECONDS).get(key)

        def remember(value: V) -> bool:
            if key is None or not keep(value):
                return False
            self.keep(kind, codec, [(key, value)], scope, pruning)
            return True

        return Deferred(key, compute, load if stored else None, remember)


@dataclass
class Lookup(Generic[K, V]):
    """`Memo.lookup`'s answer: what the store held, and `todo`, the items it did not."""

    memo: Memo
    codec: Codec[V]
    items: Sequence[K]
    keys: list[str | None]
    found: dict[str, V]

    @property
    def todo(self) -> list[K]:
        """The items to compute, in order."""
        return [self.items[i] for i in self._missing()]

    def _missing(self) -> list[int]:
        return [i for i, k in enumerate(self.keys) if k is None or k not in self.found]

    def finish(
        self,
        kind: str,
        computed: Sequence[V],
        *,
        keep: Callable[[K, V], bool] = _always,
        scope: str = "",
        wire: Sequence[bytes | None] = (),
    ) -> list[V]:
        """Every item's value, `computed` being the values of `todo` in order; those `keep`
        accepts are stored. `wire`, when given, holds the values of `todo` as the codec
        encoded them already (None where it did not), so they are not encoded again."""
        missing = self._missing()
        fresh = dict(zip(missing, computed, strict=True))
        sent = dict(zip(missing, wire, strict=True)) if wire else {}
        kept = []
        encoded: dict[str, bytes] = {}
        for i, value in fresh.items():
            k = self.keys[i]
            if k is not None and keep(self.items[i], value):
                kept.append((k, value))
                if (data := sent.get(i)) is not None:
                    encoded[k] = data
        self.memo.keep(kind, self.codec, kept, scope, encoded=encoded)
        return [fresh[i] if i in fresh else self.found[str(k)] for i, k in enumerate(self.keys)]


class Deferred(Generic[V]):
    """A value computed in a daemon thread (Ctrl-C must not wait for git), or decoded from
    the store on first use; `get` re-raises what the computation raised."""

    def __init__(
        self,
        key: str | None,
        compute: Callable[[], V],
        load: Callable[[], V | None] | None,
        remember: Callable[[V], bool],
    ) -> None:
        self.key = key  # None once the value in hand is not the one its key names
        self._compute = compute
        self._load = load
        self._remember = remember
        self._value: V | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._unsettled = False  # computed in the thread, not yet remembered
        if load is None:
            self._thread = threading.Thread(target=self._run, name="escm-check-stage", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._compute()
        except BaseException as exc:  # handed to the caller of get()
            self._error = exc

    def _computed(self) -> V:
        value = self._compute()
        if not self._remember(value):
            self.key = None
        return value

    def get(self, *, settle: bool = True) -> V:
        """The value: decoded, or computed (a damaged entry is computed again here).

        A value computed in the thread is remembered here, or with `settle=False` when
        `settle` is called: encoding a long history for the store is best done once what
        else the process holds has been let go."""
        with self._lock:
            if self._thread is not None:  # computing (or done, and not yet remembered)
                self._thread.join()
                self._thread = None
                if self._error is not None:
                    raise self._error
                self._unsettled = True
            elif self._value is None:
                assert self._load is not None
                self._value = self._load()
                if self._value is None:
                    self._value = self._computed()
            if settle and self._unsettled:
                self._settle()
            assert self._value is not None
            return self._value

    def settle(self) -> None:
        """Remember the value computed in the thread, if `get(settle=False)` put that off."""
        with self._lock:
            if self._unsettled:
                self._settle()

    def _settle(self) -> None:
        self._unsettled = False
        assert self._value is not None
        if not self._remember(self._value):
            self.key = None

    def peek(self) -> V | None:
        """The value when it is being computed (waiting for it) or already in hand; None when
        only the store holds it, still undecoded (stored values are complete ones)."""
        return self.get() if self._load is None or self._value is not None else None


# --------------------------------------------------------------------------- codecs


def _parsed_wire(p: Parsed) -> Any:
    doc, meta, findings = p
    wired = tag_mapping(doc.metadata)
    # most front matter is JSON already and goes as it is: no copy of the document
    return p if wired is doc.metadata else (msgspec.structs.replace(doc, metadata=wired), meta, findings)


def _parsed_back(w: Any) -> Parsed:
    doc, meta, findings = w
    metadata = untag_mapping(doc.metadata)
    if metadata is not doc.metadata:
        # the document was just decoded and is held nowhere else: set in place, not copied
        msgspec.structs.force_setattr(doc, "metadata", metadata)
    return doc, meta, findings


PARSED: Codec[Parsed] = Codec(tuple[Document, DocMeta, tuple[Finding, ...]], _parsed_wire, _parsed_back)


def _judgement_back(j: Judgement) -> Judgement:
    # decoded text is new objects each time: share each commit, date and author once more,
    # as the history and the other documents' entries already hold them
    c = j.control
    if c is None or not c.versions:
        return j
    versions = tuple(version_entry(v.commit, v.date, v.author, v.version, v.approver) for v in c.versions)
    return msgspec.structs.replace(j, control=msgspec.structs.replace(c, versions=versions))


JUDGEMENT: Codec[Judgement] = Codec(Judgement, from_wire=_judgement_back)
FLAG: Codec[bool] = Codec(bool)


@dataclass(frozen=True)
class _StoredHistory:
    """A complete history with each commit once: changes name commits by index."""

    head: str | None
    as_of: dt.date | None
    pathspec: str | None
    commits: tuple[Commit, ...]
    files: tuple[tuple[str, tuple[tuple[int, str, str | None, str | None], ...]], ...]


def _history_wire(h: RepoHistory) -> _StoredHistory:
    index = {sha: i for i, sha in enumerate(h.commits)}
    files = []
    for path, fh in h.files.items():
        rows = []
        for ch in fh.changes:
            at = index.get(ch.commit.sha)
            if at is None:
                raise Unencodable("a change names a commit outside the walk")
            rows.append((at, ch.status, ch.blob, ch.old_blob))
        files.append((path, tuple(rows)))
    return _StoredHistory(h.head, h.as_of, h.pathspec, tuple(h.commits.values()), tuple(files))


def history_codec(root: str) -> Codec[RepoHistory]:
    """The codec of a complete history of the repository at `root`."""

    def back(w: _StoredHistory) -> RepoHistory:
        commits = {c.sha: c for c in w.commits}
        order = w.commits
        n = len(order)
        files = {}
        for path, rows in w.files:
            if any(not 0 <= at < n for at, _, _, _ in rows):
                raise BadEntry("a change names a commit outside the walk")
            files[path] = FileHistory(path, tuple(Change(order[at], path, st, b, old) for at, st, b, old in rows))
        if w.head is not None and w.head not in commits:
            raise BadEntry("head is not among the commits")
        return RepoHistory(
            available=True,
            shallow=False,
            head=w.head,
            files=files,
            commits=commits,
            as_of=w.as_of,
            pathspec=w.pathspec,
            root=root,
        )

    return Codec(_StoredHistory, _history_wire, back)


def _located_wire(loc: Located) -> Any:
    return tag(loc.data), tuple((p, n) for p, n in loc.lines.items())


def _located_back(w: Any) -> Located:
    data, lines = w
    return Located("", untag(data), {tuple(p): n for p, n in lines})


LOCATED: Codec[Located] = Codec(tuple[Any, tuple[tuple[tuple[str | int, ...], int], ...]], _located_wire, _located_back)


# --------------------------------------------------------------------------- rule files


class RuleFileMemo:
    """What loading a rule pack learned, remembered between runs (see `rulepack.PackMemo`):
    data found schema-valid, and each rule file's parsed YAML.

    Parsing and validating the built-in pack is most of its load time, and a warm run (the
    hook, a re-run) loads the same files again. Keys hold the tool identity and the text or
    data, so an edited file, schema or checker is parsed and validated afresh.
    """

    def __init__(self, memo: Memo) -> None:
        self.memo = memo
        self.valid: list[tuple[str, bool]] = []
        self.yaml: list[tuple[str, Located]] = []

    @classmethod
    def open(cls, cfg: Config, root: Path) -> RuleFileMemo | None:
        """The memo for checks of `root` under `cfg`; None when the cache is disabled or unusable."""
        memo = Memo.open(cfg, root)
        return cls(memo) if memo.store is not None else None

    def _key(self, *parts: Any) -> str:
        key = self.memo.key("rule-files", *parts)
        assert key is not None  # a memo with a store
        return key

    def is_valid(self, key: str) -> bool:
        """Whether data with this validity key was found schema-valid before."""
        k = self._key("valid", key)
        return bool(self.memo.fetch(FLAG, [k]).get(k))

    def mark_valid(self, key: str) -> None:
        """Remember a validity key (written by `close`)."""
        self.valid.append((self._key("valid", key), True))

    def parsed(self, text: str, display: str) -> Located | None:
        """The parse of a file with this text, named `display`; None when not cached or damaged."""
        k = self._key("yaml", text)
        loc = self.memo.fetch(LOCATED, [k]).get(k)
        return msgspec.structs.replace(loc, path=display) if loc is not None else None

    def keep_parsed(self, text: str, loc: Located) -> None:
        """Remember the parse of a file's text (written by `close`)."""
        self.yaml.append((self._key("yaml", text), loc))

    def close(self) -> None:
        """Write what was learned and release the database."""
        self.memo.keep("valid", FLAG, self.valid)
        self.memo.keep("yaml", LOCATED, self.yaml)
        self.memo.close()
