"""The harmonised table and the consistency warnings, on the real data and on made-up frames."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.schemas.harmonised import HARMONISED_COLUMNS, harmonised_schema
from wbtip_pipeline.sources.readers import RAW_COLUMNS
from wbtip_pipeline.transforms.consistency import check_consistency
from wbtip_pipeline.transforms.harmonise import harmonise_statistics, map_countries
from wbtip_pipeline.validation import validate


@pytest.fixture(scope="module")
def harmonised(raw_frames):
    table, issues = harmonise_statistics(pd.concat(raw_frames.values(), ignore_index=True))
    return table, issues


def cell(
    h: pd.DataFrame,
    code,
    year,
    indicator="victims_detected",
    dimension="total",
    category="total",
    sex="total",
    age="total",
):
    rows = h[
        (h.jurisdiction == code)
        & (h.year == year)
        & (h.indicator == indicator)
        & (h.dimension == dimension)
        & (h.category == category)
        & (h.sex == sex)
        & (h.age == age)
    ]
    assert len(rows) == 1, rows
    return int(rows.value_low.iloc[0]), int(rows.value_high.iloc[0])


def test_harmonised_passes_its_schema(harmonised):
    table, issues = harmonised
    assert validate(table, harmonised_schema) == []
    assert list(table.columns) == HARMONISED_COLUMNS
    assert issues.empty  # every country name of the bundled data resolves


def test_albania_2017_by_form(harmonised):
    table, _ = harmonised
    # file: forced labour <5; sexual 37; other forms 27 + <5 + 5 + 20 (unnamed sub-forms add up)
    assert cell(table, "ALB", 2017, dimension="exploitation", category="forced_labour") == (0, 4)
    assert cell(table, "ALB", 2017, dimension="exploitation", category="sexual_exploitation") == (
        37,
        37,
    )
    assert cell(table, "ALB", 2017, dimension="exploitation", category="other_exploitation") == (
        52,
        56,
    )


def test_montenegro_2013_total_is_an_interval(harmonised):
    assert cell(harmonised[0], "MNE", 2013) == (0, 4)


def test_kosovo_named_subforms_add_up(harmonised):
    # forced begging 1 + forced marriage 1 + slavery and servitude 2 + sale of children 1
    assert cell(
        harmonised[0], "XKX", 2019, dimension="exploitation", category="other_exploitation"
    ) == (5, 5)
    assert cell(harmonised[0], "XKX", 2019, dimension="citizenship", category="XKX") == (21, 21)


def test_serbia_citizenship_codes(harmonised):
    table, _ = harmonised
    srb = table[(table.jurisdiction == "SRB") & (table.dimension == "citizenship")]
    assert {"SRB", "ROU", "BIH", "UKR", "MDA", "ERI", "YUG", "MKD"} <= set(srb.category)
    assert srb.category.str.fullmatch(r"[A-Z]{3}|ABROAD|UNKNOWN").all()
    # "Serbia" (2007-2016) and the Serbian word for nationals (2017-) are one code
    assert cell(table, "SRB", 2010, dimension="citizenship", category="SRB") == (73, 73)
    assert cell(table, "SRB", 2021, dimension="citizenship", category="SRB") == (41, 41)


def test_blank_citizenship_is_unknown(harmonised):
    # ALB 2017 reports 60 victims by citizenship with an empty country cell
    assert cell(harmonised[0], "ALB", 2017, dimension="citizenship", category="UNKNOWN") == (60, 60)


def _raw(rows: list[dict]) -> pd.DataFrame:
    base = {
        "jurisdiction": "SRB",
        "year": 2020,
        "indicator": "victims_detected",
        "dimension": "citizenship",
        "sex": "total",
        "age": "total",
        "source_file": "srb_centar_2020.csv",
        "problem": None,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows]).reindex(columns=RAW_COLUMNS)
    return frame


def test_unmappable_country_becomes_unknown_with_a_quoted_warning():
    raw = _raw(
        [
            {"category": "Atlantis", "value_low": 3, "value_high": 3},
            {"category": "", "value_low": 0, "value_high": 4},
            {"category": "Kosovar", "value_low": 2, "value_high": 2},
        ]
    )
    codes, issues = map_countries(raw)
    assert list(codes) == ["UNKNOWN", "UNKNOWN", "XKX"]
    assert len(issues) == 1
    assert "'Atlantis'" in issues.message.iloc[0] and issues.severity.iloc[0] == "warning"
    table, _ = harmonise_statistics(raw)
    assert cell(table, "SRB", 2020, dimension="citizenship", category="UNKNOWN") == (3, 7)


# --- consistency warnings ---------------------------------------------------------------------


def test_known_real_contradiction_is_flagged(harmonised):
    found = check_consistency(harmonised[0])
    srb = found[
        (found.jurisdiction == "SRB")
        & (found.year == 2021)
        & (found.check_name == "breakdown_exceeds_total")
    ]
    assert srb.message.str.contains(
        "victims_detected 2021: the sex breakdown adds up to at least 61, more than the total of 46"
    ).any()
    assert (found.severity == "warning").all()


def _h(rows):
    base = {
        "jurisdiction": "ALB",
        "year": 2020,
        "indicator": "victims_detected",
        "dimension": "total",
        "category": "total",
        "sex": "total",
        "age": "total",
        "source_files": "f.csv",
    }
    return pd.DataFrame([{**base, **r} for r in rows])[HARMONISED_COLUMNS]


def test_breakdowns_use_interval_bounds():
    ok = _h(
        [
            {"value_low": 10, "value_high": 10},
            {"sex": "female", "value_low": 0, "value_high": 4},
            {"sex": "male", "value_low": 8, "value_high": 8},
        ]
    )
    assert check_consistency(ok).empty  # 8..12 can make 10
    bad = _h(
        [
            {"value_low": 10, "value_high": 10},
            {"sex": "female", "value_low": 5, "value_high": 5},
            {"sex": "male", "value_low": 8, "value_high": 8},
        ]
    )
    assert list(check_consistency(bad).check_name) == ["breakdown_exceeds_total"]


def test_children_exceeding_total_and_convictions_over_prosecutions():
    frame = _h(
        [
            {"value_low": 6, "value_high": 6},
            {"age": "child", "value_low": 9, "value_high": 9},
            {"indicator": "persons_prosecuted", "value_low": 0, "value_high": 4},
            {"indicator": "persons_convicted", "value_low": 7, "value_high": 7},
        ]
    )
    names = set(check_consistency(frame).check_name)
    assert {"children_exceed_total", "convictions_exceed_prosecutions"} <= names


def test_year_on_year_jump_threshold():
    steady = _h(
        [
            {"year": 2019, "value_low": 10, "value_high": 10},
            {"year": 2020, "value_low": 25, "value_high": 25},
        ]
    )
    assert check_consistency(steady).empty  # 2.5x: below the threshold
    jump = _h(
        [
            {"year": 2019, "value_low": 10, "value_high": 10},
            {"year": 2020, "value_low": 40, "value_high": 40},
        ]
    )
    assert list(check_consistency(jump).check_name) == ["year_on_year_jump"]
    small = _h(
        [
            {"year": 2019, "value_low": 0, "value_high": 4},
            {"year": 2020, "value_low": 15, "value_high": 15},
        ]
    )
    assert check_consistency(small).empty  # 15 - 4 < 20 persons
