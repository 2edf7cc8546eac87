"""One table of formats: discovery, the readers, the history and the hook agree with it.

Each built-in extension is written as a real file, committed twice in a real repository, and
then discovered, read by the reader the table names and given its versions from git's blobs
exactly when the table says so. A `formats` entry is followed the same way by every stage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escm_check.adapters.limits import Limits
from escm_check.cli import main
from escm_check.discover import discover
from escm_check.formats import (
    BUILT_IN,
    READERS,
    Format,
    classify,
    history_kind,
    is_legacy,
    reader_for,
)
from escm_check.history import load_versions, read_history
from escm_check.parsing import read_all
from escm_check.staged import NEEDS_REPOSITORY

from .docfactory import Heading, build_docx, build_pdf, legacy_doc
from .gitrepo import GitRepo, doc

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"
AS_OF = "2026-06-01"
LIMITS = Limits(timeout_seconds=0)
PROSE = "The quality manager keeps every controlled document under version control."


def meta(version: str, **extra: str) -> dict[str, str]:
    return {
        "id": "PRC-1",
        "title": "Change control",
        "type": "procedure",
        "status": "approved",
        "version": version,
        **extra,
    }


def write_sample(repo: GitRepo, rel: str, fmt: Format, version: str) -> None:
    """A real file of the format at `rel` holding `version`; formats without a reader get a sidecar."""
    path = repo.path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt.legacy and fmt.reader is not None:
        legacy_doc(path)
        path.write_bytes(path.read_bytes() + version.encode())  # a new blob per version
    elif fmt.reader == "markdown":
        repo.write(rel, doc(f"# Steps\n\n{PROSE}\n", **meta(version)))
    elif fmt.reader == "docx":
        build_docx(path, [Heading("Steps"), PROSE], custom=meta(version))
    elif fmt.reader == "pdf":
        build_pdf(path, [PROSE], info=meta(version))
    else:
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + version.encode())  # an OLE header
        repo.write(rel + ".yaml", "".join(f"{k}: {json.dumps(v)}\n" for k, v in meta(version).items()))


# -- the table itself


def test_the_table_holds_the_formats_users_are_promised() -> None:
    assert {s for s, f in BUILT_IN.items() if f.reader == "markdown"} == {".md", ".markdown"}
    assert {s for s, f in BUILT_IN.items() if f.reader == "docx" and not f.legacy} == {".docx", ".docm"}
    assert {s for s, f in BUILT_IN.items() if f.reader == "pdf"} == {".pdf"}
    assert {s for s, f in BUILT_IN.items() if f.legacy} == {".doc", ".xls", ".ppt"}
    assert {s for s, f in BUILT_IN.items() if f.history} == {".md", ".markdown", ".docx", ".docm", ".pdf"}


def test_the_config_schema_offers_exactly_the_readers() -> None:
    schema = json.loads(resources.files("escm_check.schemas").joinpath("config.schema.json").read_text())
    assert tuple(schema["properties"]["formats"]["additionalProperties"]["enum"]) == READERS


@pytest.mark.parametrize(
    ("rel", "reader", "kind", "legacy"),
    [
        ("docs/Policy.MD", "markdown", "markdown", False),
        ("notes.markdown", "markdown", "markdown", False),
        ("a/b.docm", "docx", "docx", False),
        ("scan.PDF", "pdf", "pdf", False),
        ("old.DOC", "docx", None, True),
        ("log.xls", None, None, True),
        ("a/report.pdf.yaml", None, "sidecar", False),
        ("Makefile.yaml", None, "sidecar", False),  # the sidecar of a file without an extension
        (".md", "markdown", "markdown", False),
        ("image.png", None, None, False),
        ("dir/", None, None, False),
    ],
)
def test_names_by_the_table(rel: str, reader: str | None, kind: str | None, legacy: bool) -> None:
    assert reader_for(rel) == reader
    assert history_kind(rel) == kind
    assert is_legacy(rel) is legacy


def test_a_configured_pattern_comes_before_the_table_but_never_makes_a_sidecar_a_document() -> None:
    formats = {"*.md.erb": "markdown", ".mdx": "markdown", "scans/**/*.txt": "pdf"}
    assert reader_for("source/a.html.md.erb", formats) == "markdown"
    assert history_kind("source/a.html.md.erb", formats) == "markdown"
    assert reader_for("site/Rituals.MDX", formats) == "markdown"
    assert reader_for("scans/2026/q1.txt", formats) == "pdf" and reader_for("q1.txt", formats) is None
    assert reader_for("source/a.html.md.erb") is None and history_kind("source/a.html.md.erb") is None
    assert classify("x.pdf.yaml", {"x.pdf.yaml.yaml"}, {"*.yaml": "markdown"}) is None
    assert history_kind("x.pdf.yaml", {"*.yaml": "markdown"}) == "sidecar"


# -- every consumer on real files


@pytest.mark.parametrize("ext", sorted(BUILT_IN))
def test_every_built_in_extension_is_discovered_read_and_versioned_as_the_table_says(tmp_path: Path, ext: str) -> None:
    fmt = BUILT_IN[ext]
    repo = GitRepo(tmp_path / "repo")
    rel = f"docs/sample{ext}"
    for version in ("1.0", "1.1"):
        write_sample(repo, rel, fmt, version)
        repo.commit(f"sample {version}", author=ANN, trailers={"Approved-by": BOB})

    assert rel in discover(repo.path).documents
    (got,) = read_all(repo.path, [rel], LIMITS, jobs=1)
    assert got.format == (fmt.reader or "sidecar")
    if fmt.legacy and fmt.reader is not None:
        assert got.error is not None and "convert it" in got.error
    else:
        assert got.error is None and got.metadata["version"] == "1.1"

    for prefetch in (True, False):
        hist = read_history(repo.path, prefetch=prefetch)
        versions = load_versions(repo.path, hist, [rel], LIMITS)
        if fmt.history:
            assert [v.version for v in versions[rel]] == ["1.1", "1.0"]
        else:
            assert rel not in versions
    if fmt.reader is None:  # its metadata's history is its sidecar's
        side = rel + ".yaml"
        versions = load_versions(repo.path, read_history(repo.path), [side])
        assert [v.version for v in versions[side]] == ["1.1", "1.0"]


def test_a_formats_entry_makes_discovery_reading_and_history_agree(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    rel = "source/handbook/access.html.md.erb"
    formats = {"*.md.erb": "markdown"}
    for version in ("1.0", "1.1"):
        repo.write(rel, doc(f"# Steps\n\n{PROSE}\n", **meta(version)))
        repo.commit(f"access {version}", author=ANN, trailers={"Approved-by": BOB})

    assert rel in discover(repo.path, formats=formats).documents
    assert rel not in discover(repo.path).documents
    (got,) = read_all(repo.path, [rel], LIMITS, jobs=1, formats=formats)
    assert got.format == "markdown" and got.metadata["version"] == "1.1"
    for prefetch in (True, False):
        hist = read_history(repo.path, prefetch=prefetch, formats=formats)
        versions = load_versions(repo.path, hist, [rel], LIMITS, formats)
        assert [v.version for v in versions[rel]] == ["1.1", "1.0"]
    assert rel not in load_versions(repo.path, read_history(repo.path), [rel], LIMITS)


# -- the check and the hook, through the command line


def cli(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(repo.path)
    result = CliRunner().invoke(main, [*args, "--format", "json", "--as-of", AS_OF])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def by_document(findings: list[dict[str, Any]], paths: Mapping[str, str]) -> dict[str, set[tuple[Any, ...]]]:
    """Each document's own findings (rule, severity, line), keyed by the name given to its path;
    findings about the repository as a whole (a Practice's gaps) are left out."""
    out: dict[str, set[tuple[Any, ...]]] = {name: set() for name in paths.values()}
    for f in findings:
        if f["path"] in paths and f["rule"] not in NEEDS_REPOSITORY:
            out[paths[f["path"]]].add((f["rule"], f["severity"], f["line"]))
    return out


def test_a_configured_page_is_judged_like_a_markdown_file_by_the_check_and_the_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write(".escm-check.yaml", 'formats: {"*.md.erb": markdown}\n')
    paths = {"plain/change.md": "md", "site/change.html.md.erb": "erb"}

    def write(version: str, body: str) -> None:
        for n, rel in enumerate(paths):
            extra = {"owner": "Quality Manager", "approved_by": "Bob Approver", "approved_on": "2026-01-01"}
            text = doc(body, **{**meta(version, **extra), "id": f"PRC-{n}", "practices": ["knw07"]})
            repo.write(rel, text)

    write("1.0", f"# Steps\n\n{PROSE}\n")
    repo.commit("Add the procedure", author=ANN, trailers={"Approved-by": BOB})
    write("1.0", f"# Steps\n\n{PROSE} Twice a year.\n")  # content changed, version not raised
    repo.commit("Tighten the review", author=ANN)

    checked = by_document(cli(repo, "check", str(repo.path), monkeypatch=monkeypatch)["findings"], paths)
    assert {"change-unapproved", "version-not-bumped"} <= {rule for rule, _, _ in checked["md"]}
    assert checked["erb"] == checked["md"]

    write("1.0", f"# Steps\n\n{PROSE} Every quarter.\n")
    repo.git("add", "-A")
    staged = cli(repo, "staged", *paths, monkeypatch=monkeypatch)["findings"]
    hooked = by_document(staged, paths)
    assert any(rule == "version-not-bumped" for rule, _, _ in hooked["md"])
    assert hooked["erb"] == hooked["md"]


def test_outside_git_only_regular_files_are_read_and_every_other_entry_is_named(tmp_path: Path) -> None:
    import os

    from escm_check.discover import discover

    root = tmp_path / "folder"
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "docs" / "deep" / "policy.md").write_text("# Policy\n")
    (root / "docs" / "plan.md").write_text("# Plan\n")
    (root / "docs" / "link.md").symlink_to(root / "docs" / "plan.md")
    (root / "docs" / "gone.md").symlink_to(root / "docs" / "nowhere.md")
    (root / "docs" / "linked").symlink_to(root / "docs" / "deep")
    (root / "folder.md").mkdir()
    (root / "folder.md" / "inner.md").write_text("# Inner\n")
    (root / ".git").mkdir()
    (root / ".git" / "hidden.md").write_text("# not listed\n")
    os.mkfifo(root / "pipe.md")
    found = discover(root)
    # the folder listing's own file types decide: a link, a folder or a FIFO is never taken as a file
    assert found.documents == ("docs/deep/policy.md", "docs/plan.md", "folder.md/inner.md", "pipe.md")
    skipped = sorted((f.path, f.message.split(":")[0]) for f in found.findings if f.rule == "file-skipped")
    assert [p for p, _ in skipped] == ["docs/gone.md", "docs/link.md", "docs/linked", "folder.md"]
