"""Load and cross-check a rule pack: the capability model as validated data.

A pack is a folder: `pack.yaml` (the model's metadata) and one file per Capability Area.
A pack can `extends:` another (a built-in name, or a folder beside it) and change it without
copying it: pack.yaml merges areas, phases, levels, documentation types and evidence
defaults into the base's; its own area files add Practices; its `overlays:` files change
Practices (scope, attributes, activities, evidence rules). The merged pack is checked like
any other, and every problem is reported as `file:line: problem`. Nothing in a pack is ever
executed, and no path in it can lead out of its folder tree.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gzip
import hashlib
import json
import re
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from .checks import CHECK_KINDS, SIDES, Side, kinds_for
from .codec import BadEntry, Codec
from .durations import parse_duration
from .yamlcore import JsonPath
from .yamlsource import (
    DataFileError,
    Located,
    load_yaml_file,
    parse_yaml,
    read_text_file,
    schema_errors,
)

if TYPE_CHECKING:  # imported when a schema is first used: most warm runs validate nothing
    import jsonschema

BUILTIN_DEFAULT = "escm-sp-v2"


class PackMemo(Protocol):
    """What earlier loads learned (the cache keeps it between runs): data already found
    schema-valid, and each file's parsed YAML by its text."""

    def is_valid(self, key: str) -> bool: ...

    def mark_valid(self, key: str) -> None: ...

    def parsed(self, text: str, display: str) -> Located | None: ...

    def keep_parsed(self, text: str, loc: Located) -> None: ...


class PackError(Exception):
    """A rule pack failed to load; `problems` are located `file:line: problem` errors."""

    def __init__(self, problems: list[DataFileError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class EvidenceRule(msgspec.Struct, frozen=True):
    """One side of an activity's evidence: a check kind from the registry with its parameters."""

    check: str
    side: Side = "documented"
    max_age: str | None = None
    doc_types: tuple[str, ...] = ()
    record_kinds: tuple[str, ...] = ()
    summary: str = ""
    reason: str = ""
    own: bool = False  # set by the activity itself (or an extending pack) rather than the base defaults


class EvidenceSides(msgspec.Struct, frozen=True):
    """Both sides of an activity's evidence; None where that side asks for nothing."""

    documented: EvidenceRule | None
    performed: EvidenceRule | None

    def side(self, name: Side) -> EvidenceRule | None:
        """The rule of one side by name."""
        return self.documented if name == "documented" else self.performed


class Recommended(msgspec.Struct, frozen=True):
    """A Recommended Activity (not required for certification)."""

    id: str
    summary: str


class Activity(msgspec.Struct, frozen=True):
    """A Required Activity and the rule that decides whether it is evidenced."""

    id: str
    summary: str
    documented: EvidenceRule | None
    performed: EvidenceRule | None
    supports: tuple[str, ...] = ()
    recommended: tuple[Recommended, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def major(self) -> str:
        """The Major Activity letter: a, b or c."""
        return self.id[0]

    @property
    def sides(self) -> EvidenceSides:
        """Both evidence rules together."""
        return EvidenceSides(self.documented, self.performed)

    @property
    def rules(self) -> tuple[EvidenceRule, ...]:
        """The rules that apply, documented side first."""
        return tuple(r for r in (self.documented, self.performed) if r is not None)


class Relationship(msgspec.Struct, frozen=True):
    """A named relation to another Practice."""

    kind: str
    practice: str
    summary: str = ""


class Practice(msgspec.Struct, frozen=True, dict=True):  # a dict for its cached properties
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
    tailoring: tuple[str, ...] = ()  # what an extending pack changed, with file:line and reason

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
        return self._activity_ids.get(activity_id)

    @cached_property
    def _activity_ids(self) -> Mapping[str, Activity]:
        # asked for each claim and tag of every document; the first of a repeated id wins
        return {a.id: a for a in reversed(self.activities)}


class DocTypePart(msgspec.Struct, frozen=True):
    """A part a document type is expected to contain, met by a matching heading."""

    part: str
    headings: tuple[str, ...]


class DocType(msgspec.Struct, frozen=True, dict=True):  # a dict for its cached properties
    """A documentation type's meaning and structure expectations."""

    id: str
    summary: str
    structure: tuple[DocTypePart, ...] = ()
    requires: tuple[str, ...] = ()

    def parts_named(self, heading: str) -> frozenset[int]:
        """The indexes of the parts a heading names (`heading_names`)."""
        text = heading_words(heading)
        words = set(text.split())
        if not _names(text, words, self._any_part_name):
            return _NO_PARTS  # most headings (a title, a number) name no part: one test for all
        return frozenset(i for i, names in enumerate(self._part_names) if _names(text, words, names))

    @cached_property
    def _part_names(self) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
        return tuple(_split_names(part.headings) for part in self.structure)

    @cached_property
    def _any_part_name(self) -> tuple[frozenset[str], tuple[str, ...]]:
        return _split_names([h for part in self.structure for h in part.headings])


_NO_PARTS: frozenset[int] = frozenset()


@lru_cache(maxsize=8192)  # the same few headings recur in thousands of documents
def heading_words(heading: str) -> str:
    """A heading as names are looked for in it: lower case, each run of characters other
    than a-z and 0-9 one space, and a space on each side."""
    return " " + _NOT_NAME.sub(" ", heading.lower()) + " "


def heading_names(heading: str, names: Sequence[str]) -> bool:
    """Whether a heading names one of `names`: one of them, in lower case, stands whole
    (space-padded) in its `heading_words`."""
    text = heading_words(heading)
    return _names(text, set(text.split()), _split_names(names))


def _split_names(names: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    # a name of letters and digits stands whole in a heading exactly when it is one of the
    # heading's words (a set lookup); anything else is looked for, space-padded, in its text
    lowered = [n.lower() for n in names]
    return (
        frozenset(n for n in lowered if _ONE_WORD.fullmatch(n)),
        tuple(f" {n} " for n in lowered if not _ONE_WORD.fullmatch(n)),
    )


def _names(text: str, words: set[str], names: tuple[frozenset[str], tuple[str, ...]]) -> bool:
    single, phrases = names
    return not single.isdisjoint(words) or any(p in text for p in phrases)


_ONE_WORD = re.compile(r"[a-z0-9]+")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


class Area(msgspec.Struct, frozen=True):
    """A Capability Area."""

    id: str
    name: str
    phases: tuple[str, ...] = ()
    summary: str = ""


class Level(msgspec.Struct, frozen=True):
    """A Capability Level."""

    level: int
    name: str
    summary: str = ""
    sustained_evaluations: int | None = None


class Pack(msgspec.Struct, frozen=True, dict=True):  # a dict for its cached index
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
    extends: str = ""  # id of the pack this one extends
    # the default sides of each standard activity, keyed "a1", "b", "c5", ..., and "b:plan" for the
    # b-activities of Practices of that documentation type
    evidence_defaults: Mapping[str, EvidenceSides] = msgspec.field(default_factory=dict)
    record_kinds: Mapping[str, str] = msgspec.field(default_factory=dict)  # kind -> summary
    phase_summaries: Mapping[str, str] = msgspec.field(default_factory=dict)
    vocabulary: str = ""  # the vocabulary file (read by `load_vocabulary`), or "" for none

    @cached_property
    def _index(self) -> dict[str, Practice]:
        return {p.id: p for p in self.practices}

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
    """The rule-pack schema, with the check-kind enums filled in from the registry."""
    text = resources.files("escm_check.schemas").joinpath("rulepack.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    for side in SIDES:
        schema["$defs"][f"{side}_check"]["enum"] = list(kinds_for(side))
    return schema


def schema_document() -> dict[str, Any]:
    """The rule-pack JSON Schema as the loader applies it (a copy)."""
    out: dict[str, Any] = json.loads(json.dumps(_schema()))
    return out


@cache
def _validator(definition: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = {**_schema(), "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


@cache
def _schema_identity() -> str:
    from importlib import metadata

    return f"{json.dumps(_schema(), sort_keys=True)}\0jsonschema={metadata.version('jsonschema')}"


# The bundled packs' rule files are validated when they are written (tools/validated_rules.py)
# and their keys shipped beside them: a file whose data and schema are unchanged since is
# not validated again on every run. The keys leave out the validator's version, which moves
# with every install; the schema and the data are what the verdict is about.
VALIDATED_FILE = "validated.txt"


@cache
def _release_identity() -> str:
    return json.dumps(_schema(), sort_keys=True)


@cache
def _validated_at_release() -> frozenset[str]:
    try:
        text = resources.files("escm_check.rules").joinpath(VALIDATED_FILE).read_text("utf-8")
    except OSError:  # an install without it validates everything, as any custom pack is
        return frozenset()
    return frozenset(ln for ln in text.split("\n") if ln and not ln.startswith("#"))


def release_key(definition: str, data: Any) -> str:
    """The key under which a rule file's data is listed as valid in the bundled VALIDATED_FILE."""
    return _validity_key(definition, data, _release_identity())


def _typed(v: Any) -> Any:
    # a YAML date and the same text quoted validate differently: keep them apart in the key
    if isinstance(v, (dt.date, dt.datetime)):
        return {"\0date": v.isoformat()}
    return {"\0repr": f"{type(v).__name__}:{v!r}"}


def _validity_key(definition: str, data: Any, identity: str | None = None) -> str:
    """What a schema verdict depends on: the schema, the validator's version and the data."""
    text = json.dumps([definition, identity or _schema_identity(), data], sort_keys=True, default=_typed)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _schema_problems(definition: str, loc: Located, memo: PackMemo | None) -> list[DataFileError]:
    """`schema_errors` against one definition, skipped for data already found valid: by an
    earlier run (`memo`) or when the bundled listing names it."""
    key = _validity_key(definition, loc.data) if memo is not None else None
    if memo is not None and key is not None and memo.is_valid(key):
        return []
    listed = release_key(definition, loc.data) in _validated_at_release()
    errs = [] if listed else schema_errors(_validator(definition), loc)
    if memo is not None and key is not None and not errs:
        memo.mark_valid(key)
    return errs


def _load_file(path: Path, memo: PackMemo | None) -> Located:
    """`load_yaml_file`, with the parse taken from `memo` when the text is one it has seen."""
    display = _display(path)
    if memo is None:
        return load_yaml_file(path, display)
    text = read_text_file(path, display)
    loc = memo.parsed(text, display)
    if loc is None:
        loc = parse_yaml(text, display)
        memo.keep_parsed(text, loc)
    return loc


def builtin_packs() -> dict[str, Path]:
    """Built-in pack names and folders."""
    root = resources.files("escm_check.rules")
    out: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.is_dir() and entry.joinpath("pack.yaml").is_file():
            out[entry.name] = Path(str(entry))
    return dict(sorted(out.items()))


# The bundled packs are also shipped built (tools/validated_rules.py writes them): decoding
# the built form takes a hundredth of a second, where parsing and checking the YAML takes a
# tenth or more of every check's start-up. A built pack carries the key of the rule files and
# schema it was built from, and is used only while they are unchanged.
BUILT_SUFFIX = ".built.json.gz"
_BUILT_FORMAT = 1


class _Built(msgspec.Struct, frozen=True):
    key: str
    pack: Pack  # its folder-specific paths relative to the folder (see `write_built`)


@cache
def _built_codec() -> Codec[_Built]:
    return Codec(_Built)


def built_file(folder: Path) -> Path:
    """Where the built form of the bundled pack in `folder` is shipped."""
    return folder.parent / f"{folder.name}{BUILT_SUFFIX}"


def built_key(folder: Path) -> str:
    """What a built pack stands for: the schema and every rule file beside `folder` (a pack
    may extend another), by content."""
    h = hashlib.blake2b(f"built pack {_BUILT_FORMAT}\0{_release_identity()}".encode(), digest_size=20)
    root = folder.parent
    for f in sorted(root.rglob("*.yaml")):
        h.update(f"\0{f.relative_to(root).as_posix()}\0".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def write_built(folder: Path) -> Path:
    """Build the pack in `folder` from its rule files and write its built form beside it."""
    pack = load_source(folder)
    vocabulary = Path(pack.vocabulary).relative_to(folder).as_posix() if pack.vocabulary else ""
    # no absolute path of the machine it was built on
    portable = msgspec.structs.replace(pack, path="", vocabulary=vocabulary)
    data = _built_codec().encode(_Built(built_key(folder), portable))
    out = built_file(folder)
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return out


def read_built(folder: Path) -> Pack | None:
    """The shipped built form of the pack in `folder`; None when there is none, it cannot be
    read, or the rule files or schema changed since it was built."""
    try:
        data = gzip.decompress(built_file(folder).read_bytes())
        got = _built_codec().decode(data)
    except (OSError, EOFError, zlib.error, BadEntry):
        return None
    if got.key != built_key(folder):
        return None
    vocabulary = str(folder / got.pack.vocabulary) if got.pack.vocabulary else ""
    return msgspec.structs.replace(got.pack, path=str(folder), vocabulary=vocabulary)


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
    raise PackError(
        [
            DataFileError(
                str(name_or_dir), None, f"no such rule pack (built-in packs: {known}; or a folder with pack.yaml)"
            )
        ]
    )


def load_pack(
    name_or_dir: str | Path, base: Path | None = None, memo: PackMemo | None = None, *, built: bool = True
) -> Pack:
    """Load a pack by built-in name or folder; raise PackError listing every located problem.

    A pack that `extends:` another is merged onto it (recursively) and the result is checked
    like any pack; the pack it extends must be valid on its own. With a `memo`, YAML parsing
    and JSON Schema validation (most of a load's time) are skipped for files it has seen;
    the cross-checks always run. A bundled pack whose files are as shipped is decoded from
    its built form (`read_built`) unless `built` is False.
    """
    if built and (pack := shipped_pack(name_or_dir, base)) is not None:
        return pack
    return load_source(resolve_pack(name_or_dir, base), memo)


def shipped_pack(name_or_dir: str | Path, base: Path | None = None) -> Pack | None:
    """A bundled pack decoded from its built form; None for any other pack, or when the
    built form is missing or not current."""
    folder = resolve_pack(name_or_dir, base)
    return read_built(folder) if folder in builtin_packs().values() else None


def load_source(folder: Path, memo: PackMemo | None = None) -> Pack:
    """Load the pack in `folder` from its rule files, never from a built form."""
    raw = _load_raw(folder, folder.resolve().parent, (), memo)
    problems = _check(raw)
    if problems:
        raise PackError(problems)
    return _build(raw)


# --------------------------------------------------------------------------- raw pack data

MAX_EXTENDS = 8
_ACT = re.compile(r"^([abc])([0-9]+)$")


class _Origin(msgspec.Struct, frozen=True):
    """Where a piece of pack data was written: a file and the JSON path inside it."""

    loc: Located
    where: JsonPath = ()

    @property
    def path(self) -> str:
        return self.loc.path

    def line(self, *sub: str | int) -> int | None:
        return self.loc.line_of((*self.where, *sub))

    def error(self, problem: str, *sub: str | int) -> DataFileError:
        return DataFileError(self.path, self.line(*sub), problem)

    def at(self, *sub: str | int) -> _Origin:
        return _Origin(self.loc, (*self.where, *sub))


class _RawActivity(msgspec.Struct):
    data: dict[str, Any]
    origin: _Origin
    # the sides the activity (or an overlay) sets itself, None where it sets `null`
    sides: dict[str, dict[str, Any] | None] = msgspec.field(default_factory=dict)
    side_origin: dict[str, _Origin] = msgspec.field(default_factory=dict)
    changed: dict[str, _Origin] = msgspec.field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def line_of(self, key: str) -> tuple[str, int | None]:
        o = self.changed.get(key, self.origin)
        return o.path, o.line(key)


class _RawPractice(msgspec.Struct):
    data: dict[str, Any]  # every key but `activities`
    area: str
    origin: _Origin
    area_origin: _Origin
    activities: list[_RawActivity]
    inherited: bool = False
    changed: dict[str, _Origin] = msgspec.field(default_factory=dict)
    tailoring: list[str] = msgspec.field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    def error(self, problem: str, key: str) -> DataFileError:
        return self.changed.get(key, self.origin).error(problem, key)


class _Raw(msgspec.Struct):
    """A pack's data before it is frozen: merged with its base, located for error messages."""

    folder: Path
    head: Located
    meta: dict[str, Any]
    practices: list[_RawPractice] = msgspec.field(default_factory=list)
    doc_type_origin: dict[str, _Origin] = msgspec.field(default_factory=dict)
    default_origin: dict[str, _Origin] = msgspec.field(default_factory=dict)
    default_own: set[str] = msgspec.field(default_factory=set)  # "b.performed", "c5.performed", ...
    record_kind_origin: dict[str, _Origin] = msgspec.field(default_factory=dict)
    counts: list[tuple[str, str | int, int, _Origin]] = msgspec.field(default_factory=list)
    base_id: str = ""


def _load_raw(folder: Path, limit: Path, chain: tuple[Path, ...], memo: PackMemo | None) -> _Raw:
    try:
        head = _load_file(folder / "pack.yaml", memo)
    except DataFileError as exc:
        raise PackError([exc]) from None
    problems = _schema_problems("pack_file", head, memo)
    if problems:
        raise PackError(problems)
    meta: dict[str, Any] = head.data
    _head_checks(head, problems)
    if "extends" in meta:
        base_folder = _resolve_extends(str(meta["extends"]), folder, limit, head)
        real = base_folder.resolve()
        if real in (*chain, folder.resolve()):
            raise PackError(
                [
                    DataFileError(
                        head.path,
                        head.line_of(("extends",)),
                        f"extends: {meta['extends']!r} leads back to a pack already being extended (a cycle)",
                    )
                ]
            )
        if len(chain) >= MAX_EXTENDS:
            raise PackError(
                [DataFileError(head.path, head.line_of(("extends",)), f"extends: more than {MAX_EXTENDS} packs deep")]
            )
        base = _load_raw(base_folder, limit, (*chain, folder.resolve()), memo)
        base_problems = _check(base)
        if base_problems:
            raise PackError(base_problems)
        raw = _extend(base, head, folder)
    else:
        raw = _fresh(head, folder)
        if "overlays" in meta:
            problems.append(
                DataFileError(
                    head.path,
                    head.line_of(("overlays",)),
                    "overlays change the pack named by `extends:`, and this pack extends none; "
                    "edit its area files instead",
                )
            )
    if problems:
        raise PackError(problems)
    _add_area_files(raw, problems, memo)
    if problems:
        raise PackError(problems)
    _apply_overlays(raw, problems, memo)
    if problems:
        raise PackError(problems)
    return raw


def _head_checks(head: Located, problems: list[DataFileError]) -> None:
    """Duplicates inside pack.yaml's own lists (a merge would silently fold them)."""
    meta = head.data
    for section, key in (("areas", "id"), ("phases", "id"), ("levels", "level")):
        seen: set[Any] = set()
        for i, item in enumerate(meta.get(section, [])):
            if item[key] in seen:
                problems.append(
                    DataFileError(
                        head.path, head.line_of((section, i, key)), f"{section}: {item[key]!r} is listed twice"
                    )
                )
            seen.add(item[key])
    for section in ("files", "overlays"):
        names = list(meta.get(section, []))
        for i, name in enumerate(names):
            if names.index(name) != i:
                problems.append(
                    DataFileError(head.path, head.line_of((section, i)), f"{section}: {name!r} is listed twice")
                )


def _resolve_extends(value: str, folder: Path, limit: Path, head: Located) -> Path:
    """A built-in name, or a relative folder that stays inside `limit` (links resolved)."""
    line = head.line_of(("extends",))
    packs = builtin_packs()
    if "/" not in value:
        if value in packs:
            return packs[value]
        raise PackError(
            [
                DataFileError(
                    head.path,
                    line,
                    f"extends: no built-in pack {value!r} (built-in packs: "
                    f"{', '.join(packs)}); a folder beside this pack is written "
                    f"../{value}",
                )
            ]
        )
    target = (folder / value).resolve()
    if not target.is_relative_to(limit.resolve()):
        raise PackError(
            [
                DataFileError(
                    head.path,
                    line,
                    f"extends: {value!r} leads out of {limit} (a pack may extend a built-in pack or a "
                    "folder beside it, never one elsewhere)",
                )
            ]
        )
    if not (target / "pack.yaml").is_file():
        raise PackError([DataFileError(head.path, line, f"extends: {value!r} is not a folder with pack.yaml")])
    return folder / value


def _counts_of(head: Located, meta: Mapping[str, Any]) -> list[tuple[str, str | int, int, _Origin]]:
    out: list[tuple[str, str | int, int, _Origin]] = []
    for section, kind, key in (("areas", "area", "id"), ("levels", "level", "level")):
        for i, item in enumerate(meta.get(section, [])):
            if "practice_count" in item:
                out.append(
                    (kind, item[key], int(item["practice_count"]), _Origin(head, (section, i, "practice_count")))
                )
    return out


def _fresh(head: Located, folder: Path) -> _Raw:
    meta = head.data
    keys = ("id", "name", "version", "areas", "phases", "levels", "doc_types", "evidence_defaults")
    merged = {k: meta[k] for k in keys}
    merged["source"], merged["notice"] = meta.get("source", ""), meta.get("notice", "")
    merged["record_kinds"] = dict(meta.get("record_kinds", {}))
    merged["vocabulary"] = str(folder / meta["vocabulary"]) if "vocabulary" in meta else ""
    raw = _Raw(folder=folder, head=head, meta=merged, counts=_counts_of(head, meta))
    raw.doc_type_origin = {k: _Origin(head, ("doc_types", k)) for k in meta["doc_types"]}
    raw.default_origin = _default_origins(head, meta["evidence_defaults"])
    raw.record_kind_origin = {k: _Origin(head, ("record_kinds", k)) for k in merged["record_kinds"]}
    return raw


def _default_origins(head: Located, defaults: Mapping[str, Any]) -> dict[str, _Origin]:
    """Where each default (`b`, `a1`, `b:plan`, ...) was written."""
    return {key: _Origin(head, ("evidence_defaults", *where)) for key, where, _ in _defaults_walk(defaults)}


def _defaults_walk(defaults: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...], Mapping[str, Any]]]:
    """Each default's key, its path under `evidence_defaults`, and its sides."""
    out: list[tuple[str, tuple[str, ...], Mapping[str, Any]]] = []
    if defaults.get("b"):
        out.append(("b", ("b",), defaults["b"]))
    for major in "ac":
        out += [(k, (major, k), v) for k, v in defaults.get(major, {}).items()]
    out += [(f"b:{t}", ("b_by_type", t), v) for t, v in defaults.get("b_by_type", {}).items()]
    return out


def _merge_by(base: list[dict[str, Any]], own: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """`own` entries change the base entry with the same key (given fields only) or are added."""
    out = [dict(b) for b in base]
    for item in own:
        fields = {k: v for k, v in item.items() if k != "practice_count"}
        hit = next((b for b in out if b[key] == item[key]), None)
        if hit is None:
            out.append(fields)
        else:
            hit.update(fields)
    return out


def _extend(base: _Raw, head: Located, folder: Path) -> _Raw:
    meta = head.data
    m = dict(base.meta)
    for k in ("id", "name", "version"):
        m[k] = meta[k]
    for k in ("source", "notice"):
        if k in meta:
            m[k] = meta[k]
    if "vocabulary" in meta:
        m["vocabulary"] = str(folder / meta["vocabulary"])
    m["areas"] = _merge_by(m["areas"], meta.get("areas", []), "id")
    m["phases"] = _merge_by(m["phases"], meta.get("phases", []), "id")
    m["levels"] = sorted(_merge_by(m["levels"], meta.get("levels", []), "level"), key=lambda lv: lv["level"])
    doc_types = {k: dict(v) for k, v in m["doc_types"].items()}
    doc_origin = dict(base.doc_type_origin)
    for k, v in meta.get("doc_types", {}).items():
        doc_types[k] = {**doc_types.get(k, {}), **v}
        doc_origin[k] = _Origin(head, ("doc_types", k))
    m["doc_types"] = doc_types
    own = meta.get("evidence_defaults", {})
    base_defaults = m["evidence_defaults"]
    defaults: dict[str, Any] = {"b": dict(base_defaults.get("b") or {})}
    for group in ("a", "c", "b_by_type"):
        defaults[group] = {k: dict(v) for k, v in base_defaults.get(group, {}).items()}
    # the sides an extending pack gives replace the base's; the sides it leaves out stay
    defaults["b"].update(own.get("b", {}))
    for group in ("a", "c", "b_by_type"):
        for k, sides in own.get(group, {}).items():
            defaults[group].setdefault(k, {}).update(sides)
    m["evidence_defaults"] = {k: v for k, v in defaults.items() if v}
    m["record_kinds"] = {**base.meta.get("record_kinds", {}), **meta.get("record_kinds", {})}
    for p in base.practices:
        p.inherited = True
    # A window the organization sets in its own pack is deliberate: it is not replaced by the
    # config's record_max_age the way the base model's default is.
    owned = _default_origins(head, own)
    own_sides = {f"{key}.{side}" for key, _, sides in _defaults_walk(own) for side in sides}
    return _Raw(
        folder=folder,
        head=head,
        meta=m,
        practices=base.practices,
        doc_type_origin=doc_origin,
        default_origin={**base.default_origin, **owned},
        default_own=base.default_own | own_sides,
        counts=_counts_of(head, meta),
        base_id=str(base.meta["id"]),
        record_kind_origin={
            **base.record_kind_origin,
            **{k: _Origin(head, ("record_kinds", k)) for k in meta.get("record_kinds", {})},
        },
    )


def _read_listed(
    raw: _Raw, section: str, definition: str, problems: list[DataFileError], memo: PackMemo | None
) -> list[Located]:
    head, folder = raw.head, raw.folder
    out = []
    for i, name in enumerate(head.data.get(section, [])):
        f = folder / name
        if not f.is_file():
            problems.append(
                DataFileError(head.path, head.line_of((section, i)), f"listed file {name!r} does not exist")
            )
            continue
        if not f.resolve().is_relative_to(folder.resolve()):
            problems.append(
                DataFileError(
                    head.path, head.line_of((section, i)), f"listed file {name!r} leads out of the pack's folder"
                )
            )
            continue
        try:
            loc = _load_file(f, memo)
        except DataFileError as exc:
            problems.append(exc)
            continue
        errs = _schema_problems(definition, loc, memo)
        problems += errs
        if not errs:
            out.append(loc)
    return out


def _add_area_files(raw: _Raw, problems: list[DataFileError], memo: PackMemo | None) -> None:
    """This pack's own area files: they add Practices."""
    for loc in _read_listed(raw, "files", "area_file", problems, memo):
        area = str(loc.data["area"])
        for i, p in enumerate(loc.data["practices"]):
            origin = _Origin(loc, ("practices", i))
            acts = [_raw_activity(a, origin.at("activities", j)) for j, a in enumerate(p["activities"])]
            data = {k: v for k, v in p.items() if k != "activities"}
            raw.practices.append(_RawPractice(data, area, origin, _Origin(loc, ()), acts))


def _raw_activity(a: Mapping[str, Any], o: _Origin) -> _RawActivity:
    sides: dict[str, dict[str, Any] | None] = {s: a[s] for s in SIDES if s in a}
    return _RawActivity(dict(a), o, sides, {s: o.at(s) for s in sides})


def _apply_overlays(raw: _Raw, problems: list[DataFileError], memo: PackMemo | None) -> None:
    """This pack's overlays, in order: they change Practices already in the pack."""
    for loc in _read_listed(raw, "overlays", "overlay_file", problems, memo):
        for i, change in enumerate(loc.data["changes"]):
            o = _Origin(loc, ("changes", i))
            if "area" in change:
                _area_change(raw, change, o, problems)
            else:
                _practice_change(raw, change, o, problems)


def _note(what: str, reason: str, o: _Origin) -> str:
    where = Path(o.path)
    return f"{what}: {' '.join(reason.split())} ({where.parent.name}/{where.name}:{o.line()})"


def _area_change(raw: _Raw, change: Mapping[str, Any], o: _Origin, problems: list[DataFileError]) -> None:
    area = change["area"]
    known = [a["id"] for a in raw.meta["areas"]]
    if area not in known:
        problems.append(o.error(f"no area {area!r} in the pack (areas: {', '.join(known)})", "area"))
        return
    what = "in scope" if change["in_scope"] else "out of scope"
    for p in raw.practices:
        if p.area == area:
            p.data["in_scope"] = change["in_scope"]
            p.changed["in_scope"] = o
            p.tailoring.append(_note(f"{what} (area {area})", change["reason"], o))


def _default_keys(activity_id: str, practice_type: str | None) -> tuple[str, ...]:
    """The defaults that apply to an activity, most specific first (`b:plan`, then `b`)."""
    if activity_id[0] == "b":
        return (f"b:{practice_type}", "b") if practice_type else ("b",)
    return (activity_id,)


def _default_side(
    raw: _Raw, activity_id: str, practice_type: str | None, side: str
) -> tuple[dict[str, Any] | None, str]:
    """The default rule of one side for an activity's position, and the default's key."""
    flat = {key: sides for key, _, sides in _defaults_walk(raw.meta["evidence_defaults"])}
    for key in _default_keys(activity_id, practice_type):
        if key in flat and side in flat[key]:
            rule = flat[key][side]
            return (dict(rule) if rule else None), key
    return None, ""


def _resolved_side(raw: _Raw, p: _RawPractice, a: _RawActivity, side: str) -> dict[str, Any] | None:
    if side in a.sides:
        rule = a.sides[side]
        return dict(rule) if rule else None
    return _default_side(raw, a.id, p.data.get("type"), side)[0]


def describe_rule(rule: EvidenceRule | Mapping[str, Any]) -> str:
    """A rule in a few words: `record (minutes) within 6 months`, `tagged-section in a plan`."""
    if isinstance(rule, EvidenceRule):
        check, max_age, types, kinds = rule.check, rule.max_age, rule.doc_types, rule.record_kinds
    else:
        check, max_age = rule.get("check", "?"), rule.get("max_age")
        types, kinds = tuple(rule.get("doc_types", ())), tuple(rule.get("record_kinds", ()))
    text = str(check)
    if kinds:
        text += f" ({' or '.join(kinds)})"
    if max_age:
        text += f" within {max_age}"
    if types:
        text += f" in a {' or '.join(types)}"
    return text


def _practice_change(raw: _Raw, change: Mapping[str, Any], o: _Origin, problems: list[DataFileError]) -> None:
    pid = change["practice"]
    p = next((x for x in raw.practices if x.id == pid), None)
    if p is None:
        near = difflib.get_close_matches(pid, [x.id for x in raw.practices], n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        problems.append(o.error(f"no Practice {pid!r} in the pack to change{hint}", "practice"))
        return
    what: list[str] = []
    for k in ("title", "summary", "phase", "level", "type", "support", "in_scope"):
        if k in change:
            p.data[k] = change[k]
            p.changed[k] = o
            if k == "in_scope":
                what.append("in scope" if change[k] else "out of scope")
            elif k in ("title", "summary"):
                what.append(f"{k} changed")
            else:
                what.append(f"{k} {change[k] if change[k] is not None else 'none named'}")
    if "notes" in change:
        p.data["notes"] = [*p.data.get("notes", []), *change["notes"]]
    for j, a in enumerate(change.get("add_activities", [])):
        ao = o.at("add_activities", j)
        if any(x.id == a["id"] for x in p.activities):
            problems.append(ao.error(f"{pid} already has activity {a['id']!r}: change it with change_activities", "id"))
            continue
        _insert_activity(p.activities, _raw_activity(a, ao))
        what.append(f"adds {a['id']}")
    for j, a in enumerate(change.get("change_activities", [])):
        ao = o.at("change_activities", j)
        found = next((x for x in p.activities if x.id == a["id"]), None)
        if found is None:
            problems.append(
                ao.error(f"{pid} has no activity {a['id']!r} to change (add one with add_activities)", "id")
            )
            continue
        for k in ("summary", "supports"):
            if k in a:
                found.data[k] = a[k]
                found.changed[k] = ao
        if "notes" in a:
            found.data["notes"] = [*found.data.get("notes", []), *a["notes"]]
        sides_changed = [s for s in SIDES if s in a]
        for side in sides_changed:
            patch = a[side]
            current = _resolved_side(raw, p, found, side)
            if patch is None:
                new = None
            elif current is None or patch.get("check", current["check"]) != current["check"]:
                # A new check kind starts afresh: the old window or summary described another check.
                if "check" not in patch:
                    problems.append(ao.error(f"{pid}.{found.id}: {side} has no rule to change; name its `check`", side))
                    continue
                new = dict(patch)
            else:
                new = {**current, **patch}
            found.sides[side], found.side_origin[side] = new, ao.at(side)
            what.append(f"{found.id} {side}: {describe_rule(new) if new else 'nothing asked'}")
        if not sides_changed and ("summary" in a or "supports" in a):
            what.append(f"{found.id} changed")
    p.tailoring.append(_note("; ".join(what) or "notes added", change["reason"], o))


def _insert_activity(acts: list[_RawActivity], act: _RawActivity) -> None:
    """After the last activity of the same Major Activity (b9 after b8, before c1)."""
    rank = "abc".index(act.id[0])
    pos = 0
    for i, x in enumerate(acts):
        if "abc".index(x.id[0]) <= rank:
            pos = i + 1
    acts.insert(pos, act)


# --------------------------------------------------------------------------- cross-checks


def _check(raw: _Raw) -> list[DataFileError]:
    """What the schema cannot say: unique ids, references that resolve, declared counts."""
    problems: list[DataFileError] = []
    m = raw.meta
    area_ids = [a["id"] for a in m["areas"]]
    phase_ids = [p["id"] for p in m["phases"]]
    levels = [lv["level"] for lv in m["levels"]]
    doc_types: Mapping[str, Any] = m["doc_types"]
    if raw.base_id and m["id"] == raw.base_id:
        problems.append(
            DataFileError(
                raw.head.path,
                raw.head.line_of(("id",)),
                f"an extending pack needs an id of its own ({raw.base_id!r} is the id of the pack it extends)",
            )
        )
    _check_doc_types(raw, problems)
    for key, _, sides in _defaults_walk(m["evidence_defaults"]):
        origin = raw.default_origin[key]
        if key.startswith("b:") and key[2:] not in doc_types:
            problems.append(origin.error(f"evidence_defaults b_by_type: unknown documentation type {key[2:]!r}"))
        for side, rule in sides.items():
            if rule:
                _check_rule(rule, side, origin.at(side), raw, problems)

    seen: dict[str, _RawPractice] = {}
    bad_area: set[str] = set()
    for p in raw.practices:
        if p.id in seen:
            first = seen[p.id]
            hint = (
                "; to change a Practice of the pack being extended, use an overlay"
                if first.inherited and not p.inherited
                else ""
            )
            problems.append(p.origin.error(f"duplicate Practice id {p.id!r} (also in {first.origin.path}){hint}", "id"))
        seen.setdefault(p.id, p)
        if p.area not in area_ids and p.area_origin.path not in bad_area:
            bad_area.add(p.area_origin.path)
            problems.append(p.area_origin.error(f"unknown area {p.area!r}", "area"))
        _activity_numbering(p, problems)
        if p.data["phase"] not in phase_ids:
            problems.append(p.error(f"{p.id}: unknown phase {p.data['phase']!r}", "phase"))
        if p.data["type"] is not None and p.data["type"] not in doc_types:
            problems.append(p.error(f"{p.id}: unknown documentation type {p.data['type']!r}", "type"))
        if p.data["level"] not in levels:
            problems.append(
                p.error(
                    f"{p.id}: level {p.data['level']} is not a level of the pack "
                    f"(levels: {', '.join(map(str, levels))})",
                    "level",
                )
            )
        for a in p.activities:
            for side, rule in a.sides.items():
                if rule:
                    _check_rule(rule, side, a.side_origin[side], raw, problems)
            if a.sides and all(_resolved_side(raw, p, a, s) is None for s in SIDES):
                where = a.side_origin[next(iter(a.sides))]
                problems.append(
                    where.error(f"{p.id}.{a.id}: both documented and performed are null, so nothing could show it")
                )
    for p in raw.practices:
        for a in p.activities:
            for ref in a.data.get("supports", ()):
                if ref not in seen:
                    path, line = a.line_of("supports")
                    problems.append(
                        DataFileError(path, line, f"{p.id}.{a.id}: supporting Practice {ref!r} does not exist")
                    )
        for i, r in enumerate(p.data.get("relationships", ())):
            if r["practice"] not in seen:
                problems.append(
                    p.origin.error(
                        f"{p.id}: related Practice {r['practice']!r} does not exist", "relationships", i, "practice"
                    )
                )
    by_kind: dict[str, Counter[str | int]] = {
        "level": Counter(p.data["level"] for p in raw.practices),
        "area": Counter(p.area for p in raw.practices),
    }
    for kind, which, want, origin in raw.counts:
        have = by_kind[kind].get(which, 0)
        if have != want:
            problems.append(origin.error(f"{kind} {which} declares {want} Practices but the pack has {have}"))
    return problems


# the front-matter schema's pattern for `type`
_DOC_TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")


def _check_doc_types(raw: _Raw, problems: list[DataFileError]) -> None:
    doc_types: Mapping[str, Any] = raw.meta["doc_types"]
    for k, v in doc_types.items():
        o = raw.doc_type_origin[k]
        if "summary" not in v:
            problems.append(o.error(f"documentation type {k!r} is new in this pack and needs a summary"))
        if not _DOC_TYPE_NAME.fullmatch(k):
            problems.append(
                o.error(
                    f"documentation type {k!r} cannot be written in front matter `type:`: use lowercase "
                    "letters, digits, '-' and '_', starting with a letter"
                )
            )
        for i, req in enumerate(v.get("requires", ())):
            if req not in doc_types:
                problems.append(o.error(f"documentation type {k!r} requires unknown type {req!r}", "requires", i))


def _check_rule(rule: Mapping[str, Any], side: str, o: _Origin, raw: _Raw, problems: list[DataFileError]) -> None:
    """One side's rule against the registry of check kinds and the pack's types and record kinds."""
    check = rule.get("check")
    kind = CHECK_KINDS.get(str(check))
    if kind is None:
        known = ", ".join(kinds_for("documented" if side == "documented" else "performed"))
        problems.append(o.error(f"{side}: unknown check kind {check!r} (one of {known})", "check"))
        return
    if side not in kind.sides:
        known = ", ".join(kinds_for("documented" if side == "documented" else "performed"))
        problems.append(o.error(f"{side}: a {check} check cannot decide this side (one of {known})", "check"))
    for param in ("doc_types", "record_kinds", "max_age"):
        if param in rule and param not in kind.params:
            users = " and ".join(k.name for k in CHECK_KINDS.values() if param in k.params)
            problems.append(o.error(f"{param} has no effect on a {check} check (only on {users})", param))
    doc_types: Mapping[str, Any] = raw.meta["doc_types"]
    for i, t in enumerate(rule.get("doc_types", ())):
        if t not in doc_types and t not in ("record", "other"):
            problems.append(o.error(f"{side} doc_types: unknown documentation type {t!r}", "doc_types", i))
    known_kinds: Mapping[str, Any] = raw.meta.get("record_kinds", {})
    for i, k in enumerate(rule.get("record_kinds", ())):
        if k not in known_kinds:
            near = difflib.get_close_matches(k, list(known_kinds), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else f" (record_kinds: {', '.join(known_kinds) or 'none'})"
            problems.append(o.error(f"{side}: unknown record kind {k!r}{hint}", "record_kinds", i))
    if isinstance(rule.get("max_age"), str):
        try:
            parse_duration(rule["max_age"])
        except ValueError as exc:
            problems.append(o.error(f"{side} max_age: {exc}", "max_age"))


def _activity_numbering(p: _RawPractice, problems: list[DataFileError]) -> None:
    ids = [a.id for a in p.activities]
    for i, a in enumerate(p.activities):
        if ids.index(a.id) != i:
            problems.append(a.origin.error(f"{p.id}: duplicate activity id {a.id!r}"))
    for major in "abc":
        acts = [(int(mt.group(2)), a) for a in p.activities if (mt := _ACT.match(a.id)) and mt.group(1) == major]
        nums = [n for n, _ in acts]
        # An activity added by an overlay is where a broken numbering was made.
        added = [a for _, a in acts if a.origin.loc is not p.origin.loc]
        where = added[-1].origin.error if added else (lambda msg: p.origin.error(msg, "activities"))
        if nums != list(range(1, len(nums) + 1)):
            problems.append(
                where(
                    f"{p.id}: {major}-activities must be numbered {major}1..{major}{len(nums)} in "
                    "order, got " + ", ".join(f"{major}{n}" for n in nums)
                )
            )
        if not nums:
            problems.append(p.origin.error(f"{p.id}: has no {major}-activities", "activities"))
    for a in p.activities:
        for j, r in enumerate(a.data.get("recommended", [])):
            if not str(r.get("id", "")).startswith(a.id):
                problems.append(
                    a.origin.error(
                        f"{p.id}: recommended activity {r.get('id')!r} is not under {a.id!r}", "recommended", j
                    )
                )


# --------------------------------------------------------------------------- freezing


def _rule(data: Mapping[str, Any] | None, side: Side, own: bool = False) -> EvidenceRule | None:
    if not data:
        return None
    return EvidenceRule(
        check=data["check"],
        side=side,
        max_age=data.get("max_age"),
        doc_types=tuple(data.get("doc_types", ())),
        record_kinds=tuple(data.get("record_kinds", ())),
        summary=data.get("summary", ""),
        reason=" ".join(str(data.get("reason", "")).split()),
        own=own,
    )


def _frozen_sides(raw: _Raw, p: _RawPractice, a: _RawActivity) -> EvidenceSides:
    """An activity's two rules: its own sides, else the defaults for its position and type."""
    rules: list[EvidenceRule | None] = []
    found_default = False
    for side in SIDES:
        if side in a.sides:
            rules.append(_rule(a.sides[side], side, own=True))
            continue
        data, key = _default_side(raw, a.id, p.data.get("type"), side)
        found_default = found_default or bool(key)
        rules.append(_rule(data, side, own=f"{key}.{side}" in raw.default_own))
    if not a.sides and not found_default:
        # an activity beyond the standard ids (a4, c6) with no rule of its own
        return EvidenceSides(None, EvidenceRule("record-or-section", "performed"))
    return EvidenceSides(rules[0], rules[1])


def _frozen_defaults(raw: _Raw) -> dict[str, EvidenceSides]:
    """Each default with both sides filled in (`b:plan` takes what it leaves out from `b`)."""
    out: dict[str, EvidenceSides] = {}
    for key, _, _ in _defaults_walk(raw.meta["evidence_defaults"]):
        a_id, _, ptype = key.partition(":")
        act_id = "b1" if a_id == "b" else a_id
        rules = []
        for side in SIDES:
            data, origin_key = _default_side(raw, act_id, ptype or None, side)
            rules.append(_rule(data, side, own=f"{origin_key}.{side}" in raw.default_own))
        out[key] = EvidenceSides(rules[0], rules[1])
    return out


def _build(raw: _Raw) -> Pack:
    m = raw.meta
    order = {a["id"]: i for i, a in enumerate(m["areas"])}
    practices = []
    for p in sorted(raw.practices, key=lambda x: order.get(x.area, len(order))):
        acts = []
        for a in p.activities:
            sides = _frozen_sides(raw, p, a)
            acts.append(
                Activity(
                    id=a.id,
                    summary=a.data["summary"],
                    documented=sides.documented,
                    performed=sides.performed,
                    supports=tuple(a.data.get("supports", ())),
                    recommended=tuple(Recommended(r["id"], r["summary"]) for r in a.data.get("recommended", ())),
                    notes=tuple(a.data.get("notes", ())),
                )
            )
        d = p.data
        practices.append(
            Practice(
                id=p.id,
                title=d["title"],
                area=p.area,
                phase=d["phase"],
                level=d["level"],
                type=d["type"],
                summary=d["summary"],
                activities=tuple(acts),
                support=bool(d.get("support", False)),
                relationships=tuple(
                    Relationship(r["kind"], r["practice"], r.get("summary", "")) for r in d.get("relationships", ())
                ),
                notes=tuple(d.get("notes", ())),
                in_scope=bool(d.get("in_scope", True)),
                source=p.origin.path,
                tailoring=tuple(p.tailoring),
            )
        )
    return Pack(
        id=m["id"],
        name=m["name"],
        version=m["version"],
        areas=tuple(Area(a["id"], a["name"], tuple(a.get("phases", ())), a.get("summary", "")) for a in m["areas"]),
        phases=tuple(ph["id"] for ph in m["phases"]),
        levels=tuple(
            Level(lv["level"], lv["name"], lv.get("summary", ""), lv.get("sustained_evaluations")) for lv in m["levels"]
        ),
        doc_types={
            k: DocType(
                k,
                v.get("summary", ""),
                tuple(DocTypePart(s["part"], tuple(s["headings"])) for s in v.get("structure", ())),
                tuple(v.get("requires", ())),
            )
            for k, v in m["doc_types"].items()
        },
        practices=tuple(practices),
        path=str(raw.folder),
        source=m.get("source", ""),
        notice=m.get("notice", ""),
        extends=raw.base_id,
        evidence_defaults=_frozen_defaults(raw),
        record_kinds={k: " ".join(v["summary"].split()) for k, v in m.get("record_kinds", {}).items()},
        phase_summaries={ph["id"]: ph.get("summary", "") for ph in m["phases"]},
        vocabulary=m.get("vocabulary", ""),
    )


def load_vocabulary(pack: Pack) -> dict[str, tuple[str, ...]]:
    """The pack's per-Practice vocabulary ({} when it names none); PackError, located, when invalid.

    Read only by the commands that rank documents, so a check never pays for it.
    """
    if not pack.vocabulary:
        return {}
    path = Path(pack.vocabulary)
    try:
        loc = load_yaml_file(path, _display(path))
    except DataFileError as exc:
        raise PackError([exc]) from None
    problems = schema_errors(_validator("vocabulary_file"), loc)
    if not problems:
        for pid in loc.data["practices"]:
            if pack.practice(pid) is None:
                near = difflib.get_close_matches(pid, [p.id for p in pack.practices], n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                problems.append(
                    DataFileError(loc.path, loc.line_of(("practices", pid)), f"practices/{pid}: no such Practice{hint}")
                )
    if problems:
        raise PackError(problems)
    return {pid: tuple(terms) for pid, terms in sorted(loc.data["practices"].items())}


def _display(path: Path) -> str:
    """Paths inside the installed package are shown relative to it, others to the working folder."""
    for root in (Path(str(resources.files("escm_check.rules"))).parent, Path.cwd()):
        try:
            return str(path.relative_to(root))
        except ValueError:
            continue
    return str(path)
