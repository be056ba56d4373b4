"""Schemas of the harmonised contract (HARMONISED.md): `harmonised_statistics`, `data_quality_issues`."""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.vocab import (
    AGES,
    CATEGORIES,
    COUNTRY_DIMENSIONS,
    DIMENSIONS,
    FIRST_YEAR,
    INDICATORS,
    ISO3_PATTERN,
    SEVERITIES,
    SEXES,
    SPECIAL_COUNTRY_CODES,
)

HARMONISED_KEY = ["jurisdiction", "year", "indicator", "dimension", "category", "sex", "age"]
HARMONISED_COLUMNS = [*HARMONISED_KEY, "value_low", "value_high", "source_files"]
_ISO3 = re.compile(rf"^{ISO3_PATTERN}$")


def _category_valid(df: pd.DataFrame) -> pd.Series:
    country = df["dimension"].isin(COUNTRY_DIMENSIONS)
    iso_like = df["category"].astype(str).str.fullmatch(_ISO3.pattern) | df["category"].isin(
        SPECIAL_COUNTRY_CODES
    )
    return (country & iso_like) | (~country & df["category"].isin(CATEGORIES))


def _total_means_total(df: pd.DataFrame) -> pd.Series:
    return (df["dimension"] != "total") | (df["category"] == "total")


harmonised_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(
            str,
            pa.Check.str_matches(_ISO3.pattern),
            description="ISO 3166-1 alpha-3 code of the reporting jurisdiction (XKX: Kosovo)",
        ),
        "year": pa.Column(
            int, pa.Check.ge(FIRST_YEAR), description="the year the figures describe"
        ),
        "indicator": pa.Column(str, pa.Check.isin(INDICATORS), description="what is counted"),
        "dimension": pa.Column(
            str, pa.Check.isin(DIMENSIONS), description="the breakdown the row belongs to"
        ),
        "category": pa.Column(
            str,
            description="total; a form of exploitation; or, for citizenship and repatriation, an ISO alpha-3 code, ABROAD or UNKNOWN",
        ),
        "sex": pa.Column(str, pa.Check.isin(SEXES), description="sex of the persons counted"),
        "age": pa.Column(
            str,
            pa.Check.isin(AGES),
            description="age group: child is 0-17, adult 18 and over",
        ),
        "value_low": pa.Column(
            int, pa.Check.ge(0), description="lower bound of the count (persons or offences)"
        ),
        "value_high": pa.Column(
            int,
            pa.Check.ge(0),
            description="upper bound of the count; equal to value_low when exact; <5 gives 0..4",
        ),
        "source_files": pa.Column(
            str,
            pa.Check.str_length(min_value=1),
            description="the source file name(s) the row came from, joined by '; '",
        ),
    },
    checks=[
        pa.Check(
            lambda df: df["value_low"] <= df["value_high"],
            error="value_low must not exceed value_high",
        ),
        pa.Check(_category_valid, error="category is not a code of its dimension"),
        pa.Check(_total_means_total, error="dimension total must have category total"),
    ],
    unique=HARMONISED_KEY,
    strict=True,
    name="harmonised_statistics",
    description=(
        "One row per jurisdiction x year x indicator x dimension x category x sex x age: the "
        "figures of every jurisdiction in one set of codes, counts as intervals."
    ),
)

data_quality_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(str, description="the jurisdiction concerned, or ALL"),
        "year": pa.Column(
            "Int64", nullable=True, description="the year concerned, when there is one"
        ),
        "severity": pa.Column(
            str,
            pa.Check.isin(SEVERITIES),
            description="error (blocked that jurisdiction) or warning (kept, flagged)",
        ),
        "check_name": pa.Column(str, description="a short stable id of the check"),
        "message": pa.Column(str, description="what is wrong, in words an analyst understands"),
        "source_file": pa.Column(
            object, nullable=True, description="the source file concerned, when there is one"
        ),
    },
    strict=True,
    name="data_quality_issues",
    description="One row per finding of a check, blocking or not.",
)
DATA_QUALITY_COLUMNS = list(data_quality_schema.columns)
