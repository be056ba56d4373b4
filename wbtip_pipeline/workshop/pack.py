"""The regional validation workshop pack, from the warehouse tables of a run. No Dagster here.

`render_workshop_pack` writes into `output_dir` (the asset passes `<output>/workshop`):

    workshop_slides.html          the slide deck, one self-contained file (arrow keys, PageUp/
                                  PageDown, Home/End; prints one slide per 297 x 167 mm page)
    workshop_slides.pdf           the same deck as PDF (Typst), one page per slide
    briefs/brief_<code>.pdf       a two-page A4 brief per member of the region
    workshop_feedback_form.xlsx   the feedback form (`write_feedback_form`)

The roster is the region's (`region.py`): a member added by configuration gets its slide, its
brief and its place on the title slide and in the form. The parts:

    facts.py    what the pack shows, on the report's `presentation.facts.Facts`
    slides.py   the deck;  briefs.py  the briefs;  form.py  the feedback form
    layout.py   the disclosure check of a document, PDF pages, `PackError`

The deck and the briefs are `Document`s of the presentation layer (`presentation/document.py`):
the deck's PDF and the briefs are laid out by `presentation/render_pdf.py` (Typst), the deck's
HTML by `presentation/render_html.py` with the deck template (`templates/workshop/`).

Rules for everything shown:
- numbers come from the tables only; counts go through the report's disclosure control
  (`presentation/disclosure.py`, the same decisions as the report: `<5` for 0..4, `[c]` for a
  secondary suppression), texts through `mask_counts_in_text`, and a recommendation's text is
  the one the report publishes (a withheld figure is never quoted);
- a member whose name carries a footnote (Kosovo) carries the footnote mark, and every slide or
  brief that names it carries its footnote (`Region.footnotes`);
- a brief is exactly two pages: page 1 figures, trends and mechanism scores, page 2 the
  member's recommendations in priority order; when they do not fit, the list is cut to the top
  priorities and says where the full list is (the member's chapter, from the report's outline);
  should page 1 itself run over, the brief lists none and runs longer, with a warning in the log
  and its page count in the asset's metadata, rather than stopping the pack;
- a slide must fit its page: the PDF has one page per slide or rendering fails (`PackError`;
  recommendation slides that run over are first split by building the deck again);
- before anything is written, the disclosure audit bounds every protected cell over all the
  deck and the briefs print about cells (`audit_pack`): one a reader could narrow stops the
  pack (`DisclosureAuditError`, naming the cell).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wbtip_pipeline.presentation.audit import AuditResult, DisclosureAuditError, audit_disclosure
from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.workshop.briefs import BRIEF_PAGES, build_brief, render_briefs
from wbtip_pipeline.workshop.facts import PackFacts, evidence_line
from wbtip_pipeline.workshop.form import FORM_NAME, write_feedback_form
from wbtip_pipeline.workshop.layout import PackError
from wbtip_pipeline.workshop.slides import build_slides, render_slides

__all__ = [
    "BRIEF_PAGES",
    "FORM_NAME",
    "PackError",
    "PackFacts",
    "WorkshopPack",
    "audit_pack",
    "build_brief",
    "build_slides",
    "evidence_line",
    "render_briefs",
    "render_slides",
    "render_workshop_pack",
    "write_feedback_form",
]


@dataclass
class WorkshopPack:
    """What `render_workshop_pack` wrote, for the asset's metadata."""

    slides_html: Path
    slides_pdf: Path
    briefs: dict[str, Path]
    feedback_form: Path
    slide_count: int
    brief_pages: dict[str, int]
    brief_recommendations: dict[str, tuple[int, int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    audit: AuditResult | None = None  # the disclosure audit of every figure the pack prints


def audit_pack(facts: PackFacts) -> AuditResult:
    """The disclosure audit (`presentation/audit.py`) of the deck and every brief: each is
    built (not laid out), recording what it prints about cells, and the cells are bounded."""
    claims = facts.f.claims
    with claims.at("workshop slides"):
        build_slides(facts)
    for code in facts.codes:
        with claims.at(f"brief for {facts.names.of(code)}"):
            build_brief(facts, code)
    return audit_disclosure(facts.dc, claims)


def render_workshop_pack(
    tables: dict[str, pd.DataFrame],
    output_dir: Path,
    status: pd.DataFrame | None = None,
    region: Region | None = None,
) -> WorkshopPack:
    """Write the slide deck (HTML, PDF), a brief per member and the feedback form into
    `output_dir` (layout and rules: module docstring). `tables` maps warehouse table names to
    frames; `status` is the `recommendation_status` table, when the workshop has decided;
    `region` is the roster (default: the configured region)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    region = region or load_region()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    facts = PackFacts(tables, status, region)
    audit = audit_pack(facts)  # nothing is written if the pack would let a cell be re-derived
    if not audit.passed:
        raise DisclosureAuditError(audit, "the workshop pack")
    html_path, pdf_path, n_slides = render_slides(facts, output_dir)
    timings["slides_s"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    briefs = render_briefs(facts, output_dir)
    timings["briefs_s"] = round(time.perf_counter() - t1, 3)
    texts = {item["id"]: item["text"] for item in facts.rec_items(facts.recs)}
    form = write_feedback_form(facts.recs, output_dir / FORM_NAME, region, texts)
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    return WorkshopPack(
        slides_html=html_path,
        slides_pdf=pdf_path,
        briefs={code: b[0] for code, b in briefs.items()},
        feedback_form=form,
        slide_count=n_slides,
        brief_pages={code: b[1] for code, b in briefs.items()},
        brief_recommendations={code: (b[2], b[3]) for code, b in briefs.items()},
        timings=timings,
        audit=audit,
    )
