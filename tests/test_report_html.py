"""HTML reporter: structure, escaping and self-containment, then a real headless Chromium run."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import shutil
import struct
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest
from escm_check.reporters import get_reporter
from escm_check.reporters.html_report import cell_colour, render
from escm_check.result import CheckResult

from .report_fixtures import (
    empty_result,
    hostile_result,
    huge_result,
    passing_result,
    typical_result,
)


class _Page(HTMLParser):
    """Just enough of a DOM for the assertions: tags with attributes, nesting and text."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "col", "hr", "rect", "line"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.elements: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._raw_tag: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        path = tuple(f"{t}#{a.get('id', '')}" for t, a in self.stack)
        self.elements.append((tag, attributes, path))
        if tag in ("style", "script"):
            self._raw_tag = tag
        if tag not in self.VOID:
            self.stack.append((tag, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        path = tuple(f"{t}#{a.get('id', '')}" for t, a in self.stack)
        self.elements.append((tag, attributes, path))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._raw_tag = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._raw_tag:
            self.raw[self._raw_tag].append(data)

    def find(self, tag: str, inside: str | None = None, **attrs: str) -> list[dict[str, str]]:
        """Elements with the tag and attributes, optionally nested in an element `tag#id`."""
        out = []
        for t, a, path in self.elements:
            if t != tag or (inside and inside not in path):
                continue
            if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(a)
        return out


def _big() -> CheckResult:
    """Every Practice failing with ten findings each: large, but quick to parse and lay out."""
    return huge_result(84, 10)


def _page(result: CheckResult) -> tuple[str, _Page]:
    text = render(result)
    return text, _Page(text)


# ------------------------------------------------------------------ static structure


def test_one_row_per_practice_in_the_practices_table() -> None:
    result = typical_result()
    _, page = _page(result)
    rows = [a for a in page.find("tr", inside="table#practices") if "data-practice" in a]
    assert sorted(r["data-practice"] for r in rows) == sorted(p.id for p in result.practices)
    assert len(page.find("details", inside="table#practices")) == len(result.practices)
    statuses = {r["data-practice"]: r["data-status"] for r in rows}
    assert statuses["knw07"] == "not-satisfied"
    assert statuses["tch05"] == "not-applicable"
    assert statuses["ppl10"] == "not-rated"


def test_drill_down_lists_every_activity_with_evidence() -> None:
    result = typical_result()
    text, page = _page(result)
    activities = page.find("li", inside="tr#p-knw07")
    ids = [a["data-activity"] for a in activities if "data-activity" in a]
    knw07 = next(p for p in result.practices if p.id == "knw07")
    assert ids == [a.id for a in knw07.activities]
    b1 = next(a for a in knw07.activities if a.id == "b1")
    ev = b1.evidence[0]
    assert ev.commit
    expected = f'<code>{ev.path}:{ev.line}</code></a> @ <code title="{ev.commit}">{ev.commit[:10]}</code>'
    assert expected in text
    assert "no approved document tags knw07.b3" in text


def test_header_shows_model_as_of_root_head_level_and_gate() -> None:
    result = typical_result()
    text, _ = _page(result)
    assert "eSourcing Capability Model for Service Providers" in text
    assert "2026-03-01" in text
    assert "/srv/process-repo" in text
    assert f'<code title="{result.head}">' in text
    assert "Gate failed" in text
    assert "Capability Level <strong>1</strong> · target Level 3" in text


def test_heat_map_has_a_cell_per_area_and_level() -> None:
    result = typical_result()
    text, _ = _page(result)
    svg = text[text.index('<svg class="heatmap"') : text.index("</svg>", text.index("heatmap"))]
    cells = re.findall(r'<rect class="cell"[^>]*fill="(#[0-9a-f]{6})"', svg)
    areas = {p.area for p in result.practices}
    levels = {p.level for p in result.practices}
    assert len(cells) == (len(areas) + 1) * len(levels)  # plus the "All areas" row
    assert cell_colour(1, 1)[0] in cells and cell_colour(1, 2)[0] in cells
    assert "Knowledge Management, Level 2: 2 of 3 in scope satisfied" in svg
    assert "Level 3 · target" in svg


def test_cell_colours_run_from_red_to_green() -> None:
    red, _ = cell_colour(0, 4)
    green, _ = cell_colour(4, 4)
    empty, _ = cell_colour(0, 0)
    assert int(red[1:3], 16) > int(red[3:5], 16)
    assert int(green[3:5], 16) > int(green[1:3], 16)
    assert empty != red and empty != green
    assert cell_colour(5, 0) == cell_colour(0, 0)


def test_documents_show_their_change_history() -> None:
    result = typical_result()
    text, page = _page(result)
    docs = page.find("details", inside="section#documents")
    assert len(docs) == len(result.documents)
    for doc in result.documents:
        assert f"<code>{doc.path}</code>" in text
        for entry in doc.history:
            assert f'<code title="{entry.commit}">{entry.commit[:10]}</code>' in text


def test_findings_rows_and_filters() -> None:
    result = typical_result()
    _, page = _page(result)
    rows = [a for a in page.find("tr", inside="table#findings") if "data-severity" in a]
    assert len(rows) == len(result.findings)
    assert [r["data-severity"] for r in rows] == sorted(
        (r["data-severity"] for r in rows), key=["error", "warning", "info"].index
    )
    assert {r["data-rule"] for r in rows} == {f.rule for f in result.findings}
    assert "(none)" in {r["data-practice"] for r in rows}
    (form,) = page.find("form", id="filters")
    assert "hidden" in form  # shown by the script only, so no-JS readers see every row
    names = [a["name"] for a in page.find("select", inside="form#filters")]
    assert names == ["severity", "rule", "practice"]


def test_no_network_anything() -> None:
    for result in (typical_result(), hostile_result(), _big()):
        text, page = _page(result)
        assert not re.search(r"(?i)(https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}/", text)
        assert not page.find("link", rel="stylesheet")
        for _tag, attrs, _path in page.elements:
            assert "src" not in attrs
            href = attrs.get("href", "#")
            assert href.startswith("#") or href == "data:,"


def test_content_security_policy_allows_only_the_inline_assets() -> None:
    text, page = _page(typical_result())
    (meta,) = page.find("meta", http_equiv="Content-Security-Policy")
    csp = meta["content"]
    assert "default-src 'none'" in csp
    for kind in ("style", "script"):
        (body,) = page.raw[kind]
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp
    assert "style=" not in text  # style attributes would need 'unsafe-inline'


def test_everything_is_escaped() -> None:
    text, page = _page(hostile_result())
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert len(page.raw["script"]) == 1
    assert "\x07" not in text


def test_print_stylesheet_present() -> None:
    text, _ = _page(typical_result())
    assert "@media print" in text
    assert "beforeprint" in text


@pytest.mark.parametrize("build", [empty_result, passing_result], ids=["empty", "passing"])
def test_small_results_render(build: Callable[[], CheckResult]) -> None:
    result = build()
    text, page = _page(result)
    assert text.startswith("<!DOCTYPE html>")
    rows = [a for a in page.find("tr", inside="table#practices") if "data-practice" in a]
    assert len(rows) == len(result.practices)


def test_deterministic() -> None:
    result = typical_result()
    shuffled = list(result.findings)
    random.Random(11).shuffle(shuffled)
    assert render(result) == render(msgspec.structs.replace(result, findings=tuple(shuffled)))
    assert render(result) == render(typical_result())


def test_registered_under_its_format_name() -> None:
    assert get_reporter("html") is render


# ------------------------------------------------------------------ headless Chromium


def _chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def _chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [
        _chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _console(stderr: str) -> list[str]:
    """Console messages (errors, CSP violations, log calls) that Chromium wrote to stderr."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_console_capture_sees_errors(tmp_path: Path) -> None:
    # Guards the harness itself: if a Chromium update stopped logging console messages,
    # the no-console-error assertions below would pass vacuously.
    page = _write(tmp_path, "broken.html", "<!DOCTYPE html><p>x</p><script>nosuch();</script>")
    proc = _chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert any("nosuch" in line for line in _console(proc.stderr))


def test_renders_without_console_errors_and_runs_its_script(tmp_path: Path) -> None:
    result = typical_result()
    page = _write(tmp_path, "report.html", render(result))
    proc = _chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=3000")
    assert _console(proc.stderr) == []
    dom = _Page(proc.stdout)
    rows = [a for a in dom.find("tr", inside="table#practices") if "data-practice" in a]
    assert len(rows) == len(result.practices)
    (form,) = dom.find("form", id="filters")
    assert "hidden" not in form
    n = len(result.findings)
    assert f'<output id="filter-count">{n} of {n} shown</output>' in proc.stdout


def test_filters_hide_rows_and_expand_all_opens_every_practice(tmp_path: Path) -> None:
    text = render(typical_result())
    probe = (
        "var s=document.querySelector(\"select[name='severity']\");s.value='warning';"
        "s.dispatchEvent(new Event('change',{bubbles:true}));"
        "document.querySelector(\"button[data-toggle='open'][data-scope='practices']\").click();"
    )
    digest = base64.b64encode(hashlib.sha256(probe.encode()).digest()).decode()
    # The page's CSP admits only its own script, so the probe's hash is added for this test.
    text = text.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    text = text.replace("</body>", f"<script>{probe}</script></body>")
    page = _write(tmp_path, "probe.html", text)
    proc = _chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=3000")
    assert _console(proc.stderr) == []
    dom = _Page(proc.stdout)
    rows = [a for a in dom.find("tr", inside="table#findings") if "data-severity" in a]
    visible = [r["data-severity"] for r in rows if "hidden" not in r]
    warnings = sum(1 for f in typical_result().findings if f.severity == "warning")
    assert visible == ["warning"] * warnings
    assert f"{warnings} of {len(rows)} shown" in proc.stdout
    details = dom.find("details", inside="table#practices")
    assert len(details) == len(typical_result().practices)
    assert all("open" in d for d in details)
    assert not any("open" in d for d in dom.find("details", inside="section#documents"))


def test_without_javascript_everything_shows(tmp_path: Path) -> None:
    result = typical_result()
    # --dump-dom reads the DOM through script, so it returns nothing with scripting switched
    # off; dropping the page's only script is the same page as a reader without JavaScript.
    text = re.sub(r"<script>.*?</script>", "", render(result), flags=re.S)
    page = _write(tmp_path, "report.html", text)
    proc = _chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert _console(proc.stderr) == []
    dom = _Page(proc.stdout)
    assert dom.raw["script"] == []
    rows = [a for a in dom.find("tr", inside="table#findings") if "data-severity" in a]
    assert len(rows) == len(result.findings)
    assert all("hidden" not in r for r in rows)
    (form,) = dom.find("form", id="filters")
    assert "hidden" in form


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("build", [typical_result, _big], ids=["typical", "big"])
def test_screenshot(tmp_path: Path, build: Callable[[], CheckResult]) -> None:
    page = _write(tmp_path, "report.html", render(build()))
    shot = tmp_path / "report.png"
    proc = _chromium(
        tmp_path,
        page,
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--virtual-time-budget=3000",
    )
    assert _console(proc.stderr) == []
    assert shot.is_file()
    assert _png_size(shot) == (1280, 2000)
    # A blank or unstyled page compresses to a few kilobytes; the report's colours do not.
    assert shot.stat().st_size > 60_000
    keep = os.environ.get("ESCM_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / f"report-{build.__name__.strip('_')}.png")


def test_hostile_page_runs_clean(tmp_path: Path) -> None:
    page = _write(tmp_path, "hostile.html", render(hostile_result()))
    proc = _chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert _console(proc.stderr) == []
    # Serialised DOM text is escaped again, so the raw tag only appears if it became an element.
    assert "<script>alert" not in proc.stdout
