"""The slide deck of a one-day validation workshop (issue 15, item 1): at most 30 slides, an
agenda with a session per member, at least six charts, a member's top priorities (at most five)
and two or three discussion questions, no file, code or pipeline word on a slide, references to
the report from its outline; and a region of seven, fifteen or forty members still gets a deck
of at most 30 slides that fit their pages.

The bundled deck is made from the session's bundled run; the larger regions from the tables
built in process (`report/tables.py`), their extra members copies of Albania.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from pypdf import PdfReader

from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.region import Member, Region, load_region
from wbtip_pipeline.vocab import REGIONAL
from wbtip_pipeline.workshop import agenda
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.layout import check_counts
from wbtip_pipeline.workshop.pack import audit_pack
from wbtip_pipeline.workshop.slides import (
    MAX_SLIDES,
    build_slides,
    render_slides,
    session_slides,
    slide_count,
)
from wbtip_pipeline.workshop.slides_parts import short_text
from wbtip_pipeline.workshop.slides_regional import REGION_ROWS
from wbtip_pipeline_tests.report.tables import build_tables

TABLES = (
    "harmonised_statistics",
    "trends",
    "trend_summary",
    "mechanism_domain_scores",
    "mechanism_gaps",
    "regional_opportunities",
    "recommendations",
    "data_gap_summary",
)
# what a delegate must never read on a slide: a file or a path, a checklist code, the
# machinery's words, or a table's or column's name
BANNED = re.compile(
    r"\bCT-\d{2}\b|\bwarehouse\b|\bpipeline\b|\bassets?\b|\brun[ _]?id\b|\bin this run\b"
    r"|\b[\w-]+\.(?:csv|ya?ml|xlsx|sqlite|json|py)\b|(?:\b[A-Za-z_][\w.-]*/)+[\w.-]*"
    r"|\b[a-z]+_[a-z_]+\b",
    re.IGNORECASE,
)
SESSION_ROW = re.compile(r"(\d\d):(\d\d)–(\d\d):(\d\d)")


@pytest.fixture(scope="module")
def tables(bundled_run) -> dict[str, pd.DataFrame]:
    return {t: bundled_run.table(t) for t in TABLES}


@pytest.fixture(scope="module")
def facts(tables) -> PackFacts:
    return PackFacts(tables)


@pytest.fixture(scope="module")
def deck(facts):
    return build_slides(facts)


@pytest.fixture(scope="module")
def rendered(facts, tmp_path_factory) -> SimpleNamespace:
    html, pdf, count = render_slides(facts, tmp_path_factory.mktemp("deck"))
    return SimpleNamespace(html=html.read_text(encoding="utf-8"), pdf=pdf, count=count)


def by_title(deck, title: str):
    return next(s for s in deck.sections if s.title == title)


def lists(section, style: str) -> list:
    return [b for b in section.blocks if b.kind == "list" and b.style == style]


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def region_with(n: int) -> tuple[Region, dict[str, pd.DataFrame]]:
    """The bundled region and tables, with members added up to `n` (copies of Albania)."""
    base = load_region()
    extra = [f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(n - base.size)]
    members = base.members + tuple(Member(c, f"Synthland {c}") for c in extra)
    tables = dict(build_tables())
    for name in ("harmonised_statistics", "mechanism_gaps", "mechanism_domain_scores",
                 "recommendations", "data_gap_summary", "trend_summary"):  # fmt: skip
        frame = tables[name]
        albania = frame[frame["jurisdiction"] == "ALB"]
        copies = [albania.assign(jurisdiction=c) for c in extra]
        if name == "recommendations":
            copies = [c.assign(recommendation_id=c["recommendation_id"] + c["jurisdiction"])
                      for c in copies]  # fmt: skip
        tables[name] = pd.concat([frame, *copies], ignore_index=True)
    return Region(base.name, base.short_name, members, base.former_codes), tables


# --- the bundled deck ---------------------------------------------------------------------------


def test_the_deck_has_at_most_30_slides_and_six_charts(deck, rendered, facts):
    assert slide_count(deck) == rendered.count <= MAX_SLIDES == 30
    assert len(PdfReader(rendered.pdf).pages) == rendered.count
    assert len(deck.figures()) >= 6
    assert rendered.html.count('<figure class="chart"') == len(deck.figures())
    for code in facts.codes:  # each member's own chart, on its first slide
        assert by_title(deck, facts.names.of(code)).walk("figure"), code
    print(f"bundled deck: {rendered.count} slides, {len(deck.figures())} charts")


def test_the_agenda_has_a_session_per_member_and_fills_the_day(deck, facts):
    (table,) = by_title(deck, "Agenda of the day").walk("table")
    rows = [[c.text for c in row] for row in table.rows]
    times = [SESSION_ROW.fullmatch(r[0]) for r in rows[:-1]]
    assert all(times) and rows[-1][:2] == ["17:00", "Close of the day"]
    minutes = [(int(a) * 60 + int(b), int(c) * 60 + int(d)) for a, b, c, d in
               (t.groups() for t in times)]  # fmt: skip
    assert minutes[0][0] == 9 * 60
    assert all(end == start for (_, end), (start, _) in zip(minutes, minutes[1:], strict=False))
    titles = [r[1] for r in rows]
    for code in facts.codes:
        assert titles.count(facts.names.of(code)) == 1, code
    for session in ("Opening", "The regional picture", "Regional cooperation", "Validation"):
        assert any(t.startswith(session) for t in titles), session
    assert "Lunch" in titles


def test_each_member_has_its_top_priorities_and_two_or_three_questions(deck, facts):
    asked: list[str] = []
    for code in facts.codes:
        page = by_title(deck, f"{facts.names.of(code)}: priorities and questions")
        (priorities,) = lists(page, "recs")
        recs = facts.recs_of(code)
        top = recs[recs["top_priority"].astype(bool)]["recommendation_id"].tolist()
        assert [i.id for i in priorities.items] == [f"rec-{r}" for r in top][:5]
        (questions,) = lists(page, "questions")
        texts = [i.text for i in questions.items]
        assert 2 <= len(texts) <= 3, code
        assert all(t.endswith("?") and not BANNED.search(t) for t in texts), texts
        asked += texts
    assert len(asked) == len(set(asked)), "a question is asked of two delegations"
    regional = by_title(deck, "Regional cooperation: priorities and questions")
    assert len(lists(regional, "recs")[0].items) <= 5
    assert 2 <= len(lists(regional, "questions")[0].items) <= 3


def test_a_priority_is_the_published_action_without_its_finding(deck, facts):
    published = {i["id"]: i["text"] for i in facts.rec_items(facts.recs)}
    for code in facts.codes:
        name = facts.names.of(code, mark=False)
        page = by_title(deck, f"{facts.names.of(code)}: priorities and questions")
        for item in lists(page, "recs")[0].items:
            full = published[item.id.removeprefix("rec-")]
            assert "“" not in item.text and f" of {name}" not in item.text, item.text
            marked = facts.names.of(code)  # "Kosovo*", as texts spell it
            cut = full.replace(f" of {name} ", " ", 1).replace(f" of {marked} ", " ", 1)
            assert item.text.rstrip(".…") in cut
            assert len(item.text) < len(full) or "“" not in full


def test_short_text_cuts_the_member_and_the_finding():
    text = (
        "Urge the prosecution service of Albania to investigate and prosecute officials "
        "suspected of complicity in trafficking, and publish the outcomes; the latest "
        "assessment (2022) finds this not met: “No investigations.”"
    )
    assert short_text(text, ["Albania"]) == (
        "Urge the prosecution service to investigate and prosecute officials suspected of "
        "complicity in trafficking, and publish the outcomes."
    )
    share = "Consider giving the labour inspectorate of Kosovo the mandate: 59% of the victims."
    assert short_text(share, ["Kosovo"]) == "Consider giving the labour inspectorate the mandate."


def test_slides_name_no_file_code_or_pipeline_word(rendered):
    from wbtip_pipeline.workshop.layout import page_texts

    html = visible_text(rendered.html)
    assert not BANNED.findall(html), sorted(set(BANNED.findall(html)))[:10]
    pdf = " ".join(page_texts(rendered.pdf.read_bytes()))
    assert not BANNED.findall(pdf), sorted(set(BANNED.findall(pdf)))[:10]


def test_references_to_the_report_come_from_its_outline(deck, facts):
    outline = report_outline(facts.region)
    for code in facts.codes:
        page = by_title(deck, f"{facts.names.of(code)}: priorities and questions")
        note = next(b.text for b in page.walk("note") if b.style == "note")
        assert f"in {outline.chapter(code).ref} of the report" in note
    regional = by_title(deck, "Regional cooperation: priorities and questions")
    assert outline.ref("regional-cooperation") in " ".join(b.text for b in regional.walk("note"))
    sources = [b.source for s in deck.sections for b in s.walk("figure")]
    assert all(f"{outline.ref('provenance')} of the report" in s for s in sources)


def test_every_figure_is_published_as_the_report_publishes_it(deck, facts, tables):
    check_counts(deck)  # no count of 1 to 4 in a table or a key figure
    assert audit_pack(PackFacts(tables)).passed
    (boxes,) = by_title(deck, "The regional picture: key figures").walk("keyfigures")
    year = int(facts.f.trend_rows(facts.region.code, "victims_detected")["year"].max())
    assert boxes.figures[0].big == facts.f.dc.text((facts.region.code, year, "victims_detected",
                                                    "total", "total", "total", "total"))  # fmt: skip


def test_each_session_has_its_slides(deck, facts):
    slides = session_slides(deck)
    assert slides["opening"] == [1, 2, 3]
    for code in facts.codes:
        assert len(slides[f"member:{code}"]) == 2, code
    assert sum(len(v) for v in slides.values()) == slide_count(deck)


# --- larger regions -----------------------------------------------------------------------------


def render_region(n: int, folder: Path):
    region, tables = region_with(n)
    facts = PackFacts(tables, None, region)
    html, pdf, count = render_slides(facts, folder)
    return facts, build_slides(facts), html.read_text(encoding="utf-8"), pdf, count


def test_a_region_of_seven_gets_two_slides_a_member_and_its_own_references(tmp_path):
    facts, deck, html, pdf, count = render_region(7, tmp_path)
    assert count <= MAX_SLIDES and len(PdfReader(pdf).pages) == count
    assert len(deck.figures()) >= 7
    slides = session_slides(deck)
    assert all(len(slides[f"member:{c}"]) == 2 for c in facts.codes)
    agenda_rows = [r[1].text for r in by_title(deck, "Agenda of the day").walk("table")[0].rows]
    assert "Synthland QAA" in agenda_rows
    # the regional chapter is one section further on than in a region of six
    seven, six = report_outline(facts.region), report_outline(load_region())
    assert seven.ref("regional-cooperation") != six.ref("regional-cooperation")
    assert f"in {seven.ref('regional-cooperation')} of the report" in visible_text(html)


@pytest.mark.parametrize("n", [15, 40])
def test_a_larger_region_gets_fewer_slides_a_member_and_every_slide_fits(n, tmp_path):
    facts, deck, html, pdf, count = render_region(n, tmp_path)
    assert count <= MAX_SLIDES and len(PdfReader(pdf).pages) == count
    members = [s for s in deck.sections if s.attrs.get("session", "").startswith("member")]
    if n == 15:  # one slide a member: its priorities and two questions
        assert len(members) == n
        for page in members:
            assert len(lists(page, "recs")[0].items) <= 5
            assert len(lists(page, "questions")[0].items) == 2
    else:  # the members at a glance, a table row each
        glance = [s for s in deck.sections if s.title.startswith("The jurisdictions at a glance")]
        assert glance and sum(len(s.walk("table")[0].rows) for s in glance) == n
    victims = by_title(deck, "The regional picture: victims detected").walk("table")[0]
    assert len(victims.rows) == REGION_ROWS + 1  # and the region's row
    more = number_word(n - REGION_ROWS).capitalize()
    assert f"{more} more jurisdictions: see their briefs." in victims.note
    for session in agenda.plan_day(facts.names):
        assert session.end <= agenda.DAY_END
    assert not BANNED.findall(visible_text(html))


def test_the_regional_session_is_on_the_regional_slides(deck):
    slides = session_slides(deck)
    titles = {n: s.title for n, s in enumerate(deck.sections, start=2)}
    assert [titles[n] for n in slides["regional"]] == [
        "The regional picture: key figures",
        "The regional picture: victims detected",
        "The regional picture: mechanisms by domain",
    ]
    assert titles[slides["cooperation"][-1]] == "Regional cooperation: priorities and questions"
    assert REGIONAL not in " ".join(titles.values())
