"""The crosswalk in evaluation: accepted entries become claims, and the file is change-controlled.

An accepted entry for a whole document counts like `practices` and `satisfies` in its front
matter; one for a section (heading text) or a PDF page counts like a section tag there. A
document with no metadata of its own (a Word or PDF file signed elsewhere) claimed this way is
evidence as approved: its approval is the approved change to the crosswalk that claims it.
Suggested entries never count. Pure functions over values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

import msgspec

from .changecontrol import ControlSettings
from .crosswalk import Crosswalk, Entry
from .documents import Document, Section, Tag
from .findings import Finding, make
from .history import RepoHistory
from .identity import parse_identity, same_person
from .metadata import DocMeta
from .result import DocumentSummary, VersionEntry, version_entry


class _Input(Protocol):
    @property
    def doc(self) -> Document: ...
    @property
    def meta(self) -> DocMeta: ...


T = TypeVar("T", bound=_Input)


def section_of(doc: Document, e: Entry) -> Section | None:
    """The section an entry names: by heading text (as written, then ignoring case), or PDF page."""
    want = f"Page {e.page}" if e.page is not None else e.section
    if want is None:
        return None
    for s in doc.sections:
        if s.heading == want:
            return s
    folded = want.strip().casefold()
    return next((s for s in doc.sections if s.heading.strip().casefold() == folded), None)


def _merged(meta: DocMeta, entries: Sequence[Entry], own_metadata: bool, approved: bool) -> DocMeta:
    practices = list(meta.practices)
    satisfies: dict[str, tuple[str, ...]] = dict(meta.satisfies)
    for e in entries:
        practices += [p for p in e.practices if p not in practices]
        if e.section is None and e.page is None:
            for p, acts in e.satisfies.items():
                satisfies[p] = tuple(dict.fromkeys([*satisfies.get(p, ()), *acts]))
    status = meta.status if own_metadata else (meta.status or ("approved" if approved else "draft"))
    return msgspec.structs.replace(meta, practices=tuple(practices), satisfies=satisfies, status=status, valid=True)


def _tagged(doc: Document, entries: Sequence[Entry]) -> Document:
    extra: dict[int, list[Tag]] = defaultdict(list)
    for e in entries:
        s = section_of(doc, e)
        if s is None:
            continue
        i = doc.sections.index(s)
        extra[i] += [Tag(p, a, s.start) for p, acts in e.satisfies.items() for a in acts]
    if not extra:
        return doc
    sections = tuple(
        msgspec.structs.replace(s, tags=(*s.tags, *extra[i])) if i in extra else s for i, s in enumerate(doc.sections)
    )
    return msgspec.structs.replace(doc, sections=sections)


def apply_crosswalk(docs: Sequence[T], cw: Crosswalk | None, approved: bool = True) -> list[T]:
    """The documents with the crosswalk's accepted entries merged in as claims.

    A document without metadata of its own is approved through the crosswalk when the
    crosswalk's newest change is `approved`, and a draft otherwise."""
    if cw is None:
        return list(docs)
    by_path: dict[str, list[Entry]] = defaultdict(list)
    for e in cw.accepted():
        by_path[e.path].append(e)
    out: list[T] = []
    for d in docs:
        entries = by_path.get(d.doc.path)
        if not entries or (d.doc.error is not None and not d.doc.has_metadata):
            out.append(d)
            continue
        own = d.doc.has_metadata
        doc = _tagged(msgspec.structs.replace(d.doc, has_metadata=True), entries)
        # T is evaluate's DocInput, a struct; the protocol keeps evaluate out of this module's imports
        out.append(msgspec.structs.replace(d, doc=doc, meta=_merged(d.meta, entries, own, approved)))  # type: ignore[type-var]
    return out


def crosswalked_paths(cw: Crosswalk | None) -> frozenset[str]:
    """Paths an accepted entry claims (an unreadable one among them is judged in full)."""
    return frozenset(e.path for e in cw.accepted()) if cw is not None else frozenset()


def crosswalk_control(
    path: str, hist: RepoHistory | None, settings: ControlSettings
) -> tuple[tuple[VersionEntry, ...], list[Finding]]:
    """The crosswalk's history (newest first), and a finding when its newest change was made
    without an approval by someone other than its author (its accepted entries then count
    only for documents with an approval of their own)."""
    if hist is None or not hist.available:
        return (), []
    fh = hist.files.get(path)
    if fh is None:
        return (), [
            make(
                "crosswalk-unapproved",
                "the crosswalk is not committed: its entries have no approved change behind them",
                path=path,
            )
        ]
    keys = {k.casefold() for k in settings.approval_trailers}
    entries: list[VersionEntry] = []
    findings: list[Finding] = []
    for ch in fh.changes:
        c = ch.commit
        approvers = [v for k, v in c.trailers if k.casefold() in keys and v.strip()]
        others = [a for a in approvers if not same_person(parse_identity(a), (c.author_name, c.author_email))]
        date, author = hist.entry_text(c)
        entries.append(version_entry(c.sha, date, author, None, ", ".join(others) or None))
        if ch is fh.changes[0] and ch.blob is not None and not others:
            findings.append(
                make(
                    "crosswalk-unapproved",
                    f"commit {c.sha[:10]} changed the crosswalk without an approval by someone other than its author",
                    path=path,
                )
            )
    return tuple(entries), findings


def crosswalk_summary(path: str, cw: Crosswalk, history: Iterable[VersionEntry]) -> DocumentSummary:
    """The crosswalk as a document of the report, with its history."""
    hist = tuple(history)
    claimed = tuple(dict.fromkeys(p for e in cw.accepted() for p in e.practices))
    return DocumentSummary(
        path=path,
        format="crosswalk",
        id=None,
        type=None,
        status=None,
        version=None,
        practices=claimed,
        last_commit=hist[0].commit if hist else None,
        history=hist,
    )


def suggestions(cw: Crosswalk | None) -> Mapping[str, tuple[str, ...]]:
    """Suggested (not accepted) entries by location: listed in the report, never counted."""
    out: dict[str, tuple[str, ...]] = {}
    for e in cw.entries if cw is not None else ():
        if not e.accepted:
            out[e.where] = tuple(dict.fromkeys([*out.get(e.where, ()), *e.practices]))
    return out
