"""The tables the report reads, built from the bundled data with the pipeline's pure transforms
(the same functions the assets call), in process and once per test session: for section tests
that want real figures without a Dagster run."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.sources.evidence_registry import read_evidence_registry
from wbtip_pipeline.sources.mechanisms import load_checklist, read_assessments
from wbtip_pipeline.sources.readers import read_jurisdiction, sha256_of
from wbtip_pipeline.transforms.consistency import check_consistency
from wbtip_pipeline.transforms.data_gaps import compute_data_gaps, summarise_data_gaps
from wbtip_pipeline.transforms.data_quality import combine_issues, split_valid
from wbtip_pipeline.transforms.evidence_sources import compute_evidence_sources
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.harmonise import harmonise_statistics
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_history,
    compute_mechanism_scores,
    find_mechanism_conflicts,
)
from wbtip_pipeline.transforms.opportunities import compute_regional_opportunities
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline.transforms.triangulation import compute_source_triangulation

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "data" / "sources"
REFERENCE = ROOT / "data" / "reference"


@cache
def _build_tables() -> dict[str, pd.DataFrame]:
    """Every table the report reads, from the bundled data, with the pipeline's transforms."""
    configs = load_configs()
    raw = {code: read_jurisdiction(SOURCES / code, cfg)[0] for code, cfg in configs.items()}
    good, blocked = split_valid(raw, configs)
    assert not blocked, sorted(blocked)
    harmonised, mapping = harmonise_statistics(pd.concat(good.values(), ignore_index=True))
    checklist = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    assessments = pd.concat(
        [read_assessments(SOURCES, code) for code in configs], ignore_index=True
    )
    population = pd.read_csv(REFERENCE / "population_worldbank.csv")
    trends = compute_trends(harmonised, population)
    flows = compute_victim_flows(harmonised)
    scores = compute_mechanism_scores(assessments, checklist, jurisdictions=sorted(configs))
    gaps = compute_mechanism_gaps(scores)
    data_gaps = compute_data_gaps(harmonised)
    tables = {
        "harmonised_statistics": harmonised,
        "data_quality_issues": combine_issues(mapping, check_consistency(harmonised)),
        "trends": trends,
        "trend_summary": compute_trend_summary(trends),
        "victim_flows": flows,
        "mechanism_scores": scores,
        "mechanism_domain_scores": compute_domain_scores(scores),
        "mechanism_gaps": gaps,
        "mechanism_conflicts": find_mechanism_conflicts(assessments),
        "mechanism_history": compute_mechanism_history(assessments, checklist),
        "data_gaps": data_gaps,
        "data_gap_summary": summarise_data_gaps(data_gaps),
        "regional_opportunities": compute_regional_opportunities(gaps, flows),
        "us_tip_tiers": pd.read_csv(REFERENCE / "us_tip_tiers.csv", dtype={"source_url": object}),
        "ct_checklist": checklist,
    }
    tables["us_tip_figures"] = pd.read_csv(
        REFERENCE / "us_tip_figures.csv",
        dtype={"qualifier": object, "quote": object, "source_url": object},
    )
    tables["source_triangulation"] = compute_source_triangulation(
        harmonised, tables["us_tip_figures"]
    )
    tables["evidence_sources"] = compute_evidence_sources(
        read_evidence_registry(REFERENCE / "evidence_registry.yaml"),
        assessments,
        tables["us_tip_tiers"],
        tables.get("us_tip_figures"),
    )
    tables["recommendations"], tables["recommendation_changes"] = recommendations_for(tables)
    return tables


def recommendations_for(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        from wbtip_pipeline.transforms.recommendations import (
            compute_recommendation_changes,
            compute_recommendations,
        )
    except ImportError:  # the recommendations layer is not there yet: a hand-made contract
        return hand_made_recommendations(tables)
    recs = compute_recommendations(tables)
    return recs, compute_recommendation_changes(None, recs)


def hand_made_recommendations(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few recommendations following the table contract, one per mechanism gap."""
    rows = []
    gaps = tables["mechanism_gaps"].sort_values(["jurisdiction", "item_id"])
    for rank, r in enumerate(gaps.groupby("jurisdiction").head(3).itertuples(), start=1):
        evidence = [
            {
                "table": "mechanism_gaps",
                "keys": {"jurisdiction": r.jurisdiction, "item_id": r.item_id},
                "values": {"gap_type": r.gap_type},
            }
        ]
        rows.append(
            {
                "recommendation_id": f"REC-{rank:010x}",
                "jurisdiction": r.jurisdiction,
                "domain": "protection",
                "urgency": "consider",
                "addressee": "the national coordinator",
                "text": f"Consider closing the gap on {r.item_id}.",
                "rule_id": "MECH-GAP",
                "evidence_table": "mechanism_gaps",
                "evidence": json.dumps(evidence),
                "n_evidence": 1,
                "latest_year": None,
                "priority_score": 1.0,
                "priority_rank": rank % 3 + 1,
                "top_priority": True,
                "summarises": "",
            }
        )
    recs = pd.DataFrame(rows)
    changes = recs[["recommendation_id", "jurisdiction", "rule_id", "text", "urgency", "domain"]]
    return recs, changes.assign(change="new")


# the provenance of a run that read no file: for tests of a section on its own
PROVENANCE = {"run_id": "t", "code_version": "0", "source_files": {}, "generated_at": "2026-01-01"}


def provenance() -> dict:
    files = sorted(p for p in SOURCES.rglob("*") if p.is_file())
    files += sorted(REFERENCE.glob("*.csv"))
    return {
        "run_id": "test-run-0001",
        "code_version": "0.0.0+test",
        "source_files": {p.name: sha256_of(p) for p in files},
        "generated_at": "2026-01-01T00:00:00+00:00",
    }


def build_tables() -> dict[str, pd.DataFrame]:
    """A fresh dict (the frames are shared: do not modify them in place)."""
    return dict(_build_tables())
