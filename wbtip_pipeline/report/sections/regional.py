"""Regional overview: victims detected, rates, the criminal-justice response, forms of
exploitation, sex and age, victim flows and the external view, across the region."""

from __future__ import annotations

import math
import textwrap

from wbtip_pipeline.presentation import charts, figures
from wbtip_pipeline.presentation.blocks import (
    Cell,
    Figure,
    Note,
    Numbering,
    Paragraph,
    Section,
    Table,
)
from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
    bounds_text,
    cell_id,
)
from wbtip_pipeline.presentation.facts import CJ_INDICATORS, Facts
from wbtip_pipeline.presentation.labels import (
    FORM_LABELS,
    INDICATOR_SHORT,
    PREVALENCE_CAVEAT,
    SUPPRESSION_CAVEAT,
    TIER_CODES,
    TIER_COLORS,
)
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import (
    number_word,
    published_share,
    share_range_text,
    sum_bounds,
    years_text,
)
from wbtip_pipeline.report.sections.common import TABLE_YEARS, start
from wbtip_pipeline.vocab import FORMS, SPECIAL_COUNTRY_CODES

CJ_YEARS = 12  # years in the criminal-justice chart
RATE_YEARS = 5  # years in the rate and criminal-justice tables
OTHER_COUNTRIES, UNKNOWN_COUNTRY = "Other countries", "Unknown / unnamed"


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.add(
        Note(
            f"{PREVALENCE_CAVEAT} National definitions, reporting agencies and years of "
            "coverage differ; a regional figure adds the jurisdictions that reported that year "
            "and says how many they are.",
            "caveat",
            lead="What these figures are.",
        ),
        Note(SUPPRESSION_CAVEAT, "caveat"),
    )
    years = f.years

    section.add(num.heading("Victims detected"))
    section.add(_region_chart(f, num), _victims_table(f, num), _jurisdiction_chart(f, num))

    section.add(
        num.heading("Rates per 100,000 inhabitants"),
        Paragraph(
            "A rate divides the count by the population of the same year (World Bank); where "
            "the count is a range, so is the rate. Rates make jurisdictions of different size "
            "comparable, but they still count identification, not trafficking."
        ),
    )
    section.add(_rate_chart(f, num, years), _rate_table(f, num, years[-RATE_YEARS:]))

    section.add(
        num.heading("Criminal-justice response"),
        Paragraph(
            "Prosecutions and convictions are counted in persons; the convictions of a year may "
            "follow prosecutions of earlier years, so the two are different cohorts."
        ),
    )
    section.add(_cj_chart(f, num, years[-CJ_YEARS:]), _cj_table(f, num, years[-RATE_YEARS:]))

    section.add(num.heading("Forms of exploitation"))
    section.add(
        *_breakdown_section(
            f,
            num,
            "forms",
            "exploitation",
            [(k, FORM_LABELS[k], {"dimension": "exploitation", "category": k}) for k in FORMS],
            "Forms of exploitation of the victims detected, latest year with the breakdown",
        )
    )

    section.add(num.heading("Sex and age"))
    section.add(
        *_breakdown_section(
            f,
            num,
            "profile",
            "sex and age",
            [
                ("female", "Female", {"sex": "female"}),
                ("male", "Male", {"sex": "male"}),
                ("child", "Children (0-17)", {"age": "child"}),
                ("adult", "Adults (18+)", {"age": "adult"}),
            ],
            "Sex and age of the victims detected, latest year with the breakdown",
            chart_parts=("female", "child"),
        )
    )

    section.add(
        num.heading("Victim flows between the jurisdictions"),
        Paragraph(
            "A flow is a victim's citizenship (origin) and the country where the victim was "
            "detected (destination). Jurisdictions report the citizenship of the victims they "
            "detect, and some report their nationals repatriated from abroad, which gives the "
            "reverse direction."
        ),
    )
    section.add(_flow_matrix(f, num) or Note("No victim flows in this run.", "empty"))

    section.add(num.heading("The external view"))
    section.add(_tier_chart(f, num) or Note("No US TIP tiers in this run.", "empty"))
    return section


# 2.1 victims detected -----------------------------------------------------------------------


def region_years(f: Facts) -> list[int]:
    """The years of the region's row, without gaps (else the years of the statistics)."""
    rows = f.trend_rows(f.region.code, "victims_detected")
    victim_years = [int(y) for y in rows["year"]] if not rows.empty else []
    return list(range(min(victim_years), max(victim_years) + 1)) if victim_years else f.years


def _region_chart(f: Facts, num: Numbering) -> Figure:
    code = f.region.code
    years = region_years(f)
    panel = charts.Panel(
        f"{f.region.full_name}: sum over the jurisdictions reporting",
        {
            "victims detected": {
                y: f.chart_bounds(cell_id(code, y, "victims_detected")) for y in years
            }
        },
        annotations={y: f"{len(f.reporting(y, 'victims_detected'))}/{len(f.codes)}" for y in years},
    )
    return num.figure(
        charts.count_bars(
            "fig-region-victims",
            [panel],
            years,
            caption=(
                f"Victims detected in the {f.region.name} per year: the sum over the "
                "jurisdictions that reported (their number is under each bar). A year with "
                f"fewer than {number_word(f.region.size)} is a partial sum, not a regional total."
            ),
            source=f.source_line(
                f"trends (jurisdiction {code})", f.trend_rows(code, "victims_detected")
            ),
            alt=(
                f"Bar chart of detected victims per year in the {f.region.name}, with the "
                "number of jurisdictions reporting."
            ),
            ncols=1,
            panel_height=2.3,
            colors={"victims detected": charts.PALETTE[0]},
        )
    )


def _victims_frame(f: Facts):
    return f.h[f.h["indicator"] == "victims_detected"] if not f.h.empty else None


def _victims_table(f: Facts, num: Numbering) -> Table:
    recent = f.years[-TABLE_YEARS:]
    rows = [
        [Cell(f.names.of(code), "rowhead")]
        + [f.count_cell(cell_id(code, y, "victims_detected")) for y in recent]
        for code in f.codes
    ]
    rows.append(
        [Cell(f"{f.region.code} (sum of those reporting)", "rowhead total")]
        + [f.count_cell(cell_id(f.region.code, y, "victims_detected")) for y in recent]
    )
    rows.append(
        [Cell("Jurisdictions reporting", "rowhead note")]
        + [
            Cell(f"{len(f.reporting(y, 'victims_detected'))} of {len(f.codes)}", "note")
            for y in recent
        ]
    )
    return num.table(
        "tab-victims",
        f"Victims detected by jurisdiction, {recent[0]}–{recent[-1]}"
        if recent
        else "Victims detected",
        f.source_line("harmonised_statistics, trends", _victims_frame(f)),
        ["Jurisdiction", *[str(y) for y in recent]],
        rows,
        col_classes=["", *["num"] * len(recent)],
    )


def _jurisdiction_chart(f: Facts, num: Numbering) -> Figure:
    years = f.years
    panels = [
        charts.Panel(
            f.names.of(code),
            {
                "victims detected": {
                    y: f.chart_bounds(cell_id(code, y, "victims_detected")) for y in years
                }
            },
        )
        for code in f.codes
    ]
    return num.figure(
        charts.count_bars(
            "fig-victims-by-jurisdiction",
            panels,
            years,
            caption=(
                "Victims detected per year in each jurisdiction (scales differ between panels; "
                "a missing bar is a year not reported, a 'c' a withheld figure)."
            ),
            source=f.source_line("harmonised_statistics", _victims_frame(f)),
            alt=(
                f"{number_word(f.region.size).capitalize()} small bar charts of detected "
                "victims per year, one per jurisdiction."
            ),
            colors={"victims detected": charts.PALETTE[0]},
        )
    )


# 2.2 rates ----------------------------------------------------------------------------------


def _rate_chart(f: Facts, num: Numbering, years: list[int]) -> Figure:
    series = {}
    for code in f.codes:
        data = {y: f.victim_rate(code, y) for y in years}
        series[f.names.of(code)] = {y: b for y, b in data.items() if b is not None}
    colors = {f.names.of(c): charts.PALETTE[i % len(charts.PALETTE)] for i, c in enumerate(f.codes)}
    return num.figure(
        charts.rate_bands(
            "fig-rates",
            series,
            caption=(
                "Victims detected per 100,000 inhabitants. A band is the range a count given "
                "as an interval allows; a line is an exact count."
            ),
            source=f.source_line(
                "harmonised_statistics, trends (population: World Bank SP.POP.TOTL)"
            ),
            alt=(
                "Line chart with bands of detected victims per 100,000 inhabitants per "
                "jurisdiction."
            ),
            colors=colors,
        )
    )


def _rowhead(f: Facts, code: str) -> Cell:
    return Cell(f.names.of(code), "rowhead" + (" total" if code == f.region.code else ""))


def _rate_table(f: Facts, num: Numbering, recent: list[int]) -> Table:
    rows = []
    for code in [*f.codes, f.region.code]:
        cells = [f.rate_cell(code, y) for y in recent]
        rows.append([_rowhead(f, code), *cells])
    return num.table(
        "tab-rates",
        "Victims detected per 100,000 inhabitants "
        f"({f.region.code}: over the jurisdictions reporting that year)",
        f.source_line(
            "trends",
            extra="rates recomputed from the published counts and the population of the same year",
        ),
        ["Jurisdiction", *[str(y) for y in recent]],
        rows,
        col_classes=["", *["num"] * len(recent)],
    )


# 2.3 criminal justice -----------------------------------------------------------------------


def _cj_chart(f: Facts, num: Numbering, years: list[int]) -> Figure:
    panels = [
        charts.Panel(
            f.names.of(code),
            {
                INDICATOR_SHORT[ind]: {y: f.chart_bounds(cell_id(code, y, ind)) for y in years}
                for ind in CJ_INDICATORS
            },
        )
        for code in f.codes
    ]
    return num.figure(
        charts.count_bars(
            "fig-criminal-justice",
            panels,
            years,
            caption=(
                "Persons prosecuted and persons convicted for trafficking per year (a year's "
                "convictions may follow prosecutions of earlier years)."
            ),
            source=f.source_line(
                "harmonised_statistics",
                f.h[f.h["indicator"].isin(CJ_INDICATORS)] if not f.h.empty else None,
            ),
            alt=(
                "Small bar charts of persons prosecuted and convicted per year in each "
                "jurisdiction."
            ),
            colors={
                INDICATOR_SHORT["persons_prosecuted"]: charts.PALETTE[1],
                INDICATOR_SHORT["persons_convicted"]: charts.PALETTE[5],
            },
        )
    )


def _cj_table(f: Facts, num: Numbering, recent: list[int]) -> Table:
    rows = [
        [_rowhead(f, code), Cell(INDICATOR_SHORT[ind])]
        + [f.count_cell(cell_id(code, y, ind)) for y in recent]
        for code in [*f.codes, f.region.code]
        for ind in CJ_INDICATORS
    ]
    return num.table(
        "tab-criminal-justice",
        f"Persons prosecuted and convicted, {recent[0]}–{recent[-1]}"
        if recent
        else "Criminal justice",
        f.source_line("harmonised_statistics, trends"),
        ["Jurisdiction", "Indicator", *[str(y) for y in recent]],
        rows,
        col_classes=["", "", *["num"] * len(recent)],
        compact=True,
    )


# 2.4 forms, 2.5 sex and age -----------------------------------------------------------------


def _breakdown_section(f: Facts, num: Numbering, key, what, parts, caption, chart_parts=None):
    """A range-bar chart of shares and a table of counts, per jurisdiction, for its latest year
    with the breakdown. A breakdown adding up to more than its total gives no share (its counts
    are shown as published), and a note names it."""
    chart_parts = chart_parts or [p[0] for p in parts]
    labels = {p[0]: p[1] for p in parts}
    rows, data, texts, table_rows, years = [], {}, {}, [], []
    skipped = []  # (code, year, breakdown) whose parts add up to more than the total
    for code in f.codes:
        makers = [
            lambda y, kw=kw, code=code: cell_id(code, y, "victims_detected", **kw)
            for _, _, kw in parts
        ]
        year = f.latest_with(code, makers)
        if year is None:
            continue
        row_label = f"{f.names.of(code)} ({year})"
        rows.append(row_label)
        years.append(year)
        total = f.bounds(cell_id(code, year, "victims_detected"))
        cells = [
            Cell(f.names.of(code), "rowhead"),
            Cell(str(year)),
            f.count_cell(cell_id(code, year, "victims_detected")),
        ]
        for part, maker in zip(parts, makers, strict=True):
            cid = maker(year)
            breakdown = figures.breakdown_of(part[2])
            exceeds = figures.exceeds_total(f, code, year, breakdown)
            share = None if exceeds else published_share(f.bounds(cid), total)
            if part[0] in chart_parts:
                data[(row_label, labels[part[0]])] = share
                if exceeds:
                    texts[(row_label, labels[part[0]])] = "not used: breakdown exceeds total"
                    skipped.append((code, year, breakdown))
                else:
                    texts[(row_label, labels[part[0]])] = (
                        share_range_text(share) if share else f.text(cid)
                    )
            cells.append(f.count_cell(cid))
        table_rows.append(cells)
    if years:  # "latest" always with its year(s): each jurisdiction's is beside its name
        caption += f" ({years_text(years)}, as given for each jurisdiction)"
    chart = num.figure(
        charts.share_ranges(
            f"fig-{key}",
            rows,
            [labels[p] for p in chart_parts],
            data,
            texts,
            caption=caption
            + ": share of the victims detected, as the range the published counts allow.",
            source=f.source_line(
                "harmonised_statistics", extra="shares computed from the published counts"
            ),
            alt=f"Horizontal range bars of the shares of victims by {what} per jurisdiction.",
        )
    )
    table = num.table(
        f"tab-{key}",
        caption + " (counts)",
        f.source_line("harmonised_statistics"),
        ["Jurisdiction", "Year", "Total", *[p[1] for p in parts]],
        table_rows,
        col_classes=["", "", "num", *["num"] * len(parts)],
        note=figures.exceeding_sentence(f, skipped),
    )
    return chart, table


# 2.6 flows ----------------------------------------------------------------------------------


def _flow_matrix(f: Facts, num: Numbering) -> Figure | None:
    """The matrix of victim flows over the last years (citizenship x country of detection)."""
    flows = f.t["victim_flows"]
    window = f.flow_window()
    if flows.empty or not window:
        return None
    part = flows[flows["year"].isin(window)]
    members = f.codes
    unnamed = {*SPECIAL_COUNTRY_CODES, *f.region.former_codes}

    def side(code: str) -> str:
        if code in members:
            return f.names.of(code)
        return UNKNOWN_COUNTRY if code in unnamed else OTHER_COUNTRIES

    part = part.assign(o=part["origin"].map(side), d=part["destination"].map(side))
    labels = [f.names.of(c) for c in members] + [OTHER_COUNTRIES, UNKNOWN_COUNTRY]
    colors, texts = [], []
    for r in labels:
        crow, trow = [], []
        for c in labels:
            color, text = _flow_cell(f, part[(part["o"] == r) & (part["d"] == c)])
            crow.append(color)
            trow.append(text)
        colors.append(crow)
        texts.append(trow)
    chart = charts.heatmap(
        "fig-flows",
        labels,
        [textwrap.fill(label, 12) for label in labels],
        colors,
        texts,
        caption=(
            f"Victim flows, {window[0]}–{window[-1]}: rows are the victims' citizenship, "
            "columns the country where they were detected (the reporting jurisdiction, or "
            "the country a jurisdiction's nationals were repatriated from); the diagonal is "
            "domestic trafficking. Each cell adds the published yearly figures, so a sum of "
            f"{PRIMARY_TEXT} cells is shown by its upper bound (≤); x+{SECONDARY_TEXT}: the "
            "published years add up to x, and a withheld year comes on top."
        ),
        source=f.source_line("victim_flows", part),
        alt=f"Matrix of victim flows between the {f.region.size_words()} and other countries.",
        xlabel="detected in",
        ylabel="citizenship of the victims",
        cell_height=0.3,
        legend=[
            (f"{PRIMARY_TEXT} (0 to {THRESHOLD - 1})", "#f3e3b3"),
            ("more: darker", charts.sequential_color(0.6)),
            (f"includes a withheld figure ({SECONDARY_TEXT})", "#d0d0d0"),
        ],
    )
    return num.figure(chart)


def _flow_cell(f: Facts, rows) -> tuple[str | None, str]:
    """The colour and text of one cell of the flow matrix: the sum of the published figures."""
    if rows.empty:
        return None, ""
    cells = f.flow_cells(rows)
    statuses = [f.dc.status(x) for x in cells]
    f.shown.update(cells)
    published = [f.dc.bounds(x) for x in cells if f.dc.status(x) != "secondary"]
    total = sum_bounds(published) if published else (0, 0)
    if "secondary" in statuses:
        # what the published years add up to, and a withheld year on top
        return "#d0d0d0", (
            f"{bounds_text(total)}+{SECONDARY_TEXT}" if published else SECONDARY_TEXT
        )
    color = (
        "#f3e3b3"
        if total[1] < THRESHOLD
        else charts.sequential_color(math.log1p(total[1]), math.log1p(500))
    )
    return color, bounds_text(total)


# 2.7 the external view ----------------------------------------------------------------------


def _tier_chart(f: Facts, num: Numbering) -> Figure | None:
    tiers = f.t["us_tip_tiers"]
    if tiers.empty:
        return None
    years = list(range(int(tiers["report_year"].min()), int(tiers["report_year"].max()) + 1))
    colors, texts = [], []
    for code in f.codes:
        rows = tiers[tiers["jurisdiction"] == code].set_index("report_year")
        crow, trow = [], []
        for y in years:
            if y not in rows.index:
                crow.append(None)
                trow.append("")
                continue
            tier = TIER_CODES.get(str(rows.loc[y, "tier"]), str(rows.loc[y, "tier"]))
            inferred = str(rows.loc[y, "tier_inferred"]).lower() in ("yes", "true", "1")
            crow.append(TIER_COLORS.get(tier))
            trow.append(tier + ("†" if inferred else ""))
        colors.append(crow)
        texts.append(trow)
    return num.figure(
        charts.heatmap(
            "fig-tiers",
            [f.names.of(c) for c in f.codes],
            [str(y) for y in years],
            colors,
            texts,
            caption=(
                "US Department of State Trafficking in Persons report: tier by report year "
                "(T2WL: Tier 2 Watch List); † read from the next edition's wording; "
                "empty: that edition's tier was not collected in the reference data, which does "
                "not mean the jurisdiction went unrated."
            ),
            source=(
                "Source: reference table us_tip_tiers, from the US Department of State's "
                "Trafficking in Persons reports (each edition's page is linked in the "
                "jurisdiction chapters)."
            ),
            alt="Grid of US TIP report tiers per jurisdiction and report year.",
            legend=[(tier, TIER_COLORS[c]) for tier, c in TIER_CODES.items()],
            rotate_columns=True,
        )
    )
