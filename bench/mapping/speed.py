"""Time `escm-check map` over a generated repository against the check's document reading.

    python bench/mapping/speed.py                 # 10,000 documents (generated once into bench/out/)
    python bench/mapping/speed.py --docs 2000 --rounds 3

Per round, each the wall time of one stage over every document, in one process:
- read: discovery and reading as a check does them (`discover`, then the documents read and
  normalised in forked workers through `forkmap`, as `pipeline` reads them);
- map: `map_repository` as `escm-check map` runs it (discovery, the ranking's indexes from the
  rule pack, every document read and ranked in forked workers);
- rank alone: the ranking of every document in this process (`rank_documents`), for the cost
  per document.
The target is map at most twice the check's reading.
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

from escm_check import forkmap, stages  # noqa: E402
from escm_check.adapters.limits import Limits  # noqa: E402
from escm_check.cache import PARSED  # noqa: E402
from escm_check.config import Config  # noqa: E402
from escm_check.discover import discover  # noqa: E402
from escm_check.gcpause import gc_paused  # noqa: E402
from escm_check.mapping import Ranker  # noqa: E402
from escm_check.maprun import map_repository, rank_documents  # noqa: E402
from escm_check.rulepack import load_pack, load_vocabulary  # noqa: E402
from generate import generate  # noqa: E402


def one_round(repo: Path) -> dict[str, float]:
    """The stage times of one round over `repo`, in seconds."""
    cfg = Config()
    limits = Limits.from_mapping(cfg.limits)
    pack = load_pack("escm-sp-v2")
    gc.collect()
    t0 = time.perf_counter()
    with gc_paused(promote=True):  # as the pipeline reads
        disc = discover(repo, cfg.include, cfg.exclude, None, cfg.formats)
        docs = list(disc.documents)
        parsed = forkmap.start(
            docs, lambda rels: stages.read_documents(disc.root, rels, limits, None, {}), PARSED
        ).result()
    t1 = time.perf_counter()
    mapped = map_repository(repo, cfg, pack, 5)
    t2 = time.perf_counter()
    ranker = Ranker(pack, load_vocabulary(pack))
    t3 = time.perf_counter()
    ranked = rank_documents(ranker, [(d, m) for d, m, _ in parsed], 5)
    t4 = time.perf_counter()
    assert len(ranked) == len(parsed) == len(mapped.documents)
    return {"documents": len(parsed), "read": t1 - t0, "map": t2 - t1, "rank": t4 - t3}


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
    med = {k: statistics.median(r[k] for r in rounds) for k in ("read", "map", "rank")}
    print(f"  read   {med['read']:8.2f}")
    print(f"  map    {med['map']:8.2f}  = {med['map'] / med['read']:.2f} x the check's reading (target: at most 2.00)")
    print(f"  rank   {1000 * med['rank'] / rounds[0]['documents']:8.2f} ms per document, in one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
