"""Time `escm-check map` over a generated repository against the check's document reading.

    python bench/mapping/speed.py                 # 10,000 documents (generated once into bench/out/)
    python bench/mapping/speed.py --docs 2000 --rounds 3

Three numbers per round, each the wall time of one stage over every document:
- read: discovery and reading, as a check does them (`read_documents`: discover, read_all, normalise);
- index: building the ranking's indexes from the rule pack (once per run);
- rank: ranking every document read (`rank_documents`).
The target is map (read + index + rank) at most twice the check's reading.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from escm_check.config import Config  # noqa: E402
from escm_check.mapping import Ranker  # noqa: E402
from escm_check.maprun import rank_documents, read_documents  # noqa: E402
from escm_check.rulepack import load_pack, load_vocabulary  # noqa: E402
from generate import generate  # noqa: E402


def one_round(repo: Path) -> dict[str, float]:
    """The three stage times of one map run over `repo`, in seconds."""
    gc.collect()
    t0 = time.perf_counter()
    _, parsed = read_documents(repo, Config())
    t1 = time.perf_counter()
    pack = load_pack("escm-sp-v2")
    t2 = time.perf_counter()
    ranker = Ranker(pack, load_vocabulary(pack))
    t3 = time.perf_counter()
    ranked = rank_documents(ranker, parsed, 5)
    t4 = time.perf_counter()
    assert len(ranked) == len(parsed)
    return {"documents": len(parsed), "read": t1 - t0, "index": t3 - t2, "rank": t4 - t3}


def main(argv: list[str] | None = None) -> int:
    """Generate the repository if needed, then time the rounds and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE.parent / "out")
    args = ap.parse_args(argv)
    repo = args.out / f"map-{args.docs}"
    if not repo.exists():
        args.out.mkdir(parents=True, exist_ok=True)
        generate(repo, args.docs, 1)
    rounds = [one_round(repo) for _ in range(args.rounds)]
    print(f"{rounds[0]['documents']:.0f} documents, {args.rounds} round(s), median seconds")
    med = {k: statistics.median(r[k] for r in rounds) for k in ("read", "index", "rank")}
    for k, v in med.items():
        print(f"  {k:<6} {v:8.2f}")
    total = med["read"] + med["index"] + med["rank"]
    print(f"  map    {total:8.2f}  = {total / med['read']:.2f} x the check's reading (target: at most 2.00)")
    print(f"  rank   {1000 * med['rank'] / rounds[0]['documents']:8.2f} ms per document")
    return 0


if __name__ == "__main__":
    sys.exit(main())
