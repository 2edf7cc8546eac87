"""Load a YAML data file (rule packs, config) keeping the line of every node.

Schema errors are reported as `file:line: problem`, so we need the line of each
JSON path; duplicate keys are errors here because rule data must be unambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .decoding import scrub
from .yamlcore import YamlLimitError, compose_yaml, unsafe_tag

JsonPath = tuple[str | int, ...]
MAX_NODES = 200_000


@dataclass(frozen=True)
class DataFileError(Exception):
    """A problem in a data file, located by file and 1-based line."""

    path: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}" if self.line else f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class Located:
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


def parse_yaml(text: str, path: str) -> Located:
    """Parse YAML text; raise DataFileError with file and line on any problem."""
    try:
        node = compose_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DataFileError(path, mark.line + 1 if mark else None, f"YAML syntax error: {exc.problem or exc}") from None
    except (yaml.YAMLError, YamlLimitError, RecursionError) as exc:
        raise DataFileError(path, None, f"YAML refused: {exc or 'nested too deeply'}") from None
    # Data files are data: a tag that would build a Python object is an error, never run.
    bad = unsafe_tag(node)
    if bad is not None:
        raise DataFileError(path, bad[1], f"YAML tag {bad[0]} is not allowed in a data file")
    lines: dict[JsonPath, int] = {}
    ctor = yaml.SafeLoader("")
    count = 0

    def build(n: yaml.Node, where: JsonPath, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES or depth > 100:
            raise DataFileError(path, n.start_mark.line + 1, "data too large or too deeply nested")
        lines.setdefault(where, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                    raise DataFileError(path, k.start_mark.line + 1, "keys must be plain scalars")
                key = scrub(str(k.value))
                if key in out:
                    raise DataFileError(path, k.start_mark.line + 1, f"duplicate key {key!r}")
                lines[where + (key,)] = k.start_mark.line + 1
                out[key] = build(v, (*where, key), depth + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(v, (*where, i), depth + 1) for i, v in enumerate(n.value)]
        value = ctor.construct_object(n, deep=True)
        # Dates stay text: rule and config data are JSON-shaped for schema validation.
        if n.tag == "tag:yaml.org,2002:timestamp":
            return str(n.value)
        return scrub(value) if isinstance(value, str) else value  # `"\ud800"` escapes

    try:
        data = build(node, (), 0) if node is not None else None
    except (yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # PyYAML's constructors raise several plain exceptions for a forced tag on bad text
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(path, mark.line + 1 if mark else None, f"invalid YAML value: {exc}") from None
    return Located(path, data, lines)


def read_text_file(path: Path, display: str) -> str:
    """A data file's text; DataFileError (never OSError) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(display, None, f"cannot read: {exc}") from None


def load_yaml_file(path: Path, display: str | None = None) -> Located:
    """Read and parse a YAML file; raise DataFileError (never OSError) on failure."""
    name = display or str(path)
    return parse_yaml(read_text_file(path, name), name)


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
