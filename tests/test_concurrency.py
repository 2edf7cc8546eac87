"""Runs at the same time on one repository and one cache neither fail nor corrupt the cache.

Two (and then three) `escm-check check` processes are started together on the same replayed
example with the same cache folder (XDG_CACHE_HOME): every one must exit as a lone run does,
with byte-identical reports; afterwards every SQLite file in the cache passes
`PRAGMA integrity_check`, and a later run from the warm cache still gives the same report.

`test_cache_survives_concurrent_writers` is the test for the parse cache (issue 7): it runs
writers on two repositories into one cache folder at once; extend it as the cache grows
(eviction, a damaged database, a cache_dir on a network file system).
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from escm_check.demo import examples_dir, replay

from .clirun import argv0, clean_env, limit_memory

TIMEOUT = 120


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("concurrency") / "repo"
    ex = examples_dir()
    replay(ex / "evidence_history.yaml", ex / "evidence_repo", repo)
    return repo


def run_together(repos: list[Path], cache: Path, out: Path, *extra: str) -> list[tuple[int, bytes]]:
    """Start one check per repository at once; wait for all; return (exit code, JSON)."""
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for n, repo in enumerate(repos):
        target = out / f"r{n}.json"
        procs.append(
            (
                subprocess.Popen(
                    [*argv0(), "check", str(repo), "--format", "json", "--output", str(target), *extra],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=clean_env(cache),
                    preexec_fn=limit_memory,
                ),
                target,
            )
        )
    results = []
    for proc, target in procs:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
        output = (stdout + stderr).decode("utf-8", "replace")
        assert proc.returncode in (0, 1), output
        assert "Traceback" not in output, output
        results.append((proc.returncode, target.read_bytes()))
    return results


def sqlite_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\0"]


def assert_cache_intact(cache: Path) -> None:
    for db in sqlite_files(cache):
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",), db
        finally:
            conn.close()


def test_two_runs_at_once_on_one_repository_and_cache(example: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    together = run_together([example, example], cache, tmp_path / "cold")
    assert together[0] == together[1]
    assert_cache_intact(cache)
    alone = run_together([example], tmp_path / "no-cache", tmp_path / "alone", "--no-cache")
    assert together[0] == alone[0]
    warm = run_together([example, example], cache, tmp_path / "warm")
    assert warm == together
    assert_cache_intact(cache)


def test_cache_survives_concurrent_writers(example: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    ex = examples_dir()
    replay(ex / "comm_client_history.yaml", ex / "comm_client_repo", other)
    cache = tmp_path / "cache"
    first = run_together([example, other, other], cache, tmp_path / "cold")
    assert first[1] == first[2]
    assert_cache_intact(cache)
    again = run_together([other, example], cache, tmp_path / "warm")
    assert again == [first[1], first[0]]
    assert_cache_intact(cache)


# ----------------------------------------------------------------------------- cache (issue 7)


def _cache_db(cache: Path) -> Path:
    from escm_check.cache import DB_NAME

    return cache / "escm-check" / DB_NAME


def test_runs_at_once_on_a_damaged_cache_rebuild_it(example: Path, tmp_path: Path) -> None:
    """A database file of garbage is moved aside by whichever run sees it first; every run
    still gives the report of a run without the cache, and the cache works afterwards."""
    cache = tmp_path / "cache"
    alone = run_together([example], tmp_path / "no-cache", tmp_path / "alone", "--no-cache")[0]
    run_together([example], cache, tmp_path / "fill")
    db = _cache_db(cache)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database at all " * 4096)
    assert run_together([example, example, example], cache, tmp_path / "damaged") == [alone] * 3
    assert_cache_intact(cache)
    assert run_together([example, example], cache, tmp_path / "warm") == [alone] * 2
    assert_cache_intact(cache)


def test_runs_at_once_on_changing_heads_keep_the_cache_consistent(example: Path, tmp_path: Path) -> None:
    """Clones at different commits share one cache while older histories are evicted: each
    run matches its own run without the cache, and no version or verdict outlives the
    history it was made from."""
    clones = []
    for n, back in enumerate((0, 1, 2, 3)):
        clone = tmp_path / f"clone{n}"
        subprocess.run(["git", "clone", "-q", str(example), str(clone)], check=True, env=clean_env())
        subprocess.run(["git", "-C", str(clone), "reset", "-q", "--hard", f"HEAD~{back}"], check=True, env=clean_env())
        clones.append(clone)
    alone = run_together(clones, tmp_path / "no-cache", tmp_path / "alone", "--no-cache")
    cache = tmp_path / "cache"
    for round_ in range(2):
        assert run_together(clones, cache, tmp_path / f"round{round_}") == alone
        assert_cache_intact(cache)
    conn = sqlite3.connect(_cache_db(cache))
    try:
        histories = {k for (k,) in conn.execute("SELECT key FROM entries WHERE kind = 'history'")}
        children = {s for (s,) in conn.execute("SELECT scope FROM entries WHERE kind IN ('versions', 'control')")}
    finally:
        conn.close()
    assert histories and children <= histories
