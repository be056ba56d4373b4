"""Recommendations and their change tracking as the pipeline publishes them."""

from __future__ import annotations

import json

import pandas as pd

from wbtip_pipeline.warehouse import Warehouse
from wbtip_pipeline_tests.conftest import JURISDICTIONS, run_layers, settings_for


def test_published_recommendations_cite_existing_evidence(bundled_run):
    recs = bundled_run.table("recommendations")
    assert set(JURISDICTIONS) <= set(recs.jurisdiction)
    regional = recs[recs.jurisdiction == "REGIONAL"]
    assert (regional.domain == "cooperation").any()
    assert (regional.evidence_table == "regional_opportunities").any()
    for row in recs.itertuples():
        evidence = json.loads(row.evidence)
        assert evidence and row.n_evidence == len(evidence)
        for item in evidence:
            table = bundled_run.table(item["table"])
            match = pd.Series(True, index=table.index)
            for col, value in item["keys"].items():
                match &= table[col].astype(str) == str(value)
            assert match.any(), (row.recommendation_id, item)
    top = recs[recs.top_priority.astype(bool)]
    assert top.groupby("jurisdiction").size().max() <= 5


def test_ids_stable_and_a_closed_gap_is_resolved(small_region, sources, tmp_path, instance):
    settings = settings_for(sources, tmp_path / "out")
    run_layers(settings, instance, documents=False)  # a first refresh of the same files
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'out' / 'warehouse.sqlite'}")
    first = warehouse.read("recommendations")
    run_layers(settings, instance, documents=False)
    second = warehouse.read("recommendations")
    assert sorted(first.recommendation_id) == sorted(second.recommendation_id)
    changes = warehouse.read("recommendation_changes")
    assert set(changes.change) == {"unchanged"}

    gap = first[(first.jurisdiction == "SRB") & first.evidence.str.contains('"item_id": "CT-18"')]
    assert len(gap) >= 1
    # a new assessment says Serbia now meets CT-18 (non-punishment of victims)
    path = sources / "SRB" / "srb_ct_mechanisms.yaml"
    path.write_text(
        path.read_text("utf-8")
        + '  - year: 2024\n    item: "CT-18"\n    score: 2\n'
        + '    evidence: "Test: non-punishment applied in all reported cases."\n'
        + '    source_url: "https://example.org/test"\n',
        encoding="utf-8",
    )
    run_layers(settings, instance, documents=False)
    changes = warehouse.read("recommendation_changes").set_index("recommendation_id")
    for rec_id in gap.recommendation_id:
        assert changes.loc[rec_id, "change"] == "resolved"
    assert (changes.change == "unchanged").sum() > 0


def _fill_form(form, target, decisions: dict[str, tuple[str, str]]):
    """Copy the pack's feedback form and fill in {recommendation id: (decision, reason)}, each on
    its jurisdiction's sheet."""
    import openpyxl

    from wbtip_pipeline.workshop.form import FIRST_ROW, HEADER_ROW

    wb = openpyxl.load_workbook(form)
    for ws in wb.worksheets[1:]:  # the sheets after the instructions: one per delegation
        header = [c.value for c in ws[HEADER_ROW]]
        col = {name: header.index(name) + 1 for name in header if name}
        for row in range(FIRST_ROW, ws.max_row + 1):
            rec_id = ws.cell(row, col["Recommendation id"]).value
            if rec_id in decisions:
                decision, reason = decisions[rec_id]
                ws.cell(row, col["Decision"]).value = decision
                ws.cell(row, col["Reason"]).value = reason
                ws.cell(row, col["Delegate"]).value = "Regional validation workshop"
                ws.cell(row, col["Date"]).value = "2026-11-20"
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def test_workshop_feedback_round_trip(sources, tmp_path, instance, bundled_run):
    settings = settings_for(sources, tmp_path / "out")
    bundled_run.copy_output(tmp_path / "out")  # a first refresh of the same files: its pack
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'out' / 'warehouse.sqlite'}")
    out = tmp_path / "out" / "workshop"
    assert (out / "workshop_slides.html").exists() and (out / "workshop_slides.pdf").exists()
    briefs = {p.name for p in (out / "briefs").glob("*.pdf")}  # English, and translations
    assert {f"brief_{c}_en.pdf" for c in JURISDICTIONS} <= briefs and len(briefs) >= 12
    recs = warehouse.read("recommendations")
    agreed, rejected = recs.recommendation_id.iloc[0], recs.recommendation_id.iloc[1]
    _fill_form(
        out / "workshop_feedback_form.xlsx",
        tmp_path / "feedback" / "feedback_2026_skopje.xlsx",
        {
            agreed: ("agreed", "In the 2027 plan."),
            rejected: ("rejected", "Already covered by the new law."),
        },
    )
    src_run, downstream = run_layers(settings, instance)
    assert src_run.check("workshop_feedback_schema").passed and downstream.result.success
    status = warehouse.read("recommendation_status").set_index("recommendation_id")
    assert status.loc[agreed, "status"] == "agreed"
    assert status.loc[rejected, "status"] == "rejected"
    assert (status.status == "not_discussed").sum() == len(status) - 2
    report = (tmp_path / "out" / "report" / "wbtip_report.html").read_text("utf-8")
    assert "Already covered by the new law." in report


def test_bad_feedback_form_fails_its_check_naming_file_and_row(
    sources, tmp_path, instance, bundled_run
):
    settings = settings_for(sources, tmp_path / "out")
    _fill_form(
        bundled_run.output / "workshop" / "workshop_feedback_form.xlsx",  # the form of these files
        tmp_path / "feedback" / "feedback_bad.xlsx",
        {},
    )
    import openpyxl

    path = tmp_path / "feedback" / "feedback_bad.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb["North Macedonia"]
    header = [c.value for c in sheet[4]]
    sheet.cell(5, header.index("Recommendation id") + 1).value = "REC-0000000000"
    sheet.cell(5, header.index("Decision") + 1).value = "agreed"
    sheet.cell(6, header.index("Decision") + 1).value = "amended"
    wb.save(path)
    (src_run,) = run_layers(settings, instance, sources_only=True)
    check = src_run.check("workshop_feedback_schema")
    assert not check.passed
    message = src_run.messages("workshop_feedback_schema")
    assert (
        "feedback_bad.xlsx, sheet 'North Macedonia', row 5: 'REC-0000000000' in column "
        "Recommendation id: not a recommendation id of the current report"
    ) in message
    assert (
        "feedback_bad.xlsx, sheet 'North Macedonia', row 6: 'amended' without amended text"
    ) in message
