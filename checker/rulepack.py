"""Load and cross-check a rule pack: the capability model as validated data."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .yamlsource import DataFileError, Located, load_yaml_file, schema_errors

BUILTIN_DEFAULT = "escm-sp-v2"
CHECK_KINDS = ("owner-named", "independent-approval", "change-controlled", "tagged-section",
               "record", "record-or-section")


class PackError(Exception):
    """A rule pack failed to load; `problems` are located `file:line: problem` errors."""

    def __init__(self, problems: list[DataFileError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class EvidenceRule:
    """How an activity is evidenced: one check kind from a fixed set."""

    check: str
    max_age: str | None = None
    doc_types: tuple[str, ...] = ()
    summary: str = ""
    own: bool = False  # set by the activity itself rather than the pack's defaults


@dataclass(frozen=True)
class Recommended:
    """A Recommended Activity (not required for certification)."""

    id: str
    summary: str


@dataclass(frozen=True)
class Activity:
    """A Required Activity and the rule that decides whether it is evidenced."""

    id: str
    summary: str
    evidence: EvidenceRule
    supports: tuple[str, ...] = ()
    recommended: tuple[Recommended, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def major(self) -> str:
        """The Major Activity letter: a, b or c."""
        return self.id[0]


@dataclass(frozen=True)
class Relationship:
    """A named relation to another Practice."""

    kind: str
    practice: str
    summary: str = ""


@dataclass(frozen=True)
class Practice:
    """One Practice with its attributes and Required Activities."""

    id: str
    title: str
    area: str
    phase: str
    level: int
    type: str | None
    summary: str
    activities: tuple[Activity, ...]
    support: bool = False
    relationships: tuple[Relationship, ...] = ()
    notes: tuple[str, ...] = ()
    in_scope: bool = True
    source: str = ""

    @property
    def required_ids(self) -> tuple[str, ...]:
        """Required Activity ids in model order."""
        return tuple(a.id for a in self.activities)

    @property
    def recommended_ids(self) -> tuple[str, ...]:
        """Recommended Activity ids in model order."""
        return tuple(r.id for a in self.activities for r in a.recommended)

    def activity(self, activity_id: str) -> Activity | None:
        """The Required Activity with this id, if any."""
        return next((a for a in self.activities if a.id == activity_id), None)


@dataclass(frozen=True)
class DocTypePart:
    """A part a document type is expected to contain, met by a matching heading."""

    part: str
    headings: tuple[str, ...]


@dataclass(frozen=True)
class DocType:
    """A documentation type's meaning and structure expectations."""

    id: str
    summary: str
    structure: tuple[DocTypePart, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Area:
    """A Capability Area."""

    id: str
    name: str
    phases: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class Level:
    """A Capability Level."""

    level: int
    name: str
    summary: str = ""
    sustained_evaluations: int | None = None


@dataclass(frozen=True)
class Pack:
    """A loaded, cross-checked rule pack."""

    id: str
    name: str
    version: str
    areas: tuple[Area, ...]
    phases: tuple[str, ...]
    levels: tuple[Level, ...]
    doc_types: Mapping[str, DocType]
    practices: tuple[Practice, ...]
    path: str = ""
    source: str = ""
    notice: str = ""
    _index: dict[str, Practice] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({p.id: p for p in self.practices})

    def practice(self, practice_id: str) -> Practice | None:
        """The Practice with this id, if any."""
        return self._index.get(practice_id)

    def area_name(self, area_id: str) -> str:
        """The display name of an area."""
        return next((a.name for a in self.areas if a.id == area_id), area_id)

    def level_name(self, level: int) -> str:
        """The display name of a level."""
        return next((lv.name for lv in self.levels if lv.level == level), f"Level {level}")


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("escm_check.schemas").joinpath("rulepack.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = {**_schema(), "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


def builtin_packs() -> dict[str, Path]:
    """Built-in pack names and folders."""
    root = resources.files("escm_check.rules")
    out: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.is_dir() and entry.joinpath("pack.yaml").is_file():
            out[entry.name] = Path(str(entry))
    return dict(sorted(out.items()))


def resolve_pack(name_or_dir: str | Path, base: Path | None = None) -> Path:
    """A built-in pack name or a folder (relative to `base`) to the pack's folder."""
    packs = builtin_packs()
    if isinstance(name_or_dir, str) and name_or_dir in packs:
        return packs[name_or_dir]
    p = Path(name_or_dir)
    if not p.is_absolute() and base is not None:
        p = base / p
    if (p / "pack.yaml").is_file():
        return p
    known = ", ".join(packs)
    raise PackError([DataFileError(str(name_or_dir), None,
                                   f"no such rule pack (built-in packs: {known}; or a folder with pack.yaml)")])


_ACT = re.compile(r"^([abc])([0-9]+)$")


def _activity_numbering(p: Mapping[str, Any], loc: Located, where: tuple[str | int, ...],
                        problems: list[DataFileError]) -> None:
    ids = [a.get("id", "") for a in p.get("activities", [])]
    for i, aid in enumerate(ids):
        if ids.index(aid) != i:
            problems.append(DataFileError(loc.path, loc.line_of((*where, "activities", i)),
                                          f"{p.get('id')}: duplicate activity id {aid!r}"))
    for major in "abc":
        nums = [int(m.group(2)) for a in ids if (m := _ACT.match(a)) and m.group(1) == major]
        if nums != list(range(1, len(nums) + 1)):
            problems.append(DataFileError(
                loc.path, loc.line_of((*where, "activities")),
                f"{p.get('id')}: {major}-activities must be numbered {major}1..{major}{len(nums)} in order, got "
                + ", ".join(f"{major}{n}" for n in nums)))
        if not nums:
            problems.append(DataFileError(loc.path, loc.line_of((*where, "activities")),
                                          f"{p.get('id')}: has no {major}-activities"))
    for i, a in enumerate(p.get("activities", [])):
        for j, r in enumerate(a.get("recommended", [])):
            if not str(r.get("id", "")).startswith(str(a.get("id"))):
                problems.append(DataFileError(
                    loc.path, loc.line_of((*where, "activities", i, "recommended", j)),
                    f"{p.get('id')}: recommended activity {r.get('id')!r} is not under {a.get('id')!r}"))


def _rule(data: Mapping[str, Any] | None, own: bool = False) -> EvidenceRule | None:
    if not data:
        return None
    return EvidenceRule(check=data["check"], max_age=data.get("max_age"),
                        doc_types=tuple(data.get("doc_types", ())), summary=data.get("summary", ""),
                        own=own)


def load_pack(name_or_dir: str | Path, base: Path | None = None) -> Pack:
    """Load a pack by built-in name or folder; raise PackError listing every located problem."""
    folder = resolve_pack(name_or_dir, base)
    problems: list[DataFileError] = []
    head = load_yaml_file(folder / "pack.yaml", _display(folder / "pack.yaml"))
    problems += schema_errors(_validator("pack_file"), head)
    if problems:
        raise PackError(problems)
    meta: dict[str, Any] = head.data
    area_ids = [a["id"] for a in meta["areas"]]
    phase_ids = [p["id"] for p in meta["phases"]]
    doc_types = meta["doc_types"]
    defaults = meta["evidence_defaults"]

    files: list[Located] = []
    for name in meta["files"]:
        f = folder / name
        if not f.is_file():
            problems.append(DataFileError(head.path, head.line_of(("files",)),
                                          f"listed file {name!r} does not exist"))
            continue
        try:
            loc = load_yaml_file(f, _display(f))
        except DataFileError as exc:
            problems.append(exc)
            continue
        errs = schema_errors(_validator("area_file"), loc)
        problems += errs
        if not errs:
            files.append(loc)

    if problems:
        # References into a file that failed validation would only repeat the same error.
        raise PackError(problems)
    practices: list[tuple[Practice, Located, tuple[str | int, ...]]] = []
    for loc in files:
        area = loc.data["area"]
        if area not in area_ids:
            problems.append(DataFileError(loc.path, loc.line_of(("area",)), f"unknown area {area!r}"))
        for i, p in enumerate(loc.data["practices"]):
            where: tuple[str | int, ...] = ("practices", i)
            _activity_numbering(p, loc, where, problems)
            if p["phase"] not in phase_ids:
                problems.append(DataFileError(loc.path, loc.line_of((*where, "phase")),
                                              f"{p['id']}: unknown phase {p['phase']!r}"))
            if p["type"] is not None and p["type"] not in doc_types:
                problems.append(DataFileError(loc.path, loc.line_of((*where, "type")),
                                              f"{p['id']}: unknown documentation type {p['type']!r}"))
            acts = []
            for a in p["activities"]:
                major = a["id"][0]
                default = defaults["b"] if major == "b" else defaults[major].get(a["id"])
                rule = _rule(a.get("evidence"), own=True) or _rule(default) or EvidenceRule("record-or-section")
                acts.append(Activity(
                    id=a["id"], summary=a["summary"], evidence=rule,
                    supports=tuple(a.get("supports", ())),
                    recommended=tuple(Recommended(r["id"], r["summary"]) for r in a.get("recommended", ())),
                    notes=tuple(a.get("notes", ()))))
            practices.append((Practice(
                id=p["id"], title=p["title"], area=area, phase=p["phase"], level=p["level"],
                type=p["type"], summary=p["summary"], activities=tuple(acts),
                support=bool(p.get("support", False)),
                relationships=tuple(Relationship(r["kind"], r["practice"], r.get("summary", ""))
                                    for r in p.get("relationships", ())),
                notes=tuple(p.get("notes", ())), in_scope=p.get("in_scope", True),
                source=loc.path), loc, where))

    _cross_check(meta, head, practices, problems)
    if problems:
        raise PackError(problems)
    return Pack(
        id=meta["id"], name=meta["name"], version=meta["version"],
        areas=tuple(Area(a["id"], a["name"], tuple(a.get("phases", ())), a.get("summary", ""))
                    for a in meta["areas"]),
        phases=tuple(phase_ids),
        levels=tuple(Level(lv["level"], lv["name"], lv.get("summary", ""), lv.get("sustained_evaluations"))
                     for lv in meta["levels"]),
        doc_types={k: DocType(k, v["summary"],
                              tuple(DocTypePart(s["part"], tuple(s["headings"])) for s in v.get("structure", ())),
                              tuple(v.get("requires", ())))
                   for k, v in doc_types.items()},
        practices=tuple(p for p, _, _ in practices),
        path=str(folder), source=meta.get("source", ""), notice=meta.get("notice", ""))


def _cross_check(meta: Mapping[str, Any], head: Located,
                 practices: list[tuple[Practice, Located, tuple[str | int, ...]]],
                 problems: list[DataFileError]) -> None:
    """What the schema cannot say: unique ids, references that resolve, declared counts."""
    seen: dict[str, str] = {}
    for p, loc, where in practices:
        if p.id in seen:
            problems.append(DataFileError(loc.path, loc.line_of((*where, "id")),
                                          f"duplicate Practice id {p.id!r} (also in {seen[p.id]})"))
        seen.setdefault(p.id, loc.path)
    for p, loc, where in practices:
        for i, a in enumerate(p.activities):
            for ref in a.supports:
                if ref not in seen:
                    problems.append(DataFileError(
                        loc.path, loc.line_of((*where, "activities", i, "supports")),
                        f"{p.id}.{a.id}: supporting Practice {ref!r} does not exist"))
        for i, r in enumerate(p.relationships):
            if r.practice not in seen:
                problems.append(DataFileError(
                    loc.path, loc.line_of((*where, "relationships", i, "practice")),
                    f"{p.id}: related Practice {r.practice!r} does not exist"))
    by_level = Counter(p.level for p, _, _ in practices)
    for i, lv in enumerate(meta["levels"]):
        want = lv.get("practice_count")
        if want is not None and by_level.get(lv["level"], 0) != want:
            problems.append(DataFileError(
                head.path, head.line_of(("levels", i, "practice_count")),
                f"level {lv['level']} declares {want} Practices but the pack has {by_level.get(lv['level'], 0)}"))
    by_area = Counter(p.area for p, _, _ in practices)
    for i, ar in enumerate(meta["areas"]):
        want = ar.get("practice_count")
        if want is not None and by_area.get(ar["id"], 0) != want:
            problems.append(DataFileError(
                head.path, head.line_of(("areas", i, "practice_count")),
                f"area {ar['id']} declares {want} Practices but the pack has {by_area.get(ar['id'], 0)}"))


def _display(path: Path) -> str:
    """Paths inside the installed package are shown relative to it."""
    try:
        return str(path.relative_to(Path(str(resources.files("escm_check.rules"))).parent))
    except ValueError:
        return str(path)
