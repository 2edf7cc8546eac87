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
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .documents import Document, Section
from .rulepack import Pack

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

_WORD = re.compile(r"[^\W_]{2,}")
_DIGITS = re.compile(r"^\d+$")
# words every Practice uses for its own machinery: they say nothing about what a document covers
_MODEL_WORDS = frozenset(
    ("activ", "practic", "procedur", "polici", "stakehold", "organ", "ensur", "establish", "maintain")
    + ("improv", "relev", "identifi", "use", "includ", "defin", "review", "approv", "document")
)
MIN_SECTION_WORDS = 8  # a section shorter than this is too thin to say what it is about


@dataclass(frozen=True)
class Weights:
    """How much each part of the pack counts (repeats of its words), and how a document is judged."""

    title: int = 3
    summary: int = 2
    activities: int = 1
    recommended: int = 1
    vocabulary: int = 2
    # a document's score: this share from the whole text, the rest from its best section
    whole: float = 0.6
    # the document's title and file name count this many times over
    doc_title: int = 2
    bigrams: bool = True
    # how much a Practice's long text is discounted: 1.0 a cosine, 0.0 the plain BM25 sum
    length: float = 1.0
    k1: float = 1.2
    b: float = 0.75


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class ActivityMatch:
    """The section of a document that best matches one Required Activity."""

    id: str
    section: str
    line: int
    score: float


@dataclass(frozen=True)
class SectionMatch:
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

    def __call__(self, text: str) -> list[str]:
        """The tokens of `text`, in order."""
        words = [w for w in _WORD.findall(text.lower()) if w not in self._stop and not _DIGITS.match(w)]
        stems = [s for s in self._stemmer.stemWords(words) if s not in _MODEL_WORDS]
        if self._bigrams and len(stems) > 1:
            return stems + [f"{a} {b}" for a, b in itertools.pairwise(stems)]
        return stems


@dataclass
class _Index:
    """BM25 term weights of a set of texts, one column each, keyed by token."""

    vocab: dict[str, int]
    weights: Any  # numpy array, tokens x texts
    norms: Any  # numpy array, one per text: what its similarities are divided by

    @classmethod
    def build(cls, texts: Sequence[list[str]], k1: float, b: float, length: float = 1.0) -> _Index:
        import bm25s
        import numpy as np

        bm = bm25s.BM25(k1=k1, b=b)
        bm.index([t or [""] for t in texts], show_progress=False)
        data, indices, indptr = bm.scores["data"], bm.scores["indices"], bm.scores["indptr"]
        # bm25s numbers tokens in set order, which varies between runs; ours are sorted
        vocab = {t: i for i, t in enumerate(sorted(t for t in bm.vocab_dict if t))}
        weights = np.zeros((len(vocab), len(texts)), dtype=np.float64)
        for tok, row in vocab.items():
            j = bm.vocab_dict[tok]
            lo, hi = int(indptr[j]), int(indptr[j + 1])
            weights[row, indices[lo:hi]] = data[lo:hi]
        norms = np.sqrt((weights * weights).sum(axis=0))
        norms[norms == 0] = 1.0
        # |W|^length scaled so the largest is |W|: every similarity stays within 0..1
        norms = norms**length * float(norms.max()) ** (1.0 - length)
        return cls(vocab, weights, norms)

    def similarity(self, tokens: Iterable[str], columns: Any = None) -> Vector:
        """Cosine of the query (1 + log count per token) with every text, or with `columns`."""
        import numpy as np

        counts = Counter(t for t in tokens if t in self.vocab)
        width = len(self.norms) if columns is None else len(columns)
        if not counts:
            return np.zeros(width, dtype=np.float64)
        keys = sorted(counts)
        rows = np.fromiter((self.vocab[t] for t in keys), dtype=np.int64, count=len(keys))
        q = np.fromiter((1.0 + math.log(counts[t]) for t in keys), dtype=np.float64, count=len(keys))
        block = self.weights[rows] if columns is None else self.weights[np.ix_(rows, columns)]
        norms = self.norms if columns is None else self.norms[columns]
        out: Vector = (q @ block) / (math.sqrt(float(q @ q)) * norms)
        return out


def _repeat(tokens: list[str], times: int) -> list[str]:
    return tokens * max(times, 0)


@dataclass(frozen=True)
class _Section:
    heading: str
    line: int
    tokens: list[str]
    words: int


class Ranker:
    """The two indexes of one pack; ranks documents against them."""

    def __init__(
        self, pack: Pack, vocabulary: Mapping[str, Sequence[str]] | None = None, weights: Weights = DEFAULT_WEIGHTS
    ) -> None:
        import numpy as np

        self.pack = pack
        self.vocabulary: Mapping[str, Sequence[str]] = vocabulary or {}
        self.weights = w = weights
        self.tokenize = Tokenizer(w.bigrams)
        tok = self.tokenize
        docs: list[list[str]] = []
        acts: list[list[str]] = []
        self._act_keys: list[tuple[str, str]] = []
        self._act_columns: dict[str, Any] = {}
        for p in self.pack.practices:
            recommended = " . ".join(r.summary for a in p.activities for r in a.recommended)
            vocab = tok(" . ".join(self.vocabulary.get(p.id, ())))
            docs.append(
                _repeat(tok(p.title), w.title)
                + _repeat(tok(p.summary), w.summary)
                + _repeat(tok(" . ".join(a.summary for a in p.activities)), w.activities)
                + _repeat(tok(recommended), w.recommended)
                + _repeat(vocab, w.vocabulary)
            )
            first = len(acts)
            for a in p.activities:
                self._act_keys.append((p.id, a.id))
                acts.append(tok(" . ".join([a.summary, *(r.summary for r in a.recommended)])) + tok(p.title))
            self._act_columns[p.id] = np.arange(first, len(acts))
        self._practices = _Index.build(docs, w.k1, w.b, w.length)
        self._activities = _Index.build(acts, w.k1, w.b)
        self._ids = [p.id for p in self.pack.practices]

    @property
    def model(self) -> str:
        """The id of the pack the ranking comes from."""
        return self.pack.id

    def _sections(self, doc: Document) -> list[_Section]:
        out = []
        for s in doc.sections:
            heading = _heading(s, doc)
            tokens = self.tokenize(f"{heading} . {s.text}")
            out.append(_Section(heading, s.start, tokens, len(_WORD.findall(s.text))))
        return out

    def rank(
        self, doc: Document, title: str | None = None, declared: Sequence[str] = (), top: int = 5
    ) -> DocumentMapping:
        """The `top` Practices `doc` most likely serves, best first, with their best sections and activities."""
        import numpy as np

        w = self.weights
        declared_t = tuple(dict.fromkeys(declared))
        if doc.error is not None:
            return DocumentMapping(doc.path, doc.location_kind, (), declared_t, doc.error)
        head = self.tokenize(f"{title or ''} . {_path_words(doc.path)}")
        whole = self._practices.similarity(head * w.doc_title + self.tokenize(doc.text))
        sections = self._sections(doc)
        usable = [s for s in sections if s.words >= MIN_SECTION_WORDS] or sections
        per_section = [self._practices.similarity(s.tokens + head) for s in usable]
        best = np.max(np.vstack(per_section), axis=0) if per_section else whole
        combined = w.whole * whole + (1.0 - w.whole) * best
        # stable sort on the negated score: equal scores keep the pack's order
        order = sorted(range(len(self._ids)), key=lambda i: -float(combined[i]))
        chosen = [i for i in order if combined[i] > 0][: max(top, 0)]
        practices = []
        for i in chosen:
            pid = self._ids[i]
            ranked_sections = sorted(
                (
                    SectionMatch(s.heading, s.line, _score(float(v[i])))
                    for s, v in zip(usable, per_section, strict=False)
                ),
                key=lambda m: (-m.score, m.line),
            )
            practices.append(
                PracticeMatch(
                    id=pid,
                    score=_score(float(combined[i])),
                    declared=pid in declared_t,
                    sections=tuple(m for m in ranked_sections if m.score > 0)[:3],
                    activities=self._activities_of(pid, sections),
                )
            )
        return DocumentMapping(doc.path, doc.location_kind, tuple(practices), declared_t)

    def _activities_of(self, pid: str, sections: list[_Section]) -> tuple[ActivityMatch, ...]:
        """Each Required Activity of `pid` with the section that matches it best (none when nothing does)."""
        import numpy as np

        cols = self._act_columns[pid]
        if not sections or len(cols) == 0:
            return ()
        sims = np.vstack([self._activities.similarity(s.tokens, cols) for s in sections])
        out = []
        for j, col in enumerate(cols):
            # the first of equally good sections: the outer one, where the reader starts
            k = int(np.argmax(sims[:, j]))
            score = _score(float(sims[k, j]))
            if score > 0:
                s = sections[k]
                out.append(ActivityMatch(self._act_keys[int(col)][1], s.heading, s.line, score))
        return tuple(sorted(out, key=lambda m: -m.score))


def _score(value: float) -> float:
    # four places: enough to order, few enough that the last bit of a float never shows
    return round(min(max(value, 0.0), 1.0), 4)


def _heading(s: Section, doc: Document) -> str:
    if s.heading:
        return s.heading
    return "(before the first heading)" if doc.location_kind != "page" else f"Page {s.start}"


def _path_words(path: str) -> str:
    """The words of a file's name: `policies/disaster-recovery.md` -> `disaster recovery`."""
    name = path.rsplit("/", 1)[-1]
    stem = name.split(".", 1)[0] if not name.startswith(".") else name
    return re.sub(r"[-_.]+", " ", stem)
