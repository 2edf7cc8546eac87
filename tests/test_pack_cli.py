"""`escm-check pack validate` and `pack docs`: exit codes, located problems, Markdown reference."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from escm_check.cli import main
from escm_check.packcli import pack

from .test_pack_tailoring import example_files

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> Result:
    return CliRunner().invoke(pack, list(args))


@pytest.fixture()
def tallis(tmp_path: Path) -> Path:
    return example_files(tmp_path)


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` by `new`; return the 1-based line where `old` started."""
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


# --------------------------------------------------------------------------- validate: valid packs


@pytest.mark.parametrize("name", ["escm-sp-v2", "comm"])
def test_validate_builtin_packs(name: str) -> None:
    r = invoke("validate", name)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"ok: {name} ")


def test_validate_reads_a_bundled_pack_from_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from escm_check import rulepack

    def not_here(folder: Path) -> None:
        raise AssertionError(f"validate took {folder.name}'s built form instead of its files")

    monkeypatch.setattr(rulepack, "read_built", not_here)
    r = invoke("validate", "escm-sp-v2")
    assert r.exit_code == 0, r.output


def test_validate_a_folder_by_path(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules" / "comm", tmp_path / "comm-copy")
    r = invoke("validate", str(tmp_path / "comm-copy"))
    assert r.exit_code == 0, r.output
    assert "15 Practices in 4 areas" in r.output
    assert "level 5 Strategic Partnering: 2" in r.output
    assert "not an official" in r.output


def test_validate_a_tailored_pack_summarises_the_tailoring(tallis: Path) -> None:
    r = invoke("validate", str(tallis))
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert first == ("ok: tallis-escm 2026.1: eSCM-SP v2 as tailored by Tallis Support Services (extends escm-sp-v2)")
    assert "85 Practices in 10 areas" in r.output
    assert "level 2 Certification baseline: 49" in r.output
    assert "out of scope: tfr01, tfr02, tfr03, tfr04, tfr05, tfr06" in r.output
    assert "tailored: knw02, knw07, tfr01" in r.output


def test_validate_resolves_a_relative_folder_from_the_working_directory(
    tallis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tallis.parent)
    r = invoke("validate", "tallis")
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- validate: broken packs

Breaker = Callable[[Path], tuple[str, int | None, str]]


def _overlay_unknown_key(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "    change_activities:\n", "    colour: blue\n    change_activities:\n")
    return "tailoring.yaml", line, "unknown key 'colour'"


def _overlay_unknown_practice(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "  - practice: knw07\n", "  - practice: knw77\n")
    return "tailoring.yaml", line, "no Practice 'knw77' in the pack to change; did you mean knw07"


def _overlay_breaks_numbering(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "      - id: b9\n", "      - id: b10\n")
    return "tailoring.yaml", line, "knw02: b-activities must be numbered b1..b9 in order"


def _overlay_adds_an_existing_activity(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "      - id: b9\n", "      - id: b8\n")
    return "tailoring.yaml", line, "knw02 already has activity 'b8'"


def _overlay_changes_a_missing_activity(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "      - id: c5\n", "      - id: c6\n")
    return "tailoring.yaml", line, "knw07 has no activity 'c6' to change"


def _overlay_without_reason(d: Path) -> tuple[str, int | None, str]:
    text = (d / "tailoring.yaml").read_text()
    start = text.index("    reason: Document controls")
    end = text.index("\n", start) + 1
    (d / "tailoring.yaml").write_text(text[:start] + text[end:])
    line = text[:start].count("\n")  # the `- practice: knw07` line
    return "tailoring.yaml", line, "'reason' is a required property"


def _overlay_unknown_area(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "  - area: tfr\n", "  - area: xfr\n")
    return "tailoring.yaml", line, "no area 'xfr' in the pack"


def _overlay_bad_window(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "{max_age: 6 months}", "{max_age: six months}")
    return "tailoring.yaml", line, "does not match"


def _overlay_type_unknown(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "    type: procedure\n", "    type: handbook\n")
    return "tailoring.yaml", line, "knw02: unknown documentation type 'handbook'"


def _area_file_reuses_a_base_id(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tallis-practices.yaml", "  - id: thr08\n", "  - id: thr07\n")
    return "tallis-practices.yaml", line, "duplicate Practice id 'thr07'"


def _declared_count_wrong(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "    practice_count: 49\n", "    practice_count: 48\n")
    return "pack.yaml", line, "level 2 declares 48 Practices but the pack has 49"


def _extends_unknown(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "extends: escm-sp-v2\n", "extends: escm-sp-v3\n")
    return "pack.yaml", line, "no built-in pack 'escm-sp-v3'"


def _extends_escapes(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "extends: escm-sp-v2\n", "extends: ../../../../../etc\n")
    return "pack.yaml", line, "leads out of"


def _extends_absolute(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "extends: escm-sp-v2\n", "extends: /etc/escm\n")
    return "pack.yaml", line, "does not match"


def _same_id_as_base(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "id: tallis-escm\n", "id: escm-sp-v2\n")
    return "pack.yaml", line, "needs an id of its own"


def _new_doc_type_without_summary(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "doc_types:\n", "doc_types:\n  checklist:\n    requires: [plan]\n") + 1
    return "pack.yaml", line, "'checklist' is new in this pack and needs a summary"


def _overlay_path_escapes(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "pack.yaml", "overlays: [tailoring.yaml]", "overlays: [../tailoring.yaml]")
    return "pack.yaml", line, "does not match"


def _overlays_without_extends(d: Path) -> tuple[str, int | None, str]:
    shutil.rmtree(d)
    shutil.copytree(ROOT / "rules" / "comm", d)
    (d / "o.yaml").write_text("changes:\n  - practice: gov01\n    reason: x y z\n    in_scope: false\n")
    line = _edit(d / "pack.yaml", "files: [", "overlays: [o.yaml]\nfiles: [")
    return "pack.yaml", line, "this pack extends none"


def _base_number_gap_in_area_file(d: Path) -> tuple[str, int | None, str]:
    _edit(d / "tallis-practices.yaml", "{id: b2,", "{id: b3,")
    line = _edit(d / "tallis-practices.yaml", "    activities:\n", "    activities:\n")
    return ("tallis-practices.yaml", line, "thr08: b-activities must be numbered b1..b2 in order, got b1, b3")


def _max_age_on_a_section_check(d: Path) -> tuple[str, int | None, str]:
    line = _edit(d / "tailoring.yaml", "{max_age: 6 months}", "{check: change-controlled, max_age: 6 months}")
    return "tailoring.yaml", line, "max_age has no effect on a change-controlled check"


BREAKERS = [
    _overlay_unknown_key,
    _overlay_unknown_practice,
    _overlay_breaks_numbering,
    _overlay_adds_an_existing_activity,
    _overlay_changes_a_missing_activity,
    _overlay_without_reason,
    _overlay_unknown_area,
    _overlay_bad_window,
    _overlay_type_unknown,
    _area_file_reuses_a_base_id,
    _declared_count_wrong,
    _extends_unknown,
    _extends_escapes,
    _extends_absolute,
    _same_id_as_base,
    _new_doc_type_without_summary,
    _overlay_path_escapes,
    _overlays_without_extends,
    _base_number_gap_in_area_file,
    _max_age_on_a_section_check,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__.strip("_"))
def test_validate_rejects_a_broken_pack_with_file_and_line(tallis: Path, breaker: Breaker) -> None:
    name, line, problem = breaker(tallis)
    r = invoke("validate", str(tallis))
    assert r.exit_code == 2, r.output
    assert problem in r.output, r.output
    located = re.search(rf"{re.escape(name)}:(\d+): .*{re.escape(problem[:30])}", r.output)
    assert located, r.output
    if line is not None:
        assert int(located.group(1)) == line, r.output
    assert "problem" in r.output.splitlines()[-1] and "cannot be used" in r.output


def test_a_broken_base_is_reported_in_the_base(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(ROOT / "rules" / "comm", base)
    line = _edit(base / "gov.yaml", "    level: 3\n", "    level: 3\n    colour: blue\n") + 1
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "pack.yaml").write_text('id: mine\nname: Mine\nversion: "1"\nextends: ../base\n')
    r = invoke("validate", str(mine))
    assert r.exit_code == 2
    assert re.search(rf"base/gov\.yaml:{line}: .*unknown key 'colour'", r.output), r.output


def test_every_problem_is_listed_not_just_the_first(tallis: Path) -> None:
    _edit(tallis / "tailoring.yaml", "  - practice: knw07\n", "  - practice: knw77\n")
    _edit(tallis / "tailoring.yaml", "  - area: tfr\n", "  - area: xfr\n")
    r = invoke("validate", str(tallis))
    assert r.exit_code == 2
    assert "knw77" in r.output and "xfr" in r.output
    assert r.output.splitlines()[-1].endswith("2 problems; the pack cannot be used")


def test_validate_a_folder_without_pack_yaml(tmp_path: Path) -> None:
    r = invoke("validate", str(tmp_path))
    assert r.exit_code == 2
    assert "no such rule pack" in r.output


def test_a_yaml_error_in_pack_yaml_is_located(tallis: Path) -> None:
    line = _edit(tallis / "pack.yaml", 'version: "2026.1"\n', "version: [2026\n")
    r = invoke("validate", str(tallis))
    assert r.exit_code == 2
    m = re.search(r"pack\.yaml:(\d+): YAML syntax error", r.output)
    assert m, r.output
    assert int(m.group(1)) in (line, line + 1)


# --------------------------------------------------------------------------- docs


def test_docs_of_comm_show_the_notice_levels_and_practices() -> None:
    r = invoke("docs", "comm")
    assert r.exit_code == 0, r.output
    md = r.output
    assert md.startswith("# Client Outsourcing Maturity Model (`comm` 0.1)\n")
    assert "> **Notice.** Unofficial." in md
    for name in ("Ad Hoc", "Reactive", "Proactive", "Optimized", "Strategic Partnering"):
        assert f"| {name} |" in md
    assert md.count("\n#### ") == 15
    assert '<a id="rel03"></a>' in md and "[rel03](#rel03)" in md
    assert "| b1..bn | documented: `tagged-section`" in md
    assert "| c2 | documented: -; performed: `record` within 12 months" in md


def test_docs_of_a_tailored_pack_show_what_changed_and_why(tallis: Path, tmp_path: Path) -> None:
    out = tmp_path / "ref.md"
    r = invoke("docs", str(tallis), "--output", str(out))
    assert r.exit_code == 0 and r.output == ""
    md = out.read_text()
    assert "- Extends: `escm-sp-v2`" in md
    assert "- Practices: 85 (79 in scope)" in md
    assert "| 2 | Certification baseline | 49 |" in md
    section = md[md.index("#### knw07") : md.index("#### knw08")]
    assert "Tailoring:" in section and "audited every quarter" in section
    c5 = next(row for row in section.splitlines() if row.startswith("| c5 |"))
    assert "| performed: `record` (audit-report or " in c5 and "minutes) within 6 months: " in c5
    assert c5.endswith("*(own)* |")
    tfr = md[md.index("#### tfr01") : md.index("#### tfr02")]
    assert "**out of scope** (not rated)" in tfr


def test_docs_of_a_broken_pack_exit_2(tallis: Path) -> None:
    _overlay_unknown_area(tallis)
    r = invoke("docs", str(tallis))
    assert r.exit_code == 2 and "xfr" in r.output


# ------------------------------------------------------------------- registered on the main CLI


@pytest.fixture()
def registered() -> Iterator[None]:
    added = "pack" not in main.commands
    if added:
        main.add_command(pack)
    yield
    if added:
        main.commands.pop("pack", None)


@pytest.mark.usefixtures("registered")
def test_pack_commands_through_the_main_entry_point(tallis: Path) -> None:
    r = CliRunner().invoke(main, ["pack", "validate", "comm"])
    assert r.exit_code == 0, r.output
    _declared_count_wrong(tallis)
    r = CliRunner().invoke(main, ["pack", "validate", str(tallis)])
    assert r.exit_code == 2 and "pack.yaml:" in r.output
    r = CliRunner().invoke(main, ["pack", "docs", "comm"])
    assert r.exit_code == 0 and r.output.startswith("# Client Outsourcing Maturity Model")


@pytest.mark.usefixtures("registered")
def test_the_tailored_pack_drives_practices_and_explain(tallis: Path) -> None:
    r = CliRunner().invoke(main, ["practices", "--rules", str(tallis), "--area", "thr"])
    assert r.exit_code == 0 and "thr08" in r.output
    r = CliRunner().invoke(main, ["explain", "knw02", "--rules", str(tallis)])
    assert r.exit_code == 0 and "b9" in r.output
