"""Two-page briefs for the delegations, one per member of the region: a `Document(page="brief")`
each, laid out by `render_pdf` (Typst) into its own PDF.

Page 1: key figures, trends, mechanism scores and main gaps; page 2: the member's
recommendations in priority order. When they do not fit, the list is cut to the top priorities
and says where the full list is (the member's chapter of the report, from the report's outline):
the brief shows those that fit page 2 by estimate, and is rendered again with fewer until its
PDF has two pages (a Typst rendering and a page count take some 50 ms). Should page 1 itself run
over (many years of figures), the brief lists none and runs longer, with a warning in the log
and its page count in the asset's metadata, rather than stopping the pack.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from wbtip_pipeline.presentation.blocks import Cell, Heading, ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT
from wbtip_pipeline.presentation.render_pdf import render_pdf
from wbtip_pipeline.presentation.text import years_text
from wbtip_pipeline.vocab import INDICATORS, REGIONAL
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts, table
from wbtip_pipeline.workshop.layout import check_counts, page_count
from wbtip_pipeline.workshop.slides import rec_item

BRIEFS_DIR = "briefs"
BRIEF_PAGES = 2
BRIEF_YEARS = 6  # years of key figures in a brief
BRIEF_GAPS = 8
# Page 2 holds recommendations up to this many lines of its 8.4 pt text (the cut note and the
# closing notes left out); a recommendation takes its text's lines, at `_CHARS_PER_LINE`, and
# `_REC_LINES` for its head line and spacing. Measured on the bundled data's briefs (and thrice
# as many recommendations): the estimate is the number that fits, or one or two more.
PAGE2_LINES = 65.0
_REC_LINES = 1.5
_CHARS_PER_LINE = 108
_STATUS_CHARS = 140
KICKER = "Regional validation workshop · counter-trafficking needs assessment"

log = logging.getLogger(__name__)


def full_list(facts: PackFacts, code: str) -> str:
    """Where a cut brief sends the reader: "full list: section 3 of the report"."""
    return f"full list: {facts.outline.chapter(code).ref} of the report"


def _regional_involving(facts: PackFacts, code: str) -> int:
    """How many regional recommendations summarise the member's own."""
    regional = facts.recs_of(REGIONAL)
    if regional.empty:
        return 0
    summarises = regional["summarises"].fillna("").astype(str).str.split(",")
    return int(summarises.map(lambda s: code in s).sum())


def _figures_page(facts: PackFacts, code: str) -> Section:
    """Page 1: key figures, trends, mechanism scores by domain, main gaps."""
    years = facts.years_of(code)[-BRIEF_YEARS:]
    page = Section(f"figures-{code}", "", "Figures, trends and mechanisms", cls="figures")
    figures = facts.key_figures(code, BRIEF_YEARS, INDICATORS)
    if figures is not None:
        figures.caption = f"Key figures, {years[0]}–{years[-1]}"
    page.add(figures or Paragraph("No statistics on file.", cls="empty"))
    verdicts = [
        [
            Cell(v["indicator"], "rowhead nowrap"),
            Cell(v["verdict"], f"verdict {v['direction']} nowrap"),
            Cell(v["change"], "num"),
            Cell(v["window"], "nowrap"),
            Cell(v["reason"], "small"),
        ]
        for v in facts.verdicts(code)
    ]
    trends = table(
        ["Indicator", "Verdict", "Estimate", "Window", "Why the data cannot tell"],
        verdicts,
        facts.source_line("trend_summary"),
        caption="Trends: direction of each series over its five latest reported years",
        key=f"trends-{code}",
    )
    page.add(trends if verdicts else Paragraph("No trend on file.", cls="empty"))
    domains = facts.domain_table(code)
    if domains is not None:
        domains.caption = "Counter-trafficking mechanisms: scores by checklist domain"
    page.add(domains, Heading("Main gaps"))
    gaps = facts.top_gaps(code, limit=BRIEF_GAPS)
    page.add(
        ListBlock.of(
            [
                f"{g['gap']}: {g['item']} {g['title']}" + (f" ({g['year']})" if g["year"] else "")
                for g in gaps
            ],
            style="compact",
        )
        if gaps
        else Paragraph("No gap on file.", cls="empty")
    )
    gap_counts = facts.gap_counts_text(code)
    if gap_counts:
        page.add(Note(gap_counts))
    page.add(Paragraph(facts.source_line("mechanism_gaps"), cls="source"))
    return page


def _recommendations_page(facts: PackFacts, code: str, items: list[dict], shown: int) -> Section:
    """Page 2: the top `shown` recommendations, and where the others are when cut."""
    place, total = facts.names.of(code), len(items)
    cut = shown < total
    title = "Recommendations for validation" + (
        f": the {shown} highest priorities of {total}" if cut else f" ({total})"
    )
    page = Section(f"recommendations-{code}", "", title, cls="recommendations")
    if items[:shown]:
        page.add(
            ListBlock(
                [rec_item(i, facts.has_status, evidence=False) for i in items[:shown]], style="recs"
            )
        )
    elif not items:
        page.add(Paragraph(f"No recommendation for {place} in this edition.", cls="empty"))
    if cut:
        page.add(
            Paragraph(
                f"{total - shown} recommendations of lower priority ({full_list(facts, code)}; "
                "every id is in the feedback form).",
                lead="Not shown:",
            )
        )
    n_regional = _regional_involving(facts, code)
    if n_regional:
        page.add(
            Paragraph(
                f"{n_regional} regional recommendations also concern {place}; they are on the "
                "slides and in the feedback form."
            )
        )
    page.add(
        Note(
            "Give the delegation's decision on each recommendation in the feedback form: agreed, "
            "amended (with the agreed wording) or rejected (with the reason), the responsible "
            "institution and a target date."
        )
    )
    return page


def build_brief(
    facts: PackFacts, code: str, shown: int | None = None, items: list[dict] | None = None
) -> Document:
    """One member's brief with its top `shown` recommendations (all by default); `items` are
    the member's `rec_items`, when the caller has them."""
    place = facts.names.of(code)
    items = facts.rec_items(facts.recs_of(code)) if items is None else items
    shown = len(items) if shown is None else min(shown, len(items))
    cover = [
        Paragraph(
            f"{facts.latest_victims(code)} Statistics on file: {years_text(facts.years_of(code))}."
        ),
        Note(PREVALENCE_CAVEAT, "caveat"),
        Note(SUPPRESSION_CAVEAT, "caveat"),
    ]
    sections = [_figures_page(facts, code), _recommendations_page(facts, code, items, shown)]
    title = f"Brief for the delegation of {place}"
    return Document(
        title,
        kicker=KICKER,
        cover=cover,
        sections=sections,
        footnotes=facts.footnotes_in([title, cover, sections]),
        page="brief",
    )


def _rec_lines(item: dict, has_status: bool) -> float:
    """A recommendation's height in lines of brief text: its head line and spacing, its text,
    its status."""
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = 0.8 * math.ceil(len(status) / _STATUS_CHARS) if has_status else 0
    return _REC_LINES + math.ceil(len(item["text"]) / _CHARS_PER_LINE) + status_lines


def _estimated_fit(items: list[dict], has_status: bool) -> int:
    """How many recommendations page 2 holds by estimate: on the generous side, so that the
    PDF (`fit_brief`) cuts it to what really fits rather than leave room unused."""
    total = 0.0
    for n, item in enumerate(items):
        total += _rec_lines(item, has_status)
        if total > PAGE2_LINES:
            return n
    return len(items)


def fit_brief(facts: PackFacts, code: str) -> tuple[bytes, int, int, int]:
    """(the PDF, its pages, recommendations shown, in all): the top priorities that fit page 2
    by estimate, then one fewer at a time (half as many while page 1 runs over) until the brief
    has two pages; with none left it stays longer."""
    items = facts.rec_items(facts.recs_of(code))
    shown = _estimated_fit(items, facts.has_status)
    while True:
        doc = build_brief(facts, code, shown, items)
        check_counts(doc)
        pdf = render_pdf(doc)
        pages = page_count(pdf)
        if pages <= BRIEF_PAGES or shown == 0:
            return pdf, pages, shown, len(items)
        shown = shown - 1 if pages == BRIEF_PAGES + 1 else shown // 2


def render_briefs(facts: PackFacts, folder: Path) -> dict[str, tuple[Path, int, int, int]]:
    """Write `briefs/brief_<code>.pdf` per member: {code: (path, pages, shown, in all)}."""
    out = {}
    for code in facts.codes:
        pdf, pages, shown, total = fit_brief(facts, code)
        if pages != BRIEF_PAGES:  # reported in the asset's metadata (brief_pages)
            log.warning(
                "the brief for %s has %d pages, not %d", facts.names.of(code), pages, BRIEF_PAGES
            )
        path = folder / BRIEFS_DIR / f"brief_{code}.pdf"
        write_bytes_atomic(path, pdf)
        out[code] = (path, pages, shown, total)
    return out
