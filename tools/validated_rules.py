"""Write rules/validated.txt: the keys of the bundled rule files that pass the schema.

    python tools/validated_rules.py          # after changing a bundled rule file or the schema

Every bundled pack's files are validated here, in full; only the ones that pass are listed,
and the checker skips validating exactly those (`rulepack.release_key`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from escm_check import rulepack
from escm_check.yamlsource import load_yaml_file, schema_errors

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rules" / rulepack.VALIDATED_FILE
HEADER = (
    "# Keys of the bundled rule files that pass the rule-pack schema; written by\n"
    "# tools/validated_rules.py. A file listed here is not validated again at run time.\n"
)


def bundled_keys() -> tuple[list[str], list[str]]:
    """(keys of the valid bundled files, located problems of the others)."""
    keys: list[str] = []
    problems: list[str] = []
    for folder in sorted(p.parent for p in (ROOT / "rules").glob("*/pack.yaml")):
        head = load_yaml_file(folder / "pack.yaml", str(folder / "pack.yaml"))
        files = [("pack_file", head)]
        for section, definition in (("files", "area_file"), ("overlays", "overlay_file")):
            files += [(definition, load_yaml_file(folder / n, str(folder / n))) for n in head.data.get(section, [])]
        for definition, loc in files:
            errors = schema_errors(rulepack._validator(definition), loc)
            if errors:
                problems += [str(e) for e in errors]
            else:
                keys.append(rulepack.release_key(definition, loc.data))
    return sorted(set(keys)), problems


def main() -> int:
    keys, problems = bundled_keys()
    for p in problems:
        print(p, file=sys.stderr)
    OUT.write_text(HEADER + "".join(k + "\n" for k in keys), encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(keys)} valid rule files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
