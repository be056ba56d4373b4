"""Write the final report: HTML (self-contained, opens offline), PDF, and the CSV exports that go
with it, from the warehouse tables of a run. No Dagster here: the `final_report` asset loads the
tables and calls `render_report`.

The report is one `Document` (report/document.py); `presentation.render_html` and
`presentation.render_pdf` turn the same document into the two files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wbtip_pipeline.presentation.audit import AuditResult, DisclosureAuditError, audit_disclosure
from wbtip_pipeline.presentation.disclosure import publish_harmonised
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.render_html import DisclosureError, check_disclosure
from wbtip_pipeline.presentation.render_html import render_html as document_html
from wbtip_pipeline.region import Region
from wbtip_pipeline.report.document import build_report
from wbtip_pipeline.report.sections.recommendations import published_recommendations
from wbtip_pipeline.vocab import INDICATORS
from wbtip_pipeline.warehouse import with_footnotes, write_bytes_atomic

HTML_NAME = "wbtip_report.html"
PDF_NAME = "wbtip_report.pdf"
PUBLISHED_DIR = "published"

__all__ = ["DisclosureError", "ReportResult", "check_disclosure", "render_html", "render_report"]


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
    audit: AuditResult | None = None  # the disclosure audit of every figure the report prints


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    # a row naming a member with a footnote (Kosovo) carries it, as in the warehouse's CSVs
    write_bytes_atomic(path, with_footnotes(frame).to_csv(index=False).encode("utf-8"))
    return path


def _published_exports(f: Facts, tables: dict, folder: Path) -> list[Path]:
    """The CSV files published with the report, under the same disclosure control."""
    dc = f.dc
    written = []
    h = tables.get("harmonised_statistics")
    if h is not None and not h.empty:
        written.append(_write_csv(publish_harmonised(dc, h), folder / "harmonised_statistics.csv"))
    written.append(_write_csv(dc.log_frame(), folder / "secondary_suppressions.csv"))
    totals = sorted(
        (cell for cell in dc.values if cell[3:] == ("total", "total", "total", "total")),
        key=lambda c: (f.region.order(c[0]), INDICATORS.index(c[2]), c[1]),
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
    items = published_recommendations(f)
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
                "progress_indicator": [i["progress"] for i in items],
                "rule_id": [i["rule_id"] for i in items],
                "evidence": [" | ".join(e["text"] for e in i["evidence_lines"]) for i in items],
            }
        )
        written.append(_write_csv(recs, folder / "recommendations.csv"))
    return written


def render_html(
    tables: dict[str, pd.DataFrame], provenance: dict, region: Region | None = None
) -> tuple[str, Document, Facts]:
    """(the report as one self-contained HTML page, its document, the facts behind it)."""
    doc, facts, _ = build_report(tables, provenance, region)
    return document_html(doc), doc, facts


def render_report(
    tables: dict[str, pd.DataFrame],
    provenance: dict,
    output_dir: Path,
    region: Region | None = None,
    cache_dir: Path | None = None,
    prune_cache: bool = True,
) -> ReportResult:
    """Write `wbtip_report.html`, `wbtip_report.pdf` and `published/*.csv` into `output_dir`
    (the asset passes `<output>/report`).

    `tables` maps warehouse table names to frames (`facts.TABLE_NAMES`; a missing table leaves
    its sections saying so); `provenance` is {"run_id", "code_version", "source_files": {file
    name: sha256}, "generated_at"}. `cache_dir`: where drawn charts are kept between refreshes
    (none: every chart is drawn); `prune_cache`: remove the charts this report did not use.
    """
    from wbtip_pipeline.presentation.render_pdf import render_pdf  # the PDF engine loads late

    output_dir = Path(output_dir)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from wbtip_pipeline.presentation import cache

    # the charts and the audit's verdicts of the last report are kept (`presentation/cache.py`)
    with cache.kept_in(Path(cache_dir) / "charts" / "report" if cache_dir else None, prune_cache):
        html, doc, facts = render_html(tables, provenance, region)
        timings["html_s"] = round(time.perf_counter() - t0, 3)
        # nothing is written if a reader could re-derive a protected cell from what it prints
        audit = audit_disclosure(facts.dc, facts.claims)
    if not audit.passed:
        raise DisclosureAuditError(audit, "the report")
    timings["audit_s"] = round(audit.seconds, 3)
    t1 = time.perf_counter()
    pdf = render_pdf(doc)
    timings["pdf_s"] = round(time.perf_counter() - t1, 3)

    # both files only once both rendered: never a new HTML next to a stale PDF
    html_path, pdf_path = output_dir / HTML_NAME, output_dir / PDF_NAME
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, pdf)
    published = _published_exports(facts, tables, output_dir / PUBLISHED_DIR)
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    return ReportResult(
        html_path=html_path,
        pdf_path=pdf_path,
        page_count=_page_count(pdf),
        chart_count=len(doc.figures()),
        sections=[s.id for s in doc.sections],
        table_count=len(doc.tables()),
        published_files=published,
        secondary_suppressions=len(facts.dc.log),
        timings=timings,
        audit=audit,
    )


def _page_count(pdf: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf)).pages)
