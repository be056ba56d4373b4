"""A member's chapter, built alone: on the bundled tables, on small hand-made frames, and in a
region of seven members where the seventh has no statistics at all."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from wbtip_pipeline.presentation.disclosure import cell_id, small_count_cells
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.presentation.text import pct, years_text
from wbtip_pipeline.region import BUNDLED_CONFIG_DIR, build_region
from wbtip_pipeline.report.sections import jurisdiction
from wbtip_pipeline.report.sections.jurisdiction_parts import pct_change
from wbtip_pipeline.report.sections.narrative import domain_title
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables
from wbtip_pipeline_tests.test_transforms.frames import harmonised, row

PARTS = (
    "Key figures",
    "Trends",
    "The response, domain by domain",
    "Counter-trafficking mechanisms",
    "Data gaps",
    "The external view",
    "Priority recommendations",
)


def texts(section) -> list[str]:
    """Every text of a section a reader can see, in reading order."""
    out = [section.title]
    for b in section.blocks:
        if b.kind in ("heading", "paragraph", "note"):
            out.append(b.text)
        elif b.kind == "list":
            for i in b.items:
                out += [i.head, i.text, *i.meta, *(link.text for link in i.links)]
        elif b.kind == "table":
            out += [b.caption, b.source, b.note, *b.columns]
            out += [c.text for r in b.rows for c in r]
        elif b.kind == "figure":
            out += [b.caption, b.source, b.alt]
    return out


def paragraphs(section) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "paragraph"]


def notes(section, style: str) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "note" and b.style == style]


def table(section, key: str):
    return next(b for b in section.blocks if b.kind == "table" and b.key == key)


# --- the bundled tables ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled():
    facts = Facts(build_tables(), dict(PROVENANCE))
    outline = report_outline(facts.region)
    chapters = {e.code: jurisdiction.build(facts, e, outline) for e in outline.chapters}
    return facts, outline, chapters


def test_every_member_has_a_chapter_numbered_from_its_own_entry(bundled):
    facts, outline, chapters = bundled
    assert list(chapters) == facts.codes
    for code, section in chapters.items():
        entry = outline.chapter(code)
        n = entry.number
        assert section.id == f"jurisdiction-{code}" == entry.id
        assert section.number == n and section.title == entry.heading
        assert section.cls == "jurisdiction" and section.attrs == {"jurisdiction": code}
        headings = [b for b in section.blocks if b.kind == "heading" and b.level == 2]
        assert [h.text for h in headings] == list(PARTS)
        assert [h.number for h in headings] == [f"{n}.{i}" for i in range(1, len(PARTS) + 1)]
        tables = section.walk("table")
        figures = section.walk("figure")
        assert [t.number for t in tables] == [f"{n}.{i}" for i in range(1, len(tables) + 1)]
        assert [fig.number for fig in figures] == [f"{n}.1"]
        assert figures[0].key == f"fig-{code}-series"
        keys = [t.key for t in tables]
        for key in ("key", "breakdown", "trends", "domains", "data-gaps", "tiers"):
            assert f"tab-{code}-{key}" in keys, (code, key)
        assert all(
            re.fullmatch(rf"tab-{code}-gaps-(not_met|partly_met|conflict)", k)
            for k in keys
            if "-gaps-" in k
        )
        # tables in reading order: key figures, trends, mechanisms, data gaps, tiers
        order = ["key", "breakdown", "trends", "domains", "gaps", "data-gaps", "tiers"]
        kinds = [k.removeprefix(f"tab-{code}-") for k in keys]
        kinds = ["gaps" if k.startswith("gaps-") else k for k in kinds]
        assert kinds == sorted(kinds, key=order.index)


def test_no_count_cell_shows_a_value_from_one_to_four(bundled):
    _, _, chapters = bundled
    for section in chapters.values():
        counts = [
            c.text
            for t in section.walk("table")
            for r in t.rows
            for c in r
            if "count" in c.cls.split()
        ]
        assert counts
        assert small_count_cells(counts) == []


def test_intro_states_the_latest_figure_of_the_key_table(bundled):
    facts, _, chapters = bundled
    for code, section in chapters.items():
        years = facts.years_of(code)
        intro = paragraphs(section)[0]
        assert intro.startswith(f"{facts.names.of(code)} reported statistics for {years[0]}")
        latest = facts.years_of(code, "victims_detected")[-1]
        key = table(section, f"tab-{code}-key")
        assert key.columns[-1] == str(latest)
        shown = key.rows[0][-1].text  # victims detected, latest year
        assert f"In {latest}, its latest year, it detected " in paragraphs(section)[1]
        if shown.isdigit():
            assert f"detected {int(shown):,} victims" in paragraphs(section)[1]
        assert key.caption == f"{facts.names.of(code)}: key figures, {key.columns[1]}–{latest}"


def test_mechanisms_count_the_items_met_and_point_to_the_regional_chart(bundled):
    facts, outline, chapters = bundled
    scores = facts.t["mechanism_scores"]
    coop = outline.number("regional-cooperation")
    for code, section in chapters.items():
        mine = scores[scores["jurisdiction"] == code]
        met = int((mine["score"] == 2).sum())
        text = paragraphs(section)
        # "latest" with its years: those of the assessments that find the items met
        years = years_text(sorted(int(y) for y in mine[mine["score"] == 2]["year"]))
        assert any(
            t.startswith(
                f"Of the {len(mine)} checklist items, {met} are met in law and practice by "
                f"their latest assessment ({years}"
            )
            and t.endswith("); the others are gaps or unknown, as below.")
            for t in text
        )
        assert (
            f"Figure {coop}.1 (section {coop}) compares the domain scores across the region."
        ) in text
        gaps = facts.t["mechanism_gaps"]
        unknown = gaps[(gaps["jurisdiction"] == code) & (gaps["gap_type"] == "no_evidence")]
        items = [b for b in section.blocks if b.kind == "list" and b.style == "compact"]
        assert len(items) == 1 and len(items[0].items) == len(unknown)
        h3 = [b.text for b in section.blocks if b.kind == "heading" and b.level == 3]
        domains = [domain_title(d) for d in facts.domain_order()]
        assert h3 == [*domains, "Items with no assessment at all (unknown, not zero)"]
        domains = table(section, f"tab-{code}-domains")
        ds = facts.t["mechanism_domain_scores"]
        assert len(domains.rows) == int((ds["jurisdiction"] == code).sum())
        for gap_type in ("not_met", "partly_met"):
            part = gaps[(gaps["jurisdiction"] == code) & (gaps["gap_type"] == gap_type)]
            key = f"tab-{code}-gaps-{gap_type}"
            shown = [t for t in section.walk("table") if t.key == key]
            assert len(shown) == (1 if len(part) else 0)
            if len(part):
                assert sorted(r[0].text for r in shown[0].rows) == sorted(part["item_id"])


def test_the_words_of_the_old_chapter(bundled):
    facts, outline, chapters = bundled
    recs = facts.recs()
    for code, section in chapters.items():
        name = facts.names.of(code)
        text = paragraphs(section)
        tiers = facts.t["us_tip_tiers"]
        n_tiers = int((tiers["jurisdiction"] == code).sum())
        assert any(
            t.startswith(f"The US Department of State placed {name} on ")
            and f" of the {n_tiers} editions on file" in t
            for t in text
        )
        assert len(table(section, f"tab-{code}-tiers").rows[0]) == n_tiers + 1
        mine = recs[recs["jurisdiction"] == code]
        top = int(mine["top_priority"].astype(bool).sum())
        more = (
            f"; the other {len(mine) - top} are listed in {outline.ref('recommendations')}"
            if len(mine) > top
            else ""
        )
        assert (
            f"The top priorities for {name}, each with the evidence rows it rests on{more}."
        ) in text
        lists = [b for b in section.blocks if b.kind == "list" and b.style == "recs"]
        assert len(lists) == 1 and len(lists[0].items) == top
        summary = facts.t["data_gap_summary"]
        gap = summary[summary["jurisdiction"] == code].iloc[0]
        assert any(
            t.startswith(f"{name} leaves {pct(gap['share_not_reported'])} of the indicator")
            and f" of {len(summary)} from the widest data gap" in t
            # the share <5 is the source's own: the report shows more cells as <5 than that
            and f"{pct(gap['share_suppressed'])} of the cells it reports come from its own files"
            in t
            for t in text
        )
        for t in texts(section):
            # the prose names no file or folder of the pipeline
            assert "data/reference" not in t and "_ct_mechanisms.yaml" not in t, t


def test_kosovo_carries_its_footnote_and_albania_does_not(bundled):
    facts, _, chapters = bundled
    footnote = facts.region.member("XKX").footnote
    assert footnote
    kosovo = chapters["XKX"]
    assert notes(kosovo, "footnote") == [f"* {footnote}"]
    assert kosovo.blocks[0].kind == "note"  # right after the title
    assert notes(chapters["ALB"], "footnote") == []
    for code, section in chapters.items():
        assert bool(notes(section, "footnote")) == (code in facts.region.footnotes)


# --- small hand-made frames -----------------------------------------------------------------


def test_a_member_with_a_few_figures_and_nothing_else():
    h = harmonised(
        [
            row("ALB", 2018, 40),
            row("ALB", 2020, 50),
            row("ALB", 2020, 30, sex="female"),
            row("ALB", 2020, 20, sex="male"),
            row("ALB", 2020, "<5", indicator="persons_convicted"),
        ]
    )
    facts = Facts({"harmonised_statistics": h}, dict(PROVENANCE))
    outline = report_outline(facts.region)
    section = jurisdiction.build(facts, outline.chapter("ALB"), outline)
    text = paragraphs(section)
    assert text[0] == "Albania reported statistics for 2018, 2020 (no figures for 2019)."
    assert text[1] == "In 2020, its latest year, it detected 50 victims."
    key = table(section, "tab-ALB-key")
    assert key.columns == ["Indicator", "2018", "2020"]
    assert [c.text for c in key.rows[0]] == ["Victims detected", "40", "50"]
    assert [c.text for c in key.rows[3]] == ["Persons convicted", "–", "<5"]
    breakdown = table(section, "tab-ALB-breakdown")
    assert [[c.text for c in r] for r in breakdown.rows] == [
        ["Total", "", "50", "100%"],
        ["Sex", "Female", "30", "60%"],
        ["Sex", "Male", "20", "40%"],
    ]
    assert [f.key for f in section.walk("figure")] == ["fig-ALB-series"]
    assert notes(section, "empty") == [
        "No assessment of Albania's mechanisms in this run.",
        "No checklist assessment for Albania in this run.",
        "No data gaps can be measured for Albania in this run.",
        "No US TIP tiers in this run.",
        "No recommendation for Albania in this run.",
    ]
    # no domain scores: no pointer to a regional chart that would not exist
    assert not any(t.startswith("Figure ") for t in text)


def test_empty_tables_say_so():
    facts = Facts({"harmonised_statistics": harmonised([])}, dict(PROVENANCE))
    outline = report_outline(facts.region)
    section = jurisdiction.build(facts, outline.chapter("MNE"), outline)
    assert paragraphs(section) == ["The warehouse holds no statistics for Montenegro."]
    assert section.walk("table") == [] and section.walk("figure") == []
    assert notes(section, "empty")[:2] == [
        "No figures for Montenegro in this run.",
        "No series for Montenegro in this run.",
    ]


def test_a_falling_trend_and_a_member_without_tiers():
    facts = Facts({"harmonised_statistics": harmonised([row("SRB", 2020, 10)])}, dict(PROVENANCE))
    facts.t["trend_summary"] = pd.DataFrame(
        [
            {
                "jurisdiction": "SRB",
                "indicator": "victims_detected",
                "direction": "falling",
                "first_year": 2016,
                "last_year": 2020,
                "annual_change_pct": -12.4,
                "slope_ci_low": -0.3,
                "slope_ci_high": -0.02,
                "reason": None,
                "years_window": "2016,2017,2018,2019,2020",
                "years_used": "2016,2017,2019,2020",
            }
        ]
    )
    facts.t["us_tip_tiers"] = pd.DataFrame(
        [
            {
                "jurisdiction": "ALB",
                "report_year": 2024,
                "tier": "Tier 2",
                "tier_inferred": "no",
                "source_url": "https://example.org/alb",
            }
        ]
    )
    outline = report_outline(facts.region)
    section = jurisdiction.build(facts, outline.chapter("SRB"), outline)
    text = paragraphs(section)
    assert (
        "Detected victims were falling over 2016–2020 (−12% a year, interval "
        f"{pct_change(-0.3)} to {pct_change(-0.02)}, the 95% interval of the yearly change)."
    ) in text
    trends = table(section, "tab-SRB-trends")
    assert [c.text for c in trends.rows[0]][:5] == [
        "Victims detected",
        "falling",
        "−12% a year, interval −26% to −2%",
        "2016–2020",
        "2016–2017, 2019–2020",
    ]
    assert "No US TIP report tier is recorded for Serbia." in text
    assert all(t.key != "tab-SRB-tiers" for t in section.walk("table"))


# --- a region of seven members --------------------------------------------------------------


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    folder = tmp_path_factory.mktemp("configs")
    for path in BUNDLED_CONFIG_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    alb = (BUNDLED_CONFIG_DIR / "ALB.yaml").read_text(encoding="utf-8")
    alb = re.sub(r"(?m)^jurisdiction: ALB$", "jurisdiction: QQQ", alb)
    alb = re.sub(r"(?m)^name: Albania$", "name: Quuxland", alb)
    (folder / "QQQ.yaml").write_text(alb, encoding="utf-8")
    region = build_region(folder)
    facts = Facts(build_tables(), dict(PROVENANCE), region)
    outline = report_outline(region)
    return facts, outline, {e.code: jurisdiction.build(facts, e, outline) for e in outline.chapters}


def test_a_seventh_member_without_statistics_gets_a_chapter_in_words(seven):
    facts, outline, chapters = seven
    assert facts.region.size == 7 and "QQQ" in chapters
    entry = outline.chapter("QQQ")
    section = chapters["QQQ"]
    assert section.title == "Quuxland" and section.number == entry.number
    assert section.attrs == {"jurisdiction": "QQQ"}
    assert paragraphs(section)[0] == "The warehouse holds no statistics for Quuxland."
    assert section.walk("figure") == []
    assert notes(section, "footnote") == []
    empty = notes(section, "empty")
    for sentence in (
        "No figures for Quuxland in this run.",
        "No series for Quuxland in this run.",
        "No checklist assessment for Quuxland in this run.",
        "No assessment of Quuxland's mechanisms in this run.",
        "No data gaps can be measured for Quuxland in this run.",
        "No recommendation for Quuxland in this run.",
    ):
        assert sentence in empty
    assert "No US TIP report tier is recorded for Quuxland." in paragraphs(section)
    headings = [b for b in section.blocks if b.kind == "heading" and b.level == 2]
    assert [h.number for h in headings] == [f"{entry.number}.{i}" for i in range(1, len(PARTS) + 1)]


def test_seven_members_are_numbered_in_turn_and_never_called_six(seven):
    facts, outline, chapters = seven
    numbers = [int(outline.chapter(c).number) for c in facts.codes]
    assert numbers == list(range(numbers[0], numbers[0] + 7))
    coop = outline.number("regional-cooperation")
    assert int(coop) == numbers[-1] + 1
    for code, section in chapters.items():
        tables = section.walk("table")
        assert all(t.number.startswith(f"{section.number}.") for t in tables)
        if code != "QQQ":
            assert (
                f"Figure {coop}.1 (section {coop}) compares the domain scores across the region."
            ) in paragraphs(section)
        for t in texts(section):
            assert not re.search(r"\bsix\b", t, re.I), (code, t)
            assert "WB6" not in t, (code, t)


def test_the_cells_a_chapter_shows_are_recorded_for_the_annex(bundled):
    facts, _, chapters = bundled
    # every cell the chapters printed was recorded for the suppression annex
    for code in chapters:
        latest = facts.years_of(code, "victims_detected")[-1]
        assert cell_id(code, latest, "victims_detected") in facts.shown
