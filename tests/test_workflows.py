"""`init`, `--since` and `staged` on real temporary repositories."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from escm_check.cli import main

from .evalkit import FILLER
from .gitrepo import GitRepo, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


def procedure(version: str, tags: str = "knw07.b1, knw07.b2") -> str:
    body = (
        f"# Version control\n\n## Purpose\n{FILLER}\n\n## Roles\n{FILLER}\n\n## Inputs\n{FILLER}\n\n"
        f"## Steps\n<!-- escm: {tags} -->\n{FILLER}\n\n## Outputs\n{FILLER}\n"
    )
    return doc(
        body,
        id="PRC-1",
        title="Version control",
        type="procedure",
        practices=["knw07"],
        status="approved",
        version=version,
        owner="QM",
        approved_by=BOB,
        approved_on="2026-03-01",
    )


def test_init_scaffolds_a_repository_the_checker_accepts(tmp_path: Path) -> None:
    target = tmp_path / "new"
    code, out = run("init", str(target), "--level", "3")
    assert code == 0, out
    repo = GitRepo(target)
    repo.commit("scaffold")
    code, out = run("check", str(target), "--format", "json", "--as-of", "2026-11-01")
    assert code == 1
    data = json.loads(out)
    rated = [p for p in data["practices"] if p["level"] <= 3]
    assert len(rated) == 74 and all(p["status"] == "not-satisfied" for p in rated)
    rules = {f["rule"] for f in data["findings"]}
    assert "not-approved" in rules
    assert not rules & {"yaml-error", "front-matter-invalid", "unknown-activity", "unknown-practice", "parse-error"}
    # every b activity has its tagged section in the template
    knw07 = (target / "procedures").glob("knw07-*.md")
    text = next(knw07).read_text()
    assert all(f"<!-- escm: knw07.b{i} -->" in text for i in range(1, 6))
    # an activity that needs a record says which, and its kind has a template the check skips
    ppl08 = next((target / "practices").glob("ppl08-*.md")).read_text()
    records = ppl08[ppl08.index("## Records") :]
    assert "- b6: a record (training-record)" in records and "satisfies: {ppl08: [b6]}" in records
    assert "- c5: a record (audit-report" in records
    template = target / "records" / "templates" / "training-record.md"
    assert "record_kind: training-record" in template.read_text()
    assert "records/templates/training-record.md" not in {d["path"] for d in data["documents"]}
    # refuses to overwrite
    code, out = run("init", str(target), "--level", "3")
    assert code == 2 and "--force" in out
    assert run("init", str(target), "--level", "3", "--force")[0] == 0


def test_since_reports_a_regression(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("vc.md", procedure("1.0"))
    repo.commit("add", author=ANN, trailers={"Approved-by": BOB})
    base = repo.head()
    repo.write("vc.md", procedure("1.1", tags="knw07.b1"))  # b2's evidence removed
    repo.commit("drop b2", author=ANN, trailers={"Approved-by": BOB})
    before = sorted(p.name for p in repo.path.rglob("*") if ".git" not in p.parts)
    _, out = run("check", str(repo.path), "--since", base, "--format", "json", "--as-of", "2026-02-01")
    data = json.loads(out)
    assert data["since"] == base
    change = {"practice": "knw07", "activity": "b2", "before": "satisfied", "after": "not-satisfied"}
    assert change in data["regressions"]
    assert any(f["rule"] == "regression" and f["severity"] == "warning" for f in data["findings"])
    assert not any("regression" in r for r in data["gate"]["reasons"])
    code2, out2 = run(
        "check", str(repo.path), "--since", base, "--fail-on-regression", "--format", "json", "--as-of", "2026-02-01"
    )
    assert code2 == 1
    assert any("1 regression(s) since" in r or "regression(s) since" in r for r in json.loads(out2)["gate"]["reasons"])
    assert any(f["rule"] == "regression" and f["severity"] == "error" for f in json.loads(out2)["findings"])
    assert sorted(p.name for p in repo.path.rglob("*") if ".git" not in p.parts) == before
    assert run("check", str(repo.path), "--since", "no-such-rev")[0] == 2


def test_staged_checks_only_the_named_files(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = GitRepo(tmp_path / "r")
    repo.write("vc.md", procedure("1.0"))
    repo.write("other.md", "---\nid: [broken\n---\n")
    repo.commit("add", author=ANN, trailers={"Approved-by": BOB})
    monkeypatch.chdir(repo.path)
    code, out = run("staged", "vc.md")
    assert code == 0, out
    repo.write("vc.md", procedure("1.0").replace("## Outputs", "## Results"))
    repo.git("add", "vc.md")  # the index is what the hook judges
    code, out = run("staged", "vc.md")
    assert code == 1 and "vc.md:" in out and "version-not-bumped" in out
    assert "other.md" not in out
    repo.write("vc.md", procedure("0.9").replace("## Outputs", "## Results"))
    repo.git("add", "vc.md")
    code, out = run("staged", "vc.md")
    assert "version-regressed" in out
    # a document that claims nothing is not evidence: its broken front matter is told, never blocking
    code, out = run("staged", "other.md")
    assert code == 0 and "yaml-error" in out and "not-evidence" in out
