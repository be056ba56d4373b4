"""Every published table and its schema, in the order the data dictionary lists them."""

import pandera.pandas as pa

from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.schemas.evidence import EVIDENCE_SCHEMAS
from wbtip_pipeline.schemas.harmonised import data_quality_schema, harmonised_schema
from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
from wbtip_pipeline.schemas.triangulation import TRIANGULATION_SCHEMAS
from wbtip_pipeline.schemas.workshop import WORKSHOP_SCHEMAS


def table_schemas() -> dict[str, pa.DataFrameSchema]:
    return {
        "harmonised_statistics": harmonised_schema,
        "data_quality_issues": data_quality_schema,
        **ANALYTICS_SCHEMAS,
        **EVIDENCE_SCHEMAS,
        **TRIANGULATION_SCHEMAS,
        **RECOMMENDATION_SCHEMAS,
        **WORKSHOP_SCHEMAS,
    }
