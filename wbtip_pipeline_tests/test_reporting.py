"""Recommendations and their change tracking as the pipeline publishes them."""

from __future__ import annotations

import json

import pandas as pd

from wbtip_pipeline.warehouse import Warehouse
from wbtip_pipeline_tests.conftest import JURISDICTIONS, run_layers, settings_for


def test_published_recommendations_cite_existing_evidence(bundled_run):
    recs = bundled_run.table("recommendations")
    assert set(JURISDICTIONS) <= set(recs.jurisdiction)
    regional = recs[recs.jurisdiction == "REGIONAL"]
    assert (regional.domain == "cooperation").any()
    assert (regional.evidence_table == "regional_opportunities").any()
    for row in recs.itertuples():
        evidence = json.loads(row.evidence)
        assert evidence and row.n_evidence == len(evidence)
        for item in evidence:
            table = bundled_run.table(item["table"])
            match = pd.Series(True, index=table.index)
            for col, value in item["keys"].items():
                match &= table[col].astype(str) == str(value)
            assert match.any(), (row.recommendation_id, item)
    top = recs[recs.top_priority.astype(bool)]
    assert top.groupby("jurisdiction").size().max() <= 5


def test_ids_stable_and_a_closed_gap_is_resolved(sources, tmp_path, instance):
    settings = settings_for(sources, tmp_path / "out")
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'out' / 'warehouse.sqlite'}")
    run_layers(settings, instance)
    first = warehouse.read("recommendations")
    run_layers(settings, instance)
    second = warehouse.read("recommendations")
    assert sorted(first.recommendation_id) == sorted(second.recommendation_id)
    changes = warehouse.read("recommendation_changes")
    assert set(changes.change) == {"unchanged"}

    gap = first[(first.jurisdiction == "SRB") & first.evidence.str.contains('"item_id": "CT-18"')]
    assert len(gap) >= 1
    # a new assessment says Serbia now meets CT-18 (non-punishment of victims)
    path = sources / "SRB" / "srb_ct_mechanisms.yaml"
    path.write_text(
        path.read_text("utf-8")
        + '  - year: 2024\n    item: "CT-18"\n    score: 2\n'
        + '    evidence: "Test: non-punishment applied in all reported cases."\n'
        + '    source_url: "https://example.org/test"\n',
        encoding="utf-8",
    )
    run_layers(settings, instance)
    changes = warehouse.read("recommendation_changes").set_index("recommendation_id")
    for rec_id in gap.recommendation_id:
        assert changes.loc[rec_id, "change"] == "resolved"
    assert (changes.change == "unchanged").sum() > 0
