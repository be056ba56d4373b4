"""Reporting layer: the data dictionary (and, downstream of the tables, the report)."""

import dagster as dg

from wbtip_pipeline.assets import REPORTING, follow_inputs
from wbtip_pipeline.assets.common import publish_checked, schema_check_spec
from wbtip_pipeline.dictionary import render_dictionary
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
from wbtip_pipeline.schemas.registry import table_schemas
from wbtip_pipeline.transforms.recommendations import (
    compute_recommendation_changes,
    compute_recommendations,
    load_rules,
    tables_needed,
)
from wbtip_pipeline.warehouse import write_text_atomic


@dg.asset(
    group_name=REPORTING,
    description="The data dictionary of every published table, column and code, from the pandera schemas.",
    kinds={"markdown"},
)
def data_dictionary(paths: PipelinePaths) -> dg.MaterializeResult:
    path = paths.output / "data_dictionary.md"
    schemas = table_schemas()
    write_text_atomic(render_dictionary(schemas), path)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "tables": len(schemas)}
    )


EVIDENCE_TABLES = tables_needed(load_rules())


@dg.multi_asset(
    outs={
        "recommendations": dg.AssetOut(
            group_name=REPORTING,
            description="Evidence-linked recommendations per jurisdiction and for the region, prioritised.",
            automation_condition=follow_inputs(),
            kinds={"pandas", "sql"},
        ),
        "recommendation_changes": dg.AssetOut(
            group_name=REPORTING,
            description="What changed since the previous materialisation: new, unchanged, resolved.",
            automation_condition=follow_inputs(),
            kinds={"pandas", "sql"},
        ),
    },
    ins={name: dg.AssetIn(name) for name in EVIDENCE_TABLES},
    check_specs=[schema_check_spec(name) for name in RECOMMENDATION_SCHEMAS],
)
def recommendations(warehouse: WarehouseResource, **tables):
    current = compute_recommendations(tables)
    # the previous materialisation is the published table, read before it is replaced
    changes = compute_recommendation_changes(warehouse.get().read("recommendations"), current)
    for name, frame in (("recommendations", current), ("recommendation_changes", changes)):
        yield from publish_checked(
            warehouse,
            name,
            frame,
            RECOMMENDATION_SCHEMAS[name],
            ["jurisdiction", "recommendation_id"],
            output_name=name,
            extra_metadata={
                "by_urgency": dg.MetadataValue.json(frame["urgency"].value_counts().to_dict())
            },
        )
