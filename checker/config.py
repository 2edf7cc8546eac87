"""Find, read and validate the configuration; an invalid one is a usage error (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import yaml

from .durations import Duration, parse_duration
from .formats import check_format_pattern
from .pathpatterns import PatternError, check_pattern
from .yamlcore import YAML_LIMITS, YamlLimitError, compose_yaml, nodes, short_tag, unsafe_tag
from .yamlsource import DataFileError, Located, load_yaml_file, schema_errors

if TYPE_CHECKING:  # imported when a schema is first used: most warm runs validate nothing
    import jsonschema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = ".escm-check.yaml"


class ConfigError(Exception):
    """The configuration is invalid; the message names the file and key."""


class Waiver(msgspec.Struct, frozen=True):
    """A Practice or activity made not-applicable, as written in the config."""

    practice: str | None
    activity: str | None
    reason: str | None
    approved_by: str | None
    expires: str | None
    line: int | None = None


class Config(msgspec.Struct, frozen=True):
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
    field_map: Mapping[str, str | None] = msgspec.field(default_factory=dict)  # None: theirs, set aside
    # key (status, type) -> the repository's own value -> ours
    value_map: Mapping[str, Mapping[str, str]] = msgspec.field(default_factory=dict)
    # file-name pattern ("*.md.erb", ".mdx") -> reader name, beside the built-in extensions
    formats: Mapping[str, str] = msgspec.field(default_factory=dict)
    crosswalk: str | None = None
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
    limits: Mapping[str, Any] = msgspec.field(default_factory=dict)
    cache: bool = True
    cache_dir: str | None = None
    jobs: int | None = None
    base_dir: str = "."

    def hash_key(self) -> str:
        """A stable text of the settings that change parse results (for the cache key)."""
        return json.dumps(
            {
                "field_map": {k: v for k, v in sorted(self.field_map.items())},
                "value_map": {k: dict(sorted(v.items())) for k, v in sorted(self.value_map.items())},
                "formats": dict(sorted(self.formats.items())),
                "limits": dict(sorted(self.limits.items())),
            },
            sort_keys=True,
        )


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

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
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        # unreadable, but plainly meant for us: load_config reports why, rather than the check
        # silently running with the defaults
        return "tool.escm-check" in text
    tool = data.get("tool", {})
    return isinstance(tool, dict) and "escm-check" in tool


MAX_CONFIG_BYTES = YAML_LIMITS["config"].bytes
MAX_CONFIG_DEPTH = YAML_LIMITS["config"].depth


def _depth(root: yaml.Node) -> int:
    """How deeply collections nest in a composed YAML graph (aliases counted once)."""
    deepest = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    seen: set[int] = set()
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if id(node) in seen or deepest > MAX_CONFIG_DEPTH:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(n, d + 1) for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(n, d + 1) for n in node.value]
    return deepest


def _safe_yaml(path: Path) -> None:
    """Refuse, as a ConfigError, YAML that is not plain data before anything builds it:
    a tag such as `!!python/object/apply` (never executed, always an error), nesting deep
    enough to exhaust a parser's stack, or a file far larger than any configuration."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: {len(data)} bytes is too large for a configuration file (limit {MAX_CONFIG_BYTES} bytes)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 at byte {exc.start}") from None
    try:
        node = compose_yaml(text)
    except (YamlLimitError, RecursionError):
        raise ConfigError(f"{path}: YAML nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None
    bad = unsafe_tag(node)
    if bad is not None:
        tag, line = bad
        raise ConfigError(
            f"{path}:{line}: the YAML tag {tag} is not allowed: configuration is "
            "plain data, and no tag is ever resolved to code"
        )
    if node is not None and _depth(node) > MAX_CONFIG_DEPTH:
        raise ConfigError(f"{path}: YAML nested deeper than {MAX_CONFIG_DEPTH} levels")
    ctor = yaml.SafeLoader("")
    for scalar in _scalars(node):
        try:
            ctor.construct_object(scalar, deep=True)
        except Exception:  # PyYAML raises KeyError for `!!bool maybe`, AttributeError, ...
            raise ConfigError(
                f"{path}:{scalar.start_mark.line + 1}: {scalar.value[:60]!r} is not a valid {short_tag(scalar.tag)}"
            ) from None


def _scalars(root: yaml.Node | None) -> list[yaml.ScalarNode]:
    return [n for n in nodes(root) if isinstance(n, yaml.ScalarNode)]


def _load_raw(path: Path) -> Located:
    if path.name == "pyproject.toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read [tool.escm-check]: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{path}: cannot read [tool.escm-check]: nested too deeply") from None
        tool = data.get("tool", {})
        table = tool.get("escm-check", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.escm-check] must be a table")
        # TOML keys use dashes by convention; accept both spellings.
        return Located(str(path), {k.replace("-", "_"): v for k, v in table.items()}, {})
    _safe_yaml(path)
    try:
        loc = load_yaml_file(path, kind="config")
    except DataFileError as exc:
        raise ConfigError(str(exc)) from None
    except Exception as exc:  # PyYAML's constructors: `!!bool maybe` is a KeyError, ...
        raise ConfigError(f"{path}: invalid YAML value: {exc}".split("\n", 1)[0]) from None
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
        try:
            errors = schema_errors(_validator(), loc)
        except RecursionError:
            raise ConfigError(f"{path}: nested too deeply") from None
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

    def patterns(key: str) -> tuple[str, ...]:
        out = tuple(raw.get(key, ()) or ())
        for i, pattern in enumerate(out):
            try:
                check_pattern(pattern)
            except PatternError as exc:
                raise ConfigError(f"{line(key, i)}: {key}: {exc}") from None
        return out

    formats = {str(k): str(v) for k, v in (raw.get("formats") or {}).items()}
    for pattern in formats:
        try:
            check_format_pattern(pattern)
        except PatternError as exc:
            raise ConfigError(f"{line('formats', pattern)}: formats: {exc}") from None

    as_of = None
    if raw.get("as_of") is not None:
        try:
            as_of = raw["as_of"] if isinstance(raw["as_of"], dt.date) else dt.date.fromisoformat(str(raw["as_of"]))
        except ValueError:
            raise ConfigError(f"{line('as_of')}: as_of: not a date: {raw['as_of']!r}") from None
    scope = raw.get("scope", {}) or {}
    waivers = tuple(
        Waiver(
            w.get("practice"),
            w.get("activity"),
            w.get("reason"),
            w.get("approved_by"),
            None if w.get("expires") is None else str(w.get("expires")),
            loc.line_of(("waivers", i)) if loc and loc.lines else None,
        )
        for i, w in enumerate(raw.get("waivers", []) or [])
    )
    return Config(
        path=str(path) if path else None,
        model=raw.get("model", "escm-sp-v2"),
        rules=raw.get("rules"),
        target_level=raw.get("target_level"),
        include=patterns("include"),
        exclude=patterns("exclude"),
        as_of=as_of,
        review_cycle=duration("review_cycle", Duration(12, "month")),
        record_max_age=duration("record_max_age", Duration(12, "month")),
        field_map=dict(raw.get("field_map", {}) or {}),
        value_map={str(k): {str(a): str(b) for a, b in v.items()} for k, v in (raw.get("value_map") or {}).items()},
        formats=formats,
        crosswalk=raw.get("crosswalk"),
        scope_areas=tuple(scope.get("areas", ())),
        scope_exclude_areas=tuple(scope.get("exclude_areas", ())),
        scope_practices=tuple(scope.get("practices", ())),
        scope_exclude_practices=tuple(scope.get("exclude_practices", ())),
        scope_max_level=scope.get("max_level"),
        waivers=waivers,
        approval_mode=raw.get("approval_mode", "trailer"),
        approval_trailers=tuple(raw.get("approval_trailers", ("Approved-by",))),
        review_trailers=tuple(raw.get("review_trailers", ("Reviewed-by",))),
        sustained_evaluations=tuple(
            (str(e["date"]), int(e["level"])) for e in raw.get("sustained_evaluations", ()) or ()
        ),
        limits=dict(raw.get("limits", {}) or {}),
        cache=bool(raw.get("cache", True)),
        cache_dir=raw.get("cache_dir"),
        jobs=raw.get("jobs"),
        base_dir=str(path.parent) if path else ".",
    )
