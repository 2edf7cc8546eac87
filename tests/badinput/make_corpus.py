"""Build the bad-input corpus: one real git repository per hostile or broken case.

Every case is built at test time into a temporary folder (nothing large is committed to
this repository): the 100 MB file, the million-line file and the zip bomb are written in
streamed chunks, so building them costs seconds and little memory. Each case names the
finding it must give (rule, path, words of the message and, where it matters, the line).

    python -m tests.badinput.make_corpus DIR            # every case, one repository each
    python -m tests.badinput.make_corpus DIR --small    # leave out the large cases

Each repository also holds one good, approved document (``good.md``) and the config
``.escm-check.yaml`` (``as_of: 2026-10-01``), so a test can see that the run went on past the
bad file and still rated the good one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import docfactory as df
from ..gitrepo import GitRepo

MiB = 1024 * 1024
AS_OF = "2026-10-01"
APPROVER = "Bob Approver <bob@example.org>"
FILLER = (
    "This section describes in concrete terms how the work is planned, who performs it, "
    "which inputs it needs and what records it leaves behind for later review."
)

GOOD = "\n".join(
    [
        "---",
        "id: GOOD-1",
        'title: "Version control"',
        "type: procedure",
        "practices: [knw07]",
        "status: approved",
        'version: "1.0"',
        "owner: Quality Manager",
        f'approved_by: "{APPROVER}"',
        "approved_on: 2026-03-01",
        "---",
        "",
        "# Version control",
        "",
        "## Tools",
        "<!-- escm: knw07.b1 -->",
        "",
        FILLER,
        "",
    ]
)

# Strings that live only outside the repository (behind a symlink or an external entity):
# none of them may ever appear in a report.
OUTSIDE_SECRET = "OUTSIDE-SECRET-9c1e"
XXE_SECRET = "XXE-SECRET-5f3a"
PWNED = "PWNED"  # the file a YAML tag's payload would create in the outside folder


@dataclass(frozen=True)
class Expect:
    """A finding the case must give: its rule, its path, and words of its message."""

    rule: str
    path: str
    words: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Case:
    """One bad input: how to build it and the findings it must give."""

    name: str
    build: Callable[[Path, Path], None]  # (the work tree, a folder outside the repository)
    expect: tuple[Expect, ...]
    large: bool = False
    after_commit: Callable[[Path, Path], None] | None = None
    never_shown: tuple[str, ...] = ()  # text that must not reach any report
    never_created: tuple[str, ...] = ()  # files (in the outside folder) that must not appear


# ----------------------------------------------------------------------------- helpers


def write(path: Path, data: str | bytes) -> None:
    """Write text (UTF-8, as given) or bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def near_miss(doc_id: str, body: str = "# Title\n\nText.\n") -> str:
    """A document whose third line is the misspelt key `aproved_by`: a finding at line 3
    that proves the file was found, decoded and located by its exact name."""
    return f"---\nid: {doc_id}\naproved_by: Bob\ntitle: t\n---\n{body}"


def front(body: str, *keys: str) -> str:
    return "---\n" + "".join(k + "\n" for k in keys) + "---\n" + body


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        ref = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{ref}]")
    return front("# Laughs\n", *lines)


def hundred_mb(path: Path, size: int = 100 * MiB) -> None:
    """A Markdown file of `size` bytes (front matter, then prose), written in chunks."""
    head = front("", "id: BIG-1", "title: Big", "type: procedure").encode()
    line = (FILLER + "\n").encode()
    block = line * (MiB // len(line))
    with path.open("wb") as fh:
        fh.write(head)
        written = len(head)
        while written + len(block) <= size:
            fh.write(block)
            written += len(block)
        fh.write(b"x" * (size - written - 1) + b"\n")


MILLION = 1_000_000


def million_lines(path: Path, lines: int = MILLION) -> None:
    """A Markdown file of exactly `lines` lines whose last line holds a malformed tag."""
    head = [
        "---",
        "id: LINES-1",
        "title: Long",
        "type: procedure",
        "practices: [knw07]",
        "status: draft",
        'version: "1.0"',
        "---",
    ]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("\n".join(head) + "\n")
        n = len(head)
        chunk: list[str] = []
        while n < lines - 1:
            chunk.append(f"## Part {n}" if n % 10_000 == 0 else "A line of the long procedure.")
            n += 1
            if len(chunk) == 50_000:
                fh.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            fh.write("\n".join(chunk) + "\n")
        fh.write("<!-- escm: knw07.bogus -->\n")


def zip_bomb(path: Path) -> None:
    """A .docx whose document part inflates from about 250 KiB to 256 MiB."""
    df.zip_bomb_docx(path, unzipped_mib=256)


def symlink(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def bytes_name(folder: Path, name: bytes, data: bytes) -> None:
    """A file whose name is given as bytes (it need not be UTF-8)."""
    with open(os.fsencode(folder) + b"/" + name, "wb") as fh:
        fh.write(data)


def good_pdf(path: Path) -> None:
    df.build_pdf(path, ["Purpose\nThis record is a PDF page with words on it."])


# ----------------------------------------------------------------------------- the cases


def _b(rel: str, text: str | bytes) -> Callable[[Path, Path], None]:
    def build(repo: Path, outside: Path) -> None:
        write(repo / rel, text)

    return build


def _tag_payload(kind: str) -> Callable[[Path, Path], None]:
    def build(repo: Path, outside: Path) -> None:
        payload = f"!!python/object/apply:os.system ['touch {outside / PWNED}']"
        if kind == "front-matter":
            write(repo / "tagged.md", front("# T\n", f"id: {payload}", "title: t"))
        else:
            good_pdf(repo / "scan.pdf")
            write(repo / "scan.pdf.yaml", f"id: {payload}\ntitle: t\n")

    return build


def _outside_link(repo: Path, outside: Path) -> None:
    write(outside / "policy.md", near_miss(OUTSIDE_SECRET, f"# {OUTSIDE_SECRET}\n"))
    symlink(repo / "linked.md", outside / "policy.md")


def _outside_folder_link(repo: Path, outside: Path) -> None:
    write(outside / "shared" / "policy.md", near_miss(OUTSIDE_SECRET, f"# {OUTSIDE_SECRET}\n"))
    symlink(repo / "shared", outside / "shared")


def _relative_escape(repo: Path, outside: Path) -> None:
    write(outside / "policy.md", near_miss(OUTSIDE_SECRET, f"# {OUTSIDE_SECRET}\n"))
    symlink(repo / "docs" / "up.md", os.path.relpath(outside / "policy.md", repo / "docs"))


def _loop(repo: Path, outside: Path) -> None:
    symlink(repo / "loop-a.md", "loop-b.md")
    symlink(repo / "loop-b.md", "loop-a.md")
    symlink(repo / "self.md", "self.md")


def _xxe(repo: Path, outside: Path) -> None:
    write(outside / "secret.txt", XXE_SECRET)
    df.external_entity_docx(repo / "xxe.docx", target=(outside / "secret.txt").as_uri())


def _folder_like_doc(repo: Path, outside: Path) -> None:
    write(repo / "handbook.docx" / "notes.txt", "not a document\n")
    write(repo / "guide.md" / "chapter.md", near_miss("CHAPTER-1"))


def _becomes_folder(repo: Path, outside: Path) -> None:
    write(repo / "moved.md", near_miss("MOVED-1"))


def _becomes_folder_after(repo: Path, outside: Path) -> None:
    (repo / "moved.md").unlink()
    write(repo / "moved.md" / "inner.txt", "the file became a folder\n")


def _bad_name(repo: Path, outside: Path) -> None:
    bytes_name(repo, b"bad\xffname.md", near_miss("BADNAME-1").encode())


def _pdf(kind: str) -> Callable[[Path, Path], None]:
    def build(repo: Path, outside: Path) -> None:
        source = outside / "source.pdf"
        df.build_pdf(source, ["Purpose\n" + FILLER, "Scope\n" + FILLER])
        if kind == "encrypted":
            df.build_pdf(repo / "encrypted.pdf", ["Secret text"], user_password="s3cret")
        elif kind == "truncated":
            df.truncated(repo / "truncated.pdf", source)
        elif kind == "headerless":
            df.headerless(repo / "headerless.pdf", source)
        else:
            df.circular_pdf(repo / "circular.pdf")

    return build


def _docx(kind: str) -> Callable[[Path, Path], None]:
    def build(repo: Path, outside: Path) -> None:
        target = repo / f"{kind}.docx"
        if kind == "laughs":
            df.billion_laughs_docx(target)
        elif kind == "notzip":
            write(target, b"This is plain text with a .docx name, not a zip package.\n")
        elif kind == "nodocpart":
            df.docx_without_document_part(target)
        elif kind == "password":
            df.password_protected_docx(target)

    return build


def _redos(repo: Path, outside: Path) -> None:
    spaces = " " * 200_000
    body = "\n".join(
        [
            "# a" + spaces + "b",  # an ATX heading with a long run of spaces
            "<!-- escm:" + spaces + "x",  # a tag comment that never closes
            "<!--\n" * 49_999 + "<!--",  # 50 000 comments that never close
            "<!-- escm: knw07.zz -->",  # the one finding: a malformed tag, on the last line
            "",
        ]
    )
    text = front(body, "id: REDOS-1", "title: t")
    write(repo / "redos.md", text)


def _redos_line() -> int:
    # front matter (4 lines), the heading, the open tag, 50 000 comment lines, the tag
    return 4 + 1 + 1 + 50_000 + 1


def _approver_spaces(repo: Path, outside: Path) -> None:
    # a person's name with a long run of spaces (the approver check splits `Name <email>`)
    name = "Bob" + " " * 100_000 + "Approver x"
    write(
        repo / "approver.md",
        front(
            "# Version control\n\n## Tools\n<!-- escm: knw07.b1 -->\n\n" + FILLER + "\n",
            "id: APPROVER-1",
            "title: t",
            "type: procedure",
            "practices: [knw07]",
            "status: approved",
            'version: "1.0"',
            "owner: Quality Manager",
            f'approved_by: "{name}"',
            "approved_on: 2026-03-01",
            "reviewd_on: 2026-03-01",
        ),
    )


def _utf16(repo: Path, outside: Path) -> None:
    write(repo / "utf16.md", near_miss("UTF16-1").encode("utf-16"))


CASES: tuple[Case, ...] = (
    # front matter and YAML
    Case("alias-bomb", _b("bomb.md", alias_bomb()), (Expect("yaml-error", "bomb.md", ("alias bomb",)),)),
    Case(
        "deep-flow",
        _b("deep.md", front("# D\n", "id: " + "[" * 100_000 + "]" * 100_000)),
        (Expect("yaml-error", "deep.md", ("nested deeper",)),),
    ),
    Case(
        "deep-dashes",
        _b("dashes.md", front("# D\n", "id: x", "list:", "  " + "- " * 100_000 + "x")),
        (Expect("yaml-error", "dashes.md", ("nested deeper",)),),
    ),
    Case(
        "deep-indent",
        _b("stairs.md", front("# D\n", *(" " * i + f"k{i}:" for i in range(300)))),
        (Expect("yaml-error", "stairs.md", ("nested deeper",)),),
    ),
    Case(
        "unterminated",
        _b("open.md", "---\nid: OPEN-1\ntitle: t\n\n# Body\n\nText.\n"),
        (Expect("yaml-error", "open.md", ("never closed",), line=1),),
    ),
    Case(
        "no-opening",
        _b("noopen.md", "id: NOOPEN-1\ntitle: t\ntype: policy\n---\n# Body\n"),
        (Expect("yaml-error", "noopen.md", ("no opening",), line=1),),
    ),
    Case(
        "not-on-line-1",
        _b("late.md", "\n\n---\nid: LATE-1\ntitle: t\n---\n# Body\n"),
        (Expect("yaml-error", "late.md", ("line 1",), line=3),),
    ),
    Case(
        "tabs",
        _b("tabs.md", "---\nid: TABS-1\npractices:\n\t- knw07\n---\n# T\n"),
        (Expect("yaml-error", "tabs.md", ("tab",), line=4),),
    ),
    Case(
        "duplicate-keys",
        _b("dup.md", "---\nid: DUP-1\ntitle: a\nid: DUP-2\n---\n# T\n"),
        (Expect("yaml-error", "dup.md", ("duplicate key 'id'",), line=4),),
    ),
    Case(
        "python-tag-front-matter",
        _tag_payload("front-matter"),
        (Expect("yaml-error", "tagged.md", ("!!python/object/apply:os.system", "not allowed")),),
        never_created=(PWNED,),
    ),
    Case(
        "python-tag-sidecar",
        _tag_payload("sidecar"),
        (Expect("yaml-error", "scan.pdf.yaml", ("!!python/object/apply:os.system",)),),
        never_created=(PWNED,),
    ),
    Case(
        "bad-bool-tag",
        _b("maybe.md", front("# T\n", "id: MAYBE-1", "flag: !!bool maybe")),
        (Expect("yaml-error", "maybe.md", ("!!bool",), line=3),),
    ),
    Case(
        "merge-key",
        _b("merge.md", front("# T\n", "base: &b {owner: X}", "<<: *b", "id: M-1")),
        (Expect("yaml-error", "merge.md", ("merge keys",)),),
    ),
    # encodings and bytes
    Case(
        "invalid-utf8",
        _b("latin1.md", b"---\nid: L1\n---\n# Caf\xe9\n"),
        (Expect("parse-error", "latin1.md", ("utf-8",), line=4),),
    ),
    Case("utf16-bom", _utf16, (Expect("front-matter-unknown-key", "utf16.md", ("aproved_by",), line=3),)),
    Case(
        "nul-bytes",
        _b("nul.md", b"---\nid: NUL-1\n---\n# T\nab\0cd\n"),
        (Expect("parse-error", "nul.md", ("nul",), line=5),),
    ),
    Case("empty-file", _b("empty.md", b""), (Expect("front-matter-missing", "empty.md", ("no front matter",)),)),
    Case(
        "regex-backtracking",
        _redos,
        (Expect("unknown-activity", "redos.md", ("malformed tag", "knw07.zz"), line=_redos_line()),),
    ),
    Case(
        "approver-spaces",
        _approver_spaces,
        (Expect("front-matter-unknown-key", "approver.md", ("reviewd_on",), line=11),),
    ),
    # large files (built once per session)
    Case(
        "hundred-mb",
        lambda repo, out: hundred_mb(repo / "big.md"),
        (Expect("parse-error", "big.md", ("max_file_bytes",)),),
        large=True,
    ),
    Case(
        "million-lines",
        lambda repo, out: million_lines(repo / "lines.md"),
        (Expect("unknown-activity", "lines.md", ("malformed tag",), line=MILLION),),
        large=True,
    ),
    Case(
        "zip-bomb",
        lambda repo, out: zip_bomb(repo / "bomb.docx"),
        (Expect("parse-error", "bomb.docx", ("zip bomb",)),),
        large=True,
    ),
    # Word
    Case("docx-billion-laughs", _docx("laughs"), (Expect("parse-error", "laughs.docx", ("entities",)),)),
    Case("docx-external-entity", _xxe, (Expect("parse-error", "xxe.docx", ("entities",)),), never_shown=(XXE_SECRET,)),
    Case("docx-not-a-zip", _docx("notzip"), (Expect("parse-error", "notzip.docx", ("zip",)),)),
    Case("docx-no-document-part", _docx("nodocpart"), (Expect("parse-error", "nodocpart.docx", ("document part",)),)),
    Case("docx-password", _docx("password"), (Expect("parse-error", "password.docx", ("password",)),)),
    Case(
        "legacy-doc",
        lambda repo, out: df.legacy_doc(repo / "old.doc"),
        (Expect("parse-error", "old.doc", ("legacy",)),),
    ),
    # PDF
    Case("pdf-encrypted", _pdf("encrypted"), (Expect("parse-error", "encrypted.pdf", ("encrypted",)),)),
    Case("pdf-truncated", _pdf("truncated"), (Expect("parse-error", "truncated.pdf", ("truncated",)),)),
    Case("pdf-no-header", _pdf("headerless"), (Expect("parse-error", "headerless.pdf", ("header",)),)),
    Case("pdf-circular", _pdf("circular"), (Expect("parse-error", "circular.pdf", ("circular",)),)),
    # the file system
    Case(
        "symlink-outside",
        _outside_link,
        (Expect("file-skipped", "linked.md", ("outside the repository", "not followed")),),
        never_shown=(OUTSIDE_SECRET,),
    ),
    Case(
        "symlink-relative-escape",
        _relative_escape,
        (Expect("file-skipped", "docs/up.md", ("outside the repository",)),),
        never_shown=(OUTSIDE_SECRET,),
    ),
    Case(
        "symlink-folder-outside",
        _outside_folder_link,
        (Expect("file-skipped", "shared", ("folder", "not followed")),),
        never_shown=(OUTSIDE_SECRET,),
    ),
    Case(
        "symlink-loop",
        _loop,
        (
            Expect("file-skipped", "loop-a.md", ("symbolic link",)),
            Expect("file-skipped", "loop-b.md", ("symbolic link",)),
            Expect("file-skipped", "self.md", ("symbolic link",)),
        ),
    ),
    Case(
        "name-with-spaces",
        _b("with space/a doc.md", near_miss("SPACE-1")),
        (Expect("front-matter-unknown-key", "with space/a doc.md", ("aproved_by",), line=3),),
    ),
    Case(
        "name-non-ascii",
        _b("procédures/政策 ü.md", near_miss("UNICODE-1")),
        (Expect("front-matter-unknown-key", "procédures/政策 ü.md", ("aproved_by",), line=3),),
    ),
    Case(
        "name-with-newline",
        _b("new\nline.md", near_miss("NEWLINE-1")),
        (Expect("front-matter-unknown-key", "new\nline.md", ("aproved_by",), line=3),),
    ),
    Case(
        "name-with-quotes",
        _b("-dash \"quoted\" 'it's\ttab.md", near_miss("QUOTE-1")),
        (Expect("front-matter-unknown-key", "-dash \"quoted\" 'it's\ttab.md", ("aproved_by",), line=3),),
    ),
    Case(
        "name-with-backslash",
        _b("back\\slash.md", near_miss("BACKSLASH-1")),
        (Expect("front-matter-unknown-key", "back\\slash.md", ("aproved_by",), line=3),),
    ),
    Case(
        "name-glob-characters",
        _b("[draft] *?.md", near_miss("GLOB-1")),
        (Expect("front-matter-unknown-key", "[draft] *?.md", ("aproved_by",), line=3),),
    ),
    Case("name-not-utf8", _bad_name, (Expect("file-skipped", "bad\\xffname.md", ("not valid utf-8",)),)),
    Case(
        "folder-named-like-document",
        _folder_like_doc,
        (
            Expect("file-skipped", "handbook.docx", ("folder named like a document",)),
            Expect("file-skipped", "guide.md", ("folder named like a document",)),
            Expect("front-matter-unknown-key", "guide.md/chapter.md", ("aproved_by",), line=3),
        ),
    ),
    Case(
        "file-became-folder",
        _becomes_folder,
        (Expect("file-skipped", "moved.md", ("directory",)),),
        after_commit=_becomes_folder_after,
    ),
)


def small_cases() -> tuple[Case, ...]:
    return tuple(c for c in CASES if not c.large)


def large_cases() -> tuple[Case, ...]:
    return tuple(c for c in CASES if c.large)


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


# ----------------------------------------------------------------------------- building


CONFIG = f"as_of: {AS_OF}\n"


def build_case(c: Case, base: Path) -> tuple[Path, Path]:
    """Build one case's repository under `base/NAME`; return (repository, outside folder)."""
    return build_cases([c], base / c.name)


def build_cases(cases: list[Case] | tuple[Case, ...], folder: Path) -> tuple[Path, Path]:
    """One repository holding the given cases (and good.md), committed with an approval."""
    repo_dir, outside = folder / "repo", folder / "outside"
    if folder.exists():
        shutil.rmtree(folder)
    outside.mkdir(parents=True)
    repo = GitRepo(repo_dir)
    repo.write(".escm-check.yaml", CONFIG)
    repo.write("good.md", GOOD)
    for c in cases:
        c.build(repo_dir, outside)
    repo.commit("Add the documents", date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": APPROVER})
    for c in cases:
        if c.after_commit is not None:
            c.after_commit(repo_dir, outside)
    return repo_dir, outside


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--small", action="store_true", help="leave out the large cases")
    args = parser.parse_args(argv)
    for c in small_cases() if args.small else CASES:
        repo, _ = build_case(c, args.folder)
        print(f"{c.name}: {repo}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
