"""Where a check's time goes: wall and CPU per pipeline stage, in one in-process run.

    python bench/stages.py bench/out/repo-10000-100000            # cold, no cache
    python bench/stages.py bench/out/repo-10000-100000 --cache    # with the cache (run twice)
    python bench/stages.py REPO --profile out.prof                # and a cProfile of the run

Each stage function the pipeline calls is wrapped: wall time, and CPU time of the thread it
ran in (stages overlap: the history is read in a thread while documents are parsed, versions
are loaded in a thread while change control is judged). git's own CPU is not in these
figures; `bench/run.py` measures the whole process tree.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escm_check import history, pipeline, stages
from escm_check.config import load_config
from escm_check.reporters.text_report import render_text
from escm_check.runner import pack_for

STAGES: list[tuple[Any, str]] = [
    (pipeline, "discover"),
    (stages, "read_all"),
    (stages, "normalise"),
    (history, "read_history"),
    (history, "load_versions"),
    (stages.changecontrol, "check_document"),
    (pipeline, "evaluate"),
]


T0 = [0.0]


def wrap(owner: Any, name: str, totals: dict[str, list[float]]) -> None:
    """Replace owner.name by a wrapper that adds its wall and thread CPU time to `totals`
    (and the first start and last end, in seconds from the start of the run)."""
    real: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t, c = time.perf_counter(), time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            end = time.perf_counter()
            entry = totals.setdefault(name, [0.0, 0.0, 0.0, t - T0[0], 0.0])
            entry[0] += end - t
            entry[1] += time.thread_time() - c
            entry[2] += 1
            entry[4] = max(entry[4], end - T0[0])

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    """Run one check with every stage timed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("--cache", action="store_true", help="use the cache (default: --no-cache)")
    ap.add_argument("--as-of", default=dt.date.today().isoformat())
    ap.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    cfg = load_config(None)
    pack = pack_for(cfg)
    setup = time.perf_counter() - t0
    totals: dict[str, list[float]] = {}
    for owner, name in STAGES:
        wrap(owner, name, totals)
    opts = pipeline.CheckOptions(
        path=a.repo.resolve(), config=cfg, as_of=dt.date.fromisoformat(a.as_of), use_cache=a.cache
    )
    prof = cProfile.Profile() if a.profile else None
    t, c = time.perf_counter(), time.process_time()
    T0[0] = t
    if prof:
        prof.enable()
    result = pipeline.run_check(opts, pack)
    if prof:
        prof.disable()
        prof.dump_stats(str(a.profile))
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    text = render_text(result, colour=False, verbose=False, quiet=False)
    report = time.perf_counter() - t
    print(f"config and rule pack: {setup:.2f}s")
    print(f"run_check: wall {wall:.2f}s, CPU of this process {cpu:.2f}s")
    for name, (w, c, n, first, last) in totals.items():
        print(f"  {name:15} wall {w:6.2f}s  thread CPU {c:6.2f}s  calls {int(n):6}  from {first:6.2f}s to {last:6.2f}s")
    print(f"text report: {report:.2f}s ({len(text):,} characters)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
