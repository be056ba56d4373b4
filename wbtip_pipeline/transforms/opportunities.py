"""Regional opportunities: where acting together could pay off, each with its evidence rows.

- `shared_gap`: a checklist item whose latest score is 0 or 1 (`not_met`, `partly_met`) in at
  least `MIN_SHARED_GAP` jurisdictions: a candidate for a regional programme. Unknown items and
  conflicts are not gaps here (they are evidence gaps, listed in `mechanism_gaps`).
- `bilateral_flow`: two jurisdictions of the region linked by intra-regional victim flows (either
  direction, detected or repatriated) in the `recent_years` calendar years up to the latest year
  of the flows: a candidate for bilateral cooperation such as joint identification procedures.
  `confirmed` says whether the published figures alone show that some victim moved: at least one
  flow of 5 or more. A flow below 5 is published as `<5`, which may be nil, even where the
  source gave an exact count (the warehouse's `victims_low` and `victims_high` keep it).
"""

from __future__ import annotations

import json

import pandas as pd

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.vocab import MIN_SHARED_GAP, SHARED_GAP_TYPES, SUPPRESSED_HIGH

OPPORTUNITY_COLUMNS = [
    "opportunity_type",
    "key",
    "jurisdictions",
    "n_jurisdictions",
    "years",
    "victims_low",
    "victims_high",
    "confirmed",
    "evidence",
    "description",
]
_GAP_EVIDENCE = [
    "jurisdiction",
    "item_id",
    "gap_type",
    "score",
    "year",
    "evidence",
    "source_file",
    "source_row",
]
_FLOW_EVIDENCE = [
    "jurisdiction",
    "year",
    "indicator",
    "dimension",
    "category",
    "origin",
    "destination",
    "direction",
    "value_low",
    "value_high",
    "source_files",
]


def _records(rows: pd.DataFrame, columns: list[str]) -> str:
    """The evidence rows as JSON text: a list of {column: value}, nulls as null."""
    plain = rows[columns].astype(object).where(rows[columns].notna(), None)
    # numpy scalars (int64, bool_) are not JSON types: `.item()` gives the Python value.
    return json.dumps(
        plain.to_dict("records"),
        ensure_ascii=False,
        default=lambda v: v.item() if hasattr(v, "item") else str(v),
    )


def _name(code: str, region: Region) -> str:
    member = region.member(code)
    return f"{member.name} ({code})" if member is not None else code


def _victims(low: int, high: int) -> str:
    if low == high:
        return f"{low} victim" + ("" if low == 1 else "s")
    return f"between {low} and {high} victims" + (
        "" if low > 0 else " (possibly none: every figure is <5)"
    )


def _years(values: pd.Series) -> str:
    return ",".join(str(int(y)) for y in sorted(set(values.dropna())))


def _shared_gaps(mechanism_gaps: pd.DataFrame, region: Region) -> list[dict]:
    gaps = mechanism_gaps[mechanism_gaps["gap_type"].isin(SHARED_GAP_TYPES)]
    out = []
    for item_id, rows in gaps.sort_values(["item_id", "jurisdiction"]).groupby("item_id"):
        jurisdictions = sorted(set(rows["jurisdiction"]))
        if len(jurisdictions) < MIN_SHARED_GAP:
            continue
        not_met = sorted(set(rows.loc[rows["gap_type"] == "not_met", "jurisdiction"]))
        title = rows["title"].iloc[0]
        description = (
            f"{item_id} ({title}) is not fully met in {len(jurisdictions)} jurisdictions: "
            f"{', '.join(_name(c, region) for c in jurisdictions)}"
            + (
                f"; not met at all in {', '.join(_name(c, region) for c in not_met)}"
                if not_met
                else ""
            )
            + ". A candidate for a regional programme."
        )
        out.append(
            {
                "opportunity_type": "shared_gap",
                "key": item_id,
                "jurisdictions": ",".join(jurisdictions),
                "n_jurisdictions": len(jurisdictions),
                "years": _years(rows["year"]),
                "evidence": _records(rows, _GAP_EVIDENCE),
                "description": description,
            }
        )
    return out


def _bilateral_flows(victim_flows: pd.DataFrame, recent_years: int, region: Region) -> list[dict]:
    flows = victim_flows[victim_flows["flow_type"] == "intra_regional"]
    if flows.empty:
        return []
    latest = int(victim_flows["year"].max())
    flows = flows[flows["year"] > latest - recent_years]
    pair = [
        "-".join(sorted((o, d))) for o, d in zip(flows["origin"], flows["destination"], strict=True)
    ]
    out = []
    for key, rows in flows.assign(pair=pair).sort_values(["year", "jurisdiction"]).groupby("pair"):
        a, b = key.split("-")
        low, high = int(rows["value_low"].sum()), int(rows["value_high"].sum())
        directions = sorted(
            {f"{o} to {d}" for o, d in zip(rows["origin"], rows["destination"], strict=True)}
        )
        years = _years(rows["year"])
        description = (
            f"Victims moved between {_name(a, region)} and {_name(b, region)} "
            f"({', '.join(directions)}) in "
            f"{years.replace(',', ', ')}: {_victims(low, high)} in {len(rows)} reported flows. "
            "A candidate for bilateral cooperation, e.g. joint identification procedures."
        )
        out.append(
            {
                "opportunity_type": "bilateral_flow",
                "key": key,
                "jurisdictions": f"{a},{b}",
                "n_jurisdictions": 2,
                "years": years,
                "victims_low": low,
                "victims_high": high,
                "confirmed": bool((rows["value_low"] > SUPPRESSED_HIGH).any()),
                "evidence": _records(rows, _FLOW_EVIDENCE),
                "description": description,
            }
        )
    return out


def compute_regional_opportunities(
    mechanism_gaps: pd.DataFrame,
    victim_flows: pd.DataFrame,
    recent_years: int = 5,
    region: Region | None = None,
) -> pd.DataFrame:
    """One row per opportunity: a shared mechanism gap (key: item_id) or a bilateral flow
    (key: the two jurisdiction codes, sorted, e.g. `ALB-MKD`), with its evidence rows as JSON.
    `region` names the members in the descriptions (default: `load_region()`)."""
    region = load_region() if region is None else region
    rows = _shared_gaps(mechanism_gaps, region) + _bilateral_flows(
        victim_flows, recent_years, region
    )
    out = pd.DataFrame(rows, columns=OPPORTUNITY_COLUMNS)
    out = out.astype({"n_jurisdictions": "int64", "victims_low": "Int64", "victims_high": "Int64"})
    out["confirmed"] = out["confirmed"].astype("boolean")
    return out.reset_index(drop=True)
