"""The cache, one memoiser around the pipeline's stages: reused only when nothing it depends on changed.

Every test checks the result against a run without the cache: the cache may make a check
faster, never different. In-process runs replace `read_all` and `read_history` with
counting wrappers to see what was read again; subprocess runs check the command line
(`--no-cache`, XDG_CACHE_HOME) and two runs sharing one cache at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from escm_check import cache as cache_mod
from escm_check import changecontrol, codec, history, stages
from escm_check.cache import DB_NAME, PARSED, Memo
from escm_check.codec import BadEntry, tag, tag_mapping, untag, untag_mapping
from escm_check.config import load_config
from escm_check.pipeline import CheckOptions, run_check
from escm_check.reporters import get_reporter
from escm_check.runner import pack_for

from .clirun import argv0, clean_env
from .docfactory import Heading, build_docx, build_pdf
from .evalkit import FILLER
from .gitrepo import GitRepo, doc

AS_OF = dt.date(2026, 10, 1)
ANN = "Ann Author <ann@example.org>"
BOB = "Bob Approver <bob@example.org>"


def procedure(version: str, title: str = "Version and change control") -> str:
    body = "\n".join(
        [
            "# Version and change control",
            "",
            "## Purpose",
            FILLER,
            "",
            "## Steps",
            "<!-- escm: knw07.b1, knw07.b2 -->",
            FILLER,
            "",
        ]
    )
    return doc(
        body,
        id="PRC-KNW-07",
        title=title,
        type="procedure",
        practices=["knw07"],
        status="approved",
        version=version,
        owner="Quality Manager",
        approved_by=BOB,
        approved_on="2026-03-01",
        approved_date=dt.date(2026, 3, 1),
    )


def build_repo(path: Path) -> GitRepo:
    """Markdown, a Word document, a PDF with a sidecar and a record, over two commits."""
    r = GitRepo(path)
    r.write("procedures/version-control.md", procedure("1.0"))
    r.write(
        "records/audit.md",
        doc(
            "# Audit\n\n" + FILLER + "\n",
            id="REC-1",
            title="Audit",
            type="record",
            practices=["knw07"],
            satisfies={"knw07": ["c5"]},
            date="2026-09-10",
            record_kind="audit-report",
        ),
    )
    build_docx(
        r.path / "word/plan.docx",
        [Heading("Plan", 0), Heading("Purpose", 1), "[escm: knw07.b3]", FILLER],
        custom={
            "id": "PLN-1",
            "title": "Plan",
            "type": "plan",
            "practices": "knw07",
            "status": "approved",
            "version": "1.0",
            "approved_on": "2026-03-01",
        },
    )
    build_pdf(r.path / "pdf/supplier.pdf", [f"Supplier\n[escm: knw07.b4]\n{FILLER[:80]}"])
    r.write(
        "pdf/supplier.pdf.yaml",
        'id: SUP-1\ntitle: Supplier\ntype: other\npractices: [knw07]\nstatus: approved\nversion: "1"\n',
    )
    r.commit("Add documents", author=ANN, date="2026-03-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    r.write("procedures/version-control.md", procedure("1.1"))
    r.commit("Raise the version", author=ANN, date="2026-04-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    return r


@pytest.fixture()
def repo(tmp_path: Path) -> GitRepo:
    return build_repo(tmp_path / "repo")


@dataclasses.dataclass
class Calls:
    """What the pipeline read from disk and git during one run."""

    read: list[str] = dataclasses.field(default_factory=list)
    histories: int = 0
    versions: list[str] = dataclasses.field(default_factory=list)
    judged: list[str] = dataclasses.field(default_factory=list)


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    seen = Calls()
    real_read_all = stages.read_all
    real_history = history.read_history
    real_versions = history.load_versions
    real_check = changecontrol.check_document

    def read_all(root: Path, rels: list[str], *a: Any, **k: Any) -> Any:
        seen.read += rels
        return real_read_all(root, rels, *a, **k)

    def read_history(*a: Any, **k: Any) -> Any:
        seen.histories += 1
        return real_history(*a, **k)

    def load_versions(root: Any, repo: Any, paths: Any, *rest: Any) -> Any:
        paths = list(paths)
        seen.versions += paths
        return real_versions(root, repo, paths, *rest)

    def check_document(path: str, *a: Any, **k: Any) -> Any:
        seen.judged.append(path)
        return real_check(path, *a, **k)

    monkeypatch.setattr(stages, "read_all", read_all)
    monkeypatch.setattr(changecontrol, "check_document", check_document)
    monkeypatch.setattr(history, "read_history", read_history)
    monkeypatch.setattr(history, "load_versions", load_versions)
    yield seen


def check(path: Path, cache_dir: Path | None, calls: Calls | None = None, **cfg: Any) -> str:
    """One in-process check; the JSON report. `cache_dir` None runs without the cache."""
    config = load_config(None, cfg)
    config = msgspec.structs.replace(config, cache_dir=str(cache_dir) if cache_dir else None)
    if calls is not None:
        calls.read.clear()
        calls.histories = 0
        calls.versions.clear()
        calls.judged.clear()
    result = run_check(
        CheckOptions(path=path, config=config, as_of=AS_OF, use_cache=cache_dir is not None), pack_for(config)
    )
    return get_reporter("json")(result)


def db_rows(cache_dir: Path, kind: str | None = None) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(cache_dir / DB_NAME)
    try:
        rows = conn.execute("SELECT key, kind, value FROM entries").fetchall()
    finally:
        conn.close()
    return [r for r in rows if kind is None or r[1] == kind]


def set_value(cache_dir: Path, key: str, value: str | bytes) -> None:
    conn = sqlite3.connect(cache_dir / DB_NAME)
    try:
        conn.execute("UPDATE entries SET value = ? WHERE key = ?", (value, key))
        conn.commit()
    finally:
        conn.close()


# --------------------------------------------------------------------------- warm == cold


def test_warm_run_is_byte_identical_and_reads_nothing_again(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    plain = check(repo.path, None, calls)
    assert sorted(calls.read) == [
        "pdf/supplier.pdf",
        "procedures/version-control.md",
        "records/audit.md",
        "word/plan.docx",
    ]
    cold = check(repo.path, cache, calls)
    assert cold == plain
    assert {k for _, k, _ in db_rows(cache)} == {"doc", "history", "control"}
    assert len(db_rows(cache, "doc")) == 4  # the Word file and the PDF too
    assert len(db_rows(cache, "control")) == 4
    warm = check(repo.path, cache, calls)
    assert warm == plain
    assert calls.read == [] and calls.histories == 0 and calls.versions == []
    assert calls.judged == []
    report = json.loads(warm)
    assert {d["path"] for d in report["documents"]} >= {"word/plan.docx", "pdf/supplier.pdf"}


def test_cli_warm_run_matches_no_cache(repo: GitRepo, tmp_path: Path) -> None:
    home = tmp_path / "home-cache"
    outs = []
    for extra in (["--no-cache"], [], []):  # without the cache, cold, warm
        target = tmp_path / f"out{len(outs)}.json"
        proc = subprocess.run(
            [
                *argv0(),
                "check",
                str(repo.path),
                "--as-of",
                AS_OF.isoformat(),
                "--format",
                "json",
                "--output",
                str(target),
                *extra,
            ],
            capture_output=True,
            env=clean_env(home),
            timeout=120,
        )
        assert proc.returncode in (0, 1), proc.stderr.decode()
        outs.append(target.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert (home / "escm-check" / DB_NAME).is_file()


# --------------------------------------------------------------------------- invalidation


def test_editing_a_file_invalidates_only_its_entry(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    repo.write("procedures/version-control.md", procedure("1.5", title="Changed title"))
    edited = check(repo.path, cache, calls)
    assert calls.read == ["procedures/version-control.md"]
    assert calls.histories == 0  # HEAD did not move
    assert calls.judged == ["procedures/version-control.md"]  # the others' verdicts are kept
    assert calls.versions == ["procedures/version-control.md"]  # its historical versions only
    assert edited == check(repo.path, None)
    assert '"version": "1.5"' in edited
    # back to the committed bytes: the entry for those bytes is still good, nothing is re-read
    repo.write("procedures/version-control.md", procedure("1.1"))
    back = check(repo.path, cache, calls)
    assert calls.read == []
    assert back == check(repo.path, None)


def test_a_staged_change_and_a_different_working_tree_never_mix(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    repo.write("procedures/version-control.md", procedure("1.2", title="Staged"))
    repo.git("add", "procedures/version-control.md")
    repo.write("procedures/version-control.md", procedure("1.3", title="Working tree"))
    got = check(repo.path, cache, calls)
    assert calls.read == ["procedures/version-control.md"]
    assert got == check(repo.path, None)
    assert '"version": "1.3"' in got


def test_editing_a_sidecar_invalidates_its_document(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    repo.write(
        "pdf/supplier.pdf.yaml",
        'id: SUP-1\ntitle: Supplier\ntype: other\npractices: [knw07]\nstatus: draft\nversion: "2"\n',
    )
    got = check(repo.path, cache, calls)
    assert calls.read == ["pdf/supplier.pdf"]
    assert got == check(repo.path, None)


def test_a_new_commit_reads_the_history_again(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    repo.write("procedures/version-control.md", procedure("1.2"))
    repo.commit("Raise again", author=ANN, date="2026-05-01T10:00:00+00:00", trailers={"Approved-by": BOB})
    got = check(repo.path, cache, calls)
    assert calls.histories == 1
    assert len(calls.judged) == 4  # a new history: every verdict is made again
    assert got == check(repo.path, None)
    check(repo.path, cache, calls)
    assert calls.histories == 0 and calls.judged == []


def test_a_new_as_of_date_judges_again(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    config = load_config(None)
    config = msgspec.structs.replace(config, cache_dir=str(cache))
    calls.read.clear()
    calls.judged.clear()
    later = run_check(CheckOptions(path=repo.path, config=config, as_of=dt.date(2027, 6, 1)), pack_for(config))
    assert calls.read == [] and len(calls.judged) == 4
    plain = run_check(
        CheckOptions(path=repo.path, config=config, as_of=dt.date(2027, 6, 1), use_cache=False), pack_for(config)
    )
    assert get_reporter("json")(later) == get_reporter("json")(plain)


def test_old_histories_and_what_was_made_from_them_are_dropped(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    for n in range(4):
        repo.write("procedures/version-control.md", procedure(f"1.{n + 2}"))
        repo.commit(f"Raise to 1.{n + 2}", author=ANN, trailers={"Approved-by": BOB})
        check(repo.path, cache, calls)
    histories = {key for key, _, _ in db_rows(cache, "history")}
    assert len(histories) == 2
    conn = sqlite3.connect(cache / DB_NAME)
    try:
        scopes = {s for (s,) in conn.execute("SELECT scope FROM entries WHERE kind IN ('versions', 'control')")}
    finally:
        conn.close()
    assert scopes <= histories


def test_a_changed_config_invalidates_parses(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    mapped = check(repo.path, cache, calls, field_map={"approved_date": "reviewed_on"})
    assert len(calls.read) == 4  # every document parsed again under the new field_map
    assert mapped == check(repo.path, None, field_map={"approved_date": "reviewed_on"})
    check(repo.path, cache, calls, limits={"max_pages": 50})
    assert len(calls.read) == 4
    # a setting that does not change what a document parses to keeps the entries
    check(repo.path, cache, calls, target_level=3)
    assert calls.read == []


def test_a_symlink_is_never_served_from_the_cache(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    check(repo.path, cache, calls)
    target = tmp_path / "outside.md"
    target.write_bytes((repo.path / "records/audit.md").read_bytes())
    (repo.path / "records/audit.md").unlink()
    os.symlink(target, repo.path / "records/audit.md")
    got = check(repo.path, cache, calls)
    assert got == check(repo.path, None)
    assert "file-skipped" in got or "symbolic link" in got


# --------------------------------------------------------------------------- damage


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00\xff garbage \xfe",
        "truncated",
        '["not", "the", "shape"]',
        '[{"path": 1}, [], []]',
        '{"\\u0000x": 1}',
    ],
)
def test_a_damaged_document_entry_is_ignored_and_rebuilt(
    repo: GitRepo, tmp_path: Path, calls: Calls, damage: Any
) -> None:
    cache = tmp_path / "cache"
    plain = check(repo.path, None)
    check(repo.path, cache, calls)
    for key, _, value in db_rows(cache, "doc"):
        set_value(cache, key, value[: len(value) // 2] if damage == "truncated" else damage)
    assert check(repo.path, cache, calls) == plain
    assert len(calls.read) == 4
    for _, _, value in db_rows(cache, "doc"):
        PARSED.decode(value)  # rewritten whole
    assert check(repo.path, cache, calls) == plain
    assert calls.read == []


@pytest.mark.parametrize("kind", ["history", "control"])
def test_a_damaged_history_entry_is_ignored_and_rebuilt(repo: GitRepo, tmp_path: Path, calls: Calls, kind: str) -> None:
    cache = tmp_path / "cache"
    plain = check(repo.path, None)
    check(repo.path, cache, calls)
    if kind != "control":  # a history is read only for documents not judged
        for key, _, _ in db_rows(cache, "control"):
            set_value(cache, key, "[]")
    for key, _, value in db_rows(cache, kind):
        set_value(cache, key, value[: len(value) // 3])
    assert check(repo.path, cache, calls) == plain
    # what was made from a history outlives a re-read of the same history
    assert calls.histories == (1 if kind == "history" else 0)
    assert calls.judged and calls.versions
    assert check(repo.path, cache, calls) == plain
    assert calls.histories == 0 and calls.versions == [] and calls.judged == []


def test_a_history_is_not_decoded_when_every_verdict_is_cached(repo: GitRepo, tmp_path: Path, calls: Calls) -> None:
    cache = tmp_path / "cache"
    plain = check(repo.path, None)
    check(repo.path, cache, calls)
    for key, _, value in db_rows(cache, "history"):
        set_value(cache, key, value[: len(value) // 3])
    # nothing needs the damaged history, so nothing notices it, and the result is the same
    assert check(repo.path, cache, calls) == plain
    assert calls.histories == 0 and calls.judged == [] and calls.versions == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_database_is_replaced(repo: GitRepo, tmp_path: Path, calls: Calls, damage: str) -> None:
    cache = tmp_path / "cache"
    plain = check(repo.path, None)
    check(repo.path, cache, calls)
    db = cache / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = db.read_bytes()
    db.write_bytes({"garbage": os.urandom(len(data)), "truncated": data[: len(data) // 2], "empty": b""}[damage])
    assert check(repo.path, cache, calls) == plain
    assert check(repo.path, cache, calls) == plain
    assert check(repo.path, cache, calls) == plain  # the cache works again after the damage
    assert calls.read == []


def test_a_foreign_database_of_the_same_name_is_not_used(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    conn = sqlite3.connect(cache / DB_NAME)
    conn.execute("CREATE TABLE entries (something TEXT)")
    conn.commit()
    conn.close()
    assert check(repo.path, cache) == check(repo.path, None)


# --------------------------------------------------------------------------- where and when


def test_no_cache_reads_and_writes_nothing(repo: GitRepo, tmp_path: Path) -> None:
    home = tmp_path / "home-cache"
    proc = subprocess.run(
        [*argv0(), "check", str(repo.path), "--no-cache"], capture_output=True, env=clean_env(home), timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert not home.exists()
    repo.write(".escm-check.yaml", "cache: false\n")
    proc = subprocess.run([*argv0(), "check", str(repo.path)], capture_output=True, env=clean_env(home), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert not home.exists()


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def test_the_cache_is_never_written_inside_the_repository(repo: GitRepo, tmp_path: Path) -> None:
    before = _snapshot(repo.path)
    home = tmp_path / "home-cache"
    for _ in range(2):
        proc = subprocess.run(
            [*argv0(), "check", "--as-of", AS_OF.isoformat()],
            cwd=repo.path,
            capture_output=True,
            env=clean_env(home),
            timeout=120,
        )
        assert proc.returncode in (0, 1), proc.stderr.decode()
    assert _snapshot(repo.path) == before
    assert (home / "escm-check" / DB_NAME).is_file()
    # a user cache folder that happens to lie inside the repository is not used at all
    proc = subprocess.run(
        [*argv0(), "check", "--as-of", AS_OF.isoformat()],
        cwd=repo.path,
        capture_output=True,
        env=clean_env(repo.path / ".cache"),
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert _snapshot(repo.path) == before


def test_a_configured_cache_dir_is_relative_to_the_config_file(repo: GitRepo, tmp_path: Path) -> None:
    repo.write(".escm-check.yaml", "cache_dir: .escm-cache\n")
    home = tmp_path / "home-cache"
    proc = subprocess.run([*argv0(), "check", str(repo.path)], capture_output=True, env=clean_env(home), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert (repo.path / ".escm-cache" / DB_NAME).is_file()
    assert not home.exists()


def test_two_runs_at_once_share_one_cache(repo: GitRepo, tmp_path: Path) -> None:
    home = tmp_path / "home-cache"
    plain = tmp_path / "plain.json"
    subprocess.run(
        [*argv0(), "check", str(repo.path), "--no-cache", "--format", "json", "--output", str(plain)],
        env=clean_env(home),
        timeout=120,
        capture_output=True,
    )
    for round_ in range(2):  # both cold, then both warm
        procs = []
        for n in range(2):
            out = tmp_path / f"r{round_}-{n}.json"
            procs.append(
                (
                    subprocess.Popen(
                        [*argv0(), "check", str(repo.path), "--format", "json", "--output", str(out)],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=clean_env(home),
                    ),
                    out,
                )
            )
        for proc, out in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode in (0, 1), err.decode()
            assert out.read_bytes() == plain.read_bytes()
    conn = sqlite3.connect(home / "escm-check" / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT kind, value FROM entries").fetchall()
    finally:
        conn.close()
    # the bundled pack is decoded from its built form: no rule file is parsed, so none is kept
    assert {k for k, _ in rows} == {"doc", "history", "control"}
    for kind, value in rows:
        if kind == "doc":
            PARSED.decode(value)


def test_the_cache_is_off_when_configured_off(repo: GitRepo, tmp_path: Path) -> None:
    config = msgspec.structs.replace(load_config(None), cache=False, cache_dir=str(tmp_path / "c"))
    assert Memo.open(config, repo.path).store is None
    assert not (tmp_path / "c").exists()


# --------------------------------------------------------------------------- codecs


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1.5, None, True, "x"], "when": dt.date(2026, 1, 2)},
        {"at": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-5)))},
        {2: "int key", dt.date(2026, 1, 1): "date key", None: "null key", True: "bool key"},
        {"\x00dt": "looks like a tag"},
        {"t": (1, (2, 3)), "nested": {"x": {"y": [{"z": float("inf")}]}}},
        {"id": "KNW-1", "practices": ["knw07"], "satisfies": {"knw07": ["b1"]}, "n": 2, "f": 1.5, "x": None},
        {"\x00j": "a key that looks like the whole-JSON tag"},
        {"deep": [[{"\x00j": 1}]]},
        {"\x00w": "a key that looks like the wrapped-mapping tag"},
    ],
)
def test_metadata_values_round_trip_exactly(value: Any) -> None:
    for there, back_again in ((tag, untag), (tag_mapping, untag_mapping)):
        text = json.dumps(there(value), allow_nan=False)
        back = back_again(json.loads(text))
        assert back == value
        assert [type(k) for k in back] == [type(k) for k in value]
        assert repr(back) == repr(value)


def test_metadata_that_is_json_already_is_sent_whole() -> None:
    plain = {"id": "KNW-1", "practices": ["knw07"], "satisfies": {"knw07": ["b1"]}}
    assert tag(plain) == {"\x00j": plain}
    assert "\x00j" not in json.dumps(tag({"on": dt.date(2026, 1, 2), "practices": ["knw07"]}))
    assert tag_mapping(plain) is plain  # neither walked nor copied
    assert list(tag_mapping({"on": dt.date(2026, 1, 2)})) == ["\x00w"]


@pytest.mark.parametrize(
    "bad", [{"\x00nope": 1}, {"\x00d": "not a date"}, {"\x00m": [[["unhashable"], 1]]}, {"\x00t": "x"}]
)
def test_unknown_or_bad_tags_are_bad_entries(bad: Any) -> None:
    with pytest.raises(BadEntry):
        untag(bad)
    with pytest.raises(BadEntry):
        untag_mapping({"\x00w": bad})


def test_a_wired_mapping_that_is_not_a_mapping_is_a_bad_entry() -> None:
    with pytest.raises(BadEntry):
        untag_mapping(["not", "a", "mapping"])


def test_a_document_round_trips(repo: GitRepo) -> None:
    from escm_check.adapters.limits import Limits
    from escm_check.metadata import normalise
    from escm_check.parsing import read_all

    rels = ["procedures/version-control.md", "records/audit.md", "word/plan.docx", "pdf/supplier.pdf"]
    for d in read_all(repo.path, rels, Limits.from_mapping({}), jobs=1):
        parsed = (d, *normalise(d, {}))
        assert PARSED.decode(PARSED.encode(parsed)) == parsed


def test_the_key_is_stable_across_processes() -> None:
    code = (
        "from escm_check.cache import make_key; from escm_check.pipeline import "
        "control_settings; from escm_check.config import load_config; "
        "print(make_key('x', control_settings(load_config(None))))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(keys) == 1


def test_cache_module_never_unpickles() -> None:
    for module in (cache_mod, codec):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "import pickle" not in source and "pickle.load" not in source
        assert "marshal" not in source and "eval(" not in source


def test_large_values_are_compressed_and_a_damaged_one_is_a_miss(tmp_path: Path) -> None:
    from escm_check.cache import COMPRESS_FROM, Store

    store = Store.open(tmp_path)
    assert store is not None
    big = json.dumps(["x" * COMPRESS_FROM, list(range(1000))]).encode()
    store.put([("big", "history", "s", big), ("small", "doc", "", b'"small"')])
    got = store.get(["big", "small"])
    # a large value comes back as the bytes it was stored as, a small one as text
    assert got["big"][0] == big and got["small"][0] == '"small"'
    conn = sqlite3.connect(tmp_path / DB_NAME)
    try:
        stored = dict(conn.execute("SELECT key, value FROM entries").fetchall())
        assert isinstance(stored["big"], bytes) and len(stored["big"]) < len(big) // 10
        conn.execute("UPDATE entries SET value = ? WHERE key = 'big'", (stored["big"][:100],))
        conn.commit()
    finally:
        conn.close()
    assert "big" not in store.get(["big", "small"])
    store.close()


def test_entries_in_use_are_kept_fresh_and_unused_ones_are_not(repo: GitRepo, tmp_path: Path) -> None:
    """A hit on an entry last used over a day ago refreshes it, so the expiry of unused
    entries never drops what every run still reads."""
    cache = tmp_path / "cache"
    check(repo.path, cache)
    old = 1_000_000_000.0  # 2001
    conn = sqlite3.connect(cache / DB_NAME)
    try:
        conn.execute("UPDATE entries SET used = ?", (old,))
        conn.execute("INSERT INTO entries VALUES ('stray', 'doc', '', ?, '\"x\"')", (old,))
        conn.commit()
    finally:
        conn.close()
    check(repo.path, cache)
    conn = sqlite3.connect(cache / DB_NAME)
    try:
        used = {
            kind: u
            for kind, u in conn.execute("SELECT kind, MIN(used) FROM entries WHERE key != 'stray' GROUP BY kind")
        }
        stray = conn.execute("SELECT used FROM entries WHERE key = 'stray'").fetchone()
    finally:
        conn.close()
    # with every verdict cached, the history and its versions are not read, so not refreshed
    assert {k for k, u in used.items() if u > old} == {"doc", "control"}
    assert used["history"] == old
    assert stray in (None, (old,))  # never refreshed (and may be gone with the expiry)


# --------------------------------------------------------------------------- the memoiser


def test_every_stored_entry_decodes_with_the_codec_of_its_kind(repo: GitRepo, tmp_path: Path) -> None:
    from escm_check.cache import FLAG, JUDGEMENT, LOCATED, history_codec

    cache = tmp_path / "cache"
    check(repo.path, cache)
    own = tmp_path / "own"  # an organisation's pack: its rule files are remembered too
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules" / "escm-sp-v2", own)
    pack_for(msgspec.structs.replace(load_config(None), cache_dir=str(cache), rules=str(own)), repo.path)
    codecs: dict[str, Any] = {
        "doc": PARSED,
        "control": JUDGEMENT,
        "history": history_codec(str(repo.path)),
        "valid": FLAG,
        "yaml": LOCATED,
    }
    rows = db_rows(cache)
    assert {kind for _, kind, _ in rows} == set(codecs)
    conn = sqlite3.connect(cache / DB_NAME)
    try:
        for key, kind, _ in rows:
            (raw,) = conn.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            text = zlib.decompress(raw).decode() if isinstance(raw, bytes) else raw
            codecs[kind].decode(text)
    finally:
        conn.close()


def test_map_computes_only_what_the_store_lacks_and_keeps_what_it_may(tmp_path: Path) -> None:
    from escm_check.cache import Store

    store = Store.open(tmp_path)
    assert store is not None
    memo = Memo(store)
    squares = codec.Codec(int)
    computed: list[list[int]] = []

    def compute(xs: Any) -> list[int]:
        computed.append(list(xs))
        return [x * x for x in xs]

    def run() -> list[int]:
        return memo.map(
            "sq", squares, [1, 2, 3, 4], lambda x: None if x == 4 else memo.key(x), compute, keep=lambda x, _: x != 3
        )

    assert run() == [1, 4, 9, 16]
    assert run() == [1, 4, 9, 16]
    assert computed == [[1, 2, 3, 4], [3, 4]]  # 3 was not kept, 4 has no key
    memo.close()
    without = Memo(None)
    assert without.map("sq", squares, [5], lambda x: "k", compute) == [25] and without.key(1) is None


def test_a_deferred_value_is_kept_even_when_ready_before_it_is_asked_for(tmp_path: Path) -> None:
    import time

    from escm_check.cache import Store

    store = Store.open(tmp_path)
    assert store is not None
    memo = Memo(store)
    number = codec.Codec(int)
    key = memo.key("n")
    assert key is not None
    first = memo.deferred("n", number, key, lambda: 7)
    time.sleep(0.2)  # the thread has finished long before the value is asked for
    assert first.get() == 7 and first.key == key
    calls: list[int] = []
    second = memo.deferred("n", number, key, lambda: calls.append(1) or 8)
    assert second.peek() is None  # stored: not decoded until asked for
    assert second.get() == 7 and calls == []
    refused = memo.deferred("n", number, memo.key("m"), lambda: 9, keep=lambda _: False)
    assert refused.get() == 9 and refused.key is None  # what is made from it must not be kept
    memo.close()
