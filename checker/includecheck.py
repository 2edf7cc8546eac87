"""Say when a configured `include` pattern reads nothing: it matches no file, or only files of
no format the checker reads (`source/**/*.md.erb` without a `formats` entry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .display import listed
from .findings import Finding, make
from .pathpatterns import Patterns, unnegated

SHOWN = 3  # example file names given per pattern


def include_findings(
    include: Sequence[str], files: Sequence[str], is_document: Callable[[str], bool], config_path: str | None
) -> list[Finding]:
    """One warning per include pattern that matches no file, or no file of a known format."""
    out: list[Finding] = []
    for pattern in include:
        # a `!` pattern that selects nothing takes nothing out: as dead as one that adds nothing
        selects = Patterns((unnegated(pattern),))
        matched = [f for f in files if selects.matches(f)]
        if not matched:
            out.append(
                make(
                    "include-unmatched",
                    f"include pattern {pattern!r} matches no file",
                    path=config_path,
                    hint="Correct the pattern (paths are relative to the checked folder), or remove it.",
                )
            )
        elif pattern == unnegated(pattern) and not any(is_document(f) for f in matched):
            shown = listed(matched, SHOWN)
            out.append(
                make(
                    "include-unmatched",
                    f"include pattern {pattern!r} matches {len(matched)} file(s) of no format the checker reads "
                    f"({shown}), so none is read",
                    path=config_path,
                    hint='Name their reader in the config, e.g. formats: {"*.md.erb": markdown}.',
                )
            )
    return out
