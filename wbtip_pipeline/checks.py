"""The check factory: a validation function becomes a blocking Dagster asset check.

dagster-pandera only offers a Dagster type (a failed step, no check, no failure sample), so the
schemas are wrapped here. Every check reports its findings (file, row, column, value, rule) as a
markdown table in its metadata, where the engineer on call looks first.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from wbtip_pipeline.validation import Finding, findings_markdown

ERROR = dg.AssetCheckSeverity.ERROR
WARN = dg.AssetCheckSeverity.WARN


def check_result(
    findings: list[Finding],
    *,
    check_name: str | None = None,
    asset_key: dg.AssetKey | None = None,
    severity: dg.AssetCheckSeverity = ERROR,
    extra: dict | None = None,
) -> dg.AssetCheckResult:
    """The check result for a list of findings: passed when there are none."""
    metadata = {
        "failures": dg.MetadataValue.int(len(findings)),
        "failure_cases": dg.MetadataValue.md(findings_markdown(findings)),
        # plain text too, so the command line and the failure sensor can print it as is
        "messages": dg.MetadataValue.text("\n".join(f.message for f in findings[:200])),
        **(extra or {}),
    }
    return dg.AssetCheckResult(
        passed=not findings,
        severity=severity,
        metadata=metadata,
        check_name=check_name,
        asset_key=asset_key,
        description=(findings[0].message if findings else None),
    )


def build_schema_check(
    asset: dg.AssetsDefinition | str,
    name: str,
    validate_fn: Callable[[pd.DataFrame], list[Finding]],
    description: str,
    *,
    blocking: bool = True,
) -> dg.AssetChecksDefinition:
    """A blocking asset check that loads the asset's frame and runs `validate_fn` on it."""

    @dg.asset_check(asset=asset, name=name, blocking=blocking, description=description)
    def _check(frame: pd.DataFrame) -> dg.AssetCheckResult:
        return check_result(validate_fn(frame), severity=ERROR if blocking else WARN)

    return _check
