"""`escm-check init --adopt`: read a repository's own conventions and propose a configuration.

The survey reads the front matter of every Markdown-like file (the keys, and the values of
the keys that say a status or a type) and counts the file types present; the proposal maps
the keys it recognises onto ours (`field_map`), the values onto ours (`value_map`), says which
patterns to read and with which reader (`include`, `formats`), and leaves out the furniture
every repository has (README, licence, CI folders). Nothing here writes a file.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .adapters.markdown import parse_markdown
from .formats import BUILT_IN, is_legacy
from .gitrun import GitError, run_git, split_z
from .metadata_keys import KEYS as KNOWN_KEYS

MAX_SURVEY_BYTES = 512 * 1024  # a page larger than this is not read for its keys

# Their key (folded: lower case, `-` and spaces as `_`) -> ours. Only keys a repository
# plausibly uses for the same meaning; anything else is left alone.
KEY_SYNONYMS: Mapping[str, str] = {
    "doc_id": "id",
    "document_id": "id",
    "policy_id": "id",
    "identifier": "id",
    "name": "title",
    "policy_name": "title",
    "document_title": "title",
    "doc_type": "type",
    "category": "type",
    "document_type": "type",
    "policy_type": "type",
    "state": "status",
    "document_status": "status",
    "lifecycle": "status",
    "revision": "version",
    "rev": "version",
    "doc_version": "version",
    "document_version": "version",
    "document_owner": "owner",
    "policy_owner": "owner",
    "owned_by": "owner",
    "maintainer": "owner",
    "approvers": "approved_by",
    "approver": "approved_by",
    "approvedby": "approved_by",
    "signed_off_by": "approved_by",
    "effective": "approved_on",
    "effective_date": "approved_on",
    "effective_on": "approved_on",
    "adopted": "approved_on",
    "adopted_on": "approved_on",
    "approval_date": "approved_on",
    "approved_date": "approved_on",
    "last_reviewed_on": "reviewed_on",
    "last_reviewed": "reviewed_on",
    "last_review": "reviewed_on",
    "last_review_date": "reviewed_on",
    "reviewed": "reviewed_on",
    "review_date": "reviewed_on",
    "next_review_date": "next_review",
    "next_review_on": "next_review",
    "review_by": "next_review",
    "review_due": "next_review",
    "review_in": "review_cycle",
    "review_frequency": "review_cycle",
    "review_interval": "review_cycle",
    "review_period": "review_cycle",
}

# Their value (folded) -> our status.
STATUS_SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(
        ["active", "accepted", "implemented", "final", "published", "released", "effective", "adopted", "current"],
        "approved",
    ),
    **dict.fromkeys(["in effect", "live", "ongoing", "approved", "signed", "signed off"], "approved"),
    **dict.fromkeys(["proposed", "draft", "wip", "work in progress", "new", "pending", "planned", "todo"], "draft"),
    **dict.fromkeys(["review", "in review", "under review", "in-review", "reviewing", "for review"], "in-review"),
    **dict.fromkeys(
        ["retired", "deprecated", "superseded", "obsolete", "archived", "withdrawn", "inactive", "rejected"],
        "retired",
    ),
}
# Their value (folded) -> our documentation type.
TYPE_SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(["policy", "policies", "standard", "standards", "charter"], "policy"),
    **dict.fromkeys(
        ["procedure", "procedures", "sop", "process", "runbook", "playbook", "work instruction"], "procedure"
    ),
    **dict.fromkeys(["guideline", "guidelines", "guide", "guidance", "handbook"], "guideline"),
    **dict.fromkeys(["program", "programme"], "program"),
    **dict.fromkeys(["plan", "plans"], "plan"),
    **dict.fromkeys(["record", "records", "log", "minutes", "report", "evidence"], "record"),
    **dict.fromkeys(["other", "template", "form", "reference", "narrative", "note"], "other"),
}

# Page names of handbooks and site generators that the Markdown reader reads given a
# `formats` entry, in the order the proposal lists them.
THEIRS: Sequence[tuple[str, str]] = (
    (".html.md.erb", "markdown"),
    (".md.erb", "markdown"),
    (".mdx", "markdown"),
    (".md.tmpl", "markdown"),
)
# File names (lower case) -> the reader that reads them, longest suffix first: theirs and the
# built-in formats a reader opens (legacy ones are counted apart).
READERS: Sequence[tuple[str, str]] = tuple(
    sorted(
        [*THEIRS, *((s, f.reader) for s, f in BUILT_IN.items() if f.reader is not None and not f.legacy)],
        key=lambda pair: -len(pair[0]),
    )
)
# Files every repository has that are not its policies, as they are usually spelled.
_FURNITURE_FILES = ("README.md", "CHANGELOG.md", "CONTRIBUTING.md", "CODE_OF_CONDUCT.md", "LICENSE.md", "SECURITY.md")
_FURNITURE_NAMES = frozenset(n.lower() for n in _FURNITURE_FILES)
_FURNITURE_DIRS = (".github/", ".gitlab/", "node_modules/", "vendor/")


def furniture_patterns(spellings: Iterable[str] = ()) -> list[str]:
    """`exclude` patterns for the furniture: the usual spellings and each other one in
    `spellings` (`license.md`), since patterns, like .gitignore's, match case."""
    names = dict.fromkeys([*_FURNITURE_FILES, *sorted(spellings)])
    return [*(f"{d}**" for d in _FURNITURE_DIRS), *(f"**/{n}" for n in names)]


FURNITURE = tuple(furniture_patterns())


def fold(text: str) -> str:
    """A key or value compared without case, dashes or spaces: `Next-Review` -> `next_review`."""
    return re.sub(r"[\s\-]+", "_", text.strip()).lower()


def reader_of(rel: str) -> tuple[str, str] | None:
    """(suffix, reader) for a file name the checker can read with some reader, or None."""
    low = rel.lower()
    for suffix, reader in READERS:
        if low.endswith(suffix):
            return suffix, reader
    return None


def is_furniture(rel: str) -> bool:
    """README, licence, CI folders and the like: never a policy of the repository."""
    low = rel.lower()
    return low.rsplit("/", 1)[-1] in _FURNITURE_NAMES or low.startswith(_FURNITURE_DIRS)


@dataclass
class Survey:
    """What a repository uses: keys (with the files using each), values, file types."""

    files: int = 0
    documents: int = 0
    with_front_matter: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    values: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    suffixes: Counter[str] = field(default_factory=Counter)
    legacy: list[str] = field(default_factory=list)
    foreign_satisfies: int = 0
    furniture: set[str] = field(default_factory=set)  # the furniture's file names as spelled here


def list_files(root: Path) -> list[str]:
    """The repository's files (tracked ones in git, every file outside), root-relative, sorted."""
    try:
        out = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return sorted(set(split_z(out)))
    except GitError:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            found += [(Path(dirpath) / f).relative_to(root).as_posix() for f in filenames]
        return sorted(found)


def survey(root: Path, files: Iterable[str], practice_ids: Iterable[str] = ()) -> Survey:
    """Read the front matter of every Markdown-like file and count the file types present."""
    out = Survey()
    ours = set(practice_ids)
    for rel in files:
        out.files += 1
        if is_legacy(rel):
            out.legacy.append(rel)
        found = reader_of(rel)
        if is_furniture(rel):
            name = rel.rsplit("/", 1)[-1]
            if name.lower() in _FURNITURE_NAMES:
                out.furniture.add(name)
            continue
        if found is None:
            continue
        suffix, reader = found
        out.documents += 1
        out.suffixes[suffix] += 1
        if reader != "markdown":
            continue
        try:
            full = root / rel
            if full.is_symlink() or full.stat().st_size > MAX_SURVEY_BYTES:
                continue
            text = full.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        meta = parse_markdown(text, rel).metadata
        if not meta:
            continue
        out.with_front_matter += 1
        for key, value in meta.items():
            out.keys[key] += 1
            target = key if key in KNOWN_KEYS else KEY_SYNONYMS.get(fold(key))
            if target in ("status", "type") and isinstance(value, str) and value.strip():
                out.values[f"{target}:{key}"][value.strip()] += 1
            if key == "satisfies" and isinstance(value, dict) and ours and not set(map(str, value)) & ours:
                out.foreign_satisfies += 1
    return out


@dataclass(frozen=True)
class Proposal:
    """The proposed configuration and what the survey saw, for the comments around it."""

    config: Mapping[str, Any]
    survey: Survey
    unmapped_values: Mapping[str, tuple[str, ...]]


def propose(s: Survey) -> Proposal:
    """field_map, value_map, include, exclude and formats for what the survey found."""
    field_map: dict[str, str | None] = {}
    # where a file has both, our own key wins over a mapped one; of two keys of theirs for
    # one of ours, the more common is mapped
    taken: set[str] = set()
    for key in sorted(s.keys, key=lambda k: (-s.keys[k], k)):
        target = KEY_SYNONYMS.get(fold(key))
        if key in KNOWN_KEYS or target is None or target in taken:
            continue
        field_map[key] = target
        taken.add(target)
    if s.foreign_satisfies:
        field_map["satisfies"] = None  # their own control map, not our activity claims
    value_map: dict[str, dict[str, str]] = {}
    unmapped: dict[str, tuple[str, ...]] = {}
    for which, table, ours in (
        ("status", STATUS_SYNONYMS, {"draft", "in-review", "approved", "retired"}),
        ("type", TYPE_SYNONYMS, {"policy", "procedure", "guideline", "program", "plan", "record", "other"}),
    ):
        seen: Counter[str] = Counter()
        for label, counts in s.values.items():
            target, key = label.split(":", 1)
            if target == which and (key == which or field_map.get(key) == which):
                seen.update(counts)
        left: list[str] = []
        for value in sorted(seen):
            if value in ours:
                continue
            mapped = table.get(fold(value).replace("_", " "))
            if mapped is not None:
                value_map.setdefault(which, {})[value] = mapped
            else:
                left.append(value)
        if left:
            unmapped[which] = tuple(left)
    formats = {f"*{suffix}": reader for suffix, reader in THEIRS if s.suffixes.get(suffix)}
    # `.html.md.erb` is matched by `*.md.erb` too: one entry is enough
    if "*.html.md.erb" in formats and "*.md.erb" in formats:
        del formats["*.html.md.erb"]
    include = sorted({f"**/*{suffix}" for suffix, _ in READERS if s.suffixes.get(suffix)})
    if "**/*.html.md.erb" in include and "**/*.md.erb" in include:
        include.remove("**/*.html.md.erb")
    config: dict[str, Any] = {}
    if include:
        config["include"] = include
    config["exclude"] = furniture_patterns(s.furniture)
    if formats:
        config["formats"] = formats
    if field_map:
        config["field_map"] = field_map
    if value_map:
        config["value_map"] = {k: dict(sorted(v.items())) for k, v in sorted(value_map.items())}
    return Proposal(config, s, unmapped)


def render(p: Proposal, root: str) -> str:
    """The proposed `.escm-check.yaml`: the settings with comments saying what each rests on."""
    s = p.survey
    lines = [
        f"# Proposed by `escm-check init --adopt` from {root}:",
        f"# {s.files} files, {s.documents} documents ({_counts(s.suffixes)}), {s.with_front_matter} with front matter.",
        "# Review it, then run `escm-check map` to see which documents serve which Practices.",
    ]
    if s.keys:
        common = ", ".join(f"{k} ({n})" for k, n in sorted(s.keys.items(), key=lambda kv: (-kv[1], kv[0]))[:12])
        lines.append(f"# Front-matter keys seen (files): {common}")
    for which, values in sorted(p.unmapped_values.items()):
        lines.append(f"# {which} values not mapped (add them to value_map yourself): {', '.join(values)}")
    if s.foreign_satisfies:
        lines.append(
            f"# {s.foreign_satisfies} files use `satisfies` for a control map of their own: field_map sets it aside."
        )
    if s.legacy:
        lines.append(f"# {len(s.legacy)} legacy office files (.doc/.xls/.ppt) cannot be read; convert those you need.")
    body = yaml.safe_dump(dict(p.config), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return "\n".join(lines) + "\n" + body


def _counts(c: Counter[str]) -> str:
    return ", ".join(f"{n} {suffix}" for suffix, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"
