"""Hand-built CheckResult values for the reporter tests.

The reporters are pure functions of one CheckResult, so their tests build that value directly
instead of running the pipeline: this keeps them fast and lets them cover states (waivers,
regressions, hostile strings, thousands of findings) that a small example repository would not
produce.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from escm_check.findings import Finding, make
from escm_check.result import (
    ActivityResult,
    CheckResult,
    DocumentSummary,
    Evidence,
    Gate,
    PracticeResult,
    PracticeStatus,
    ProfileCell,
    RegressionEntry,
    VersionEntry,
)

AREAS: tuple[tuple[str, str], ...] = (
    ("knw", "Knowledge Management"),
    ("ppl", "People Management"),
    ("prf", "Performance Management"),
    ("rel", "Relationship Management"),
    ("tch", "Technology Management"),
    ("thr", "Threat Management"),
    ("cnt", "Contracting"),
    ("sdd", "Service Design & Deployment"),
    ("del", "Service Delivery"),
    ("tfr", "Service Transfer"),
)

LEVELS: tuple[tuple[int, str], ...] = (
    (1, "Providing services"),
    (2, "Consistently meeting requirements"),
    (3, "Managing organizational performance"),
    (4, "Proactively enhancing value"),
    (5, "Sustaining excellence"),
)

ROOT = "/srv/process-repo"
HEAD = "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9012345"


def commit(seed: str) -> str:
    """A stable 40-hex commit id derived from a word, so fixtures read like real history."""
    return hashlib.sha1(seed.encode()).hexdigest()


_GENERIC: dict[str, str] = {
    "a1": "Sponsor the work and fund the procedures.",
    "a2": "Have stakeholders help write, review and approve the procedures.",
    "a3": "Keep the procedures current and improve them.",
    "c1": "Tell stakeholders the procedures exist and where to find them.",
    "c2": "Supply the resources the work needs.",
    "c3": "Give qualified staff responsibility and authority for the work.",
    "c4": "Keep stakeholders informed of planned actions and results.",
    "c5": "Check that the work follows the procedures consistently.",
}


def _activities(
    practice: str,
    doc: str,
    b_summaries: Iterable[str],
    *,
    missing: Mapping[str, str],
    status: PracticeStatus,
) -> tuple[ActivityResult, ...]:
    """Activities a1-a3, b1..bn, c1-c5 with evidence where satisfied and a reason where not."""
    ids_and_text = [("a1", _GENERIC["a1"]), ("a2", _GENERIC["a2"]), ("a3", _GENERIC["a3"])]
    ids_and_text += [(f"b{i}", text) for i, text in enumerate(b_summaries, start=1)]
    ids_and_text += [(f"c{i}", _GENERIC[f"c{i}"]) for i in range(1, 6)]
    out: list[ActivityResult] = []
    for number, (aid, text) in enumerate(ids_and_text):
        if status in ("not-rated", "not-applicable"):
            out.append(ActivityResult(aid, status, text))
            continue
        if aid in missing:
            out.append(ActivityResult(aid, "not-satisfied", text, reason=missing[aid]))
            continue
        ev: tuple[Evidence, ...]
        if aid == "a1":
            ev = (Evidence(doc, 9, commit(doc + "owner"), "owner", "owner: Quality Manager"),)
        elif aid == "a2":
            ev = (
                Evidence(
                    doc,
                    10,
                    commit(doc + "approval"),
                    "approval",
                    "approved by Chief Operating Officer (author: R. Iyer)",
                ),
            )
        elif aid == "a3":
            ev = (Evidence(doc, None, commit(doc + "cc"), "change-control", "12 versions, reviewed"),)
        elif aid.startswith("b"):
            line = 20 + number * 7
            ev = (Evidence(doc, line, commit(doc + "body"), "tagged-section", f"§ {text[:32]}"),)
            if number % 3 == 0:
                # Two pieces of evidence for some activities: the report must list them all.
                ev += (Evidence(doc, None, commit(doc + "claim"), "claim", "satisfies claim"),)
        else:
            record = f"records/{practice}/2026-01-{10 + number:02d}-review.md"
            ev = (Evidence(record, 1, commit(record), "record", "dated 2026-01-15"),)
        out.append(ActivityResult(aid, "satisfied", text, ev))
    return tuple(out)


def _practice(
    pid: str,
    title: str,
    level: int,
    phase: str,
    doctype: str | None,
    status: PracticeStatus,
    b_summaries: Iterable[str],
    *,
    doc: str,
    missing: Mapping[str, str] | None = None,
    waiver: str | None = None,
    doctype_met: bool | None = True,
    documents: tuple[str, ...] | None = None,
) -> PracticeResult:
    return PracticeResult(
        id=pid,
        title=title,
        area=pid[:3],
        level=level,
        phase=phase,
        type=doctype,
        status=status,
        activities=_activities(pid, doc, b_summaries, missing=missing or {}, status=status),
        doctype_met=None if status in ("not-rated", "not-applicable") else doctype_met,
        documents=documents if documents is not None else (doc,),
        waiver=waiver,
    )


def profile_of(practices: Iterable[PracticeResult]) -> tuple[ProfileCell, ...]:
    """Practice Satisfaction Profile as the evaluator computes it: not-rated and waived are out."""
    cells: dict[tuple[str, int], list[int]] = {}
    for p in practices:
        cell = cells.setdefault((p.area, p.level), [0, 0])
        if p.status in ("satisfied", "not-satisfied"):
            cell[1] += 1
            cell[0] += p.status == "satisfied"
    order = {a: i for i, (a, _) in enumerate(AREAS)}
    return tuple(
        ProfileCell(area, level, sat, scope)
        for (area, level), (sat, scope) in sorted(
            cells.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][0], kv[0][1])
        )
    )


KNW07_DOC = "policies/knowledge/PRC-KNW-07 version and change control.md"


def _practices() -> tuple[PracticeResult, ...]:
    return (
        _practice(
            "knw01",
            "Sharing knowledge",
            2,
            "Ongoing",
            "procedure",
            "satisfied",
            ["Identify knowledge staff need.", "Share it through the knowledge system."],
            doc="policies/knowledge/PRC-KNW-01 sharing knowledge.md",
        ),
        _practice(
            "knw02",
            "Process assets",
            2,
            "Ongoing",
            "procedure",
            "satisfied",
            [
                "Keep a library of process assets.",
                "Make assets available to engagements.",
                "Collect feedback on assets.",
            ],
            doc="policies/knowledge/PRC-KNW-02 process assets.md",
        ),
        _practice(
            "knw07",
            "Version and change control",
            2,
            "Ongoing",
            "procedure",
            "not-satisfied",
            [
                "Identify the work products to control.",
                "Control changes to them.",
                "Record the version history.",
                "Restrict access to baselines.",
            ],
            doc=KNW07_DOC,
            missing={
                "b3": "no approved document tags knw07.b3",
                "c5": "newest verification record is dated 2025-02-03, older than 12 months",
            },
        ),
        _practice(
            "knw05",
            "Technology assets",
            3,
            "Ongoing",
            None,
            "satisfied",
            ["Catalogue reusable technology assets."],
            doc="programs/knowledge/PRG-KNW-05 technology assets.docx",
        ),
        _practice(
            "knw08",
            "Knowledge system",
            3,
            "Ongoing",
            "procedure",
            "not-satisfied",
            ["Establish the knowledge system.", "Keep its contents current."],
            doc="policies/knowledge/PRC-KNW-08 knowledge system.md",
            missing={"b2": "tagged section has no substantive content"},
        ),
        _practice(
            "ppl01",
            "Encourage innovation",
            2,
            "Ongoing",
            "policy",
            "not-satisfied",
            ["State the innovation policy."],
            doc="policies/people/POL-PPL-01 innovation.md",
            missing={"a2": "approved by the author of the change"},
            doctype_met=False,
        ),
        _practice(
            "ppl02",
            "Define roles",
            2,
            "Ongoing",
            "procedure",
            "satisfied",
            ["Define roles and responsibilities.", "Publish role descriptions."],
            doc="policies/people/PRC-PPL-02 roles.md",
        ),
        _practice(
            "ppl10",
            "Workforce competencies",
            4,
            "Ongoing",
            "program",
            "not-rated",
            ["Define the competency framework."],
            doc="programs/people/PRG-PPL-10 competencies.md",
            documents=(),
        ),
        _practice(
            "prf02",
            "Verify processes",
            2,
            "Ongoing",
            "procedure",
            "satisfied",
            ["Plan process verification.", "Run verifications and record results."],
            doc="policies/performance/PRC-PRF-02 verification.md",
        ),
        _practice(
            "prf06",
            "Organizational objectives",
            3,
            "Ongoing",
            "plan",
            "satisfied",
            ["Set objectives.", "Review progress against them."],
            doc="plans/PLN-PRF-06 objectives.md",
        ),
        _practice(
            "prf10",
            "Make improvements",
            4,
            "Ongoing",
            "program",
            "not-rated",
            ["Plan improvement programs."],
            doc="programs/PRG-PRF-10 improvements.md",
            documents=(),
        ),
        _practice(
            "tch01",
            "Acquire technology",
            2,
            "Ongoing",
            "procedure",
            "satisfied",
            ["Work out what technology is needed.", "Weigh options and choose one.", "Plan and run the roll-out."],
            doc="policies/technology/PRC-TCH-01 acquire technology.md",
        ),
        _practice(
            "tch05",
            "Optimize technology",
            3,
            "Ongoing",
            None,
            "not-applicable",
            ["Measure technology performance."],
            doc="policies/technology/PRC-TCH-05 optimize.md",
            documents=(),
            waiver="No provider-owned technology: all tooling is supplied by the client "
            "(approved by CIO, expires 2026-12-31)",
        ),
        _practice(
            "tch06",
            "Proactively introduce technology",
            4,
            "Ongoing",
            "procedure",
            "not-rated",
            ["Scan for technology that adds value."],
            doc="policies/technology/PRC-TCH-06 introduce.md",
            documents=(),
        ),
        _practice(
            "del01",
            "Plan service delivery",
            2,
            "Delivery",
            "plan",
            "satisfied",
            ["Plan delivery against commitments.", "Review the plan with the client."],
            doc="plans/PLN-DEL-01 service delivery plan.md",
        ),
        _practice(
            "del04",
            "Verify service commitments",
            2,
            "Delivery",
            "procedure",
            "not-satisfied",
            ["Check delivery against commitments.", "Report the results to the client."],
            doc="policies/delivery/PRC-DEL-04 verify commitments.md",
            missing={
                "a3": "review overdue since 2026-01-31 (cause: knw07 not satisfied)",
                "b2": "no approved document tags del04.b2",
            },
        ),
    )


def _findings() -> tuple[Finding, ...]:
    return (
        make(
            "activity-not-evidenced",
            "knw07.b3 has no evidence in an approved document.",
            practice="knw07",
            activity="b3",
        ),
        make(
            "record-stale",
            "Newest verification record for knw07.c5 is from 2025-02-03.",
            path="records/knw07/2025-02-03-verification.md",
            line=4,
            practice="knw07",
            activity="c5",
        ),
        make(
            "section-empty",
            "Section 'Knowledge system contents' tagged knw08.b2 is empty.",
            path="policies/knowledge/PRC-KNW-08 knowledge system.md",
            line=41,
            practice="knw08",
            activity="b2",
        ),
        make(
            "self-approved",
            "Commit 3e1f0a2 was approved by its author R. Iyer.",
            path="policies/people/POL-PPL-01 innovation.md",
            line=None,
            practice="ppl01",
            activity="a2",
        ),
        make("doctype-missing", "ppl01 expects an approved policy; POL-PPL-01 is in-review.", practice="ppl01"),
        make(
            "review-overdue",
            "Review of PRC-DEL-04 was due on 2026-01-31.",
            path="policies/delivery/PRC-DEL-04 verify commitments.md",
            line=12,
            practice="del04",
            activity="a3",
            cause="knw07",
        ),
        make(
            "activity-not-evidenced",
            "del04.b2 has no evidence in an approved document.",
            practice="del04",
            activity="b2",
        ),
        make(
            "front-matter-unknown-key",
            "Key 'aproved_by' looks like 'approved_by'.",
            path="policies/people/PRC-PPL-02 roles.md",
            line=8,
        ),
        make(
            "version-not-string",
            "version: 2.10 is a number and reads as 2.1.",
            path=KNW07_DOC,
            line=7,
            practice="knw07",
        ),
        make("untracked-document", "drafts/new-onboarding.md is not tracked by git.", path="drafts/new-onboarding.md"),
        make("file-skipped", "Symlink skipped.", path="shared/handbook-link"),
        make("waiver-invalid", "A waiver names xyz99, which the rule pack does not have."),
    )


def _documents() -> tuple[DocumentSummary, ...]:
    docs: list[DocumentSummary] = []
    specs = [
        (KNW07_DOC, "markdown", "PRC-KNW-07", "procedure", "approved", "2.10", ("knw07",)),
        (
            "policies/delivery/PRC-DEL-04 verify commitments.md",
            "markdown",
            "PRC-DEL-04",
            "procedure",
            "approved",
            "1.3",
            ("del04",),
        ),
        (
            "policies/people/POL-PPL-01 innovation.md",
            "markdown",
            "POL-PPL-01",
            "policy",
            "in-review",
            "0.4",
            ("ppl01",),
        ),
        (
            "programs/knowledge/PRG-KNW-05 technology assets.docx",
            "docx",
            "PRG-KNW-05",
            "program",
            "approved",
            "1.0",
            ("knw05",),
        ),
        (
            "records/knw07/2025-02-03-verification.md",
            "markdown",
            "REC-KNW-07-2025-02",
            "record",
            "approved",
            None,
            ("knw07",),
        ),
    ]
    authors = ["R. Iyer", "M. Okafor", "L. Brandt"]
    approvers = ["Chief Operating Officer", "Quality Manager", None]
    for path, fmt, did, dtype, status, version, practices in specs:
        history: list[VersionEntry] = []
        n = 4 if version else 1
        for i in range(n):
            history.append(
                VersionEntry(
                    commit=commit(f"{path}#{i}"),
                    date=f"2025-{3 + i * 2:02d}-1{i}",
                    author=authors[i % 3],
                    version=None if version is None else f"{version.split('.')[0]}.{i}",
                    approver=approvers[i % 3],
                )
            )
        docs.append(
            DocumentSummary(
                path=path,
                format=fmt,
                id=did,
                type=dtype,
                status=status,
                version=version,
                practices=practices,
                last_commit=history[-1].commit,
                history=tuple(reversed(history)),
            )
        )
    return tuple(docs)


def typical_result() -> CheckResult:
    """A realistic mid-journey repository: Level 1 supported against a Level 3 target."""
    practices = _practices()
    return CheckResult(
        model_id="escm-sp-v2",
        model_name="eSourcing Capability Model for Service Providers",
        model_version="2",
        as_of="2026-03-01",
        root=ROOT,
        head=HEAD,
        capability_level=1,
        target_level=3,
        gate=Gate(
            passed=False,
            target_level=3,
            reasons=(
                "Capability Level 1 is below the target Level 3.",
                "4 Practices in scope are not satisfied: knw07, knw08, ppl01, del04.",
                "7 error findings.",
            ),
        ),
        practices=practices,
        profile=profile_of(practices),
        findings=_findings(),
        documents=_documents(),
        areas=AREAS,
        levels=LEVELS,
        regressions=(RegressionEntry("knw07", "c5", "satisfied", "not-satisfied"),),
        improvements=(RegressionEntry("tch01", None, "not-satisfied", "satisfied"),),
        since="v2025.12",
    )


def passing_result() -> CheckResult:
    """Every Practice up to Level 2 satisfied and the gate passed, with no findings."""
    practices = tuple(p for p in _practices() if p.status == "satisfied" and p.level == 2)
    return CheckResult(
        model_id="escm-sp-v2",
        model_name="eSourcing Capability Model for Service Providers",
        model_version="2",
        as_of="2026-03-01",
        root=ROOT,
        head=HEAD,
        capability_level=2,
        target_level=2,
        gate=Gate(passed=True, target_level=2),
        practices=practices,
        profile=profile_of(practices),
        findings=(),
        areas=AREAS,
        levels=LEVELS,
    )


def empty_result() -> CheckResult:
    """Nothing at all: no HEAD, no target, no Practices, no model metadata tables."""
    return CheckResult(
        model_id="escm-sp-v2",
        model_name="eSourcing Capability Model for Service Providers",
        model_version="2",
        as_of="2026-03-01",
        root=".",
        head=None,
        capability_level=1,
        target_level=None,
        gate=Gate(passed=True, target_level=None),
        practices=(),
        profile=(),
        findings=(),
    )


HOSTILE = "<script>alert('x')</script> & \"q\" | *b* _i_ `c` [l](u) \x07 ]]> é"


def hostile_result() -> CheckResult:
    """Markup-looking text in every free-text field, to prove each reporter escapes it."""
    act = ActivityResult(
        "b1",
        "satisfied",
        HOSTILE,
        (Evidence(f"docs/{HOSTILE}.md", 3, commit("h"), "tagged-section", HOSTILE),),
    )
    miss = ActivityResult("b2", "not-satisfied", HOSTILE, reason=HOSTILE)
    practice = PracticeResult(
        "knw07",
        HOSTILE,
        "knw",
        2,
        "Ongoing",
        "procedure",
        "not-satisfied",
        (act, miss),
        doctype_met=False,
        documents=(f"docs/{HOSTILE}.md",),
    )
    waived = PracticeResult(
        "knw01",
        "Sharing knowledge",
        "knw",
        2,
        "Ongoing",
        "procedure",
        "not-applicable",
        (),
        waiver=HOSTILE,
    )
    finding = Finding(
        rule="activity-not-evidenced",
        severity="error",
        message=HOSTILE,
        path=f"docs/{HOSTILE}.md",
        line=3,
        practice="knw07",
        activity="b2",
        hint=HOSTILE,
    )
    doc = DocumentSummary(
        f"docs/{HOSTILE}.md",
        "markdown",
        HOSTILE,
        "procedure",
        "approved",
        HOSTILE,
        ("knw07",),
        commit("h"),
        (VersionEntry(commit("h"), "2026-01-01", HOSTILE, HOSTILE, HOSTILE),),
    )
    return CheckResult(
        model_id="escm-sp-v2",
        model_name=HOSTILE,
        model_version="2",
        as_of="2026-03-01",
        root=f"/tmp/{HOSTILE}",
        head=HEAD,
        capability_level=1,
        target_level=2,
        gate=Gate(False, 2, (HOSTILE,)),
        practices=(practice, waived),
        profile=profile_of((practice, waived)),
        findings=(finding,),
        documents=(doc,),
        areas=(("knw", HOSTILE),),
        levels=((2, HOSTILE),),
    )


def huge_result(n_practices: int = 84, findings_per_practice: int = 60) -> CheckResult:
    """A worst case for size limits: every Practice failing with many long findings."""
    practices: list[PracticeResult] = []
    findings: list[Finding] = []
    areas = [a for a, _ in AREAS]
    long_tail = " ".join(["because the evidence was not found in any approved document"] * 4)
    for i in range(n_practices):
        area = areas[i % len(areas)]
        pid = f"{area}{i // len(areas) + 1:02d}"
        level = 2 + i % 3
        missing = {f"b{k}": f"no evidence for b{k}" for k in range(1, 6)}
        doc = f"policies/{area}/PRC-{pid.upper()}-a-rather-long-document-name.md"
        practices.append(
            _practice(
                pid,
                f"Practice {pid} with a long descriptive title",
                level,
                "Ongoing",
                "procedure",
                "not-satisfied",
                [f"Activity {k}" for k in range(1, 8)],
                doc=doc,
                missing=missing,
            )
        )
        for k in range(findings_per_practice):
            findings.append(
                make(
                    "activity-not-evidenced",
                    f"{pid}.b{k} is missing {long_tail}.",
                    path=doc,
                    line=k + 1,
                    practice=pid,
                    activity=f"b{k}",
                )
            )
    return CheckResult(
        model_id="escm-sp-v2",
        model_name="eSourcing Capability Model for Service Providers",
        model_version="2",
        as_of="2026-03-01",
        root=ROOT,
        head=HEAD,
        capability_level=1,
        target_level=4,
        gate=Gate(False, 4, tuple(f"reason {i}" for i in range(30))),
        practices=tuple(practices),
        profile=profile_of(practices),
        findings=tuple(findings),
        areas=AREAS,
        levels=LEVELS,
    )


__all__ = [
    "AREAS",
    "HEAD",
    "HOSTILE",
    "LEVELS",
    "ROOT",
    "commit",
    "empty_result",
    "hostile_result",
    "huge_result",
    "passing_result",
    "profile_of",
    "typical_result",
]
