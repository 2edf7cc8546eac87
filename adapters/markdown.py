"""Markdown adapter: front matter, ATX and setext headings, sections and `<!-- escm: -->` tags."""

from __future__ import annotations

import bisect
import os
import re

import msgspec
from escm_check.decoding import decode_text, undecodable
from escm_check.documents import TAG_ID, Document, Section, Tag, section_spans, substantive_text
from escm_check.findings import Finding, make
from escm_check.frontmatter import normalise_text, split_front_matter

from .limits import (
    LimitExceeded,
    Limits,
    NotAFile,
    check_size,
    limit_document,
    read_bounded,
    skipped_document,
)

# Every scan of user text here is linear in its length. Lazy groups followed by optional
# whitespace (`<!--\s*(.*?)\s*-->`, `(.*?)[ \t]*$`) backtrack quadratically or worse on a
# long run of spaces, so comments, tags and ATX headings are found with str.find instead.
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FENCE_CHARS = ("`", "~")
_SETEXT_CHARS = ("=", "-")
_TAG_SEPARATORS = re.compile(r"[,\s]+")
_LINE_MARKS = frozenset(" `~#=-")  # what a line opening a fence or a heading starts with


def atx_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line (`## Title ##`), or None."""
    lead = len(line) - len(line.lstrip(" "))
    if lead > 3 or line[lead : lead + 1] != "#":
        return None
    rest = line[lead:]
    level = len(rest) - len(rest.lstrip("#"))
    if level > 6:
        return None
    rest = rest[level:]
    if rest and rest[0] not in " \t":
        return None
    text = rest.strip(" \t")
    closing = len(text) - len(text.rstrip("#"))
    if 0 < closing < len(text) and text[-closing - 1] in " \t":
        text = text[:-closing].rstrip(" \t")  # the optional closing sequence
    return level, text.strip()


def tag_bodies(line: str) -> list[str]:
    """The `knw07.b3, ...` part of each `<!-- escm: ... -->` comment in one line, in order."""
    out: list[str] = []
    pos = 0
    while True:
        start = line.find("<!--", pos)
        if start < 0:
            return out
        j = start + 4
        while j < len(line) and line[j].isspace():
            j += 1
        if line[j : j + 5].lower() != "escm:":
            pos = start + 1
            continue
        end = line.find("-->", j + 5)
        if end < 0:
            return out  # no later comment can close either
        out.append(line[j + 5 : end].strip())
        pos = end + 3


def is_tag_line(stripped: str) -> bool:
    """True when a (stripped) line is a single escm tag comment and nothing else."""
    if not (stripped.startswith("<!--") and stripped.endswith("-->") and len(stripped) >= 7):
        return False
    return stripped[4:-3].strip()[:5].lower() == "escm:"


def strip_comments(text: str) -> str:
    """Replace each complete HTML comment (across lines too) with a space."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        if end < 0:
            break  # no later comment can close either
        out.append(text[pos:start])
        out.append(" ")
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def decode(data: bytes, rel: str) -> tuple[str | None, Finding | None]:
    """Bytes to text by the one text decoding (`decoding.decode_text`).

    NUL bytes mean a binary file: no text, a parse-error. Undecodable bytes are read as
    U+FFFD and a parse-error names the first one's byte offset; the text is still returned.
    """
    if b"\0" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line = data[: data.index(b"\0")].count(b"\n") + 1
        return None, make("parse-error", "the file holds NUL bytes: it is binary, not Markdown", path=rel, line=line)
    decoded = decode_text(data)
    return decoded.text, undecodable(decoded, data, rel)


def parse_tags(comment_body: str, line: int) -> tuple[list[Tag], list[str]]:
    """Split `knw07.b3, knw08.b1` into tags; return the malformed items too."""
    tags: list[Tag] = []
    bad: list[str] = []
    for item in _TAG_SEPARATORS.split(comment_body.strip()):
        if not item:
            continue
        m = TAG_ID.match(item.lower())
        if m:
            tags.append(Tag(m.group(1), m.group(2), line))
        else:
            bad.append(item)
    return tags, bad


def parse_markdown(text: str, rel: str, *, keep_text: bool = True) -> Document:
    """Parse Markdown text (any line ends, optional BOM) into a Document. Never raises.

    Without `keep_text`, the Document is built as `Document.without_text` leaves it."""
    text = normalise_text(text)
    fm = split_front_matter(text, rel)
    problems: list[Finding] = list(fm.meta.problems)
    lines = fm.body.split("\n")
    first = fm.body_line

    heads: list[tuple[int, int, str]] = []  # (line index, level, heading)
    tags_at: list[tuple[int, Tag]] = []
    fence: str | None = None
    prev_text_idx: int | None = None
    for i, raw in enumerate(lines):
        if fence is None and (not raw or raw[0] not in _LINE_MARKS) and "<!--" not in raw:
            # prose or a blank line (most lines): it opens no fence, heading or tag
            prev_text_idx = i if raw and not raw.isspace() else None
            continue
        stripped = raw.lstrip(" ")
        # fences, ATX and setext headings all open with one of these after at most 3 spaces;
        # most lines are prose and skip every pattern below
        mark_char = stripped[:1] if len(raw) - len(stripped) <= 3 else ""
        fm_match = _FENCE.match(raw) if mark_char in _FENCE_CHARS else None
        if fence is not None:
            mark = fm_match.group(1) if fm_match else ""
            if mark and mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
            continue
        if fm_match:
            fence = fm_match.group(1)
            prev_text_idx = None
            continue
        comment = "<!--" in raw
        for body in tag_bodies(raw) if comment else ():
            tags, bad = parse_tags(body, first + i)
            tags_at.extend((i, t) for t in tags)
            for b in bad:
                problems.append(
                    make(
                        "unknown-activity",
                        f"malformed tag {b!r}: expected practice.activity such as knw07.b3",
                        path=rel,
                        line=first + i,
                    )
                )
        atx = atx_heading(raw) if mark_char == "#" else None
        if atx:
            heads.append((i, atx[0], atx[1]))
            prev_text_idx = None
            continue
        st = _SETEXT.match(raw) if mark_char in _SETEXT_CHARS else None
        if st and prev_text_idx == i - 1 and lines[i - 1].strip():
            heads.append((i - 1, 1 if st.group(1)[0] == "=" else 2, lines[i - 1].strip()))
            prev_text_idx = None
            continue
        if comment:
            text_line = raw.strip()
            prev_text_idx = i if text_line and not is_tag_line(text_line) else None
        else:
            prev_text_idx = i if raw and not raw.isspace() else None

    head_lines = {h[0] for h in heads}
    head_lines |= {
        h[0] + 1
        for h in heads
        if h[0] + 1 < len(lines) and _SETEXT.match(lines[h[0] + 1]) and not atx_heading(lines[h[0]])
    }
    sections: list[Section] = []
    marked = sorted(head_lines)
    for sp in section_spans(heads, len(lines), tags_at):
        inner = bisect.bisect_left(marked, sp.start + 1)
        if inner == len(marked) or marked[inner] >= sp.end:  # no heading inside: its lines as they are
            body_lines = lines[sp.start + 1 : sp.end]
        else:
            body_lines = [ln for k, ln in enumerate(lines[sp.start + 1 : sp.end], sp.start + 1) if k not in head_lines]
        body = strip_comments("\n".join(body_lines))
        if sp.level == 0 and not body.strip() and not sp.tags:
            continue
        sections.append(
            Section(
                heading=sp.heading,
                level=sp.level,
                start=first + max(sp.start, 0),
                end=first + max(sp.end - 1, 0),
                tags=sp.tags,
                text=body.strip() if keep_text else "",
                substance=None if keep_text else substantive_text(body),
            )
        )
    return Document(
        path=rel,
        format="markdown",
        metadata=fm.meta.data,
        meta_lines=fm.meta.lines,
        meta_source="front-matter" if fm.present else "none",
        has_metadata=fm.present and fm.meta.ok,
        sections=tuple(sections),
        text=strip_comments(fm.body) if keep_text else "",
        location_kind="line",
        problems=tuple(problems),
    )


def read_markdown(abs_path: os.PathLike[str] | str, rel: str, limits: Limits, *, keep_text: bool = True) -> Document:
    """Read and parse a Markdown file; every failure is a parse-error Document."""
    try:
        # refuses an oversized file from fstat before reading it, and never follows a link
        data = read_bounded(abs_path, limits)
    except LimitExceeded as exc:
        return limit_document(rel, "markdown", exc)
    except NotAFile as exc:
        return skipped_document(rel, "markdown", f"it {exc}")
    except OSError as exc:
        return _failed(rel, f"cannot read file: {exc.strerror or exc}")
    return parse_markdown_bytes(data, rel, limits, keep_text=keep_text)


def parse_markdown_bytes(data: bytes, rel: str, limits: Limits, *, keep_text: bool = True) -> Document:
    """Decode and parse Markdown bytes (a file, or a blob from git); never raises."""
    try:
        check_size(len(data), limits)
    except LimitExceeded as exc:
        return limit_document(rel, "markdown", exc)
    text, problem = decode(data, rel)
    if text is None:
        assert problem is not None
        return Document(path=rel, format="markdown", problems=(problem,), error=problem.message)
    doc = parse_markdown(text, rel, keep_text=keep_text)
    if problem is None:
        return doc
    return msgspec.structs.replace(doc, problems=(problem, *doc.problems))


def _failed(rel: str, reason: str) -> Document:
    return Document(path=rel, format="markdown", error=reason, problems=(make("parse-error", reason, path=rel),))
