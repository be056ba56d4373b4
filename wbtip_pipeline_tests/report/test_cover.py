"""The report's cover says which edition it is and how recent its inputs are."""

from __future__ import annotations

from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.report.document import build_report, edition_line
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables


def test_the_cover_dates_the_edition_and_its_inputs():
    tables = build_tables()
    doc, facts, _ = build_report(tables, dict(PROVENANCE))
    newest_assessment = int(tables["mechanism_scores"]["year"].max())
    expected = (
        f"1 January 2026: statistics to {facts.last_year}, assessments to {newest_assessment}."
    )
    edition = [b for b in doc.cover if getattr(b, "lead", "") == "Edition."]
    assert [b.text for b in edition] == [expected]


def test_an_edition_without_inputs_or_date_says_so():
    assert edition_line(Facts({}, {})) == "date not recorded."
    assert edition_line(Facts({}, {"generated_at": "2026-11-29T10:00:00+00:00"})) == (
        "29 November 2026."
    )
