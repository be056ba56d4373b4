"""Generic layout readers: turn a jurisdiction's folder into the canonical raw frame.

The raw frame keeps every row that was read, with provenance (file, SHA-256, location in the
file). Readers never raise on bad input: what cannot be mapped stays visible in the frame (an
unmapped label is kept verbatim in its code column; a file that cannot be read at all becomes one
row whose `problem` says why), and the raw schema turns it into a clear, blocking failure.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.vocab import (
    COUNTRY_DIMENSIONS,
    SUPPRESSED_HIGH,
    SUPPRESSED_LOW,
    SUPPRESSED_TEXT,
)

RAW_COLUMNS = [
    "jurisdiction",
    "year",
    "indicator",
    "dimension",
    "category",
    "sex",
    "age",
    "subform",
    "value_text",
    "value_low",
    "value_high",
    "value_column",
    "file_year",
    "source_file",
    "source_sha256",
    "source_row",
    "problem",
]
INT_COLUMNS = ["year", "subform", "value_low", "value_high", "file_year"]

_INT_RE = re.compile(r"[+-]?\d+")


class FileProblem(Exception):
    """A whole file cannot be read; the message says why in an analyst's words."""


@dataclass
class SourceFile:
    path: Path
    sha256: str
    year: int | None  # from the file name, for per-year layouts


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> reason


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def discover(folder: Path, cfg: SourceConfig) -> Discovery:
    """The folder's data files (those matching the config's pattern) and the skipped ones, with why."""
    found = Discovery()
    if not folder.is_dir():
        return found
    mechanisms = re.compile(cfg.mechanisms_pattern)
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        name = path.name
        match = cfg.pattern.fullmatch(name)
        if name.startswith("~$"):
            found.skipped[name] = "Office lock file of an open workbook, not data"
        elif name.startswith("."):
            found.skipped[name] = "hidden file, not data"
        elif mechanisms.fullmatch(name):
            continue  # read by the CT mechanism assessment asset, not a statistics file
        elif match is None:
            found.skipped[name] = f"does not match the file pattern {cfg.file_pattern!r}"
        else:
            year = int(match.group("year")) if cfg.per_year else None
            found.files.append(SourceFile(path, sha256_of(path), year))
    return found


def parse_count(raw: Any) -> tuple[str, int | None, int | None] | None:
    """(text, low, high) of a count cell; None when empty (not reported).

    `<5` is the interval 0..4. Anything that is not a whole number keeps its text and no bounds,
    so validation can quote it.
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    if isinstance(raw, bool):
        return str(raw), None, None
    if isinstance(raw, int):
        return str(raw), raw, raw
    if isinstance(raw, float):
        return (str(raw), int(raw), int(raw)) if raw.is_integer() else (str(raw), None, None)
    text = str(raw).strip()
    if text == "":
        return None
    if text == SUPPRESSED_TEXT:
        return text, SUPPRESSED_LOW, SUPPRESSED_HIGH
    if _INT_RE.fullmatch(text):
        return text, int(text), int(text)
    return text, None, None


def _parse_year(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip() if raw is not None else ""
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return int(text) if re.fullmatch(r"\d{4}", text) else None


class _Rows:
    """Collects canonical rows for one file."""

    def __init__(self, cfg: SourceConfig, src: SourceFile):
        self.cfg, self.src = cfg, src
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        where: str,
        *,
        value: Any,
        value_column: str,
        year: Any,
        indicator: str,
        dimension: str,
        category: str,
        sex: str,
        age: str,
        subform: Any = None,
        coded: frozenset[str] | tuple[str, ...] = (),
    ) -> None:
        """Add one figure. Labels are national text, except the fields named in `coded`."""
        parsed = parse_count(value)
        if parsed is None:
            return  # an empty cell means "not reported": no row
        cfg = self.cfg

        def m(kind: str, text: str) -> str:
            return text if kind in coded else cfg.map_label(kind, text)

        dim = m("dimension", _clean(dimension))
        cat_text = _clean(category)
        if dim in COUNTRY_DIMENSIONS:
            # Country names are free text, mapped to ISO codes in harmonisation; the
            # jurisdiction's own word for "nationals" is its own code already here.
            cat = cfg.jurisdiction if cfg.nationals and cat_text == cfg.nationals else cat_text
        else:
            cat = m("category", cat_text)
        year_value = _parse_year(year)
        problem = None
        if year_value is None:
            problem = (
                f"year {_quote(year)} in column {cfg.column_name('year')}, {where} of "
                f"{self.src.path.name} is not a four-digit year"
            )
        self.rows.append(
            {
                "jurisdiction": cfg.jurisdiction,
                "year": year_value,
                "indicator": m("indicator", _clean(indicator)),
                "dimension": dim,
                "category": cat,
                "sex": m("sex", _clean(sex)),
                "age": m("age", _clean(age)),
                "subform": _parse_year_free_int(subform),
                "value_text": parsed[0],
                "value_low": parsed[1],
                "value_high": parsed[2],
                "value_column": value_column,
                "file_year": self.src.year,
                "source_file": self.src.path.name,
                "source_sha256": self.src.sha256,
                "source_row": where,
                "problem": problem,
            }
        )


def _parse_year_free_int(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(float(raw))
    except (TypeError, ValueError):
        return None


def _clean(text: Any) -> str:
    return "" if text is None else str(text).strip()


def _quote(value: Any) -> str:
    return "''" if value is None else repr(str(value))


def _decode(src: SourceFile, encoding: str) -> str:
    data = src.path.read_bytes()
    if not data.strip():
        raise FileProblem(f"{src.path.name} is empty")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{src.path.name} cannot be read as {encoding} (byte 0x{data[exc.start]:02x} on "
            f"line {line}): the file was probably saved in another encoding"
        ) from exc


def _csv_records(cfg: SourceConfig, src: SourceFile) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {header: cell}) for each data line of a delimited file."""
    text = _decode(src, cfg.encoding)
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=cfg.delimiter))
    offset = cfg.header_offset
    if len(lines) <= offset:
        raise FileProblem(f"{src.path.name} has no header line")
    header = [h.strip().lstrip("\ufeff") for h in lines[offset]]
    expected = [*cfg.columns.values(), *cfg.sex_columns]
    missing = [c for c in expected if c not in header]
    if missing:
        hint = (
            f"; none of the expected columns is there: is the file in {cfg.encoding} with "
            f"{cfg.delimiter!r} as delimiter?"
            if len(missing) == len(expected)
            else ""
        )
        raise FileProblem(
            f"{src.path.name}: column {', '.join(map(repr, missing))} is missing "
            f"(the header line has {', '.join(map(repr, header))}){hint}"
        )
    data_lines = 0
    for number, cells in enumerate(lines[offset + 1 :], start=offset + 2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise FileProblem(
                f"{src.path.name}: row {number} has {len(cells)} fields where the header has "
                f"{len(header)} (a truncated line or a stray delimiter)"
            )
        data_lines += 1
        yield number, dict(zip(header, cells, strict=True))
    if data_lines == 0:
        raise FileProblem(f"{src.path.name} has a header but no data rows")


def read_long_csv(cfg: SourceConfig, src: SourceFile, out: _Rows) -> None:
    c = cfg.columns
    for number, rec in _csv_records(cfg, src):
        out.add(
            f"row {number}",
            value=rec[c["value"]],
            value_column=c["value"],
            year=rec[c["year"]],
            indicator=rec[c["indicator"]],
            dimension=rec[c["dimension"]],
            category=rec[c["category"]],
            sex=rec[c["sex"]],
            age=rec[c["age"]],
            subform=rec.get(c.get("subform", "")),
        )


def read_sex_columns_csv(cfg: SourceConfig, src: SourceFile, out: _Rows) -> None:
    c = cfg.columns
    for number, rec in _csv_records(cfg, src):
        for column, sex in cfg.sex_columns.items():
            out.add(
                f"row {number}",
                value=rec[column],
                value_column=column,
                year=rec[c["year"]],
                indicator=rec[c["indicator"]],
                dimension=rec[c["dimension"]],
                category=rec[c["category"]],
                sex=sex,
                age=rec[c["age"]],
                subform=rec.get(c.get("subform", "")),
                coded=("sex",),
            )


def read_year_columns_workbook(cfg: SourceConfig, src: SourceFile, out: _Rows) -> None:
    import openpyxl

    name = src.path.name
    try:
        workbook = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(
            f"{name} cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}); "
            "it may be truncated or not an .xlsx file"
        ) from exc
    try:
        sheets = workbook.sheetnames
        missing = [s for s in cfg.sheets if s not in sheets]
        unexpected = [s for s in sheets if s not in cfg.sheets]
        if missing or unexpected:
            raise FileProblem(
                f"{name}: expected sheets {', '.join(map(repr, cfg.sheets))}; "
                + (f"missing {', '.join(map(repr, missing))}" if missing else "")
                + ("; " if missing and unexpected else "")
                + (f"unexpected {', '.join(map(repr, unexpected))}" if unexpected else "")
                + " (was a sheet renamed?)"
            )
        for sheet, indicator in cfg.sheets.items():
            _read_sheet(cfg, name, workbook[sheet], sheet, indicator, out)
    finally:
        workbook.close()


def _read_sheet(cfg: SourceConfig, name: str, ws: Any, sheet: str, indicator: str, out: _Rows):
    rows = ws.iter_rows(values_only=True)
    header_number = cfg.header_offset + 1
    header = None
    for number, cells in enumerate(rows, start=1):
        if number == header_number:
            header = [_clean(h) for h in cells]
            break
    if header is None:
        raise FileProblem(f"{name}: sheet {sheet!r} has no header row {header_number}")
    missing = [col for col in cfg.columns.values() if col not in header]
    if missing:
        raise FileProblem(
            f"{name}: sheet {sheet!r} row {header_number}: column "
            f"{', '.join(map(repr, missing))} is missing (found {', '.join(map(repr, header))})"
        )
    index = {col: header.index(col) for col in cfg.columns.values()}
    year_cols = [(i, h) for i, h in enumerate(header) if re.fullmatch(r"\d{4}", h)]
    c = cfg.columns
    for number, cells in enumerate(rows, start=header_number + 1):
        if cells is None or all(v is None or _clean(v) == "" for v in cells):
            continue
        cells = list(cells) + [None] * (len(header) - len(cells))
        for i, year in year_cols:
            out.add(
                f"sheet {sheet!r}, row {number}",
                value=cells[i],
                value_column=year,
                year=year,
                indicator=indicator,
                dimension=cells[index[c["dimension"]]],
                category=cells[index[c["category"]]],
                sex=cells[index[c["sex"]]],
                age=cells[index[c["age"]]],
                subform=cells[index[c["subform"]]] if "subform" in c else None,
                coded=("indicator",),
            )


_ALL_CODED = ("indicator", "dimension", "category", "sex", "age")
_JSON_META = {"jurisdiction", "reporting_year", "unit", "source", "note"}


def read_nested_json(cfg: SourceConfig, src: SourceFile, out: _Rows) -> None:
    name = src.path.name
    text = _decode(src, cfg.encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated"
        ) from exc
    if not isinstance(doc, dict) or cfg.year_key not in doc:
        raise FileProblem(f"{name}: the key {cfg.year_key!r} is missing")
    year = doc[cfg.year_key]
    blocks = [k for k in doc if k not in _JSON_META and k != cfg.year_key]
    if not any(k in cfg.indicators for k in blocks):
        raise FileProblem(f"{name}: none of the blocks {', '.join(map(repr, cfg.indicators))}")
    for key in blocks:
        indicator = cfg.indicators.get(key, key)
        block = doc[key]
        if not isinstance(block, dict):
            raise FileProblem(f"{name}: {key!r} must be an object")
        _read_json_block(cfg, key, indicator, block, year, out)


def _read_json_block(cfg, key: str, indicator: str, block: dict, year: Any, out: _Rows) -> None:
    def add(where: str, value: Any, dimension="total", category="total", sex="total", age="total"):
        out.add(
            f"key {where}",
            value=value,
            value_column=where,
            year=year,
            indicator=indicator,
            dimension=dimension,
            category=category,
            sex=sex,
            age=age,
            coded=_ALL_CODED,
        )

    lab = cfg.map_label
    for part, content in block.items():
        where = f"{key}.{part}"
        if part == "total":
            add(where, content)
        elif part == "by_sex" and isinstance(content, dict):
            for sex, n in content.items():
                add(f"{where}.{sex}", n, sex=lab("sex", sex))
        elif part == "by_age" and isinstance(content, dict):
            for age, n in content.items():
                add(f"{where}.{age}", n, age=lab("age", age))
        elif part == "by_sex_and_age" and isinstance(content, list):
            for i, item in enumerate(content):
                item = item if isinstance(item, dict) else {}
                add(
                    f"{where}[{i}]",
                    item.get("count"),
                    sex=lab("sex", _clean(item.get("sex"))),
                    age=lab("age", _clean(item.get("age"))),
                )
        elif part == "by_exploitation" and isinstance(content, dict):
            for form, n in content.items():
                add(f"{where}.{form}", n, dimension="exploitation", category=lab("category", form))
        elif part == "by_citizenship" and isinstance(content, dict):
            for country, n in content.items():
                add(f"{where}.{country}", n, dimension="citizenship", category=country.strip())
        elif part == "by_repatriation" and isinstance(content, dict):
            for country, n in content.items():
                add(f"{where}.{country}", n, dimension="repatriation", category=country.strip())
        else:
            raise FileProblem(f"{out.src.path.name}: unknown or malformed block {where!r}")


READERS: dict[str, Callable[[SourceConfig, SourceFile, _Rows], None]] = {
    "long_csv": read_long_csv,
    "sex_columns_csv": read_sex_columns_csv,
    "year_columns_workbook": read_year_columns_workbook,
    "nested_json": read_nested_json,
}


def empty_raw_frame() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in RAW_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=RAW_COLUMNS)
    for col in RAW_COLUMNS:
        frame[col] = frame[col].astype("Int64" if col in INT_COLUMNS else "object")
    return frame.reset_index(drop=True)


def read_file(cfg: SourceConfig, src: SourceFile) -> list[dict[str, Any]]:
    """The canonical rows of one file; a file-level problem becomes a single `problem` row."""
    out = _Rows(cfg, src)
    try:
        READERS[cfg.layout](cfg, src, out)
    except FileProblem as exc:
        return [
            {
                "jurisdiction": cfg.jurisdiction,
                "file_year": src.year,
                "source_file": src.path.name,
                "source_sha256": src.sha256,
                "problem": str(exc),
            }
        ]
    return out.rows


def read_jurisdiction(folder: Path, cfg: SourceConfig) -> tuple[pd.DataFrame, Discovery]:
    """The canonical raw frame of one jurisdiction's folder, and what was read or skipped."""
    found = discover(folder, cfg)
    rows: list[dict[str, Any]] = []
    for src in found.files:
        rows.extend(read_file(cfg, src))
    if not found.files:
        rows.append(
            {
                "jurisdiction": cfg.jurisdiction,
                "source_file": folder.name + "/",
                "problem": f"no file in {folder.name}/ matches the pattern {cfg.file_pattern!r}",
            }
        )
    return _typed(pd.DataFrame(rows)), found
