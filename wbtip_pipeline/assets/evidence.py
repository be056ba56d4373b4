"""Graded evidence sources: the evidence registry (a reference asset of the sources layer) and
`evidence_sources` (analytics), every web page a statement cites with its publisher and grade.

A page no registry entry covers is graded `unknown` and named by the non-blocking check
`evidence_sources_graded` (a warning: the table is published all the same).
"""

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import ANALYTICS, DATA_OWNERS, SOURCES, follow_inputs
from wbtip_pipeline.assets.analytics import assessment_ins, usable_assessments
from wbtip_pipeline.assets.common import publish_checked, published_table, schema_check_spec
from wbtip_pipeline.assets.sources import IO_RETRY
from wbtip_pipeline.assets.versions import code_version, data_version
from wbtip_pipeline.checks import WARN, build_schema_check, check_result
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.schemas.evidence import EVIDENCE_SCHEMAS
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.sources.evidence_registry import (
    REGISTRY_FILE,
    parse_evidence_registry,
    read_evidence_registry,
    validate_evidence_registry,
)
from wbtip_pipeline.sources.readers import read_bytes
from wbtip_pipeline.transforms.evidence_sources import compute_evidence_sources, ungraded_findings

EVIDENCE_SOURCES = "evidence_sources"
GRADED_CHECK = "evidence_sources_graded"
# the reference asset of the figures the US TIP reports state, when the pipeline has it
TIP_FIGURES = "us_tip_figures"


@dg.asset(
    group_name=SOURCES,
    code_version=code_version(SOURCES),
    retry_policy=IO_RETRY,
    description="Who publishes each web site the evidence is read from, and its grade (evidence_registry.yaml).",
    kinds={"pandas", "yaml"},
    owners=DATA_OWNERS,
)
def evidence_registry(paths: PipelinePaths) -> dg.Output[pd.DataFrame]:
    path = paths.reference(REGISTRY_FILE)
    if path.is_file():  # read once: the hash recorded is that of the bytes parsed
        file = read_bytes(path)
        frame, hashes = parse_evidence_registry(file), {file.name: file.sha256}
    else:
        frame, hashes = read_evidence_registry(path), {}
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": len(frame),
            "source_files": dg.MetadataValue.json(hashes),
        },
        data_version=data_version(paths=paths, read=hashes),
    )


evidence_registry_schema_check = build_schema_check(
    evidence_registry,
    "evidence_registry_schema",
    validate_evidence_registry,
    "Registry: readable entries (host[/path]), known source types, a publisher, mirrors name their original.",
)


def build_evidence_sources(configs: dict[str, SourceConfig]) -> dg.AssetsDefinition:
    """evidence_sources of the region of `configs`: it reads the assessments of every member."""

    @dg.asset(
        ins={
            **assessment_ins(configs),
            "ct_checklist": dg.AssetIn("ct_checklist"),
            "us_tip_tiers": dg.AssetIn("us_tip_tiers"),
            TIP_FIGURES: dg.AssetIn(TIP_FIGURES),
            "evidence_registry": dg.AssetIn("evidence_registry"),
        },
        group_name=ANALYTICS,
        code_version=code_version(ANALYTICS),
        **published_table(
            EVIDENCE_SOURCES,
            EVIDENCE_SCHEMAS[EVIDENCE_SOURCES],
            "Every web page a statement cites (assessments, US TIP tiers and figures): publisher, source type, original publisher of a copy, statements citing it.",
        ),
        check_specs=[
            schema_check_spec(EVIDENCE_SOURCES),
            dg.AssetCheckSpec(
                GRADED_CHECK,
                asset=EVIDENCE_SOURCES,
                description="Every site the evidence cites is graded by the registry (warns, naming each site graded unknown).",
            ),
        ],
        automation_condition=follow_inputs(),
    )
    def evidence_sources(
        paths: PipelinePaths,
        warehouse: WarehouseResource,
        ct_checklist: pd.DataFrame,
        us_tip_tiers: pd.DataFrame,
        evidence_registry: pd.DataFrame,
        **loaded,
    ):
        figures = loaded.pop(TIP_FIGURES, None)
        assessments, _ = usable_assessments(paths, ct_checklist, loaded)
        frame = compute_evidence_sources(evidence_registry, assessments, us_tip_tiers, figures)
        findings = ungraded_findings(frame)
        yield check_result(
            findings,
            check_name=GRADED_CHECK,
            asset_key=dg.AssetKey(EVIDENCE_SOURCES),
            severity=WARN,
            extra={"by_type": dg.MetadataValue.json(frame["source_type"].value_counts().to_dict())},
        )
        yield from publish_checked(
            warehouse,
            EVIDENCE_SOURCES,
            frame,
            EVIDENCE_SCHEMAS[EVIDENCE_SOURCES],
            ["url"],
            sources={REGISTRY_FILE: ""},
        )

    return evidence_sources


EVIDENCE_ASSETS = [evidence_registry]  # and `build_evidence_sources`
EVIDENCE_CHECKS = [evidence_registry_schema_check]
