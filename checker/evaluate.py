"""Evaluation: documents, histories and config in; ratings, level, gate and findings out.

Pure functions over values. Nothing here reads files or runs git.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from .checks import CHECK_KINDS, LISTED, Case, TagHit, Verdict, judge
from .claims import claims_something, demote_front_matter, demote_unclaimed, not_evidence_findings
from .config import Config, Waiver
from .crosswalk import Crosswalk
from .crosswalkclaims import apply_crosswalk, crosswalked_paths
from .display import encodable, listed
from .documents import Document, Section
from .durations import Duration, parse_date, parse_duration
from .findings import Finding, make, sort_findings
from .identity import same_person
from .metadata import DocMeta
from .result import (
    ActivityResult,
    ActivityStatus,
    CheckResult,
    DocumentSummary,
    Gate,
    PracticeResult,
    PracticeStatus,
    ProfileCell,
    SideResult,
    VersionEntry,
)
from .rulepack import Activity, DocTypePart, EvidenceRule, Pack, Practice, heading_names

# Findings that say a document could not be trusted at all; they fail the gate
# whatever the level, because the rating may rest on misread evidence.
BLOCKING = frozenset(
    {
        "yaml-error",
        "parse-error",
        "front-matter-invalid",
        "duplicate-id",
        "history-shallow",
        "history-unavailable",
        "unknown-practice",
        "unknown-activity",
        "waiver-invalid",
        "crosswalk-invalid",
    }
)


class Control(msgspec.Struct, frozen=True):
    """What version and change control says about one document."""

    controlled: bool
    last_commit: str | None = None
    last_author: str | None = None  # "Name <email>" of the last content change
    review_due: dt.date | None = None
    reason: str = ""
    versions: tuple[VersionEntry, ...] = ()


class DocInput(msgspec.Struct, frozen=True):
    """One parsed document with its normalised metadata and change-control verdict."""

    doc: Document
    meta: DocMeta
    control: Control | None = None

    @property
    def path(self) -> str:
        """Repository-relative path."""
        return self.doc.path


class RepoInfo(msgspec.Struct, frozen=True):
    """The repository as the report names it."""

    root: str
    head: str | None
    available: bool = True
    shallow: bool = False


class _Index(msgspec.Struct):
    """Practice -> serving documents, tags and claims (built once)."""

    serving: dict[str, list[DocInput]] = msgspec.field(default_factory=lambda: defaultdict(list))
    tags: dict[tuple[str, str], list[tuple[DocInput, Section, int]]] = msgspec.field(
        default_factory=lambda: defaultdict(list)
    )
    claims: dict[tuple[str, str], list[DocInput]] = msgspec.field(default_factory=lambda: defaultdict(list))


def build_index(docs: Sequence[DocInput], pack: Pack) -> tuple[_Index, list[Finding]]:
    """Map each Practice and activity to its evidence; report unknown ids and duplicate ids."""
    idx = _Index()
    findings: list[Finding] = []
    ids: dict[str, str] = {}
    for d in docs:
        m, doc = d.meta, d.doc
        if not doc.has_metadata:
            continue
        if m.id:
            if m.id in ids:
                findings.append(
                    make(
                        "duplicate-id",
                        f"id {m.id!r} is also used by {ids[m.id]}",
                        path=doc.path,
                        line=doc.meta_line("id"),
                    )
                )
            else:
                ids[m.id] = doc.path
        served: list[str] = []
        for p in m.practices:
            if pack.practice(p) is None:
                findings.append(
                    make(
                        "unknown-practice",
                        f"unknown Practice {p!r} in practices",
                        path=doc.path,
                        line=doc.meta_line("practices"),
                    )
                )
            elif p not in served:
                served.append(p)
        for p, acts in m.satisfies.items():
            pr = pack.practice(p)
            if pr is None:
                findings.append(
                    make(
                        "unknown-practice",
                        f"unknown Practice {p!r} in satisfies",
                        path=doc.path,
                        line=doc.meta_line("satisfies"),
                    )
                )
                continue
            for a in acts:
                if pr.activity(a) is None:
                    findings.append(
                        make(
                            "unknown-activity",
                            f"{p} has no Required Activity {a!r} (claimed in satisfies)",
                            path=doc.path,
                            line=doc.meta_line("satisfies"),
                            practice=p,
                        )
                    )
                else:
                    idx.claims[(p, a)].append(d)
            if p not in served:
                served.append(p)
        for s in doc.sections:
            for t in s.tags:
                pr = pack.practice(t.practice)
                if pr is None:
                    findings.append(
                        make(
                            "unknown-practice", f"tag names unknown Practice {t.practice!r}", path=doc.path, line=t.line
                        )
                    )
                    continue
                if pr.activity(t.activity) is None:
                    kind = "a Recommended" if t.activity in pr.recommended_ids else "no Required"
                    findings.append(
                        make(
                            "unknown-activity",
                            f"{t.key}: {t.practice} has {kind} Activity {t.activity!r}",
                            path=doc.path,
                            line=t.line,
                            practice=t.practice,
                            severity="warning" if kind.startswith("a ") else None,
                        )
                    )
                    continue
                idx.tags[(t.practice, t.activity)].append((d, s, t.line))
                if t.practice not in served:
                    served.append(t.practice)
        for p in served:
            idx.serving[p].append(d)
    return idx, findings


def _in_scope(p: Practice, cfg: Config) -> bool:
    if not p.in_scope:
        return False
    if cfg.scope_areas and p.area not in cfg.scope_areas:
        return False
    if p.area in cfg.scope_exclude_areas or p.id in cfg.scope_exclude_practices:
        return False
    if cfg.scope_practices and p.id not in cfg.scope_practices:
        return False
    return not (cfg.scope_max_level is not None and p.level > cfg.scope_max_level)


def check_waivers(
    waivers: Iterable[Waiver], pack: Pack, as_of: dt.date, where: str | None
) -> tuple[dict[str, Waiver], dict[tuple[str, str], Waiver], list[Finding]]:
    """Split waivers into applied Practice and activity waivers, and findings for the rest."""
    by_practice: dict[str, Waiver] = {}
    by_activity: dict[tuple[str, str], Waiver] = {}
    findings: list[Finding] = []
    for w in waivers:
        target = w.activity or w.practice or "?"
        missing = [k for k in ("reason", "approved_by", "expires") if not getattr(w, k)]
        practice_id, activity_id = (w.activity.split(".", 1) + [""])[:2] if w.activity else (w.practice, "")
        pr = pack.practice(practice_id or "")
        problem = None
        if missing:
            problem = f"waiver for {target} lacks {', '.join(missing)}"
        elif pr is None:
            problem = f"waiver names unknown Practice {practice_id!r}"
        elif activity_id and pr.activity(activity_id) is None:
            problem = f"waiver names unknown activity {target!r}"
        expires = parse_date(w.expires) if w.expires else None
        if problem is None and expires is None:
            problem = f"waiver for {target}: expires {w.expires!r} is not a date"
        if problem:
            findings.append(
                make(
                    "waiver-invalid",
                    problem + "; it is not applied",
                    path=where,
                    line=w.line,
                    practice=practice_id or None,
                )
            )
            continue
        assert expires is not None and practice_id
        if expires < as_of:
            findings.append(
                make(
                    "waiver-expired",
                    f"waiver for {target} expired on {expires.isoformat()}; it is not applied",
                    path=where,
                    line=w.line,
                    practice=practice_id,
                    activity=activity_id or None,
                )
            )
            continue
        if activity_id:
            by_activity[(practice_id, activity_id)] = w
        else:
            by_practice[practice_id] = w
    return by_practice, by_activity, findings


class _Ctx(msgspec.Struct, frozen=True):
    pack: Pack
    cfg: Config
    as_of: dt.date
    repo: RepoInfo
    index: _Index
    # filled by approved_serving, which every side of every activity asks
    _approved_serving: dict[str, tuple[DocInput, ...]] = msgspec.field(default_factory=dict)

    def approved_serving(self, practice: str) -> tuple[DocInput, ...]:
        """The approved documents (records aside) that serve a Practice, in index order."""
        got = self._approved_serving.get(practice)
        if got is None:
            serving = self.index.serving.get(practice, [])
            got = tuple(d for d in serving if d.meta.approved and d.meta.type != "record")
            self._approved_serving[practice] = got
        return got


class Claims(msgspec.Struct, frozen=True):
    """Every place that says a document, or a section of it, evidences one activity."""

    tagged: tuple[TagHit, ...] = ()  # substantive sections in approved documents
    empty: tuple[TagHit, ...] = ()  # sections in approved documents with no real content
    claimed: tuple[DocInput, ...] = ()  # approved documents claiming it in `satisfies`
    unapproved: tuple[str, ...] = ()  # paths of documents that tag it but are not approved


def gather_claims(p: Practice, a: Activity, index: _Index, doc_types: tuple[str, ...] = ()) -> Claims:
    """The section tags and `satisfies` claims of `p.a`; with `doc_types`, only documents of those types."""

    def counts(d: DocInput) -> bool:
        return not doc_types or d.meta.type in doc_types

    tagged: list[TagHit] = []
    empty: list[TagHit] = []
    unapproved: list[str] = []
    for d, s, line in index.tags.get((p.id, a.id), []):
        if not d.meta.approved:
            unapproved.append(d.path)
        elif counts(d):
            (tagged if s.substantive else empty).append(TagHit(d, s, line))
    claimed = tuple(d for d in index.claims.get((p.id, a.id), []) if d.meta.approved and counts(d))
    return Claims(tuple(tagged), tuple(empty), claimed, tuple(unapproved))


def _window(rule: EvidenceRule, cfg: Config) -> Duration:
    """The record window of a rule: the pack's default window yields to the organisation's
    record_max_age; a window a Practice (or an extending pack) sets for itself does not."""
    return parse_duration(rule.max_age) if rule.own and rule.max_age else cfg.record_max_age


def _judge_side(p: Practice, a: Activity, rule: EvidenceRule, ctx: _Ctx) -> tuple[SideResult, Claims, Verdict]:
    """One side of an activity, judged by the check kind its rule names."""
    claims = gather_claims(p, a, ctx.index, rule.doc_types)
    approved = ctx.approved_serving(p.id)
    window = _window(rule, ctx.cfg)
    case = Case(
        p.id,
        a.id,
        rule,
        approved,
        claims.tagged,
        claims.claimed,
        claims.empty,
        claims.unapproved,
        ctx.as_of,
        window,
        ctx.cfg.field_map,
    )
    verdict = judge(case)
    if verdict.satisfied and rule.check == "change-controlled" and ctx.repo.shallow:
        verdict = Verdict(False, reason="shallow clone: change control cannot be verified")
    reads_records = CHECK_KINDS[rule.check].reads_records
    side = SideResult(
        side=rule.side,
        check=rule.check,
        satisfied=verdict.satisfied,
        evidence=verdict.evidence,
        reason=verdict.reason,
        record_kinds=rule.record_kinds,
        max_age=str(window) if reads_records else None,
        doc_types=rule.doc_types,
    )
    return side, claims, verdict


def _empty_section_findings(p: Practice, a: Activity, claims: Sequence[Claims]) -> list[Finding]:
    """One `section-empty` per empty tagged section, however many sides looked at it."""
    hits = {(h.doc.path, h.line): h for c in claims for h in c.empty}
    return [
        make(
            "section-empty",
            f"section {h.section.heading or '(untitled)'!r} tagged {p.id}.{a.id} has no substantive content",
            path=h.doc.path,
            line=h.line,
            practice=p.id,
            activity=a.id,
        )
        for h in hits.values()
    ]


def _rate_activity(p: Practice, a: Activity, ctx: _Ctx) -> tuple[ActivityResult, list[Finding]]:
    """One Required Activity: each side judged, satisfied when every side holds."""
    judged = [_judge_side(p, a, rule, ctx) for rule in a.rules]
    sides = [s for s, _, _ in judged]
    findings = _empty_section_findings(p, a, [c for _, c, _ in judged])
    findings += [f for _, _, v in judged for f in v.findings]
    documented = next((s for s in sides if s.side == "documented"), None)
    performed = next((s for s in sides if s.side == "performed"), None)
    evidence = tuple(e for s in sides for e in s.evidence)
    failed = [s for s in sides if not s.satisfied]
    status: ActivityStatus = "not-satisfied" if failed else "satisfied"
    result = ActivityResult(a.id, status, a.summary, evidence, "", documented, performed)
    if failed:
        reason = "; ".join(f"{s.side}: {s.reason}" if len(failed) > 1 else s.reason for s in failed)
        if len(sides) > 1:
            reason = f"{result.gap_words}: {reason}"
        result = msgspec.structs.replace(result, reason=reason)
    return result, findings


def _doctype(p: Practice, ctx: _Ctx) -> tuple[bool, str]:
    serving = ctx.approved_serving(p.id)
    if p.type is None:
        return (True, "") if serving else (False, "no approved document serves the Practice")
    main = [d for d in serving if d.meta.type == p.type]
    if not main:
        found = sorted({d.meta.type or "untyped" for d in serving})
        extra = f" (found: {', '.join(found)})" if found else ""
        return False, f"no approved {p.type} serves the Practice{extra}"
    dt_ = ctx.pack.doc_types.get(p.type)
    for req in dt_.requires if dt_ else ():
        has_doc = any(d.meta.type == req for d in serving)
        has_section = any(heading_names(s.heading, (req,)) for d in main for s in d.doc.sections)
        if not (has_doc or has_section):
            return False, f"a {p.type} needs a {req} too (a document of type {req} or a section titled so)"
    return True, ""


UNIVERSAL_TYPES = ("record", "other")  # every pack accepts these besides its own types


def structure_findings(
    d: DocInput, pack: Pack, memo: dict[tuple[str, str], frozenset[int]] | None = None
) -> list[Finding]:
    """A `type` the pack does not define, and missing parts of a document's type (a
    procedure without steps, a plan without a schedule). `memo` keeps which parts each
    (type, heading) names, across the documents of one pack."""
    t = d.meta.type
    if t is not None and t not in pack.doc_types and t not in UNIVERSAL_TYPES:
        known = ", ".join([*pack.doc_types, *UNIVERSAL_TYPES])
        return [
            make(
                "front-matter-invalid",
                f"type: {t!r} is not a documentation type of {pack.id} (one of {known})",
                path=d.path,
                line=d.doc.meta_line("type"),
            )
        ]
    doc_type = pack.doc_types.get(t or "")
    if not d.meta.approved or doc_type is None:
        return []
    assert t is not None  # a doc_type was found by it
    named: set[int] = set()
    for s in d.doc.sections:
        if not s.heading:
            continue
        # thousands of documents share a type and most of their headings: each is matched once
        got = memo.get((t, s.heading)) if memo is not None else None
        if got is None:
            got = doc_type.parts_named(s.heading)
            if memo is not None:
                memo[(t, s.heading)] = got
        named |= got
    missing = [_missing_part(t, part) for i, part in enumerate(doc_type.structure) if i not in named]
    line = d.doc.meta_line("type")
    return [make("doctype-structure", message, path=d.path, line=line) for message in missing]


@functools.lru_cache(maxsize=1024)
def _missing_part(doc_type: str, part: DocTypePart) -> str:
    return (
        f"{doc_type} has no '{part.part}' section (a heading such as {', '.join(repr(h) for h in part.headings[:3])})"
    )


def _document_findings(
    d: DocInput, pack: Pack, as_of: dt.date, memo: dict[tuple[str, str], frozenset[int]] | None = None
) -> list[Finding]:
    out = list(d.doc.problems)
    if d.doc.error is None and not d.doc.has_metadata and not any(f.rule == "yaml-error" for f in out):
        out.append(
            make("front-matter-missing", "no front matter: the document cannot count as evidence", path=d.path, line=1)
        )
        return out
    if not d.doc.has_metadata:
        return out
    m = d.meta
    if m.type == "record" and m.date is None and "date" not in d.doc.metadata:
        out.append(
            make(
                "record-date-missing",
                "record has no date: of the recorded event",
                path=d.path,
                line=d.doc.meta_line("type"),
            )
        )
    if m.practices and m.status in ("draft", "in-review"):
        out.append(
            make(
                "not-approved",
                f"status is {m.status}: the document does not count as evidence yet",
                path=d.path,
                line=d.doc.meta_line("status"),
            )
        )
    out += structure_findings(d, pack, memo)
    return out


def capability_level(results: Sequence[PracticeResult], pack: Pack, sustained: Sequence[tuple[str, int]] = ()) -> int:
    """Highest L with every in-scope Practice of level <= L satisfied or not-applicable."""
    levels = sorted({lv.level for lv in pack.levels} | {r.level for r in results})
    achieved = 1
    for lv in levels:
        if lv <= 1:
            continue
        at = [r for r in results if r.level == lv]
        upto = [r for r in results if r.level <= lv]
        if not at:
            # A level with no Practices (Level 5) is reached by sustaining the one below.
            need = next((x.sustained_evaluations for x in pack.levels if x.level == lv), None)
            if need and achieved == lv - 1 and _sustained(sustained, lv - 1, need):
                achieved = lv
            continue
        if all(r.status in ("satisfied", "not-applicable", "not-rated") for r in upto):
            achieved = lv
        else:
            break
    return achieved


def _sustained(history: Sequence[tuple[str, int]], level: int, need: int) -> bool:
    recent = [lv for _, lv in sorted(history)][-need:]
    return len(recent) >= need and all(lv >= level for lv in recent)


class _Gap(msgspec.Struct, frozen=True):
    """An activity that is not satisfied, kept until the Practices it depends on are rated."""

    practice: Practice
    activity: Activity
    result: ActivityResult


def evaluate(
    pack: Pack,
    docs: Sequence[DocInput],
    repo: RepoInfo,
    cfg: Config,
    as_of: dt.date,
    extra_findings: Sequence[Finding] = (),
    crosswalk: Crosswalk | None = None,
    crosswalk_approved: bool = True,
) -> CheckResult:
    """Rate every Practice, derive the level and the gate, and collect the findings.

    The crosswalk's accepted entries count as the claims of the documents they name."""
    findings: list[Finding] = list(extra_findings)
    without_metadata = {d.path for d in docs if not d.doc.has_metadata}
    docs = apply_crosswalk(docs, crosswalk, crosswalk_approved)
    index, idx_findings = build_index(docs, pack)
    findings += idx_findings
    structures: dict[tuple[str, str], frozenset[int]] = {}
    for d in docs:
        findings += _document_findings(d, pack, as_of, structures)
    w_practice, w_activity, w_findings = check_waivers(cfg.waivers, pack, as_of, cfg.path)
    findings += w_findings
    ctx = _Ctx(pack, cfg, as_of, repo, index)

    results: list[PracticeResult] = []
    gaps: list[_Gap] = []
    for p in pack.practices:
        result, practice_gaps, practice_findings = _rate_practice(p, ctx, w_practice, w_activity)
        results.append(result)
        gaps += practice_gaps
        findings += practice_findings
    findings += _gap_findings(gaps, results, ctx)
    unclaimed = unclaimed_documents(docs, pack, cfg, crosswalked_paths(crosswalk))
    findings = demote_unclaimed(findings, unclaimed) + not_evidence_findings(unclaimed)
    findings = demote_front_matter(findings, without_metadata & crosswalked_paths(crosswalk))

    level = capability_level(results, pack, cfg.sustained_evaluations)
    return CheckResult(
        model_id=pack.id,
        model_name=pack.name,
        model_version=pack.version,
        as_of=as_of.isoformat(),
        root=repo.root,
        head=repo.head,
        capability_level=level,
        target_level=cfg.target_level,
        gate=_gate(level, results, findings, ctx),
        practices=tuple(results),
        profile=_profile(results, pack),
        findings=sort_findings([_encodable(f) for f in findings]),
        documents=tuple(sorted((_summary(d) for d in docs), key=lambda s: s.path)),
        areas=tuple((a.id, a.name) for a in pack.areas),
        levels=tuple((lv.level, lv.name) for lv in pack.levels),
    )


def _rate_practice(
    p: Practice, ctx: _Ctx, w_practice: Mapping[str, Waiver], w_activity: Mapping[tuple[str, str], Waiver]
) -> tuple[PracticeResult, list[_Gap], list[Finding]]:
    """One Practice: out of scope, waived, or each activity rated and the documentation type checked."""
    index = ctx.index
    serving_paths = tuple(sorted({d.path for d in index.serving.get(p.id, [])}))
    head = (p.id, p.title, p.area, p.level, p.phase, p.type)
    if not _in_scope(p, ctx.cfg):
        acts = tuple(ActivityResult(a.id, "not-rated", a.summary) for a in p.activities)
        return PracticeResult(*head, "not-rated", acts, None, serving_paths), [], []
    if p.id in w_practice:
        w = w_practice[p.id]
        acts = tuple(ActivityResult(a.id, "not-applicable", a.summary, (), w.reason or "") for a in p.activities)
        return PracticeResult(*head, "not-applicable", acts, None, serving_paths, waiver=w.reason), [], []
    findings: list[Finding] = []
    results: list[ActivityResult] = []
    gaps: list[_Gap] = []
    for a in p.activities:
        if (p.id, a.id) in w_activity:
            results.append(ActivityResult(a.id, "not-applicable", a.summary, (), w_activity[(p.id, a.id)].reason or ""))
            continue
        result, act_findings = _rate_activity(p, a, ctx)
        results.append(result)
        findings += act_findings
        if result.status != "satisfied":
            gaps.append(_Gap(p, a, result))
    met, why = _doctype(p, ctx)
    if not met and index.serving.get(p.id):
        main = _main_document(p, index)
        findings.append(
            make(
                "doctype-missing",
                f"{p.id} ({p.type or 'documentation'}): {why}",
                path=main.path if main else None,
                line=main.doc.meta_line("practices") if main else None,
                practice=p.id,
            )
        )
    ok = met and all(x.status in ("satisfied", "not-applicable") for x in results)
    status: PracticeStatus = "satisfied" if ok else "not-satisfied"
    return PracticeResult(*head, status, tuple(results), met, serving_paths), gaps, findings


def _gap_findings(gaps: Sequence[_Gap], results: Sequence[PracticeResult], ctx: _Ctx) -> list[Finding]:
    """`activity-not-evidenced` findings: one per Practice nothing (approved) serves, else one per activity."""
    index, pack = ctx.index, ctx.pack
    findings: list[Finding] = []
    status_of = {r.id: r.status for r in results}
    unserved = {p.id for p in pack.practices if not index.serving.get(p.id)}
    unapproved = {
        p.id
        for p in pack.practices
        if index.serving.get(p.id) and not any(d.meta.approved for d in index.serving[p.id])
    }
    gap_count = Counter(g.practice.id for g in gaps)
    # One finding per Practice, not one per activity, when nothing (approved) serves it at all.
    for pid in sorted(set(gap_count) & unserved):
        findings.append(
            make(
                "activity-not-evidenced",
                f"no document serves {pid}: its {gap_count[pid]} Required Activities have no evidence",
                practice=pid,
                hint=f"Add an approved document with {pid} in `practices` "
                f"(`escm-check explain {pid}` lists what it must cover).",
            )
        )
    for pid in sorted(set(gap_count) & unapproved):
        docs_ = sorted(index.serving[pid], key=lambda d: d.path)
        drafts = listed([f"{d.path} ({d.meta.status or 'no status'})" for d in docs_], LISTED)
        findings.append(
            make(
                "activity-not-evidenced",
                f"{pid}: none of its documents is approved, so its {gap_count[pid]} Required Activities have no "
                f"evidence: {drafts}",
                path=docs_[0].path,
                line=docs_[0].doc.meta_line("status"),
                practice=pid,
                hint="Approve the document (status: approved, approved_by, approved_on).",
            )
        )
    mains: dict[str, DocInput | None] = {}  # one per Practice, however many of its activities are gaps
    for g in gaps:
        p, a = g.practice, g.activity
        if p.id in unserved or p.id in unapproved:
            continue
        if p.id not in mains:
            mains[p.id] = _main_document(p, index)
        main = mains[p.id]
        causes = [s for s in a.supports if s != p.id and status_of.get(s) == "not-satisfied"]
        cause = f"Support Practice {', '.join(causes)} not satisfied" if causes else None
        reason = g.result.reason
        msg = f"{p.id}.{a.id} not evidenced: {reason}" if reason else f"{p.id}.{a.id} not evidenced"
        held = [s for s in g.result.sides if s.satisfied and s.evidence]
        if held and len(g.result.sides) > 1:
            msg += "; " + "; ".join(f"{s.side} at {', '.join(e.ref for e in s.evidence[:3])}" for s in held)
        if cause:
            msg += f" ({cause})"
        findings.append(
            make(
                "activity-not-evidenced",
                msg,
                path=main.path if main else None,
                line=main.doc.meta_line("practices") if main else None,
                practice=p.id,
                activity=a.id,
                cause=cause,
                # the catalogue's hint fits one-sided rules; a two-sided gap says which side to add
                hint=_gap_hint(p, g.result) if len(g.result.sides) > 1 else None,
            )
        )
    return findings


def _gap_hint(p: Practice, r: ActivityResult) -> str:
    """How to close the side that is missing, in the syntax the documents use."""
    key = f"{p.id}.{r.id}"
    hints = []
    doc = r.documented
    if doc is not None and not doc.satisfied and doc.check == "tagged-section":
        where = f"an approved {' or '.join(doc.doc_types)}" if doc.doc_types else "an approved document"
        hints.append(f"Describe it in a section of {where} tagged <!-- escm: {key} -->")
    done = r.performed
    if done is not None and not done.satisfied and done.check in ("record", "record-or-section"):
        kind = f"record_kind: {' or '.join(done.record_kinds)}, " if done.record_kinds else ""
        hints.append(
            f"Keep a record (type: record, {kind}date: within {done.max_age}) with satisfies: {{{p.id}: [{r.id}]}}"
        )
    return "; ".join(hints) + ("." if hints else "")


def _gate(level: int, results: Sequence[PracticeResult], findings: Sequence[Finding], ctx: _Ctx) -> Gate:
    """The gate: the level against the target, blocking error findings, and a shallow clone."""
    pack, cfg = ctx.pack, ctx.cfg
    practice_level = {p.id: p.level for p in pack.practices}
    target = cfg.target_level
    top = target if target is not None else max((p.level for p in pack.practices), default=1)
    reasons: list[str] = []
    if level < top:
        gaps = sorted(r.id for r in results if r.level <= top and r.status == "not-satisfied")
        reasons.append(
            f"Capability Level {level} is below the {'target' if target else 'highest'} level {top}"
            + (f": {len(gaps)} Practice(s) not satisfied" if gaps else "")
        )
    blocking = sorted(
        {
            f.rule
            for f in findings
            if f.severity == "error"
            and f.rule in BLOCKING
            and (f.practice is None or practice_level.get(f.practice, 0) <= top)
        }
    )
    if blocking:
        reasons.append("error findings: " + ", ".join(blocking))
    if ctx.repo.shallow:
        reasons.append(
            "shallow clone: history-based activities cannot be rated; fetch the full "
            "history (in GitHub Actions: actions/checkout with fetch-depth: 0)"
        )
    return Gate(passed=not reasons, target_level=target, reasons=tuple(reasons))


def _encodable(f: Finding) -> Finding:
    """The finding with any undecodable bytes shown as `\\xff`, so every reporter can write it."""
    if f"{f.message}{f.hint}{f.path or ''}{f.cause or ''}".isascii():
        return f  # nearly every finding: one test rather than four
    message, hint = encodable(f.message), encodable(f.hint)
    path = encodable(f.path) if f.path is not None else None
    cause = encodable(f.cause) if f.cause is not None else None
    if (message, path, hint, cause) == (f.message, f.path, f.hint, f.cause):
        return f
    return msgspec.structs.replace(f, message=message, path=path, hint=hint, cause=cause)


def _main_document(p: Practice, index: _Index) -> DocInput | None:
    """The document a Practice's gaps are reported against: its typed, approved one first."""
    serving = index.serving.get(p.id, [])
    if not serving:
        return None

    def rank(d: DocInput) -> tuple[int, int, str]:
        return (0 if d.meta.type == p.type else 1, 0 if d.meta.approved else 1, d.path)

    return min([d for d in serving if d.meta.type != "record"] or serving, key=rank)


def _profile(results: Sequence[PracticeResult], pack: Pack) -> tuple[ProfileCell, ...]:
    cells: dict[tuple[str, int], list[int]] = {}
    for r in results:
        if r.status == "not-rated":
            continue
        c = cells.setdefault((r.area, r.level), [0, 0])
        c[1] += 1
        if r.status in ("satisfied", "not-applicable"):
            c[0] += 1
    order = {a.id: i for i, a in enumerate(pack.areas)}
    return tuple(
        ProfileCell(a, lv, s, n)
        for (a, lv), (s, n) in sorted(cells.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1]))
    )


def _summary(d: DocInput) -> DocumentSummary:
    m = d.meta
    return DocumentSummary(
        path=d.path,
        format=d.doc.format,
        id=m.id,
        type=m.type,
        status=m.status,
        version=m.version,
        practices=m.practices,
        last_commit=d.control.last_commit if d.control else None,
        history=d.control.versions if d.control else (),
    )


def unclaimed_documents(
    docs: Sequence[DocInput], pack: Pack, cfg: Config, crosswalked: frozenset[str] = frozenset()
) -> list[str]:
    """Paths of the documents that claim nothing: not evidence, never judged."""
    return [d.path for d in docs if not claims_something(d.doc, d.meta, cfg.field_map, pack.doc_types, crosswalked)]


__all__ = [
    "BLOCKING",
    "UNIVERSAL_TYPES",
    "Control",
    "DocInput",
    "Duration",
    "RepoInfo",
    "build_index",
    "capability_level",
    "check_waivers",
    "evaluate",
    "same_person",
    "structure_findings",
]
