"""The workshop's slide deck: a `Document(page="slides")` whose sections are the slides, then
HTML (a self-contained page, `templates/workshop/slides.html.j2`) and PDF (`render_pdf`, Typst).

The deck follows the day (`agenda.py`): the title slide (the document's cover), the agenda, how to
read the figures, the regional picture (`slides_regional.py`), the members, regional cooperation
(shared gaps, victims moving between members, the regional priorities and questions), the
recommendations to validate and how the validation works.

A member gets two slides: its chart beside its trends and gaps, then its top priorities (at most
five, in a short form) and two or three discussion questions (`slides_parts.py`). The deck never
runs past `MAX_SLIDES`. When two slides a member would, a member gets one (its chart beside three
priorities and two questions); when one a member would, the members share at-a-glance table
slides of `GLANCE_ROWS` each, as many as fit, and the last says how many are left out (their
briefs hold them). Regional slides hold a bounded number of rows (`slides_regional.py`), so a
region of any size gets a deck of at most `MAX_SLIDES` slides that fit their pages.

Slides name no file, table or checklist code: sources are described in words and point to the
report's annex, and "see section N of the report" comes from the report's outline. Every figure
goes through the disclosure helpers of `Facts`, so the pack's audit (`pack.audit_pack`) sees what
the deck prints. A slide naming a member whose name carries a footnote carries the footnote, at
its foot.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import (
    Cell,
    Heading,
    ListBlock,
    Note,
    Paragraph,
    Section,
    Table,
)
from wbtip_pipeline.presentation.disclosure import LEGEND, NOT_REPORTED_TEXT, cell_id
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT
from wbtip_pipeline.presentation.render_html import render_html
from wbtip_pipeline.presentation.render_pdf import SlideOverflowError, render_pdf
from wbtip_pipeline.vocab import REGIONAL, TOP_PRIORITIES
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop import agenda
from wbtip_pipeline.workshop.facts import PackFacts, table
from wbtip_pipeline.workshop.layout import PackError
from wbtip_pipeline.workshop.slides_parts import (
    STATUS_LEAD,
    chunks,
    lead,
    mechanisms_source,
    member_questions,
    more,
    priority_item,
    regional_questions,
    series_figure,
    slide,
    stats_source,
    top_priorities,
)
from wbtip_pipeline.workshop.slides_regional import (
    flows_slide,
    key_figures_slide,
    mechanisms_slide,
    recommendations_slide,
    shared_gaps_slide,
    validation_slide,
    victims_slide,
)

__all__ = ["STATUS_LEAD", "build_slides", "render_slides", "session_slides", "slide_count"]

SLIDES_TEMPLATE = "workshop/slides.html.j2"
SLIDES_HTML = "workshop_slides.html"
SLIDES_PDF = "workshop_slides.pdf"
KICKER = "Regional validation workshop · counter-trafficking needs assessment"

MAX_SLIDES = 30
GLANCE_ROWS = 14  # members on an at-a-glance slide
MEMBER_GAPS = 3  # main gaps beside a member's chart
AGENDA_ROWS = 15  # an agenda longer than this is set in the smaller table type
TITLE_NAMES = 10  # the title slide names this many members, then says how many more
COMPACT_PRIORITIES, COMPACT_QUESTIONS = 4, 2  # a member's single slide in a larger region
# a deck whose slide runs over its page is built again with fewer priorities on a slide
_RETRY_PRIORITIES = (TOP_PRIORITIES, 4, 3)


# --- the title, the agenda, how to read ------------------------------------------------------


def title_blocks(facts: PackFacts) -> list:
    """The title slide under its title and subtitle: the members, the period."""
    period = figures.period(facts.f) or "no statistics on file"
    codes = facts.codes
    names = (
        facts.names.list(codes)
        if len(codes) <= TITLE_NAMES
        else ", ".join(facts.names.of(c) for c in codes[:TITLE_NAMES])
        + f" and {len(codes) - TITLE_NAMES} more jurisdictions"
    )
    return [
        Paragraph(names),
        Paragraph(
            f"Statistics {period} · {facts.recommendation_count()} recommendations to "
            "validate, agree, amend or reject."
        ),
    ]


def agenda_slide(facts: PackFacts) -> Section:
    """The day: a row per session with its time and what it decides (`agenda.plan_day`)."""
    sessions = agenda.plan_day(facts.names)
    rows, said = [], set()
    for s in sessions:
        decides = s.decides if s.kind not in said or not s.decides else "As above."
        said.add(s.kind)
        cls = "note" if not s.decides else ""
        head = "rowhead nowrap" + (" note" if cls else "")
        rows.append([Cell(s.time, head), Cell(s.title, cls), Cell(decides, f"small {cls}")])
    end = agenda.clock(agenda.day_end(sessions))
    rows.append([Cell(end, "rowhead nowrap"), Cell("Close of the day"), Cell("")])
    agenda_table = table(["Time", "Session", "What it decides"], rows, key="agenda")
    agenda_table.compact = len(rows) > AGENDA_ROWS  # a long day of grouped sessions
    return slide("agenda", "Agenda of the day", agenda_table)


def read_slide() -> Section:
    """How to read the figures: detected is not prevalence; `<5`, `[c]`, `–`."""
    return slide(
        "read",
        "How to read the figures",
        Note(PREVALENCE_CAVEAT, "caveat"),
        Note(SUPPRESSION_CAVEAT, "caveat"),
        *[Paragraph(text, lead=key) for key, text in LEGEND.items()],
    )


# --- the members ---------------------------------------------------------------------------


def _trend_table(facts: PackFacts, code: str) -> Table | Paragraph:
    rows = [
        [
            Cell(v["indicator"], "rowhead"),
            Cell(v["verdict"], f"verdict {v['direction']} nowrap"),
            Cell(v["change"], "num"),
        ]
        for v in facts.verdicts(code)
    ]
    if not rows:
        return Paragraph("No trend on file.", cls="empty")
    return table(["Indicator", "Verdict", "Estimate"], rows, key=f"trends-{code}")


def _data_gap_text(facts: PackFacts, code: str) -> str:
    gap = figures.data_gap(facts.f, code)
    if gap is None:
        return ""
    return (
        f"Data not reported: {gap['not_reported_text']} of indicator, breakdown and year "
        f"combinations over {figures.period(facts.f)} (rank {gap['rank']} of "
        f"{gap['n_ranked']}, the widest gap first)."
    )


def picture_slide(facts: PackFacts, code: str) -> Section:
    """A member's chart beside its trends, checklist status, data gap and main gaps."""
    name = facts.names.of(code)
    right_id = f"right-{code}"
    chart = series_figure(facts, code, stats_source(facts))
    gap_counts, gap_text = facts.gap_counts_text(code), _data_gap_text(facts, code)
    page = slide(
        "jurisdiction",
        name,
        lead(facts.latest_victims(code)),
        Heading("Victims, prosecutions and convictions per year", id=f"series-{code}"),
        chart or Paragraph("No statistics on file.", cls="empty"),
        Heading("Trends over the five latest reported years", id=right_id),
        _trend_table(facts, code),
        Heading("Mechanisms and data"),
        Paragraph(gap_counts) if gap_counts else Paragraph("No gap on file.", cls="empty"),
        Paragraph(gap_text) if gap_text else None,
        _main_gaps(facts, code),
        Paragraph(mechanisms_source(facts), cls="source"),
    )
    page.attrs.update({"column-break": right_id, "session": f"member:{code}"})
    return page


def compact_slide(facts: PackFacts, code: str, limit: int, asked: set[str]) -> Section:
    """A member's only slide in a larger region: its latest figure and trend in a line, its
    top priorities and two questions (its chart is in its brief)."""
    verdict = figures.verdict_of(facts.f, code)
    trend = f" Detected victims: {verdict['text']}." if verdict else ""
    page = slide(
        "jurisdiction",
        facts.names.of(code),
        lead(facts.latest_victims(code) + trend),
        Heading("Top priorities to validate"),
        _priority_list(facts, code, min(limit, COMPACT_PRIORITIES)),
        Note(_where_all(facts, code)),
        Heading("Questions for discussion"),
        ListBlock.of(member_questions(facts, code, COMPACT_QUESTIONS, asked), ordered=True,
                     style="questions"),
    )  # fmt: skip
    page.attrs["session"] = f"member:{code}"
    return page


def _main_gaps(facts: PackFacts, code: str) -> ListBlock | None:
    """The member's main gaps in words (not met first): what the checklist item asks for."""
    gaps = facts.top_gaps(code, MEMBER_GAPS)
    if not gaps:
        return None
    return ListBlock.of(
        [f"{g['gap']}: {g['title']}" + (f" ({g['year']})" if g["year"] else "") for g in gaps],
        style="compact",
    )


def _priority_list(facts: PackFacts, code: str, limit: int) -> ListBlock | Paragraph:
    items = [priority_item(p, facts.has_status) for p in top_priorities(facts, code, limit)]
    return ListBlock(items, style="recs") if items else Paragraph("None.", cls="empty")


def _where_all(facts: PackFacts, code: str) -> str:
    """Where a member's (or the region's) every recommendation is, from the report's outline."""
    n = facts.recommendation_count(code)
    if code == REGIONAL:
        ref = facts.outline.ref("regional-cooperation")
        return (
            f"All {n} regional recommendations are on the feedback form and in {ref} of the report."
        )
    ref = facts.outline.chapter(code).ref
    return (
        f"All {n} recommendations for {facts.names.of(code)} are in its brief, on the feedback "
        f"form and in {ref} of the report."
    )


def priorities_slide(
    facts: PackFacts, code: str, limit: int, asked: set[str] | None = None
) -> Section:
    """A member's (or the region's) top priorities in a short form, and its discussion
    questions (`asked`: `member_questions`)."""
    title = (
        "Regional cooperation: priorities and questions"
        if code == REGIONAL
        else f"{facts.names.of(code)}: priorities and questions"
    )
    questions = (
        regional_questions(facts)
        if code == REGIONAL
        else member_questions(facts, code, asked=asked)
    )
    page = slide(
        "priorities",
        title,
        Heading("Top priorities to validate"),
        _priority_list(facts, code, limit),
        Note(_where_all(facts, code)),
        Heading("Questions for discussion"),
        ListBlock.of(questions, ordered=True, style="questions"),
    )
    if code != REGIONAL:
        page.attrs["session"] = f"member:{code}"
    return page


def glance_slides(facts: PackFacts, budget: int) -> list[Section]:
    """The members of a large region, `GLANCE_ROWS` a slide, at most `budget` slides: latest
    victims, trend and first priority; the last slide says how many are left out."""
    rows = []
    for code in facts.codes:
        latest = figures.latest_victims(facts.f, code)
        verdict = figures.verdict_of(facts.f, code)
        first = top_priorities(facts, code, 1)
        rows.append([
            Cell(facts.names.of(code), "rowhead"),
            facts.count_cell(cell_id(code, latest["year"], "victims_detected"))
            if latest else Cell(NOT_REPORTED_TEXT, "count missing"),
            Cell(str(latest["year"]) if latest else NOT_REPORTED_TEXT, "num"),
            Cell(verdict["label"] if verdict else NOT_REPORTED_TEXT),
            Cell(first[0]["topic"] if first else NOT_REPORTED_TEXT),
        ])  # fmt: skip
    parts = chunks(rows, GLANCE_ROWS)[: max(budget, 1)]
    left_out = len(rows) - sum(len(c) for c in parts)
    slides = []
    for i, chunk in enumerate(parts):
        part = f" ({i + 1} of {len(parts)})" if len(parts) > 1 else ""
        last = i == len(parts) - 1
        slides.append(slide(
            "table",
            f"The jurisdictions at a glance{part}",
            table(["Jurisdiction", "Victims", "Year", "Trend", "First priority"], chunk,
                  note=more(left_out) if last else ""),
        ))  # fmt: skip
    return slides


# --- the deck ----------------------------------------------------------------------------------


def member_slides(facts: PackFacts, budget: int, limit: int) -> list[Section]:
    """Two slides a member, one, or the at-a-glance tables: whatever fits `budget` slides."""
    n, asked = len(facts.codes), set()  # the questions' items, so that no session repeats one
    if 2 * n <= budget:
        return [
            s
            for code in facts.codes
            for s in (picture_slide(facts, code), priorities_slide(facts, code, limit, asked))
        ]
    if n <= budget:
        return [compact_slide(facts, code, limit, asked) for code in facts.codes]
    return glance_slides(facts, budget)


# decks built, by facts and priorities a slide: the pack's audit, its rendering and the guide
# use one deck (drawing its charts is most of its cost); weak keys, so none outlives its facts
_BUILT: weakref.WeakKeyDictionary[PackFacts, dict[int, Document]] = weakref.WeakKeyDictionary()


def build_slides(facts: PackFacts, limit: int = TOP_PRIORITIES) -> Document:
    """The deck: the title slide (the cover), then every slide in order, each with the id
    `slide-<n>` (the title slide is 1) and the footnotes of the members it names. `limit`: the
    top priorities on a member's slide. Built once per `facts` and `limit` (`_BUILT`)."""
    decks = _BUILT.setdefault(facts, {})
    if limit not in decks:
        decks[limit] = _build(facts, limit)
    return decks[limit]


def _build(facts: PackFacts, limit: int) -> Document:
    opening = [agenda_slide(facts), read_slide()]
    regional = [key_figures_slide(facts), victims_slide(facts), mechanisms_slide(facts)]
    cooperation = [
        shared_gaps_slide(facts),
        flows_slide(facts),
        priorities_slide(facts, REGIONAL, limit),
    ]
    closing = [recommendations_slide(facts), validation_slide(facts)]
    cooperation = [s for s in cooperation if s]
    fixed = 1 + len(opening) + len(regional) + len(cooperation) + len(closing)
    members = member_slides(facts, MAX_SLIDES - fixed, limit)
    # the session of the day each slide is shown in (`session_slides`)
    for session, pages in (("opening", opening), ("regional", regional), ("members", members),
                           ("cooperation", cooperation), ("validation", closing)):  # fmt: skip
        for page in pages:
            page.attrs.setdefault("session", session)
    slides = [*opening, *regional, *members, *cooperation, *closing]
    for number, page in enumerate(slides, start=2):
        page.id = f"slide-{number}"
        # first: floated to the foot of the slide, a footnote takes its room there before a
        # chart fills what is left (the HTML template sets it in the slide's footer)
        page.blocks[:0] = [Note(n, "footnote") for n in facts.footnotes_in(page)]
    title = f"Trafficking in persons in the {facts.region.name}"
    cover = title_blocks(facts)
    return Document(
        title,
        subtitle=(
            "Needs assessment of counter-trafficking mechanisms: findings and recommendations "
            "for validation"
        ),
        kicker=KICKER,
        cover=cover,
        sections=slides,
        footnotes=facts.footnotes_in([title, cover]),
        page="slides",
    )


def session_slides(deck: Document) -> dict[str, list[int]]:
    """{session: the numbers of its slides}: "opening" (with the title slide), "regional",
    "member:<code>", "members" (the at-a-glance slides of a large region), "cooperation",
    "validation"."""
    out: dict[str, list[int]] = {"opening": [1]}
    for number, page in enumerate(deck.sections, start=2):
        out.setdefault(page.attrs.get("session", ""), []).append(number)
    return out


def slide_count(deck: Document) -> int:
    """The title slide and one slide per section."""
    return 1 + len(deck.sections)


def slide_parts(slide: Section) -> dict[str, list]:
    """A slide's blocks as the deck template lays them out: `span` across the slide, `left` and
    `right` columns (a `column-break`: from the first heading on, the right column starting at
    the heading it names; else all in `span`), and the `footnotes` at its foot."""
    notes = [b for b in slide.blocks if b.kind == "note" and b.style == "footnote"]
    blocks = [b for b in slide.blocks if not (b.kind == "note" and b.style == "footnote")]
    split = slide.attrs.get("column-break", "")
    heads = [i for i, b in enumerate(blocks) if b.kind == "heading"]
    brk = next((i for i in heads if blocks[i].id == split), None) if split else None
    if brk is None or brk <= heads[0]:
        return {"span": blocks, "left": [], "right": [], "footnotes": notes}
    start = heads[0]
    return {
        "span": blocks[:start],
        "left": blocks[start:brk],
        "right": blocks[brk:],
        "footnotes": notes,
    }


def render_slides(facts: PackFacts, output_dir: Path) -> tuple[Path, Path, int]:
    """(html path, pdf path, slide count). If a slide runs over its page (Typst's
    `SlideOverflowError`) the deck is built again with fewer priorities on a slide, and if that
    does not help rendering fails with `PackError`."""
    for limit in _RETRY_PRIORITIES:
        deck = build_slides(facts, limit)
        try:
            pdf = render_pdf(deck)
            break
        except SlideOverflowError as e:
            error = e
    else:
        raise PackError(f"the slide deck does not fit its pages: {error}") from error
    # the HTML deck draws a status line with its decision as a coloured tag, from the statuses
    statuses = (
        {i["id"]: i["status"] for i in facts.rec_items(facts.recs)} if facts.has_status else {}
    )
    html = render_html(
        deck,
        SLIDES_TEMPLATE,
        parts=slide_parts,
        n_slides=slide_count(deck),
        statuses=statuses,
        status_lead=STATUS_LEAD,
    )
    html_path, pdf_path = output_dir / SLIDES_HTML, output_dir / SLIDES_PDF
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, pdf)
    return html_path, pdf_path, slide_count(deck)
