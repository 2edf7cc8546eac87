"""The two sides of an activity's evidence load as data: `documented` and `performed`.

Packs are written to temporary folders and loaded through the real loader; the built-in pack
is the base of the extending ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from escm_check.checks import CHECK_KINDS, SIDES, kinds_for
from escm_check.rulepack import Activity, Pack, PackError, load_pack, schema_document

from .evalkit import config, pack

HEAD = 'id: {id}\nname: Test\nversion: "1"\nextends: escm-sp-v2\n'
RECORD_KINDS = {
    "minutes",
    "register",
    "report",
    "training-record",
    "test-result",
    "review-record",
    "audit-report",
    "agreement",
    "approval",
    "communication",
    "measurement",
    "feedback",
}


def act(p: Pack, practice: str, activity: str) -> Activity:
    pr = p.practice(practice)
    assert pr is not None
    a = pr.activity(activity)
    assert a is not None
    return a


def write_pack(folder: Path, head: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(head, encoding="utf-8")
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_built_in_pack_names_twelve_record_kinds_each_with_a_summary() -> None:
    kinds = pack().record_kinds
    assert set(kinds) == RECORD_KINDS
    assert all(len(s) > 20 for s in kinds.values())


def test_the_schema_check_enums_are_the_registry() -> None:
    defs = schema_document()["$defs"]
    for side in SIDES:
        assert defs[f"{side}_check"]["enum"] == list(kinds_for(side))
    assert {k for side in SIDES for k in kinds_for(side)} == set(CHECK_KINDS)


def test_a_side_left_out_takes_the_default_for_the_position() -> None:
    defaults = pack().evidence_defaults
    assert set(defaults) >= {"a1", "a2", "a3", "b", "c1", "c2", "c3", "c4", "c5"}
    for key, sides in defaults.items():
        assert sides.documented is not None or sides.performed is not None, key
    for p in pack().practices:
        for a in p.activities:
            assert a.rules, f"{p.id}.{a.id} asks for nothing"
            for r in a.rules:
                assert r.side in CHECK_KINDS[r.check].sides, f"{p.id}.{a.id}"


def test_an_activity_sets_one_side_and_keeps_the_other(tmp_path: Path) -> None:
    practices = (
        "area: zzz\npractices:\n  - id: zzz01\n    title: Own practice\n    phase: Ongoing\n    level: 2\n"
        "    type: procedure\n    summary: A Practice of the organization's own.\n    activities:\n"
        "      - {id: a1, summary: Sponsor it.}\n"
        "      - id: b1\n        summary: Keep training records.\n"
        "        performed: {check: record, record_kinds: [training-record], reason: The point is that it was done.}\n"
        "      - id: b2\n        summary: Define the terms.\n"
        "        documented: {check: tagged-section, doc_types: [policy]}\n"
        "      - {id: c1, summary: Check it., performed: null, documented: {check: tagged-section}}\n"
    )
    head = HEAD.format(id="own") + "areas:\n  - {id: zzz, name: Own}\nfiles: [zzz.yaml]\n"
    p = load_pack(write_pack(tmp_path / "own", head, {"zzz.yaml": practices}))
    b1 = act(p, "zzz01", "b1")
    assert b1.documented is not None and b1.documented.check == "tagged-section" and not b1.documented.own
    assert b1.performed is not None and b1.performed.record_kinds == ("training-record",)
    assert b1.performed.own and b1.performed.max_age is None
    assert b1.performed.reason == "The point is that it was done."
    b2 = act(p, "zzz01", "b2")
    assert b2.documented is not None and b2.documented.doc_types == ("policy",) and b2.performed is None
    c1 = act(p, "zzz01", "c1")
    assert c1.performed is None and c1.documented is not None


def test_b_by_type_applies_to_practices_of_that_type_only(tmp_path: Path) -> None:
    head = HEAD.format(id="typed") + (
        "evidence_defaults:\n  b_by_type:\n"
        "    plan: {documented: {check: tagged-section, doc_types: [plan]}}\n"
        "    program:\n      performed: {check: record, record_kinds: [report]}\n"
    )
    p = load_pack(write_pack(tmp_path / "typed", head))
    plan_b = act(p, "del01", "b1")  # del01 expects a plan
    assert plan_b.documented is not None and plan_b.documented.doc_types == ("plan",)
    assert plan_b.performed is None
    program_b = act(p, "prf07", "b1")  # prf07 expects a program: documented stays the base's
    assert program_b.documented is not None and program_b.documented.doc_types == ("program", "plan")
    assert program_b.performed is not None and program_b.performed.record_kinds == ("report",)
    other = act(p, "knw07", "b1")
    assert other.sides == act(pack(), "knw07", "b1").sides
    assert p.evidence_defaults["b:plan"].documented is not None
    assert p.evidence_defaults["b:plan"].performed is None


def test_b_by_type_names_a_known_documentation_type(tmp_path: Path) -> None:
    head = HEAD.format(id="typo") + "evidence_defaults:\n  b_by_type:\n    plna: {performed: null}\n"
    with pytest.raises(PackError) as exc:
        load_pack(write_pack(tmp_path / "typo", head))
    assert "pack.yaml:7: evidence_defaults b_by_type: unknown documentation type 'plna'" in str(exc.value)


def test_an_extending_pack_adds_record_kinds(tmp_path: Path) -> None:
    head = HEAD.format(id="kinds") + (
        "record_kinds:\n  incident-log: {summary: Each incident as it was handled.}\noverlays: [o.yaml]\n"
    )
    overlay = (
        "changes:\n  - practice: thr04\n    reason: Incidents are logged, not minuted.\n"
        "    change_activities:\n      - id: b1\n"
        "        performed: {check: record, record_kinds: [incident-log, register], max_age: 3 months}\n"
    )
    p = load_pack(write_pack(tmp_path / "kinds", head, {"o.yaml": overlay}))
    assert set(p.record_kinds) == RECORD_KINDS | {"incident-log"}
    b1 = act(p, "thr04", "b1")
    assert b1.performed is not None and b1.performed.record_kinds == ("incident-log", "register")
    assert b1.documented == act(pack(), "thr04", "b1").documented


def test_an_overlay_patch_keeps_the_check_and_changes_the_keys_given(tmp_path: Path) -> None:
    overlay = (
        "changes:\n  - practice: knw07\n    reason: Verification is minuted.\n"
        "    change_activities:\n      - id: c5\n        performed: {record_kinds: [minutes]}\n"
        "      - id: b1\n        documented: null\n        performed: {check: record, record_kinds: [register]}\n"
    )
    p = load_pack(write_pack(tmp_path / "o", HEAD.format(id="o") + "overlays: [o.yaml]\n", {"o.yaml": overlay}))
    c5 = act(p, "knw07", "c5")
    assert c5.performed is not None and c5.performed.check == "record"
    assert c5.performed.record_kinds == ("minutes",) and c5.performed.max_age == "12 months"
    b1 = act(p, "knw07", "b1")
    assert b1.documented is None and b1.performed is not None and b1.performed.check == "record"
    knw07 = p.practice("knw07")
    assert knw07 is not None and "b1 documented: nothing asked" in knw07.tailoring[0]


def test_a_patch_without_a_check_on_an_empty_side_is_reported(tmp_path: Path) -> None:
    overlay = (
        "changes:\n  - practice: knw07\n    reason: Stricter.\n"
        "    change_activities:\n      - id: b1\n        performed: {max_age: 3 months}\n"
    )
    with pytest.raises(PackError) as exc:
        load_pack(write_pack(tmp_path / "o", HEAD.format(id="o") + "overlays: [o.yaml]\n", {"o.yaml": overlay}))
    assert "o.yaml:6: knw07.b1: performed has no rule to change; name its `check`" in str(exc.value)


def test_front_matter_says_a_records_kind() -> None:
    from escm_check.adapters.markdown import parse_markdown
    from escm_check.metadata import normalise

    text = "---\nid: REC-1\ntype: record\nrecord_kind: minutes\ndate: 2026-10-01\npractices: [knw07]\n---\n# Minutes\n"
    meta, findings = normalise(parse_markdown(text, "minutes.md"), {})
    assert meta.record_kind == "minutes" and not findings
    bad, findings = normalise(parse_markdown(text.replace("minutes\n", "Minutes Of Meeting\n", 1), "m.md"), {})
    assert bad.record_kind is None
    assert [f.rule for f in findings] == ["front-matter-invalid"] and findings[0].line == 4


def test_every_performed_rule_of_the_pack_names_record_kinds_and_a_window() -> None:
    """Walk the built-in pack: a performed side that reads records names kinds the pack defines, and
    its window is its own max_age or the configuration's record_max_age (the default applies)."""
    from escm_check.durations import parse_duration

    p = pack()
    walked = 0
    for practice in p.practices:
        for a in practice.activities:
            assert a.rules, f"{practice.id}.{a.id} asks for nothing"
            rule = a.performed
            if rule is None or not CHECK_KINDS[rule.check].reads_records:
                continue
            walked += 1
            where = f"{practice.id}.{a.id}"
            assert rule.record_kinds, f"{where}: performed names no record kind"
            assert set(rule.record_kinds) <= set(p.record_kinds), where
            window = parse_duration(rule.max_age) if rule.max_age else config().record_max_age
            assert window.count > 0 and window.unit in ("day", "week", "month", "year"), where
    assert walked >= 84 * 5  # at least c1..c5 of every Practice
