"""Run a pandera schema lazily and turn its failure cases into findings an analyst can act on.

Dagster-free, so the same findings feed the blocking asset checks (`checks.py`), the
`data_quality_issues` table and the command line.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime

import pandas as pd
import pandera.pandas as pa


def _geopandas_marked_absent() -> bool:
    """pandera looks for geopandas whenever it resolves the dtype of an object column
    (`pandas_engine.is_geopandas_dtype` tries `from geopandas.array import GeometryDtype`),
    and Python does not remember an import that failed: without geopandas, every column checked
    searched every folder of `sys.path` again, about a tenth of the time of validating a raw
    frame (8.8 -> 8.0 ms). Marking the absent module `None` in `sys.modules` makes the import
    fail at once, as Python documents; `importlib.util.find_spec` still answers None. Where
    geopandas is installed nothing changes."""
    if "geopandas" not in sys.modules and importlib.util.find_spec("geopandas") is None:
        sys.modules["geopandas"] = None
    return sys.modules.get("geopandas", ...) is None


_geopandas_marked_absent()


@dataclass(frozen=True)
class Finding:
    jurisdiction: str
    file: str
    row: str
    column: str
    value: str
    rule: str
    year: int | None = None

    @property
    def message(self) -> str:
        if self.column == "" and self.value == "":
            return self.rule  # a whole-file problem already says everything
        if self.row.startswith("key "):  # nested JSON: the key path is the location
            where = f"{self.row}"
        else:
            where = f"column {self.column}" + (f", {self.row}" if self.row else "")
        return f"value {self.value!r} in {where} of {self.file}: {self.rule}"


# For a row `index` of `frame` and the column a check failed on, where it came from:
# (file, row, national column name).
Locator = Callable[[pd.DataFrame, int, str], tuple[str, str, str]]


def _plain_locator(frame: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
    row = frame.loc[index]
    file = row["source_files"] if "source_files" in frame.columns else ""
    return str(file), f"row {index + 1} of the table", column


def validate(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    *,
    locate: Locator = _plain_locator,
    wide_check_columns: dict[str, str] | None = None,
    message_column: str | None = None,
) -> list[Finding]:
    """All findings of `schema` on `frame` (empty when it passes).

    `wide_check_columns` names, for each dataframe-level check (by its error text), the column a
    finding should point at; pandera reports such checks against an arbitrary column.
    `message_column`: a column whose non-null text is itself the whole finding (file problems).
    """
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    wide = wide_check_columns or {}
    findings: dict[tuple, Finding] = {}
    for case in cases.itertuples(index=False):
        rule = str(case.check)
        index = case.index
        if index is None or pd.isna(index) or index not in frame.index:
            # a schema-level failure (missing column, wrong type of the whole column)
            key = ("schema", rule, str(case.column))
            findings[key] = Finding(
                jurisdiction=_jurisdiction(frame, None),
                file="",
                row="",
                column=str(case.column),
                value=str(case.failure_case),
                rule=rule,
            )
            continue
        index = int(index)
        column = wide.get(rule, str(case.column))
        if message_column and column == message_column:
            row = frame.loc[index]
            findings[(index, rule)] = Finding(
                jurisdiction=_jurisdiction(frame, index),
                file=str(row.get("source_file", "")),
                row="",
                column="",
                value="",
                rule=str(row[message_column]),
            )
            continue
        value = frame.at[index, column] if column in frame.columns else case.failure_case
        file, where, national = locate(frame, index, column)
        year = frame.at[index, "year"] if "year" in frame.columns else None
        findings[(index, rule)] = Finding(
            jurisdiction=_jurisdiction(frame, index),
            file=file,
            row=where,
            column=national,
            value="" if value is None or value is pd.NA else str(value),
            rule=rule,
            year=None if year is None or pd.isna(year) else int(year),
        )
    return sorted(
        findings.values(), key=lambda f: (f.jurisdiction, f.file, _row_key(f.row), f.rule)
    )


def _row_key(row: str) -> tuple:
    """Findings sort by the last number in where they are (a row), numerically. ASCII digits
    only: a label from a file may hold others ('²' is a digit to `str.isdigit`, not to `int`)."""
    digits = re.findall(r"[0-9]+", row)
    return (row.split(" row")[0], int(digits[-1]) if digits else -1)


def _jurisdiction(frame: pd.DataFrame, index: int | None) -> str:
    if "jurisdiction" not in frame.columns or frame.empty:
        return "ALL"
    if index is None:
        values = frame["jurisdiction"].dropna().unique()
        return str(values[0]) if len(values) == 1 else "ALL"
    return str(frame.at[index, "jurisdiction"])


def findings_markdown(findings: list[Finding], limit: int = 50) -> str:
    """A markdown table of the first `limit` findings, for the check's metadata in the UI."""
    if not findings:
        return "No failures."
    lines = ["| file | row | column | value | rule |", "|---|---|---|---|---|"]
    for f in findings[:limit]:
        cells = [f.file, f.row, f.column, f.value, f.rule]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    if len(findings) > limit:
        lines.append(f"\n... and {len(findings) - limit} more.")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = [asdict(f) | {"message": f.message} for f in findings]
    return pd.DataFrame(
        rows, columns=["jurisdiction", "file", "row", "column", "value", "rule", "year", "message"]
    )


# --- cell rules: what an empty cell and a date are, for schemas and transforms alike ----------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
# day first, as dates are written in the region; a trailing dot (12.05.2026.) is usual in
# Bosnian, Croatian, Montenegrin and Serbian
_DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})\.?$")


def parse_date(value) -> date | None:
    """A date from a form cell: a date/datetime, `2026-05-12`, `12.05.2026(.)` or `12/05/2026`
    (day first); None when empty or not a date."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    iso, local = _ISO.match(text), _DAY_FIRST.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif local:
        day, month, year = (int(g) for g in local.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso_date(value) -> str | None:
    """`parse_date` as `YYYY-MM-DD` text (the warehouse's date format); None if it does not parse."""
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else None


def blank(series: pd.Series) -> pd.Series:
    """True where a cell is empty (None, NaN or only spaces)."""
    return series.isna() | (series.astype(str).str.strip() == "")


def date_parses(series: pd.Series) -> pd.Series:
    """True where a cell is empty or a date `parse_date` reads."""
    return blank(series) | series.map(lambda v: parse_date(v) is not None)
