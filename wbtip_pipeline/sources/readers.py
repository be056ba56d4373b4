"""Generic layout readers: turn a jurisdiction's folder into the canonical raw frame.

The raw frame keeps every row that was read, with provenance (file, SHA-256, location in the
file). Readers never raise on bad input: what cannot be mapped stays visible in the frame (an
unmapped label is kept verbatim in its code column; a file that cannot be read at all becomes one
row whose `problem` says why), and the raw schema turns it into a clear, blocking failure.

Read once: a file's bytes are read a single time (`read_bytes`), and its SHA-256 and its rows
both come from those bytes, so a file rewritten while the pipeline runs cannot give the hash of
one version and the figures of another. The layout readers parse bytes (`parse_file`); only
`read_jurisdiction` touches the disk. An I/O error (a file that vanished, a permission) is
raised, for the asset's retry policy; every problem of the content becomes a `problem` row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

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


# the range of the frame's integer columns (Int64): a larger number is reported, never stored
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


class FileProblem(Exception):
    """A whole file cannot be read; the message says why in an analyst's words."""


@dataclass(frozen=True)
class FileBytes:
    """One file's content as read, once: what is parsed and what is hashed are these bytes."""

    name: str  # the file name, for provenance and messages
    data: bytes
    year: int | None = None  # from the file name, for per-year layouts
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())


def read_bytes(path: Path, year: int | None = None) -> FileBytes:
    """Read a file once; its hash and its rows are then taken from the same bytes."""
    path = Path(path)
    return FileBytes(path.name, path.read_bytes(), year)


# libyaml's parser, which PyYAML's wheels carry (the pure-Python one where it is missing): the
# same documents and the same kinds of error, several times faster on an assessment file
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The YAML document `text`, read as `yaml.safe_load` reads it (standard tags only)."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


@dataclass
class SourceFile:
    path: Path
    sha256: str | None  # of the bytes read; None until the file is read (`read_jurisdiction`)
    year: int | None  # from the file name, for per-year layouts


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> reason


def sha256_of(path: Path) -> str:
    """The hash of a file that is not parsed (change detection); a file that is parsed takes
    its hash from the bytes read (`read_bytes`)."""
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
            found.files.append(SourceFile(path, None, year))  # hashed when it is read
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


def _fits(number: int | None) -> bool:
    return number is None or _INT_MIN <= number <= _INT_MAX


def _parse_year(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if _fits(raw) else None
    text = str(raw).strip() if raw is not None else ""
    if isinstance(raw, float) and raw.is_integer():
        return int(raw) if _fits(int(raw)) else None
    return int(text) if re.fullmatch(r"\d{4}", text) else None


class _Rows:
    """Collects canonical rows for one file."""

    def __init__(self, cfg: SourceConfig, file: FileBytes):
        self.cfg, self.file = cfg, file
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
        text, low, high = parsed
        problems = []
        if year_value is None:
            problems.append(
                f"year {_quote(year)} in column {cfg.column_name('year')}, {where} of "
                f"{self.file.name} is not a four-digit year"
            )
        if not (_fits(low) and _fits(high)):
            problems.append(
                f"value {_quote(_short(text))} in column {value_column}, {where} of "
                f"{self.file.name} is too large a number to be a count"
            )
            low = high = None
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
                "value_text": text,
                "value_low": low,
                "value_high": high,
                "value_column": value_column,
                "file_year": self.file.year,
                "source_file": self.file.name,
                "source_sha256": self.file.sha256,
                "source_row": where,
                "problem": "; ".join(problems) or None,
            }
        )


def _parse_year_free_int(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = int(float(raw))
    except (TypeError, ValueError, OverflowError):  # OverflowError: `inf`
        return None
    return number if _fits(number) else None


def _clean(text: Any) -> str:
    return "" if text is None else str(text).strip()


def _quote(value: Any) -> str:
    return "''" if value is None else repr(str(value))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _decode(file: FileBytes, encoding: str) -> str:
    data = file.data
    if not data.strip():
        raise FileProblem(f"{file.name} is empty")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{file.name} cannot be read as {encoding} (byte 0x{data[exc.start]:02x} on "
            f"line {line}): the file was probably saved in another encoding"
        ) from exc


def _csv_lines(file: FileBytes, text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: list[list[str]] = []
    start = 1  # the line the record being read starts on
    try:
        for cells in reader:
            lines.append(cells)
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. an unclosed quote makes one field of the rest of the file
        raise FileProblem(
            f"{file.name}: the text from line {start} cannot be split into fields ({exc}); "
            'is a quote (") unclosed?'
        ) from exc
    return lines


def _csv_records(cfg: SourceConfig, file: FileBytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {header: cell}) for each data line of a delimited file."""
    text = _decode(file, cfg.encoding)
    lines = _csv_lines(file, text, cfg.delimiter)
    offset = cfg.header_offset
    if len(lines) <= offset:
        raise FileProblem(f"{file.name} has no header line")
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
            f"{file.name}: column {', '.join(map(repr, missing))} is missing "
            f"(the header line has {', '.join(map(repr, header))}){hint}"
        )
    data_lines = 0
    for number, cells in enumerate(lines[offset + 1 :], start=offset + 2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise FileProblem(
                f"{file.name}: row {number} has {len(cells)} fields where the header has "
                f"{len(header)} (a truncated line or a stray delimiter)"
            )
        data_lines += 1
        yield number, dict(zip(header, cells, strict=True))
    if data_lines == 0:
        raise FileProblem(f"{file.name} has a header but no data rows")


def read_long_csv(cfg: SourceConfig, file: FileBytes, out: _Rows) -> None:
    c = cfg.columns
    for number, rec in _csv_records(cfg, file):
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


def read_sex_columns_csv(cfg: SourceConfig, file: FileBytes, out: _Rows) -> None:
    c = cfg.columns
    for number, rec in _csv_records(cfg, file):
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


def read_year_columns_workbook(cfg: SourceConfig, file: FileBytes, out: _Rows) -> None:
    import openpyxl

    name = file.name
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(file.data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl fails on damaged bytes in many ways
        # (BadZipFile, zlib.error, XML ParseError, KeyError, EOFError, ...): all mean the same
        raise FileProblem(
            f"{name} cannot be opened as an Excel workbook ({type(exc).__name__}: "
            f"{_short(str(exc), 200)}); it may be truncated or not an .xlsx file"
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
            try:
                _read_sheet(cfg, name, workbook[sheet], sheet, indicator, out)
            except FileProblem:
                raise
            except Exception as exc:  # noqa: BLE001 - read-only sheets parse as they are read
                raise FileProblem(
                    f"{name}: sheet {sheet!r} cannot be read ({type(exc).__name__}: "
                    f"{_short(str(exc), 200)}); the workbook may be damaged"
                ) from exc
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


def read_nested_json(cfg: SourceConfig, file: FileBytes, out: _Rows) -> None:
    name = file.name
    text = _decode(file, cfg.encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated"
        ) from exc
    except (ValueError, RecursionError) as exc:  # a number of 4,300+ digits; absurd nesting
        raise FileProblem(f"{name} is not valid JSON ({_short(str(exc), 200)})") from exc
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
            raise FileProblem(f"{out.file.name}: unknown or malformed block {where!r}")


READERS: dict[str, Callable[[SourceConfig, FileBytes, _Rows], None]] = {
    "long_csv": read_long_csv,
    "sex_columns_csv": read_sex_columns_csv,
    "year_columns_workbook": read_year_columns_workbook,
    "nested_json": read_nested_json,
}


def empty_raw_frame() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in RAW_COLUMNS}))


def raw_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The canonical raw frame (`RAW_COLUMNS`, typed) of rows of `parse_file`."""
    # object first: inferring float64 for an integer column with gaps would round numbers
    # above 2**53 (and push one near 2**63 out of the Int64 range)
    return _typed(pd.DataFrame(rows, dtype=object))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=RAW_COLUMNS)
    for col in RAW_COLUMNS:
        frame[col] = frame[col].astype("Int64" if col in INT_COLUMNS else "object")
    return frame.reset_index(drop=True)


def parse_file(cfg: SourceConfig, file: FileBytes) -> list[dict[str, Any]]:
    """The canonical rows of one file's bytes, each with the hash of those bytes; a file-level
    problem becomes a single `problem` row. Never raises on bad content."""
    out = _Rows(cfg, file)
    try:
        READERS[cfg.layout](cfg, file, out)
    except FileProblem as exc:
        return [
            {
                "jurisdiction": cfg.jurisdiction,
                "file_year": file.year,
                "source_file": file.name,
                "source_sha256": file.sha256,
                "problem": str(exc),
            }
        ]
    return out.rows


def read_jurisdiction(folder: Path, cfg: SourceConfig) -> tuple[pd.DataFrame, Discovery]:
    """The canonical raw frame of one jurisdiction's folder, and what was read or skipped.

    Each file is read once; the returned `Discovery` carries, per file, the hash of the bytes
    its rows were parsed from (the hash to record as the file's provenance).
    """
    found = discover(folder, cfg)
    rows: list[dict[str, Any]] = []
    for src in found.files:
        file = read_bytes(src.path, src.year)
        src.sha256 = file.sha256
        rows.extend(parse_file(cfg, file))
    if not found.files:
        rows.append(
            {
                "jurisdiction": cfg.jurisdiction,
                "source_file": folder.name + "/",
                "problem": f"no file in {folder.name}/ matches the pattern {cfg.file_pattern!r}",
            }
        )
    return raw_frame(rows), found
