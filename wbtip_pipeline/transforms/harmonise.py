"""Validated raw frames -> the harmonised statistics table (HARMONISED.md)."""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.countries import country_code
from wbtip_pipeline.schemas.harmonised import (
    DATA_QUALITY_COLUMNS,
    HARMONISED_COLUMNS,
    HARMONISED_KEY,
)
from wbtip_pipeline.vocab import COUNTRY_DIMENSIONS, UNKNOWN


def map_countries(raw: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Categories with country names replaced by codes, and a warning row per unmappable name."""
    country = raw["dimension"].isin(COUNTRY_DIMENSIONS) & (raw["category"] != raw["jurisdiction"])
    names = raw.loc[country, "category"].fillna("")
    codes = names.map(country_code)
    unmapped = codes.isna()
    found = raw.loc[codes[unmapped].index]
    key = ["jurisdiction", "category", "source_file"]
    first = found.drop_duplicates(key)[[*key, "year", "dimension"]]
    # where in the file, for the analyst who fixes it: "row 14", "sheet 'Žrtve', row 12", ...
    places = found.groupby(key, sort=False, dropna=False)["source_row"].agg(_places)
    issues = first.assign(
        severity="warning",
        check_name="unmapped_country",
        message=lambda d: (
            "country name "
            + d["category"].map(repr)
            + " ("
            + d["dimension"]
            + ")"
            + [
                _where(places.get((j, c, f), ""), f)
                for j, c, f in zip(d["jurisdiction"], d["category"], d["source_file"], strict=True)
            ]
            + " could not be mapped to an ISO code; counted as UNKNOWN. "
            "Add it to wbtip_pipeline/reference/country_overrides.yaml if it is a country."
        ),
    )
    category = raw["category"].copy()
    category.loc[codes.index] = codes.fillna(UNKNOWN)
    return category, issues.reindex(columns=DATA_QUALITY_COLUMNS)


def _places(rows: pd.Series, most: int = 5) -> str:
    found = [str(r) for r in rows.dropna().unique()]
    more = f" and {len(found) - most} more" if len(found) > most else ""
    return "; ".join(found[:most]) + more


def _where(places: str, file: str | None) -> str:
    if not isinstance(file, str) or not file:
        return ""
    return f" at {places} of {file}" if places else f" in {file}"


def harmonise_statistics(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One harmonised table from raw frames that passed validation, and the warnings it raised.

    Rows sharing a key (unnamed sub-forms of other exploitation, named sub-forms, two spellings
    of the same country) are added up as intervals: lows add, highs add.
    """
    rows = raw[raw["problem"].isna()].copy()
    rows["category"], issues = map_countries(rows)
    if rows.empty:
        return pd.DataFrame(columns=HARMONISED_COLUMNS), issues
    grouped = rows.groupby(HARMONISED_KEY, sort=True, dropna=False).agg(
        value_low=("value_low", "sum"),
        value_high=("value_high", "sum"),
        source_files=("source_file", lambda s: "; ".join(sorted(set(s)))),
    )
    out = grouped.reset_index()
    for col in ("year", "value_low", "value_high"):
        out[col] = out[col].astype("int64")
    return out[HARMONISED_COLUMNS], issues
