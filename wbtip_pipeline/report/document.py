"""The report as one `Document`: the cover, then a section per outline entry, each from its
builder in `sections/`. The outline (presentation/outline.py) fixes the order and the numbers;
this module only says which builder makes which section."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wbtip_pipeline.presentation.blocks import Note, Paragraph
from wbtip_pipeline.presentation.disclosure import LEGEND
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import (
    PREVALENCE_CAVEAT,
    SUPPRESSION_CAVEAT,
    TABLE_TITLES,
)
from wbtip_pipeline.presentation.outline import Outline, report_outline
from wbtip_pipeline.region import Region
from wbtip_pipeline.report.sections import (
    annexes,
    cooperation,
    introduction,
    jurisdiction,
    limitations,
    methodology,
    recommendations,
    regional,
    summary,
    triangulation,
)

BUILDERS = {
    "executive-summary": summary.build,
    "introduction": introduction.build,
    "regional-overview": regional.build,
    "regional-cooperation": cooperation.build,
    "recommendations": recommendations.build,
    "methodology": methodology.build,
    "source-triangulation": triangulation.build,
    "limitations": limitations.build,
    "data-quality-annex": annexes.build_quality,
    "provenance": annexes.build_provenance,
}


def edition_line(f: Facts) -> str:
    """When this edition was made and how recent its inputs are: "29 November 2026: statistics
    to 2021, assessments to 2024." (the newest year each kind of input describes)."""
    made = str(f.provenance.get("generated_at") or "")[:10]
    try:
        when = dt.date.fromisoformat(made)
        text = f"{when.day} {when.strftime('%B %Y')}"
    except ValueError:
        text = "date not recorded"
    parts = []
    if f.last_year:
        parts.append(f"statistics to {f.last_year}")
    scores = f.t["mechanism_scores"]
    if not scores.empty and scores["year"].notna().any():
        parts.append(f"assessments to {int(scores['year'].max())}")
    return text + (": " + ", ".join(parts) if parts else "") + "."


def _cover(f: Facts) -> list:
    blocks = [
        Note(PREVALENCE_CAVEAT, "caveat", lead="Read first."),
        Note(SUPPRESSION_CAVEAT, "caveat"),
        summary.cover_figures(f),
    ]
    period = f"{f.first_year}–{f.last_year}" if f.first_year else "no data yet"
    n_files = len(f.provenance.get("source_files", {}) or {})
    blocks.append(Paragraph(edition_line(f), lead="Edition."))
    blocks.append(
        Paragraph(
            f"Statistics of {period}, read from {n_files:,} source files. This report is "
            "regenerated from the data at every refresh: every figure names the table it comes "
            "from, and the provenance annex lists each source file with its checksum."
        )
    )
    blocks.extend(Note(text, "note", lead=key) for key, text in LEGEND.items())
    if f.missing_tables:
        blocks.append(
            Note(
                "Not available in this run: "
                + ", ".join(TABLE_TITLES.get(t, t) for t in f.missing_tables)
                + "; the sections built on them say so.",
                "note",
            )
        )
    return [b for b in blocks if b is not None]


def build_report(
    tables: dict[str, pd.DataFrame], provenance: dict, region: Region | None = None
) -> tuple[Document, Facts, Outline]:
    """The report's document, the facts it was built from (their disclosure decisions and the
    cells shown) and its outline."""
    f = Facts(tables, provenance, region)
    outline = report_outline(f.region)
    sections = []
    for entry in outline:
        # what a section prints about cells is recorded with where it is (the disclosure audit)
        with f.claims.at(f"report, {entry.heading}"):
            build = jurisdiction.build if entry.code else BUILDERS[entry.id]
            sections.append(build(f, entry, outline))
    doc = Document(
        title=f"Trafficking in persons in the {f.region.name}",
        subtitle=(
            "Needs assessment of counter-trafficking mechanisms, trends and regional cooperation "
            "in " + f.names.list(f.codes)
        ),
        kicker="Counter-trafficking needs assessment · regional report",
        cover=_cover(f),
        sections=sections,
        footnotes=f.names.footnotes_for(f.codes),
        meta={
            "generator": f"wbtip-pipeline {provenance.get('code_version', '')}".strip(),
            "wbtip-run-id": str(provenance.get("run_id", "")),
        },
    )
    return doc, f, outline
