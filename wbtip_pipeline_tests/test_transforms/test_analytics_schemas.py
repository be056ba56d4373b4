"""The analytics schemas: every table documented, and each rule catches the one change that
breaks it (a good frame from a transform, then one change per case)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.transforms.data_gaps import compute_data_gaps
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_scores,
)
from wbtip_pipeline.transforms.opportunities import compute_regional_opportunities
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends

from .frames import harmonised, population, row
from .test_mechanisms import CHECKLIST, A

TABLES = [
    "trends",
    "trend_summary",
    "victim_flows",
    "mechanism_scores",
    "mechanism_domain_scores",
    "mechanism_gaps",
    "mechanism_conflicts",
    "mechanism_history",
    "data_gaps",
    "data_gap_summary",
    "regional_opportunities",
]

H = harmonised(
    [row("ALB", y, v) for y, v in [(2017, 10), (2018, 20), (2019, "<5"), (2020, 40), (2021, 80)]]
    + [
        row("ALB", 2021, 5, dimension="citizenship", category="MKD"),
        row("ALB", 2021, 40, sex="female"),
        row("MKD", 2021, 9),
    ]
)
POP = population({(j, y): 1_000_000 for j in ("ALB", "MKD") for y in range(2017, 2022)})


def failures(table: str, frame: pd.DataFrame) -> set[str]:
    try:
        ANALYTICS_SCHEMAS[table].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return set(exc.failure_cases["check"].astype(str))
    return set()


@pytest.fixture(scope="module")
def good() -> dict[str, pd.DataFrame]:
    trends = compute_trends(H, POP)
    flows = compute_victim_flows(H)
    scores = compute_mechanism_scores(A, CHECKLIST)
    gaps = compute_mechanism_gaps(scores)
    return {
        "trends": trends,
        "trend_summary": compute_trend_summary(trends),
        "victim_flows": flows,
        "mechanism_scores": scores,
        "mechanism_domain_scores": compute_domain_scores(scores),
        "mechanism_gaps": gaps,
        "data_gaps": compute_data_gaps(H, jurisdictions=["ALB", "MKD"]),
        "regional_opportunities": compute_regional_opportunities(gaps, flows),
    }


def test_every_table_has_a_schema_with_its_grain_and_column_descriptions():
    assert sorted(ANALYTICS_SCHEMAS) == sorted(TABLES)
    for name, schema in ANALYTICS_SCHEMAS.items():
        assert schema.name == name
        assert schema.description.startswith("One row per"), name
        undocumented = [c for c, col in schema.columns.items() if not col.description]
        assert undocumented == [], name


@pytest.mark.parametrize(
    "table",
    [
        "trends",
        "trend_summary",
        "victim_flows",
        "mechanism_scores",
        "mechanism_domain_scores",
        "mechanism_gaps",
        "data_gaps",
        "regional_opportunities",
    ],
)
def test_the_good_frames_pass(good, table):
    assert len(good[table]) > 0
    assert failures(table, good[table]) == set()


def changed(frame: pd.DataFrame, where, **values) -> pd.DataFrame:
    out = frame.copy()
    index = out.index[where(out)][0]
    for column, value in values.items():
        out.loc[index, column] = value
    return out


CASES = [
    (
        "trends",
        lambda d: d["jurisdiction"] == "ALB",
        {"value_low": 100},
        "value_low must not exceed value_high",
    ),
    (
        "trends",
        lambda d: ~d["value_exact"],
        {"yoy_change": 1.0, "yoy_change_low": 0.0, "yoy_change_high": 2.0},
        "yoy_change only for an exact count",
    ),
    (
        "trends",
        lambda d: d["jurisdiction"] == "WB6",
        {"n_jurisdictions_reporting": 3},
        "jurisdictions_reporting must list n_jurisdictions_reporting codes "
        "(the row's own code outside the region)",
    ),
    (
        "trends",
        lambda d: d["female_share_low"].notna(),
        {"female_share_high": 0.1},
        "female_share_low must not exceed female_share_high",
    ),
    (
        "trend_summary",
        lambda d: d["direction"] == "rising",
        {"slope_ci_low": -0.1},
        "direction must follow the slope's interval",
    ),
    (
        # an interval around 0 reaching far beyond +-10% a year is no clear trend, not stable
        "trend_summary",
        lambda d: d["direction"] == "rising",
        {"direction": "stable", "slope_ci_low": -0.05},
        "direction must follow the slope's interval",
    ),
    (
        "trend_summary",
        lambda d: d["direction"] == "rising",
        {"annual_change_ci_low_pct": 99.0},
        "annual_change_ci_low_pct must be (exp(slope_ci_low) - 1) * 100",
    ),
    (
        "trend_summary",
        lambda d: d["direction"] == "insufficient_data",
        {"reason": None},
        "insufficient_data needs a reason",
    ),
    (
        "victim_flows",
        lambda d: d["flow_type"] == "intra_regional",
        {"intra_regional": False},
        "the flags must agree with flow_type",
    ),
    (
        "victim_flows",
        lambda d: d["direction"] == "inbound_detection",
        {"destination": "SRB"},
        "origin and destination must follow the direction",
    ),
    (
        "mechanism_scores",
        lambda d: d["status"] == "unknown",
        {"score": 0},
        "score, year and conflicting_scores must follow the status",
    ),
    (
        "mechanism_domain_scores",
        lambda d: ~d["rankable"],
        {"rank": 1},
        "no rank below the coverage threshold",
    ),
    (
        "mechanism_gaps",
        lambda d: d["gap_type"] == "not_met",
        {"score": 1},
        "score and evidence must follow gap_type",
    ),
    (
        "data_gaps",
        lambda d: d["status"] == "exact",
        {"n_suppressed_cells": 1},
        "status must follow n_cells and n_suppressed_cells",
    ),
    (
        "regional_opportunities",
        lambda d: d["key"] == "ALB-MKD",
        {"description": "Flows <b>ALB</b>"},
        "description must be plain text, without HTML",
    ),
    (
        "regional_opportunities",
        lambda d: d["key"] == "ALB-MKD",
        {"evidence": "ALB 2021"},
        "evidence must be a non-empty JSON list of rows",
    ),
    (
        "regional_opportunities",
        lambda d: d["key"] == "ALB-MKD",
        {"key": "MKD-ALB"},
        "jurisdictions, n_jurisdictions and key must fit the opportunity type",
    ),
]


@pytest.mark.parametrize(("table", "where", "values", "rule"), CASES)
def test_one_change_breaks_one_rule(good, table, where, values, rule):
    assert rule in failures(table, changed(good[table], where, **values))
