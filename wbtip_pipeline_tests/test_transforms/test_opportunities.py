"""compute_regional_opportunities on hand-made gaps and flows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from wbtip_pipeline.schemas.analytics import regional_opportunities_schema
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.mechanisms import GAP_COLUMNS
from wbtip_pipeline.transforms.opportunities import compute_regional_opportunities

from .frames import harmonised, row

S = "<5"


def gap(jurisdiction, item, gap_type, score=None, year=None):
    return {
        "jurisdiction": jurisdiction,
        "item_id": item,
        "domain": "identification",
        "title": f"title of {item}",
        "gap_type": gap_type,
        "score": score,
        "year": year,
        "evidence": None if gap_type == "no_evidence" else f"{jurisdiction} {item} evidence",
        "source_url": None,
        "source_file": f"{jurisdiction.lower()}_ct_mechanisms.yaml",
        "source_row": "assessments[0]",
    }


GAPS = pd.DataFrame(
    [
        gap("ALB", "CT-07", "partly_met", 1, 2022),
        gap("BIH", "CT-07", "not_met", 0, 2023),
        gap("MKD", "CT-07", "partly_met", 1, 2022),
        # Two real gaps and an unknown: not shared by three.
        gap("ALB", "CT-18", "not_met", 0, 2021),
        gap("BIH", "CT-18", "not_met", 0, 2021),
        gap("MKD", "CT-18", "no_evidence"),
        gap("SRB", "CT-18", "conflict", None, 2020),
    ],
    columns=GAP_COLUMNS,
).astype({"score": "Int64", "year": "Int64"})

FLOWS = compute_victim_flows(
    harmonised(
        [
            row("MKD", 2019, S, dimension="citizenship", category="ALB"),
            row("MKD", 2020, 3, dimension="repatriation", category="ALB"),
            row("BIH", 2012, 10, dimension="citizenship", category="SRB"),  # too old
            row("XKX", 2021, 17, dimension="citizenship", category="XKX"),  # domestic
            row("ALB", 2021, 2, dimension="citizenship", category="DEU"),  # from outside
            row("SRB", 2021, S, dimension="citizenship", category="MNE"),
        ]
    )
)


@pytest.fixture(scope="module")
def opportunities() -> pd.DataFrame:
    return regional_opportunities_schema.validate(compute_regional_opportunities(GAPS, FLOWS))


def test_one_shared_gap_and_two_recent_pairs(opportunities):
    assert opportunities[["opportunity_type", "key"]].values.tolist() == [
        ["shared_gap", "CT-07"],
        ["bilateral_flow", "ALB-MKD"],
        ["bilateral_flow", "MNE-SRB"],
    ]


def test_shared_gap_with_its_evidence(opportunities):
    o = opportunities.iloc[0]
    assert (o["jurisdictions"], o["n_jurisdictions"], o["years"]) == ("ALB,BIH,MKD", 3, "2022,2023")
    evidence = json.loads(o["evidence"])
    assert [(e["jurisdiction"], e["item_id"], e["score"]) for e in evidence] == [
        ("ALB", "CT-07", 1),
        ("BIH", "CT-07", 0),
        ("MKD", "CT-07", 1),
    ]
    assert "not met at all in Bosnia and Herzegovina (BIH)" in o["description"]


def test_bilateral_pair_adds_both_directions_as_bounds(opportunities):
    o = opportunities[opportunities["key"] == "ALB-MKD"].iloc[0]
    assert (o["jurisdictions"], o["years"]) == ("ALB,MKD", "2019,2020")
    # an exact 3 from the source is still published as <5, which may be nil: not confirmed
    assert (o["victims_low"], o["victims_high"], o["confirmed"]) == (3, 7, False)
    evidence = json.loads(o["evidence"])
    assert [(e["jurisdiction"], e["year"], e["dimension"], e["category"]) for e in evidence] == [
        ("MKD", 2019, "citizenship", "ALB"),
        ("MKD", 2020, "repatriation", "ALB"),
    ]
    assert "Albania (ALB) and North Macedonia (MKD)" in o["description"]


def test_a_pair_seen_only_as_suppressed_is_not_confirmed(opportunities):
    o = opportunities[opportunities["key"] == "MNE-SRB"].iloc[0]
    assert (o["victims_low"], o["victims_high"], bool(o["confirmed"])) == (0, 4, False)
    assert "possibly none" in o["description"]


def test_a_flow_of_five_or_more_confirms_the_pair():
    flows = compute_victim_flows(
        harmonised(
            [
                row("SRB", 2021, 6, dimension="citizenship", category="MNE"),
                row("MNE", 2021, 2, dimension="citizenship", category="SRB"),
            ]
        )
    )
    o = compute_regional_opportunities(GAPS, flows).query("key == 'MNE-SRB'").iloc[0]
    assert (o["victims_low"], o["victims_high"], bool(o["confirmed"])) == (8, 8, True)


def test_recent_years_sets_the_window():
    out = compute_regional_opportunities(GAPS, FLOWS, recent_years=1)  # 2021 only
    assert out.loc[out["opportunity_type"] == "bilateral_flow", "key"].tolist() == ["MNE-SRB"]
    out = compute_regional_opportunities(GAPS, FLOWS, recent_years=10)
    assert "BIH-SRB" in out["key"].tolist()


def test_no_input_gives_an_empty_valid_table():
    out = compute_regional_opportunities(GAPS.iloc[0:0], FLOWS.iloc[0:0])
    assert out.empty
    regional_opportunities_schema.validate(out)
