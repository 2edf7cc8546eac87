"""The staged-files check for the pre-commit hook: only the named files, never the whole history.

Its cost grows with the number of staged files, not with the repository: documents are
parsed and validated on their own, and change control compares each staged version with
the one at HEAD through a single `git cat-file --batch` call.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .adapters.limits import Limits
from .adapters.markdown import parse_markdown
from .config import Config
from .discover import is_candidate
from .documents import Document
from .evaluate import DocInput, build_index, structure_findings
from .findings import Finding, make, sort_findings
from .gitrun import popen_git, repo_root, run_git
from .metadata import DocMeta, normalise
from .parsing import read_all
from .rulepack import Pack


def _head_documents(root: Path, rels: Sequence[str]) -> dict[str, Document]:
    """Each Markdown path as it is at HEAD, read through one cat-file process."""
    if not rels:
        return {}
    # `cat-file --batch` reads one request per line, so a name holding a newline is asked
    # for by its blob id, looked up with NUL-separated `ls-tree` output.
    asks: list[str] = []
    for r in rels:
        if "\n" in r:
            entry = run_git(root, "ls-tree", "-z", "HEAD", "--", f":(literal){r}", check=False)
            fields = entry.split(b"\t", 1)[0].split()
            asks.append(fields[2].decode() if len(fields) == 3 else "0" * 40)
        else:
            asks.append(f"HEAD:{r}")
    proc = popen_git(root, "cat-file", "--batch", stdin=subprocess.PIPE)
    request = b"".join(f"{a}\n".encode("utf-8", "surrogateescape") for a in asks)
    out, _ = proc.communicate(request)
    result: dict[str, Document] = {}
    pos = 0
    for rel in rels:
        nl = out.find(b"\n", pos)
        if nl < 0:
            break
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[-1] == b"missing":
            continue
        size = int(header[2])
        blob = out[pos : pos + size]
        pos += size + 1
        if rel.lower().endswith((".md", ".markdown")):
            result[rel] = parse_markdown(blob.decode("utf-8", "replace"), rel)
    return result


def _version_key(v: str) -> tuple[int, ...] | None:
    parts = v.strip().lstrip("vV").split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _change_control(doc: Document, meta: DocMeta, head: Document | None) -> list[Finding]:
    if head is None or meta.type in (None, "record"):
        return []
    old_meta = head.metadata
    if old_meta.get("status") != "approved":
        return []  # drafts change freely until first approved
    ignore = {"status", "approved_by", "approved_on", "reviewed_on", "next_review", "version"}
    changed = head.text.strip() != doc.text.strip() or any(
        old_meta.get(k) != doc.metadata.get(k) for k in set(old_meta) | set(doc.metadata) if k not in ignore
    )
    old_v = str(old_meta.get("version") or "")
    new_v = meta.version or ""
    if not changed:
        return []
    if new_v == old_v:
        return [
            make(
                "version-not-bumped",
                f"content changed since HEAD but version is still {new_v or 'unset'}",
                path=doc.path,
                line=doc.meta_line("version"),
            )
        ]
    a, b = _version_key(old_v), _version_key(new_v)
    if a is not None and b is not None and b < a:
        return [
            make(
                "version-regressed",
                f"version goes down from {old_v} to {new_v}",
                path=doc.path,
                line=doc.meta_line("version"),
            )
        ]
    return []


def check_staged(paths: Sequence[Path], pack: Pack, cfg: Config) -> tuple[Finding, ...]:
    """Validate the given files: metadata, tags, structure and version bumps against HEAD."""
    findings: list[Finding] = []
    by_root: dict[Path, list[str]] = {}
    roots: dict[Path, Path] = {}
    for p in paths:
        # abspath, not resolve(): a staged symlink (or a loop of them) is never followed
        full = Path(os.path.abspath(p))
        if full.parent not in roots:
            roots[full.parent] = repo_root(full.parent) or full.parent
        root = roots[full.parent]
        rel = full.relative_to(root).as_posix() if full.is_relative_to(root) else full.name
        if full.is_symlink():
            findings.append(make("file-skipped", "symbolic link not followed", path=rel))
            continue
        if rel.endswith(".yaml") and (root / rel[: -len(".yaml")]).is_file():
            rel = rel[: -len(".yaml")]  # a staged sidecar re-checks the file it describes
            full = root / rel
        if not is_candidate(rel, {f"{rel}.yaml"} if Path(f"{full}.yaml").exists() else set()):
            continue
        if rel not in by_root.setdefault(root, []):
            by_root[root].append(rel)
    limits = Limits.from_mapping(cfg.limits)
    for root, rels in sorted(by_root.items()):
        docs = read_all(root, rels, limits, jobs=cfg.jobs)
        heads = _head_documents(root, rels)
        inputs = []
        for doc in docs:
            meta, problems = normalise(doc, cfg.field_map)
            findings += doc.problems + problems
            if doc.error is None and not doc.has_metadata and not doc.problems:
                findings.append(
                    make(
                        "front-matter-missing",
                        "no front matter: the document cannot count as evidence",
                        path=doc.path,
                        line=1,
                    )
                )
            d = DocInput(doc=doc, meta=meta)
            inputs.append(d)
            findings += structure_findings(d, pack)
            findings += _change_control(doc, meta, heads.get(doc.path))
            for s in doc.sections:
                for t in s.tags:
                    if not s.substantive and meta.approved:
                        findings.append(
                            make(
                                "section-empty",
                                f"section {s.heading or '(untitled)'!r} tagged {t.key} has no substantive content",
                                path=doc.path,
                                line=t.line,
                                practice=t.practice,
                                activity=t.activity,
                            )
                        )
        _, idx_findings = build_index(inputs, pack)
        # duplicate ids across the whole repository need the whole repository; the full hook checks them
        findings += [f for f in idx_findings if f.rule != "duplicate-id"]
    return sort_findings(findings)
