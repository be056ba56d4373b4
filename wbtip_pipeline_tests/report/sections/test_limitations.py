"""The limitations section built alone: its place in the outline, each figure against the
bundled tables (computed again here from the tables, not from the section's helpers), hand-made
tables for the members with sparse or TIP-only statistics and the assessments' sources, empty
tables, and a region of seven."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import REPORT_SECTIONS, report_outline
from wbtip_pipeline.presentation.text import number_word, pct
from wbtip_pipeline.report.document import BUILDERS
from wbtip_pipeline.report.sections import limitations
from wbtip_pipeline.report.sections.limitations import build
from wbtip_pipeline.transforms.trends import compute_trend_summary, compute_trends
from wbtip_pipeline.transforms.triangulation import compute_source_triangulation
from wbtip_pipeline.vocab import DATED_AFTER_YEARS, RECENT_YEARS
from wbtip_pipeline_tests.regions import SEVENTH_NAME, seven_member_region
from wbtip_pipeline_tests.report.sections.test_introduction import CODE, FILE_NAME, SIX, texts
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance
from wbtip_pipeline_tests.test_transforms.frames import harmonised, population, row

SECTION = "limitations"
HEADINGS = ["The statistics", "The assessments of mechanisms", "The recommendations"]
LEADS = [
    "Detected victims are not prevalence.",
    "Two sources, two meanings.",
    "Small counts are ranges.",
    "Absent is not zero.",
    "Sparse series.",
    "Breakdowns that do not add up.",
    "Rates.",
    "Short series.",
    "Assessments rest mostly on one source.",
    "Unknown is not zero.",
    "Dated evidence.",
    "Proposals, not findings.",
]


def built(tables, prov=PROVENANCE, region=None) -> tuple[Section, Facts]:
    f = Facts(tables, prov, region)
    outline = report_outline(f.region)
    return build(f, outline[SECTION], outline), f


def lead(section: Section, text: str) -> str:
    found = [b.text for b in section.blocks if b.kind == "paragraph" and b.lead == text]
    assert len(found) == 1, (text, [b.lead for b in section.blocks])
    return found[0]


@pytest.fixture(scope="module")
def tables():
    return build_tables()


@pytest.fixture(scope="module")
def section_and_facts(tables):
    return built(tables, provenance())


# --- the bundled tables ----------------------------------------------------------------------


def test_its_place_in_the_outline():
    ids = [s[0] for s in REPORT_SECTIONS]
    # after the methodology and the comparison with the TIP reports it qualifies, before the
    # annexes
    assert ids.index(SECTION) == ids.index("source-triangulation") + 1
    assert ids.index(SECTION) < ids.index("data-quality-annex")
    assert BUILDERS[SECTION] is limitations.build
    assert report_outline()[SECTION].kind == "chapter"


def test_headings_and_every_limitation(section_and_facts):
    section, f = section_and_facts
    entry = report_outline(f.region)[SECTION]
    heads = [b for b in section.blocks if b.kind == "heading"]
    assert [h.text for h in heads] == HEADINGS
    assert [h.number for h in heads] == [f"{entry.number}.{i}" for i in range(1, 4)]
    assert [b.lead for b in section.blocks if b.kind == "paragraph" and b.lead] == LEADS
    assert not [b for b in section.blocks if b.kind in ("table", "figure")]


def test_small_counts_match_the_tables(section_and_facts, tables):
    section, f = section_and_facts
    h = tables["harmonised_statistics"]
    small = h[h.value_high < 5]
    from_source = small[small.value_low != small.value_high]
    withheld = [c for c in f.dc.withheld if c[0] in f.codes]
    text = lead(section, "Small counts are ranges.")
    assert (
        f"Of the {len(h):,} figures in the statistics of this edition, {len(small):,} "
        f"({pct(len(small) / len(h))}) are shown as <5, {len(from_source):,} of them because the "
        f"source itself gave no more than that, and a further {len(withheld):,} are withheld as "
        "[c]"
    ) in text
    assert "Annex A lists the withheld cells." in text


def test_absent_and_the_regional_sum(section_and_facts, tables):
    section, f = section_and_facts
    text = lead(section, "Absent is not zero.")
    shares = tables["data_gap_summary"].share_not_reported
    assert f"Between {pct(shares.min())} and {pct(shares.max())} of the combinations" in text
    trends = tables["trends"]
    region = trends[trends.jurisdiction == f.region.code]
    region = region[region.indicator == "victims_detected"]
    full = (region.n_jurisdictions_reporting == len(f.codes)).sum()
    assert f"of the {len(region)} years with a regional count of victims detected" in text
    assert f"every jurisdiction reported in {number_word(int(full))}." in text


def test_kosovo_is_sparse_and_its_figures_are_the_tip_reports(section_and_facts, tables):
    section, f = section_and_facts
    text = lead(section, "Sparse series.")
    h = tables["harmonised_statistics"]
    years = sorted(h[h.jurisdiction == "XKX"].year.unique())
    assert set(h[h.jurisdiction == "XKX"].indicator) == {"victims_detected"}
    assert (
        f"Kosovo*'s statistics cover only victims detected, for {years[0]}–{years[-1]} "
        f"({number_word(len(years))} of the {h.year.max() - h.year.min() + 1} years of the period)"
    ) in text
    assert "Every figure of Kosovo* that a US TIP report also states is the same figure" in text
    st = tables["source_triangulation"]
    kosovo = st[(st.jurisdiction == "XKX") & (st.likely_reason != "no_national_figure")]
    assert len(kosovo) and (kosovo.likely_reason == "figures_agree").all()
    # no other member is named: their series are long enough and differ from the TIP figures
    for code in f.codes:
        if code != "XKX":
            assert f.names.of(code) not in text


def test_tip_figures_breakdowns_and_trends(section_and_facts, tables):
    section, f = section_and_facts
    tip = lead(section, "Two sources, two meanings.")
    assert f"{report_outline().ref('source-triangulation')} sets them side by side" in tip
    distinct = tables["source_triangulation"].drop_duplicates(
        ["jurisdiction", "year", "tip_indicator", "tip_value"]
    )
    assert f"Of the {len(distinct):,} distinct figures the TIP reports state" in tip
    issues = tables["data_quality_issues"].check_name.value_counts()
    parts = lead(section, "Breakdowns that do not add up.")
    assert f"{number_word(int(issues['breakdown_exceeds_total']))} add up to more" in parts
    assert f"{number_word(int(issues['breakdown_below_total']))} to less" in parts
    ts = tables["trend_summary"]
    own = ts[ts.jurisdiction.isin(f.codes)]
    n_verdicts = int((own.direction != "insufficient_data").sum())
    short = lead(section, "Short series.")
    assert f"from the {number_word(RECENT_YEARS)} most recent reported years" in short
    assert f"only {n_verdicts:,} of the {len(own):,} series" in short


def test_rates_name_the_smallest_population(section_and_facts, tables):
    section, f = section_and_facts
    text = lead(section, "Rates.")
    trends = tables["trends"]
    own = trends[trends.jurisdiction.isin(f.codes)].dropna(subset=["population"])
    latest = own.sort_values("year").groupby("jurisdiction").tail(1)
    smallest = latest.sort_values("population").iloc[0]
    assert f"in {f.names.of(smallest.jurisdiction)}, with about" in text
    assert f"each victim adds {100_000 / smallest.population:.2f} per 100,000" in text
    assert "Every year with a count of victims in this edition has a population figure." in text


def test_assessments_match_the_tables(section_and_facts, tables):
    section, f = section_and_facts
    scores = tables["mechanism_scores"]
    known = scores[scores.status == "known"]
    unknown = (scores.status == "unknown").sum()
    text = lead(section, "Unknown is not zero.")
    assert (
        f"Of the {len(scores):,} pairs of jurisdiction and checklist item, {unknown} "
        f"({pct(unknown / len(scores))}) have no assessment"
    ) in text
    ds = tables["mechanism_domain_scores"]
    assert f"Of the {len(ds)} domain scores, {(~ds.rankable.astype(bool)).sum()} rest" in text
    # the sources: every page of a known score graded as the US government's or a copy of it
    sources = tables["evidence_sources"].set_index("url")
    us = set(sources[sources.source_type == "us_government"].publisher)

    def american(url):
        r = sources.loc[url]
        return r.source_type == "us_government" or (
            r.source_type == "mirror" and r.original_publisher in us
        )

    n_us = sum(all(american(u) for u in str(cell).split(" | ")) for cell in known.source_url)
    assert n_us > len(known) / 2  # the premise of the paragraph on the bundled data
    text = lead(section, "Assessments rest mostly on one source.")
    assert (
        f"Of the {len(known)} item scores on file, {n_us} ({pct(n_us / len(known))}) rest only on "
        "the US Department of State's Trafficking in Persons reports"
    ) in text
    last = int(tables["harmonised_statistics"].year.max())
    dated = int((known.year.astype(int) < last - DATED_AFTER_YEARS).sum())
    text = lead(section, "Dated evidence.")
    assert f"Of the {len(known)} item scores, {number_word(dated)} rest on evidence from " in text
    assert f"from {last - DATED_AFTER_YEARS - 1} or earlier" in text


def test_an_analysts_prose(section_and_facts):
    section, _ = section_and_facts
    text = " ".join(texts(section))
    assert not CODE.search(text), CODE.search(text)
    assert not FILE_NAME.search(text), FILE_NAME.search(text)
    assert not SIX.search(text), SIX.search(text)
    assert "XKX" not in text and "test-run-0001" not in text
    for code in (
        "figures_agree",
        "breakdown_exceeds_total",
        "us_government",
        "None(?! has)",
        "nan",
    ):
        assert not re.search(rf"\b{code}\b", text), code


# --- hand-made tables ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    """Albania: victims detected 2015-2020 (one year <5, one breakdown); Bosnia and
    Herzegovina: victims 2019-2020 only, each the figure a TIP report states; two checklist
    scores of Albania, one read from a copy of the State Department's report, one from an NGO,
    and one item unknown."""
    values = [20, 25, "<5", 30, 28, 35]
    rows = [row("ALB", 2015 + i, v) for i, v in enumerate(values)]
    rows += [row("ALB", 2020, 20, sex="female"), row("ALB", 2020, 15, sex="male")]
    rows += [row("BIH", 2019, 12), row("BIH", 2020, 14)]
    h = harmonised(rows)
    pop = population({(c, y): 2_000_000 for c in ("ALB", "BIH") for y in range(2015, 2021)})
    trends = compute_trends(h, pop)
    tip = pd.DataFrame(
        [
            ("BIH", 2020, 2019, "victims_identified", 12),
            ("BIH", 2021, 2020, "victims_identified", 14),
            ("ALB", 2021, 2020, "victims_identified", 60),
        ],
        columns=["jurisdiction", "report_year", "reference_year", "indicator", "value"],
    ).assign(qualifier=None, quote="identified victims", source_url="https://www.state.gov/x")
    copy, ngo = "https://mirror.example/tip", "https://ngo.example/report"
    scores = pd.DataFrame(
        [
            ("ALB", "CT-01", "coordination", "known", 1, 2020, copy),
            ("ALB", "CT-02", "coordination", "known", 2, 2012, ngo),
            ("ALB", "CT-03", "coordination", "unknown", None, None, None),
        ],
        columns=["jurisdiction", "item_id", "domain", "status", "score", "year", "source_url"],
    )
    sources = pd.DataFrame(
        [
            ("https://www.state.gov/x", "US Department of State", "us_government", None, 3),
            (copy, "A mirror", "mirror", "US Department of State", 1),
            (ngo, "An NGO", "ngo", None, 1),
        ],
        columns=["url", "publisher", "source_type", "original_publisher", "n_statements"],
    )
    return {
        "harmonised_statistics": h,
        "trends": trends,
        "trend_summary": compute_trend_summary(trends),
        "source_triangulation": compute_source_triangulation(h, tip),
        "mechanism_scores": scores,
        "evidence_sources": sources,
    }


def test_small_frames(small):
    section, f = built(small)
    text = lead(section, "Small counts are ranges.")
    assert "Of the ten figures in the statistics of this edition, one (10%) is shown as <5" in text
    sparse = lead(section, "Sparse series.")
    assert "Albania's statistics cover only victims detected, for 2015–2020." in sparse
    assert (
        "Bosnia and Herzegovina's statistics cover only victims detected, for 2019–2020" in sparse
    )
    assert "Kosovo* has sent no statistics for this edition." in sparse
    # Bosnia and Herzegovina's figures are the TIP report's; Albania's differ from it
    assert "Every figure of Bosnia and Herzegovina that a US TIP report also states" in sparse
    assert "Every figure of Albania" not in sparse
    assert "Bosnia and Herzegovina counts in the regional sums only in the years reported" in sparse
    tip = lead(section, "Two sources, two meanings.")
    assert "Of the three distinct figures the TIP reports state for the jurisdictions, three" in tip
    assert "and two of those agree" in tip
    source = lead(section, "Assessments rest mostly on one source.")
    assert "Of the two item scores on file, one (50%) rests only on the US Department" in source
    unknown = lead(section, "Unknown is not zero.")
    assert unknown.startswith("Of the three pairs of jurisdiction and checklist item, one (33%)")
    assert "domain scores" not in unknown  # no domain table in this run
    dated = lead(section, "Dated evidence.")
    assert "Of the two item scores, one rests on evidence from 2014 or earlier" in dated
    region = lead(section, "Absent is not zero.")
    assert "every jurisdiction reported in none." in region
    assert "None has yet been discussed at a validation workshop" in lead(
        section, "Proposals, not findings."
    )


def test_empty_tables(tables):
    empty = {k: v.iloc[0:0] for k, v in tables.items()}
    section, _ = built(empty)
    leads = [b.lead for b in section.blocks if b.kind == "paragraph" and b.lead]
    # what cannot be measured is not claimed; what holds of any data is still said
    assert "Detected victims are not prevalence." in leads and "Rates." in leads
    for absent in ("Small counts are ranges.", "Two sources, two meanings.", "Short series."):
        assert absent not in leads
    text = " ".join(texts(section))
    assert "No checklist assessments are available in this run." in text
    assert "nan" not in text and "None " not in text.replace("None has", "")


def test_a_region_of_seven(tables, tmp_path):
    region = seven_member_region(tmp_path)
    section, f = built(tables, provenance(), region)
    sparse = lead(section, "Sparse series.")
    assert f"{SEVENTH_NAME} has sent no statistics for this edition." in sparse
    text = " ".join(texts(section))
    assert not SIX.search(text), SIX.search(text)
    # tables built for six have no rows under the code of the seven: no regional years claimed
    assert "regional count" not in lead(section, "Absent is not zero.")
