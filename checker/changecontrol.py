"""Version and change control verdicts per document: pure functions over history values.

The rules, applied to each change of a document in history order (oldest first):

- A *content change* changes the body (line endings aside) or any front-matter key other than
  the bookkeeping keys in `EXEMPT_KEYS` (status, approvals and review dates). Adding the
  document is a content change.
- A change *needs approval* when it changes the content of a version that was approved, or
  when it makes the document approved (from draft, from nothing, from retired). Drafts change
  freely; the approval of the draft is the approval that counts. Requiring approval for the
  step into `approved` closes the loophole approved -> draft -> edit -> approved.
- A change *needs a version bump* against a reference: the previous version when that was
  approved, else (when the change makes the document approved) the last approved version
  before it. The bump is due only when the content differs from the reference; an equal
  version is `version-not-bumped`, a lower one `version-regressed` (also for a status-only
  change that lowers the version of a controlled document).
- Approval in `trailer` mode: an approval trailer naming someone other than the change's
  author (email compared when both sides have one, else the name). In `merge` mode the same
  trailer also counts, and otherwise the change must have reached the first-parent line
  through a merge whose committer is not its author.
- `approval-stale`: the current `approved_on` is older than the last change of the content
  after the document was added (adding a document approved earlier, as when a handbook is
  first imported, is not a change of it).
- The last review is the latest of `approved_on`, `reviewed_on` and the author date of a
  commit with a review trailer that touched the document; without any of them, the last
  approval found in history. It is due `review_cycle` later (the document's own key, else the
  setting), or on `next_review` when that is later than the last review. Approved documents
  only; records have no review cycle.
- A later re-approval of the whole document (a change that makes it approved, with a valid
  approval) supersedes earlier violations: they stay in the report as `info` findings so the
  evaluator still sees them, but the document counts as controlled again.
- Documents without historical metadata (a .docx without a sidecar) treat every change as a
  content change and the current status as the status throughout; versions are not compared.
- A shallow clone is never controlled and gets no per-change findings: the repository-level
  ``history-shallow`` finding in `RepoHistory.problems` says why (report it once). So is
  `history-unavailable` for the whole repository; a missing object of one document's history
  is that document's finding.
- `uncommitted-changes`: the working tree differs from HEAD (`modified`) for a document that
  is or was approved (a draft in progress is normal work), or the document is tracked but has
  no commit yet (staged only, or deleted at HEAD).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import msgspec

from .durations import Duration, parse_date, parse_duration
from .findings import Finding, make
from .history import STAGED, Change, Commit, DocVersion, RepoHistory
from .identity import parse_identity, same_person
from .metadata_keys import BOOKKEEPING_KEYS
from .result import VersionEntry
from .versions import VersionError, compare_versions

# Bookkeeping keys: changing them records a decision about the content, not new content.
EXEMPT_KEYS = BOOKKEEPING_KEYS

# Violations that take a document out of change control while they stand.
CONTROL_RULES = frozenset({"version-not-bumped", "version-regressed", "change-unapproved", "self-approved"})

ApprovalMode = Literal["trailer", "merge"]


class ControlSettings(msgspec.Struct, frozen=True):
    """How change control is judged (from the config file)."""

    approval_mode: ApprovalMode = "trailer"
    approval_trailers: tuple[str, ...] = ("Approved-by",)
    review_trailers: tuple[str, ...] = ("Reviewed-by",)
    review_cycle: Duration = msgspec.field(default_factory=lambda: Duration(12, "month"))
    exempt_keys: frozenset[str] = EXEMPT_KEYS


class ControlResult(msgspec.Struct, frozen=True):
    """The change-control verdict for one document.

    `controlled` holds when the document is tracked, the history is readable and not
    shallow, it has been committed, and no change-control violation stands. `reason` says
    why not otherwise. `versions` is newest first, one entry per change, for the report.
    """

    path: str
    controlled: bool
    last_commit: str | None
    last_change_date: dt.date | None
    last_review: dt.date | None
    review_due: dt.date | None
    versions: tuple[VersionEntry, ...]
    findings: tuple[Finding, ...]
    reason: str = ""


# --------------------------------------------------------------------------- small pure helpers


@functools.lru_cache(maxsize=4096)  # a history compares the same few version pairs again and again
def _compare(a: str, b: str) -> int | None:
    """`compare_versions`, or None when either is not a version (the metadata check says so)."""
    try:
        return compare_versions(a, b)
    except VersionError:
        return None


@functools.lru_cache(maxsize=8192)
def _trailer_view(
    trailers: tuple[tuple[str, str], ...], approval_keys: frozenset[str], review_keys: frozenset[str]
) -> tuple[tuple[str, ...], bool]:
    """(approvers, whether a review is recorded) in a commit's trailers. Trailer blocks are
    shared between commits (see `history._parse_log`), so each is read once."""
    approvers = tuple(v for k, v in trailers if k.casefold() in approval_keys)
    return approvers, any(k.casefold() in review_keys for k, _ in trailers)


@functools.lru_cache(maxsize=8192)  # the same few people approve the same few authors' changes
def _independent(approvers: tuple[str, ...], author: tuple[str, str]) -> tuple[str, ...]:
    """The approvers who are not the author."""
    return tuple(a for a in approvers if a.strip() and not same_person(parse_identity(a), author))


def _status(meta: Mapping[str, Any] | None) -> str | None:
    if not meta:
        return None
    s = meta.get("status")
    return str(s).strip().lower() if s is not None else None


# --------------------------------------------------------------------------- steps


class _Step(msgspec.Struct, frozen=True):
    """One commit's effect on a document: its metadata before and after, and the body."""

    commit: Commit
    change: Change
    new: DocVersion | None
    old: DocVersion | None
    body_changed: bool | None  # None: compare the versions' body hashes
    deleted: bool = False


def _steps_single(changes: Sequence[Change], versions: Sequence[DocVersion], has_meta: bool) -> list[_Step]:
    by_commit = {v.commit.sha: v for v in versions}
    by_blob: dict[str, DocVersion] = {}
    live: DocVersion | None = None
    steps: list[_Step] = []
    for ch in reversed(changes):
        if ch.status == "D":
            steps.append(_Step(ch.commit, ch, None, live, True, deleted=True))
            live = None
            continue
        new = by_commit.get(ch.commit.sha)
        old: DocVersion | None = None
        if ch.old_blob is not None:
            # The old blob names the parent's version exactly, even across branches; fall
            # back to the previous one in walk order when it was never seen (outside the walk).
            old = by_blob.get(ch.old_blob, live)
        steps.append(_Step(ch.commit, ch, new, old, None if has_meta else True))
        if new is not None:
            by_blob[new.blob] = new
            live = new
    return steps


def _steps_sidecar(
    doc: Sequence[Change], side: Sequence[Change], versions: Sequence[DocVersion], order: Mapping[str, int]
) -> list[_Step]:
    by_commit = {v.commit.sha: v for v in versions}
    doc_by = {c.commit.sha: c for c in doc}
    side_by = {c.commit.sha: c for c in side}
    # git log order is newest first: a larger index is older
    shas = sorted(set(doc_by) | set(side_by), key=lambda s: order.get(s, -1), reverse=True)
    carry: DocVersion | None = None
    steps: list[_Step] = []
    for sha in shas:
        dc, sc = doc_by.get(sha), side_by.get(sha)
        old = carry
        if sc is not None:
            carry = None if sc.status == "D" else by_commit.get(sha)
        rep = dc or sc
        assert rep is not None
        if dc is not None and dc.status == "D":
            steps.append(_Step(rep.commit, rep, None, old, True, deleted=True))
            continue
        steps.append(_Step(rep.commit, rep, carry, old, dc is not None))
    return steps


# --------------------------------------------------------------------------- the verdict


def check_document(
    path: str,
    meta: Mapping[str, Any],
    repo: RepoHistory,
    versions: Sequence[DocVersion],
    settings: ControlSettings,
    as_of: dt.date,
    *,
    tracked: bool = True,
    modified: bool = False,
    meta_lines: Mapping[str, int] | None = None,
    sidecar: str | None = None,
    judge_only: str | None = None,
) -> ControlResult:
    """Judge one document's version and change control from its history.

    `meta` is the document's current metadata and `meta_lines` the 1-based lines of its keys
    (findings point there). `versions` are the historical metadata versions from
    `history.load_versions`: of the document itself, or of its `sidecar` (e.g. `x.pdf.yaml`)
    when that holds the metadata, in which case a commit that changes the document file is a
    content change. `modified` says the working tree differs from HEAD. `repo` must have been
    read with the same `as_of`. With `judge_only`, only the change of that commit is judged;
    the others are replayed (the pre-commit hook judges the staged change alone).
    """
    early = _not_judgeable(path, repo, tracked)
    if early is not None:
        return early
    steps, has_meta = _document_steps(path, repo, versions, sidecar)
    if not steps or steps[-1].deleted:
        return _not_committed(path, steps)
    lines = meta_lines or {}
    run = _replay(path, steps, repo, settings, lines, _status(meta), has_meta, judge_only)
    findings = list(run.findings)
    reasons = _reasons(repo, run, findings)
    findings += _standing_findings(path, meta, repo, settings, lines, run, modified, as_of)
    last_change = run.last_content
    return ControlResult(
        path=path,
        controlled=not reasons,
        last_commit=steps[-1].commit.sha,
        last_change_date=last_change.author_date.date() if last_change else None,
        last_review=run.review[0] if run.review else None,
        review_due=run.review[1] if run.review else None,
        versions=tuple(reversed(run.entries)),
        findings=tuple(findings),
        reason="; ".join(reasons),
    )


def _uncontrolled(path: str, reason: str, findings: Iterable[Finding] = ()) -> ControlResult:
    return ControlResult(
        path=path,
        controlled=False,
        last_commit=None,
        last_change_date=None,
        last_review=None,
        review_due=None,
        versions=(),
        findings=tuple(findings),
        reason=reason,
    )


def _not_judgeable(path: str, repo: RepoHistory, tracked: bool) -> ControlResult | None:
    """The verdict when there is no history to judge: untracked, or the history unreadable."""
    if not tracked:
        return _uncontrolled(
            path, "not tracked by git", [make("untracked-document", f"{path} is not tracked by git", path=path)]
        )
    if not repo.available:
        return _uncontrolled(path, "the git history cannot be read")
    return None


def _document_steps(
    path: str, repo: RepoHistory, versions: Sequence[DocVersion], sidecar: str | None
) -> tuple[list[_Step], bool]:
    """The document's steps oldest first, and whether historical metadata is known."""
    fh = repo.files.get(path)
    doc_changes = fh.changes if fh else ()
    if sidecar is not None:
        sfh = repo.files.get(sidecar)
        side_changes = sfh.changes if sfh else ()
        mine = [v for v in versions if v.path == sidecar]
        return _steps_sidecar(doc_changes, side_changes, mine, repo.walk_order()), True
    mine = [v for v in versions if v.path == path]
    return _steps_single(doc_changes, mine, bool(mine)), bool(mine)


def _not_committed(path: str, steps: Sequence[_Step]) -> ControlResult:
    what = (
        f"was deleted in commit {steps[-1].commit.short} and not committed again"
        if steps
        else "has not been committed yet"
    )
    return _uncontrolled(
        path,
        "not committed yet",
        [
            make(
                "uncommitted-changes",
                f"{path} {what}",
                path=path,
                hint="Commit the document so that it is under version control.",
            )
        ],
    )


def _replay(
    path: str,
    steps: Sequence[_Step],
    repo: RepoHistory,
    settings: ControlSettings,
    lines: Mapping[str, int],
    cur_status: str | None,
    has_meta: bool,
    judge_only: str | None,
) -> _Run:
    """Walk the steps oldest first, judging each one the history lets be judged (with
    `judge_only`, only that commit's)."""
    run = _Run(path, settings, repo, lines, cur_status, has_meta)
    for step in steps:
        run.step(step, not repo.shallow and (judge_only is None or step.commit.sha == judge_only))
    return run


def _reasons(repo: RepoHistory, run: _Run, findings: Sequence[Finding]) -> list[str]:
    """Why the document is not under change control; empty when it is."""
    reasons: list[str] = []
    if repo.shallow:
        reasons.append("the repository is a shallow clone")
    if run.missing:
        reasons.append("objects of its history are missing")
    standing = [f for f in findings if f.rule in CONTROL_RULES and f.severity != "info"]
    if standing:
        reasons.append(f"{len(standing)} change-control violation(s)")
    return reasons


def _standing_findings(
    path: str,
    meta: Mapping[str, Any],
    repo: RepoHistory,
    settings: ControlSettings,
    lines: Mapping[str, int],
    run: _Run,
    modified: bool,
    as_of: dt.date,
) -> list[Finding]:
    """Findings about the document as it stands: uncommitted edits, a stale approval, the review.

    Sets `run.review` to (last review, due date, finding) for an approved document.
    """
    findings: list[Finding] = []
    cur_status = _status(meta)
    ever_approved = cur_status == "approved" or run.last_approved is not None
    if modified and ever_approved:
        findings.append(make("uncommitted-changes", f"{path} differs from HEAD in the working tree", path=path))
    if cur_status != "approved":
        return findings
    run.review = _review(meta, lines, settings, run, as_of)
    if repo.shallow:
        return findings
    approved_on = parse_date(meta.get("approved_on"))
    mod = run.last_modification
    if approved_on and mod and mod.author_date.date() > approved_on:
        findings.append(
            make(
                "approval-stale",
                f"approved_on {approved_on} is older than the last content change"
                f" ({mod.short} on {mod.author_date.date()})",
                path=path,
                line=lines.get("approved_on"),
            )
        )
    if run.review[2] is not None:
        findings.append(run.review[2])
    return findings


class _Run:
    """The state carried through one document's steps, oldest first."""

    def __init__(
        self,
        path: str,
        settings: ControlSettings,
        repo: RepoHistory,
        lines: Mapping[str, int],
        cur_status: str | None,
        has_meta: bool,
    ) -> None:
        self.path = path
        self.settings = settings
        self.repo = repo
        self.lines = lines
        self.cur_status = cur_status
        self.has_meta = has_meta
        self.findings: list[Finding] = []
        self.entries: list[VersionEntry] = []
        self.last_approved: DocVersion | None = None
        self.body_dirty = False  # body changed since last_approved (when hashes are not known)
        self.last_content: Commit | None = None
        self.last_modification: Commit | None = None
        self.review_dates: list[dt.date] = []
        self.approval_dates: list[dt.date] = []
        self.missing = False
        self._approval_keys = frozenset(k.casefold() for k in settings.approval_trailers)
        self._review_keys = frozenset(k.casefold() for k in settings.review_trailers)
        self._open: list[int] = []  # indexes of violations a re-approval would supersede
        # (last review, due date, review-overdue finding) once judged, for an approved document
        self.review: tuple[dt.date | None, dt.date | None, Finding | None] | None = None

    # -- content comparison

    def _differs(self, a: DocVersion | None, b: DocVersion | None, body: bool | None) -> bool:
        if a is None or b is None:
            # metadata appearing or vanishing is a change; with none on either side only the
            # document file itself can tell
            return (a is None) != (b is None) or body is None or body
        body_diff = a.body_hash != b.body_hash if body is None else body
        if body_diff:
            return True
        if a.front_matter == b.front_matter:
            return False  # the same front-matter text: no YAML parse needed
        if a.meta_ok and b.meta_ok:
            ex = self.settings.exempt_keys
            return {k: v for k, v in a.meta.items() if k not in ex} != {k: v for k, v in b.meta.items() if k not in ex}
        return True

    # -- one step

    def step(self, s: _Step, judge: bool) -> None:
        c = s.commit
        approvers, reviewed = _trailer_view(c.trailers, self._approval_keys, self._review_keys)
        if reviewed:
            self.review_dates.append(c.author_date.date())
        if s.deleted:
            self._entry(c, None, ", ".join(approvers) or None)
            return
        for v in (s.new, s.old):
            if v is not None and v.missing:
                if v is s.new and v.problem is not None:
                    self.findings.append(v.problem)
                self.missing = True
        if s.new is not None and not s.new.missing and s.new.problem is not None:
            self.findings.append(s.new.problem)  # a version a reader's bug could not read
        unknown = any(v is not None and v.missing for v in (s.new, s.old))

        if self.has_meta:
            new_status = s.new.status if s.new else None
            old_status = s.old.status if s.old else None
            changed = self._differs(s.old, s.new, s.body_changed)
        else:
            new_status = old_status = self.cur_status
            changed = True
        prev_appr, now_appr = old_status == "approved", new_status == "approved"
        if s.body_changed:
            self.body_dirty = True
        if changed:
            self.last_content = c
            if s.change.status != "A":
                # adding a document approved earlier (an import) does not make it stale
                self.last_modification = c
        needs_approval = (prev_appr and changed) or (now_appr and (not prev_appr or changed))

        approved_by: str | None = None
        ok = True
        before = len(self._open)
        if judge and not unknown:
            if self.has_meta and s.new is not None:
                self._check_version(s, prev_appr, now_appr, changed)
            if needs_approval:
                ok, approved_by = self._check_approval(c, approvers)
        if approved_by is None:
            approved_by = self._approver_shown(c, approvers)
        if now_appr and (not prev_appr or changed) and ok:
            self.approval_dates.append(c.author_date.date())
        if judge and now_appr and not prev_appr and ok and not unknown and len(self._open) == before:
            self._supersede(c)
        if now_appr and s.new is not None:
            self.last_approved = s.new
            self.body_dirty = False
        self._entry(c, s.new.version if s.new is not None else None, approved_by)

    def _entry(self, c: Commit, version: str | None, approved_by: str | None) -> None:
        date, author = self.repo.entry_text(c)
        self.entries.append(VersionEntry(c.sha, date, author, version, approved_by and sys.intern(approved_by)))

    def _add(self, rule: str, message: str, key: str, hint: str | None = None) -> None:
        line = self.lines.get(key)
        self._open.append(len(self.findings))
        self.findings.append(make(rule, message, path=self.path, line=line, hint=hint))

    def _where(self, c: Commit) -> str:
        if c.sha == STAGED:
            return "the staged change"
        return f"commit {c.short} ({c.author_date.date()}, {c.author})"

    def _check_version(self, s: _Step, prev_appr: bool, now_appr: bool, changed: bool) -> None:
        assert s.new is not None
        new_v = s.new.version
        old_v = s.old.version if s.old is not None else None
        c = s.commit
        if prev_appr:
            ref, ref_changed = s.old, changed
        elif now_appr and self.last_approved is not None:
            ref = self.last_approved
            ref_changed = self._differs(ref, s.new, self.body_dirty if s.body_changed is not None else None)
        else:
            ref, ref_changed = None, False
        controlled = prev_appr or now_appr or self.last_approved is not None
        lowered = _compare(new_v, old_v) if controlled and new_v is not None and old_v is not None else None
        if lowered is not None and lowered < 0:
            self._add("version-regressed", f"{self._where(c)} lowered the version from {old_v} to {new_v}", "version")
            return
        if ref is None or not ref_changed:
            return
        ref_v = ref.version
        if new_v is None:
            if ref_v is not None:
                self._add(
                    "version-not-bumped", f"{self._where(c)} changed the content and removed version {ref_v}", "version"
                )
            else:
                self._add(
                    "version-not-bumped",
                    f"{self._where(c)} changed the content of an approved document that has no version",
                    "version",
                )
            return
        if ref_v is None:
            return
        cmp = _compare(new_v, ref_v)
        if cmp is None:
            return
        if cmp == 0:
            self._add(
                "version-not-bumped",
                f"{self._where(c)} changed the content of approved version {ref_v} without raising the version",
                "version",
            )
        elif cmp < 0:
            self._add(
                "version-regressed",
                f"{self._where(c)} set version {new_v}, lower than approved version {ref_v}",
                "version",
            )

    def _check_approval(self, c: Commit, approvers: tuple[str, ...]) -> tuple[bool, str | None]:
        author = (c.author_name, c.author_email)
        others = _independent(approvers, author)
        if others:
            return True, ", ".join(others)
        merge = self.repo.merged_by(c.sha) if self.settings.approval_mode == "merge" else None
        if merge is not None:
            if not same_person((merge.committer_name, merge.committer_email), author):
                return True, merge.committer
            self._add("self-approved", f"{self._where(c)} was merged by its own author in {merge.short}", "approved_by")
            return False, merge.committer
        if any(a.strip() for a in approvers):
            self._add(
                "self-approved",
                f"{self._where(c)} is approved only by its author ({', '.join(a for a in approvers if a.strip())})",
                "approved_by",
            )
            return False, ", ".join(approvers)
        name = self.settings.approval_trailers[0] if self.settings.approval_trailers else "Approved-by"
        trailer = f"an `{name}: Name <email>` trailer naming someone other than its author"
        if self.settings.approval_mode == "merge":
            how = f"an {name} trailer or a merge by someone else"
            hint = f"Merge the change through a merge commit by someone else, or add {trailer}."
        else:
            how, hint = f"an {name} trailer", f"Add {trailer}."
        self._add(
            "change-unapproved",
            f"{self._where(c)} changed an approved document without {how}",
            "approved_by" if "approved_by" in self.lines else "status",
            hint=hint,
        )
        return False, None

    def _approver_shown(self, c: Commit, approvers: tuple[str, ...]) -> str | None:
        if approvers:
            return ", ".join(approvers)
        if self.settings.approval_mode == "merge":
            merge = self.repo.merged_by(c.sha)
            if merge is not None:
                return merge.committer
        return None

    def _supersede(self, c: Commit) -> None:
        for i in self._open:
            f = self.findings[i]
            self.findings[i] = make(
                f.rule,
                f"{f.message}; superseded by the re-approval in {c.short}",
                path=f.path,
                line=f.line,
                severity="info",
                hint=f.hint,
            )
        self._open.clear()


def _review(
    meta: Mapping[str, Any], lines: Mapping[str, int], settings: ControlSettings, run: _Run, as_of: dt.date
) -> tuple[dt.date | None, dt.date | None, Finding | None]:
    """(last review, due date, review-overdue finding or None) for an approved document."""
    if str(meta.get("type", "")).strip().lower() == "record":
        return None, None, None  # a record evidences one event; it is not reviewed on a cycle
    sources: list[tuple[dt.date, str]] = []
    for key in ("approved_on", "reviewed_on"):
        d = parse_date(meta.get(key))
        if d is not None and d <= as_of:
            sources.append((d, key))
    sources += [(d, "trailer") for d in run.review_dates if d <= as_of]
    if not sources:
        # no recorded review: the last approval in history is the best evidence left
        sources += [(d, "approval") for d in run.approval_dates if d <= as_of]
    last, source = max(sources) if sources else (None, "")
    cycle = settings.review_cycle
    cycle_key = ""
    raw_cycle = meta.get("review_cycle")
    if raw_cycle is not None:
        # a bad duration is the front-matter check's finding; the default applies here
        with contextlib.suppress(ValueError):
            cycle, cycle_key = parse_duration(str(raw_cycle)), "review_cycle"
    next_review = parse_date(meta.get("next_review"))
    if next_review is not None and (last is None or next_review > last):
        due, key = next_review, "next_review"
    elif last is not None:
        due = cycle.add_to(last)
        key = cycle_key or (source if source in ("approved_on", "reviewed_on") else "")
    else:
        return (
            None,
            None,
            make(
                "review-overdue",
                "no review or approval of the document is recorded",
                path=run.path,
                line=lines.get("status"),
            ),
        )
    if as_of <= due:
        return last, due, None
    basis = f"last review {last}" if last else "no review recorded"
    if key == "next_review":
        msg = f"next_review {due} has passed ({basis})"
    else:
        msg = f"the review was due on {due} ({basis}, cycle {cycle})"
    return last, due, make("review-overdue", msg, path=run.path, line=lines.get(key) if key else None)
