"""What every published table asset does: validate, report the check, publish, describe."""

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.assets import DATA_OWNERS
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


# Published tables and documents are expected within a month: the monthly refresh runs on the
# 1st (at most 31 days apart), then automation refreshes everything downstream; a few days' grace.
PUBLISHED_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=35), warn_window=timedelta(days=32)
)
TABLE_KINDS = {"pandas", "sql"}

_LISTED = 6  # values of an `isin` check named before the rest is counted
_LONGEST = 80  # characters of a rule in words (a long pattern is cut)
_COMPARISONS = {
    "greater_than_or_equal_to": (">=", "min_value"),
    "greater_than": (">", "min_value"),
    "less_than_or_equal_to": ("<=", "max_value"),
    "less_than": ("<", "max_value"),
    "equal_to": ("==", "value"),
    "not_equal_to": ("!=", "value"),
}


def _cut(text: str) -> str:
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _listed(values) -> str:
    values = list(values)
    shown = ", ".join(_value(v) for v in values[:_LISTED])
    return shown + (f", ... ({len(values)} values)" if len(values) > _LISTED else "")


def check_in_words(check: pa.Check) -> str:
    """A pandera check as a short phrase: `isin: ALB, BIH, ...`, `>= 0`, `matches ^[A-Z]{3}$`;
    a custom check by its error message."""
    stats, name = check.statistics or {}, check.name
    if name == "isin":
        return "isin: " + _listed(stats["allowed_values"])
    if name == "notin":
        return "not in: " + _listed(stats["forbidden_values"])
    if name in ("str_matches", "str_contains"):
        return _cut(f"{'matches' if name == 'str_matches' else 'contains'} {stats['pattern']}")
    if name in _COMPARISONS:
        op, field = _COMPARISONS[name]
        return f"{op} {_value(stats[field])}"
    if name == "in_range":
        low = ">=" if stats.get("include_min", True) else ">"
        high = "<=" if stats.get("include_max", True) else "<"
        return f"{low} {_value(stats['min_value'])} and {high} {_value(stats['max_value'])}"
    if name == "str_length":
        if stats.get("exact_value") is not None:
            return f"length {stats['exact_value']}"
        bounds = [
            f"{op} {stats[field]}"
            for op, field in ((">=", "min_value"), ("<=", "max_value"))
            if stats.get(field) is not None
        ]
        return "length " + " and ".join(bounds)
    return _cut(str(check.error or name.strip("_").replace("_", " ")))


def _key(schema: pa.DataFrameSchema) -> list[str]:
    unique = schema.unique
    return [unique] if isinstance(unique, str) else list(unique or [])


def _column_constraints(
    name: str, column: pa.Column, schema: pa.DataFrameSchema
) -> dg.TableColumnConstraints:
    return dg.TableColumnConstraints(
        nullable=bool(column.nullable),
        unique=bool(column.unique) or _key(schema) == [name],
        other=[check_in_words(check) for check in column.checks],
    )


def column_schema_of(schema: pa.DataFrameSchema) -> dg.TableSchema:
    """The columns a table is declared with (its pandera schema): type, description and
    constraints (nullable, unique, its checks in words); the table's key and cross-column rules
    as table constraints. The catalog shows it before the table is first materialised."""
    key = _key(schema)
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=str(column.dtype),
                description=column.description,
                constraints=_column_constraints(name, column, schema),
            )
            for name, column in schema.columns.items()
        ],
        constraints=dg.TableConstraints(
            other=[
                *([f"unique: {', '.join(key)}"] if key else []),
                *(check_in_words(check) for check in schema.checks),
            ]
        ),
    )


def column_schema(frame: pd.DataFrame, schema: pa.DataFrameSchema | None) -> dg.TableSchema:
    """The columns a table was written with: their types in the frame, with the description and
    constraints its schema declares (`column_schema_of`)."""
    of_schema = column_schema_of(schema) if schema is not None else None
    declared = {column.name: column for column in of_schema.columns} if of_schema else {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=col,
                type=str(frame[col].dtype),
                description=declared[col].description if col in declared else None,
                constraints=declared[col].constraints if col in declared else None,
            )
            for col in frame.columns
        ],
        constraints=of_schema.constraints if of_schema else None,
    )


_GRAIN = re.compile(r"One row per .+?(?=:\s|\.\s|\.$|;|$)", re.S)


def grain(schema: pa.DataFrameSchema) -> str | None:
    """The "One row per ..." of a schema's description, up to the end of its sentence or its
    colon (None if it has none)."""
    found = _GRAIN.search(schema.description or "")
    return " ".join(found.group(0).split()) if found else None


def published_table(name: str, schema: pa.DataFrameSchema, description: str) -> dict:
    """What the catalog says of a published table, as arguments of `dg.asset` or `dg.AssetOut`:
    its description with its grain (from the schema), its columns and warehouse name, owners,
    kinds and freshness."""
    row = grain(schema)
    if row and "one row per" not in description.lower():
        description = f"{description} {row}."
    return {
        "description": description,
        "metadata": {
            "dagster/column_schema": column_schema_of(schema),
            "dagster/table_name": name,
        },
        "owners": DATA_OWNERS,
        "kinds": TABLE_KINDS,
        "freshness_policy": PUBLISHED_FRESHNESS,
    }


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
