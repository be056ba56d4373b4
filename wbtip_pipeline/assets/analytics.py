"""Analytics layer: trends, flows, mechanism scores and gaps, data gaps, regional opportunities.

Each asset loads its inputs, calls a pure transform from `transforms/` and publishes the result
through the warehouse after its schema check (`schemas/analytics.py`).
"""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import ANALYTICS, follow_inputs
from wbtip_pipeline.assets.common import (
    files_cited,
    last_good_frames,
    publish_checked,
    published_table,
    schema_check_spec,
)
from wbtip_pipeline.assets.reference import assessment_asset_name
from wbtip_pipeline.assets.versions import code_version
from wbtip_pipeline.region import load_region
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.schemas.triangulation import TRIANGULATION_SCHEMAS
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.sources.mechanisms import validate_assessments
from wbtip_pipeline.transforms.data_gaps import compute_data_gaps, summarise_data_gaps
from wbtip_pipeline.transforms.flows import compute_victim_flows
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_history,
    compute_mechanism_scores,
    find_mechanism_conflicts,
)
from wbtip_pipeline.transforms.opportunities import compute_regional_opportunities
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline.transforms.triangulation import KEYS as TRIANGULATION_KEYS
from wbtip_pipeline.transforms.triangulation import (
    compute_source_triangulation,
    unmapped_tip_figures,
)
from wbtip_pipeline.vocab import MIN_SHARED_GAP, RANKABLE_COVERAGE

KEYS = {
    "trends": ["jurisdiction", "year", "indicator"],
    "trend_summary": ["jurisdiction", "indicator"],
    "victim_flows": ["origin", "destination", "year"],
    "mechanism_scores": ["jurisdiction", "item_id"],
    "mechanism_domain_scores": ["jurisdiction", "domain"],
    "mechanism_gaps": ["jurisdiction", "item_id"],
    "mechanism_conflicts": ["jurisdiction", "item_id", "year"],
    "mechanism_history": ["jurisdiction", "item_id", "year"],
    "data_gaps": ["jurisdiction", "indicator", "breakdown", "year"],
    "data_gap_summary": ["jurisdiction"],
    "regional_opportunities": ["opportunity_type", "key"],
}


def build_table_asset(
    name: str, inputs: list[str], compute: Callable[..., pd.DataFrame], description: str
) -> dg.AssetsDefinition:
    """An analytics table: load `inputs`, compute, check, publish."""

    @dg.asset(
        name=name,
        ins={i: dg.AssetIn(i) for i in inputs},
        group_name=ANALYTICS,
        code_version=code_version(ANALYTICS),
        **published_table(name, ANALYTICS_SCHEMAS[name], description),
        check_specs=[schema_check_spec(name)],
        automation_condition=follow_inputs(),
    )
    def _table(warehouse: WarehouseResource, **loaded):
        frame = compute(**loaded)
        yield from publish_checked(
            warehouse, name, frame, ANALYTICS_SCHEMAS[name], KEYS[name], sources=files_cited(frame)
        )

    return _table


def assessment_ins(configs: dict[str, SourceConfig]) -> dict[str, dg.AssetIn]:
    """The assessment asset of every member, as inputs."""
    return {assessment_asset_name(c): dg.AssetIn(assessment_asset_name(c)) for c in configs}


def usable_assessments(
    paths: PipelinePaths, checklist: pd.DataFrame, loaded: dict
) -> tuple[pd.DataFrame, list[str]]:
    """Assessments of every jurisdiction, a blocked one's last good version in its place."""
    frames = {name.removeprefix("ct_assessments_").upper(): frame for name, frame in loaded.items()}
    use, blocked = last_good_frames(
        Path(paths.output_dir) / ".last_good" / "ct_assessments",
        frames,
        lambda frame: validate_assessments(frame, checklist),
    )
    parts = [f for f in use.values() if not f.empty]
    combined = (
        pd.concat(parts, ignore_index=True) if parts else next(iter(frames.values())).iloc[0:0]
    )
    return combined, sorted(use)


def build_mechanism_assets(configs: dict[str, SourceConfig]) -> list[dg.AssetsDefinition]:
    """mechanism_scores, mechanism_conflicts and mechanism_history of the region of `configs`:
    they read the assessments of every member (a blocked one's last good version in its place)."""

    def mechanism_table(name: str, description: str, compute: Callable) -> dg.AssetsDefinition:
        """`compute(assessments, jurisdictions, checklist)` -> the table `name`."""

        @dg.asset(
            name=name,
            ins={**assessment_ins(configs), "ct_checklist": dg.AssetIn("ct_checklist")},
            group_name=ANALYTICS,
            code_version=code_version(ANALYTICS),
            **published_table(name, ANALYTICS_SCHEMAS[name], description),
            check_specs=[schema_check_spec(name)],
            automation_condition=follow_inputs(),
        )
        def _table(
            paths: PipelinePaths, warehouse: WarehouseResource, ct_checklist: pd.DataFrame, **loaded
        ):
            assessments, jurisdictions = usable_assessments(paths, ct_checklist, loaded)
            frame = compute(assessments, jurisdictions, ct_checklist)
            yield from publish_checked(
                warehouse,
                name,
                frame,
                ANALYTICS_SCHEMAS[name],
                KEYS[name],
                sources=files_cited(assessments),
            )

        return _table

    return [
        mechanism_table(
            "mechanism_scores",
            "Latest known score per jurisdiction x checklist item (known, unknown or conflict), with its evidence and change.",
            lambda a, jurisdictions, checklist: compute_mechanism_scores(
                a, checklist, jurisdictions=jurisdictions
            ),
        ),
        mechanism_table(
            "mechanism_conflicts",
            "Both sides of every item and year on which two assessments disagree (never resolved silently).",
            lambda a, _, checklist: find_mechanism_conflicts(a),
        ),
        mechanism_table(
            "mechanism_history",
            "Every assessed year of every checklist item per jurisdiction: its score, evidence and change against the previous assessed year.",
            lambda a, _, checklist: compute_mechanism_history(a, checklist),
        ),
    ]


trends = build_table_asset(
    "trends",
    ["harmonised_statistics", "population"],
    lambda harmonised_statistics, population: compute_trends(harmonised_statistics, population),
    f"Per jurisdiction and {load_region().code} x year x indicator: counts, rates per 100,000, changes, shares and attrition, as bounds.",
)
trend_summary = build_table_asset(
    "trend_summary",
    ["trends"],
    lambda trends: compute_trend_summary(trends),
    "Direction over the five most recent reported years (quasi-Poisson slope), or insufficient_data.",
)
victim_flows = build_table_asset(
    "victim_flows",
    ["harmonised_statistics"],
    lambda harmonised_statistics: compute_victim_flows(harmonised_statistics),
    "Origin x destination x year of detected victims: domestic, intra-regional, from outside the region.",
)
mechanism_domain_scores = build_table_asset(
    "mechanism_domain_scores",
    ["mechanism_scores"],
    lambda mechanism_scores: compute_domain_scores(mechanism_scores),
    f"Per jurisdiction x checklist domain: mean score of the known items and coverage; ranked only at {RANKABLE_COVERAGE:.0%} coverage.",
)
mechanism_gaps = build_table_asset(
    "mechanism_gaps",
    ["mechanism_scores"],
    lambda mechanism_scores: compute_mechanism_gaps(mechanism_scores),
    "Checklist items not met or partly met, in conflict, or with no evidence at all.",
)
data_gaps = build_table_asset(
    "data_gaps",
    ["harmonised_statistics"],
    lambda harmonised_statistics: compute_data_gaps(harmonised_statistics),
    "Completeness per jurisdiction x indicator x breakdown x year: exact, suppressed (<5), not reported.",
)
data_gap_summary = build_table_asset(
    "data_gap_summary",
    ["data_gaps"],
    lambda data_gaps: summarise_data_gaps(data_gaps),
    "Per jurisdiction: share not reported, share suppressed, missing years; worst first.",
)
regional_opportunities = build_table_asset(
    "regional_opportunities",
    ["mechanism_gaps", "victim_flows"],
    lambda mechanism_gaps, victim_flows: compute_regional_opportunities(
        mechanism_gaps, victim_flows
    ),
    f"Gaps shared by {MIN_SHARED_GAP} or more jurisdictions, and jurisdiction pairs linked by recent victim flows.",
)


@dg.asset(
    ins={
        "harmonised_statistics": dg.AssetIn("harmonised_statistics"),
        "us_tip_figures": dg.AssetIn("us_tip_figures"),
    },
    group_name=ANALYTICS,
    code_version=code_version(ANALYTICS),
    **published_table(
        "source_triangulation",
        TRIANGULATION_SCHEMAS["source_triangulation"],
        "Each US TIP figure beside the national figure of the same jurisdiction, year and indicator (compared, never merged): the difference as bounds and its likely reason.",
    ),
    check_specs=[schema_check_spec("source_triangulation")],
    automation_condition=follow_inputs(),
)
def source_triangulation(
    warehouse: WarehouseResource, harmonised_statistics: pd.DataFrame, us_tip_figures: pd.DataFrame
):
    frame = compute_source_triangulation(harmonised_statistics, us_tip_figures)
    left_out = unmapped_tip_figures(us_tip_figures)
    yield from publish_checked(
        warehouse,
        "source_triangulation",
        frame,
        TRIANGULATION_SCHEMAS["source_triangulation"],
        TRIANGULATION_KEYS,
        sources=files_cited(frame),
        extra_metadata={
            "tip_figures_left_out": dg.MetadataValue.json(left_out),
            "likely_reasons": dg.MetadataValue.json(
                {str(k): int(v) for k, v in frame["likely_reason"].value_counts().items()}
            ),
        },
    )


# the assets that read no member's own source (the mechanism tables: `build_mechanism_assets`)
ANALYTICS_ASSETS = [
    trends,
    trend_summary,
    victim_flows,
    mechanism_domain_scores,
    mechanism_gaps,
    data_gaps,
    data_gap_summary,
    regional_opportunities,
    source_triangulation,
]
