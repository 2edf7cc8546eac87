"""YAML front matter and sidecar metadata: safe, bounded, with line numbers and trap findings.

PyYAML silently keeps the last of duplicate keys, reads `2.10` as the float 2.1 and `no`
as False, and expands alias bombs. `yamlcore` composes and walks the node graph under the
front-matter limits; here each of those becomes a finding naming the line, and the raw text
of a trapped scalar is kept.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import yaml

from .decoding import scrub
from .findings import Finding, make
from .metadata_keys import ALL_KEYS, DATE_KEYS, TEXT_KEYS
from .plainyaml import read_plain
from .yamlcore import (
    TAG_BOOL,
    TAG_FLOAT,
    TAG_INT,
    TAG_TIMESTAMP,
    YAML_LIMITS,
    KeyRefused,
    TagRefused,
    Walk,
    YamlLimitError,
    YamlValueError,
    compose_yaml,
    line_mapper,
    too_large,
)

_LIMITS = YAML_LIMITS["front-matter"]


class MetaBlock(msgspec.Struct, frozen=True):
    """Parsed metadata with the 1-based line of each top-level key."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)
    lines: dict[str, int] = msgspec.field(default_factory=dict)
    problems: tuple[Finding, ...] = ()
    ok: bool = True


class FrontMatter(msgspec.Struct, frozen=True):
    """Front matter split from a Markdown file, and where the body starts."""

    present: bool
    meta: MetaBlock
    body: str
    body_line: int  # 1-based line number of the body's first line


def _trap_findings(top: yaml.MappingNode, data: dict[str, Any], walk: Walk, path: str) -> list[Finding]:
    """Keep the source text of trapped scalars and report each trap."""
    problems: list[Finding] = []
    for knode, vnode in top.value:
        key = str(knode.value) if isinstance(knode, yaml.ScalarNode) else None
        if key is None or not isinstance(vnode, yaml.ScalarNode):
            continue
        tag = vnode.tag
        raw = vnode.value
        if key == "version" and tag in (TAG_INT, TAG_FLOAT):
            problems.append(
                make(
                    "version-not-string",
                    f"version {raw} is read by YAML as a number ({data.get(key)!r}); quote it",
                    path=path,
                    line=walk.line(vnode),
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and tag == TAG_BOOL:
            problems.append(
                make(
                    "yaml-error",
                    f"{key}: {raw} is read by YAML as the boolean {data.get(key)!r}, not text",
                    path=path,
                    line=walk.line(vnode),
                    hint=f'Quote the value: {key}: "{raw}".',
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and tag == TAG_TIMESTAMP:
            problems.append(
                make(
                    "yaml-error",
                    f"{key}: {raw} is read by YAML as a date, not text",
                    path=path,
                    line=walk.line(vnode),
                    hint=f'Quote the value: {key}: "{raw}".',
                )
            )
            data[key] = raw
        elif key in TEXT_KEYS and tag in (TAG_INT, TAG_FLOAT):
            data[key] = raw  # ids such as 42 are harmless as text
        elif key in DATE_KEYS and tag == TAG_TIMESTAMP:
            value = data.get(key)
            # the walk wrote the date in ISO form; a date key keeps the day alone
            data[key] = value[:10] if isinstance(value, str) else raw
    return problems


def _refused(message: str, path: str, line: int, hint: str | None = "Simplify the YAML.") -> MetaBlock:
    return MetaBlock(problems=(make("yaml-error", message, path=path, line=line, hint=hint),), ok=False)


def load_mapping(text: str, path: str, line_offset: int = 0, *, plain: bool = True) -> MetaBlock:
    """Parse a YAML mapping safely; problems are findings, never exceptions.

    Plain front matter is read line by line (`plainyaml.read_plain`); with `plain` False, or
    for anything else, the text is composed and walked, which gives the same values."""
    text = scrub(text)  # a lone surrogate makes libyaml raise; text from bytes never holds one
    if too_large(text, _LIMITS):
        return _refused(f"metadata larger than {_LIMITS.bytes} bytes", path, line_offset + 1, None)
    read = read_plain(text, _LIMITS, line_offset) if plain else None
    if read is not None:
        return MetaBlock(data=read[0], lines=read[1])
    if "\t" in text:
        for i, ln in enumerate(text.split("\n")):
            if ln[: len(ln) - len(ln.lstrip())].count("\t"):
                return _refused(
                    "a tab is used for indentation; YAML allows only spaces",
                    path,
                    line_offset + i + 1,
                    "Indent with spaces.",
                )
    try:
        node = compose_yaml(text)
    except YamlLimitError as exc:
        return _refused(f"metadata refused: {exc}", path, line_offset + 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = line_mapper(text, line_offset)(mark) if mark else line_offset + 1
        return _refused(f"invalid YAML: {exc.problem or exc}", path, line, None)
    except RecursionError:
        return _refused(f"metadata refused: nested deeper than {_LIMITS.depth} levels", path, line_offset + 1)
    except yaml.YAMLError as exc:
        return _refused(f"invalid YAML: {exc}", path, line_offset + 1, None)
    if node is None:
        return MetaBlock()
    if not isinstance(node, yaml.MappingNode):
        return _refused("metadata must be a mapping of keys to values", path, line_offset + 1, None)
    walk = Walk(text, _LIMITS, line_offset)
    try:
        walk.check_tag(node)
        data = walk.mapping(node)
        traps = _trap_findings(node, data, walk, path)
    except YamlLimitError as exc:
        return _refused(
            f"metadata refused: {_refusal(exc)}",
            path,
            line_offset + 1,
            "Simplify the YAML: plain keys and values; anchors, aliases and nesting are limited, tags refused.",
        )
    except YamlValueError as exc:
        return _refused(f"invalid YAML value: {exc}", path, exc.line, None)
    except Exception as exc:  # the reader never raises: anything else is still a finding
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        line = walk.to_line(mark) if mark else line_offset + 1
        return _refused(f"invalid YAML value: {detail}".split("\n", 1)[0], path, line, None)
    duplicates = [
        make(
            "yaml-error",
            f"duplicate key {d.key!r} (first on line {d.first_line}); YAML keeps only the last",
            path=path,
            line=d.line,
            hint="Remove one of the duplicate keys.",
        )
        for d in walk.duplicates
    ]
    lines = {scrub(str(k.value)): walk.line(k) for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return MetaBlock(data=data, lines=lines, problems=(*duplicates, *traps))


def _refusal(exc: YamlLimitError) -> str:
    """A refusal in the words front matter has always used."""
    if isinstance(exc, TagRefused):
        return f"{exc} (metadata is plain data; tags are never run)"
    if isinstance(exc, KeyRefused):
        if exc.merge:
            return "merge keys (<<) are not supported in metadata"
        return f"the key on line {exc.line} is a list or mapping, not plain text"
    return str(exc)


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
