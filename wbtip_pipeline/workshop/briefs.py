"""Two-page briefs for the delegations, one per member of the region, in PDF.

Page 1: key figures, trends, mechanism scores and main gaps; page 2: the member's
recommendations in priority order. When they do not fit, the list is cut to the top priorities
and says where the full list is (the member's chapter of the report, from the report's outline).
Should page 1 itself run over (many years of figures), the brief lists none and runs longer,
with a warning in the log and its page count in the asset's metadata, rather than stopping the
pack.
"""

from __future__ import annotations

import copy
import logging
import math
from pathlib import Path

from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT, URGENCY_LABELS
from wbtip_pipeline.presentation.render_html import check_disclosure
from wbtip_pipeline.presentation.text import years_text
from wbtip_pipeline.vocab import INDICATORS, REGIONAL
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts
from wbtip_pipeline.workshop.pdf import layout

BRIEF_TEMPLATE = "workshop/brief.html.j2"
BRIEFS_DIR = "briefs"
BRIEF_PAGES = 2
BRIEF_YEARS = 6  # years of key figures in a brief
BRIEF_GAPS = 8
# Page 2 of a brief (A4 less margins and the heading) holds recommendations up to this height;
# when they are cut, the note saying where the full list is takes the last few millimetres.
BRIEF_PAGE2_MM = 246.0
BRIEF_CUT_NOTE_MM = 10.0
_BRIEF_CHARS_PER_LINE = 112
_BRIEF_STATUS_CHARS = 140

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


def brief_context(facts: PackFacts, code: str, recs: list[dict], total: int) -> dict:
    """Everything one brief shows; `recs` may be the top priorities only (`total` is all)."""
    years = facts.years_of(code)[-BRIEF_YEARS:]
    context = {
        "code": code,
        "place": facts.names.of(code),
        "lead": facts.latest_victims(code),
        "years": years_text(facts.years_of(code)),
        "figures": facts.key_figures(code, BRIEF_YEARS, INDICATORS),
        "verdicts": facts.verdicts(code),
        "trend_source": facts.source_line("trend_summary"),
        "domains": facts.domain_table(code),
        "gaps": facts.top_gaps(code, limit=BRIEF_GAPS),
        "gap_counts": facts.gap_counts(code),
        "gap_source": facts.source_line("mechanism_gaps"),
        "recs": recs,
        "n_recs": total,
        "cut": len(recs) < total,
        "full_list": full_list(facts, code),
        "n_regional": _regional_involving(facts, code),
        "caveats": [PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT],
        "has_status": facts.has_status,
        "urgency_labels": URGENCY_LABELS,
        "years_shown": f"{years[0]}–{years[-1]}" if years else "",
    }
    context["footnotes"] = facts.footnotes_in(context)
    return context


def _briefs_document(env, facts: PackFacts, items: dict, shown: dict, base: Path):
    """Every member's brief in one document (styles computed once), each from a new page."""
    briefs = [
        brief_context(facts, code, items[code][: shown[code]], len(items[code]))
        for code in facts.codes
    ]
    html = env.get_template(BRIEF_TEMPLATE).render(briefs=briefs)
    check_disclosure(html)
    return layout(html, base)


def _brief_pages(document) -> dict[str, list]:
    """{code: its pages}: a brief runs from the page with its `brief-<code>` anchor to the next."""
    spans: dict[str, list] = {}
    code = None
    for page in document.pages:
        starts = [a.removeprefix("brief-") for a in page.anchors if a.startswith("brief-")]
        code = starts[-1] if starts else code
        spans.setdefault(code, []).append(page)
    return spans


def _brief_rec_mm(item: dict, has_status: bool) -> float:
    """Head line, text lines at 4.0 mm, status lines, spacing (8.4 pt text on A4)."""
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = math.ceil(len(status) / _BRIEF_STATUS_CHARS) if has_status else 0
    return (
        3.4 + 4.0 * math.ceil(len(item["text"]) / _BRIEF_CHARS_PER_LINE) + 3.3 * status_lines + 2.8
    )


def _estimated_fit(items: list[dict], has_status: bool) -> int:
    """How many recommendations page 2 holds by estimate (all of them, or fewer and the note)."""
    heights = [_brief_rec_mm(i, has_status) for i in items]
    if sum(heights) <= BRIEF_PAGE2_MM:
        return len(items)
    total, fit = 0.0, 0
    for h in heights:
        if total + h > BRIEF_PAGE2_MM - BRIEF_CUT_NOTE_MM:
            break
        total, fit = total + h, fit + 1
    return max(fit, 1)


def _fitting(pages: list, items: list[dict], shown: int) -> int:
    """After an overflow: the recommendations that landed on the brief's first two pages, less
    one (room for the note), and fewer than before."""
    anchors = {a for page in pages[:BRIEF_PAGES] for a in page.anchors}
    fit = min(sum(f"rec-{i['id']}" in anchors for i in items[:shown]), shown) - 1
    # with no room left the brief lists none and points to the report: new statistics (more
    # years of key figures) must never stop the pack
    return max(fit, 0)


def render_briefs(facts: PackFacts, env, folder: Path) -> dict[str, tuple[Path, int, int, int]]:
    """Write `brief_<code>.pdf` per member: {code: (path, pages, shown, in all)}.

    The recommendations shown are the top priorities that fit page 2 by estimate
    (`_estimated_fit`); a brief that still runs past two pages keeps those that landed on its
    first two pages (WeasyPrint's anchors) less one, for the note saying where the full list is,
    and all are rendered again until every brief is two pages.
    """
    codes = facts.codes
    items = {code: facts.rec_items(facts.recs_of(code)) for code in codes}
    shown = {code: _estimated_fit(items[code], facts.has_status) for code in codes}
    while True:
        document = _briefs_document(env, facts, items, shown, folder)
        spans = _brief_pages(document)
        over = [c for c in codes if len(spans.get(c, [])) > BRIEF_PAGES and shown[c] > 0]
        if not over:
            break
        for code in over:
            shown[code] = _fitting(spans[code], items[code], shown[code])
    out = {}
    for code in codes:
        pages = spans.get(code, [])
        place = facts.names.of(code)
        if len(pages) != BRIEF_PAGES:  # reported in the asset's metadata (brief_pages)
            log.warning("the brief for %s has %d pages, not %d", place, len(pages), BRIEF_PAGES)
        brief = document.copy(pages)
        brief.metadata = copy.copy(document.metadata)
        brief.metadata.title = f"Brief for the delegation of {place}: regional validation workshop"
        path = folder / BRIEFS_DIR / f"brief_{code}.pdf"
        write_bytes_atomic(path, brief.write_pdf())
        out[code] = (path, len(pages), shown[code], len(items[code]))
    return out
