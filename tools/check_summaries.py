"""Report every summary in rule files that shares 12 words in a row with the model text.

python tools/check_summaries.py rules/escm-sp-v2/*.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_shingles import copied, load


def strings(node: Any, where: str = "") -> list[tuple[str, str]]:
    """Every string under summary/title/notes keys, with a path to it."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{where}.{k}" if where else str(k)
            if isinstance(v, str) and k in ("summary", "title", "notes", "statement"):
                out.append((sub, v))
            else:
                out.extend(strings(v, sub))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            ident = v.get("id", i) if isinstance(v, dict) else i
            if isinstance(v, str):
                out.append((f"{where}[{ident}]", v))
            else:
                out.extend(strings(v, f"{where}[{ident}]"))
    return out


def main(paths: list[str]) -> int:
    fp = load()
    bad = 0
    for p in paths:
        data = yaml.safe_load(Path(p).read_text(encoding="utf-8"))
        for where, text in strings(data):
            if copied(text, fp):
                bad += 1
                print(f"{p}: {where}: copies 12+ words of the model text: {text!r}")
    print(f"{bad} copied summaries")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
