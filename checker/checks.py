"""The evidence check kinds: the one table a rule pack's `check:` names are taken from.

Each kind says which side of an activity's evidence it may decide (`documented`: where the
activity is described; `performed`: what shows it was done) and which parameters it reads. The
rule-pack schema's enums and the loader's cross-checks come from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["documented", "performed"]
SIDES: tuple[Side, ...] = ("documented", "performed")


@dataclass(frozen=True)
class CheckKind:
    """One evidence check kind: its name, the sides it may decide, the parameters it reads."""

    name: str
    sides: frozenset[Side]
    params: frozenset[str]
    summary: str

    @property
    def reads_records(self) -> bool:
        """True when records (documents of type record) can satisfy it."""
        return "record_kinds" in self.params


CHECK_KINDS: dict[str, CheckKind] = {
    k.name: k
    for k in (
        CheckKind(
            "tagged-section",
            frozenset({"documented"}),
            frozenset({"doc_types"}),
            "a tagged section with real content, or a claim, in an approved document serving the Practice",
        ),
        CheckKind(
            "owner-named",
            frozenset({"documented"}),
            frozenset(),
            "an approved document serving the Practice names its owner",
        ),
        CheckKind(
            "independent-approval",
            frozenset({"performed"}),
            frozenset(),
            "an approved document serving the Practice was approved by someone other than the author of its change",
        ),
        CheckKind(
            "change-controlled",
            frozenset({"performed"}),
            frozenset(),
            "an approved document serving the Practice is under version control with its review not overdue",
        ),
        CheckKind(
            "record",
            frozenset({"performed"}),
            frozenset({"record_kinds", "max_age"}),
            "a record of a named kind, dated within the record window",
        ),
        CheckKind(
            "record-or-section",
            frozenset({"performed"}),
            frozenset({"record_kinds", "max_age", "doc_types"}),
            "a record dated within the record window, or a tagged section or claim",
        ),
    )
}


def kinds_for(side: Side) -> tuple[str, ...]:
    """Names of the check kinds that may decide `side`, in table order."""
    return tuple(k.name for k in CHECK_KINDS.values() if side in k.sides)


__all__ = ["CHECK_KINDS", "SIDES", "CheckKind", "Side", "kinds_for"]
