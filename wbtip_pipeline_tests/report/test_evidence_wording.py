"""How the report words its evidence: the original publisher of a copy, a statement that rests
only on a copy or on an unidentified site says so, every assessment carries its year, dated
evidence is marked, and "latest" is never printed without its year. On small hand-made frames
and on the bundled tables."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pandas as pd
import pytest

from wbtip_pipeline.presentation.citations import Citations
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.report.render import render_html
from wbtip_pipeline.report.sections import jurisdiction
from wbtip_pipeline.sources.evidence_registry import read_evidence_registry
from wbtip_pipeline.sources.mechanisms import ASSESSMENT_COLUMNS, load_checklist
from wbtip_pipeline.transforms.evidence_sources import compute_evidence_sources, split_urls
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_scores,
)
from wbtip_pipeline.transforms.recommendations import compute_recommendations, load_rules
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance
from wbtip_pipeline_tests.test_transforms.frames import harmonised, row

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference"

STATE = "https://www.state.gov/reports/2021-trafficking-in-persons-report/albania/"
COPY = "https://www.ecoi.net/en/document/1133722.html"
UNIDENTIFIED = "https://nobody-knows.example/page"
MIRROR_ONLY = "US Department of State, Trafficking in Persons Report — rests only on a copy on "
YEAR = re.compile(r"\b(19|20)\d{2}\b")


def latest_without_year(text: str, window: int = 60) -> list[str]:
    """Every "latest" with no year within `window` characters of it; and every "latest
    assessment" not followed by its year."""
    bad = []
    for m in re.finditer(r"\blatest\b", text, re.IGNORECASE):
        around = text[max(0, m.start() - window) : m.end() + window]
        if not YEAR.search(around):
            bad.append(around)
    for m in re.finditer(r"\blatest assessments?\b(?! \(\d{4}|, \d{4})", text):
        bad.append(text[max(0, m.start() - window) : m.end() + window])
    return bad


# --- Citations on their own -------------------------------------------------------------------


def grades(*rows: tuple[str, str, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "url": url,
                "source_type": kind,
                "publisher": publisher,
                "original_publisher": original,
                "original_title": "Trafficking in Persons Report" if original else None,
            }
            for url, kind, publisher, original in rows
        ]
    )


CITE = Citations(
    grades(
        (STATE, "us_government", "US Department of State", None),
        (COPY, "mirror", "ecoi.net", "US Department of State"),
        (UNIDENTIFIED, "unknown", None, None),
    ),
    statistics_year=2021,
)


def test_the_original_publisher_is_cited_and_a_copy_says_so():
    official = CITE.cite(STATE)
    assert (official.text, official.href, official.weak) == (
        "US Department of State",
        STATE,
        False,
    )
    copy = CITE.cite(COPY)
    assert copy.text == MIRROR_ONLY + "ecoi.net (mirror)" and copy.weak
    assert copy.href == COPY
    unknown = CITE.cite(UNIDENTIFIED)
    assert unknown.text == "Rests only on an unidentified site, nobody-knows.example"
    both = CITE.cite(f"{COPY} | {UNIDENTIFIED}")
    assert both.text == (
        MIRROR_ONLY + "ecoi.net (mirror) and an unidentified site, nobody-knows.example"
    )
    # with the original at hand, the statement does not rest only on the copy
    assert CITE.cite(f"{COPY} | {STATE}").text == "US Department of State"
    assert CITE.cite(f"{COPY} | {STATE}").href == STATE
    assert CITE.cite("javascript:alert(1)").href is None
    ungraded = Citations(None, 2021).cite(COPY)
    assert ungraded.text == "ecoi.net (source not graded in this run)" and not ungraded.weak


def test_dated_is_more_than_five_years_before_the_newest_statistics():
    assert CITE.year_text(2016) == "2016"
    assert CITE.year_text(2015) == "dated: 2015"
    assert CITE.dated_note().startswith("dated: evidence from 2015 or earlier, more than five")
    assert Citations(None, None).year_text(2001) == "2001"  # no statistics: nothing dated


# --- a chapter on small frames ----------------------------------------------------------------


def assessments(*rows: tuple[int, str, int, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "jurisdiction": "ALB",
                "declared_jurisdiction": "ALB",
                "year": year,
                "item": item,
                "score": score,
                "evidence": evidence,
                "source_url": url,
                "source_file": "alb_ct_mechanisms.yaml",
                "source_sha256": "0" * 64,
                "source_row": f"assessments[{i}]",
                "problem": None,
            }
            for i, (year, item, score, evidence, url) in enumerate(rows)
        ],
        columns=ASSESSMENT_COLUMNS,
    )
    return frame.astype({"year": "Int64", "score": "Int64"})


@pytest.fixture(scope="module")
def small():
    checklist = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    found = assessments(
        (2011, "CT-01", 1, "The coordinator's post was vacant.", COPY),
        (2020, "CT-18", 0, "Victims were penalised.", STATE),
        (2020, "CT-22", 1, "Light sentences.", UNIDENTIFIED),
        (2019, "CT-05", 2, "NGOs funded.", STATE),
    )
    scores = compute_mechanism_scores(found, checklist, jurisdictions=["ALB"])
    tables = {
        "harmonised_statistics": harmonised([row("ALB", 2021, 50)]),
        "mechanism_scores": scores,
        "mechanism_domain_scores": compute_domain_scores(scores),
        "mechanism_gaps": compute_mechanism_gaps(scores),
        "ct_checklist": checklist,
        "evidence_sources": compute_evidence_sources(
            read_evidence_registry(REFERENCE / "evidence_registry.yaml"), found, None
        ),
    }
    rules = [r for r in load_rules() if r.id in ("GAP-COORD-PARTLY", "GAP-JUST-NOTMET")]
    tables["recommendations"] = compute_recommendations(tables, rules=rules)
    facts = Facts(tables, dict(PROVENANCE))
    outline = report_outline(facts.region)
    return facts, jurisdiction.build(facts, outline.chapter("ALB"), outline)


def gap_rows(section, gap_type: str) -> dict[str, list]:
    t = next(b for b in section.blocks if b.kind == "table" and b.key == f"tab-ALB-gaps-{gap_type}")
    assert t.columns == ["Item", "What the item asks for", "Domain", "Year", "Evidence", "Source"]
    return {r[0].text: r for r in t.rows}, t


def test_each_gap_carries_its_year_and_its_publisher(small):
    _, section = small
    partly, table = gap_rows(section, "partly_met")
    vacant = partly["CT-01"]
    assert vacant[3].text == "dated: 2011"  # 2011 is more than five years before 2021
    assert vacant[5].text == MIRROR_ONLY + "ecoi.net (mirror)"
    assert vacant[5].href == COPY
    assert table.note.startswith("dated: evidence from 2015 or earlier")
    assert partly["CT-22"][3].text == "2020"
    assert partly["CT-22"][5].text == "Rests only on an unidentified site, nobody-knows.example"
    not_met, table = gap_rows(section, "not_met")
    assert [c.text for c in not_met["CT-18"][3:]] == [
        "2020",
        "Victims were penalised.",
        "US Department of State",
    ]
    assert not table.note  # nothing dated in this table


def test_the_chapter_says_latest_only_with_a_year(small):
    _, section = small
    paragraphs = [b.text for b in section.blocks if b.kind == "paragraph"]
    assert (
        "Of the 28 checklist items, 1 is met in law and practice by their latest assessment "
        "(2019); the others are gaps or unknown, as below."
    ) in paragraphs
    recs = [i for b in section.walk("list") for i in b.items if "rec" in i.cls]
    assert recs
    for item in recs:
        assert not latest_without_year(item.text), item.text
    lines = {link.text: link.href for item in recs for link in item.links}
    # the item by its topic (rules/actions.yaml), never its id; the year, dated or not; who
    # published the page the line links to, and whether only a copy of it was read
    dated = [t for t in lines if "national coordination" in t]
    assert dated and "dated: 2011" in dated[0] and "rests only on a copy on ecoi.net" in dated[0]
    assert dated[0].startswith("Assessment of national coordination (Albania): partly met, ")
    assert lines[dated[0]] == COPY
    justice = [t for t in lines if "non-punishment of victims" in t]
    assert justice == [
        "Assessment of non-punishment of victims (Albania): not met, 2020 — US Department of State"
    ]
    assert lines[justice[0]] == STATE
    assert not any(re.search(r"CT-\d|mechanism_gaps|_", t) for t in lines)


# --- the bundled tables -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled():
    tables = build_tables()
    html, doc, facts = render_html(tables, provenance())
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))
    return tables, doc, facts, text


def test_the_report_never_says_latest_without_a_year(bundled):
    _, _, _, text = bundled
    assert "latest" in text
    assert latest_without_year(text) == []


def test_dated_gaps_are_marked_and_mirror_only_ones_say_so(bundled):
    tables, doc, facts, _ = bundled
    newest = int(tables["harmonised_statistics"]["year"].max())
    sources = tables["evidence_sources"]
    grade = dict(zip(sources["url"], sources["source_type"], strict=True))
    gaps = tables["mechanism_gaps"].dropna(subset=["year"])
    cells = {
        (t.key.split("-")[1], r[0].text): r
        for section in doc.sections
        for t in section.walk("table")
        if "-gaps-" in t.key
        for r in t.rows
    }
    n_dated = n_mirror_only = 0
    for g in gaps.itertuples(index=False):
        r = cells[(g.jurisdiction, g.item_id)]
        year, source = r[3].text, r[5].text
        if newest - int(g.year) > 5:
            assert year == f"dated: {int(g.year)}"
            n_dated += 1
        else:
            assert year == str(int(g.year))
        kinds = {grade.get(u, "unknown") for u in split_urls(g.source_url)}
        if kinds == {"mirror"}:
            assert "rests only on a copy on " in source, source
            assert not source.startswith(("ecoi.net", "refworld.org")), source  # the original
            n_mirror_only += 1
        elif kinds & {"us_government", "ngo", "media", "government"}:
            assert "rests only" not in source, source
    assert n_dated and n_mirror_only  # the bundled data has both


def test_annex_b_lists_the_graded_sites(bundled):
    _, doc, _, _ = bundled
    sites = next(
        t for s in doc.sections for t in s.walk("table") if t.key == "tab-evidence-sources"
    )
    by_site = {r[0].text: (r[1].text, r[2].text, r[3].text) for r in sites.rows}
    assert by_site["state.gov"] == ("US Department of State", "US government", "")
    assert by_site["aassone.com"][1:] == ("copy (mirror)", "US Department of State")
    assert by_site["ocnal.com"] == ("not identified", "unknown", "")


def test_tier_tables_say_which_editions_rest_only_on_copies(bundled):
    tables, doc, _, _ = bundled
    notes = {t.key: t.note for s in doc.sections for t in s.walk("table") if "-tiers" in t.key}
    assert notes["tab-ALB-tiers"].startswith(
        "Read only from copies of the report on other sites (mirrors): 2011, 2013, "
    )
    assert "Read from US Department of State: 2018." in notes["tab-SRB-tiers"]
    assert "Read from NGO Atina (Serbia): 2024." in notes["tab-SRB-tiers"]
