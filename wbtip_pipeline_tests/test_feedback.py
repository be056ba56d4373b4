"""Completed workshop feedback forms as a source: reading, validation with findings that name
the file and row, the `recommendation_status` table, and `recommendation_changes` with the
workshop's view. Forms are made in the test from the form the pack writes, filled with openpyxl.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from wbtip_pipeline.schemas.recommendations import RECOMMENDATION_SCHEMAS
from wbtip_pipeline.schemas.workshop import (
    WORKSHOP_SCHEMAS,
    recommendation_changes_schema,
    recommendation_status_schema,
)
from wbtip_pipeline.sources.feedback import (
    FEEDBACK_COLUMNS,
    FORM_COLUMNS,
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
from wbtip_pipeline.workshop.pack import render_workshop_pack, write_feedback_form

IDS = ["REC-0a0a0a0a01", "REC-0a0a0a0a02", "REC-0a0a0a0a03", "REC-0a0a0a0a04"]
NAME = "feedback_2026_tirana.xlsx"


@pytest.fixture
def recs() -> pd.DataFrame:
    """Four recommendations, as far as the form and the status need them."""
    return pd.DataFrame(
        {
            "recommendation_id": IDS,
            "jurisdiction": ["ALB", "ALB", "XKX", "REGIONAL"],
            "domain": ["justice", "data", "protection", "cooperation"],
            "urgency": ["urge", "consider", "consider", "invite"],
            "addressee": ["the ministry of justice"] * 4,
            "text": [f"Urge the ministry of justice to act on item {i}." for i in range(4)],
            "rule_id": ["R-A", "R-B", "R-C", "R-D"],
            "priority_rank": [1, 2, 1, 1],
        }
    )


@pytest.fixture
def form(tmp_path, recs) -> Path:
    return write_feedback_form(recs, tmp_path / "form" / "workshop_feedback_form.xlsx")


def fill(form: Path, target: Path, decisions: dict[str, dict]) -> Path:
    """A completed copy of `form`: {recommendation id: {column: value}}."""
    book = openpyxl.load_workbook(form)
    sheet = book["Feedback"]
    columns = {c: i + 1 for i, c in enumerate(FORM_COLUMNS)}
    for row in range(2, sheet.max_row + 1):
        rid = sheet.cell(row=row, column=1).value
        for column, value in decisions.get(rid, {}).items():
            sheet.cell(row=row, column=columns[column], value=value)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def messages(folder: Path, recs: pd.DataFrame) -> list[str]:
    return [f.message for f in validate_feedback(read_feedback(folder), recs)]


# --- reading ----------------------------------------------------------------------------------


def test_a_completed_form_reads_one_row_per_decision_with_provenance(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(
        form,
        folder / NAME,
        {
            IDS[0]: {
                "decision": "Agreed ",
                "responsible_institution": "Ministry of Justice",
                "target_date": date(2026, 12, 31),
                "decided_by": "Delegation of Albania",
                "decided_on": "12.05.2026.",
            },
            IDS[2]: {"decision": "rejected", "comment": "Done in 2025."},
            IDS[3]: {"comment": "a comment without a decision is not a decision"},
        },
    )
    (folder / f"~${NAME}").write_bytes(b"an Office lock file")
    (folder / "notes.csv").write_text("not a form")
    frame = read_feedback(folder)
    assert list(frame.columns) == FEEDBACK_COLUMNS
    assert frame["recommendation_id"].tolist() == [IDS[0], IDS[2]]
    first = frame.iloc[0]
    assert first["decision"] == "agreed"
    assert first["target_date"] == "2026-12-31"
    assert first["decided_on"] == "12.05.2026."  # kept as typed; it parses
    assert first["source_row"] == "sheet 'Feedback', row 2"
    assert first["source_file"] == NAME and len(first["source_sha256"]) == 64
    assert frame["problem"].isna().all()
    assert validate_feedback(frame, recs) == []
    assert [p.name for p in feedback_files(folder)] == [NAME]


def test_an_empty_folder_or_no_folder_reads_an_empty_frame(tmp_path, recs):
    for folder in (tmp_path, tmp_path / "missing"):
        frame = read_feedback(folder)
        assert frame.empty and list(frame.columns) == FEEDBACK_COLUMNS
        assert validate_feedback(frame, recs) == []


# --- bad forms: each finding names the file and the row ---------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            {"recommendation_id": "REC-ffffffffff", "decision": "agreed"},
            f"value 'REC-ffffffffff' in column recommendation_id, sheet 'Feedback', row 2 of "
            f"{NAME}: not a recommendation id of the current report",
        ),
        (
            {"decision": "approved"},
            f"value 'approved' in column decision, sheet 'Feedback', row 2 of {NAME}: decision "
            "must be one of agreed, amended, rejected (leave it empty if not discussed)",
        ),
        (
            {"decision": "amended"},
            f"value '' in column amended_text, sheet 'Feedback', row 2 of {NAME}: an amended "
            "recommendation needs its amended text in amended_text",
        ),
        (
            {"decision": "rejected", "comment": "   "},
            f"value '' in column comment, sheet 'Feedback', row 2 of {NAME}: a rejected "
            "recommendation needs the reason in comment",
        ),
        (
            {"decision": "agreed", "decided_on": "31.02.2026"},
            f"value '31.02.2026' in column decided_on, sheet 'Feedback', row 2 of {NAME}: not a "
            "date: write it as 2026-05-12 or 12.05.2026",
        ),
        (
            {"decision": "agreed", "target_date": "end of next year"},
            f"value 'end of next year' in column target_date, sheet 'Feedback', row 2 of {NAME}: "
            "not a date: write it as 2026-05-12 or 12.05.2026",
        ),
    ],
    ids=[
        "unknown_id",
        "invalid_decision",
        "amended_without_text",
        "rejected_without_reason",
        "impossible_date",
        "target_not_a_date",
    ],  # fmt: skip
)
def test_a_bad_row_is_a_finding_naming_file_row_column_and_value(
    tmp_path, form, recs, cells, expected
):
    folder = tmp_path / "feedback"
    fill(form, folder / NAME, {IDS[0]: cells})
    # a good decision in another row stays good
    book = openpyxl.load_workbook(folder / NAME)
    book["Feedback"].cell(3, FORM_COLUMNS.index("decision") + 1).value = "agreed"
    book.save(folder / NAME)
    assert messages(folder, recs) == [expected]


def test_bad_rows_are_left_out_of_the_status_and_good_ones_count(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(
        form,
        folder / NAME,
        {IDS[0]: {"decision": "amended"}, IDS[1]: {"decision": "agreed"}},
    )
    status = compute_recommendation_status(read_feedback(folder), recs)
    assert status.set_index("recommendation_id")["status"].to_dict() == {
        IDS[0]: NOT_DISCUSSED,
        IDS[1]: "agreed",
        IDS[2]: NOT_DISCUSSED,
        IDS[3]: NOT_DISCUSSED,
    }


def _only_finding(folder: Path, recs: pd.DataFrame) -> str:
    found = messages(folder, recs)
    assert len(found) == 1, found
    return found[0]


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


def test_a_missing_column_is_one_finding_naming_file_sheet_and_column(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / NAME, {IDS[0]: {"decision": "agreed"}})
    book = openpyxl.load_workbook(folder / NAME)
    book["Feedback"].delete_cols(FORM_COLUMNS.index("decided_on") + 1)
    book.save(folder / NAME)
    assert _only_finding(folder, recs) == (
        f"sheet 'Feedback' of {NAME} lacks the column(s) decided_on in its first row; keep the "
        "header row of the form as it was sent"
    )


def test_a_missing_sheet_is_one_finding_naming_the_file(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / NAME, {IDS[0]: {"decision": "agreed"}})
    book = openpyxl.load_workbook(folder / NAME)
    book["Feedback"].title = "Povratne informacije"
    book.save(folder / NAME)
    message = _only_finding(folder, recs)
    assert message.startswith(f"{NAME} has no sheet 'Feedback' (it has: Povratne informacije")


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path, form, recs):
    folder = tmp_path / "feedback"
    fill(form, folder / "feedback_2026_a.xlsx", {IDS[1]: {"decision": "agreed"}})
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
        IDS[0]: {"decision": "agreed", "decided_on": date(2026, 5, 12)},
        IDS[1]: {"decision": "agreed"},
        IDS[2]: {"decision": "rejected", "comment": "first thoughts"},
    })  # fmt: skip
    fill(form, folder / "feedback_2026_belgrade.xlsx", {
        IDS[0]: {"decision": "rejected", "comment": "out of scope", "decided_on": "2026-06-01"},
        IDS[1]: {"decision": "amended", "amended_text": "Consider a new text.",
                 "decided_on": "2026-01-10"},
        IDS[2]: {"decision": "agreed"},
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
    assert status.at[0, "source_row"] == "sheet 'Feedback', row 9"


def _feedback_row(rid: str, decision: str, row: int = 2, **cells) -> dict:
    return {
        **dict.fromkeys(FEEDBACK_COLUMNS),
        "recommendation_id": rid,
        "jurisdiction": "ALB",
        "decision": decision,
        "source_file": NAME,
        "source_sha256": "0" * 64,
        "source_row": f"sheet 'Feedback', row {row}",
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


# --- the round trip: a completed form changes the next pack -----------------------------------


def test_a_completed_form_round_trips_into_status_and_the_next_pack(bundled_run, tmp_path):
    tables = {
        name: bundled_run.table(name)
        for name in (
            "harmonised_statistics",
            "trends",
            "trend_summary",
            "mechanism_domain_scores",
            "mechanism_gaps",
            "regional_opportunities",
            "recommendations",
            "data_gap_summary",
        )
    }
    recommendations = tables["recommendations"]
    first = render_workshop_pack(tables, tmp_path / "edition1")
    top = recommendations[recommendations["jurisdiction"] == "ALB"].sort_values("priority_rank")
    agreed, amended, rejected = top["recommendation_id"].iloc[:3]
    folder = tmp_path / "feedback"
    fill(first.feedback_form, folder / NAME, {
        agreed: {"decision": "agreed", "responsible_institution": "Ministry of Justice",
                 "target_date": date(2027, 6, 30), "decided_by": "Delegation of Albania",
                 "decided_on": date(2026, 5, 12)},
        amended: {"decision": "amended", "amended_text": "Urge the prosecution service to act "
                  "within the national action plan 2026-2028.", "decided_on": "12.05.2026"},
        rejected: {"decision": "rejected", "comment": "Addressed by the 2025 amendment.",
                   "decided_on": "12.05.2026"},
    })  # fmt: skip
    feedback = read_feedback(folder)
    assert validate_feedback(feedback, recommendations) == []
    status = compute_recommendation_status(feedback, recommendations)
    recommendation_status_schema.validate(status)
    by_id = status.set_index("recommendation_id")
    assert by_id.loc[[agreed, amended, rejected], "status"].tolist() == [
        "agreed",
        "amended",
        "rejected",
    ]
    assert (by_id.drop(index=[agreed, amended, rejected])["status"] == NOT_DISCUSSED).all()

    second = render_workshop_pack(tables, tmp_path / "edition2", status=status)
    html = second.slides_html.read_text(encoding="utf-8")
    assert (
        '<span class="tag amended">amended</span> Urge the prosecution service to act within '
        "the national action plan 2026-2028."
    ) in html
    assert '<span class="tag rejected">rejected</span> Addressed by the 2025 amendment.' in html
    assert (
        '<span class="tag agreed">agreed</span> (responsible: Ministry of Justice; target date '
        "2027-06-30; decided by Delegation of Albania on 2026-05-12)"
    ) in html
    assert html.count("not yet discussed") >= len(recommendations) - 3
    brief = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(second.briefs["ALB"]).pages
    )
    assert "rejected Addressed by the 2025 amendment." in brief
    assert "Workshop:" not in first.slides_html.read_text(encoding="utf-8")
