"""Who a person is: `Name <email>` strings from metadata and commits, and the one "same person" rule."""

from __future__ import annotations

import functools

Identity = tuple[str, str]  # (name, email); either may be empty


@functools.lru_cache(maxsize=4096)
def parse_identity(text: str) -> Identity:
    """`Name <email>` (or a bare name or email) as (name, email); either may be empty."""
    t = text.strip()
    # string scanning, not a regex: names come from commit messages and must not backtrack
    lt = t.rfind("<")
    if lt != -1 and t.endswith(">") and ">" not in t[lt + 1 : -1]:
        return t[:lt].strip(), t[lt + 1 : -1].strip()
    if "@" in t and " " not in t:
        return "", t
    return t, ""


def same_person(a: Identity | str, b: Identity | str) -> bool:
    """Whether two identities are one person: emails decide when both have one, else names,
    compared without regard to case (casefold, so `STRASSE` and `straße` agree)."""
    na, ea = parse_identity(a) if isinstance(a, str) else a
    nb, eb = parse_identity(b) if isinstance(b, str) else b
    if ea and eb:
        return ea.casefold() == eb.casefold()
    return bool(na) and na.casefold() == nb.casefold()
