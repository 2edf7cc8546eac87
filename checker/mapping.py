"""Rank the Practices a document most likely serves, and the activities its sections match best.

Lexical, offline and deterministic. Each Practice is one BM25 document (bm25s) built from the
pack's own text (title, summary, Required and Recommended Activities) and the pack's
vocabulary of the words organisations use; each Required Activity is one document of a
second index. A document, and each of its sections, is the query: its stemmed words
(PyStemmer) and adjacent word pairs, weighted by 1 + log(count). A query's similarity to a
Practice is the dot product with the Practice's BM25 term weights over the lengths of both
vectors (a cosine), so a long document is not favoured for being long and a section about
one thing beats the chapter it sits in. Scores lie in 0.0-1.0; ties fall to the pack order.

Pure: values in (a pack, its vocabulary, parsed documents), values out; no I/O.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .documents import Document, Section
from .rulepack import Pack

_WORD = re.compile(r"[^\W_]{2,}")
# words every Practice uses for its own machinery: they say nothing about what a document covers
_MODEL_WORDS = frozenset(
    ("activ", "practic", "procedur", "polici", "stakehold", "organ", "ensur", "establish", "maintain")
    + ("improv", "relev", "identifi", "use", "includ", "defin", "review", "approv", "document")
)
_NONE = np.zeros(0, dtype=np.int64)
MIN_SECTION_WORDS = 8  # a section shorter than this is too thin to say what it is about


@dataclass(frozen=True)
class Weights:
    """How much each part of the pack counts (repeats of its words), and how a document is judged."""

    # tuned on the dev half of bench/mapping/labels.yaml (see bench/mapping/evaluate.py)
    title: int = 3
    summary: int = 2
    activities: int = 1
    recommended: int = 0
    vocabulary: int = 2
    # a document's score: this share from the whole text, the rest from its best section
    whole: float = 0.6
    # the document's title and file name count this many times over
    doc_title: int = 2
    bigrams: bool = True
    # how much a Practice's long text is discounted: 1.0 a cosine, 0.0 the plain BM25 sum
    length: float = 0.5
    k1: float = 1.2
    b: float = 0.75


DEFAULT_WEIGHTS = Weights()


class ActivityMatch(NamedTuple):
    """The section of a document that best matches one Required Activity."""

    id: str
    section: str
    line: int
    score: float


class SectionMatch(NamedTuple):
    """How well one section matches a Practice."""

    section: str
    line: int
    score: float


@dataclass(frozen=True)
class PracticeMatch:
    """One Practice a document likely serves, with its best sections and activities."""

    id: str
    score: float
    declared: bool
    sections: tuple[SectionMatch, ...]
    activities: tuple[ActivityMatch, ...]


@dataclass(frozen=True)
class DocumentMapping:
    """The ranked Practices of one document."""

    path: str
    location_kind: str
    practices: tuple[PracticeMatch, ...]
    declared: tuple[str, ...] = ()
    error: str | None = None


class Tokenizer:
    """Lowercase words of two letters or more, stop words out, stemmed, with adjacent pairs."""

    def __init__(self, bigrams: bool = True) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        self._stemmer = Stemmer.Stemmer("english")
        self._stop = frozenset(STOPWORDS_EN_PLUS)
        self._bigrams = bigrams

    def stems(self, text: str) -> list[str]:
        """The stemmed words of `text`, in order."""
        stop = self._stop
        words = [w for w in _WORD.findall(text.lower()) if w not in stop and not w.isdigit()]
        return [s for s in self._stemmer.stemWords(words) if s not in _MODEL_WORDS]

    def with_pairs(self, stems: list[str]) -> list[str]:
        """`stems` and, when pairs are on, each adjacent pair as one more token."""
        if self._bigrams and len(stems) > 1:
            return stems + [f"{a} {b}" for a, b in itertools.pairwise(stems)]
        return stems

    def __call__(self, text: str) -> list[str]:
        """The tokens of `text`, in order."""
        return self.with_pairs(self.stems(text))


def _bm25(texts: Sequence[list[str]], k1: float, b: float) -> dict[str, list[tuple[int, float]]]:
    """BM25 (bm25s) weight of each token in each text: token -> [(text, weight)], texts ascending."""
    import bm25s

    bm = bm25s.BM25(k1=k1, b=b)
    bm.index([t or [""] for t in texts], show_progress=False)
    data, indices, indptr = bm.scores["data"], bm.scores["indices"], bm.scores["indptr"]
    out: dict[str, list[tuple[int, float]]] = {}
    # bm25s numbers tokens in set order, which varies between runs: keyed by token instead
    for tok, j in bm.vocab_dict.items():
        if tok:
            lo, hi = int(indptr[j]), int(indptr[j + 1])
            out[tok] = sorted(zip(indices[lo:hi].tolist(), data[lo:hi].tolist(), strict=True))
    return out


def _column_norms(weights: Any, length: float) -> Any:
    """What each text's similarities are divided by: |W|^length, scaled so that none exceeds 1."""
    norms = np.sqrt((weights * weights).sum(axis=0))
    norms[norms == 0] = 1.0
    return norms**length * float(norms.max()) ** (1.0 - length)


class _Queries:
    """The queries of one document (whole text, then each section) over the tokens they share."""

    def __init__(self, queries: Sequence[Any], size: int) -> None:
        """`queries`: arrays of token numbers (below `size`), one per query."""
        # one key per (query, token): counted at once for every query of the document
        keys = np.concatenate([ids + n * size for n, ids in enumerate(queries)])
        found, counts = np.unique(keys, return_counts=True)
        # token numbers follow the sorted tokens, so the columns come in one fixed order
        self.rows, column = np.unique(found % size, return_inverse=True)
        q = np.zeros((len(queries), len(self.rows)), dtype=np.float64)
        q[found // size, column] = 1.0 + np.log(counts)
        lengths = np.sqrt((q * q).sum(axis=1))
        lengths[lengths == 0] = 1.0
        self.matrix = q / lengths[:, None]  # unit rows: a similarity is a dot product


def _repeat(tokens: list[str], times: int) -> list[str]:
    return tokens * max(times, 0)


@dataclass(frozen=True)
class _Section:
    heading: str
    line: int
    ids: Any  # numpy array: the numbers of its tokens the Practices' text holds


class Ranker:
    """The indexes of one pack (Practices, and each Practice's activities); ranks documents."""

    def __init__(
        self, pack: Pack, vocabulary: Mapping[str, Sequence[str]] | None = None, weights: Weights = DEFAULT_WEIGHTS
    ) -> None:
        self.pack = pack
        self.vocabulary: Mapping[str, Sequence[str]] = vocabulary or {}
        self.weights = w = weights
        self.tokenize = tok = Tokenizer(w.bigrams)
        docs: list[list[str]] = []
        acts: list[list[str]] = []
        owner: list[int] = []  # the Practice of each activity
        self._act_ids: list[tuple[str, ...]] = []
        for n, p in enumerate(self.pack.practices):
            recommended = " . ".join(r.summary for a in p.activities for r in a.recommended)
            vocab = tok(" . ".join(self.vocabulary.get(p.id, ())))
            docs.append(
                _repeat(tok(p.title), w.title)
                + _repeat(tok(p.summary), w.summary)
                + _repeat(tok(" . ".join(a.summary for a in p.activities)), w.activities)
                + _repeat(tok(recommended), w.recommended)
                + _repeat(vocab, w.vocabulary)
            )
            for a in p.activities:
                acts.append(tok(" . ".join([a.summary, *(r.summary for r in a.recommended)])))
                owner.append(n)
            self._act_ids.append(tuple(a.id for a in p.activities))
        practice_weights = _bm25(docs, w.k1, w.b)
        self._vocab = {t: i for i, t in enumerate(sorted(practice_weights))}
        self._weights = np.zeros((len(self._vocab), len(docs)), dtype=np.float64)
        for t, cells in practice_weights.items():
            for col, value in cells:
                self._weights[self._vocab[t], col] = value
        self._norms = _column_norms(self._weights, w.length)
        # the activities: one matrix over the tokens they use, with a lookup from the shared
        # token numbers (-1: not used); IDF is over all activities of the pack
        act_weights = {t: cells for t, cells in _bm25(acts, w.k1, w.b).items() if t in self._vocab}
        self._act_rows = np.full(len(self._vocab), -1, dtype=np.int64)
        self._act_matrix = np.zeros((len(act_weights), len(acts)), dtype=np.float64)
        for r, t in enumerate(sorted(act_weights)):
            self._act_rows[self._vocab[t]] = r
            for col, value in act_weights[t]:
                self._act_matrix[r, col] = value
        self._act_norms = _column_norms(self._act_matrix, 1.0)
        self._act_first = [owner.index(n) if n in owner else len(owner) for n in range(len(docs))]
        self._ids = [p.id for p in self.pack.practices]

    @property
    def model(self) -> str:
        """The id of the pack the ranking comes from."""
        return self.pack.id

    def _numbers(self, tokens: list[str]) -> Any:
        get = self._vocab.get
        return np.fromiter((i for i in map(get, tokens) if i is not None), dtype=np.int64)

    def _text_ids(self, text: str, seen: dict[str, Any]) -> Any:
        """The token numbers of `text`, line by line, each line's taken from `seen` when met before.

        A section's text holds its sub-sections' lines and the document's holds them all: each
        line is tokenized once per document. Word pairs are not formed across a line break.
        """
        parts = [_NONE]
        for line in text.split("\n"):
            if not line or line.isspace():
                continue
            got = seen.get(line)
            if got is None:
                got = seen[line] = self._numbers(self.tokenize(line))
            parts.append(got)
        return np.concatenate(parts)

    def _sections(self, doc: Document, seen: dict[str, Any]) -> list[_Section]:
        return [
            _Section(heading, s.start, self._text_ids(f"{heading}\n{s.text}", seen))
            for s in doc.sections
            for heading in (_heading(s, doc),)
        ]

    def rank(
        self, doc: Document, title: str | None = None, declared: Sequence[str] = (), top: int = 5
    ) -> DocumentMapping:
        """The `top` Practices `doc` most likely serves, best first, with their best sections and activities."""
        w = self.weights
        declared_t = tuple(dict.fromkeys(declared))
        if doc.error is not None:
            return DocumentMapping(doc.path, doc.location_kind, (), declared_t, doc.error)
        head = self._numbers(self.tokenize(f"{title or ''} . {_path_words(doc.path)}"))
        seen: dict[str, Any] = {}
        sections = self._sections(doc, seen)
        whole_ids = np.concatenate([*(head for _ in range(w.doc_title)), self._text_ids(doc.text, seen)])
        queries = _Queries([whole_ids] + [np.concatenate([s.ids, head]) for s in sections], len(self._vocab))
        sims = (queries.matrix @ self._weights[queries.rows]) / self._norms
        usable = [n for n, s in enumerate(sections) if len(s.ids) >= MIN_SECTION_WORDS] or list(range(len(sections)))
        whole, per_section = sims[0], sims[1:][usable]
        best = per_section.max(axis=0) if usable else whole
        combined = _scores(w.whole * whole + (1.0 - w.whole) * best)
        # stable: equal scores keep the pack's order
        order = np.argsort(-combined, kind="stable")[: max(top, 0)].tolist()
        chosen = [i for i in order if combined[i] > 0]
        section_scores = _scores(per_section[:, chosen]).tolist() if chosen else []
        activities = self._activities_of(chosen, sections, queries) if sections and chosen else []
        practices = []
        for c, i in enumerate(chosen):
            pid = self._ids[i]
            ranked_sections = sorted(
                (
                    SectionMatch(sections[n].heading, sections[n].line, row[c])
                    for n, row in zip(usable, section_scores, strict=True)
                    if row[c] > 0
                ),
                key=lambda m: (-m.score, m.line),
            )
            practices.append(
                PracticeMatch(
                    id=pid,
                    score=float(combined[i]),
                    declared=pid in declared_t,
                    sections=tuple(ranked_sections[:3]),
                    activities=activities[c],
                )
            )
        return DocumentMapping(doc.path, doc.location_kind, tuple(practices), declared_t)

    def _activities_of(
        self, chosen: list[int], sections: list[_Section], queries: _Queries
    ) -> list[tuple[ActivityMatch, ...]]:
        """For each chosen Practice, its Required Activities with the section each matches best."""
        spans = [(self._act_first[i], len(self._act_ids[i])) for i in chosen]
        cols = np.concatenate([np.arange(first, first + n) for first, n in spans])
        local = self._act_rows[queries.rows]
        used = local >= 0
        block = self._act_matrix[np.ix_(local[used], cols)]
        sims = (queries.matrix[1:, used] @ block) / self._act_norms[cols]
        # the first of equally good sections: the outer one, where the reader starts
        best = sims.argmax(axis=0).tolist()
        values = _scores(sims.max(axis=0)).tolist()
        out = []
        at = 0
        for (_, n), i in zip(spans, chosen, strict=True):
            found = [
                ActivityMatch(aid, sections[k].heading, sections[k].line, value)
                for aid, k, value in zip(self._act_ids[i], best[at : at + n], values[at : at + n], strict=True)
                if value > 0
            ]
            out.append(tuple(sorted(found, key=lambda m: -m.score)))
            at += n
        return out


def _scores(values: Any) -> Any:
    """Similarities as reported: within 0..1, four places (enough to order; no stray last bits)."""
    return np.round(np.clip(values, 0.0, 1.0), 4)


def _heading(s: Section, doc: Document) -> str:
    if s.heading:
        return s.heading
    return "(before the first heading)" if doc.location_kind != "page" else f"Page {s.start}"


def _path_words(path: str) -> str:
    """The words of a file's name: `policies/disaster-recovery.md` -> `disaster recovery`."""
    name = path.rsplit("/", 1)[-1]
    stem = name.split(".", 1)[0] if not name.startswith(".") else name
    return re.sub(r"[-_.]+", " ", stem)
