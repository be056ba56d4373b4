"""The feedback form's layout: a sheet per delegation named by its name in the region's order,
`Regional` and `Instructions`; the exact header; the drop-down, the date validation and the
red flags; protection; every recommendation once, on its jurisdiction's sheet, with the text
the report publishes and a short, dated evidence; a region of seven gets seven sheets.

The tables are built in process from the bundled data (`report/tables.py`).
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from wbtip_pipeline.presentation.citations import Citations
from wbtip_pipeline.presentation.labels import Names
from wbtip_pipeline.region import Member, Region, load_region
from wbtip_pipeline.sources.feedback import (
    CODE_CELL,
    FORM_COLUMNS,
    FORM_NAME,
    INSTRUCTIONS_SHEET,
    REGIONAL_SHEET,
    sheet_titles,
)
from wbtip_pipeline.vocab import REGIONAL, TOP_PRIORITIES
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.form import (
    CHECK_COLUMN,
    FIRST_ROW,
    HEADER_ROW,
    evidence_short,
    flag_formulas,
    write_feedback_form,
)
from wbtip_pipeline_tests.regions import SEVENTH_CODE, SEVENTH_NAME, seven_member_region
from wbtip_pipeline_tests.report.tables import build_tables

REGION = load_region()
FOOTNOTE = "without prejudice to positions on status"
HEADER = [
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
COL = {h: get_column_letter(i + 1) for i, h in enumerate([*HEADER, CHECK_COLUMN])}
CODE_COLUMN = get_column_letter(CODE_CELL[1])


@pytest.fixture(scope="module")
def facts() -> PackFacts:
    return PackFacts(build_tables())


@pytest.fixture(scope="module")
def book(facts, tmp_path_factory) -> openpyxl.Workbook:
    path = write_feedback_form(facts, tmp_path_factory.mktemp("form") / FORM_NAME)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # mailed on: readable by all
    return openpyxl.load_workbook(path)


def delegation_sheets(book) -> list:
    return [s for s in book.worksheets if s.title != INSTRUCTIONS_SHEET]


def data_rows(sheet) -> list[tuple]:
    return [r for r in sheet.iter_rows(min_row=FIRST_ROW, values_only=True) if r[0]]


# --- sheets and header --------------------------------------------------------------------------


def test_sheets_are_instructions_then_members_by_name_in_order_then_regional(book):
    names = [m.name for m in REGION.members]
    assert book.sheetnames == [INSTRUCTIONS_SHEET, *names, REGIONAL_SHEET]
    assert "Kosovo" in book.sheetnames  # "Kosovo*": Excel forbids the mark in a title
    # whose sheet it is: the hidden code, not the title
    codes = [s[CODE_COLUMN + "1"].value for s in delegation_sheets(book)]
    assert codes == [*REGION.codes, REGIONAL]
    for sheet in delegation_sheets(book):
        assert sheet.column_dimensions[CODE_COLUMN].hidden, sheet.title


def test_each_sheet_has_a_title_then_the_exact_header_frozen(book):
    for sheet, code in zip(delegation_sheets(book), [*REGION.codes, REGIONAL], strict=True):
        title = sheet["A1"].value
        place = "the region as a whole" if code == REGIONAL else Names(REGION).of(code)
        assert place in title and "validation workshop" in title, title
        header = [c.value for c in sheet[HEADER_ROW]][: len(HEADER) + 1]
        assert header == [*HEADER, CHECK_COLUMN]
        assert header[: len(FORM_COLUMNS)] == FORM_COLUMNS  # what the reader looks for
        assert sheet.freeze_panes == f"B{FIRST_ROW}"
    kosovo = book["Kosovo"]
    assert "Kosovo*" in kosovo["A1"].value and FOOTNOTE in kosovo["A3"].value
    assert book["Albania"]["A3"].value is None


def test_decision_is_a_drop_down_and_date_a_validated_date(book):
    for sheet in delegation_sheets(book):
        last = FIRST_ROW + max(len(data_rows(sheet)), 1) - 1
        found = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
        decision = found[f"{COL['Decision']}{FIRST_ROW}:{COL['Decision']}{last}"]
        assert decision.type == "list" and decision.formula1 == '"agreed,amended,rejected"'
        assert decision.showErrorMessage and decision.allow_blank
        date = found[f"{COL['Date']}{FIRST_ROW}:{COL['Date']}{last}"]
        assert date.type == "date" and date.showErrorMessage
        assert sheet[f"{COL['Date']}{FIRST_ROW}"].number_format == "yyyy-mm-dd"


def test_amended_without_text_or_rejected_without_reason_is_flagged_in_the_sheet(book):
    sheet = book["North Macedonia"]
    last = FIRST_ROW + len(data_rows(sheet)) - 1
    rules = {
        str(rng.sqref): [r.formula[0] for r in rng.rules] for rng in sheet.conditional_formatting
    }
    assert rules == {f"A{FIRST_ROW}:{COL[CHECK_COLUMN]}{last}": list(flag_formulas().values())}
    assert flag_formulas()["amended"] == f'AND($E{FIRST_ROW}="amended",LEN(TRIM($F{FIRST_ROW}))=0)'
    assert (
        flag_formulas()["rejected"] == f'AND($E{FIRST_ROW}="rejected",LEN(TRIM($G{FIRST_ROW}))=0)'
    )
    fill = next(iter(sheet.conditional_formatting)).rules[0].dxf.fill
    assert fill.fgColor.rgb.endswith("FFC7CE")  # red
    check = sheet[f"{COL[CHECK_COLUMN]}{FIRST_ROW + 1}"].value
    assert check.startswith("=IF(") and f'E{FIRST_ROW + 1}="amended"' in check
    assert "write the Amended text" in check and "give the Reason" in check


def test_only_the_input_columns_are_unlocked(book):
    sheet = book["Serbia"]
    assert sheet.protection.sheet
    row = FIRST_ROW + 1
    for heading in ("Decision", "Amended text", "Reason", "Delegate", "Date"):
        assert not sheet[f"{COL[heading]}{row}"].protection.locked, heading
        assert sheet[f"{COL[heading]}{row}"].alignment.vertical == "top"
    for heading in ("Recommendation id", "Priority", "Recommendation", "Evidence (short, dated)",
                    CHECK_COLUMN):  # fmt: skip
        assert sheet[f"{COL[heading]}{row}"].protection.locked, heading
    assert sheet[f"{COL['Recommendation']}{row}"].alignment.wrap_text
    assert sheet.column_dimensions[COL["Recommendation"]].width >= 60


# --- the rows -----------------------------------------------------------------------------------


def test_every_recommendation_once_on_its_jurisdictions_sheet_in_priority_order(book, facts):
    recs = facts.recs
    seen: list[str] = []
    for sheet, code in zip(delegation_sheets(book), [*REGION.codes, REGIONAL], strict=True):
        rows = data_rows(sheet)
        expected = facts.recs_of(code)
        assert [r[0] for r in rows] == expected["recommendation_id"].tolist(), sheet.title
        tops = [r[1] for r in rows if str(r[1]).endswith("(top)")]
        assert len(tops) == min(TOP_PRIORITIES, int(expected["top_priority"].sum()))
        assert [r[1] for r in rows][:1] == ["1 (top)"]
        assert all(r[HEADER.index("Decision")] is None for r in rows)
        seen += [r[0] for r in rows]
    assert sorted(seen) == sorted(recs["recommendation_id"]) and len(set(seen)) == len(seen)


def test_texts_are_the_reports_and_evidence_is_short_and_dated(book, facts):
    published = {i["id"]: i["text"] for i in facts.rec_items(facts.recs)}
    evidence = []
    for sheet in delegation_sheets(book):
        for r in data_rows(sheet):
            assert r[HEADER.index("Recommendation")] == published[r[0]]
            evidence.append(r[HEADER.index("Evidence (short, dated)")])
    assert all(e and "\n" not in e and len(e) <= 120 for e in evidence), max(evidence, key=len)
    assert not any(re.search(r"CT-\d\d|\.ya?ml|\.csv|\.xlsx", e) for e in evidence)
    assert "national statistics, 2017–2021" in evidence
    assert any(re.search(r"^US Department of State.*, \d{4}$", e) for e in evidence)
    assert any(re.search(r", dated: \d{4}$", e) for e in evidence)


def test_instructions_say_how_to_fill_who_returns_it_and_what_dated_means(book):
    text = " ".join(str(r[0]) for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True))
    for words in ("agreed:", "amended:", "rejected:", "Amended text", "Reason", "Delegate",
                  "workshop secretariat", "data/feedback/", "dated: evidence from",
                  "more than five years before", "newest year of the statistics",
                  "sheet 'Kosovo'", FOOTNOTE):  # fmt: skip
        assert words in text, words


# --- sheet titles and evidence, alone ------------------------------------------------------------


def test_sheet_titles_drop_forbidden_characters_keep_31_and_stay_unique():
    region = Region(
        "Test",
        "T{size}",
        (
            Member("AAA", "Kosovo*"),
            Member("BBB", "Bosnia [and] Herzegovina: a/b\\c?"),
            Member("CCC", "The Former Yugoslav Republic of Somewhere Long"),
            Member("DDD", "Instructions"),
            Member("EEE", "***"),
        ),
    )
    titles = sheet_titles(region)
    assert titles["AAA"] == "Kosovo"
    assert titles["BBB"] == "Bosnia and Herzegovina abc"
    assert titles["CCC"] == "The Former Yugoslav Republic of"
    assert titles["DDD"] == "Instructions (DDD)"
    assert titles["EEE"] == "(EEE)"
    assert titles[REGIONAL] == REGIONAL_SHEET
    assert all(len(t) <= 31 and not re.search(r"[\[\]:*?/\\]", t) for t in titles.values())


def test_evidence_short_names_the_publisher_or_the_statistics_and_marks_dated_years():
    sources = pd.DataFrame(
        {
            "url": ["https://www.state.gov/a", "https://www.ecoi.net/b"],
            "publisher": ["US Department of State", "ecoi.net"],
            "source_type": ["us_government", "mirror"],
            "original_publisher": [None, "US Department of State"],
            "original_title": [None, "Trafficking in Persons Report"],
        }
    )
    citations = Citations(sources, statistics_year=2021)

    def gap(url, year):
        return (
            '[{"table": "mechanism_gaps", "keys": {"jurisdiction": "ALB", "item_id": "CT-18"}, '
            f'"values": {{"year": {year}, "source_url": "{url}", "source_file": "a.yaml"}}}}]'
        )

    assert evidence_short(gap("https://www.state.gov/a", 2023), citations) == (
        "US Department of State, 2023"
    )
    assert evidence_short(gap("https://www.ecoi.net/b", 2011), citations) == (
        "US Department of State (copy on ecoi.net), dated: 2011"
    )
    trend = (
        '[{"table": "trend_summary", "keys": {"jurisdiction": "ALB", "indicator": "x"}, '
        '"values": {"first_year": 2017, "last_year": 2021}}]'
    )
    assert evidence_short(trend, citations) == "national statistics, 2017–2021"
    scores = '[{"table": "mechanism_domain_scores", "keys": {"jurisdiction": "ALB"}}]'
    assert evidence_short(scores, citations, latest_year=2015.0) == (
        "checklist assessments, dated: 2015"
    )
    assert evidence_short(None, citations) == "not recorded"


# --- a region of seven ---------------------------------------------------------------------------


def test_a_seven_member_region_gets_seven_member_sheets(tmp_path: Path):
    region = seven_member_region(tmp_path / "configs")
    facts = PackFacts(build_tables(), region=region)
    book = openpyxl.load_workbook(write_feedback_form(facts, tmp_path / FORM_NAME))
    members = [m.name for m in region.members]
    assert len(members) == 7 and SEVENTH_NAME in members
    assert book.sheetnames == [INSTRUCTIONS_SHEET, *members, REGIONAL_SHEET]
    seventh = book[SEVENTH_NAME]
    assert seventh[CODE_COLUMN + "1"].value == SEVENTH_CODE
    assert [c.value for c in seventh[HEADER_ROW]][: len(HEADER)] == HEADER
    assert seventh[f"C{FIRST_ROW}"].value == f"No recommendation to {SEVENTH_NAME}."
    text = " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
    )
    assert not re.search(r"\bsix\b|\bWB6\b", text, re.IGNORECASE)
    assert "WB7" in text and f"sheet '{SEVENTH_NAME}'" in text
