"""The one table of metadata keys: what each of the checker's keys holds.

Front matter, sidecars, Word and PDF properties, the near-miss warning, the YAML trap checks
and change control's bookkeeping keys all read these sets; the front-matter schema's
properties are tested against them (tests/test_metadata_keys.py).
"""

from __future__ import annotations

# The evidence keys of the documented conventions, in the order the docs list them: exactly
# the front-matter schema's properties.
KEYS = (
    "id",
    "title",
    "type",
    "practices",
    "satisfies",
    "status",
    "version",
    "owner",
    "approved_by",
    "approved_on",
    "reviewed_on",
    "review_cycle",
    "next_review",
    "date",
    "record_kind",
)
# Read and kept but not judged by the schema: who reviewed (review trailers name them in git).
EXTRA_KEYS = ("reviewed_by",)
ALL_KEYS = frozenset(KEYS + EXTRA_KEYS)

# Values that are text: a YAML number, date or boolean there is a trap worth a finding.
TEXT_KEYS = frozenset(
    {"id", "title", "type", "status", "version", "owner", "approved_by", "review_cycle", "reviewed_by", "record_kind"}
)
DATE_KEYS = frozenset({"approved_on", "reviewed_on", "next_review", "date"})
LIST_KEYS = frozenset({"practices"})  # a comma-separated string is read as a list
CLAIM_KEYS = frozenset({"satisfies"})  # practice -> activities

# Bookkeeping: changing these records a decision about the content, not new content, so a
# change of them alone needs no version bump.
BOOKKEEPING_KEYS = frozenset({"status", "approved_by", "approved_on", "reviewed_on", "reviewed_by", "next_review"})
