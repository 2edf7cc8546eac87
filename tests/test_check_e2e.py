"""The main job end to end on real temporary git repositories: CLI, JSON report, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.result import REPORT_SCHEMA_VERSION

from .evalkit import FILLER
from .gitrepo import GitRepo, doc

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden-small.json"
ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"


def procedure(version: str, extra: str = "") -> str:
    body = "\n".join(
        [
            "# Version and change control",
            "",
            "## Purpose",
            FILLER,
            "",
            "## Roles",
            FILLER,
            "",
            "## Inputs",
            FILLER,
            "",
            "## Steps",
            "",
            "### Tools",
            "<!-- escm: knw07.b1 -->",
            FILLER,
            "",
            "### Controlled products",
            "<!-- escm: knw07.b2 -->",
            FILLER,
            "",
            "### Reviewing changes",
            "<!-- escm: knw07.b3, knw07.b4 -->",
            FILLER,
            "",
            "### Keeping status",
            "<!-- escm: knw07.b5 -->",
            FILLER + extra,
            "",
            "## Outputs",
            "<!-- escm: knw07.c1, knw07.c2, knw07.c3, knw07.c4 -->",
            FILLER,
            "",
        ]
    )
    return doc(
        body,
        id="PRC-KNW-07",
        title="Version and change control",
        type="procedure",
        practices=["knw07"],
        status="approved",
        version=version,
        owner="Quality Manager",
        approved_by=BOB,
        approved_on="2026-03-01",
    )


def audit(date: str) -> str:
    return doc(
        "# Process audit\n\n" + FILLER + "\n",
        id=f"REC-AUD-{date}",
        title="Process audit",
        type="record",
        practices=["knw07"],
        satisfies={"knw07": ["c5"]},
        date=date,
        record_kind="audit-report",
    )


def change_log(date: str) -> str:
    """The register of approved changes that shows knw07's b3 and b5 were carried out."""
    return doc(
        "# Change log\n\n" + FILLER + "\n",
        id=f"REC-CHG-{date}",
        title="Change log",
        type="record",
        practices=["knw07"],
        satisfies={"knw07": ["b3", "b5"]},
        date=date,
        record_kind="register",
    )


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "proc")
    r.write(".escm-check.yaml", "target_level: 2\nas_of: 2026-10-01\n")
    r.write("procedures/version-control.md", procedure("1.0"))
    r.commit(
        "Add version control procedure", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB}
    )
    r.write("procedures/version-control.md", procedure("1.1", " Status is reported monthly."))
    r.write("records/audit-2026-09.md", audit("2026-09-10"))
    r.write("records/change-log-2026-09.md", change_log("2026-09-11"))
    r.commit(
        "Clarify status reporting; add September audit",
        author=ANN,
        date="2026-09-12T10:00:00+00:00",
        trailers={"Approved-by": BOB},
    )
    return r


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def report(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    code, out = check("check", str(path), "--format", "json", *extra)
    assert code in (0, 1), out
    return json.loads(out)  # type: ignore[no-any-return]


def test_json_report_validates_and_rates_knw07(repo: GitRepo) -> None:
    data = report(repo.path)
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    knw07 = next(p for p in data["practices"] if p["id"] == "knw07")
    assert knw07["status"] == "satisfied", [a for a in knw07["activities"] if a["status"] != "satisfied"]
    b3 = next(a for a in knw07["activities"] if a["id"] == "b3")
    assert b3["evidence"][0]["path"] == "procedures/version-control.md"
    assert b3["evidence"][0]["commit"] == repo.head()
    assert data["capability_level"] == 1 and data["target_level"] == 2 and data["gate"]["passed"] is False
    assert data["repository"]["head"] == repo.head()
    assert data["as_of"] == "2026-10-01"
    doc_entry = next(d for d in data["documents"] if d["path"] == "procedures/version-control.md")
    assert [h["version"] for h in doc_entry["history"]] == ["1.1", "1.0"]


def test_golden_json(repo: GitRepo) -> None:
    text = json.dumps(report(repo.path), indent=2).replace(str(repo.path), "<root>")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text + "\n")
    assert text + "\n" == GOLDEN.read_text()


def test_exit_codes(repo: GitRepo, tmp_path: Path) -> None:
    assert check("check", str(repo.path), "-q")[0] == 1
    code, out = check("check", str(repo.path), "-q", "--config", str(repo.path / "narrow.yaml"))
    assert code == 2 and "not found" in out
    repo.write("narrow.yaml", "scope: {practices: [knw07]}\ntarget_level: 2\nas_of: 2026-10-01\n")
    assert check("check", str(repo.path), "-q", "--config", str(repo.path / "narrow.yaml"))[0] == 0
    repo.write("bad.yaml", "target_level: 2\ncolour: blue\n")
    code, out = check("check", str(repo.path), "--config", str(repo.path / "bad.yaml"))
    assert code == 2 and "bad.yaml:2" in out and "colour" in out
    assert check("check", str(repo.path), "--as-of", "yesterday")[0] == 2
    assert check("check", str(repo.path), "--format", "yaml")[0] == 2


def test_as_of_ignores_later_commits(repo: GitRepo) -> None:
    data = report(repo.path, "--as-of", "2026-06-01")
    doc_entry = next(d for d in data["documents"] if d["path"] == "procedures/version-control.md")
    assert [h["version"] for h in doc_entry["history"]] == ["1.0"]


def test_monorepo_subfolder_and_config_found_upward(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "mono")
    r.write("src/app.py", "print('hi')\n")
    r.write("process/.escm-check.yaml", "as_of: 2026-10-01\nscope: {practices: [knw07]}\ntarget_level: 2\n")
    r.write("process/procedures/version-control.md", procedure("1.0"))
    r.write("process/records/audit.md", audit("2026-09-01"))
    r.write("process/records/change-log.md", change_log("2026-09-01"))
    r.write("README.md", "# not a process document\n")
    r.commit("init", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    sub = r.path / "process" / "procedures"
    data = report(r.path / "process")
    assert data["gate"]["passed"] is True, data["gate"]
    assert {d["path"] for d in data["documents"]} == {
        "process/procedures/version-control.md",
        "process/records/audit.md",
        "process/records/change-log.md",
    }
    # config is found by searching upward from a deeper folder
    code, _ = check("check", str(sub), "-q")
    assert code in (0, 1)


def test_pyproject_config(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "p")
    r.write("pyproject.toml", '[tool.escm-check]\nas-of = "2026-10-01"\ntarget_level = 3\n')
    r.write("a.md", procedure("1.0"))
    r.commit("init", author=ANN, trailers={"Approved-by": BOB})
    assert report(r.path)["target_level"] == 3


def test_untracked_document_is_checked_and_flagged(repo: GitRepo) -> None:
    repo.write("procedures/new.md", procedure("0.1"))
    data = report(repo.path)
    assert any(f["rule"] == "untracked-document" and f["path"] == "procedures/new.md" for f in data["findings"])


def test_determinism_across_runs_and_hash_seeds(repo: GitRepo) -> None:
    outs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-m", "escm_check.cli", "check", str(repo.path), "--format", "json"],
            capture_output=True,
            env=env,
        )
        assert proc.returncode == 1, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1] == outs[2]


def test_text_report_has_locations_and_no_colour_when_piped(repo: GitRepo) -> None:
    code, out = check("check", str(repo.path))
    assert code == 1
    assert "\x1b[" not in out
    assert "Capability Level 1 (target 2): gate FAILED" in out
    assert "Practice Satisfaction Profile" in out
    assert "knw  " in out and "1/3" in out


def test_multiple_formats_and_outputs(repo: GitRepo, tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    code, out = check(
        "check", str(repo.path), "--format", "text", "--format", "json", "--output", "-", "--output", str(out_json)
    )
    assert code == 1
    assert "Practice Satisfaction Profile" in out
    assert json.loads(out_json.read_text())["schema_version"] == REPORT_SCHEMA_VERSION


def test_a_pdf_is_change_controlled_through_its_sidecar(tmp_path: Path) -> None:
    from .docfactory import build_pdf

    r = GitRepo(tmp_path / "proc")
    r.write(".escm-check.yaml", "as_of: 2026-10-01\n")
    side = (
        "id: PRC-KNW-07\ntitle: Version control\ntype: procedure\npractices: [knw07]\nstatus: approved\n"
        "version: '{v}'\nowner: Quality Manager\napproved_by: Bob Approver <bob@example.org>\napproved_on: {d}\n"
    )
    build_pdf(r.path / "procedures/vc.pdf", [f"Version control\n{FILLER}"])
    r.write("procedures/vc.pdf.yaml", side.format(v="1.0", d="2026-03-01"))
    r.commit("Add the procedure", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    build_pdf(r.path / "procedures/vc.pdf", [f"Version control, revised\n{FILLER}"])
    r.write("procedures/vc.pdf.yaml", side.format(v="1.0", d="2026-04-01"))
    r.commit("Revise the PDF", author=ANN, date="2026-04-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    data = report(r.path, "--no-cache")
    entry = next(d for d in data["documents"] if d["path"] == "procedures/vc.pdf")
    assert [h["version"] for h in entry["history"]] == ["1.0", "1.0"]
    bumps = [f for f in data["findings"] if f["rule"] == "version-not-bumped"]
    assert [f["path"] for f in bumps] == ["procedures/vc.pdf"], data["findings"]
    assert "without raising the version" in bumps[0]["message"]
    # the cache gives the same verdict
    assert report(r.path) == report(r.path) == data
