"""The figures that the report and the workshop pack both print, one function each.

A figure that appears in more than one place (a trend verdict and its estimate, a member's
latest detected victims, its share of data not reported, the counts of recommendations and of
checklist items, a domain score, whether a breakdown may give shares) is computed here once, so
that the summary, a chapter, a slide and a brief cannot print two numbers for one thing.
`wbtip_pipeline_tests/presentation/test_figures.py` checks that they do not, on the bundled
tables. The functions read a `Facts` (`presentation/facts.py`) and return values and words.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    SECONDARY_TEXT,
    cell_id,
    count_words,
)
from wbtip_pipeline.presentation.labels import DIRECTION_LABELS, GAP_LABELS
from wbtip_pipeline.presentation.text import (
    as_str,
    is_nan,
    pct,
    rate_text,
    signed_pct,
)
from wbtip_pipeline.transforms.consistency import exceeding_breakdowns
from wbtip_pipeline.vocab import INDICATORS, MIN_DOMAIN_ITEMS, RANKABLE_COVERAGE, URGENCIES

if TYPE_CHECKING:
    from wbtip_pipeline.presentation.facts import Facts

NO_VERDICT = "insufficient_data"

# --- trends: a verdict is never printed without its estimate -----------------------------------


def change_text(value: float) -> str:
    """A yearly change in percent: "+19%", "−34%"; one decimal below 1% ("−0.2%"), so that the
    end of an interval near 0 never reads as 0."""
    if is_nan(value):
        return NOT_REPORTED_TEXT
    value = float(value)
    if value != 0 and abs(value) < 0.5:
        return f"{value:+.1f}%".replace("-", "−")
    return signed_pct(value)


def _pct_of(row, column: str, slope: str) -> float:
    """A column of trend_summary in percent a year, from the slope when the column is absent."""
    value = row.get(column)
    if not is_nan(value):
        return float(value)
    s = row.get(slope)
    return math.nan if is_nan(s) else (math.exp(float(s)) - 1) * 100


def trend_change(row) -> tuple[float, float, float]:
    """(the yearly change, the low and the high end of its 95% interval) in percent a year; NaN
    where the row has none. `trend_estimate` prints them; a translated brief formats them."""
    return (
        _pct_of(row, "annual_change_pct", "slope_per_year"),
        _pct_of(row, "annual_change_ci_low_pct", "slope_ci_low"),
        _pct_of(row, "annual_change_ci_high_pct", "slope_ci_high"),
    )


def trend_estimate(row) -> str:
    """The estimate a verdict is printed with: "+19% a year, interval −0.2% to +42%" (the 95%
    interval of the yearly change); empty when the series carries no verdict."""
    if str(row.get("direction")) == NO_VERDICT:
        return ""
    change, low, high = trend_change(row)
    if is_nan(change):
        return ""
    text = f"{change_text(change)} a year"
    if not (is_nan(low) or is_nan(high)):
        text += f", interval {change_text(low)} to {change_text(high)}"
    return text


# a verdict in a sentence: "detected victims were rising", "... showed no clear trend"
VERDICT_PHRASES = {
    "rising": "were rising",
    "falling": "were falling",
    "stable": "were stable",
    "no_clear_trend": "showed no clear trend",
}


def trend_verdict(row) -> dict:
    """One row of trend_summary as every document prints it: `label` ("no clear trend"),
    `estimate` (`trend_estimate`) and `text`, the two together: "no clear trend (+19% a year,
    interval −0.2% to +42%)"."""
    direction = str(row.get("direction"))
    label = DIRECTION_LABELS.get(direction, direction.replace("_", " "))
    estimate = trend_estimate(row)
    return {
        "direction": direction,
        "label": label,
        "estimate": estimate,
        "text": f"{label} ({estimate})" if estimate else label,
        "phrase": VERDICT_PHRASES.get(direction, f"showed {label}"),
        "window": f"{as_str(row.get('first_year'))}–{as_str(row.get('last_year'))}",
        "reason": as_str(row.get("reason")),
    }


def trend_rows(f: Facts, code: str) -> list[tuple[str, pd.Series]]:
    """[(indicator, trend_summary row)] of a jurisdiction (or the region), in indicator order."""
    ts = f.t["trend_summary"]
    if ts.empty:
        return []
    mine = ts[ts["jurisdiction"] == code]
    return [
        (ind, mine[mine["indicator"] == ind].iloc[0])
        for ind in INDICATORS
        if (mine["indicator"] == ind).any()
    ]


def verdict_of(f: Facts, code: str, indicator: str = "victims_detected") -> dict | None:
    """`trend_verdict` of one series, None when trend_summary has no row for it."""
    rows = dict(trend_rows(f, code))
    return trend_verdict(rows[indicator]) if indicator in rows else None


# --- a member's latest year ---------------------------------------------------------------------


def latest_victims(f: Facts, code: str) -> dict | None:
    """The member's latest year with a total of detected victims on file: `year`, published
    `bounds` (None when withheld), `words` ("159 victims", `[c]`), `rate` (text or None)."""
    years = [
        y
        for y in f.years_of(code, "victims_detected")
        if cell_id(code, y, "victims_detected") in f.dc.values
    ]
    if not years:
        return None
    year = years[-1]
    bounds = f.bounds(cell_id(code, year, "victims_detected"))
    rate = f.victim_rate(code, year)
    return {
        "year": year,
        "bounds": bounds,
        "words": SECONDARY_TEXT if bounds is None else count_words(*bounds),
        "rate": rate_text(rate) if rate else None,
    }


def period(f: Facts) -> str:
    """The years of the statistics on file: "2003–2021"."""
    return f"{f.first_year}–{f.last_year}" if f.years else ""


# --- data gaps ----------------------------------------------------------------------------------


def data_gap(f: Facts, code: str) -> dict | None:
    """A member's data gap from data_gap_summary. `not_reported` is THE share of data not
    reported: indicator, breakdown and year combinations without a figure over the region's
    years, the measure `rank` ranks by (1 = widest gap); `in_range` the same within the
    member's own first and last reported years; `suppressed` its reported cells given as <5."""
    summary = f.t["data_gap_summary"]
    if summary.empty:
        return None
    rows = summary[summary["jurisdiction"] == code]
    if rows.empty:
        return None
    r = rows.iloc[0]

    def share(column: str) -> float | None:
        return None if is_nan(r[column]) else float(r[column])

    out = {
        "not_reported": share("share_not_reported"),
        "in_range": share("share_not_reported_in_range"),
        "suppressed": share("share_suppressed"),
        "rank": int(r["rank_worst_first"]),
        "n_ranked": len(summary),
        "first_year": None if is_nan(r["first_year"]) else int(r["first_year"]),
        "last_year": None if is_nan(r["last_year"]) else int(r["last_year"]),
        "missing_years": as_str(r["missing_years"]),
    }
    out["not_reported_text"] = pct(out["not_reported"])
    out["in_range_text"] = pct(out["in_range"])
    out["suppressed_text"] = pct(out["suppressed"])
    return out


def widest_data_gap(f: Facts) -> str | None:
    """The member ranked first in data_gap_summary (the widest gap)."""
    summary = f.t["data_gap_summary"]
    if summary.empty:
        return None
    return str(summary.sort_values("rank_worst_first").iloc[0]["jurisdiction"])


# --- recommendations ----------------------------------------------------------------------------


def recommendation_counts(f: Facts, code: str | None = None) -> dict[str, int]:
    """{"total", "top", and each urgency} over the run's recommendations, or those addressed to
    `code` (a member, or REGIONAL)."""
    recs = f.recs() if code is None else f.recs_of(code)
    if recs.empty:
        return {"total": 0, "top": 0, **dict.fromkeys(URGENCIES, 0)}
    urgency = recs["urgency"].astype(str).value_counts()
    return {
        "total": len(recs),
        "top": int(recs["top_priority"].fillna(False).astype(bool).sum()),
        **{u: int(urgency.get(u, 0)) for u in URGENCIES},
    }


# --- the checklist --------------------------------------------------------------------------------


def checklist_counts(f: Facts, code: str) -> dict[str, int]:
    """{"items", "met", and each gap type} of a member's checklist: items assessed or not
    (mechanism_scores), met in law and practice (score 2), and its gaps (mechanism_gaps)."""
    scores, gaps = f.t["mechanism_scores"], f.t["mechanism_gaps"]
    out = {"items": 0, "met": 0, **dict.fromkeys(GAP_LABELS, 0)}
    if not scores.empty:
        mine = scores[scores["jurisdiction"] == code]
        out["items"], out["met"] = len(mine), int((mine["score"] == 2).sum())
    if not gaps.empty:
        counts = gaps.loc[gaps["jurisdiction"] == code, "gap_type"].value_counts()
        out.update({k: int(counts.get(k, 0)) for k in GAP_LABELS})
    return out


def gap_counts_text(counts: dict[str, int]) -> str:
    """ "3 not met, 5 partly met, 8 no evidence": the gaps of `checklist_counts`, none left out
    silently (a kind of gap with no item is not named)."""
    return ", ".join(f"{counts[k]} {GAP_LABELS[k].lower()}" for k in GAP_LABELS if counts.get(k))


def checklist_coverage(f: Facts) -> float | None:
    """The share of jurisdiction x checklist item pairs with a known score, over every domain
    (the `coverage_share` of mechanism_domain_scores, pooled)."""
    ds = f.t["mechanism_domain_scores"]
    if ds.empty or not ds["n_items"].sum():
        return None
    return float(ds["n_known"].sum() / ds["n_items"].sum())


# --- domain scores: a score resting on few items says how few ------------------------------------


def thin_domain(n_known: int, n_items: int) -> bool:
    """A domain score resting on fewer than `MIN_DOMAIN_ITEMS` known items, or on less than
    `RANKABLE_COVERAGE` of the domain's items."""
    return n_known < MIN_DOMAIN_ITEMS or (n_items > 0 and n_known / n_items < RANKABLE_COVERAGE)


def items_known(n_known: int, n_items: int, short: bool = False, brackets: bool = True) -> str:
    """ "(3 of 7 items known)", or "(3 of 7 known)" where room is short."""
    text = f"{n_known} of {n_items} {'known' if short else 'items known'}"
    return f"({text})" if brackets else text


def domain_score_text(row) -> str:
    """A domain's mean score, "1.50 of 2", with how few items it rests on when they are few:
    "1.67 of 2 (3 of 7 items known)"; "–" when no item is known."""
    n_known, n_items = int(row["n_known"]), int(row["n_items"])
    score = row["mean_score"]
    text = NOT_REPORTED_TEXT if is_nan(score) else f"{float(score):.2f} of 2"
    return f"{text} {items_known(n_known, n_items)}" if thin_domain(n_known, n_items) else text


def domain_share_text(row, short: bool = False, sep: str = " ") -> str:
    """The same as a share of the maximum: "75%", "83% (3 of 7 items known)", or where room is
    short "83% (3 of 7 known)"; "?" when no item is known. `sep` goes before the brackets."""
    n_known, n_items = int(row["n_known"]), int(row["n_items"])
    share = row["score_share"]
    text = "?" if is_nan(share) else f"{float(share):.0%}"
    if thin_domain(n_known, n_items):
        return f"{text}{sep}{items_known(n_known, n_items, short)}"
    return text


def domain_rank(f: Facts, row) -> tuple[int, int] | None:
    """(the rank, how many jurisdictions are ranked in the domain), None when not ranked."""
    ds = f.t["mechanism_domain_scores"]
    if is_nan(row["rank"]):
        return None
    ranked = int((ds["rankable"].astype(bool) & (ds["domain"] == row["domain"])).sum())
    return int(row["rank"]), ranked


def domain_rank_text(f: Facts, row) -> str:
    """ "2 of 4" (among the jurisdictions ranked in the domain) or "not ranked"."""
    rank = domain_rank(f, row)
    return "not ranked" if rank is None else f"{rank[0]} of {rank[1]}"


THIN_DOMAIN_NOTE = (
    f"A score resting on fewer than {MIN_DOMAIN_ITEMS} known items, or on less than "
    f"{RANKABLE_COVERAGE:.0%} of the domain's items, says how many it rests on."
)


# --- breakdowns that exceed their total are never used for shares --------------------------------


def breakdown_of(parts: dict) -> str:
    """The breakdown a cell belongs to, from its `cell_id` keywords: sex, age or the dimension."""
    if parts.get("sex", "total") != "total":
        return "sex"
    if parts.get("age", "total") != "total":
        return "age"
    return str(parts.get("dimension", "total"))


def exceeding(f: Facts) -> set[tuple[str, int, str, str]]:
    """{(jurisdiction, year, indicator, breakdown)} whose parts add up to more than their total
    (`breakdown_exceeds_total` in data_quality_issues), computed once per `Facts`."""
    found = getattr(f, "_exceeding", None)
    if found is None:
        found = exceeding_breakdowns(f.h) if not f.h.empty else set()
        f._exceeding = found
    return found


def exceeds_total(
    f: Facts, code: str, year: int, breakdown: str, indicator: str = "victims_detected"
) -> bool:
    return (code, int(year), indicator, breakdown) in exceeding(f)


def exceeding_sentence(f: Facts, skipped: list[tuple[str, int, str]]) -> str:
    """Words for the jurisdiction-years left out of shares: "Not used for shares: Serbia 2021
    (the sex breakdown adds up to more than the total)."""
    if not skipped:
        return ""
    items = [
        f"{f.names.of(code)} {year} (the {breakdown} breakdown adds up to more than the total)"
        for code, year, breakdown in dict.fromkeys(skipped)
    ]
    return (
        "Not used for shares: "
        + "; ".join(items)
        + ". Such a breakdown contradicts its total (a finding of the data quality annex); its "
        "counts are shown as published."
    )
