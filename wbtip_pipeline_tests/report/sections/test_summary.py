"""The executive summary built alone: its sentences against the tables, the top recommendations,
the cover's key figures, empty and hand-made tables, and a region of seven members."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from wbtip_pipeline.presentation.disclosure import bounds_text, count_words, small_count_cells
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.region import load_region
from wbtip_pipeline.report.sections import summary
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline.vocab import REGIONAL
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables
from wbtip_pipeline_tests.test_transforms.frames import harmonised, population, row

BUNDLED_CODE = "WB6"  # the code of the region's rows in tables built for the bundled six


def build(f: Facts, region=None):
    outline = report_outline(region or f.region)
    return summary.build(f, outline["executive-summary"], outline), outline


def sentences(section) -> list[str]:
    facts = next(b for b in section.blocks if b.kind == "list" and b.style == "facts")
    return [i.text for i in facts.items]


def section_text(section) -> str:
    parts = []
    for b in section.blocks:
        if b.kind == "list":
            for i in b.items:
                parts += [i.text, i.head, *i.meta, *(link.text for link in i.links)]
        else:
            parts += [getattr(b, "lead", ""), getattr(b, "text", "")]
    return "\n".join(p for p in parts if p)


def region_trends(trends: pd.DataFrame, code: str) -> pd.DataFrame:
    return trends[trends.jurisdiction == code]


def expected_region_sentence(trends: pd.DataFrame, code: str) -> tuple[str, str, str]:
    """The year, the victims and the rate the first sentence must state (as the old test did)."""
    region = region_trends(trends, code)
    latest = region[region.indicator == "victims_detected"].sort_values("year").iloc[-1]
    victims = count_words(int(latest.value_low), int(latest.value_high))
    low, high = float(latest.rate_per_100k_low), float(latest.rate_per_100k_high)
    rate = f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"
    return f"In {int(latest.year)}", f"detected {victims}", f"{rate} per 100,000"


# --- the bundled tables --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="module")
def built(tables):
    f = Facts(tables, PROVENANCE)
    section, outline = build(f)
    return f, section, outline


def test_blocks_in_the_order_of_the_old_section(built):
    f, section, outline = built
    entry = outline["executive-summary"]
    assert (section.id, section.number, section.title) == ("executive-summary", "1", entry.heading)
    kinds = [b.kind for b in section.blocks]
    assert kinds == ["note", "list", "heading", "list", "note"]
    caveat = section.blocks[0]
    assert caveat.style == "caveat" and caveat.lead == "Detected victims are not prevalence."
    assert caveat.text == PREVALENCE_CAVEAT
    heading = section.walk("heading")[0]
    assert (heading.number, heading.text) == ("1.1", "Top regional recommendations")
    assert section.walk("table") == [] and section.walk("figure") == []
    # five to eight sentences before the recommendations
    assert 5 <= len(sentences(section)) <= 8


def test_summary_numbers_match_the_tables(built, tables):
    f, section, _ = built
    said = sentences(section)
    first = said[0]
    for part in expected_region_sentence(tables["trends"], f.region.code):
        assert part in first, part
    region = region_trends(tables["trends"], f.region.code)
    year = int(region[region.indicator == "victims_detected"].year.max())
    reporting = region[(region.indicator == "victims_detected") & (region.year == year)].iloc[0]
    missing = [c for c in f.codes if c not in reporting.jurisdictions_reporting.split(",")]
    if missing:
        assert f"({f.names.list(missing)} did not)" in first
    full = region[
        (region.indicator == "victims_detected")
        & (region.n_jurisdictions_reporting == len(f.codes))
    ].iloc[-1]
    words = count_words(int(full.value_low), int(full.value_high))
    n_all = number_word(len(f.codes))
    assert f"in {int(full.year)}, the latest year all {n_all} reported, they detected {words}" in (
        first
    )
    text = section_text(section)
    for indicator in ("persons_prosecuted", "persons_convicted"):
        r = region[(region.indicator == indicator) & (region.year == year)].iloc[0]
        assert count_words(int(r.value_low), int(r.value_high), "persons") in said[1]
    shared = tables["regional_opportunities"].opportunity_type.eq("shared_gap").sum()
    assert f"{shared} checklist items are gaps" in text
    # the gaps shared by all are named by their titles, not by their checklist codes
    opp = tables["regional_opportunities"]
    everywhere = opp[(opp.opportunity_type == "shared_gap") & (opp.n_jurisdictions >= 6)]
    checklist = tables["ct_checklist"].set_index("item_id")["title"]
    assert len(everywhere) and all(checklist[k][1:] in text for k in everywhere.key)
    assert not re.search(r"\bCT-\d", " ".join(said))
    worst = tables["data_gap_summary"].sort_values("rank_worst_first").iloc[0]
    assert f"Data gaps remain wide: {f.names.of(worst.jurisdiction)} reports the least" in text
    # no sentence quotes a small count as a number
    assert not re.search(r"\b[1-4] (victims?|persons?)\b", text)


def test_summary_facts_are_the_region_row(built, tables):
    f, _, _ = built
    facts = f.summary_facts()
    region = region_trends(tables["trends"], f.region.code)
    latest = region[region.indicator == "victims_detected"].sort_values("year").iloc[-1]
    assert facts["latest_victims"] == (int(latest.value_low), int(latest.value_high))
    assert facts["latest_year"] == int(latest.year)


def test_top_regional_recommendations_and_the_pointer_to_the_list(built, tables):
    f, section, outline = built
    recs = section.walk("list")[1]
    assert recs.style == "recs" and recs.ordered
    regional = tables["recommendations"]
    regional = regional[(regional.jurisdiction == REGIONAL) & regional.top_priority.astype(bool)]
    assert [i.head.split()[0] for i in recs.items] == list(
        regional.sort_values(["priority_rank", "recommendation_id"]).recommendation_id
    )
    for item in recs.items:
        assert item.id == ""  # the anchors are those of the full list
        assert "Regional · " in item.head  # the jurisdiction is shown
        assert item.links  # with its evidence
    pointer = section.blocks[-1]
    assert pointer.text == (
        "The full list, grouped by jurisdiction and urgency, is in "
        f"{outline.ref('recommendations')}."
    )
    assert outline.ref("recommendations") == "section 11"


def test_without_regional_recommendations_the_top_national_ones(tables):
    recs = tables["recommendations"]
    national = {**tables, "recommendations": recs[recs.jurisdiction != REGIONAL]}
    f = Facts(national, PROVENANCE)
    section, _ = build(f)
    items = section.walk("list")[1].items
    assert items
    top = f.top_national()
    assert [i.head.split()[0] for i in items] == list(top.recommendation_id)
    assert all(any(f.names.of(c) in i.head for c in f.codes) for i in items)


def test_cover_figures(built, tables):
    f, _, _ = built
    cover = summary.cover_figures(f)
    assert cover is not None and cover.kind == "keyfigures"
    victims, convicted, recs = cover.figures
    facts = f.summary_facts()
    assert victims.count and victims.big == bounds_text(facts["latest_victims"])
    assert victims.small == (
        f"victims detected in {facts['latest_year']} by every jurisdiction but "
        f"{f.names.list(c for c in f.codes if c not in facts['latest_reporting'])} (not prevalence)"
    )
    assert convicted.count and convicted.small.startswith(
        f"persons convicted of trafficking in {facts['latest_year']} ("
    )
    all_recs = tables["recommendations"]
    assert not recs.count and recs.big == f"{len(all_recs):,}"
    urgent = int((all_recs.urgency == "urge").sum())
    assert recs.small == f"recommendations, {urgent} of them urgent, each tied to its evidence"
    assert small_count_cells(k.big for k in cover.figures if k.count) == []


# --- empty and hand-made tables ------------------------------------------------------------


def test_empty_tables_say_so(tables):
    f = Facts({k: v.iloc[0:0] for k, v in tables.items()}, PROVENANCE)
    section, _ = build(f)
    assert sentences(section) == ["The warehouse holds no figures yet."]
    assert section.blocks[-1].style == "empty"
    assert section.blocks[-1].text == "No recommendations were available in this run."
    assert summary.cover_figures(f) is None


def small_tables(region_code: str, values: dict) -> dict[str, pd.DataFrame]:
    """Hand-made statistics (`values`: {(code, year): count or "<5"}) and their trends, with
    the region's rows under `region_code`."""
    h = harmonised([row(c, y, v) for (c, y), v in values.items()])
    pop = population({(c, y): 1_000_000 if c != "SRB" else 900_000 for (c, y) in values})
    trends = compute_trends(h, pop)
    trends["jurisdiction"] = trends["jurisdiction"].replace(BUNDLED_CODE, region_code)
    summary_ = compute_trend_summary(trends)
    return {"harmonised_statistics": h, "trends": trends, "trend_summary": summary_}


def test_hand_made_tables_two_jurisdictions_reporting():
    tables = small_tables(
        load_region().code,
        {("ALB", 2020): 10, ("ALB", 2021): 12, ("SRB", 2020): "<5", ("SRB", 2021): 7},
    )
    f = Facts(tables, PROVENANCE)
    section, _ = build(f)
    said = sentences(section)
    assert said[0] == (
        "In 2021 the two jurisdictions that reported (Bosnia and Herzegovina, Kosovo*, North "
        "Macedonia and Montenegro did not) detected 19 victims (1.00 per 100,000 inhabitants)."
    )
    assert "Albania and Serbia cannot tell a direction" in said[-1]
    assert section.blocks[-1].text == "No recommendations were available in this run."
    cover = summary.cover_figures(f)
    assert [k.big for k in cover.figures] == ["19"]
    assert cover.figures[0].small.startswith("victims detected in 2021 by two of the six")


# --- a region of seven ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("configs")
    region = seven_member_region(folder)
    assert region.size == 7 and region.code == "WB7"
    return region


def relabelled(tables: dict[str, pd.DataFrame], code: str) -> dict[str, pd.DataFrame]:
    """The bundled tables with the region's rows under the seven's code."""
    out = dict(tables)
    for name in ("trends", "trend_summary"):
        frame = tables[name].copy()
        frame["jurisdiction"] = frame["jurisdiction"].replace(BUNDLED_CODE, code)
        out[name] = frame
    return out


def assert_never_six(text: str) -> None:
    assert "WB6" not in text
    assert not re.search(r"\bsix\b", text, re.IGNORECASE), text


def test_seven_members_on_the_bundled_tables(seven, tables):
    f = Facts(relabelled(tables, seven.code), PROVENANCE, seven)
    section, _ = build(f, seven)
    text = section_text(section)
    first = sentences(section)[0]
    assert "(Kosovo* and Quuxland did not)" in first
    assert "the latest year all" not in first  # no year with all seven
    assert_never_six(text)
    cover = summary.cover_figures(f)
    assert "by every jurisdiction but Kosovo* and Quuxland" in cover.figures[0].small
    assert_never_six(" ".join(k.small for k in cover.figures))


def test_seven_members_all_reporting(seven):
    codes = list(seven.codes)
    values = {(c, y): 10 + i for i, c in enumerate(codes) for y in (2019, 2020, 2021)}
    f = Facts(small_tables(seven.code, values), PROVENANCE, seven)
    section, _ = build(f, seven)
    said = sentences(section)
    total = sum(10 + i for i in range(len(codes)))
    assert said[0].startswith(f"In 2021 the seven jurisdictions detected {total} victims")
    assert "Quuxland" in said[-1]  # among the jurisdictions whose direction cannot be told
    assert_never_six(section_text(section))
