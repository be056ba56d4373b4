"""Completed workshop feedback forms (`data/feedback/*.xlsx`) as a source.

`read_feedback` turns every completed form into one row per decision, with provenance (file,
SHA-256, modification time, `sheet 'Feedback', row N`). Like the statistics readers it never
raises: a file that cannot be opened, or lacks the sheet or a column, becomes a single row whose
`problem` says why. `validate_feedback` runs the feedback schema (`schemas/workshop.py`) and
turns every failure into a `Finding` naming the file, the row, the column and the value.

The form itself is written by `workshop.pack.write_feedback_form`; its columns are `FORM_COLUMNS`.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from wbtip_pipeline.schemas.workshop import WIDE_CHECK_COLUMNS, feedback_schema
from wbtip_pipeline.validation import Finding, validate

SHEET = "Feedback"
FORM_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "urgency",
    "domain",
    "addressee",
    "text",
    "progress_indicator",
    "decision",
    "amended_text",
    "responsible_institution",
    "target_date",
    "comment",
    "decided_by",
    "decided_on",
]
# what the reader needs from a form; the descriptive columns (jurisdiction ... progress_indicator)
# may go
REQUIRED_COLUMNS = [
    "recommendation_id",
    "decision",
    "amended_text",
    "responsible_institution",
    "target_date",
    "comment",
    "decided_by",
    "decided_on",
]
DATE_COLUMNS = ("target_date", "decided_on")
FEEDBACK_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "decision",
    "amended_text",
    "responsible_institution",
    "target_date",
    "comment",
    "decided_by",
    "decided_on",
    "source_file",
    "source_sha256",
    "source_row",
    "source_modified",
    "problem",
]
# Excel keeps dates as day numbers; a number in this range in a date column is a date that
# lost its format (2000-01-01 .. 2099-12-31), anything else stays as typed and fails validation.
_SERIAL_RANGE = (36526, 73050)


def feedback_files(folder: Path) -> list[Path]:
    """The completed forms in `folder`: every `*.xlsx` except Office lock files (`~$...`) and
    hidden files, sorted by name. The sensor watches the same list."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", "."))
    )


def read_feedback(folder: Path) -> pd.DataFrame:
    """One row per decision of every completed form in `folder` (columns `FEEDBACK_COLUMNS`).

    Rows whose decision cell is empty were not discussed and are skipped. Text cells are trimmed,
    `decision` is lower-cased; dates become `YYYY-MM-DD` text, anything else in a date column is
    kept as typed for validation to quote.
    """
    rows: list[dict] = []
    for path in feedback_files(folder):
        rows.extend(_read_form(path))
    frame = pd.DataFrame(rows, columns=FEEDBACK_COLUMNS).astype(object)
    return frame.where(frame.notna(), None).reset_index(drop=True)


def _provenance(path: Path, data: bytes) -> dict:
    modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return {
        "source_file": path.name,
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "source_modified": modified.isoformat(),
    }


def _problem(provenance: dict, text: str) -> list[dict]:
    return [{**provenance, "jurisdiction": "", "source_row": "", "problem": text}]


def _read_form(path: Path) -> list[dict]:
    """The decisions of one form, or a single problem row."""
    try:
        data = path.read_bytes()
        provenance = _provenance(path, data)
    except OSError as exc:  # gone or unreadable since it was listed
        provenance = {"source_file": path.name, "source_sha256": "", "source_modified": ""}
        return _problem(provenance, f"{path.name} cannot be read: {exc.strerror or exc}")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reason to fail is reported, never raised
        return _problem(
            provenance,
            f"{path.name} cannot be opened as an Excel workbook (.xlsx): "
            f"{type(exc).__name__}: {exc}",
        )
    try:
        if SHEET not in book.sheetnames:
            return _problem(
                provenance,
                f"{path.name} has no sheet '{SHEET}' (it has: {', '.join(book.sheetnames)}); "
                "use the feedback form sent with the workshop pack",
            )
        return _read_sheet(book[SHEET], path.name, provenance)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet is a problem row too
        return _problem(
            provenance, f"{path.name}: sheet '{SHEET}' cannot be read: {type(exc).__name__}: {exc}"
        )
    finally:
        book.close()


def _read_sheet(sheet, file_name: str, provenance: dict) -> list[dict]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return _problem(
            provenance,
            f"sheet '{SHEET}' of {file_name} lacks the column(s) {', '.join(missing)} in its "
            "first row; keep the header row of the form as it was sent",
        )
    where = {c: names.index(c) for c in FEEDBACK_COLUMNS if c in names}
    out = []
    for number, values in enumerate(rows, start=2):
        cells = {c: _cell(values, i, c) for c, i in where.items()}
        if cells.get("decision") is None:
            continue  # not discussed (or an empty line)
        out.append(
            {
                **dict.fromkeys(FEEDBACK_COLUMNS),
                **cells,
                "recommendation_id": cells.get("recommendation_id") or "",
                "jurisdiction": cells.get("jurisdiction") or "",
                "decision": cells["decision"].lower(),
                **provenance,
                "source_row": f"sheet '{SHEET}', row {number}",
            }
        )
    return out


def _cell(values: tuple, index: int, column: str):
    """A cell as text (None when empty); dates in the date columns as `YYYY-MM-DD`."""
    value = values[index] if index < len(values) else None
    if value is None:
        return None
    if column in DATE_COLUMNS:
        if isinstance(value, datetime | date):
            return (value.date() if isinstance(value, datetime) else value).isoformat()
        if isinstance(value, int | float) and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return from_excel(value).date().isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# --- validation -------------------------------------------------------------------------------

_PROBLEM_SCHEMA = pa.DataFrameSchema(
    {
        "problem": pa.Column(
            object, pa.Check(lambda s: s.isna(), error="file problem"), nullable=True
        )
    }
)


def _locate(frame: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
    return str(frame.at[index, "source_file"]), str(frame.at[index, "source_row"]), column


def validate_feedback(frame: pd.DataFrame, recommendations: pd.DataFrame) -> list[Finding]:
    """Findings on the forms read by `read_feedback` (empty when every decision is valid).

    File problems come first, one finding each; then every row that names an id not in
    `recommendations`, an invalid decision, an amended decision without its text, a rejection
    without a reason, or a date that does not parse. Message format: "value 'REC-...' in column
    recommendation_id, sheet 'Feedback', row 7 of feedback_2026_tirana.xlsx: not a
    recommendation id of the current report".
    """
    if frame.empty:
        return []
    has_problem = frame["problem"].notna()
    findings = validate(frame[has_problem], _PROBLEM_SCHEMA, message_column="problem")
    rows = frame[~has_problem]
    if not rows.empty:
        schema = feedback_schema(recommendations["recommendation_id"])
        findings += validate(rows, schema, locate=_locate, wide_check_columns=WIDE_CHECK_COLUMNS)
    return findings
