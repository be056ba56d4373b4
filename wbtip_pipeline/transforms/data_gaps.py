"""Data gaps: what each jurisdiction reports, per indicator, breakdown and year.

A breakdown's cells are the rows of `harmonised_statistics` that make it up:

- `total`: the total (dimension, sex and age `total`);
- `sex`: the rows of dimension `total` with a sex other than `total` (any age);
- `age`: the rows of dimension `total` with an age other than `total` (any sex);
- `exploitation`, `citizenship`, `repatriation`: the rows of that dimension.

Status of a cell group: `not_reported` (no row: absent means not reported, never zero),
`exact` (every count exact), `suppressed_only` (every count an interval such as `<5`),
`partly_suppressed` (some of each). The years run over the whole regional range (the first to
the last year any jurisdiction reported), so a jurisdiction that started late or stopped early
shows its missing years as `not_reported`; `in_jurisdiction_range` says whether a year lies
between the jurisdiction's own first and last reported years.
"""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.transforms.trends import join_files
from wbtip_pipeline.vocab import BREAKDOWNS, INDICATORS

# BREAKDOWNS and the statuses (`vocab.DATA_STATUSES`) are the code lists of the data_gaps table.
DATA_GAP_COLUMNS = [
    "jurisdiction",
    "indicator",
    "breakdown",
    "year",
    "status",
    "n_cells",
    "n_suppressed_cells",
    "suppressed_share",
    "in_jurisdiction_range",
    "source_files",
]
SUMMARY_COLUMNS = [
    "jurisdiction",
    "first_year",
    "last_year",
    "n_years_reported",
    "missing_years",
    "n_groups",
    "share_not_reported",
    "share_not_reported_in_range",
    "n_cells",
    "share_suppressed",
    "rank_worst_first",
]


def _cells(h: pd.DataFrame) -> pd.DataFrame:
    """The rows of `h` with the breakdown they report on; a sex x age row counts for both."""
    total_dim = h["dimension"] == "total"
    parts = [
        h[total_dim & (h["sex"] == "total") & (h["age"] == "total")].assign(breakdown="total"),
        h[total_dim & (h["sex"] != "total")].assign(breakdown="sex"),
        h[total_dim & (h["age"] != "total")].assign(breakdown="age"),
        h[h["dimension"].isin(["exploitation", "citizenship", "repatriation"])].assign(
            breakdown=h["dimension"]
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def compute_data_gaps(
    harmonised: pd.DataFrame,
    jurisdictions: list[str] | None = None,
    region: Region | None = None,
) -> pd.DataFrame:
    """One row per jurisdiction x indicator x breakdown x year of the regional year range.

    `region`: default `load_region()`; rows of its own code are not a jurisdiction's.
    `jurisdictions`: those to cover (default: the region's members, then any other in the data),
    so that a jurisdiction with no rows at all still shows as not reported.
    """
    region = load_region() if region is None else region
    h = harmonised[harmonised["jurisdiction"] != region.code]
    if jurisdictions is None:
        members = list(region.codes)
        jurisdictions = [*members, *sorted(set(h["jurisdiction"]) - set(members))]
    cells = _cells(h)
    cells = cells.assign(suppressed=cells["value_low"] != cells["value_high"])
    key = ["jurisdiction", "indicator", "breakdown", "year"]
    reported = cells.groupby(key, as_index=False).agg(
        n_cells=("suppressed", "size"),
        n_suppressed_cells=("suppressed", "sum"),
        source_files=("source_files", join_files),
    )

    years = range(int(h["year"].min()), int(h["year"].max()) + 1) if len(h) else range(0)
    grid = pd.MultiIndex.from_product(
        [jurisdictions, INDICATORS, BREAKDOWNS, years], names=key
    ).to_frame(index=False)
    out = grid.merge(reported, on=key, how="left")
    out[["n_cells", "n_suppressed_cells"]] = out[["n_cells", "n_suppressed_cells"]].fillna(0)
    out = out.astype({"n_cells": "int64", "n_suppressed_cells": "int64", "year": "int64"})
    out["suppressed_share"] = (out["n_suppressed_cells"] / out["n_cells"]).where(out["n_cells"] > 0)
    out["status"] = "partly_suppressed"
    out.loc[out["n_suppressed_cells"] == 0, "status"] = "exact"
    out.loc[(out["n_cells"] > 0) & (out["n_suppressed_cells"] == out["n_cells"]), "status"] = (
        "suppressed_only"
    )
    out.loc[out["n_cells"] == 0, "status"] = "not_reported"

    span = h.groupby("jurisdiction")["year"].agg(["min", "max"])
    first = out["jurisdiction"].map(span["min"])
    last = out["jurisdiction"].map(span["max"])
    out["in_jurisdiction_range"] = (out["year"] >= first) & (out["year"] <= last)
    out["source_files"] = (
        out["source_files"].astype(object).where(out["source_files"].notna(), None)
    )
    return out.reindex(columns=DATA_GAP_COLUMNS).reset_index(drop=True)


def summarise_data_gaps(data_gaps: pd.DataFrame) -> pd.DataFrame:
    """One row per jurisdiction: its reported range and the years missing inside it (no figure
    of any indicator), the share of its indicator x breakdown x year groups not reported (over
    the regional range, and inside its own range), the share of its reported cells that are
    suppressed (`<5`); ranked worst first (most not reported, then most suppressed)."""
    rows = []
    for jurisdiction, part in data_gaps.groupby("jurisdiction", sort=False):
        not_reported = part["status"] == "not_reported"
        years = sorted(set(part.loc[~not_reported, "year"]))
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
        in_range = part["in_jurisdiction_range"]
        cells = part["n_cells"].sum()
        rows.append(
            {
                "jurisdiction": jurisdiction,
                "first_year": years[0] if years else None,
                "last_year": years[-1] if years else None,
                "n_years_reported": len(years),
                "missing_years": ",".join(map(str, missing)),
                "n_groups": len(part),
                "share_not_reported": not_reported.mean(),
                "share_not_reported_in_range": not_reported[in_range].mean()
                if in_range.any()
                else None,
                "n_cells": cells,
                "share_suppressed": part["n_suppressed_cells"].sum() / cells if cells else None,
            }
        )
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS[:-1])
    out = out.sort_values(
        ["share_not_reported", "share_suppressed"], ascending=False, na_position="first"
    )
    out["rank_worst_first"] = range(1, len(out) + 1)
    out = out.astype(
        {c: "Int64" for c in ["first_year", "last_year"]}
        | {c: "int64" for c in ["n_years_reported", "n_groups", "n_cells"]}
        | {
            c: "float64"
            for c in ["share_not_reported", "share_not_reported_in_range", "share_suppressed"]
        }
    )
    return out.reset_index(drop=True)
