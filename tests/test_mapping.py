"""`escm-check map`: ranking on real git repositories with Markdown, Word and PDF documents."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import msgspec
import pytest
from click.testing import CliRunner
from escm_check.cli import main
from escm_check.crosswalk import check_crosswalk, load_crosswalk
from escm_check.documents import Document, Section
from escm_check.mapping import Ranker
from escm_check.rulepack import load_pack

from .clirun import escm_check
from .docfactory import Heading, build_docx, build_pdf
from .gitrepo import GitRepo, doc

DR = """# Keeping the service running after a disaster

## Scenarios

We list the events that could take a whole site or data centre down: fire, flood, loss of
power, a ransomware attack. Each scenario gets a recovery time objective (RTO) and a
recovery point objective (RPO).

## Recovery plan

For each scenario the plan says how services fail over to the second data centre, who
leads the recovery and how clients are told.

## Testing the plan

Twice a year we run a failover exercise and a walkthrough of the recovery plan, record what
went wrong and correct the plan.
"""

TRAINING = """# Staff training

## Training needs

Each team lead collects the skills their staff need for the coming year and the courses
that would give them those skills.

## Courses

The training coordinator books courses, keeps attendance and records who completed which
course, and asks every attendee whether the course met its objectives.
"""

SUPPLIERS = """# Choosing suppliers

When we need a subcontractor or vendor, we write down the selection criteria, ask at least
three suppliers for proposals, score each proposal against the criteria and agree a contract
with the supplier chosen.
"""


@pytest.fixture(scope="module")
def ranker() -> Ranker:
    return Ranker(load_pack("escm-sp-v2"))


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write("procedures/dr.md", DR)
    r.write("procedures/training.md", TRAINING)
    r.write("procedures/suppliers.md", SUPPLIERS)
    r.write(
        "policies/declared.md",
        doc(
            "# Changing documents\n\nEvery change to a controlled document gets a new version number, "
            "is reviewed and approved before release, and its history is kept.\n",
            id="POL-1",
            title="Version control",
            type="procedure",
            practices=["knw07"],
        ),
    )
    build_docx(
        r.path / "word/recovery.docx",
        [
            Heading("Disaster recovery", 1),
            "If a data centre is lost the services fail over to the standby site within the RTO.",
            Heading("Exercises", 2),
            "The recovery plan is tested every six months in a failover exercise and corrected.",
        ],
    )
    build_pdf(
        r.path / "pdf/security.pdf",
        [
            "Information security\nAccess to client data is granted on least privilege and reviewed.",
            "Passwords, encryption of laptops, security incidents reported to the security team.",
        ],
    )
    r.commit("documents")
    return r


def _map(repo: GitRepo, *args: str) -> dict[str, object]:
    run = escm_check("map", str(repo.path), "--format", "json", *args, cwd=repo.path)
    assert run.code == 0, run.stderr
    data: dict[str, object] = json.loads(run.stdout)
    return data


def _by_path(data: dict[str, object]) -> dict[str, dict[str, object]]:
    return {d["path"]: d for d in data["documents"]}  # type: ignore[index, attr-defined, union-attr]


def test_disaster_recovery_ranks_first_and_output_is_schema_valid(repo: GitRepo) -> None:
    data = _map(repo)
    jsonschema.validate(data, json.loads(resources.files("escm_check.schemas").joinpath("map.schema.json").read_text()))
    docs = _by_path(data)
    assert data["model"] == "escm-sp-v2"
    assert sorted(docs) == [
        "pdf/security.pdf",
        "policies/declared.md",
        "procedures/dr.md",
        "procedures/suppliers.md",
        "procedures/training.md",
        "word/recovery.docx",
    ]
    for path in ("procedures/dr.md", "word/recovery.docx"):
        assert docs[path]["practices"][0]["id"] == "thr07"  # type: ignore[index]
    assert docs["pdf/security.pdf"]["practices"][0]["id"] == "thr04"  # type: ignore[index]
    assert docs["procedures/suppliers.md"]["practices"][0]["id"] == "rel02"  # type: ignore[index]
    assert docs["procedures/training.md"]["practices"][0]["id"] == "ppl07"  # type: ignore[index]
    for d in docs.values():
        scores = [p["score"] for p in d["practices"]]  # type: ignore[index]
        assert scores == sorted(scores, reverse=True) and len(scores) <= 5
        assert all(0.0 <= s <= 1.0 for s in scores)


def test_activities_point_at_the_sections_that_match(repo: GitRepo) -> None:
    docs = _by_path(_map(repo))
    thr07 = docs["procedures/dr.md"]["practices"][0]  # type: ignore[index]
    acts = {a["id"]: a for a in thr07["activities"]}
    assert acts["b4"]["section"] == "Testing the plan"  # test the plan at intervals
    assert acts["b4"]["line"] == DR.splitlines().index("## Testing the plan") + 1
    pdf = docs["pdf/security.pdf"]["practices"][0]  # type: ignore[index]
    assert {a["section"] for a in pdf["activities"]} <= {"Page 1", "Page 2"}
    assert {a["line"] for a in pdf["activities"]} <= {1, 2}


def test_declared_practices_are_still_ranked_and_marked(repo: GitRepo) -> None:
    docs = _by_path(_map(repo, "--top", "3"))
    declared = docs["policies/declared.md"]
    assert declared["declared"] == ["knw07"]
    assert declared["practices"][0]["id"] == "knw07"  # type: ignore[index]
    assert all(len(d["practices"]) <= 3 for d in docs.values())  # type: ignore[arg-type]
    text = escm_check("map", str(repo.path), cwd=repo.path).stdout
    assert "knw07  " in text and "(declared)" in text
    assert "thr07" in text and "Disaster recovery" in text


def test_output_is_the_same_bytes_every_run(repo: GitRepo) -> None:
    first = escm_check("map", str(repo.path), "--format", "json", cwd=repo.path)
    second = escm_check("map", str(repo.path), "--format", "json", cwd=repo.path)
    assert first.code == 0 and first.stdout == second.stdout
    assert escm_check("map", str(repo.path), cwd=repo.path).stdout == escm_check("map", str(repo.path)).stdout


def test_config_exclude_applies(repo: GitRepo) -> None:
    repo.write(".escm-check.yaml", "exclude: ['procedures/**']\n")
    repo.commit("config")
    paths = set(_by_path(_map(repo)))
    assert not any(p.startswith("procedures/") for p in paths) and "word/recovery.docx" in paths


def test_write_crosswalk_loads_back_and_writes_nothing_else(repo: GitRepo, tmp_path: Path) -> None:
    out = repo.path / ".escm-crosswalk.yaml"
    run = escm_check("map", str(repo.path), "--write-crosswalk", str(out), cwd=repo.path)
    assert run.code == 0, run.stderr
    assert repo.git("status", "--porcelain").strip() == "?? .escm-crosswalk.yaml"
    cw, problems = load_crosswalk(out)
    assert problems == []
    pack = load_pack("escm-sp-v2")
    docs = {p: None for p in repo.git("ls-files").split()}
    assert check_crosswalk(cw, pack, docs) == []
    assert cw.entries and all(e.status == "suggested" for e in cw.entries) and cw.accepted() == ()
    dr = next(e for e in cw.entries if e.path == "procedures/dr.md" and e.practices == ("thr07",))
    assert "b4" in dr.satisfies["thr07"] and dr.score is not None and "Testing the plan" in (dr.note or "")
    # sponsorship, approval and upkeep show in metadata and history, never in a section's words
    assert not [a for e in cw.entries for acts in e.satisfies.values() for a in acts if a.startswith("a")]
    # a practice the document declares is not suggested again
    assert not [e for e in cw.entries if e.path == "policies/declared.md" and "knw07" in e.practices]

    # a person accepts one suggestion; a second run keeps it and suggests the rest again
    text = out.read_text()
    first = text.index("status: suggested")
    out.write_text(text[:first] + "status: accepted" + text[first + len("status: suggested") :])
    accepted = load_crosswalk(out)[0].accepted()
    assert len(accepted) == 1
    again = escm_check("map", str(repo.path), "--write-crosswalk", str(out), cwd=repo.path)
    assert again.code == 0
    cw2, problems2 = load_crosswalk(out)
    assert problems2 == [] and cw2.accepted() == tuple(
        msgspec.structs.replace(e, line=cw2.entries[0].line) for e in accepted
    )
    assert len(cw2.entries) == len(cw.entries)


def test_write_crosswalk_refuses_to_overwrite_a_broken_file(repo: GitRepo) -> None:
    out = repo.path / "cw.yaml"
    out.write_text("version: 1\nentries:\n  - path: x.md\n    practices: [thr07]\n    status: maybe\n")
    run = escm_check("map", str(repo.path), "--write-crosswalk", str(out), cwd=repo.path)
    assert run.code == 2
    assert "cw.yaml:5" in run.stderr and "not overwritten" in run.stderr
    assert "status: maybe" in out.read_text()


def test_a_document_with_no_words_of_the_model_ranks_nothing(ranker: Ranker) -> None:
    empty = Document(path="notes/blank.md", format="markdown", sections=(Section("Zzz", 1, 1, 2, text="qqq"),))
    assert ranker.rank(empty).practices == ()


def test_vocabulary_terms_count(ranker: Ranker) -> None:
    text = "The BCP names an RTO and RPO for each site."
    d = Document(path="x.md", format="markdown", text=text, sections=(Section("Site targets", 1, 1, 3, text=text),))
    plain = ranker.rank(d)
    with_words = Ranker(ranker.pack, {"thr07": ["BCP", "RTO", "RPO"]}).rank(d)
    assert with_words.practices[0].id == "thr07"
    assert [p.id for p in plain.practices][:1] != ["thr07"] or plain.practices[0].score < with_words.practices[0].score


def test_the_command_in_process_renders_both_formats_and_the_crosswalk(repo: GitRepo, tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["map", str(repo.path), "--top", "2"])
    assert text.exit_code == 0, text.output
    assert "procedures/dr.md\n  thr07  " in text.output and text.output.endswith(
        "6 document(s) ranked against escm-sp-v2\n"
    )
    as_json = runner.invoke(main, ["map", str(repo.path), "--format", "json", "--top", "1"])
    assert as_json.exit_code == 0
    assert all(len(d["practices"]) <= 1 for d in json.loads(as_json.output)["documents"])
    target = tmp_path / "draft.yaml"
    written = runner.invoke(main, ["map", str(repo.path), "--write-crosswalk", str(target)])
    assert written.exit_code == 0 and load_crosswalk(target)[1] == []
    bad = runner.invoke(main, ["map", str(repo.path), "--model", "no-such-pack"])
    assert bad.exit_code == 2 and "no such rule pack" in bad.output
