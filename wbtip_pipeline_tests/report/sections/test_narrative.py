"""The chapters' narrative: prose by domain from the assessment history and the statistics, each
statement dated and linked to its source, as an analyst would write it."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wbtip_pipeline.presentation.blocks import Link, Numbering, Paragraph
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.report.sections import jurisdiction
from wbtip_pipeline.report.sections.narrative import SCORE_WORDS, clause, domain_title, narrative
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables

MIN_WORDS = 1200
# what must never reach a reader: checklist codes, file names and entries, placeholders, run ids
LEAKS = re.compile(
    r"CT-\d\d|\.(ya?ml|csv|json|xlsx)\b|assessments\[|\{|\}|\bNone\b|\bnan\b|\brun [0-9a-f]{8}",
    re.I,
)


@pytest.fixture(scope="module")
def bundled():
    facts = Facts(build_tables(), dict(PROVENANCE))
    return facts, {code: narrative(facts, code, Numbering("3")) for code in facts.codes}


def prose(blocks) -> list[Paragraph]:
    return [b for b in blocks if isinstance(b, Paragraph)]


def words(blocks) -> int:
    return sum(len(p.text.split()) for p in prose(blocks))


def test_every_member_gets_at_least_1200_words_of_prose_by_domain(bundled):
    facts, narratives = bundled
    for code, blocks in narratives.items():
        assert words(blocks) >= MIN_WORDS, (code, words(blocks))
        h3 = [b.text for b in blocks if b.kind == "heading" and b.level == 3]
        assert h3 == [domain_title(d) for d in facts.domain_order()]
        assert "Assistance and protection" in h3 and "Data and statistics" in h3


def test_the_whole_chapter_outside_the_recommendations_has_the_words_too(bundled):
    facts, _ = bundled
    outline = report_outline(facts.region)
    for entry in outline.chapters:
        section = jurisdiction.build(facts, entry, outline)
        text = " ".join(b.text for b in section.blocks if isinstance(b, Paragraph))
        assert len(text.split()) >= MIN_WORDS, entry.code


def test_no_codes_file_names_or_placeholders_reach_the_reader(bundled):
    _, narratives = bundled
    for code, blocks in narratives.items():
        for p in prose(blocks):
            assert not LEAKS.search(p.text), (code, LEAKS.search(p.text).group(), p.text[:200])


def test_every_statement_from_an_assessment_is_dated_and_linked(bundled):
    facts, narratives = bundled
    history = facts.t["mechanism_history"]
    for code, blocks in narratives.items():
        years = set(history.loc[history["jurisdiction"] == code, "year"].astype(int))
        links = [r for p in prose(blocks) for r in p.runs if isinstance(r, Link)]
        assert len(links) >= 20, code
        for link in links:
            cited = int(re.search(r"\b(19|20)\d\d\b", link.text).group())
            assert cited in years, (code, link.text)
            assert link.href and link.href.startswith(("http://", "https://")), link
        # the statement before each citation names the same year
        for p in prose(blocks):
            for before, link in zip(p.runs, p.runs[1:], strict=False):
                if isinstance(link, Link):
                    year = re.search(r"\b(19|20)\d\d\b", link.text).group()
                    assert year in before, (before, link.text)


def test_citations_name_the_publisher_and_say_when_only_a_copy_or_dated(bundled):
    facts, narratives = bundled
    links = [
        r.text
        for bl in narratives.values()
        for p in prose(bl)
        for r in p.runs
        if isinstance(r, Link)
    ]
    assert any(t.startswith("US Department of State, 20") for t in links)
    copies = [t for t in links if "only a copy on" in t]
    assert copies and all(t.startswith("US Department of State") for t in copies if "ecoi.net" in t)
    newest = facts.last_year
    for t in links:
        year = int(re.search(r"\b(19|20)\d\d\b", t).group())
        assert ("; dated" in t) == (newest - year > 5), t


def test_sentences_follow_what_the_evidence_says(bundled):
    facts, narratives = bundled
    text = " ".join(p.text for bl in narratives.values() for p in prose(bl))
    history = facts.t["mechanism_history"]
    # every kind of history gets its own sentence, not one template for all
    for phrase in (
        "has improved from partly met in",
        "has slipped from met in",
        "has been in place in every assessment since",
        "is partly in place",
        ", but not throughout: in ",
        "which is not the same as absent",
        "not the extent of trafficking",
    ):
        assert phrase in text, phrase
    # an item that improved reads as improved, with its first year
    improved = history[history["change"] == "improved"].iloc[0]
    scores = facts.t["mechanism_scores"]
    latest = scores[
        (scores["jurisdiction"] == improved["jurisdiction"])
        & (scores["item_id"] == improved["item_id"])
    ].iloc[0]
    if latest["change_since_earliest"] > 0:
        assert (
            f"improved from {SCORE_WORDS[int(latest['earliest_score'])]} in {int(latest['earliest_year'])}"
            in text
        )
    # never "stayed" and "dipped" about the same item: a history that moved says where it stood
    assert "stayed" not in text and "in between" not in text
    # no two paragraphs of a chapter are the same
    for code, blocks in narratives.items():
        texts = [p.text for p in prose(blocks)]
        assert len(texts) == len(set(texts)), code


def test_protection_says_who_pays_or_that_the_evidence_does_not(bundled):
    _, narratives = bundled
    for code, blocks in narratives.items():
        start = next(
            i
            for i, b in enumerate(blocks)
            if b.kind == "heading" and b.text == "Assistance and protection"
        )
        end = next(i for i, b in enumerate(blocks) if i > start and b.kind == "heading")
        text = " ".join(p.text for p in prose(blocks[start:end]))
        assert re.search(
            r"who pays for shelters and assistance|who funds shelters and assistance", text, re.I
        ), code


@pytest.mark.parametrize(
    "evidence, expected, has_subject",
    [
        ("Adopted and funded the 2024-2025 NAP.", "the authorities adopted and funded the 2024-2025 NAP", True),
        ("Significantly increased funding for NGO-run shelters.", "the authorities significantly increased funding for NGO-run shelters", True),
        ("Government increased funding to the state-run shelter.", "the government increased funding to the state-run shelter", True),
        ("Regularly sought the input of survivors.", "the authorities regularly sought the input of survivors", True),
        ("Did not convict any traffickers.", "the authorities did not convict any traffickers", True),
        ("No grants to anti-trafficking NGOs.", "no grants to anti-trafficking NGOs", False),
        ("Outdated NRM lacking roles.", "Outdated NRM lacking roles", False),
        ("Shelters lacked resources.", "shelters lacked resources", False),
        ("National coordinator rarely convened.", "national coordinator rarely convened", False),
        ("National Referral Mechanism met once.", "National Referral Mechanism met once", False),
        ("Sarajevo mobile team identified 160 children.", "Sarajevo mobile team identified 160 children", False),
        ("Transferred resources to a fund [no compensation awards reported].", "the authorities transferred resources to a fund — no compensation awards reported", True),
        ("EU 2014 Progress Report: draft strategy pending [non-TIP source].", "EU 2014 Progress Report: draft strategy pending", False),
        ("First responders lacked guidance | Second text.", "first responders lacked guidance", False),
    ],
)  # fmt: skip
def test_an_evidence_text_becomes_a_clause_without_being_rewritten(evidence, expected, has_subject):
    assert clause(evidence) == (expected, has_subject)


def test_a_small_history_reads_as_it_changed():
    """Hand-made tables: an item improved from partly met to met, one never assessed."""
    from wbtip_pipeline.transforms.mechanisms import (
        compute_mechanism_history,
        compute_mechanism_scores,
    )
    from wbtip_pipeline_tests.test_transforms.test_mechanisms import CHECKLIST, assessments

    a = assessments(
        [
            ("ALB", 2016, "CT-01", 1, "Removed the national coordinator."),
            ("ALB", 2020, "CT-01", 2, "Appointed a national coordinator with a budget."),
            ("ALB", 2020, "CT-02", 0, "No action plan in force."),
        ]
    )
    tables = {
        "mechanism_scores": compute_mechanism_scores(a, CHECKLIST),
        "mechanism_history": compute_mechanism_history(a, CHECKLIST),
        "ct_checklist": CHECKLIST,
        "harmonised_statistics": pd.DataFrame(
            {"jurisdiction": ["ALB"], "year": [2021], "indicator": ["victims_detected"],
             "dimension": ["total"], "category": ["total"], "sex": ["total"], "age": ["total"],
             "value_low": [40], "value_high": [40], "source_files": ["x"]}
        ),
    }  # fmt: skip
    facts = Facts(tables, dict(PROVENANCE))
    blocks = narrative(facts, "ALB", Numbering("3"))
    text = " ".join(p.text for p in prose(blocks))
    assert (
        "A national coordinator with a mandate, staff and budget has improved from partly met in "
        "2016 to met in 2020. In 2016 the authorities removed the national coordinator "
        "(example.org, 2016). In 2020 the authorities appointed a national coordinator with a "
        "budget (example.org, 2020)."
    ) in text
    assert (
        "A costed and monitored national strategy or action plan is not in place in practice."
        in text
    )
    assert "In 2020 the assessment recorded: no action plan in force (example.org, 2020)." in text
    assert "No assessment covers an independent rapporteur or monitoring body." in text
    assert "CT-0" not in text


def test_a_member_without_assessments_says_so():
    facts = Facts({}, dict(PROVENANCE))
    blocks = narrative(facts, "ALB", Numbering("3"))
    assert [b.kind for b in blocks] == ["heading", "note"]
    assert blocks[1].text == "No assessment of Albania's mechanisms in this run."


def test_flows_published_as_small_counts_are_never_said_to_be_confirmed(bundled):
    """Kosovo*'s source counts 2 victims from Serbia in 2019; published as <5, which may be nil,
    so no chapter says the statistics confirm victims moving between them (the regional chapter
    and the summary say "all <5" of the same pair)."""
    facts, narratives = bundled
    pairs = {p["pair"]: p for p in facts.flow_pairs()}
    assert pairs and not any(p["certain"] for p in pairs.values())
    for code, blocks in narratives.items():
        for p in prose(blocks):
            assert "confirm victims moving" not in p.text, (code, p.text)
            assert not p.text.startswith("They also list possible flows"), (code, p.text)
    serbia = " ".join(p.text for p in prose(narratives["SRB"]))
    assert "The statistics list possible flows with" in serbia and "Kosovo*" in serbia
