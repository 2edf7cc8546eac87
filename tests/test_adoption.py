"""The conventions existing repositories use: approver lists, their own values, documents that
claim nothing, PDF Info names and legacy files. One test per defect met adopting real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.evaluate import BLOCKING

from .docfactory import build_pdf, legacy_doc
from .evalkit import AUTHOR, practice_doc, run
from .gitrepo import GitRepo, doc

OWNER = "Olga Owner <olga@example.org>"
REVIEWER = "Rui Reviewer <rui@example.org>"


def blocking(result_findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in result_findings if f["severity"] == "error" and f["rule"] in BLOCKING]


def check_json(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--as-of", "2026-10-01", *extra])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def untagged_page(**meta: object) -> str:
    return doc("# Working agreement\n\nHow the team plans its week.\n", **meta)


# -- approved_by as a list


def test_approvers_list_mapped_onto_approved_by_is_valid() -> None:
    """Defect: `approvers:` mapped with field_map gave "is not of type 'string'"."""
    text = "---\ntitle: Access policy\nowner: Olga\napprovers:\n  - Olga\n  - Rui\n---\n# Access\n"
    result = run({"access.md": text}, field_map={"approvers": "approved_by"})
    assert [f for f in result.findings if f.rule == "front-matter-invalid"] == []


def test_an_approver_list_is_independent_when_one_approver_is_not_the_author() -> None:
    base = practice_doc("knw07", "procedure", ["b1"])
    with_author_only = base.replace("approved_by:", "approved_by: [Asha Author]\nold_approved_by:", 1)
    with_other = base.replace("approved_by:", "approved_by: [Asha Author, Rui Reviewer]\nold_approved_by:", 1)

    def a2(text: str) -> str:
        result = run({"knw07.md": text})
        knw07 = next(p for p in result.practices if p.id == "knw07")
        return next(a for a in knw07.activities if a.id == "a2").status

    assert AUTHOR.startswith("Asha Author")
    assert a2(with_author_only) == "not-satisfied"
    assert a2(with_other) == "satisfied"


# -- value_map


def test_value_map_turns_their_status_values_into_ours() -> None:
    """Defect: 330 pages with `status: proposed | active | accepted | implemented` were invalid."""
    base = practice_doc("knw07", "procedure", ["b1"])
    active = base.replace("status: approved", "status: active")
    unmapped = run({"p.md": active})
    assert "front-matter-invalid" in [f.rule for f in unmapped.findings if f.severity == "error"]
    mapped = run({"p.md": active}, value_map={"status": {"active": "approved", "proposed": "draft"}})
    assert [f for f in mapped.findings if f.rule == "front-matter-invalid"] == []
    knw07 = next(p for p in mapped.practices if p.id == "knw07")
    assert next(a for a in knw07.activities if a.id == "b1").status == "satisfied"


def test_value_map_maps_types_in_any_case() -> None:
    base = practice_doc("knw07", "procedure", ["b1"]).replace("type: procedure", "type: SOP")
    result = run({"p.md": base}, value_map={"type": {"sop": "procedure"}})
    assert [f for f in result.findings if f.rule == "front-matter-invalid"] == []
    assert result.documents[0].type == "procedure"


# -- documents that claim nothing


def test_a_document_that_claims_nothing_is_listed_and_never_blocks() -> None:
    pages = {
        "handbook/a.md": untagged_page(title="A", status="proposed"),
        "handbook/b.md": untagged_page(title="B", status="implemented", version=2.10),
        "handbook/c.md": "# No front matter\n",
    }
    result = run(pages)
    assert [f for f in result.findings if f.path in pages and f.severity != "info"] == []
    assert "error findings" not in " ".join(result.gate.reasons)
    listed = sorted(f.path for f in result.findings if f.rule == "not-evidence")
    assert listed == sorted(pages)
    # the problems are still said, as notes
    notes = [f for f in result.findings if f.rule == "front-matter-invalid"]
    assert notes and all(f.severity == "info" for f in notes)


def test_a_document_that_claims_something_is_judged_in_full() -> None:
    text = untagged_page(title="A", status="proposed", practices=["knw07"])
    result = run({"a.md": text})
    invalid = [f for f in result.findings if f.rule == "front-matter-invalid"]
    assert invalid and invalid[0].severity == "error"
    assert not [f for f in result.findings if f.rule == "not-evidence"]


def test_a_pack_type_is_a_claim() -> None:
    result = run({"a.md": untagged_page(title="A", type="policy", status="proposed")})
    assert [f.severity for f in result.findings if f.rule == "front-matter-invalid"] == ["error"]


# -- real files in real repositories


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write("README.md", "# Our policies\n")
    return r


def test_pdf_info_type_is_never_read_as_our_type(repo: GitRepo) -> None:
    """Defect: a PDF Info entry /Type was read as our `type`: "type: 'Info' does not match"."""
    build_pdf(repo.path / "signed/board-minutes.pdf", ["Board minutes"], info={"Type": "Info", "Owner": "Board"})
    build_pdf(
        repo.path / "signed/continuity.pdf",
        ["Continuity policy"],
        info={"Type": "Info", "escm_type": "policy", "escm_practices": "thr07"},
    )
    repo.commit("Add signed PDFs", author=OWNER)
    data = check_json(repo.path)
    docs = {d["path"]: d for d in data["documents"]}
    assert docs["signed/board-minutes.pdf"]["type"] is None
    assert docs["signed/continuity.pdf"]["type"] == "policy"
    assert not [f for f in data["findings"] if f["rule"] == "front-matter-invalid"]


def test_legacy_doc_is_a_warning_unless_claimed(repo: GitRepo) -> None:
    """Defect: a legacy .doc under references/ was a parse-error failing the gate."""
    (repo.path / "references").mkdir()
    legacy_doc(repo.path / "references/old-manual.doc")
    repo.commit("Add an old reference", author=OWNER)
    data = check_json(repo.path)
    on_doc = [f for f in data["findings"] if f["path"] == "references/old-manual.doc"]
    assert [f["severity"] for f in on_doc if f["rule"] == "parse-error"] == ["warning"]
    assert blocking(data["findings"]) == []


# -- include patterns and formats


def test_include_of_files_no_reader_reads_is_a_warning_naming_them(repo: GitRepo) -> None:
    """Defect: `include: ["source/**/*.md.erb"]` matched 65 pages, read none, and said nothing."""
    for n in range(4):
        repo.write(f"source/handbook/page-{n}.html.md.erb", untagged_page(title=f"Page {n}"))
    repo.write(".escm-check.yaml", 'include: ["source/**/*.md.erb", "docs/**/*.md"]\n')
    repo.commit("Handbook pages", author=OWNER)
    data = check_json(repo.path)
    warnings = sorted(f["message"] for f in data["findings"] if f["rule"] == "include-unmatched")
    assert len(warnings) == 2, warnings
    assert "'docs/**/*.md' matches no file" in warnings[0]
    assert "'source/**/*.md.erb' matches 4 file(s)" in warnings[1]
    assert "source/handbook/page-0.html.md.erb" in warnings[1] and "and 1 more" in warnings[1]
    assert all(f["severity"] == "warning" for f in data["findings"] if f["rule"] == "include-unmatched")
    assert data["documents"] == []


def test_formats_map_their_file_patterns_to_a_reader(repo: GitRepo) -> None:
    repo.write("source/handbook/access.html.md.erb", untagged_page(title="Access", type="policy"))
    repo.write("site/rituals.MDX", untagged_page(title="Rituals"))
    repo.write(
        ".escm-check.yaml",
        'include: ["source/**/*.md.erb", "site/**"]\nformats: {"*.md.erb": markdown, ".mdx": markdown}\n',
    )
    repo.commit("Handbook pages", author=OWNER)
    data = check_json(repo.path)
    assert not [f for f in data["findings"] if f["rule"] == "include-unmatched"]
    docs = {d["path"]: d for d in data["documents"]}
    assert docs["source/handbook/access.html.md.erb"]["format"] == "markdown"
    assert docs["source/handbook/access.html.md.erb"]["type"] == "policy"
    assert docs["site/rituals.MDX"]["format"] == "markdown"


def test_a_formats_entry_must_name_a_reader(tmp_path: Path) -> None:
    (tmp_path / ".escm-check.yaml").write_text('formats: {"*.md.erb": erb}\n')
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "formats" in result.output
