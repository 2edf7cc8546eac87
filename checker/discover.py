"""Discovery: which files under the checked path are documents, and their git state."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding, make
from .formats import Formats, classify, reader_for
from .gitrun import GitError, run_git, split_z
from .includecheck import include_findings
from .pathpatterns import Patterns


@dataclass(frozen=True)
class Discovery:
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


def _walk(base: Path) -> list[str]:
    """Files under `base` without following symlinks (used outside git).

    A symlink to a folder is listed like a file, so it is reported as a skipped link.
    """
    out = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(dirpath)
        links = [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and d not in links)
        for f in [*filenames, *links]:
            out.append((here / f).relative_to(base).as_posix())
    return sorted(out)


def display_path(rel: str) -> str:
    """A path safe to print and encode: bytes that are not UTF-8 shown as `\\xff`."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _folders_named_like_documents(files: list[str], prefix: str) -> list[str]:
    """Folders (holding tracked files) whose own name ends like a document's."""
    found = set()
    for rel in files:
        parts = rel.split("/")[:-1]
        for i in range(len(parts)):
            if reader_for(parts[i]) is not None:
                folder = "/".join(parts[: i + 1])
                if not prefix or folder.startswith(prefix + "/"):
                    found.add(folder)
    return sorted(found)


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


def discover(
    path: Path,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    config_path: Path | None = None,
    formats: Formats | None = None,
) -> Discovery:
    """Find the documents under `path`: tracked files plus untracked ones (flagged)."""
    path = path.resolve()
    included, excluded = Patterns(include), Patterns(exclude)
    findings: list[Finding] = []
    try:
        top = run_git(path, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape")
        top = top.strip()
        root = Path(top).resolve()
        in_git = True
    except GitError as exc:
        _not_a_work_tree(path)
        root, in_git = path, False
        findings.append(
            make(
                "history-unavailable",
                f"{path} is not in a git work tree ({exc})",
                path=None,
                hint="Run inside a git repository; change control needs its history.",
            )
        )
    prefix = path.relative_to(root).as_posix() if path != root else ""
    spec = [f":(literal){prefix}"] if prefix else []  # a folder named `*` is not a glob
    head = None
    untracked: set[str] = set()
    modified: set[str] = set()
    tracked_links: set[str] = set()
    tracked: list[str] = []
    if in_git:
        try:
            # `-s` gives each entry's mode: 120000 is a symbolic link (no lstat needed)
            for entry in split_z(run_git(root, "ls-files", "-s", "-z", "--", *spec)):
                mode, _, rel = entry.partition("\t")
                if mode.startswith("120000"):
                    tracked_links.add(rel)
                tracked.append(rel)
            tracked = list(dict.fromkeys(tracked))  # a conflicted path is listed per stage
            untracked = set(split_z(run_git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *spec)))
        except GitError as exc:
            tracked = []
            findings.append(make("history-unavailable", f"git ls-files failed: {exc}"))
        try:
            head = run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
        except GitError:
            head = None
        if head is None:
            findings.append(
                make(
                    "history-unavailable",
                    "the repository has no commits yet, so no document is under version control",
                    hint="Commit the documents; change control is rated from the history.",
                )
            )
        elif not run_git(root, "rev-parse", "--verify", "-q", f"{head}^{{commit}}", check=False):
            findings.append(
                make(
                    "history-unavailable",
                    f"HEAD names commit {head[:10]}, which is missing from the repository (a damaged "
                    "or partial clone?)",
                    hint="Restore the repository (git fsck shows what is missing) or clone it again.",
                )
            )
        if head:
            try:
                modified = set(split_z(run_git(root, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--", *spec)))
            except GitError:
                modified = set()
        files = sorted(set(tracked) | untracked)
    else:
        files = [f"{prefix}/{p}" if prefix else p for p in _walk(path)]
    all_paths = frozenset(files)
    config_rel = None
    if config_path is not None:
        try:
            config_rel = config_path.resolve().relative_to(root).as_posix()
        except ValueError:
            config_rel = None
    docs = []
    tracked_set = frozenset(tracked)
    for rel in files:
        # a link to a folder is not followed: say so, since the documents in it go unchecked
        if (rel in tracked_links or rel not in tracked_set) and not is_candidate(rel, all_paths):
            full = root / rel
            if full.is_symlink() and full.is_dir():
                local = rel[len(prefix) + 1 :] if prefix else rel
                if excluded.matches(local, folder=True):
                    continue
                findings.append(
                    make(
                        "file-skipped",
                        f"{_link_problem(root, rel, True)}, so the documents in it are not checked",
                        path=display_path(rel),
                    )
                )
    for folder in _folders_named_like_documents(files, prefix):
        local = folder[len(prefix) + 1 :] if prefix else folder
        if excluded.matches(local, folder=True):
            continue
        findings.append(
            make(
                "file-skipped",
                "a folder named like a document is not read as one (the files in it are checked on their own)",
                path=display_path(folder),
            )
        )
    for rel in files:
        if rel == config_rel or not is_candidate(rel, all_paths, formats):
            continue
        local = rel[len(prefix) + 1 :] if prefix else rel
        if included and not included.matches(local):
            continue
        if excluded.matches(local):
            continue
        if display_path(rel) != rel:
            findings.append(
                make(
                    "file-skipped",
                    "the file name is not valid UTF-8, so the file is not read",
                    path=display_path(rel),
                    hint="Rename the file; names must be UTF-8 to be reported.",
                )
            )
            continue
        full = root / rel
        if full.is_symlink():
            findings.append(make("file-skipped", _link_problem(root, rel), path=rel))
            continue
        if full.is_dir():
            findings.append(make("file-skipped", "a directory named like a document", path=rel))
            continue
        if not full.exists():
            continue  # deleted in the work tree but still in the index
        docs.append(rel)
    if include:
        local_files = [rel[len(prefix) + 1 :] if prefix else rel for rel in files]

        def readable(local: str) -> bool:
            return is_candidate(f"{prefix}/{local}" if prefix else local, all_paths, formats)

        findings += include_findings(include, local_files, readable, config_rel)
    return Discovery(
        root=root,
        prefix=prefix,
        in_git=in_git,
        head=head,
        documents=tuple(docs),
        untracked=frozenset(untracked),
        modified=frozenset(modified),
        findings=tuple(findings),
    )
