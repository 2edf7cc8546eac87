"""Meta-test over the whole eSCM-SP v2 catalogue: valid, complete, counted, in our own words."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml
from escm_check.rulepack import Pack, load_pack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from seed_shingles import copied, load  # noqa: E402

PACK_DIR = ROOT / "rules" / "escm-sp-v2"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("escm-sp-v2")


def test_every_area_file_is_schema_valid() -> None:
    schema = json.loads((ROOT / "schemas" / "rulepack.schema.json").read_text())
    area = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/area_file"})
    head = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/pack_file"})
    meta = yaml.safe_load((PACK_DIR / "pack.yaml").read_text())
    assert list(head.iter_errors(meta)) == []
    for name in meta["files"]:
        data = yaml.safe_load((PACK_DIR / name).read_text())
        assert [e.message for e in area.iter_errors(data)] == [], name


def test_counts(pack: Pack) -> None:
    assert len(pack.practices) == 84
    assert Counter(p.level for p in pack.practices) == {2: 48, 3: 26, 4: 10}
    assert Counter(p.area for p in pack.practices) == {
        "knw": 8,
        "ppl": 11,
        "prf": 11,
        "rel": 8,
        "tch": 6,
        "thr": 7,
        "cnt": 11,
        "sdd": 8,
        "del": 8,
        "tfr": 6,
    }
    assert sum(p.support for p in pack.practices) == 13


def test_ids_are_unique_and_in_model_order(pack: Pack) -> None:
    ids = [p.id for p in pack.practices]
    assert len(set(ids)) == 84
    areas = [a.id for a in pack.areas]
    assert ids == sorted(ids, key=lambda i: (areas.index(i[:3]), int(i[3:])))
    for area in areas:
        nums = [int(i[3:]) for i in ids if i[:3] == area]
        assert nums == list(range(1, len(nums) + 1)), area


def test_every_practice_has_a_and_c_and_contiguous_b(pack: Pack) -> None:
    for p in pack.practices:
        ids = list(p.required_ids)
        assert ids[:3] == ["a1", "a2", "a3"], p.id
        assert ids[-5:] == ["c1", "c2", "c3", "c4", "c5"], p.id
        b = ids[3:-5]
        assert b and b == [f"b{i}" for i in range(1, len(b) + 1)], p.id
        for a in p.activities:
            if a.major in "ac":
                assert a.supports, f"{p.id}.{a.id} names no Support Practice"
            for r in a.recommended:
                assert r.id.startswith(a.id) and r.id[len(a.id) :].isalpha(), r.id


def test_attribute_values(pack: Pack) -> None:
    phases = {"Ongoing", "Initiation", "Delivery", "Completion"}
    for p in pack.practices:
        assert p.phase in phases
        assert p.type in (None, "policy", "procedure", "guideline", "program", "plan")
        area = next(a for a in pack.areas if a.id == p.area)
        assert p.phase in area.phases, p.id


def test_known_facts(pack: Pack) -> None:
    """Spot checks against the model text (Appendix B and the Practice bodies)."""

    def get(i: str):  # type: ignore[no-untyped-def]
        p = pack.practice(i)
        assert p is not None
        return p

    assert (get("knw07").level, get("knw07").type, get("knw07").title) == (2, "procedure", "Version & change control")
    assert (get("knw01").level, get("knw01").type) == (4, "policy")
    assert get("thr02").phase == "Ongoing" and any("Appendix B" in n for n in get("thr02").notes)
    assert get("prf07").type == "program"
    assert get("cnt02").type == "guideline"
    assert get("sdd03").type == "plan"
    assert {get(i).phase for i in ("tfr01", "tfr02")} == {"Initiation"}
    assert {get(i).phase for i in ("tfr03", "tfr04", "tfr05", "tfr06")} == {"Completion"}
    assert get("knw01").activity("a1").supports == ("knw04", "prf03")  # type: ignore[union-attr]
    assert get("knw02").activity("c5").supports == ("prf02",)  # type: ignore[union-attr]
    assert len([a for a in get("rel01").activities if a.major == "b"]) == 15


def test_damaged_source_is_recorded(pack: Pack) -> None:
    noted = {p.id for p in pack.practices if p.notes or any(a.notes for a in p.activities)}
    assert {"thr02", "prf09"} <= noted  # phase conflict; missing activity text recovered


def test_summaries_are_our_own_words(pack: Pack) -> None:
    fingerprint = load()
    texts = []
    for p in pack.practices:
        texts += [p.summary, *p.notes]
        for a in p.activities:
            texts.append(a.summary)
            texts += [r.summary for r in a.recommended]
    assert all(t.strip() for t in texts)
    copies = [t for t in texts if copied(t, fingerprint)]
    assert copies == []


def test_fingerprint_detects_a_copy() -> None:
    # The check above must be able to fail: a sentence lifted from the model is caught.
    lifted = (
        "Encourage knowledge sharing among stakeholders in order to enable them to learn and "
        "improve performance while they establish stronger relationships among themselves."
    )
    assert copied(lifted, load())
    assert not copied("Share what we know with clients and partners so everyone improves.", load())


def test_references_resolve(pack: Pack) -> None:
    ids = {p.id for p in pack.practices}
    for p in pack.practices:
        for a in p.activities:
            assert set(a.supports) <= ids
        for r in p.relationships:
            assert r.practice in ids and r.practice != p.id
