"""examples/adopted_repo in a real git repository: `init --adopt` proposes a configuration that
reads the repository's own conventions, writes nothing without --write, and after adoption no
blocking error comes from those conventions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.evaluate import BLOCKING
from escm_check.examples.adopted_binaries import build

from .gitrepo import GitRepo

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "adopted_repo"
EDITOR = "Ines Editor <ines@meridale.example>"
APPROVER = "Chief Executive <ceo@meridale.example>"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "meridale")
    shutil.copytree(EXAMPLE, r.path, dirs_exist_ok=True)
    build(r.path)
    r.commit("Policies, procedures and handbook as we keep them", author=EDITOR, trailers={"Approved-by": APPROVER})
    return r


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def report(path: Path) -> dict:  # type: ignore[type-arg]
    code, out = cli("check", str(path), "--format", "json", "--as-of", "2026-10-01", "--no-cache")
    assert code in (0, 1), out
    return json.loads(out)  # type: ignore[no-any-return]


def test_adopt_proposes_a_configuration_from_the_repositorys_own_conventions(repo: GitRepo) -> None:
    code, out = cli("init", "--adopt", str(repo.path))
    assert code == 0, out
    proposal = yaml.safe_load(out)
    expected = {
        "approvers": "approved_by",
        "category": "type",
        "doc_id": "id",
        "effective": "approved_on",
        "last_reviewed_on": "reviewed_on",
        "name": "title",
        "review_in": "review_cycle",
    }
    assert proposal["field_map"] == expected
    assert proposal["value_map"]["status"] == {
        "accepted": "approved",
        "active": "approved",
        "implemented": "approved",
        "ongoing": "approved",
        "proposed": "draft",
    }
    assert proposal["value_map"]["type"] == {"Policy": "policy", "Procedure": "procedure"}
    assert proposal["formats"] == {"*.mdx": "markdown"}
    assert "**/*.docx" in proposal["include"] and "**/*.pdf" in proposal["include"]
    assert "legacy office files" in out  # the .doc under references/ is pointed out
    # printing writes nothing
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_after_adoption_no_blocking_error_comes_from_the_repositorys_conventions(repo: GitRepo) -> None:
    before = report(repo.path)
    assert all(d["type"] is None for d in before["documents"])  # their keys are not ours yet

    code, out = cli("init", "--adopt", "--write", str(repo.path))
    assert code == 0, out
    assert (repo.path / ".escm-check.yaml").is_file()
    repo.commit("Adopt escm-check", author=EDITOR, trailers={"Approved-by": APPROVER})

    after = report(repo.path)
    blocking = [f for f in after["findings"] if f["severity"] == "error" and f["rule"] in BLOCKING]
    assert blocking == []
    docs = {d["path"]: d for d in after["documents"]}
    assert docs["policies/information-security.md"]["type"] == "policy"
    assert docs["policies/information-security.md"]["status"] == "approved"
    assert docs["procedures/onboarding.md"]["status"] == "draft"
    # the PDF's /Type is not our type; the legacy file is at most a warning
    assert docs["plans/disaster-recovery-plan.pdf"]["type"] is None
    assert not [f for f in after["findings"] if f["rule"] == "front-matter-invalid"]


def test_adopt_map_accept_check(repo: GitRepo) -> None:
    """The README's walk-through: init --adopt --write, accept suggestions, check."""
    code, out = cli("init", "--adopt", "--write", str(repo.path))
    assert code == 0, out
    cw = yaml.safe_load(repo.read(".escm-crosswalk.yaml"))
    assert cw["entries"] and all(e["status"] == "suggested" for e in cw["entries"])
    paths = {e["path"] for e in cw["entries"]}
    assert {"plans/disaster-recovery-plan.pdf", "procedures/supplier-management.docx"} <= paths
    repo.commit("Adopt escm-check", author=EDITOR, trailers={"Approved-by": APPROVER})
    drafted = report(repo.path)
    pdf = next(d for d in drafted["documents"] if d["path"] == "plans/disaster-recovery-plan.pdf")
    assert pdf["practices"] == []  # suggestions never count

    # a person accepts the signed plan's first suggestion
    first = next(e for e in cw["entries"] if e["path"] == "plans/disaster-recovery-plan.pdf")
    first["status"] = "accepted"
    repo.write(".escm-crosswalk.yaml", yaml.safe_dump(cw, sort_keys=False))
    repo.commit("Accept the plan's mapping", author=EDITOR, trailers={"Approved-by": APPROVER})
    accepted = report(repo.path)
    pdf = next(d for d in accepted["documents"] if d["path"] == "plans/disaster-recovery-plan.pdf")
    assert pdf["practices"] == first["practices"] and pdf["status"] == "approved"
    assert not [f for f in accepted["findings"] if f["severity"] == "error" and f["rule"] in BLOCKING]


def test_adopt_write_refuses_to_overwrite_a_configuration(repo: GitRepo) -> None:
    repo.write(".escm-check.yaml", "target_level: 2\n")
    code, out = cli("init", "--adopt", "--write", str(repo.path))
    assert code == 2 and "exists" in out
    assert repo.read(".escm-check.yaml") == "target_level: 2\n"


def test_furniture_spelled_in_lower_case_is_excluded_as_spelled(tmp_path: Path) -> None:
    """Patterns match case, as .gitignore's do: a `license.md` needs its own pattern."""
    r = GitRepo(tmp_path / "lower")
    r.write("license.md", "# License\n\nPermission is granted to copy this text.\n")
    r.write("Readme.md", "# Our policies\n\nHow this folder is organised.\n")
    r.write("policies/access.md", "# Access control policy\n\nWho may reach which system.\n")
    r.commit("policies as we keep them")
    code, out = cli("init", "--adopt", "--write", str(r.path))
    assert code == 0, out
    config = yaml.safe_load((r.path / ".escm-check.yaml").read_text(encoding="utf-8"))
    assert "**/license.md" in config["exclude"] and "**/Readme.md" in config["exclude"]
    assert "**/LICENSE.md" in config["exclude"]  # the usual spelling stays for files added later
    code, out = cli("map", str(r.path), "--format", "json")
    assert code == 0, out
    assert [d["path"] for d in json.loads(out)["documents"]] == ["policies/access.md"]
