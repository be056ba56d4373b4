"""The recommendations section built alone: on the bundled tables, on hand-made changes, and for
a region of seven members."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import URGENCY_LABELS, URGENCY_ORDER
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.report.sections.common import PROGRESS_LEAD, recommendations_block
from wbtip_pipeline.report.sections.recommendations import build, published_recommendations
from wbtip_pipeline.transforms.recommendations import load_actions
from wbtip_pipeline.vocab import REGIONAL
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables

SECTION = "recommendations"


def texts(section: Section) -> list[str]:
    out = []
    for b in section.blocks:
        if b.kind in ("heading", "paragraph", "note"):
            out.append(b.text)
        elif b.kind == "list":
            for i in b.items:
                out += [i.text, i.head, *i.meta, *(link.text for link in i.links)]
    return out


def headings(section: Section, level: int = 2) -> list:
    return [b for b in section.blocks if b.kind == "heading" and b.level == level]


def built(tables, region=None) -> tuple[Section, Facts]:
    f = Facts(tables, PROVENANCE, region)
    outline = report_outline(f.region)
    return build(f, outline[SECTION], outline), f


@pytest.fixture(scope="module")
def tables():
    return build_tables()


@pytest.fixture(scope="module")
def section_and_facts(tables):
    return built(tables)


def test_one_numbered_heading_per_member_then_regional(section_and_facts, tables):
    section, f = section_and_facts
    number = report_outline()[SECTION].number
    recs = tables["recommendations"]
    codes = [c for c in [*f.codes, REGIONAL] if c in set(recs["jurisdiction"])]
    heads = headings(section)
    assert [h.text for h in heads] == [f.names.of(c) for c in codes]
    assert [h.number for h in heads] == [f"{number}.{i}" for i in range(1, len(codes) + 1)]
    assert heads[-1].text == "Regional"
    assert "Kosovo*" in [h.text for h in heads]  # a member's footnote mark


def test_the_counts_match_the_table(section_and_facts, tables):
    section, _ = section_and_facts
    recs = tables["recommendations"]
    n_top = int(recs["top_priority"].astype(bool).sum())
    first = section.blocks[0]
    assert first.kind == "paragraph"
    assert first.text.startswith(
        f"{len(recs)} recommendations, {n_top} of them among the top priorities of their "
        "jurisdiction."
    )
    # regional cooperation, numbered by the outline
    assert report_outline().ref("regional-cooperation") in first.text
    # the urgency sub-headings say how many follow, in the table's counts
    level3 = headings(section, 3)
    lists = [b for b in section.blocks if b.kind == "list"]
    assert len(level3) == len(lists)
    for h, block in zip(level3, lists, strict=True):
        assert h.text.endswith(f"({len(block.items)})")
    assert sum(len(b.items) for b in lists) == len(recs)
    by_group = recs.groupby("jurisdiction").size()
    assert len(lists[0].items) + len(lists[1].items) + len(lists[2].items) == by_group["ALB"]


def test_urgencies_in_order_and_items_by_rank(section_and_facts, tables):
    section, _ = section_and_facts
    recs = tables["recommendations"].set_index("recommendation_id")
    labels = [URGENCY_LABELS[u] for u in URGENCY_ORDER]
    current = []
    for b in section.blocks:
        if b.kind == "heading" and b.level == 2:
            current = []
        elif b.kind == "heading":
            label = re.sub(r" \(\d+\)$", "", b.text)
            current.append(labels.index(label))
            assert current == sorted(current)
        elif b.kind == "list" and b.style == "recs":
            ids = [i.id.removesuffix("-list") for i in b.items]
            ranks = [int(recs.loc[i, "priority_rank"]) for i in ids]
            assert ranks == sorted(ranks)
            assert all(i.head.startswith(rid) for i, rid in zip(b.items, ids, strict=True))


def test_no_change_counts_without_a_previous_run(section_and_facts, tables):
    section, _ = section_and_facts
    assert set(tables["recommendation_changes"]["change"]) == {"new"}
    text = " ".join(texts(section))
    assert "Since the previous run" not in text
    assert f"{len(tables['recommendations'])} new" not in text
    assert "Resolved since the previous run" not in text


def test_changes_and_resolved_after_a_previous_run(tables):
    changes = tables["recommendation_changes"].copy()
    kept = len(changes) - 9
    changes.loc[changes.index[:kept], "change"] = "unchanged"
    gone = changes.iloc[[0]].assign(
        recommendation_id="REC-00000000aa", change="resolved", text="Consider 3 victims."
    )
    changes = pd.concat([changes, gone], ignore_index=True)
    section, _ = built({**tables, "recommendation_changes": changes})
    paragraphs = [b.text for b in section.blocks if b.kind == "paragraph"]
    assert f"Since the previous run: 9 new, {kept} unchanged, 1 resolved." in paragraphs
    last = headings(section)[-1]
    assert last.text == "Resolved since the previous run"
    assert last.number.endswith(f".{len(headings(section))}")
    resolved = section.blocks[-1]
    assert [i.head for i in resolved.items] == ["REC-00000000aa"]
    assert resolved.items[0].text.startswith("Albania: ")
    assert "3 victims" not in resolved.items[0].text  # counts in texts follow disclosure


def test_published_recommendations_are_the_listed_items(section_and_facts, tables):
    section, f = section_and_facts
    items = published_recommendations(f)
    assert len(items) == len(tables["recommendations"])
    listed = [
        i.id.removesuffix("-list")
        for b in section.blocks
        if b.kind == "list" and b.style == "recs"
        for i in b.items
    ]
    assert [i["id"] for i in items] == listed
    assert {"id", "jurisdiction", "urgency", "text", "rule_id", "evidence_lines"} <= set(items[0])


def test_missing_and_empty_tables(tables):
    missing = {k: v for k, v in tables.items() if k != "recommendations"}
    section, _ = built(missing)
    assert [(b.kind, b.text) for b in section.blocks] == [
        ("note", "The recommendations table was not available in this run.")
    ]
    empty = {
        **tables,
        "recommendations": tables["recommendations"].iloc[0:0],
        "recommendation_changes": tables["recommendation_changes"].iloc[0:0],
    }
    section, f = built(empty)
    assert [(b.kind, b.style, b.text) for b in section.blocks] == [
        ("note", "empty", "No recommendations in this run.")
    ]
    assert published_recommendations(f) == []


def test_a_seventh_member(tables, tmp_path):
    region = seven_member_region(tmp_path)
    recs = tables["recommendations"]
    extra = recs[recs["jurisdiction"] == "ALB"].head(2)
    extra = extra.assign(
        jurisdiction="QQQ",
        recommendation_id=["REC-q000000001", "REC-q000000002"],
        text="Consider asking the coordinator of Quuxland to act.",
    )
    section, f = built({**tables, "recommendations": pd.concat([recs, extra])}, region)
    heads = [h.text for h in headings(section)]
    assert heads[-2:] == ["Quuxland", "Regional"]  # after the listed members, before Regional
    assert len(published_recommendations(f)) == len(recs) + 2
    text = " ".join(texts(section))
    assert not re.search(r"\bsix\b|\bWB6\b", text, re.I)


def test_a_recommendation_in_full_says_how_progress_would_show(section_and_facts, tables):
    _, f = section_and_facts
    recs = tables["recommendations"]
    top = f.recommendation_items(recs[recs["jurisdiction"] == "SRB"], top_only=True)
    block = recommendations_block(top)
    assert len(block.items) == 5
    for item, rec in zip(block.items, top, strict=True):
        row = recs.set_index("recommendation_id").loc[rec["id"]]
        assert item.text == rec["text"] and not re.search(r"CT-\d", item.text)
        assert item.meta[0] == f"{PROGRESS_LEAD} {row['progress_indicator']}."
    # the evidence stays in its own lines, naming each checklist item by its topic, not its id
    topics = {a.topic for a in load_actions().values()}
    links = [link.text for item in block.items for link in item.links]
    assert any(t in line for line in links for t in topics)
    assert not any(re.search(r"CT-\d", line) for line in links)
