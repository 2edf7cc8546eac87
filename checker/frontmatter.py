"""YAML front matter and sidecar metadata: safe, bounded, with line numbers and trap findings.

PyYAML silently keeps the last of duplicate keys, reads `2.10` as the float 2.1 and `no`
as False, and expands alias bombs. We compose the node graph ourselves so each of those
becomes a finding naming the line, and the raw text of a scalar is never lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from .findings import Finding, make

try:  # the C loader is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 20_000  # expanded nodes: stops alias bombs long before memory matters
MAX_DEPTH = 64
MAX_BYTES = 256 * 1024

# Keys whose values are text: a YAML date, number or boolean there is a trap.
STRING_KEYS = frozenset({"id", "title", "type", "status", "version", "owner", "approved_by",
                         "review_cycle", "reviewed_by"})
DATE_KEYS = frozenset({"approved_on", "next_review", "date", "reviewed_on"})

_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_TS = "tag:yaml.org,2002:timestamp"
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_NULL = "tag:yaml.org,2002:null"


class YamlLimitError(ValueError):
    """The YAML is too large, too deep or expands too far (an alias bomb)."""


@dataclass(frozen=True)
class MetaBlock:
    """Parsed metadata with the 1-based line of each top-level key."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[Finding, ...] = ()
    ok: bool = True


@dataclass(frozen=True)
class FrontMatter:
    """Front matter split from a Markdown file, and where the body starts."""

    present: bool
    meta: MetaBlock
    body: str
    body_line: int  # 1-based line number of the body's first line


class _Builder:
    """Turns a composed node graph into plain values, counting every expansion."""

    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.count = 0
        self.problems: list[Finding] = []
        self._ctor = yaml.SafeLoader("")

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlLimitError(f"expands to more than {MAX_NODES} nodes (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(n, depth + 1) for n in node.value]
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                raise YamlLimitError("merge keys (<<) are not supported in metadata")
            key = self.scalar(knode) if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                key = knode.value if isinstance(knode, yaml.ScalarNode) else str(key)
            key = str(key)
            if key in seen:
                self.problems.append(make(
                    "yaml-error",
                    f"duplicate key {key!r} (first on line {seen[key]}); YAML keeps only the last",
                    path=self.path, line=self.line(knode),
                    hint="Remove one of the duplicate keys."))
            seen[key] = self.line(knode)
            out[key] = self.build(vnode, depth + 1)
        return out

    def scalar(self, node: yaml.Node) -> Any:
        return self._ctor.construct_object(node, deep=True)


def _trap_findings(top: yaml.MappingNode, data: dict[str, Any], b: _Builder) -> None:
    """Keep the source text of trapped scalars and report each trap."""
    for knode, vnode in top.value:
        key = str(knode.value) if isinstance(knode, yaml.ScalarNode) else None
        if key is None or not isinstance(vnode, yaml.ScalarNode):
            continue
        line = b.line(vnode)
        raw = vnode.value
        if key == "version" and vnode.tag in (_TAG_INT, _TAG_FLOAT):
            b.problems.append(make(
                "version-not-string",
                f"version {raw} is read by YAML as a number ({data.get(key)!r}); quote it",
                path=b.path, line=line))
            data[key] = raw
        elif key in STRING_KEYS and vnode.tag == _TAG_BOOL:
            b.problems.append(make(
                "yaml-error",
                f"{key}: {raw} is read by YAML as the boolean {data.get(key)!r}, not text",
                path=b.path, line=line, hint=f'Quote the value: {key}: "{raw}".'))
            data[key] = raw
        elif key in STRING_KEYS and vnode.tag == _TAG_TS:
            b.problems.append(make(
                "yaml-error", f"{key}: {raw} is read by YAML as a date, not text",
                path=b.path, line=line, hint=f'Quote the value: {key}: "{raw}".'))
            data[key] = raw
        elif key in STRING_KEYS and vnode.tag in (_TAG_INT, _TAG_FLOAT):
            data[key] = raw  # ids such as 42 are harmless as text
        elif key in DATE_KEYS and vnode.tag == _TAG_TS:
            value = data.get(key)
            if isinstance(value, dt.datetime):
                value = value.date()
            data[key] = value.isoformat() if isinstance(value, dt.date) else raw


def load_mapping(text: str, path: str, line_offset: int = 0) -> MetaBlock:
    """Parse a YAML mapping safely; problems are findings, never exceptions."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return MetaBlock(problems=(make("yaml-error", f"metadata larger than {MAX_BYTES} bytes",
                                        path=path, line=line_offset + 1),), ok=False)
    if "\t" in text:
        for i, ln in enumerate(text.splitlines()):
            if ln[: len(ln) - len(ln.lstrip())].count("\t"):
                return MetaBlock(problems=(make(
                    "yaml-error", "a tab is used for indentation; YAML allows only spaces",
                    path=path, line=line_offset + i + 1,
                    hint="Indent with spaces."),), ok=False)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        return MetaBlock(problems=(make("yaml-error", f"invalid YAML: {exc.problem or exc}",
                                        path=path, line=line),), ok=False)
    except (yaml.YAMLError, RecursionError) as exc:
        return MetaBlock(problems=(make("yaml-error", f"invalid YAML: {exc}", path=path,
                                        line=line_offset + 1),), ok=False)
    if node is None:
        return MetaBlock()
    if not isinstance(node, yaml.MappingNode):
        return MetaBlock(problems=(make("yaml-error", "metadata must be a mapping of keys to values",
                                        path=path, line=line_offset + 1),), ok=False)
    b = _Builder(path, line_offset)
    try:
        data = b.mapping(node, 0)
        _trap_findings(node, data, b)
    except YamlLimitError as exc:
        return MetaBlock(problems=(make("yaml-error", f"metadata refused: {exc}", path=path,
                                        line=line_offset + 1,
                                        hint="Simplify the YAML; anchors and aliases are limited."),),
                         ok=False)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return MetaBlock(problems=(make("yaml-error", f"invalid YAML value: {exc}", path=path,
                                        line=line_offset + 1),), ok=False)
    lines = {str(k.value): b.line(k) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return MetaBlock(data=_jsonable(data), lines=lines, problems=tuple(b.problems))


def _jsonable(value: Any) -> Any:
    """Dates become ISO strings so metadata is plain JSON data."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def normalise_text(text: str) -> str:
    """Drop a BOM and turn CRLF and CR line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split `---` front matter from a Markdown text (already normalised)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(False, MetaBlock(), text, 1)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            meta = load_mapping("\n".join(lines[1:i]), path, line_offset=1)
            return FrontMatter(True, meta, "\n".join(lines[i + 1 :]), i + 2)
    problem = make("yaml-error", "front matter opened with '---' on line 1 is never closed",
                   path=path, line=1, hint="Close the front matter with a '---' line.")
    return FrontMatter(True, MetaBlock(problems=(problem,), ok=False), text, 1)
