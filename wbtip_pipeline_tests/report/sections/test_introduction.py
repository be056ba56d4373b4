"""The introduction built alone: its place in the outline, its figures against the bundled
tables, its guide to the report against the outline, empty tables, and a region of seven."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import REPORT_SECTIONS, report_outline
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.region import Region
from wbtip_pipeline.report.document import BUILDERS
from wbtip_pipeline.report.sections import introduction
from wbtip_pipeline.report.sections.introduction import INSTRUMENTS, build
from wbtip_pipeline.vocab import INDICATORS
from wbtip_pipeline_tests.regions import SEVENTH_NAME, seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance
from wbtip_pipeline_tests.test_transforms.frames import harmonised, row

SECTION = "introduction"
HEADINGS = [
    "Purpose",
    "Scope",
    "The 2014 needs assessment as the baseline",
    "How to read this report",
]
# what must never reach the prose: a checklist code, a file name, a run id, the region's size
CODE = re.compile(r"\bCT-\d+\b")
FILE_NAME = re.compile(r"\w\.(csv|ya?ml|xlsx|json|sqlite)\b|data/|published/")
SIX = re.compile(r"\bsix\b|\bWB\d+\b", re.IGNORECASE)


def texts(section: Section) -> list[str]:
    out = []
    for b in section.blocks:
        if b.kind in ("heading", "paragraph", "note"):
            out.append(f"{getattr(b, 'lead', '')} {b.text}".strip())
        elif b.kind == "list":
            out += [f"{i.head} {i.text}".strip() for i in b.items]
    return out


def paragraphs_after(section: Section, heading: str) -> list[str]:
    out, inside = [], False
    for b in section.blocks:
        if b.kind == "heading":
            inside = b.text == heading
        elif inside and b.kind == "paragraph":
            out.append(b.text)
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


def test_the_chapter_after_the_executive_summary():
    ids = [s[0] for s in REPORT_SECTIONS]
    assert ids.index(SECTION) == ids.index("executive-summary") + 1
    assert BUILDERS[SECTION] is introduction.build
    outline = report_outline()
    assert outline[SECTION].number == "2" and outline[SECTION].kind == "chapter"
    # the chapters after it moved on by one, the annexes kept their letters
    assert outline["regional-overview"].number == "3"
    assert outline.chapters[0].number == "4"
    assert outline.ref("provenance") == "Annex B"


def test_numbered_headings_and_no_tables(section_and_facts):
    section, f = section_and_facts
    entry = report_outline(f.region)[SECTION]
    assert (section.number, section.title) == (entry.number, entry.heading)
    heads = [b for b in section.blocks if b.kind == "heading"]
    assert [h.text for h in heads] == HEADINGS
    assert [h.number for h in heads] == [f"{entry.number}.{i}" for i in range(1, 5)]
    assert not [b for b in section.blocks if b.kind in ("table", "figure")]


def test_scope_from_the_tables(section_and_facts, tables):
    section, f = section_and_facts
    scope = " ".join(paragraphs_after(section, "Scope"))
    h = tables["harmonised_statistics"]
    assert f"The report covers the {f.region.name}: {f.names.list(f.codes)}." in scope
    assert f"run from {int(h.year.min())} to {int(h.year.max())}" in scope
    assert f"They cover {number_word(len(INDICATORS))} indicators (victims detected," in scope
    checklist = tables["ct_checklist"]
    n_items, n_domains = checklist.item_id.nunique(), checklist.domain.nunique()
    assert f"a checklist of {n_items} items in {number_word(n_domains)} domains" in scope
    for domain in checklist.domain.unique():
        assert domain in scope
    # each instrument with the number of items that cite it
    bases = checklist.legal_basis.fillna("")
    counts = [int(bases.str.contains(mark, regex=False).sum()) for mark, _ in INSTRUMENTS]
    (_, first), n_first = INSTRUMENTS[0], counts[0]
    said = "every item rests" if n_first == n_items else f"{number_word(n_first)} items rest"
    assert f"{said} on {first}" in scope
    for (_, name), n in zip(INSTRUMENTS[1:], counts[1:], strict=True):
        assert f"{number_word(n)} on {name}" in scope
    assert "(CETS No. 197)" in scope and "OSCE/ODIHR" in scope and "2011/36/EU" in scope
    tiers = tables["us_tip_tiers"]
    assert f"reports of {tiers.report_year.min()} to {tiers.report_year.max()}" in scope


def test_purpose_names_the_partners_and_the_living_assessment(section_and_facts):
    section, _ = section_and_facts
    purpose = " ".join(paragraphs_after(section, "Purpose"))
    for partner in ("USAID", "Office to Monitor and Combat Trafficking in Persons",
                    "EU Anti-Trafficking Coordinator", "(GRETA)", "IOM"):  # fmt: skip
        assert partner in purpose, partner
    assert "living assessment" in purpose
    assert f"recommendations ({report_outline().ref('recommendations')})" in purpose


def test_the_baseline_in_own_words(section_and_facts, tables):
    section, f = section_and_facts
    baseline = " ".join(paragraphs_after(section, HEADINGS[2]))
    assert "September 2013 to September 2014" in baseline
    assert "North Macedonia (then the former Yugoslav Republic of Macedonia)" in baseline
    assert "This report covers the same jurisdictions." in baseline
    after = sorted({int(y) for y in tables["harmonised_statistics"].year if y >= 2014})
    assert (
        f"include {number_word(len(after))} years since that assessment (2014–{after[-1]})."
    ) in baseline
    # not the seed's prose: none of its sentences is copied
    for copied in ("generate the necessary evidence", "comprehensive final report",
                   "engagement and empowerment"):  # fmt: skip
        assert copied not in baseline


def test_the_guide_follows_the_outline(section_and_facts):
    section, f = section_and_facts
    outline = report_outline(f.region)
    guide = [i.text for i in next(b for b in section.blocks if b.kind == "list").items]
    others = [e for e in outline if not e.code and e.id != SECTION]
    assert len(guide) == len(others) + 1  # the chapters of the members are one line
    chapters = outline.chapters
    span = f"Sections {chapters[0].number}–{chapters[-1].number}: one chapter per jurisdiction"
    assert any(line.startswith(span) for line in guide)
    for entry in others:
        ref = entry.ref[:1].upper() + entry.ref[1:]
        assert any(line.startswith(f"{ref}, {entry.title}: ") for line in guide), entry.id
    assert guide[0].startswith("Section 1, Executive summary: ")
    reading = paragraphs_after(section, HEADINGS[3])[0]
    assert f"{outline.ref('methodology')} explains" in reading
    assert f"{outline.ref('limitations')} what the data cannot show" in reading


def test_an_analysts_prose(section_and_facts):
    section, _ = section_and_facts
    text = " ".join(texts(section))
    assert not CODE.search(text), CODE.search(text)
    assert not FILE_NAME.search(text), FILE_NAME.search(text)
    assert not SIX.search(text), SIX.search(text)
    assert "XKX" not in text and "test-run-0001" not in text
    assert "TODO" not in text and "{" not in text and "None" not in text
    assert "Kosovo*" in text  # the member's name as printed, with its footnote mark


def test_empty_tables(tables):
    empty = {k: v.iloc[0:0] for k, v in tables.items()}
    section, f = built(empty)
    text = " ".join(texts(section))
    assert "No statistics have been received for this edition yet." in text
    assert "The counter-trafficking checklist is not available in this run." in text
    assert "reports of" not in text  # no tier editions, no years claimed
    assert f.names.list(f.codes) in text


def test_a_region_of_seven(tables, tmp_path):
    region = seven_member_region(tmp_path)
    section, f = built(tables, provenance(), region)
    assert len(f.codes) == 7
    text = " ".join(texts(section))
    assert f"The report covers the {region.name}: {f.names.list(f.codes)}." in text
    assert SEVENTH_NAME in text and text.count(SEVENTH_NAME) >= 3  # scope, baseline, guide
    assert f"{SEVENTH_NAME} was not part of it." in text
    outline = report_outline(region)
    chapters = outline.chapters
    assert len(chapters) == 7
    assert f"Sections {chapters[0].number}–{chapters[-1].number}: one chapter" in text
    assert not SIX.search(text), SIX.search(text)


def test_a_member_of_2014_left_out(tables, tmp_path):
    """A region without one of the jurisdictions of 2014 says so, by the name used then."""
    region = seven_member_region(tmp_path)
    fewer = Region(
        region.name, region.short_name, tuple(m for m in region.members if m.code != "MKD")
    )
    section, _ = built(tables, region=fewer)
    text = " ".join(texts(section))
    assert "the former Yugoslav Republic of Macedonia is not covered here" in text


def test_small_frames():
    """A checklist of three items in two domains citing two instruments, statistics of two
    members for two years, tiers of two editions."""
    h = harmonised([row("ALB", 2019, 12), row("BIH", 2020, "<5")])
    checklist = pd.DataFrame(
        {
            "item_id": ["CT-01", "CT-02", "CT-03"],
            "domain": ["coordination", "coordination", "protection"],
            "title": ["A", "B", "C"],
            "legal_basis": [
                "CoE Convention Art. 29",
                "CoE Convention Art. 10",
                "EU Directive 2011/36/EU Art. 11",
            ],  # fmt: skip
        }
    )
    tiers = pd.DataFrame(
        {"jurisdiction": ["ALB", "BIH"], "report_year": [2020, 2022], "tier": ["Tier 2"] * 2}
    )
    tables = {"harmonised_statistics": h, "ct_checklist": checklist, "us_tip_tiers": tiers}
    section, f = built(tables)
    scope = " ".join(paragraphs_after(section, "Scope"))
    assert "Its statistics run from 2019 to 2020" in scope
    assert "a checklist of 3 items in two domains (coordination and protection)" in scope
    assert "two items rest on the Council of Europe Convention" in scope
    assert "one on EU Directive 2011/36/EU" in scope and "OSCE" not in scope
    assert "reports of 2020 to 2022" in scope
    baseline = " ".join(paragraphs_after(section, HEADINGS[2]))
    assert "include two years since that assessment (2019–2020)." in baseline
    text = " ".join(texts(section))
    assert not CODE.search(text) and not SIX.search(text)
