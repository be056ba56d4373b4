"""The workshop's feedback form (XLSX): a sheet per delegation, its decisions to fill in.

Sheets, in order: `Instructions`; one per member of the region, in the region's order, named
by the member's name (`sheet_titles`: "Kosovo*" is "Kosovo", Excel forbids the mark);
`Regional`, for the recommendations to the region as a whole. A delegation's sheet has a title
row (the jurisdiction and the workshop), a hint, the footnote of a name that carries one, then
the header `FORM_COLUMNS` and the jurisdiction's recommendations in priority order:

    Recommendation id | Priority | Recommendation | Evidence (short, dated) | Decision |
    Amended text | Reason | Delegate | Date | Check

The recommendation is the text the report publishes (`PackFacts.rec_items`: counts masked, a
withheld figure never quoted); the evidence is who it rests on and when (`evidence_short`).
Decision is a drop-down (the contract's codes: agreed, amended, rejected), Date a validated
date; only the five input columns are unlocked. A row that is `amended` without amended text
or `rejected` without a reason turns red (conditional formatting) and its Check cell says what
is missing; the reader refuses such a row too, naming file, sheet and row.

The sheet's jurisdiction is the code in a hidden cell (`CODE_CELL`), which the reader trusts
instead of the title. Header, code cell and titles are `sources/feedback.py`'s: the form and
its reader cannot drift apart.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from wbtip_pipeline.presentation.citations import DATED, MIRROR, UNKNOWN, Citations
from wbtip_pipeline.presentation.text import as_int, is_nan, number_word
from wbtip_pipeline.sources.feedback import (
    CHECK_COLUMN,
    CODE_CELL,
    FORM_COLUMNS,
    FORM_NAME,
    FORM_VERSION,
    INSTRUCTIONS_SHEET,
    sheet_titles,
)
from wbtip_pipeline.transforms.evidence_sources import split_urls, url_domain
from wbtip_pipeline.vocab import DATED_AFTER_YEARS, DECISIONS, REGIONAL, TOP_PRIORITIES
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop.facts import PackFacts

__all__ = ["FEEDBACK_FOLDER", "FORM_NAME", "evidence_short", "form_rows", "write_feedback_form"]

FEEDBACK_FOLDER = "data/feedback/"  # where the secretariat puts the completed forms
WORKSHOP = "Regional validation workshop on the counter-trafficking needs assessment"
DECISION_HELP = {
    "agreed": "the recommendation stands as written",
    "amended": "write the wording the delegation agrees to in Amended text (required)",
    "rejected": "give the reason in Reason (required)",
}
HEADER_ROW = 4  # title, hint, footnote, header
FIRST_ROW = HEADER_ROW + 1
COLUMNS = [*FORM_COLUMNS, CHECK_COLUMN]
_INPUTS = ("Decision", "Amended text", "Reason", "Delegate", "Date")
_WIDTHS = {"Recommendation id": 17, "Priority": 10, "Recommendation": 70,
           "Evidence (short, dated)": 34, "Decision": 12, "Amended text": 45, "Reason": 35,
           "Delegate": 22, "Date": 12, CHECK_COLUMN: 30}  # fmt: skip
_WRAPPED = ("Recommendation", "Evidence (short, dated)", "Amended text", "Reason", CHECK_COLUMN)
_DATE_FORMAT = "yyyy-mm-dd"
_LINE_POINTS = 15  # the height of a line of 11-point text
_STATISTICS = frozenset(
    {"harmonised_statistics", "trends", "trend_summary", "victim_flows", "data_gaps",
     "data_gap_summary"}
)  # fmt: skip
_ASSESSMENTS = "checklist assessments"
_STATISTICS_SOURCE = "national statistics"
_SOURCES_SHOWN = 2  # sources named in the evidence cell; "and N more" after them


@dataclass(frozen=True)
class FormRow:
    """One recommendation as a delegation's sheet lists it."""

    id: str
    priority: str
    text: str
    evidence: str


# --- what the sheets list -----------------------------------------------------------------------


def form_rows(facts: PackFacts, code: str) -> list[FormRow]:
    """The recommendations to `code` (a member or REGIONAL) in priority order, with the text
    the report publishes, the priority ("1 (top)" for the top five) and the short evidence."""
    recs = facts.recs_of(code)
    if recs.empty:
        return []
    rows = []
    for r, item in zip(recs.to_dict("records"), facts.rec_items(recs), strict=True):
        rank = as_int(r.get("priority_rank"))
        top = not is_nan(r.get("top_priority")) and bool(r.get("top_priority"))
        priority = "" if rank is None else f"{rank} (top)" if top else str(rank)
        evidence = evidence_short(r.get("evidence"), facts.f.citations, r.get("latest_year"))
        rows.append(FormRow(item["id"], priority, item["text"], evidence))
    return rows


def evidence_short(evidence, citations: Citations, latest_year=None) -> str:
    """Who a recommendation's evidence rests on and when, in one line: "US Department of
    State, 2023", "national statistics, 2017–2021", "US Department of State (copy on
    ecoi.net), dated: 2011" (dated: the newest year is more than five years before the newest
    statistics, `Citations.is_dated`). No checklist ids, no file names, no counts."""
    # {source: the sites it was read from as a copy; None once one of its own pages is cited}
    sources: dict[str, list[str] | None] = {}
    years: list[int] = []
    for item in _evidence_items(evidence):
        keys, values = item.get("keys") or {}, item.get("values") or {}
        for source, copy in _sources(str(item.get("table", "")), keys, values, citations):
            copies = sources.setdefault(source, [])
            if copies is None or copy is None:
                sources[source] = None
            elif copy not in copies:
                copies.append(copy)
        years += _years({**values, **keys})
    if not years and as_int(latest_year) is not None:
        years = [as_int(latest_year)]
    named = [_with_copies(source, copies) for source, copies in sources.items()]
    who = "; ".join(named[:_SOURCES_SHOWN])
    if len(named) > _SOURCES_SHOWN:
        who += f" and {len(named) - _SOURCES_SHOWN} more"
    when = ""
    if years:
        first, last = min(years), max(years)
        when = str(last) if first == last else f"{first}–{last}"
        when = f"{DATED}: {when}" if citations.is_dated(last) else when
    return ", ".join(p for p in (who or "not recorded", when) if p)


def _evidence_items(evidence) -> list[dict]:
    if evidence is None or is_nan(evidence) or not str(evidence).strip():
        return []
    try:
        items = json.loads(str(evidence))
    except ValueError:
        return []
    items = items if isinstance(items, list) else [items]
    return [i for i in items if isinstance(i, dict)]


def _with_copies(source: str, copies: list[str] | None) -> str:
    if not copies:
        return source
    sites = ", ".join(copies[:_SOURCES_SHOWN]) + (" …" if len(copies) > _SOURCES_SHOWN else "")
    return f"{source} ({'copies' if len(copies) > 1 else 'copy'} on {sites})"


def _sources(
    table: str, keys: dict, values: dict, citations: Citations
) -> list[tuple[str, str | None]]:
    """(source, the site of the copy it was read from, or None) of one evidence row."""
    urls = split_urls(values.get("source_url"))
    if urls:
        return [_publisher(url, citations) for url in urls]
    if table in _STATISTICS:
        return [(_STATISTICS_SOURCE, None)]
    if table == "regional_opportunities":
        if keys.get("opportunity_type") != "shared_gap":
            return [(_STATISTICS_SOURCE, None)]
        n = as_int(values.get("n_jurisdictions"))
        return [(f"{_ASSESSMENTS} in {n} jurisdictions" if n else _ASSESSMENTS, None)]
    if table.startswith("mechanism_"):
        return [(_ASSESSMENTS, None)]
    return []


def _publisher(url: str, citations: Citations) -> tuple[str, str | None]:
    """The publisher of a page (`evidence_sources`), and for a copy the site it is on."""
    domain = url_domain(url) or url
    if not citations.graded:
        return domain, None
    row = citations.rows.get(url)
    kind = str(row["source_type"]) if row else UNKNOWN
    if kind == MIRROR:
        return str(row["original_publisher"]), domain
    if kind == UNKNOWN:
        return f"unidentified site {domain}", None
    return str(row["publisher"]), None


def _years(fields: dict) -> list[int]:
    found = [fields.get(k) for k in ("year", "first_year", "last_year")]
    listed = fields.get("years")
    if isinstance(listed, str):
        found += listed.split(",")
    years = []
    for value in found:
        try:
            year = int(float(value))
        except (TypeError, ValueError):
            continue
        if 1900 <= year <= 2100:
            years.append(year)
    return years


# --- the workbook -------------------------------------------------------------------------------


def write_feedback_form(facts: PackFacts, path: Path) -> Path:
    """The feedback form (layout: module docstring) at `path`, written atomically and readable
    by all (0644): the secretariat mails it on."""
    from openpyxl import Workbook

    region = facts.region
    codes = list(region.codes)
    others = sorted(set(facts.recs["jurisdiction"]) - {*codes, REGIONAL}) if len(facts.recs) else []
    titles = sheet_titles(region, tuple(others))
    book = Workbook()
    _instructions(book.active, facts, titles)
    for code in [*codes, *others, REGIONAL]:
        _delegation_sheet(book.create_sheet(titles[code]), facts, code)
    book.properties.title = f"Feedback form: {WORKSHOP}"
    book.properties.keywords = f"wbtip feedback form version {FORM_VERSION}"
    buffer = io.BytesIO()
    book.save(buffer)
    path = Path(path)
    write_bytes_atomic(path, buffer.getvalue())  # via a temporary file, chmod 0644, rename
    return path


def _column(heading: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(COLUMNS.index(heading) + 1)


def _delegation_sheet(sheet, facts: PackFacts, code: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    names, region = facts.names, facts.region
    place = "Recommendations to the region as a whole" if code == REGIONAL else names.of(code)
    sheet.cell(1, 1, f"{place} · feedback form · {WORKSHOP}, {region.full_name}")
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    sheet.cell(
        2,
        1,
        "Choose a decision for each recommendation the delegation discussed. 'amended' needs "
        "the Amended text, 'rejected' a Reason: a row without them turns red and does not "
        f"count. How to fill it in: sheet '{INSTRUCTIONS_SHEET}'.",
    )
    footnotes = names.footnotes_for([code])
    if footnotes:
        sheet.cell(3, 1, " ".join(footnotes)).font = Font(italic=True, size=9)
    sheet.cell(*CODE_CELL, code)  # whose sheet it is, for the reader: never the title
    sheet.column_dimensions[get_column_letter(CODE_CELL[1])].hidden = True

    header_fill = PatternFill("solid", fgColor="163A5F")
    for i, heading in enumerate(COLUMNS, start=1):
        head = sheet.cell(HEADER_ROW, i, heading)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), header_fill
        head.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(i)].width = _WIDTHS[heading]
    rows = form_rows(facts, code)
    for offset, row in enumerate(rows):
        r = FIRST_ROW + offset
        for i, value in enumerate((row.id, row.priority, row.text, row.evidence), start=1):
            sheet.cell(r, i, value)  # the first four columns: id, priority, text, evidence
        sheet.cell(r, COLUMNS.index(CHECK_COLUMN) + 1, _check_formula(r))
        sheet.row_dimensions[r].height = _height(row)
    if not rows:
        sheet.cell(FIRST_ROW, COLUMNS.index("Recommendation") + 1, f"No recommendation to {place}.")
    last = FIRST_ROW + max(len(rows), 1) - 1
    edit_fill = PatternFill("solid", fgColor="FFF8E6")
    for i, heading in enumerate(COLUMNS, start=1):
        for r in range(FIRST_ROW, last + 1):
            cell = sheet.cell(r, i)
            cell.alignment = Alignment(wrap_text=heading in _WRAPPED, vertical="top")
            if heading in _INPUTS:
                cell.fill = edit_fill
            if heading == "Date":
                cell.number_format = _DATE_FORMAT
            if heading == CHECK_COLUMN:
                cell.font = Font(bold=True, color="9C0006")
    sheet.freeze_panes = f"B{FIRST_ROW}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{_column(CHECK_COLUMN)}{last}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    _validations(sheet, last)
    _flags(sheet, last)
    _protect(sheet, last)


def _height(row: FormRow) -> float:
    """Room for the wrapped text (rows are not measured when the file opens)."""
    lines = max(
        math.ceil(len(text) / max(_WIDTHS[heading] - 4, 1))
        for heading, text in (
            ("Recommendation", row.text),
            ("Evidence (short, dated)", row.evidence),
        )
    )
    return min(max(lines, 1) * _LINE_POINTS + 4, 409)


def _check_formula(r: int) -> str:
    d, a, why = _column("Decision"), _column("Amended text"), _column("Reason")
    return (
        f'=IF(AND({d}{r}="amended",LEN(TRIM({a}{r}))=0),"amended: write the Amended text",'
        f'IF(AND({d}{r}="rejected",LEN(TRIM({why}{r}))=0),"rejected: give the Reason",""))'
    )


def flag_formulas(first_row: int = FIRST_ROW) -> dict[str, str]:
    """The conditional-formatting rules that flag a row, relative to its first row."""
    d, a, why = _column("Decision"), _column("Amended text"), _column("Reason")
    r = first_row
    return {
        "amended": f'AND(${d}{r}="amended",LEN(TRIM(${a}{r}))=0)',
        "rejected": f'AND(${d}{r}="rejected",LEN(TRIM(${why}{r}))=0)',
    }


def _flags(sheet, last: int) -> None:
    """Red rows: 'amended' without the amended text, 'rejected' without a reason."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill

    red = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
    cells = f"A{FIRST_ROW}:{_column(CHECK_COLUMN)}{last}"
    for formula in flag_formulas().values():
        rule = FormulaRule(formula=[formula], fill=red, font=Font(color="9C0006"), stopIfTrue=True)
        sheet.conditional_formatting.add(cells, rule)


def _validations(sheet, last: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    def column(heading: str) -> str:
        letter = _column(heading)
        return f"{letter}{FIRST_ROW}:{letter}{last}"

    decision = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose agreed, amended or rejected, or leave it empty if not discussed.",
        showInputMessage=True,
        promptTitle="Decision",
        prompt="agreed; amended (write the Amended text); rejected (give the Reason)",
    )
    decision.add(column("Decision"))
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2099,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Date",
        error="Enter the date of the decision, e.g. 2026-05-12.",
        showInputMessage=True,
        promptTitle="Date",
        prompt="The date of the decision (YYYY-MM-DD).",
    )
    dates.add(column("Date"))
    sheet.add_data_validation(decision)
    sheet.add_data_validation(dates)


def _protect(sheet, last: int) -> None:
    """Lock the id, text and check columns; the five input columns stay editable. No password:
    the lock prevents accidents, not a determined edit (the reader validates every id anyway)."""
    from openpyxl.styles import Protection

    unlocked = Protection(locked=False)
    for heading in _INPUTS:
        col = COLUMNS.index(heading) + 1
        for row in range(FIRST_ROW, last + 1):
            sheet.cell(row, col).protection = unlocked
    p = sheet.protection
    p.sheet = True
    p.autoFilter = p.formatColumns = p.formatRows = False


def _instructions(sheet, facts: PackFacts, titles: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Font

    region, names = facts.region, facts.names
    members = [c for c in titles if c != REGIONAL]
    # "dated: evidence from 2015 or earlier, more than five years before 2021, the newest ..."
    dated = facts.f.citations.dated_note() or (
        f"{DATED}: evidence more than {number_word(DATED_AFTER_YEARS)} years before the newest "
        "year of the statistics; it weighs less in the priorities."
    )
    lines = [
        (f"{WORKSHOP}, {region.full_name}: feedback form", True),
        ("", False),
        ("Who fills in what", True),
        (
            "One sheet per delegation, named by its jurisdiction: "
            + ", ".join(f"{names.of(c)} (sheet '{titles[c]}')" for c in members)
            + f". The sheet '{titles[REGIONAL]}' holds the recommendations to the region as a "
            "whole, decided together at the workshop.",
            False,
        ),
        (
            "Each delegation fills in its own sheet; a decision on another jurisdiction's "
            "recommendation is not counted.",
            False,
        ),
        ("", False),
        ("How to fill in a row", True),
        ("Decision (drop-down list): leave it empty for a recommendation not discussed, or", False),
        *((f"  {word}: {meaning}", False) for word, meaning in DECISION_HELP.items()),
        ("Reason: why (required for 'rejected'; for any other decision, optional).", False),
        ("Delegate: who decided (name and delegation). Date: the date of the decision.", False),
        (
            "A row that says 'amended' without the amended text, or 'rejected' without a "
            "reason, turns red and its Check cell says what is missing; it does not count, and "
            "the pipeline names it by file, sheet and row when the form comes back.",
            False,
        ),
        ("", False),
        ("What the other columns say", True),
        (
            "Recommendation id: how the answer is matched to the recommendation; do not change "
            "it (the sheets are protected, without a password, against accidents).",
            False,
        ),
        (
            "Priority: the rank within the jurisdiction; '(top)' marks its "
            f"{number_word(TOP_PRIORITIES)} top priorities.",
            False,
        ),
        ("Recommendation: the text as the report publishes it.", False),
        ("Evidence (short, dated): who the finding rests on, and its years.", False),
        (f"  {dated}", False),
        ("", False),
        ("Returning the form", True),
        (
            "Save the file as feedback_<year>_<delegation>.xlsx and return it to the workshop "
            "secretariat. The secretariat puts every returned file into "
            f"{FEEDBACK_FOLDER} of the pipeline; the files of all delegations are read "
            "together, and the next edition of the report shows each recommendation's status.",
            False,
        ),
        (f"Form version {FORM_VERSION} ({FORM_NAME}).", False),
        *((note, False) for note in names.footnotes_for(members)),
    ]
    for line, bold in lines:
        sheet.append([line])
        cell = sheet.cell(sheet.max_row, 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True, size=13 if sheet.max_row == 1 else 11)
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 120
    sheet.sheet_properties.tabColor = "163A5F"
