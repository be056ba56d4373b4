"""Small hand-made input frames for the transform tests, and the bundled data's paths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wbtip_pipeline.schemas.harmonised import HARMONISED_COLUMNS, harmonised_schema

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "data" / "sources"
REFERENCE = ROOT / "data" / "reference"
SUPPRESSED = "<5"


def row(
    jurisdiction: str,
    year: int,
    value: int | str,
    indicator: str = "victims_detected",
    dimension: str = "total",
    category: str = "total",
    sex: str = "total",
    age: str = "total",
) -> dict:
    """One harmonised row; `value` is a count or "<5" (0..4)."""
    low, high = (0, 4) if value == SUPPRESSED else (int(value), int(value))
    return {
        "jurisdiction": jurisdiction,
        "year": year,
        "indicator": indicator,
        "dimension": dimension,
        "category": category,
        "sex": sex,
        "age": age,
        "value_low": low,
        "value_high": high,
        "source_files": f"{jurisdiction.lower()}_{year}.csv",
    }


def harmonised(rows: list[dict]) -> pd.DataFrame:
    """A harmonised_statistics frame of `rows`, checked against its contract."""
    frame = pd.DataFrame(rows, columns=HARMONISED_COLUMNS)
    frame = frame.astype({"year": "int64", "value_low": "int64", "value_high": "int64"})
    return harmonised_schema.validate(frame)


def population(values: dict[tuple[str, int], int]) -> pd.DataFrame:
    """A population frame in the World Bank file's own columns."""
    return pd.DataFrame(
        [
            {"Country Name": code, "Country Code": code, "Year": year, "Value": value}
            for (code, year), value in values.items()
        ]
    )
