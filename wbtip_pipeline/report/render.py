"""Render the final report: HTML (self-contained, opens offline) and PDF, plus the CSV exports
that go with it, from the warehouse tables of a run. No Dagster here: the `final_report` asset
loads the tables and calls `render_report`.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from wbtip_pipeline.codes import INDICATORS, JURISDICTIONS, REGION
from wbtip_pipeline.report.context import PRINT_SCHEME, build_context
from wbtip_pipeline.report.disclosure import publish_harmonised, small_count_cells
from wbtip_pipeline.warehouse import write_bytes_atomic

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE = "report.html.j2"
HTML_NAME = "wbtip_report.html"
PDF_NAME = "wbtip_report.pdf"
PUBLISHED_DIR = "published"


@dataclass
class ReportResult:
    """What `render_report` wrote, for the asset's metadata."""

    html_path: Path
    pdf_path: Path
    page_count: int
    chart_count: int
    sections: list[str]
    table_count: int = 0
    published_files: list[Path] = field(default_factory=list)
    secondary_suppressions: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class DisclosureError(RuntimeError):
    """A count cell of the rendered report would show a value from 1 to 4."""


def _finalize(value):
    """Every value printed by the template: escaped, with `{` and `}` as character references so
    that text from a source can never read as a template expression anywhere downstream."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


def environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(
            ["html", "j2", "html.j2"], default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


# every element that shows a count carries the class `count` (table cells, cover figures)
_COUNT_CELL = re.compile(r'<(?:td|span) class="[^"]*\bcount\b[^"]*">([^<]*)</(?:td|span)>')


def check_disclosure(html: str) -> None:
    """Refuse to publish a page whose count cells show a value from 1 to 4."""
    bad = small_count_cells(unescape(c) for c in _COUNT_CELL.findall(html))
    if bad:
        raise DisclosureError(f"count cells would show {bad[:5]}: disclosure control failed")


def _chart_fetcher(charts: dict[str, bytes]):
    """A URL fetcher that serves the report's own charts and nothing else (the report is
    self-contained; a stray resource URL fails the rendering instead of going to the network)."""

    def lookup(url: str) -> bytes:
        scheme, _, key = url.partition(":")
        if scheme != PRINT_SCHEME or key not in charts:
            raise ValueError(f"the report fetches no resource but its charts: {url[:60]}")
        return charts[key]

    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # WeasyPrint < 70: a function returning a dict
        return lambda url: {"string": lookup(url), "mime_type": "image/svg+xml"}

    class ChartFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(fail_on_errors=True)

        def fetch(self, url, headers=None):
            return URLFetcherResponse(
                url, body=lookup(url), headers={"Content-Type": "image/svg+xml"}
            )

    return ChartFetcher()


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    write_bytes_atomic(path, frame.to_csv(index=False).encode("utf-8"))
    return path


def _published_exports(context: dict, builder, tables: dict, folder: Path) -> list[Path]:
    """The CSV files published with the report, under the same disclosure control."""
    dc = builder.dc
    written = []
    h = tables.get("harmonised_statistics")
    if h is not None and not h.empty:
        written.append(_write_csv(publish_harmonised(dc, h), folder / "harmonised_statistics.csv"))
    written.append(_write_csv(dc.log_frame(), folder / "secondary_suppressions.csv"))
    order = {code: i for i, code in enumerate([*JURISDICTIONS, REGION])}
    totals = sorted(
        (cell for cell in dc.values if cell[3:] == ("total", "total", "total", "total")),
        key=lambda c: (order.get(c[0], len(order)), INDICATORS.index(c[2]), c[1]),
    )
    rows = [
        {
            "jurisdiction": j,
            "year": year,
            "indicator": indicator,
            "value": dc.text(cell),
            "suppression": dc.status(cell),
        }
        for cell in totals
        for j, year, indicator in [cell[:3]]
    ]
    written.append(_write_csv(pd.DataFrame(rows), folder / "totals_by_jurisdiction_and_year.csv"))
    items = [
        item
        for group in context["recommendations"]["groups"]
        for by_urgency in group["by_urgency"]
        for item in by_urgency["recs"]
    ]
    if items:
        # the texts as the report prints them; the evidence as its lines, never the raw values
        recs = pd.DataFrame(
            {
                "recommendation_id": [i["id"] for i in items],
                "jurisdiction": [i["jurisdiction"] for i in items],
                "urgency": [i["urgency"] for i in items],
                "domain": [i["domain"] for i in items],
                "priority_rank": [i["rank"] for i in items],
                "top_priority": [i["top"] for i in items],
                "text": [i["text"] for i in items],
                "rule_id": [i["rule_id"] for i in items],
                "evidence": [" | ".join(e["text"] for e in i["evidence_lines"]) for i in items],
            }
        )
        written.append(_write_csv(recs, folder / "recommendations.csv"))
    return written


@contextmanager
def _quiet_weasyprint():
    # WeasyPrint warns about every CSS property it does not support (the screen-only rules)
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def render_html(
    tables: dict[str, pd.DataFrame], provenance: dict, templates_dir: Path = TEMPLATES_DIR
):
    """(html for the browser, html for print, context, builder): the report as one
    self-contained HTML document; the print version carries the charts as SVG images."""
    context, builder = build_context(tables, provenance)
    template = environment(templates_dir).get_template(TEMPLATE)
    html = template.render(**context, for_print=False)
    check_disclosure(html)
    print_html = template.render(**context, for_print=True)
    check_disclosure(print_html)
    return html, print_html, context, builder


def render_report(
    tables: dict[str, pd.DataFrame],
    provenance: dict,
    output_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
) -> ReportResult:
    """Write `wbtip_report.html`, `wbtip_report.pdf` and `published/*.csv` into `output_dir`
    (the asset passes `<output>/report`).

    `tables` maps warehouse table names to frames (see `context.TABLE_NAMES`; a missing table
    leaves its sections saying so); `provenance` is {"run_id", "code_version", "source_files":
    {file name: sha256}, "generated_at"}.
    """
    output_dir = Path(output_dir)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    html, print_html, context, builder = render_html(tables, provenance, Path(templates_dir))
    timings["html_s"] = round(time.perf_counter() - t0, 3)

    t1 = time.perf_counter()
    from weasyprint import HTML

    charts = {f.key: f.chart.svg.encode("utf-8") for f in context["figures"]}
    with _quiet_weasyprint():
        document = HTML(
            string=print_html, base_url=str(output_dir), url_fetcher=_chart_fetcher(charts)
        ).render()
        pdf = document.write_pdf()
    timings["pdf_s"] = round(time.perf_counter() - t1, 3)

    # both files only once both rendered: never a new HTML next to a stale PDF
    html_path, pdf_path = output_dir / HTML_NAME, output_dir / PDF_NAME
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, pdf)
    published = _published_exports(context, builder, tables, output_dir / PUBLISHED_DIR)
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    return ReportResult(
        html_path=html_path,
        pdf_path=pdf_path,
        page_count=len(document.pages),
        chart_count=len(context["figures"]),
        sections=[s["id"] for s in context["sections"]],
        table_count=len(context["tables"]),
        published_files=published,
        secondary_suppressions=len(builder.dc.log),
        timings=timings,
    )
