"""The values an adapter returns: a parsed document, its sections and its tags."""

from __future__ import annotations

import bisect
import itertools
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import msgspec

from .findings import Finding
from .formats import DocFormat

LocationKind = Literal["line", "paragraph", "page"]

# `knw07.b3` or `knw07.b3a`; practice ids are three letters and two digits in eSCM-SP
# but packs for other models may use longer ids, so the grammar is kept general.
TAG_ID = re.compile(r"^([a-z][a-z0-9_-]{0,30})\.([a-z][0-9]{1,2}[a-z]?)$")


class Tag(msgspec.Struct, frozen=True):
    """One `practice.activity` tag located at a line, paragraph or page."""

    practice: str
    activity: str
    line: int

    @property
    def key(self) -> str:
        """`practice.activity`."""
        return f"{self.practice}.{self.activity}"


class Section(msgspec.Struct, frozen=True):
    """The content under one heading, with the tags placed in it."""

    heading: str
    level: int
    start: int
    end: int
    tags: tuple[Tag, ...] = ()
    text: str = ""
    substance: bool | None = None  # `substantive`, kept when the text was dropped

    @property
    def substantive(self) -> bool:
        """True when the section body holds real content, not just a tag or a placeholder."""
        return self.substance if self.substance is not None else substantive_text(self.text)


class Span(NamedTuple):
    """Where one section lies among a document's units (lines or paragraphs, 0-based):
    made per section of every document and unpacked at once, so a plain tuple."""

    heading: str
    level: int  # 0: the untitled content before the first heading
    start: int  # the heading's unit, or -1 for the untitled section
    end: int  # the first unit after the section
    tags: tuple[Tag, ...]


def section_spans(heads: Sequence[tuple[int, int, str]], count: int, tags_at: Iterable[tuple[int, Tag]]) -> list[Span]:
    """Sections from headings (unit, level, text) over `count` units, the same for every format.

    A section runs to the next heading of the same or a higher rank, so the content of its
    sub-sections counts toward it; a tag belongs to the nearest heading on or above its unit;
    content before the first heading is a level-0 section.
    """
    bounds = [(-1, 0, "")] if (not heads or heads[0][0] > 0) else []
    bounds += heads
    ends = [count] * len(bounds)
    open_: list[int] = []
    for n, (start, level, _) in enumerate(bounds):
        while open_ and (bounds[open_[-1]][1] >= level or bounds[open_[-1]][1] == 0):
            ends[open_.pop()] = start
        open_.append(n)
    starts = [b[0] for b in bounds]
    by_section: dict[int, list[Tag]] = {}
    for unit, tag in tags_at:
        by_section.setdefault(max(bisect.bisect_right(starts, unit) - 1, 0), []).append(tag)
    return [
        Span(heading, level, start, ends[n], tuple(by_section.get(n, ())))
        for n, (start, level, heading) in enumerate(bounds)
    ]


_PLACEHOLDER = re.compile(r"\b(tbd|todo|to be (written|defined|completed)|lorem ipsum)\b", re.I)


_WORD = re.compile(r"[^\W\d_]{2,}")
# Twenty `_WORD`s from the start in one match: each word taken whole (the lookahead), and
# between words only non-letters and single letters. Possessive quantifiers (Python 3.11)
# keep a failing match linear; in ASCII text a letter is [A-Za-z], a class sre tests fastest.
if sys.version_info >= (3, 11):
    _TWENTY_ASCII: re.Pattern[str] | None = re.compile(
        r"(?:[^A-Za-z]*+(?:[A-Za-z](?![A-Za-z])[^A-Za-z]*+)*+[A-Za-z]{2,}+){20}"
    )
    _TWENTY: re.Pattern[str] | None = re.compile(r"(?:[\W\d_]*+(?:[^\W\d_](?![^\W\d_])[\W\d_]*+)*+[^\W\d_]{2,}+){20}")
else:  # pragma: no cover - Python 3.10 counts the words one by one
    _TWENTY_ASCII = _TWENTY = None


def twenty_words(text: str) -> bool:
    """At least twenty `_WORD`s in `text`, told without splitting it into words."""
    pattern = _TWENTY_ASCII if text.isascii() else _TWENTY
    if pattern is not None:
        return pattern.match(text) is not None
    return next(itertools.islice(_WORD.finditer(text), 19, None), None) is not None


def substantive_text(text: str) -> bool:
    """At least eight words of prose that are not a placeholder (twenty words always count)."""
    if twenty_words(text):
        return True
    return len(_WORD.findall(text)) >= 8 and not _PLACEHOLDER.search(text)


class Document(msgspec.Struct, frozen=True):
    """A parsed document: metadata with source lines, sections, tags and plain text.

    A file that could not be read is still a Document, with ``error`` set and a
    ``parse-error`` finding in ``problems``; it never raises out of an adapter.
    """

    path: str
    format: DocFormat
    metadata: Mapping[str, Any] = msgspec.field(default_factory=dict)
    meta_lines: Mapping[str, int] = msgspec.field(default_factory=dict)
    meta_source: str = "none"
    has_metadata: bool = False
    sections: tuple[Section, ...] = ()
    text: str = ""
    location_kind: LocationKind = "line"
    problems: tuple[Finding, ...] = ()
    error: str | None = None

    def meta_line(self, key: str) -> int | None:
        """Line (or page/paragraph) where a metadata key was read, if known."""
        return self.meta_lines.get(key)

    @property
    def tags(self) -> tuple[Tag, ...]:
        """Every tag in the document, in order."""
        return tuple(t for s in self.sections for t in s.tags)

    def without_text(self) -> Document:
        """This document with its text and its sections' text dropped, each section's
        `substantive` kept: what the check needs once a document is read."""
        if not self.text and all(not s.text and s.substance is not None for s in self.sections):
            return self  # read so already (`keep_text=False`)
        sections = tuple(Section(s.heading, s.level, s.start, s.end, s.tags, "", s.substantive) for s in self.sections)
        return msgspec.structs.replace(self, text="", sections=sections)
