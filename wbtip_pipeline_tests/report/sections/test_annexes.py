"""The annexes built alone: A (data quality) and B (provenance), on the bundled tables, on small
hand-made frames, and for a region of seven members."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wbtip_pipeline.presentation.blocks import Section
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, small_count_cells
from wbtip_pipeline.presentation.facts import TABLE_NAMES, Facts
from wbtip_pipeline.presentation.outline import report_outline
from wbtip_pipeline.report.sections.annexes import build_provenance, build_quality
from wbtip_pipeline_tests.regions import seven_member_region
from wbtip_pipeline_tests.report.tables import PROVENANCE, build_tables, provenance


def texts(section: Section) -> list[str]:
    out = []
    for b in section.blocks:
        if b.kind in ("heading", "paragraph", "note"):
            out.append(b.text)
        elif b.kind == "list":
            out += [i.text for i in b.items]
        elif b.kind == "table":
            out += [b.caption, b.source, *b.columns, *(c.text for row in b.rows for c in row)]
        elif b.kind == "figure":
            out += [b.caption, b.source]
    return out


def table(section: Section, key: str):
    return next(b for b in section.blocks if b.kind == "table" and b.key == key)


def built(tables, prov=PROVENANCE, region=None) -> tuple[Section, Section, Facts]:
    f = Facts(tables, prov, region)
    outline = report_outline(f.region)
    quality = build_quality(f, outline["data-quality-annex"], outline)
    return quality, build_provenance(f, outline["provenance"], outline), f


@pytest.fixture(scope="module")
def tables():
    return build_tables()


@pytest.fixture(scope="module")
def annexes(tables):
    return built(tables, provenance())


# --- Annex A --------------------------------------------------------------------------------


def test_annex_a_is_numbered_by_letter(annexes):
    quality, _, _ = annexes
    assert quality.number == "A" and quality.title == "Annex A. Data quality"
    heads = [b for b in quality.blocks if b.kind == "heading"]
    assert [(h.number, h.text) for h in heads] == [
        ("A.1", "Findings of the checks"),
        ("A.2", "Completeness"),
        ("A.3", "Suppressed cells"),
        ("A.4", "Conflicts between sources"),
    ]
    tables = [(b.number, b.key) for b in quality.blocks if b.kind == "table"]
    assert tables == [
        ("A.1", "tab-dq-counts"),
        ("A.2", "tab-dq"),
        ("A.3", "tab-completeness"),
        ("A.4", "tab-suppression-counts"),
        ("A.5", "tab-secondary"),
    ]
    figures = [(b.number, b.key) for b in quality.blocks if b.kind == "figure"]
    assert figures == [("A.1", "fig-completeness")]


def test_the_annex_lists_every_finding_and_the_suppressions(annexes, tables):
    quality, _, f = annexes
    issues = tables["data_quality_issues"]
    findings = table(quality, "tab-dq")
    assert len(findings.rows) == len(issues)
    assert [r[0].text for r in findings.rows] == [str(i) for i in range(1, len(issues) + 1)]
    counts = table(quality, "tab-dq-counts")
    assert sum(int(r[2].text) for r in counts.rows) == len(issues)
    shown = " ".join(c.text for b in (findings, counts) for row in b.rows for c in row[:6])
    assert "_" not in shown, "a check or indicator by its code"
    text = " ".join(texts(quality))
    assert "0..4" not in text  # messages quote counts through the disclosure rules
    assert f"{len(issues)} findings in this run." in text
    assert "Secondary suppressions among the figures shown in this report" in text
    assert "Completeness matrix" in text
    assert "No two assessments of the same item and year disagree in this run." in text
    consistency = issues["check_name"].str.startswith("breakdown_") | (
        issues["check_name"] == "convictions_exceed_prosecutions"
    )
    assert f"{int(consistency.sum())} of the findings in A.1 are contradictions" in text
    # the severities in order: errors first
    severities = [r[3].text for r in findings.rows]
    assert severities == sorted(severities, key=["error", "warning"].index)
    # the complete list of suppressions is named, never as a file
    assert f"{len(f.dc.log)} cells of the harmonised statistics are withheld" in text
    assert "as a table of secondary suppressions" in text
    assert ".csv" not in " ".join(b.text for b in quality.blocks if b.kind == "paragraph")
    assert "published/" not in text


def test_suppression_counts_match_the_disclosure(annexes):
    quality, _, f = annexes
    counts = table(quality, "tab-suppression-counts")
    cells = [c for c in f.dc.values if c[0] in f.codes]
    assert sum(int(r[2].text.replace(",", "")) for r in counts.rows) == len(cells)
    primary = sum(f.dc.status(c) == "primary" for c in cells)
    assert sum(int(r[3].text.replace(",", "")) for r in counts.rows) == primary
    assert {r[0].text for r in counts.rows} <= {f.names.of(c) for c in f.codes}
    secondary = table(quality, "tab-secondary")
    shown = [w for w in f.dc.log if w.cell in f.shown]
    assert len(secondary.rows) == len(shown)
    assert f"({len(shown)} of {len(f.dc.log)} in the whole table)" in secondary.caption


def test_withheld_cells_are_named_in_words(annexes):
    """The annex's table of secondary suppressions (and the complete table published with the
    report) names each cell, its group and the cell it protects as a reader would."""
    quality, _, f = annexes
    labels = [text for w in f.dc.log for text in (w.cell_label, w.group, w.because_of)]
    assert labels, "the bundled tables have secondary suppressions"
    codes = {*f.codes, f.region.code}
    for label in labels:
        parts = re.split(r", |: by | \(", label)
        assert not codes & set(parts), label  # a jurisdiction or the region by its code
        assert "_" not in label, label  # an indicator, form or category by its code
    everything = " ".join(labels)
    assert f"{f.region.full_name}, " in everything  # the region's own figures, by its name
    assert ": by jurisdiction" in everything and ": by form of exploitation" in everything
    assert (
        "Cells of the harmonised statistics shown as"
        in table(quality, "tab-suppression-counts").caption
    )


def test_completeness_and_no_small_count(annexes, tables):
    quality, _, f = annexes
    completeness = table(quality, "tab-completeness")
    assert len(completeness.rows) == len(tables["data_gap_summary"])
    assert completeness.columns[-1] == f"Cells {PRIMARY_TEXT}"
    count_cells = [
        c.text
        for b in quality.blocks
        if b.kind == "table"
        for r in b.rows
        for c in r
        if "count" in c.cls.split()
    ]
    assert small_count_cells(count_cells) == []
    assert "Kosovo*" in {r[1].text for r in completeness.rows}


def test_annex_a_on_small_frames(tables):
    empty = {k: v.iloc[0:0] for k, v in tables.items()}
    dq = pd.DataFrame(
        [
            {
                "jurisdiction": "SRB",
                "year": 2020,
                "severity": "warning",
                "check_name": "year_on_year_jump",
                "message": "persons_prosecuted: 24 in 2019 then 0..4 in 2020",
                "source_file": "srb_centar_2020.csv",
            },
            {
                "jurisdiction": "ALL",
                "year": None,
                "severity": "error",
                "check_name": "schema",
                "message": "a file could not be read",
                "source_file": None,
            },
        ]
    )
    quality, _, _ = built({**empty, "data_quality_issues": dq})
    findings = table(quality, "tab-dq")
    assert [[c.text for c in r[:4]] for r in findings.rows] == [
        ["1", "all", "", "error"],
        ["2", "Serbia", "2020", "warning"],
    ]
    assert "0..4" not in findings.rows[1][5].text and PRIMARY_TEXT in findings.rows[1][5].text
    # checks and indicators in words, not the table's codes
    assert [r[4].text for r in findings.rows] == ["Schema", "Sudden change from the year before"]
    assert findings.rows[1][5].text.startswith("persons prosecuted: 24 in 2019 then ")
    notes = [(b.style, b.text) for b in quality.blocks if b.kind == "note"]
    assert notes == [
        ("empty", "No data gaps in this run."),
        ("empty", "No two assessments of the same item and year disagree in this run."),
    ]
    text = " ".join(texts(quality))
    assert "2 findings in this run." in text
    assert "0 of the findings in A.1 are contradictions" in text


def test_conflicts_between_sources(tables):
    conflicts = pd.DataFrame(
        [
            {
                "jurisdiction": "MNE",
                "item_id": "CT-03",
                "year": 2021,
                "score": 2,
                "conflicting_scores": "1, 2",
                "n_assessments": 2,
                "evidence": "Two reports disagree",
                "source_url": "javascript:alert(1)",
                "source_file": "mne_ct_mechanisms.yaml",
                "source_row": 4,
            }
        ]
    )
    quality, _, _ = built({**tables, "mechanism_conflicts": conflicts})
    t = table(quality, "tab-conflicts")
    assert t.number == "A.6"
    assert [c.text for c in t.rows[0][:4]] == ["Montenegro", "CT-03", "2021", "2"]
    assert t.rows[0][5].href is None  # only web links become links


# --- Annex B --------------------------------------------------------------------------------


def test_provenance_lists_every_source_file(annexes):
    _, prov, _ = annexes
    assert prov.number == "B" and prov.title == "Annex B. Provenance"
    assert [(b.number, b.key) for b in prov.blocks if b.kind == "table"] == [
        ("B.1", "tab-run"),
        ("B.2", "tab-provenance"),
        ("B.3", "tab-tables-read"),
        ("B.4", "tab-evidence-sources"),
    ]
    run = table(prov, "tab-run")
    assert [[c.text for c in r] for r in run.rows] == [
        ["Run id", "test-run-0001"],
        ["Code version", "0.0.0+test"],
        ["Generated", "2026-01-01T00:00:00+00:00"],
    ]
    files = table(prov, "tab-provenance")
    shown = {r[0].text: r[1].text for r in files.rows}
    assert shown == provenance()["source_files"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in shown.values())


def test_provenance_tables_read(tables):
    partial = {k: v for k, v in tables.items() if k not in ("us_tip_tiers",)}
    _, prov, _ = built(partial)
    rows = {r[0].text: r[1].text for r in table(prov, "tab-tables-read").rows}
    assert list(rows) == list(TABLE_NAMES)
    assert rows["us_tip_tiers"] == "not available"
    assert rows["harmonised_statistics"] == f"{len(tables['harmonised_statistics']):,}"
    assert table(prov, "tab-provenance").rows == []


# --- a region of seven ----------------------------------------------------------------------


def test_a_seventh_member(tables, tmp_path):
    region = seven_member_region(tmp_path)
    dq = tables["data_quality_issues"]
    extra = dq.iloc[[0]].assign(jurisdiction="QQQ", source_file="qqq_2021.csv")
    quality, prov, _ = built(
        {**tables, "data_quality_issues": pd.concat([dq, extra])}, provenance(), region
    )
    findings = table(quality, "tab-dq")
    assert findings.rows[-1][1].text == "Quuxland"  # the new member sorts after the others
    chart = next(b for b in quality.blocks if b.kind == "figure")
    assert "Quuxland" in chart.svg  # a row per member and indicator in the completeness matrix
    for section in (quality, prov):
        assert not re.search(r"\bsix\b|\bWB6\b", " ".join(texts(section)), re.I)
