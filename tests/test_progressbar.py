"""The progress bar: counts every parsed file, draws on a terminal only, and erases itself."""

from __future__ import annotations

import io
from pathlib import Path

from escm_check.adapters.limits import Limits
from escm_check.parsing import read_all
from escm_check.progressbar import ProgressBar

from .docfactory import build_docx


def test_read_all_reports_every_file_once(tmp_path: Path) -> None:
    rels = []
    for i in range(3):
        (tmp_path / f"m{i}.md").write_text(f"# M{i}\n")
        rels.append(f"m{i}.md")
    for i in range(2):
        build_docx(tmp_path / f"d{i}.docx")
        rels.append(f"d{i}.docx")
    rels.append("missing.md")
    seen: list[tuple[int, int]] = []
    docs = read_all(tmp_path, rels, Limits(), progress=lambda d, t: seen.append((d, t)))
    assert len(docs) == 6
    assert seen == [(n, 6) for n in range(1, 7)]


def test_bar_draws_and_clears() -> None:
    out = io.StringIO()
    bar = ProgressBar("parsing", out)
    bar(1, 100)
    bar(100, 100)
    text = out.getvalue()
    assert "parsing [" in text and "100/100" in text
    assert text.endswith("\r\x1b[2K")


def test_not_wanted_when_piped_or_quiet_or_small() -> None:
    # pytest captures stderr, so it is not a terminal here
    assert not ProgressBar.wanted(10_000, quiet=False)
    assert not ProgressBar.wanted(10, quiet=False)
    assert not ProgressBar.wanted(10_000, quiet=True)
