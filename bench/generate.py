"""Generate a synthetic process repository through `git fast-import`.

    python bench/generate.py OUT --docs 2000 --commits 20000
    python bench/generate.py OUT --full            # 10,000 documents, 100,000 commits

The repository looks like a busy process repository: Markdown documents with eSCM front
matter and section tags under `process/<area>/`, a first commit that adds them all, then
commits that each revise one to three documents (version raised, Approved-by trailer on most,
Reviewed-by on some, a few careless ones), and every `merge_every` commits a short topic
branch merged with a merge commit. Everything is seeded, so the same parameters give the
same repository (the same hashes) every time.

`generate()` is importable so other benchmarks can reuse it (e.g. to add .docx or PDF files
with their own writer callback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

AREAS = ("knw", "ppl", "prf", "rel", "tch", "thr", "cnt", "sdd", "del", "tfr")
TYPES = ("policy", "procedure", "guideline", "program", "plan", "record")
PEOPLE = tuple(
    (f"{first} {last}", f"{first.lower()}.{last.lower()}@example.org")
    for first, last in [
        ("Ann", "Lee"),
        ("Bob", "Kim"),
        ("Cleo", "Diaz"),
        ("Dev", "Patel"),
        ("Eva", "Nowak"),
        ("Finn", "Berg"),
        ("Gia", "Rossi"),
        ("Hal", "Moore"),
        ("Ines", "Sousa"),
        ("Jon", "Park"),
        ("Kai", "Weber"),
        ("Lea", "Martin"),
        ("Max", "Cohen"),
        ("Nia", "Brown"),
        ("Oto", "Sato"),
    ]
)
START = dt.datetime(2018, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
FULL = (10_000, 100_000)

PARAGRAPH = (
    "This section sets out how the organization carries out the activity, who is responsible "
    "for each step, which inputs are required and which records are kept as evidence. Deviations "
    "are reported to the process owner and tracked until they are closed.\n"
)


@dataclass
class DocState:
    """What the generator remembers about one document."""

    path: str
    area: str
    number: int
    type: str
    major: int = 1
    minor: int = 0
    revision: int = 0
    status: str = "approved"
    approved_on: dt.date = field(default_factory=lambda: START.date())

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


def render(d: DocState, approver: str) -> bytes:
    """The document's Markdown at its current state."""
    practice = f"{d.area}{(d.number % 12) + 1:02d}"
    lines = [
        "---",
        f"id: {d.area.upper()}-{d.number:05d}",
        f"title: {d.type.capitalize()} {d.number} for {d.area}",
        f"type: {d.type}",
        f"practices: [{practice}]",
        "satisfies:",
        f"  {practice}: [b1, b2]",
        f"status: {d.status}",
        f'version: "{d.version}"',
        "owner: Quality Manager",
        f"approved_by: {approver}",
        f"approved_on: {d.approved_on.isoformat()}",
        "review_cycle: 12 months",
    ]
    if d.type == "record":
        lines.append(f"date: {d.approved_on.isoformat()}")
    lines += [
        "---",
        "",
        f"# {d.type.capitalize()} {d.number}",
        "",
        "## Purpose",
        "",
        f"<!-- escm: {practice}.b1 -->",
        "",
        PARAGRAPH,
        "## Activities",
        "",
        f"<!-- escm: {practice}.b2 -->",
        "",
        PARAGRAPH,
        f"Revision {d.revision}: updated the responsibilities in step {d.revision % 7 + 1}.",
        "",
    ]
    return "\n".join(lines).encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _ident(person: tuple[str, str], when: dt.datetime) -> bytes:
    return f"{person[0]} <{person[1]}> {int(when.timestamp())} +0000".encode()


# A writer returns extra (path, bytes) pairs to add to a commit: the hook for other formats.
ExtraFiles = Callable[[random.Random, int], list[tuple[str, bytes]]]


def stream(
    docs: int, commits: int, *, seed: int = 1, merge_every: int = 50, extra: ExtraFiles | None = None
) -> Iterator[bytes]:
    """The fast-import stream: `commits` commits in all, merge commits included."""
    rng = random.Random(seed)
    states = [
        DocState(
            path=f"process/{AREAS[i % 10]}/{TYPES[i % 6]}-{i:05d}.md",
            area=AREAS[i % 10],
            number=i,
            type=TYPES[i % 6],
            status="draft" if i % 9 == 0 else "approved",
        )
        for i in range(docs)
    ]
    when = START
    mark = 0
    owner = PEOPLE[0]

    def commit(
        ref: str,
        author: tuple[str, str],
        committer: tuple[str, str],
        msg: str,
        files: list[tuple[str, bytes]],
        parents: list[int],
    ) -> int:
        nonlocal mark, when
        mark += 1
        when += dt.timedelta(minutes=rng.randint(1, 30))
        out = [
            b"commit %s\nmark :%d\n" % (ref.encode(), mark),
            b"author " + _ident(author, when) + b"\n",
            b"committer " + _ident(committer, when) + b"\n",
            _data(msg.encode()),
        ]
        if parents:
            out.append(b"from :%d\n" % parents[0])
            out += [b"merge :%d\n" % p for p in parents[1:]]
        out += [b"M 100644 inline %s\n%s" % (p.encode(), _data(body)) for p, body in files]
        chunks.append(b"".join(out))
        return mark

    chunks: list[bytes] = []
    first = [(d.path, render(d, PEOPLE[1][0])) for d in states]
    if extra:
        first += extra(rng, 0)
    main = commit(
        "refs/heads/main",
        owner,
        owner,
        f"Import the process repository\n\nApproved-by: {PEOPLE[1][0]} <{PEOPLE[1][1]}>\n",
        first,
        [],
    )
    yield from chunks
    chunks.clear()
    made = 1

    def revise(n: int) -> tuple[tuple[str, str], list[tuple[str, bytes]], str]:
        author = PEOPLE[rng.randrange(len(PEOPLE))]
        approver = PEOPLE[(PEOPLE.index(author) + 1 + rng.randrange(len(PEOPLE) - 1)) % len(PEOPLE)]
        files = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            # a hot two percent of the documents takes a fifth of the edits, as in real life
            hot = max(1, docs // 50)
            d = states[rng.randrange(hot) if rng.random() < 0.2 else rng.randrange(docs)]
            d.revision += 1
            if rng.random() > 0.03:  # a few careless edits keep the version
                if rng.random() < 0.1:
                    d.major, d.minor = d.major + 1, 0
                else:
                    d.minor += 1
            d.approved_on = when.date()
            files.append((d.path, render(d, approver[0])))
        if extra:
            files += extra(rng, n)
        trailers = []
        if rng.random() < 0.92:
            trailers.append(f"Approved-by: {approver[0]} <{approver[1]}>")
        if rng.random() < 0.1:
            trailers.append(f"Reviewed-by: {approver[0]} <{approver[1]}>")
        msg = f"Revise {files[0][0].rsplit('/', 1)[-1]}\n\nClarify step {n % 7 + 1}.\n"
        if trailers:
            msg += "\n" + "\n".join(trailers) + "\n"
        return author, files, msg

    while made < commits:
        if merge_every and made % merge_every == 0 and commits - made >= 3:
            topic = main
            n_topic = min(rng.randint(1, 3), commits - made - 1)
            for _ in range(n_topic):
                author, files, msg = revise(made)
                topic = commit("refs/heads/topic", author, author, msg, files, [topic])
                made += 1
            merger = PEOPLE[rng.randrange(len(PEOPLE))]
            main = commit("refs/heads/main", merger, merger, "Merge branch 'topic'\n", [], [main, topic])
            made += 1
        else:
            author, files, msg = revise(made)
            main = commit("refs/heads/main", author, author, msg, files, [main])
            made += 1
        if len(chunks) >= 256:
            yield from chunks
            chunks.clear()
    yield from chunks


def generate(
    out: Path,
    docs: int,
    commits: int,
    *,
    seed: int = 1,
    merge_every: int = 50,
    checkout: bool = True,
    repack: bool = False,
    extra: ExtraFiles | None = None,
) -> Path:
    """Create the repository at `out` (which must not exist) and return its path.

    `repack` recomputes the pack as `git gc` would leave a repository in use (fast-import's
    own pack has poorer deltas, which makes `git log` and `cat-file` slower than in life).
    """
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} exists; remove it or choose another path")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"})
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True, env=env)
    proc = subprocess.Popen(["git", "-C", str(out), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    for chunk in stream(docs, commits, seed=seed, merge_every=merge_every, extra=extra):
        proc.stdin.write(chunk)
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    if repack:
        subprocess.run(["git", "-C", str(out), "repack", "-a", "-d", "-f", "-q"], check=True, env=env)
    if checkout:
        subprocess.run(["git", "-C", str(out), "checkout", "-q", "-f", "main"], check=True, env=env)
        refresh_index(out, env)
    return out


def refresh_index(repo: Path, env: dict[str, str] | None = None) -> None:
    """Leave the index as a repository in use has it: refreshed after its files were written.

    Right after a checkout every entry is "racily clean" (written in the same second as the
    index), so each `git diff HEAD` re-reads every file; the first `git status` in a real
    repository refreshes the index once and for all.
    """
    time.sleep(1.1)  # past the timestamp granularity of the index
    subprocess.run(["git", "-C", str(repo), "update-index", "-q", "--refresh"], env=env, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a repository."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--full", action="store_true", help="10,000 documents, 100,000 commits")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--merge-every", type=int, default=50)
    ap.add_argument("--no-checkout", action="store_true")
    ap.add_argument("--repack", action="store_true", help="repack as gc would (slower)")
    a = ap.parse_args(argv)
    docs, commits = FULL if a.full else (a.docs, a.commits)
    t = time.perf_counter()
    generate(a.out, docs, commits, seed=a.seed, merge_every=a.merge_every, checkout=not a.no_checkout, repack=a.repack)
    print(
        f"generated {docs} documents, {commits} commits in {a.out} ({time.perf_counter() - t:.1f} s)", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
