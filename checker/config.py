"""Find, read and validate the configuration; an invalid one is a usage error (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .durations import Duration, parse_duration
from .yamlsource import DataFileError, Located, load_yaml_file, schema_errors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = ".escm-check.yaml"


class ConfigError(Exception):
    """The configuration is invalid; the message names the file and key."""


@dataclass(frozen=True)
class Waiver:
    """A Practice or activity made not-applicable, as written in the config."""

    practice: str | None
    activity: str | None
    reason: str | None
    approved_by: str | None
    expires: str | None
    line: int | None = None


@dataclass(frozen=True)
class Config:
    """Effective settings: file values over defaults, command-line options over both."""

    path: str | None = None
    model: str = "escm-sp-v2"
    rules: str | None = None
    target_level: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    as_of: dt.date | None = None
    review_cycle: Duration = Duration(12, "month")
    record_max_age: Duration = Duration(12, "month")
    field_map: Mapping[str, str] = field(default_factory=dict)
    scope_areas: tuple[str, ...] = ()
    scope_exclude_areas: tuple[str, ...] = ()
    scope_practices: tuple[str, ...] = ()
    scope_exclude_practices: tuple[str, ...] = ()
    scope_max_level: int | None = None
    waivers: tuple[Waiver, ...] = ()
    approval_mode: str = "trailer"
    approval_trailers: tuple[str, ...] = ("Approved-by",)
    review_trailers: tuple[str, ...] = ("Reviewed-by",)
    sustained_evaluations: tuple[tuple[str, int], ...] = ()
    limits: Mapping[str, Any] = field(default_factory=dict)
    cache: bool = True
    cache_dir: str | None = None
    jobs: int | None = None
    base_dir: str = "."

    def hash_key(self) -> str:
        """A stable text of the settings that change parse results (for the cache key)."""
        return json.dumps({"field_map": dict(sorted(self.field_map.items())),
                           "limits": dict(sorted(self.limits.items()))}, sort_keys=True)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("escm_check.schemas").joinpath("config.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def find_config(start: Path, stop: Path | None) -> Path | None:
    """The nearest `.escm-check.yaml`, or pyproject.toml with [tool.escm-check], from start up to stop."""
    cur = start.resolve()
    stop_at = stop.resolve() if stop else None
    while True:
        candidate = cur / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = cur / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if stop_at is None or cur == stop_at or cur.parent == cur:
            return None
        cur = cur.parent


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "escm-check" in data.get("tool", {})


def _load_raw(path: Path) -> Located:
    if path.name == "pyproject.toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read [tool.escm-check]: {exc}") from None
        table = data.get("tool", {}).get("escm-check", {})
        # TOML keys use dashes by convention; accept both spellings.
        return Located(str(path), {k.replace("-", "_"): v for k, v in table.items()}, {})
    try:
        loc = load_yaml_file(path)
    except DataFileError as exc:
        raise ConfigError(str(exc)) from None
    if loc.data is None:
        return Located(loc.path, {}, loc.lines)
    return loc


def load_config(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read and validate a config file (or none) and apply command-line overrides."""
    raw: dict[str, Any] = {}
    loc: Located | None = None
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        loc = _load_raw(path)
        errors = schema_errors(_validator(), loc)
        if errors:
            raise ConfigError("\n".join(str(e) for e in errors))
        raw = dict(loc.data)
    for k, v in (overrides or {}).items():
        if v is not None:
            raw[k] = v
    return _build(raw, loc, path)


def _build(raw: Mapping[str, Any], loc: Located | None, path: Path | None) -> Config:
    where = str(path) if path else "command line"

    def line(*keys: str | int) -> str:
        n = loc.line_of(tuple(keys)) if loc and loc.lines else None
        return f"{where}:{n}" if n else where

    def duration(key: str, default: Duration) -> Duration:
        if key not in raw:
            return default
        try:
            return parse_duration(raw[key])
        except ValueError as exc:
            raise ConfigError(f"{line(key)}: {key}: {exc}") from None

    as_of = None
    if raw.get("as_of") is not None:
        try:
            as_of = raw["as_of"] if isinstance(raw["as_of"], dt.date) else dt.date.fromisoformat(str(raw["as_of"]))
        except ValueError:
            raise ConfigError(f"{line('as_of')}: as_of: not a date: {raw['as_of']!r}") from None
    scope = raw.get("scope", {}) or {}
    waivers = tuple(
        Waiver(w.get("practice"), w.get("activity"), w.get("reason"), w.get("approved_by"),
               None if w.get("expires") is None else str(w.get("expires")),
               loc.line_of(("waivers", i)) if loc and loc.lines else None)
        for i, w in enumerate(raw.get("waivers", []) or []))
    return Config(
        path=str(path) if path else None,
        model=raw.get("model", "escm-sp-v2"),
        rules=raw.get("rules"),
        target_level=raw.get("target_level"),
        include=tuple(raw.get("include", ())),
        exclude=tuple(raw.get("exclude", ())),
        as_of=as_of,
        review_cycle=duration("review_cycle", Duration(12, "month")),
        record_max_age=duration("record_max_age", Duration(12, "month")),
        field_map=dict(raw.get("field_map", {}) or {}),
        scope_areas=tuple(scope.get("areas", ())),
        scope_exclude_areas=tuple(scope.get("exclude_areas", ())),
        scope_practices=tuple(scope.get("practices", ())),
        scope_exclude_practices=tuple(scope.get("exclude_practices", ())),
        scope_max_level=scope.get("max_level"),
        waivers=waivers,
        approval_mode=raw.get("approval_mode", "trailer"),
        approval_trailers=tuple(raw.get("approval_trailers", ("Approved-by",))),
        review_trailers=tuple(raw.get("review_trailers", ("Reviewed-by",))),
        sustained_evaluations=tuple((str(e["date"]), int(e["level"]))
                                    for e in raw.get("sustained_evaluations", ()) or ()),
        limits=dict(raw.get("limits", {}) or {}),
        cache=bool(raw.get("cache", True)),
        cache_dir=raw.get("cache_dir"),
        jobs=raw.get("jobs"),
        base_dir=str(path.parent) if path else ".",
    )
