"""The parse and history cache: JSON values in one SQLite database, never trusted.

What is cached, and under which key:

- A parsed document (the adapter's ``Document`` plus ``metadata.normalise``'s ``DocMeta`` and
  findings), keyed by the path, the format, a BLAKE2b hash of the file's bytes (and of its
  sidecar's bytes for formats that read one), the tool and parser-library versions, the cache
  format number and ``Config.hash_key()``. The content hash is taken from the bytes in the
  working tree, so a file that differs from the index or from HEAD can never reuse an entry
  made from another version of it; reading and hashing every document costs about what the
  floor's own read of every document costs. Documents that failed to parse are not cached (a
  timeout or a crashed reader must be retried), nor is anything that is not a plain regular
  file (symbolic links are left to ``parsing.read_all`` to refuse).
- The history (what ``history.read_history`` returns), keyed by the HEAD commit, the shallow
  boundary, grafts and replace refs, ``as_of``, the pathspec and the approval settings; and
  under that key, each document's historical versions of front matter (what
  ``history.load_versions`` returns for it, one entry per path so that re-judging one edited
  document reads one small entry). Only
  complete results are cached: an unavailable or shallow history, or a version whose object is
  missing, is read again next time. The two most recently used history entries per repository
  and pathspec are kept, so switching between two branches does not thrash.
- Each document's change-control verdict (`changecontrol.check_document`'s result), keyed by
  the history's key, the document's cache key (its bytes), whether it differs from HEAD, the
  as-of date and the settings: a re-run with HEAD unchanged judges only edited documents.
  Versions and verdicts are dropped with the history entry they were made from.

Why SQLite (WAL) and not one file per entry: a check of 10,000 documents reads and writes
10,000 small entries, which one transaction does in tens of milliseconds where 10,000 files
cost a create, write and rename each; SQLite makes every write atomic, lets any number of
readers run beside one writer, and serialises writers with a busy timeout, so two runs sharing
one cache both succeed. Every value is still JSON (never pickle: nothing in the cache can
execute code; values over 64 KiB, a history, are stored zlib-compressed) and is decoded by a
strict reader: an entry of the wrong shape, truncated or of garbage bytes is a miss and is
rebuilt; a database file that is not a database (or is damaged) is moved aside and a new one
started. A cache that cannot be opened or written is
skipped: the check never depends on it.

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
import json
import os
import sqlite3
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .adapters.limits import Limits
from .changecontrol import ControlResult
from .config import Config
from .documents import Document, Section, Tag
from .findings import Finding
from .gitrun import GitError, run_git
from .history import Change, Commit, DocVersion, FileHistory, RepoHistory
from .metadata import DocMeta
from .result import VersionEntry
from .yamlsource import JsonPath, Located

CACHE_FORMAT = 1
DB_NAME = f"escm-check-cache-v{CACHE_FORMAT}.sqlite3"
BUSY_TIMEOUT_SECONDS = 10.0
KEEP_HISTORIES = 2  # per repository and pathspec
COMPRESS_FROM = 64 * 1024  # characters
TTL_SECONDS = 30 * 86400  # entries unused this long are dropped
CHILD_KINDS = ("versions", "control")  # scoped by the key of the history they were made from
TOUCH_AFTER_SECONDS = 86400  # a hit refreshes an entry's last use at most once a day
_PARSER_DISTRIBUTIONS = (
    "PyYAML",
    "python-docx",
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "lxml",
    "defusedxml",
    "jsonschema",
)
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

Parsed = tuple[Document, DocMeta, tuple[Finding, ...]]


class BadEntry(ValueError):
    """A cache value that is not what this version of the tool writes; treated as a miss."""


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

    def get(self, keys: Sequence[str]) -> dict[str, tuple[str, float]]:
        """(value, last use) of each key present; nothing when the database cannot be read."""
        out: dict[str, tuple[str, float]] = {}
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
                            value = zlib.decompress(value).decode("utf-8")
                        except (zlib.error, UnicodeDecodeError, MemoryError):
                            continue  # damaged: a miss, rebuilt and overwritten
                    if isinstance(key, str) and isinstance(value, str) and isinstance(used, (int, float)):
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
        rows: Iterable[tuple[str, str, str, str]],
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
        items = [(k, kind, scope, now, _pack(v)) for k, kind, scope, v in rows]
        if not items and not touch and not prune:
            return
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
                if items:
                    self.conn.execute("DELETE FROM entries WHERE used < ?", (now - TTL_SECONDS,))
                if prune or any(kind in CHILD_KINDS for _, kind, _, _, _ in items):
                    self.conn.execute(
                        "DELETE FROM entries WHERE kind IN (?, ?) AND scope NOT IN"
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


def _pack(value: str) -> str | bytes:
    """Large values (a history, its versions) are stored zlib-compressed: JSON of repeated
    names and hashes shrinks about five times for a few tenths of a second."""
    if len(value) < COMPRESS_FROM:
        return value
    return zlib.compress(value.encode("utf-8"), 1)


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

    libs = []
    for name in _PARSER_DISTRIBUTIONS:
        try:
            libs.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            libs.append(f"{name}=-")
    return [__version__, CACHE_FORMAT, list(sys.version_info[:2]), libs, _source_hash()]


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
    if isinstance(v, (set, frozenset)):
        return sorted(json.dumps(x, sort_keys=True, default=_stable) for x in v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return repr(v)


def make_key(*parts: Any) -> str:
    """A fixed-length key for a tuple of parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=_stable)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


# --------------------------------------------------------------------------- value codecs


class _Unencodable(ValueError):
    """A value the JSON codec does not carry exactly; the entry is not written."""


_SPECIAL = "\x00"


def enc_value(v: Any) -> Any:
    """A metadata value as JSON, with dates, tuples and non-string keys tagged."""
    t = type(v)
    if t is str or t is bool or t is int or t is float or v is None:
        return v
    if t is dt.datetime:
        return {"\x00dt": v.isoformat()}
    if t is dt.date:
        return {"\x00d": v.isoformat()}
    if t is list:
        return [enc_value(x) for x in v]
    if t is tuple:
        return {"\x00t": [enc_value(x) for x in v]}
    if t is dict:
        if all(type(k) is str and not k.startswith(_SPECIAL) for k in v):
            return {k: enc_value(x) for k, x in v.items()}
        return {"\x00m": [[enc_value(k), enc_value(x)] for k, x in v.items()]}
    raise _Unencodable(f"cannot cache a value of type {t.__name__}")


def dec_value(v: Any) -> Any:
    """The inverse of `enc_value`; BadEntry on anything it would not have written."""
    t = type(v)
    if t is str or t is bool or t is int or t is float or v is None:
        return v
    if t is list:
        return [dec_value(x) for x in v]
    if t is not dict:
        raise BadEntry(f"unexpected JSON value {t.__name__}")
    if len(v) == 1:
        ((tag, inner),) = v.items()
        if tag.startswith(_SPECIAL):
            try:
                if tag == "\x00dt":
                    return dt.datetime.fromisoformat(_s(inner))
                if tag == "\x00d":
                    return dt.date.fromisoformat(_s(inner))
                if tag == "\x00t":
                    return tuple(dec_value(x) for x in _list(inner))
                if tag == "\x00m":
                    out: dict[Any, Any] = {}
                    for pair in _list(inner):
                        k, x = _pair(pair)
                        out[dec_value(k)] = dec_value(x)
                    return out
            except (TypeError, ValueError) as exc:  # a bad date, an unhashable key
                raise BadEntry(str(exc)) from None
            raise BadEntry(f"unknown tag {tag!r}")
    return {k: dec_value(x) for k, x in v.items()}


def _s(v: Any) -> str:
    if type(v) is not str:
        raise BadEntry("expected a string")
    return v


def _os(v: Any) -> str | None:
    return None if v is None else _s(v)


def _i(v: Any) -> int:
    if type(v) is not int:
        raise BadEntry("expected an integer")
    return v


def _oi(v: Any) -> int | None:
    return None if v is None else _i(v)


def _b(v: Any) -> bool:
    if type(v) is not bool:
        raise BadEntry("expected a boolean")
    return v


def _list(v: Any, n: int | None = None) -> list[Any]:
    if type(v) is not list or (n is not None and len(v) != n):
        raise BadEntry("expected a list" + (f" of {n}" if n is not None else ""))
    return v


def _pair(v: Any) -> tuple[Any, Any]:
    a, b = _list(v, 2)
    return a, b


def _obj(v: Any) -> dict[str, Any]:
    if type(v) is not dict:
        raise BadEntry("expected an object")
    return v


def _choice(v: Any, allowed: frozenset[str]) -> Any:
    if v not in allowed or type(v) is not str:
        raise BadEntry(f"unexpected value {v!r}")
    return v


def _odate(v: Any) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(_s(v))
    except ValueError:
        raise BadEntry("bad date") from None


def _check_str(v: Any) -> str:
    if type(v) is not str:
        raise _Unencodable("expected a string")
    return v


def _check_ostr(v: Any) -> str | None:
    return None if v is None else _check_str(v)


def _check_int(v: Any) -> int:
    if type(v) is not int:
        raise _Unencodable("expected an integer")
    return v


def _check_oint(v: Any) -> int | None:
    return None if v is None else _check_int(v)


_SEVERITIES = frozenset({"error", "warning", "info"})
_FORMATS = frozenset({"markdown", "docx", "pdf", "sidecar"})
_LOCATIONS = frozenset({"line", "paragraph", "page"})


def enc_finding(f: Finding) -> list[Any]:
    """A finding as a JSON list."""
    return [
        _check_str(f.rule),
        _check_str(f.severity),
        _check_str(f.message),
        _check_ostr(f.path),
        _check_oint(f.line),
        _check_ostr(f.practice),
        _check_ostr(f.activity),
        _check_str(f.hint),
        _check_ostr(f.cause),
    ]


def dec_finding(v: Any) -> Finding:
    """The inverse of `enc_finding`."""
    rule, sev, msg, path, line, practice, activity, hint, cause = _list(v, 9)
    return Finding(
        rule=_s(rule),
        severity=_choice(sev, _SEVERITIES),
        message=_s(msg),
        path=_os(path),
        line=_oi(line),
        practice=_os(practice),
        activity=_os(activity),
        hint=_s(hint),
        cause=_os(cause),
    )


def enc_document(d: Document) -> dict[str, Any]:
    """A Document as a JSON object."""
    if type(d.metadata) is not dict or type(d.meta_lines) is not dict:
        raise _Unencodable("metadata is not a dict")
    return {
        "path": _check_str(d.path),
        "format": _check_str(d.format),
        "metadata": enc_value(d.metadata),
        "meta_lines": {_check_str(k): _check_int(v) for k, v in d.meta_lines.items()},
        "meta_source": _check_str(d.meta_source),
        "has_metadata": bool(d.has_metadata),
        "sections": [
            [
                _check_str(s.heading),
                _check_int(s.level),
                _check_int(s.start),
                _check_int(s.end),
                [[_check_str(t.practice), _check_str(t.activity), _check_int(t.line)] for t in s.tags],
                _check_str(s.text),
            ]
            for s in d.sections
        ],
        "text": _check_str(d.text),
        "location_kind": _check_str(d.location_kind),
        "problems": [enc_finding(f) for f in d.problems],
        "error": _check_ostr(d.error),
    }


def dec_document(v: Any) -> Document:
    """The inverse of `enc_document`."""
    o = _obj(v)
    try:
        meta = dec_value(_obj(o["metadata"]))
        sections = []
        for s in _list(o["sections"]):
            heading, level, start, end, tags, text = _list(s, 6)
            tag_rows = (_list(t, 3) for t in _list(tags))
            sections.append(
                Section(
                    heading=_s(heading),
                    level=_i(level),
                    start=_i(start),
                    end=_i(end),
                    tags=tuple(Tag(_s(p), _s(a), _i(ln)) for p, a, ln in tag_rows),
                    text=_s(text),
                )
            )
        return Document(
            path=_s(o["path"]),
            format=_choice(o["format"], _FORMATS),
            metadata=meta,
            meta_lines={_s(k): _i(x) for k, x in _obj(o["meta_lines"]).items()},
            meta_source=_s(o["meta_source"]),
            has_metadata=_b(o["has_metadata"]),
            sections=tuple(sections),
            text=_s(o["text"]),
            location_kind=_choice(o["location_kind"], _LOCATIONS),
            problems=tuple(dec_finding(f) for f in _list(o["problems"])),
            error=_os(o["error"]),
        )
    except KeyError as exc:
        raise BadEntry(f"missing field {exc}") from None


def _check_odate(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is not dt.date:
        raise _Unencodable("expected a date")
    return str(v.isoformat())


def enc_meta(m: DocMeta) -> list[Any]:
    """A DocMeta as a JSON list."""
    if type(m.satisfies) is not dict:
        raise _Unencodable("satisfies is not a dict")
    return [
        _check_ostr(m.id),
        _check_ostr(m.title),
        _check_ostr(m.type),
        [_check_str(p) for p in m.practices],
        {_check_str(k): [_check_str(a) for a in acts] for k, acts in m.satisfies.items()},
        _check_ostr(m.status),
        _check_ostr(m.version),
        _check_ostr(m.owner),
        _check_ostr(m.approved_by),
        _check_odate(m.approved_on),
        _check_odate(m.reviewed_on),
        _check_ostr(m.review_cycle),
        _check_odate(m.next_review),
        _check_odate(m.date),
        _check_ostr(m.record_kind),
        bool(m.valid),
    ]


def dec_meta(v: Any) -> DocMeta:
    """The inverse of `enc_meta`."""
    (
        id_,
        title,
        type_,
        practices,
        satisfies,
        status,
        version,
        owner,
        approved_by,
        approved_on,
        reviewed_on,
        review_cycle,
        next_review,
        date,
        record_kind,
        valid,
    ) = _list(v, 16)
    return DocMeta(
        id=_os(id_),
        title=_os(title),
        type=_os(type_),
        practices=tuple(_s(p) for p in _list(practices)),
        satisfies={_s(k): tuple(_s(a) for a in _list(acts)) for k, acts in _obj(satisfies).items()},
        status=_os(status),
        version=_os(version),
        owner=_os(owner),
        approved_by=_os(approved_by),
        approved_on=_odate(approved_on),
        reviewed_on=_odate(reviewed_on),
        review_cycle=_os(review_cycle),
        next_review=_odate(next_review),
        date=_odate(date),
        record_kind=_os(record_kind),
        valid=_b(valid),
    )


def enc_parsed(p: Parsed) -> str:
    """A parsed document (Document, DocMeta, normalise findings) as JSON text."""
    doc, meta, findings = p
    return json.dumps(
        [enc_document(doc), enc_meta(meta), [enc_finding(f) for f in findings]],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def dec_parsed(text: str) -> Parsed:
    """The inverse of `enc_parsed`; BadEntry for anything else."""
    try:
        v = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadEntry(f"not JSON: {exc}") from None
    doc, meta, findings = _list(v, 3)
    return dec_document(doc), dec_meta(meta), tuple(dec_finding(f) for f in _list(findings))


# --------------------------------------------------------------------------- history codecs


def enc_history(h: RepoHistory) -> str:
    """A RepoHistory as JSON text: commits in walk order, changes by commit index."""
    index: dict[str, int] = {}
    commits = []
    for i, c in enumerate(h.commits.values()):
        index[c.sha] = i
        commits.append(
            [
                c.sha,
                list(c.parents),
                c.author_name,
                c.author_email,
                c.author_date.isoformat(),
                c.committer_name,
                c.committer_email,
                c.committer_date.isoformat(),
                c.message,
                [[k, v] for k, v in c.trailers],
            ]
        )
    files = []
    for path, fh in h.files.items():
        changes = []
        for ch in fh.changes:
            at = index.get(ch.commit.sha)
            if at is None or h.commits[ch.commit.sha] is not ch.commit:
                raise _Unencodable("a change names a commit outside the walk")
            changes.append([at, ch.status, ch.blob, ch.old_blob])
        files.append([path, changes])
    return json.dumps(
        {
            "head": h.head,
            "as_of": h.as_of.isoformat() if h.as_of else None,
            "pathspec": h.pathspec,
            "commits": commits,
            "files": files,
        },
        ensure_ascii=True,
        separators=(",", ":"),
    )


def dec_history(text: str, root: str) -> RepoHistory:
    """The inverse of `enc_history` (an available, non-shallow history without problems)."""
    try:
        o = _obj(json.loads(text))
    except (ValueError, RecursionError) as exc:
        raise BadEntry(f"not JSON: {exc}") from None
    try:
        fromiso = dt.datetime.fromisoformat
        commits: dict[str, Commit] = {}
        order: list[Commit] = []
        str_ = str
        for c in _list(o["commits"]):
            sha, parents, an, ae, ad, cn, ce, cd, msg, trailers = _list(c, 10)
            # checked inline: a call per field would double the time of a large history
            if (
                type(sha) is not str_
                or type(an) is not str_
                or type(ae) is not str_
                or type(ad) is not str_
                or type(cn) is not str_
                or type(ce) is not str_
                or type(cd) is not str_
                or type(msg) is not str_
                or any(type(p) is not str_ for p in _list(parents))
            ):
                raise BadEntry("a commit field is not text")
            pairs = tuple(_pair(t) for t in _list(trailers))
            if any(type(k) is not str_ or type(x) is not str_ for k, x in pairs):
                raise BadEntry("a trailer is not text")
            commit = Commit(sha, tuple(parents), an, ae, fromiso(ad), cn, ce, fromiso(cd), msg, pairs)
            commits[sha] = commit
            order.append(commit)
        n = len(order)
        files: dict[str, FileHistory] = {}
        for entry in _list(o["files"]):
            path, changes = _pair(entry)
            path = _s(path)
            chs = []
            for x in _list(changes):
                if type(x) is not list or len(x) != 4:
                    raise BadEntry("a change is not a list of four")
                at, status, blob, old = x
                if (
                    type(at) is not int
                    or not 0 <= at < n
                    or type(status) is not str_
                    or (blob is not None and type(blob) is not str_)
                    or (old is not None and type(old) is not str_)
                ):
                    raise BadEntry("a change field is wrong")
                chs.append(Change(order[at], path, status, blob, old))
            files[path] = FileHistory(path, tuple(chs))
        head = _os(o["head"])
        if head is not None and head not in commits:
            raise BadEntry("head is not among the commits")
        return RepoHistory(
            available=True,
            shallow=False,
            head=head,
            files=files,
            commits=commits,
            as_of=_odate(o["as_of"]),
            pathspec=_os(o["pathspec"]),
            root=root,
        )
    except KeyError as exc:
        raise BadEntry(f"missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, BadEntry):
            raise
        raise BadEntry(str(exc)) from None


_VERSION_FIELDS = tuple(
    f.name for f in dataclasses.fields(DocVersion) if f.name not in ("commit", "missing", "problem")
)
_SCALARS = (str, bool, int, type(None))


def enc_versions(path: str, versions: Sequence[DocVersion]) -> str:
    """One path's historical versions as JSON text: each its commit's hash and its other
    fields in the order of `_VERSION_FIELDS` (all plain scalars)."""
    rows = []
    for v in versions:
        if v.missing or v.problem is not None:
            raise _Unencodable("a version is missing")
        row: list[Any] = [v.commit.sha]
        for name in _VERSION_FIELDS:
            value = getattr(v, name)
            if type(value) not in _SCALARS:
                raise _Unencodable(f"DocVersion.{name} is not a plain value")
            row.append(value)
        rows.append(row)
    return json.dumps([path, rows], ensure_ascii=True, separators=(",", ":"))


def dec_versions(text: str, repo: RepoHistory) -> tuple[str, tuple[DocVersion, ...]]:
    """The inverse of `enc_versions`, with commits taken from `repo`."""
    try:
        v = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadEntry(f"not JSON: {exc}") from None
    path, rows = _list(v, 2)
    width = len(_VERSION_FIELDS) + 1
    out = []
    for row in _list(rows):
        row = _list(row, width)
        commit = repo.commits.get(_s(row[0]))
        if commit is None:
            raise BadEntry("a version names an unknown commit")
        if any(type(x) not in _SCALARS for x in row):
            raise BadEntry("a version field is not a plain value")
        try:
            out.append(DocVersion(commit, **dict(zip(_VERSION_FIELDS, row[1:], strict=True))))
        except TypeError as exc:
            raise BadEntry(str(exc)) from None
    return _s(path), tuple(out)


def _enc_date(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is not dt.date:
        raise _Unencodable("expected a date")
    return str(v.isoformat())


def enc_control(r: ControlResult, last_author: str | None) -> str:
    """A change-control verdict, and the author of the document's last change, as JSON."""
    return json.dumps(
        [
            _check_str(r.path),
            bool(r.controlled),
            _check_ostr(r.last_commit),
            _enc_date(r.last_change_date),
            _enc_date(r.last_review),
            _enc_date(r.review_due),
            [
                [
                    _check_str(v.commit),
                    _check_str(v.date),
                    _check_str(v.author),
                    _check_ostr(v.version),
                    _check_ostr(v.approver),
                ]
                for v in r.versions
            ],
            [enc_finding(f) for f in r.findings],
            _check_str(r.reason),
            _check_ostr(last_author),
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def dec_control(text: str) -> tuple[ControlResult, str | None]:
    """The inverse of `enc_control`; BadEntry for anything else."""
    try:
        v = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadEntry(f"not JSON: {exc}") from None
    (path, controlled, last, changed, reviewed, due, versions, findings, reason, last_author) = _list(v, 10)
    entries = []
    str_ = str
    for x in _list(versions):
        if type(x) is not list or len(x) != 5:
            raise BadEntry("a version entry is not a list of five")
        c, d, a, ver, appr = x
        if (
            type(c) is not str_
            or type(d) is not str_
            or type(a) is not str_
            or (ver is not None and type(ver) is not str_)
            or (appr is not None and type(appr) is not str_)
        ):
            raise BadEntry("a version entry field is wrong")
        entries.append(VersionEntry(c, d, a, ver, appr))
    return ControlResult(
        path=_s(path),
        controlled=_b(controlled),
        last_commit=_os(last),
        last_change_date=_odate(changed),
        last_review=_odate(reviewed),
        review_due=_odate(due),
        versions=tuple(entries),
        findings=tuple(dec_finding(f) for f in _list(findings)),
        reason=_s(reason),
    ), _os(last_author)


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
class _Print:
    """What a document's cache key was made from, to check the files did not change."""

    key: str
    files: tuple[tuple[Path, tuple[int, int, int] | None], ...]


# --------------------------------------------------------------------------- rule files


K = TypeVar("K")
V = TypeVar("V")


def _fetch(store: Store, keys: Mapping[K, str], decode: Callable[[K, str], V | None]) -> dict[K, V]:
    """Decode the entries present under `keys` (name -> key); an entry `decode` rejects (None
    or BadEntry) is a miss. Hits not used for a day get their last use refreshed."""
    found = store.get(list(keys.values()))
    out: dict[K, V] = {}
    touch = []
    now = time.time()
    for name, key in keys.items():
        row = found.get(key)
        if row is None:
            continue
        try:
            value = decode(name, row[0])
        except BadEntry:
            continue
        if value is None:
            continue
        out[name] = value
        if now - row[1] > TOUCH_AFTER_SECONDS:
            touch.append(key)
    if touch:
        store.put((), touch=touch)
    return out


class RuleFileMemo:
    """What loading a rule pack learned, remembered in the store between runs (see
    `rulepack.PackMemo`): data found schema-valid, and each rule file's parsed YAML.

    Parsing and validating the built-in pack is most of its load time, and a warm run (the
    hook, a re-run) loads the same files again. Keys hold the tool identity and the text or
    data, so an edited file, schema or checker is parsed and validated afresh.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.prefix = make_key("rule-files", _tool_identity())
        self.new: list[tuple[str, str, str, str]] = []

    @classmethod
    def open(cls, cfg: Config, root: Path) -> RuleFileMemo | None:
        """The memo for checks of `root` under `cfg`; None when the cache is disabled or unusable."""
        directory = cache_dir_for(cfg, root) if cfg.cache else None
        store = Store.open(directory) if directory is not None else None
        return cls(store) if store is not None else None

    def is_valid(self, key: str) -> bool:
        """Whether data with this validity key was found schema-valid before."""
        return bool(_fetch(self.store, {key: make_key(self.prefix, "valid", key)}, lambda _, text: text))

    def mark_valid(self, key: str) -> None:
        """Remember a validity key (written by `close`)."""
        self.new.append((make_key(self.prefix, "valid", key), "valid", "", "true"))

    def parsed(self, text: str, display: str) -> Located | None:
        """The parse of a file with this text, named `display`; None when not cached or damaged."""
        # a damaged entry is a miss: parsed again and overwritten
        return _fetch(self.store, {0: make_key(self.prefix, "yaml", text)}, lambda _, v: dec_located(v, display)).get(0)

    def keep_parsed(self, text: str, loc: Located) -> None:
        """Remember the parse of a file's text (written by `close`)."""
        try:
            value = enc_located(loc)
        except (ValueError, TypeError):
            return  # a value JSON cannot hold (YAML binary): parsed every time
        self.new.append((make_key(self.prefix, "yaml", text), "yaml", "", value))

    def close(self) -> None:
        """Write what was learned and release the database."""
        self.store.put(self.new)
        self.store.close()


def enc_located(loc: Located) -> str:
    """Parsed data-file YAML (JSON-shaped data and the line of each JSON path) as JSON text."""
    return json.dumps(
        {"data": loc.data, "lines": [[list(p), n] for p, n in loc.lines.items()]},
        ensure_ascii=True,
        separators=(",", ":"),
        allow_nan=False,
    )


def dec_located(text: str, display: str) -> Located:
    """The inverse of `enc_located`, for the file named `display`; BadEntry for anything else."""
    try:
        o = _obj(json.loads(text))
        lines: dict[JsonPath, int] = {}
        for entry in _list(o["lines"]):
            path, line = _pair(entry)
            parts = tuple(_list(path))
            if any(type(x) is not str and type(x) is not int for x in parts):
                raise BadEntry("a JSON path part is not text or a number")
            lines[parts] = _i(line)
        return Located(display, o["data"], lines)
    except (ValueError, RecursionError) as exc:
        raise BadEntry(f"not JSON: {exc}") from None
    except KeyError as exc:
        raise BadEntry(f"missing field {exc}") from None


# --------------------------------------------------------------------------- the cache


class Cache:
    """The cache for one check: documents, history and versions of one repository."""

    def __init__(self, store: Store, root: Path, cfg: Config) -> None:
        self.store = store
        self.root = root
        self.config_key = cfg.hash_key()
        self.limits = Limits.from_mapping(cfg.limits)
        self.tool = _tool_identity()
        self._doc_prefix = make_key("doc", self.tool, self.config_key)
        self.verified: dict[str, str] = {}  # path -> key of a parse known to match the bytes
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, cfg: Config, root: Path) -> Cache | None:
        """The cache for a check of `root` under `cfg`; None when disabled or unusable."""
        if not cfg.cache:
            return None
        directory = cache_dir_for(cfg, root)
        if directory is None:
            return None
        store = Store.open(directory)
        return cls(store, root, cfg) if store is not None else None

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    # ---- documents

    def _fingerprint(self, rel: str, fmt: str) -> _Print | None:
        from .adapters.sidecar import sidecar_rel

        path = self.root / rel
        parts: list[Any] = [self._doc_prefix, rel, fmt]
        files: list[tuple[Path, tuple[int, int, int] | None]] = []
        limit = self.limits.max_file_bytes
        if fmt != "sidecar":
            got = _digest_file(path, limit)
            if got is None:
                return None
            parts.append(got[0])
            files.append((path, got[1]))
        if fmt != "markdown":  # Word, PDF and other files read a sidecar NAME.ext.yaml
            side = self.root / sidecar_rel(rel)
            if os.path.lexists(side):
                got = _digest_file(side, limit)
                if got is None:
                    return None  # a sidecar link or device: let the adapter say so
                parts.append(got[0])
                files.append((side, got[1]))
            else:
                parts.append(None)
                files.append((side, None))
        return _Print(make_key(*parts), tuple(files))

    def lookup_documents(
        self, rels: Sequence[str], formats: Sequence[str]
    ) -> tuple[dict[int, Parsed], dict[int, _Print]]:
        """Cached parses by index, and the fingerprints of the others (to store later).

        Paths that cannot be fingerprinted (links, devices, files over the size limit) are in
        neither: they are read and not cached.
        """
        from .parsing import _path_problem  # the reader's own test: links, folders, devices

        prints: dict[int, _Print] = {}
        dirs: dict[str, str | None] = {}
        for i, (rel, fmt) in enumerate(zip(rels, formats, strict=True)):
            try:
                if _path_problem(self.root, rel, dirs) is not None:
                    continue
            except Exception:  # a path that cannot even be examined is read_all's to report
                continue
            fp = self._fingerprint(rel, fmt)
            if fp is not None:
                prints[i] = fp
        found = self.store.get([fp.key for fp in prints.values()])
        hits: dict[int, Parsed] = {}
        touch: list[str] = []
        now = time.time()
        for i, fp in list(prints.items()):
            row = found.get(fp.key)
            if row is None:
                continue
            try:
                parsed = dec_parsed(row[0])
            except BadEntry:
                continue  # rebuilt and overwritten below
            if parsed[0].path != rels[i]:
                continue
            hits[i] = parsed
            self.verified[rels[i]] = fp.key
            del prints[i]
            if now - row[1] > TOUCH_AFTER_SECONDS:
                touch.append(fp.key)
        self.hits += len(hits)
        self.misses += len(prints)
        if touch:
            self.store.put((), touch=touch)
        return hits, prints

    def store_documents(self, items: Iterable[tuple[Parsed, _Print]]) -> None:
        """Cache fresh parses whose files are unchanged since they were fingerprinted."""
        rows = []
        for parsed, fp in items:
            doc = parsed[0]
            if doc.error is not None:
                continue  # a timeout or crash must be retried; a broken file is cheap to re-read
            if any(_stat_id(path) != ident for path, ident in fp.files):
                continue  # edited while we read it: the parse may be of other bytes
            try:
                rows.append((fp.key, "doc", "", enc_parsed(parsed)))
            except (_Unencodable, ValueError, TypeError):
                continue
            self.verified[doc.path] = fp.key
        self.store.put(rows)

    # ---- history

    def history_key(self, head: str | None, as_of: dt.date | None, pathspec: str | None, settings: Any) -> str | None:
        """The key of the history at HEAD, or None when there is nothing to cache."""
        if not head:
            return None
        try:
            common = run_git(self.root, "rev-parse", "--git-common-dir").decode("utf-8", "surrogateescape").strip()
            replace = run_git(self.root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/replace/").decode(
                "utf-8", "surrogateescape"
            )
        except GitError:
            return None
        git_dir = (self.root / common) if not os.path.isabs(common) else Path(common)
        boundary: list[str | None] = []
        for name in ("shallow", "info/grafts"):
            try:
                boundary.append(hashlib.blake2b((git_dir / name).read_bytes()).hexdigest())
            except FileNotFoundError:
                boundary.append(None)
            except OSError:
                return None
        return make_key(
            "history",
            self.tool,
            head,
            boundary,
            replace,
            os.environ.get("GIT_NO_REPLACE_OBJECTS"),
            os.environ.get("GIT_GRAFT_FILE"),
            as_of.isoformat() if as_of else None,
            pathspec,
            settings,
        )

    def _scope(self, pathspec: str | None) -> str:
        return make_key("scope", str(self.root), pathspec)

    def has_history(self, key: str) -> bool:
        """Whether a history is cached under `key` (it is decoded only when needed)."""
        return self.store.has(key)

    def load_history(self, key: str) -> RepoHistory | None:
        """The cached history under `key`, or None."""
        row = self.store.get([key]).get(key)
        if row is None:
            return None
        try:
            hist = dec_history(row[0], str(self.root))
        except BadEntry:
            return None
        if time.time() - row[1] > 60:
            self.store.put((), touch=[key])
        return hist

    def save_history(self, key: str, hist: RepoHistory) -> None:
        """Cache a complete history (an unavailable or shallow one is not cached)."""
        if not hist.available or hist.shallow or hist.problems:
            return
        try:
            text = enc_history(hist)
        except (_Unencodable, ValueError, TypeError):
            return
        scope = self._scope(hist.pathspec)
        self.store.put([(key, "history", scope, text)], prune=[("history", scope, KEEP_HISTORIES)])

    def _version_keys(self, history_key: str, paths: Iterable[str]) -> dict[str, str]:
        return {p: make_key("versions", history_key, p, _VERSION_FIELDS) for p in paths}

    def load_versions(
        self, history_key: str, hist: RepoHistory, paths: Iterable[str]
    ) -> dict[str, tuple[DocVersion, ...]]:
        """The cached versions of those of `paths` that have an entry (maybe empty)."""

        def decode(path: str, text: str) -> tuple[DocVersion, ...] | None:
            got, versions = dec_versions(text, hist)
            return versions if got == path and all(v.path in (path, f"{path}.yaml") for v in versions) else None

        return _fetch(self.store, self._version_keys(history_key, paths), decode)

    def save_versions(self, history_key: str, versions: Mapping[str, Sequence[DocVersion]]) -> None:
        """Cache each path's versions (a path with a missing object is left out)."""
        keys = self._version_keys(history_key, versions)
        rows = []
        for path, vs in versions.items():
            try:
                rows.append((keys[path], "versions", history_key, enc_versions(path, vs)))
            except (_Unencodable, ValueError, TypeError):
                continue
        self.store.put(rows)

    # ---- change-control verdicts

    def control_keys(
        self, history_key: str, docs: Iterable[tuple[str, bool]], as_of: dt.date, settings: Any
    ) -> dict[str, str]:
        """The key of each document's verdict (path, differs from HEAD) -> key: its history,
        its bytes (as cached or stored this run), whether it differs from HEAD, the as-of
        date and the settings. Documents whose bytes are not known to match are left out."""
        context = make_key("control", history_key, as_of.isoformat(), settings)
        out = {}
        for path, modified in docs:
            doc_key = self.verified.get(path)
            if doc_key is not None:
                out[path] = make_key(context, doc_key, modified)
        return out

    def load_controls(self, keys: Mapping[str, str]) -> dict[str, tuple[ControlResult, str | None]]:
        """Cached (verdict, last author) by path, for `keys` (path -> control key)."""

        def decode(path: str, text: str) -> tuple[ControlResult, str | None] | None:
            result = dec_control(text)
            return result if result[0].path == path else None

        return _fetch(self.store, keys, decode)

    def save_controls(self, history_key: str, items: Iterable[tuple[str, ControlResult, str | None]]) -> None:
        """Cache (control key, verdict, last author) made from the history `history_key`."""
        rows = []
        for key, result, author in items:
            try:
                rows.append((key, "control", history_key, enc_control(result, author)))
            except (_Unencodable, ValueError, TypeError):
                continue
        self.store.put(rows)
