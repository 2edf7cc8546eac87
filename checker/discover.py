"""Discovery: which files under the checked path are documents, and their git state."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import msgspec

from .display import encodable
from .findings import Finding, make
from .formats import Formats, classify, reader_for
from .gitrun import GitError, run_git, split_z
from .includecheck import include_findings
from .pathpatterns import Patterns


class Discovery(msgspec.Struct, frozen=True):
    """The repository, the checked folder inside it, and the documents found."""

    root: Path  # top of the work tree (or the folder itself outside git)
    prefix: str  # the checked folder relative to root, "" for the whole repository; POSIX
    in_git: bool
    head: str | None
    documents: tuple[str, ...]  # root-relative POSIX paths, sorted
    untracked: frozenset[str]
    modified: frozenset[str]
    findings: tuple[Finding, ...]


def is_candidate(rel: str, all_paths: frozenset[str] | set[str], formats: Formats | None = None) -> bool:
    """A document by extension or by the configuration's `formats`, or any file with a `NAME.ext.yaml` sidecar."""
    return classify(rel, all_paths, formats) is not None


def _walk(base: Path) -> tuple[list[str], list[str]]:
    """Files under `base` without following symlinks (used outside git), sorted, and the
    ones among them the listing saw as regular files.

    A symlink to a folder is listed like a file, so it is reported as a skipped link.
    """
    out: list[str] = []
    regular: list[str] = []
    # plain strings: a Path per file costs more than the walk itself at 10,000 files; and
    # each entry's type as the folder listing gives it, where a stat per file would cost a
    # tenth of a check of 10,000 small documents
    folders = [("", os.fspath(base))]
    while folders:
        prefix, folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue  # a folder that cannot be listed holds nothing to check, as os.walk has it
        for entry in entries:
            rel = prefix + entry.name
            if _is_folder(entry):
                if entry.name != ".git":
                    folders.append((rel + "/", entry.path))
                continue
            out.append(rel)
            if _is_file(entry):
                regular.append(rel)
    return sorted(out), regular


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _link_problem(root: Path, rel: str, folder: bool = False) -> str:
    """What a symlink is and why it is not read, said without reading through it."""
    full = root / rel
    what = "symbolic link to a folder" if folder else "symbolic link"
    try:
        target = os.readlink(full)
    except OSError:
        return f"{what}: not followed"
    try:
        os.stat(full)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{what} in a loop of links: not followed"
        return f"{what} to a missing path: not followed"
    where = os.path.normpath(os.path.join(os.path.dirname(full), target))
    if not (where == str(root) or where.startswith(str(root) + os.sep)):
        return f"symbolic link to a {'folder' if folder else 'path'} outside the repository: not followed"
    return f"{what}: not followed (links are never followed)"


def _not_a_work_tree(path: Path) -> None:
    """A bare repository or a .git folder has no documents to check: a usage error."""
    try:
        bare = run_git(path, "rev-parse", "--is-bare-repository").decode().strip() == "true"
        in_git_dir = run_git(path, "rev-parse", "--is-inside-git-dir").decode().strip() == "true"
    except GitError:
        return  # not a repository at all: checked as a plain folder
    if bare or in_git_dir:
        from .config import ConfigError

        what = "a bare git repository" if bare else "inside a .git folder"
        raise ConfigError(
            f"{path} is {what}: it has no working tree to check; check a clone "
            f"(git clone {path} DIR) or the repository's top folder instead"
        )


class _Listing(msgspec.Struct, frozen=True):
    """What git (or, outside git, the folder) says is there: every file, and each one's state."""

    files: tuple[str, ...]  # root-relative POSIX paths, sorted
    tracked: frozenset[str] = frozenset()
    tracked_links: frozenset[str] = frozenset()  # tracked symbolic links
    untracked: frozenset[str] = frozenset()
    modified: frozenset[str] = frozenset()
    head: str | None = None
    findings: tuple[Finding, ...] = ()
    regular: frozenset[str] = frozenset()  # outside git: the files the folder listing saw as regular


class _Selection(msgspec.Struct, frozen=True):
    """The configuration's include and exclude, applied to paths relative to the checked folder."""

    prefix: str
    include: Patterns
    exclude: Patterns

    def local(self, rel: str) -> str:
        """`rel` relative to the checked folder, where the patterns are rooted."""
        return rel[len(self.prefix) + 1 :] if self.prefix else rel

    def excluded(self, rel: str, folder: bool = False) -> bool:
        """True when `exclude` takes the file (or folder) out."""
        return self.exclude.matches(self.local(rel), folder)

    def selected(self, rel: str) -> bool:
        """True when `include` (if any) takes the file in and `exclude` does not take it out."""
        local = self.local(rel)
        return (not self.include or self.include.matches(local)) and not self.exclude.matches(local)


def discover(
    path: Path,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    config_path: Path | None = None,
    formats: Formats | None = None,
) -> Discovery:
    """Find the documents under `path`: tracked files plus untracked ones (flagged)."""
    path = path.resolve()
    root, in_git, located = _locate(path)
    prefix = path.relative_to(root).as_posix() if path != root else ""
    listing = _list_git(root, prefix) if in_git else _list_folder(path, prefix)
    selection = _Selection(prefix, Patterns(include), Patterns(exclude))
    config_rel = _config_rel(config_path, root)
    all_paths = frozenset(listing.files)
    candidates = [rel for rel in listing.files if rel != config_rel and is_candidate(rel, all_paths, formats)]
    docs, unreadable = _readable(root, [rel for rel in candidates if selection.selected(rel)], listing.regular)
    findings = [
        *located,
        *listing.findings,
        # its own test ignores `formats`: without them, the candidates are what it would find again
        *_linked_folders(root, listing, selection, all_paths, frozenset(candidates) if not formats else frozenset()),
        *_folders_named_like_documents(listing.files, selection),
        *unreadable,
    ]
    if include:
        findings += _include_findings(listing.files, selection, all_paths, formats, config_rel)
    return Discovery(
        root=root,
        prefix=prefix,
        in_git=in_git,
        head=listing.head,
        documents=tuple(docs),
        untracked=listing.untracked,
        modified=listing.modified,
        findings=tuple(findings),
    )


def _locate(path: Path) -> tuple[Path, bool, list[Finding]]:
    """The top of the work tree holding `path`, or `path` itself (with a finding) outside git."""
    try:
        top = run_git(path, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape")
        return Path(top.strip()).resolve(), True, []
    except GitError as exc:
        _not_a_work_tree(path)
        finding = make(
            "history-unavailable",
            f"{path} is not in a git work tree ({exc})",
            path=None,
            hint="Run inside a git repository; change control needs its history.",
        )
        return path, False, [finding]


def _list_git(root: Path, prefix: str) -> _Listing:
    """Tracked files, untracked ones, HEAD and what differs from it, under the checked folder."""
    spec = [f":(literal){prefix}"] if prefix else []  # a folder named `*` is not a glob
    findings: list[Finding] = []
    try:
        tracked, links = _list_tracked(root, spec)
        untracked = _list_untracked(root, spec)
    except GitError as exc:
        tracked, links, untracked = [], set(), set()
        findings.append(make("history-unavailable", f"git ls-files failed: {exc}"))
    head, head_findings = _head(root)
    findings += head_findings
    return _Listing(
        files=tuple(sorted(set(tracked) | untracked)),
        tracked=frozenset(tracked),
        tracked_links=frozenset(links),
        untracked=frozenset(untracked),
        modified=_modified(root, head, spec),
        head=head,
        findings=tuple(findings),
    )


def _list_tracked(root: Path, spec: list[str]) -> tuple[list[str], set[str]]:
    """The files in the index, and which of them are symbolic links."""
    tracked: list[str] = []
    links: set[str] = set()
    # `-s` gives each entry's mode: 120000 is a symbolic link (no lstat needed)
    for entry in split_z(run_git(root, "ls-files", "-s", "-z", "--", *spec)):
        mode, _, rel = entry.partition("\t")
        if mode.startswith("120000"):
            links.add(rel)
        tracked.append(rel)
    return list(dict.fromkeys(tracked)), links  # a conflicted path is listed per stage


def _list_untracked(root: Path, spec: list[str]) -> set[str]:
    """Files git does not track and does not ignore."""
    return set(split_z(run_git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *spec)))


def _head(root: Path) -> tuple[str | None, list[Finding]]:
    """The commit HEAD names, with a finding when there is none or it is missing."""
    try:
        head = run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except GitError:
        head = None
    if head is None:
        return None, [
            make(
                "history-unavailable",
                "the repository has no commits yet, so no document is under version control",
                hint="Commit the documents; change control is rated from the history.",
            )
        ]
    if not run_git(root, "rev-parse", "--verify", "-q", f"{head}^{{commit}}", check=False):
        return head, [
            make(
                "history-unavailable",
                f"HEAD names commit {head[:10]}, which is missing from the repository (a damaged or partial clone?)",
                hint="Restore the repository (git fsck shows what is missing) or clone it again.",
            )
        ]
    return head, []


def _modified(root: Path, head: str | None, spec: list[str]) -> frozenset[str]:
    """Files whose work-tree content differs from HEAD's."""
    if not head:
        return frozenset()
    try:
        return frozenset(split_z(run_git(root, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--", *spec)))
    except GitError:
        return frozenset()


def _list_folder(path: Path, prefix: str) -> _Listing:
    """Outside git: every file under the folder, none of them tracked."""
    files, regular = _walk(path)
    if prefix:
        files, regular = [f"{prefix}/{p}" for p in files], [f"{prefix}/{p}" for p in regular]
    return _Listing(files=tuple(files), regular=frozenset(regular))


def _config_rel(config_path: Path | None, root: Path) -> str | None:
    """The configuration file relative to the root, if it lies inside: it is never a document."""
    if config_path is None:
        return None
    try:
        return config_path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _linked_folders(
    root: Path, listing: _Listing, selection: _Selection, all_paths: frozenset[str], documents: frozenset[str]
) -> list[Finding]:
    """Symbolic links to folders: not followed, so say that the documents in them go unchecked.
    `documents`: the paths already known to be documents, passed over without a second look."""
    out = []
    for rel in listing.files:
        if rel not in listing.tracked_links and rel in listing.tracked:
            continue
        if rel in documents or is_candidate(rel, all_paths):
            continue
        full = root / rel
        if full.is_symlink() and full.is_dir() and not selection.excluded(rel, folder=True):
            message = f"{_link_problem(root, rel, True)}, so the documents in it are not checked"
            out.append(make("file-skipped", message, path=encodable(rel)))
    return out


def _readable(
    root: Path, candidates: list[str], regular: frozenset[str] = frozenset()
) -> tuple[list[str], list[Finding]]:
    """The candidates that can be read as documents, and a finding for each one that cannot.

    `regular`: files already known to be regular ones, not examined again."""
    docs: list[str] = []
    skipped: list[Finding] = []
    base = f"{root}/" if str(root) != "/" else "/"  # plain strings: 10,000 joins add up
    for rel in candidates:
        mode: int | None = stat.S_IFREG
        if rel not in regular:
            try:
                mode = os.lstat(base + rel).st_mode
            except (OSError, ValueError):
                mode = None  # deleted in the work tree but still in the index: passed over
        if encodable(rel) != rel:
            skipped.append(
                make(
                    "file-skipped",
                    "the file name is not valid UTF-8, so the file is not read",
                    path=encodable(rel),
                    hint="Rename the file; names must be UTF-8 to be reported.",
                )
            )
        elif mode is None:
            continue
        elif stat.S_ISLNK(mode):
            skipped.append(make("file-skipped", _link_problem(root, rel), path=rel))
        elif stat.S_ISDIR(mode):
            skipped.append(make("file-skipped", "a directory named like a document", path=rel))
        else:
            docs.append(rel)
    return docs, skipped


def _folders_named_like_documents(files: tuple[str, ...], selection: _Selection) -> list[Finding]:
    """Folders (holding listed files) whose own name ends like a document's: not read as one."""
    prefix = selection.prefix
    found = set()
    for folder_path in {rel.rpartition("/")[0] for rel in files}:  # each folder once, not once per file
        parts = folder_path.split("/") if folder_path else []
        for i in range(len(parts)):
            if reader_for(parts[i]) is not None:
                folder = "/".join(parts[: i + 1])
                if not prefix or folder.startswith(prefix + "/"):
                    found.add(folder)
    message = "a folder named like a document is not read as one (the files in it are checked on their own)"
    return [
        make("file-skipped", message, path=encodable(folder))
        for folder in sorted(found)
        if not selection.excluded(folder, folder=True)
    ]


def _include_findings(
    files: tuple[str, ...],
    selection: _Selection,
    all_paths: frozenset[str],
    formats: Formats | None,
    config_rel: str | None,
) -> list[Finding]:
    """Include patterns that read nothing (see `includecheck`)."""

    def readable(local: str) -> bool:
        return is_candidate(f"{selection.prefix}/{local}" if selection.prefix else local, all_paths, formats)

    local_files = [selection.local(rel) for rel in files]
    return include_findings(selection.include.patterns, local_files, readable, config_rel)
