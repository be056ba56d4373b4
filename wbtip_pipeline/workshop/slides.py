"""The workshop's slide deck: a `Document(page="slides")` whose sections are the slides, then
HTML (a self-contained page, `templates/workshop/slides.html.j2`) and PDF (`render_pdf`, Typst).

The title slide is the document's cover (kicker, title, subtitle, the members and the period,
the footnotes of the members it names). Every other slide is a `Section`: its `cls` says its
kind (read, table, jurisdiction, recs, closing), its blocks hold the content, and a slide naming
a member whose name carries a footnote ends with that footnote (`Note(style="footnote")`, at the
foot of the slide in both renderings). A jurisdiction slide sets its figures and gaps side by
side: `attrs["column-break"]` names the heading that starts the second column. The roster is the
region's: one slide per member, in the region's order, and every member named on the title slide.
"""

from __future__ import annotations

import math
from pathlib import Path

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import (
    Cell,
    Heading,
    Item,
    ListBlock,
    Note,
    Paragraph,
    Section,
    Table,
)
from wbtip_pipeline.presentation.disclosure import (
    LEGEND,
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    THRESHOLD,
    cell_id,
)
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.labels import (
    INDICATOR_LABELS,
    PREVALENCE_CAVEAT,
    SUPPRESSION_CAVEAT,
)
from wbtip_pipeline.presentation.render_html import render_html
from wbtip_pipeline.presentation.render_pdf import SlideOverflowError, render_pdf
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.sources.feedback import SHEET
from wbtip_pipeline.vocab import DECISIONS, DOMAINS, MIN_SHARED_GAP, REGIONAL, URGENCIES
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts, table
from wbtip_pipeline.workshop.form import FEEDBACK_FOLDER, FORM_NAME
from wbtip_pipeline.workshop.layout import PackError

SLIDES_TEMPLATE = "workshop/slides.html.j2"
SLIDES_HTML = "workshop_slides.html"
SLIDES_PDF = "workshop_slides.pdf"
KICKER = "Regional validation workshop · counter-trafficking needs assessment"

SLIDE_YEARS = 5  # years of key figures on a slide
SLIDE_INDICATORS = ("victims_detected", "persons_prosecuted", "persons_convicted")
ROWS_PER_TABLE_SLIDE = 9
# A recommendation slide holds recommendations up to this height (mm of the 167 mm page less
# margins and title), estimated from the text lengths; a member's footnote at the foot of the
# slide takes `FOOTNOTE_MM` of it. The PDF proves the estimate: a slide that runs over its page
# (`SlideOverflowError`) is split by building the deck again with a smaller budget.
REC_SLIDE_BUDGET_MM = 128.0
REC_SLIDE_MAX = 6
FOOTNOTE_MM = 10.0
_CHARS_PER_LINE = 130  # recommendation text at 11 pt over the slide width
_STATUS_CHARS_PER_LINE = 150  # status line at 8 pt
_RETRY_BUDGETS = (1.0, 0.8, 0.6)
STATUS_LEAD = "Workshop:"  # a recommendation's status line starts so (the deck tags its decision)


def _slide(kind: str, title: str, *blocks) -> Section:
    """A slide: its id and footnotes are added by `build_slides` once the deck is in order."""
    return Section("", "", title, [b for b in blocks if b is not None], cls=kind)


def _lead(text: str) -> Paragraph | None:
    return Paragraph(text, cls="lead") if text else None


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _period(facts: PackFacts) -> str:
    return figures.period(facts.f) or "no statistics on file"


def title_blocks(facts: PackFacts) -> list:
    """The title slide under its title and subtitle: the members, the period."""
    return [
        Paragraph(facts.names.list(facts.codes)),
        Paragraph(
            f"Statistics {_period(facts)} · {facts.recommendation_count()} recommendations to "
            "validate, agree, amend or reject."
        ),
    ]


def read_slide() -> Section:
    """How to read the figures: detected is not prevalence; `<5`, `[c]`, `–`."""
    return _slide(
        "read",
        "How to read the figures",
        Note(PREVALENCE_CAVEAT, "caveat"),
        Note(SUPPRESSION_CAVEAT, "caveat"),
        *[Paragraph(text, lead=key) for key, text in LEGEND.items()],
    )


def _region_years(facts: PackFacts) -> list[int]:
    rows = facts.f.trend_rows(facts.region.code, "victims_detected")
    return sorted(int(y) for y in rows["year"])[-SLIDE_YEARS:] if not rows.empty else []


def _reporting(facts: PackFacts, years: list[int]) -> str:
    if not years:
        return "no regional figures on file"
    rows = facts.f.trend_rows(facts.region.code, "victims_detected")
    by_year = dict(zip(rows["year"].astype(int), rows["n_jurisdictions_reporting"], strict=True))
    return ", ".join(f"{y}: {int(by_year[y])} of {len(facts.codes)}" for y in years if y in by_year)


def regional_victims_slide(facts: PackFacts) -> Section:
    """Victims detected per member and for the region, latest years, with the verdicts."""
    years = _region_years(facts)
    region = facts.region.code
    places = [*facts.codes, region]
    label = INDICATOR_LABELS["victims_detected"]
    verdict = {(c, v["indicator"]): v for c in places for v in facts.verdicts(c)}
    rows = []
    for code in places:
        v = verdict.get((code, label))
        rows.append(
            [Cell(facts.names.of(code), "rowhead" + (" total" if code == region else ""))]
            + [facts.count_cell(cell_id(code, y, "victims_detected")) for y in years]
            + [
                Cell(
                    v["text"] if v else NOT_REPORTED_TEXT,
                    f"verdict {v['direction'] if v else ''}",
                )
            ]
        )
    note = f"{region} is the sum over the jurisdictions reporting that year ({_reporting(facts, years)})."
    return _slide(
        "table",
        "The regional picture: victims detected",
        table(
            ["Victims detected", *map(str, years), "Trend, 5 latest years"],
            rows,
            facts.source_line("harmonised_statistics, trends, trend_summary"),
            note=note,
            key="regional-victims",
        ),
    )


def regional_mechanisms_slide(facts: PackFacts) -> Section:
    """Mechanism score share per member and domain, and the share of data not reported."""
    ds = facts.t["mechanism_domain_scores"]
    rows = []
    for code in facts.codes:
        cells = [Cell(facts.names.of(code), "rowhead")]
        for domain in DOMAINS:
            r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == domain)] if not ds.empty else ds
            if r.empty:
                cells.append(Cell(NOT_REPORTED_TEXT, "num missing"))
                continue
            cells.append(Cell(figures.domain_share_text(r.iloc[0], short=True), "num"))
        gap = figures.data_gap(facts.f, code)
        cells.append(Cell(gap["not_reported_text"] if gap else NOT_REPORTED_TEXT, "num"))
        rows.append(cells)
    t = table(
        ["", *DOMAINS, "Data not reported"],
        rows,
        facts.source_line("mechanism_domain_scores, data_gap_summary"),
        note=(
            "Each cell: mean score of the known checklist items as a share of the maximum; ? no "
            f"item known. {figures.THIN_DOMAIN_NOTE} Data not reported: indicator, breakdown and "
            f"year combinations without a figure, over the region's years ({_period(facts)})."
        ),
        key="regional-mechanisms",
    )
    return _slide("table", "The regional picture: mechanisms and data gaps", t)


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


def _gap_items(gaps: list[dict]) -> ListBlock | Paragraph:
    if not gaps:
        return Paragraph("No gap on file.", cls="empty")
    return ListBlock(
        [
            Item(f"{g['gap']}: {g['item']} {g['title']}" + (f" ({g['year']})" if g["year"] else ""))
            for g in gaps
        ],
        style="compact",
    )


def jurisdiction_slide(facts: PackFacts, code: str) -> Section:
    """One member: key figures of its latest years and trend verdicts beside its main gaps (not
    met first) and how many recommendations of each urgency it is asked to validate."""
    gap_counts = facts.gap_counts_text(code)
    key_figures = facts.key_figures(code, SLIDE_YEARS, SLIDE_INDICATORS)
    urgencies = " · ".join(f"{u} {n}" for u, n in facts.urgency_counts(code).items())
    slide = _slide(
        "jurisdiction",
        facts.names.of(code),
        _lead(facts.latest_victims(code)),
        Heading("Key figures"),
        key_figures or Paragraph("No statistics on file.", cls="empty"),
        Heading("Trends over the latest five reported years"),
        _trend_table(facts, code),
        Heading("Main gaps in counter-trafficking mechanisms", id=f"gaps-{code}"),
        _gap_items(facts.top_gaps(code)),
        Note(gap_counts) if gap_counts else None,
        Paragraph(facts.source_line("mechanism_gaps"), cls="source"),
        Heading("Recommendations to validate"),
        Paragraph(urgencies),
    )
    slide.attrs["column-break"] = f"gaps-{code}"
    return slide


def shared_gap_slides(facts: PackFacts) -> list[Section]:
    """The `shared_gap` rows of `regional_opportunities`, most jurisdictions first, split into
    slides of `ROWS_PER_TABLE_SLIDE`."""
    opp = facts.t["regional_opportunities"]
    gaps = facts.t["mechanism_gaps"]
    titles = dict(zip(gaps["item_id"], gaps["title"], strict=False)) if not gaps.empty else {}
    shared = (
        opp[opp["opportunity_type"] == "shared_gap"].sort_values(
            ["n_jurisdictions", "key"], ascending=[False, True]
        )
        if not opp.empty
        else opp
    )
    rows = [
        [
            Cell(str(r.key), "rowhead nowrap"),
            Cell(str(titles.get(r.key, ""))),
            Cell(f"{int(r.n_jurisdictions)}: {facts.names.list(str(r.jurisdictions).split(','))}"),
        ]
        for r in shared.itertuples(index=False)
    ]
    source = facts.source_line("regional_opportunities, mechanism_gaps")
    lead = (
        "Candidates for a regional programme: checklist items not met or only partly met in "
        f"{number_word(MIN_SHARED_GAP)} or more jurisdictions."
    )
    return [
        _slide(
            "table",
            "Regional cooperation: gaps shared by several jurisdictions",
            _lead(lead),
            table(["Item", "What the item asks for", "Jurisdictions"], chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def flow_slides(facts: PackFacts) -> list[Section]:
    """The `bilateral_flow` rows of `regional_opportunities`, victims from the published cells
    (the report's sums: `[c]` if any cell is withheld, else the sum of the published bounds)."""
    rows = [
        [
            Cell(p["pair"], "rowhead"),
            Cell(p["years"]),
            Cell(p["victims"], "count"),
            Cell("yes" if p["certain"] else f"no: every figure {PRIMARY_TEXT}"),
        ]
        for p in facts.f.flow_pairs()
    ]
    source = facts.source_line("regional_opportunities, harmonised_statistics")
    columns = ["Jurisdictions", "Years", "Victims (sum)", f"A figure of {THRESHOLD} or more"]
    return [
        _slide(
            "table",
            "Regional cooperation: victims moving between jurisdictions",
            _lead(
                "Candidates for bilateral cooperation, such as joint identification and referral."
            ),
            table(columns, chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def _rec_height_mm(item: dict, has_status: bool) -> float:
    """Head line, text lines at 5.1 mm, evidence line, status lines, spacing."""
    text_lines = math.ceil(len(item["text"]) / _CHARS_PER_LINE)
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = math.ceil(len(status) / _STATUS_CHARS_PER_LINE) if has_status else 0
    return 3.8 + 5.1 * text_lines + 3.8 + 4.2 * status_lines + 4.0


def _greedy(facts: PackFacts, title: str, items: list[dict], budget: float, most: int):
    """Fill each slide up to `budget` (or `most` recommendations), then start the next."""
    groups: list[list[dict]] = []
    height = 0.0
    for item in items:
        h = _rec_height_mm(item, facts.has_status)
        current = groups[-1] if groups else []
        room = budget - FOOTNOTE_MM * len(facts.footnotes_in([title, *current, item]))
        if not groups or height + h > room or len(current) >= most:
            groups.append([])
            height = 0.0
        groups[-1].append(item)
        height += h
    return groups


def _pack_recs(facts: PackFacts, title: str, items: list[dict], budget: float) -> list[list[dict]]:
    """Consecutive groups of recommendations that fit one slide each (less the room of the
    footnotes of the members the slide names), as even as the same number of slides allows (no
    last slide holding one recommendation after full ones)."""
    groups = _greedy(facts, title, items, budget, REC_SLIDE_MAX)
    # the smallest budget that needs no more slides (by bisection) evens them out
    low, high = 0.0, budget
    for _ in range(10):
        middle = (low + high) / 2
        even = _greedy(facts, title, items, middle, REC_SLIDE_MAX)
        if len(even) == len(groups):
            groups, high = even, middle
        else:
            low = middle
    return groups


def rec_item(item: dict, has_status: bool, evidence: bool = True) -> Item:
    """A recommendation as a list item: urgency, id, domain and priority above its text, its
    evidence in one line (on a slide) and, once the workshop has decided something, its
    status."""
    rank = f" · priority {item['rank']}" if item["rank"] else ""
    meta = [item["evidence"]] if evidence and item.get("evidence") else []
    if has_status:
        status = item["status"]
        label = f"{status['label']} {status['detail']}".strip() if status else STATUS_NOT_GIVEN
        meta.append(f"{STATUS_LEAD} {label}")
    return Item(
        item["text"],
        head=f"{item['id']} · {item['domain']}{rank}",
        badge=item["urgency"],
        meta=meta,
        id=f"rec-{item['id']}",
    )


def recommendation_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> list[Section]:
    """An overview, then every recommendation by member (then regional) and priority."""
    places = [*facts.codes, REGIONAL]
    overview = []
    for code in places:
        recs = facts.recs_of(code)
        counts = facts.urgency_counts(code)
        row = [Cell(facts.names.of(code), "rowhead")] + [
            Cell(str(counts[u]), "num") for u in URGENCIES
        ]
        if facts.has_status:
            status = facts.status_counts(recs["recommendation_id"] if not recs.empty else [])
            row += [Cell(str(n), "num") for n in status.values()]
        overview.append(row)
    columns = ["", *URGENCIES] + ([*DECISIONS, STATUS_NOT_GIVEN] if facts.has_status else [])
    slides = [
        _slide(
            "table",
            "Recommendations to validate",
            _lead(
                f"{facts.recommendation_count()} recommendations, each with a stable id, the "
                "evidence it rests "
                "on and an urgency: urge (an obligation not met), consider (partly met), invite "
                "(on track). The feedback form lists every id."
            ),
            table(columns, overview, facts.source_line("recommendations")),
        )
    ]
    for code in places:
        title = f"Recommendations: {facts.names.of(code)}"
        groups = _pack_recs(facts, title, facts.rec_items(facts.recs_of(code)), budget)
        groups = [g for g in groups if g]
        for i, group in enumerate(groups):
            part = f" ({i + 1} of {len(groups)})" if len(groups) > 1 else ""
            items = [rec_item(r, facts.has_status) for r in group]
            slides.append(_slide("recs", title + part, ListBlock(items, style="recs")))
    return slides


def closing_slide() -> Section:
    """How a delegation gives its decisions: the form, the decisions, where it goes."""
    decisions = {
        "agreed": "the recommendation stands as written",
        "amended": "write the agreed wording in amended_text",
        "rejected": "give the reason in comment",
    }
    return _slide(
        "closing",
        "Your decision on each recommendation",
        _lead(
            f"The feedback form {FORM_NAME} lists every recommendation by its id, one row each on "
            f"the sheet '{SHEET}'. For each one your delegation discussed, choose a decision:"
        ),
        *[Paragraph(text, lead=key) for key, text in decisions.items()],
        Paragraph(
            "Name the responsible institution and a target date, and who decided and when. Leave "
            "the decision empty for a recommendation not discussed."
        ),
        Paragraph(
            f"Return the completed form to the workshop secretariat; it goes into "
            f"{FEEDBACK_FOLDER} of the pipeline, and the next edition of the report shows every "
            "recommendation's status."
        ),
    )


def build_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> Document:
    """The deck: the title slide (the cover), then every slide in order, each with the id
    `slide-<n>` (the title slide is 1) and the footnotes of the members it names."""
    slides = [
        read_slide(),
        regional_victims_slide(facts),
        regional_mechanisms_slide(facts),
        *[jurisdiction_slide(facts, code) for code in facts.codes],
        *shared_gap_slides(facts),
        *flow_slides(facts),
        *recommendation_slides(facts, budget),
        closing_slide(),
    ]
    for number, slide in enumerate(slides, start=2):
        slide.id = f"slide-{number}"
        slide.add(*[Note(n, "footnote") for n in facts.footnotes_in(slide)])
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
    """(html path, pdf path, slide count). The recommendation slides are packed by estimated
    height; if a slide runs over its page (Typst's `SlideOverflowError`) the deck is built again
    with a smaller budget, and if that does not help rendering fails with `PackError`."""
    for factor in _RETRY_BUDGETS:
        deck = build_slides(facts, REC_SLIDE_BUDGET_MM * factor)
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
