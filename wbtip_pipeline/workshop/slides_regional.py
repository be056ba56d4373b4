"""The deck's regional slides: the regional picture (key figures and the region's victims per
year; each member's latest victims and trend beside the victims per 100,000; mechanism scores by
domain), regional cooperation (gaps shared by several members, victims moving between them), the
recommendations to validate, and how the validation works.

A regional table or chart holds at most `REGION_ROWS` members, a list of shared gaps or pairs at
most `TABLE_ROWS`; the others are counted and sent to the members' briefs or the report's section,
so that a region of any size keeps these slides to one page each. Every count is published text
(`count_cell`), every chart drawn from chart bounds and every rate from the published counts.
"""

from __future__ import annotations

from wbtip_pipeline.presentation import charts, figures
from wbtip_pipeline.presentation.blocks import (
    Cell,
    Figure,
    Heading,
    KeyFigure,
    KeyFigures,
    ListBlock,
    Paragraph,
    Section,
)
from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    THRESHOLD,
    cell_id,
)
from wbtip_pipeline.presentation.labels import INDICATOR_SHORT
from wbtip_pipeline.presentation.text import is_nan, number_word, rate_text
from wbtip_pipeline.vocab import DECISIONS, MIN_SHARED_GAP, REGIONAL, URGENCIES
from wbtip_pipeline.workshop import agenda
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts, table
from wbtip_pipeline.workshop.slides_parts import (
    actions,
    cap,
    figure,
    lead,
    mechanisms_source,
    more,
    slide,
    stats_source,
)

REGION_ROWS = 8  # members in a regional table or chart; the others are summarised
TABLE_ROWS = 8  # rows of a shared-gap or flow slide
RATE_YEARS = 5


def _region_years(facts: PackFacts) -> list[int]:
    rows = facts.f.trend_rows(facts.region.code, "victims_detected")
    years = [int(y) for y in rows["year"]] if not rows.empty else []
    return list(range(min(years), max(years) + 1)) if years else []


def key_figures_slide(facts: PackFacts) -> Section:
    """The region's latest sums (victims, prosecuted, convicted) and its victims per year."""
    region, years = facts.region.code, _region_years(facts)
    blocks: list = []
    if years:
        year, size = years[-1], len(facts.codes)
        boxes = []
        for ind in ("victims_detected", "persons_prosecuted", "persons_convicted"):
            n = len(facts.f.reporting(year, ind))
            text = facts.count_cell(cell_id(region, year, ind)).text
            words = (
                INDICATOR_SHORT[ind]
                if ind == "victims_detected"
                else f"persons {INDICATOR_SHORT[ind]}"
            )
            boxes.append(KeyFigure(text, f"{words} in {year}: {n} of {size} reporting", count=True))
        blocks.append(KeyFigures(boxes))
        panel = charts.Panel(
            "",
            {"victims detected": {
                y: facts.f.chart_bounds(cell_id(region, y, "victims_detected")) for y in years
            }},
            annotations={
                y: f"{len(facts.f.reporting(y, 'victims_detected'))}/{size}" for y in years
            },
        )  # fmt: skip
        chart = charts.count_bars(
            "slide-region-victims",
            [panel],
            years,
            caption=(
                f"Victims detected per year in the {facts.region.name}: the sum over the "
                "jurisdictions reporting (how many, over each bar); a year with fewer is a "
                "partial sum."
            ),
            source=stats_source(facts),
            alt=f"Bar chart of detected victims per year in the {facts.region.name}.",
            ncols=1,
            panel_height=1.9,
            colors={"victims detected": charts.PALETTE[0]},
            width_in=8.0,
        )
        blocks.append(figure(chart))
    else:
        blocks.append(Paragraph("No regional figures on file.", cls="empty"))
    return slide("chart", "The regional picture: key figures", *blocks)


def _shown(facts: PackFacts) -> tuple[list[str], int]:
    """The members a regional table or chart shows, and how many it leaves out."""
    return facts.codes[:REGION_ROWS], max(0, len(facts.codes) - REGION_ROWS)


def _latest(facts: PackFacts, code: str) -> tuple[str, Cell]:
    """A member's (or the region's) latest year with victims on file, and its count."""
    if code == facts.region.code:
        years = _region_years(facts)
        year = years[-1] if years else None
    else:
        latest = figures.latest_victims(facts.f, code)
        year = latest["year"] if latest else None
    if year is None:
        return NOT_REPORTED_TEXT, Cell(NOT_REPORTED_TEXT, "count missing")
    return str(year), facts.count_cell(cell_id(code, year, "victims_detected"))


def victims_slide(facts: PackFacts) -> Section:
    """Each member's latest victims and trend verdict, beside the victims per 100,000."""
    shown, left_out = _shown(facts)
    rows = []
    for code in [*shown, facts.region.code]:
        v = next((v for v in facts.verdicts(code) if v["indicator"] == "Victims detected"), None)
        year, count = _latest(facts, code)
        total = " total" if code == facts.region.code else ""
        rows.append([
            Cell(facts.names.of(code), "rowhead" + total),
            Cell(year, "num"),
            count,
            Cell(v["text"] if v else NOT_REPORTED_TEXT, f"verdict {v['direction'] if v else ''}"),
        ])  # fmt: skip
    note = (
        f"{facts.region.code}: the sum over the jurisdictions reporting that year. Trend: the "
        "direction over the five latest reported years, with the yearly change and its 95% "
        "interval. " + more(left_out)
    )
    page = slide(
        "table",
        "The regional picture: victims detected",
        Heading("Latest year and trend", id="victims-latest"),
        table(
            ["Jurisdiction", "Latest year", "Victims", "Trend, 5 latest years"],
            rows,
            note=note.strip(),
            key="regional-victims",
        ),
        Heading("Victims detected per 100,000 inhabitants", id="victims-rates"),
        rates_figure(facts, shown),
    )
    page.attrs["column-break"] = "victims-rates"
    return page


def rates_figure(facts: PackFacts, shown: list[str]) -> Figure | Paragraph:
    """A grid of members by year: victims per 100,000 inhabitants from the published counts."""
    years = _region_years(facts)[-RATE_YEARS:]
    if not years or not shown:
        return Paragraph("No rates on file.", cls="empty")
    rates = {(c, y): facts.f.victim_rate(c, y) for c in shown for y in years}
    top = max((b[1] for b in rates.values() if b), default=0.0)
    colors = [
        [charts.sequential_color((b[0] + b[1]) / 2, top) if b else None for y in years
         for b in [rates[(c, y)]]]
        for c in shown
    ]  # fmt: skip
    texts = [[rate_text(rates[(c, y)]) for y in years] for c in shown]
    chart = charts.heatmap(
        "slide-rates",
        [facts.names.of(c) for c in shown],
        [str(y) for y in years],
        colors,
        texts,
        caption=(
            "Victims detected per 100,000 inhabitants (a range where the count is one); "
            f"{NOT_REPORTED_TEXT} not reported. Darker is higher."
        ),
        source=stats_source(facts) + " Population: World Bank.",
        alt="Grid of detected victims per 100,000 inhabitants by jurisdiction and year.",
        cell_height=0.42,
        fontsize=8,
        width_in=4.8,
    )
    return figure(chart)


def mechanisms_slide(facts: PackFacts) -> Section:
    """The mechanism scores of every member and domain, as a grid."""
    ds = facts.t["mechanism_domain_scores"]
    shown, left_out = _shown(facts)
    if ds.empty:
        return slide(
            "chart",
            "The regional picture: mechanisms by domain",
            Paragraph("No mechanism scores on file.", cls="empty"),
        )
    order = facts.f.domain_order()
    colors, texts = [], []
    for code in shown:
        crow, trow = [], []
        for domain in order:
            r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == domain)]
            share = (
                None if r.empty or is_nan(r.iloc[0]["score_share"]) else r.iloc[0]["score_share"]
            )
            crow.append(None if share is None else charts.sequential_color(float(share)))
            trow.append("" if r.empty else figures.domain_share_text(r.iloc[0], True, "\n"))
        colors.append(crow)
        texts.append(trow)
    chart = charts.heatmap(
        "slide-domains",
        [facts.names.of(c) for c in shown],
        order,
        colors,
        texts,
        caption=(
            "Mean score of the checklist items known, per domain, as a share of the maximum "
            f"(darker is better); ? no item known. {figures.THIN_DOMAIN_NOTE} {more(left_out)}"
        ).strip(),
        source=mechanisms_source(facts),
        alt="Grid of mechanism scores per jurisdiction and checklist domain.",
        cell_height=0.36,
        fontsize=7,
        width_in=7.6,
    )
    return slide("chart", "The regional picture: mechanisms by domain", figure(chart))


# --- regional cooperation and the validation ------------------------------------------------


def _more_in_report(facts: PackFacts, n: int, what: str, whats: str) -> str:
    """ "Four more shared gaps in section 10 of the report." ("" for none)."""
    if n <= 0:
        return ""
    ref = facts.outline.ref("regional-cooperation")
    return f"{number_word(n).capitalize()} more {what if n == 1 else whats} in {ref} of the report."


GAP_COLORS = {"not_met": "#d6604d", "partly_met": "#fdb863"}


def _wrapped(name: str, width: int = 12) -> str:
    """A column label on lines of about `width` characters ("Bosnia and\nHerzegovina")."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def shared_gaps_slide(facts: PackFacts) -> Section:
    """The checklist items falling short in `MIN_SHARED_GAP` or more members (most first), as a
    grid of items by member: not met, partly met, or neither."""
    opp, gaps = facts.t["regional_opportunities"], facts.t["mechanism_gaps"]
    shared = (
        opp[opp["opportunity_type"] == "shared_gap"].sort_values(
            ["n_jurisdictions", "key"], ascending=[False, True]
        )
        if not opp.empty
        else opp
    )
    title = "Regional cooperation: gaps shared by several jurisdictions"
    intro = lead(
        "Candidates for a regional programme: what falls short in "
        f"{number_word(MIN_SHARED_GAP)} or more jurisdictions."
    )
    if shared.empty or gaps.empty:
        return slide("chart", title, intro, Paragraph("No gap is shared so widely.", cls="empty"))
    items = [str(k) for k in shared["key"]][:TABLE_ROWS]
    shown, left_out = _shown(facts)
    status = {(str(r.item_id), str(r.jurisdiction)): str(r.gap_type)
              for r in gaps.itertuples(index=False)}  # fmt: skip
    titles = dict(zip(gaps["item_id"].astype(str), gaps["title"].astype(str), strict=False))
    words = {"not_met": "not met", "partly_met": "partly met"}
    rows = [cap(actions()[i].topic) if i in actions() else titles.get(i, i) for i in items]
    colors = [[GAP_COLORS.get(status.get((i, c), "")) for c in shown] for i in items]
    texts = [[words.get(status.get((i, c), ""), "") for c in shown] for i in items]
    notes = [
        _more_in_report(facts, len(shared) - len(items), "shared gap", "shared gaps"),
        more(left_out),
    ]
    chart = charts.heatmap(
        "slide-shared-gaps",
        rows,
        [_wrapped(facts.names.of(c)) for c in shown],
        colors,
        texts,
        caption=" ".join(
            [
                "Checklist items not met or only partly met in several jurisdictions; an empty "
                "cell is met, or not assessed.",
                *[n for n in notes if n],
            ]
        ),  # fmt: skip
        source=mechanisms_source(facts),
        alt="Grid of the gaps shared by several jurisdictions, by jurisdiction.",
        legend=[("not met", GAP_COLORS["not_met"]), ("partly met", GAP_COLORS["partly_met"])],
        cell_height=0.32,
        fontsize=7.5,
        width_in=8.0,
    )
    return slide("chart", title, intro, figure(chart))


def flows_slide(facts: PackFacts) -> Section | None:
    """Pairs of members linked by victims moving between them (the published sums: `[c]` if a
    figure is withheld)."""
    pairs = facts.f.flow_pairs()
    if not pairs:
        return None
    rows = [
        [
            Cell(p["pair"], "rowhead"),
            Cell(p["years"]),
            Cell(p["victims"], "count"),
            Cell("yes" if p["certain"] else f"no: every figure {PRIMARY_TEXT}"),
        ]
        for p in pairs
    ]
    note = _more_in_report(facts, len(rows) - TABLE_ROWS, "pair", "pairs")
    return slide(
        "table",
        "Regional cooperation: victims moving between jurisdictions",
        lead("Candidates for bilateral cooperation, such as joint identification and referral."),
        table(
            ["Jurisdictions", "Years", "Victims (sum)", f"A figure of {THRESHOLD} or more"],
            rows[:TABLE_ROWS],
            stats_source(facts),
            note=note,
        ),
    )


def recommendations_slide(facts: PackFacts) -> Section:
    """How many recommendations each member (and the region) is asked to validate, by urgency
    (and, once the workshop has decided, by decision)."""
    shown, left_out = _shown(facts)
    places = [*shown, REGIONAL]
    columns = ["", *URGENCIES] + ([*DECISIONS, STATUS_NOT_GIVEN] if facts.has_status else [])
    rows = []
    for code in places:
        counts = facts.urgency_counts(code)
        row = [Cell(facts.names.of(code), "rowhead")] + [
            Cell(str(counts[u]), "num") for u in URGENCIES
        ]
        if facts.has_status:
            recs = facts.recs_of(code)
            status = facts.status_counts(recs["recommendation_id"] if not recs.empty else [])
            row += [Cell(str(n), "num") for n in status.values()]
        rows.append(row)
    return slide(
        "table",
        "Recommendations to validate",
        lead(
            f"{facts.recommendation_count()} recommendations, each with a stable id, the "
            "evidence it rests on and an urgency: urge (an obligation not met), consider "
            "(partly met), invite (on track). The feedback form lists every one; the slides "
            "show each jurisdiction's top priorities."
        ),
        table(columns, rows, note=more(left_out)),
    )


def validation_slide(facts: PackFacts) -> Section:
    """How a delegation gives its decisions, and what happens to them."""
    end = agenda.clock(agenda.day_end(agenda.plan_day(facts.names)))
    decisions = {
        "Agreed:": "the recommendation stands as written.",
        "Amended:": "write the wording the delegation agrees to in Amended text.",
        "Rejected:": "give the reason in Reason.",
    }
    steps = [
        f"Before the close ({end}), each delegation hands its completed form to the workshop "
        "secretariat.",
        "The secretariat checks that every amended recommendation has its wording and every "
        "rejection its reason, and asks the delegation where one is missing.",
        "The next edition of the report shows every recommendation as agreed, amended or "
        "rejected; later editions show how progress is made.",
    ]
    return slide(
        "closing",
        "How the validation works",
        lead(
            "The feedback form has a sheet for each delegation, with its recommendations in "
            "priority order, and one for the regional recommendations."
        ),
        Heading("A decision on each recommendation discussed"),
        *[Paragraph(text, lead=key) for key, text in decisions.items()],
        Paragraph(
            "Add the delegate's name and the date. Leave the decision empty for a recommendation "
            "not discussed: it stays open for the next round."
        ),
        Heading("What happens next"),
        ListBlock.of(steps, ordered=True),
    )
