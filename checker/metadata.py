"""Normalise a document's metadata onto the checker's keys and validate it."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import msgspec

from .documents import Document
from .durations import duration_error, is_iso_date, parse_date
from .findings import Finding, make
from .metadata_keys import DATE_KEYS, KEYS
from .plainschema import surely_valid
from .versions import version_error

if TYPE_CHECKING:  # imported when a schema is first used: most warm runs validate nothing
    import jsonschema


class DocMeta(msgspec.Struct, frozen=True):
    """The checker's view of one document's metadata."""

    id: str | None = None
    title: str | None = None
    type: str | None = None
    practices: tuple[str, ...] = ()
    satisfies: Mapping[str, tuple[str, ...]] = None  # type: ignore[assignment]
    status: str | None = None
    version: str | None = None
    owner: str | None = None
    approved_by: str | None = None
    approved_on: dt.date | None = None
    reviewed_on: dt.date | None = None
    review_cycle: str | None = None
    next_review: dt.date | None = None
    date: dt.date | None = None
    record_kind: str | None = None  # a record's kind, from the rule pack's `record_kinds`
    valid: bool = True

    def __post_init__(self) -> None:
        if self.satisfies is None:
            msgspec.structs.force_setattr(self, "satisfies", {})

    @property
    def approved(self) -> bool:
        """An approved controlled document, or a record that is not a draft."""
        if self.type == "record":
            return self.status in (None, "approved")
        return self.status == "approved"


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("escm_check.schemas").joinpath("front-matter.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# Schema validation is most of normalise's time, and the answers repeat: the schema is a
# plain `properties` map, so a value that certainly passes its property's schema (a text
# key with some text, an ISO date) can stand in for any other such value. Errors are
# computed on that stand-in instance, which fails exactly where the document's does, with
# the same messages (only the failing values, kept as they are, appear in them).
_TEXT_KEYS: dict[str, int | None] = {"id": 120, "title": None, "version": None, "owner": None, "approved_by": None}
_NOT_TEXT = -1
_KEY_SET = frozenset(KEYS)
_PLAIN = (str, int, float, bool, type(None))
_ERRORS: dict[str, tuple[tuple[tuple[str | int, ...], str], ...]] = {}
_ERRORS_MAX = 4096


def _plain(value: Any) -> bool:
    if type(value) in _PLAIN:
        return True
    if type(value) is list:
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def _schema_errors(instance: dict[str, Any]) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    """(absolute path, message) of each schema error, in the order normalise reports them."""
    stand_in: dict[str, Any] = {}
    for k, v in instance.items():  # one pass: whether it is plain, and its stand-in
        if type(k) is not str:
            return _validate(instance)
        if type(v) is str:
            top = _TEXT_KEYS.get(k, _NOT_TEXT)
            if top is not _NOT_TEXT:
                if v and (top is None or len(v) <= top):
                    v = "x"
            elif k in DATE_KEYS and is_iso_date(v):
                v = "2000-01-01"
        elif not _plain(v):
            return _validate(instance)
        stand_in[k] = v
    memo = repr(stand_in)
    found = _ERRORS.get(memo)
    if found is None:
        if len(_ERRORS) >= _ERRORS_MAX:
            _ERRORS.clear()
        found = _ERRORS[memo] = _validate(stand_in)
    return found


def _validate(instance: dict[str, Any]) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    if surely_valid(_schema(), instance):
        return ()  # jsonschema is needed only to word errors (see plainschema)
    errors = sorted(_validator().iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return tuple((tuple(e.absolute_path), e.message) for e in errors)


def _near_miss(key: str) -> str | None:
    if key in _KEY_SET:
        return None
    norm = key.lower().replace("-", "_").replace(" ", "_")
    if norm in KEYS:
        return norm
    if norm.rstrip("s") in KEYS or norm + "s" in KEYS:
        return norm.rstrip("s") if norm.rstrip("s") in KEYS else norm + "s"
    hits = difflib.get_close_matches(norm, KEYS, n=1, cutoff=0.8)
    return hits[0] if hits else None


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def normalise(
    doc: Document, field_map: Mapping[str, str | None], value_map: Mapping[str, Mapping[str, str]] | None = None
) -> tuple[DocMeta, tuple[Finding, ...]]:
    """Apply field_map and value_map, validate against the front-matter schema, and build a DocMeta."""
    # Word and PDF properties count as metadata only when one of our keys is there; a key
    # the config maps onto ours counts too.
    if not doc.has_metadata and not (doc.error is None and any(field_map.get(k) for k in doc.metadata)):
        return DocMeta(valid=False), ()
    findings: list[Finding] = []
    raw: dict[str, Any] = {}
    read_from: dict[str, str] = {}  # our key -> the document's key it was read from
    metadata = doc.metadata
    for key, value in metadata.items():
        target = field_map.get(key, key) if field_map else key
        if target is None:
            continue  # a key of the repository's own that only shares a name with ours
        if target in raw and target != key:
            continue  # an explicit key of ours wins over a mapped one
        raw[target] = value
        read_from[target] = key
        if key not in _KEY_SET and key not in field_map and (hint := _near_miss(key)) and hint not in metadata:
            findings.append(
                make(
                    "front-matter-unknown-key",
                    f"unknown key {key!r}: did you mean {hint!r}?",
                    path=doc.path,
                    line=doc.meta_line(key),
                    hint=f"Rename {key!r} to {hint!r}, or map it with field_map.",
                )
            )
    for k, values in (value_map or {}).items():
        if isinstance(raw.get(k), str):
            raw[k] = mapped_value(values, raw[k])
    if "practices" in raw:
        raw["practices"] = _as_list(raw["practices"])
    if isinstance(raw.get("satisfies"), str):
        raw["satisfies"] = _claims_from_text(raw["satisfies"])
    if isinstance(raw.get("satisfies"), dict):
        raw["satisfies"] = {str(k): _as_list(v) for k, v in raw["satisfies"].items()}
    for k in _TEXT_KEYS:  # a number there is read as text
        v = raw.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raw[k] = str(v)

    def line(k: str) -> int | None:
        # looked up only for a finding: most documents have none
        return doc.meta_line(read_from[k]) if k in read_from else None

    valid = True
    for where, message in _schema_errors({k: v for k, v in raw.items() if k in _KEY_SET}):
        key = str(where[0]) if where else ""
        valid = False
        label = key or "front matter"
        findings.append(
            make(
                "front-matter-invalid",
                f"{label}: {message}",
                path=doc.path,
                line=line(key) or (_first_line([line(k) for k in read_from]) if not key else None),
            )
        )
        raw.pop(key, None) if key else None
    for key, problem in _grammar_errors(raw):
        valid = False
        findings.append(make("front-matter-invalid", f"{key}: {problem}", path=doc.path, line=line(key)))
        raw.pop(key, None)

    def s(k: str) -> str | None:
        v = raw.get(k)
        return str(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else None

    def d(k: str) -> dt.date | None:
        return parse_date(raw.get(k))

    if isinstance(raw.get("approved_by"), list):  # several approvers: shown as one text
        raw["approved_by"] = ", ".join(str(a) for a in raw["approved_by"])
    practices = tuple(str(p).lower() for p in raw.get("practices", []) if isinstance(p, str))
    satisfies = {
        str(k).lower(): tuple(str(a).lower() for a in v)
        for k, v in (raw.get("satisfies") or {}).items()
        if isinstance(v, list)
    }
    return DocMeta(
        id=s("id"),
        title=s("title"),
        type=s("type"),
        practices=practices,
        satisfies=satisfies,
        status=s("status"),
        version=s("version"),
        owner=s("owner"),
        approved_by=s("approved_by"),
        approved_on=d("approved_on"),
        reviewed_on=d("reviewed_on"),
        review_cycle=s("review_cycle"),
        next_review=d("next_review"),
        date=d("date"),
        record_kind=s("record_kind"),
        valid=valid,
    ), tuple(findings)


def mapped_value(values: Mapping[str, str], value: str) -> str:
    """A repository's own value translated by value_map (exact spelling first, then any case)."""
    if value in values:
        return values[value]
    folded = value.strip().lower()
    for theirs, ours in values.items():
        if theirs.strip().lower() == folded:
            return ours
    return value


def approvers(doc: Document, field_map: Mapping[str, str | None]) -> tuple[str, ...]:
    """Each approver a document names: `approved_by` (or the key mapped onto it) as text or a list."""
    keys = [k for k, target in field_map.items() if target == "approved_by" and k in doc.metadata]
    own = None if "approved_by" in field_map else doc.metadata.get("approved_by")
    value = own if own is not None else (doc.metadata.get(keys[0]) if keys else None)
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if isinstance(v, (str, int, float)) and str(v).strip())
    return ()


def _grammar_errors(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Values the schema lets through that the version or duration grammar refuses."""
    out: list[tuple[str, str]] = []
    version = raw.get("version")
    if isinstance(version, str) and (why := version_error(version)) is not None:
        out.append(("version", why))
    cycle = raw.get("review_cycle")
    if isinstance(cycle, str) and (why := duration_error(cycle)) is not None:
        out.append(("review_cycle", why))
    return out


def _claims_from_text(text: str) -> dict[str, list[str]]:
    """`knw07.b1, knw07.b2` (the .docx property form) to {"knw07": ["b1", "b2"]}."""
    out: dict[str, list[str]] = {}
    for item in text.split(","):
        item = item.strip()
        if "." in item:
            p, a = item.split(".", 1)
            out.setdefault(p.strip(), []).append(a.strip())
    return out


def _first_line(lines: Sequence[int | None]) -> int | None:
    """The first front-matter line, for problems that belong to no one key."""
    known = [n for n in lines if n]
    return min(known) if known else None
