"""A broken rule pack is rejected with exit code 2 and a message naming file, line and problem."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from escm_check.cli import main

SRC = Path(__file__).resolve().parent.parent / "rules" / "escm-sp-v2"


def _edit(path: Path, old: str, new: str, count: int = 1) -> int:
    text = path.read_text()
    assert old in text, old
    before = text[: text.index(old)]
    path.write_text(text.replace(old, new, count))
    return before.count("\n") + 1


def _unknown_key(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "knw.yaml", "    phase: Ongoing\n", "    phase: Ongoing\n    colour: blue\n") + 1
    return "knw.yaml", line, "unknown key"


def _missing_activity(d: Path) -> tuple[str, int | None, str]:
    text = (d / "knw.yaml").read_text()
    # drop b2 of the first Practice: b1, b3 is not contiguous
    start = text.index("      - id: b2\n")
    end = text.index("      - id: b3\n")
    (d / "knw.yaml").write_text(text[:start] + text[end:])
    return "knw.yaml", None, "must be numbered b1..b"


def _missing_reference(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "ppl.yaml", "supports: [ppl", "supports: [zzz99, ppl")
    return "ppl.yaml", line, "'zzz99' does not exist"


def _duplicate_id(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "tfr.yaml", "  - id: tfr02\n", "  - id: tfr01\n")
    return "tfr.yaml", line, "duplicate Practice id 'tfr01'"


def _syntax_error(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "cnt.yaml", "    level: 3\n", "    level: [3\n")
    return "cnt.yaml", line, "YAML syntax error"


def _unknown_check_kind(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "pack.yaml", "documented: {check: owner-named,", "documented: {check: owner-is-nice,")
    return "pack.yaml", line, "is not one of"


# The first b-activity of knw01, given its own evidence rules in the tests below.
# knw01.b4 sets neither side in the pack, so a breaker adds the only one
_KNW01_B4 = "      - id: b4\n"


def _with_sides(d: Path, sides: str) -> int:
    """Give knw01's b4 the `sides` (YAML lines at activity indent); the line of the first one."""
    text = (d / "knw.yaml").read_text()
    at = text.index(_KNW01_B4)
    end = text.index("\n      - id: ", at + 1) + 1
    (d / "knw.yaml").write_text(text[:end] + sides + text[end:])
    return text[:end].count("\n") + 1


def _unknown_record_kind(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        performed: {check: record, record_kinds: [minuets]}\n")
    return "knw.yaml", line, "unknown record kind 'minuets'; did you mean 'minutes'?"


def _unknown_side_key(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        performed:\n          check: record\n          window: 6 months\n")
    return "knw.yaml", line + 2, "unknown key 'window'"


def _check_on_the_wrong_side(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        documented: {check: record}\n")
    return "knw.yaml", line, "is not one of"


def _param_the_check_ignores(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        performed: {check: independent-approval, record_kinds: [minutes]}\n")
    return "knw.yaml", line, "record_kinds has no effect on a independent-approval check (only on record"


def _both_sides_null(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        documented: null\n        performed: null\n")
    return "knw.yaml", line, "both documented and performed are null"


def _old_evidence_key(d: Path) -> tuple[str, int, str]:
    line = _with_sides(d, "        evidence: {check: record}\n")
    return "knw.yaml", line, "unknown key 'evidence'"


def _unknown_record_kind_in_defaults(d: Path) -> tuple[str, int, str]:
    line = _edit(d / "pack.yaml", "record_kinds: [audit-report,", "record_kinds: [memo,")
    return "pack.yaml", line, "unknown record kind 'memo'"


@pytest.mark.parametrize(
    "breaker",
    [
        _unknown_key,
        _missing_activity,
        _missing_reference,
        _duplicate_id,
        _syntax_error,
        _unknown_check_kind,
        _unknown_record_kind,
        _unknown_side_key,
        _check_on_the_wrong_side,
        _param_the_check_ignores,
        _both_sides_null,
        _old_evidence_key,
        _unknown_record_kind_in_defaults,
    ],
)
def test_broken_pack_exits_2_naming_file_line_problem(
    tmp_path: Path, breaker: Callable[[Path], tuple[str, int | None, str]]
) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SRC, pack)
    name, line, problem = breaker(pack)
    result = CliRunner().invoke(main, ["practices", "--rules", str(pack)])
    assert result.exit_code == 2, result.output
    out = result.output
    assert problem in out
    located = re.search(rf"{re.escape(name)}:(\d+): ", out)
    assert located, out
    if line is not None:
        assert int(located.group(1)) in (line, line + 1), out


def test_intact_copy_loads(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SRC, pack)
    result = CliRunner().invoke(main, ["practices", "--rules", str(pack), "--format", "json"])
    assert result.exit_code == 0, result.output


def test_include_path_cannot_escape(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(SRC, pack)
    _edit(pack / "pack.yaml", "files: [knw.yaml,", "files: [../../etc/passwd.yaml, knw.yaml,")
    result = CliRunner().invoke(main, ["practices", "--rules", str(pack)])
    assert result.exit_code == 2
    assert "pack.yaml:" in result.output and "does not match" in result.output


# --------------------------------------------------------------------------- what loads remember


class Memo:
    """A `PackMemo` in memory: what the cache keeps between runs."""

    def __init__(self) -> None:
        self.valid: set[str] = set()
        self.parses: dict[str, Any] = {}
        self.parsed_hits = 0

    def is_valid(self, key: str) -> bool:
        return key in self.valid

    def mark_valid(self, key: str) -> None:
        self.valid.add(key)

    def parsed(self, text: str, display: str) -> Any:
        loc = self.parses.get(text)
        self.parsed_hits += loc is not None
        return None if loc is None else msgspec.structs.replace(loc, path=display)

    def keep_parsed(self, text: str, loc: Any) -> None:
        self.parses[text] = loc


def test_remembered_parses_and_verdicts_never_hide_a_later_break(tmp_path: Path) -> None:
    from escm_check.rulepack import PackError, load_pack

    pack = tmp_path / "pack"
    shutil.copytree(SRC, pack)
    memo = Memo()
    first = load_pack(pack, memo=memo)
    assert len(memo.valid) == 11 and len(memo.parses) == 11  # pack.yaml and ten area files
    known = set(memo.valid)
    assert load_pack(pack, memo=memo) == first
    assert memo.valid == known and memo.parsed_hits == 11  # nothing parsed or validated again
    _, line, _ = _unknown_key(pack)
    with pytest.raises(PackError, match=rf"knw\.yaml:{line}: .*unknown key 'colour'"):
        load_pack(pack, memo=memo)
    assert memo.valid == known  # the broken file was not remembered as valid


def test_a_date_and_the_same_text_are_different_data() -> None:
    import datetime as dt

    from escm_check.rulepack import _validity_key

    assert _validity_key("area_file", {"d": dt.date(2026, 1, 2)}) != _validity_key("area_file", {"d": "2026-01-02"})
    assert _validity_key("area_file", {"n": 1}) != _validity_key("area_file", {"n": True})
    assert _validity_key("area_file", {"n": 1}) != _validity_key("overlay_file", {"n": 1})


def test_the_cache_remembers_rule_files_between_runs(tmp_path: Path) -> None:
    import sqlite3

    from escm_check.cache import DB_NAME
    from escm_check.config import load_config
    from escm_check.runner import pack_for

    root = tmp_path / "repo"
    root.mkdir()
    # an organisation's own pack: the bundled one is decoded from its built form, with nothing to remember
    shutil.copytree(SRC, tmp_path / "own")
    cfg = load_config(None, {"cache_dir": str(tmp_path / "cache"), "rules": str(tmp_path / "own")})
    pack_for(cfg, root)
    conn = sqlite3.connect(tmp_path / "cache" / DB_NAME)
    try:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM entries GROUP BY kind").fetchall())
        assert kinds == {"valid": 11, "yaml": 11}
        # a damaged parse is parsed again, never trusted
        conn.execute("UPDATE entries SET value = '{\"data\": 1}' WHERE kind = 'yaml'")
        conn.commit()
    finally:
        conn.close()
    # a pack loaded through what the cache remembered is the same pack
    assert pack_for(cfg, root) == pack_for(cfg, root) == pack_for(cfg)


def test_the_bundled_rule_files_are_listed_as_validated() -> None:
    # a rule file or schema changed without `python tools/validated_rules.py` is validated
    # on every run again: correct, but the time the listing saves is lost
    import runpy

    tool = runpy.run_path(str(Path(__file__).resolve().parent.parent / "tools" / "validated_rules.py"))
    keys, problems = tool["bundled_keys"]()
    assert problems == []
    listed = tool["OUT"].read_text(encoding="utf-8").splitlines()
    assert sorted(k for k in listed if not k.startswith("#")) == keys


def test_a_listed_file_changed_in_any_way_is_validated_again(tmp_path: Path) -> None:
    import shutil

    from escm_check.rulepack import PackError, builtin_packs, load_pack

    pack = tmp_path / "pack"
    shutil.copytree(builtin_packs()["escm-sp-v2"], pack)
    load_pack(pack)  # the copy's files are the listed ones
    knw = pack / "knw.yaml"
    knw.write_text(knw.read_text(encoding="utf-8").replace("practices:", "practices:\n  - nonsense: 1", 1), "utf-8")
    with pytest.raises(PackError, match=r"knw\.yaml"):
        load_pack(pack)
