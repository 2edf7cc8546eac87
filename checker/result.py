"""The result of a check: the one value every reporter is built from."""

from __future__ import annotations

import sys
from typing import Literal

import msgspec

from .findings import Finding

ActivityStatus = Literal["satisfied", "not-satisfied", "not-applicable", "not-rated"]
PracticeStatus = Literal["satisfied", "not-satisfied", "not-applicable", "not-rated"]

REPORT_SCHEMA_VERSION = "1.1"  # 1.1: activities carry their documented and performed sides


class Evidence(msgspec.Struct, frozen=True):
    """Where an activity is evidenced: a file, a line (or page), the commit it was last changed in."""

    path: str
    line: int | None
    commit: str | None
    kind: str  # tagged-section | claim | record | owner | approval | change-control
    detail: str = ""

    @property
    def ref(self) -> str:
        """`path:line@commit` (short commit; `uncommitted` when there is none)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}@{self.commit[:10] if self.commit else 'uncommitted'}"


class SideResult(msgspec.Struct, frozen=True):
    """One side of an activity's evidence as judged: where it is documented, or that it was performed."""

    side: Literal["documented", "performed"]
    check: str
    satisfied: bool
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    record_kinds: tuple[str, ...] = ()
    max_age: str | None = None  # the window applied, for the record checks
    doc_types: tuple[str, ...] = ()

    @property
    def rule_words(self) -> str:
        """The rule in a few words: `record (minutes) within 12 months`, `tagged-section in a plan`."""
        text = self.check
        if self.record_kinds:
            text += f" ({' or '.join(self.record_kinds)})"
        if self.max_age:
            text += f" within {self.max_age}"
        if self.doc_types:
            text += f" in a {' or '.join(self.doc_types)}"
        return text

    def line(self) -> str:
        """One line for a report: the side, its rule, and its evidence as path:line@commit or why not."""
        if self.satisfied:
            shown = ", ".join(e.ref for e in self.evidence[:3])
            more = f" (+{len(self.evidence) - 3} more)" if len(self.evidence) > 3 else ""
            return f"{self.side}: {self.rule_words}: {shown}{more}"
        return f"{self.side}: {self.rule_words}: missing ({self.reason})"


# What an unsatisfied activity lacks, in the words every report uses.
GAP_WORDS = {
    "not-performed": "documented, not yet performed",
    "not-documented": "performed but not documented",
    "neither": "neither documented nor performed",
    "documented-missing": "not documented",
    "performed-missing": "not performed",
}


class ActivityResult(msgspec.Struct, frozen=True):
    """One Required Activity's status and evidence, overall and per side."""

    id: str
    status: ActivityStatus
    summary: str
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    documented: SideResult | None = None
    performed: SideResult | None = None

    @property
    def sides(self) -> tuple[SideResult, ...]:
        """The sides that were judged, documented first."""
        return tuple(s for s in (self.documented, self.performed) if s is not None)

    @property
    def gap(self) -> str | None:
        """Which side is missing (a key of GAP_WORDS), or None when nothing or no side is missing."""
        if self.status != "not-satisfied" or not self.sides:
            return None
        doc, done = self.documented, self.performed
        if doc is not None and done is not None:
            if doc.satisfied and not done.satisfied:
                return "not-performed"
            if done.satisfied and not doc.satisfied:
                return "not-documented"
            return "neither" if not (doc.satisfied or done.satisfied) else None
        if doc is not None and not doc.satisfied:
            return "documented-missing"
        if done is not None and not done.satisfied:
            return "performed-missing"
        return None

    @property
    def gap_words(self) -> str:
        """The gap in the words the reports use, or an empty string."""
        return GAP_WORDS.get(self.gap or "", "")


class PracticeResult(msgspec.Struct, frozen=True):
    """One Practice's rating, its activities and its documentation-type verdict."""

    id: str
    title: str
    area: str
    level: int
    phase: str
    type: str | None
    status: PracticeStatus
    activities: tuple[ActivityResult, ...]
    doctype_met: bool | None = None
    documents: tuple[str, ...] = ()
    waiver: str | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """Ids of Required Activities that are not satisfied."""
        return tuple(a.id for a in self.activities if a.status == "not-satisfied")


class ProfileCell(msgspec.Struct, frozen=True):
    """Practice Satisfaction Profile: one Capability Area at one Level."""

    area: str
    level: int
    satisfied: int
    in_scope: int


class VersionEntry(msgspec.Struct, frozen=True, gc=False):
    """One change of a controlled document, as an evaluator reads it.

    A compact struct: a report holds one per change of every document (850,000 for a
    history of 500,000 commits), and reporters write it as it is.
    """

    commit: str
    date: str
    author: str
    version: str | None
    approver: str | None


def version_entry(commit: str, date: str, author: str, version: str | None, approver: str | None) -> VersionEntry:
    """A `VersionEntry` whose texts are shared with every equal one: a history repeats its
    commits, dates, authors, version numbers and approvers across many entries."""
    return VersionEntry(
        sys.intern(commit),
        sys.intern(date),
        sys.intern(author),
        None if version is None else sys.intern(version),
        None if approver is None else sys.intern(approver),
    )


class DocumentSummary(msgspec.Struct, frozen=True):
    """A document as it appears in the report."""

    path: str
    format: str
    id: str | None
    type: str | None
    status: str | None
    version: str | None
    practices: tuple[str, ...]
    last_commit: str | None
    history: tuple[VersionEntry, ...] = ()


class Gate(msgspec.Struct, frozen=True):
    """The gate verdict against the target level."""

    passed: bool
    target_level: int | None
    reasons: tuple[str, ...] = ()


class RegressionEntry(msgspec.Struct, frozen=True):
    """A Practice or activity whose status changed since a base revision."""

    practice: str
    activity: str | None
    before: str
    after: str


class CheckResult(msgspec.Struct, frozen=True):
    """Everything a reporter needs: model, repository, ratings, level, gate and findings."""

    model_id: str
    model_name: str
    model_version: str
    as_of: str
    root: str
    head: str | None
    capability_level: int
    target_level: int | None
    gate: Gate
    practices: tuple[PracticeResult, ...]
    profile: tuple[ProfileCell, ...]
    findings: tuple[Finding, ...]
    documents: tuple[DocumentSummary, ...] = ()
    areas: tuple[tuple[str, str], ...] = ()  # (id, name) in model order
    levels: tuple[tuple[int, str], ...] = ()  # (level, name)
    regressions: tuple[RegressionEntry, ...] = ()
    improvements: tuple[RegressionEntry, ...] = ()
    since: str | None = None
    extra: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when the gate passed, 1 otherwise."""
        return 0 if self.gate.passed else 1
