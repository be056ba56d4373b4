"""Schemas of the analytics tables: one pandera schema per table, its grain in the description,
a description per column (warehouse column comments, data dictionary), cross-column rules as
checks. `ANALYTICS_SCHEMAS` maps each table name to its schema.

Conventions: counts are intervals `<name>_low` .. `<name>_high` (`<5` is 0..4); a numeric column
is NaN (or <NA>) where the figure is unknown, never 0; column names carry their unit
(`_per_100k`, `_share`, `_pct`).
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.vocab import (
    ATTRITION,
    BREAKDOWNS,
    DATA_STATUSES,
    FLOW_DIRECTIONS,
    FLOW_TYPES,
    GAP_TYPES,
    INDICATORS,
    ISO3_PATTERN,
    MECHANISM_STATUSES,
    MIN_SHARED_GAP,
    OPPORTUNITY_TYPES,
    RANKABLE_COVERAGE,
    REGION_CODE_PATTERN,
    SCORES,
    SHARES,
    STABLE_BAND,
    TREND_DIRECTIONS,
)
from wbtip_pipeline.vocab import SPECIAL_COUNTRY_CODES as _SPECIAL

_TOL = 1e-9
_ISO3 = rf"^{ISO3_PATTERN}$"
# a member's code, or the code of the region's aggregate rows (its short name in region.yaml)
_PLACE = rf"^({ISO3_PATTERN}|{REGION_CODE_PATTERN})$"
_COUNTRY = rf"^{ISO3_PATTERN}$|^(" + "|".join(_SPECIAL) + ")$"
# how the region's rows are named in the descriptions (the code itself: the data dictionary)
_REGION = "the region's code"
_YEARS_TEXT = r"^(\d{4}(,\d{4})*)?$"


# --- reusable pieces ----------------------------------------------------------------------


def _ordered(low: str, high: str) -> pa.Check:
    return pa.Check(
        lambda df: df[low].isna() | df[high].isna() | (df[low] <= df[high] + _TOL),
        error=f"{low} must not exceed {high}",
    )


def _implies(name: str, condition, consequence) -> pa.Check:
    """A row-wise rule `condition => consequence`, both functions of the frame."""
    return pa.Check(lambda df: ~condition(df) | consequence(df), error=name)


def _jurisdiction(
    description: str = "ISO 3166-1 alpha-3 code of the jurisdiction (XKX: Kosovo)",
) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(_ISO3), description=description)


def _year(description: str = "the year the figures describe", nullable: bool = False) -> pa.Column:
    dtype = "Int64" if nullable else "int64"
    return pa.Column(
        dtype, pa.Check.in_range(1990, 2100), nullable=nullable, description=description
    )


def _float(description: str, checks=None) -> pa.Column:
    return pa.Column("float64", checks, nullable=True, description=description)


def _share(description: str) -> pa.Column:
    return _float(description, pa.Check.in_range(0.0, 1.0))


def _text(description: str, nullable: bool = True) -> pa.Column:
    return pa.Column(object if nullable else str, nullable=nullable, description=description)


# --- trends -------------------------------------------------------------------------------

_SHARE_TEXT = {
    "female": "female victims (sex `female`)",
    "child": "children (age 0-17)",
    "sexual_exploitation": "persons in sexual exploitation",
    "forced_labour": "persons in forced labour",
    "other_exploitation": "persons in other forms of exploitation",
    "nationals": "the jurisdiction's own nationals (citizenship = jurisdiction)",
    "foreign": (
        "foreign citizens (citizenship another country; UNKNOWN, ABROAD and former states such as"
        " YUG excluded)"
    ),
}
_ATTRITION_TEXT = {
    "convictions_per_prosecution": (
        "persons convicted per person prosecuted in the same year (on the persons_convicted row; "
        "can exceed 1: different cohorts)"
    ),
    "prosecutions_per_victim": (
        "persons prosecuted per detected victim in the same year (on the persons_prosecuted row)"
    ),
}


def _ratio_columns() -> dict[str, pa.Column]:
    columns: dict[str, pa.Column] = {}
    for share in SHARES:
        for bound in ("low", "high"):
            columns[f"{share}_share_{bound}"] = _share(
                f"{bound} bound of the share of {_SHARE_TEXT[share]} in the row's count: "
                "[low_num / high_total, high_num / low_total] clipped to [0, 1]; empty when the "
                "breakdown is not reported, adds up to more than the total "
                "(breakdown_exceeds_total in data_quality_issues) or the total's low bound is 0. "
                "For the region: pooled over the jurisdictions reporting both the breakdown and "
                "the total"
            )
    for measure, _, _ in ATTRITION:
        for bound in ("low", "high"):
            columns[f"{measure}_{bound}"] = _float(
                f"{bound} bound of {_ATTRITION_TEXT[measure]}: [low_num / high_den, high_num / "
                "low_den]; empty when either is not reported or the denominator's low bound is 0. "
                "For the region: pooled over the jurisdictions reporting both",
                pa.Check.ge(0.0),
            )
    return columns


def _yoy_within_bounds(df: pd.DataFrame) -> pd.Series:
    point = df["yoy_change"]
    return point.isna() | (
        (df["yoy_change_low"] <= point + _TOL) & (point <= df["yoy_change_high"] + _TOL)
    )


def _region_lists(df: pd.DataFrame) -> pd.Series:
    listed = df["jurisdictions_reporting"].str.split(",").str.len()
    region = ~df["jurisdiction"].str.fullmatch(ISO3_PATTERN)
    own = region | (df["jurisdictions_reporting"] == df["jurisdiction"])
    return own & (listed == df["n_jurisdictions_reporting"])


trends_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(
            str,
            pa.Check.str_matches(_PLACE),
            description=(
                f"ISO 3166-1 alpha-3 code of the jurisdiction (XKX: Kosovo), or {_REGION} for "
                "the region's rows"
            ),
        ),
        "year": _year(),
        "indicator": pa.Column(
            str, pa.Check.isin(INDICATORS), description="what is counted: " + ", ".join(INDICATORS)
        ),
        "jurisdictions_reporting": pa.Column(
            str,
            description=(
                "the jurisdictions whose figures make up the row, comma-joined; for the region, "
                "those that reported this indicator in this year (the others are not counted as 0)"
            ),
        ),
        "n_jurisdictions_reporting": pa.Column(
            "int64", pa.Check.ge(1), description="how many jurisdictions make up the row"
        ),
        "value_low": pa.Column(
            "int64",
            pa.Check.ge(0),
            description=(
                "lower bound of the count (total, all sexes and ages); for the region the sum of "
                "the lows"
            ),
        ),
        "value_high": pa.Column(
            "int64",
            pa.Check.ge(0),
            description="upper bound of the count; equal to value_low when exact; <5 gives 0..4",
        ),
        "value_exact": pa.Column(bool, description="true when value_low equals value_high"),
        "population": _float(
            "population of the same year (World Bank SP.POP.TOTL); for the region, of the "
            "jurisdictions reporting; empty when a year has none",
            pa.Check.gt(0),
        ),
        "rate_per_100k_low": _float(
            "lower bound of the count per 100,000 inhabitants (value_low / population * 100,000)",
            pa.Check.ge(0),
        ),
        "rate_per_100k_high": _float(
            "upper bound of the count per 100,000 inhabitants (value_high / population * 100,000)",
            pa.Check.ge(0),
        ),
        "yoy_change_low": _float(
            "lower bound of the change against the previous calendar year (value_low - "
            "previous value_high); empty when that year is not reported (region: or reported "
            "by other jurisdictions)"
        ),
        "yoy_change_high": _float(
            "upper bound of the change against the previous calendar year (value_high - "
            "previous value_low)"
        ),
        "yoy_change": _float(
            "change against the previous calendar year; only when both years are exact (rule:"
            " an interval makes the change unknowable), else empty"
        ),
        "yoy_change_pct": _float(
            "yoy_change as a percentage of the previous year's count; empty when yoy_change "
            "is, or the previous count is 0"
        ),
        "rolling_mean_3y_low": _float(
            (
                "mean of value_low over this and the two previous calendar years; empty unless "
                "all three are reported (region: by the same jurisdictions)"
            ),
            pa.Check.ge(0),
        ),
        "rolling_mean_3y_high": _float(
            "mean of value_high over the same three years", pa.Check.ge(0)
        ),
        "rolling_mean_exact": pa.Column(
            "boolean",
            nullable=True,
            description=(
                "true when the three counts of the rolling mean are all exact; empty when there "
                "is no rolling mean"
            ),
        ),
        **_ratio_columns(),
        "source_files": pa.Column(
            str,
            pa.Check.str_length(min_value=1),
            description="the source files of the row's figures, joined by '; '",
        ),
        "note": _text("caveats of the row in words: a partial regional sum, a missing population"),
    },
    checks=[
        _ordered("value_low", "value_high"),
        _ordered("rate_per_100k_low", "rate_per_100k_high"),
        _ordered("yoy_change_low", "yoy_change_high"),
        _ordered("rolling_mean_3y_low", "rolling_mean_3y_high"),
        *[_ordered(f"{s}_share_low", f"{s}_share_high") for s in SHARES],
        *[_ordered(f"{m}_low", f"{m}_high") for m, _, _ in ATTRITION],
        pa.Check(
            lambda df: df["value_exact"] == (df["value_low"] == df["value_high"]),
            error="value_exact must say whether value_low equals value_high",
        ),
        pa.Check(_yoy_within_bounds, error="yoy_change must lie within its bounds"),
        _implies(
            "yoy_change only for an exact count",
            lambda df: df["yoy_change"].notna(),
            lambda df: df["value_exact"],
        ),
        _implies(
            "a rate needs a population",
            lambda df: df["rate_per_100k_low"].notna(),
            lambda df: df["population"].notna(),
        ),
        pa.Check(
            _region_lists,
            error=(
                "jurisdictions_reporting must list n_jurisdictions_reporting codes (the row's own"
                " code outside the region)"
            ),
        ),
    ],
    unique=["jurisdiction", "year", "indicator"],
    strict=True,
    ordered=True,
    name="trends",
    description=(
        "One row per jurisdiction (and the region) x year x indicator reported: the "
        "count as bounds, the rate per 100,000, year-on-year change, 3-year rolling mean, shares "
        "among the counted persons and criminal-justice attrition, all as bounds."
    ),
)


# --- trend_summary ------------------------------------------------------------------------


def _direction_matches_interval(df: pd.DataFrame) -> pd.Series:
    low, high, d = df["slope_ci_low"], df["slope_ci_high"], df["direction"]
    around_zero = (low <= 0) & (high >= 0)
    # the interval of the yearly change, exp(slope) - 1, within +-STABLE_BAND
    within = (low >= math.log(1 - STABLE_BAND) - _TOL) & (high <= math.log(1 + STABLE_BAND) + _TOL)
    return (
        ((d == "rising") & (low > 0))
        | ((d == "falling") & (high < 0))
        | ((d == "stable") & around_zero & within)
        | ((d == "no_clear_trend") & around_zero & ~within)
        | (d == "insufficient_data")
    )


def _pct_matches_slope(pct: str, slope: str):
    def check(df: pd.DataFrame) -> pd.Series:
        expected = (df[slope].map(math.exp) - 1) * 100
        both_empty = df[pct].isna() & df[slope].isna()
        return both_empty | ((df[pct] - expected).abs() <= 1e-6 * (1 + expected.abs()))

    return pa.Check(check, error=f"{pct} must be (exp({slope}) - 1) * 100")


def _window_counts(df: pd.DataFrame) -> pd.Series:
    n = df["years_window"].str.split(",").str.len()
    return n == df["n_exact_years"] + df["n_suppressed_years"]


trend_summary_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(
            str, pa.Check.str_matches(_PLACE), description=f"jurisdiction code, or {_REGION}"
        ),
        "indicator": pa.Column(str, pa.Check.isin(INDICATORS), description="what is counted"),
        "direction": pa.Column(
            str,
            pa.Check.isin(TREND_DIRECTIONS),
            description=(
                "the verdict, by the 95% interval of the yearly change: rising or falling when "
                "it excludes 0; stable only when the whole interval lies within "
                f"±{STABLE_BAND:.0%} a year; no_clear_trend when it contains 0 but reaches "
                "beyond that; insufficient_data when the data cannot tell (see reason). Printed "
                "with its estimate: annual_change_pct and its interval"
            ),
        ),
        "slope_per_year": _float(
            "yearly change of the log rate (log count when there is no population), from the "
            "regression"
        ),
        "slope_ci_low": _float("lower end of the 95% interval of slope_per_year"),
        "slope_ci_high": _float("upper end of the 95% interval of slope_per_year"),
        "annual_change_pct": _float(
            "the slope as a yearly percentage change: (exp(slope) - 1) * 100"
        ),
        "annual_change_ci_low_pct": _float(
            "lower end of the 95% interval of annual_change_pct: (exp(slope_ci_low) - 1) * 100"
        ),
        "annual_change_ci_high_pct": _float(
            "upper end of the 95% interval of annual_change_pct: (exp(slope_ci_high) - 1) * 100"
        ),
        "first_year": _year("first year of the window (the most recent reported years)"),
        "last_year": _year("last year of the window: the latest reported year"),
        "years_window": pa.Column(
            str,
            pa.Check.str_matches(_YEARS_TEXT),
            description="the most recent reported years considered, comma-joined",
        ),
        "years_used": pa.Column(
            str,
            pa.Check.str_matches(_YEARS_TEXT),
            description="the years with an exact count, those the regression uses, comma-joined",
        ),
        "n_exact_years": pa.Column(
            "int64", pa.Check.ge(0), description="years of the window with an exact count"
        ),
        "n_suppressed_years": pa.Column(
            "int64",
            pa.Check.ge(0),
            description="years of the window given only as an interval (e.g. <5)",
        ),
        "reason": _text("why the direction is insufficient_data; empty otherwise"),
        "method": pa.Column(str, description="the method and thresholds, in words"),
    },
    checks=[
        _ordered("first_year", "last_year"),
        _ordered("slope_ci_low", "slope_per_year"),
        _ordered("slope_per_year", "slope_ci_high"),
        pa.Check(_direction_matches_interval, error="direction must follow the slope's interval"),
        _pct_matches_slope("annual_change_pct", "slope_per_year"),
        _pct_matches_slope("annual_change_ci_low_pct", "slope_ci_low"),
        _pct_matches_slope("annual_change_ci_high_pct", "slope_ci_high"),
        _implies(
            "insufficient_data needs a reason",
            lambda df: df["direction"] == "insufficient_data",
            lambda df: df["reason"].notna(),
        ),
        _implies(
            "a direction needs a slope",
            lambda df: df["direction"] != "insufficient_data",
            lambda df: df["slope_per_year"].notna(),
        ),
        pa.Check(
            _window_counts,
            error="n_exact_years + n_suppressed_years must count the years of the window",
        ),
    ],
    unique=["jurisdiction", "indicator"],
    strict=True,
    ordered=True,
    name="trend_summary",
    description=(
        "One row per jurisdiction (and the region) x indicator: the direction of the series over "
        "its five most recent reported years, with the slope, its 95% interval and the years used."
    ),
)


# --- victim_flows -------------------------------------------------------------------------


def _flow_sides(df: pd.DataFrame) -> pd.Series:
    inbound = df["direction"] == "inbound_detection"
    return (
        inbound & (df["destination"] == df["jurisdiction"]) & (df["origin"] == df["category"])
    ) | (~inbound & (df["origin"] == df["jurisdiction"]) & (df["destination"] == df["category"]))


def _flow_flags(df: pd.DataFrame) -> pd.Series:
    return (
        (df["intra_regional"] == (df["flow_type"] == "intra_regional"))
        & (df["domestic"] == (df["flow_type"] == "domestic"))
        & (~df["from_outside_region"] | (df["flow_type"] == "extra_regional"))
    )


victim_flows_schema = pa.DataFrameSchema(
    {
        "origin": pa.Column(
            str,
            pa.Check.str_matches(_COUNTRY),
            description=(
                "the victims' citizenship (ISO alpha-3; XKX Kosovo; ABROAD, UNKNOWN; former codes"
                " such as YUG)"
            ),
        ),
        "destination": pa.Column(
            str,
            pa.Check.str_matches(_COUNTRY),
            description=(
                "where the victims were detected: the reporting jurisdiction for "
                "inbound_detection, the country repatriated from for repatriation"
            ),
        ),
        "year": _year(),
        "direction": pa.Column(
            str,
            pa.Check.isin(FLOW_DIRECTIONS),
            description=(
                "inbound_detection (citizenship rows: foreigners and nationals detected by the "
                "jurisdiction) or repatriation (its nationals detected abroad and repatriated: "
                "the reverse direction)"
            ),
        ),
        "flow_type": pa.Column(
            str,
            pa.Check.isin(FLOW_TYPES),
            description=(
                "domestic (origin = destination), intra_regional (both members of the region), "
                "extra_regional (one side outside the region), unknown (ABROAD, UNKNOWN or a "
                "former state)"
            ),
        ),
        "intra_regional": pa.Column(
            bool, description="true for a flow between two jurisdictions of the region"
        ),
        "domestic": pa.Column(
            bool, description="true for domestic trafficking (origin = destination)"
        ),
        "from_outside_region": pa.Column(
            bool, description="true when the origin is a known country outside the region"
        ),
        "value_low": pa.Column(
            "int64", pa.Check.ge(0), description="lower bound of the number of victims"
        ),
        "value_high": pa.Column("int64", pa.Check.ge(0), description="upper bound; <5 gives 0..4"),
        "value_exact": pa.Column(bool, description="true when value_low equals value_high"),
        "jurisdiction": _jurisdiction("the reporting jurisdiction: the key of the harmonised row"),
        "indicator": pa.Column(
            str, pa.Check.eq("victims_detected"), description="always victims_detected"
        ),
        "dimension": pa.Column(
            str,
            pa.Check.isin(["citizenship", "repatriation"]),
            description="the harmonised dimension the flow comes from",
        ),
        "category": pa.Column(
            str, description="the harmonised category (the country code as reported)"
        ),
        "source_files": pa.Column(
            str,
            pa.Check.str_length(min_value=1),
            description="the source files of the figure, joined by '; '",
        ),
    },
    checks=[
        _ordered("value_low", "value_high"),
        pa.Check(
            lambda df: df["value_exact"] == (df["value_low"] == df["value_high"]),
            error="value_exact must say whether value_low equals value_high",
        ),
        pa.Check(_flow_sides, error="origin and destination must follow the direction"),
        pa.Check(_flow_flags, error="the flags must agree with flow_type"),
        pa.Check(
            lambda df: (
                (df["dimension"] == "citizenship") == (df["direction"] == "inbound_detection")
            ),
            error="direction must follow the dimension",
        ),
    ],
    unique=["origin", "destination", "year", "direction"],
    strict=True,
    ordered=True,
    name="victim_flows",
    description=(
        "One row per origin (citizenship) x destination (country of detection) x year x "
        "direction, with the number of victims as bounds."
    ),
)


# --- mechanisms ---------------------------------------------------------------------------

_SCORE_TEXT = "2 met in law and practice, 1 partly met, 0 not met"


def _status_rules(df: pd.DataFrame) -> pd.Series:
    s = df["status"]
    return (
        (
            (s == "known")
            & df["score"].notna()
            & df["year"].notna()
            & df["conflicting_scores"].isna()
        )
        | ((s == "unknown") & df["score"].isna() & df["year"].isna() & (df["n_assessments"] == 0))
        | (
            (s == "conflict")
            & df["score"].isna()
            & df["year"].notna()
            & df["conflicting_scores"].notna()
        )
    ).astype(bool)


mechanism_scores_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "item_id": pa.Column(
            str,
            pa.Check.str_matches(r"^CT-\d{2}$"),
            description="checklist item (ct_mechanism_checklist.csv)",
        ),
        "domain": pa.Column(str, description="the item's domain"),
        "title": pa.Column(str, description="what the item asks for"),
        "status": pa.Column(
            str,
            pa.Check.isin(MECHANISM_STATUSES),
            description=(
                "known (a score), unknown (no assessment: not 0), conflict (the latest year's "
                "sources disagree)"
            ),
        ),
        "score": pa.Column(
            "Int64",
            pa.Check.isin(SCORES),
            nullable=True,
            description=f"the latest score: {_SCORE_TEXT}; empty when unknown or in conflict",
        ),
        "year": _year("the latest year assessed, the one the score rests on", nullable=True),
        "evidence": _text(
            "the evidence of that year (several agreeing sources joined by ' | '; for a "
            "conflict each text is prefixed by its score and entry)"
        ),
        "source_url": _text("where the evidence was published"),
        "source_file": _text("the assessment file"),
        "source_row": _text("the file's entries behind the score, as assessments[<index>]"),
        "conflicting_scores": _text("for a conflict, the scores that disagree, e.g. '1; 2'"),
        "earliest_year": _year("the earliest year with an agreed score", nullable=True),
        "earliest_score": pa.Column(
            "Int64", pa.Check.isin(SCORES), nullable=True, description="the score of earliest_year"
        ),
        "change_since_earliest": pa.Column(
            "Int64",
            pa.Check.in_range(-2, 2),
            nullable=True,
            description=(
                "score - earliest_score, when the latest score is known and from a later year; "
                "empty otherwise"
            ),
        ),
        "n_assessments": pa.Column(
            "int64",
            pa.Check.ge(0),
            description="how many assessments of the item the jurisdiction has, all years",
        ),
        "years_assessed": _text("the years with an assessment, comma-joined"),
    },
    checks=[
        pa.Check(_status_rules, error="score, year and conflicting_scores must follow the status"),
        _ordered("earliest_year", "year"),
    ],
    unique=["jurisdiction", "item_id"],
    strict=True,
    ordered=True,
    name="mechanism_scores",
    description=(
        "One row per jurisdiction x checklist item: the latest known score, the year and evidence"
        " it rests on, and its change against the earliest known score."
    ),
)

mechanism_domain_scores_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "domain": pa.Column(str, description="the checklist domain"),
        "n_items": pa.Column(
            "int64", pa.Check.ge(1), description="items of the domain in the checklist"
        ),
        "n_known": pa.Column(
            "int64", pa.Check.ge(0), description="items with a known latest score"
        ),
        "n_conflict": pa.Column(
            "int64", pa.Check.ge(0), description="items whose latest sources disagree"
        ),
        "n_unknown": pa.Column("int64", pa.Check.ge(0), description="items with no assessment"),
        "coverage_share": _share("share of the domain's items that are known (n_known / n_items)"),
        "mean_score": _float(
            (
                "mean latest score of the known items (0-2); unknown items are left out, never "
                "counted as 0"
            ),
            pa.Check.in_range(0.0, 2.0),
        ),
        "score_share": _share("mean_score as a share of the maximum score 2"),
        "rankable": pa.Column(
            bool,
            description=(
                f"true when coverage_share is at least {RANKABLE_COVERAGE:.0%}: only then is the "
                f"domain ranked"
            ),
        ),
        "rank": pa.Column(
            "Int64",
            pa.Check.ge(1),
            nullable=True,
            description=(
                "rank of score_share among the rankable jurisdictions of the domain (1 = best, "
                "ties share a rank); empty when not rankable"
            ),
        ),
        "items": pa.Column(str, description="the domain's items, comma-joined"),
        "items_known": pa.Column(str, description="the items with a known score, comma-joined"),
    },
    checks=[
        pa.Check(
            lambda df: df["n_known"] + df["n_conflict"] + df["n_unknown"] == df["n_items"],
            error="n_known + n_conflict + n_unknown must equal n_items",
        ),
        pa.Check(
            lambda df: df["rankable"] == (df["coverage_share"] >= RANKABLE_COVERAGE - _TOL),
            error=f"rankable means coverage of at least {RANKABLE_COVERAGE:.0%}",
        ),
        _implies(
            "no rank below the coverage threshold",
            lambda df: df["rank"].notna(),
            lambda df: df["rankable"],
        ),
        _implies(
            "a score needs a known item",
            lambda df: df["n_known"] == 0,
            lambda df: df["mean_score"].isna(),
        ),
    ],
    unique=["jurisdiction", "domain"],
    strict=True,
    ordered=True,
    name="mechanism_domain_scores",
    description=(
        "One row per jurisdiction x checklist domain: the mean known score, its coverage (share "
        f"of items known) and a rank only where coverage is at least {RANKABLE_COVERAGE:.0%}."
    ),
)


def _gap_scores(df: pd.DataFrame) -> pd.Series:
    g = df["gap_type"]
    return (
        (
            ((g == "not_met") & (df["score"] == 0))
            | ((g == "partly_met") & (df["score"] == 1))
            | ((g == "no_evidence") & df["score"].isna() & df["evidence"].isna())
            | ((g == "conflict") & df["score"].isna())
        )
        .fillna(False)
        .astype(bool)
    )


mechanism_gaps_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "item_id": pa.Column(
            str, pa.Check.str_matches(r"^CT-\d{2}$"), description="checklist item"
        ),
        "domain": pa.Column(str, description="the item's domain"),
        "title": pa.Column(str, description="what the item asks for"),
        "gap_type": pa.Column(
            str,
            pa.Check.isin(GAP_TYPES),
            description=(
                "not_met (latest score 0), partly_met (1), no_evidence (no assessment at all: to "
                "close with the jurisdiction), conflict (latest sources disagree)"
            ),
        ),
        "score": pa.Column(
            "Int64",
            pa.Check.isin([0, 1]),
            nullable=True,
            description="the latest score (0 or 1); empty for no_evidence and conflict",
        ),
        "year": _year("the year of the latest assessment", nullable=True),
        "evidence": _text("the evidence the gap rests on; empty for no_evidence"),
        "source_url": _text("where the evidence was published"),
        "source_file": _text("the assessment file"),
        "source_row": _text("the file's entries, as assessments[<index>]"),
    },
    checks=[pa.Check(_gap_scores, error="score and evidence must follow gap_type")],
    unique=["jurisdiction", "item_id"],
    strict=True,
    ordered=True,
    name="mechanism_gaps",
    description=(
        "One row per jurisdiction x checklist item that is a gap: a latest score of 0 or 1, no "
        "evidence at all, or a conflict."
    ),
)

mechanism_conflicts_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "item_id": pa.Column(
            str, pa.Check.str_matches(r"^CT-\d{2}$"), description="checklist item"
        ),
        "year": _year("the year both assessments describe"),
        "score": pa.Column(
            "int64", pa.Check.isin(SCORES), description=f"this assessment's score: {_SCORE_TEXT}"
        ),
        "conflicting_scores": pa.Column(
            str, description="all the scores given for the item and year, e.g. '1; 2'"
        ),
        "n_assessments": pa.Column(
            "int64", pa.Check.ge(2), description="how many assessments the item has for that year"
        ),
        "evidence": _text("this assessment's evidence"),
        "source_url": _text("where it was published"),
        "source_file": pa.Column(str, description="the assessment file"),
        "source_row": pa.Column(str, description="the entry, as assessments[<index>]"),
    },
    checks=[
        pa.Check(
            lambda df: df["conflicting_scores"].str.contains(";"),
            error="a conflict has at least two scores",
        ),
    ],
    unique=["jurisdiction", "item_id", "year", "source_file", "source_row"],
    strict=True,
    ordered=True,
    name="mechanism_conflicts",
    description=(
        "One row per assessment that disagrees with another for the same jurisdiction, item and "
        "year: every side of each conflict, unresolved."
    ),
)


HISTORY_CHANGES = ("first", "improved", "worsened", "unchanged")

mechanism_history_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "item_id": pa.Column(
            str, pa.Check.str_matches(r"^CT-\d{2}$"), description="checklist item"
        ),
        "domain": pa.Column(str, description="the item's domain"),
        "title": pa.Column(str, description="what the item asks for"),
        "year": _year("the year the assessment describes"),
        "status": pa.Column(
            str,
            pa.Check.isin(["known", "conflict"]),
            description="known (one agreed score) or conflict (the year's sources disagree)",
        ),
        "score": pa.Column(
            "Int64",
            pa.Check.isin(SCORES),
            nullable=True,
            description=f"the year's score: {_SCORE_TEXT}; empty for a conflict",
        ),
        "conflicting_scores": _text("for a conflict, the scores that disagree, e.g. '1; 2'"),
        "previous_year": _year("the previous year with an agreed score", nullable=True),
        "previous_score": pa.Column(
            "Int64", pa.Check.isin(SCORES), nullable=True, description="the score of previous_year"
        ),
        "change": pa.Column(
            object,
            pa.Check.isin(HISTORY_CHANGES),
            nullable=True,
            description=(
                "against previous_score: improved, worsened or unchanged; first for the first "
                "agreed year; empty for a conflict"
            ),
        ),
        "evidence": _text(
            "the year's evidence (agreeing sources joined by ' | '; for a conflict each text is "
            "prefixed by its score and entry)"
        ),
        "source_url": _text("where the evidence was published"),
        "source_file": pa.Column(str, description="the assessment file(s)"),
        "source_row": pa.Column(str, description="the entries, as assessments[<index>]"),
    },
    checks=[
        _implies(
            "a conflict has no score and a known year has one",
            lambda df: df["status"] == "conflict",
            lambda df: df["score"].isna() & df["conflicting_scores"].notna(),
        ),
        _implies(
            "a known year has a score",
            lambda df: df["status"] == "known",
            lambda df: df["score"].notna(),
        ),
        _ordered("previous_year", "year"),
    ],
    unique=["jurisdiction", "item_id", "year"],
    strict=True,
    ordered=True,
    name="mechanism_history",
    description=(
        "One row per jurisdiction x checklist item x year assessed: the year's score and "
        "evidence, and its change against the previous assessed year."
    ),
)

# --- data gaps ----------------------------------------------------------------------------


def _data_status(df: pd.DataFrame) -> pd.Series:
    s, n, k = df["status"], df["n_cells"], df["n_suppressed_cells"]
    return (
        ((s == "not_reported") & (n == 0))
        | ((s == "exact") & (n > 0) & (k == 0))
        | ((s == "suppressed_only") & (n > 0) & (k == n))
        | ((s == "partly_suppressed") & (k > 0) & (k < n))
    )


data_gaps_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "indicator": pa.Column(str, pa.Check.isin(INDICATORS), description="what is counted"),
        "breakdown": pa.Column(
            str,
            pa.Check.isin(BREAKDOWNS),
            description=(
                "total; sex or age (rows of dimension total by sex, by age); exploitation, "
                "citizenship, repatriation (rows of that dimension)"
            ),
        ),
        "year": _year(
            "a year of the regional range (first to last year any jurisdiction reported)"
        ),
        "status": pa.Column(
            str,
            pa.Check.isin(DATA_STATUSES),
            description=(
                "exact, partly_suppressed (some cells <5), suppressed_only (every cell <5), "
                "not_reported (no cell: absent is not zero)"
            ),
        ),
        "n_cells": pa.Column(
            "int64", pa.Check.ge(0), description="harmonised rows (cells) of the breakdown"
        ),
        "n_suppressed_cells": pa.Column(
            "int64", pa.Check.ge(0), description="cells given only as an interval (<5)"
        ),
        "suppressed_share": _share("n_suppressed_cells / n_cells; empty when not reported"),
        "in_jurisdiction_range": pa.Column(
            bool,
            description=(
                "true when the year lies between the jurisdiction's own first and last reported "
                "years"
            ),
        ),
        "source_files": _text("the source files of the cells, joined by '; '"),
    },
    checks=[
        _ordered("n_suppressed_cells", "n_cells"),
        pa.Check(_data_status, error="status must follow n_cells and n_suppressed_cells"),
    ],
    unique=["jurisdiction", "indicator", "breakdown", "year"],
    strict=True,
    ordered=True,
    name="data_gaps",
    description=(
        "One row per jurisdiction x indicator x breakdown x year: reported exactly, only as <5, "
        "partly as <5, or not reported."
    ),
)

data_gap_summary_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "first_year": _year("first year with any figure", nullable=True),
        "last_year": _year("last year with any figure", nullable=True),
        "n_years_reported": pa.Column("int64", pa.Check.ge(0), description="years with any figure"),
        "missing_years": pa.Column(
            str,
            pa.Check.str_matches(_YEARS_TEXT),
            description=(
                "years with no figure at all between first_year and last_year, comma-joined"
            ),
        ),
        "n_groups": pa.Column(
            "int64",
            pa.Check.ge(0),
            description="indicator x breakdown x year groups over the regional range",
        ),
        "share_not_reported": _share("share of those groups not reported"),
        "share_not_reported_in_range": _share(
            "the same share inside the jurisdiction's own first..last years"
        ),
        "n_cells": pa.Column("int64", pa.Check.ge(0), description="cells reported"),
        "share_suppressed": _share("share of the reported cells given only as <5"),
        "rank_worst_first": pa.Column(
            "int64",
            pa.Check.ge(1),
            description="1 = the clearest data gap (most not reported, then most suppressed)",
        ),
    },
    checks=[_ordered("first_year", "last_year")],
    unique=["jurisdiction"],
    strict=True,
    ordered=True,
    name="data_gap_summary",
    description=(
        "One row per jurisdiction: how much of the completeness matrix it fills, ranked worst "
        "first."
    ),
)


# --- regional opportunities ---------------------------------------------------------------

_HTML = re.compile(r"<[A-Za-z/!]")


def _evidence_list(text: str) -> bool:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return False
    return isinstance(value, list) and len(value) > 0 and all(isinstance(v, dict) for v in value)


def _opportunity_shape(df: pd.DataFrame) -> pd.Series:
    listed = df["jurisdictions"].str.split(",").str.len() == df["n_jurisdictions"]
    shared = (df["opportunity_type"] == "shared_gap") & (df["n_jurisdictions"] >= MIN_SHARED_GAP)
    pair = (
        (df["opportunity_type"] == "bilateral_flow")
        & (df["n_jurisdictions"] == 2)
        & (df["key"] == df["jurisdictions"].str.replace(",", "-"))
    )
    return listed & (shared | pair)


regional_opportunities_schema = pa.DataFrameSchema(
    {
        "opportunity_type": pa.Column(
            str,
            pa.Check.isin(OPPORTUNITY_TYPES),
            description=(
                f"shared_gap (an item that is a gap in {MIN_SHARED_GAP} or more jurisdictions: a regional "
                "programme) or bilateral_flow (two jurisdictions linked by recent victim flows: "
                "bilateral cooperation)"
            ),
        ),
        "key": pa.Column(
            str,
            description=(
                "the item_id of a shared gap, or the two jurisdiction codes sorted and joined by "
                "'-' (e.g. ALB-MKD)"
            ),
        ),
        "jurisdictions": pa.Column(
            str,
            pa.Check.str_matches(r"^[A-Z]{3}(,[A-Z]{3})*$"),
            description="the jurisdictions concerned, sorted, comma-joined",
        ),
        "n_jurisdictions": pa.Column("int64", pa.Check.ge(2), description="how many"),
        "years": pa.Column(
            str,
            pa.Check.str_matches(_YEARS_TEXT),
            description="the years of the evidence, comma-joined",
        ),
        "victims_low": pa.Column(
            "Int64",
            pa.Check.ge(0),
            nullable=True,
            description=(
                "bilateral_flow: lower bound of the victims in the evidence flows; empty for "
                "shared_gap"
            ),
        ),
        "victims_high": pa.Column(
            "Int64",
            pa.Check.ge(0),
            nullable=True,
            description="bilateral_flow: upper bound of the same",
        ),
        "confirmed": pa.Column(
            "boolean",
            nullable=True,
            description=(
                "bilateral_flow: true when at least one victim is certain (some figure not <5); "
                "empty for shared_gap"
            ),
        ),
        "evidence": pa.Column(
            str,
            pa.Check(
                lambda s: s.map(_evidence_list),
                error="evidence must be a non-empty JSON list of rows",
            ),
            description=(
                "the evidence rows as a JSON list: their keys (jurisdiction, year, item_id or "
                "indicator, dimension, category) and values"
            ),
        ),
        "description": pa.Column(
            str,
            pa.Check(
                lambda s: ~s.str.contains(_HTML),
                error="description must be plain text, without HTML",
            ),
            description="the opportunity in plain text",
        ),
    },
    checks=[
        pa.Check(
            _opportunity_shape,
            error="jurisdictions, n_jurisdictions and key must fit the opportunity type",
        ),
        _ordered("victims_low", "victims_high"),
    ],
    unique=["opportunity_type", "key"],
    strict=True,
    ordered=True,
    name="regional_opportunities",
    description=(
        f"One row per opportunity for regional action: a mechanism gap shared by {MIN_SHARED_GAP} or more "
        "jurisdictions, or a pair of jurisdictions linked by recent intra-regional victim flows, "
        "with the evidence rows behind it."
    ),
)


ANALYTICS_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "trends": trends_schema,
    "trend_summary": trend_summary_schema,
    "victim_flows": victim_flows_schema,
    "mechanism_scores": mechanism_scores_schema,
    "mechanism_domain_scores": mechanism_domain_scores_schema,
    "mechanism_gaps": mechanism_gaps_schema,
    "mechanism_conflicts": mechanism_conflicts_schema,
    "mechanism_history": mechanism_history_schema,
    "data_gaps": data_gaps_schema,
    "data_gap_summary": data_gap_summary_schema,
    "regional_opportunities": regional_opportunities_schema,
}
