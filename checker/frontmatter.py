"""YAML front matter and sidecar metadata: safe, bounded, with line numbers and trap findings.

PyYAML silently keeps the last of duplicate keys, reads `2.10` as the float 2.1 and `no`
as False, and expands alias bombs. We compose the node graph ourselves so each of those
becomes a finding naming the line, and the raw text of a scalar is never lost.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .decoding import scrub
from .findings import Finding, make
from .metadata_keys import ALL_KEYS, DATE_KEYS, TEXT_KEYS

try:  # the C loader is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 20_000  # expanded nodes: stops alias bombs long before memory matters
MAX_DEPTH = 64
MAX_BYTES = 256 * 1024
# libyaml's composer recurses in C once per nesting level and overflows the C stack (a
# segfault, not an exception) at a few ten thousand levels; `[` `{` `- ` `? ` are the only
# ways to nest more than a few hundred levels in MAX_BYTES, so text with many of them is
# composed by PyYAML's pure-Python composer, whose recursion ends in a RecursionError.
MAX_C_INDICATORS = 1000
_BRACKETS = re.compile(r"[\[\]{}]")
# Tags the safe constructor knows; any other explicit tag (`!!python/object/apply:...`,
# a local `!tag`) is refused: metadata is data, and no tag is ever resolved to code.
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_TS = "tag:yaml.org,2002:timestamp"
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_NULL = "tag:yaml.org,2002:null"


class YamlLimitError(ValueError):
    """The YAML is too large, too deep or expands too far (an alias bomb), or holds a tag."""


class YamlValueError(ValueError):
    """A scalar cannot be read as the type its tag names (`!!bool maybe`)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _nesting_indicators(text: str) -> int:
    return (
        text.count("[") + text.count("{") + text.count("- ") + text.count("-\t") + text.count("? ") + text.count("?\t")
    )


def _bracket_depth(text: str) -> int:
    """The deepest `[`/`{` nesting, quotes ignored (only used to refuse absurd input early)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


# YAML 1.1 also breaks lines at NEL, LS and PS, where a text file does not: with them in the
# text, libyaml's line numbers drift from the file's, so lines are counted from the mark's
# character index instead (PyYAML's own reader, whose index is in characters).
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


def line_mapper(text: str, offset: int = 0) -> Callable[[yaml.Mark], int]:
    """The 1-based file line (plus `offset`) of a mark from composing `text`."""
    if not any(b in text for b in _YAML_ONLY_BREAKS):
        return lambda mark: mark.line + 1 + offset
    starts = [i for i, c in enumerate(text) if c == "\n"]
    return lambda mark: bisect.bisect_left(starts, mark.index) + 1 + offset


def compose_yaml(text: str) -> yaml.Node | None:
    """`yaml.compose` that cannot overflow the C stack, whatever the nesting.

    Raises what `yaml.compose` raises, RecursionError for deep nesting, or YamlLimitError
    when brackets alone nest absurdly deep (both C and Python scanners are quadratic there).
    """
    odd_breaks = any(b in text for b in _YAML_ONLY_BREAKS)
    if _nesting_indicators(text) < MAX_C_INDICATORS and not odd_breaks:
        return yaml.compose(text, Loader=_Loader)
    if _bracket_depth(text) > 4 * MAX_DEPTH:
        raise YamlLimitError(f"nested deeper than {4 * MAX_DEPTH} levels of brackets")
    return yaml.compose(text, Loader=yaml.SafeLoader)


def short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` as written: `!!python/object`."""
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def unsafe_tag(root: yaml.Node | None) -> tuple[str, int] | None:
    """The first explicit tag outside SAFE_TAGS in a node graph, and its 1-based line."""
    if root is None:
        return None
    stack: list[yaml.Node] = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in SAFE_TAGS and node.tag != "tag:yaml.org,2002:merge":
            return short_tag(node.tag), node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack += [v, k]
        elif isinstance(node, yaml.SequenceNode):
            stack += reversed(node.value)
    return None


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

    def __init__(self, path: str, offset: int, text: str = "") -> None:
        self.path = path
        self.offset = offset
        self.to_line = line_mapper(text, offset)
        self.count = 0
        self.problems: list[Finding] = []
        self._ctor = yaml.constructor.SafeConstructor()

    def line(self, node: yaml.Node) -> int:
        return self.to_line(node.start_mark)

    def check_tag(self, node: yaml.Node) -> None:
        if node.tag not in SAFE_TAGS and node.tag != "tag:yaml.org,2002:merge":
            raise YamlLimitError(
                f"the YAML tag {short_tag(node.tag)} on line {self.line(node)} is "
                "not allowed (metadata is plain data; tags are never run)"
            )

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        self.check_tag(node)
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
            self.check_tag(knode)
            key = self.scalar(knode) if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                key = knode.value if isinstance(knode, yaml.ScalarNode) else str(key)
            key = str(key)
            if key in seen:
                self.problems.append(
                    make(
                        "yaml-error",
                        f"duplicate key {key!r} (first on line {seen[key]}); YAML keeps only the last",
                        path=self.path,
                        line=self.line(knode),
                        hint="Remove one of the duplicate keys.",
                    )
                )
            seen[key] = self.line(knode)
            out[key] = self.build(vnode, depth + 1)
        return out

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _TAG_STR and isinstance(node, yaml.ScalarNode):
            return node.value  # what the constructor returns for text, without its bookkeeping
        try:
            return self._ctor.construct_object(node, deep=True)
        except Exception as exc:
            # PyYAML's constructors raise KeyError (`!!bool maybe`), AttributeError
            # (`!!timestamp soon`), ValueError, ConstructorError, ...
            what = f"{node.value[:60]!r}" if isinstance(node, yaml.ScalarNode) else "the value"
            raise YamlValueError(f"{what} is not a valid {short_tag(node.tag)}", self.line(node)) from exc


def _trap_findings(top: yaml.MappingNode, data: dict[str, Any], b: _Builder) -> None:
    """Keep the source text of trapped scalars and report each trap."""
    for knode, vnode in top.value:
        key = str(knode.value) if isinstance(knode, yaml.ScalarNode) else None
        if key is None or not isinstance(vnode, yaml.ScalarNode):
            continue
        line = b.line(vnode)
        raw = vnode.value
        if key == "version" and vnode.tag in (_TAG_INT, _TAG_FLOAT):
            b.problems.append(
                make(
                    "version-not-string",
                    f"version {raw} is read by YAML as a number ({data.get(key)!r}); quote it",
                    path=b.path,
                    line=line,
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and vnode.tag == _TAG_BOOL:
            b.problems.append(
                make(
                    "yaml-error",
                    f"{key}: {raw} is read by YAML as the boolean {data.get(key)!r}, not text",
                    path=b.path,
                    line=line,
                    hint=f'Quote the value: {key}: "{raw}".',
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and vnode.tag == _TAG_TS:
            b.problems.append(
                make(
                    "yaml-error",
                    f"{key}: {raw} is read by YAML as a date, not text",
                    path=b.path,
                    line=line,
                    hint=f'Quote the value: {key}: "{raw}".',
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and vnode.tag in (_TAG_INT, _TAG_FLOAT):
            data[key] = raw  # ids such as 42 are harmless as text
        elif key in DATE_KEYS and vnode.tag == _TAG_TS:
            value = data.get(key)
            if isinstance(value, dt.datetime):
                value = value.date()
            data[key] = value.isoformat() if isinstance(value, dt.date) else raw


def load_mapping(text: str, path: str, line_offset: int = 0) -> MetaBlock:
    """Parse a YAML mapping safely; problems are findings, never exceptions."""
    text = scrub(text)  # a lone surrogate makes libyaml raise; text from bytes never holds one
    if len(text.encode("utf-8")) > MAX_BYTES:
        return MetaBlock(
            problems=(make("yaml-error", f"metadata larger than {MAX_BYTES} bytes", path=path, line=line_offset + 1),),
            ok=False,
        )
    if "\t" in text:
        for i, ln in enumerate(text.split("\n")):
            if ln[: len(ln) - len(ln.lstrip())].count("\t"):
                return MetaBlock(
                    problems=(
                        make(
                            "yaml-error",
                            "a tab is used for indentation; YAML allows only spaces",
                            path=path,
                            line=line_offset + i + 1,
                            hint="Indent with spaces.",
                        ),
                    ),
                    ok=False,
                )
    try:
        node = compose_yaml(text)
    except YamlLimitError as exc:
        return MetaBlock(
            problems=(
                make(
                    "yaml-error", f"metadata refused: {exc}", path=path, line=line_offset + 1, hint="Simplify the YAML."
                ),
            ),
            ok=False,
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = line_mapper(text, line_offset)(mark) if mark else line_offset + 1
        return MetaBlock(
            problems=(make("yaml-error", f"invalid YAML: {exc.problem or exc}", path=path, line=line),), ok=False
        )
    except RecursionError:
        return MetaBlock(
            problems=(
                make(
                    "yaml-error",
                    f"metadata refused: nested deeper than {MAX_DEPTH} levels",
                    path=path,
                    line=line_offset + 1,
                    hint="Simplify the YAML.",
                ),
            ),
            ok=False,
        )
    except yaml.YAMLError as exc:
        return MetaBlock(
            problems=(make("yaml-error", f"invalid YAML: {exc}", path=path, line=line_offset + 1),), ok=False
        )
    if node is None:
        return MetaBlock()
    if not isinstance(node, yaml.MappingNode):
        return MetaBlock(
            problems=(
                make("yaml-error", "metadata must be a mapping of keys to values", path=path, line=line_offset + 1),
            ),
            ok=False,
        )
    b = _Builder(path, line_offset, text)
    try:
        b.check_tag(node)
        data = b.mapping(node, 0)
        _trap_findings(node, data, b)
    except YamlLimitError as exc:
        return MetaBlock(
            problems=(
                make(
                    "yaml-error",
                    f"metadata refused: {exc}",
                    path=path,
                    line=line_offset + 1,
                    hint="Simplify the YAML: plain keys and values; anchors, "
                    "aliases and nesting are limited, tags refused.",
                ),
            ),
            ok=False,
        )
    except YamlValueError as exc:
        return MetaBlock(
            problems=(make("yaml-error", f"invalid YAML value: {exc}", path=path, line=exc.line),), ok=False
        )
    except Exception as exc:  # the reader never raises: anything else is still a finding
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        return MetaBlock(
            problems=(
                make(
                    "yaml-error",
                    f"invalid YAML value: {detail}".split("\n", 1)[0],
                    path=path,
                    line=b.to_line(mark) if mark else line_offset + 1,
                ),
            ),
            ok=False,
        )
    lines = {scrub(str(k.value)): b.line(k) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return MetaBlock(data=_jsonable(data), lines=lines, problems=tuple(b.problems))


def _jsonable(value: Any) -> Any:
    """Dates become ISO strings and escaped surrogates real characters: plain JSON data."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):  # !!binary
        return value.decode("latin-1")
    return value


def normalise_text(text: str) -> str:
    """Drop a BOM and turn CRLF and CR line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


_KEY_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,40}[ \t]*:(?:[ \t]|$)")
LOOKAHEAD_LINES = 100


def _looks_like_metadata(lines: list[str]) -> bool:
    """Lines that are `key: value` pairs (with indented or `- ` continuations), naming at
    least two keys, one of them ours: front matter that lost its `---` line."""
    keys = 0
    ours = False
    for n, ln in enumerate(lines):
        if not ln.strip():
            continue
        m = _KEY_LINE.match(ln)
        if m:
            keys += 1
            ours = ours or ln.split(":", 1)[0].strip() in ALL_KEYS
        elif n == 0 or (not ln[:1].isspace() and not ln.startswith("- ")):
            return False
    return keys >= 2 and ours


def _misplaced(lines: list[str], path: str) -> Finding | None:
    """A finding when the text plainly means to have front matter but it is not at the top."""
    head = lines[:LOOKAHEAD_LINES]
    first = next((i for i, ln in enumerate(head) if ln.strip()), None)
    if first is None:
        return None
    if head[first].rstrip() == "---" and first > 0:
        close = next((i for i in range(first + 1, len(head)) if head[i].rstrip() in ("---", "...")), None)
        if close is not None and _looks_like_metadata(head[first + 1 : close]):
            return make(
                "yaml-error",
                f"front matter must start on line 1, but its '---' is on "
                f"line {first + 1}, so the document has no metadata",
                path=path,
                line=first + 1,
                hint="Remove the blank lines above the opening '---'.",
            )
        return None
    close = next((i for i in range(first + 1, len(head)) if head[i].rstrip() == "---"), None)
    if first == 0 and close is not None and _looks_like_metadata(head[:close]):
        return make(
            "yaml-error",
            f"front matter has no opening '---' line: lines 1-{close} look "
            f"like metadata closed by the '---' on line {close + 1}, so the document has "
            "no metadata",
            path=path,
            line=1,
            hint="Add a '---' line at the very top of the file.",
        )
    return None


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split `---` front matter from a Markdown text (already normalised).

    Front matter that lost its opening `---`, or does not start on line 1, is not read;
    a ``yaml-error`` says so rather than letting the document pass as one without metadata.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problem = _misplaced(lines, path)
        meta = MetaBlock(problems=(problem,), ok=False) if problem else MetaBlock()
        return FrontMatter(False, meta, text, 1)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            meta = load_mapping("\n".join(lines[1:i]), path, line_offset=1)
            return FrontMatter(True, meta, "\n".join(lines[i + 1 :]), i + 2)
    problem = make(
        "yaml-error",
        "front matter opened with '---' on line 1 is never closed",
        path=path,
        line=1,
        hint="Close the front matter with a '---' line.",
    )
    return FrontMatter(True, MetaBlock(problems=(problem,), ok=False), text, 1)
