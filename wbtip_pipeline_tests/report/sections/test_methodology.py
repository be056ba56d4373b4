"""The methodology section built alone: on the bundled tables with the bundled provenance, on
empty tables, and for a region of seven members. Its plain-words part quotes every threshold
from its constant and every example from the tables; its technical notes keep the prose of the
section it replaced."""

from __future__ import annotations

import re

import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, SECONDARY_TEXT
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import DIRECTION_LABELS
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.report.sections.methodology import SOURCE_TYPE_LABELS, TECHNICAL, build
from wbtip_pipeline.transforms import trends as trend_rules
from wbtip_pipeline.transforms.recommendations import DATED_FACTOR, RECENCY_HALF_LIFE_YEARS
from wbtip_pipeline.vocab import (
    DATED_AFTER_YEARS,
    MIN_SHARED_GAP,
    SCORE_MEANINGS,
    SOURCE_TYPES,
    STABLE_BAND,
    TOP_PRIORITIES,
)
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance

SECTION = "methodology"
TITLES = [
    "Where the figures come from",
    "What is counted",
    f"Small numbers: {PRIMARY_TEXT} and {SECONDARY_TEXT}",
    "Rates per 100,000 inhabitants",
    "How a trend is read",
    "How the mechanisms are scored",
    "How the evidence is graded and dated",
    "How recommendations are prioritised",
    TECHNICAL,
]
NOTES = [
    "Harmonisation",
    "Disclosure control",
    "Trend model",
    "Mechanism scores",
    "Recommendation priorities",
]
FILE_NAME = re.compile(r"\w\.(csv|ya?ml|xlsx|json)\b|data/|published/")


def texts(section: Section) -> list[str]:
    out = []
    for b in section.blocks:
        if b.kind in ("heading", "paragraph", "note"):
            out.append(b.text)
        elif b.kind == "list":
            out += [i.text for i in b.items]
    return out


def built(tables, prov=PROVENANCE, region=None) -> tuple[Section, Facts]:
    f = Facts(tables, prov, region)
    outline = report_outline(f.region)
    return build(f, outline[SECTION], outline), f


@pytest.fixture(scope="module")
def tables():
    return build_tables()


@pytest.fixture(scope="module")
def section_and_facts(tables):
    return built(tables, provenance())


def test_plain_parts_then_technical_notes(section_and_facts):
    section, _ = section_and_facts
    number = report_outline()[SECTION].number
    heads = [b for b in section.blocks if b.kind == "heading" and b.level == 2]
    assert [h.text for h in heads] == TITLES
    assert [h.number for h in heads] == [f"{number}.{i}" for i in range(1, len(TITLES) + 1)]
    notes = [b for b in section.blocks if b.kind == "heading" and b.level == 3]
    assert [h.text for h in notes] == NOTES
    # the notes for reviewers come last, under their own numbered heading
    first_note = section.blocks.index(notes[0])
    assert section.blocks.index(heads[-1]) < first_note
    assert not [b for b in section.blocks[first_note:] if b.kind == "heading" and b.level == 2]
    assert not [b for b in section.blocks if b.kind in ("table", "figure")]


def test_sources_per_member_without_file_names(section_and_facts):
    section, f = section_and_facts
    files = sorted(provenance()["source_files"])
    lines = next(b for b in section.blocks if b.kind == "list").items
    assert len(lines) == len(f.codes)
    albania = lines[0].text
    n_alb = len([n for n in files if n.startswith("alb_")])
    assert albania == f"Albania: {n_alb} files, statistics for {min(f.years_of('ALB'))}–2021"
    assert lines[f.codes.index("BIH")].text.startswith("Bosnia and Herzegovina: two files,")
    assert lines[f.codes.index("XKX")].text.startswith("Kosovo*: ")
    assert "2018–2020" in lines[f.codes.index("XKX")].text
    text = " ".join(texts(section))
    assert not FILE_NAME.search(text), FILE_NAME.search(text)
    assert "(four files, with their SHA-256 in Annex B)" in text  # the reference files


def test_the_prose_of_the_old_section(section_and_facts, tables):
    section, _ = section_and_facts
    text = " ".join(texts(section))
    assert "XKX" not in text and "Kosovo:" not in text
    assert (
        "Country names become ISO 3166-1 alpha-3 codes (user-assigned codes where ISO has none)."
        in text
    )
    assert "five indicators (victims detected, persons in formal contact" in text
    assert "age (children (0-17), adults (18+))" in text
    assert f"A source's {PRIMARY_TEXT} is kept as the interval from 0 to 4." in text
    assert f"shown as {SECONDARY_TEXT}" in text
    assert "or the jurisdictions with the regional sum) allows it" in text
    assert "the region's figure rather than a jurisdiction's own total" in text
    assert "they are listed in Annex A." in text and "Annex A lists the suppressions." in text
    # the method as trend_summary states it, its verdicts in the report's words, not its codes
    method = str(tables["trend_summary"]["method"].iloc[0])
    assert "no_clear_trend" in method and "insufficient_data" in method
    method = method.replace("no_clear_trend", "no clear trend")
    method = method.replace("insufficient_data", "cannot tell")
    assert (
        f"read from its {trend_rules.RECENT_YEARS} most recent reported years: {method}. "
        f"A verdict needs at least {trend_rules.MIN_EXACT_YEARS} exact years"
    ) in text
    assert "no_clear_trend" not in text and "insufficient_data" not in text
    assert "where at least 80% of its items are known" in text
    assert f"a gap in at least {MIN_SHARED_GAP} jurisdictions is a shared gap" in text
    assert f"in at least {number_word(MIN_SHARED_GAP)} jurisdictions is a shared gap" in text
    assert "its identifier is stable across refreshes." in text
    # the priority weights, from their constants
    assert f"half the weight for every {number_word(RECENCY_HALF_LIFE_YEARS)} years behind" in text
    assert ("half again for dated" if DATED_FACTOR == 0.5 else "again for dated") in text
    assert "a copy of another publisher's document 0.7, a site no one has identified 0.5." in text


def paragraphs_under(section: Section, title: str) -> str:
    out, inside = [], False
    for b in section.blocks:
        if b.kind == "heading" and b.level == 2:
            inside = b.text == title
        elif inside and b.kind in ("paragraph", "note"):
            out.append(b.text)
        elif inside and b.kind == "list":
            out += [i.text for i in b.items]
    return " ".join(out)


def test_plain_words_for_small_numbers_rates_and_prevalence(section_and_facts, tables):
    section, f = section_and_facts
    counted = paragraphs_under(section, "What is counted")
    assert "A detected victim is a person whom" in counted
    assert "not how many people were trafficked" in counted
    small = paragraphs_under(section, TITLES[2])
    assert f"A count below five is never printed. It is shown as {PRIMARY_TEXT}" in small
    assert "any number from 0 to 4" in small
    assert f"{SECONDARY_TEXT} marks a figure that is large enough to print but is withheld" in small
    rates = paragraphs_under(section, "Rates per 100,000 inhabitants")
    assert "the population of the same year" in rates
    # the example is Albania's latest published count and the rate the trends table gives
    t = tables["trends"]
    alb = t[(t.jurisdiction == "ALB") & (t.indicator == "victims_detected")].sort_values("year")
    last = alb.iloc[-1]
    assert last.value_low == last.value_high >= 5
    assert (
        f"Albania's {int(last.value_low)} victims detected in {int(last.year)}, in a population of "
        f"{last.population / 1e6:.1f} million, make {last.rate_per_100k_low:.2f} per 100,000"
    ) in rates


def test_trend_verdicts_from_the_constants(section_and_facts, tables):
    section, f = section_and_facts
    text = paragraphs_under(section, "How a trend is read")
    band = f"±{STABLE_BAND:.0%} a year"
    assert f"takes the {number_word(trend_rules.RECENT_YEARS)} most recent years" in text
    assert f"{DIRECTION_LABELS['rising'].capitalize()} or falling: the whole interval lies" in text
    assert f"Stable: the whole interval lies within {band}" in text
    assert f"No clear trend: the interval includes zero but reaches beyond {band}" in text
    assert (
        f"Cannot tell: fewer than {number_word(trend_rules.MIN_EXACT_YEARS)} years with an exact "
        f"count, more than {number_word(trend_rules.MAX_SUPPRESSED_YEARS)} year given only as"
    ) in text
    # the example is a verdict of the trend_summary table, printed with its estimate
    ts = tables["trend_summary"]
    row = ts[(ts.jurisdiction == "ALB") & (ts.indicator == "victims_detected")].iloc[0]
    assert f"victims detected in Albania over {row.first_year}–{row.last_year} show " in text
    assert f"{DIRECTION_LABELS[row.direction]}: " in text


def test_scores_evidence_and_priorities_in_plain_words(section_and_facts, tables):
    section, f = section_and_facts
    scores = paragraphs_under(section, "How the mechanisms are scored")
    meanings = [f"{s} ({m})" for s, m in SCORE_MEANINGS.items()]
    assert f"{meanings[0]}, {meanings[1]} or {meanings[2]}" in scores
    assert "never scored 0" in scores
    evidence = paragraphs_under(section, "How the evidence is graded and dated")
    counts = tables["evidence_sources"].groupby("source_type").n_statements.sum()
    for kind in SOURCE_TYPES:
        label = SOURCE_TYPE_LABELS[kind]
        label = label[:1].upper() + label[1:]
        n = int(counts.get(kind, 0))
        tail = f"({n:,} statement{'s' if n != 1 else ''})" if n else "(none in this"
        assert f"{label} {tail}" in evidence, kind
    cutoff = int(tables["harmonised_statistics"].year.max()) - DATED_AFTER_YEARS - 1
    assert f'("dated: {cutoff}")' in evidence
    priorities = paragraphs_under(section, "How recommendations are prioritised")
    assert f"The top {number_word(TOP_PRIORITIES)} of each jurisdiction" in priorities


def test_empty_tables_and_no_provenance(tables):
    empty = {k: v.iloc[0:0] for k, v in tables.items()}
    section, f = built(empty)
    lines = next(b for b in section.blocks if b.kind == "list").items
    assert [i.text for i in lines] == [f"{f.names.of(c)}: no files, no statistics" for c in f.codes]
    text = " ".join(texts(section))
    assert "most recent reported years. A verdict" in text  # no method: no dangling colon
    # no reference files: the sentence ends without a count of them
    assert f"never merged with them, in {report_outline().ref('source-triangulation')})." in text


def test_a_seventh_member(tables, tmp_path):
    region = seven_member_region(tmp_path)
    section, f = built(tables, provenance(), region)
    lines = [i.text for i in next(b for b in section.blocks if b.kind == "list").items]
    assert len(lines) == 7
    assert lines[-1] == "Quuxland: no files, no statistics"
    text = " ".join(texts(section))
    assert not re.search(r"\bsix\b|\bWB6\b", text, re.I)
