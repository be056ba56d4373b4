"""The facilitator's guide (issue 15, item 2) and the day it plans (`agenda.py`): one or two A4
pages with the agenda, whose sessions follow each other from 09:00 to the close; what each session
decides; how the form is collected and how the decisions reach the next report; slide numbers from
the deck and section numbers from the report's outline.
"""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from wbtip_pipeline.presentation.labels import Names
from wbtip_pipeline.region import Member, Region, load_region
from wbtip_pipeline.workshop import agenda
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.form import FEEDBACK_FOLDER
from wbtip_pipeline.workshop.guide import build_guide, render_guide, slides_text
from wbtip_pipeline.workshop.slides import build_slides, session_slides
from wbtip_pipeline_tests.report.tables import build_tables

ROW = re.compile(r"(\d\d):(\d\d)–(\d\d):(\d\d)")
JARGON = re.compile(r"\bCT-\d{2}\b|\bwarehouse\b|\bpipeline\b|\bassets?\b|\.(?:csv|ya?ml)\b", re.I)


def minutes(hh: str, mm: str) -> int:
    return int(hh) * 60 + int(mm)


def region_of(n: int) -> Region:
    base = load_region()
    extra = tuple(Member(f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}", f"Land {i}")
                  for i in range(n - base.size))  # fmt: skip
    return Region(base.name, base.short_name, base.members[:n] + extra, base.former_codes)


@pytest.fixture(scope="module")
def facts() -> PackFacts:
    return PackFacts(build_tables())


@pytest.fixture(scope="module")
def guide(facts, tmp_path_factory):
    html, pdf, pages = render_guide(facts, tmp_path_factory.mktemp("guide"))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages)
    return html.read_text(encoding="utf-8"), pdf, pages, text


def test_the_guide_has_one_or_two_a4_pages(guide):
    _, pdf, pages, _ = guide
    reader = PdfReader(pdf)
    assert len(reader.pages) == pages and 1 <= pages <= 2
    width, height = (float(v) * 25.4 / 72 for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)


def test_the_agenda_times_add_up_to_the_day(facts):
    doc = build_guide(facts)
    table = doc.sections[0].walk("table")[0]
    rows = [[c.text for c in row] for row in table.rows]
    spans = [ROW.fullmatch(r[0]).groups() for r in rows[:-1]]
    starts = [minutes(a, b) for a, b, _, _ in spans]
    ends = [minutes(c, d) for _, _, c, d in spans]
    assert starts[0] == 9 * 60 and rows[-1][0] == "17:00" and ends[-1] == 17 * 60
    assert starts[1:] == ends[:-1]  # no gap and no overlap
    assert sum(e - s for s, e in zip(starts, ends, strict=True)) == 8 * 60
    titles = [r[1] for r in rows]
    assert all(facts.names.of(c) in titles for c in facts.codes)
    # member sessions share the time left evenly; lunch splits them
    member = [e - s for s, e, t in zip(starts, ends, titles[:-1], strict=True)
              if t in {facts.names.of(c) for c in facts.codes}]  # fmt: skip
    assert len(set(member)) == 1 and member[0] >= agenda.MIN_SESSION
    assert titles.index("Lunch") == titles.index(facts.names.of(facts.codes[3])) - 1


def test_the_guide_says_what_each_session_decides_and_shows(guide, facts):
    _, _, _, text = guide
    assert "Validate, amend or reject each top priority" in text
    assert "Agree which shared gaps become regional actions" in text
    slides = session_slides(build_slides(facts))
    albania = slides_text(slides["member:ALB"])
    assert albania == "7–8" and f"Albania {albania}" in text


def test_the_guide_says_how_the_form_is_collected_and_where_it_goes(guide, facts):
    html, _, _, text = guide
    assert "one sheet per delegation" in text
    assert "before the close of the day (17:00)" in text
    assert FEEDBACK_FOLDER in text  # for the organisers, in plain words around it
    assert f"({facts.outline.ref('recommendations')} of the report)" in text
    first, last = facts.outline.chapters[0], facts.outline.chapters[-1]
    assert f"(sections {first.number}–{last.number})" in text
    outside = text.split("For the organisers:")[0]
    assert not JARGON.search(outside) and not re.search(r"\b[a-z_]+/[a-z_]", outside)
    assert "Table ." not in html and "Figure ." not in html  # no number-less label


@pytest.mark.parametrize("n", [1, 2, 6, 7, 8, 9, 10, 12, 20, 60, 300])
def test_every_day_fits_and_every_member_has_its_session(n):
    sessions = agenda.plan_day(Names(region_of(n)))
    assert sessions[0].start == agenda.DAY_START and agenda.day_end(sessions) <= agenda.DAY_END
    assert all(a.end == b.start for a, b in zip(sessions, sessions[1:], strict=False))
    assert all(s.minutes % agenda.STEP == 0 and s.minutes > 0 for s in sessions)
    members = [c for s in sessions if s.kind == "member" for c in s.codes]
    assert members == list(region_of(n).codes)
    lengths = {s.minutes for s in sessions if s.kind == "member"}
    assert len(lengths) == 1 and min(lengths) >= agenda.MIN_SESSION
    assert [s.kind for s in sessions].count("lunch") == 1
    if n in (6, 7):
        assert agenda.day_end(sessions) == agenda.DAY_END
        assert all(len(s.codes) == 1 for s in sessions if s.kind == "member")


def test_a_group_session_names_its_first_and_last_member():
    names = Names(region_of(12))
    titles = [s.title for s in agenda.plan_day(names) if s.kind == "member"]
    assert "Albania and Bosnia and Herzegovina" in titles
    many = [s.title for s in agenda.plan_day(Names(region_of(60))) if s.kind == "member"]
    assert many[0] == "Albania to Land 0 (7 jurisdictions)"
