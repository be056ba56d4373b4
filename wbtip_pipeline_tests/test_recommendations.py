"""Recommendations: the rules file, each rule on hand-made evidence, the texts, ids, priorities,
regional summaries and change tracking, and the whole rule set on the bundled data.

No Dagster here: the evidence tables come from the pure transforms.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from wbtip_pipeline.region import load_region
from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.schemas.recommendations import (
    recommendation_changes_schema,
    recommendations_schema,
)
from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.sources.mechanisms import load_checklist, read_assessments
from wbtip_pipeline.sources.readers import read_jurisdiction
from wbtip_pipeline.transforms.data_gaps import compute_data_gaps, summarise_data_gaps
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.harmonise import harmonise_statistics
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_scores,
    find_mechanism_conflicts,
)
from wbtip_pipeline.transforms.opportunities import compute_regional_opportunities
from wbtip_pipeline.transforms.recommendations import (
    DOMAINS,
    FROM_ITEM,
    REGIONAL,
    Interval,
    Number,
    RulesError,
    checklist_items,
    compute_recommendation_changes,
    compute_recommendations,
    load_actions,
    load_rules,
    parse_rules,
    priority_score,
    recommendation_id,
    years_label,
)
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline.vocab import MAX_PROGRESS_WORDS, MAX_WORDS
from wbtip_pipeline.warehouse import FOOTNOTE_COLUMN, with_footnotes

JURISDICTIONS = load_region().codes

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "data" / "sources"
REFERENCE = ROOT / "data" / "reference"
RULES = {rule.id: rule for rule in load_rules()}
ACTIONS = load_actions()


# --- hand-made evidence ----------------------------------------------------------------------


def table(name: str, *rows: dict) -> pd.DataFrame:
    """A frame of the evidence table `name`: every column of its schema, the given values, the
    rest empty."""
    columns = list(ANALYTICS_SCHEMAS[name].columns)
    frame = pd.DataFrame(list(rows), columns=columns)
    for column, spec in ANALYTICS_SCHEMAS[name].columns.items():
        dtype = str(spec.dtype)
        if dtype in ("Int64", "float64", "boolean"):
            frame[column] = frame[column].astype(dtype)
        elif dtype in ("int64", "bool") and frame[column].notna().all():
            frame[column] = frame[column].astype(dtype)
    return frame


@functools.cache
def _empty(name: str) -> pd.DataFrame:
    return table(name)


def evidence(**frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All evidence tables: the given ones, the others empty (each a copy of one empty frame
    built once: the cases are built at collection, in every worker)."""
    return {
        name: frames[name] if name in frames else _empty(name).copy() for name in ANALYTICS_SCHEMAS
    }


def gap(jurisdiction, item_id, domain, gap_type, year=2023, title="An item") -> dict:
    score = {"not_met": 0, "partly_met": 1}.get(gap_type)
    return {
        "jurisdiction": jurisdiction,
        "item_id": item_id,
        "domain": domain,
        "title": title,
        "gap_type": gap_type,
        "score": score,
        "year": year if score is not None else None,
        "evidence": "what the source says" if score is not None else None,
    }


def gaps(*rows: dict) -> dict[str, pd.DataFrame]:
    return evidence(mechanism_gaps=table("mechanism_gaps", *rows))


def summary(jurisdiction, indicator, direction, pct=-25.0, suppressed=0, **more) -> dict:
    return {
        "jurisdiction": jurisdiction,
        "indicator": indicator,
        "direction": direction,
        "annual_change_pct": pct,
        # a 95% interval around the estimate (its width does not matter to the rules)
        "annual_change_ci_low_pct": None if pct is None else pct - 10.0,
        "annual_change_ci_high_pct": None if pct is None else pct + 10.0,
        "first_year": 2017,
        "last_year": 2021,
        "years_window": "2017,2018,2019,2020,2021",
        "n_exact_years": 5 - suppressed,
        "n_suppressed_years": suppressed,
        **more,
    }


def summaries(*rows: dict) -> dict[str, pd.DataFrame]:
    return evidence(trend_summary=table("trend_summary", *rows))


def trend(jurisdiction, year, indicator, low, high=None, **more) -> dict:
    high = low if high is None else high
    return {
        "jurisdiction": jurisdiction,
        "year": year,
        "indicator": indicator,
        "value_low": low,
        "value_high": high,
        "value_exact": low == high,
        "source_files": f"{jurisdiction.lower()}_{year}.csv",
        **more,
    }


def attrition(numerator: str, denominator: str, figures: dict) -> dict[str, pd.DataFrame]:
    """trends rows: {jurisdiction: (numerator bounds, denominator bounds)} for 2021."""
    rows = []
    for code, (num, den) in figures.items():
        rows.append(trend(code, 2021, numerator, *num))
        rows.append(trend(code, 2021, denominator, *den))
    return evidence(trends=table("trends", *rows))


def victims_share(share: str, value: float, year: int = 2021, older: float | None = None):
    rows = [
        trend(
            "ALB", year, "victims_detected", 100, **{f"{share}_low": value, f"{share}_high": value}
        )
    ]
    if older is not None:
        rows.append(
            trend(
                "ALB",
                year - 1,
                "victims_detected",
                80,
                **{f"{share}_low": older, f"{share}_high": older},
            )
        )
    return evidence(trends=table("trends", *rows))


def flow(origin, destination, year, low, high=None, direction="inbound_detection", **more):
    high = low if high is None else high
    region = set(JURISDICTIONS)
    flow_type = (
        "domestic"
        if origin == destination
        else "intra_regional"
        if {origin, destination} <= region
        else "extra_regional"
    )
    jurisdiction = destination if direction == "inbound_detection" else origin
    return {
        "origin": origin,
        "destination": destination,
        "year": year,
        "direction": direction,
        "flow_type": flow_type,
        "intra_regional": flow_type == "intra_regional",
        "domestic": flow_type == "domestic",
        "from_outside_region": origin not in region,
        "value_low": low,
        "value_high": high,
        "value_exact": low == high,
        "jurisdiction": jurisdiction,
        "indicator": "victims_detected",
        "dimension": "citizenship" if direction == "inbound_detection" else "repatriation",
        "category": origin if direction == "inbound_detection" else destination,
        "source_files": "f.csv",
        **more,
    }


def flows(*rows: dict) -> dict[str, pd.DataFrame]:
    return evidence(victim_flows=table("victim_flows", *rows))


def data_gap(jurisdiction, indicator, breakdown, year, status, in_range=True) -> dict:
    return {
        "jurisdiction": jurisdiction,
        "indicator": indicator,
        "breakdown": breakdown,
        "year": year,
        "status": status,
        "n_cells": 0 if status == "not_reported" else 2,
        "n_suppressed_cells": 0,
        "in_jurisdiction_range": in_range,
    }


def data_gaps(*rows: dict) -> dict[str, pd.DataFrame]:
    return evidence(data_gaps=table("data_gaps", *rows))


def gap_summary(missing_years="", share_suppressed=0.1) -> dict[str, pd.DataFrame]:
    row = {
        "jurisdiction": "BIH",
        "first_year": 2003,
        "last_year": 2021,
        "n_years_reported": 18,
        "missing_years": missing_years,
        "share_suppressed": share_suppressed,
        "rank_worst_first": 1,
    }
    return evidence(data_gap_summary=table("data_gap_summary", row))


def opportunity(kind, key, jurisdictions, confirmed=None, years="2020") -> dict:
    return {
        "opportunity_type": kind,
        "key": key,
        "jurisdictions": jurisdictions,
        "n_jurisdictions": len(jurisdictions.split(",")),
        "years": years,
        "confirmed": confirmed,
        "evidence": "[{}]",
        "description": "an opportunity",
    }


def opportunities(*rows: dict) -> dict[str, pd.DataFrame]:
    return evidence(
        regional_opportunities=table("regional_opportunities", *rows),
        mechanism_gaps=table("mechanism_gaps", gap("ALB", "CT-07", "identification", "partly_met")),
    )


def domain_row(rank: int) -> dict[str, pd.DataFrame]:
    row = {
        "jurisdiction": "MKD",
        "domain": "identification",
        "n_items": 5,
        "n_known": 5,
        "coverage_share": 1.0,
        "score_share": 0.9,
        "rankable": True,
        "rank": rank,
    }
    return evidence(mechanism_domain_scores=table("mechanism_domain_scores", row))


def score_row(change: int) -> dict[str, pd.DataFrame]:
    row = {
        "jurisdiction": "BIH",
        "item_id": "CT-04",
        "domain": "identification",
        "title": "NRM",
        "status": "known",
        "score": 2,
        "year": 2023,
        "earliest_year": 2016,
        "earliest_score": 2 - change,
        "change_since_earliest": change,
    }
    return evidence(mechanism_scores=table("mechanism_scores", row))


def conflicts(n: int) -> dict[str, pd.DataFrame]:
    rows = [
        {
            "jurisdiction": "SRB",
            "item_id": "CT-10",
            "year": 2022,
            "score": score,
            "conflicting_scores": "1; 2",
            "n_assessments": 2,
            "source_file": "srb.yaml",
            "source_row": f"assessments[{score}]",
        }
        for score in (1, 2)[:n]
    ]
    return evidence(mechanism_conflicts=table("mechanism_conflicts", *rows))


_ITEMS = {
    "COORD": ("CT-01", "coordination"),
    "IDENT": ("CT-04", "identification"),
    "PROT": ("CT-10", "protection"),
    "JUST": ("CT-18", "justice"),
    "PREV": ("CT-25", "prevention"),
    "COOP": ("CT-26", "cooperation"),
    "DATA": ("CT-27", "data"),
}


def _gap_cases() -> dict:
    cases = {}
    for short, (item, domain) in _ITEMS.items():
        not_met = gaps(gap("ALB", item, domain, "not_met"))
        partly = gaps(gap("ALB", item, domain, "partly_met"))
        cases[f"GAP-{short}-NOTMET"] = (not_met, partly)
        cases[f"GAP-{short}-PARTLY"] = (partly, not_met)
    return cases


def _trend_rows(code, num, den, numerator, denominator):
    return [trend(code, 2021, numerator, *num), trend(code, 2021, denominator, *den)]


# rule id -> (evidence on which it fires, evidence on which it stays silent)
CASES = {
    **_gap_cases(),
    "MECH-NO-EVIDENCE": (
        gaps(gap("XKX", "CT-03", "coordination", "no_evidence")),
        gaps(gap("XKX", "CT-03", "coordination", "partly_met")),
    ),
    "MECH-CONFLICT": (conflicts(2), conflicts(0)),
    "SCORE-NOW-MET": (score_row(1), score_row(0)),
    "DOMAIN-REGIONAL-LEAD": (domain_row(1), domain_row(2)),
    "TREND-CONVICTIONS-FALL-VICTIMS-RISE": (
        summaries(
            summary("ALB", "persons_convicted", "falling", -20.0),
            summary("ALB", "victims_detected", "rising", 15.0),
        ),
        summaries(
            summary("ALB", "persons_convicted", "falling", -20.0),
            summary("ALB", "victims_detected", "stable", 3.0),
        ),
    ),
    "TREND-PROSECUTIONS-FALLING": (
        summaries(summary("ALB", "persons_prosecuted", "falling")),
        summaries(summary("ALB", "persons_prosecuted", "stable", -2.0)),
    ),
    "TREND-VICTIMS-FALLING": (
        summaries(summary("SRB", "victims_detected", "falling")),
        summaries(summary("SRB", "victims_detected", "rising", 12.0)),
    ),
    "TREND-UNMEASURABLE": (
        summaries(summary("MNE", "persons_convicted", "insufficient_data", None, suppressed=3)),
        summaries(summary("MNE", "persons_convicted", "insufficient_data", None, suppressed=1)),
    ),
    "ATTRITION-PROSECUTIONS-BELOW-MEDIAN": (
        attrition(
            "persons_prosecuted",
            "victims_detected",
            {"MNE": ((5,), (50,)), "BIH": ((30,), (50,)), "ALB": ((25,), (50,))},
        ),
        attrition(
            "persons_prosecuted",
            "victims_detected",
            {"MNE": ((5,), (50,)), "BIH": ((30,), (50,))},  # two cannot make a median
        ),
    ),
    "SHARE-FORCED-LABOUR": (
        victims_share("forced_labour_share", 0.4),
        victims_share("forced_labour_share", 0.1, older=0.6),  # only the latest year counts
    ),
    "SHARE-CHILDREN": (victims_share("child_share", 0.6), victims_share("child_share", 0.3)),
    "FLOW-DOMESTIC": (flows(flow("ALB", "ALB", 2021, 12)), flows(flow("ALB", "ALB", 2021, 0, 4))),
    "FLOW-EXTRA-REGIONAL": (
        flows(flow("UKR", "SRB", 2021, 6)),
        flows(flow("UKR", "SRB", 2021, 0, 4)),
    ),
    "FLOW-REPATRIATED": (
        flows(flow("ALB", "DEU", 2021, 3, direction="repatriation")),
        flows(
            flow("ALB", "DEU", 2010, 3, direction="repatriation"),  # not recent
            flow("ALB", "ALB", 2021, 3),
        ),
    ),
    "DATA-TOTALS-MISSING": (
        data_gaps(data_gap("XKX", "persons_prosecuted", "total", 2020, "not_reported")),
        data_gaps(data_gap("XKX", "persons_prosecuted", "total", 2020, "not_reported", False)),
    ),
    "DATA-BREAKDOWNS-MISSING": (
        data_gaps(data_gap("MNE", "victims_detected", "sex", 2020, "not_reported")),
        data_gaps(data_gap("MNE", "victims_detected", "sex", 2020, "exact")),
    ),
    "DATA-MISSING-YEARS": (gap_summary(missing_years="2004"), gap_summary(missing_years="")),
    "DATA-SUPPRESSION-HIGH": (gap_summary(share_suppressed=0.7), gap_summary()),
    "REG-SHARED-GAP": (
        opportunities(opportunity("shared_gap", "CT-07", "ALB,BIH,MKD")),
        opportunities(opportunity("bilateral_flow", "ALB-XKX", "ALB,XKX", True)),
    ),
    "REG-BILATERAL-FLOW": (
        opportunities(opportunity("bilateral_flow", "ALB-XKX", "ALB,XKX", True)),
        opportunities(opportunity("bilateral_flow", "ALB-XKX", "ALB,XKX", False)),
    ),
    "REG-BILATERAL-UNCONFIRMED": (
        opportunities(opportunity("bilateral_flow", "ALB-MKD", "ALB,MKD", False)),
        opportunities(opportunity("bilateral_flow", "ALB-MKD", "ALB,MKD", True)),
    ),
}


def made_by(rule_id: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    recs = compute_recommendations(tables, rules=[RULES[rule_id]])
    return recs[recs["rule_id"] == rule_id]


def test_every_rule_has_a_firing_and_a_silent_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_fires_on_its_evidence(rule_id):
    recs = made_by(rule_id, CASES[rule_id][0])
    assert len(recs) >= 1
    recommendations_schema.validate(recs)
    rule = RULES[rule_id]
    assert (recs["urgency"] == rule.urgency).all()
    for rec in recs.itertuples():
        if rule.addressee == FROM_ITEM:  # the item's own addressee, from rules/actions.yaml
            (item,) = {e["keys"]["item_id"] for e in json.loads(rec.evidence)}
            assert rec.addressee == ACTIONS[item].addressee
        else:
            assert rec.addressee == rule.addressee
        assert rec.addressee in rec.text
        assert rec.progress_indicator and not re.search(r"CT-\d", rec.progress_indicator)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_stays_silent_without_its_evidence(rule_id):
    assert made_by(rule_id, CASES[rule_id][1]).empty


# --- what single rules say --------------------------------------------------------------------


def test_attrition_needs_certainly_below_the_median():
    # ALB's 0..4 prosecutions against 4 detected victims is 0..1: maybe low, not certainly below
    tables = attrition(
        "persons_prosecuted",
        "victims_detected",
        {"ALB": ((0, 4), (4,)), "BIH": ((9,), (10,)), "MKD": ((9,), (10,)), "SRB": ((9,), (10,))},
    )
    assert made_by("ATTRITION-PROSECUTIONS-BELOW-MEDIAN", tables).empty


def test_attrition_text_and_evidence():
    tables = attrition(
        "persons_prosecuted",
        "victims_detected",
        {"ALB": ((2,), (20,)), "BIH": ((10,), (10,)), "MKD": ((9,), (10,)), "SRB": ((9,), (10,))},
    )
    (rec,) = made_by("ATTRITION-PROSECUTIONS-BELOW-MEDIAN", tables).itertuples()
    assert rec.jurisdiction == "ALB"
    assert "0.10 persons prosecuted per detected victim in 2021" in rec.text
    assert "regional median of 0.90" in rec.text  # of 0.1, 0.9, 0.9 and 1.0
    items = json.loads(rec.evidence)
    assert {i["keys"]["indicator"] for i in items} == {"persons_prosecuted", "victims_detected"}
    assert items[0]["derived"]["regional_median"] == pytest.approx(0.9)


def test_no_rule_divides_convictions_by_prosecutions():
    """The convictions of a year follow prosecutions of earlier years: different cohorts (the
    methodology), so no rule quotes persons convicted per person prosecuted."""
    for rule in RULES.values():
        assert rule.params.get("measure") != "convictions_per_prosecution", rule.id
        assert "per person prosecuted" not in rule.text + rule.progress, rule.id


def test_falling_convictions_cite_both_trend_rows():
    recs = made_by(
        "TREND-CONVICTIONS-FALL-VICTIMS-RISE", CASES["TREND-CONVICTIONS-FALL-VICTIMS-RISE"][0]
    )
    (rec,) = recs.itertuples()
    assert rec.n_evidence == 2
    assert "fell by about 20% a year while detected victims rose by about 15% a year" in rec.text


def test_suppressed_counts_never_read_as_numbers():
    tables = flows(flow("ALB", "ALB", 2021, 5, 9))  # e.g. 5 plus a <5 sub-form
    (rec,) = made_by("FLOW-DOMESTIC", tables).itertuples()
    assert "between 5 and 9 of the victims detected in 2021" in rec.text


def test_a_missing_template_figure_does_not_trigger():
    tables = summaries(summary("ALB", "persons_prosecuted", "falling", float("nan")))
    assert made_by("TREND-PROSECUTIONS-FALLING", tables).empty


def test_region_rows_are_never_addressees():
    tables = summaries(summary("WB6", "persons_prosecuted", "falling"))
    assert made_by("TREND-PROSECUTIONS-FALLING", tables).empty


def test_grouped_rule_lists_its_rows():
    tables = gaps(
        gap("XKX", "CT-03", "coordination", "no_evidence"),
        gap("XKX", "CT-14", "protection", "no_evidence"),
    )
    (rec,) = made_by("MECH-NO-EVIDENCE", tables).itertuples()
    assert rec.n_evidence == 2
    # the items in words, in the checklist's order; their ids stay in the evidence
    assert "implements independent monitoring and safe return of victims, which" in rec.text
    assert "CT-" not in rec.text and "CT-03" in rec.evidence
    assert rec.latest_year is pd.NA


def test_regional_opportunity_names_the_jurisdictions():
    (rec,) = made_by("REG-SHARED-GAP", CASES["REG-SHARED-GAP"][0]).itertuples()
    assert rec.jurisdiction == REGIONAL and rec.domain == "cooperation"
    assert "a joint regional programme on proactive identification in high-risk settings" in (
        rec.text
    )
    assert rec.text.endswith(
        "it falls short in Albania, Bosnia and Herzegovina and North Macedonia."
    )
    assert rec.progress_indicator == "in each of these jurisdictions, " + ACTIONS["CT-07"].progress


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "spec", "text"),
    [
        (0, 4, "", "fewer than five"),
        (0, 4, "range", "0–4"),
        (12, 12, "", "12"),
        (3, 7, "", "between 3 and 7"),
        (0, 8, "", "at most 8"),
        (0.2, 0.35, "pct", "20–35%"),
        (0.35, 0.35, "pct", "35%"),
        (0.2, 0.35, "ratio", "0.20–0.35"),
    ],
)
def test_interval_text(low, high, spec, text):
    assert format(Interval(low, high), spec) == text


def test_number_and_years_text():
    assert format(Number(-33.8), "abs") == "34"
    assert format(Number(0.5), "pct") == "50%"
    assert years_label([2021, 2017, 2018, 2019]) == "2017–2019 and 2021"


# --- the rules file ---------------------------------------------------------------------------

VALID = {
    "id": "TEST-RULE",
    "description": "a rule",
    "table": "mechanism_gaps",
    "where": {"gap_type": "not_met"},
    "domain": "justice",
    "urgency": "urge",
    "addressee": "the prosecution service",
    "text": "Urge {addressee} of {jurisdiction_name} to act on {topic}.",
    "progress": "{item_progress}",
}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"table": "mechanism_gapz"}, "table", "unknown table 'mechanism_gapz'"),
        ({"where": {"gap_typ": "not_met"}}, "where", "unknown column 'gap_typ'"),
        ({"where": {"gap_type": "not_mett"}}, "where", "not among the codes"),
        ({"where": {"gap_type": {"like": "x"}}}, "where", "unknown operator 'like'"),
        ({"where": {"title": {"gt": 3}}}, "where", "needs a numeric column"),
        ({"where": {"item_id": 18}}, "where", "is text"),
        ({"text": "Urge {addressee} to meet {item}."}, "text", "unknown field '{item}'"),
        ({"text": "Urge {addressee} to meet {item_id.__class__}."}, "text", "plain field names"),
        ({"text": "Urge {addressee} to act on {title:pct}."}, "text", "format 'pct'"),
        ({"text": "Consider {addressee} to meet {item_id}."}, "text", "starts with 'Urge '"),
        ({"text": "Urge the police to meet {item_id}."}, "text", "{addressee}"),
        ({"text": "Urge {addressee} to measure prevalence."}, "text", "cannot carry"),
        ({"text": "Urge {addressee} to meet {item_id}."}, "text", "ids stay in their own columns"),
        ({"text": "Urge {addressee} to meet {item_id_list}."}, "text", "ids stay in their own"),
        ({"text": "Urge {addressee} to meet CT-18."}, "text", "names a checklist id"),
        ({"text": "Urge {addressee} to read {source_file}."}, "text", "file names and addresses"),
        ({"text": "Urge {addressee} to act: {evidence}."}, "text", "{evidence_quote}"),
        ({"progress": "{item_id} in force"}, "progress", "ids stay in their own columns"),
        ({"progress": "The provision in force."}, "progress", "in lower case, no full stop"),
        ({"progress": "{nothing} in force"}, "progress", "unknown field '{nothing}'"),
        ({"step": "hope"}, "step", "'hope' is not one of act, inform"),
        (
            {"table": "trend_summary", "where": None, "addressee": "from_item"},
            "addressee",
            "from_item needs a table about checklist items",
        ),
        ({"urgency": "demand"}, "urgency", "'demand' is not one of urge"),
        ({"domain": "policing"}, "domain", "'policing' is not one of"),
        ({"select": "median"}, "select", "unknown selector 'median'"),
        ({"select": "below_regional_median"}, "select", "applies to trends"),
        ({"group_by": ["item_id"]}, "group_by", "must include jurisdiction"),
        ({"weight": -1}, "weight", "positive"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_a_bad_rule_is_named_with_its_field(change, field, words):
    with pytest.raises(RulesError) as error:
        parse_rules({"rules": [VALID | change]})
    message = str(error.value)
    assert f"rule TEST-RULE, field '{field}'" in message and words in message


def test_duplicate_ids_and_a_missing_field_are_errors(tmp_path):
    path = tmp_path / "rules.yaml"
    missing = {k: v for k, v in VALID.items() if k != "addressee"} | {"id": "OTHER"}
    silent = {k: v for k, v in VALID.items() if k != "progress"} | {"id": "THIRD"}
    path.write_text(yaml.safe_dump({"rules": [VALID, VALID, missing, silent]}), encoding="utf-8")
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert "rule TEST-RULE, field 'id': duplicate id" in str(error.value)
    assert "rule OTHER, field 'addressee': required" in str(error.value)
    assert "rule THIRD, field 'progress': required" in str(error.value)


def test_the_bundled_rules_cover_every_domain_and_table():
    rules = list(RULES.values())
    assert 20 <= len(rules) <= 40
    assert {r.domain for r in rules if r.domain in DOMAINS} == set(DOMAINS)
    # every evidence table the rules file documents has a rule (a table added to the analytics
    # layer for the report's narrative, such as mechanism_history, need not)
    evidence_tables_ = {
        "trends",
        "trend_summary",
        "victim_flows",
        "mechanism_scores",
        "mechanism_domain_scores",
        "mechanism_gaps",
        "mechanism_conflicts",
        "data_gaps",
        "data_gap_summary",
        "regional_opportunities",
    }
    assert {r.table for r in rules} == evidence_tables_ <= set(ANALYTICS_SCHEMAS)
    assert {r.urgency for r in rules} == {"urge", "consider", "invite"}


# --- ids, summaries, priorities, changes ------------------------------------------------------


def test_id_depends_on_keys_not_values():
    a = [{"table": "t", "keys": {"jurisdiction": "ALB", "year": 2020}, "values": {"v": 1}}]
    b = [{"table": "t", "keys": {"year": 2020, "jurisdiction": "ALB"}, "values": {"v": 9}}]
    c = [{"table": "t", "keys": {"jurisdiction": "ALB", "year": 2021}, "values": {"v": 1}}]
    assert recommendation_id("R", "ALB", a) == recommendation_id("R", "ALB", b)
    assert recommendation_id("R", "ALB", a) != recommendation_id("R", "ALB", c)
    assert recommendation_id("R", "ALB", a) != recommendation_id("R", "BIH", a)


def test_same_words_in_three_jurisdictions_make_one_regional_line():
    three = gaps(*(gap(j, "CT-18", "justice", "not_met") for j in ("ALB", "MKD", "SRB")))
    recs = made_by("GAP-JUST-NOTMET", three)
    regional = recs[recs["jurisdiction"] == REGIONAL]
    assert len(recs) == 4 and len(regional) == 1
    line = regional.iloc[0]
    assert line.summarises == "ALB,MKD,SRB" and line.n_evidence == 3
    assert "of each of Albania, North Macedonia and Serbia to ensure" in line.text
    assert line.progress_indicator == ACTIONS["CT-18"].progress
    two = gaps(*(gap(j, "CT-18", "justice", "not_met") for j in ("ALB", "MKD")))
    assert REGIONAL not in set(made_by("GAP-JUST-NOTMET", two)["jurisdiction"])


def test_different_words_are_not_summarised():
    rows = [gap(j, "CT-18", "justice", "not_met") for j in ("ALB", "MKD")]
    rows.append(gap("SRB", "CT-24", "justice", "not_met"))
    assert REGIONAL not in set(made_by("GAP-JUST-NOTMET", gaps(*rows))["jurisdiction"])


def test_priority_score_formula():
    assert priority_score(2, 1, 2024, 2024) == 2.0
    assert priority_score(2, 16, 2024, 2024) == 4.0
    assert priority_score(2, 100, 2024, 2024) == 4.0  # capped
    assert priority_score(2, 1, 2019, 2024) == 1.0  # five years behind: half
    assert priority_score(1, 4, None, 2024) == 1.5


def test_urgency_comes_before_score_and_five_lead():
    rows = [gap("SRB", f"CT-1{i}", "protection", "partly_met", 2024) for i in range(7)]
    rows.append(gap("SRB", "CT-18", "justice", "not_met", 2010))  # old, low score, but urge
    recs = compute_recommendations(
        gaps(*rows), rules=[RULES["GAP-PROT-PARTLY"], RULES["GAP-JUST-NOTMET"]]
    )
    srb = recs[recs["jurisdiction"] == "SRB"].sort_values("priority_rank")
    assert srb.iloc[0]["urgency"] == "urge"
    assert srb.iloc[0]["priority_score"] < srb.iloc[1]["priority_score"]
    assert srb["top_priority"].sum() == 5 and srb["priority_rank"].tolist() == list(range(1, 9))


def _recs(*ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recommendation_id": list(ids),
            "jurisdiction": "ALB",
            "rule_id": "R",
            "text": [f"Urge text {i}" for i in ids],
            "urgency": "urge",
            "domain": "justice",
        }
    )


def test_changes_new_unchanged_resolved():
    before = _recs("REC-000000000a", "REC-000000000b")
    now = _recs("REC-000000000b", "REC-000000000c")
    now.loc[0, "text"] = "Urge revised words"
    changes = compute_recommendation_changes(before, now)
    recommendation_changes_schema.validate(changes)
    by_id = changes.set_index("recommendation_id")
    assert by_id["change"].to_dict() == {
        "REC-000000000c": "new",
        "REC-000000000a": "resolved",
        "REC-000000000b": "unchanged",
    }
    assert by_id.loc["REC-000000000a", "text"] == "Urge text REC-000000000a"
    assert by_id["text_changed"].to_dict()["REC-000000000b"]


def test_first_materialisation_is_all_new():
    changes = compute_recommendation_changes(None, _recs("REC-000000000a"))
    assert changes["change"].tolist() == ["new"]


def test_nothing_fires_on_empty_evidence():
    recs = compute_recommendations(evidence())
    assert recs.empty
    recommendations_schema.validate(recs)
    recommendation_changes_schema.validate(compute_recommendation_changes(None, recs))


# --- the bundled data ------------------------------------------------------------------------


def evidence_tables(harmonised: pd.DataFrame, assessments: pd.DataFrame) -> dict:
    """The ten evidence tables, wired as `assets/analytics.py` wires them."""
    checklist = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    population = pd.read_csv(REFERENCE / "population_worldbank.csv")
    trends = compute_trends(harmonised, population)
    scores = compute_mechanism_scores(assessments, checklist)
    gaps_ = compute_mechanism_gaps(scores)
    flows_ = compute_victim_flows(harmonised)
    data_gaps_ = compute_data_gaps(harmonised)
    return {
        "trends": trends,
        "trend_summary": compute_trend_summary(trends),
        "victim_flows": flows_,
        "mechanism_scores": scores,
        "mechanism_domain_scores": compute_domain_scores(scores),
        "mechanism_gaps": gaps_,
        "mechanism_conflicts": find_mechanism_conflicts(assessments),
        "data_gaps": data_gaps_,
        "data_gap_summary": summarise_data_gaps(data_gaps_),
        "regional_opportunities": compute_regional_opportunities(gaps_, flows_),
    }


@pytest.fixture(scope="module")
def bundled() -> dict[str, pd.DataFrame]:
    configs = load_configs()
    raw = pd.concat(
        [read_jurisdiction(SOURCES / code, cfg)[0] for code, cfg in configs.items()],
        ignore_index=True,
    )
    harmonised, _ = harmonise_statistics(raw)
    assessments = pd.concat(
        [read_assessments(SOURCES, code) for code in configs], ignore_index=True
    )
    return evidence_tables(harmonised, assessments)


@pytest.fixture(scope="module")
def recs(bundled) -> pd.DataFrame:
    return compute_recommendations(bundled)


def test_bundled_recommendations_pass_their_schema(recs):
    recommendations_schema.validate(recs, lazy=True)


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or pd.isna(b)
    if isinstance(a, int | float) and not isinstance(a, bool):
        return not pd.isna(b) and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_every_recommendation_cites_rows_that_exist(recs, bundled):
    for rec in recs.itertuples():
        items = json.loads(rec.evidence)
        assert items, rec.recommendation_id
        for item in items:
            frame = bundled[item["table"]]
            hit = pd.Series(True, index=frame.index)
            for key, value in item["keys"].items():
                hit &= frame[key] == value
            assert hit.sum() == 1, (rec.recommendation_id, item["keys"])
            row = frame[hit].iloc[0]
            for column, value in item["values"].items():
                assert _same(value, row[column]), (rec.recommendation_id, column)


def test_ids_are_stable_across_runs(recs, bundled):
    again = compute_recommendations(bundled)
    pd.testing.assert_frame_equal(recs, again)


def test_every_jurisdiction_gets_recommendations(recs):
    for code in JURISDICTIONS:
        own = recs[recs["jurisdiction"] == code]
        assert len(own) > 0, code
        assert 1 <= own["top_priority"].sum() <= 5


def test_the_region_gets_cooperation_from_regional_opportunities(recs):
    regional = recs[recs["jurisdiction"] == REGIONAL]
    cooperation = regional[
        (regional["domain"] == "cooperation")
        & (regional["evidence_table"] == "regional_opportunities")
    ]
    assert len(cooperation) >= 1
    assert (regional["summarises"] != "").any()  # and summaries of shared national lines


def test_bundled_texts_read_as_recommendations(recs):
    verbs = {"urge": "Urge ", "consider": "Consider ", "invite": "Invite "}
    for rec in recs.itertuples():
        assert rec.text.startswith(verbs[rec.urgency]), rec.text
        assert rec.addressee in rec.text
        assert len(rec.text.split()) < MAX_WORDS, rec.text
        assert len(rec.progress_indicator.split()) < MAX_PROGRESS_WORDS, rec.progress_indicator
        assert "<5" not in rec.text and "nan" not in rec.text.split()


def test_a_revised_figure_keeps_the_id(recs, bundled):
    gaps_ = bundled["mechanism_gaps"].copy()
    row = (gaps_["jurisdiction"] == "SRB") & (gaps_["item_id"] == "CT-05")
    gaps_.loc[row, "evidence"] = "A revised account."
    gaps_.loc[row, "year"] = 2024
    changes = compute_recommendation_changes(
        recs, compute_recommendations(bundled | {"mechanism_gaps": gaps_})
    )
    assert set(changes["change"]) == {"unchanged"}


def test_removing_a_gap_resolves_its_recommendations(recs, bundled):
    gaps_ = bundled["mechanism_gaps"]
    fixed = gaps_[~((gaps_["jurisdiction"] == "SRB") & (gaps_["item_id"] == "CT-05"))]
    refreshed = bundled | {
        "mechanism_gaps": fixed,
        "regional_opportunities": compute_regional_opportunities(fixed, bundled["victim_flows"]),
    }
    changes = compute_recommendation_changes(recs, compute_recommendations(refreshed))
    recommendation_changes_schema.validate(changes)
    resolved = changes[changes["change"] == "resolved"]
    # Serbia's own line, and the regional programme on CT-05 (now short in two jurisdictions)
    assert sorted(resolved["rule_id"]) == ["GAP-COORD-NOTMET", "REG-SHARED-GAP"]
    assert set(resolved["jurisdiction"]) == {"SRB", REGIONAL}
    assert (changes["change"] != "new").all()
    assert (changes["change"] == "unchanged").sum() == len(recs) - 2


def test_long_lists_of_jurisdictions_are_counted_not_listed():
    from wbtip_pipeline.transforms.recommendations import MAX_LISTED, join_words

    names = [f"Q{i:02d}" for i in range(40)]
    text = join_words(names)
    assert text.endswith(f"and {40 - (MAX_LISTED - 2)} others (see the evidence)")
    assert len(text.split()) < 20
    assert join_words(["Albania", "Serbia"]) == "Albania and Serbia"


def test_a_list_of_long_names_is_counted_within_a_word_budget():
    """Found at fifty times the region: six long synthetic names made a 62-word recommendation."""
    from wbtip_pipeline.transforms.recommendations import MAX_LISTED_WORDS, join_words

    names = ["Albania", *(f"Synthetic Q{i:02d} (copy of ALB)" for i in range(99))]
    text = join_words(names)
    listed = text.split(" and ")[0]
    assert len(listed.split()) <= MAX_LISTED_WORDS and text.endswith("others (see the evidence)")
    six = [
        "Albania",
        "Bosnia and Herzegovina",
        "Kosovo*",
        "North Macedonia",
        "Montenegro",
        "Serbia",
    ]
    assert join_words(six) == ", ".join(six[:-1]) + " and Serbia"  # the region, in full


# --- recommendations that say what to do ------------------------------------------------------

# What a reader must never see in a text: a checklist id, a template left-over or stand-in, a
# file name, a run or recommendation id.
NEVER_IN_TEXT = {
    "checklist id": r"\bCT-\d",
    "template left-over": r"[{}⟦⟧]|\bNone\b|\bnan\b",
    "file name": r"\b[\w-]+\.(csv|ya?ml|xlsx|json|pdf|html|sqlite|py)\b",
    "run id": r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}|\b[0-9a-f]{12,}\b",
    "recommendation id": r"\bREC-[0-9a-f]",
}


def _unreadable(text: str) -> list[str]:
    return [what for what, pattern in NEVER_IN_TEXT.items() if re.search(pattern, text)]


def test_no_id_placeholder_or_file_name_in_any_bundled_text(recs):
    assert len(recs) > 100
    for rec in recs.itertuples():
        for text in (rec.text, rec.progress_indicator):
            assert not _unreadable(text), (rec.recommendation_id, _unreadable(text), text)


def test_no_id_or_file_name_in_any_rule_template_or_action():
    for rule in RULES.values():
        for template in (rule.text, rule.progress):
            literal = re.sub(r"\{[a-z_]+(:[a-z]+)?\}", "", template)  # the fields are checked
            assert not _unreadable(literal), (rule.id, template)
            assert not re.search(r"\{(item_id|items|key|source_\w*|evidence)(_list)?[:}]", template)
        assert rule.progress, rule.id
    for item, action in ACTIONS.items():
        for phrase in (action.topic, action.addressee, action.not_met, action.partly_met):
            assert not _unreadable(phrase), (item, phrase)
        assert not _unreadable(action.progress), item


def test_every_checklist_item_says_what_to_do():
    checklist = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    assert set(ACTIONS) == set(checklist["item_id"])
    for action in ACTIONS.values():
        assert action.not_met != action.partly_met
        assert not action.progress.endswith(".") and action.progress[0].islower()


@pytest.mark.parametrize("item", sorted(ACTIONS))
def test_the_longest_sentence_of_every_item_fits(item):
    """The longest name, the item's addressee and action, and a quote at its longest: still a
    sentence under MAX_WORDS."""
    long_quote = " ".join(["word"] * 40) + "."
    for gap_type, rule_id in (("not_met", "GAP-JUST-NOTMET"), ("partly_met", "GAP-JUST-PARTLY")):
        row = gap("BIH", item, "justice", gap_type) | {"evidence": long_quote}
        (rec,) = made_by(rule_id, gaps(row)).itertuples()
        assert len(rec.text.split()) < MAX_WORDS, rec.text
        assert rec.text.endswith(" […].")  # the finding cut, and said to be cut
        action = ACTIONS[item]
        assert (action.not_met if gap_type == "not_met" else action.partly_met) in rec.text
        assert rec.progress_indicator == action.progress


def test_a_gap_names_the_addressee_the_action_the_evidence_and_its_year():
    row = gap("ALB", "CT-18", "justice", "not_met", 2024) | {
        "evidence": "Authorities charged victims with offences they were compelled to commit."
    }
    (rec,) = made_by("GAP-JUST-NOTMET", gaps(row)).itertuples()
    assert rec.text == (
        "Urge the ministry of justice and the prosecution service of Albania to ensure, in the "
        "criminal code and in guidance to prosecutors, that victims are not punished for "
        "offences they were compelled to commit; the latest assessment (2024) finds this not "
        "met: the authorities charged victims with offences they were compelled to commit."
    )
    assert rec.addressee == "the ministry of justice and the prosecution service"
    assert rec.progress_indicator == (
        "the provision in force, guidance for prosecutors published, and no reports of victims "
        "penalised"
    )
    assert json.loads(rec.evidence)[0]["keys"] == {"jurisdiction": "ALB", "item_id": "CT-18"}


def test_the_wording_is_not_part_of_the_id():
    row = gap("ALB", "CT-18", "justice", "not_met")
    before = made_by("GAP-JUST-NOTMET", gaps(row)).iloc[0]
    reworded = {
        item: dataclasses.replace(action, not_met="do something else entirely")
        for item, action in ACTIONS.items()
    }
    after = compute_recommendations(
        gaps(row), rules=[RULES["GAP-JUST-NOTMET"]], actions=reworded
    ).iloc[0]
    assert after.text != before.text and "do something else entirely" in after.text
    assert after.recommendation_id == before.recommendation_id


def test_an_item_without_an_action_stops_the_run():
    row = gap("ALB", "CT-99", "justice", "not_met")
    with pytest.raises(RulesError, match="no entry for CT-99"):
        made_by("GAP-JUST-NOTMET", gaps(row))


def test_a_long_assessment_is_cut_after_whole_clauses():
    from wbtip_pipeline.transforms.recommendations import QUOTE_MAX_WORDS, finding

    assert finding("Victims were penalised.") == "victims were penalised."
    assert finding("First source. | Second source.") == "first source."
    assert finding(None) is None and finding("  ") is None
    clauses = "; ".join(f"clause {i} has five words" for i in range(10))
    cut = finding(clauses)
    assert cut.endswith("words […].") and len(cut.split()) <= QUOTE_MAX_WORDS + 1
    assert cut.startswith("clause 0 has five words; clause 1")


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ("No funding to NGOs.", "no funding to NGOs."),
        (
            "Regularly sought the input of survivors [no NRM evaluation reported].",
            "the authorities regularly sought the input of survivors — no NRM evaluation "
            "reported.",
        ),
        (
            "UK and Albania agreed a Joint Communique (13 Dec 2022) on improving co-operation "
            "[non-TIP source; use not yet shown].",
            "UK and Albania agreed a Joint Communique (13 Dec 2022) on improving co-operation "
            "— use not yet shown.",
        ),
        ("EU 2014 Progress Report: draft strategy pending [non-TIP source].",
         "EU 2014 Progress Report: draft strategy pending."),
        ("National Referral Mechanism met once.", "National Referral Mechanism met once."),
    ],
)  # fmt: skip
def test_a_finding_is_the_assessments_words_in_a_sentence_not_a_quotation(evidence, expected):
    """The evidence texts are the coder's paraphrases of an assessment: no quotation marks, an
    ordinary first word in lower case (the narrative's rule, `transforms.findings`), a coder's
    note after a dash, a note that only names the kind of source dropped."""
    from wbtip_pipeline.transforms.recommendations import finding

    assert finding(evidence) == expected
    row = gap("SRB", "CT-05", "coordination", "not_met", 2023) | {"evidence": evidence}
    (rec,) = made_by("GAP-COORD-NOTMET", gaps(row)).itertuples()
    assert rec.text.endswith(f"the latest assessment (2023) finds this not met: {expected}")
    assert not re.search(r"[“”\[\]]", rec.text)


def test_bundled_findings_carry_no_quotation_marks_or_coder_notes(recs):
    for rec in recs.itertuples():
        assert not re.search(r"[“”\[\]]|non-TIP", rec.text), (rec.recommendation_id, rec.text)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("not_met", "meet CT-18 in full", "names a checklist id"),
        ("not_met", "Adopt a law", "starts in lower case"),
        ("progress", "a law in force.", "no punctuation at the end"),
        ("partly_met", " ".join(["act"] * 30), "30 words; keep it to 24"),
        ("topic", "", "required"),
        ("colour", "red", "unknown field"),
    ],
)
def test_a_bad_action_is_named_with_its_item_and_field(field, value, words):
    from wbtip_pipeline.transforms.recommendations import parse_actions

    entry = dataclasses.asdict(ACTIONS["CT-18"]) | {field: value}
    with pytest.raises(RulesError) as error:
        parse_actions({"items": {"CT-18": entry}})
    assert f"item CT-18, field '{field}'" in str(error.value) and words in str(error.value)


def test_every_domain_with_a_gap_gets_a_recommendation(recs, bundled):
    """For each jurisdiction and domain where the evidence shows a gap (not met, partly met), a
    recommendation of that domain cites every such item."""
    gaps_ = bundled["mechanism_gaps"]
    shown = gaps_[gaps_["gap_type"].isin(["not_met", "partly_met"])]
    assert len(shown) > 50
    national = recs[recs["jurisdiction"] != REGIONAL]
    cited = {
        (rec.jurisdiction, rec.domain, e["keys"].get("item_id"))
        for rec in national.itertuples()
        for e in json.loads(rec.evidence)
        if e["table"] == "mechanism_gaps"
    }
    for row in shown.itertuples():
        assert (row.jurisdiction, row.domain, row.item_id) in cited, row
    pairs = shown[["jurisdiction", "domain"]].drop_duplicates().itertuples(index=False)
    have = set(zip(national["jurisdiction"], national["domain"], strict=True))
    assert all((p.jurisdiction, p.domain) in have for p in pairs)


def test_the_top_five_are_what_a_delegation_can_act_on_first():
    rows = [gap("SRB", f"CT-1{i}", "protection", "partly_met", 2023) for i in range(5)]
    rows.append(gap("SRB", "CT-18", "justice", "not_met", 2010))  # urge, but dated
    rows += [gap("SRB", f"CT-0{i}", "coordination", "no_evidence") for i in (3, 6, 8, 9)]
    scores = table(
        "mechanism_scores",
        {
            "jurisdiction": "SRB",
            "item_id": "CT-04",
            "domain": "identification",
            "title": "NRM",
            "status": "known",
            "score": 2,
            "year": 2023,
            "evidence": "SOPs adopted.",
            "earliest_year": 2016,
            "earliest_score": 1,
            "change_since_earliest": 1,
            "n_assessments": 2,
        },
    )
    tables = gaps(*rows) | {
        "mechanism_scores": scores,
        "trends": table("trends", {"jurisdiction": "SRB", "year": 2021}),
    }
    ids = ["GAP-PROT-PARTLY", "GAP-JUST-NOTMET", "MECH-NO-EVIDENCE", "SCORE-NOW-MET"]
    recs = compute_recommendations(tables, rules=[RULES[i] for i in ids])
    recommendations_schema.validate(recs)
    srb = recs[recs["jurisdiction"] == "SRB"].sort_values("priority_rank")
    # five recent, concrete actions lead; then the dated urge (a fresh assessment comes first),
    # the request for an account of unscored items, and the invitation to keep going
    assert srb["rule_id"].tolist() == [*["GAP-PROT-PARTLY"] * 5, *ids[1:]]
    assert srb["acts_first"].tolist() == [True] * 5 + [False] * 3
    assert srb["top_priority"].tolist() == [True] * 5 + [False] * 3
    # without the statistics nothing is dated: the urge leads again
    undated = compute_recommendations(gaps(*rows), rules=[RULES[i] for i in ids[:2]])
    assert undated.sort_values("priority_rank").iloc[0]["rule_id"] == "GAP-JUST-NOTMET"


def test_bundled_top_priorities_act_first(recs):
    for code in JURISDICTIONS:
        own = recs[recs["jurisdiction"] == code].sort_values("priority_rank")
        top = own[own["top_priority"]]
        # every jurisdiction of the bundled data has five recent, concrete actions to lead with
        assert len(top) == 5 and top["acts_first"].all(), code
        assert (top["urgency"] != "invite").all() and (top["rule_id"] != "MECH-NO-EVIDENCE").all()


# --- names as the documents print them, one regional line per item ----------------------------


def test_kosovo_is_named_with_its_footnote_mark_in_every_text(recs):
    """The documents print a member carrying a footnote as "Kosovo*" (its footnote with it); so
    does a recommendation's text in the warehouse, whose published CSV row carries the footnote
    in its `footnote` column (`warehouse.with_footnotes`)."""
    mark = load_region().member("XKX").label()
    assert mark == "Kosovo*"
    named = [r for r in recs.itertuples() if "Kosovo" in r.text + r.progress_indicator]
    assert len(named) > 20
    for rec in named:
        for text in (rec.text, rec.progress_indicator):
            assert not re.search(r"\bKosovo\b(?!\*)", text), (rec.recommendation_id, text)
    own = recs[recs["jurisdiction"] == "XKX"]
    assert all(f"of {mark} " in t or f"of {mark}," in t for t in own["text"])
    # the published CSV's row of each such text carries the footnote the mark points to
    csv = with_footnotes(recs)
    ids = {r.recommendation_id for r in named}
    notes = csv.loc[csv["recommendation_id"].isin(ids), FOOTNOTE_COLUMN]
    assert notes.str.startswith("* Kosovo: This designation is without prejudice").all()
    pair = made_by(
        "REG-BILATERAL-FLOW",
        opportunities(opportunity("bilateral_flow", "SRB-XKX", "SRB,XKX", True)),
    ).iloc[0]
    assert "of Serbia and Kosovo* to agree" in pair.text
    assert pair.progress_indicator.endswith("between Serbia and Kosovo*")


def test_no_two_regional_lines_share_a_checklist_item(recs):
    regional = recs[recs["jurisdiction"] == REGIONAL]
    seen: dict[str, str] = {}
    for rec in regional.itertuples():
        for item in checklist_items(json.loads(rec.evidence)):
            assert item not in seen, (item, seen.get(item), rec.recommendation_id)
            seen[item] = rec.recommendation_id
    assert len(seen) >= 5  # the shared gaps are there


def test_a_shared_gap_keeps_its_line_and_the_summary_of_the_same_item_goes():
    """Three identical national lines on non-punishment summarise into a regional line; the
    region's own programme on the same shared gap (five jurisdictions) says it already: it
    stays, with the id it has on its own, and the national lines stay too."""
    rows = [gap(j, "CT-18", "justice", "not_met") for j in ("ALB", "MKD", "SRB")]
    tables = gaps(*rows) | {
        "regional_opportunities": table(
            "regional_opportunities", opportunity("shared_gap", "CT-18", "ALB,BIH,MKD,MNE,SRB")
        )
    }
    rules = [RULES["GAP-JUST-NOTMET"], RULES["REG-SHARED-GAP"]]
    recs = compute_recommendations(tables, rules=rules)
    regional = recs[recs["jurisdiction"] == REGIONAL]
    assert regional["rule_id"].tolist() == ["REG-SHARED-GAP"]
    alone = compute_recommendations(tables, rules=[RULES["REG-SHARED-GAP"]])
    assert regional["recommendation_id"].tolist() == alone["recommendation_id"].tolist()
    assert (recs["jurisdiction"] != REGIONAL).sum() == 3
    # without the shared gap, the summary is the region's line on the item
    only = compute_recommendations(gaps(*rows), rules=rules)
    assert only[only["jurisdiction"] == REGIONAL]["rule_id"].tolist() == ["GAP-JUST-NOTMET"]


def test_a_single_country_or_year_is_not_named_as_several():
    (rec,) = made_by("FLOW-EXTRA-REGIONAL", flows(flow("TWN", "MKD", 2021, 39))).itertuples()
    assert "arrangements agreed with Taiwan, and victims" in rec.progress_indicator
    assert "these countries" not in rec.progress_indicator
    (rec,) = made_by("DATA-MISSING-YEARS", gap_summary(missing_years="2004")).itertuples()
    assert rec.text.endswith(
        "figures for 2004, for which no anti-trafficking figure at all was reported."
    )
    for rule in RULES.values():
        assert not re.search(r"\bthese (countries|years)\b", rule.text + rule.progress), rule.id
