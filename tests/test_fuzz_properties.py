"""Property: reading and judging any document returns a document or a finding, never raises.

Strategies draw what a careless or hostile repository holds: front-matter values of every
YAML type (text with surrogate escapes and non-ASCII digits, huge numbers, dates at and past
the ends of the calendar, deep nesting, anchors and aliases), Markdown bodies with section
tags, Word custom properties and damaged parts, and PDF bytes. Each example is read by the
real adapter, normalised, rated against the built-in pack and rendered by every reporter;
a sample also goes through change control on a real git history. Seeds are fixed (derandomize)
so a run in CI is the same run every time; budgets keep the file to well under a minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from escm_check import metadata_keys, safety
from escm_check.adapters.limits import Limits
from escm_check.adapters.markdown import parse_markdown
from escm_check.changecontrol import ControlSettings, check_document
from escm_check.decoding import decode_text, has_surrogates, scrub
from escm_check.documents import Document
from escm_check.durations import duration_error, parse_duration
from escm_check.evaluate import Control, DocInput, RepoInfo, evaluate
from escm_check.findings import CATALOGUE
from escm_check.history import load_versions, read_history
from escm_check.metadata import normalise
from escm_check.parsing import read_one
from escm_check.reporters import FORMATS, get_reporter
from escm_check.reporters.text_report import render_text
from escm_check.versions import VersionError, compare_versions, parse_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .docfactory import Heading, build_docx, custom_properties_xml, one_page_pdf, rewrite_part
from .evalkit import config, pack
from .gitrepo import GitRepo

AS_OF = dt.date(2026, 10, 1)


def budget(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


# ---------------------------------------------------------------- strategies: YAML text

DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳߀०१२३੦௧౨൩๔໕༦၇႘០១２３𝟎𝟏𝟐²³¹½⅓Ⅻ"
ODD = "\x85\u2028\u2029\ufeff\u200b\u00a0\t\r é政🙂\ufffd\\\"'#:-[]{}&*!|>%@`,?"


def escaped(s: str) -> str:
    """`s` as a YAML double-quoted scalar; surrogates written as \\u escapes, as JSON writes them."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\x85\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        elif ord(ch) > 0xFFFF and ch == "🙂":
            out.append("\\ud83d\\ude42")  # a surrogate pair as two escapes
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


texts = st.text(alphabet=st.sampled_from(DIGITS + ODD + "abcvV.") | st.characters(), max_size=30)
surrogates = st.lists(st.integers(0xD800, 0xDFFF).map(chr), min_size=1, max_size=3).map("".join)

scalar_yaml = st.one_of(
    texts.map(escaped),
    (surrogates | texts).map(escaped),
    st.text(alphabet=DIGITS + ".", min_size=1, max_size=12),  # plain: digits YAML may read as numbers
    st.integers().map(str),
    st.integers(min_value=10**20, max_value=10**60).map(str),
    st.integers(1, 5000).map(lambda n: "1" * n),
    st.sampled_from(["yes", "no", "on", "off", "~", "null", ".inf", "-.nan", "0x1F", "0o17", "1_000", "2.10", "1e400"]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["0000-01-01", "2026-02-30", "10000-01-01", "9999-12-31T23:59:59+14:00", "2026-13-45"]),
    st.tuples(st.integers(0, 10**6), st.sampled_from(["day", "weeks", "month", "years", "fortnight"])).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
    st.sampled_from(["!!binary aGVsbG8=", "!!str 1.0", "!!int 12", "!!float 1e5", "!!timestamp 2026-01-01", "!!null"]),
)


def nested(depth: int) -> st.SearchStrategy[str]:
    """Flow-style nesting `[[[...]]]` and `{a: {a: ...}}`, past the reader's depth limit too."""
    return st.sampled_from(["[", "{a: "]).map(
        lambda open_: open_ * depth + "1" + ("]" if open_ == "[" else "}") * depth
    )


values_yaml = st.one_of(
    scalar_yaml,
    st.lists(scalar_yaml, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.dictionaries(st.sampled_from(["knw07", "thr04", "x", "1"]), st.lists(scalar_yaml, max_size=3)).map(
        lambda d: "{" + ", ".join(f"{k}: [{', '.join(v)}]" for k, v in d.items()) + "}"
    ),
    st.integers(1, 200).flatmap(nested),
    st.just("&a [1, 2]"),
    st.just("*a"),
)

KEYS = [*metadata_keys.KEYS, "custom"]
BASE = {
    "id": '"PRC-1"',
    "title": "Procedure",
    "type": "procedure",
    "practices": "[knw07]",
    "status": "approved",
    "version": '"1.0"',
    "owner": "Quality Manager",
    "approved_by": "Bob Approver",
    "approved_on": "2026-03-01",
}


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    keys = dict(BASE)
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=5, unique=True)):
        keys[key] = draw(values_yaml)
    lines = [f"{k}: {v}" for k, v in keys.items()]
    if draw(st.booleans()):
        lines.insert(0, "anchor: &a [1, 2]")
    if draw(st.booleans()):
        lines.append(f"note: {draw(st.sampled_from(ODD))}")  # NEL/LS/PS send YAML to the pure-Python reader
    return "---\n" + "\n".join(lines) + "\n---\n"


TAGS = st.lists(
    st.sampled_from(["knw07.b1", "knw07.b2", "thr04.c5", "KNW07.A1", "x.y", "knw07.", "٢.b1", ""]), max_size=3
)


@st.composite
def markdown_body(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["heading", "setext", "tag", "text", "fence", "comment"]))
        if kind == "heading":
            parts.append("#" * draw(st.integers(1, 8)) + " " + draw(texts))
        elif kind == "setext":
            parts.append(draw(texts) + "\n" + draw(st.sampled_from(["===", "---"])))
        elif kind == "tag":
            parts.append(f"<!-- escm: {', '.join(draw(TAGS))} -->")
        elif kind == "fence":
            parts.append("```\n" + draw(texts))
        elif kind == "comment":
            parts.append("<!--" + draw(texts))
        else:
            parts.append(draw(st.text(max_size=200)))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- the property


def judged(docs: list[Document]) -> None:
    """Normalise, rate and render `docs`; every report must encode as UTF-8."""
    inputs = []
    for doc in docs:
        meta, problems = normalise(doc, {})
        doc = msgspec.structs.replace(doc, problems=doc.problems + problems)
        inputs.append(DocInput(doc=doc, meta=meta, control=Control(True, last_commit="c0ffee")))
    result = evaluate(pack(), inputs, RepoInfo("/repo", "c0ffee"), config(), AS_OF)
    for f in result.findings:
        assert f.rule in CATALOGUE and f.rule != safety.RULE
    for fmt in FORMATS:
        text = render_text(result, verbose=True) if fmt == "text" else get_reporter(fmt)(result)
        text.encode("utf-8")  # a lone surrogate anywhere would raise here
    json.loads(get_reporter("json")(result))


@budget(150)
@given(front_matter(), markdown_body())
def test_markdown_documents_are_read_and_judged(fm: str, body: str) -> None:
    doc = parse_markdown(fm + body, "procedures/p.md")
    assert not has_surrogates(json.dumps(doc.metadata, ensure_ascii=False, default=str))
    judged([doc])


@budget(150)
@given(st.binary(max_size=300), front_matter())
def test_any_bytes_decode_to_text_without_surrogates(junk: bytes, fm: str) -> None:
    data = fm.encode("utf-8", "surrogatepass") + junk
    decoded = decode_text(data)
    assert not has_surrogates(decoded.text)
    assert decoded.ok == (decoded.bad_offset is None)
    if decoded.bad_offset is not None:
        assert 0 <= decoded.bad_offset < len(data)


@budget(300)
@given(
    st.text(max_size=40) | st.text(alphabet=DIGITS + ".v-", max_size=40), st.text(alphabet="0123456789.", max_size=20)
)
def test_versions_parse_or_refuse_and_order_consistently(a: str, b: str) -> None:
    for text in (a, b):
        with contextlib.suppress(VersionError):
            parse_version(text)
    try:
        ab, ba = compare_versions(a, b), compare_versions(b, a)
    except VersionError:
        return
    assert ab == -ba


@budget(300)
@given(
    st.text(max_size=30)
    | st.tuples(st.integers(-10, 10**7), st.sampled_from(["day", "weeks", "month", "years"])).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
    st.dates(),
)
def test_durations_parse_or_refuse_and_date_sums_stay_in_the_calendar(text: str, date: dt.date) -> None:
    try:
        d = parse_duration(text)
    except ValueError as exc:
        assert duration_error(text) == str(exc)  # the same words, asked once or again
        assert duration_error(text) == str(exc)
        return
    assert duration_error(text) is None
    assert date <= d.add_to(date) and d.covers(date, date)


@budget(200)
@given(st.text(max_size=50) | surrogates)
def test_scrub_leaves_no_surrogates(text: str) -> None:
    assert not has_surrogates(scrub(text))


# ---------------------------------------------------------------- Word


PROPERTY_VALUES = st.one_of(texts, surrogates.map(lambda s: "x" + s), st.integers(-(2**31), 2**31 - 1), st.booleans())


@budget(12)
@given(
    st.dictionaries(st.sampled_from(KEYS + ["Practices", "APPROVED_BY"]), PROPERTY_VALUES, max_size=6),
    st.sampled_from(["none", "core", "custom", "document", "styles", "truncate"]),
    st.binary(max_size=64),
)
def test_word_documents_with_odd_properties_and_damaged_parts(
    tmp_path: Path, props: dict[str, Any], damage: str, junk: bytes
) -> None:
    path = tmp_path / "w.docx"
    # a surrogate cannot be written as UTF-8: it goes in as the bytes an old tool would leave
    marked = {k: ("SURROGATE" if isinstance(v, str) and has_surrogates(v) else v) for k, v in props.items()}
    custom = custom_properties_xml(marked).replace(b"SURROGATE", b"x\xed\xb2\x80")
    blocks = [Heading("Purpose", 1), "[escm: knw07.b1]", "Text of the procedure."]
    build_docx(path, blocks, custom_xml=custom if props else None)
    parts = {"core": "docProps/core.xml", "custom": "docProps/custom.xml", "document": "word/document.xml"}
    if damage in parts:
        rewrite_part(path, parts[damage], junk)
    elif damage == "styles":
        rewrite_part(path, "word/styles.xml", None)
    elif damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: max(1, len(data) * 2 // 3)])
    doc = read_one(tmp_path, "w.docx", Limits())
    assert not any(p.rule == safety.RULE for p in doc.problems), doc.problems
    judged([doc])


# ---------------------------------------------------------------- PDF


def _pdf(text: bytes, compress: bool) -> bytes:
    return one_page_pdf(text, b"/Title (\xfe\xff\xd8\x00) /version (1.\xb2) /practices (knw07)", compress=compress)


PDF_SPLICES = [
    b"/Filter /LZWDecode ",
    b"/Filter [/FlateDecode /FlateDecode] ",
    b"<<",
    b"0 0 obj",
    b"stream\n",
    b"\0" * 8,
]


@st.composite
def pdf_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(_pdf(b"[escm: knw07.b1] Text", draw(st.booleans())))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "filter"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"/Filter /LZWDecode ",
                        b"/Filter [/FlateDecode /FlateDecode] ",
                        b"<<",
                        b"0 0 obj",
                        b"stream\n",
                        b"\x00" * 8,
                    ]
                )
            )
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = b"/Filter /RunLengthDecode /Encrypt 9 0 R "
    return bytes(data)


@budget(25)
@given(pdf_bytes())
def test_pdf_bytes_are_read_and_judged(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "p.pdf").write_bytes(data)
    (tmp_path / "p.pdf.yaml").write_text("id: P-1\ntitle: p\ntype: procedure\npractices: [knw07]\n")
    doc = read_one(tmp_path, "p.pdf", Limits(timeout_seconds=0))
    assert not any(p.rule == safety.RULE for p in doc.problems), doc.problems
    judged([doc])


# ---------------------------------------------------------------- change control on real history


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return GitRepo(tmp_path_factory.mktemp("history"))


@budget(10)
@given(st.lists(front_matter(), min_size=2, max_size=3), st.binary(max_size=8))
def test_change_control_judges_any_history(history_repo: GitRepo, versions: list[str], junk: bytes) -> None:
    repo = history_repo
    rel = f"p{abs(hash((tuple(versions), junk))) % 10**8}.md"
    for i, fm in enumerate(versions):
        data = fm.encode("utf-8", "surrogatepass") + (junk if i == 0 else b"") + b"# Purpose\n\nText %d.\n" % i
        repo.write(rel, data)
        repo.commit(f"v{i}", trailers={"Approved-by": "Bob Approver <bob@example.org>"})
    hist = read_history(repo.path, as_of=AS_OF)
    mine = load_versions(repo.path, hist, [rel]).get(rel, ())
    doc = parse_markdown(decode_text((repo.path / rel).read_bytes()).text, rel)
    result = check_document(rel, doc.metadata, hist, mine, ControlSettings(), AS_OF, meta_lines=doc.meta_lines)
    for f in result.findings:
        assert f.rule in CATALOGUE
        f.message.encode("utf-8")
