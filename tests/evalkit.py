"""Build evaluation inputs from Markdown texts, for pure rating tests (no git, no files)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

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
        doc = type(doc)(**{**doc.__dict__, "problems": doc.problems + problems})
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
    """Documents that satisfy every Required Activity of one Practice."""
    p = pack().practice(practice)
    assert p is not None
    doc_type = p.type or "procedure"
    b = [a.id for a in p.activities if a.major == "b"]
    files = {f"{practice}/{doc_type}.md": practice_doc(practice, doc_type, b + ["c1", "c2", "c3", "c4"])}
    if p.type == "program":
        files[f"{practice}/plan.md"] = practice_doc(practice, "plan", [], id=f"PLAN-{practice}")
    files[f"{practice}/verification.md"] = (
        front(
            id=f"REC-{practice}",
            title="Verification",
            type="record",
            practices=f"[{practice}]",
            satisfies=f"{{{practice}: [c5]}}",
            date=record_date,
        )
        + "# Verification record\n\n"
        + FILLER
        + "\n"
    )
    return files
