"""Recommendations as every document prints them (`Facts.recommendation_items`): a withheld figure
said in words, never as `[c] of the victims`; evidence lines in words, never a table name, a
checklist id or a code. On the bundled tables, and on hand-made sentences."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from wbtip_pipeline.presentation.audit import audit_disclosure
from wbtip_pipeline.presentation.claims import withheld_in_words
from wbtip_pipeline.presentation.disclosure import SECONDARY_TEXT
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.report.render import render_html
from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables

# what an evidence line must never show: the warehouse's own words
TABLE_NAME = re.compile(r"\b(" + "|".join(ANALYTICS_SCHEMAS) + r")\b")
CHECKLIST_ID = re.compile(r"\bCT-\d\d\b")
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
CODES = ("victims_detected", "inbound_detection", "shared_gap", "not_met", "partly_met")


@pytest.mark.parametrize(
    ("text", "what", "expected"),
    [
        (
            "Screen: [c] of the victims detected in 2021 were its own nationals.",
            "number",
            "Screen: its own nationals were among the victims detected in 2021 (the number is "
            "withheld to protect small counts).",
        ),
        (
            "Appoint: children were [c] of the 5 victims detected in 2021.",
            "share",
            "Appoint: children were among the 5 victims detected in 2021 (their share is "
            "withheld to protect small counts).",
        ),
        (
            "Detect: [c] of the victims detected in 2020 were in forced labour.",
            "share",
            "Detect: some of the victims detected in 2020 were in forced labour (the share is "
            "withheld to protect small counts).",
        ),
        (
            "Agree: [c] victims detected in 2019 and 2021 were their citizens.",
            "number",
            "Agree: their citizens were among the victims detected in 2019 and 2021 (the number "
            "is withheld to protect small counts).",
        ),
        (
            "Offer: [c] were repatriated in 2020–2021.",
            "number",
            "Offer: some were repatriated in 2020–2021 (the number is withheld to protect small "
            "counts).",
        ),
        ("Nothing withheld: 12 of the victims.", "number", "Nothing withheld: 12 of the victims."),
    ],
)
def test_a_withheld_figure_is_said_in_words(text, what, expected):
    out = withheld_in_words(text, what)
    assert out == expected
    assert SECONDARY_TEXT not in out or SECONDARY_TEXT not in text


# --- the bundled tables -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published():
    tables = build_tables()
    f = Facts(tables, PROVENANCE)
    return tables, f, f.recommendation_items(tables["recommendations"], top_only=False)


def test_no_withheld_figure_inside_a_published_sentence(published):
    _, _, items = published
    assert len(items) > 100
    for item in items:
        for text in (item["text"], item["progress"]):
            assert not re.search(r"\[c\] of|were \[c\]", text), (item["id"], text)
            assert SECONDARY_TEXT not in text, (item["id"], text)


def test_the_montenegro_children_read_in_words_and_the_audit_sees_no_share(published):
    """Montenegro 2021: 5 victims, the children withheld. The rule quotes the children's share;
    printed, it would give the cell away, so the sentence says only that there were some."""
    tables, f, items = published
    recs = tables["recommendations"]
    (rid,) = recs[(recs["jurisdiction"] == "MNE") & (recs["rule_id"] == "SHARE-CHILDREN")][
        "recommendation_id"
    ]
    (item,) = [i for i in items if i["id"] == rid]
    assert item["text"].endswith(
        "children were among the 5 victims detected in 2021 (their share is withheld to "
        "protect small counts)."
    )
    made_here = [c for c, where in f.claims.items() if f"recommendation {rid}" in " ".join(where)]
    assert made_here and {c.kind for c in made_here} == {"exists"}
    assert audit_disclosure(f.dc, f.claims).passed


def test_own_nationals_withheld_read_in_words(published):
    tables, _, items = published
    recs = tables["recommendations"]
    ids = set(recs[recs["rule_id"] == "FLOW-DOMESTIC"]["recommendation_id"])
    worded = [i["text"] for i in items if i["id"] in ids and "withheld" in i["text"]]
    assert worded  # North Macedonia and Serbia, 2021
    for text in worded:
        assert re.search(
            r"its own nationals were among the victims detected in \d{4} \(the number is "
            r"withheld to protect small counts\)\.$",
            text,
        ), text


def test_every_evidence_line_is_in_words(published):
    _, _, items = published
    lines = [line for item in items for line in item["evidence_lines"]]
    assert len(lines) > 200
    for line in lines:
        text = line["text"]
        assert not TABLE_NAME.search(text), text
        assert not CHECKLIST_ID.search(text), text
        assert not SNAKE_CASE.search(text), text
    briefs = {item["evidence_brief"] for item in items}
    assert not any(TABLE_NAME.search(b) or re.search(r"\brows? of\b", b) for b in briefs)
    assert "Evidence: 1 assessment" in briefs and "Evidence: 3 assessments" in briefs
    assert any(re.fullmatch(r"Evidence: \d+ yearly figures", b) for b in briefs)


def test_evidence_lines_name_the_item_the_country_and_the_published_count(published):
    _, _, items = published
    texts = [line["text"] for item in items for line in item["evidence_lines"]]
    assert any(
        t.startswith("Assessment of non-punishment of victims (Albania): not met, 2024 — ")
        for t in texts
    )
    assert "Victims detected in North Macedonia in 2021 who were citizens of Taiwan: 39" in texts
    assert "Victims detected, Montenegro, 2021: 5; share of children: [c]" in texts
    assert any(t.startswith("Shared gap: reintegration support, not fully met in ") for t in texts)
    # a withheld cell stays withheld in its line too
    assert (
        "Victims detected in North Macedonia in 2021 who were citizens of North Macedonia: [c]"
        in (texts)
    )


def test_the_rendered_report_shows_evidence_in_words():
    page, _, _ = render_html(build_tables(), PROVENANCE)
    lists = re.findall(r'<ul class="evidence">(.*?)</ul>', page, re.S)
    lines = [
        html_lib.unescape(re.sub(r"<[^>]+>", "", li))
        for block in lists
        for li in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]
    assert len(lines) > 30
    for line in lines:
        assert not TABLE_NAME.search(line), line
        assert not CHECKLIST_ID.search(line), line
        assert not any(code in line for code in CODES), line
        assert not SNAKE_CASE.search(line), line
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert not re.search(r"\[c\] of|were \[c\]|“", re.sub(r"\s+", " ", text))
    assert not re.search(r"Evidence: \d+ rows? of", text)
