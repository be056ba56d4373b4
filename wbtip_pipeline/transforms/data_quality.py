"""Which jurisdictions passed ingestion, and every finding as a `data_quality_issues` row."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from wbtip_pipeline.schemas.harmonised import DATA_QUALITY_COLUMNS
from wbtip_pipeline.schemas.raw import validate_raw
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.validation import Finding


def split_valid(
    raw: Mapping[str, pd.DataFrame], configs: Mapping[str, SourceConfig]
) -> tuple[dict[str, pd.DataFrame], dict[str, list[Finding]]]:
    """(frames that pass the raw schema, findings of those that do not), by jurisdiction."""
    good, blocked = {}, {}
    for code, frame in raw.items():
        findings = validate_raw(frame, configs[code])
        if findings:
            blocked[code] = findings
        else:
            good[code] = frame
    return good, blocked


def findings_to_issues(
    findings: list[Finding], check_name: str, severity: str = "error"
) -> pd.DataFrame:
    rows = [
        {
            "jurisdiction": f.jurisdiction,
            "year": f.year,
            "severity": severity,
            "check_name": check_name,
            "message": f.message,
            "source_file": f.file or None,
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=DATA_QUALITY_COLUMNS)


def kept_rows_notes(blocked: Mapping[str, list[Finding]], harmonised: pd.DataFrame) -> pd.DataFrame:
    """One row per blocked jurisdiction saying what the published table holds for it instead."""
    rows = []
    for code in sorted(blocked):
        kept = harmonised[harmonised["jurisdiction"] == code]
        if kept.empty:
            what = "it has no rows in harmonised_statistics until its input passes"
        else:
            what = (
                f"harmonised_statistics keeps its {len(kept)} rows from the last good refresh "
                f"({kept['year'].min()}-{kept['year'].max()})"
            )
        rows.append(
            {
                "jurisdiction": code,
                "year": None,
                "severity": "error",
                "check_name": "jurisdiction_blocked",
                "message": f"{code}: the new input failed validation ({len(blocked[code])} "
                f"finding(s)), so {what}.",
                "source_file": None,
            }
        )
    return pd.DataFrame(rows, columns=DATA_QUALITY_COLUMNS)


def combine_issues(*frames: pd.DataFrame) -> pd.DataFrame:
    parts = [f for f in frames if f is not None and not f.empty]
    if not parts:
        out = pd.DataFrame(columns=DATA_QUALITY_COLUMNS)
    else:
        out = pd.concat([p[DATA_QUALITY_COLUMNS].astype(object) for p in parts], ignore_index=True)
    out["year"] = pd.array(out["year"], dtype="Int64")
    for col in ("jurisdiction", "severity", "check_name", "message"):
        out[col] = out[col].astype(str)
    out["source_file"] = out["source_file"].astype(object).where(out["source_file"].notna(), None)
    order = {"error": 0, "warning": 1}
    return (
        out.assign(_s=out["severity"].map(order))
        .sort_values(["_s", "jurisdiction", "year", "check_name", "message"], na_position="first")
        .drop(columns="_s")
        .reset_index(drop=True)
    )
