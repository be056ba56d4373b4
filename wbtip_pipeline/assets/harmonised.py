"""Harmonised layer: one table across jurisdictions, and every data-quality finding.

A jurisdiction whose raw frame fails its schema is left out of the refresh and keeps its last
good rows, read back from the warehouse; the others are updated. Within one run, Dagster skips
everything downstream of a failed blocking check; `wbtip run` therefore runs this layer in a
second run so that one blocked jurisdiction does not hold back the region, and under the daemon
automation requests it after the jurisdiction's own run, failed check or not (`follow_inputs`).
"""

import dagster as dg
import pandas as pd

from wbtip_pipeline.assets import HARMONISED, follow_inputs
from wbtip_pipeline.assets.common import (
    publish_checked,
    published_table,
    schema_check_spec,
    source_hashes,
)
from wbtip_pipeline.assets.reference import assessment_asset_name
from wbtip_pipeline.assets.sources import raw_asset_name, raw_check_name
from wbtip_pipeline.assets.versions import code_version
from wbtip_pipeline.checks import WARN
from wbtip_pipeline.resources import WarehouseResource
from wbtip_pipeline.schemas.harmonised import (
    HARMONISED_COLUMNS,
    HARMONISED_KEY,
    data_quality_schema,
    harmonised_schema,
)
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.sources.mechanisms import validate_assessments
from wbtip_pipeline.transforms.consistency import check_consistency
from wbtip_pipeline.transforms.data_quality import (
    combine_issues,
    findings_to_issues,
    kept_rows_notes,
    split_valid,
)
from wbtip_pipeline.transforms.harmonise import harmonise_statistics as harmonise
from wbtip_pipeline.transforms.harmonise import map_countries

CONSISTENCY_CHECK = "harmonised_statistics_consistency"


def _by_code(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name.removeprefix("raw_").upper(): frame for name, frame in raw.items()}


def merge_with_last_good(new: pd.DataFrame, previous: pd.DataFrame | None, blocked) -> pd.DataFrame:
    """The fresh rows of passing jurisdictions plus the published rows of the blocked ones."""
    parts = [new]
    if previous is not None and blocked:
        parts.append(previous[previous["jurisdiction"].isin(list(blocked))][HARMONISED_COLUMNS])
    table = pd.concat(parts, ignore_index=True)
    for col in ("year", "value_low", "value_high"):
        table[col] = table[col].astype("int64")
    return table.sort_values(HARMONISED_KEY, ignore_index=True)


def build_harmonised_assets(configs: dict[str, SourceConfig]) -> list[dg.AssetsDefinition]:
    """harmonised_statistics and data_quality_issues of the region of `configs`: they read the
    raw asset (and the assessments) of every member."""
    raw_ins = {raw_asset_name(code): dg.AssetIn(raw_asset_name(code)) for code in configs}

    @dg.asset(
        ins=raw_ins,
        group_name=HARMONISED,
        code_version=code_version(HARMONISED),
        **published_table(
            "harmonised_statistics",
            harmonised_schema,
            "Every jurisdiction's figures in one set of codes, counts as intervals (HARMONISED.md).",
        ),
        check_specs=[
            schema_check_spec("harmonised_statistics"),
            dg.AssetCheckSpec(
                CONSISTENCY_CHECK,
                asset="harmonised_statistics",
                description="Breakdowns, children, convictions and year-on-year jumps that contradict the totals (warns only).",
            ),
        ],
        automation_condition=follow_inputs(),
    )
    def harmonised_statistics(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, **raw
    ):
        raw = _by_code(raw)
        good, blocked = split_valid(raw, configs)
        for code, findings in blocked.items():
            context.log.warning(
                f"{code} is blocked ({len(findings)} findings); keeping its last good rows"
            )
        new, _ = harmonise(pd.concat(good.values(), ignore_index=True)) if good else (None, None)
        # the latest good rows: staged by a refresh that has not been published yet, else published
        previous = warehouse.get().read_latest("harmonised_statistics")
        table = merge_with_last_good(
            new if new is not None else pd.DataFrame(columns=HARMONISED_COLUMNS), previous, blocked
        )
        consistency = check_consistency(table)
        yield dg.AssetCheckResult(
            check_name=CONSISTENCY_CHECK,
            passed=consistency.empty,
            severity=WARN,
            metadata={
                "findings": len(consistency),
                "messages": dg.MetadataValue.text(
                    "\n".join(consistency["jurisdiction"] + ": " + consistency["message"])
                ),
                "by_check": dg.MetadataValue.json(
                    consistency["check_name"].value_counts().to_dict()
                ),
                "sample": dg.MetadataValue.md(
                    consistency[["jurisdiction", "year", "check_name", "message"]]
                    .head(30)
                    .to_markdown(index=False)
                ),
            },
        )
        yield from publish_checked(
            warehouse,
            "harmonised_statistics",
            table,
            harmonised_schema,
            HARMONISED_KEY,
            sources=source_hashes(*good.values()),
            extra_metadata={
                "jurisdictions_refreshed": ", ".join(sorted(good)) or "none",
                "jurisdictions_blocked": ", ".join(sorted(blocked)) or "none",
            },
        )

    @dg.asset(
        ins={
            **raw_ins,
            **{assessment_asset_name(c): dg.AssetIn(assessment_asset_name(c)) for c in configs},
            "ct_checklist": dg.AssetIn("ct_checklist"),
        },
        group_name=HARMONISED,
        code_version=code_version(HARMONISED),
        **published_table(
            "data_quality_issues",
            data_quality_schema,
            "Every finding of every check, blocking (error) or not (warning), in words an analyst understands.",
        ),
        check_specs=[schema_check_spec("data_quality_issues")],
        automation_condition=follow_inputs(),
    )
    def data_quality_issues(
        harmonised_statistics: pd.DataFrame,
        ct_checklist: pd.DataFrame,
        warehouse: WarehouseResource,
        **loaded,
    ):
        raw = _by_code({k: v for k, v in loaded.items() if k.startswith("raw_")})
        good, blocked = split_valid(raw, configs)
        ingestion = [findings_to_issues(f, raw_check_name(code)) for code, f in blocked.items()]
        for name, frame in loaded.items():
            if name.startswith("ct_assessments_"):
                findings = validate_assessments(frame, ct_checklist)
                ingestion.append(findings_to_issues(findings, f"{name}_schema"))
        mapping = [map_countries(frame[frame["problem"].isna()])[1] for frame in good.values()]
        issues = combine_issues(
            *ingestion,
            kept_rows_notes(blocked, harmonised_statistics),
            *mapping,
            check_consistency(harmonised_statistics),
        )
        yield from publish_checked(
            warehouse,
            "data_quality_issues",
            issues,
            data_quality_schema,
            ["jurisdiction", "year", "check_name"],
            extra_metadata={
                "errors": int((issues["severity"] == "error").sum()),
                "warnings": int((issues["severity"] == "warning").sum()),
            },
        )

    return [harmonised_statistics, data_quality_issues]
