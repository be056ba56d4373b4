"""read_assessments, validate_assessments and load_checklist: the bundled YAML files and
one-change-at-a-time broken copies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from wbtip_pipeline.sources import mechanisms as m
from wbtip_pipeline.sources.mechanisms import (
    checklist_schema,
    load_checklist,
    read_assessments,
    validate_assessments,
)

from .frames import REFERENCE, SOURCES

JURISDICTIONS = ["ALB", "BIH", "MKD", "MNE", "SRB", "XKX"]


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(REFERENCE / "ct_mechanism_checklist.csv")


def test_checklist_has_28_unique_items(checklist):
    checklist_schema.validate(checklist)
    assert len(checklist) == 28
    assert checklist["item_id"].is_unique
    assert list(checklist.columns) == m.CHECKLIST_COLUMNS


@pytest.mark.parametrize("code", JURISDICTIONS)
def test_bundled_assessments_pass_the_schema(code, checklist):
    frame = read_assessments(SOURCES, code)
    path = SOURCES / code / f"{code.lower()}_ct_mechanisms.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(frame) == len(doc["assessments"]) > 0
    assert validate_assessments(frame, checklist) == []
    assert set(frame["jurisdiction"]) == {code}
    assert frame["problem"].isna().all()
    assert frame.loc[3, "source_row"] == "assessments[3]"
    assert frame.loc[3, "item"] == doc["assessments"][3]["item"]
    assert set(frame["source_sha256"]) == {hashlib.sha256(path.read_bytes()).hexdigest()}


GOOD = {
    "jurisdiction": "ALB",
    "assessments": [
        {
            "year": 2019,
            "item": "CT-04",
            "score": 1,
            "evidence": "Gaps in the NRM.",
            "source_url": "https://x",
        },
        {
            "year": 2020,
            "item": "CT-05",
            "score": 2,
            "evidence": "NGOs funded.",
            "source_url": "https://y",
        },
    ],
}


def write(tmp_path: Path, doc, code: str = "ALB") -> Path:
    folder = tmp_path / code
    folder.mkdir(exist_ok=True)
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    (folder / f"{code.lower()}_ct_mechanisms.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def changed(**second_entry) -> dict:
    doc = {
        "jurisdiction": "ALB",
        "assessments": [dict(GOOD["assessments"][0]), dict(GOOD["assessments"][1])],
    }
    doc["assessments"][1].update(second_entry)
    return doc


def test_the_good_file_passes(tmp_path, checklist):
    frame = read_assessments(write(tmp_path, GOOD), "ALB")
    assert validate_assessments(frame, checklist) == []
    assert frame["score"].tolist() == [1, 2]
    assert frame["year"].tolist() == [2019, 2020]


@pytest.mark.parametrize(
    ("change", "rule", "value"),
    [
        ({"score": 3}, m.RULE_SCORE, "3"),
        ({"item": "CT-99"}, m.RULE_ITEM, "CT-99"),
        ({"year": 1999}, m.RULE_YEAR_EARLY, "1999"),
        ({"year": 2999}, m.RULE_YEAR_FUTURE, "2999"),
        ({"evidence": "  "}, m.RULE_EVIDENCE, ""),
    ],
)
def test_one_bad_value_is_one_finding_on_its_entry(tmp_path, checklist, change, rule, value):
    frame = read_assessments(write(tmp_path, changed(**change)), "ALB")
    findings = validate_assessments(frame, checklist)
    assert len(findings) == 1
    f = findings[0]
    assert (f.rule, f.file, f.row, f.jurisdiction) == (
        rule,
        "alb_ct_mechanisms.yaml",
        "assessments[1]",
        "ALB",
    )
    assert f.value.strip() == value


def test_a_file_in_the_wrong_folder_is_flagged(tmp_path, checklist):
    doc = dict(GOOD, jurisdiction="SRB")
    findings = validate_assessments(read_assessments(write(tmp_path, doc), "ALB"), checklist)
    assert {f.rule for f in findings} == {m.RULE_JURISDICTION}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"score": "two"}, "score 'two' is not a whole number"),
        ({"score": None}, "`score` is missing"),
    ],
)
def test_an_unreadable_entry_becomes_a_problem(tmp_path, checklist, change, words):
    frame = read_assessments(write(tmp_path, changed(**change)), "ALB")
    assert len(frame) == 2
    findings = validate_assessments(frame, checklist)
    assert len(findings) == 1
    assert "assessments[1]" in findings[0].message and words in findings[0].message


def test_an_entry_that_is_not_a_mapping_becomes_a_problem(tmp_path, checklist):
    doc = {"jurisdiction": "ALB", "assessments": [GOOD["assessments"][0], "CT-05 met"]}
    findings = validate_assessments(read_assessments(write(tmp_path, doc), "ALB"), checklist)
    assert len(findings) == 1 and "not a mapping" in findings[0].message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("jurisdiction: ALB\nassessments: [\n  - year: 2019\n", "is not valid YAML"),
        ("jurisdiction: ALB\nassessed_by: someone\n", "has no `assessments` list"),
        ("", "has no `assessments` list"),
    ],
)
def test_a_broken_file_is_one_problem_row_not_an_exception(tmp_path, checklist, text, words):
    frame = read_assessments(write(tmp_path, text), "ALB")
    assert len(frame) == 1 and words in frame.loc[0, "problem"]
    findings = validate_assessments(frame, checklist)
    assert len(findings) == 1
    assert words in findings[0].message and findings[0].file == "alb_ct_mechanisms.yaml"


def test_no_file_means_no_assessment(tmp_path, checklist):
    (tmp_path / "ALB").mkdir()
    frame = read_assessments(tmp_path, "ALB")
    assert frame.empty and list(frame.columns) == m.ASSESSMENT_COLUMNS
    assert validate_assessments(frame, checklist) == []
