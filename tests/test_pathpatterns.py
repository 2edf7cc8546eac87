"""include, exclude and formats follow .gitignore rules (pathspec, matched by RE2).

The patterns on their own, then through discovery on a real repository, then a bad pattern in
a real configuration file: a usage error naming the file, its line and the pattern.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from escm_check.config import ConfigError, load_config
from escm_check.discover import discover
from escm_check.pathpatterns import PatternError, Patterns

from .clirun import escm_check
from .gitrepo import GitRepo, doc


def matches(patterns: list[str], path: str, folder: bool = False) -> bool:
    return Patterns(patterns).matches(path, folder)


# ----------------------------------------------------------------------------- the patterns


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        # `!` takes back what an earlier pattern selected; the last pattern that matches decides
        (["drafts/**", "!drafts/keep.md"], "drafts/keep.md", False),
        (["drafts/**", "!drafts/keep.md"], "drafts/other.md", True),
        (["drafts/", "!drafts/keep.md"], "drafts/keep.md", False),
        (["*.md", "!README.md"], "docs/README.md", False),
        (["*.md", "!README.md", "docs/README.md"], "docs/README.md", True),
        (["!drafts/keep.md"], "drafts/keep.md", False),  # a negation alone selects nothing
        # a backslash makes the next character literal
        ([r"\*.md"], "*.md", True),
        ([r"\*.md"], "policy.md", False),
        ([r"\!important.md"], "!important.md", True),
        ([r"\#1.md"], "#1.md", True),
        ([r"what\?.md"], "what?.md", True),
        ([r"what\?.md"], "whats.md", False),
        # a character range wider than 256 code points is a range like any other
        (["[a-\u30ff]*.md"], "カタログ.md", True),
        (["[a-\u30ff]*.md"], "Zeta.md", False),
        (["[\u0100-\U0010ffff].md"], "\U0001f600.md", True),
        # `**/` is any number of folders, none included
        (["**/records/*.md"], "records/a.md", True),
        (["**/records/*.md"], "x/y/records/a.md", True),
        (["**/records/*.md"], "x/records/y/a.md", False),
        (["a/**/b.md"], "a/b.md", True),
        (["a/**/b.md"], "a/x/y/b.md", True),
        (["records/**"], "records/a/b.md", True),
        # a pattern with a slash is rooted at the checked folder; without one it matches at any depth
        (["/policy.md"], "policy.md", True),
        (["/policy.md"], "x/policy.md", False),
        (["x/policy.md"], "y/x/policy.md", False),
        (["policy.md"], "y/x/policy.md", True),
        # names compare with their case
        (["*.MD"], "a.md", False),
    ],
)
def test_gitignore_semantics(patterns: list[str], path: str, expected: bool) -> None:
    assert matches(patterns, path) is expected


def test_folder_patterns_match_the_folder_and_everything_in_it() -> None:
    assert matches(["drafts/"], "drafts/x.md")
    assert matches(["drafts/"], "team/drafts/x.md")  # a trailing slash alone does not root a pattern
    assert matches(["drafts/"], "drafts", folder=True)
    assert not matches(["drafts/"], "drafts")  # a file named `drafts`
    assert not matches(["drafts/"], "drafts.md")
    assert not matches(["drafts/"], "other/drafts.md")
    # as in .gitignore, a name without a slash also names a folder (before: only a file of that name)
    assert matches(["drafts"], "drafts/x.md")


def test_an_empty_list_matches_nothing() -> None:
    assert not Patterns([])
    assert not matches([], "a.md")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[z-a].md", "bad character range z-a"),
        ("#notes.md", "a '#' comment"),
        ("", "it is empty"),
        ("/", "a lone '/'"),
        ("!", "a lone '!'"),
        ("policies\\", "a trailing '\\'"),
        ("[abc.md", "a '[' is never closed"),
    ],
)
def test_a_pattern_that_cannot_match_is_refused_by_name(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError) as caught:
        Patterns(["*.md", pattern])
    assert caught.value.pattern == pattern
    assert reason in str(caught.value)
    assert repr(pattern) in str(caught.value)


# ----------------------------------------------------------------------------- discovery


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    for rel in (
        "policies/quality.md",
        "drafts/keep.md",
        "drafts/other.md",
        "team/drafts/idea.md",
        "archive/old.md",
        "*.md",
        "notes/drafts",
    ):
        r.write(rel, doc(id=rel, title=rel))
    r.commit("documents")
    return r


def documents(repo: GitRepo, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
    return list(discover(repo.path, include, exclude).documents)


def test_exclude_with_negation_keeps_one_file(repo: GitRepo) -> None:
    got = documents(repo, exclude=("drafts/", "!drafts/keep.md"))
    assert "drafts/keep.md" in got
    assert "drafts/other.md" not in got and "team/drafts/idea.md" not in got
    assert "policies/quality.md" in got


def test_include_with_negation_and_a_rooted_folder(repo: GitRepo) -> None:
    got = documents(repo, include=("*.md", "!/archive/**"))
    assert "archive/old.md" not in got
    assert {"policies/quality.md", "drafts/keep.md", "team/drafts/idea.md"} <= set(got)
    # as in git, `!folder/` takes back the folder, not the files an earlier pattern named by name
    assert "archive/old.md" in documents(repo, include=("*.md", "!/archive/"))


def test_an_escaped_star_names_the_file_called_star(repo: GitRepo) -> None:
    assert documents(repo, include=(r"\*.md",)) == ["*.md"]
    assert "*.md" not in documents(repo, exclude=(r"\*.md",))
    assert "policies/quality.md" in documents(repo, exclude=(r"\*.md",))


def test_patterns_are_relative_to_the_checked_folder(repo: GitRepo) -> None:
    got = discover(repo.path / "drafts", (), ("/keep.md",)).documents
    assert got == ("drafts/other.md",)


def test_an_excluded_folder_named_like_a_document_is_not_reported(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.write("handbook.md/page.md", doc(id="P-1", title="page"))
    r.commit("folder named like a document")
    assert [f.path for f in discover(r.path).findings if f.rule == "file-skipped"] == ["handbook.md"]
    assert not [f for f in discover(r.path, (), ("handbook.md/",)).findings if f.rule == "file-skipped"]


def test_a_dead_negated_include_is_reported(repo: GitRepo) -> None:
    found = discover(repo.path, ("*.md", "!nowhere/"), ()).findings
    messages = [f.message for f in found if f.rule == "include-unmatched"]
    assert messages == ["include pattern '!nowhere/' matches no file"]


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        ("target_level: 2\ninclude:\n  - '*.md'\n  - '[z-a].md'\n", 4, "include: pattern '[z-a].md'"),
        ("exclude: ['\\#drafts', '#drafts']\n", 1, "exclude: pattern '#drafts'"),
        ("formats: {'!*.mdx': markdown}\n", 1, "formats: pattern '!*.mdx': a formats pattern"),
        ("formats:\n  '*.md.erb': markdown\n  '[Z-a].txt': markdown\n", 3, "formats: pattern '[Z-a].txt'"),
    ],
)
def test_a_bad_pattern_is_a_config_error_naming_file_line_and_pattern(
    tmp_path: Path, text: str, line: int, named: str
) -> None:
    path = tmp_path / ".escm-check.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:{line}: {named}")


def test_a_bad_pattern_stops_the_cli_with_exit_2(repo: GitRepo, tmp_path: Path) -> None:
    repo.write(".escm-check.yaml", "exclude: ['drafts/[abc']\n")
    run = escm_check("check", str(repo.path), "-q", cache_home=tmp_path / "cache")
    assert run.code == 2, run.output
    assert ".escm-check.yaml:1: exclude: pattern 'drafts/[abc': matches nothing: a '[' is never closed" in run.stderr
    assert "Traceback" not in run.output


def test_a_formats_pattern_names_the_file_never_a_folder_above_it() -> None:
    from escm_check.formats import reader_for

    formats = {"*.md.erb": "markdown", "scans/**/*.txt": "pdf"}
    assert reader_for("source/a.html.md.erb", formats) == "markdown"
    assert reader_for("scans/2026/q1.txt", formats) == "pdf"
    # under .gitignore rules these patterns would take in everything inside such folders
    assert reader_for("source/page.md.erb/logo.png", formats) is None
    assert reader_for("scans/box.txt/photo.png", formats) is None


def test_a_formats_pattern_naming_a_folder_is_refused() -> None:
    # the configuration schema already refuses a `/` in a formats key; callers of the API meet this
    from escm_check.formats import check_format_pattern

    with pytest.raises(PatternError, match=r"pattern 'drafts/': a formats pattern names files, not folders"):
        check_format_pattern("drafts/")
    check_format_pattern("scans/**/*.txt")
