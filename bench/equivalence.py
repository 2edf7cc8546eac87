"""Markdown and front matter read by two versions of the checker, compared on one corpus.

    python bench/equivalence.py --base REV [--mutations 20000] [--seed 1] [FOLDER ...]

A faster reader must read every document exactly as the code before it did. The corpus is
every Markdown file of the bundled examples and of the FOLDERs given (real policy
repositories), fuzz mutations of them (bench/fuzz.py's `mutate_text`: every YAML type and
trap, encodings, line ends, tags, fences), and front matters generated around the edges of
the plain subset `plainyaml.read_plain` accepts. Each side, the working tree and REV
(unpacked from git into a temporary folder), runs in its own process and writes, per input,
the `repr` of the parsed Document with its normalised metadata and findings, and of
`load_mapping` on the front matter alone. Any difference is printed with its input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SUFFIXES = (".md", ".markdown", ".tmpl")

# Values around the edges of the plain subset: each is read as text, a date, a list, or
# something the careful path must take (and word).
# fmt: off
EDGE_VALUES = (
    "policy", "Quality Manager", "Kai's policy", "a, b", "C# guide", "a #note", "a  b", "x ",
    "yes", "No", "on", "OFF", "null", "~", "", "=", "<<", "true", "y", "n",
    "1", "1.0", "3.4", "0x1F", "1_000", ".inf", "-1", "+1", "1e3", "1:30", "0o17", "012",
    "2020-10-08", "2020-1-8", "2026-02-30", "0000-01-01", "2020-10-08T10:00:00", "2020-10-08 10:00",
    '"quoted"', '"a\\nb"', '"a # b"', '"x" # c', "'single'", "'it''s'", "'a' b", '""', "''",
    "[a, b]", "[]", "[ ]", "[a, 1]", "[a,]", "[a, , b]", "[a b, c]", "[yes, no]", "[2020-01-01]",
    "[a, [b]]", "{a: b}", "[a", "a]", "&x a", "*x", "!!str a", "!x a", "|", ">-", "-", "- a",
    "@x", "`x`", "%x", "?x", ":x", ",x", "a:b", "a: b", "é", "日本", "a\u00a0", "\u00a0a",
)
# fmt: on
EDGE_KEYS = ("id", "title", "version", "owner", "status", "approved_on", "date", "practices", "x", "yes", "on")


def edge_front_matters(rng: random.Random, count: int) -> Iterator[str]:
    """Front matters built from edge values, nested lists and maps, comments and blanks."""
    for _ in range(count):
        lines: list[str] = []
        for _ in range(rng.randint(1, 6)):
            key = rng.choice(EDGE_KEYS)
            shape = rng.randrange(8)
            if shape == 0:
                indent = " " * rng.choice([0, 2, 2, 4])
                lines.append(f"{key}:")
                lines += [f"{indent}- {rng.choice(EDGE_VALUES)}" for _ in range(rng.randint(0, 3))]
            elif shape == 1:
                indent = " " * rng.choice([0, 2, 2, 3])
                lines.append(f"{key}:" + rng.choice(["", " ", " # c"]))
                for _ in range(rng.randint(0, 3)):
                    lines.append(f"{indent}{rng.choice(EDGE_KEYS)}: {rng.choice(EDGE_VALUES)}")
                    if rng.random() < 0.1:
                        lines.append(f"{indent}  deeper: x")
            elif shape == 2:
                lines.append(rng.choice(["", "  ", "# comment", "  # indented", "   continued", "---", "..."]))
            else:
                lines.append(f"{key}: {rng.choice(EDGE_VALUES)}" + rng.choice(["", "", " # c", "  "]))
        yield "\n".join(lines)


def corpus(folders: list[Path], mutations: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every input, the same for the same arguments."""
    sys.path.insert(0, str(HERE))
    import fuzz

    files = sorted(p for f in [ROOT / "examples", *folders] for p in f.rglob("*") if p.suffix in SUFFIXES)
    seeds = [(str(p), p.read_bytes()) for p in files if p.is_file()]
    yield from seeds
    rng = random.Random(seed)
    for n in range(mutations):
        name, data = rng.choice(seeds)
        yield f"{name}#mutation{n}", fuzz.mutate_text(rng, data)
    for n, fm in enumerate(edge_front_matters(rng, mutations)):
        yield f"edge{n}", f"---\n{fm}\n---\n# Body\n\nText.\n".encode("utf-8", "surrogatepass")


CHILD = """
import hashlib, json, sys
from escm_check.adapters.limits import Limits
from escm_check.adapters.markdown import parse_markdown_bytes
from escm_check.frontmatter import load_mapping, normalise_text
from escm_check.stages import read_document
read_plain = None
if sys.argv[1:] == ["head"]:  # the base side may predate the plain reader
    from escm_check.plainyaml import read_plain
    from escm_check.yamlcore import YAML_LIMITS
limits = Limits()
plain = 0
for line in sys.stdin:
    name, path = json.loads(line)
    data = open(path, "rb").read()
    doc = parse_markdown_bytes(data, "doc.md", limits)
    parsed = read_document(doc, {}, None)
    if sys.argv[1:] == ["head"]:  # as the check reads: the text never kept (the base may not know how)
        lean = read_document(parse_markdown_bytes(data, "doc.md", limits, keep_text=False), {}, None)
        assert repr(lean) == repr(parsed), f"{name}: read without its text, it reads otherwise"
    text = normalise_text(data.decode("utf-8", "replace"))
    fm = text.split("\\n---\\n")[0][4:] if text.startswith("---\\n") else text
    block = load_mapping(fm, "doc.md", 1)
    if read_plain is not None and read_plain(fm, YAML_LIMITS["front-matter"], 1) is not None:
        plain += 1
    print(json.dumps([name, repr(doc), repr(parsed), repr(block)]), flush=False)
if read_plain is not None:
    print(f"front matters read by the plain reader: {plain:,}", file=sys.stderr)
"""


def unpack(rev: str, into: Path) -> Path:
    """The package of `rev` laid out as installed (escm_check with its adapters inside)."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    src = into / "src"
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(src, filter=lambda m, _p: None if m.issym() else m)
    pkg = into / "pkg" / "escm_check"
    shutil.copytree(src / "checker", pkg)
    for part in ("adapters", "rules", "schemas", "examples"):
        shutil.copytree(src / part, pkg / part)
    return into / "pkg"


def run_side(pythonpath: Path | None, inputs: Path, out: Path) -> None:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    side = "base" if pythonpath is not None else "head"
    with inputs.open("rb") as stdin, out.open("wb") as stdout:
        subprocess.run([sys.executable, "-c", CHILD, side], stdin=stdin, stdout=stdout, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="the revision to compare the working tree with")
    ap.add_argument("--mutations", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("folders", nargs="*", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        listing = work / "inputs.jsonl"
        names: dict[str, bytes] = {}
        with listing.open("w", encoding="utf-8") as f:
            for n, (name, data) in enumerate(corpus(args.folders, args.mutations, args.seed)):
                path = work / "in" / f"{n}.md"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(data)
                names[name] = data
                f.write(json.dumps([name, str(path)]) + "\n")
        base = unpack(args.base, work / "base")
        run_side(base, listing, work / "base.jsonl")
        run_side(None, listing, work / "head.jsonl")
        differ = 0
        with (work / "base.jsonl").open() as a, (work / "head.jsonl").open() as b:
            for la, lb in zip(a, b, strict=True):
                if la != lb:
                    differ += 1
                    if differ <= 10:
                        old, new = json.loads(la), json.loads(lb)
                        print(f"DIFFERS: {old[0]}\n  input: {names[old[0]][:400]!r}")
                        for o, h in zip(old[1:], new[1:], strict=True):
                            if o != h:
                                print(f"  before: {o[:600]}\n  after:  {h[:600]}")
        digest = hashlib.sha256((work / "head.jsonl").read_bytes()).hexdigest()[:16]
        print(f"{len(names):,} inputs, {differ:,} read differently (head's readings {digest})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
