"""The data dictionary: every published table, column and code, generated from the schemas,
the code lists (`vocab.py`) and the region of the jurisdiction configs (`region.py`)."""

from __future__ import annotations

import pandera.pandas as pa

from wbtip_pipeline import vocab
from wbtip_pipeline.region import Region, load_region


def _allowed(column: pa.Column) -> str:
    for check in column.checks:
        values = check.statistics.get("allowed_values") if check.statistics else None
        if values:
            return ", ".join(f"`{v}`" for v in values)
    return ""


def _dtype(column: pa.Column) -> str:
    text = str(column.dtype) if column.dtype is not None else "text"
    return {
        "object": "text",
        "str": "text",
        "int64": "integer",
        "Int64": "integer",
        "float64": "number",
    }.get(text, text)


def render_dictionary(schemas: dict[str, pa.DataFrameSchema], region: Region | None = None) -> str:
    """The dictionary in markdown; `region`: whose members and code it lists (default:
    `load_region()`)."""
    region = load_region() if region is None else region
    former = ", ".join(f"`{code}` {name}" for code, name in region.former_codes.items())
    lines = [
        "# Data dictionary",
        "",
        "Generated from the pandera schemas of the pipeline (`wbtip dictionary`); do not edit by hand.",
        "Every table is in the warehouse under its name and in `<output>/tables/<name>.csv`.",
        "",
    ]
    for name, schema in schemas.items():
        lines += [f"## `{name}`", "", (schema.description or "").strip(), ""]
        lines += ["| column | type | nullable | meaning | values |", "|---|---|---|---|---|"]
        for col_name, column in schema.columns.items():
            meaning = (column.description or "").replace("|", "\\|")
            lines.append(
                f"| `{col_name}` | {_dtype(column)} | {'yes' if column.nullable else 'no'} | "
                f"{meaning} | {_allowed(column)} |"
            )
        lines.append("")
    lines += [
        "## Code lists",
        "",
        "| list | codes |",
        "|---|---|",
        "| jurisdiction | "
        + ", ".join(f"`{k}` ({v})" for k, v in region.names.items())
        + f", `{region.code}` ({region.name}: the {region.size_words()} together) |",
        "| indicator | " + ", ".join(f"`{c}`" for c in vocab.INDICATORS) + " |",
        "| dimension | " + ", ".join(f"`{c}`" for c in vocab.DIMENSIONS) + " |",
        "| category (exploitation) | " + ", ".join(f"`{c}`" for c in vocab.CATEGORIES) + " |",
        "| category (citizenship, repatriation) | ISO 3166-1 alpha-3 (`XKX` Kosovo"
        + (f"; former states: {former}" if former else "")
        + "), "
        + ", ".join(f"`{c}`" for c in vocab.SPECIAL_COUNTRY_CODES)
        + " |",
        "| sex | " + ", ".join(f"`{c}`" for c in vocab.SEXES) + " |",
        "| age | `total`, `child` (0-17), `adult` (18+), `unknown` |",
        "",
        "Counts are intervals: `value_low`..`value_high`; `<5` (UNODC's disclosure control) is 0..4.",
        "A combination with no row was not reported; it is never zero.",
        "",
    ]
    return "\n".join(lines)
