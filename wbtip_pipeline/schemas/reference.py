"""Schemas of the reference files: population, US TIP tiers and figures (the checklist's is in
sources/mechanisms)."""

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.validation import Finding, blank, validate
from wbtip_pipeline.vocab import (
    FIRST_YEAR,
    ISO3_PATTERN,
    PLAUSIBLE_MAX,
    TIERS,
    TIP_INDICATORS,
    TIP_QUALIFIERS,
)

population_schema = pa.DataFrameSchema(
    {
        "Country Name": pa.Column(str),
        "Country Code": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "Year": pa.Column(int, pa.Check.in_range(1960, 2100)),
        "Value": pa.Column(float, pa.Check.gt(0), coerce=True),
    },
    unique=["Country Code", "Year"],
    name="population_worldbank",
    description="One row per jurisdiction x year: total population (World Bank SP.POP.TOTL).",
)

us_tip_tiers_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "report_year": pa.Column(int, pa.Check.ge(FIRST_YEAR)),
        "tier": pa.Column(str, pa.Check.isin(TIERS)),
        "tier_inferred": pa.Column(str, pa.Check.isin(["yes", "no"])),
        "source_url": pa.Column(str, nullable=True),
    },
    unique=["jurisdiction", "report_year"],
    name="us_tip_tiers",
    description="One row per jurisdiction x US TIP report year: the tier given.",
)


# --- figures the US TIP reports state ---------------------------------------------------------

TIP_FIGURES_FILE = "us_tip_figures.csv"
_LAST_YEAR = 2100


def _whole(value, low: int, high: int) -> bool:
    """True for a whole number (5, 5.0, "5" is not: the file's cells are read as numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value == value and float(value).is_integer() and low <= value <= high


def _filled(series: pd.Series) -> pd.Series:
    return ~blank(series)


def _not_after(early: pd.Series, late: pd.Series) -> pd.Series:
    early, late = pd.to_numeric(early, errors="coerce"), pd.to_numeric(late, errors="coerce")
    return early.isna() | late.isna() | (early <= late)


def _year_column(what: str) -> pa.Column:
    return pa.Column(
        None,
        pa.Check(
            lambda v: _whole(v, FIRST_YEAR, _LAST_YEAR),
            element_wise=True,
            ignore_na=False,
            error=f"{what} must be a year from {FIRST_YEAR} to {_LAST_YEAR}",
        ),
        nullable=True,  # an empty cell fails the check above, which says what is expected
    )


us_tip_figures_schema = pa.DataFrameSchema(
    {
        "jurisdiction": pa.Column(
            str,
            pa.Check.str_matches(
                rf"^{ISO3_PATTERN}$", error="jurisdiction must be an ISO 3166-1 alpha-3 code"
            ),
            description="ISO 3166-1 alpha-3 code (XKX: Kosovo)",
        ),
        "report_year": _year_column("report_year"),
        "reference_year": _year_column("reference_year"),
        "indicator": pa.Column(
            str,
            pa.Check.isin(
                TIP_INDICATORS, error="indicator must be one of " + ", ".join(TIP_INDICATORS)
            ),
            description="what the figure counts: " + ", ".join(TIP_INDICATORS),
        ),
        "value": pa.Column(
            None,
            pa.Check(
                lambda v: _whole(v, 0, PLAUSIBLE_MAX),
                element_wise=True,
                ignore_na=False,
                error=f"value must be a whole number from 0 to {PLAUSIBLE_MAX:,}",
            ),
            nullable=True,
        ),
        "qualifier": pa.Column(
            None,
            pa.Check.isin(
                TIP_QUALIFIERS,
                error="qualifier must be empty or one of " + ", ".join(TIP_QUALIFIERS),
            ),
            nullable=True,
            required=False,
        ),
        "quote": pa.Column(
            None,
            pa.Check(_filled, ignore_na=False, error="the quote stating the figure is required"),
            nullable=True,
        ),
        "source_url": pa.Column(
            None,
            pa.Check(
                lambda s: s.astype(str).str.match(r"^https?://\S+$"),
                ignore_na=False,
                error="source_url must be the web page (http or https) the quote is on",
            ),
            nullable=True,
        ),
    },
    checks=[
        pa.Check(
            lambda df: _not_after(df["reference_year"], df["report_year"]),
            error="reference_year must not be after report_year",
        ),
    ],
    unique=["jurisdiction", "report_year", "reference_year", "indicator", "source_url"],
    name="us_tip_figures",
    description=(
        "One row per figure a US TIP report states for a jurisdiction: the year it refers to, "
        "the exact quote and the page."
    ),
)


def validate_tip_figures(frame: pd.DataFrame, file: str = TIP_FIGURES_FILE) -> list[Finding]:
    """The schema's findings, each naming the row of the file (the header is row 1)."""

    def locate(frame: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
        return file, f"row {int(index) + 2}", column

    return validate(
        frame,
        us_tip_figures_schema,
        locate=locate,
        wide_check_columns={"reference_year must not be after report_year": "reference_year"},
    )
