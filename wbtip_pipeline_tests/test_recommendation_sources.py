"""Recommendations weigh the grade of their sources and the age of their evidence, and say the
year of the assessment they rest on; ids stay those of the evidence keys."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.transforms.recommendations import (
    DATED_FACTOR,
    QUOTES_IN_SUMMARY,
    compute_recommendations,
    priority_score,
    source_factor,
)
from wbtip_pipeline.vocab import REGIONAL, SOURCE_WEIGHTS
from wbtip_pipeline_tests.test_recommendations import RULES, gap, gaps, table

RULE = RULES["GAP-JUST-NOTMET"]
STATE = "https://www.state.gov/reports/2023-trafficking-in-persons-report/albania/"
COPY = "https://www.ecoi.net/en/document/2010750.html"
ELSEWHERE = "https://example.org/a-page"


def graded(*rows: tuple[str, str]) -> pd.DataFrame:
    """A small evidence_sources table: (url, source_type)."""
    return pd.DataFrame([{"url": url, "source_type": grade} for url, grade in rows])


SOURCES = graded((STATE, "us_government"), (COPY, "mirror"), (ELSEWHERE, "unknown"))


def one_gap(url: str | None, year: int = 2023, sources=SOURCES, statistics: int | None = None):
    row = gap("ALB", "CT-18", "justice", "not_met", year) | {"source_url": url}
    tables = gaps(row) | {"evidence_sources": sources}
    if statistics is not None:
        tables["trends"] = table("trends", {"jurisdiction": "ALB", "year": statistics})
    recs = compute_recommendations(tables, rules=[RULE])
    assert len(recs) == 1
    return recs.iloc[0]


def test_the_same_rule_scores_lower_on_a_mirror_than_on_the_original():
    official, mirror, unknown = one_gap(STATE), one_gap(COPY), one_gap(ELSEWHERE)
    assert mirror.priority_score < official.priority_score
    assert unknown.priority_score < mirror.priority_score
    assert mirror.priority_score == pytest.approx(official.priority_score * 0.7, abs=1e-3)
    assert unknown.priority_score == pytest.approx(official.priority_score * 0.5, abs=1e-3)
    # the id hashes the evidence keys, not the page they were read from
    assert official.recommendation_id == mirror.recommendation_id == unknown.recommendation_id


def test_the_best_page_of_a_statement_counts_and_no_grades_change_nothing():
    both = one_gap(f"{COPY} | {STATE}")
    assert both.priority_score == one_gap(STATE).priority_score
    ungraded = one_gap(COPY, sources=None)
    assert ungraded.priority_score == one_gap(STATE).priority_score
    no_url = one_gap(None)
    assert no_url.priority_score == one_gap(STATE).priority_score


def test_source_factor_is_the_mean_over_rows_that_cite_a_page():
    grades = {STATE: "us_government", COPY: "mirror"}
    rows = [
        {"values": {"source_url": STATE}},
        {"values": {"source_url": COPY}},
        {"values": {"gap_type": "no_evidence"}},  # cites no page: left out
    ]
    assert source_factor(rows, grades) == pytest.approx((1.0 + SOURCE_WEIGHTS["mirror"]) / 2)
    assert source_factor(rows[2:], grades) == 1.0
    assert source_factor(rows, None) == 1.0


def test_dated_evidence_weighs_less():
    # five years before the newest statistics is not dated; six is
    assert priority_score(1, 1, 2016, 2016, statistics_year=2021) == 1.0
    assert priority_score(1, 1, 2015, 2015, statistics_year=2021) == DATED_FACTOR == 0.5
    assert priority_score(1, 1, 2015, 2015) == 1.0  # no statistics year: nothing is dated
    recent = one_gap(STATE, year=2016, statistics=2021)
    dated = one_gap(STATE, year=2015, statistics=2021)
    alone = compute_recommendations(
        gaps(gap("ALB", "CT-18", "justice", "not_met", 2015) | {"source_url": STATE})
        | {"evidence_sources": SOURCES},
        rules=[RULE],
    ).iloc[0]
    assert dated.priority_score == pytest.approx(alone.priority_score * DATED_FACTOR)
    assert dated.priority_score < alone.priority_score <= recent.priority_score


def test_the_text_gives_the_year_of_the_latest_assessment():
    rec = one_gap(STATE, year=2019)
    assert "the latest assessment (2019) finds this not met: what the source says." in rec.text
    rows = [gap(j, "CT-18", "justice", "not_met", y) for j, y in (("ALB", 2017), ("MKD", 2019))]
    rows.append(gap("SRB", "CT-18", "justice", "not_met", 2023))
    recs = compute_recommendations(gaps(*rows), rules=[RULE])
    regional = recs[recs["jurisdiction"] == REGIONAL]
    # one regional line as before, listing the years of the assessments it summarises
    assert len(regional) == 1
    text = regional.iloc[0].text
    assert "the latest assessment (2017, 2019 and 2023) finds this not met" in text
    assert text.endswith("finds this not met: " + QUOTES_IN_SUMMARY + ".")
    # the same action on different findings is still one regional line, quoting none of them
    rows[-1] = rows[-1] | {"evidence": "Another finding."}
    recs = compute_recommendations(gaps(*rows), rules=[RULE])
    regional = recs[recs["jurisdiction"] == REGIONAL]
    text = regional.iloc[0].text
    assert len(regional) == 1 and text.endswith(f"finds this not met: {QUOTES_IN_SUMMARY}.")
    assert "another finding" not in text and "what the source says" not in text
    assert (
        "finds this not met: another finding." in recs[recs["jurisdiction"] == "SRB"].iloc[0].text
    )


def test_no_rule_says_latest_without_a_year():
    for rule in RULES.values():
        for template in (rule.text, rule.progress):
            if "latest" in template.lower():
                assert "{latest_year}" in template, rule.id


def test_dated_evidence_does_not_lead_the_priorities():
    dated = one_gap(STATE, year=2015, statistics=2021)
    recent = one_gap(STATE, year=2016, statistics=2021)
    assert not dated.acts_first and recent.acts_first
