"""The methodology section built alone: on the bundled tables with the bundled provenance, on
empty tables, and for a region of seven members."""

from __future__ import annotations

import re

import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, SECONDARY_TEXT
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.report.sections.methodology import build
from wbtip_pipeline.transforms import trends as trend_rules
from wbtip_pipeline.vocab import MIN_SHARED_GAP
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance

SECTION = "methodology"
TITLES = [
    "Sources",
    "Harmonisation",
    f"Counts given as {PRIMARY_TEXT}, and disclosure control",
    "Trends",
    "Mechanism scores",
    "Recommendations",
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


def test_six_numbered_subsections(section_and_facts):
    section, _ = section_and_facts
    number = report_outline()[SECTION].number
    heads = [b for b in section.blocks if b.kind == "heading"]
    assert [h.text for h in heads] == TITLES
    assert [h.number for h in heads] == [f"{number}.{i}" for i in range(1, 7)]
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
    assert "they are listed in Annex A." in text and "Annex A lists the suppressions." in text
    method = str(tables["trend_summary"]["method"].iloc[0])
    assert (
        f"read from its {trend_rules.RECENT_YEARS} most recent reported years: {method}. "
        f"A verdict needs at least {trend_rules.MIN_EXACT_YEARS} exact years"
    ) in text
    assert "where at least 80% of its items are known" in text
    assert f"a gap in at least {MIN_SHARED_GAP} jurisdictions is a shared gap" in text
    assert "its identifier is stable across refreshes." in text


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
