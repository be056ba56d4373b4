"""The pipeline's transforms called directly in one Python process, without Dagster.

The denominator of the orchestration overhead ratio: the same readers, validations, transforms,
warehouse writes and report rendering as `wbtip run`, in the same order, with none of Dagster's
event log, IO manager or run bookkeeping. Not a second way to run the pipeline.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd


def run_plain(sources: Path, reference: Path, output: Path) -> dict[str, float]:
    from wbtip_pipeline.assets.sources import configs_in_use
    from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
    from wbtip_pipeline.schemas.harmonised import data_quality_schema, harmonised_schema
    from wbtip_pipeline.schemas.raw import validate_raw
    from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
    from wbtip_pipeline.settings import default_warehouse_url
    from wbtip_pipeline.sources.mechanisms import (
        load_checklist,
        read_assessments,
        validate_assessments,
    )
    from wbtip_pipeline.sources.readers import read_jurisdiction
    from wbtip_pipeline.transforms import data_gaps, flows, mechanisms, opportunities, trends
    from wbtip_pipeline.transforms.consistency import check_consistency
    from wbtip_pipeline.transforms.data_quality import combine_issues
    from wbtip_pipeline.transforms.harmonise import harmonise_statistics
    from wbtip_pipeline.transforms.recommendations import (
        compute_recommendation_changes,
        compute_recommendations,
    )
    from wbtip_pipeline.validation import validate
    from wbtip_pipeline.warehouse import Warehouse

    configs = configs_in_use()

    timings: dict[str, float] = {}
    started = time.perf_counter()
    warehouse = Warehouse(default_warehouse_url(str(output)), tables_dir=output / "tables")
    checklist = load_checklist(reference / "ct_mechanism_checklist.csv")
    population = pd.read_csv(reference / "population_worldbank.csv")
    raw, assessments = [], []
    for code, cfg in configs.items():
        frame, _ = read_jurisdiction(sources / code, cfg)
        validate_raw(frame, cfg)
        raw.append(frame)
        found = read_assessments(sources, code)
        validate_assessments(found, checklist)
        assessments.append(found)
    timings["sources"] = time.perf_counter() - started

    def publish(name, frame, schema):
        validate(frame, schema)
        warehouse.publish(name, frame, schema)
        return frame

    h, mapping = harmonise_statistics(pd.concat(raw, ignore_index=True))
    publish("harmonised_statistics", h, harmonised_schema)
    publish(
        "data_quality_issues", combine_issues(mapping, check_consistency(h)), data_quality_schema
    )
    a = pd.concat([f for f in assessments if not f.empty], ignore_index=True)
    t: dict[str, pd.DataFrame] = {}
    t["trends"] = trends.compute_trends(h, population)
    t["trend_summary"] = trends.compute_trend_summary(t["trends"])
    t["victim_flows"] = flows.compute_victim_flows(h)
    t["mechanism_scores"] = mechanisms.compute_mechanism_scores(
        a, checklist, jurisdictions=sorted(configs)
    )
    t["mechanism_conflicts"] = mechanisms.find_mechanism_conflicts(a)
    t["mechanism_domain_scores"] = mechanisms.compute_domain_scores(t["mechanism_scores"])
    t["mechanism_gaps"] = mechanisms.compute_mechanism_gaps(t["mechanism_scores"])
    t["data_gaps"] = data_gaps.compute_data_gaps(h)
    t["data_gap_summary"] = data_gaps.summarise_data_gaps(t["data_gaps"])
    t["regional_opportunities"] = opportunities.compute_regional_opportunities(
        t["mechanism_gaps"], t["victim_flows"]
    )
    for name, frame in t.items():
        publish(name, frame, ANALYTICS_SCHEMAS[name])
    recs = compute_recommendations(t)
    changes = compute_recommendation_changes(warehouse.read("recommendations"), recs)
    publish("recommendations", recs, RECOMMENDATION_SCHEMAS["recommendations"])
    publish("recommendation_changes", changes, RECOMMENDATION_SCHEMAS["recommendation_changes"])
    timings["tables"] = time.perf_counter() - started - timings["sources"]
    try:
        from wbtip_pipeline.report.render import render_report
    except ImportError:  # before the reporting layer exists
        pass
    else:
        tables = {
            "harmonised_statistics": h,
            **t,
            "recommendations": recs,
            "recommendation_changes": changes,
            "data_quality_issues": warehouse.read("data_quality_issues"),
            "us_tip_tiers": pd.read_csv(reference / "us_tip_tiers.csv"),
            "ct_checklist": checklist,
        }
        provenance = {
            "run_id": "plain",
            "code_version": "plain",
            "source_files": {},
            "generated_at": "",
        }
        render_report(tables, provenance, output / "report")
        from wbtip_pipeline.workshop.pack import render_workshop_pack

        render_workshop_pack(tables, output / "workshop")
    timings["total"] = time.perf_counter() - started
    warehouse.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=Path("data/sources"))
    parser.add_argument("--reference", type=Path, default=Path("data/reference"))
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    timings = run_plain(args.sources.resolve(), args.reference.resolve(), args.output.resolve())
    print(" ".join(f"{k}={v:.3f}" for k, v in timings.items()))


if __name__ == "__main__":
    main()
