"""`python -m benchmarks.pdf_engines`: WeasyPrint against Typst on the report's PDF.

Owns the measurement behind the choice of PDF engine (results in `benchmarks/RESULTS.md`):

- (a) the real report: WeasyPrint on the self-contained HTML of a finished run (`--html`,
  default `output/report/wbtip_report.html` of `make run`, charts as inline SVG);
- (b) a synthetic `Document` of the same size (11 sections, 60 tables of 8-12 rows x 6-10
  columns, the 16 SVG charts taken from that HTML, about 100 paragraphs, recommendation lists,
  Albanian, Serbian and Macedonian text): Typst through `presentation.render_pdf`, and
  WeasyPrint on the same document turned into HTML by the small converter below, so both
  engines get the same content.

Every rendering runs in a fresh process (`--worker`), `--repeat` times; the time is the render
call alone (layout and PDF writing, not the interpreter's start-up or the input's reading), the
peak memory that process's maximum resident set (VmHWM; the input in memory and the engine's
import included), with each engine's import-only peak beside it. Fidelity is read back from
the PDFs with pypdf: pages, size, fonts embedded, the non-ASCII letters of the input and the
scripts' samples, chart labels, table words split over two lines, tags (/StructTreeRoot,
/MarkInfo) and a claimed PDF/UA part in the XMP. Results go to `--json` and print as Markdown.
A Typst-only case renders a workshop pack's worth (52 slides and six briefs).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the outputs of `make run` (`wbtip run` with the default output folder)
DEFAULT_HTML = ROOT / "output" / "report" / "wbtip_report.html"
DEFAULT_WAREHOUSE = ROOT / "output" / "warehouse.sqlite"

SCRIPTS = {
    "Albanian": "Shqipëri, çështje, Prishtinë, Korçë",
    "Serbian Latin": "šuma, čovek, ćerka, žena, đak",
    "Serbian Cyrillic": "Ђорђе, љубав, њива, џак, ћерка",
    "Macedonian": "ѓавол, ќерка, ѕвезда, Скопје",
}
JURISDICTIONS = [
    "Albania",
    "Bosnia and Herzegovina",
    "Kosovo*",
    "North Macedonia",
    "Montenegro",
    "Serbia",
]
LOCAL = ["Shqipëria", "Bosna i Hercegovina", "Kosova", "Северна Македонија", "Crna Gora", "Србија"]
INDICATORS = [
    "Victims detected",
    "Presumed victims",
    "Persons prosecuted",
    "Persons convicted",
    "Child victims",
    "Women and girls",
    "Foreign victims",
    "Sexual exploitation",
    "Forced labour",
    "Forced begging",
]
SENTENCES = [
    "Detected victims are the victims that the authorities identified in a year, not the "
    "number of people trafficked: a rise can mean better identification as much as more "
    "trafficking.",
    "Counts from 0 to 4 print as <5, a range and not a number; a cell withheld so that a "
    "suppressed one cannot be recovered prints as [c].",
    "Between 89 and 97 persons were prosecuted for trafficking in 2021, and between 14 and 18 "
    "were convicted, in the jurisdictions that reported the breakdown.",
    "The national referral mechanism met 14 of the 28 checklist items in full; 6 are partly "
    "met and the rest are unknown, which is never counted as 0.",
    "Women and girls made up 57–58% of the victims detected in 2021, and children 54–55%, "
    "pooled over the jurisdictions reporting the breakdown.",
    "The figures come from the warehouse tables of this run; each table and chart names the "
    "source files it was built from, and Annex B lists their SHA-256.",
    "A regional coordination meeting in Skopje agreed to exchange case data every quarter, "
    "with a common template for the identification of presumed victims.",
    "Where a jurisdiction did not report a year, the regional sum is a partial sum and says "
    "how many jurisdictions it covers.",
    "Rates are per 100,000 inhabitants, with the population of the same year; a range count "
    "gives a range of rates ($ and # are plain text here, as is {{ x }}).",
    "The shelter in Tirana reported capacity for 24 persons; the one in Belgrade for 16, and "
    "both took in foreign victims in 2020 and 2021.",
]
SECTIONS = [
    "Executive summary",
    "Regional overview",
    *JURISDICTIONS,
    "Regional cooperation",
    "Recommendations",
    "Methodology",
]
TABLES_PER_SECTION = [3, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5]  # 60
FIGURES_PER_SECTION = [1, 3, 1, 1, 1, 1, 1, 1, 2, 2, 2]  # 16


@dataclass
class BenchChart:
    """A chart of the synthetic document: one of the real report's SVGs."""

    key: str
    caption: str
    source: str
    alt: str
    svg: str


def report_svgs(path: Path) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", path.read_text(encoding="utf-8"), re.S)


def _svg_title(svg: str) -> str:
    m = re.search(r"<title>(.*?)</title>", svg, re.S)
    return html.unescape(m.group(1)) if m else ""


def svg_labels(svgs: list[str], shortest: int = 3) -> set[str]:
    """The distinct text labels drawn in the charts (matplotlib writes them as <text>)."""
    labels = set()
    for svg in svgs:
        labels.update(
            html.unescape(t).strip() for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
        )
    return {t for t in labels if len(t) >= shortest}


def real_document(warehouse: Path):
    """The real report as a `Document`: a finished run's warehouse tables through the report's
    own builders (`report/document.py`), the reference tables from `data/reference`, the hashes
    of the files in `data/sources` as its provenance."""
    import pandas as pd

    from wbtip_pipeline.presentation.facts import TABLE_NAMES
    from wbtip_pipeline.report.document import build_report
    from wbtip_pipeline.sources.mechanisms import load_checklist
    from wbtip_pipeline.sources.readers import sha256_of
    from wbtip_pipeline.warehouse import Warehouse

    store = Warehouse(f"sqlite:///{warehouse}")
    tables = {name: store.read(name) for name in TABLE_NAMES}
    store.dispose()
    reference = ROOT / "data" / "reference"
    if tables.get("ct_checklist") is None:  # reference assets: not in the warehouse
        tables["ct_checklist"] = load_checklist(reference / "ct_mechanism_checklist.csv")
    if tables.get("us_tip_tiers") is None:
        tables["us_tip_tiers"] = pd.read_csv(
            reference / "us_tip_tiers.csv", encoding="utf-8", dtype={"source_url": object}
        )
    files = sorted(p for p in (ROOT / "data" / "sources").rglob("*") if p.is_file())
    provenance = {
        "run_id": "benchmark",
        "code_version": "benchmark",
        "source_files": {p.name: sha256_of(p) for p in files},
        "generated_at": "2026-11-29T00:00:00+00:00",
    }
    return build_report(tables, provenance)[0]


# --- the synthetic document ---------------------------------------------------------------


def _count(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.08:
        return "<5", "count suppressed"
    if r < 0.12:
        return "[c]", "count withheld"
    if r < 0.18:
        return "–", "count missing"
    if r < 0.24:
        lo = rng.randint(5, 180)
        return f"{lo}–{lo + 4}", "count"
    return str(rng.randint(5, 320)), "count"


def _table(numbering, rng: random.Random, k: int, place: str):
    from wbtip_pipeline.presentation.blocks import Cell

    n_rows, n_cols = rng.randint(8, 12), rng.randint(6, 10)
    kind = k % 3
    if kind == 0:  # jurisdictions (and local names) by year
        years = [str(2021 - n_cols + 2 + i) for i in range(n_cols - 1)]
        columns, classes = ["Jurisdiction", *years], ["", *["num"] * len(years)]
        heads = [*JURISDICTIONS, *LOCAL][:n_rows]
        caption = f"Victims detected by jurisdiction, {years[0]}–{years[-1]}"
    elif kind == 1:  # indicators by jurisdiction
        columns = ["Indicator", *[j.split()[0] for j in JURISDICTIONS]][:n_cols]
        classes = ["", *["num"] * (len(columns) - 1)]
        heads = (INDICATORS * 2)[:n_rows]
        caption = f"Indicators in {place}, latest reported year"
    else:  # a checklist: text columns and a few numbers
        columns = ["Item", "What the item asks for", "Domain", "Score", "Year", "Status"]
        columns += ["Evidence", "Source file", "Reviewer", "Note"][: n_cols - 6]
        classes = ["", "", "", "num", "num", "", "", "", "", ""][: len(columns)]
        heads = [f"{d}{i}" for d, i in zip("PJRC" * 5, range(1, 40), strict=False)][:n_rows]
        caption = f"Checklist of counter-trafficking mechanisms in {place}"
    rows = []
    for h in heads:
        row = [Cell(h, "rowhead")]
        for c in range(1, len(columns)):
            if kind == 2 and classes[c] != "num":
                text = rng.choice(
                    [
                        "A national coordinator with a mandate in law",
                        "Screening of presumed victims at the border",
                        "met",
                        "partly met",
                        "not met",
                        "unknown",
                        f"{place.lower().split()[0]}_mechanisms_2021.csv",
                        "Shelter for children run with an NGO",
                    ]
                )
                row.append(Cell(text))
            elif kind == 2:
                row.append(Cell(str(rng.choice([0, 1, 2, 2021, 2020])), "num"))
            else:
                row.append(Cell(*_count(rng)))
        rows.append(row)
    source = (
        f"Source: warehouse table harmonised_statistics ({place}), from "
        f"{place.lower().split()[0]}_statistics_2021.csv and {rng.randint(3, 40)} more."
    )
    return numbering.table(f"tab-{k}", caption, source, columns, rows, col_classes=classes)


def synthetic_document(svgs: list[str]):
    """The synthetic report: deterministic, so every worker builds the same one."""
    from wbtip_pipeline.presentation.blocks import (
        Item,
        KeyFigure,
        KeyFigures,
        Link,
        ListBlock,
        Note,
        Numbering,
        Paragraph,
        Section,
    )
    from wbtip_pipeline.presentation.document import Document

    rng = random.Random(20261129)
    charts = [
        BenchChart(
            f"fig-{i}",
            f"Chart {i + 1} of the report, drawn from its own SVG.",
            "Source: warehouse table trends (jurisdiction WB6).",
            _svg_title(svg),
            svg,
        )
        for i, svg in enumerate(svgs[:16])
    ]
    sample = "; ".join(f"{k}: {v}" for k, v in SCRIPTS.items())
    sections, k, f, p = [], 0, 0, 0
    for s, title in enumerate(SECTIONS, start=1):
        num = Numbering(str(s))
        section = Section(title.lower().replace(" ", "-").replace("*", ""), str(s), title)
        tables = [_table(num, rng, k + i, title) for i in range(TABLES_PER_SECTION[s - 1])]
        figures = [num.figure(charts[f + i]) for i in range(FIGURES_PER_SECTION[s - 1])]
        k, f = k + len(tables), f + len(figures)
        n_par = 10 if s == 1 else 9  # 100 in all
        section.add(Note(SENTENCES[0], style="caveat", lead="Read first."))
        if s == 1:
            section.add(
                KeyFigures(
                    [
                        KeyFigure("314", "victims detected in 2021", True),
                        KeyFigure("14–18", "persons convicted in 2021", True),
                        KeyFigure("159", "recommendations"),
                    ]
                )
            )
        blocks = tables + figures
        for i in range(n_par):
            text = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 5)))
            if p % 10 == 0:
                text = f"{text} Names as the sources write them: {sample}."
            p += 1
            section.add(Paragraph(text, lead="In short." if i == 0 else ""))
            if i % 3 == 2:
                section.add(num.heading(f"Part {i // 3 + 1} of {title}"))
            section.add(*blocks[i::n_par])  # the tables and charts spread over the text
        if 3 <= s <= 8 or s == 10:
            items = [
                Item(
                    rng.choice(SENTENCES),
                    head=f"{title[:3].upper()}-{r:02d} Justice · priority {r}",
                    badge=rng.choice(["urge", "consider", "invite"]),
                    meta=["Validation workshop: agreed"],
                    links=[Link(f"Table {s}.1", f"#tab-{k - len(tables)}")],
                    id=f"rec-{s}-{r}",
                )
                for r in range(1, 6)
            ]
            section.add(ListBlock(items, ordered=True, style="recs"))
        sections.append(section)
    return Document(
        "Trafficking in persons in the Western Balkans",
        "Needs assessment of counter-trafficking mechanisms, trends and regional cooperation "
        "(synthetic benchmark document)",
        cover=[Paragraph(SENTENCES[1]), Paragraph(f"Scripts: {sample}.")],
        sections=sections,
        footnotes=["* Kosovo: This designation is without prejudice to positions on status."],
        kicker="Counter-trafficking needs assessment · regional report",
    )


def synthetic_pack(svgs: list[str]) -> list:
    """A workshop pack's size for Typst alone: a 52-slide deck (a table or a chart and a line
    of text on each) and six two-page briefs; the deck comes first."""
    from wbtip_pipeline.presentation.blocks import (
        Cell,
        Item,
        ListBlock,
        Note,
        Numbering,
        Paragraph,
        Section,
    )
    from wbtip_pipeline.presentation.document import Document

    rng = random.Random(52)
    slides = []
    for s in range(1, 53):
        num = Numbering(str(s))
        slide = Section(f"slide-{s}", "", f"Slide {s}: {rng.choice(INDICATORS)}")
        slide.add(Paragraph(rng.choice(SENTENCES)))
        if s % 4 == 0:
            svg = svgs[(s // 4) % len(svgs)]
            chart = BenchChart(f"slide-fig-{s}", "Chart", "Source: trends", _svg_title(svg), svg)
            slide.add(num.figure(chart))
        else:
            years = [str(y) for y in range(2017, 2022)]
            rows = [
                [Cell(j, "rowhead"), *[Cell(*_count(rng)) for _ in years]] for j in JURISDICTIONS
            ]
            slide.add(
                num.table(
                    f"slide-tab-{s}",
                    "Victims detected",
                    "Source: harmonised_statistics",
                    ["Jurisdiction", *years],
                    rows,
                    col_classes=["", *["num"] * 5],
                )
            )
        slides.append(slide)
    documents = [Document("Regional validation workshop", sections=slides, page="slides")]
    for j, place in enumerate(JURISDICTIONS):
        num = Numbering("1")
        first = Section(f"brief-{j}", "", "Figures, trends and mechanisms")
        first.add(Note(SENTENCES[0], style="caveat"))
        for k in range(3):
            first.add(_table(num, rng, 3 * j + k if k < 2 else 3 * j, place))
        recs = Section(f"recs-{j}", "", "Recommendations for validation")
        recs.add(
            ListBlock(
                [
                    Item(
                        rng.choice(SENTENCES),
                        head=f"{place[:3].upper()}-{r:02d} Justice",
                        badge=rng.choice(["urge", "consider", "invite"]),
                    )
                    for r in range(1, 9)
                ],
                ordered=True,
                style="recs",
            )
        )
        documents.append(
            Document(
                place,
                "Brief for the delegation",
                sections=[first, recs],
                page="brief",
                footnotes=["* Kosovo: without prejudice to positions on status."],
            )
        )
    return documents


# --- the same document as HTML for WeasyPrint -----------------------------------------------

CSS = """
@page { size: A4; margin: 17mm 16mm 18mm 16mm;
  @top-left { content: string(chapter); font: 7.5pt "DejaVu Sans"; color: #6b6b6b; }
  @top-right { content: string(doctitle); font: 7.5pt "DejaVu Sans"; color: #6b6b6b; }
  @bottom-center { content: counter(page) " / " counter(pages); font: 7.5pt "DejaVu Sans";
    color: #6b6b6b; } }
@page :first { @top-left { content: none; } @top-right { content: none; }
  @bottom-center { content: none; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; line-height: 1.4; color: #1a1a1a; }
body { margin: 0; }
h1, h2, h3 { color: #163a5f; line-height: 1.2; break-after: avoid; }
h1 { font-size: 17pt; margin: 0 0 10pt; string-set: chapter attr(data-running);
  border-bottom: 1.5pt solid #163a5f; padding-bottom: 4pt; }
h1.title { font-size: 26pt; border: 0; string-set: doctitle content(); }
h2 { font-size: 12.5pt; margin: 16pt 0 6pt; }
h3 { font-size: 10.5pt; margin: 12pt 0 4pt; }
.num { color: #5b7ea4; margin-right: 6pt; font-weight: normal; }
p { margin: 0 0 6pt; }
td, th { overflow-wrap: break-word; }
section.chapter, nav.toc { break-before: page; }
.kicker { text-transform: uppercase; letter-spacing: 0.12em; font-size: 8.5pt; color: #5b7ea4; }
.subtitle { font-size: 12.5pt; color: #333; }
.footnote { font-size: 7.5pt; color: #444; border-top: 0.5pt solid #999; padding-top: 4pt; }
.caveat { border-left: 3pt solid #E69F00; background: #fff8e6; padding: 6pt 9pt;
  margin: 8pt 0 10pt; break-inside: avoid; }
nav.toc ol { list-style: none; padding: 0; }
nav.toc a { color: #1a1a1a; text-decoration: none; }
nav.toc a::after { content: leader('.') target-counter(attr(href), page); }
figure { margin: 8pt 0 12pt; break-inside: avoid; }
figure.long { break-inside: auto; }
figcaption { font-size: 8.5pt; color: #333; margin: 3pt 0; }
figcaption .label { font-weight: bold; color: #163a5f; }
.source, .note { display: block; font-size: 7.5pt; color: #6b6b6b; margin-top: 2pt; }
figure svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; table-layout: fixed; width: 100%; font-size: 7.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { padding: 2.5pt 4pt; border-bottom: 0.5pt solid #d9d9d9; vertical-align: top;
  text-align: left; }
thead th { border-bottom: 1pt solid #163a5f; color: #163a5f; }
tbody th { font-weight: normal; }
th.num, td.num, td.count { text-align: right; }
td.num, td.count { white-space: nowrap; }
td.suppressed { color: #7a4d00; } td.withheld { color: #7a4d00; font-style: italic; }
td.missing { color: #9a9a9a; }
.keyfacts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6pt; margin: 8pt 0; }
.keyfacts div { background: #f1f6fb; padding: 5pt 7pt; }
.keyfacts .big { font-size: 13pt; font-weight: bold; color: #163a5f; display: block; }
.keyfacts .small { font-size: 7.5pt; color: #444; }
ol.recs { list-style: none; padding: 0; }
li.rec { border-left: 2.5pt solid #9ecae1; padding: 2pt 0 2pt 7pt; margin: 0 0 6pt;
  break-inside: avoid; }
.badge { padding: 0 4pt; font-size: 7pt; text-transform: uppercase; color: white;
  background: #b84a00; margin-right: 4pt; }
.item-meta, ul.evidence { font-size: 7.5pt; color: #555; margin: 0; }
"""


def to_html(doc) -> str:
    """The synthetic document as one HTML page in the report's print style (a simple
    converter for this benchmark, not the project's HTML renderer)."""
    e = html.escape
    out = [
        f'<!DOCTYPE html><html lang="{e(doc.lang)}"><head><meta charset="utf-8">'
        f"<title>{e(doc.title)}</title><style>{CSS}</style></head><body>",
        '<section class="cover">',
        f'<p class="kicker">{e(doc.kicker)}</p><h1 class="title">{e(doc.title)}</h1>',
        f'<p class="subtitle">{e(doc.subtitle)}</p>',
        *[_html_block(b) for b in doc.cover],
        *[f'<p class="footnote">{e(t)}</p>' for t in doc.footnotes],
        '</section><nav class="toc"><h1 data-running="Contents">Contents</h1><ol>',
        *[f'<li><a href="#{e(s.id)}">{e(s.label)}</a></li>' for s in doc.sections],
        "</ol></nav>",
    ]
    for s in doc.sections:
        out.append(
            f'<section class="chapter" id="{e(s.id)}"><h1 data-running="{e(s.label)}">'
            f'<span class="num">{e(s.number)}</span>{e(s.title)}</h1>'
        )
        out += [_html_block(b) for b in s.blocks]
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def _html_block(b) -> str:
    e = html.escape
    kind = b.kind
    if kind == "heading":
        tag = "h2" if b.level == 2 else "h3"
        num = f'<span class="num">{e(b.number)}</span>' if b.number else ""
        return f"<{tag}>{num}{e(b.text)}</{tag}>"
    if kind == "paragraph":
        lead = f"<strong>{e(b.lead)}</strong> " if b.lead else ""
        return f"<p>{lead}{e(b.text)}</p>"
    if kind == "note":
        lead = f"<strong>{e(b.lead)}</strong> " if b.lead else ""
        return f'<div class="{e(b.style)}"><p>{lead}{e(b.text)}</p></div>'
    if kind == "keyfigures":
        figs = "".join(
            f'<div><span class="big">{e(k.big)}</span><span class="small">{e(k.small)}</span></div>'
            for k in b.figures
        )
        return f'<div class="keyfacts">{figs}</div>'
    if kind == "list":
        items = []
        for i in b.items:
            head = f'<p><span class="badge">{e(i.badge)}</span>{e(i.head)}</p>' if i.head else ""
            meta = "".join(f'<p class="item-meta">{e(m)}</p>' for m in i.meta)
            links = "".join(
                f'<li><a href="{e(x.href)}">{e(x.text)}</a></li>'
                if x.href
                else f"<li>{e(x.text)}</li>"
                for x in i.links
            )
            links = f'<ul class="evidence">{links}</ul>' if links else ""
            items.append(
                f'<li class="rec" id="{e(i.id)}">{head}<p>{e(i.text)}</p>{meta}{links}</li>'
            )
        tag = "ol" if b.ordered else "ul"
        return f'<{tag} class="{e(b.style)}">{"".join(items)}</{tag}>'
    if kind == "table":
        cols = "".join(f'<col style="width: {w}%">' for w in b.widths)
        classes = b.col_classes + [""] * len(b.columns)
        head = "".join(
            f'<th scope="col" class="{e(classes[i])}">{e(c)}</th>' for i, c in enumerate(b.columns)
        )
        rows = []
        for row in b.rows:
            cells = [f'<th scope="row" class="{e(row[0].cls)}">{e(row[0].text)}</th>']
            cells += [f'<td class="{e(c.cls)}">{e(c.text)}</td>' for c in row[1:]]
            rows.append(f"<tr>{''.join(cells)}</tr>")
        long = " long" if len(b.rows) > 15 else ""
        return (
            f'<figure class="table{long}" id="{e(b.key)}"><figcaption><span class="label">'
            f"Table {e(b.number)}.</span> {e(b.caption)}</figcaption><table><colgroup>{cols}"
            f"</colgroup><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p class="source">{e(b.source)}</p></figure>'
        )
    if kind == "figure":
        return (
            f'<figure class="chart" id="{e(b.key)}">{b.svg}<figcaption><span class="label">'
            f"Figure {e(b.number)}.</span> {e(b.caption)}"
            f'<span class="source">{e(b.source)}</span></figcaption></figure>'
        )
    raise TypeError(kind)


# --- workers: one rendering in a fresh process ----------------------------------------------


def _no_fetch():
    """A WeasyPrint URL fetcher that fetches nothing: both inputs are self-contained."""

    def refuse(url, *args, **kwargs):
        raise ValueError(f"the benchmark fetches no resource: {url[:60]}")

    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint < 70
        return refuse

    class Refuse(URLFetcher):
        def fetch(self, url, headers=None):
            refuse(url)

    return Refuse()


def worker(spec: dict) -> dict:
    """Render one case as `spec` says; the timed part is the engine's call alone."""
    import logging

    engine, case, variant = spec["engine"], spec["case"], spec["variant"]
    if case == "idle":  # the engine imported, nothing rendered: the baseline of its memory
        __import__("weasyprint" if engine == "weasyprint" else "typst")
        return {"seconds": 0.0}
    html_path = Path(spec["html"])
    if case == "report":
        source = html_path.read_text(encoding="utf-8")
    elif case == "pack":
        docs = synthetic_pack(report_svgs(html_path))
    elif case == "realdoc":
        doc = real_document(Path(spec["warehouse"]))
    else:
        doc = synthetic_document(report_svgs(html_path))
    timings = {}
    if engine == "weasyprint":
        from weasyprint import HTML

        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported screen CSS
        if case == "synthetic":
            source = to_html(doc)
        elif case == "realdoc":  # the project's own HTML renderer, charts as inline SVG
            from wbtip_pipeline.presentation.render_html import render_html

            source = render_html(doc)
        kw = {"pdf_variant": variant} if variant != "default" else {}
        before = peak_rss_mb()  # the input built, the engine imported
        t0, c0 = time.perf_counter(), time.process_time()
        document = HTML(string=source, base_url=str(html_path.parent), url_fetcher=_no_fetch())
        rendered = document.render()
        timings["layout_s"] = time.perf_counter() - t0
        pdf = rendered.write_pdf(**kw)
    else:
        import typst  # noqa: F401 - imported before the memory mark, as WeasyPrint is

        from wbtip_pipeline.presentation.render_pdf import render_pdf, typst_source

        docs = docs if case == "pack" else [doc]
        t0 = time.perf_counter()
        for d in docs:
            typst_source(d)
        timings["source_s"] = time.perf_counter() - t0
        standards = ("ua-1",) if variant == "ua-1" else ()
        before = peak_rss_mb()  # the input built, the engine imported
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = [render_pdf(d, standards=standards) for d in docs][0]  # the deck, for a pack
    seconds = time.perf_counter() - t0
    # CPU time of all the process's threads: what the render costs on a busy machine
    timings["cpu_s"] = time.process_time() - c0
    timings["before_mb"] = before
    Path(spec["out"]).write_bytes(pdf)
    return {"seconds": seconds, **timings}


def peak_rss_mb() -> float:
    """This process's peak resident set since its exec (Linux's VmHWM). Not ru_maxrss: that one
    survives exec, so a child forked from a big parent would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def run_worker(spec: dict) -> dict:
    """`worker(spec)` in a fresh Python; adds its wall time, start-up included."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.pdf_engines", "--worker", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({done.returncode}): {spec}\n{done.stderr[-2000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "wall_s": wall}


# --- fidelity, read back from the PDF ---------------------------------------------------------


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def table_words(doc=None, html_text: str | None = None) -> set[str]:
    """Words that must print whole: header words and numbers/counts of the tables."""
    words = set()
    if doc is not None:
        for s in doc.sections:
            for t in s.walk("table"):
                for c in t.columns:
                    words.update(c.split())
                for row in t.rows:
                    words.update(c.text for c in row if {"count", "num"} & set(c.cls.split()))
    if html_text is not None:
        for th in re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', html_text):
            words.update(html.unescape(th).split())
        for td in re.findall(r'<td class="[^"]*\b(?:count|num)\b[^"]*">([^<]*)</td>', html_text):
            words.add(html.unescape(td).strip())
    # a word with letters, a year or a range: short numbers would match across table rows
    # ("...  1" at the end of a line, "2 ..." at the start of the next) and tell nothing
    return {
        w
        for w in words
        if (len(w) >= 3 and any(c.isalpha() for c in w)) or re.fullmatch(r"\d{4}|\d+–\d+", w)
    }


def letters(text: str) -> set[str]:
    """The letters beyond ASCII in a text: the ones a font may lack."""
    return {c for c in text if ord(c) > 127 and c.isalpha()}


def visible_text(html_text: str) -> str:
    """The text an HTML page shows (its SVG labels included), for `letters`."""
    body = re.sub(r"<(style|title|head)\b.*?</\1>", " ", html_text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def inspect_pdf(
    pdf: bytes, words: set[str], labels: set[str], expected: set[str], ticks: set[str] = frozenset()
) -> dict:
    """What the PDF shows; `ticks` are the charts' short labels, one per extracted line ("20",
    "25"), which must not count as a split "2025"."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = _flat(text)
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont", "?")).split("+")[-1])
    # a word split over two lines ("Yea" / "r") is two pieces with a line break between them
    # (neither engine hyphenates here, so no body text ends a line inside a word either)
    split = {}
    for w in words:
        n = sum(
            len(re.findall(rf"(?<!\w){re.escape(w[:i])}\n{re.escape(w[i:])}(?!\w)", text))
            for i in range(1, len(w))
            if not (w[:i] in ticks and w[i:] in ticks)
        )
        if n:
            split[w] = n
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    mark = root.get("/MarkInfo")
    return {
        "pages": len(reader.pages),
        "bytes": len(pdf),
        "fonts": sorted(fonts),
        "letters": len(expected),
        "letters_missing": sorted(expected - letters(text)),
        "scripts": {k: _flat(v) in flat for k, v in SCRIPTS.items()},
        "chart_labels_found": sum(1 for x in labels if x in flat),
        "chart_labels": len(labels),
        "figure_captions": len(re.findall(r"Figure [\dA-Z]+\.\d*\.? ", flat)),
        "table_words": len(words),
        "table_words_split": dict(sorted(split.items())),
        "struct_tree": "/StructTreeRoot" in root,
        "marked": bool(mark and mark.get("/Marked")),
        "pdfua_claimed": b"pdfuaid:part" in xmp,
    }


# --- the comparison ---------------------------------------------------------------------------

CASES = [  # (label, engine, case, variant)
    ("real report HTML", "weasyprint", "report", "default"),
    ("real report HTML", "weasyprint", "report", "pdf/ua-1"),
    ("real report as Document", "weasyprint", "realdoc", "default"),
    ("real report as Document", "weasyprint", "realdoc", "pdf/ua-1"),
    ("real report as Document", "typst", "realdoc", "ua-1"),
    ("synthetic, as HTML", "weasyprint", "synthetic", "default"),
    ("synthetic, as HTML", "weasyprint", "synthetic", "pdf/ua-1"),
    ("synthetic Document", "typst", "synthetic", "ua-1"),
    ("synthetic Document", "typst", "synthetic", "tagged"),
    ("synthetic pack: 52 slides + 6 briefs", "typst", "pack", "ua-1"),
]


def _size(doc) -> dict[str, int]:
    return {
        "sections": len(doc.sections),
        **{
            f"{kind}s": sum(len(s.walk(kind)) for s in doc.sections)
            for kind in ("table", "figure", "paragraph")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--json", type=Path, default=ROOT / "output" / "benchmarks" / "pdf_engines.json"
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help="a finished run's SQLite warehouse: the real report as a Document (skipped if absent)",
    )
    parser.add_argument("--keep", type=Path, help="keep the PDFs in this folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps({**worker(json.loads(args.worker)), "peak_mb": peak_rss_mb()}))
        return
    if not args.html.exists():
        sys.exit(f"{args.html} is missing: run the pipeline first (`wbtip run`)")

    import typst
    import weasyprint

    html_text = args.html.read_text(encoding="utf-8")
    svgs = report_svgs(args.html)
    doc = synthetic_document(svgs)
    labels = svg_labels(svgs)
    deck = synthetic_pack(svgs)[0]
    real = real_document(args.warehouse) if args.warehouse.exists() else None
    ticks = svg_labels(svgs, 1)
    if real is not None:
        real_svgs = [f.svg for f in real.figures()]
        labels_of = {"realdoc": svg_labels(real_svgs)}
        ticks |= svg_labels(real_svgs, 1)
    else:
        labels_of = {}
    words = {
        "report": table_words(html_text=html_text),
        "synthetic": table_words(doc),
        "pack": table_words(deck),
        "realdoc": table_words(real) if real is not None else set(),
    }
    expected = {
        "report": letters(visible_text(html_text)),
        "synthetic": letters(visible_text(to_html(doc))),
        "pack": letters(visible_text(to_html(deck))),
        "realdoc": letters(visible_text(to_html(real))) if real is not None else set(),
    }
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "weasyprint": weasyprint.__version__,
            "typst": typst.__version__,
        },
        "input": {
            "html": str(args.html),
            "html_bytes": len(html_text),
            "synthetic": _size(doc),
            "real_document": _size(real) if real is not None else None,
        },
        "idle_peak_mb": {},
        "cases": [],
    }
    with tempfile.TemporaryDirectory(prefix="wbtip-pdf-engines-") as tmp:
        out_dir = args.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for engine in ("weasyprint", "typst"):
            spec = {"engine": engine, "case": "idle", "variant": "", "html": "", "out": ""}
            results["idle_peak_mb"][engine] = run_worker(spec)["peak_mb"]
        for label, engine, case, variant in CASES:
            if case == "realdoc" and real is None:
                print(f"{label}: skipped, no warehouse at {args.warehouse}")
                continue
            out = out_dir / f"{engine}-{case}-{variant.replace('/', '')}.pdf"
            spec = {
                "engine": engine,
                "case": case,
                "variant": variant,
                "html": str(args.html),
                "warehouse": str(args.warehouse),
                "out": str(out),
            }
            runs = []
            for _ in range(args.repeat):
                load = os.getloadavg()[0]
                runs.append({**run_worker(spec), "load_before": load})
                print(f"{label} / {engine} {variant}: {runs[-1]['seconds']:.2f} s", flush=True)
            fidelity = inspect_pdf(
                out.read_bytes(), words[case], labels_of.get(case, labels), expected[case], ticks
            )
            results["cases"].append(
                {
                    "input": label,
                    "engine": engine,
                    "variant": variant,
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "seconds_runs": [round(r["seconds"], 3) for r in runs],
                    "peak_mb": statistics.median(r["peak_mb"] for r in runs),
                    "wall_s": statistics.median(r["wall_s"] for r in runs),
                    "load_before": [round(r["load_before"], 2) for r in runs],
                    **{
                        k: statistics.median(r[k] for r in runs)
                        for k in ("layout_s", "source_s", "cpu_s", "before_mb")
                        if k in runs[0]
                    },
                    **fidelity,
                }
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(results))
    print(f"written to {args.json}")


def markdown(results: dict) -> str:
    lines = [
        "| input | engine (variant) | wall time, median (runs); CPU | peak memory (+ while rendering) | pages | size | fonts; "
        "letters | SVG chart labels | words split in tables | tagged PDF |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in results["cases"]:
        missing = c["letters_missing"]
        scripts = (
            f"{c['letters'] - len(missing)}/{c['letters']} non-ASCII letters"
            + (f" (missing {''.join(missing)})" if missing else "")
            + ("; the 4 script samples" if all(c["scripts"].values()) else "")
        )
        tagged = (
            ("StructTreeRoot" if c["struct_tree"] else "no tags")
            + (", MarkInfo" if c["marked"] else "")
            + (", PDF/UA claimed" if c["pdfua_claimed"] else "")
        )
        split = c["table_words_split"]
        shown = ", ".join(f"{w} ({n})" for w, n in list(split.items())[:4])
        lines.append(
            f"| {c['input']} | {c['engine']} ({c['variant']}) | {c['seconds']:.2f} s "
            f"({', '.join(f'{s:.2f}' for s in c['seconds_runs'])}); CPU {c['cpu_s']:.2f} s | "
            f"{c['peak_mb']:.0f} MB (+{c['peak_mb'] - c['before_mb']:.0f}) | "
            f"{c['pages']} | {c['bytes'] / 1e6:.2f} MB | {', '.join(c['fonts'])}; {scripts} | "
            f"{c['chart_labels_found']}/{c['chart_labels']} | "
            f"{sum(split.values())}{' of ' + shown if split else ''} | {tagged} |"
        )
    idle = results["idle_peak_mb"]
    lines.append(
        f"\nImport-only peaks: WeasyPrint {idle['weasyprint']:.0f} MB, Typst {idle['typst']:.0f} MB."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
