"""Victim flows: origin (citizenship) x destination (where the victims were detected) x year.

Two kinds of rows of `harmonised_statistics` (victims detected, sex and age `total`) give flows:

- `citizenship` rows of a jurisdiction: victims detected there (the destination), by their
  citizenship (the origin); `direction` = `inbound_detection`.
- `repatriation` rows of a jurisdiction: its own nationals, detected in another country and
  repatriated from it; that is the reverse direction, so the origin is the reporting jurisdiction
  and the destination the country repatriated from; `direction` = `repatriation`.

`flow_type`: `domestic` when origin = destination; `intra_regional` when both are jurisdictions
of the region (the members of `region.load_region()`, one per jurisdiction config, and any other
jurisdiction in the data); `extra_regional` when one side is outside it; `unknown` when a side is
not a known country (`ABROAD`, `UNKNOWN`, or a former state of `region.former_codes` such as
`YUG`, whose successors lie on both sides of the regional border).
The keys of the harmonised row (jurisdiction, year, indicator, dimension, category) stay on
every flow so that a reader can find the figure it came from.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.vocab import SPECIAL_COUNTRY_CODES

INDICATOR = "victims_detected"
# Former states whose successors include jurisdictions of the region (`former_codes` of
# region.yaml): a citizenship of `YUG` (or `SCG`) cannot be told national or foreign, inside or
# outside the region. The configured region's, as at import; the functions take the region's own.
FORMER_REGIONAL_CODES = tuple(load_region().former_codes)
# dimension -> direction (vocab.FLOW_DIRECTIONS)
DIRECTION_OF_DIMENSION = {"citizenship": "inbound_detection", "repatriation": "repatriation"}

FLOWS_COLUMNS = [
    "origin",
    "destination",
    "year",
    "direction",
    "flow_type",
    "intra_regional",
    "domestic",
    "from_outside_region",
    "value_low",
    "value_high",
    "value_exact",
    "jurisdiction",
    "indicator",
    "dimension",
    "category",
    "source_files",
]


def classify_flow(
    origin: str, destination: str, region: set[str], former: Iterable[str] | None = None
) -> str:
    """The flow type of one origin -> destination pair (module docstring); `former`: the former
    states' codes (default: those of `load_region()`)."""
    former = load_region().former_codes if former is None else former
    unplaceable = {*SPECIAL_COUNTRY_CODES, *former}
    if origin in unplaceable or destination in unplaceable:
        return "unknown"
    if origin == destination:
        return "domestic"
    if origin in region and destination in region:
        return "intra_regional"
    return "extra_regional"


def compute_victim_flows(
    harmonised: pd.DataFrame, region: Region | Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per origin x destination x year x direction, with the count's bounds.

    `region`: the region (default: `load_region()`, the jurisdiction configs), whose members and
    any other jurisdiction in the data make up the region's side, and whose former codes are
    unplaceable; or the codes of the region's jurisdictions themselves.
    """
    if region is None:
        region = load_region()
    if isinstance(region, Region):
        former = set(region.former_codes)
        region = set(region.codes) | set(harmonised["jurisdiction"])
    else:
        former = set(load_region().former_codes)
        region = set(region)
    h = harmonised
    rows = h[
        (h["indicator"] == INDICATOR)
        & h["dimension"].isin(DIRECTION_OF_DIMENSION)
        & (h["sex"] == "total")
        & (h["age"] == "total")
    ].copy()
    inbound = rows["dimension"] == "citizenship"
    rows["origin"] = rows["category"].where(inbound, rows["jurisdiction"])
    rows["destination"] = rows["jurisdiction"].where(inbound, rows["category"])
    rows["direction"] = rows["dimension"].map(DIRECTION_OF_DIMENSION)
    rows["flow_type"] = [
        classify_flow(o, d, region, former)
        for o, d in zip(rows["origin"], rows["destination"], strict=True)
    ]
    rows["intra_regional"] = rows["flow_type"] == "intra_regional"
    rows["domestic"] = rows["flow_type"] == "domestic"
    rows["from_outside_region"] = (rows["flow_type"] == "extra_regional") & ~rows["origin"].isin(
        region
    )
    rows["value_exact"] = rows["value_low"] == rows["value_high"]
    out = rows.reindex(columns=FLOWS_COLUMNS)
    out = out.sort_values(["year", "destination", "origin", "direction"]).reset_index(drop=True)
    for col in ("value_low", "value_high", "year"):
        out[col] = out[col].astype("int64")
    for col in ("intra_regional", "domestic", "from_outside_region", "value_exact"):
        out[col] = out[col].astype(bool)
    return out
