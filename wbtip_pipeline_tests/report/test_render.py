"""The final report rendered from the bundled data: sections in outline order, figures and tables
numbered per section, escaping, disclosure control, the PDF and a real browser.

The tables are built in process with the pipeline's pure transforms (`tables.build_tables`); one
test renders from the warehouse of a full `wbtip run` instead, to hold the executive summary to
the published tables.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    count_words,
    small_count_cells,
)
from wbtip_pipeline.presentation.facts import TABLE_NAMES
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.region import load_region
from wbtip_pipeline.report.render import (
    DisclosureError,
    check_disclosure,
    render_html,
    render_report,
)
from wbtip_pipeline.sources.mechanisms import load_checklist
from wbtip_pipeline_tests.browser import CHROMIUM, HEADLESS
from wbtip_pipeline_tests.report.tables import (
    REFERENCE,
    ROOT,
    build_tables,
    provenance,
    recommendations_for,
)

REGION = load_region()
SECTIONS = [entry.id for entry in report_outline(REGION)]
KOSOVO_FOOTNOTE = REGION.footnotes["XKX"]
INJECTED = "<script>alert(1)</script>{{ 7*7 }}"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="module")
def report(tables, tmp_path_factory):
    """The report of the bundled data, written once for the module: (result, html, seconds)."""
    out = tmp_path_factory.mktemp("report")
    started = time.perf_counter()
    result = render_report(tables, provenance(), out)
    seconds = time.perf_counter() - started
    return result, result.html_path.read_text(encoding="utf-8"), seconds


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, section_id
    return match.group(1)


# --- contents ---------------------------------------------------------------------------


def test_every_section_and_chapter_in_reading_order(report):
    result, html, _ = report
    assert result.sections == SECTIONS
    first = SECTIONS.index("regional-overview") + 1  # the chapters follow the overview
    assert SECTIONS[:first] == ["executive-summary", "introduction", "regional-overview"]
    assert SECTIONS[first : first + REGION.size] == [f"jurisdiction-{c}" for c in REGION.codes]
    positions = [html.index(f'id="{s}"') for s in SECTIONS]
    assert positions == sorted(positions)
    for code, name in REGION.names.items():
        chapter = _section(html, f"jurisdiction-{code}")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", chapter, re.S).group(1)
        assert name in _text(heading)
        for part in ("Key figures", "Trends", "Counter-trafficking mechanisms", "Data gaps"):
            assert part in chapter, (code, part)
        assert "The external view" in chapter and "US TIP report tier" in chapter
        assert "Priority recommendations" in chapter
    assert result.html_path.name == "wbtip_report.html"
    assert result.pdf_path.name == "wbtip_report.pdf"


def test_caveats_and_kosovo_footnote(report):
    _, html, _ = report
    text = _text(html)
    assert text.count(PREVALENCE_CAVEAT) >= 2  # on the cover, and where the figures start
    assert KOSOVO_FOOTNOTE in _text(_section(html, "jurisdiction-XKX"))
    assert KOSOVO_FOOTNOTE not in _text(_section(html, "jurisdiction-ALB"))
    assert KOSOVO_FOOTNOTE in text and "Kosovo*" in text


def test_every_figure_and_table_has_a_caption_and_a_source(report):
    result, html, _ = report
    n_figures = n_tables = 0
    for entry in report_outline(REGION):
        section = _section(html, entry.id)
        figures = re.findall(r'<figure class="chart" id="[^"]+">(.*?)</figure>', section, re.S)
        for k, fig in enumerate(figures, start=1):  # numbered within their section
            assert "<svg" in fig and f"Figure {entry.number}.{k}." in _text(fig)
            assert re.search(r'class="source">\s*Source: ', fig)
        tables = re.findall(r'<figure class="table[^"]*" id="[^"]+">(.*?)</figure>', section, re.S)
        for k, table in enumerate(tables, start=1):
            assert f"Table {entry.number}.{k}." in _text(table)
            assert 'class="source">Source: ' in table
        n_figures += len(figures)
        n_tables += len(tables)
    assert n_figures == result.chart_count >= 10
    assert n_tables == result.table_count


def test_self_contained(report):
    _, html, _ = report
    assert "<script" not in html.lower()
    assert not re.search(r'<link[^>]+rel="stylesheet"', html)
    assert not re.search(r'\s(?:src|href)="(?!#|https?://|data:)', html)
    assert not re.search(r'<img[^>]+src="https?://', html)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids"
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in ids, target


def test_intervals_are_drawn_as_ranges(report):
    _, html, _ = report
    # the legend of every count chart explains the hatched range of an interval
    assert html.count("range (e.g. &lt;5 = 0 to 4)") >= 3


def test_no_output_names_a_region_size_it_does_not_have(report):
    """Six members: "six" and the short name are right here; what must never appear is a code
    of the tables or a file name in the prose."""
    _, html, _ = report
    assert REGION.code == "WB6" and "Western Balkans (WB6)" in _text(html)
    for entry in report_outline(REGION):
        if entry.kind == "annex":  # the annexes list the files and their findings by name
            continue
        text = _text(_section(html, entry.id))
        for leftover in ("_ct_mechanisms.yaml", "data/reference", "ct_mechanism_checklist.csv"):
            assert leftover not in text, (entry.id, leftover)


# --- the executive summary against the tables --------------------------------------------


def _summary_text(html: str) -> str:
    return _text(_section(html, "executive-summary"))


def _expected_region_sentence(trends: pd.DataFrame) -> tuple[str, str, str]:
    region = trends[(trends.jurisdiction == REGION.code) & (trends.indicator == "victims_detected")]
    latest = region.sort_values("year").iloc[-1]
    victims = count_words(int(latest.value_low), int(latest.value_high))
    low, high = float(latest.rate_per_100k_low), float(latest.rate_per_100k_high)
    rate = f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"
    return f"In {int(latest.year)}", f"detected {victims}", f"{rate} per 100,000"


def test_summary_numbers_match_the_tables(report, tables):
    _, html, _ = report
    summary = _summary_text(html)
    for part in _expected_region_sentence(tables["trends"]):
        assert part in summary, part
    trends = tables["trends"]
    region = trends[trends.jurisdiction == REGION.code]
    year = int(region[region.indicator == "victims_detected"].year.max())
    for indicator in ("persons_prosecuted", "persons_convicted"):
        row = region[(region.indicator == indicator) & (region.year == year)].iloc[0]
        assert count_words(int(row.value_low), int(row.value_high), "persons") in summary
    full = region[
        (region.indicator == "victims_detected") & (region.n_jurisdictions_reporting == REGION.size)
    ].iloc[-1]
    words = count_words(int(full.value_low), int(full.value_high))
    assert (
        f"in {int(full.year)}, the latest year all six reported, they detected {words}" in summary
    )
    shared = tables["regional_opportunities"].opportunity_type.eq("shared_gap").sum()
    assert f"{shared} checklist items are gaps" in summary
    # five to eight sentences before the recommendations
    facts = _section(html, "executive-summary").split("<h2")[0]
    assert 5 <= len(re.findall(r"<li>", facts)) <= 8


def test_summary_matches_the_published_warehouse(bundled_run):
    """The same sentences from the tables as `wbtip run` publishes them (SQLite dtypes)."""
    tables = {name: bundled_run.table(name) for name in TABLE_NAMES}
    tables["us_tip_tiers"] = pd.read_csv(REFERENCE / "us_tip_tiers.csv")
    tables["ct_checklist"] = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    if tables["recommendations"] is None:  # the recommendations layer is not published yet
        tables["recommendations"], tables["recommendation_changes"] = recommendations_for(tables)
    html, _, facts = render_html(tables, provenance())
    summary = _summary_text(html)
    for part in _expected_region_sentence(tables["trends"]):
        assert part in summary, part
    assert facts.summary_facts()["latest_victims"] == tuple(
        tables["trends"]
        .query("jurisdiction == @REGION.code and indicator == 'victims_detected'")
        .sort_values("year")
        .iloc[-1][["value_low", "value_high"]]
        .astype(int)
    )


# --- escaping ------------------------------------------------------------------------------


def test_labels_from_sources_are_escaped(tables):
    poisoned = {name: frame.copy() for name, frame in tables.items()}
    poisoned["ct_checklist"].loc[0, "title"] = INJECTED
    gaps = poisoned["mechanism_gaps"]
    gaps.loc[gaps.index[0], "title"] = INJECTED
    gaps.loc[gaps.index[0], "evidence"] = INJECTED
    gaps.loc[gaps.index[0], "source_url"] = "javascript:alert(1)"
    domains = poisoned["mechanism_domain_scores"]
    domains.loc[domains.domain == "data", "domain"] = INJECTED  # a chart label
    issues = poisoned["data_quality_issues"]
    issues.loc[issues.index[0], "message"] = INJECTED
    recs = poisoned["recommendations"]
    recs.loc[recs.index[0], "text"] = INJECTED
    html, doc, _ = render_html(poisoned, provenance())
    assert "<script" not in html.lower()
    assert "{{" not in html and "7*7 }}" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;" in html
    # inside the chart too, written by matplotlib's SVG writer
    domain_chart = next(f for f in doc.figures() if f.key == "fig-domains")
    assert "&lt;script&gt;" in domain_chart.svg and "<script" not in domain_chart.svg


# --- disclosure control -------------------------------------------------------------------


def test_no_published_cell_shows_a_count_from_one_to_four(report):
    result, html, _ = report
    counts = [
        html_lib.unescape(c)
        for c in re.findall(r'<(?:td|span) class="[^"]*\bcount\b[^"]*">([^<]*)<', html)
    ]
    assert len(counts) > 300 and PRIMARY_TEXT in counts and SECONDARY_TEXT in counts
    assert small_count_cells(counts) == []
    assert not re.search(r"\b[1-4] (victims?|persons?)\b", _text(html))
    published = result.html_path.parent / "published"
    for csv in published.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for column in ("value", "victims"):
            if column in frame:
                assert small_count_cells(frame[column]) == [], (csv.name, column)


def test_secondary_suppression_in_the_published_table(report):
    result, _, _ = report
    folder = result.html_path.parent / "published"
    h = pd.read_csv(folder / "harmonised_statistics.csv", dtype=str, keep_default_na=False)
    kosovo = h[
        (h.jurisdiction == "XKX")
        & (h.year == "2019")
        & (h.indicator == "victims_detected")
        & (h.dimension == "total")
        & (h.age == "total")
    ].set_index("sex")
    # the source gives 26 = 23 female + 3 male: <5 alone would disclose the 3
    assert kosovo.loc["total", "value"] == "26"
    assert kosovo.loc["male", "value"] == PRIMARY_TEXT
    assert kosovo.loc["female", "value"] == SECONDARY_TEXT
    assert kosovo.loc["female", "suppression"] == "secondary"
    log = pd.read_csv(folder / "secondary_suppressions.csv")
    assert len(log) == result.secondary_suppressions > 0
    assert log.group.str.startswith("Kosovo, 2019, victims detected: by sex").any()


def test_the_annex_lists_every_finding_and_the_suppressions(report, tables):
    _, html, _ = report
    annex = _section(html, "data-quality-annex")
    issues = tables["data_quality_issues"]
    findings = re.search(r'id="tab-dq">(.*?)</figure>', annex, re.S).group(1)
    assert findings.count("<tr>") == len(issues) + 1  # and the header
    assert "0..4" not in annex  # messages quote counts through the disclosure rules
    assert "Secondary suppressions among the figures shown in this report" in annex
    assert "Completeness matrix" in annex and "Conflicts between sources" in annex


def test_missing_and_empty_tables_are_said_not_hidden(tables):
    partial = {k: v for k, v in tables.items() if k not in ("recommendations", "us_tip_tiers")}
    html, _, facts = render_html(partial, provenance())
    assert facts.missing_tables == ["us_tip_tiers", "recommendations"]
    assert "Not available in this run: US TIP report tiers, recommendations" in _text(html)
    assert "The recommendations table was not available in this run." in _text(html)
    empty = {name: frame.iloc[0:0] for name, frame in tables.items()}
    html, _, _ = render_html(empty, provenance())
    assert "The warehouse holds no figures yet." in _text(html)


def test_render_refuses_a_small_count():
    check_disclosure('<td class="count">&lt;5</td><td class="count">12</td>')
    with pytest.raises(DisclosureError):
        check_disclosure('<td class="count">3</td>')
    with pytest.raises(DisclosureError):
        check_disclosure('<span class="big count">2</span>')


def test_provenance_lists_every_source_file(report):
    _, html, _ = report
    annex = _text(_section(html, "provenance"))
    for name, digest in provenance()["source_files"].items():
        assert f"{name} {digest}" in annex
    assert "test-run-0001" in annex and "0.0.0+test" in annex


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_has_pages_and_every_jurisdiction(report):
    result, _, seconds = report
    reader = PdfReader(result.pdf_path)
    assert len(reader.pages) == result.page_count > 1
    wanted = {*REGION.names.values(), "Executive summary", "Provenance"}
    found: set[str] = set()
    for page in reader.pages:  # until every name has been seen: extraction is slow
        text = re.sub(r"\s+", " ", page.extract_text())
        found |= {w for w in wanted if w in text}
        if found == wanted:
            break
    assert found == wanted, wanted - found
    print(f"report: {result.page_count} pages, {result.chart_count} charts, {seconds:.1f} s")


# --- a real browser ------------------------------------------------------------------------


class Chromium:
    """Headless Debian chromium driven over the DevTools protocol on a pipe (no WebDriver, no
    network port): JSON messages separated by NUL bytes on file descriptors 3 and 4."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: the protocol's fixed descriptors 3 and 4
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            CHROMIUM, *HEADLESS, f"--user-data-dir={profile}",
            "--remote-debugging-pipe", "about:blank",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            preexec_fn=wire,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _next(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def open(self, url: str, width: int, height: int) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._next(deadline))

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(str(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                found.append(str(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)
        os.close(self._to_browser)
        os.close(self._from_browser)


CHART_CHECK = """
(() => {
  const charts = [...document.querySelectorAll('figure.chart svg')];
  return charts.map(svg => {
    const box = svg.getBoundingClientRect();
    const style = getComputedStyle(svg);
    return {
      id: svg.closest('figure').id,
      width: box.width, height: box.height,
      visible: svg.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
        && style.display !== 'none',
      marks: svg.querySelectorAll('path, text').length,
    };
  });
})()
"""


def test_the_report_in_a_real_browser(report):
    if not Path(CHROMIUM).exists():
        pytest.skip("no headless browser: Debian's chromium is not installed (.ci/run installs it)")
    result, _, _ = report
    out = result.html_path.parent
    with tempfile.TemporaryDirectory() as profile:
        browser = Chromium(Path(profile))
        try:
            browser.open(result.html_path.as_uri(), width=1000, height=1414)  # A4 proportions
            charts = browser.evaluate(CHART_CHECK)
            title = browser.evaluate("document.title")
            screenshot = out / "screenshots" / "report_first_page.png"
            screenshot.parent.mkdir(exist_ok=True)
            browser.screenshot(screenshot)
            errors, requests = browser.errors(), browser.requests()
        finally:
            browser.close()
    assert len(charts) == result.chart_count
    for chart in charts:
        assert chart["visible"] and chart["width"] > 300 and chart["height"] > 80, chart
        assert chart["marks"] > 10, chart
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert "Trafficking in persons in the Western Balkans" in title
    assert screenshot.stat().st_size > 20_000
    if os.environ.get("WBTIP_SAVE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, ROOT / "docs" / "report_first_page.png")
