"""The one immutable finding type and the catalogue of finding slugs."""

from __future__ import annotations

import functools
import re
from typing import Literal

import msgspec

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


class RuleInfo(msgspec.Struct, frozen=True):
    """What a finding slug means and how to fix it."""

    slug: str
    severity: Severity
    meaning: str
    hint: str


class Finding(msgspec.Struct, frozen=True):
    """One problem found, located at a file and line (or page) where possible."""

    rule: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    practice: str | None = None
    activity: str | None = None
    hint: str = ""
    cause: str | None = None

    def sort_key(self) -> tuple[str, int, str, str, tuple[str, int, str], str]:
        """Stable order: path, line, rule, practice, activity (b2 before b10), message."""
        return (
            self.path or "",
            self.line or 0,
            self.rule,
            self.practice or "",
            activity_key(self.activity or ""),
            self.message,
        )

    def location(self) -> str:
        """`path:line` or `path` or an empty string."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


_ACTIVITY_PARTS = re.compile(r"([a-z]*)(\d*)(.*)", re.S)


@functools.lru_cache(maxsize=4096)  # a few hundred ids, met once per finding
def activity_key(activity_id: str) -> tuple[str, int, str]:
    """Natural order of activity ids: a1 < b2 < b10 < b10a < c1."""
    m = _ACTIVITY_PARTS.fullmatch(activity_id)
    assert m is not None  # the pattern matches every string
    return m.group(1), int(m.group(2) or 0), m.group(3)


def _r(slug: str, severity: Severity, meaning: str, hint: str) -> RuleInfo:
    return RuleInfo(slug, severity, meaning, hint)


# Slugs are chosen once and never renamed: reports, SARIF rule ids and user
# suppressions depend on them.
CATALOGUE: dict[str, RuleInfo] = {
    r.slug: r
    for r in [
        # documents and front matter
        _r(
            "front-matter-missing",
            "warning",
            "A document in the process repository has no front matter, so it cannot count as evidence.",
            "Add YAML front matter between '---' lines at the top with at least id, title, type and practices.",
        ),
        _r(
            "front-matter-invalid",
            "error",
            "A front-matter value does not match the front-matter schema.",
            "Correct the value; `escm-check inspect FILE` shows what the checker reads.",
        ),
        _r(
            "front-matter-unknown-key",
            "warning",
            "A front-matter key looks like a misspelling of one of the checker's keys.",
            "Rename the key to the one suggested, or map it with field_map in the config.",
        ),
        _r(
            "crosswalk-invalid",
            "error",
            "The crosswalk file is not valid: a YAML or schema error, or an entry naming an unknown path, "
            "section, Practice or activity.",
            "Correct the entry at the line given; `escm-check map --write-crosswalk` drafts a valid file.",
        ),
        _r(
            "crosswalk-unapproved",
            "error",
            "A change to the crosswalk was made without an approval by someone other than its author; "
            "its accepted entries are claims and need one like any document.",
            "Commit crosswalk changes with an `Approved-by: Name <email>` trailer naming someone else.",
        ),
        _r(
            "crosswalk-suggestion",
            "info",
            "A crosswalk entry is only suggested: it is not counted until a person accepts it.",
            "Change its status to accepted if you agree, or delete it.",
        ),
        _r(
            "include-unmatched",
            "warning",
            "An include pattern of the configuration matches no file, or only files of no format the checker reads.",
            "Correct the pattern, or map the files' pattern to a reader with `formats` in the config.",
        ),
        _r(
            "not-evidence",
            "info",
            "A document claims no Practice (no practices, satisfies, section tag, documentation type of the "
            "pack or accepted crosswalk entry): it is listed, never judged.",
            "To make it evidence, add `practices` to its front matter or accept a crosswalk entry for it.",
        ),
        _r(
            "yaml-error",
            "error",
            "The front matter or sidecar is not valid YAML, or uses a YAML trap.",
            "Fix the YAML at the line given; quote versions and words such as yes/no.",
        ),
        _r(
            "internal-error",
            "error",
            "The checker failed on this document (a bug in escm-check); the rest of the run went on, and it exits 3.",
            "Report the bug with the message (and the traceback from --verbose); the document itself may be fine.",
        ),
        _r(
            "parse-error",
            "error",
            "The file could not be read as a document of its format.",
            "Repair or convert the file, or exclude it in the config.",
        ),
        _r("duplicate-id", "error", "Two documents declare the same id.", "Give each document a unique id."),
        _r(
            "unknown-practice",
            "error",
            "A document names a Practice that the rule pack does not have.",
            "Use a Practice id from `escm-check practices`.",
        ),
        _r(
            "unknown-activity",
            "error",
            "A document claims or tags an activity that the Practice does not have.",
            "Use an activity id shown by `escm-check explain PRACTICE`.",
        ),
        _r(
            "doctype-missing",
            "error",
            "A Practice's documentation-type expectation is not met: no approved document of that type serves it.",
            "Add an approved document of the expected type with the Practice in `practices`.",
        ),
        _r(
            "doctype-structure",
            "warning",
            "A document lacks a section that its documentation type is expected to contain.",
            "Add a heading for the expected part (see `escm-check explain PRACTICE`).",
        ),
        _r(
            "activity-not-evidenced",
            "error",
            "A Required Activity has no evidence that meets its evidence rule.",
            "Tag a substantive section with <!-- escm: PRACTICE.ACTIVITY --> or claim it in `satisfies`.",
        ),
        _r(
            "section-empty",
            "warning",
            "A tagged section has no substantive content, so the tag does not count.",
            "Write the content of the section or remove the tag.",
        ),
        _r(
            "not-approved",
            "warning",
            "A document is not approved, so it does not count as evidence.",
            "Approve the document (status: approved, approved_by, approved_on).",
        ),
        _r(
            "owner-missing",
            "error",
            "No document serving the Practice names an owner (activity a1).",
            "Set `owner:` in the front matter of the Practice's controlled document.",
        ),
        _r(
            "review-overdue",
            "error",
            "A controlled document's periodic review is overdue at the as-of date.",
            "Review the document and record it (reviewed_on, approved_on or a Reviewed-by trailer).",
        ),
        _r(
            "record-stale",
            "error",
            "The newest record for an activity that needs one is older than record_max_age.",
            "Add a current record (type: record, date:) for the activity.",
        ),
        _r(
            "record-date-missing",
            "error",
            "A record has no `date:` of the recorded event.",
            "Add `date: YYYY-MM-DD` to the record's front matter.",
        ),
        _r(
            "waiver-expired",
            "warning",
            "A waiver has expired and is not applied.",
            "Renew the waiver with a new expiry, or remove it and evidence the Practice.",
        ),
        _r(
            "waiver-invalid",
            "error",
            "A waiver lacks a reason, approver or expiry, or names an unknown Practice, and is not applied.",
            "Give the waiver reason, approved_by and expires.",
        ),
        # version and change control
        _r(
            "history-unavailable",
            "error",
            "The git history could not be read, so change control cannot be rated.",
            "Run the checker inside a git repository with its history.",
        ),
        _r(
            "history-shallow",
            "error",
            "The repository is a shallow clone: change control cannot be rated and the gate fails.",
            "Fetch the full history (in GitHub Actions: actions/checkout with fetch-depth: 0).",
        ),
        _r(
            "untracked-document",
            "warning",
            "A document is not tracked by git, so it is not under version control.",
            "Add and commit the document.",
        ),
        _r(
            "uncommitted-changes",
            "warning",
            "A controlled document differs from HEAD in the working tree.",
            "Commit or discard the change before an evaluation.",
        ),
        _r(
            "version-not-bumped",
            "error",
            "A commit changed a controlled document's content but not its version.",
            "Raise `version` whenever content changes.",
        ),
        _r(
            "version-regressed",
            "error",
            "A commit lowered a controlled document's version.",
            "Versions only go up; restore a higher version.",
        ),
        _r(
            "version-not-string",
            "warning",
            "`version` is a YAML number, which can lose digits (2.10 reads as 2.1).",
            'Quote the version: version: "2.10".',
        ),
        _r(
            "change-unapproved",
            "error",
            "A commit changed an approved document without an approval from someone other than its author.",
            "Add an Approved-by trailer naming the approver, or merge through a reviewed merge.",
        ),
        _r(
            "self-approved",
            "error",
            "The approver of a change is its author.",
            "Have someone other than the author approve the change.",
        ),
        _r(
            "approval-stale",
            "warning",
            "approved_on is older than the document's last content change.",
            "Re-approve the document and update approved_on.",
        ),
        # configuration and packs
        _r(
            "config-invalid",
            "error",
            "The configuration file is not valid.",
            "Fix the key named in the message; see schemas/config.schema.json.",
        ),
        _r(
            "rulepack-invalid",
            "error",
            "A rule pack is not valid.",
            "Run `escm-check pack validate DIR` and fix the error at the line given.",
        ),
        _r(
            "regression",
            "error",
            "A Practice or activity satisfied at the base revision is no longer satisfied.",
            "Restore the evidence that was removed or changed.",
        ),
        _r(
            "file-skipped",
            "info",
            "A path was not read (a symlink, a directory, or not a document).",
            "Nothing to do unless the file should count as evidence.",
        ),
    ]
}


def make(
    rule: str,
    message: str,
    *,
    path: str | None = None,
    line: int | None = None,
    practice: str | None = None,
    activity: str | None = None,
    severity: Severity | None = None,
    hint: str | None = None,
    cause: str | None = None,
) -> Finding:
    """Build a finding for a catalogued slug, taking severity and hint from the catalogue."""
    info = CATALOGUE[rule]
    return Finding(
        rule,
        severity or info.severity,
        message,
        path,
        line,
        practice,
        activity,
        info.hint if hint is None else hint,
        cause,
    )


def sort_findings(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Deterministic order for reports: each finding once, by `Finding.sort_key`, and
    findings the key does not tell apart (a different hint or cause) as they came."""
    # not a set: its order follows string hashes, which differ from one process to the next
    return tuple(sorted(dict.fromkeys(findings), key=Finding.sort_key))
