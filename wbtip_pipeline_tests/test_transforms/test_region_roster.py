"""The transforms follow the configured roster: a seventh jurisdiction config makes a seventh
member and a `WB7` region row, with no code change."""

from __future__ import annotations

import pytest

from wbtip_pipeline.schemas.analytics import (
    data_gap_summary_schema,
    data_gaps_schema,
    trend_summary_schema,
    trends_schema,
    victim_flows_schema,
)
from wbtip_pipeline.transforms.data_gaps import compute_data_gaps, summarise_data_gaps
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.test_transforms.frames import harmonised, population, row


@pytest.fixture
def seven(tmp_path):
    """The bundled configs plus Quuxland (QQQ), a copy of Albania's."""
    return seven_member_region(tmp_path)


@pytest.fixture
def frames():
    h = harmonised(
        [
            row("ALB", 2020, 10),
            row("ALB", 2021, 12),
            row("QQQ", 2020, 3),
            row("QQQ", 2021, "<5"),
            row("SRB", 2021, 7),
            row("QQQ", 2021, 2, dimension="citizenship", category="ALB"),
        ]
    )
    pop = population({("ALB", 2020): 2_800_000, ("QQQ", 2020): 100_000})
    return h, pop


def test_a_seventh_config_makes_a_seventh_member(seven):
    assert seven.code == "WB7"
    assert seven.size == 7
    assert "QQQ" in seven.codes
    assert seven.name_of("QQQ") == "Quuxland"
    assert seven.size_words() == "seven jurisdictions"


def test_trends_aggregate_under_the_configured_code(seven, frames):
    h, pop = frames
    trends = trends_schema.validate(compute_trends(h, pop, region=seven))
    assert set(trends["jurisdiction"]) == {"ALB", "QQQ", "SRB", "WB7"}
    assert "WB6" not in set(trends["jurisdiction"])
    region = trends[trends["jurisdiction"] == "WB7"].set_index("year")
    assert region.loc[2020, "jurisdictions_reporting"] == "ALB,QQQ"
    assert region.loc[2021, "jurisdictions_reporting"] == "ALB,QQQ,SRB"
    # the members that did not report are named from the seven, QQQ among them when missing
    assert "of 7 jurisdictions" in region.loc[2020, "note"]
    assert "SRB" in region.loc[2020, "note"]
    # members first in the roster's order, then the region's row
    assert list(dict.fromkeys(trends["jurisdiction"])) == ["ALB", "SRB", "QQQ", "WB7"]

    summary = trend_summary_schema.validate(compute_trend_summary(trends, region=seven))
    assert list(dict.fromkeys(summary["jurisdiction"])) == ["ALB", "SRB", "QQQ", "WB7"]


def test_data_gaps_cover_every_configured_member(seven, frames):
    h, _ = frames
    gaps = data_gaps_schema.validate(compute_data_gaps(h, region=seven))
    assert list(dict.fromkeys(gaps["jurisdiction"])) == list(seven.codes)
    assert "QQQ" in set(gaps["jurisdiction"])
    # BIH is a member without any figure: every group not reported, not left out
    assert set(gaps.loc[gaps["jurisdiction"] == "BIH", "status"]) == {"not_reported"}
    summary = data_gap_summary_schema.validate(summarise_data_gaps(gaps))
    assert set(summary["jurisdiction"]) == set(seven.codes)


def test_data_gaps_leave_out_the_configured_region_rows(seven, frames):
    h, _ = frames
    with_region = harmonised([*h.to_dict("records"), row("ALB", 2019, 1)])
    with_region.loc[len(with_region) - 1, "jurisdiction"] = "WB7"
    gaps = compute_data_gaps(with_region, region=seven)
    assert "WB7" not in set(gaps["jurisdiction"])


def test_flows_between_members_of_the_configured_region_are_intra_regional(seven, frames):
    h, _ = frames
    flows = victim_flows_schema.validate(compute_victim_flows(h, region=seven))
    (flow,) = flows.to_dict("records")
    assert (flow["origin"], flow["destination"]) == ("ALB", "QQQ")
    assert flow["flow_type"] == "intra_regional"
