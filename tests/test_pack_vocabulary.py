"""A rule pack's per-Practice vocabulary: the `vocabulary:` key of pack.yaml and its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from escm_check.rulepack import load_pack


def _vocab_pack(tmp_path: Path, vocab: str) -> Path:
    folder = tmp_path / "ours"
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(
        "id: ours\nname: Ours\nversion: '1'\nextends: escm-sp-v2\nvocabulary: words.yaml\n", encoding="utf-8"
    )
    (folder / "words.yaml").write_text(vocab, encoding="utf-8")
    return folder


def test_pack_vocabulary_loads_and_is_validated(tmp_path: Path) -> None:
    from escm_check.rulepack import PackError, load_vocabulary

    good = load_pack(_vocab_pack(tmp_path / "a", "practices:\n  thr07: [business continuity, RTO]\n"))
    assert load_vocabulary(good) == {"thr07": ("business continuity", "RTO")}
    builtin = load_pack("escm-sp-v2")
    words = load_vocabulary(builtin)
    assert sorted(words) == sorted(p.id for p in builtin.practices)
    assert all(len(terms) >= 10 for terms in words.values())
    for text, line, expected in (
        ("practices:\n  thr07: [RTO]\n  thr77: [x1]\n", 3, "no such Practice; did you mean thr07?"),
        ("practices:\n  thr07: [RTO, RTO]\n", 2, "non-unique"),
        ("practices:\n  thr07: [RTO]\nkeywords: {}\n", 3, "unknown key 'keywords'"),
    ):
        bad = load_pack(_vocab_pack(tmp_path / str(line) / expected[:3], text))
        with pytest.raises(PackError) as exc:
            load_vocabulary(bad)
        assert f"words.yaml:{line}: " in str(exc.value) and expected in str(exc.value), str(exc.value)
