"""The same repository, config and as-of date give byte-identical JSON and SARIF.

The bundled example is replayed (escm_check.demo.replay: pinned authors and dates, so the
same commit hashes every time) and checked through the real CLI: again and again, under
different PYTHONHASHSEED values (set iteration order must never leak into a report), with a
cold cache, a warm cache and no cache, and in a second replay in another folder (the reports
then differ only in the root path they name).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from escm_check.demo import examples_dir, replay

from .clirun import escm_check


@dataclass(frozen=True)
class Reports:
    json: bytes
    sarif: bytes


def check(repo: Path, out: Path, cache: Path, seed: str, *extra: str) -> Reports:
    out.mkdir(parents=True)
    run = escm_check(
        "check",
        str(repo),
        "--format",
        "json",
        "--output",
        str(out / "r.json"),
        "--format",
        "sarif",
        "--output",
        str(out / "r.sarif"),
        *extra,
        cache_home=cache,
        env={"PYTHONHASHSEED": seed},
    )
    assert run.code in (0, 1) and "Traceback" not in run.output, run.output
    return Reports((out / "r.json").read_bytes(), (out / "r.sarif").read_bytes())


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("determinism") / "repo"
    ex = examples_dir()
    replay(ex / "evidence_history.yaml", ex / "evidence_repo", repo)
    return repo


def _rooted(data: bytes, root: Path) -> bytes:
    return data.replace(root.as_uri().encode(), b"<root>").replace(str(root).encode(), b"<root>")


def test_identical_across_runs_hash_seeds_cache_and_replays(example: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = check(example, tmp_path / "a", cache, "0")  # cold cache
    runs = {
        "PYTHONHASHSEED=1, warm cache": check(example, tmp_path / "b", cache, "1"),
        "PYTHONHASHSEED=random, no cache": check(example, tmp_path / "c", cache, "random", "--no-cache"),
    }
    assert first.json.startswith(b"{") and b'"findings"' in first.json
    for name, r in runs.items():
        assert r.json == first.json, name
        assert r.sarif == first.sarif, name
    # a second replay in another folder: the same commits, so the same reports but the root
    other = tmp_path / "replayed-again"
    ex = examples_dir()
    replay(ex / "evidence_history.yaml", ex / "evidence_repo", other)
    again = check(other, tmp_path / "e", tmp_path / "cache2", "3")
    assert _rooted(again.json, other) == _rooted(first.json, example)
    assert _rooted(again.sarif, other) == _rooted(first.sarif, example)
