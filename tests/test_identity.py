"""The one "same person" rule, used by change control (approvers) and rating (a2 approval)."""

from __future__ import annotations

import pytest
from escm_check.identity import parse_identity, same_person


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Bob Approver <bob@example.org>", "Robert <BOB@example.org>", True),  # the email decides
        ("Bob <bob@example.org>", "Bob <bob@example.net>", False),
        ("bob@example.org", "Bob <Bob@Example.org>", True),  # a bare email is an email
        ("Quality Manager", "quality manager", True),  # names, when an email is missing
        ("Jürgen Straße", "JÜRGEN STRASSE", True),  # case folded, not just lowered
        ("", "Bob", False),
        ("Bob", "Bob <bob@example.org>", True),
    ],
)
def test_same_person(a: str, b: str, same: bool) -> None:
    assert same_person(a, b) is same
    assert same_person(b, a) is same
    assert same_person(parse_identity(a), parse_identity(b)) is same
