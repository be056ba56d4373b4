"""Reporting layer: the data dictionary (and, downstream of the tables, the report)."""

import dagster as dg

from wbtip_pipeline.assets import REPORTING
from wbtip_pipeline.dictionary import render_dictionary
from wbtip_pipeline.resources import PipelinePaths
from wbtip_pipeline.schemas.registry import table_schemas
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
