"""The workshop pack from the bundled data: the slide deck (HTML and PDF, one page per slide),
the two-page briefs, the feedback form, and the deck in headless Chromium; and the pack of a
region with a seventh member.

The tables come from the session's run of the pipeline on the bundled data (`bundled_run`); the
seventh member's pack is made from the tables built in process (`report/tables.py`).
Chromium is Debian's `chromium`, driven from the command line as in `test_ui.py` (same flags,
a new empty profile, its own process group): `--enable-logging=stderr` prints every console
message of the page, `--dump-dom` gives the DOM after the scripts ran, `--screenshot` a PNG.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from wbtip_pipeline.presentation.disclosure import (
    cell_id,
    count_text,
    harmonised_disclosure,
    small_count_cells,
)
from wbtip_pipeline.presentation.labels import Names
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.region import BUNDLED_CONFIG_DIR, build_region, load_region
from wbtip_pipeline.sources.feedback import FORM_COLUMNS
from wbtip_pipeline.workshop.form import HEADER_ROW
from wbtip_pipeline.workshop.pack import (
    BRIEF_PAGES,
    PackFacts,
    WorkshopPack,
    evidence_line,
    render_briefs,
    render_workshop_pack,
)
from wbtip_pipeline_tests.browser import HEADLESS
from wbtip_pipeline_tests.report.tables import build_tables

PACK_TABLES = (
    "harmonised_statistics",
    "trends",
    "trend_summary",
    "mechanism_domain_scores",
    "mechanism_gaps",
    "regional_opportunities",
    "recommendations",
    "data_gap_summary",
)
MM = 72 / 25.4  # PDF points per millimetre
FOOTNOTE = "without prejudice to positions on status"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1600, 900)

REGION = load_region()
CODES = REGION.codes
name = Names(REGION).of

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (`apt-get install -y chromium`; .ci/run does it)",
)


@pytest.fixture(scope="module")
def tables(bundled_run) -> dict[str, pd.DataFrame]:
    return {table: bundled_run.table(table) for table in PACK_TABLES}


@pytest.fixture(scope="module")
def pack(tables, tmp_path_factory) -> WorkshopPack:
    return render_workshop_pack(tables, tmp_path_factory.mktemp("workshop"))


@pytest.fixture(scope="module")
def slides(pack) -> dict[int, tuple[str, str]]:
    """{slide number: (kind, inner HTML)}."""
    html = pack.slides_html.read_text(encoding="utf-8")
    found = re.findall(
        r'<section class="slide slide-(\w+)" id="slide-(\d+)"[^>]*>(.*?)</section>', html, re.S
    )
    return {int(n): (kind, body) for kind, n, body in found}


def text_of(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def pdf_text(path: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


# --- the files ------------------------------------------------------------------------------


def test_pack_writes_deck_briefs_and_form(pack):
    written = (pack.slides_html, pack.slides_pdf, pack.guide_html, pack.guide_pdf,
               pack.feedback_form, *pack.briefs.values())  # fmt: skip
    for path in written:
        assert path.is_file() and path.stat().st_size > 1000, path
    assert pack.guide_pages in (1, 2)
    assert sorted(pack.briefs) == sorted(CODES)
    # its timings are reported, not bounded: speed is measured in benchmarks/ (workshop_pack)
    assert set(pack.timings) >= {"slides_s", "briefs_s", "total_s"}


NO_WEASYPRINT = """
import json, sys, tempfile
from pathlib import Path
from wbtip_pipeline.settings import chart_cache
from wbtip_pipeline.workshop.pack import render_workshop_pack
from wbtip_pipeline_tests.report.tables import build_tables
with tempfile.TemporaryDirectory(prefix="wbtip-pack-") as out:
    cache, prune = chart_cache(out)  # the session's, as the asset finds it
    pack = render_workshop_pack(build_tables(), Path(out), cache_dir=cache, prune_cache=prune)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("weasyprint", "typst"))
print(json.dumps({"modules": loaded, "timings": pack.timings, "slides": pack.slide_count}))
"""


def test_pack_pdfs_are_made_by_typst_without_weasyprint():
    """In a fresh process, the whole pack (the bundled tables built in process) never imports
    WeasyPrint: the deck and the briefs are laid out by Typst. The pack's times are printed
    (benchmarks/ measures them)."""
    run = subprocess.run(
        [sys.executable, "-c", NO_WEASYPRINT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"workshop pack: {result['slides']} slides, timings {result['timings']}")
    assert "typst" in result["modules"]
    assert not [m for m in result["modules"] if m.startswith("weasyprint")], result["modules"]


def test_deck_pdf_has_one_slide_per_page_of_297_by_167_mm(pack):
    pages = PdfReader(pack.slides_pdf).pages
    assert len(pages) == pack.slide_count
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width / MM), round(height / MM)) == (297, 167)


def test_deck_is_self_contained(pack):
    html = pack.slides_html.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<link" not in html and "@import" not in html
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing


def test_deck_has_the_regional_picture_a_slide_per_jurisdiction_and_cooperation(slides, pack):
    assert len(slides) == pack.slide_count
    titles = [re.search(r"<h1>(.*?)</h1>", body) for _, body in slides.values()]
    titles = [htmllib.unescape(t.group(1)) for t in titles if t]
    assert any(t.startswith("The regional picture") for t in titles)
    assert any(t.startswith("Regional cooperation") for t in titles)
    per_place = [body for kind, body in slides.values() if kind == "jurisdiction"]
    assert [text_of(re.search(r"<h1>(.*?)</h1>", b).group(1)) for b in per_place] == [
        name(c) for c in CODES
    ]
    for body in per_place:
        text = text_of(body)
        assert "Victims, prosecutions and convictions per year" in text
        assert "Trends over the five latest reported years" in text
        assert "All checklist items:" in text and '<figure class="chart"' in body
        assert "warehouse" not in text and "harmonised_statistics" not in text


def test_the_top_priorities_are_on_the_slides_once(slides, tables):
    """Each member's and the region's top priorities, and no other recommendation: the feedback
    form and the briefs list the others."""
    recs = tables["recommendations"]
    shown = [
        rid
        for kind, body in slides.values()
        if kind == "priorities"
        for rid in re.findall(r'<li id="rec-(REC-[0-9a-f]+)">', body)
    ]
    top = recs[recs["top_priority"].astype(bool)]
    assert sorted(shown) == sorted(top["recommendation_id"])


def test_evidence_line_names_table_keys_and_how_many_more():
    evidence = (
        '[{"table": "data_gaps", "keys": {"jurisdiction": "XKX", "indicator": '
        '"persons_convicted", "breakdown": "total", "year": 2017}, "values": {"n_cells": 3}},'
        ' {"table": "data_gaps", "keys": {"jurisdiction": "XKX", "year": 2018}, "values": {}},'
        ' {"table": "data_gaps", "keys": {"jurisdiction": "XKX", "year": 2019}, "values": {}}]'
    )
    assert evidence_line(evidence) == (
        "Evidence: data_gaps: Kosovo*, persons convicted, total, 2017; Kosovo*, 2018; 1 more row"
    )


def test_recommendation_texts_are_the_reports_withheld_figures_unquoted():
    facts = PackFacts(build_tables())
    report = {r["id"]: r["text"] for r in facts.f.recommendation_items(facts.recs, top_only=False)}
    items = facts.rec_items(facts.recs)
    assert len(items) == len(facts.recs) and all(i["text"] == report[i["id"]] for i in items)
    # the bundled data has recommendations quoting a figure that secondary suppression withholds:
    # the pack says so in words, as the report does, never with the figure or a bare "[c]"
    raw = dict(zip(facts.recs["recommendation_id"], facts.recs["text"], strict=True))
    withheld = [i for i in items if "withheld to protect small counts" in i["text"]]
    assert withheld and all(i["text"] != raw[i["id"]] for i in withheld)
    assert not any("[c] of" in i["text"] or "were [c]" in i["text"] for i in items)


def test_kosovo_footnote_wherever_kosovo_appears(slides, pack):
    assert FOOTNOTE in " ".join(REGION.footnotes.values())  # the bundled region's footnote
    for member in (REGION.member(c) for c in REGION.footnotes):
        for number, (_, body) in slides.items():
            text = text_of(body)
            names_it = member.name in text.split(f"* {member.name}: ")[0]
            assert names_it == (member.footnote in text), f"slide {number}"
        for code, path in pack.briefs.items():
            text = " ".join(pdf_text(path))
            if code == member.code or member.name in text.replace(f"* {member.name}:", ""):
                assert "UNSCR 1244/1999" in text and "ICJ Opinion" in text, code


def test_counts_are_published_as_the_report_publishes_them(slides, pack, tables):
    html = pack.slides_html.read_text(encoding="utf-8")
    cells = [htmllib.unescape(c) for c in re.findall(r'<td class="count[^"]*">([^<]*)</td>', html)]
    assert cells and small_count_cells(cells) == []
    h, trends = tables["harmonised_statistics"], tables["trends"]
    dc = harmonised_disclosure(h, trends)
    regional = next(b for k, b in slides.values() if 'id="regional-victims"' in b)
    for code in CODES:
        row = re.search(rf">{re.escape(name(code))}</th>(.*?)</tr>", regional, re.S).group(1)
        year, victims = (htmllib.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)[:2])
        years = h.loc[(h["jurisdiction"] == code) & (h["indicator"] == "victims_detected"), "year"]
        assert int(year) == int(years.max()), code
        assert victims == dc.text(cell_id(code, int(year), "victims_detected")), code
    # the bundled data has totals of 0..4 among the figures shown: they read <5
    assert count_text(0, 4) in cells


def test_briefs_are_two_a4_pages_with_sources_scores_and_recommendations(pack, tables):
    recs = tables["recommendations"]
    outline = report_outline()
    for code, path in pack.briefs.items():
        reader = PdfReader(path)
        assert len(reader.pages) == BRIEF_PAGES == pack.brief_pages[code]
        width, height = (float(v) / MM for v in (reader.pages[0].mediabox.width,
                                                  reader.pages[0].mediabox.height))  # fmt: skip
        assert (round(width), round(height)) == (210, 297)
        first, second = pdf_text(path)
        assert name(code) in first
        assert "Key figures" in first and "Source: warehouse tables harmonised_statistics" in first
        assert "scores by checklist domain" in first and "coordination" in first
        assert "Recommendations for validation" in second
        own = recs[recs["jurisdiction"] == code].sort_values("priority_rank")
        shown, total = pack.brief_recommendations[code]
        assert total == len(own)
        assert own["recommendation_id"].iloc[0] in second  # the top priority is always there
        # where the rest is: the report's full list and the member's chapter, from the outline
        assert f"full list: {outline.ref('recommendations')} of the report" in second
        assert f"{name(code)} in full: {outline.chapter(code).ref} (its chapter)" in second
        if shown < total:
            assert own["recommendation_id"].iloc[-1] not in second


def test_a_brief_cuts_a_long_list_to_the_top_priorities(tables, tmp_path):
    recs = tables["recommendations"]
    alb = recs[recs["jurisdiction"] == "ALB"]
    many = pd.concat(
        [
            alb.assign(recommendation_id=alb["recommendation_id"].str[:-1] + str(i))
            for i in range(3)
        ],
        ignore_index=True,
    )
    many["priority_rank"] = range(1, len(many) + 1)
    facts = PackFacts({**tables, "recommendations": many}, None)
    written = render_briefs(facts, tmp_path)
    brief = next(b for b in written if (b.code, b.lang) == ("ALB", "en"))
    path, pages, shown, total = brief.path, brief.pages, brief.shown, brief.total
    assert pages == 2 and len(PdfReader(path).pages) == 2
    assert total == len(many) and shown < total / 2
    text = " ".join(pdf_text(path))
    assert f"the {shown} highest priorities of {total}" in text
    assert report_outline().ref("recommendations") == "section 11"
    assert "full list: section 11 of the report" in text
    assert many["recommendation_id"].iloc[0] in text
    assert many["recommendation_id"].iloc[-1] not in text


def test_pack_renders_without_the_optional_tables(tables, tmp_path):
    few = {k: tables[k] for k in ("recommendations",)}
    result = render_workshop_pack(few, tmp_path)
    assert len(PdfReader(result.slides_pdf).pages) == result.slide_count
    assert all(pages == 2 for pages in result.brief_pages.values())


def test_a_deck_that_runs_over_is_built_with_fewer_priorities_or_refused(tmp_path, monkeypatch):
    from wbtip_pipeline.workshop import slides, slides_parts

    # the recommendations' full texts (with their findings) instead of their short forms: five
    # a slide run over (Typst's SlideOverflowError), and the deck is built again with fewer
    monkeypatch.setattr(slides_parts, "short_text", lambda text, names: text)
    facts = PackFacts(build_tables())
    html, pdf, count = slides.render_slides(facts, tmp_path)
    assert len(PdfReader(pdf).pages) == count
    found = re.findall(
        r'<section class="slide slide-priorities"[^>]*>(.*?)</section>', html.read_text(), re.S
    )
    assert found and all(0 < len(re.findall(r'<li id="rec-', body)) < 5 for body in found)
    # no number of priorities that fits: the pack stops rather than write a deck that runs over
    monkeypatch.setattr(slides, "_RETRY_PRIORITIES", (5,))
    with pytest.raises(slides.PackError, match="does not fit"):
        slides.render_slides(PackFacts(build_tables()), tmp_path / "refused")
    assert not (tmp_path / "refused" / slides.SLIDES_PDF).exists()


# --- the feedback form ----------------------------------------------------------------------


def test_feedback_form_has_a_sheet_per_delegation_listing_every_recommendation(pack, tables):
    """The pack writes the form; its layout is tested in `test_form.py`."""
    book = openpyxl.load_workbook(pack.feedback_form)
    assert book.sheetnames == ["Instructions", *(m.name for m in REGION.members), "Regional"]
    ids = [
        row[0]
        for sheet in book.worksheets[1:]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        if row[0]
    ]
    assert sorted(ids) == sorted(tables["recommendations"]["recommendation_id"])
    assert [c.value for c in book["Albania"][HEADER_ROW]][: len(FORM_COLUMNS)] == FORM_COLUMNS
    instructions = " ".join(str(r[0]) for r in book["Instructions"].iter_rows(values_only=True))
    assert "data/feedback/" in instructions and FOOTNOTE in instructions


# --- a region of seven ----------------------------------------------------------------------

SEVENTH = "QQQ"
SEVENTH_NAME = "Quuxland"
SIX = re.compile(r"\bsix\b|\bWB6\b", re.IGNORECASE)


def region_of_seven(folder: Path):
    """The bundled configs plus a seventh member, Quuxland (a copy of Albania's config)."""
    for path in BUNDLED_CONFIG_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    alb = (BUNDLED_CONFIG_DIR / "ALB.yaml").read_text(encoding="utf-8")
    seventh = re.sub(r"(?m)^jurisdiction: ALB$", f"jurisdiction: {SEVENTH}", alb)
    seventh = re.sub(r"(?m)^name: Albania$", f"name: {SEVENTH_NAME}", seventh)
    (folder / f"{SEVENTH}.yaml").write_text(seventh, encoding="utf-8")
    return build_region(folder)


def tables_of_seven() -> dict[str, pd.DataFrame]:
    """The tables built in process, with Albania's statistics copied for Quuxland."""
    tables = build_tables()
    h = tables["harmonised_statistics"]
    seventh = h[h["jurisdiction"] == "ALB"].assign(jurisdiction=SEVENTH)
    tables["harmonised_statistics"] = pd.concat([h, seventh], ignore_index=True)
    return tables


@pytest.fixture(scope="module")
def pack_of_seven(tmp_path_factory) -> tuple[WorkshopPack, object]:
    configs = tmp_path_factory.mktemp("configs")
    region = region_of_seven(configs)
    out = tmp_path_factory.mktemp("workshop7")
    return render_workshop_pack(tables_of_seven(), out, region=region), region


def test_a_seventh_member_gets_its_brief_and_slide_and_is_named(pack_of_seven):
    pack, region = pack_of_seven
    assert region.size == 7 and SEVENTH in region.codes
    assert sorted(pack.briefs) == sorted(region.codes) and len(pack.briefs) == 7
    assert all(pages == BRIEF_PAGES for pages in pack.brief_pages.values())
    html = pack.slides_html.read_text(encoding="utf-8")
    found = re.findall(
        r'<section class="slide slide-(\w+)" id="slide-(\d+)"[^>]*>(.*?)</section>', html, re.S
    )
    title = text_of(next(body for kind, _, body in found if kind == "title"))
    assert SEVENTH_NAME in title and "Albania" in title
    per_place = [text_of(re.search(r"<h1>(.*?)</h1>", body).group(1))
                 for kind, _, body in found if kind == "jurisdiction"]  # fmt: skip
    assert per_place == [Names(region).of(c) for c in region.codes]
    assert SEVENTH_NAME in per_place
    assert len(PdfReader(pack.slides_pdf).pages) == pack.slide_count
    brief = " ".join(pdf_text(pack.briefs[SEVENTH]))
    assert SEVENTH_NAME in brief and "Key figures" in brief
    instructions = " ".join(
        str(r[0])
        for r in openpyxl.load_workbook(pack.feedback_form)["Instructions"].iter_rows(
            values_only=True
        )
    )
    assert f"{SEVENTH_NAME} (sheet '{SEVENTH_NAME}')" in instructions
    assert SEVENTH_NAME in openpyxl.load_workbook(pack.feedback_form).sheetnames


def test_a_pack_of_seven_never_says_six(pack_of_seven):
    pack, _ = pack_of_seven
    texts = {"slides": text_of(pack.slides_html.read_text(encoding="utf-8"))}
    texts.update({code: " ".join(pdf_text(path)) for code, path in pack.briefs.items()})
    book = openpyxl.load_workbook(pack.feedback_form)
    texts["form"] = " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
    )
    for where, text in texts.items():
        assert not SIX.search(text), (where, SIX.findall(text))
    assert "WB7" in texts["slides"]  # the region's row code follows the roster


# --- the deck in headless Chromium ----------------------------------------------------------


def chromium(url: str, *args: str, window: tuple[int, int] = WINDOW) -> tuple[str, list[str]]:
    """Run headless Chromium on `url` (flags as in test_ui.py, a new empty profile, its own
    process group killed afterwards); (stdout, the page's console messages)."""
    with tempfile.TemporaryDirectory(prefix="wbtip-chromium-") as profile:
        command = [
            CHROMIUM,
            *HEADLESS,
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            "--virtual-time-budget=5000",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            url,
        ]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            out, err = b"", b"timed out"
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # helpers (crashpad) must not outlive it
            except ProcessLookupError:
                pass
            proc.wait()
        log = err.decode(errors="replace")
        assert proc.returncode == 0, f"chromium exited {proc.returncode}: {log[-2000:]}"
        console = re.findall(r":CONSOLE[^\]]*\] (.*)", log)
        return out.decode("utf-8", errors="replace"), console


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@needs_chromium
def test_deck_opens_in_headless_chromium_without_console_errors(pack, tmp_path):
    # the console is really captured: a page that logs an error shows it
    probe = tmp_path / "console_probe.html"
    probe.write_text('<script>console.error("probe-error"); missing();</script>')
    _, console = chromium(probe.as_uri(), "--dump-dom")
    assert any("probe-error" in c for c in console) and any("missing" in c for c in console)

    shot = pack.slides_html.parent / "workshop_slides_screenshot.png"
    _, console = chromium(pack.slides_html.as_uri() + "#slide-5", f"--screenshot={shot}")
    assert console == [], console
    assert _png_size(shot) == WINDOW
    assert shot.stat().st_size > 20_000, "the screenshot looks blank"
    dom, console = chromium(pack.slides_html.as_uri() + "#slide-7", "--dump-dom")
    assert console == [], console
    assert 'data-current="7"' in dom and len(re.findall(r'class="slide [^"]*current"', dom)) == 1


NAVIGATION_PROBE = """<script>
(function () {
  var seen = [];
  KEYS.forEach(function (key) {
    document.dispatchEvent(new KeyboardEvent("keydown", {key: key, bubbles: true}));
    seen.push(document.documentElement.getAttribute("data-current"));
  });
  document.body.setAttribute("data-seen", seen.join(","));
}());
</script>
"""


@needs_chromium
def test_deck_keyboard_navigation_in_headless_chromium(pack, tmp_path):
    keys = ["End", "Home", "ArrowRight", "PageDown", "ArrowDown", " ", "PageUp", "ArrowLeft",
            "ArrowUp", "ArrowLeft", "End", "ArrowRight"]  # fmt: skip
    probe = NAVIGATION_PROBE.replace("KEYS", str(keys).replace("'", '"'))
    html = pack.slides_html.read_text(encoding="utf-8").replace("</body>", probe + "</body>")
    page = tmp_path / "deck_with_probe.html"
    page.write_text(html, encoding="utf-8")
    dom, console = chromium(page.as_uri(), "--dump-dom")
    assert console == [], console
    n = pack.slide_count
    seen = re.search(r'data-seen="([^"]*)"', dom).group(1).split(",")
    assert seen == [str(x) for x in (n, 1, 2, 3, 4, 5, 4, 3, 2, 1, n, n)]


@needs_chromium
def test_deck_prints_one_slide_per_page_in_chromium(pack, tmp_path):
    pdf = tmp_path / "printed.pdf"
    chromium(pack.slides_html.as_uri(), f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    pages = PdfReader(pdf).pages
    assert len(pages) == pack.slide_count
    assert round(float(pages[0].mediabox.width) / MM) == 297
