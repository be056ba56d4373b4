"""The parts of a jurisdiction's chapter: its sentences, tables and chart, one function each.

Each function reads the tables through `Facts` and numbers what it makes with the chapter's
`Numbering` (`num`), so the chapter (`jurisdiction.py`) only lays them out in reading order.
A function returns None (or an empty list) when the run holds nothing for the member: the
chapter then says so in words.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from wbtip_pipeline.presentation import charts, figures
from wbtip_pipeline.presentation.blocks import Cell, Figure, Numbering, Table
from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    cell_id,
    mask_counts_in_text,
)
from wbtip_pipeline.presentation.facts import CJ_INDICATORS, Facts, safe_href
from wbtip_pipeline.presentation.labels import (
    AGE_LABELS,
    FORM_LABELS,
    GAP_LABELS,
    INDICATOR_LABELS,
    INDICATOR_SHORT,
    SEX_LABELS,
    TIER_CODES,
)
from wbtip_pipeline.presentation.text import (
    as_str,
    is_nan,
    number_word,
    pct,
    published_share,
    share_range_text,
    signed_pct,
    years_text,
)
from wbtip_pipeline.report.sections.common import CHAPTER_YEARS
from wbtip_pipeline.vocab import DATED_AFTER_YEARS, FORMS, INDICATORS, RANKABLE_COVERAGE


def pct_change(slope) -> str:
    """A log-linear slope as a change a year: "+13%", "−9%" (a true minus sign)."""
    if is_nan(slope):
        return NOT_REPORTED_TEXT
    return signed_pct((math.exp(float(slope)) - 1) * 100)


def _member_rows(f: Facts, code: str, year: int | None = None):
    h = f.h
    if h.empty:
        return None
    rows = h[h["jurisdiction"] == code]
    return rows if year is None else rows[rows["year"] == year]


# --- intro ------------------------------------------------------------------------------


def intro(f: Facts, code: str, years: list[int]) -> list[str]:
    """What the member reported, its latest figure and the direction of its detected victims."""
    name = f.names.of(code)
    if not years:
        return [f"The warehouse holds no statistics for {name}."]
    out = []
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    text = f"{name} reported statistics for {years_text(years)}"
    text += f" (no figures for {years_text(missing)})." if missing else "."
    out.append(text)
    latest = figures.latest_victims(f, code)
    if latest:
        out.append(
            f"In {latest['year']}, its latest year, it detected {latest['words']}"
            + (f" ({latest['rate']} per 100,000 inhabitants)." if latest["rate"] else ".")
        )
    verdict = figures.verdict_of(f, code)
    if verdict is not None:
        if verdict["direction"] == figures.NO_VERDICT:
            reason = mask_counts_in_text(verdict["reason"]) or ""
            out.append(f"The data cannot tell a direction for detected victims: {reason}.")
        else:
            out.append(
                f"Detected victims {verdict['phrase']} over {verdict['window']} "
                f"({verdict['estimate']}, the 95% interval of the yearly change)."
            )
    return out


# --- key figures ------------------------------------------------------------------------


def key_table(f: Facts, code: str, years: list[int], num: Numbering) -> Table | None:
    """Each indicator in the member's most recent years, and the rate of victims detected."""
    recent = years[-CHAPTER_YEARS:]
    if not recent:
        return None
    name = f.names.of(code)
    rows = [
        [Cell(INDICATOR_LABELS[ind], "rowhead")]
        + [f.count_cell(cell_id(code, y, ind)) for y in recent]
        for ind in INDICATORS
    ]
    rows.append(
        [Cell("Victims per 100,000 inhabitants", "rowhead note")]
        + [f.rate_cell(code, y) for y in recent]
    )
    return num.table(
        f"tab-{code}-key",
        f"{name}: key figures, {recent[0]}–{recent[-1]}",
        f.source_line("harmonised_statistics, trends", _member_rows(f, code)),
        ["Indicator", *[str(y) for y in recent]],
        rows,
        col_classes=["", *["num"] * len(recent)],
    )


def _breakdown_parts() -> list[tuple[str, str, dict]]:
    return (
        [("Sex", SEX_LABELS[s], {"sex": s}) for s in ("female", "male", "other", "unknown")]
        + [("Age", AGE_LABELS[a], {"age": a}) for a in ("child", "adult", "unknown")]
        + [
            (
                "Form of exploitation",
                FORM_LABELS[form],
                {"dimension": "exploitation", "category": form},
            )
            for form in FORMS
        ]
    )


def breakdown_table(f: Facts, code: str, num: Numbering) -> Table | None:
    """Victims of the latest year with a breakdown, by sex, age and form, with their shares."""
    parts = _breakdown_parts()
    makers = [lambda y, kw=kw: cell_id(code, y, "victims_detected", **kw) for _, _, kw in parts]
    year = f.latest_with(code, makers)
    if year is None:
        return None
    total_cell = cell_id(code, year, "victims_detected")
    total = f.bounds(total_cell)
    skipped = []  # (code, year, breakdown) whose parts add up to more than the total
    rows = [
        [
            Cell("Total", "rowhead total"),
            Cell(""),
            f.count_cell(total_cell),
            Cell("100%" if total else NOT_REPORTED_TEXT, "num"),
        ]
    ]
    for (group, label, kw), maker in zip(parts, makers, strict=True):
        cid = maker(year)
        if cid not in f.dc.values:
            continue
        breakdown = figures.breakdown_of(kw)
        if figures.exceeds_total(f, code, year, breakdown):
            skipped.append((code, year, breakdown))
            share_text = "not used"
        else:
            share = published_share(f.bounds(cid), total)
            share_text = share_range_text(share) if share else NOT_REPORTED_TEXT
        rows.append(
            [
                Cell(group, "rowhead"),
                Cell(label),
                f.count_cell(cid),
                Cell(share_text, "num"),
            ]
        )
    return num.table(
        f"tab-{code}-breakdown",
        f"{f.names.of(code)}: victims detected in {year} by sex, age and form of exploitation",
        f.source_line("harmonised_statistics", _member_rows(f, code, year)),
        ["Breakdown", "Category", "Victims", "Share"],
        rows,
        col_classes=["", "", "num", "num"],
        note=(
            "Shares are ranges computed from the published counts; categories not reported are "
            "left out (absent is not zero)."
            + (" " + figures.exceeding_sentence(f, skipped) if skipped else "")
        ),
    )


# --- trends -----------------------------------------------------------------------------


def series_chart(f: Facts, code: str, years: list[int], num: Numbering) -> Figure | None:
    """Victims detected, persons prosecuted and convicted per year, over the member's span."""
    if not years:
        return None
    name = f.names.of(code)
    span = list(range(years[0], years[-1] + 1))
    series = {
        ind: {y: f.chart_bounds(cell_id(code, y, ind)) for y in span}
        for ind in ("victims_detected", *CJ_INDICATORS)
    }
    shown = [ind for ind, data in series.items() if any(data.values())]
    missing = [INDICATOR_SHORT[ind] for ind in series if ind not in shown]
    caption = (
        f"{name}: "
        + ", ".join(INDICATOR_LABELS[ind].lower() for ind in shown)
        + " per year"
        + (f" (not reported: persons {' or '.join(missing)})" if missing else "")
        + "."
    )
    return num.figure(
        charts.count_bars(
            f"fig-{code}-series",
            [charts.Panel(name, {INDICATOR_SHORT[i]: series[i] for i in shown})],
            span,
            caption=caption,
            source=f.source_line("harmonised_statistics", _member_rows(f, code)),
            alt=f"Bar chart of {', '.join(INDICATOR_SHORT[i] for i in shown)} per year "
            f"in {f.names.of(code, mark=False)}.",
            ncols=1,
            panel_height=2.2,
            colors={
                INDICATOR_SHORT["victims_detected"]: charts.PALETTE[0],
                INDICATOR_SHORT["persons_prosecuted"]: charts.PALETTE[1],
                INDICATOR_SHORT["persons_convicted"]: charts.PALETTE[5],
            },
        )
    )


def trend_table(f: Facts, code: str, num: Numbering) -> Table | None:
    """The verdict on each series over its five most recent reported years."""
    rows = []
    for ind, r in figures.trend_rows(f, code):
        verdict = figures.trend_verdict(r)
        direction = verdict["direction"]
        rows.append(
            [
                Cell(INDICATOR_LABELS[ind], "rowhead"),
                Cell(verdict["label"], f"verdict verdict-{direction}"),
                Cell(verdict["estimate"] or NOT_REPORTED_TEXT, "num"),
                Cell(years_text(int(y) for y in as_str(r["years_window"]).split(",") if y)),
                Cell(years_text(int(y) for y in as_str(r["years_used"]).split(",") if y)),
                Cell(mask_counts_in_text(as_str(r["reason"])) or ""),
            ]
        )
    if not rows:
        return None
    return num.table(
        f"tab-{code}-trends",
        f"{f.names.of(code)}: direction of each series over its five most recent reported years",
        f.source_line("trend_summary"),
        [
            "Indicator",
            "Verdict",
            "Estimate: change a year (95% interval)",
            "Window",
            "Exact years used",
            "Why the data cannot tell",
        ],
        rows,
        col_classes=["", "", "num", "", "", "small"],
        compact=True,
    )


# --- counter-trafficking mechanisms -----------------------------------------------------


@dataclass
class Mechanisms:
    """The member's checklist: items met, the domain table, a table per kind of gap, and the
    items no assessment covers."""

    n_items: int = 0
    n_met: int = 0
    met_years: list[int] = field(default_factory=list)  # the year of each item met
    n_met_dated: int = 0  # items met by dated evidence only
    domain_table: Table | None = None
    gap_tables: list[Table] = field(default_factory=list)
    no_evidence: list[str] = field(default_factory=list)


def _domain_table(f: Facts, code: str, num: Numbering) -> Table | None:
    ds = f.t["mechanism_domain_scores"]
    if ds.empty:
        return None
    d = ds[ds["jurisdiction"] == code]
    if d.empty:
        return None
    order = f.domain_order()
    d = d.assign(
        _o=d["domain"].map(lambda x: order.index(x) if x in order else len(order))
    ).sort_values(["_o", "domain"])
    rows = []
    for _, r in d.iterrows():
        rows.append(
            [
                Cell(str(r["domain"]), "rowhead"),
                Cell(str(int(r["n_items"])), "num"),
                Cell(str(int(r["n_known"])), "num"),
                Cell(str(int(r["n_unknown"])), "num"),
                Cell(str(int(r["n_conflict"])), "num"),
                Cell(pct(float(r["coverage_share"])), "num"),
                Cell(figures.domain_score_text(r), "num"),
                Cell(figures.domain_rank_text(f, r), "num"),
            ]
        )
    return num.table(
        f"tab-{code}-domains",
        f"{f.names.of(code)}: checklist scores by domain, with coverage",
        f.source_line("mechanism_domain_scores"),
        [
            "Domain",
            "Items",
            "Known",
            "Unknown",
            "Conflict",
            "Coverage",
            "Mean score",
            "Rank in region",
        ],
        rows,
        col_classes=["", "num", "num", "num", "num", "num", "num", "num"],
        note=(
            "Unknown items are left out of the mean, never counted as 0; a domain is ranked only "
            f"with at least {RANKABLE_COVERAGE:.0%} coverage. {figures.THIN_DOMAIN_NOTE}"
        ),
    )


def mechanisms(f: Facts, code: str, num: Numbering) -> Mechanisms:
    out = Mechanisms()
    if f.t["mechanism_domain_scores"].empty:
        return out
    out.domain_table = _domain_table(f, code, num)
    scores = f.t["mechanism_scores"]
    if not scores.empty:
        mine = scores["jurisdiction"] == code
        out.n_met = int((mine & (scores["score"] == 2)).sum())
        out.n_items = int(mine.sum())
        met = scores[mine & (scores["score"] == 2)]["year"].dropna()
        out.met_years = sorted(int(y) for y in met)
        out.n_met_dated = sum(f.citations.is_dated(y) for y in out.met_years)
    gaps = f.t["mechanism_gaps"]
    if gaps.empty:
        return out
    g = gaps[gaps["jurisdiction"] == code]
    name = f.names.of(code)
    for gap_type in ("not_met", "partly_met", "conflict"):
        part = g[g["gap_type"] == gap_type].sort_values("item_id")
        if part.empty:
            continue
        rows = [
            [
                Cell(str(r.item_id), "rowhead nowrap"),
                Cell(str(r.title)),
                Cell(str(r.domain)),
                _year_cell(f, r.year),
                Cell(as_str(r.evidence), "small"),
                _source_cell(f, r.source_url),
            ]
            for r in part.itertuples(index=False)
        ]
        dated = any(f.citations.is_dated(y) for y in part["year"])
        out.gap_tables.append(
            num.table(
                f"tab-{code}-gaps-{gap_type}",
                f"{name}: checklist items {GAP_LABELS[gap_type].lower()}",
                f.source_line(
                    "mechanism_gaps",
                    extra="evidence from the jurisdiction's assessment against the reference "
                    "checklist, with the year it describes and its publisher (the original "
                    "publisher of a copy), linked to the page it was read from",
                ),
                ["Item", "What the item asks for", "Domain", "Year", "Evidence", "Source"],
                rows,
                col_classes=["", "", "", "", "small", "small"],
                compact=True,
                note=f.citations.dated_note() if dated else "",
            )
        )
    none = g[g["gap_type"] == "no_evidence"].sort_values("item_id")
    out.no_evidence = [f"{r.item_id} {r.title}" for r in none.itertuples(index=False)]
    return out


def met_sentence(mech: Mechanisms) -> str:
    """How many items are met, with the years of the assessments that say so."""
    if not mech.n_met:
        return (
            f"None of the {mech.n_items} checklist items is met in law and practice by its most "
            "recent assessment; all are gaps or unknown, as below."
        )
    years = years_text(mech.met_years)
    if mech.n_met_dated:
        years += (
            f"; {number_word(mech.n_met_dated)} of them dated, from more than "
            f"{number_word(DATED_AFTER_YEARS)} years before the newest statistics"
        )
    verb = "is" if mech.n_met == 1 else "are"
    return (
        f"Of the {mech.n_items} checklist items, {mech.n_met} {verb} met in law and practice by "
        f"their latest assessment ({years}); the others are gaps or unknown, as below."
    )


def _year_cell(f: Facts, year) -> Cell:
    """The year an assessment describes: "2019", or "dated: 2011" (marked)."""
    if is_nan(year):
        return Cell(NOT_REPORTED_TEXT)
    return Cell(f.citations.year_text(year), "nowrap dated" if f.citations.is_dated(year) else "")


def _source_cell(f: Facts, source_url) -> Cell:
    """Who published the statement, in words, linked to the page it was read from."""
    cite = f.citations.cite(source_url)
    return Cell(cite.text, "small weak-source" if cite.weak else "small", href=cite.href)


# --- data gaps --------------------------------------------------------------------------


def data_gap_sentences(f: Facts, code: str) -> list[str]:
    gap = figures.data_gap(f, code)
    if gap is None:
        return []
    own = f"{as_str(gap['first_year'])}–{as_str(gap['last_year'])}"
    text = (
        f"{f.names.of(code)} leaves {gap['not_reported_text']} of the indicator, breakdown and "
        f"year combinations of the region's years ({figures.period(f)}) not reported, and "
        f"{gap['in_range_text']} of those between its own first and last reported years "
        f"({own}); {gap['suppressed_text']} of the cells it reports come from its own files as "
        f"{PRIMARY_TEXT} (the report also shows its exact counts below five as {PRIMARY_TEXT}). It "
        f"ranks {gap['rank']} of {gap['n_ranked']} from the widest data gap."
    )
    if gap["missing_years"]:
        missing = (int(float(y)) for y in gap["missing_years"].split(",") if y)
        text += f" No figure at all for {years_text(missing)}."
    return [text]


def data_gap_table(f: Facts, code: str, num: Numbering) -> Table | None:
    gaps = f.t["data_gaps"]
    if gaps.empty:
        return None
    g = gaps[(gaps["jurisdiction"] == code) & gaps["in_jurisdiction_range"].astype(bool)]
    if g.empty:
        return None
    breakdowns = list(dict.fromkeys(gaps["breakdown"]))
    rows = []
    for ind in INDICATORS:
        cells = [Cell(INDICATOR_LABELS[ind], "rowhead")]
        for b in breakdowns:
            part = g[(g["indicator"] == ind) & (g["breakdown"] == b)]
            reported = int((part["status"] != "not_reported").sum())
            cells.append(
                Cell(
                    f"{reported}/{len(part)}" if len(part) else NOT_REPORTED_TEXT,
                    "num" + (" missing" if reported == 0 else ""),
                )
            )
        rows.append(cells)
    return num.table(
        f"tab-{code}-data-gaps",
        f"{f.names.of(code)}: years reported out of the years in its range, by indicator and "
        "breakdown",
        f.source_line("data_gaps"),
        ["Indicator", *breakdowns],
        rows,
        col_classes=["", *["num"] * len(breakdowns)],
        compact=True,
    )


# --- the external view ------------------------------------------------------------------


def tier_sentence(f: Facts, code: str) -> str:
    """The tiers of the member in one sentence; empty when the run holds no tier at all."""
    tiers = f.t["us_tip_tiers"]
    if tiers.empty:
        return ""
    t = tiers[tiers["jurisdiction"] == code].sort_values("report_year")
    name = f.names.of(code)
    if t.empty:
        return f"No US TIP report tier is recorded for {name}."
    counts = Counter(t["tier"])
    latest = t.iloc[-1]
    return (
        f"The US Department of State placed {name} on "
        + ", ".join(
            f"{tier} in {n} edition{'s' if n > 1 else ''}" for tier, n in counts.most_common()
        )
        + f" of the {len(t)} editions on file ({years_text(t['report_year'])}); the latest, "
        f"{int(latest['report_year'])}, is {latest['tier']}."
    )


def tier_table(f: Facts, code: str, num: Numbering) -> Table | None:
    """One column per edition: the tier links to the page it was read from."""
    tiers = f.t["us_tip_tiers"]
    if tiers.empty:
        return None
    t = tiers[tiers["jurisdiction"] == code].sort_values("report_year")
    if t.empty:
        return None
    years = [str(int(y)) for y in t["report_year"]]
    row = [
        Cell(
            TIER_CODES.get(str(r.tier), str(r.tier))
            + ("†" if str(r.tier_inferred).lower() in ("yes", "true", "1") else ""),
            "tier",
            href=safe_href(r.source_url),
            title=as_str(r.source_url) or None,
        )
        for r in t.itertuples(index=False)
    ]
    return num.table(
        f"tab-{code}-tiers",
        f"{f.names.of(code)}: US TIP report tier by report year (T2WL: Tier 2 Watch List; † read "
        "from the next edition's wording); each tier links to the page it was read from",
        f.source_line(
            "us_tip_tiers",
            extra="the US Department of State's Trafficking in Persons reports, the page of "
            "each edition linked from its tier",
        ),
        ["Report year", *years],
        [[Cell("Tier", "rowhead"), *row]],
        compact=True,
        note=f.citations.sources_of_editions(t),
    )
