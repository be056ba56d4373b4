"""The workshop's slide deck: the slides in order, then HTML and PDF (one page per slide).

Slides are dicts for `templates/workshop/slides.html.j2`: `kind` (title, read, table,
jurisdiction, recs, closing), `title`, their content, `number`, and the `footnotes` of the
members they name. The roster is the region's: one slide per member, in the region's order, and
every member named on the title slide.
"""

from __future__ import annotations

import math
from pathlib import Path

from wbtip_pipeline.presentation.blocks import Cell
from wbtip_pipeline.presentation.disclosure import (
    LEGEND,
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    THRESHOLD,
    cell_id,
)
from wbtip_pipeline.presentation.labels import (
    GAP_LABELS,
    INDICATOR_LABELS,
    PREVALENCE_CAVEAT,
    SUPPRESSION_CAVEAT,
)
from wbtip_pipeline.presentation.render_html import check_disclosure
from wbtip_pipeline.presentation.text import is_nan, number_word, pct
from wbtip_pipeline.sources.feedback import SHEET
from wbtip_pipeline.vocab import DECISIONS, DOMAINS, MIN_SHARED_GAP, REGIONAL, URGENCIES
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts, table
from wbtip_pipeline.workshop.form import FEEDBACK_FOLDER, FORM_NAME
from wbtip_pipeline.workshop.pdf import PackError, layout

SLIDES_TEMPLATE = "workshop/slides.html.j2"
SLIDES_HTML = "workshop_slides.html"
SLIDES_PDF = "workshop_slides.pdf"

SLIDE_YEARS = 5  # years of key figures on a slide
SLIDE_INDICATORS = ("victims_detected", "persons_prosecuted", "persons_convicted")
ROWS_PER_TABLE_SLIDE = 9
# A recommendation slide holds recommendations up to this height (mm of the 167 mm page less
# title and footer: about 130), estimated from the text lengths. The PDF proves the estimate: a
# slide that runs over is split by rendering again with a smaller budget (`render_slides`).
REC_SLIDE_BUDGET_MM = 122.0
REC_SLIDE_MAX = 6
_CHARS_PER_LINE = 122  # recommendation text at 11 pt over the slide width
_STATUS_CHARS_PER_LINE = 150  # status line at 8.6 pt
_RETRY_BUDGETS = (1.0, 0.8, 0.6)


def _slide(kind: str, title: str, **content) -> dict:
    return {"kind": kind, "title": title, **content}


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _period(facts: PackFacts) -> str:
    f = facts.f
    return f"{f.first_year}–{f.last_year}" if f.years else "no statistics on file"


def title_slides(facts: PackFacts) -> list[dict]:
    """The title, then how to read the figures (detected is not prevalence; `<5`, `[c]`)."""
    return [
        _slide(
            "title",
            f"Trafficking in persons in the {facts.region.name}",
            subtitle=(
                "Needs assessment of counter-trafficking mechanisms: findings and "
                "recommendations for validation"
            ),
            places=facts.names.list(facts.codes),
            period=_period(facts),
            n_recs=len(facts.recs),
        ),
        _slide(
            "read",
            "How to read the figures",
            caveats=[PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT],
            legend=[{"key": k, "text": v} for k, v in LEGEND.items()],
        ),
    ]


def _region_years(facts: PackFacts) -> list[int]:
    rows = facts.f.trend_rows(facts.region.code, "victims_detected")
    return sorted(int(y) for y in rows["year"])[-SLIDE_YEARS:] if not rows.empty else []


def _reporting(facts: PackFacts, years: list[int]) -> str:
    if not years:
        return "no regional figures on file"
    rows = facts.f.trend_rows(facts.region.code, "victims_detected")
    by_year = dict(zip(rows["year"].astype(int), rows["n_jurisdictions_reporting"], strict=True))
    return ", ".join(f"{y}: {int(by_year[y])} of {len(facts.codes)}" for y in years if y in by_year)


def regional_victims_slide(facts: PackFacts) -> dict:
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
                    v["verdict"] if v else NOT_REPORTED_TEXT,
                    f"verdict {v['direction'] if v else ''}",
                )
            ]
        )
    note = f"{region} is the sum over the jurisdictions reporting that year ({_reporting(facts, years)})."
    return _slide(
        "table",
        "The regional picture: victims detected",
        table=table(
            ["Victims detected", *map(str, years), "Trend, 5 latest years"],
            rows,
            facts.source_line("harmonised_statistics, trends, trend_summary"),
            note=note,
            key="regional-victims",
        ),
        lead="",
    )


def regional_mechanisms_slide(facts: PackFacts) -> dict:
    """Mechanism score share per member and domain, and the share of data not reported."""
    ds = facts.t["mechanism_domain_scores"]
    gaps = facts.t["data_gap_summary"]
    not_reported = (
        dict(zip(gaps["jurisdiction"], gaps["share_not_reported_in_range"], strict=True))
        if not gaps.empty
        else {}
    )
    rows = []
    for code in facts.codes:
        cells = [Cell(facts.names.of(code), "rowhead")]
        for domain in DOMAINS:
            r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == domain)] if not ds.empty else ds
            if r.empty:
                cells.append(Cell(NOT_REPORTED_TEXT, "num missing"))
                continue
            r = r.iloc[0]
            share = "?" if is_nan(r["score_share"]) else pct(float(r["score_share"]))
            cells.append(Cell(f"{share} · {int(r['n_known'])}/{int(r['n_items'])}", "num"))
        share = not_reported.get(code)
        cells.append(Cell(NOT_REPORTED_TEXT if share is None else pct(float(share)), "num"))
        rows.append(cells)
    t = table(
        ["", *DOMAINS, "Data not reported"],
        rows,
        facts.source_line("mechanism_domain_scores, data_gap_summary"),
        note=(
            "Each cell: mean score of the known checklist items as a share of the maximum · items "
            "known / items; ? no item known. Data not reported: indicator, breakdown and year "
            "combinations without a figure, within the jurisdiction's own years."
        ),
        key="regional-mechanisms",
    )
    return _slide("table", "The regional picture: mechanisms and data gaps", table=t, lead="")


def jurisdiction_slide(facts: PackFacts, code: str) -> dict:
    """One member: key figures of its latest years, trend verdicts, main gaps (not met first),
    and how many recommendations of each urgency it is asked to validate."""
    counts = facts.gap_counts(code)
    return _slide(
        "jurisdiction",
        facts.names.of(code),
        code=code,
        lead=facts.latest_victims(code),
        figures=facts.key_figures(code, SLIDE_YEARS, SLIDE_INDICATORS),
        verdicts=facts.verdicts(code),
        gaps=facts.top_gaps(code),
        gap_counts=", ".join(f"{n} {GAP_LABELS[k].lower()}" for k, n in counts.items() if n),
        urgencies=facts.urgency_counts(code),
        source_gaps=facts.source_line("mechanism_gaps"),
    )


def shared_gap_slides(facts: PackFacts) -> list[dict]:
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
            lead=lead,
            table=table(["Item", "What the item asks for", "Jurisdictions"], chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def flow_slides(facts: PackFacts) -> list[dict]:
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
            lead="Candidates for bilateral cooperation, such as joint identification and referral.",
            table=table(columns, chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def _rec_height_mm(item: dict, has_status: bool) -> float:
    """Head line, text lines at 5.1 mm, evidence line, status lines, spacing."""
    text_lines = math.ceil(len(item["text"]) / _CHARS_PER_LINE)
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = math.ceil(len(status) / _STATUS_CHARS_PER_LINE) if has_status else 0
    return 3.8 + 5.1 * text_lines + 3.8 + 4.2 * status_lines + 4.0


def _pack_recs(items: list[dict], budget: float, has_status: bool) -> list[list[dict]]:
    """Consecutive groups of recommendations that fit one slide each."""
    groups: list[list[dict]] = []
    height = 0.0
    for item in items:
        h = _rec_height_mm(item, has_status)
        if not groups or height + h > budget or len(groups[-1]) >= REC_SLIDE_MAX:
            groups.append([])
            height = 0.0
        groups[-1].append(item)
        height += h
    return groups


def recommendation_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> list[dict]:
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
            lead=(
                f"{len(facts.recs)} recommendations, each with a stable id, the evidence it rests "
                "on and an urgency: urge (an obligation not met), consider (partly met), invite "
                "(on track). The feedback form lists every id."
            ),
            table=table(columns, overview, facts.source_line("recommendations")),
        )
    ]
    for code in places:
        groups = _pack_recs(facts.rec_items(facts.recs_of(code)), budget, facts.has_status)
        for i, group in enumerate(g for g in groups if g):
            part = f" ({i + 1} of {len(groups)})" if len(groups) > 1 else ""
            title = f"Recommendations: {facts.names.of(code)}{part}"
            slides.append(_slide("recs", title, recs=group, code=code))
    return slides


def closing_slide() -> dict:
    """How a delegation gives its decisions: the form, the decisions, where it goes."""
    return _slide(
        "closing",
        "Your decision on each recommendation",
        form=FORM_NAME,
        sheet=SHEET,
        decisions=[
            {"key": "agreed", "text": "the recommendation stands as written"},
            {"key": "amended", "text": "write the agreed wording in amended_text"},
            {"key": "rejected", "text": "give the reason in comment"},
        ],
        folder=FEEDBACK_FOLDER,
    )


def build_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> list[dict]:
    """Every slide in order, numbered, each with the footnotes of the members it names."""
    slides = [
        *title_slides(facts),
        regional_victims_slide(facts),
        regional_mechanisms_slide(facts),
        *[jurisdiction_slide(facts, code) for code in facts.codes],
        *shared_gap_slides(facts),
        *flow_slides(facts),
        *recommendation_slides(facts, budget),
        closing_slide(),
    ]
    for number, slide in enumerate(slides, start=1):
        slide["footnotes"] = facts.footnotes_in(slide)
        slide["number"] = number
    return slides


def _overflowing_slides(document) -> list[int]:
    """The slides that run onto a page of their own: a page without a slide anchor belongs to
    the slide before it."""
    out: list[int] = []
    current = 0
    for page in document.pages:
        starts = [int(a[6:]) for a in page.anchors if a.startswith("slide-") and a[6:].isdigit()]
        if starts:
            current = max(starts)
        elif current not in out:
            out.append(current)
    return out


def render_slides(facts: PackFacts, env, output_dir: Path) -> tuple[Path, Path, int]:
    """(html path, pdf path, slide count). The recommendation slides are packed by estimated
    height; if a slide runs over its page they are packed again with a smaller budget, and if
    that does not help (or another slide runs over) rendering fails with `PackError`."""
    template = env.get_template(SLIDES_TEMPLATE)
    for factor in _RETRY_BUDGETS:
        slides = build_slides(facts, REC_SLIDE_BUDGET_MM * factor)
        html = template.render(
            slides=slides,
            n_slides=len(slides),
            has_status=facts.has_status,
            region_name=facts.region.name,
        )
        check_disclosure(html)
        document = layout(html, output_dir)
        overflow = _overflowing_slides(document)
        if not overflow or any(slides[n - 1]["kind"] != "recs" for n in overflow):
            break
    if overflow:
        raise PackError(
            f"the slide deck has {len(document.pages)} PDF pages for {len(slides)} slides: "
            f"slide(s) {overflow} do not fit their page"
        )
    html_path, pdf_path = output_dir / SLIDES_HTML, output_dir / SLIDES_PDF
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, document.write_pdf())
    return html_path, pdf_path, len(slides)
