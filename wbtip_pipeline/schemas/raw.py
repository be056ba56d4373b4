"""The canonical raw frame: what a jurisdiction's files say, in harmonised codes, with provenance.

Grain: one row per figure read (a cell of a source file), or one row per file that could not be
read at all (`problem` set). Country names of the citizenship and repatriation dimensions are
still free text here; harmonisation maps them to ISO codes.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Protocol

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.validation import Finding, validate
from wbtip_pipeline.vocab import (
    AGES,
    CATEGORIES,
    COUNTRY_DIMENSIONS,
    DIMENSIONS,
    FIRST_YEAR,
    INDICATORS,
    PLAUSIBLE_MAX,
    SEXES,
)

RULE_FILE = "the file could not be read"
RULE_INDICATOR = "not a known indicator label (is the label mapped in the config, or garbled by a wrong encoding?)"
RULE_DIMENSION = "not a known dimension label"
RULE_CATEGORY = "not a known category label"
RULE_SEX = "not a known sex label"
RULE_AGE = "not a known age label"
RULE_COUNT = "a count must be a whole number or '<5'"
RULE_NEGATIVE = "counts cannot be negative"
RULE_PLAUSIBLE = f"implausibly large count (above {PLAUSIBLE_MAX:,})"
RULE_YEAR_EARLY = f"years before {FIRST_YEAR} are out of scope"
RULE_YEAR_FUTURE = "a future year"
RULE_YEAR_FILE = "this per-year file may hold rows of its own year only"


def _category_known(df: pd.DataFrame) -> pd.Series:
    return (
        df["dimension"].isin(COUNTRY_DIMENSIONS)
        | df["category"].isin(CATEGORIES)
        | df["problem"].notna()
    )


def _year_matches_file(df: pd.DataFrame) -> pd.Series:
    return df["file_year"].isna() | df["year"].isna() | (df["year"] == df["file_year"])


def raw_schema(current_year: int | None = None) -> pa.DataFrameSchema:
    """The schema of a raw frame; years after `current_year` (default: this year) are future."""
    return _raw_schema(current_year or dt.date.today().year)


@functools.cache
def _raw_schema(year_now: int) -> pa.DataFrameSchema:
    # built once per year: building it costs as much as validating a jurisdiction's frame
    text = dict(dtype=object, nullable=True)
    integer = dict(dtype="Int64", nullable=True)
    return pa.DataFrameSchema(
        {
            "jurisdiction": pa.Column(str),
            "year": pa.Column(
                checks=[
                    pa.Check.ge(FIRST_YEAR, error=RULE_YEAR_EARLY),
                    pa.Check.le(year_now, error=RULE_YEAR_FUTURE),
                ],
                **integer,
            ),
            "indicator": pa.Column(checks=pa.Check.isin(INDICATORS, error=RULE_INDICATOR), **text),
            "dimension": pa.Column(checks=pa.Check.isin(DIMENSIONS, error=RULE_DIMENSION), **text),
            "category": pa.Column(**text),
            "sex": pa.Column(checks=pa.Check.isin(SEXES, error=RULE_SEX), **text),
            "age": pa.Column(checks=pa.Check.isin(AGES, error=RULE_AGE), **text),
            "subform": pa.Column(**integer),
            "value_text": pa.Column(
                checks=pa.Check.str_matches(r"^([+-]?\d+|<5)$", error=RULE_COUNT), **text
            ),
            "value_low": pa.Column(checks=pa.Check.ge(0, error=RULE_NEGATIVE), **integer),
            "value_high": pa.Column(
                checks=pa.Check.le(PLAUSIBLE_MAX, error=RULE_PLAUSIBLE), **integer
            ),
            "value_column": pa.Column(**text),
            "file_year": pa.Column(**integer),
            "source_file": pa.Column(str),
            "source_sha256": pa.Column(**text),
            "source_row": pa.Column(**text),
            "problem": pa.Column(checks=pa.Check(lambda s: s.isna(), error=RULE_FILE), **text),
        },
        checks=[
            pa.Check(_category_known, error=RULE_CATEGORY),
            pa.Check(_year_matches_file, error=RULE_YEAR_FILE),
        ],
        strict=True,
        ordered=False,
        name="raw_statistics",
        description=__doc__,
    )


_WIDE = {RULE_CATEGORY: "category", RULE_YEAR_FILE: "year"}


class NationalColumns(Protocol):
    """What validation needs of a jurisdiction's config (`sources.config.SourceConfig`): the
    national name of a canonical column, for the findings."""

    def column_name(self, canonical: str) -> str: ...


def validate_raw(
    frame: pd.DataFrame, cfg: NationalColumns, current_year: int | None = None
) -> list[Finding]:
    """Findings of the raw schema, located by file, row and the national column name."""

    def locate(df: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
        row = df.loc[index]
        if column in ("value_text", "value_low", "value_high"):
            national = row["value_column"]
        else:
            national = cfg.column_name(column)
        return str(row["source_file"]), str(row["source_row"] or ""), str(national)

    return validate(
        frame,
        raw_schema(current_year),
        locate=locate,
        wide_check_columns=_WIDE,
        message_column="problem",
    )
