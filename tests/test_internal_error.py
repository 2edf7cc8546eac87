"""An internal error exits 3 with ONE line: what was being processed and where to report it.

The failures are real exceptions raised inside the CLI process (through CliRunner) by
monkeypatching one function of the pipeline: the one place where forcing a failure is the
point of the test. The traceback follows only with --verbose. An exception while reading or
judging one document is different by design: it is an `internal-error` finding on that
document, every report is still written, and the exit code is 3.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from escm_check import pipeline, stages
from escm_check.cli import main
from escm_check.guard import ISSUES_URL

from .gitrepo import GitRepo, doc

TARGET = "procedures/version control.md"


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "proc")
    r.write(".escm-check.yaml", "as_of: 2026-10-01\n")
    r.write("policies/a.md", doc(id="A-1", title="a", type="policy", practices=["knw01"]))
    r.write(TARGET, doc(id="VC-1", title="vc", type="procedure", practices=["knw07"], status="approved", version="1.0"))
    r.commit("add", date="2026-03-01T10:00:00+00:00")
    return r


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def boom_for(path: str, real: Any, message: str = "boom") -> Any:
    def fake(*args: Any, **kwargs: Any) -> Any:
        first = args[0]
        if getattr(first, "path", first) == path:
            raise RuntimeError(message)
        return real(*args, **kwargs)

    return fake


def assert_one_line(r: Result, naming: str) -> str:
    assert r.exit_code == 3, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith("escm-check: internal error while processing ")
    assert naming in line and ISSUES_URL in line and "--verbose" in line
    assert "Traceback" not in r.output
    return line


def assert_finding_on(r: Result, path: str, naming: str) -> dict[str, Any]:
    """A bug on one document: exit 3, the whole JSON report, an internal-error finding on it."""
    assert r.exit_code == 3, r.output
    report = json.loads(r.stdout)
    (finding,) = [f for f in report["findings"] if f["rule"] == "internal-error"]
    assert finding["path"] == path and naming in finding["message"]
    assert "policies/a.md" in {d["path"] for d in report["documents"]}  # the run went on
    (line,) = r.stderr.splitlines()
    assert "internal error on some documents" in line and ISSUES_URL in line
    return dict(finding)


def test_a_bug_on_one_document_is_a_finding_and_exit_3(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages, "normalise", boom_for(TARGET, stages.normalise))
    r = invoke("check", str(repo.path), "--no-cache", "--format", "json")
    finding = assert_finding_on(r, TARGET, "RuntimeError: boom")
    assert finding["message"] == "internal error while reading the metadata: RuntimeError: boom"
    assert "Traceback" not in r.output


def test_verbose_adds_the_traceback(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages, "normalise", boom_for(TARGET, stages.normalise))
    r = invoke("check", str(repo.path), "--no-cache", "--verbose")
    assert r.exit_code == 3
    assert f"{TARGET}: internal error while reading the metadata:\nTraceback" in r.stderr
    assert "RuntimeError: boom" in r.stderr and ISSUES_URL in r.stderr.splitlines()[-1]


def test_error_in_change_control_is_a_finding_on_the_document(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages.changecontrol, "check_document", boom_for(TARGET, stages.changecontrol.check_document))
    r = invoke("check", str(repo.path), "--no-cache", "--format", "json")
    assert_finding_on(r, TARGET, "while judging its change control: RuntimeError: boom")


def test_every_report_format_is_written_in_full(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from escm_check.reporters import FORMATS

    monkeypatch.setattr(stages, "normalise", boom_for(TARGET, stages.normalise))
    args = ["check", str(repo.path), "--no-cache"]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"out.{fmt}")]
    r = invoke(*args)
    assert r.exit_code == 3, r.output
    for fmt in FORMATS:
        text = (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")
        if fmt == "markdown":  # a pull-request comment, cut to its size limit by design
            assert "The HTML, JSON and SARIF reports hold everything" in text
            continue
        assert "internal error while reading the metadata: RuntimeError: boom" in text, fmt


def test_error_while_rating_names_the_stage(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("practice")

    monkeypatch.setattr(pipeline, "evaluate", fail)
    line = assert_one_line(invoke("check", str(repo.path)), "the rating of")
    assert str(repo.path) in line and "KeyError" in line


def test_a_multi_line_message_and_an_odd_file_name_stay_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = GitRepo(tmp_path / "odd")
    odd = "new\nline.md"
    r.write(odd, doc(id="ODD-1", title="t"))
    r.commit("add")
    monkeypatch.setattr(pipeline, "evaluate", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("first\nsecond")))
    line = assert_one_line(invoke("check", str(r.path), "--no-cache"), "the rating of")
    assert "first\\nsecond" in line


def test_an_adapter_that_raises_costs_one_finding_not_the_run(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from escm_check.adapters import markdown

    real = markdown.parse_markdown
    monkeypatch.setattr(
        markdown,
        "parse_markdown",
        lambda text, rel, **kw: (
            (_ for _ in ()).throw(RuntimeError("adapter bug")) if rel == TARGET else real(text, rel, **kw)
        ),
    )
    r = invoke("check", str(repo.path), "--no-cache", "--format", "json")
    assert_finding_on(r, TARGET, "internal error while reading the file: RuntimeError: adapter bug")


def test_staged_internal_error(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from escm_check import staged

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("staged bug")

    monkeypatch.setattr(staged, "check_staged", fail)
    monkeypatch.chdir(repo.path)
    r = invoke("staged", TARGET)
    assert r.exit_code == 3 and len(r.stderr.splitlines()) == 1, r.output
    assert "ValueError: staged bug" in r.stderr and ISSUES_URL in r.stderr
    assert "Traceback" not in r.output


def test_interrupt_is_one_line(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "evaluate", interrupt)
    r = invoke("check", str(repo.path))
    assert r.exit_code == 3 and r.stderr.strip() == "escm-check: interrupted"


def test_the_next_run_in_the_same_process_starts_clean(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the last run was processing, and its tracebacks, do not leak into the next run."""
    monkeypatch.setattr(stages, "normalise", boom_for(TARGET, stages.normalise))
    assert invoke("check", str(repo.path), "--no-cache").exit_code == 3
    monkeypatch.undo()

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("late")

    from escm_check import runner

    monkeypatch.setattr(runner, "write_reports", fail)
    r = invoke("check", str(repo.path), "--verbose")
    assert r.exit_code == 3 and TARGET not in r.stderr, r.stderr
    assert "boom" not in r.stderr


@pytest.mark.parametrize(
    ("owner", "name", "args"),
    [
        ("escm_check.runner", "shipped_pack", ("practices",)),
        ("escm_check.runner", "shipped_pack", ("explain", "knw07")),
        ("escm_check.explain", "render_explain", ("explain", "knw07")),
        ("escm_check.inspect", "inspect_documents", ("inspect", "README.md")),
        ("escm_check.packcli", "load_pack", ("pack", "validate", "escm-sp-v2")),
        ("escm_check.packdocs", "render_pack_docs", ("pack", "docs", "escm-sp-v2")),
        ("escm_check.scaffold", "scaffold", ("init", "new-repo")),
    ],
)
def test_every_command_reports_a_bug_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: str, name: str, args: tuple[str, ...]
) -> None:
    import importlib

    def fail(*a: Any, **k: Any) -> Any:
        raise RuntimeError("command bug")

    monkeypatch.setattr(importlib.import_module(owner), name, fail)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# notes\n")
    r = invoke(*args)
    assert r.exit_code == 3, r.output
    assert r.stderr.splitlines() == [
        f"escm-check: internal error: RuntimeError: command bug (please report it at {ISSUES_URL};"
        " rerun with --verbose for the traceback)"
    ]
    assert "Traceback" not in r.output


def test_a_bug_reading_a_historical_version_is_a_finding(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escm_check.adapters import pdf

    from .docfactory import build_pdf

    info = {"id": "S-1", "type": "procedure", "practices": "knw07", "status": "approved", "version": "1.0"}
    build_pdf(repo.path / "procedures/scan.pdf", ["Purpose\n[escm: knw07.b1] Text of the procedure."], info=info)
    repo.commit("add a scan", date="2026-03-02T10:00:00+00:00")
    real = pdf.parse_pdf

    def history_bug(data: bytes, rel: str, limits: Any, sidecar: Any = None) -> Any:
        if sidecar is None:  # only history reads a PDF without asking for its sidecar
            raise ValueError("history bug")
        return real(data, rel, limits, sidecar)

    monkeypatch.setattr(pdf, "parse_pdf", history_bug)
    r = invoke("check", str(repo.path), "--no-cache", "--format", "json")
    finding = assert_finding_on(r, "procedures/scan.pdf", "ValueError: history bug")
    assert "while reading the version in blob" in finding["message"]


def test_a_worker_hands_back_only_its_own_tracebacks(tmp_path: Path) -> None:
    # a forked reader inherits this process's tracebacks; sent back with its document, they
    # were added here again, doubling with every worker a long-lived process forks
    from escm_check import safety
    from escm_check.adapters.limits import Limits
    from escm_check.parsing import read_all

    from .docfactory import build_docx

    safety.drain()
    safety.internal_error("earlier.md", "reading the file", ValueError("one bug, once"))
    build_docx(tmp_path / "plan.docx", custom={"id": "P-1", "type": "plan"})
    for _ in range(3):  # a worker forked each time
        (doc,) = read_all(tmp_path, ["plan.docx"], Limits(timeout_seconds=30), jobs=1)
        assert doc.error is None
    kept = safety.drain()
    assert len(kept) == 1 and kept[0].startswith("earlier.md: internal error while reading the file")
