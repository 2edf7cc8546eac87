"""A stage mapped in forked workers gives exactly what computing it here gives."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from escm_check import forkmap
from escm_check.adapters.limits import Limits
from escm_check.cache import PARSED
from escm_check.codec import Codec
from escm_check.stages import Parsed, read_documents

from .clirun import escm_check
from .gitrepo import GitRepo, doc

COUNT = forkmap.MIN_ITEMS + 150


def _variety(n: int) -> bytes:
    """Documents of every kind a reader meets: valid, invalid YAML, traps, bad bytes, none."""
    kind = n % 6
    if kind == 0:
        return doc(status="approved", version="1.0", practices=["knw01"], id=f"D-{n}").encode()
    if kind == 1:
        return b"---\nid: [unclosed\n---\n# Body\n"
    if kind == 2:
        return b"---\nversion: 2.10\nowner: no\nid: x\nid: y\n---\n# Traps\n\n<!-- escm: knw01.b1, nonsense -->\n"
    if kind == 3:
        return b"---\ntitle: caf\xe9\n---\n# Latin-1 bytes\n"
    if kind == 4:
        return b"# No front matter\n\nJust text.\n"
    return doc(status="draft", version="0.1", satisfies={"thr07": ["b1", "b2"]}).encode()


def _tree(root: Path, count: int = COUNT) -> list[str]:
    rels = []
    for n in range(count):
        rel = f"docs/{n % 7}/doc-{n:05d}.md"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(_variety(n))
        rels.append(rel)
    return rels


def _reader(root: Path) -> Callable[[Sequence[str]], list[Parsed]]:
    return lambda rels: read_documents(root, rels, Limits(), 1, {})


def test_workers_read_exactly_what_this_process_reads(tmp_path: Path) -> None:
    rels = _tree(tmp_path)
    here = read_documents(tmp_path, rels, Limits(), 1, {})
    pending = forkmap.start(rels, _reader(tmp_path), PARSED, 2)
    assert pending.forked == 2
    assert pending.result() == here


def test_the_bytes_workers_sent_are_what_the_codec_writes_for_their_values(tmp_path: Path) -> None:
    # the cache stores these bytes as they came rather than encoding each value again
    rels = _tree(tmp_path)
    pending = forkmap.start(rels, _reader(tmp_path), PARSED, 2)
    values = pending.result(keep_wire=True)
    wire = pending.take_wire()
    assert len(wire) == len(values) and all(w is not None for w in wire)
    assert all(w == PARSED.encode(v) for w, v in zip(wire, values, strict=True))
    assert pending.take_wire() == []  # handed over once, not held
    here = forkmap.start(rels[:10], _reader(tmp_path), PARSED, 2)  # too few to fork
    here.result(keep_wire=True)
    assert here.take_wire() == [None] * 10
    unkept = forkmap.start(rels, _reader(tmp_path), PARSED, 2)
    unkept.result()
    assert unkept.take_wire() == []


def test_a_worker_that_stops_early_leaves_the_rest_to_this_process(tmp_path: Path) -> None:
    rels = _tree(tmp_path, 40)
    here = read_documents(tmp_path, rels, Limits(), 1, {})
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def send_some_then_die() -> None:
        sender.send(([(i, PARSED.encode(p)) for i, p in enumerate(here[:10])], []))
        sender.send(([(10, b"not what a worker writes")], []))
        sender.close()

    proc = ctx.Process(target=send_some_then_die)
    proc.start()
    sender.close()
    read_here = []

    def read_rest(todo: list[str]) -> list[object]:
        read_here.extend(todo)
        return read_documents(tmp_path, todo, Limits(), 1, {})

    pending = forkmap.Pending(read_rest, PARSED, rels, [(proc, receiver)])
    assert pending.result() == here
    assert read_here == rels[10:]


def test_a_slowed_worker_takes_fewer_items(tmp_path: Path) -> None:
    # the first worker to start is slowed by a second per batch: the other takes the rest
    claim = tmp_path / "slow"

    def compute(items: Sequence[int]) -> list[tuple[int, int]]:
        with contextlib.suppress(FileExistsError):
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
        if claim.read_text() == str(os.getpid()):
            time.sleep(1)
        return [(os.getpid(), i) for i in items]

    items = list(range(forkmap.BATCH * 6))
    values = forkmap.start(items, compute, Codec(tuple[int, int]), 2).result()
    assert [i for _, i in values] == items
    slow = int(claim.read_text())
    by_slow = sum(1 for pid, _ in values if pid == slow)
    assert by_slow <= 2 * forkmap.BATCH
    assert {pid for pid, _ in values} - {slow, os.getpid()}  # the other worker took the rest


def test_small_runs_are_read_here(tmp_path: Path) -> None:
    rels = _tree(tmp_path, 30)
    assert forkmap.start(rels, _reader(tmp_path), PARSED, 2).forked == 0


def test_check_report_is_the_same_with_and_without_workers(tmp_path: Path) -> None:
    # enough documents with metadata that both reading and judging fork
    repo = GitRepo(tmp_path / "repo")
    rels = _tree(repo.path, int(forkmap.MIN_ITEMS * 1.6))
    repo.commit("add the documents")
    for rel in rels[::5]:
        repo.write(rel, (repo.path / rel).read_bytes().replace(b"# ", b"# Revised: ", 1))
    repo.commit("revise a fifth of them", trailers={"Approved-by": "Bob Approver <bob@example.org>"})
    reports = []
    for jobs in ("1", "2"):
        out = tmp_path / f"report-{jobs}.json"
        run = escm_check(
            "check", str(repo.path), "--no-cache", "--jobs", jobs, "--as-of", "2026-06-01",
            "--format", "json", "--output", str(out),
        )  # fmt: skip
        assert run.code in (0, 1), run.stderr
        reports.append(out.read_bytes())
    assert reports[0] == reports[1]
    report = json.loads(reports[0])
    assert len(report["documents"]) == len(rels)
    assert any(len(d["history"]) == 2 for d in report["documents"])


def test_map_is_the_same_with_and_without_workers(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    _tree(repo.path)
    repo.commit("add the documents")
    outputs = []
    for jobs in ("1", "2"):
        run = escm_check("map", str(repo.path), "--format", "json", "--jobs", jobs)
        assert run.code == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    ranked = json.loads(outputs[0])["documents"]
    assert len(ranked) == COUNT
    assert any(d["practices"] for d in ranked)


def test_the_tracebacks_of_a_workers_safety_net_come_back_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--verbose` prints the traceback of every internal-error finding, wherever it was read
    from escm_check import safety, stages

    rels = _tree(tmp_path)
    broken = set(rels[::97])
    real = stages.normalise

    def normalise(d: Any, *a: Any) -> Any:
        if d.path in broken:
            raise RuntimeError(f"a bug on {d.path}")
        return real(d, *a)

    monkeypatch.setattr(stages, "normalise", normalise)
    safety.drain()
    pending = forkmap.start(rels, _reader(tmp_path), PARSED, 2)
    assert pending.forked == 2
    values = pending.result()
    assert sorted(p[0].path for p in values if safety.is_internal(p[2])) == sorted(broken)
    kept = safety.drain()
    assert sorted(t.split(":", 1)[0] for t in kept) == sorted(broken)
    assert all("RuntimeError: a bug on" in t for t in kept)
