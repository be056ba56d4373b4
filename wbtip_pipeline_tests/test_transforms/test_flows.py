"""compute_victim_flows on a hand-made frame."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.schemas.analytics import victim_flows_schema
from wbtip_pipeline.transforms.flows import compute_victim_flows

from .frames import harmonised, row

S = "<5"


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    h = harmonised(
        [
            # Kosovo 2019 (US TIP report): 21 of its 26 victims were Kosovo citizens.
            row("XKX", 2019, 26),
            row("XKX", 2019, 21, dimension="citizenship", category="XKX"),
            row("XKX", 2019, 2, dimension="citizenship", category="SRB"),
            row("XKX", 2019, 1, dimension="citizenship", category="UNKNOWN"),
            row("SRB", 2020, S, dimension="citizenship", category="DEU"),
            row("SRB", 2020, 1, dimension="citizenship", category="YUG"),
            # Albanians repatriated from Serbia, from Germany and from an unnamed country.
            row("ALB", 2020, S, dimension="repatriation", category="SRB"),
            row("ALB", 2020, 2, dimension="repatriation", category="DEU"),
            row("ALB", 2020, 6, dimension="repatriation", category="ABROAD"),
            # Not flows of victims: a sex breakdown, and the citizenship of convicted persons.
            row("XKX", 2019, 2, dimension="citizenship", category="SRB", sex="female"),
            row(
                "SRB",
                2020,
                3,
                indicator="persons_convicted",
                dimension="citizenship",
                category="BIH",
            ),
        ]
    )
    return victim_flows_schema.validate(compute_victim_flows(h))


def flow(flows, origin, destination, year=None):
    rows = flows[(flows["origin"] == origin) & (flows["destination"] == destination)]
    if year is not None:
        rows = rows[rows["year"] == year]
    assert len(rows) == 1
    return rows.iloc[0]


def test_only_victims_of_all_sexes_and_ages(flows):
    assert len(flows) == 8  # 3 XKX + 2 SRB citizenship rows, 3 ALB repatriation rows
    assert set(flows["indicator"]) == {"victims_detected"}
    assert not ((flows["origin"] == "BIH") & (flows["destination"] == "SRB")).any()


def test_kosovo_2019_domestic_victims(flows):
    f = flow(flows, "XKX", "XKX", 2019)
    assert (f["value_low"], f["value_high"], f["flow_type"]) == (21, 21, "domestic")
    assert f["domestic"] and not f["intra_regional"]


def test_inbound_flow_between_two_jurisdictions_is_intra_regional(flows):
    f = flow(flows, "SRB", "XKX")
    assert (f["flow_type"], f["direction"], f["jurisdiction"], f["category"]) == (
        "intra_regional",
        "inbound_detection",
        "XKX",
        "SRB",
    )
    assert f["intra_regional"] and not f["from_outside_region"]


def test_repatriation_is_the_reverse_direction(flows):
    f = flow(flows, "ALB", "SRB")  # Albanians detected in Serbia, repatriated
    assert (f["direction"], f["jurisdiction"], f["flow_type"]) == (
        "repatriation",
        "ALB",
        "intra_regional",
    )
    assert (f["value_low"], f["value_high"], f["value_exact"]) == (0, 4, False)
    f = flow(flows, "ALB", "DEU")
    assert f["flow_type"] == "extra_regional" and not f["from_outside_region"]


def test_flows_from_outside_the_region(flows):
    f = flow(flows, "DEU", "SRB")
    assert f["flow_type"] == "extra_regional" and f["from_outside_region"]


def test_unplaceable_countries_are_unknown(flows):
    assert flow(flows, "UNKNOWN", "XKX")["flow_type"] == "unknown"
    assert flow(flows, "ALB", "ABROAD")["flow_type"] == "unknown"
    assert flow(flows, "YUG", "SRB")["flow_type"] == "unknown"  # successors on both sides


def test_every_flow_keeps_its_source(flows):
    assert flow(flows, "XKX", "XKX")["source_files"] == "xkx_2019.csv"


def test_empty_input_gives_an_empty_valid_table():
    victim_flows_schema.validate(compute_victim_flows(harmonised([])))
