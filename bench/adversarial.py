"""Benchmark: how long the readers take on hostile input, against the time each should stay under.

    python bench/adversarial.py            # every case, best of 3
    python bench/adversarial.py --runs 5

The unit tests feed the same inputs (zip bombs, billion laughs, self-referencing PDFs, YAML
nested past any limit, Markdown and identities that once made a scanner quadratic,
include patterns built to backtrack) and check what comes out; the time each takes is
measured here, where a busy machine makes a slow run a number to look at, not a failed test.
Exit status 1 when a case's best time is over its target.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from escm_check.adapters.docx import read_docx  # noqa: E402
from escm_check.adapters.limits import Limits  # noqa: E402
from escm_check.adapters.markdown import parse_markdown  # noqa: E402
from escm_check.adapters.pdf import read_pdf  # noqa: E402
from escm_check.adapters.sidecar import find_markers, read_sidecar, sidecar_path  # noqa: E402
from escm_check.frontmatter import load_mapping  # noqa: E402
from escm_check.identity import parse_identity  # noqa: E402
from escm_check.parsing import read_all  # noqa: E402
from escm_check.pathpatterns import PatternError, Patterns  # noqa: E402

from tests.docfactory import billion_laughs_docx, circular_pdf, raw_pdf, zip_bomb_docx  # noqa: E402
from tests.test_adapter_pdf import SELF_REFERENCES  # noqa: E402
from tests.test_data_only import HOSTILE_GLOBS  # noqa: E402
from tests.test_properties import DEEP_NESTING, SLOW_MARKDOWN  # noqa: E402

LIMITS = Limits()
Case = tuple[str, float, Callable[[], object]]  # name, target seconds, the work


def _match_or_refuse(pattern: str, path: str) -> bool | None:
    """A pattern is matched, or refused as a configuration error: either must come back fast."""
    try:
        return Patterns([pattern]).matches(path)
    except PatternError:
        return None


def _cases(tmp: Path) -> list[Case]:
    zip_bomb = zip_bomb_docx(tmp / "bomb.docx", unzipped_mib=64)
    laughs = billion_laughs_docx(tmp / "lol.docx")
    loop = circular_pdf(tmp / "loop.pdf")
    fifo = tmp / "pipe.pdf"
    os.mkfifo(fifo)
    for rel in ("huge.pdf", "huge.docx", "huge.xlsx"):
        with open(tmp / rel, "wb") as fh:
            fh.truncate(100 * 2**20)  # sparse: 100 MB on paper
    (tmp / "huge.xlsx.yaml").write_text("id: X\n")
    xlsx = tmp / "records" / "audit-log.xlsx"
    xlsx.parent.mkdir()
    xlsx.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    sidecar_path(xlsx).write_text("\n".join(bomb) + "\n")

    cases: list[Case] = [
        ("docx zip bomb", 1.0, lambda: read_docx(zip_bomb, "bomb.docx", LIMITS)),
        ("docx billion laughs", 1.0, lambda: read_docx(laughs, "lol.docx", LIMITS)),
        ("pdf circular page tree", 5.0, lambda: read_pdf(loop, "loop.pdf", LIMITS)),
        ("pdf fifo", 2.0, lambda: read_pdf(fifo, "pipe.pdf", LIMITS)),
        ("100 MB files refused", 5.0, lambda: read_all(tmp, ["huge.pdf", "huge.docx", "huge.xlsx"], LIMITS)),
        ("sidecar alias bomb", 2.0, lambda: read_sidecar(xlsx, "records/audit-log.xlsx", LIMITS)),
        ("unclosed [escm: markers", 1.0, lambda: find_markers("[escm: " * 20_000 + "knw07.b3", "f.pdf", 1)),
        ("identity with 20,000 spaces", 0.2, lambda: parse_identity.__wrapped__("a" + " " * 20_000 + "b")),
    ]
    for i, objects in enumerate(SELF_REFERENCES):
        path = tmp / f"selfref{i}.pdf"
        path.write_bytes(raw_pdf(objects))
        cases.append((f"pdf self-reference {i}", 5.0, lambda p=path: read_pdf(p, p.name, LIMITS)))  # type: ignore[misc]
    for i, text in enumerate(DEEP_NESTING):
        cases.append((f"deep YAML {i}", 10.0, lambda t=text: load_mapping(t, "x.md")))  # type: ignore[misc]
    for i, text in enumerate(SLOW_MARKDOWN):
        cases.append((f"slow Markdown {i}", 10.0, lambda t=text: parse_markdown(t, "doc.md")))  # type: ignore[misc]
    for i, (pattern, path) in enumerate(HOSTILE_GLOBS):
        cases.append(
            (f"hostile pattern {i}", 2.0, lambda p=pattern, q=path: _match_or_refuse(p, q))  # type: ignore[misc]
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per case; the best counts")
    args = ap.parse_args(argv)
    over = 0
    with tempfile.TemporaryDirectory(prefix="escm-adversarial-") as tmp:
        print(f"{'case':32} {'best s':>8} {'target s':>9}")
        for name, target, work in _cases(Path(tmp)):
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                work()
                times.append(time.perf_counter() - start)
            best = min(times)
            flag = "" if best <= target else "  OVER"
            over += bool(flag)
            print(f"{name:32} {best:8.3f} {target:9.1f}{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
