"""One definition per figure (issue 14, items 5 and 7): on the bundled tables the report (summary,
chapters, regional overview, cooperation, recommendations) and the workshop pack (slides and
briefs, built as documents, not rendered) print the same number for each figure they share; a
breakdown adding up to more than its total gives no share anywhere, and says so; a domain score
resting on few items says how few, wherever it is shown."""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import Numbering, Table
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import URGENCY_LABELS
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.presentation.text import pct
from wbtip_pipeline.report.sections import (
    cooperation,
    jurisdiction,
    recommendations,
    regional,
    summary,
)
from wbtip_pipeline.vocab import MIN_DOMAIN_ITEMS, RANKABLE_COVERAGE, REGIONAL, URGENCIES
from wbtip_pipeline.workshop.briefs import build_brief
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.slides import build_slides
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables
from wbtip_pipeline_tests.test_transforms.frames import harmonised, row

LATEST_REPORT = re.compile(r"In (\d{4}), its latest year, it detected (.+?)(?: \((.+)\))?\.$")
LATEST_PACK = re.compile(r"In (\d{4}), its latest year, (.+?) were detected(?: \((.+)\))?\.")


def texts(value) -> list[str]:
    """Every string of a section or document, its blocks and cells walked."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in texts(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in texts(getattr(value, f.name))]
    return []


def tables_in(value) -> list[Table]:
    if isinstance(value, Table):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tables_in(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in tables_in(getattr(value, f.name))]
    return []


def table(value, key: str) -> Table:
    found = [t for t in tables_in(value) if t.key == key]
    assert len(found) == 1, (key, [t.key for t in tables_in(value)])
    return found[0]


def cells(t: Table) -> list[list[str]]:
    return [[c.text for c in r] for r in t.rows]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables()


@pytest.fixture(scope="module")
def report(tables):
    f = Facts(tables, PROVENANCE)
    outline = report_outline(f.region)
    return SimpleNamespace(
        f=f,
        summary=summary.build(f, outline["executive-summary"], outline),
        cover=summary.cover_figures(f),
        regional=regional.build(f, outline["regional-overview"], outline),
        recommendations=recommendations.build(f, outline["recommendations"], outline),
        chapters={c: jurisdiction.build(f, outline.chapter(c), outline) for c in f.codes},
        heatmap=cooperation.domain_chart(f, Numbering("9")),
    )


@pytest.fixture(scope="module")
def pack(tables):
    facts = PackFacts(tables)
    deck = build_slides(facts)
    return SimpleNamespace(
        facts=facts,
        deck=deck,
        slides={s.title: s for s in deck.sections},
        briefs={code: build_brief(facts, code) for code in facts.codes},
    )


# --- 5. a verdict always comes with its estimate, the same everywhere --------------------------


def test_verdicts_and_estimates_are_the_same_in_chapters_slides_and_briefs(report, pack):
    for code in report.f.codes:
        name = report.f.names.of(code)
        chapter = [r[1:3] for r in cells(table(report.chapters[code], f"tab-{code}-trends"))]
        slide = [r[1:3] for r in cells(table(pack.slides[name], f"trends-{code}"))]
        # the chapter marks an absent estimate with a dash, the pack leaves it empty
        assert [[v, "" if e == "–" else e] for v, e in chapter] == slide
        # the brief's narrative gives the verdict on detected victims with its estimate
        said = " ".join(texts(pack.briefs[code].cover))
        verdict, estimate = chapter[0]
        assert (f"{verdict} ({estimate})" if estimate != "–" else verdict) in said, said
        for verdict, estimate in slide:
            if verdict != "cannot tell":
                assert re.fullmatch(r"[+−]\S+% a year, interval [+−]\S+% to [+−]\S+%", estimate)


def test_the_victims_verdict_in_the_summary_the_chapter_and_the_regional_slide(report, pack):
    sentence = next(t for t in texts(report.summary) if "most recent reported years" in t)
    slide = next(s for s in pack.deck.sections if s.title.endswith("victims detected"))
    regional = {r[0]: r[-1] for r in cells(tables_in(slide)[0])}
    for code in report.f.codes:
        v = figures.verdict_of(report.f, code)
        name = report.f.names.of(code)
        assert regional[name] == v["text"]
        intro = " ".join(texts(report.chapters[code]))
        if v["estimate"]:
            assert f"{name} ({v['estimate']})" in sentence
            assert f"Detected victims {v['phrase']} over {v['window']} ({v['estimate']}" in intro
    # Serbia's rise of 19% a year is too uncertain to be a direction, and never "stable"
    serbia = "no clear trend (+19% a year, interval −0.2% to +42%)"
    assert regional["Serbia"] == serbia
    assert "showed no clear trend in Albania" in sentence and "stable" not in sentence


# --- 7a. one definition per figure --------------------------------------------------------------


def test_latest_year_and_victims_are_the_same_in_chapter_slide_and_brief(report, pack):
    for code in report.f.codes:
        name = report.f.names.of(code)
        chapter = [m for t in texts(report.chapters[code]) if (m := LATEST_REPORT.match(t))]
        slide = [m for t in texts(pack.slides[name]) if (m := LATEST_PACK.match(t))]
        brief = [m for t in texts(pack.briefs[code].cover) if (m := LATEST_PACK.match(t))]
        assert len(chapter) == len(slide) == len(brief) == 1, name
        assert chapter[0].groups() == slide[0].groups() == brief[0].groups()
        latest = figures.latest_victims(report.f, code)
        assert chapter[0].groups() == (
            str(latest["year"]),
            latest["words"],
            latest["rate"] and f"{latest['rate']} per 100,000 inhabitants",
        )


def test_share_not_reported_is_one_figure_in_summary_chapters_and_slides(report, pack, tables):
    gaps = tables["data_gap_summary"].set_index("jurisdiction")
    on_slide = {  # each member's first slide says it
        name: m.group(1)
        for name in (report.f.names.of(c) for c in report.f.codes)
        for t in texts(pack.slides[name])
        if (m := re.match(r"Data not reported: (\S+) of indicator", t))
    }
    for code in report.f.codes:
        name = report.f.names.of(code)
        expected = pct(float(gaps.loc[code, "share_not_reported"]))
        chapter = next(t for t in texts(report.chapters[code]) if " from the widest data gap" in t)
        assert chapter.startswith(f"{name} leaves {expected} of the indicator"), chapter
        assert on_slide[name] == expected
    worst = gaps["rank_worst_first"].idxmin()
    said = " ".join(texts(report.summary))
    expected = pct(float(gaps.loc[worst, "share_not_reported"]))
    assert f"{report.f.names.of(worst)} reports the least ({expected} of indicator" in said


def test_counts_of_recommendations_are_the_same_in_report_and_pack(report, pack, tables):
    recs = tables["recommendations"]
    total, urgent = len(recs), int((recs["urgency"] == "urge").sum())
    top = int(recs["top_priority"].astype(bool).sum())
    big = [k for k in report.cover.figures if not k.count][0]
    assert (big.big, big.small.split(",")[1]) == (f"{total:,}", f" {urgent} of them urgent")
    assert any(
        t.startswith(f"{total} recommendations, {top} of them among the top priorities")
        for t in texts(report.recommendations)
    )
    assert f"· {total} recommendations to validate" in " ".join(texts(pack.deck.cover))
    overview = pack.slides["Recommendations to validate"]
    assert any(
        t.startswith(f"{total} recommendations, each with a stable id") for t in texts(overview)
    )
    # per member and urgency: the slide's overview, the report's headings, the brief's title
    on_slide = {r[0]: r[1 : 1 + len(URGENCIES)] for r in cells(tables_in(overview)[0])}
    in_report: dict[str, list[str]] = {}
    urgency_of = {label: u for u, label in URGENCY_LABELS.items()}
    member = None
    for b in report.recommendations.walk("heading"):
        if b.level == 2:
            member = b.text
            in_report[member] = ["0"] * len(URGENCIES)
        else:
            label, n = re.fullmatch(r"(.+) \((\d+)\)", b.text).groups()
            in_report[member][URGENCIES.index(urgency_of[label])] = n
    for code in [*report.f.codes, REGIONAL]:
        name = report.f.names.of(code)
        mine = recs[recs["jurisdiction"] == code]
        counts = [str(int((mine["urgency"] == u).sum())) for u in URGENCIES]
        assert on_slide[name] == in_report[name] == counts
        if code != REGIONAL:
            title = pack.briefs[code].sections[1].title
            assert title.endswith(f"({len(mine)})") or title.endswith(f"of {len(mine)}")


def test_checklist_gap_counts_are_the_same_on_slide_and_brief(report, pack, tables):
    gaps = tables["mechanism_gaps"]
    for code in report.f.codes:
        name = report.f.names.of(code)
        on_slide = [t for t in texts(pack.slides[name]) if t.startswith("All checklist items:")]
        in_brief = [t for t in texts(pack.briefs[code]) if t.startswith("All checklist items:")]
        assert on_slide == in_brief and len(on_slide) == 1
        n = int(((gaps["jurisdiction"] == code) & (gaps["gap_type"] == "not_met")).sum())
        assert (f"{n} not met" in on_slide[0]) == (n > 0)


def test_domain_scores_are_the_same_in_chapter_and_brief(report, pack):
    for code in report.f.codes:
        chapter = table(report.chapters[code], f"tab-{code}-domains")
        brief = table(pack.briefs[code], f"domains-{code}")
        c_rows = {r[0]: (r[chapter.columns.index("Mean score")], r[-1]) for r in cells(chapter)}
        b_rows = {r[0]: (r[brief.columns.index("Mean score")], r[-1]) for r in cells(brief)}
        assert c_rows == b_rows


# --- 7b. a breakdown exceeding its total gives no share -------------------------------------------


def test_the_flagged_breakdowns_are_those_of_data_quality_issues(report, tables):
    dq = tables["data_quality_issues"]
    flagged = set()
    for r in dq[dq["check_name"] == "breakdown_exceeds_total"].itertuples(index=False):
        indicator, year, breakdown = re.match(
            r"(\w+) (\d{4}): the (\w+) breakdown", r.message
        ).groups()
        flagged.add((r.jurisdiction, int(year), indicator, breakdown))
    assert flagged and figures.exceeding(report.f) == flagged


def test_serbia_2021_sex_breakdown_is_never_used_for_shares(report, tables):
    # female 37 + male 24 against a total of 46 (data_quality_issues: breakdown_exceeds_total)
    assert figures.exceeds_total(report.f, "SRB", 2021, "sex")
    words = "Serbia 2021 (the sex breakdown adds up to more than the total)"
    breakdown = table(report.chapters["SRB"], "tab-SRB-breakdown")
    assert breakdown.columns[-1] == "Share" and words in breakdown.note
    for group, _, _, share in cells(breakdown)[1:]:
        assert (share == "not used") == (group == "Sex")
    profile = table(report.regional, "tab-profile")
    assert words in profile.note
    said = " ".join(texts(report.summary))
    assert "Serbia's sex breakdown, which adds up to more than its total, is left out" in said
    pooled = report.f.summary_facts()["profile"]
    assert "SRB" not in pooled["female"]["jurisdictions"]
    assert "SRB" in pooled["child"]["jurisdictions"]  # its age breakdown is consistent
    t = tables["trends"]
    srb = t[(t.jurisdiction == "SRB") & (t.year == 2021) & (t.indicator == "victims_detected")]
    assert srb["female_share_low"].isna().all() and srb["child_share_low"].notna().all()


def test_a_hand_made_breakdown_exceeding_its_total_gives_no_share():
    h = harmonised(
        [
            row("ALB", 2020, 50),
            row("ALB", 2020, 30, sex="female"),
            row("ALB", 2020, 25, sex="male"),
            row("ALB", 2020, 10, age="child"),
        ]
    )
    f = Facts({"harmonised_statistics": h}, dict(PROVENANCE))
    outline = report_outline(f.region)
    section = jurisdiction.build(f, outline.chapter("ALB"), outline)
    t = table(section, "tab-ALB-breakdown")
    assert cells(t) == [
        ["Total", "", "50", "100%"],
        ["Sex", "Female", "30", "not used"],
        ["Sex", "Male", "25", "not used"],
        ["Age", "Children (0-17)", "10", "20%"],
    ]
    assert "Not used for shares: Albania 2020 (the sex breakdown adds up to more than" in t.note


# --- 7c. a domain score resting on few items says how few --------------------------------------


def test_thin_domain_scores_say_how_few_items_they_rest_on(report, pack, tables):
    ds = tables["mechanism_domain_scores"]
    slide = next(s for s in pack.deck.sections if s.title.endswith("mechanisms by domain"))
    slide_svg = slide.walk("figure")[0].chart.svg  # the deck's grid of scores
    thin_seen = 0
    for r in ds.itertuples(index=False):
        thin = r.n_known < MIN_DOMAIN_ITEMS or r.n_known / r.n_items < RANKABLE_COVERAGE
        thin_seen += thin
        long, short = (
            f"({r.n_known} of {r.n_items} items known)",
            f"({r.n_known} of {r.n_items} known)",
        )
        chapter = {
            c[0]: c
            for c in cells(table(report.chapters[r.jurisdiction], f"tab-{r.jurisdiction}-domains"))
        }
        brief = {
            c[0]: c for c in cells(table(pack.briefs[r.jurisdiction], f"domains-{r.jurisdiction}"))
        }
        assert (long in chapter[r.domain][6]) == thin
        assert (long in brief[r.domain][3]) == thin
        if thin:
            assert short in slide_svg
    assert thin_seen  # the bundled data has them: one-item domains, protection, justice
    svg = report.heatmap.chart.svg
    assert "(1 of 1 known)" in svg and "(3 of 7 known)" in svg
