"""The bundled packs shipped built: decoded instead of parsed, and only while their files are as built."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import msgspec
import pytest
from escm_check.codec import Codec
from escm_check.config import load_config
from escm_check.rulepack import (
    _Built,
    built_file,
    builtin_packs,
    load_pack,
    load_source,
    read_built,
    shipped_pack,
)
from escm_check.runner import pack_for

RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """The bundled rules folder, built forms included, where a test may change it."""
    return Path(shutil.copytree(RULES, tmp_path / "rules"))


@pytest.mark.parametrize("name", sorted(builtin_packs()))
def test_each_bundled_pack_is_shipped_as_its_files_build_it(name: str) -> None:
    folder = builtin_packs()[name]
    built = read_built(folder)
    # None or a difference: a rule file, the schema or the loader changed without a rebuild
    assert built is not None, "run python tools/validated_rules.py"
    assert repr(built) == repr(load_source(folder)), "run python tools/validated_rules.py"
    assert built.path == str(folder)
    assert not built.vocabulary or Path(built.vocabulary).parent == folder


def test_a_check_loads_the_bundled_pack_from_its_built_form() -> None:
    cfg = load_config(None, {})
    shipped = shipped_pack(cfg.model)
    assert shipped is not None
    assert pack_for(cfg) == shipped == load_pack(cfg.model, built=False)


def test_a_built_form_is_not_used_once_a_rule_file_changed(rules_copy: Path) -> None:
    folder = rules_copy / "escm-sp-v2"
    assert read_built(folder) is not None  # (its rule files' locations are the installed ones)
    knw = folder / "knw.yaml"
    text = knw.read_text(encoding="utf-8")
    title = load_source(folder).practice("knw01").title  # type: ignore[union-attr]
    knw.write_text(text.replace(title, f"{title} (our wording)", 1), encoding="utf-8")
    assert read_built(folder) is None
    assert load_source(folder).practice("knw01").title == f"{title} (our wording)"  # type: ignore[union-attr]
    knw.write_text(text, encoding="utf-8")
    assert read_built(folder) is not None
    # a pack may extend another bundled pack: a change beside it counts too
    other = rules_copy / "comm" / "pack.yaml"
    other.write_text(other.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert read_built(folder) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # cut short
        lambda b: b"not gzip",
        lambda b: gzip.compress(b'{"key": "x"}'),  # not a built pack
        None,  # missing
    ],
)
def test_a_damaged_or_missing_built_form_is_not_used(rules_copy: Path, damage: object) -> None:
    folder = rules_copy / "escm-sp-v2"
    target = built_file(folder)
    if damage is None:
        target.unlink()
    else:
        target.write_bytes(damage(target.read_bytes()))  # type: ignore[operator]
    assert read_built(folder) is None


def test_only_the_installed_bundled_packs_are_taken_from_a_built_form(rules_copy: Path) -> None:
    folder = rules_copy / "escm-sp-v2"
    codec = Codec(_Built)
    got = codec.decode(gzip.decompress(built_file(folder).read_bytes()))
    altered = _Built(got.key, msgspec.structs.replace(got.pack, name="Not what the files say"))
    built_file(folder).write_bytes(gzip.compress(codec.encode(altered)))
    assert read_built(folder).name == "Not what the files say"  # type: ignore[union-attr]
    # an organisation's folder, even a copy of a bundled pack, is always read from its files
    assert load_pack(folder).name == load_source(folder).name != "Not what the files say"
