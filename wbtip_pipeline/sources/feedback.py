"""Completed workshop feedback forms (`data/feedback/*.xlsx`) as a source.

The form (`workshop/form.py` writes it) has one sheet per delegation, named by the member's
name, and a sheet `Regional`; each starts with a title, then the header row `FORM_COLUMNS`.
Which jurisdiction a sheet belongs to is the code in its hidden cell (`CODE_CELL`), never its
title, so a renamed sheet still reads right.

`read_feedback` turns every completed form in the folder (one per delegation, or one for all)
into one row per decision, with provenance (file, SHA-256, modification time, `sheet 'North
Macedonia', row N`). Like the statistics readers it never raises: a file that cannot be opened,
the old single-sheet form, a sheet without its code or a column becomes a single row whose
`problem` says why. `validate_feedback` runs the feedback schema (`schemas/workshop.py`) and
turns every failure into a `FormFinding` naming the file, the sheet and the row.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.schemas.workshop import ON_ANOTHER_SHEET, WIDE_CHECK_COLUMNS, feedback_schema
from wbtip_pipeline.validation import Finding, validate
from wbtip_pipeline.vocab import ISO3_PATTERN, REGIONAL

FORM_NAME = "workshop_feedback_form.xlsx"
FORM_VERSION = 2  # 1: one sheet 'Feedback' for all delegations (up to November 2026)
INSTRUCTIONS_SHEET = "Instructions"
REGIONAL_SHEET = "Regional"
# the header row of a delegation's sheet, and the feedback field each input column fills (the
# reader keeps Reason in `comment`: for a rejection it is the status table's `reason`)
FORM_COLUMNS = [
    "Recommendation id",
    "Priority",
    "Recommendation",
    "Evidence (short, dated)",
    "Decision",
    "Amended text",
    "Reason",
    "Delegate",
    "Date",
]
INPUT_FIELDS = {
    "Recommendation id": "recommendation_id",
    "Decision": "decision",
    "Amended text": "amended_text",
    "Reason": "comment",
    "Delegate": "decided_by",
    "Date": "decided_on",
}
CHECK_COLUMN = "Check"  # a formula after the header's columns: what a flagged row lacks
# the hidden cell holding the sheet's jurisdiction code (a member's code, or REGIONAL)
CODE_CELL = (1, len(FORM_COLUMNS) + 2)  # row 1, column K (J is the check)
HEADER_SEARCH_ROWS = 10  # the header row is found by its labels among the first rows
OLD_SHEET = "Feedback"  # the single sheet of form version 1
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
# `jurisdiction` is the sheet's (its hidden code); the per-delegation form does not ask for
# responsible_institution or target_date: they stay empty (version 1 asked for them)
DATE_COLUMNS = ("target_date", "decided_on")
LABELS = {field: label for label, field in INPUT_FIELDS.items()}
# Excel keeps dates as day numbers; a number in this range in a date column is a date that
# lost its format (2000-01-01 .. 2099-12-31), anything else stays as typed and fails validation.
_SERIAL_RANGE = (36526, 73050)
_CODE = re.compile(rf"^({ISO3_PATTERN}|{REGIONAL})$")
_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_TITLE_CHARS = 31

OLD_LAYOUT = (
    "this is the old single-sheet form (one sheet 'Feedback' for all delegations, sent before "
    f"form version {FORM_VERSION} of November 2026); fill in the per-delegation form generated "
    f"by the current run ({FORM_NAME}: one sheet per delegation)"
)


# --- sheet titles -----------------------------------------------------------------------------


def sheet_titles(region: Region, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """{code: sheet title} in the form's order: the members by name, any `extra` code, then
    REGIONAL as `Regional`. A title is the name without the characters Excel forbids
    ([]:*?/\\, so "Kosovo*" is "Kosovo"), at most 31 characters, unique (case ignored)."""
    taken = {INSTRUCTIONS_SHEET.lower()}
    out = {}
    names = {**region.names, **{c: c for c in extra}, REGIONAL: REGIONAL_SHEET}
    for code, name in names.items():
        title = _FORBIDDEN_IN_TITLE.sub("", name).strip().strip("'")[:_TITLE_CHARS].strip()
        if not title or title.lower() in taken:
            suffix = f" ({code})"
            title = (title[: _TITLE_CHARS - len(suffix)].strip() + suffix).strip()
        taken.add(title.lower())
        out[code] = title
    return out


# --- reading ----------------------------------------------------------------------------------


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
    """One row per decision of every completed form in `folder` (columns `FEEDBACK_COLUMNS`):
    the forms returned by the delegations separately merge into one frame.

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


def _problem(provenance: dict, text: str, jurisdiction: str = "") -> dict:
    return {**provenance, "jurisdiction": jurisdiction, "source_row": "", "problem": text}


def _read_form(path: Path) -> list[dict]:
    """The decisions of one form, and a problem row for each thing that stops a sheet or the
    whole file from being read."""
    try:
        data = path.read_bytes()
        provenance = _provenance(path, data)
    except OSError as exc:  # gone or unreadable since it was listed
        provenance = {"source_file": path.name, "source_sha256": "", "source_modified": ""}
        return [_problem(provenance, f"{path.name} cannot be read: {exc.strerror or exc}")]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reason to fail is reported, never raised
        return [
            _problem(
                provenance,
                f"{path.name} cannot be opened as an Excel workbook (.xlsx): "
                f"{type(exc).__name__}: {exc}",
            )
        ]
    try:
        return _read_book(book, path.name, provenance)
    except Exception as exc:  # noqa: BLE001 - a damaged workbook is a problem row too
        return [_problem(provenance, f"{path.name} cannot be read: {type(exc).__name__}: {exc}")]
    finally:
        book.close()


def _read_book(book, file_name: str, provenance: dict) -> list[dict]:
    sheets = []
    for sheet in book.worksheets:
        try:
            rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        except Exception as exc:  # noqa: BLE001 - one damaged sheet does not hide the others
            sheets.append((sheet.title, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        sheets.append((sheet.title, rows, _sheet_code(rows), None))
    if not any(code for _, _, code, _ in sheets):
        old = any(title == OLD_SHEET and _is_old_header(rows) for title, rows, _, _ in sheets)
        if old:
            return [_problem(provenance, f"{file_name}: {OLD_LAYOUT}")]
    out: list[dict] = []
    for title, rows, code, error in sheets:
        where = f"{file_name}, sheet '{title}'"
        if error is not None:
            out.append(_problem(provenance, f"{where} cannot be read: {error}", code or ""))
            continue
        header = _header_row(rows)
        if code is None and header is None:
            continue  # the instructions, or a sheet of the delegation's own notes
        if code is None:
            out.append(
                _problem(
                    provenance,
                    f"{where} has the form's columns but not its hidden jurisdiction code, so "
                    "whose decisions they are is unknown; copy them into the delegation's sheet "
                    "of the form generated by the current run",
                )
            )
            continue
        if header is None:
            missing = ", ".join(INPUT_FIELDS)
            out.append(
                _problem(
                    provenance,
                    f"{where} lacks the header row with the columns {missing}; keep the header "
                    "row of the form as it was sent",
                    code,
                )
            )
            continue
        out.extend(_read_sheet(rows, header, code, title, provenance))
    if not out and not any(code for _, _, code, _ in sheets):
        found = ", ".join(title for title, _, _, _ in sheets)
        out.append(
            _problem(
                provenance,
                f"{file_name} is not the workshop's feedback form: no sheet carries a "
                f"delegation's decisions (it has: {found}); fill in the per-delegation form "
                "generated by the current run",
            )
        )
    return out


def _sheet_code(rows: list[tuple]) -> str | None:
    """The jurisdiction code of the hidden cell (`CODE_CELL`, in the title row), or None. The
    title row is searched to its end, so that a column deleted to the left of the cell does not
    lose it; the title itself (column A) is never read as a code."""
    title_row = rows[CODE_CELL[0] - 1] if len(rows) >= CODE_CELL[0] else ()
    for value in title_row[1:]:
        text = _text(value)
        if text and _CODE.match(text):
            return text
    return None


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _labels(row: tuple) -> list[str]:
    return [str(v).strip().lower() if v is not None else "" for v in row]


def _header_row(rows: list[tuple]) -> int | None:
    """The index of the row holding every input column's label (case and spaces ignored)."""
    wanted = {label.lower() for label in INPUT_FIELDS}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if wanted <= set(_labels(row)):
            return index
    return None


def _is_old_header(rows: list[tuple]) -> bool:
    return bool(rows) and {"recommendation_id", "decision"} <= set(_labels(rows[0]))


def _read_sheet(
    rows: list[tuple], header: int, code: str, title: str, provenance: dict
) -> list[dict]:
    labels = _labels(rows[header])
    where = {field: labels.index(label.lower()) for label, field in INPUT_FIELDS.items()}
    out = []
    for number, values in enumerate(rows[header + 1 :], start=header + 2):
        cells = {field: _cell(values, i, field) for field, i in where.items()}
        if cells["decision"] is None:
            continue  # not discussed (or an empty line)
        out.append(
            {
                **dict.fromkeys(FEEDBACK_COLUMNS),
                **cells,
                "recommendation_id": cells["recommendation_id"] or "",
                "jurisdiction": code,
                "decision": cells["decision"].lower(),
                **provenance,
                "source_row": f"sheet '{title}', row {number}",
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


@dataclass(frozen=True)
class FormFinding(Finding):
    """A finding on a completed form, said as the secretariat looks for it: "<file>, sheet
    'North Macedonia', row 7: 'amended' without amended text: ..."."""

    @property
    def message(self) -> str:
        if self.column == "" and self.value == "":
            return self.rule  # a whole-file or whole-sheet problem says everything
        value = f"{self.value!r} in column {self.column}: " if self.value else ""
        return f"{self.file}, {self.row}: {value}{self.rule}"


_PROBLEM_SCHEMA = pa.DataFrameSchema(
    {
        "problem": pa.Column(
            object, pa.Check(lambda s: s.isna(), error="file problem"), nullable=True
        )
    }
)


def _locate(frame: pd.DataFrame, index: int, column: str) -> tuple[str, str, str]:
    label = LABELS.get(column, column)
    return str(frame.at[index, "source_file"]), str(frame.at[index, "source_row"]), label


def validate_feedback(
    frame: pd.DataFrame, recommendations: pd.DataFrame, region: Region | None = None
) -> list[FormFinding]:
    """Findings on the forms read by `read_feedback` (empty when every decision is valid).

    File and sheet problems come first, one finding each; then every row that names an id not
    in `recommendations`, an id of another jurisdiction than its sheet's, an invalid decision,
    an amended decision without its text, a rejection without a reason, or a date that does not
    parse. Message format: "workshop_feedback_form.xlsx, sheet 'North Macedonia', row 7:
    'amended' without amended text: write the agreed wording in Amended text". `region` names
    the jurisdictions in the messages (default: the configured region).
    """
    if frame.empty:
        return []
    has_problem = frame["problem"].notna()
    findings = validate(frame[has_problem], _PROBLEM_SCHEMA, message_column="problem")
    rows = frame[~has_problem]
    if not rows.empty:
        owners = (
            dict(
                zip(
                    recommendations["recommendation_id"],
                    recommendations["jurisdiction"],
                    strict=True,
                )
            )
            if "jurisdiction" in recommendations.columns
            else None
        )
        schema = feedback_schema(recommendations["recommendation_id"], owners)
        found = validate(rows, schema, locate=_locate, wide_check_columns=WIDE_CHECK_COLUMNS)
        findings += [_name_the_sheet(f, rows, owners or {}, region) for f in found]
    return [FormFinding(**asdict(f)) for f in findings]


def _name_the_sheet(
    finding: Finding, rows: pd.DataFrame, owners: Mapping[str, str], region: Region | None
) -> Finding:
    """A decision on another jurisdiction's sheet: the finding says whose it is and where."""
    if finding.rule != ON_ANOTHER_SHEET:
        return finding
    region = region or load_region()
    owner = owners.get(finding.value, "")
    extra = () if owner in (*region.codes, REGIONAL) else (owner,)
    title = sheet_titles(region, extra)[owner]

    def name(code: str) -> str:
        return "the region as a whole" if code == REGIONAL else region.name_of(code, mark=False)

    rule = (
        f"a recommendation to {name(owner)}, not to {name(finding.jurisdiction)}: its decision "
        f"belongs on the sheet '{title}'"
    )
    return replace(finding, rule=rule)
