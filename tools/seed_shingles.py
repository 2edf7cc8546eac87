"""Fingerprint the model's text so tests can prove summaries are our own words.

The repository must not carry the model's sentences, so it stores only hashes of
every run of 12 words in the seed text. Regenerate with:

    python tools/seed_shingles.py ../shared/seeds/escm-sp-v2-part2-practice-details.txt
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

WINDOW = 12
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed-shingles.gz"


def words(text: str) -> list[str]:
    """Lower-cased words with ligatures and punctuation normalised away."""
    text = text.replace("\ufb01", "fi").replace("\ufb00", "ff").replace("\ufb02", "fl")
    text = text.replace("\ufb03", "ffi").replace("\ufb04", "ffl")
    return re.findall(r"[a-z0-9]+", text.lower())


def shingles(text: str, window: int = WINDOW) -> Iterator[str]:
    """Short hashes of every run of `window` consecutive words."""
    w = words(text)
    for i in range(len(w) - window + 1):
        yield hashlib.blake2b(" ".join(w[i : i + window]).encode(), digest_size=6).hexdigest()


def load(path: Path = OUT) -> frozenset[str]:
    """The stored fingerprint set."""
    return frozenset(gzip.decompress(path.read_bytes()).decode().split())


def copied(text: str, fingerprint: Iterable[str]) -> bool:
    """True when `text` shares a run of WINDOW words with the fingerprinted text."""
    fp = fingerprint if isinstance(fingerprint, (set, frozenset)) else set(fingerprint)
    return any(s in fp for s in shingles(text))


def main(argv: list[str]) -> int:
    seed = Path(argv[1]).read_text(encoding="utf-8")
    data = "\n".join(sorted(set(shingles(seed)))).encode()
    OUT.write_bytes(gzip.compress(data, mtime=0))
    print(f"{OUT}: {len(data) // 13} shingles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
