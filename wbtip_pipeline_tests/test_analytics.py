"""The analytics tables as `wbtip run` publishes them from the bundled data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.vocab import TREND_DIRECTIONS
from wbtip_pipeline_tests.conftest import run_layers, settings_for


@pytest.mark.parametrize("name", sorted(ANALYTICS_SCHEMAS))
def test_every_analytics_table_is_published_and_valid(bundled_run, name):
    assert all(r.result.success for r in bundled_run.runs)
    table = bundled_run.table(name)
    assert table is not None
    # the bundled assessments contain no disagreement; every other table has rows
    assert len(table) > 0 or name == "mechanism_conflicts"
    csv = pd.read_csv(bundled_run.output / "tables" / f"{name}.csv")
    assert len(csv) == len(table)
    assert bundled_run.runs[1].check(f"{name}_schema").passed


def _one(frame: pd.DataFrame, **where) -> pd.Series:
    rows = frame
    for col, value in where.items():
        rows = rows[rows[col] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_albania_2021_rate_per_100k(bundled_run):
    row = _one(
        bundled_run.table("trends"), jurisdiction="ALB", year=2021, indicator="victims_detected"
    )
    expected = 159 / 2_489_762 * 100_000
    assert row.rate_per_100k_low == pytest.approx(expected) == row.rate_per_100k_high
    assert expected == pytest.approx(6.386, abs=1e-3)


def test_region_2020_total_adds_bounds(bundled_run):
    trends = bundled_run.table("trends")
    members = trends[
        (trends.year == 2020)
        & (trends.indicator == "victims_detected")
        & (trends.jurisdiction != "WB6")
    ]
    region = _one(trends, jurisdiction="WB6", year=2020, indicator="victims_detected")
    assert (region.value_low, region.value_high) == (
        members.value_low.sum(),
        members.value_high.sum(),
    )
    assert region.n_jurisdictions_reporting == len(members) == 6


def test_kosovo_domestic_flow_2019(bundled_run):
    flows = bundled_run.table("victim_flows")
    row = _one(flows, origin="XKX", destination="XKX", year=2019)
    assert (row.value_low, row.value_high, row.flow_type) == (21, 21, "domestic")


def test_montenegro_trend_is_insufficient(bundled_run):
    summary = bundled_run.table("trend_summary")
    assert (
        _one(summary, jurisdiction="MNE", indicator="victims_detected").direction
        == "insufficient_data"
    )
    assert set(summary.direction) <= set(TREND_DIRECTIONS)
    # a wide interval around 0 is no clear trend, never stable (issue 14)
    serbia = _one(summary, jurisdiction="SRB", indicator="victims_detected")
    assert serbia.direction == "no_clear_trend" and serbia.annual_change_ci_high_pct > 10


def test_unassessed_item_is_unknown_not_zero(bundled_run):
    scores = bundled_run.table("mechanism_scores")
    ct14 = scores[scores.item_id == "CT-14"]  # assessed for no jurisdiction
    assert len(ct14) == 6 and (ct14.status == "unknown").all() and ct14.score.isna().all()
    gaps = bundled_run.table("mechanism_gaps")
    assert (gaps[gaps.item_id == "CT-14"].gap_type == "no_evidence").all()


def test_kosovo_is_the_clearest_data_gap(bundled_run):
    summary = bundled_run.table("data_gap_summary").sort_values("rank_worst_first")
    assert summary.iloc[0].jurisdiction == "XKX"


def test_opportunities_cite_existing_evidence(bundled_run):
    opportunities = bundled_run.table("regional_opportunities")
    gaps = bundled_run.table("mechanism_gaps")
    shared = opportunities[opportunities.opportunity_type == "shared_gap"]
    assert len(shared) > 0 and (shared.n_jurisdictions >= 3).all()
    for row in shared.itertuples():
        evidence = json.loads(row.evidence)
        for item in evidence:
            assert (
                (gaps.jurisdiction == item["jurisdiction"]) & (gaps.item_id == item["item_id"])
            ).any()


def test_bad_assessment_file_blocks_only_its_jurisdiction(sources, tmp_path, instance, bundled_run):
    settings = settings_for(sources, bundled_run.copy_output(tmp_path / "out"))  # a first refresh
    path = sources / "SRB" / "srb_ct_mechanisms.yaml"
    path.write_text(path.read_text("utf-8").replace("score: 2", "score: 7", 1), encoding="utf-8")
    src_run, downstream = run_layers(settings, instance, documents=False)
    assert not src_run.check("ct_assessments_srb_schema").passed
    assert "a score must be 0 (not met), 1 (partly met) or 2 (met)" in src_run.messages(
        "ct_assessments_srb_schema"
    )
    assert src_run.check("ct_assessments_alb_schema").passed
    assert downstream.result.success
    from wbtip_pipeline.warehouse import Warehouse

    warehouse = Warehouse(f"sqlite:///{tmp_path / 'out' / 'warehouse.sqlite'}")
    scores = warehouse.read("mechanism_scores")
    # Serbia keeps its last good assessments: its items are not turned into unknowns
    assert (scores[scores.jurisdiction == "SRB"].status == "known").sum() > 0
    issues = warehouse.read("data_quality_issues")
    assert (
        issues[(issues.severity == "error") & (issues.jurisdiction == "SRB")]
        .message.str.contains("score must be")
        .any()
    )


def test_data_dictionary_is_written_and_committed_copy_is_current(bundled_run):
    from wbtip_pipeline.dictionary import render_dictionary
    from wbtip_pipeline.schemas.registry import table_schemas
    from wbtip_pipeline_tests.conftest import ROOT

    expected = render_dictionary(table_schemas())
    assert (bundled_run.output / "data_dictionary.md").read_text("utf-8") == expected
    committed = (ROOT / "docs" / "data_dictionary.md").read_text("utf-8")
    assert committed == expected, "regenerate it: wbtip dictionary > docs/data_dictionary.md"
    for table in table_schemas():
        assert f"## `{table}`" in expected
