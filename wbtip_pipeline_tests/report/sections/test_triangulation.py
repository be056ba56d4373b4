"""The chapter "The figures against the US TIP reports" built alone on the bundled tables: its
place in the outline, the explanation and the reasons with their counts, the largest differences,
one table per jurisdiction with national cells under disclosure control, TIP figures under the
same `<5` rule, a withheld national figure, and a run without the table."""

from __future__ import annotations

import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    cell_id,
    small_count_cells,
)
from wbtip_pipeline.presentation.facts import TABLE_NAMES, Facts
from wbtip_pipeline.presentation.outline import REPORT_SECTIONS, report_outline
from wbtip_pipeline.report.document import BUILDERS
from wbtip_pipeline.report.sections import triangulation
from wbtip_pipeline.vocab import TRIANGULATION_REASONS
from wbtip_pipeline_tests.report.tables import build_tables, provenance

SECTION = "source-triangulation"
HEADINGS = ["Why the two differ", "The largest differences", "Figure by figure"]
TIP, NATIONAL, DIFFERENCE, REASON = 2, 4, 5, 6  # columns of the tables


def built(tables) -> tuple[Section, Facts]:
    f = Facts(tables, provenance())
    outline = report_outline(f.region)
    return triangulation.build(f, outline[SECTION], outline), f


@pytest.fixture(scope="module")
def section_and_facts():
    return built(build_tables())


def tables_of(section: Section):
    return [b for b in section.blocks if b.kind == "table"]


def paragraphs(section: Section) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "paragraph"]


def test_its_place_in_the_outline_and_the_report():
    ids = [s[0] for s in REPORT_SECTIONS]
    assert ids.index(SECTION) == ids.index("methodology") + 1
    assert BUILDERS[SECTION] is triangulation.build
    assert {"us_tip_figures", "source_triangulation"} <= set(TABLE_NAMES)
    from wbtip_pipeline.assets.reporting import REPORT_TABLES

    assert {"us_tip_figures", "source_triangulation"} <= set(REPORT_TABLES)


def test_headings_numbers_and_tables(section_and_facts):
    section, f = section_and_facts
    entry = report_outline(f.region)[SECTION]
    assert (section.number, section.title) == (entry.number, entry.heading)
    heads = [b for b in section.blocks if b.kind == "heading"]
    assert [h.text for h in heads] == HEADINGS
    assert [h.number for h in heads] == [f"{entry.number}.{i}" for i in (1, 2, 3)]
    tables = tables_of(section)
    # one table per member with TIP figures, in the region's order: all six have some
    assert [t.key for t in tables] == [f"tab-tip-{c.lower()}" for c in f.codes]
    assert [t.number for t in tables] == [f"{entry.number}.{i}" for i in range(1, 7)]
    assert all("source_triangulation" in t.source for t in tables)


def test_the_explanation_names_the_reasons_with_their_counts(section_and_facts):
    section, f = section_and_facts
    text = " ".join(paragraphs(section))
    assert "never added together" in text and "potential victims" in text
    (reasons,) = [b for b in section.blocks if b.kind == "list"]
    items = [i.text for i in reasons.items]
    assert len(items) == len(TRIANGULATION_REASONS)
    for item, reason in zip(items, TRIANGULATION_REASONS, strict=True):
        assert item.lower().startswith(triangulation.REASON_LABELS[reason].lower())
    # the counts add up to the figures compared
    items_compared = triangulation.comparisons(f)
    counted = sum(sum(c.reason == r for c in items_compared) for r in TRIANGULATION_REASONS)
    assert counted == len(items_compared) > 0
    assert f"{len(items_compared)} TIP figures" in text
    # the TIP figures counting cases are left out, and counted
    assert "state 10 more figures counting cases investigated and cases prosecuted" in text
    assert "(3 figures)" in " ".join(items)  # counts in digits, as in the tables


def test_the_largest_differences_with_their_reason(section_and_facts):
    section, f = section_and_facts
    (sentence,) = [p for p in paragraphs(section) if p.startswith("The largest differences")]
    assert sentence.startswith(
        "The largest differences are in Serbia in 2018: 193 potential victims in the TIP report "
        "against 32 victims detected in the national statistics (161 more; likely reason: "
        "potential or official victims)"
    )
    assert "in Albania in 2021: 5 officially recognised victims" in sentence
    assert "(154 fewer; likely reason: potential or official victims)" in sentence
    assert "North Macedonia in 2019" in sentence and "(118 more;" in sentence


def test_national_cells_are_under_disclosure_control(section_and_facts):
    section, f = section_and_facts
    items = triangulation.comparisons(f)
    rows = [r for t in tables_of(section) for r in t.rows]
    assert len(rows) == len(items)
    for c, r in zip(items, rows, strict=True):
        assert r[NATIONAL].text == f.dc.text(c.cell)
        assert "count" in r[NATIONAL].cls and c.cell in f.shown
    suppressed = [r for r in rows if r[NATIONAL].text == PRIMARY_TEXT]
    assert suppressed
    # beside a national <5, "the figures agree" would reveal it
    assert all(r[REASON].text != triangulation.REASON_LABELS["figures_agree"] for r in suppressed)


def test_tip_figures_follow_the_same_rule(section_and_facts):
    section, _ = section_and_facts
    tips = [r[TIP] for t in tables_of(section) for r in t.rows]
    assert not small_count_cells(c.text for c in tips)
    assert any(c.text == PRIMARY_TEXT for c in tips)
    assert all(c.href and c.href.startswith("http") for c in tips)
    # Montenegro 2017: one officially recognised victim in the TIP report, 10 nationally
    (mne,) = [t for t in tables_of(section) if t.key == "tab-tip-mne"]
    row = next(r for r in mne.rows if r[0].text == "2017" and "officially" in r[1].text)
    assert (row[TIP].text, row[NATIONAL].text, row[DIFFERENCE].text) == (
        PRIMARY_TEXT,
        "10",
        "−10 to −6",
    )


def test_a_matching_pair_and_a_national_suppressed(section_and_facts):
    section, _ = section_and_facts
    (xkx,) = [t for t in tables_of(section) if t.key == "tab-tip-xkx"]
    row = next(r for r in xkx.rows if r[0].text == "2019")
    assert [row[i].text for i in (TIP, NATIONAL, DIFFERENCE, REASON)] == [
        "26",
        "26",
        "0",
        "the figures agree",
    ]
    (mkd,) = [t for t in tables_of(section) if t.key == "tab-tip-mkd"]
    row = next(r for r in mkd.rows if r[0].text == "2015")
    assert [row[i].text for i in (TIP, NATIONAL, DIFFERENCE)] == [
        PRIMARY_TEXT,
        PRIMARY_TEXT,
        "−4 to +4",
    ]
    assert row[REASON].text == triangulation.REASON_LABELS["national_suppressed"]


def test_a_withheld_national_figure_shows_no_difference():
    f = Facts(build_tables(), provenance())
    cell = cell_id("SRB", 2019, "victims_detected")
    f.dc.withheld.add(cell)
    outline = report_outline(f.region)
    section = triangulation.build(f, outline[SECTION], outline)
    (srb,) = [t for t in tables_of(section) if t.key == "tab-tip-srb"]
    rows = [r for r in srb.rows if r[0].text == "2019"]
    assert {r[NATIONAL].text for r in rows} == {SECONDARY_TEXT}
    assert {r[DIFFERENCE].text for r in rows} == {SECONDARY_TEXT}
    # potential victims: a reason the figures do not decide; victims identified: none given
    assert {r[REASON].text for r in rows} == {
        triangulation.REASON_LABELS["potential_vs_official"],
        triangulation.WITHHELD_LABEL,
    }


def test_without_the_table():
    tables = {
        k: v
        for k, v in build_tables().items()
        if k not in ("source_triangulation", "us_tip_figures")
    }
    section, f = built(tables)
    assert "source_triangulation" in f.missing_tables
    assert [b.kind for b in section.blocks] == ["note"]
    assert "No US TIP report figures" in section.blocks[0].text
