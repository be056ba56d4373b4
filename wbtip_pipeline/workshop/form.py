"""The workshop's feedback form (XLSX): one row per recommendation, decisions to fill in.

Its columns and sheet are those `sources/feedback.py` reads back (`FORM_COLUMNS`, `SHEET`):
the form and its reader cannot drift apart. The instructions sheet lists the region's members
by code and name, with the footnotes that go with their names.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from wbtip_pipeline.presentation.disclosure import mask_counts_in_text
from wbtip_pipeline.presentation.labels import Names
from wbtip_pipeline.presentation.text import as_str
from wbtip_pipeline.region import Region
from wbtip_pipeline.sources.feedback import FORM_COLUMNS, SHEET
from wbtip_pipeline.vocab import DECISIONS, REGIONAL
from wbtip_pipeline.warehouse import write_bytes_atomic

FORM_NAME = "workshop_feedback_form.xlsx"
FEEDBACK_FOLDER = "data/feedback/"  # where the secretariat puts the completed forms
_EDITABLE = ("decision", "amended_text", "responsible_institution", "target_date", "comment",
             "decided_by", "decided_on")  # fmt: skip
_WIDTHS = {"recommendation_id": 16, "jurisdiction": 11, "urgency": 10, "domain": 14,
           "addressee": 28, "text": 70, "progress_indicator": 40, "decision": 12,
           "amended_text": 50, "responsible_institution": 28, "target_date": 13, "comment": 40,
           "decided_by": 22, "decided_on": 13}  # fmt: skip
_WRAPPED = ("addressee", "text", "progress_indicator", "amended_text",
            "responsible_institution", "comment")  # fmt: skip
_DATE_FORMAT = "yyyy-mm-dd"


def _form_rows(recommendations: pd.DataFrame, texts: Mapping[str, str]) -> list[list]:
    descriptive = FORM_COLUMNS[: FORM_COLUMNS.index("decision")]
    rows = []
    for r in recommendations.to_dict("records"):
        values = {c: as_str(r.get(c)) for c in descriptive}
        text = texts.get(values["recommendation_id"], values["text"])
        values["text"] = mask_counts_in_text(text)
        values["progress_indicator"] = mask_counts_in_text(values["progress_indicator"])
        rows.append([values[c] for c in descriptive] + [None] * len(_EDITABLE))
    return rows


def _instructions(sheet, n: int, names: Names) -> None:
    from openpyxl.styles import Font

    codes = names.region.codes
    lines = [
        ("Regional validation workshop: feedback form", True),
        (f"The sheet '{SHEET}' lists the {n} recommendations of the report, one row each.", False),
        ("For each recommendation your delegation discussed, fill in:", False),
        ("  decision: agreed (stands as written), amended or rejected (drop-down list)", False),
        ("  amended_text: the agreed wording (required when amended)", False),
        ("  comment: for a rejection, the reason (required); otherwise any remark", False),
        ("  responsible_institution and target_date (YYYY-MM-DD): who acts, and by when", False),
        ("    (progress_indicator says how progress would show: what to look for by then)", False),
        ("  decided_by and decided_on: the delegation or person, and the date", False),
        ("Leave the decision empty for a recommendation that was not discussed.", False),
        ("Do not change recommendation_id or the text columns: they are how the answer", False),
        ("is matched to the recommendation (the sheet is protected, without a password).", False),
        ("Save the file as feedback_<year>_<delegation>.xlsx and return it to the", False),
        (f"workshop secretariat, who puts it into {FEEDBACK_FOLDER} of the pipeline.", False),
        ("", False),
        ("Jurisdictions: " + ", ".join(f"{c} {names.of(c)}" for c in codes), False),
        (f"{REGIONAL}: a recommendation to the region as a whole.", False),
        *((note, False) for note in names.footnotes_for(codes)),
    ]
    for line, bold in lines:
        sheet.append([line])
        if bold:
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 110


def _validations(sheet, last_row: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def column(heading: str) -> str:
        letter = get_column_letter(FORM_COLUMNS.index(heading) + 1)
        return f"{letter}2:{letter}{last_row}"

    decision = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose agreed, amended or rejected, or leave empty if not discussed.",
        showInputMessage=True,
        promptTitle="Decision",
        prompt="agreed, amended (write amended_text) or rejected (give the reason in comment)",
    )
    decision.add(column("decision"))
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2099,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Date",
        error="Enter a date, e.g. 2026-05-12.",
    )
    dates.add(column("target_date"))
    dates.add(column("decided_on"))
    sheet.add_data_validation(decision)
    sheet.add_data_validation(dates)


def _protect(sheet, last_row: int) -> None:
    """Lock the id and text columns; the decision columns stay editable. No password: the lock
    prevents accidents, not a determined edit (the reader validates every id anyway)."""
    from openpyxl.styles import Protection

    unlocked = Protection(locked=False)
    for column in _EDITABLE:
        col = FORM_COLUMNS.index(column) + 1
        for row in range(2, last_row + 1):
            sheet.cell(row=row, column=col).protection = unlocked
    p = sheet.protection
    p.sheet = True
    p.autoFilter = p.sort = p.formatColumns = p.formatRows = False


def write_feedback_form(
    recommendations: pd.DataFrame,
    path: Path,
    region: Region | None = None,
    texts: Mapping[str, str] | None = None,
) -> Path:
    """The feedback form: sheet `Feedback` with one row per recommendation (id, jurisdiction,
    urgency, domain, addressee, text; then the empty decision columns), header frozen, a
    drop-down on `decision`, date validation on `target_date` and `decided_on`, id and text
    columns locked; sheet `Instructions`. `texts` ({id: text}) are the texts as the slides
    publish them (a figure withheld elsewhere is not quoted). Written atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(FORM_COLUMNS)
    for row in _form_rows(recommendations, texts or {}):
        sheet.append(row)
    last_row = max(sheet.max_row, 2)
    header_fill = PatternFill("solid", fgColor="163A5F")
    edit_fill = PatternFill("solid", fgColor="FFF8E6")
    for i, column in enumerate(FORM_COLUMNS, start=1):
        head = sheet.cell(row=1, column=i)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), header_fill
        sheet.column_dimensions[get_column_letter(i)].width = _WIDTHS[column]
        for row in range(2, last_row + 1):
            cell = sheet.cell(row=row, column=i)
            cell.alignment = Alignment(wrap_text=column in _WRAPPED, vertical="top")
            if column in _EDITABLE:
                cell.fill = edit_fill
            if column in ("target_date", "decided_on"):
                cell.number_format = _DATE_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FORM_COLUMNS))}{last_row}"
    _validations(sheet, last_row)
    _protect(sheet, last_row)
    _instructions(book.create_sheet("Instructions"), len(recommendations), Names(region))
    buffer = io.BytesIO()
    book.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())
    return path
