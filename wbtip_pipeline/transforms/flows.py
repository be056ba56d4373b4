"""Victim flows: origin (citizenship) x destination (where the victims were detected) x year.

Two kinds of rows of `harmonised_statistics` (victims detected, sex and age `total`) give flows:

- `citizenship` rows of a jurisdiction: victims detected there (the destination), by their
  citizenship (the origin); `direction` = `inbound_detection`.
- `repatriation` rows of a jurisdiction: its own nationals, detected in another country and
  repatriated from it; that is the reverse direction, so the origin is the reporting jurisdiction
  and the destination the country repatriated from; `direction` = `repatriation`.

`flow_type`: `domestic` when origin = destination; `intra_regional` when both are jurisdictions
of the region (the six, and any jurisdiction added by configuration); `extra_regional` when one
side is outside it; `unknown` when a side is not a known country (`ABROAD`, `UNKNOWN`, or a
former state such as `YUG` whose successors lie on both sides of the regional border).
The keys of the harmonised row (jurisdiction, year, indicator, dimension, category) stay on
every flow so that a reader can find the figure it came from.
"""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.codes import JURISDICTIONS, SPECIAL_COUNTRY_CODES

INDICATOR = "victims_detected"
# Former states whose successors include jurisdictions of the region: a citizenship of `YUG`
# (or `SCG`) cannot be told national or foreign, inside or outside the region.
FORMER_REGIONAL_CODES = ("YUG", "SCG")
DIRECTION_OF_DIMENSION = {"citizenship": "inbound_detection", "repatriation": "repatriation"}
FLOW_TYPES = ("domestic", "intra_regional", "extra_regional", "unknown")
DIRECTIONS = ("inbound_detection", "repatriation")

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


def classify_flow(origin: str, destination: str, region: set[str]) -> str:
    """The flow type of one origin -> destination pair (module docstring)."""
    unplaceable = {*SPECIAL_COUNTRY_CODES, *FORMER_REGIONAL_CODES}
    if origin in unplaceable or destination in unplaceable:
        return "unknown"
    if origin == destination:
        return "domestic"
    if origin in region and destination in region:
        return "intra_regional"
    return "extra_regional"


def compute_victim_flows(
    harmonised: pd.DataFrame, region: set[str] | frozenset[str] | None = None
) -> pd.DataFrame:
    """One row per origin x destination x year x direction, with the count's bounds.

    `region`: the codes of the region's jurisdictions (default: the six of `codes.JURISDICTIONS`
    and any other jurisdiction in the data, i.e. one added by configuration).
    """
    if region is None:
        region = set(JURISDICTIONS) | set(harmonised["jurisdiction"])
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
        classify_flow(o, d, region)
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
