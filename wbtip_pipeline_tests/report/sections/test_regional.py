"""The regional overview built alone: headings, figure and table numbers and keys, counts under
disclosure control, the region's row against the trends table, empty and hand-made tables, and
a region of seven members."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    count_text,
    small_count_cells,
)
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.region import load_region
from wbtip_pipeline.report.sections import regional
from wbtip_pipeline.transforms.trends import compute_trends
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables
from wbtip_pipeline_tests.test_transforms.frames import harmonised, population, row

BUNDLED_CODE = "WB6"  # the code of the region's rows in tables built for the bundled six
HEADINGS = [
    "Victims detected",
    "Rates per 100,000 inhabitants",
    "Criminal-justice response",
    "Forms of exploitation",
    "Sex and age",
    "Victim flows between the jurisdictions",
    "The external view",
]
FIGURES = [
    "fig-region-victims",
    "fig-victims-by-jurisdiction",
    "fig-rates",
    "fig-criminal-justice",
    "fig-forms",
    "fig-profile",
    "fig-flows",
    "fig-tiers",
]
TABLES = ["tab-victims", "tab-rates", "tab-criminal-justice", "tab-forms", "tab-profile"]


def build(f: Facts, region=None):
    outline = report_outline(region or f.region)
    return regional.build(f, outline["regional-overview"], outline)


def by_key(section, key):
    return next(b for b in section.blocks if getattr(b, "key", None) == key)


def count_texts(section) -> list[str]:
    return [c.text for t in section.walk("table") for r in t.rows for c in r if "count" in c.cls]


def section_text(section, svg: bool = True) -> str:
    parts = []
    for b in section.blocks:
        if b.kind == "table":
            parts += [b.caption, b.source, b.note, *b.columns]
            parts += [c.text for r in b.rows for c in r]
        elif b.kind == "figure":
            parts += [b.caption, b.source, b.alt, b.svg if svg else ""]
        else:
            parts += [getattr(b, "lead", ""), getattr(b, "text", "")]
    return "\n".join(p for p in parts if p)


def empty_notes(section) -> list[str]:
    return [b.text for b in section.walk("note") if b.style == "empty"]


# --- the bundled tables --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="module")
def built(tables):
    f = Facts(tables, PROVENANCE)
    return f, build(f)


def test_headings_figures_and_tables_numbered_in_order(built):
    _, section = built
    n = report_outline()["regional-overview"].number  # after the summary and the introduction
    assert n == "3"
    assert (section.id, section.number, section.title) == (
        "regional-overview",
        n,
        "Regional overview",
    )
    headings = section.walk("heading")
    assert [h.text for h in headings] == HEADINGS
    assert [h.number for h in headings] == [f"{n}.{i}" for i in range(1, 8)]
    figures = section.walk("figure")
    assert [f.key for f in figures] == FIGURES
    assert [f.number for f in figures] == [f"{n}.{i}" for i in range(1, len(FIGURES) + 1)]
    tables = section.walk("table")
    assert [t.key for t in tables] == TABLES
    assert [t.number for t in tables] == [f"{n}.{i}" for i in range(1, len(TABLES) + 1)]
    for block in (*figures, *tables):
        assert block.caption and block.source.startswith("Source:"), block.key
    assert empty_notes(section) == []


def test_the_caveats_come_first(built):
    _, section = built
    first, second = section.blocks[:2]
    assert first.style == second.style == "caveat"
    assert first.lead == "What these figures are."
    assert first.text.startswith(PREVALENCE_CAVEAT)
    assert "a regional figure adds the jurisdictions that reported that year" in first.text
    assert second.text.startswith(f"{PRIMARY_TEXT} is a range")


def test_the_fixed_prose_of_the_sub_sections(built):
    _, section = built
    paragraphs = [b.text for b in section.walk("paragraph")]
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("A rate divides the count by the population")
    assert paragraphs[1].startswith("Prosecutions and convictions are counted in persons")
    assert paragraphs[2].startswith("A flow is a victim's citizenship (origin)")
    # each follows its heading
    for text, heading in zip(paragraphs, HEADINGS[1:3] + HEADINGS[5:6], strict=True):
        i = next(i for i, b in enumerate(section.blocks) if getattr(b, "text", "") == heading)
        assert section.blocks[i + 1].text == text


def test_counts_are_never_one_to_four(built):
    _, section = built
    counts = count_texts(section)
    assert len(counts) > 150 and PRIMARY_TEXT in counts and SECONDARY_TEXT in counts
    assert small_count_cells(counts) == []
    assert not re.search(r"\b[1-4] (victims?|persons?)\b", section_text(section, svg=False))


def test_the_region_row_matches_the_trends_table(built, tables):
    f, section = built
    table = by_key(section, "tab-victims")
    years = [int(y) for y in table.columns[1:]]
    assert len(years) == 10 and years[-1] == f.last_year
    rows = {r[0].text: r for r in table.rows}
    assert [r[0].text for r in table.rows] == [
        *(f.names.of(c) for c in f.codes),
        "WB6 (sum of those reporting)",
        "Jurisdictions reporting",
    ]
    trends = tables["trends"]
    region = trends[(trends.jurisdiction == "WB6") & (trends.indicator == "victims_detected")]
    region = region.set_index("year")
    for year, cell, note in zip(
        years,
        rows["WB6 (sum of those reporting)"][1:],
        rows["Jurisdictions reporting"][1:],
        strict=True,
    ):
        r = region.loc[year]
        assert cell.text in (count_text(r.value_low, r.value_high), SECONDARY_TEXT)
        assert "count" in cell.cls and "total" in rows["WB6 (sum of those reporting)"][0].cls
        assert note.text == f"{int(r.n_jurisdictions_reporting)} of 6"
    # a jurisdiction's cell is its published figure
    h = tables["harmonised_statistics"]
    alb = h[
        (h.jurisdiction == "ALB")
        & (h.indicator == "victims_detected")
        & (h.dimension == "total")
        & (h.sex == "total")
        & (h.age == "total")
    ].set_index("year")
    for year, cell in zip(years, rows["Albania"][1:], strict=True):
        if year in alb.index:
            r = alb.loc[year]
            assert cell.text in (count_text(r.value_low, r.value_high), SECONDARY_TEXT)


def test_the_words_about_the_region(built):
    _, section = built
    region_chart = by_key(section, "fig-region-victims")
    assert "A year with fewer than six is a partial sum, not a regional total." in (
        region_chart.caption
    )
    assert "Western Balkans (WB6): sum over the jurisdictions reporting" in region_chart.svg
    assert region_chart.source.startswith("Source: warehouse table trends (jurisdiction WB6)")
    assert by_key(section, "fig-victims-by-jurisdiction").alt.startswith("Six small bar charts")
    assert (
        "(WB6: over the jurisdictions reporting that year)" in by_key(section, "tab-rates").caption
    )
    assert by_key(section, "fig-flows").alt == (
        "Matrix of victim flows between the six jurisdictions and other countries."
    )
    rates = by_key(section, "tab-rates")
    assert rates.rows[-1][0].text == "Western Balkans (WB6)"
    cj = by_key(section, "tab-criminal-justice")
    assert len(cj.rows) == 2 * 7 and cj.compact


def test_no_file_or_folder_is_named_in_the_words(built):
    _, section = built
    tiers = by_key(section, "fig-tiers")
    assert ".csv" not in tiers.source and "data/reference" not in tiers.source
    # an empty cell is an edition not collected, never read as a jurisdiction left unrated
    assert "does not mean the jurisdiction went unrated" in tiers.caption
    words = "\n".join(
        [b.caption for b in section.walk("figure")]
        + [b.caption for b in section.walk("table")]
        + [b.text for b in section.walk("paragraph")]
        + [b.text for b in section.walk("note")]
    )
    assert not re.search(r"\.(csv|ya?ml|xlsx)\b|data/", words)


def test_breakdown_tables_show_the_latest_year_with_the_breakdown(built):
    f, section = built
    forms = by_key(section, "tab-forms")
    assert forms.columns == [
        "Jurisdiction",
        "Year",
        "Total",
        "Sexual exploitation",
        "Forced labour",
        "Other forms",
    ]
    profile = by_key(section, "tab-profile")
    assert profile.columns[3:] == ["Female", "Male", "Children (0-17)", "Adults (18+)"]
    for table in (forms, profile):
        for r in table.rows:
            assert int(r[1].text) <= f.last_year
            assert all("count" in c.cls for c in r[2:])


# --- empty and hand-made tables ------------------------------------------------------------


def test_empty_tables_say_so(tables):
    f = Facts({k: v.iloc[0:0] for k, v in tables.items()}, PROVENANCE)
    section = build(f)
    assert empty_notes(section) == ["No victim flows in this run.", "No US TIP tiers in this run."]
    n = report_outline()["regional-overview"].number
    assert [h.number for h in section.walk("heading")] == [f"{n}.{i}" for i in range(1, 8)]
    assert [t.key for t in section.walk("table")] == TABLES
    assert by_key(section, "tab-forms").rows == []


def small_tables(region_code: str, values: dict) -> dict[str, pd.DataFrame]:
    """Hand-made statistics (`values`: {(code, year): count or "<5"}) and their trends, with
    the region's rows under `region_code`; no flows, no tiers."""
    h = harmonised([row(c, y, v) for (c, y), v in values.items()])
    trends = compute_trends(h, population({(c, y): 1_000_000 for (c, y) in values}))
    trends["jurisdiction"] = trends["jurisdiction"].replace(BUNDLED_CODE, region_code)
    return {"harmonised_statistics": h, "trends": trends}


def test_hand_made_tables():
    values = {("ALB", 2020): 10, ("ALB", 2021): 12, ("SRB", 2020): "<5", ("SRB", 2021): 7}
    f = Facts(small_tables(load_region().code, values), PROVENANCE)
    section = build(f)
    assert empty_notes(section) == ["No victim flows in this run.", "No US TIP tiers in this run."]
    victims = by_key(section, "tab-victims")
    assert victims.caption == "Victims detected by jurisdiction, 2020–2021"
    rows = {r[0].text: [c.text for c in r[1:]] for r in victims.rows}
    assert rows["Albania"] == ["10", "12"]
    assert rows["Serbia"] == [PRIMARY_TEXT, "7"]
    assert rows["Kosovo*"] == ["–", "–"]
    assert rows["WB6 (sum of those reporting)"] == ["10–14", "19"]
    assert rows["Jurisdictions reporting"] == ["2 of 6", "2 of 6"]
    rates = {r[0].text: [c.text for c in r[1:]] for r in by_key(section, "tab-rates").rows}
    assert rates["Albania"] == ["1.00", "1.20"]
    assert rates["Western Balkans (WB6)"] == ["0.50–0.70", "0.95"]
    assert small_count_cells(count_texts(section)) == []


# --- a region of seven ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("configs")
    region = seven_member_region(folder)
    assert region.size == 7 and region.code == "WB7"
    return region


def relabelled(tables: dict[str, pd.DataFrame], code: str) -> dict[str, pd.DataFrame]:
    out = dict(tables)
    for name in ("trends", "trend_summary"):
        frame = tables[name].copy()
        frame["jurisdiction"] = frame["jurisdiction"].replace(BUNDLED_CODE, code)
        out[name] = frame
    return out


def assert_never_six(text: str) -> None:
    assert "WB6" not in text
    assert not re.search(r"\bsix\b", text, re.IGNORECASE)


def test_seven_members_on_the_bundled_tables(seven, tables):
    f = Facts(relabelled(tables, seven.code), PROVENANCE, seven)
    section = build(f, seven)
    assert_never_six(section_text(section))
    victims = by_key(section, "tab-victims")
    labels = [r[0].text for r in victims.rows]
    assert labels[:7] == [seven.name_of(c) for c in seven.codes] and "Quuxland" in labels
    assert labels[7] == "WB7 (sum of those reporting)"
    quux = next(r for r in victims.rows if r[0].text == "Quuxland")
    assert {c.text for c in quux[1:]} == {"–"}
    assert all(c.text.endswith(" of 7") for c in victims.rows[-1][1:])
    assert "fewer than seven is a partial sum" in by_key(section, "fig-region-victims").caption
    assert by_key(section, "fig-victims-by-jurisdiction").alt.startswith("Seven small bar charts")
    assert "between the seven jurisdictions" in by_key(section, "fig-flows").alt
    for key in ("fig-victims-by-jurisdiction", "fig-rates", "fig-criminal-justice", "fig-tiers"):
        assert "Quuxland" in by_key(section, key).svg, key
    assert "Quuxland" in by_key(section, "fig-flows").svg
    assert by_key(section, "tab-rates").rows[-1][0].text == "Western Balkans (WB7)"


def test_seven_members_all_reporting(seven):
    codes = list(seven.codes)
    values = {(c, y): 10 + i for i, c in enumerate(codes) for y in (2020, 2021)}
    f = Facts(small_tables(seven.code, values), PROVENANCE, seven)
    section = build(f, seven)
    assert_never_six(section_text(section))
    rows = {r[0].text: [c.text for c in r[1:]] for r in by_key(section, "tab-victims").rows}
    assert rows["Quuxland"] == ["16", "16"]
    total = str(sum(10 + i for i in range(len(codes))))
    assert rows["WB7 (sum of those reporting)"] == [total, total]
    assert rows["Jurisdictions reporting"] == ["7 of 7", "7 of 7"]
