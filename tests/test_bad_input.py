"""The bad-input corpus through the real CLI, on real git repositories.

Every case in `tests/badinput/make_corpus.py` must give its finding, naming the file and the
problem; the run must go on (the good document beside it is still rated), exit 0 or 1 and
never 3, print no traceback, and stay inside a time limit (a subprocess timeout) and an
address-space limit (RLIMIT_AS). All six report formats are written in every run, since a
reporter can fail on a value the others accept.

The small cases share one repository and one run (cold cache, then warm: the two reports
must be identical); the large ones (100 MB, a million lines, a zip bomb) are built once per
session, each in its own repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from escm_check.display import printable

from .badinput import make_corpus as mc
from .clirun import TIMEOUT, Run, argv0, clean_env, escm_check, limit_memory
from .gitrepo import base_env

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
SHARED = mc.small_cases()


@dataclass(frozen=True)
class Checked:
    """A finished check: the run and every report it wrote."""

    run: Run
    reports: dict[str, str]
    outside: Path

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.reports["json"])  # type: ignore[no-any-return]

    def everything(self) -> str:
        return self.run.output + "".join(self.reports.values())


def check_all_formats(repo: Path, outside: Path, out: Path, cache: Path, *extra: str) -> Checked:
    """`escm-check check REPO -v` writing every format to its own file."""
    out.mkdir(parents=True, exist_ok=True)
    args = ["check", str(repo), "-v", *extra]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(out / f"report.{fmt}")]
    run = escm_check(*args, cache_home=cache)
    reports = {
        fmt: (out / f"report.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS if (out / f"report.{fmt}").exists()
    }
    return Checked(run, reports, outside)


def assert_clean(c: Checked) -> None:
    """Exit 0 or 1, every report written and readable, no traceback anywhere."""
    assert c.run.code in (0, 1), c.run.output[-3000:]
    assert "Traceback" not in c.everything(), c.run.output[-3000:]
    assert set(c.reports) == set(FORMATS), c.run.output[-3000:]
    json.loads(c.reports["sarif"])
    ET.fromstring(c.reports["junit"].encode("utf-8"))


def sarif_locations(c: Checked) -> set[tuple[str, str]]:
    out = set()
    for run in json.loads(c.reports["sarif"])["runs"]:
        for r in run["results"]:
            for loc in r.get("locations", []):
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                out.add((r["ruleId"], unquote(uri)))
    return out


def assert_case(c: Checked, case: mc.Case) -> None:
    """The case's findings, in JSON (rule, path, words, line) and in SARIF and text."""
    findings = c.data["findings"]
    for e in case.expect:
        same = [f for f in findings if f["rule"] == e.rule and f["path"] == e.path]
        hits = [
            f
            for f in same
            if all(w in f["message"].lower() for w in e.words) and (e.line is None or f["line"] == e.line)
        ]
        shown = [
            (f["rule"], f["path"], f["line"], f["message"]) for f in findings if f["path"] and f["path"] != "good.md"
        ]
        assert hits, f"{case.name}: no {e} among {shown}"
        assert (e.rule, e.path) in sarif_locations(c), f"{case.name}: {e.path!r} not in SARIF"
        # the text report writes control characters in names as escapes
        assert printable(e.path) in c.reports["text"], f"{case.name}: {e.path!r} not in the text report"
    for secret in case.never_shown:
        assert secret not in c.everything(), f"{case.name}: read {secret!r} from outside"
    for name in case.never_created:
        assert not (c.outside / name).exists(), f"{case.name}: a YAML tag ran code"


def assert_went_on(c: Checked) -> None:
    """The good document was still read and counts as evidence."""
    knw07 = next(p for p in c.data["practices"] if p["id"] == "knw07")
    b1 = next(a for a in knw07["activities"] if a["id"] == "b1")
    assert b1["status"] == "satisfied", b1
    assert "good.md" in [e["path"] for e in b1["evidence"]]


# ----------------------------------------------------------------------------- small cases


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Checked, Checked]]:
    base = tmp_path_factory.mktemp("bad-input")
    repo, outside = mc.build_cases(SHARED, base / "corpus")
    cache = base / "cache"
    cold = check_all_formats(repo, outside, base / "cold", cache)
    warm = check_all_formats(repo, outside, base / "warm", cache)
    yield cold, warm


@pytest.mark.parametrize("case", SHARED, ids=lambda c: c.name)
def test_case_gives_its_finding(shared: tuple[Checked, Checked], case: mc.Case) -> None:
    cold, _ = shared
    assert_clean(cold)
    assert_case(cold, case)


def test_run_goes_on_and_the_cache_changes_nothing(shared: tuple[Checked, Checked]) -> None:
    cold, warm = shared
    assert_clean(cold)
    assert_clean(warm)
    assert_went_on(cold)
    assert warm.reports["json"] == cold.reports["json"]
    assert warm.reports["sarif"] == cold.reports["sarif"]


def test_every_bad_file_is_named(shared: tuple[Checked, Checked]) -> None:
    """No case's file is silently dropped: each expected path carries some finding."""
    cold, _ = shared
    named = {f["path"] for f in cold.data["findings"]}
    missing = [e.path for c in SHARED for e in c.expect if e.path not in named]
    assert not missing


def test_sarif_keeps_a_backslash_in_a_file_name(shared: tuple[Checked, Checked]) -> None:
    cold, _ = shared
    assert ("front-matter-unknown-key", "back\\slash.md") in sarif_locations(cold)


# ----------------------------------------------------------------------------- large cases


@pytest.fixture(scope="session")
def large_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """The 100 MB file, the million-line file and the zip bomb: built once per session."""
    base = tmp_path_factory.mktemp("bad-input-large")
    return {c.name: mc.build_case(c, base) for c in mc.large_cases()}


@pytest.mark.slow
@pytest.mark.parametrize("case", mc.large_cases(), ids=lambda c: c.name)
def test_large_case_gives_its_finding(
    large_corpus: dict[str, tuple[Path, Path]], tmp_path: Path, case: mc.Case
) -> None:
    repo, outside = large_corpus[case.name]
    c = check_all_formats(repo, outside, tmp_path / "out", tmp_path / "cache")
    assert_clean(c)
    assert_case(c, case)
    assert_went_on(c)


# ----------------------------------------------------------------------------- the staged hook


def test_staged_hook_with_a_newline_in_a_file_name(tmp_path: Path) -> None:
    repo, _ = mc.build_case(mc.case("name-with-newline"), tmp_path)
    for rel in ("new\nline.md", "good.md"):
        with (repo / rel).open("a", encoding="utf-8") as fh:
            fh.write("\nA changed sentence without a version bump.\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, env=base_env(), check=True)
    run = escm_check("staged", "new\nline.md", "good.md", cwd=repo, cache_home=tmp_path / "c")
    assert "Traceback" not in run.output
    assert run.code == 1 and "good.md:7: error version-not-bumped" in run.stdout, run.output
    assert "new\\nline.md:" in run.stdout and not run.stdout.startswith("line.md")
    assert all(not line.startswith("line.md") for line in run.stdout.splitlines())


def test_text_report_never_prints_control_characters_from_names(tmp_path: Path) -> None:
    repo, _ = mc.build_case(mc.case("name-with-newline"), tmp_path)
    shutil.copy(repo / "new\nline.md", repo / "esc\x1b[2Jclear.md")
    run = escm_check("check", str(repo), "--no-cache", cache_home=tmp_path / "c")
    assert run.code == 1, run.output
    assert "\x1b" not in run.stdout and "\r" not in run.stdout
    assert "new\\nline.md:3: warning front-matter-unknown-key" in run.stdout
    assert "esc\\x1b[2Jclear.md:3: warning front-matter-unknown-key" in run.stdout


def test_staged_hook_with_a_symlink_loop(tmp_path: Path) -> None:
    repo, _ = mc.build_case(mc.case("symlink-loop"), tmp_path)
    run = escm_check("staged", "--", "loop-a.md", "self.md", "good.md", cwd=repo, cache_home=tmp_path / "c")
    assert run.code in (0, 1) and "Traceback" not in run.output, run.output


def test_staged_hook_on_every_bad_file(shared: tuple[Checked, Checked], tmp_path: Path) -> None:
    """The pre-commit hook over every file of the corpus."""
    cold, _ = shared
    repo = Path(cold.data["repository"]["root"])
    files = [
        p
        for p in subprocess.run(
            ["git", "ls-files", "-z"], cwd=repo, env=base_env(), capture_output=True, check=True
        ).stdout.split(b"\0")
        if p
    ]
    proc = subprocess.run(
        [*argv0(), "staged", "--", *files],
        cwd=repo,
        capture_output=True,
        env=clean_env(tmp_path / "c"),
        timeout=TIMEOUT,
        preexec_fn=limit_memory,
    )
    out = (proc.stdout + proc.stderr).decode("utf-8", "backslashreplace")
    assert proc.returncode == 1, out
    assert "Traceback" not in out and "internal error" not in out
    for path in ("bomb.md", "deep.md", "tagged.md", "laughs.docx", "circular.pdf", "redos.md"):
        assert path in out
