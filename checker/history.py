"""Git history as plain values: one streamed `git log` pass, one `git cat-file --batch` process.

Everything here is I/O; the verdicts built on it live in `changecontrol`, which is pure.

Choices that callers rely on:

- Paths are relative to the `root` passed in (``--relative``), so a process folder that is a
  subfolder of a larger repository reads like a repository of its own.
- `as_of` keeps the history as it stood at the end of that day in UTC: the starting commit is
  the newest commit on HEAD's first-parent line whose *committer* date is on or before that
  instant, and only its ancestors are read. A branch commit authored earlier but merged later
  is therefore excluded, as it was not in the repository's main line yet.
- Merge commits contribute no changes of their own (``git log`` shows no diff for them), so
  every change is attributed to the commit that made it; conflict resolutions inside a merge
  are not seen.
- A broken repository never raises: `RepoHistory.available` is False and `problems` carries a
  ``history-unavailable`` finding saying why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar, overload

import msgspec

from . import safety
from .adapters.limits import Limits
from .adapters.sidecar import SAVE_STAMP_KEYS
from .decoding import text_of
from .documents import Document
from .findings import Finding, make
from .formats import DocFormat, Formats, history_kind
from .frontmatter import MetaBlock, load_mapping, normalise_text, split_front_matter
from .gcpause import gc_paused
from .gitrun import GitError, popen_git, run_git

# Field separator inside one commit header; the trailers follow as a NUL-terminated token of
# their own, so no byte of the subject can shift them.
_SEP = "%x1f"
# Trailers as git's own parser reads them (`git interpret-trailers`): the final paragraph,
# continuation lines unfolded, non-trailer lines left out; one \x1e-separated `key\x1dvalue`
# per trailer. Measured against our former parser on real repositories, git differs only
# where a trailer block holds a line of prose (git then reads no trailers at all, unless
# the block has a git-written line such as "(cherry picked from ...)"); we follow git, so
# an approval reads the same here as in every other git tool.
TRAILERS = "%(trailers:only,unfold,separator=%x1e,key_value_separator=%x1d)"
# The subject goes last so that a stray \x1f in it cannot shift the other fields; the body is
# not read at all (the trailers carry all judging needs of it, and a long history's messages
# would be a tenth of its memory).
LOG_FORMAT = _SEP.join(["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s"]) + "%x00" + TRAILERS

# Options that pin the output whatever the user's config says: log.showRoot=false would drop
# the root commit's files, log.showSignature would splice gpg output into the stream, and
# diff.renames would pair deletions with additions.
LOG_ARGS = (
    # trailer keys end at ":" whatever the user's trailer.separators says
    "-c",
    "trailer.separators=:",
    "log",
    "-z",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--root",
    "--no-color",
    "--no-show-signature",
    "--no-ext-diff",
    "--no-textconv",
    "--diff-merges=off",
    "--relative",
    "--encoding=UTF-8",
    f"--format={LOG_FORMAT}",
)

Layout = Literal["front", "sidecar", "other", "props"]
Cut = tuple[str, str, Layout]  # front-matter text, body hash, layout
Scan = tuple["str | _Unknown | None", "str | _Unknown | None"]  # `status`, `version` from their lines
# what the cutter keeps of a blob: its cut, and the scan when made while the log streamed
Kept = tuple["str | None", str, Layout, "Scan | None"]


class Cuts:
    """What was kept of each blob cut, by kind and blob id: a dict per kind rather than one
    keyed by (blob, kind) pairs, of which a long history would hold a million."""

    def __init__(self) -> None:
        self.by_kind: dict[Kind, dict[str, Kept]] = {}

    def get(self, blob: str, kind: Kind) -> Kept | None:
        """What was kept of `blob` cut as `kind`, or None."""
        kept = self.by_kind.get(kind)
        return kept.get(blob) if kept is not None else None

    def put(self, blob: str, kind: Kind, kept: Kept) -> None:
        """Keep `kept` for `blob` cut as `kind`."""
        by_blob = self.by_kind.get(kind)
        if by_blob is None:
            by_blob = self.by_kind[kind] = {}
        by_blob[blob] = kept


# How a path's historical metadata is read: front matter, a YAML sidecar, or the properties
# a Word or PDF file carries (through that format's own reader)
Kind = DocFormat
Ask = Literal["markdown", "sidecar", "docx", "pdf", "raw"]  # "raw": the bytes as they are
_TEXT_KINDS: frozenset[Kind] = frozenset({"markdown", "sidecar"})
CHUNK = 1 << 18
PIPE_SIZE = 1 << 20  # the default /proc/sys/fs/pipe-max-size


class Commit(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One commit as read from `git log` (dates keep the author's and committer's offsets).

    A compact struct, not a dataclass: a history holds one per commit, and a struct has no
    per-instance dict, is built in C and is never walked by the garbage collector. Stored
    (in the cache's history) as an array: field names on each of 500,000 commits would be
    half the history's JSON.
    """

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: dt.datetime
    committer_name: str
    committer_email: str
    committer_date: dt.datetime
    subject: str  # the message's first paragraph on one line, as git's %s gives it
    trailers: tuple[tuple[str, str], ...] = ()  # keys as written, in order

    @property
    def short(self) -> str:
        """The abbreviated hash used in messages."""
        return self.sha[:10]

    @property
    def author(self) -> str:
        """`Name <email>` of the author."""
        return f"{self.author_name} <{self.author_email}>"

    @property
    def committer(self) -> str:
        """`Name <email>` of the committer."""
        return f"{self.committer_name} <{self.committer_email}>"

    def trailer_values(self, keys: Iterable[str]) -> tuple[str, ...]:
        """Values of trailers whose key is one of `keys`, compared case-insensitively."""
        wanted = {k.casefold() for k in keys}
        return tuple(v for k, v in self.trailers if k.casefold() in wanted)


class Change(msgspec.Struct, frozen=True, gc=False):
    """One commit's change to one path (a struct for the reason `Commit` is one)."""

    commit: Commit
    path: str
    status: str  # A, M, D (T for a type change, e.g. file to symlink)
    blob: str | None  # the new blob, None when deleted
    old_blob: str | None = None  # the blob before, None when added


@dataclass(frozen=True)
class FileHistory:
    """Every change to one path, newest first."""

    path: str
    changes: tuple[Change, ...]

    @property
    def last(self) -> Change | None:
        """The newest change."""
        return self.changes[0] if self.changes else None


@dataclass(frozen=True)
class RepoHistory:
    """The repository's history as read in one pass.

    `commits` holds every commit walked (also those touching no document), which merge mode
    needs to see how a change reached the first-parent line.
    """

    available: bool
    shallow: bool
    head: str | None
    files: Mapping[str, FileHistory]
    problems: tuple[Finding, ...] = ()
    commits: Mapping[str, Commit] = field(default_factory=dict)
    as_of: dt.date | None = None
    pathspec: str | None = None
    root: str = ""
    _graph: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # blobs cut while the log streamed (read_history(prefetch=True)), for load_versions
    _cut: Cuts = field(default_factory=Cuts, compare=False, repr=False)
    _missing: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _missing_why: str = field(default="", compare=False, repr=False)

    def forget_prefetched(self) -> None:
        """Let go of the versions cut while the log streamed (`load_versions` reads any it
        is asked for again): worker processes that judge from them keep their own copy."""
        self._cut.by_kind.clear()

    def entry_text(self, c: Commit) -> tuple[str, str]:
        """`c`'s author date (ISO) and `Name <email>` for report entries, made once per commit:
        every document it touches reports them, and they are one object each across all."""
        texts: dict[str, tuple[str, str]] | None = self._graph.get("texts")
        if texts is None:
            texts = self._graph["texts"] = {}
        got = texts.get(c.sha)
        if got is None:
            got = texts[c.sha] = (sys.intern(c.author_date.date().isoformat()), sys.intern(c.author))
        return got

    def first_parent_line(self) -> frozenset[str]:
        """Commits on HEAD's first-parent chain (HEAD is the as-of head when `as_of` is set)."""
        self._build_graph()
        line: frozenset[str] = self._graph["line"]
        return line

    def merged_by(self, sha: str) -> Commit | None:
        """The merge commit through which `sha` reached the first-parent line, if any.

        None when `sha` is itself on the first-parent line (a direct commit) or not reachable.
        """
        self._build_graph()
        merge = self._graph["via"].get(sha)
        return self.commits.get(merge) if merge else None

    def walk_order(self) -> Mapping[str, int]:
        """Position of each commit in the walk (0 is the head; a larger index is older)."""
        order = self._graph.get("order")
        if order is None:
            order = self._graph["order"] = {sha: i for i, sha in enumerate(self.commits)}
        result: Mapping[str, int] = order
        return result

    def _build_graph(self) -> None:
        if "via" in self._graph:
            return
        line: list[str] = []
        sha = self.head
        while sha is not None and sha in self.commits:
            line.append(sha)
            parents = self.commits[sha].parents
            sha = parents[0] if parents else None
        # Oldest first: when a merge is reached, everything older on the line has already been
        # visited, so the walk from its other parents stops exactly at what the merge brings in.
        seen: set[str] = set()
        via: dict[str, str] = {}
        for m in reversed(line):
            seen.add(m)
            stack = list(self.commits[m].parents[1:])
            while stack:
                s = stack.pop()
                if s in seen or s not in self.commits:
                    continue
                seen.add(s)
                via[s] = m
                stack.extend(self.commits[s].parents)
        self._graph["line"] = frozenset(line)
        self._graph["via"] = via


T = TypeVar("T")


class _once(Generic[T]):
    """`functools.cached_property` without its lock: before Python 3.12 it takes one on every
    first access, which costs more than computing a version's status. A value computed twice
    by two threads at once is the same value."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.name = fn.__name__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> T | _once[T]:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


@dataclass(frozen=True, init=False)
class DocVersion:
    """A document's metadata as it was at one commit, parsed only when asked for.

    A history of 100,000 versions cannot afford a YAML parse each, and change control needs
    few: `status` and `version` come from a scan of their own top-level lines when those hold
    a plain or simply quoted scalar (the value the front-matter reader would give, and still
    read when a mistake elsewhere breaks the YAML of that version), and from the parsed
    front matter otherwise. `meta` and `meta_ok` parse on first use, exactly as
    `frontmatter.split_front_matter` does (for a sidecar: `load_mapping` of the whole file).

    `body_hash` covers the text after the front matter with line ends normalised, so a change
    of line endings alone is not a content change. A version whose blob is missing from the
    object store has `missing` True and a ``history-unavailable`` finding in `problem`.

    A Word or PDF version (layout "props") holds the metadata its format's reader gives, as
    JSON text, and the hash of the text that reader extracts; "" when the reader could not
    read that version (its metadata then counts as unreadable).

    `front_matter` is None where `read_history` did not keep the text (see `_Cutter._keep_front`):
    the scan holds status and version, and no other version of the path has the same body,
    so judging never compares its YAML.
    """

    commit: Commit
    path: str
    blob: str
    front_matter: str | None  # the YAML text; the whole text when `layout` is not "front"
    body_hash: str
    previous_blob: str | None
    missing: bool
    problem: Finding | None
    # "front": front matter between `---` lines; "sidecar": a YAML file; "other": no front
    # matter, or one never closed, which the front-matter reader judges from the whole text;
    # "props": a Word or PDF file's properties as JSON
    layout: Layout

    def __init__(
        self,
        commit: Commit,
        path: str,
        blob: str,
        front_matter: str | None,
        body_hash: str,
        previous_blob: str | None = None,
        missing: bool = False,
        problem: Finding | None = None,
        layout: Layout = "front",
    ) -> None:
        d = self.__dict__  # see Commit.__init__: one per version of every document
        d["commit"] = commit
        d["path"] = path
        d["blob"] = blob
        d["front_matter"] = front_matter
        d["body_hash"] = body_hash
        d["previous_blob"] = previous_blob
        d["missing"] = missing
        d["problem"] = problem
        d["layout"] = layout

    @_once
    def block(self) -> MetaBlock:
        """The parsed front matter with key lines and YAML problems."""
        if self.missing:
            return MetaBlock(ok=False)
        if self.front_matter is None:
            raise LookupError(f"the front matter of {self.path} at {self.commit.short} was not kept")
        if self.layout == "props":
            return MetaBlock(data=json.loads(self.front_matter), ok=True) if self.front_matter else MetaBlock(ok=False)
        if self.layout == "other":
            return split_front_matter(self.front_matter, self.path).meta
        return load_mapping(self.front_matter, self.path, line_offset=1 if self.layout == "front" else 0)

    @property
    def meta(self) -> dict[str, Any]:
        """The front matter at this commit (empty when absent or unreadable)."""
        return self.block.data

    @property
    def meta_ok(self) -> bool:
        """False when the front matter at this commit is not valid YAML (or is missing)."""
        return self.block.ok

    @_once
    def _scanned(self) -> Scan:
        # usually filled when the blob was cut, in the thread that waits on git's log
        return _scan_version(self.front_matter or "", self.layout, self.missing)

    @_once  # asked for several times at each step of change control
    def version(self) -> str | None:
        """The `version` value as text, or None."""
        v = self._scanned[1]
        if isinstance(v, _Unknown):
            raw = self.meta.get("version")
            v = None if raw is None else str(raw)
        return v or None

    @_once
    def status(self) -> str | None:
        """The `status` value, lower-cased, or None."""
        s = self._scanned[0]
        if isinstance(s, _Unknown):
            raw = self.meta.get("status")
            s = None if raw is None else str(raw)
        return s.strip().lower() if s is not None else None


class _Unknown:
    """Marks a key the line scan could not read with certainty."""


_UNKNOWN = _Unknown()
_KEY_LINES = tuple((k, re.compile(rf"^{k}[ \t]*:(.*)$", re.M)) for k in ("status", "version"))
# a plain scalar of safe characters, or a quoted one without escapes, then maybe a comment
_SIMPLE = re.compile(r"[ \t]+(?:\"([^\"\\\n]*)\"|'([^'\n]*)'|([A-Za-z0-9][A-Za-z0-9._+-]*))(?:[ \t]+#.*)?[ \t]*")
_NULLS = frozenset({"null", "Null", "NULL"})
_UNSURE: Scan = (_UNKNOWN, _UNKNOWN)


def _scan_version(front: str, layout: Layout, missing: bool = False) -> Scan:
    """What `DocVersion` scans from one version's text."""
    return _UNSURE if layout in ("other", "props") or missing else _scan_keys(front)


def _scan_keys(front: str) -> Scan:
    """Values of `status` and `version` read from their lines, `_UNKNOWN` when unsure.

    A plain scalar is kept as written, as the front-matter reader keeps these keys' text
    (so an unquoted 2.10 stays "2.10"); a key absent from the text is None. Anything else
    (the key's name elsewhere in the text, nested values, escapes) is left to the YAML parser.
    """
    status, version = (_scan_key(front, key, line) for key, line in _KEY_LINES)
    return status, version


def _scan_key(front: str, key: str, line: re.Pattern[str]) -> str | _Unknown | None:
    n = front.count(key)
    if n != 1:
        # absent, or the word elsewhere too: a quoted or flow-style duplicate of the key?
        return None if n == 0 else _UNKNOWN
    m = line.search(front)
    sm = _SIMPLE.fullmatch(m.group(1)) if m else None
    if sm is None:
        return _UNKNOWN
    if sm.group(3) is not None:
        value = None if sm.group(3) in _NULLS else sm.group(3)
    else:
        value = sm.group(1) if sm.group(1) is not None else sm.group(2)
    # a history repeats a few statuses and version numbers many times: keep each once
    return None if value is None else sys.intern(value)


# --------------------------------------------------------------------------- trailers


def _trailers(field: str) -> tuple[tuple[str, str], ...]:
    """The trailers git printed for one commit (see `TRAILERS`), keys as written, in order."""
    out: list[tuple[str, str]] = []
    for item in field.split("\x1e"):
        key, sep, value = item.partition("\x1d")
        if sep and key:
            out.append((key.strip(), value.strip()))
    return tuple(out)


# --------------------------------------------------------------------------- reading the log


def _unavailable(
    why: str, *, as_of: dt.date | None, pathspec: str | None, root: str, shallow: bool = False
) -> RepoHistory:
    return RepoHistory(
        available=False,
        shallow=shallow,
        head=None,
        files={},
        problems=(make("history-unavailable", f"git history cannot be read: {why}"),),
        as_of=as_of,
        pathspec=pathspec,
        root=root,
    )


def _cutoff(as_of: dt.date) -> str:
    return f"{as_of.isoformat()} 23:59:59 +0000"


def read_history(
    root: Path | str,
    *,
    as_of: dt.date | None = None,
    pathspec: str | None = None,
    prefetch: bool = False,
    formats: Formats | None = None,
) -> RepoHistory:
    """Read the history of the repository at `root` in one streamed `git log` pass.

    `as_of` keeps only what HEAD's first-parent line held at the end of that day (UTC).
    `pathspec` (relative to `root`) limits which paths get histories; all commits are still
    walked so that merge-mode approval sees the whole graph. With `prefetch`, every version
    of a Markdown or YAML file (by name, or by the configuration's `formats`) is read through
    a `git cat-file --batch` running alongside the log, so that `load_versions` afterwards
    needs no git call: on a large history this hides most of its cost behind the log's.
    Never raises for a broken or missing repository: the result is then unavailable with a
    ``history-unavailable`` finding.
    """
    rootstr = str(root)
    try:
        probe = run_git(root, "rev-parse", "--is-shallow-repository").decode().strip()
    except GitError as exc:
        return _unavailable(str(exc), as_of=as_of, pathspec=pathspec, root=rootstr)
    shallow = probe == "true"
    problems: list[Finding] = []
    if shallow:
        problems.append(make("history-shallow", "the repository is a shallow clone, so change control cannot be rated"))
    try:
        head_out = run_git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        head = head_out.decode().strip() or None
        if head is not None and as_of is not None:
            out = run_git(root, "rev-list", "-1", "--first-parent", f"--before={_cutoff(as_of)}", head)
            head = out.decode().strip() or None
    except GitError as exc:
        return _unavailable(str(exc), as_of=as_of, pathspec=pathspec, root=rootstr, shallow=shallow)
    if head is None:  # no commits yet, or none by the as-of date
        return RepoHistory(
            available=True,
            shallow=shallow,
            head=None,
            files={},
            problems=tuple(problems),
            as_of=as_of,
            pathspec=pathspec,
            root=rootstr,
        )
    args = [*LOG_ARGS, head]
    if pathspec:
        # without --sparse a pathspec simplifies history and hides the merges merge mode needs
        args += ["--full-history", "--sparse", "--", pathspec]
    try:
        proc = popen_git(root, *args)
    except OSError as exc:  # pragma: no cover - git vanished between the probe and the log
        return _unavailable(str(exc), as_of=as_of, pathspec=pathspec, root=rootstr)
    _widen_pipe(proc.stdout)
    errors: list[bytes] = []
    drain = _drain(proc, errors)
    assert proc.stdout is not None
    cutter = _Cutter.start(root, forget=True) if prefetch else None
    try:
        with gc_paused():
            commits, changes = _parse_log(proc.stdout, cutter, formats)
    except (ValueError, IndexError) as exc:  # output we do not understand: say so, do not crash
        proc.kill()
        return _unavailable(
            f"unexpected git log output ({exc})", as_of=as_of, pathspec=pathspec, root=rootstr, shallow=shallow
        )
    finally:
        proc.stdout.close()
        rc = proc.wait()
        drain.join()
        if cutter is not None:
            with gc_paused():
                cutter.close()
                _read_again(root, cutter)
    if rc != 0:
        msg = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
        why = msg[-1] if msg else f"git log exited with {rc}"
        return _unavailable(why, as_of=as_of, pathspec=pathspec, root=rootstr, shallow=shallow)
    with gc_paused():
        files = {path: FileHistory(path, tuple(chs)) for path, chs in changes.items()}
    return RepoHistory(
        available=True,
        shallow=shallow,
        head=head,
        files=files,
        problems=tuple(problems),
        commits=commits,
        as_of=as_of,
        pathspec=pathspec,
        root=rootstr,
        _cut=cutter.cut if cutter else Cuts(),
        _missing=frozenset(cutter.missing) if cutter else frozenset(),
        _missing_why=cutter.why if cutter else "",
    )


def _read_again(root: Path | str, cutter: _Cutter) -> None:
    """Cut again, keeping their text, the blobs whose front matter `cutter` dropped before a
    later version showed it is needed (usually none: a metadata-only change is rare)."""
    if not cutter.again:
        return
    again = _Cutter.start(root)
    if again is None:  # pragma: no cover - git vanished since the log
        return
    for blob, (kind, path) in cutter.again.items():
        again.want(blob, kind, path)
    again.close()
    for blob, (kind, _) in cutter.again.items():
        kept = again.cut.get(blob, kind)
        # one gone since the log keeps no text: judging it is that document's internal error
        if kept is not None:
            cutter.cut.put(blob, kind, kept)


def _drain(proc: subprocess.Popen[bytes], sink: list[bytes]) -> threading.Thread:
    # git can write warnings while we read stdout; a full stderr pipe would stall it.
    def run() -> None:
        assert proc.stderr is not None
        sink.append(proc.stderr.read())
        proc.stderr.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _tokens(stream: IO[bytes]) -> Iterator[list[bytes]]:
    """NUL-separated tokens, one list per chunk; a token is never split across lists."""
    # read() waits for a whole chunk: git writes a few hundred bytes at a time, and handing
    # each of those to Python separately costs more than the parsing itself
    read = stream.read
    pending = b""
    while True:
        chunk = read(CHUNK)
        if not chunk:
            break
        toks = (pending + chunk).split(b"\0") if pending else chunk.split(b"\0")
        pending = toks.pop()
        yield toks
    if pending:
        yield [pending]


def _widen_pipe(stream: IO[bytes] | None) -> None:
    # git blocks whenever the pipe is full; a 64 KiB pipe makes git wait for every parse of a
    # chunk, a wide one lets git run ahead while Python parses (Linux only; harmless elsewhere).
    if stream is None:
        return
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except (ImportError, OSError, ValueError):
        pass


_ZERO = frozenset({"0" * 40, "0" * 64})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _date(text: str) -> dt.datetime:
    # git prints any offset a commit object holds; one Python cannot represent (a corrupt or
    # hand-made commit) falls back to the time as UTC rather than losing the whole history
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return dt.datetime.fromisoformat(text[:19]).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return _EPOCH


def _parse_log(
    stream: IO[bytes], cutter: _Cutter | None = None, formats: Formats | None = None
) -> tuple[dict[str, Commit], dict[str, list[Change]]]:
    """Parse `git log -z --raw` output as it streams: headers, then `:meta` and path tokens.

    With a `cutter`, each new blob of a Markdown or YAML path is requested as it is seen.
    Word and PDF blobs are not: most PDFs take their metadata from a sidecar, and reading
    every version of every file would cost a full parse each.
    """
    commits: dict[str, Commit] = {}
    # keyed by the raw path bytes: one lookup finds the decoded path, its list and its kind
    # (None: not read while the log streams)
    by_path: dict[bytes, tuple[str, list[Change], Kind | None]] = {}
    fromiso = _date
    trailers = _trailers
    zero = _ZERO
    commit: Commit | None = None
    meta: bytes | None = None
    header: list[str] | None = None  # a commit's fields, until its trailers token follows
    # One object per distinct text, so a large history holds each once: a parent's hash is
    # its commit's hash, a blob replaced by a later change is that change's old blob, and the
    # few names, e-mail addresses and trailer blocks are shared by all their commits. The
    # hashes and blob ids wait only until their older half is read.
    names: dict[str, str] = {}
    name = names.setdefault
    blocks: dict[bytes, tuple[tuple[str, str], ...]] = {b"": ()}
    ahead: dict[str, str] = {}  # parents and old blobs, not read yet
    pending = ahead.setdefault
    claim = ahead.pop
    for toks in _tokens(stream):
        for tok in toks:
            if header is not None:
                f, header = header, None
                block = blocks.get(tok)
                if block is None:
                    block = blocks[tok] = trailers(tok.decode("utf-8", "replace"))
                when = fromiso(f[4])
                commit = Commit(
                    # interned: report entries decoded from other processes share it too
                    sys.intern(claim(f[0], f[0])),
                    tuple([pending(p, p) for p in f[1].split()]),
                    name(f[2], f[2]),
                    name(f[3], f[3]),
                    when,
                    name(f[5], f[5]),
                    name(f[6], f[6]),
                    when if f[7] == f[4] else fromiso(f[7]),
                    f[8],
                    block,
                )
                commits[commit.sha] = commit
            elif meta is not None:
                entry = by_path.get(tok)
                if entry is None:
                    path = tok.decode("utf-8", "surrogateescape")
                    entry = by_path[tok] = (path, [], _text_kind(path, formats) if cutter else None)
                # ":100644 100644 OLD NEW M": modes, blob ids, status letter
                m = meta.decode()
                if len(m) == 98:  # SHA-1 ids: slicing beats splitting
                    old, new, status = m[15:55], m[56:96], m[97]
                else:
                    _, _, old, new, status = m.split(" ")
                assert commit is not None
                blob = None if new in zero else claim(new, new)
                entry[1].append(Change(commit, entry[0], status, blob, None if old in zero else pending(old, old)))
                if entry[2] is not None and blob is not None and cutter is not None:
                    cutter.want(blob, entry[2], entry[0])
                meta = None
            elif not tok:
                continue
            elif tok[0] == 58:  # b":"
                meta = tok
            elif tok[0] == 10 and tok[1:2] == b":":  # the first entry follows a newline
                meta = tok[1:]
            else:
                header = tok.decode("utf-8", "replace").split("\x1f", 8)
    return commits, {path: lst for path, lst, _ in by_path.values()}


# --------------------------------------------------------------------------- versions


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_BOM = b"\xef\xbb\xbf"
_CLOSE = re.compile(rb"^(?:---|\.\.\.)[ \t\x0b\x0c]*$", re.M)
_DELIM_START = re.compile(rb"^(?:---|\.\.\.)", re.M)


def _split_text(path: str, text: str) -> tuple[str, str, Layout]:
    """The exact cut of `split_front_matter`, for texts the fast path is unsure of."""
    fm = split_front_matter(text, path)
    if not fm.present or fm.body_line == 1:  # none, or never closed
        return text, _digest(fm.body.encode("utf-8", "surrogateescape")), "other"
    front = "\n".join(text.split("\n")[1 : fm.body_line - 2])
    return front, _digest(fm.body.encode("utf-8", "surrogateescape")), "front"


def _split_version(path: str, raw: bytes, kind: Kind) -> tuple[str, str, Layout]:
    """(front-matter text, body hash, layout) of one blob, without parsing the YAML.

    Cuts where `frontmatter.split_front_matter` cuts the normalised text, on bytes with one
    regex search in the usual case; anything unusual near a delimiter takes the exact path.
    """
    if raw.startswith(_BOM) or b"\r" in raw:
        raw = normalise_text(raw.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
    if kind == "sidecar":
        return text_of(raw), "", "sidecar"
    nl = raw.find(b"\n")
    m = _CLOSE.search(raw, nl + 1) if raw.startswith(b"---") and nl >= 0 and raw[:nl].rstrip() == b"---" else None
    if m is None or _DELIM_START.search(raw, nl + 1, m.start()):
        return _split_text(path, text_of(raw))
    front_bytes = raw[nl + 1 : max(nl + 1, m.start() - 1)]
    return text_of(front_bytes, whole=False), _digest(raw[m.end() + 1 :]), "front"


def _read_properties(
    kind: Kind, path: str, blob: str, stream: IO[bytes], size: int, limits: Limits
) -> tuple[Cut, Finding | None]:
    """A Word or PDF blob's metadata and text hash, read by its format's own reader.

    A blob over `max_file_bytes` is skipped unread, as the file would be. A version that
    cannot be read has no metadata ("") and stands for its blob, so any change of it counts.
    A bug in the reader is that version's internal-error finding (the safety net).
    """
    if size > limits.max_file_bytes:
        left = size + 1  # the blob and its newline, never held in memory whole
        while left > 0:
            got = stream.read(min(left, CHUNK))
            if not got:
                break
            left -= len(got)
        return ("", blob, "props"), None
    data = stream.read(size + 1)[:size]

    def read() -> Document:
        if kind == "docx":
            from .adapters.docx import parse_docx

            return parse_docx(data, path, limits)
        from .adapters.pdf import parse_pdf

        return parse_pdf(data, path, limits)

    def failed(problem: Finding) -> Document:
        return Document(path=path, format=kind, problems=(problem,), error=problem.message)

    doc = safety.guard(path, f"reading the version in blob {blob[:10]}", read, failed)
    if doc.error is not None:
        bug = next((f for f in doc.problems if f.rule == safety.RULE), None)
        return ("", blob, "props"), bug
    meta = {k: v for k, v in doc.metadata.items() if k not in SAVE_STAMP_KEYS}
    front = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str)
    return (front, _digest(doc.text.encode("utf-8", "surrogateescape")), "props"), None


def load_versions(
    root: Path | str,
    repo: RepoHistory,
    paths: Iterable[str],
    limits: Limits | None = None,
    formats: Formats | None = None,
) -> dict[str, tuple[DocVersion, ...]]:
    """Historical metadata of `paths` (Markdown, YAML sidecars, Word, PDF; by name or by the
    configuration's `formats`), newest first per path.

    Blobs already read by `read_history(prefetch=True)` are reused; the others come from one
    `git cat-file --batch` process. Each distinct blob is cut once, and its YAML is parsed
    only when a caller asks for more than status and version; a Word or PDF blob goes
    through its format's reader under `limits`. A blob missing from the object store
    becomes a version with `missing` set and a ``history-unavailable`` finding naming the
    path and commit; nothing raises.
    """
    with gc_paused():
        wanted: list[tuple[str, Change, Kind]] = []
        for path in dict.fromkeys(paths):
            kind = history_kind(path, formats)
            fh = repo.files.get(path)
            if kind is not None and fh is not None:
                wanted.extend((path, ch, kind) for ch in fh.changes if ch.blob is not None)
        if not wanted:
            return {}
        find = repo._cut.get
        missing, why = set(repo._missing), repo._missing_why
        failed: dict[tuple[str, Kind], Finding] = {}
        todo = [
            (p, ch, k)
            for p, ch, k in wanted
            if ch.blob is not None and find(ch.blob, k) is None and ch.blob not in missing
        ]
        if todo:
            cutter = _Cutter.start(root, limits)
            if cutter is not None:
                for path, ch, kind in todo:
                    assert ch.blob is not None
                    cutter.want(ch.blob, kind, path)
                cutter.close()
                fresh = cutter.cut.get

                def find(blob: str, kind: Kind) -> Kept | None:
                    return fresh(blob, kind) or repo._cut.get(blob, kind)

                why = cutter.why or why
                failed = cutter.failed
        return _versions(wanted, find, why, failed)


def _text_kind(path: str, formats: Formats | None = None) -> Kind | None:
    """The kind of a path whose blobs are cut while the log streams (front matter, sidecars)."""
    kind = history_kind(path, formats)
    return kind if kind in _TEXT_KINDS else None


def _versions(
    wanted: list[tuple[str, Change, Kind]],
    find: Callable[[str, Kind], Kept | None],
    why: str,
    failed: Mapping[tuple[str, Kind], Finding] | None = None,
) -> dict[str, tuple[DocVersion, ...]]:
    out: dict[str, list[DocVersion]] = {}
    for path, ch, kind in wanted:
        assert ch.blob is not None
        parts = find(ch.blob, kind)
        if parts is None:
            problem = make(
                "history-unavailable",
                f"object {ch.blob[:10]} ({path} at commit {ch.commit.short}) is missing"
                f" from the repository{': ' + why if why else ''}",
                path=path,
                hint="Fetch or restore the missing objects (git fsck lists them); "
                "change control cannot be rated for this document.",
            )
            dv = DocVersion(ch.commit, path, ch.blob, "", "", ch.old_blob, missing=True, problem=problem)
        else:
            bug = (failed or {}).get((ch.blob, kind))
            dv = DocVersion(ch.commit, path, ch.blob, parts[0], parts[1], ch.old_blob, problem=bug, layout=parts[2])
            if parts[3] is not None:
                dv.__dict__["_scanned"] = parts[3]  # the `_once` value, computed already
        out.setdefault(path, []).append(dv)
    return {path: tuple(vs) for path, vs in out.items()}


class _Cutter:
    """One `git cat-file --batch` process; each blob asked for is cut as it streams back.

    Requests are written from the caller's thread while a reader thread takes the answers,
    so the two pipes never fill up against each other, and a blob's bytes are dropped as
    soon as it is cut: holding every version's text would double a large history's memory.
    """

    def __init__(self, proc: subprocess.Popen[bytes], limits: Limits | None = None, *, forget: bool = False) -> None:
        self.cut = Cuts()
        # With `forget`, front-matter text judging cannot need is dropped as each blob is cut
        # (see `_keep_front`); `again` lists the blobs whose text turned out needed later.
        self._forget = forget
        self._bodies: dict[str, str] = {}  # body hash -> the first blob seen with that body
        self.again: dict[str, tuple[Kind, str]] = {}  # blob -> its kind and a path
        self.blobs: dict[str, bytes] = {}  # the blobs asked for "raw"
        self._limits = limits or Limits()
        self.missing: set[str] = set()
        self._scans: dict[Scan, Scan] = {}  # one of each: a history repeats few statuses and versions
        self.failed: dict[tuple[str, Kind], Finding] = {}  # versions a reader's bug stopped
        self.why = ""
        self._proc = proc
        self._asked: dict[Ask, set[str]] = {}
        self._queue: deque[tuple[str, Ask, str]] = deque()  # in the order asked
        self._buf: list[bytes] = []
        self._broken = False
        self._errors: list[bytes] = []
        self._drain = _drain(proc, self._errors)
        _widen_pipe(proc.stdout)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, root: Path | str, limits: Limits | None = None, *, forget: bool = False) -> _Cutter | None:
        """A running cutter, or None when git cannot be started (the blobs count as missing)."""
        try:
            return cls(popen_git(root, "cat-file", "--batch", stdin=subprocess.PIPE), limits, forget=forget)
        except OSError:  # pragma: no cover - git vanished
            return None

    def want(self, blob: str, kind: Ask, path: str) -> None:
        """Ask for a blob (any object name `cat-file` takes), to be cut as `kind`."""
        asked = self._asked.get(kind)
        if asked is None:
            asked = self._asked[kind] = set()
        if blob in asked:
            return
        asked.add(blob)
        self._queue.append((blob, kind, path))
        self._buf.append(blob.encode() + b"\n")
        if len(self._buf) >= 1024:
            self._flush()

    def _keep_front(self, blob: str, kind: Kind, path: str, body: str, layout: Layout, scan: Scan) -> bool:
        """Whether judging can need this version's front-matter text, as far as is known yet.

        Change control reads a version's YAML only when the line scan could not read status
        and version, or to tell a metadata-only change from none: two versions with the same
        body. The first version with a body keeps no text; when a second one comes, the
        first is read `again` after the log.
        """
        if layout != "front" or _UNKNOWN in scan:
            return True
        first = self._bodies.setdefault(body, blob)
        if first == blob:
            return False
        if first not in self.again and (kept := self.cut.get(first, kind)) is not None and kept[0] is None:
            self.again[first] = (kind, path)
        return True

    def _flush(self) -> None:
        stdin = self._proc.stdin
        if self._buf and not self._broken and stdin is not None:
            try:
                stdin.write(b"".join(self._buf))
                stdin.flush()
            except OSError:  # cat-file died: what was not answered counts as missing
                self._broken = True
        self._buf.clear()

    def _read(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        while True:
            header = stdout.readline()
            if not header or not self._queue:
                return  # cat-file died (a corrupt object): the rest counts as missing
            blob, kind, path = self._queue.popleft()
            parts = header.split()
            if len(parts) == 3 and parts[1] == b"blob":
                size = int(parts[2])
                if kind == "raw":
                    self.blobs[blob] = stdout.read(size + 1)[:size]
                elif kind == "markdown" or kind == "sidecar":
                    front, body, layout = _split_version(path, stdout.read(size + 1)[:size], kind)
                    # scanned here, while the log streams, rather than when judging after it
                    scan = _scan_version(front, layout)
                    scan = self._scans.setdefault(scan, scan)
                    kept = front if not self._forget or self._keep_front(blob, kind, path, body, layout, scan) else None
                    self.cut.put(blob, kind, (kept, body, layout, scan))
                else:
                    cut, bug = _read_properties(kind, path, blob, stdout, size, self._limits)
                    self.cut.put(blob, kind, (*cut, None))
                    if bug is not None:
                        self.failed[(blob, kind)] = bug
            elif len(parts) == 3:
                stdout.read(int(parts[2]) + 1)  # not a blob (a submodule's commit)
            else:
                self.missing.add(blob)

    def close(self) -> None:
        """Send what is left, wait for every answer and end the process."""
        self._flush()
        with contextlib.suppress(OSError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        self._reader.join()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc.wait()
        self._drain.join()
        self.missing.update(blob for blob, _, _ in self._queue)
        lines = b"".join(self._errors).decode("utf-8", "replace").strip().splitlines()
        self.why = lines[-1] if lines else ""


# --------------------------------------------------------------------------- the index

STAGED = "staged"  # the name of the index's version in `staged_history`, in place of a commit hash


def staged_history(root: Path | str, paths: Sequence[str]) -> tuple[RepoHistory, dict[str, str | None]]:
    """A two-step history of `paths`: the version at HEAD, then the version in the index.

    HEAD's commit adds each path as HEAD has it; a commit named `STAGED` (no trailers, dated
    now) changes it to the index's version, when that differs. Also returns each path's blob
    in the index (None when it has none). Three small git calls for `paths` only: the log is
    never read, so the cost does not grow with the repository.
    """
    rootstr = str(root)
    literal = ["--", *(f":(literal){p}" for p in paths)]
    try:
        index = _blob_ids(run_git(root, "ls-files", "-z", "--stage", *literal), stage=True)
        head_out = run_git(
            root, *LOG_ARGS[:3], "-1", "-z", "--no-show-signature", f"--format={LOG_FORMAT}", "HEAD", check=False
        )
        commits, _ = _parse_log(io.BytesIO(head_out))
        head = next(iter(commits.values()), None)
        at_head = _blob_ids(run_git(root, "ls-tree", "-z", "HEAD", *literal), stage=False) if head else {}
    except GitError as exc:
        return _unavailable(str(exc), as_of=None, pathspec=None, root=rootstr), {}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    staged = Commit(STAGED, (head.sha,) if head else (), "", "", now, "", "", now, "")
    files: dict[str, FileHistory] = {}
    for path in paths:
        old, new = at_head.get(path), index.get(path)
        changes: list[Change] = []
        if new != old and (new is not None or old is not None):
            changes.append(Change(staged, path, "M" if old and new else "A" if new else "D", new, old))
        if old is not None and head is not None:
            changes.append(Change(head, path, "A", old, None))
        if changes:
            files[path] = FileHistory(path, tuple(changes))
    walked = {STAGED: staged, **({head.sha: head} if head else {})}
    return (
        RepoHistory(available=True, shallow=False, head=STAGED, files=files, commits=walked, root=rootstr),
        {p: index.get(p) for p in paths},
    )


def _blob_ids(out: bytes, *, stage: bool) -> dict[str, str]:
    """Path -> blob from `ls-files --stage -z` (merged entries only) or `ls-tree -z` output."""
    found: dict[str, str] = {}
    for entry in out.split(b"\0"):
        info, tab, name = entry.partition(b"\t")
        fields = info.split()
        if not tab or len(fields) != 3:
            continue
        if stage and fields[2] != b"0":
            continue  # an unmerged path has no one staged version
        if not stage and fields[1] != b"blob":
            continue
        found[name.decode("utf-8", "surrogateescape")] = fields[1 if stage else 2].decode()
    return found


def read_blobs(root: Path | str, blobs: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob, through one `git cat-file --batch`; missing ones are left out."""
    cutter = _Cutter.start(root)
    if cutter is None:  # pragma: no cover - git vanished
        return {}
    for blob in dict.fromkeys(blobs):
        cutter.want(blob, "raw", "")
    cutter.close()
    return cutter.blobs
