"""What every published table asset does: validate, report the check, publish, describe."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.assets.versions import data_version
from wbtip_pipeline.checks import check_result
from wbtip_pipeline.resources import WarehouseResource
from wbtip_pipeline.validation import validate


def schema_check_name(table: str) -> str:
    return f"{table}_schema"


def schema_check_spec(table: str, description: str | None = None) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        schema_check_name(table),
        asset=table,
        blocking=True,
        description=description
        or f"{table} matches its pandera schema; it is published only if so.",
    )


def column_schema(frame: pd.DataFrame, schema: pa.DataFrameSchema | None) -> dg.TableSchema:
    described = schema.columns if schema is not None else {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=col,
                type=str(frame[col].dtype),
                description=getattr(described.get(col), "description", None),
            )
            for col in frame.columns
        ]
    )


def source_hashes(*raw_frames: pd.DataFrame) -> dict[str, str]:
    """{file name: SHA-256} of the source files behind some raw frames (lineage to the file)."""
    pairs: dict[str, str] = {}
    for frame in raw_frames:
        if frame is None or frame.empty or "source_sha256" not in frame:
            continue
        sub = frame[["source_file", "source_sha256"]].dropna().drop_duplicates()
        pairs.update(zip(sub["source_file"], sub["source_sha256"], strict=True))
    return dict(sorted(pairs.items()))


def table_metadata(
    name: str,
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema | None,
    sources: dict[str, str] | None,
) -> dict:
    meta = {
        "dagster/row_count": len(frame),
        "dagster/table_name": name,
        "dagster/column_schema": column_schema(frame, schema),
        "preview": dg.MetadataValue.md(frame.head(10).to_markdown(index=False)),
    }
    if sources:
        meta["source_files"] = dg.MetadataValue.json(sources)
    return meta


def publish_checked(
    warehouse: WarehouseResource,
    name: str,
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    keys: list[str],
    *,
    sources: dict[str, str] | None = None,
    extra_metadata: dict | None = None,
    output_name: str = "result",
) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """Validate `frame`; stage it only if it passes (the `publication` asset makes it visible
    with the rest of the refresh; until then, and if it fails, the last good version stays)."""
    findings = validate(frame, schema)
    yield check_result(findings, check_name=schema_check_name(name), asset_key=dg.AssetKey(name))
    if findings:
        raise dg.Failure(
            description=f"{name} failed its schema; the warehouse keeps its last good version. "
            + findings[0].message,
            metadata={"failures": len(findings)},
        )
    warehouse.get().stage(name, frame, schema, keys)
    yield dg.Output(
        frame,
        output_name=output_name,
        metadata={**table_metadata(name, frame, schema, sources), **(extra_metadata or {})},
        data_version=data_version(dg.AssetKey(name)),
    )


def files_cited(frame: pd.DataFrame) -> dict[str, str]:
    """{file name: ""} of the source files a derived table cites in its `source_files` or `source_file`."""
    names: set[str] = set()
    for col in ("source_files", "source_file"):
        if col in frame.columns:
            for cell in frame[col].dropna().astype(str):
                names.update(n.strip() for n in cell.split(";") if n.strip())
    return {name: "" for name in sorted(names)}


def last_good_frames(
    store: Path, frames: dict[str, pd.DataFrame], validate_fn
) -> tuple[dict[str, pd.DataFrame], dict[str, list]]:
    """Frames to compute with, and the findings of the blocked ones, by jurisdiction.

    A frame that passes is used and kept in `store` as the jurisdiction's last good version; one
    that fails is replaced by that last good version (or left out if there is none).
    """
    store.mkdir(parents=True, exist_ok=True)
    use, blocked = {}, {}
    for code, frame in frames.items():
        findings = validate_fn(frame)
        path = store / f"{code}.pkl"
        if not findings:
            frame.to_pickle(path)
            use[code] = frame
            continue
        blocked[code] = findings
        if path.exists():
            use[code] = pd.read_pickle(path)
    return use, blocked
