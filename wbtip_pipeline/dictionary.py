"""The data dictionary: every published table, column and code, generated from the schemas."""

from __future__ import annotations

import pandera.pandas as pa

from wbtip_pipeline import codes


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


def render_dictionary(schemas: dict[str, pa.DataFrameSchema]) -> str:
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
        + ", ".join(f"`{k}` ({v})" for k, v in codes.JURISDICTIONS.items())
        + f", `{codes.REGION}` (the six together) |",
        "| indicator | " + ", ".join(f"`{c}`" for c in codes.INDICATORS) + " |",
        "| dimension | " + ", ".join(f"`{c}`" for c in codes.DIMENSIONS) + " |",
        "| category (exploitation) | " + ", ".join(f"`{c}`" for c in codes.CATEGORIES) + " |",
        "| category (citizenship, repatriation) | ISO 3166-1 alpha-3 (`XKX` Kosovo, `YUG` former Yugoslavia), `ABROAD`, `UNKNOWN` |",
        "| sex | " + ", ".join(f"`{c}`" for c in codes.SEXES) + " |",
        "| age | `total`, `child` (0-17), `adult` (18+), `unknown` |",
        "",
        "Counts are intervals: `value_low`..`value_high`; `<5` (UNODC's disclosure control) is 0..4.",
        "A combination with no row was not reported; it is never zero.",
        "",
    ]
    return "\n".join(lines)
