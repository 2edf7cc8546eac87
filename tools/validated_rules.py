"""Write what ships beside the bundled rule files: rules/validated.txt, the keys of the rule
files that pass the schema, and rules/<pack>.built.json.gz, each pack built.

    python tools/validated_rules.py          # after changing a bundled rule file, the schema
                                             # or how a pack is built (rulepack)

Every bundled pack's files are validated here, in full; only the ones that pass are listed,
and the checker skips validating exactly those (`rulepack.release_key`). A valid pack is then
built from its files and written in the form the checker decodes instead of loading them
(`rulepack.read_built`), while they are unchanged.
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
    if problems:
        return 1
    for folder in sorted(p.parent for p in (ROOT / "rules").glob("*/pack.yaml")):
        print(f"{rulepack.write_built(folder).relative_to(ROOT)}: built")
    return 0


if __name__ == "__main__":
    sys.exit(main())
