"""The progress bar: click's bar on a terminal's stderr while files are parsed; `-q` and pipes silence it.

The CLI runs as a real process with its stderr on a pseudo-terminal (the `pty` module), so
the bar is drawn exactly as a person would see it.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
from pathlib import Path

import pytest
from escm_check import forkmap
from escm_check.adapters.limits import Limits
from escm_check.parsing import read_all
from escm_check.progressbar import LABEL, MIN_FILES, parsing_bar, wanted

from .clirun import TIMEOUT, argv0, clean_env
from .docfactory import build_docx
from .gitrepo import GitRepo

FILES = MIN_FILES + 10


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


def test_not_wanted_when_piped_or_quiet_or_small() -> None:
    # pytest captures stderr, so it is not a terminal here
    assert not wanted(10_000, quiet=False)
    assert not wanted(10, quiet=False)
    assert not wanted(10_000, quiet=True)


def test_a_stream_that_is_not_a_terminal_gets_nothing() -> None:
    out = io.StringIO()  # click would print its label once here were there a bar
    with parsing_bar(FILES, quiet=False, stream=out) as report:
        assert report is None
    assert out.getvalue() == ""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    # Word files: read in this process (through read_all's own workers), the bar moved per file
    r = GitRepo(tmp_path_factory.mktemp("bar") / "repo")
    for i in range(FILES):
        build_docx(r.path / "policies" / f"p{i:03}.docx", custom={"id": f"P-{i}", "type": "policy"})
    r.git("add", "-A")
    r.commit("many documents")
    return r


def run_on_terminal(repo: GitRepo, tmp_path: Path, *extra: str, stderr_tty: bool = True) -> tuple[int, str, str]:
    """Run `escm-check check` with stderr (or, with `stderr_tty=False`, stdout) on a pseudo-terminal.

    Returns the exit code, what reached the terminal, and what reached the other stream (a file,
    so that a long report cannot fill a pipe nobody reads while the terminal is read).
    """
    leader, follower = pty.openpty()
    other_path = tmp_path / "other-stream.txt"
    with open(other_path, "wb") as other:
        proc = subprocess.Popen(
            [*argv0(), "check", str(repo.path), "--no-cache", *extra],
            stdin=subprocess.DEVNULL,
            stdout=other if stderr_tty else follower,
            stderr=follower if stderr_tty else other,
            env=clean_env(tmp_path / "cache", {"TERM": "xterm"}),
        )
    os.close(follower)
    seen = bytearray()
    while True:  # read as it is written: a full terminal buffer would stop the child
        ready, _, _ = select.select([leader], [], [], TIMEOUT)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output and no end within {TIMEOUT} s")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: every process holding the terminal has closed it
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    code = proc.wait(timeout=TIMEOUT)
    return code, seen.decode("utf-8", "replace"), other_path.read_text("utf-8", "replace")


def test_the_bar_is_drawn_on_a_terminal(repo: GitRepo, tmp_path: Path) -> None:
    code, terminal, report = run_on_terminal(repo, tmp_path)
    assert code in (0, 1), terminal + report
    assert f"{LABEL} " in terminal and f"{FILES}/{FILES}" in terminal, terminal
    assert "\r" in terminal  # redrawn in place
    assert report.strip() and f"{FILES}/{FILES}" not in report  # the report is on stdout, the bar is not


def test_quiet_silences_the_bar(repo: GitRepo, tmp_path: Path) -> None:
    code, terminal, report = run_on_terminal(repo, tmp_path, "-q")
    assert code in (0, 1), terminal + report
    assert terminal == "", terminal
    assert report.strip()  # the verdict still comes


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(repo: GitRepo, tmp_path: Path) -> None:
    code, terminal, stderr = run_on_terminal(repo, tmp_path, stderr_tty=False)
    assert code in (0, 1), terminal + stderr
    assert LABEL not in stderr and "\r" not in stderr, stderr
    assert f"{FILES}/{FILES}" not in terminal  # nor on the terminal that stdout is


def test_the_bar_follows_markdown_read_in_forked_workers(tmp_path: Path) -> None:
    count = forkmap.MIN_ITEMS + 100
    r = GitRepo(tmp_path / "md")
    for i in range(count):
        r.write(f"process/d{i:05}.md", f"---\nid: D-{i}\ntype: policy\n---\n# Purpose\n\nText {i}.\n")
    r.commit("many Markdown documents")
    code, terminal, report = run_on_terminal(r, tmp_path, "--jobs", "2")
    assert code in (0, 1), terminal + report
    assert f"{count}/{count}" in terminal, terminal[-500:]
    assert terminal.count(f"{LABEL} ") >= 2, terminal[-500:]  # drawn more than once, as batches arrived
