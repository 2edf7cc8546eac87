"""The common front matter read line by line, without composing a YAML node graph.

Composing through libyaml is most of a Markdown document's reading time, yet nearly every
front matter is a dozen `key: value` lines with a flow list or one nested level. `read_plain`
reads exactly that subset and gives up (None) on anything else: quotes with escapes, anchors,
aliases, tags, block or multi-line scalars, flow mappings, deeper nesting, duplicate keys, and
any value YAML would read as a number, boolean or null. `frontmatter.load_mapping` then
composes the text, the careful way, which also words every finding. On what `read_plain`
accepts, the two give the same values and lines: tests/test_plainyaml.py and
bench/equivalence.py compare them on generated, fuzzed and real front matter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from yaml.resolver import Resolver

from .durations import is_iso_date
from .metadata_keys import TEXT_KEYS
from .yamlcore import TAG_STR, TAG_TIMESTAMP, YamlLimits

# libyaml's printable characters less tab, NEL, LS, PS and the BOM; in ASCII text, that is
# a newline or a printable character
_NOT_PLAIN_ASCII = re.compile("[^\n\x20-\x7e]")


@functools.cache
def _not_plain_text() -> re.Pattern[str]:
    # compiled when first needed: its ranges take milliseconds, and most front matter is ASCII
    return re.compile("[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?\Z")
# A plain scalar starting with no indicator and holding neither `:` nor `#` nor brackets;
# in a flow list (an item) no comma or quote either.
_FIRST = r"(?:[A-Za-z0-9_(.+/$~=<;]|[^\x00-\x7f])"
_BLOCK_PLAIN = re.compile(_FIRST + r"[^:#\[\]{}]*\Z")
_FLOW_PLAIN = re.compile(_FIRST + r"[^:#\[\]{},'\"]*\Z")
_DOUBLE = re.compile(r'"([^"\\]*)"(?: +#.*)? *\Z')
_SINGLE = re.compile(r"'([^']*)'(?: +#.*)? *\Z")
_RESOLVERS = Resolver.yaml_implicit_resolvers


# `key: value` lines read before, as (key, value with lists as tuples, nodes): `type: policy`
# and `status: approved` recur in nearly every document of a repository
_LINES: dict[str, tuple[str, Any, int]] = {}
_LINES_MAX = 16384


def _keep(memo: dict[str, Any], size: int, key: str, value: Any) -> None:
    """Put `value` in a memo that is emptied whenever it holds `size` entries."""
    if len(memo) >= size:
        memo.clear()
    memo[key] = value


class _NotPlain(Exception):
    """The text is outside the subset: the careful path reads it."""


def read_plain(text: str, limits: YamlLimits, line_offset: int = 0) -> tuple[dict[str, Any], dict[str, int]] | None:
    """(values, 1-based line of each top-level key) of a plain front matter, or None when
    the text is not plain enough to be read without composing."""
    if "\t" in text or (_NOT_PLAIN_ASCII if text.isascii() else _not_plain_text()).search(text):
        return None
    try:
        return _Reader(text.split("\n"), limits.nodes, line_offset).mapping()
    except _NotPlain:
        return None


def _blank(line: str) -> bool:
    """A line YAML skips here: empty, spaces, or a whole-line comment."""
    stripped = line.lstrip(" ")
    return not stripped or stripped[0] == "#"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _uncommented(value: str) -> str:
    """The value part of a line, without its trailing comment (quoted values keep theirs,
    for their own pattern to place)."""
    value = value.strip(" ")
    if value[:1] in ("'", '"'):
        return value
    cut = value.find(" #")
    return value[:cut].rstrip(" ") if cut >= 0 else value


_TAGS: dict[str, str] = {}  # the same keys and values recur in every document
_TAGS_MAX = 8192


def _tag(plain: str) -> str:
    """The tag YAML 1.1's implicit resolvers give a plain scalar (PyYAML's own table)."""
    known = _TAGS.get(plain)
    if known is not None:
        return known
    found = TAG_STR
    for tag, pattern in _RESOLVERS.get(plain[0] if plain else "", ()):
        if pattern.match(plain):
            found = tag
            break
    _keep(_TAGS, _TAGS_MAX, plain, found)
    return found


class _Reader:
    def __init__(self, lines: list[str], max_nodes: int, line_offset: int) -> None:
        self.lines = lines
        self.max_nodes = max_nodes
        self.offset = line_offset
        self.count = 1  # the top mapping, counted as the careful walk counts it

    def mapping(self) -> tuple[dict[str, Any], dict[str, int]]:
        data: dict[str, Any] = {}
        where: dict[str, int] = {}
        lines = self.lines
        i = 0
        while i < len(lines):
            line = lines[i]
            if _blank(line):
                i += 1
                continue
            known = _LINES.get(line)
            if known is not None:
                key, value, nodes = known
                if key in data:
                    raise _NotPlain
                self._count(nodes)
                data[key] = list(value) if type(value) is tuple else value
                where[key] = self.offset + i + 1
                i += 1
                continue
            m = _KEY.match(line)
            if m is None:
                raise _NotPlain
            key = self._key(m.group(1), data)
            where[key] = self.offset + i + 1
            rest = _uncommented(m.group(2) or "")
            if rest:
                before = self.count
                data[key] = value = self._value(rest, key)
                frozen = tuple(value) if type(value) is list else value
                _keep(_LINES, _LINES_MAX, line, (key, frozen, self.count - before))
                i += 1
            else:
                data[key], i = self._nested(i + 1)
        return data, where

    def _nested(self, i: int) -> tuple[Any, int]:
        """The block mapping or block list under a `key:` line, and the line after it."""
        first = next(self._content(i), None)
        if first is None:
            raise _NotPlain  # a null value
        _, head, indent = first
        self._count()
        end = len(self.lines)
        if head.startswith("- ", indent):
            items: list[Any] = []
            for j, line, here in self._content(i):
                if here < indent or (indent == 0 and not line.startswith("- ")):
                    end = j  # the next top-level key
                    break
                if here != indent or not line.startswith("- ", indent):
                    raise _NotPlain
                value = _uncommented(line[indent + 2 :])
                if not value or value[0] == "[":
                    raise _NotPlain
                items.append(self._value(value, None))
            return items, end
        if indent == 0:
            raise _NotPlain  # a null value followed by the next key
        data: dict[str, Any] = {}
        for j, line, here in self._content(i):
            if here == 0:
                end = j
                break
            m = _KEY.match(line, indent) if here == indent else None
            if m is None:
                raise _NotPlain
            key = self._key(m.group(1), data)
            rest = _uncommented(m.group(2) or "")
            if not rest:
                raise _NotPlain  # nested deeper
            data[key] = self._value(rest, None)
        return data, end

    def _content(self, i: int) -> Iterator[tuple[int, str, int]]:
        """(index, line, indent) of each line from `i` on that YAML does not skip."""
        for j in range(i, len(self.lines)):
            line = self.lines[j]
            if not _blank(line):
                yield j, line, _indent(line)

    def _key(self, key: str, seen: dict[str, Any]) -> str:
        if key in seen or _tag(key) != TAG_STR:
            raise _NotPlain  # a duplicate, or a key YAML reads as a boolean or null
        return key

    def _value(self, text: str, top_key: str | None) -> Any:
        """A scalar or a flow list of scalars; `top_key` names a top-level key's value."""
        first = text[0]
        if first == '"' or first == "'":
            m = (_DOUBLE if first == '"' else _SINGLE).match(text)
            if m is None:
                raise _NotPlain
            self._count()
            return m.group(1)
        if first == "[":
            if text[-1] != "]":
                raise _NotPlain
            self._count()
            inner = text[1:-1]
            if not inner.strip(" "):
                return []
            items = []
            for part in inner.split(","):
                item = part.strip(" ")
                if not _FLOW_PLAIN.match(item):
                    raise _NotPlain
                items.append(self._scalar(item, None))
            return items
        if not _BLOCK_PLAIN.match(text):
            raise _NotPlain
        return self._scalar(text, top_key)

    def _scalar(self, plain: str, top_key: str | None) -> str:
        self._count()
        tag = _tag(plain)
        if tag == TAG_STR:
            return plain
        # a date the careful walk writes back as it is written; a text key's date is a finding
        if tag == TAG_TIMESTAMP and top_key not in TEXT_KEYS and is_iso_date(plain):
            return plain
        raise _NotPlain

    def _count(self, nodes: int = 1) -> None:
        self.count += nodes
        if self.count > self.max_nodes:
            raise _NotPlain
