"""`escm-check map`: read the documents a check would read and rank the Practices each serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import forkmap
from .adapters.limits import Limits
from .codec import Codec
from .config import Config
from .crosswalk import Entry
from .discover import discover
from .documents import Document
from .gcpause import gc_paused
from .mapping import DocumentMapping, Ranker
from .metadata import DocMeta, normalise
from .parsing import read_all, split_by_reader
from .rulepack import Pack, load_vocabulary

Parsed = tuple[Document, DocMeta]
MAPPING: Codec[DocumentMapping] = Codec(DocumentMapping)  # how a worker sends a ranking back

# an activity goes into a drafted crosswalk's `satisfies` only when a section matches it this well
CLAIM_MIN = 0.2
# a-activities (sponsorship, approval, upkeep) are shown by metadata and history, never by text
CLAIMABLE = ("b", "c")


@dataclass(frozen=True)
class MapResult:
    """The ranked Practices of every document in scope."""

    model: str
    root: Path
    documents: tuple[DocumentMapping, ...]
    titles: Mapping[str, str] = field(default_factory=dict)  # Practice id -> title, for display


def title_of(doc: Document, claimed: str | None) -> str | None:
    """The title to rank a document by: its metadata title as normalised, else a `title` key it has."""
    if claimed:
        return claimed
    raw = doc.metadata.get("title")
    return raw if isinstance(raw, str) else None


def read_documents(path: Path, cfg: Config, jobs: int | None = None) -> tuple[Path, list[Parsed]]:
    """The repository root and the documents under `path`, discovered and read as a check does."""
    disc = discover(path, cfg.include, cfg.exclude, Path(cfg.path) if cfg.path else None, cfg.formats)
    limits = Limits.from_mapping(cfg.limits)
    docs = read_all(disc.root, list(disc.documents), limits, jobs=cfg.jobs or jobs, formats=cfg.formats)
    return disc.root, [(d, normalise(d, cfg.field_map, cfg.value_map)[0]) for d in docs]


def rank_documents(ranker: Ranker, parsed: Sequence[Parsed], top: int) -> list[DocumentMapping]:
    """Rank each document, marking the Practices its own metadata already declares."""
    return [
        ranker.rank(doc, title_of(doc, meta.title), (*meta.practices, *meta.satisfies), top) for doc, meta in parsed
    ]


def map_repository(path: Path, cfg: Config, pack: Pack, top: int, jobs: int | None = None) -> MapResult:
    """Discover and read the documents under `path` as a check does, and rank each.

    Word and PDF files are read by `read_all`'s own worker processes and ranked here; many
    Markdown documents are read and ranked in forked workers (`forkmap`), which inherit
    the ranking's indexes, built once here before they start."""
    with gc_paused(promote=True):  # as in the check: many long-lived values, no cycles among them
        return _map_repository(path, cfg, pack, top, jobs)


def _map_repository(path: Path, cfg: Config, pack: Pack, top: int, jobs: int | None) -> MapResult:
    disc = discover(path, cfg.include, cfg.exclude, Path(cfg.path) if cfg.path else None, cfg.formats)
    limits = Limits.from_mapping(cfg.limits)
    ranker = Ranker(pack, load_vocabulary(pack))

    def read_and_rank(rels: Sequence[str]) -> list[DocumentMapping]:
        docs = read_all(disc.root, list(rels), limits, jobs=cfg.jobs or jobs, formats=cfg.formats)
        return rank_documents(ranker, [(d, normalise(d, cfg.field_map, cfg.value_map)[0]) for d in docs], top)

    heavy, light = split_by_reader(disc.documents, cfg.formats)
    got = read_and_rank(heavy) + forkmap.start(light, read_and_rank, MAPPING, cfg.jobs or jobs).result()
    by_path = {m.path: m for m in got}
    ranked = tuple(by_path[r] for r in disc.documents)
    return MapResult(pack.id, disc.root, ranked, {p.id: p.title for p in pack.practices})


def suggestions(result: MapResult, keep: Sequence[Entry] = ()) -> list[Entry]:
    """Draft crosswalk entries: one `suggested` entry per document and ranked Practice.

    Practices the document declares itself, and those an entry of `keep` (a person's accepted
    entries) already maps the document to, are not suggested again; `keep` comes first.
    """
    covered = {(e.path, p) for e in keep for p in e.practices}
    out = list(keep)
    for d in result.documents:
        for p in d.practices:
            if p.declared or (d.path, p.id) in covered:
                continue
            wanted = [a for a in p.activities if a.score >= CLAIM_MIN and a.id[0] in CLAIMABLE]
            claims = tuple(a.id for a in sorted(wanted, key=lambda a: (a.id[0], int(a.id[1:]))))
            where = "; ".join(f"{s.section} ({_unit(d.location_kind)} {s.line})" for s in p.sections)
            out.append(
                Entry(
                    path=d.path,
                    practices=(p.id,),
                    status="suggested",
                    satisfies={p.id: claims} if claims else {},
                    score=p.score,
                    note=f"best sections: {where}" if where else None,
                )
            )
    return out


def _unit(kind: str) -> str:
    return {"page": "page", "paragraph": "paragraph"}.get(kind, "line")
