"""Discovery: which files under the checked path are documents, and their git state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding, make
from .gitrun import GitError, run_git, split_z
from .globs import match_any

DOCUMENT_SUFFIXES = (".md", ".markdown", ".docx", ".docm", ".doc", ".pdf")
SIDECAR_SUFFIX = ".yaml"


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


def is_candidate(rel: str, all_paths: frozenset[str] | set[str]) -> bool:
    """A document by extension, or any file with a `NAME.ext.yaml` sidecar."""
    low = rel.lower()
    if low.endswith(DOCUMENT_SUFFIXES):
        return True
    if low.endswith((".yaml", ".yml")):
        return False
    return f"{rel}{SIDECAR_SUFFIX}" in all_paths


def _walk(base: Path) -> list[str]:
    """Files under `base` without following symlinks (used outside git)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for f in filenames:
            out.append((Path(dirpath) / f).relative_to(base).as_posix())
    return sorted(out)


def discover(path: Path, include: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
             config_path: Path | None = None) -> Discovery:
    """Find the documents under `path`: tracked files plus untracked ones (flagged)."""
    path = path.resolve()
    findings: list[Finding] = []
    try:
        top = run_git(path, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
        root = Path(top).resolve()
        in_git = True
    except GitError as exc:
        root, in_git = path, False
        findings.append(make("history-unavailable", f"{path} is not in a git work tree ({exc})",
                             path=None, hint="Run inside a git repository; change control needs its history."))
    prefix = path.relative_to(root).as_posix() if path != root else ""
    spec = [prefix] if prefix else []
    head = None
    untracked: set[str] = set()
    modified: set[str] = set()
    if in_git:
        try:
            tracked = split_z(run_git(root, "ls-files", "-z", "--", *spec))
            untracked = set(split_z(run_git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *spec)))
        except GitError as exc:
            tracked = []
            findings.append(make("history-unavailable", f"git ls-files failed: {exc}"))
        try:
            head = run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
        except GitError:
            head = None
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
    for rel in files:
        if rel == config_rel or not is_candidate(rel, all_paths):
            continue
        local = rel[len(prefix) + 1:] if prefix else rel
        if include and not match_any(include, local):
            continue
        if exclude and match_any(exclude, local):
            continue
        full = root / rel
        if full.is_symlink():
            findings.append(make("file-skipped", "symbolic link not followed", path=rel))
            continue
        if full.is_dir():
            findings.append(make("file-skipped", "a directory named like a document", path=rel))
            continue
        if not full.exists():
            continue  # deleted in the work tree but still in the index
        docs.append(rel)
    return Discovery(root=root, prefix=prefix, in_git=in_git, head=head, documents=tuple(docs),
                     untracked=frozenset(untracked), modified=frozenset(modified), findings=tuple(findings))
