"""Fuzz campaign: mutate whole repositories with history, check each, minimise what breaks.

    python bench/fuzz.py --repos 52 --files 200 --seed 1            # the campaign (tens of minutes)
    python bench/fuzz.py --repos 3 --files 30 --seed 7              # a smoke run
    python bench/fuzz.py ... --cases tests/fuzz_cases               # write reproducers as test cases

Each repository starts from the example repository with its scripted history (the demo's
`replay`) or from a generated one (bench/generate.py), and then takes a few rounds of
commits, each mutating files: front-matter values of every YAML type (surrogate escapes,
Unicode digits, huge numbers and dates, nesting, aliases, tags), encodings (Latin-1, UTF-16,
stray bytes, BOMs, NUL, NEL/LS/PS), bodies (tags, headings, fences), new Word files with odd
custom properties and damaged parts, new PDFs (bit flips, truncation, odd filters,
decompression bombs, encryption), sidecars, the configuration, commit messages and trailers.
Some rounds leave their mutations uncommitted in the working tree.

Every repository is checked by the real CLI in a child process (all report formats), and
the run is judged:

- internal error: exit 3, an ``internal-error`` finding, or a report missing or unreadable;
- hang: no exit within ``--timeout`` seconds;
- memory: the peak resident set of escm-check's own process over ``--memory`` (1 GiB);
- change: any change in the checked repository (working tree, index, refs, HEAD, config).

A failure is minimised: first the mutations are cut down (ddmin over them, replayed on the
same base), then the base itself is dropped when the failure survives without it. The
smallest reproducer is written as a case folder (one subfolder per commit, plus case.json),
and ``tests/test_fuzz_cases.py`` replays every case under ``tests/fuzz_cases/`` as a
regression test. Everything is seeded: the same arguments give the same campaign.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import functools
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from escm_check import metadata_keys  # noqa: E402

from tests.docfactory import (  # noqa: E402
    Heading,
    bomb_pdf,
    build_docx,
    build_pdf,
    custom_properties_xml,
    one_page_pdf,
    raw_pdf,
    rewrite_part,
    zip_bomb_docx,
)

MiB = 1024 * 1024
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
PEOPLE = ("Ann Lee <ann@example.org>", "Bob Kim <bob@example.org>", "Cleo Díaz <cleo@example.org>", "Dev <dev@x>")

# ----------------------------------------------------------------------------- the child run

# Runs escm-check's CLI in the child's own process and records that process's peak resident
# set (RUSAGE_SELF: its threads, not the reader processes or git it starts; those are
# RUSAGE_CHILDREN and reported beside it).
CHILD = """
import json, resource, sys
out = sys.argv[1]
sys.argv = ["escm-check", *sys.argv[2:]]
code = 0
try:
    from escm_check.cli import main
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "w") as fh:
        json.dump({"code": code, "self_kib": self_kib, "children_kib": kids_kib}, fh)
sys.exit(code)
"""


@dataclass
class Outcome:
    """What one check of one repository did."""

    code: int | None
    seconds: float
    self_mib: float = 0.0
    children_mib: float = 0.0
    internal: list[str] = field(default_factory=list)  # internal-error messages, or why the run is one
    hang: bool = False
    changed: list[str] = field(default_factory=list)
    reports_ok: bool = True

    def failure(self, memory_mib: float) -> str | None:
        """The kind of failure, or None: internal, hang, memory or change."""
        if self.hang:
            return "hang"
        if self.internal or not self.reports_ok:
            return "internal"
        if self.self_mib > memory_mib:
            return "memory"
        if self.changed:
            return "change"
        return None


def git(repo: Path, *args: str, env: dict[str, str] | None = None, data: bytes | None = None) -> bytes:
    """Run git in `repo` with a clean environment; raise on failure."""
    full = base_env() | (env or {})
    proc = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, env=full, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ESCM_"))}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C", "TZ": "UTC"})
    return env


def snapshot(repo: Path) -> dict[str, str]:
    """Everything the checker must never change: files, index, refs, HEAD, config."""
    out: dict[str, str] = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha1(path.read_bytes()).hexdigest()
    out[".git/index (entries)"] = hashlib.sha1(git(repo, "ls-files", "-s", "-z")).hexdigest()
    out[".git/refs"] = hashlib.sha1(git(repo, "for-each-ref", "--format=%(refname) %(objectname)")).hexdigest()
    out[".git/HEAD"] = (repo / ".git" / "HEAD").read_text()
    out[".git/config"] = hashlib.sha1((repo / ".git" / "config").read_bytes()).hexdigest()
    return out


def run_check(repo: Path, work: Path, timeout: float, cache: bool) -> Outcome:
    """Check `repo` with every report format in a child process and judge what happened."""
    reports = work / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    stats = work / "stats.json"
    stats.unlink(missing_ok=True)
    args = ["check", str(repo)] + ([] if cache else ["--no-cache"])
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(reports / f"report.{fmt}")]
    if (repo / ".git" / "index").exists():  # as a repository in use has it: stat data fresh
        subprocess.run(["git", "-C", str(repo), "update-index", "-q", "--refresh"], env=base_env(), check=False)
    before = snapshot(repo)
    env = base_env() | {"XDG_CACHE_HOME": str(work / "cache"), "NO_COLOR": "1"}
    started = time.monotonic()

    def cap() -> None:  # the machine's safety, far above the target being measured
        resource.setrlimit(resource.RLIMIT_AS, (8 * 1024**3, 8 * 1024**3))

    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(stats), *args],
            capture_output=True,
            timeout=timeout,
            env=env,
            preexec_fn=cap,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(None, time.monotonic() - started, hang=True)
    seconds = time.monotonic() - started
    out = Outcome(proc.returncode, seconds)
    if stats.exists():
        s = json.loads(stats.read_text())
        out.self_mib, out.children_mib = s["self_kib"] / 1024, s["children_kib"] / 1024
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode == 3 or "internal error" in stderr or proc.returncode not in (0, 1, 2):
        out.internal.append(f"exit {proc.returncode}: {stderr.strip().splitlines()[-1] if stderr.strip() else ''}")
    if proc.returncode in (0, 1, 3):
        out.reports_ok, found = _read_reports(reports)
        out.internal += found
    after = snapshot(repo)
    out.changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return out


def _read_reports(folder: Path) -> tuple[bool, list[str]]:
    try:
        texts = {fmt: (folder / f"report.{fmt}").read_bytes().decode("utf-8") for fmt in FORMATS}
        report = json.loads(texts["json"])
        json.loads(texts["sarif"])
        ok = texts["html"].rstrip().endswith("</html>") and all(texts.values())
    except (OSError, ValueError) as exc:
        return False, [f"report unreadable: {type(exc).__name__}: {exc}"]
    found = [
        f"{f.get('path')}: {f['message']}" for f in report.get("findings", []) if f.get("rule") == "internal-error"
    ]
    return ok, found


# ----------------------------------------------------------------------------- mutations


def nasty_value(rng: random.Random) -> str:
    """A YAML value as written in front matter: every type, and the shapes that break readers."""
    n = rng.randrange(30)
    digits = "٠١٢٣٤٥٦٧٨٩²³¹½१२३๔໕༦߀𝟏２"
    return [
        lambda: str(rng.randrange(-(10**30), 10**30)),
        lambda: "1" * rng.choice([4301, 5000, 20000]),
        lambda: '"1.' + "9" * rng.choice([10, 5000]) + '"',
        lambda: '"' + rng.choice(["1.", "v", ""]) + "".join(rng.choice(digits) for _ in range(rng.randint(1, 4))) + '"',
        lambda: '"\\ud83d\\ude00 \\udc80 \\ud800"',
        lambda: '"a\\u0000b\\x07\\e"',
        lambda: rng.choice(["9999 years", "99999 days", "0 months", "-1 year", "1e9 weeks", "12 mnths", "١٢ months"]),
        lambda: rng.choice(["0000-00-00", "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "2026-13-45"]),
        lambda: rng.choice(["9999-12-31T23:59:59.999999+14:00", "2026-01-01 25:61:61", "1970-01-01T00:00:00Z"]),
        lambda: "[" * rng.choice([50, 70, 300, 3000]) + "]" * rng.choice([0, 50, 70, 300]),
        lambda: "{a: " * rng.choice([10, 65, 200]) + "1" + "}" * rng.choice([10, 65, 200]),
        lambda: "&a [1, 2]",
        lambda: "*a",
        lambda: "*missing",
        lambda: "!!python/object/apply:os.system [echo pwned]",
        lambda: rng.choice(["!!binary aGVsbG8=", "!!binary ///", "!!bool maybe", "!!timestamp soon", "!!int x"]),
        lambda: rng.choice(["yes", "no", "on", "~", "null", ".inf", "-.nan", "0x1F", "0o17", "1_000", "2.10", "1e400"]),
        lambda: rng.choice(["[knw07, thr04]", "[KNW07]", "[knw99]", "[]", "{}", "[[knw07]]", "knw07, thr04"]),
        lambda: rng.choice(["{knw07: [b1, b2]}", "{knw07: b1}", "{knw07: [[b1]]}", "{knw07: {b1: 1}}", "knw07.b1"]),
        lambda: '"' + "x" * rng.choice([1000, 70000]) + '"',
        lambda: "|\n  block\n  text",
        lambda: ">-\n  folded",
        lambda: '"NEL\x85LS\u2028PS\u2029"',
        lambda: "\t tabbed",
        lambda: "'unterminated",
        lambda: "value # comment",
        lambda: '"' + "".join(chr(rng.randrange(0x80, 0x30000)) for _ in range(8)).replace('"', "") + '"',
        lambda: rng.choice(["approved", "Approved", "APPROVED", "draft", "retired", "active", ""]),
        lambda: rng.choice(["policy", "procedure", "record", "plan", "program", "guideline", "other", "Policy", "x"]),
        lambda: "-",
    ][n]()


# every key the checker reads, and a near miss of one of them
KEYS = (*metadata_keys.KEYS, *metadata_keys.EXTRA_KEYS, "aproved_by")


RECORD = (
    "---\nid: REC-{n}\ntype: record\nrecord_kind: minutes\ndate: 2026-02-01\npractices: [knw07]\n---\n"
    "# Minutes\n\nWho met and what they decided.\n"
)


def set_key(text: str, key: str, value: str) -> str:
    """Set `key: value` in front matter (added when absent); text without front matter gains one."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return f"---\n{key}: {value}\n---\n" + text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), len(lines))
    for i in range(1, end):
        if lines[i].startswith(key + ":"):
            lines[i] = f"{key}: {value}"
            return "\n".join(lines)
    lines.insert(end, f"{key}: {value}")
    return "\n".join(lines)


def mutate_text(rng: random.Random, data: bytes, sidecar: bool = False) -> bytes:
    """One or more mutations of a Markdown file or YAML sidecar."""
    text = data.decode("utf-8", "surrogateescape")
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(16)
        if op <= 5:
            text = (
                set_key(text, rng.choice(KEYS), nasty_value(rng))
                if not sidecar
                else text + f"\n{rng.choice(KEYS)}: {nasty_value(rng)}\n"
            )
        elif op == 6 and not sidecar:
            tags = ", ".join(
                rng.choice(["knw07.b1", "thr04.c5", "KNW07.A1", "x.y", "knw07.", "٢.b1", "knw07.b99"])
                for _ in range(rng.randint(0, 3))
            )
            heading = rng.choice(["Scope", "Steps", "#", ""])
            text += f"\n\n## {heading}\n<!-- escm: {tags} -->\n\nSome words here for the section.\n"
        elif op == 7 and not sidecar:
            text += rng.choice(
                ["\n```\nunclosed fence\n", "\n<!-- unclosed comment\n", "\n####### seven\n", "\nSetext\n===\n"]
            )
        elif op == 8:
            text = text.replace("\n", rng.choice(["\r\n", "\r", "\x85", "\u2028"]), rng.randint(1, 50))
        elif op == 9:
            text = rng.choice(["\ufeff", "\ufeff\ufeff", " ", "\n"]) + text
        elif op == 10:
            cut = rng.randrange(len(text) + 1)
            text = (
                text[:cut]
                + rng.choice(["\x00", "\x1b[31m", "\u202e", "\udce9", "\ud800", "---\n", "...\n"])
                + text[cut:]
            )
        elif op == 11:
            text = text[: rng.randrange(len(text) + 1)]
        elif op == 12:
            text = text.replace("---\n", "", 1) if rng.random() < 0.5 else text.replace("\n---\n", "\n", 1)
        elif op == 13:
            lines = text.split("\n")
            if len(lines) > 2:
                i = rng.randrange(1, len(lines))
                lines.insert(i, lines[i - 1])  # a duplicate key, or a repeated line
            text = "\n".join(lines)
        elif op == 14:
            text = text.replace("a", "\u0430", rng.randint(1, 5)).replace("e", "é", rng.randint(1, 5))
        else:
            text += "\n" + "word " * rng.choice([10, 40_000]) + "\n"
    encoding = rng.randrange(10)
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the bytes the text was read from
    except UnicodeEncodeError:  # a surrogate spliced in: the bytes a careless encoder writes
        raw = text.encode("utf-8", "surrogatepass")
    if encoding == 0:
        raw = text.encode("latin-1", "replace")
    elif encoding == 1:
        raw = text.encode("utf-16", "surrogatepass")
    elif encoding == 2 and raw:
        at = rng.randrange(len(raw))
        raw = raw[:at] + bytes([rng.choice([0x80, 0xC3, 0xE9, 0xFF, 0xFE, 0xED])]) + raw[at:]
    elif encoding == 3:
        raw = text.encode("cp1252", "replace")
    return raw


def flip(rng: random.Random, data: bytes, count: int) -> bytes:
    b = bytearray(data)
    for _ in range(count):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


@functools.cache
def _bomb_pdf(size: int, layers: int) -> bytes:
    return bomb_pdf(size, layers=layers)  # built once per size: deflating 600 MiB takes seconds


@functools.cache
def _zip_bomb(mib: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return zip_bomb_docx(Path(tmp) / "bomb.docx", unzipped_mib=mib).read_bytes()


BLOCKS = (Heading("Purpose"), "[escm: knw07.b1]", "Text of the procedure, enough to be read as content.")


@functools.cache
def _docx_template() -> bytes:
    """A real Word file with a custom-properties part, built once: each variant swaps parts."""
    with tempfile.TemporaryDirectory() as tmp:
        return build_docx(Path(tmp) / "t.docx", list(BLOCKS), custom={"practices": "knw07"}).read_bytes()


@functools.cache
def _pdf_template(password: str) -> bytes:
    """A real reportlab PDF, built once per kind of password (none, user, owner)."""
    pw = {"user": {"user_password": "secret"}, "owner": {"owner_password": "o"}}.get(password, {})
    with tempfile.TemporaryDirectory() as tmp:
        return build_pdf(Path(tmp) / "t.pdf", ["Purpose\n[escm: knw07.b1] Text of the procedure."], **pw).read_bytes()


def docx_bytes(rng: random.Random, tmp: Path) -> bytes:
    """A new Word document: odd custom properties, and often a damaged part."""
    kind = rng.randrange(8)
    if kind == 0:
        return _zip_bomb(rng.choice([8, 300]))
    path = tmp / f"w{rng.randrange(10**9)}.docx"
    path.write_bytes(_docx_template())
    # a surrogate cannot be written to XML as UTF-8: its bytes go in as Latin-1 mojibake
    props = {
        k: nasty_value(rng).strip('"').encode("utf-8", "surrogatepass").decode("latin-1")
        for k in rng.sample(KEYS, rng.randint(0, 5))
    }
    props.setdefault("practices", "knw07")
    xml = custom_properties_xml(props) if rng.random() < 0.8 else b"<Properties><property name='x'>" + b"\xff" * 4
    rewrite_part(path, "docProps/custom.xml", xml)
    if kind == 1:
        part = rng.choice(["word/document.xml", "word/styles.xml", "docProps/core.xml", "[Content_Types].xml"])
        rewrite_part(path, part, flip(rng, zipfile.ZipFile(path).read(part), 5) if rng.random() < 0.5 else None)
    data = path.read_bytes()
    if kind == 2:
        data = data[: rng.randrange(len(data))]
    elif kind == 3:
        data = flip(rng, data, rng.randint(1, 20))
    return data


def pdf_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with a BOM, surrogates written as they are (lone ones too)."""
    return b"<FEFF" + text.encode("utf-16-be", "surrogatepass").hex().upper().encode() + b">"


def _info_pdf(info: dict[str, str], compress: bool) -> bytes:
    entries = b" ".join(b"/" + k.encode() + b" " + pdf_string(v) for k, v in info.items())
    return one_page_pdf(b"[escm: knw07.b1] Text of the procedure.", entries, compress=compress)


def pdf_bytes(rng: random.Random, tmp: Path) -> bytes:
    """A new PDF: bit flips, truncation, odd filters, Info values, bombs or encryption."""
    kind = rng.randrange(10)
    if kind == 0:
        return _bomb_pdf(rng.choice([1 * MiB, 64 * MiB, 600 * MiB]), rng.choice([1, 2]))
    if kind in (1, 2):
        data = _pdf_template("user" if kind == 1 else "owner")
    else:
        info = {k: nasty_value(rng).strip('"')[:200] for k in rng.sample(KEYS, rng.randint(0, 4))}
        data = _info_pdf(info, rng.random() < 0.5)
    if kind == 3:
        data = flip(rng, data, rng.randint(1, 30))
    elif kind == 4:
        data = data[: rng.randrange(len(data))]
    elif kind == 5:
        at = rng.randrange(len(data))
        splice = rng.choice([b"/Filter /LZWDecode ", b"/Filter [/FlateDecode /A85] ", b"/Encrypt 9 0 R ", b"stream\n"])
        data = data[:at] + splice + data[at:]
    elif kind == 6:
        content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (x) Tj ET " * rng.choice([10, 100_000]))
        data = raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
            ]
        )
    return data


def config_text(rng: random.Random) -> str:
    """An odd but mostly valid configuration (a few are invalid: those runs exit 2)."""
    lines = [f"as_of: {rng.choice(['2026-10-01', '2026-10-01', '0001-06-01', '9999-12-01'])}"]
    if rng.random() < 0.5:
        lines.append(f"review_cycle: {rng.choice(['1 day', '100 years', '12 months', '36525 days'])}")
    if rng.random() < 0.5:
        lines.append(f"record_max_age: {rng.choice(['1 week', '100 years', '1 day'])}")
    if rng.random() < 0.3:
        lines.append("limits:\n  max_unzipped_bytes: " + rng.choice(["1 MiB", "16 MiB", "200 MiB"]))
    if rng.random() < 0.2:
        lines.append("field_map:\n  last_reviewed_on: reviewed_on")
    if rng.random() < 0.05:  # invalid: a configuration error, exit 2
        lines.append(rng.choice(["review_cycle: 9999 years", "record_max_age: ١٢ months", "limits:\n  max_pages: -1"]))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Event:
    """One file written (data) or deleted (None) in one round of commits."""

    round: int
    path: str
    data: bytes | None


@dataclass(frozen=True)
class Round:
    """A commit (or, when `commit` is false, working-tree changes left uncommitted)."""

    author: str
    date: str
    message: bytes
    commit: bool


def plan(rng: random.Random, repo: Path, files: int, tmp: Path) -> tuple[list[Round], list[Event]]:
    """Rounds of commits and the file mutations in them, `files` mutated files in all."""
    existing = [
        p
        for p in git(repo, "ls-files", "-z").decode("utf-8", "surrogateescape").split("\0")
        if p.endswith((".md", ".yaml"))
    ]
    nrounds = rng.randint(3, 6)
    rounds = []
    for r in range(nrounds):
        msg = rng.choice(["Revise documents", "Änderung", "fix"]).encode("utf-8")
        if rng.random() < 0.2:
            msg = "Révision des procédures".encode("latin-1")
        trailer = rng.choice(["Approved-by", "Reviewed-by", "Approved-By", "approved-by"])
        msg += f"\n\n{trailer}: {rng.choice(PEOPLE)}".encode()
        if rng.random() < 0.1:
            msg += b"\nApproved-by: " + bytes([0xE9]) * 3 + b" <x\xff@y>"
        when = rng.choice(["2026-03-0{d}T10:00:00+00:00", "1975-01-0{d}T00:00:00+00:00", "2099-12-0{d}T23:59:59-12:00"])
        rounds.append(
            Round(rng.choice(PEOPLE), when.format(d=r + 1), msg, commit=r < nrounds - 1 or rng.random() < 0.7)
        )
    events: list[Event] = []
    current: dict[str, bytes] = {}
    for n in range(files):
        r = min(nrounds - 1, n * nrounds // files)
        roll = rng.random()
        if roll < 0.55 and existing:
            path = rng.choice(existing)
            base = current.get(path) or (repo / path).read_bytes()
            data = mutate_text(rng, base, sidecar=path.endswith(".yaml"))
        elif roll < 0.65:
            path = f"records/new{n}.md"
            data = mutate_text(rng, RECORD.format(n=n).encode())
        elif roll < 0.78:
            path = f"procedures/word{n}.docx"
            data = docx_bytes(rng, tmp)
        elif roll < 0.92:
            path = f"procedures/scan{n}.pdf"
            data = pdf_bytes(rng, tmp)
            if rng.random() < 0.5:
                side = mutate_text(rng, b"id: PDF-1\ntitle: Scan\ntype: procedure\npractices: [knw07]\n", sidecar=True)
                events.append(Event(r, path + ".yaml", side))
        elif roll < 0.95 and existing:
            path = rng.choice(existing)
            events.append(Event(r, path, None))
            current.pop(path, None)
            continue
        else:
            path = ".escm-check.yaml"
            data = config_text(rng).encode()
        current[path] = data
        events.append(Event(r, path, data))
    return rounds, events


def apply(repo: Path, rounds: Sequence[Round], events: Sequence[Event]) -> None:
    """Write each round's events and commit it (or leave the last one in the working tree)."""
    for r, rd in enumerate(rounds):
        mine = [e for e in events if e.round == r]
        for e in mine:
            target = repo / e.path
            if e.data is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(e.data)
        if not rd.commit or not mine:
            continue
        name, _, email = rd.author.partition(" <")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": rd.date,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email.rstrip(">"),
            "GIT_COMMITTER_DATE": rd.date,
        }
        git(repo, "add", "-A", env=env)
        git(
            repo,
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--allow-empty",
            "--cleanup=verbatim",
            "-F",
            "-",
            env=env,
            data=rd.message,
        )


# ----------------------------------------------------------------------------- bases


def base_repo(kind: str, seed: int, cache: Path) -> Path:
    """A base repository with history, built once per (kind, seed) and copied for each use."""
    target = cache / f"{kind}-{seed}"
    if target.exists():
        return target
    tmp = cache / f".{kind}-{seed}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    if kind == "example":
        from escm_check.demo import HISTORY, examples_dir, replay

        ex = examples_dir()
        replay(ex / HISTORY, ex / "evidence_repo", tmp)
    elif kind == "empty":
        git_init(tmp)
    else:
        from generate import generate

        generate(tmp, docs=60, commits=150, seed=seed, merge_every=25)
    tmp.rename(target)
    return target


def git_init(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=base_env())


def fresh_copy(base: Path, where: Path) -> Path:
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(base, where, symlinks=True)
    return where


# ----------------------------------------------------------------------------- minimising


def ddmin(items: list[Event], fails: Callable[[list[Event]], bool]) -> list[Event]:
    """Zeller's delta debugging: a 1-minimal subset of `items` for which `fails` holds."""
    n = 2
    while len(items) >= 2:
        size = max(1, len(items) // n)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        for i in range(len(chunks)):
            complement = [e for j, c in enumerate(chunks) if j != i for e in c]
            if fails(chunks[i]):
                items, n = chunks[i], 2
                break
            if len(chunks) > 2 and fails(complement):
                items, n = complement, max(n - 1, 2)
                break
        else:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


@dataclass
class Case:
    """A failing repository and how it was built."""

    kind: str
    base: Path | None
    rounds: list[Round]
    events: list[Event]
    detail: list[str]


def reproduce(case: Case, events: list[Event], base: Path | None, work: Path, args: argparse.Namespace) -> Outcome:
    repo = work / "repo"
    if base is None:
        shutil.rmtree(repo, ignore_errors=True)
        git_init(repo)
    else:
        fresh_copy(base, repo)
    apply(repo, case.rounds, events)
    return run_check(repo, work, args.timeout, cache=False)


def minimise(case: Case, work: Path, args: argparse.Namespace) -> tuple[Path | None, list[Event]]:
    """The smallest base and set of mutations that still fail the same way."""
    tries = 0

    def fails_with(base: Path | None) -> Callable[[list[Event]], bool]:
        def fails(events: list[Event]) -> bool:
            nonlocal tries
            tries += 1
            if tries > args.max_tries:
                return False
            return reproduce(case, events, base, work, args).failure(args.memory) == case.kind

        return fails

    events = list(case.events)
    # an internal-error finding names its document: its own mutations are the first guess
    named = {d.split(": ", 1)[0] for d in case.detail}
    mine = [e for e in events if e.path in named or e.path.removesuffix(".yaml") in named]
    if mine and len(mine) < len(events) and fails_with(case.base)(mine):
        events = mine
    events = ddmin(events, fails_with(case.base))
    base = case.base
    if base is not None and fails_with(None)(events):
        base = None  # the failure needs nothing of the base repository
    return base, events


def write_case(folder: Path, case: Case, base: Path | None, events: list[Event]) -> Path:
    """Write a reproducer: one folder per commit with its files, and case.json."""
    name = f"{case.kind}-{hashlib.sha1(repr([(e.round, e.path, e.data) for e in events]).encode()).hexdigest()[:10]}"
    out = folder / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    commits = []
    for r, rd in enumerate(case.rounds):
        mine = [e for e in events if e.round == r]
        if not mine:
            continue
        step = out / f"{len(commits):02d}"
        files = []
        for i, e in enumerate(mine):
            entry: dict[str, Any] = {"path": e.path}
            if e.data is None:
                entry["delete"] = True
            else:
                blob = step / f"{i:03d}.bin"
                blob.parent.mkdir(parents=True, exist_ok=True)
                blob.write_bytes(e.data)
                entry["data"] = blob.relative_to(out).as_posix()
            files.append(entry)
        commits.append(
            {
                "author": rd.author,
                "date": rd.date,
                "message_b64": base64.b64encode(rd.message).decode(),
                "commit": rd.commit,
                "files": files,
            }
        )
    meta = {
        "kind": case.kind,
        "detail": case.detail[:5],
        "base": None if base is None else base.name.split("-")[0],
        "base_seed": None if base is None else int(base.name.split("-")[1]),
        "commits": commits,
    }
    (out / "case.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def load_case(folder: Path) -> tuple[dict[str, Any], list[Round], list[Event]]:
    """A written reproducer as (case.json, rounds, events)."""
    meta = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    rounds, events = [], []
    for r, c in enumerate(meta["commits"]):
        rounds.append(Round(c["author"], c["date"], base64.b64decode(c["message_b64"]), c["commit"]))
        for f in c["files"]:
            events.append(Event(r, f["path"], None if f.get("delete") else (folder / f["data"]).read_bytes()))
    return meta, rounds, events


# ----------------------------------------------------------------------------- the campaign


def campaign(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bases = out / "bases"
    bases.mkdir(exist_ok=True)
    totals: dict[str, Any] = {
        "repositories": 0,
        "mutated_files": 0,
        "commits_with_mutations": 0,
        "internal": 0,
        "hang": 0,
        "memory": 0,
        "change": 0,
        "config_errors": 0,
        "peak_self_mib": 0.0,
        "peak_children_mib": 0.0,
        "seconds": [],
        "failures": [],
    }
    for i in range(args.repos):
        if args.only is not None and i != args.only:
            continue
        rng = random.Random(f"{args.seed}-{i}")  # one stream per repository: --only N rebuilds it alone
        kind = "example" if i % 2 == 0 else "generated"
        base = base_repo(kind, 1 if kind == "example" else 1 + (i // 2) % args.bases, bases)
        work = Path(tempfile.mkdtemp(prefix="fuzz-", dir=out))
        try:
            repo = fresh_copy(base, work / "repo")
            rounds, events = plan(rng, repo, args.files, work)
            apply(repo, rounds, events)
            result = run_check(repo, work, args.timeout, cache=bool(i % 3 == 2))
            totals["repositories"] += 1
            totals["mutated_files"] += sum(1 for e in events if e.data is not None)
            totals["commits_with_mutations"] += sum(
                1 for r, rd in enumerate(rounds) if rd.commit and any(e.round == r for e in events)
            )
            totals["config_errors"] += int(result.code == 2)
            totals["peak_self_mib"] = max(totals["peak_self_mib"], result.self_mib)
            totals["peak_children_mib"] = max(totals["peak_children_mib"], result.children_mib)
            totals["seconds"].append(round(result.seconds, 1))
            kind_failed = result.failure(args.memory)
            print(
                f"[{i + 1}/{args.repos}] {kind:9s} files={len(events):4d} exit={result.code} "
                f"{result.seconds:6.1f}s self={result.self_mib:6.0f}MiB children={result.children_mib:6.0f}MiB "
                f"{kind_failed or 'ok'}",
                flush=True,
            )
            if kind_failed:
                totals[kind_failed] += 1
                detail = (
                    result.internal
                    or result.changed
                    or [f"{result.self_mib:.0f} MiB" if kind_failed == "memory" else kind_failed]
                )
                print("    " + "\n    ".join(detail[:5]), flush=True)
                case = Case(kind_failed, base, rounds, events, detail)
                entry: dict[str, Any] = {"repository": i, "kind": kind_failed, "detail": detail[:5]}
                if args.minimise:
                    small_base, small = minimise(case, work, args)
                    written = write_case(Path(args.cases or out / "cases"), case, small_base, small)
                    entry["reproducer"] = str(written)
                    print(f"    minimised to {len(small)} mutation(s): {written}", flush=True)
                totals["failures"].append(entry)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    secs = totals.pop("seconds")
    totals["median_seconds"] = sorted(secs)[len(secs) // 2] if secs else 0
    totals["max_seconds"] = max(secs, default=0)
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", type=int, default=52)
    ap.add_argument("--files", type=int, default=200, help="mutated files per repository")
    ap.add_argument("--bases", type=int, default=13, help="distinct generated base repositories")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a run counts as a hang")
    ap.add_argument("--memory", type=float, default=1024.0, help="MiB of escm-check's own peak RSS allowed")
    ap.add_argument("--out", default=str(HERE / "out" / "fuzz"))
    ap.add_argument("--cases", help="where reproducers go (tests/fuzz_cases makes them regression tests)")
    ap.add_argument("--no-minimise", dest="minimise", action="store_false")
    ap.add_argument("--max-tries", type=int, default=60, help="re-runs allowed while minimising one failure")
    ap.add_argument("--keep", action="store_true", help="keep each mutated repository")
    ap.add_argument("--only", type=int, help="only repository N (0-based) of the campaign, e.g. to minimise it")
    ap.add_argument("--json", help="write the totals here too")
    args = ap.parse_args(argv)
    started = time.monotonic()
    totals = campaign(args)
    totals["wall_seconds"] = round(time.monotonic() - started)
    totals["date"] = dt.date.today().isoformat()
    text = json.dumps(totals, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    failed = totals["internal"] + totals["hang"] + totals["memory"] + totals["change"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
