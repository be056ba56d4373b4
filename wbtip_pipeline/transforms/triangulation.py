"""Triangulation: the figures the US TIP reports state, set beside the national statistics.

The two sources count different things, so they are compared and never merged: each TIP figure
(`us_tip_figures`, one row per stated number) whose indicator has a national counterpart
(`vocab.TIP_TO_NATIONAL`) gets one row with the national total of the same jurisdiction, year
(the year the quote refers to, not the edition's) and indicator beside it, as bounds; the
difference TIP minus national, as bounds; and the likely reason for a difference, the first rule
of `vocab.TRIANGULATION_REASONS` that applies (`likely_reason`):

1. `no_national_figure`: the national statistics have no total for that year and indicator;
2. `figures_agree`: both exact and equal;
3. `national_suppressed`: a figure is an interval (`<5`) and the difference can be 0;
4. `potential_vs_official`: the TIP figure counts potential, officially recognised victims or
   both (by its indicator, its qualifier or the quote's words), the national one every victim
   detected under the national definition;
5. `counting_unit`: the TIP figure counts suspects or defendants (`vocab.TIP_OTHER_UNITS`), the
   national one persons at that stage;
6. `reporting_period`: otherwise, the TIP edition's reporting period and figures as known then,
   against the calendar year as later recorded.

TIP indicators without a national counterpart (cases investigated or prosecuted) are left out
and counted (`unmapped_tip_figures`). The same function gives the reason for published bounds,
so that the report never states a reason its published figures do not support.
"""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.vocab import (
    TIP_OTHER_UNITS,
    TIP_QUALIFIERS,
    TIP_TO_NATIONAL,
    TIP_VICTIM_INDICATORS,
)

TRIANGULATION_COLUMNS = [
    "jurisdiction",
    "year",
    "tip_indicator",
    "national_indicator",
    "national_low",
    "national_high",
    "tip_value",
    "tip_qualifier",
    "tip_report_year",
    "tip_quote",
    "tip_source_url",
    "difference_low",
    "difference_high",
    "likely_reason",
    "source_files",
]
KEYS = ["jurisdiction", "year", "tip_indicator", "tip_report_year", "tip_source_url"]
TOTAL = "total"

Bounds = tuple[int, int]


def tip_qualifier(indicator: str, qualifier, quote) -> str | None:
    """The victims' status a TIP figure counts: the file's qualifier if it gives one, else the
    indicator's (potential_victims, official_victims), else the quote's words for a count of
    victims ("potential", "official(ly)", or both); None when nothing says."""
    if isinstance(qualifier, str) and qualifier.strip() in TIP_QUALIFIERS:
        return qualifier.strip()
    if indicator == "potential_victims":
        return "potential"
    if indicator == "official_victims":
        return "official"
    if indicator not in TIP_VICTIM_INDICATORS or not isinstance(quote, str):
        return None
    text = quote.lower()
    potential, official = "potential" in text, "official" in text
    if potential and official:
        return "potential_and_official"
    return "potential" if potential else "official" if official else None


def difference(tip: Bounds, national: Bounds | None) -> Bounds | None:
    """TIP minus national, as bounds (None without a national figure)."""
    if national is None:
        return None
    return tip[0] - national[1], tip[1] - national[0]


def likely_reason(
    tip_indicator: str, qualifier: str | None, tip: Bounds, national: Bounds | None
) -> str:
    """The first rule of `vocab.TRIANGULATION_REASONS` that applies (see the module's doc)."""
    diff = difference(tip, national)
    if diff is None:
        return "no_national_figure"
    if diff == (0, 0):
        return "figures_agree"
    if diff[0] <= 0 <= diff[1]:
        return "national_suppressed"
    if qualifier in TIP_QUALIFIERS or tip_indicator in ("potential_victims", "official_victims"):
        return "potential_vs_official"
    if tip_indicator in TIP_OTHER_UNITS:
        return "counting_unit"
    return "reporting_period"


def unmapped_tip_figures(figures: pd.DataFrame) -> dict[str, int]:
    """{TIP indicator: figures} of the indicators with no national counterpart (left out)."""
    if figures.empty:
        return {}
    left = figures[~figures["indicator"].isin(list(TIP_TO_NATIONAL))]
    return {str(k): int(v) for k, v in left["indicator"].value_counts().sort_index().items()}


def national_totals(harmonised: pd.DataFrame) -> pd.DataFrame:
    """The national totals (dimension, category, sex and age `total`) of the indicators a TIP
    figure can be set beside."""
    h = harmonised
    plain = (
        (h["dimension"] == TOTAL)
        & (h["category"] == TOTAL)
        & (h["sex"] == TOTAL)
        & (h["age"] == TOTAL)
        & h["indicator"].isin(set(TIP_TO_NATIONAL.values()))
    )
    return h.loc[plain, ["jurisdiction", "year", "indicator", "value_low", "value_high"]].assign(
        source_files=h.loc[plain, "source_files"] if "source_files" in h else None
    )


def compute_source_triangulation(harmonised: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """One row per TIP figure with a national counterpart, the national total beside it."""
    mapped = figures[figures["indicator"].isin(list(TIP_TO_NATIONAL))]
    if mapped.empty:
        return _typed(pd.DataFrame(columns=TRIANGULATION_COLUMNS))
    tip = pd.DataFrame(
        {
            "jurisdiction": mapped["jurisdiction"].astype(str),
            "year": mapped["reference_year"].astype(int),
            "tip_indicator": mapped["indicator"].astype(str),
            "national_indicator": mapped["indicator"].map(TIP_TO_NATIONAL),
            "tip_value": mapped["value"].astype(int),
            "tip_qualifier": [
                tip_qualifier(i, q, t)
                for i, q, t in zip(
                    mapped["indicator"],
                    mapped["qualifier"] if "qualifier" in mapped else [None] * len(mapped),
                    mapped["quote"],
                    strict=True,
                )
            ],
            "tip_report_year": mapped["report_year"].astype(int),
            "tip_quote": mapped["quote"].astype(str).str.strip(),
            "tip_source_url": mapped["source_url"].astype(str).str.strip(),
        }
    )
    national = national_totals(harmonised).rename(
        columns={
            "indicator": "national_indicator",
            "value_low": "national_low",
            "value_high": "national_high",
        }
    )
    national = national.assign(year=national["year"].astype(int))
    out = tip.merge(national, on=["jurisdiction", "year", "national_indicator"], how="left")
    reasons, lows, highs = [], [], []
    for r in out.itertuples(index=False):
        nat = None if pd.isna(r.national_low) else (int(r.national_low), int(r.national_high))
        diff = difference((r.tip_value, r.tip_value), nat)
        lows.append(None if diff is None else diff[0])
        highs.append(None if diff is None else diff[1])
        reasons.append(likely_reason(r.tip_indicator, r.tip_qualifier, (r.tip_value,) * 2, nat))
    out = out.assign(difference_low=lows, difference_high=highs, likely_reason=reasons)
    out = out.sort_values(KEYS, kind="stable").reset_index(drop=True)
    return _typed(out[TRIANGULATION_COLUMNS])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    ints = ("year", "tip_value", "tip_report_year")
    bounds = ("national_low", "national_high", "difference_low", "difference_high")
    nullable_texts = ("tip_qualifier", "source_files")
    out = frame.copy()
    for col in TRIANGULATION_COLUMNS:
        if col in ints:
            out[col] = out[col].astype("int64")
        elif col in bounds:
            out[col] = out[col].astype("Int64")
        elif col in nullable_texts:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        else:
            out[col] = out[col].astype(str)
    return out
