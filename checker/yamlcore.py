"""The one safe, bounded way YAML text becomes plain values, for every kind of YAML we read.

PyYAML alone silently keeps the last of duplicate keys, expands alias bombs, resolves tags to
code and overflows the C stack on deep nesting. Front matter, sidecars, rule packs, the
configuration and the crosswalk all compose here and walk the node graph here, under the
limits of their kind in YAML_LIMITS; their modules only word the refusals for their reader.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

import msgspec
import yaml

from .decoding import scrub

try:  # the C loader is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

JsonPath = tuple[str | int, ...]


class YamlLimits(msgspec.Struct, frozen=True):
    """How much YAML of one kind may hold: expanded nodes, nesting depth and text bytes."""

    nodes: int  # expanded nodes: stops alias bombs long before memory matters
    depth: int
    bytes: int


# Every YAML limit, one entry per kind of input. Front matter is read once per document (tens
# of thousands per run), so it is held tight; a rule pack's area file or a crosswalk of a
# large repository legitimately holds ten times the nodes.
YamlKind = Literal["front-matter", "config", "data"]
YAML_LIMITS: dict[YamlKind, YamlLimits] = {
    "front-matter": YamlLimits(nodes=20_000, depth=64, bytes=256 * 1024),  # and sidecars
    "config": YamlLimits(nodes=200_000, depth=100, bytes=1024 * 1024),
    "data": YamlLimits(nodes=200_000, depth=100, bytes=16 * 1024 * 1024),  # rule packs, crosswalk
}

# libyaml's composer recurses in C once per nesting level and overflows the C stack (a
# segfault, not an exception) at a few ten thousand levels; `[` `{` `- ` `? ` are the only
# ways to nest more than a few hundred levels in a front matter's bytes, so text with many of
# them is composed by PyYAML's pure-Python composer, whose recursion ends in a RecursionError.
MAX_C_INDICATORS = 1000
# Both scanners are quadratic in bracket nesting: deeper than this is refused unread.
MAX_BRACKET_DEPTH = 4 * YAML_LIMITS["front-matter"].depth
_BRACKETS = re.compile(r"[\[\]{}]")

_YAML = "tag:yaml.org,2002:"
TAG_STR = _YAML + "str"
TAG_INT = _YAML + "int"
TAG_FLOAT = _YAML + "float"
TAG_BOOL = _YAML + "bool"
TAG_NULL = _YAML + "null"
TAG_TIMESTAMP = _YAML + "timestamp"
TAG_MERGE = _YAML + "merge"
# Tags the safe constructor knows; any other explicit tag (`!!python/object/apply:...`,
# a local `!tag`) is refused: YAML we read is data, and no tag is ever resolved to code.
SAFE_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq"))
_ALLOWED_TAGS = SAFE_TAGS | {TAG_MERGE}  # a merge tag is refused where it matters: as a key


class YamlLimitError(ValueError):
    """The YAML is too large, too deep or expands too far (an alias bomb), or is refused."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class TagRefused(YamlLimitError):
    """An explicit tag outside SAFE_TAGS (`tag` as written, e.g. `!!python/object`)."""

    def __init__(self, tag: str, line: int) -> None:
        super().__init__(f"the YAML tag {tag} on line {line} is not allowed", line)
        self.tag = tag


class KeyRefused(YamlLimitError):
    """A mapping key that is not a plain scalar: a collection, or a merge key (`<<`)."""

    def __init__(self, line: int, *, merge: bool) -> None:
        super().__init__("merge keys (<<) are not supported" if merge else "keys must be plain scalars", line)
        self.merge = merge


class DuplicateKey(YamlLimitError):
    """A key given twice in one mapping (raised only by a walk that refuses duplicates)."""

    def __init__(self, key: str, line: int, first_line: int) -> None:
        super().__init__(f"duplicate key {key!r}", line)
        self.key = key
        self.first_line = first_line


class YamlValueError(ValueError):
    """A scalar cannot be read as the type its tag names (`!!bool maybe`)."""

    def __init__(self, message: str, line: int, cause: Exception | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.cause = cause


class Duplicate(msgspec.Struct, frozen=True):
    """A key given twice in one mapping: its line, and the line of its previous occurrence."""

    key: str
    line: int
    first_line: int


def too_large(text: str, limits: YamlLimits) -> bool:
    """True when `text` is more UTF-8 bytes than `limits` allow."""
    return len(text) * 4 > limits.bytes and len(text.encode("utf-8", "surrogatepass")) > limits.bytes


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
    if _bracket_depth(text) > MAX_BRACKET_DEPTH:
        raise YamlLimitError(f"nested deeper than {MAX_BRACKET_DEPTH} levels of brackets")
    return yaml.compose(text, Loader=yaml.SafeLoader)


def short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` as written: `!!python/object`."""
    return "!!" + tag[len(_YAML) :] if tag.startswith(_YAML) else tag


def nodes(root: yaml.Node | None) -> Iterator[yaml.Node]:
    """Every distinct node of a graph once (an alias's target only the first time), in document order."""
    stack: list[yaml.Node] = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack += [v, k]
        elif isinstance(node, yaml.SequenceNode):
            stack += reversed(node.value)


def unsafe_tag(root: yaml.Node | None) -> tuple[str, int] | None:
    """The first explicit tag outside SAFE_TAGS in a node graph, and its 1-based line."""
    for node in nodes(root):
        if node.tag not in _ALLOWED_TAGS:
            return short_tag(node.tag), node.start_mark.line + 1
    return None


def _iso(value: Any) -> Any:
    """A constructed timestamp as ISO text: a date alone when a datetime is at midnight."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return value.isoformat() if isinstance(value, dt.date) else value


class Walk:
    """Turns a composed node graph into plain JSON-shaped values, counting every expansion.

    Dates become text: ISO (`iso_dates`) or as written. Duplicate keys are kept in
    `duplicates` (the last value wins) or, with `refuse_duplicates`, raised. With `paths`,
    `lines` maps the JSON path of every node to its line.
    """

    def __init__(
        self,
        text: str,
        limits: YamlLimits,
        offset: int = 0,
        *,
        iso_dates: bool = True,
        refuse_duplicates: bool = False,
        paths: bool = False,
    ) -> None:
        self.to_line = line_mapper(text, offset)
        self.count = 0
        self.duplicates: list[Duplicate] = []
        self.lines: dict[JsonPath, int] = {}
        self._max_nodes = limits.nodes
        self._max_depth = limits.depth
        self._iso_dates = iso_dates
        self._refuse_duplicates = refuse_duplicates
        self._paths = paths
        # Lone surrogates only come from `\u`/`\U` escapes once the text itself is scrubbed.
        self._scrub = "\\u" in text or "\\U" in text
        self._ctor = yaml.constructor.SafeConstructor()

    def line(self, node: yaml.Node) -> int:
        """The 1-based file line where `node` starts."""
        return self.to_line(node.start_mark)

    def check_tag(self, node: yaml.Node) -> None:
        """Refuse `node` when it carries a tag outside SAFE_TAGS."""
        if node.tag not in _ALLOWED_TAGS:
            raise TagRefused(short_tag(node.tag), self.line(node))

    def value(self, node: yaml.Node, depth: int = 0, where: JsonPath = ()) -> Any:
        """The plain value of `node` and everything under it."""
        self.count += 1
        if node.tag not in _ALLOWED_TAGS:
            raise TagRefused(short_tag(node.tag), self.line(node))
        if self.count > self._max_nodes:
            raise YamlLimitError(f"expands to more than {self._max_nodes} nodes (an alias bomb?)", self.line(node))
        if depth > self._max_depth:
            raise YamlLimitError(f"nested deeper than {self._max_depth} levels", self.line(node))
        if self._paths:
            self.lines.setdefault(where, self.line(node))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth, where)
        if isinstance(node, yaml.SequenceNode):
            if self._paths:
                return [self.value(n, depth + 1, (*where, i)) for i, n in enumerate(node.value)]
            return [self.value(n, depth + 1) for n in node.value]
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, depth: int = 0, where: JsonPath = ()) -> dict[str, Any]:
        """A mapping's keys and values; a key's text is its value's (`0x10` is "16")."""
        out: dict[str, Any] = {}
        knodes: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            key = self.key(knode)
            if key in knodes:
                dup = Duplicate(key, self.line(knode), self.line(knodes[key]))
                if self._refuse_duplicates:
                    raise DuplicateKey(dup.key, dup.line, dup.first_line)
                self.duplicates.append(dup)
            knodes[key] = knode
            if self._paths:
                at = (*where, key)
                self.lines[at] = self.line(knode)
                out[key] = self.value(vnode, depth + 1, at)
            else:
                out[key] = self.value(vnode, depth + 1)
        return out

    def key(self, knode: yaml.Node) -> str:
        """The text of a mapping key: a number's as Python writes it, anything else as written."""
        if not isinstance(knode, yaml.ScalarNode) or knode.tag == TAG_MERGE:
            raise KeyRefused(self.line(knode), merge=knode.tag == TAG_MERGE)
        if knode.tag == TAG_STR:
            key: str = knode.value
        elif knode.tag not in SAFE_TAGS:
            raise TagRefused(short_tag(knode.tag), self.line(knode))
        else:
            value = self._construct(knode)
            key = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else knode.value
        return scrub(key) if self._scrub else key

    def scalar(self, node: yaml.Node) -> Any:
        """A scalar's value, with dates as text and lone surrogates as U+FFFD."""
        tag = node.tag
        if tag == TAG_STR:
            value = node.value  # what the constructor returns for text, without its bookkeeping
        else:
            value = self._construct(node)
            if tag == TAG_TIMESTAMP:
                return _iso(value) if self._iso_dates else node.value
        return scrub(value) if self._scrub and isinstance(value, str) else value

    def _construct(self, node: yaml.Node) -> Any:
        try:
            return self._ctor.construct_object(node, deep=True)
        except Exception as exc:
            # PyYAML's constructors raise KeyError (`!!bool maybe`), AttributeError
            # (`!!timestamp soon`), ValueError, ConstructorError, ...
            what = f"{node.value[:60]!r}" if isinstance(node, yaml.ScalarNode) else "the value"
            raise YamlValueError(f"{what} is not a valid {short_tag(node.tag)}", self.line(node), exc) from exc
