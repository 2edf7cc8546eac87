"""Benchmark: the history stage against a plain `git log` with the same format, in one run.

    python bench/history_bench.py                 # 2,000 documents, 20,000 commits
    python bench/history_bench.py --full          # 10,000 documents, 100,000 commits
    python bench/history_bench.py --full --versions   # also load_versions and check_document

The repository is generated once by bench/generate.py into bench/out/ and reused. Each round
runs the plain `git log` (exactly the argv read_history uses, its output read through a pipe
and thrown away) and then read_history, alternately, so both see the same cache and load.
The ratio of the best times is the figure of merit (issue 4: at most 1.3); medians and CPU
times are printed too because a shared machine makes single wall-clock runs noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from escm_check.changecontrol import ControlSettings, check_document  # noqa: E402
from escm_check.gitrun import git_cmd, git_env  # noqa: E402
from escm_check.history import LOG_ARGS, RepoHistory, load_versions, read_history  # noqa: E402
from generate import FULL, generate  # noqa: E402


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _measure(fn: Callable[[], T]) -> tuple[tuple[float, float], T]:
    """((wall seconds, CPU seconds of this process and its children), result) of one call."""
    c0 = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    return (wall, _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - c0), out


def plain_log(repo: Path, head: str) -> None:
    """The baseline: the same git log, read through a pipe and discarded."""
    proc = subprocess.Popen(git_cmd(repo, *LOG_ARGS, head), stdout=subprocess.PIPE, env=git_env())
    assert proc.stdout is not None
    while proc.stdout.read1(1 << 18):  # type: ignore[attr-defined]
        pass
    if proc.wait() != 0:
        raise RuntimeError("git log failed")


def plain_log_devnull(repo: Path, head: str) -> None:
    """The same git log writing straight to /dev/null (no reader at all)."""
    subprocess.run(git_cmd(repo, *LOG_ARGS, head), stdout=subprocess.DEVNULL, env=git_env(), check=True)


def ensure_repo(path: Path, docs: int, commits: int) -> Path:
    """Generate and repack the repository unless it is already there."""
    if (path / ".git").exists():
        return path
    t = time.perf_counter()
    print(f"generating {docs} documents / {commits} commits in {path} ...", flush=True)
    generate(path, docs, commits, repack=True)
    print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--full", action="store_true", help="10,000 documents, 100,000 commits")
    ap.add_argument("--repo", type=Path, help="use (or create) this repository")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--versions", action="store_true", help="also time load_versions alone and check_document for every document"
    )
    a = ap.parse_args(argv)
    docs, commits = FULL if a.full else (a.docs, a.commits)
    repo = ensure_repo(a.repo or HERE / "out" / f"repo-{docs}-{commits}", docs, commits)
    head = (
        subprocess.run(git_cmd(repo, "rev-parse", "HEAD"), capture_output=True, check=True, env=git_env())
        .stdout.decode()
        .strip()
    )

    print(f"repository: {repo}  (load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs)")
    plain_log(repo, head)  # warm the page cache; not timed
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    plain: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    devnull: list[tuple[float, float]] = []
    stage: list[tuple[float, float]] = []
    history: RepoHistory | None = read_history(repo)
    assert history is not None
    paths = [p for p in history.files if p.endswith(".md")]
    for _ in range(a.rounds):
        devnull.append(_measure(lambda: plain_log_devnull(repo, head))[0])
        plain.append(_measure(lambda: plain_log(repo, head))[0])
        history = None  # let the previous result go before measuring the next
        took, history = _measure(lambda: read_history(repo))
        ours.append(took)
        history = None
        # the whole history stage as the pipeline runs it: the log and every version
        stage.append(_measure(lambda: load_versions(repo, read_history(repo, prefetch=True), paths))[0])
    history = read_history(repo)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    git_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert history is not None
    changes = sum(len(f.changes) for f in history.files.values())

    def best(xs: list[tuple[float, float]], i: int) -> float:
        return min(x[i] for x in xs)

    def med(xs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(x[i] for x in xs)

    print(f"commits read: {len(history.commits)}, paths: {len(history.files)}, changes: {changes}")
    print(f"{'':28}{'best wall':>10}{'median':>10}{'best CPU':>10}")
    for name, xs in (
        ("git log > /dev/null", devnull),
        ("git log | pipe (baseline)", plain),
        ("read_history", ours),
        ("history stage", stage),
    ):
        print(f"{name:28}{best(xs, 0):>9.2f}s{med(xs, 0):>9.2f}s{best(xs, 1):>9.2f}s")
    for name, xs in (("read_history", ours), ("history stage", stage)):
        # paired: each round's time over the baseline's in the same round, which cancels
        # most of the drift of a shared machine between rounds
        paired = statistics.median(x[0] / p[0] for x, p in zip(xs, plain, strict=True))
        print(
            f"ratio {name} / git log: best wall {best(xs, 0) / best(plain, 0):.2f}, "
            f"median paired wall {paired:.2f}, "
            f"best CPU {best(xs, 1) / best(plain, 1):.2f}  (target <= 1.3)"
        )
    print(f"  (history stage = read_history(prefetch=True) + load_versions of {len(paths)} documents)")
    print(
        f"peak RSS of this process: {rss_after / 1024:.0f} MiB "
        f"(before the rounds {rss_before / 1024:.0f} MiB); "
        f"peak RSS of a git child: {git_rss / 1024:.0f} MiB"
    )

    if a.versions:
        (wall, cpu), versions = _measure(lambda: load_versions(repo, history, paths))
        n = sum(len(v) for v in versions.values())
        print(f"load_versions: {n} versions of {len(paths)} documents in {wall:.2f}s (CPU {cpu:.2f}s)")
        settings = ControlSettings()
        as_of = dt.date(2030, 1, 1)
        # the current metadata comes from the adapters in the pipeline: not timed here
        current = {p: (versions[p][0].meta if versions.get(p) else {}) for p in paths}

        def judge_all() -> None:
            for p in paths:
                check_document(p, current[p], history, versions.get(p, ()), settings, as_of)

        (wall, cpu), _ = _measure(judge_all)
        print(f"check_document x {len(paths)}: {wall:.2f}s (CPU {cpu:.2f}s)")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
