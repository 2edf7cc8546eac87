"""`escm-check init`: scaffold a process repository with a draft template per Practice."""

from __future__ import annotations

import re
from pathlib import Path

from .rulepack import Pack, Practice

FOLDERS = {
    "policy": "policies",
    "procedure": "procedures",
    "guideline": "guidelines",
    "program": "programs",
    "plan": "plans",
    None: "practices",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48]


def template_path(p: Practice) -> str:
    """Where the template of a Practice goes, grouped by documentation type."""
    return f"{FOLDERS.get(p.type, 'practices')}/{p.id}-{_slug(p.title)}.md"


def render_template(pack: Pack, p: Practice) -> str:
    """A draft document for one Practice: front matter, the type's sections, a tagged section per b activity."""
    doc_type = p.type or "other"
    lines = [
        "---",
        f"id: {p.id.upper()}-{doc_type[:3].upper()}",
        f'title: "{p.title}"',
        f"type: {doc_type}",
        f"practices: [{p.id}]",
        "status: draft",
        'version: "0.1"',
        "owner: TO BE ASSIGNED",
        "review_cycle: 12 months",
        "---",
        f"# {p.title}",
        "",
        f"<!-- {p.id}: {' '.join(p.summary.split())} -->",
        "",
    ]
    dt = pack.doc_types.get(p.type or "")
    for part in dt.structure if dt else ():
        lines += [f"## {part.headings[0].capitalize()}", "", f"TODO: write the {part.part} of this {doc_type}.", ""]
    for a in p.activities:
        if a.major != "b":
            continue
        lines += [
            f"## {a.id}: {a.summary.rstrip('.')}",
            f"<!-- escm: {p.id}.{a.id} -->",
            "",
            "TODO: describe how this is done here.",
            "",
        ]
    return "\n".join(lines)


CONFIG_TEMPLATE = """\
# escm-check configuration: see `escm-check rules` and the README.
model: {model}
target_level: {level}
exclude: ["README.md"]
review_cycle: 12 months
record_max_age: 12 months
"""


def scaffold(target: Path, pack: Pack, level: int, force: bool) -> list[Path]:
    """Write the config, the templates up to `level` and an index; refuse to overwrite unless forced."""
    practices = [p for p in pack.practices if p.level <= level]
    plan = {target / ".escm-check.yaml": CONFIG_TEMPLATE.format(model=pack.id, level=level)}
    index = [
        "# Process repository index\n",
        f"Templates for the {len(practices)} Practices of {pack.name} up to Level {level}.",
        "Every document starts as a draft: fill it in, name the owner, then approve it.\n",
        "| Practice | Level | Type | Document |",
        "|---|---|---|---|",
    ]
    for p in practices:
        rel = template_path(p)
        plan[target / rel] = render_template(pack, p)
        index.append(f"| {p.id} {p.title} | {p.level} | {p.type or '-'} | [{rel}]({rel}) |")
    plan[target / "README.md"] = "\n".join(index) + "\n"
    existing = [p for p in plan if p.exists()]
    if existing and not force:
        names = ", ".join(str(p.relative_to(target)) for p in existing[:3])
        raise FileExistsError(f"{len(existing)} file(s) already exist ({names}...); use --force to overwrite")
    for path, text in plan.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(plan)
