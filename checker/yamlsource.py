"""Load a YAML data file (rule packs, config, crosswalk) keeping the line of every node.

Schema errors are reported as `file:line: problem`, so we need the line of each
JSON path; duplicate keys are errors here because rule data must be unambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from .decoding import scrub
from .yamlcore import (
    YAML_LIMITS,
    DuplicateKey,
    JsonPath,
    KeyRefused,
    Walk,
    YamlKind,
    YamlLimitError,
    YamlValueError,
    compose_yaml,
    line_mapper,
    too_large,
    unsafe_tag,
)


@dataclass(frozen=True)
class DataFileError(Exception):
    """A problem in a data file, located by file and 1-based line."""

    path: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}" if self.line else f"{self.path}: {self.problem}"


class Located(msgspec.Struct, frozen=True):
    """Parsed data and the line of every JSON path in it."""

    path: str
    data: Any
    lines: dict[JsonPath, int]

    def line_of(self, json_path: JsonPath) -> int | None:
        """The line of the deepest known node on `json_path`."""
        p = tuple(json_path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


def parse_yaml(text: str, path: str, kind: YamlKind = "data") -> Located:
    """Parse YAML text under the limits of `kind`; raise DataFileError with file and line on any problem."""
    limits = YAML_LIMITS[kind]
    text = scrub(text)  # a lone surrogate makes libyaml raise; text from bytes never holds one
    if too_large(text, limits):
        raise DataFileError(path, None, f"YAML refused: larger than {limits.bytes} bytes")
    try:
        node = compose_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = line_mapper(text)(mark) if mark else None
        raise DataFileError(path, line, f"YAML syntax error: {exc.problem or exc}") from None
    except (yaml.YAMLError, YamlLimitError, RecursionError) as exc:
        raise DataFileError(path, None, f"YAML refused: {exc or 'nested too deeply'}") from None
    # Rule data must be unambiguous: a duplicate key is an error here, not a warning.
    walk = Walk(text, limits, iso_dates=False, refuse_duplicates=True, paths=True)
    try:
        data = walk.value(node) if node is not None else None
    except (YamlLimitError, YamlValueError, RecursionError) as exc:
        raise _walk_error(exc, node, walk, path) from None
    return Located(path, data, walk.lines)


def _walk_error(exc: Exception, node: yaml.Node | None, walk: Walk, path: str) -> DataFileError:
    """The error a data file's walk met; a tag anywhere is named first, as the worst fault."""
    bad = unsafe_tag(node)
    if bad is not None:
        # Data files are data: a tag that would build a Python object is an error, never run.
        return DataFileError(path, bad[1], f"YAML tag {bad[0]} is not allowed in a data file")
    if isinstance(exc, KeyRefused):
        return DataFileError(path, exc.line, "keys must be plain scalars")
    if isinstance(exc, DuplicateKey):
        return DataFileError(path, exc.line, f"duplicate key {exc.key!r}")
    if isinstance(exc, YamlLimitError):
        return DataFileError(path, exc.line, "data too large or too deeply nested")
    if isinstance(exc, YamlValueError):
        # PyYAML's constructors raise several plain exceptions for a forced tag on bad text
        mark = getattr(exc.cause, "problem_mark", None)
        return DataFileError(path, walk.to_line(mark) if mark else None, f"invalid YAML value: {exc.cause}")
    return DataFileError(path, None, f"invalid YAML value: {exc}")


def read_text_file(path: Path, display: str) -> str:
    """A data file's text; DataFileError (never OSError) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(display, None, f"cannot read: {exc}") from None


def load_yaml_file(path: Path, display: str | None = None, kind: YamlKind = "data") -> Located:
    """Read and parse a YAML file of `kind`; raise DataFileError (never OSError) on failure."""
    name = display or str(path)
    return parse_yaml(read_text_file(path, name), name, kind)


def schema_errors(validator: Any, doc: Located) -> list[DataFileError]:
    """Every JSON Schema error in `doc`, located by line, in document order."""
    out = []
    for err in validator.iter_errors(doc.data):
        where: JsonPath = tuple(err.absolute_path)
        msg = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {})
            patterns = err.schema.get("patternProperties", {})
            extras = [k for k in err.instance if k not in known and not any(re.search(p, k) for p in patterns)]
            if extras:
                where = (*where, extras[0])
                msg = f"unknown key {extras[0]!r}" + (f" (and {len(extras) - 1} more)" if len(extras) > 1 else "")
        label = "/".join(str(p) for p in where) or "(top)"
        out.append(DataFileError(doc.path, doc.line_of(where), f"{label}: {msg}"))
    return sorted(out, key=lambda e: (e.line or 0, e.problem))
