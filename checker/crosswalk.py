"""The crosswalk file: which documents (or sections) serve which Practices, kept beside them.

A crosswalk (`.escm-crosswalk.yaml` by default) lets a repository be adopted without editing a
single document: each entry names a document by path, optionally one of its sections (a
heading) or pages, the Practices it serves and the activities it claims. Only `accepted`
entries are claims; `suggested` ones (written by `escm-check map`) wait for a person.
This module reads, validates (every problem located as file:line) and writes the file.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from .rulepack import Pack
from .yamlsource import DataFileError, Located, parse_yaml, read_text_file, schema_errors

DEFAULT_NAME = ".escm-crosswalk.yaml"
VERSION = 1
Status = Literal["suggested", "accepted"]


class Entry(msgspec.Struct, frozen=True):
    """One mapping of a document, or a section or page of it, to Practices and activities."""

    path: str
    practices: tuple[str, ...]
    status: Status = "suggested"
    section: str | None = None
    page: int | None = None
    satisfies: Mapping[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    score: float | None = None
    note: str | None = None
    line: int | None = None  # where the entry starts in its file, when read from one

    @property
    def accepted(self) -> bool:
        """True when a person accepted the entry: only then is it a claim."""
        return self.status == "accepted"

    @property
    def where(self) -> str:
        """The document, with its section or page when the entry names one."""
        if self.section is not None:
            return f"{self.path} § {self.section}"
        if self.page is not None:
            return f"{self.path} page {self.page}"
        return self.path


class Crosswalk(msgspec.Struct, frozen=True):
    """A crosswalk file's entries, in file order."""

    path: str
    entries: tuple[Entry, ...] = ()

    def accepted(self) -> tuple[Entry, ...]:
        """The entries that count as claims."""
        return tuple(e for e in self.entries if e.accepted)


@cache
def _validator() -> Any:
    import jsonschema

    text = resources.files("escm_check.schemas").joinpath("crosswalk.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _entry(data: Mapping[str, Any], line: int | None) -> Entry:
    return Entry(
        path=data["path"],
        practices=tuple(data["practices"]),
        status=data["status"],
        section=data.get("section"),
        page=data.get("page"),
        satisfies={k: tuple(v) for k, v in data.get("satisfies", {}).items()},
        score=float(data["score"]) if "score" in data else None,
        note=data.get("note"),
        line=line,
    )


def parse_crosswalk(text: str, display: str) -> tuple[Crosswalk, list[DataFileError]]:
    """Parse and schema-check a crosswalk's text; entries with problems are left out and reported."""
    try:
        loc = parse_yaml(text, display)
    except DataFileError as exc:
        return Crosswalk(display), [exc]
    problems = schema_errors(_validator(), loc)
    data = loc.data
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return Crosswalk(display), problems
    bad = {_entry_index(loc, p) for p in problems}
    entries = tuple(
        _entry(e, loc.line_of(("entries", i)))
        for i, e in enumerate(data["entries"])
        if i not in bad and isinstance(e, dict)
    )
    return Crosswalk(display, entries), problems


def _entry_index(loc: Located, problem: DataFileError) -> int | None:
    """The entry a schema problem is in (by its `entries/N/...` label), if any."""
    label = problem.problem.split(":", 1)[0].split("/")
    if len(label) >= 2 and label[0] == "entries" and label[1].isdigit():
        return int(label[1])
    return None


def load_crosswalk(file: Path, display: str | None = None) -> tuple[Crosswalk, list[DataFileError]]:
    """Read and schema-check a crosswalk file; problems are values, never raised."""
    name = display or str(file)
    try:
        text = read_text_file(file, name)
    except DataFileError as exc:
        return Crosswalk(name), [exc]
    return parse_crosswalk(text, name)


def check_crosswalk(cw: Crosswalk, pack: Pack, documents: Mapping[str, Sequence[str] | None]) -> list[DataFileError]:
    """Problems of a schema-valid crosswalk against the pack and the documents, located by line.

    `documents` maps each document path in scope to its section headings (PDF pages as
    `Page N`), or to None when its sections are not known; a section is checked only when
    they are.
    """
    out: list[DataFileError] = []
    seen: dict[tuple[str, str | None, int | None, str], int | None] = {}

    def err(e: Entry, problem: str) -> None:
        out.append(DataFileError(cw.path, e.line, problem))

    ids = [p.id for p in pack.practices]
    for e in cw.entries:
        for pid in e.practices:
            key = (e.path, e.section, e.page, pid)
            if key in seen:
                err(e, f"{e.where}: {pid} is mapped here a second time (first at line {seen[key]}); keep one entry")
            seen.setdefault(key, e.line)
        if e.path not in documents:
            near = difflib.get_close_matches(e.path, list(documents), n=1, cutoff=0.8)
            hint = f"; did you mean {near[0]}?" if near else ""
            err(e, f"path {e.path!r}: no such document in the repository{hint}")
        else:
            headings = documents[e.path]
            if headings is not None:
                if e.section is not None and e.section not in headings:
                    err(e, f"{e.path}: no section headed {e.section!r}")
                if e.page is not None and f"Page {e.page}" not in headings:
                    err(e, f"{e.path}: no page {e.page}")
        for pid in dict.fromkeys([*e.practices, *e.satisfies]):
            p = pack.practice(pid)
            if p is None:
                near = difflib.get_close_matches(pid, ids, n=1)
                err(e, f"{e.where}: no such Practice {pid!r}" + (f"; did you mean {near[0]}?" if near else ""))
                continue
            for aid in e.satisfies.get(pid, ()):
                if p.activity(aid) is None:
                    err(e, f"{e.where}: {pid} has no Required Activity {aid!r} ({', '.join(p.required_ids)})")
            if pid in e.satisfies and pid not in e.practices:
                err(e, f"{e.where}: claims activities of {pid} but does not list it in practices")
    return out


_HEADER = """\
# Crosswalk: which documents (or sections) serve which Practices of {model}.
# Only entries with `status: accepted` count as claims; change `suggested` to `accepted`
# for each suggestion you agree with, and delete the others.
"""


def entry_data(e: Entry) -> dict[str, Any]:
    """An entry as the mapping written to the file, keys in their fixed order."""
    out: dict[str, Any] = {"path": e.path}
    if e.section is not None:
        out["section"] = e.section
    if e.page is not None:
        out["page"] = e.page
    out["practices"] = list(e.practices)
    if e.satisfies:
        out["satisfies"] = {k: list(v) for k, v in e.satisfies.items()}
    out["status"] = e.status
    if e.score is not None:
        out["score"] = e.score
    if e.note is not None:
        out["note"] = e.note
    return out


def dump_crosswalk(entries: Iterable[Entry], model: str = "the model") -> str:
    """The text of a crosswalk file holding `entries`, in order; the same entries give the same bytes."""
    body = {"version": VERSION, "entries": [entry_data(e) for e in entries]}
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return _HEADER.format(model=model) + text


def write_crosswalk(file: Path, entries: Iterable[Entry], model: str = "the model") -> None:
    """Write a crosswalk file (UTF-8, LF line ends)."""
    file.write_text(dump_crosswalk(entries, model), encoding="utf-8", newline="\n")
