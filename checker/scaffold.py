"""`escm-check init`: scaffold a process repository with a draft template per Practice."""

from __future__ import annotations

import re
from pathlib import Path

from .rulepack import Activity, Pack, Practice

RECORD_TEMPLATES = "records/templates"

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


def record_activities(p: Practice) -> list[Activity]:
    """The activities of a Practice that need a record to show they were done."""
    return [a for a in p.activities if a.performed is not None and a.performed.check == "record"]


def record_template_path(kind: str) -> str:
    """Where the template of one kind of record goes."""
    return f"{RECORD_TEMPLATES}/{kind or 'record'}.md"


def render_record_template(pack: Pack, kind: str) -> str:
    """A record to copy: front matter with its kind and placeholders for the event it records."""
    summary = pack.record_kinds.get(kind, "A record of work done.")
    return "\n".join(
        [
            "---",
            "id: REC-YYYY-NN",
            f'title: "{kind.replace("-", " ").capitalize() or "Record"}: what, when"',
            "type: record",
            *([f"record_kind: {kind}"] if kind else []),
            "date: YYYY-MM-DD        # the day of the recorded event",
            "practices: [PRACTICE]",
            "satisfies: {PRACTICE: [ACTIVITY]}",
            "---",
            f"# {kind.replace('-', ' ').capitalize() or 'Record'}",
            "",
            f"<!-- {' '.join(summary.split())} -->",
            "",
            "Copy this file next to the other records (records/YYYY/...), fill in the front matter and",
            "say here what was done, by whom, and what came of it. This folder is excluded from the check.",
            "",
        ]
    )


def _records_section(p: Practice) -> list[str]:
    acts = record_activities(p)
    if not acts:
        return []
    lines = ["## Records", "", "The records that show this work was done:", ""]
    for a in acts:
        rule = a.performed
        assert rule is not None
        kinds = " or ".join(rule.record_kinds) or "any kind"
        template = record_template_path(rule.record_kinds[0] if rule.record_kinds else "")
        window = f" within {rule.max_age}" if rule.own and rule.max_age else " within record_max_age (.escm-check.yaml)"
        lines.append(
            f"- {a.id}: a record ({kinds}) dated{window}, with `satisfies: {{{p.id}: [{a.id}]}}`; "
            f"start from [{template}](../{template})."
        )
    return [*lines, ""]


def render_template(pack: Pack, p: Practice) -> str:
    """A draft document for one Practice: front matter, the type's sections, a tagged section per b activity,
    and a Records section naming the record each activity that needs one must leave."""
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
    lines += _records_section(p)
    return "\n".join(lines)


CONFIG_TEMPLATE = """\
# escm-check configuration: see `escm-check rules` and the README.
model: {model}
target_level: {level}
exclude: ["README.md", "{templates}/**"]
review_cycle: 12 months
record_max_age: 12 months
"""


def scaffold(target: Path, pack: Pack, level: int, force: bool) -> list[Path]:
    """Write the config, the templates up to `level` and an index; refuse to overwrite unless forced."""
    practices = [p for p in pack.practices if p.level <= level]
    config = CONFIG_TEMPLATE.format(model=pack.id, level=level, templates=RECORD_TEMPLATES)
    plan = {target / ".escm-check.yaml": config}
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
    kinds = sorted(
        {
            a.performed.record_kinds[0] if a.performed.record_kinds else ""
            for p in practices
            for a in record_activities(p)
            if a.performed
        }
    )
    if kinds:
        index += [
            "",
            f"Record templates ({RECORD_TEMPLATES}/, excluded from the check): copy one for each record kept.",
            "",
        ]
        for kind in kinds:
            rel = record_template_path(kind)
            plan[target / rel] = render_record_template(pack, kind)
            index.append(f"- [{kind or 'record'}]({rel})")
    plan[target / "README.md"] = "\n".join(index) + "\n"
    existing = [p for p in plan if p.exists()]
    if existing and not force:
        names = ", ".join(str(p.relative_to(target)) for p in existing[:3])
        raise FileExistsError(f"{len(existing)} file(s) already exist ({names}...); use --force to overwrite")
    for path, text in plan.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(plan)
