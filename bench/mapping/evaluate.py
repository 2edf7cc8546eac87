"""Measure `map` on the labelled public documents of labels.yaml: hit@1 and hit@3, and the misses.

    python bench/mapping/evaluate.py                       # dev and holdout, misses of both
    python bench/mapping/evaluate.py --split dev --set whole=0.4 --set vocabulary=3

The repositories are read from local mirrors (git directories; `--mirrors`, default
/work/.mirror/OWNER+NAME/repo) at the labelled commits with `git show`; nothing is checked out.
Each document is read by the reader its name calls for (Markdown for `.md`, `.md.tmpl`,
`.html.md.erb`, `.mdx`; Word; PDF) and ranked as `escm-check map` ranks it. A hit@k is a
document with any of its labelled Practices in the top k; strict hit@k counts only the first
label. `--set NAME=VALUE` overrides one of the ranking's weights (see `mapping.Weights`), for
tuning on the dev split only.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from escm_check.adapters.limits import Limits
from escm_check.adapters.markdown import parse_markdown
from escm_check.documents import Document
from escm_check.mapping import Ranker, Weights
from escm_check.maprun import title_of
from escm_check.metadata import normalise
from escm_check.parsing import read_one
from escm_check.rulepack import load_pack, load_vocabulary

HERE = Path(__file__).resolve().parent
MARKDOWN = (".md", ".markdown", ".mdx", ".md.tmpl", ".html.md.erb", ".md.erb")


@dataclass(frozen=True)
class Outcome:
    """One labelled document and what the ranking made of it."""

    repo: str
    path: str
    split: str
    labels: tuple[str, ...]
    ranked: tuple[str, ...]

    def hit(self, k: int, strict: bool = False) -> bool:
        """A right Practice among the first k ranked (strict: the first label only)."""
        wanted = self.labels[:1] if strict else self.labels
        return any(p in wanted for p in self.ranked[:k])


def _git_show(git_dir: Path, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout


def read_labelled(data: bytes, path: str, scratch: Path) -> Document:
    """A labelled document's bytes read as the checker reads a file of that name."""
    if path.lower().endswith(MARKDOWN):
        return parse_markdown(data.decode("utf-8", "replace"), path)
    target = scratch / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return read_one(scratch, path, Limits())


def load_documents(labels: dict[str, Any], mirrors: Path) -> list[tuple[dict[str, Any], Document]]:
    """Every labelled document, read from its repository's mirror at the labelled commit."""
    commits = {r["name"]: r["commit"] for r in labels["repositories"]}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for item in labels["documents"]:
            git_dir = mirrors / item["repo"].replace("/", "+") / "repo"
            data = _git_show(git_dir, commits[item["repo"]], item["path"])
            out.append((item, read_labelled(data, item["path"], Path(tmp))))
    return out


def evaluate(ranker: Ranker, docs: Sequence[tuple[dict[str, Any], Document]]) -> list[Outcome]:
    """Rank each document; the top 5 Practices of each, beside its labels."""
    out = []
    for item, doc in docs:
        meta, _ = normalise(doc, {})
        ranked = ranker.rank(doc, title_of(doc, meta.title), (), 5)
        out.append(
            Outcome(
                item["repo"],
                item["path"],
                item["split"],
                tuple(item["practices"]),
                tuple(p.id for p in ranked.practices),
            )
        )
    return out


def summary(outcomes: Sequence[Outcome], split: str) -> dict[str, float]:
    """hit@1, hit@3 and their strict forms over one split, as fractions."""
    rows = [o for o in outcomes if o.split == split]
    n = max(len(rows), 1)
    return {
        "n": len(rows),
        "hit@1": sum(o.hit(1) for o in rows) / n,
        "hit@3": sum(o.hit(3) for o in rows) / n,
        "strict@1": sum(o.hit(1, True) for o in rows) / n,
        "strict@3": sum(o.hit(3, True) for o in rows) / n,
    }


def _weights(overrides: Sequence[str]) -> Weights:
    w = Weights()
    for item in overrides:
        name, _, value = item.partition("=")
        current = getattr(w, name)
        kind = type(current)
        w = dataclasses.replace(w, **{name: value.lower() in ("1", "true", "yes") if kind is bool else kind(value)})
    return w


def main(argv: list[str] | None = None) -> int:
    """Print hit@1 and hit@3 per split and the misses."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=Path, default=HERE / "labels.yaml")
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--split", choices=["dev", "holdout", "all"], default="all")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--no-vocabulary", action="store_true", help="rank with the pack's own text alone")
    ap.add_argument("--quiet", action="store_true", help="numbers only, no misses")
    args = ap.parse_args(argv)
    labels = yaml.safe_load(args.labels.read_text("utf-8"))
    pack = load_pack("escm-sp-v2")
    vocabulary = {} if args.no_vocabulary else load_vocabulary(pack)
    ranker = Ranker(pack, vocabulary, _weights(args.overrides))
    outcomes = evaluate(ranker, load_documents(labels, args.mirrors))
    splits = ["dev", "holdout"] if args.split == "all" else [args.split]
    print(f"weights: {ranker.weights}; vocabulary: {len(vocabulary)} Practice(s)")
    for split in splits:
        s = summary(outcomes, split)
        print(
            f"{split:<8} n={s['n']:<4.0f} hit@1 {s['hit@1']:.1%}  hit@3 {s['hit@3']:.1%}   "
            f"(strict: hit@1 {s['strict@1']:.1%}  hit@3 {s['strict@3']:.1%})"
        )
    if not args.quiet:
        for split in splits:
            misses = [o for o in outcomes if o.split == split and not o.hit(3)]
            print(f"\n{split} misses (no label in the top 3): {len(misses)}")
            for o in misses:
                print(f"  {o.repo}:{o.path}\n      labels {', '.join(o.labels)}; ranked {', '.join(o.ranked[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
