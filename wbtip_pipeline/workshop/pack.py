"""The regional validation workshop pack, from the warehouse tables of a run. No Dagster here.

`render_workshop_pack` writes into `output_dir` (the asset passes `<output>/workshop`):

    workshop_slides.html          the slide deck, one self-contained file (arrow keys, PageUp/
                                  PageDown, Home/End; prints one slide per 297 x 167 mm page)
    workshop_slides.pdf           the same deck as PDF (Typst), one page per slide
    facilitator_guide.html/.pdf   the facilitator's guide: the day's agenda, what each session
                                  decides, how the form is collected (`guide.py`, 1-2 pages)
    briefs/brief_<CODE>_<lang>.pdf  a two-page A4 brief per member of the region, in English
                                  (`_en`) and in the languages of its config's
                                  `brief_languages` (`_sq`, `_sr`, ...: `briefs.py`, `i18n.py`)
    workshop_feedback_form.xlsx   the feedback form: a sheet per delegation (`write_feedback_form`)

The roster is the region's (`region.py`): a member added by configuration gets its slide, its
brief, its place on the title slide and its sheet in the form. The parts:

    facts.py    what the pack shows, on the report's `presentation.facts.Facts`
    agenda.py   the day's sessions and times;  guide.py  the facilitator's guide
    slides.py   the deck (slides_parts.py, slides_regional.py);  briefs.py  the briefs (their words: brief_text.py, brief_recs.py,
                in the languages of i18n.py);  form.py  the feedback form
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
- a slide must fit its page: the PDF has one page per slide or rendering fails (`PackError`; a
  deck that runs over is first built again with fewer priorities a slide), and the deck has at
  most `slides.MAX_SLIDES` slides whatever the size of the region;
- before anything is written, the disclosure audit bounds every protected cell over all the
  deck and the briefs print about cells (`audit_pack`): one a reader could narrow stops the
  pack (`DisclosureAuditError`, naming the cell). A translated brief prints the figures of the
  English one (`brief_recs.py` reads them from its published texts), so the English briefs are
  the ones audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wbtip_pipeline.presentation import cache
from wbtip_pipeline.presentation.audit import AuditResult, DisclosureAuditError, audit_disclosure
from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.workshop.briefs import BRIEF_PAGES, Brief, build_brief, render_briefs
from wbtip_pipeline.workshop.facts import PackFacts, evidence_line
from wbtip_pipeline.workshop.form import FORM_NAME, write_feedback_form
from wbtip_pipeline.workshop.guide import render_guide
from wbtip_pipeline.workshop.layout import PackError
from wbtip_pipeline.workshop.slides import build_slides, render_slides

__all__ = [
    "BRIEF_PAGES",
    "Brief",
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
    """What `render_workshop_pack` wrote, for the asset's metadata. `briefs`, `brief_pages`
    and `brief_recommendations` are the English briefs' by member; `translations` the others,
    {member: {language: path}}; `all_briefs` every brief written."""

    slides_html: Path
    slides_pdf: Path
    briefs: dict[str, Path]
    feedback_form: Path
    slide_count: int
    brief_pages: dict[str, int]
    brief_recommendations: dict[str, tuple[int, int]] = field(default_factory=dict)
    translations: dict[str, dict[str, Path]] = field(default_factory=dict)
    all_briefs: list[Brief] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    audit: AuditResult | None = None  # the disclosure audit of every figure the pack prints
    guide_html: Path | None = None  # the facilitator's guide
    guide_pdf: Path | None = None
    guide_pages: int = 0


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
    cache_dir: Path | None = None,
    prune_cache: bool = True,
) -> WorkshopPack:
    """Write the slide deck (HTML, PDF), a brief per member and the feedback form into
    `output_dir` (layout and rules: module docstring). `tables` maps warehouse table names to
    frames; `status` is the `recommendation_status` table, when the workshop has decided;
    `region` is the roster (default: the configured region); `cache_dir`, `prune_cache`: where drawn
    charts are kept between refreshes, as for the report (none: every chart is drawn)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    region = region or load_region()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # the audit lays the slides and briefs out to read what they print: their charts are drawn
    # (or found in the cache) once, for the audit and the files alike
    with cache.kept_in(Path(cache_dir) / "charts" / "workshop" if cache_dir else None, prune_cache):
        facts = PackFacts(tables, status, region)
        audit = audit_pack(facts)  # nothing is written if the pack would let a cell be re-derived
        if not audit.passed:
            raise DisclosureAuditError(audit, "the workshop pack")
        html_path, pdf_path, n_slides = render_slides(facts, output_dir)
        timings["slides_s"] = round(time.perf_counter() - t0, 3)
        t_guide = time.perf_counter()
        guide_html, guide_pdf, guide_pages = render_guide(facts, output_dir)
        timings["guide_s"] = round(time.perf_counter() - t_guide, 3)
        t1 = time.perf_counter()
        written = render_briefs(facts, output_dir)
    briefs = {b.code: b for b in written if b.lang == "en"}
    translations: dict[str, dict[str, Path]] = {}
    for b in written:
        if b.lang != "en":
            translations.setdefault(b.code, {})[b.lang] = b.path
    timings["briefs_s"] = round(time.perf_counter() - t1, 3)
    form = write_feedback_form(facts, output_dir / FORM_NAME)
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    return WorkshopPack(
        slides_html=html_path,
        slides_pdf=pdf_path,
        briefs={code: b.path for code, b in briefs.items()},
        feedback_form=form,
        slide_count=n_slides,
        brief_pages={code: b.pages for code, b in briefs.items()},
        brief_recommendations={code: (b.shown, b.total) for code, b in briefs.items()},
        translations=translations,
        all_briefs=written,
        timings=timings,
        audit=audit,
        guide_html=guide_html,
        guide_pdf=guide_pdf,
        guide_pages=guide_pages,
    )
