"""Schema of `source_triangulation`: the US TIP figures beside the national statistics.

Its own module so that the analytics schemas stay one file per topic; `TRIANGULATION_SCHEMAS`
is registered with the others in `schemas/registry.py`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.schemas.analytics import _implies, _jurisdiction, _ordered, _text, _year
from wbtip_pipeline.vocab import (
    FIRST_YEAR,
    INDICATORS,
    TIP_QUALIFIERS,
    TIP_TO_NATIONAL,
    TRIANGULATION_REASONS,
)

_REASONS_TEXT = "; ".join(f"{code}: {text}" for code, text in TRIANGULATION_REASONS.items())


def _bounds(what: str) -> pa.Column:
    return pa.Column("Int64", nullable=True, description=what)


def _difference_follows(df: pd.DataFrame) -> pd.Series:
    low = df["tip_value"] - df["national_high"]
    high = df["tip_value"] - df["national_low"]
    missing = df["national_low"].isna()
    same = (df["difference_low"] == low) & (df["difference_high"] == high)
    return (missing & df["difference_low"].isna() & df["difference_high"].isna()) | (
        ~missing & same.fillna(False).astype(bool)
    )


def _reason_follows(df: pd.DataFrame) -> pd.Series:
    """The rules that the figures alone decide (the others depend on the indicator)."""
    reason = df["likely_reason"]
    missing = df["national_low"].isna()
    agree = ((df["difference_low"] == 0) & (df["difference_high"] == 0)).fillna(False)
    straddles = ((df["difference_low"] <= 0) & (df["difference_high"] >= 0)).fillna(False)
    return (
        ((reason == "no_national_figure") == missing)
        & ((reason == "figures_agree") == agree.astype(bool))
        & ((reason == "national_suppressed") == (straddles & ~agree).astype(bool))
    )


source_triangulation_schema = pa.DataFrameSchema(
    {
        "jurisdiction": _jurisdiction(),
        "year": _year("the year the TIP figure refers to (not the edition's year)"),
        "tip_indicator": pa.Column(
            str,
            pa.Check.isin(list(TIP_TO_NATIONAL)),
            description=(
                "what the TIP figure counts (us_tip_figures.indicator), one with a national "
                "counterpart: " + ", ".join(f"{k} -> {v}" for k, v in TIP_TO_NATIONAL.items())
            ),
        ),
        "national_indicator": pa.Column(
            str,
            pa.Check.isin([i for i in INDICATORS if i in TIP_TO_NATIONAL.values()]),
            description="the national indicator it is set beside (vocab.TIP_TO_NATIONAL)",
        ),
        "national_low": _bounds(
            "lower bound of the national total (harmonised_statistics, dimension, sex and age "
            "total); empty when the national statistics give none"
        ),
        "national_high": _bounds("upper bound of the same (<5 is 0..4)"),
        "tip_value": pa.Column(
            "int64", pa.Check.ge(0), description="the figure the TIP report states"
        ),
        "tip_qualifier": pa.Column(
            object,
            pa.Check.isin(TIP_QUALIFIERS),
            nullable=True,
            description=(
                "the victims' status the TIP figure counts (potential, official, "
                "potential_and_official): from the file's qualifier, the indicator or the quote's "
                "words; empty when nothing says"
            ),
        ),
        "tip_report_year": pa.Column(
            "int64",
            pa.Check.ge(FIRST_YEAR),
            description="the TIP report edition that states it (usually year + 1)",
        ),
        "tip_quote": pa.Column(
            str, pa.Check.str_length(min_value=1), description="the report's words"
        ),
        "tip_source_url": pa.Column(
            str,
            pa.Check.str_matches(r"^https?://"),
            description="the page the quote is on (some are copies or news paraphrases)",
        ),
        "difference_low": _bounds(
            "lower bound of TIP minus national (tip_value - national_high); empty without a "
            "national figure"
        ),
        "difference_high": _bounds("upper bound of the same (tip_value - national_low)"),
        "likely_reason": pa.Column(
            str,
            pa.Check.isin(list(TRIANGULATION_REASONS)),
            description=f"the first rule that applies, in this order: {_REASONS_TEXT}",
        ),
        "source_files": _text("the source files of the national figure, joined by '; '"),
    },
    checks=[
        _ordered("national_low", "national_high"),
        _ordered("difference_low", "difference_high"),
        pa.Check(
            lambda df: df["national_indicator"] == df["tip_indicator"].map(TIP_TO_NATIONAL),
            error="national_indicator must be the TIP indicator's counterpart",
        ),
        _implies(
            "a national figure has both bounds",
            lambda df: df["national_low"].isna(),
            lambda df: df["national_high"].isna(),
        ),
        pa.Check(
            lambda df: df["year"] <= df["tip_report_year"],
            error="the year a TIP figure refers to is not after its edition",
        ),
        pa.Check(_difference_follows, error="difference must be TIP minus national, as bounds"),
        pa.Check(_reason_follows, error="likely_reason must follow the figures"),
    ],
    unique=["jurisdiction", "year", "tip_indicator", "tip_report_year", "tip_source_url"],
    strict=True,
    ordered=True,
    name="source_triangulation",
    description=(
        "One row per figure a US TIP report states with a national counterpart: the national "
        "total of the same jurisdiction, year and indicator beside it (compared, never merged), "
        "the difference as bounds and its likely reason. TIP figures counting cases have no "
        "counterpart and are left out."
    ),
)

TRIANGULATION_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "source_triangulation": source_triangulation_schema,
}
