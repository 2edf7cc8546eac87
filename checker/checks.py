"""The evidence check kinds: one table of every `check:` a rule pack may name, and its judge.

Each kind says which side of an activity's evidence it may decide (`documented`: where the
activity is described; `performed`: what shows it was done), which parameters it reads, and how
it judges one side from the values gathered for it (a `Case`). The rule-pack schema's enums and
the loader's cross-checks come from this table, and evaluation calls the judge it names, so a
new kind is one entry here. Judges are pure: values in, a `Verdict` out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec

from .display import listed
from .documents import Section
from .durations import Duration
from .findings import Finding, make
from .identity import same_person
from .metadata import approvers
from .result import Evidence

if TYPE_CHECKING:  # evaluation imports this module; these are only its value types
    from .evaluate import DocInput
    from .rulepack import EvidenceRule

Side = Literal["documented", "performed"]
SIDES: tuple[Side, ...] = ("documented", "performed")


class TagHit(msgspec.Struct, frozen=True):
    """A section tagged with the activity, and the line of the tag."""

    doc: DocInput
    section: Section
    line: int | None


class Case(msgspec.Struct, frozen=True):
    """What one side of one activity is judged on, gathered by evaluation."""

    practice: str
    activity: str
    rule: EvidenceRule
    approved: tuple[DocInput, ...]  # approved documents (not records) serving the Practice
    tagged: tuple[TagHit, ...]  # substantive tagged sections in approved documents of the rule's types
    claimed: tuple[DocInput, ...]  # approved documents of the rule's types claiming it in `satisfies`
    empty: tuple[TagHit, ...]  # tagged sections with no real content
    unapproved: tuple[str, ...]  # paths of documents that tag it but are not approved
    as_of: dt.date
    window: Duration  # the record window that applies to this rule
    field_map: Mapping[str, str | None] = msgspec.field(default_factory=dict)  # the configuration's key mapping


class Verdict(msgspec.Struct, frozen=True):
    """One side's judgement: whether it holds, the evidence, why not, and findings it raised."""

    satisfied: bool
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    findings: tuple[Finding, ...] = ()


def evidence_at(d: DocInput, line: int | None, kind: str, detail: str = "") -> Evidence:
    """Evidence in `d` at `line`, pinned to the commit that last changed it."""
    commit = d.control.last_commit if d.control else None
    return Evidence(path=d.path, line=line, commit=commit, kind=kind, detail=detail)


LISTED = 5  # documents a reason names; the rest are counted, so a reason stays one readable line


def by_reason(reasons: Sequence[tuple[str, str]]) -> str:
    """`a.md, b.md and 3 more: reason` once per reason, in the order first met: a repository's
    hundreds of documents usually fail for one or two reasons, not hundreds."""
    paths: dict[str, list[str]] = {}
    for path, why in reasons:
        paths.setdefault(why, []).append(path)
    return "; ".join(f"{listed(named, LISTED)}: {why}" for why, named in paths.items())


def _owner_named(c: Case) -> Verdict:
    ev = tuple(
        evidence_at(d, d.doc.meta_line("owner"), "owner", d.meta.owner or "") for d in c.approved if d.meta.owner
    )
    return Verdict(True, ev) if ev else Verdict(False, reason="no approved document names an owner")


def _independent_approval(c: Case) -> Verdict:

    ev: list[Evidence] = []
    reasons: list[tuple[str, str]] = []
    for d in c.approved:
        author = d.control.last_author if d.control else None
        names = approvers(d.doc, c.field_map) or ((d.meta.approved_by,) if d.meta.approved_by else ())
        # several approvers: independent when at least one of them is not the author
        independent = [n for n in names if author is not None and not same_person(n, author)]
        if not names:
            reasons.append((d.path, "no approved_by"))
        elif author is None:
            reasons.append((d.path, "the author of its last change is unknown (no history)"))
        elif not independent:
            reasons.append((d.path, "approved by the author of its last change"))
        else:
            ev.append(evidence_at(d, d.doc.meta_line("approved_by"), "approval", ", ".join(independent)))
    if ev:
        return Verdict(True, tuple(ev))
    return Verdict(False, reason=by_reason(reasons) or "no approved document serves the Practice")


# a document git tracks whose change control was not judged: it has no front matter of its own
# (the crosswalk serves it), so there is no version to follow
_NOT_JUDGED = "change control not judged: no readable front matter of its own"


def _change_controlled(c: Case) -> Verdict:
    ev: list[Evidence] = []
    reasons: list[tuple[str, str]] = []
    for d in c.approved:
        ctl = d.control
        if ctl is None or not ctl.controlled:
            reasons.append((d.path, ctl.reason if ctl else _NOT_JUDGED))
        elif ctl.review_due is not None and ctl.review_due < c.as_of:
            reasons.append((d.path, f"review was due on {ctl.review_due.isoformat()}"))
        else:
            version = f"version {d.meta.version}" if d.meta.version else ""
            ev.append(evidence_at(d, d.doc.meta_line("version"), "change-control", version))
    if ev:
        return Verdict(True, tuple(ev))
    return Verdict(False, reason=by_reason(reasons) or "no approved document serves the Practice")


def _sections(c: Case) -> tuple[Evidence, ...]:
    """Tagged sections and claims in documents other than records."""
    ev = tuple(
        evidence_at(h.doc, h.line, "tagged-section", h.section.heading) for h in c.tagged if h.doc.meta.type != "record"
    )
    return ev + tuple(
        evidence_at(d, d.doc.meta_line("satisfies"), "claim") for d in c.claimed if d.meta.type != "record"
    )


def _tagged_section(c: Case) -> Verdict:
    # a record shows the work was done; it describes the activity only where the rule names records
    records_describe = "record" in c.rule.doc_types
    ev = tuple(
        evidence_at(h.doc, h.line, "tagged-section", h.section.heading)
        for h in c.tagged
        if records_describe or h.doc.meta.type != "record"
    )
    ev += tuple(
        evidence_at(d, d.doc.meta_line("satisfies"), "claim")
        for d in c.claimed
        if records_describe or d.meta.type != "record"
    )
    if ev:
        return Verdict(True, ev)
    if c.empty:
        return Verdict(False, reason="the tagged section is empty")
    if c.unapproved:
        return Verdict(
            False, reason=f"tagged only in documents that are not approved: {listed(sorted(set(c.unapproved)), LISTED)}"
        )
    return Verdict(False, reason="no tagged section or claim")


class _Records(msgspec.Struct, frozen=True):
    fresh: tuple[tuple[DocInput, int | None, dt.date], ...]
    stale: tuple[tuple[DocInput, int | None, dt.date], ...]
    other_kind: tuple[DocInput, ...]  # records of the activity whose kind the rule does not ask for


def _records(c: Case) -> _Records:
    """Records claiming or tagging the activity, of a kind the rule asks for, split by the window."""
    found = [(d, d.doc.meta_line("satisfies")) for d in c.claimed if d.meta.type == "record"]
    found += [(h.doc, h.line) for h in c.tagged if h.doc.meta.type == "record"]
    kinds = c.rule.record_kinds
    fresh: list[tuple[DocInput, int | None, dt.date]] = []
    stale: list[tuple[DocInput, int | None, dt.date]] = []
    other: list[DocInput] = []
    for d, line in found:
        if kinds and d.meta.record_kind not in kinds:
            other.append(d)
            continue
        when = d.meta.date
        if when is None or when > c.as_of:
            continue  # undated records are reported once per record; a future one evidences nothing yet
        (fresh if c.window.covers(when, c.as_of) else stale).append((d, line, when))
    once = {d.path: d for d in other}  # a record may both claim and tag the activity
    return _Records(tuple(fresh), tuple(stale), tuple(once.values()))


def _kind_reason(c: Case, recs: _Records) -> str:
    wanted = ", ".join(c.rule.record_kinds)
    if not recs.other_kind:
        return f"no record ({wanted})" if wanted else "no record"
    said = listed([f"{d.path} ({d.meta.record_kind or 'no record_kind'})" for d in recs.other_kind], LISTED)
    return f"no record of kind {wanted}: {said}"


def _record(c: Case) -> Verdict:
    recs = _records(c)
    if recs.fresh:
        return Verdict(True, tuple(evidence_at(d, line, "record", when.isoformat()) for d, line, when in recs.fresh))
    if recs.stale:
        newest = max(w for _, _, w in recs.stale)
        d0 = next(d for d, _, w in recs.stale if w == newest)
        stale = make(
            "record-stale",
            f"newest record for {c.practice}.{c.activity} is dated {newest.isoformat()}, "
            f"older than {c.window} before {c.as_of.isoformat()}",
            path=d0.path,
            line=d0.doc.meta_line("date"),
            practice=c.practice,
            activity=c.activity,
        )
        return Verdict(False, reason=f"newest record is from {newest.isoformat()}", findings=(stale,))
    return Verdict(False, reason=_kind_reason(c, recs))


def _record_or_section(c: Case) -> Verdict:
    recs = _records(c)
    ev = tuple(evidence_at(d, line, "record", when.isoformat()) for d, line, when in recs.fresh) + _sections(c)
    if ev:
        return Verdict(True, ev)
    return Verdict(False, reason=f"{_kind_reason(c, recs)}, tagged section or claim")


Judge = Callable[[Case], Verdict]


class CheckKind(msgspec.Struct, frozen=True):
    """One evidence check kind: its name, the sides it may decide, the parameters it reads, its judge."""

    name: str
    sides: frozenset[Side]
    params: frozenset[str]
    summary: str
    judge: Judge

    @property
    def reads_records(self) -> bool:
        """True when records (documents of type record) can satisfy it."""
        return "record_kinds" in self.params

    @property
    def reads_sections(self) -> bool:
        """True when tagged sections or claims can satisfy it."""
        return "doc_types" in self.params


_DOC: frozenset[Side] = frozenset({"documented"})
_DONE: frozenset[Side] = frozenset({"performed"})

CHECK_KINDS: dict[str, CheckKind] = {
    k.name: k
    for k in (
        CheckKind(
            "tagged-section",
            _DOC,
            frozenset({"doc_types"}),
            "a tagged section with real content, or a claim, in an approved document serving the Practice",
            _tagged_section,
        ),
        CheckKind(
            "owner-named",
            _DOC,
            frozenset(),
            "an approved document serving the Practice names its owner",
            _owner_named,
        ),
        CheckKind(
            "independent-approval",
            _DONE,
            frozenset(),
            "an approved document serving the Practice was approved by someone other than the author of its change",
            _independent_approval,
        ),
        CheckKind(
            "change-controlled",
            _DONE,
            frozenset(),
            "an approved document serving the Practice is under version control with its review not overdue",
            _change_controlled,
        ),
        CheckKind(
            "record",
            _DONE,
            frozenset({"record_kinds", "max_age"}),
            "a record of a named kind, dated within the record window",
            _record,
        ),
        CheckKind(
            "record-or-section",
            _DONE,
            frozenset({"record_kinds", "max_age", "doc_types"}),
            "a record dated within the record window, or a tagged section or claim",
            _record_or_section,
        ),
    )
}


def kinds_for(side: Side) -> tuple[str, ...]:
    """Names of the check kinds that may decide `side`, in table order."""
    return tuple(k.name for k in CHECK_KINDS.values() if side in k.sides)


def judge(case: Case) -> Verdict:
    """Judge one side of an activity with the judge its rule's check kind names."""
    return CHECK_KINDS[case.rule.check].judge(case)


__all__ = [
    "CHECK_KINDS",
    "SIDES",
    "Case",
    "CheckKind",
    "Side",
    "TagHit",
    "Verdict",
    "evidence_at",
    "judge",
    "kinds_for",
]
