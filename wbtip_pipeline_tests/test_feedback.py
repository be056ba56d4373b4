"""Completed workshop feedback forms as a source: reading the per-delegation form (a sheet per
jurisdiction, found by its hidden code), validation with findings that name the file, the sheet
and the row, the old single-sheet form refused, the `recommendation_status` table,
`recommendation_changes` with the workshop's view, and the round trip into the next report and
the next pack. Forms are made in the test from the form the pack writes, filled with openpyxl.
"""

from __future__ import annotations

import html as htmllib
import os
import re
import warnings
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from wbtip_pipeline.report.render import render_html
from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
from wbtip_pipeline.schemas.workshop import (
    WORKSHOP_SCHEMAS,
    recommendation_changes_schema,
    recommendation_status_schema,
)
from wbtip_pipeline.sources.feedback import (
    FEEDBACK_COLUMNS,
    FORM_COLUMNS,
    FORM_NAME,
    OLD_LAYOUT,
    feedback_files,
    read_feedback,
    validate_feedback,
)
from wbtip_pipeline.transforms.recommendation_status import (
    NOT_DISCUSSED,
    compute_recommendation_status,
    mark_rejected_changes,
    status_text,
    union_recommendations,
)
from wbtip_pipeline.transforms.recommendations import compute_recommendation_changes
from wbtip_pipeline.validation import parse_date, validate
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.form import FIRST_ROW, HEADER_ROW
from wbtip_pipeline.workshop.pack import render_workshop_pack, write_feedback_form
from wbtip_pipeline_tests.report.tables import build_tables

IDS = ["REC-0a0a0a0a01", "REC-0a0a0a0a02", "REC-0a0a0a0a03", "REC-0a0a0a0a04"]
NAME = "feedback_2026_tirana.xlsx"
EVIDENCE = (
    '[{"table": "mechanism_gaps", "keys": {"jurisdiction": "ALB", "item_id": "CT-18"}, '
    '"values": {"year": 2024, "gap_type": "not_met", "source_url": "https://www.state.gov/x"}}]'
)


@pytest.fixture
def recs() -> pd.DataFrame:
    """Four recommendations (two to Albania, one to Kosovo, one to the region), with the columns
    the form reads."""
    return pd.DataFrame(
        {
            "recommendation_id": IDS,
            "jurisdiction": ["ALB", "ALB", "XKX", "REGIONAL"],
            "domain": ["justice", "data", "protection", "cooperation"],
            "urgency": ["urge", "consider", "consider", "invite"],
            "addressee": ["the ministry of justice"] * 4,
            "text": [f"Urge the ministry of justice to act on item {i}." for i in range(4)],
            "progress_indicator": ["a law in force"] * 4,
            "rule_id": ["R-A", "R-B", "R-C", "R-D"],
            "evidence": [EVIDENCE] * 4,
            "latest_year": [2024, 2024, 2024, 2024],
            "priority_rank": [1, 2, 1, 1],
            "top_priority": [True, True, True, True],
            "summarises": [""] * 4,
        }
    )


@pytest.fixture
def form(tmp_path, recs) -> Path:
    facts = PackFacts({"recommendations": recs})
    return write_feedback_form(facts, tmp_path / "form" / FORM_NAME)


def _locate(book, rid: str) -> tuple:
    """(sheet, row number) of the recommendation `rid` in a form."""
    for sheet in book.worksheets[1:]:
        for row in range(FIRST_ROW, sheet.max_row + 1):
            if sheet.cell(row, 1).value == rid:
                return sheet, row
    raise KeyError(rid)


def fill(form: Path, target: Path, decisions: dict[str, dict]) -> Path:
    """A completed copy of `form`: {recommendation id: {column label: value}}."""
    book = openpyxl.load_workbook(form)
    columns = {label: i + 1 for i, label in enumerate(FORM_COLUMNS)}
    for rid, cells in decisions.items():
        sheet, row = _locate(book, rid)
        for label, value in cells.items():
            sheet.cell(row, columns[label], value)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def edit(path: Path, change) -> None:
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def messages(folder: Path, recs: pd.DataFrame) -> list[str]:
    return [f.message for f in validate_feedback(read_feedback(folder), recs)]


def _only_finding(folder: Path, recs: pd.DataFrame) -> str:
    found = messages(folder, recs)
    assert len(found) == 1, found
    return found[0]


# --- reading ----------------------------------------------------------------------------------


def test_a_completed_form_reads_one_row_per_decision_with_its_sheet(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(
        form,
        folder / NAME,
        {
            IDS[0]: {
                "Decision": "Agreed ",
                "Delegate": "Delegation of Albania",
                "Date": date(2026, 5, 12),
            },
            IDS[2]: {"Decision": "rejected", "Reason": "Done in 2025.", "Date": "12.05.2026."},
            IDS[3]: {"Reason": "a reason without a decision is not a decision"},
        },
    )
    (folder / f"~${NAME}").write_bytes(b"an Office lock file")
    (folder / "notes.csv").write_text("not a form")
    frame = read_feedback(folder)
    assert list(frame.columns) == FEEDBACK_COLUMNS
    assert frame["recommendation_id"].tolist() == [IDS[0], IDS[2]]
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["decision"] == "agreed" and first["jurisdiction"] == "ALB"
    assert first["decided_on"] == "2026-05-12" and first["decided_by"] == "Delegation of Albania"
    assert first["source_row"] == f"sheet 'Albania', row {FIRST_ROW}"
    assert first["source_file"] == NAME and len(first["source_sha256"]) == 64
    assert second["jurisdiction"] == "XKX" and second["source_row"].startswith("sheet 'Kosovo'")
    assert second["comment"] == "Done in 2025."  # the form's Reason
    assert second["decided_on"] == "12.05.2026."  # kept as typed; it parses
    assert frame["problem"].isna().all()
    assert validate_feedback(frame, recs) == []
    assert [p.name for p in feedback_files(folder)] == [NAME]


def test_a_renamed_sheet_still_reads_as_its_jurisdiction(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / NAME, {IDS[2]: {"Decision": "agreed"}})
    edit(folder / NAME, lambda book: setattr(book["Kosovo"], "title", "Albania (2)"))
    frame = read_feedback(folder)
    assert frame.at[0, "jurisdiction"] == "XKX"  # the hidden code, not the title
    assert frame.at[0, "source_row"] == f"sheet 'Albania (2)', row {FIRST_ROW}"
    assert validate_feedback(frame, recs) == []


def test_an_empty_folder_or_no_folder_reads_an_empty_frame(tmp_path, recs):
    for folder in (tmp_path, tmp_path / "missing"):
        frame = read_feedback(folder)
        assert frame.empty and list(frame.columns) == FEEDBACK_COLUMNS
        assert validate_feedback(frame, recs) == []


def test_forms_returned_separately_by_each_delegation_merge(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / "feedback_2026_albania.xlsx", {
        IDS[0]: {"Decision": "agreed", "Delegate": "Albania"},
        IDS[1]: {"Decision": "amended", "Amended text": "Consider a new text."},
    })  # fmt: skip
    fill(form, folder / "feedback_2026_kosovo.xlsx", {
        IDS[2]: {"Decision": "rejected", "Reason": "Covered by the 2025 law."},
    })  # fmt: skip
    fill(form, folder / "feedback_2026_regional.xlsx", {IDS[3]: {"Decision": "agreed"}})
    frame = read_feedback(folder)
    assert validate_feedback(frame, recs) == []
    status = compute_recommendation_status(frame, recs).set_index("recommendation_id")
    assert status["status"].tolist() == ["agreed", "amended", "rejected", "agreed"]
    assert status.at[IDS[2], "source_file"] == "feedback_2026_kosovo.xlsx"
    assert status.at[IDS[2], "reason"] == "Covered by the 2025 law."


# --- bad forms: each finding names the file, the sheet and the row -----------------------------

ROW = FIRST_ROW  # IDS[0] is the first row of the sheet 'Albania'


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            {"Decision": "amended"},
            f"{NAME}, sheet 'Albania', row {ROW}: 'amended' without amended text: write the "
            "agreed wording in Amended text",
        ),
        (
            {"Decision": "rejected", "Reason": "   "},
            f"{NAME}, sheet 'Albania', row {ROW}: 'rejected' without a reason: give the reason "
            "in Reason",
        ),
        (
            {"Recommendation id": "REC-ffffffffff", "Decision": "agreed"},
            f"{NAME}, sheet 'Albania', row {ROW}: 'REC-ffffffffff' in column Recommendation id: "
            "not a recommendation id of the current report",
        ),
        (
            {"Recommendation id": IDS[2], "Decision": "agreed"},
            f"{NAME}, sheet 'Albania', row {ROW}: '{IDS[2]}' in column Recommendation id: a "
            "recommendation to Kosovo, not to Albania: its decision belongs on the sheet 'Kosovo'",
        ),
        (
            {"Recommendation id": IDS[3], "Decision": "agreed"},
            f"{NAME}, sheet 'Albania', row {ROW}: '{IDS[3]}' in column Recommendation id: a "
            "recommendation to the region as a whole, not to Albania: its decision belongs on "
            "the sheet 'Regional'",
        ),
        (
            {"Decision": "approved"},
            f"{NAME}, sheet 'Albania', row {ROW}: 'approved' in column Decision: decision must "
            "be one of agreed, amended, rejected (leave it empty if not discussed)",
        ),
        (
            {"Decision": "agreed", "Date": "31.02.2026"},
            f"{NAME}, sheet 'Albania', row {ROW}: '31.02.2026' in column Date: not a date: "
            "write it as 2026-05-12 or 12.05.2026",
        ),
    ],
    ids=[
        "amended_without_text",
        "rejected_without_reason",
        "unknown_id",
        "another_delegations_id",
        "a_regional_id_on_a_national_sheet",
        "invalid_decision",
        "impossible_date",
    ],  # fmt: skip
)
def test_a_bad_row_is_a_finding_naming_file_sheet_and_row(tmp_path, form, recs, cells, expected):
    folder = tmp_path / "feedback"
    # a good decision in another row stays good
    fill(form, folder / NAME, {IDS[0]: cells, IDS[1]: {"Decision": "agreed"}})
    assert messages(folder, recs) == [expected]
    status = compute_recommendation_status(read_feedback(folder), recs)
    assert status.set_index("recommendation_id")["status"].to_dict() == {
        IDS[0]: NOT_DISCUSSED,  # the bad row does not count
        IDS[1]: "agreed",
        IDS[2]: NOT_DISCUSSED,
        IDS[3]: NOT_DISCUSSED,
    }


def test_the_old_single_sheet_form_is_refused_clearly(tmp_path, recs):
    old = [
        "recommendation_id", "jurisdiction", "urgency", "domain", "addressee", "text",
        "progress_indicator", "decision", "amended_text", "responsible_institution",
        "target_date", "comment", "decided_by", "decided_on",
    ]  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Feedback"
    sheet.append(old)
    sheet.append([IDS[0], "ALB", "urge", "justice", "", "text", "", "agreed"])
    book.create_sheet("Instructions")
    folder = tmp_path / "feedback"
    folder.mkdir()
    book.save(folder / "feedback_2026_old.xlsx")
    message = _only_finding(folder, recs)
    assert message == f"feedback_2026_old.xlsx: {OLD_LAYOUT}"
    assert message == (
        "feedback_2026_old.xlsx: this is the old single-sheet form (one sheet 'Feedback' for "
        "all delegations, sent before form version 2 of November 2026); fill in the "
        "per-delegation form generated by the current run (workshop_feedback_form.xlsx: one "
        "sheet per delegation)"
    )
    status = compute_recommendation_status(read_feedback(folder), recs)
    assert (status["status"] == NOT_DISCUSSED).all()


def test_a_truncated_workbook_is_one_finding_naming_the_file(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    folder.mkdir()
    (folder / "feedback_cut.xlsx").write_bytes(form.read_bytes()[:2000])
    message = _only_finding(folder, recs)
    assert message.startswith("feedback_cut.xlsx cannot be opened as an Excel workbook (.xlsx)")
    frame = read_feedback(folder)
    assert len(frame) == 1 and frame.at[0, "source_file"] == "feedback_cut.xlsx"


def test_a_file_that_is_not_a_workbook_is_one_finding_naming_the_file(tmp_path, recs):
    folder = tmp_path / "feedback"
    folder.mkdir()
    (folder / "feedback_text.xlsx").write_text("recommendation_id;decision\nREC-1;agreed\n")
    message = _only_finding(folder, recs)
    assert message.startswith("feedback_text.xlsx cannot be opened as an Excel workbook (.xlsx)")


def test_a_workbook_that_is_no_form_is_one_finding_naming_its_sheets(tmp_path, recs):
    folder = tmp_path / "feedback"
    folder.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "Povratne informacije"
    book.save(folder / "feedback_other.xlsx")
    assert _only_finding(folder, recs) == (
        "feedback_other.xlsx is not the workshop's feedback form: no sheet carries a "
        "delegation's decisions (it has: Povratne informacije); fill in the per-delegation "
        "form generated by the current run"
    )


def test_a_lost_header_or_code_is_one_finding_naming_file_and_sheet(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / NAME, {IDS[0]: {"Decision": "agreed"}, IDS[2]: {"Decision": "agreed"}})

    def damage(book):
        book["Albania"].delete_cols(FORM_COLUMNS.index("Reason") + 1)
        book["Kosovo"].cell(1, 11).value = None  # its hidden code

    edit(folder / NAME, damage)
    assert sorted(messages(folder, recs)) == [
        f"{NAME}, sheet 'Albania' lacks the header row with the columns Recommendation id, "
        "Decision, Amended text, Reason, Delegate, Date; keep the header row of the form as it "
        "was sent",
        f"{NAME}, sheet 'Kosovo' has the form's columns but not its hidden jurisdiction code, "
        "so whose decisions they are is unknown; copy them into the delegation's sheet of the "
        "form generated by the current run",
    ]
    assert HEADER_ROW < FIRST_ROW


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / "feedback_2026_a.xlsx", {IDS[1]: {"Decision": "agreed"}})
    (folder / "feedback_2026_b.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    frame = read_feedback(folder)
    assert frame["source_file"].tolist() == ["feedback_2026_a.xlsx", "feedback_2026_b.xlsx"]
    status = compute_recommendation_status(frame, recs)
    assert status.set_index("recommendation_id").at[IDS[1], "status"] == "agreed"


# --- the status table -------------------------------------------------------------------------


def test_the_latest_decision_wins_by_date_then_file_modification(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    # the Belgrade form is dated later than the Tirana one for IDS[0]
    fill(form, folder / "feedback_2026_tirana.xlsx", {
        IDS[0]: {"Decision": "agreed", "Date": date(2026, 5, 12)},
        IDS[1]: {"Decision": "agreed"},
        IDS[2]: {"Decision": "rejected", "Reason": "first thoughts"},
    })  # fmt: skip
    fill(form, folder / "feedback_2026_belgrade.xlsx", {
        IDS[0]: {"Decision": "rejected", "Reason": "out of scope", "Date": "2026-06-01"},
        IDS[1]: {"Decision": "amended", "Amended text": "Consider a new text.",
                 "Date": "2026-01-10"},
        IDS[2]: {"Decision": "agreed"},
    })  # fmt: skip
    # undated decisions take the file's modification date: Belgrade was saved after Tirana
    os.utime(folder / "feedback_2026_tirana.xlsx", (1_780_000_000, 1_780_000_000))
    os.utime(folder / "feedback_2026_belgrade.xlsx", (1_780_100_000, 1_780_100_000))
    status = compute_recommendation_status(read_feedback(folder), recs).set_index(
        "recommendation_id"
    )
    assert status.at[IDS[0], "status"] == "rejected"
    assert status.at[IDS[0], "reason"] == "out of scope"
    assert status.at[IDS[0], "source_file"] == "feedback_2026_belgrade.xlsx"
    # an undated agreement (file saved 2026-05-28) beats an amendment dated 2026-01-10
    assert status.at[IDS[1], "status"] == "agreed"
    assert status.at[IDS[1], "amended_text"] is None
    assert status.at[IDS[2], "status"] == "agreed"
    assert status["n_decisions"].to_dict() == {IDS[0]: 2, IDS[1]: 2, IDS[2]: 2, IDS[3]: 0}
    assert status.at[IDS[3], "status"] == NOT_DISCUSSED
    recommendation_status_schema.validate(status.reset_index())


def test_within_a_file_the_later_row_wins(recs):
    rows = [
        _feedback_row(IDS[0], "agreed", row=2),
        _feedback_row(IDS[0], "rejected", row=9, comment="changed our mind"),
    ]
    status = compute_recommendation_status(pd.DataFrame(rows), recs)
    assert status.at[0, "status"] == "rejected"
    assert status.at[0, "source_row"] == "sheet 'Albania', row 9"


OWNERS = dict(zip(IDS, ["ALB", "ALB", "XKX", "REGIONAL"], strict=True))
SHEETS = {"ALB": "Albania", "XKX": "Kosovo", "REGIONAL": "Regional"}


def _feedback_row(rid: str, decision: str, row: int = 2, **cells) -> dict:
    """A row as `read_feedback` returns it, from the sheet of the id's jurisdiction."""
    return {
        **dict.fromkeys(FEEDBACK_COLUMNS),
        "recommendation_id": rid,
        "jurisdiction": OWNERS[rid],
        "decision": decision,
        "source_file": NAME,
        "source_sha256": "0" * 64,
        "source_row": f"sheet '{SHEETS[OWNERS[rid]]}', row {row}",
        "source_modified": "2026-05-12T10:00:00+00:00",
        **cells,
    }


def test_without_feedback_every_recommendation_is_not_discussed(recs):
    status = compute_recommendation_status(None, recs)
    assert status["recommendation_id"].tolist() == IDS
    assert (status["status"] == NOT_DISCUSSED).all()
    recommendation_status_schema.validate(status)
    assert WORKSHOP_SCHEMAS == {"recommendation_status": recommendation_status_schema}


def _good_status(recs) -> pd.DataFrame:
    rows = [
        _feedback_row(IDS[0], "agreed", decided_on="2026-05-12"),
        _feedback_row(IDS[1], "amended", amended_text="Consider this instead."),
        _feedback_row(IDS[2], "rejected", comment="no longer relevant"),
    ]
    return compute_recommendation_status(pd.DataFrame(rows), recs)


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        (1, "amended_text", None, "an amended recommendation has its amended text"),
        (2, "reason", None, "a rejected recommendation has its reason"),
        (0, "amended_text", "text", "amended_text only for an amended recommendation"),
        (0, "reason", "why", "reason only for a rejected recommendation"),
        (3, "source_file", NAME, "a decided recommendation cites its form"),
        (0, "decided_on", "12.05.2026", "str_matches"),
        (0, "status", "approved", "isin"),
    ],
)
def test_status_schema_rejects_one_change_at_a_time(recs, row, column, value, rule):
    good = _good_status(recs)
    assert validate(good, recommendation_status_schema) == []
    bad = good.copy()
    bad.at[row, column] = value
    rules = [f.rule for f in validate(bad, recommendation_status_schema)]
    assert any(rule in r for r in rules), rules


def test_status_text_says_what_was_decided(recs):
    status = _good_status(recs).to_dict("records")
    assert status_text(status[0]) == "agreed (decided on 2026-05-12)"
    assert status_text(status[1]) == "amended: Consider this instead."
    assert status_text(status[2]) == "rejected: no longer relevant"
    assert status_text(status[3]) == "not yet discussed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-12", date(2026, 5, 12)),
        ("12.05.2026", date(2026, 5, 12)),
        ("12.05.2026.", date(2026, 5, 12)),
        ("12/5/2026", date(2026, 5, 12)),
        ("2026-02-30", None),
        ("May 2026", None),
        ("", None),
    ],
)
def test_dates_read_as_the_region_writes_them(text, expected):
    assert parse_date(text) == expected


# --- recommendation_changes with the workshop's view ------------------------------------------


def test_a_rejected_recommendation_that_disappears_is_rejected_not_resolved(recs):
    previous = recs
    current = recs[recs["recommendation_id"].isin([IDS[2], IDS[3]])]
    changes = compute_recommendation_changes(previous, current)
    known = union_recommendations(current, previous)
    assert sorted(known["recommendation_id"]) == IDS
    rows = [
        _feedback_row(IDS[0], "rejected", comment="not a priority"),  # gone and rejected
        _feedback_row(IDS[3], "rejected", comment="not for the region"),  # still there
    ]
    status = compute_recommendation_status(pd.DataFrame(rows), known)
    marked = mark_rejected_changes(changes, status).set_index("recommendation_id")
    assert marked.at[IDS[0], "change"] == "rejected"
    assert marked.at[IDS[1], "change"] == "resolved"  # its evidence is gone: a resolved gap
    assert marked.at[IDS[1], "workshop_status"] == NOT_DISCUSSED
    assert marked.at[IDS[3], "change"] == "unchanged"
    assert marked.at[IDS[3], "workshop_status"] == "rejected"
    recommendation_changes_schema.validate(marked.reset_index())
    # one schema for the table: the one the workshop's view is published with
    assert RECOMMENDATION_SCHEMAS["recommendation_changes"] is recommendation_changes_schema
    # before the workshop's view, every id is not_discussed, and the same schema holds
    assert set(changes["workshop_status"]) == {NOT_DISCUSSED}
    recommendation_changes_schema.validate(changes)


def test_changes_schema_refuses_a_resolved_rejection(recs):
    changes = compute_recommendation_changes(recs, recs.iloc[1:])
    status = compute_recommendation_status(
        pd.DataFrame([_feedback_row(IDS[0], "rejected", comment="no")]), recs
    )
    marked = mark_rejected_changes(changes, status)
    bad = marked.copy()
    bad.loc[bad["recommendation_id"] == IDS[0], "change"] = "resolved"
    rules = [f.rule for f in validate(bad, recommendation_changes_schema)]
    assert "a recommendation the workshop rejected is 'rejected', not 'resolved'" in rules


# --- union of editions ----------------------------------------------------------------------


def test_union_of_editions_keeps_gone_ids_without_a_pandas_warning(recs):
    previous = recs.assign(latest_year=[2024, 2024, None, None], summarises=None)
    current = recs.iloc[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # concat with all-NA columns
        known = union_recommendations(current, previous)
        assert union_recommendations(recs, recs).equals(recs)  # nothing gone
    assert known["recommendation_id"].tolist() == IDS
    assert known["jurisdiction"].tolist() == ["ALB", "ALB", "XKX", "REGIONAL"]
    assert known["latest_year"].isna().tolist() == [False, False, True, True]


# --- the round trip: a completed form changes the status, the next report and the next pack ---

AMENDED_TEXT = "Urge the prosecution service to act within the national action plan 2026-2028."
REJECTION = "Addressed by the 2025 amendment."


@pytest.fixture(scope="module")
def decided(tmp_path_factory) -> tuple[dict, pd.DataFrame, list[str]]:
    """(the bundled tables, the status after Albania's delegation agreed to its first
    recommendation, amended the second and rejected the third, their ids)."""
    tables = build_tables()
    recommendations = tables["recommendations"]
    folder = tmp_path_factory.mktemp("round_trip")
    form = write_feedback_form(PackFacts(tables), folder / FORM_NAME)
    top = recommendations[recommendations["jurisdiction"] == "ALB"].sort_values("priority_rank")
    ids = top["recommendation_id"].iloc[:3].tolist()
    agreed, amended, rejected = ids
    delegate = {"Delegate": "Delegation of Albania", "Date": date(2026, 5, 12)}
    fill(form, folder / "feedback" / NAME, {
        agreed: {"Decision": "agreed", **delegate},
        amended: {"Decision": "amended", "Amended text": AMENDED_TEXT, **delegate},
        rejected: {"Decision": "rejected", "Reason": REJECTION, "Date": "12.05.2026"},
    })  # fmt: skip
    feedback = read_feedback(folder / "feedback")
    assert validate_feedback(feedback, recommendations) == []
    assert feedback["source_row"].str.startswith("sheet 'Albania', row ").all()
    return tables, compute_recommendation_status(feedback, recommendations), ids


def test_a_filled_form_changes_the_recommendation_status(decided):
    tables, status, (agreed, amended, rejected) = decided
    recommendation_status_schema.validate(status)
    by_id = status.set_index("recommendation_id")
    assert by_id.loc[[agreed, amended, rejected], "status"].tolist() == [
        "agreed",
        "amended",
        "rejected",
    ]
    assert by_id.at[amended, "amended_text"] == AMENDED_TEXT
    assert by_id.at[rejected, "reason"] == REJECTION
    assert by_id.at[agreed, "decided_by"] == "Delegation of Albania"
    assert by_id.at[agreed, "decided_on"] == "2026-05-12"
    assert (by_id.drop(index=[agreed, amended, rejected])["status"] == NOT_DISCUSSED).all()
    assert len(status) == len(tables["recommendations"])


def test_the_next_report_shows_the_workshops_decisions(decided):
    tables, status, _ = decided
    html, _, _ = render_html({**tables, "recommendation_status": status}, {})
    text = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    decided_by = "(decided by Delegation of Albania on 2026-05-12)"
    assert f"Validation workshop: agreed {decided_by}" in text
    assert f"Validation workshop: amended: {AMENDED_TEXT} {decided_by}" in text
    assert f"Validation workshop: rejected: {REJECTION} (decided on 2026-05-12)" in text
    assert f"Workshop: rejected: {REJECTION}" in text  # the full list, one line each


def test_the_next_pack_shows_the_workshops_decisions(decided, tmp_path):
    tables, status, _ = decided
    pack = render_workshop_pack(tables, tmp_path, status=status)
    html = pack.slides_html.read_text(encoding="utf-8")
    assert f'<span class="tag amended">amended</span> {AMENDED_TEXT}' in html
    assert f'<span class="tag rejected">rejected</span> {REJECTION}' in html
    assert (
        '<span class="tag agreed">agreed</span> (decided by Delegation of Albania on 2026-05-12)'
    ) in html
    assert "not yet discussed" in html  # every other recommendation shown
    brief = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(pack.briefs["ALB"]).pages
    )
    assert f"rejected {REJECTION}" in brief
