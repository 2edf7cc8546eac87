"""Build evaluation inputs from Markdown texts, for pure rating tests (no git, no files)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec
from escm_check.adapters.markdown import parse_markdown
from escm_check.config import Config, load_config
from escm_check.evaluate import Control, DocInput, RepoInfo, evaluate
from escm_check.metadata import normalise
from escm_check.result import CheckResult
from escm_check.rulepack import Pack, load_pack

AS_OF = dt.date(2026, 11, 1)
AUTHOR = "Asha Author <asha@example.com>"
_PACK: Pack | None = None


def pack() -> Pack:
    """The built-in pack, loaded once."""
    global _PACK
    if _PACK is None:
        _PACK = load_pack("escm-sp-v2")
    return _PACK


def config(**overrides: Any) -> Config:
    """A Config as if read from a file with these keys."""
    return load_config(None, overrides)


def docs(
    files: Mapping[str, str],
    controls: Mapping[str, Control] | None = None,
    field_map: Mapping[str, str] | None = None,
    value_map: Mapping[str, Mapping[str, str]] | None = None,
) -> list[DocInput]:
    """DocInputs for Markdown texts; every document is controlled unless `controls` says otherwise."""
    out = []
    for path, text in sorted(files.items()):
        doc = parse_markdown(text, path)
        meta, problems = normalise(doc, field_map or {}, value_map)
        doc = msgspec.structs.replace(doc, problems=doc.problems + problems)
        control = (controls or {}).get(path, Control(True, last_commit="c0ffee", last_author=AUTHOR))
        out.append(DocInput(doc=doc, meta=meta, control=control))
    return out


def run(
    files: Mapping[str, str], *, as_of: dt.date = AS_OF, controls: Mapping[str, Control] | None = None, **cfg: Any
) -> CheckResult:
    """Evaluate Markdown texts against the built-in pack."""
    c = config(**cfg)
    return evaluate(pack(), docs(files, controls, c.field_map, c.value_map), RepoInfo("/repo", "c0ffee"), c, as_of)


def front(**keys: Any) -> str:
    """Front matter text from keyword arguments (values written as given)."""
    lines = ["---"]
    for k, v in keys.items():
        lines.append(f"{k}: {v}")
    lines.append("---")
    return "\n".join(lines) + "\n"


FILLER = (
    "This section describes in concrete terms how the work is planned, who performs it, "
    "which inputs it needs and what records it leaves behind for later review."
)


def practice_doc(practice: str, doc_type: str, activities: list[str], **extra: Any) -> str:
    """An approved document of `doc_type` serving `practice`, with a tagged section per activity."""
    keys: dict[str, Any] = {
        "id": f"DOC-{practice.upper()}-{doc_type.upper()}",
        "title": f"{practice} {doc_type}",
        "type": doc_type,
        "practices": f"[{practice}]",
        "status": "approved",
        "version": '"1.0"',
        "owner": "Process Owner",
        "approved_by": "Quality Manager",
        "approved_on": "2026-06-01",
    }
    keys.update(extra)
    body = [front(**keys), f"# {practice} {doc_type}", ""]
    pt = pack().doc_types.get(doc_type)
    for part in pt.structure if pt else ():
        body += [f"## {part.headings[0].title()}", "", FILLER, ""]
    for a in activities:
        body += [f"## Activity {a}", f"<!-- escm: {practice}.{a} -->", "", FILLER, ""]
    return "\n".join(body)


def full_practice(practice: str, record_date: str = "2026-09-15") -> dict[str, str]:
    """Documents that satisfy every Required Activity of one Practice, read from its rules: each
    documented side tagged in a document of the type it asks for, record-or-section sides tagged in
    the main document, and each record side met by a record of the first kind it names."""
    p = pack().practice(practice)
    assert p is not None
    main_type = p.type or "procedure"
    tagged: dict[str, list[str]] = {main_type: []}
    records: dict[str, list[str]] = {}
    for a in p.activities:
        doc, done = a.documented, a.performed
        if doc is not None and doc.check == "tagged-section":
            tagged.setdefault(doc.doc_types[0] if doc.doc_types else main_type, []).append(a.id)
        if done is not None and done.check == "record-or-section":
            tagged[main_type].append(a.id)  # a tagged section serves as well as a record
        elif done is not None and done.check == "record":
            records.setdefault(done.record_kinds[0] if done.record_kinds else "", []).append(a.id)
    files = {}
    for doc_type, acts in tagged.items():
        name = f"{practice}/{doc_type}.md"
        files[name] = practice_doc(practice, doc_type, acts, id=f"DOC-{practice.upper()}-{doc_type.upper()}")
    if p.type == "program" and "plan" not in tagged:
        files[f"{practice}/plan.md"] = practice_doc(practice, "plan", [], id=f"PLAN-{practice}")
    for kind, acts in sorted(records.items()):
        keys = {"record_kind": kind} if kind else {}
        files[f"{practice}/{'verification' if 'c5' in acts else kind}.md"] = (
            front(
                id=f"REC-{practice}-{kind or 'any'}",
                title="Verification" if "c5" in acts else f"{kind} record",
                type="record",
                **keys,
                practices=f"[{practice}]",
                satisfies=f"{{{practice}: [{', '.join(acts)}]}}",
                date=record_date,
            )
            + "# Record\n\n"
            + FILLER
            + "\n"
        )
    return files
