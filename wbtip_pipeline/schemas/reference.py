"""Schemas of the reference files: population, US TIP tiers (the checklist's is in sources/mechanisms)."""

import pandera.pandas as pa

from wbtip_pipeline.vocab import FIRST_YEAR, TIERS

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
