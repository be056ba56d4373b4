"""Disclosure control of everything published: `<5`, secondary suppression, CSV exports."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    Disclosure,
    cell_id,
    count_text,
    count_words,
    harmonised_disclosure,
    mask_counts_in_text,
    publication_frame,
    publish_harmonised,
    published_bounds,
    small_count_cells,
    suppress_group,
)
from wbtip_pipeline.schemas.harmonised import HARMONISED_COLUMNS
from wbtip_pipeline_tests.test_transforms.frames import row


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (0, 4, PRIMARY_TEXT),
        (0, 0, PRIMARY_TEXT),
        (1, 1, PRIMARY_TEXT),
        (4, 4, PRIMARY_TEXT),
        (5, 5, "5"),
        (159, 159, "159"),
        (1234, 1234, "1,234"),
        (83, 91, "83–91"),
        (2, 6, "≤6"),  # a sum of <5 cells: its lower bound 2 would disclose them
        (0, 8, "≤8"),
        (None, None, NOT_REPORTED_TEXT),
    ],
)
def test_count_text(low, high, text):
    assert count_text(low, high) == text


def test_withheld_and_words():
    assert count_text(23, 23, withheld=True) == SECONDARY_TEXT
    assert count_words(3, 3) == "fewer than 5 victims"
    assert count_words(314, 314) == "314 victims"
    assert count_words(83, 91, "persons") == "between 83 and 91 persons"
    assert count_words(2, 6) == "up to 6 victims"
    assert published_bounds(2, 6) == (0, 6)
    assert published_bounds(3, 3) == (0, 4)
    assert published_bounds(None, 3) is None


def test_the_only_recoverable_cell_gets_a_second_one_withheld():
    # Kosovo 2019 as published by its source: 26 victims, 23 female, 3 male. `<5` alone would
    # tell the reader that males were 26 - 23 = 3.
    texts, log = suppress_group((26, 26), {"female": (23, 23), "male": (3, 3)}, "XKX 2019")
    assert texts == {"female": SECONDARY_TEXT, "male": PRIMARY_TEXT, "total": "26"}
    assert [w.cell for w in log] == ["female"]
    assert log[0].group == "XKX 2019" and "male" in log[0].because_of


def test_next_smallest_cell_is_the_one_withheld():
    texts, log = suppress_group(
        (100, 100), {"a": (60, 60), "b": (2, 2), "c": (17, 17), "d": (21, 21)}, "forms"
    )
    assert texts["c"] == SECONDARY_TEXT and texts["b"] == PRIMARY_TEXT
    assert texts["a"] == "60" and texts["d"] == "21" and len(log) == 1


def test_no_secondary_suppression_when_nothing_can_be_recovered():
    # the total is itself an interval wide enough: total - others gives 0..4 again
    texts, log = suppress_group((20, 24), {"a": (20, 20), "b": (0, 4)}, "g")
    assert texts == {"a": "20", "b": PRIMARY_TEXT, "total": "20–24"} and log == []
    # two suppressed cells: neither can be told from the other
    texts, log = suppress_group((30, 30), {"a": (24, 24), "b": (3, 3), "c": (3, 3)}, "g")
    assert texts["a"] == "24" and log == []
    # no cell suppressed
    assert suppress_group((30, 30), {"a": (24, 24), "b": (6, 6)}, "g")[1] == []


def test_a_withheld_cell_is_protected_in_every_group_it_belongs_to():
    # female children (2) are <5; in "female by age" the female adults are withheld; female
    # adults are also a cell of "adults by sex", where they would be recovered as
    # adults - male adults: so male adults are withheld too.
    d = Disclosure()
    cells = {
        "female": (26, 26),
        "female_child": (2, 2),
        "female_adult": (24, 24),
        "adult": (54, 54),
        "male_adult": (30, 30),
    }
    for key, bounds in cells.items():
        d.add_cell(key, *bounds, label=key)
    d.add_group("female by age", "female", ["female_child", "female_adult"])
    d.add_group("adults by sex", "adult", ["female_adult", "male_adult"])
    log = d.resolve()
    assert d.withheld == {"female_adult", "male_adult"}
    assert [w.cell for w in log] == ["female_adult", "male_adult"]
    assert log[1].because_of == f"female_adult ({SECONDARY_TEXT})"
    assert d.text("female_child") == PRIMARY_TEXT and d.bounds("male_adult") is None


def _harmonised(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=HARMONISED_COLUMNS)


def test_harmonised_groups_and_the_regional_sum():
    h = _harmonised(
        [
            row("XKX", 2019, 26),
            row("XKX", 2019, 23, sex="female"),
            row("XKX", 2019, 3, sex="male"),
            row("ALB", 2019, 103),
            row("MNE", 2019, 3),  # an exact 3 in the regional sum of 26 + 103 + 3
            row("SRB", 2019, 33),
        ]
    )
    region = pd.DataFrame(
        [
            {
                "jurisdiction": "WB6",
                "year": 2019,
                "indicator": "victims_detected",
                "jurisdictions_reporting": "ALB,MNE,SRB,XKX",
                "value_low": 165,
                "value_high": 165,
            }
        ]
    )
    d = harmonised_disclosure(h, region)
    assert d.text(cell_id("XKX", 2019, "victims_detected", sex="female")) == SECONDARY_TEXT
    assert d.text(cell_id("MNE", 2019, "victims_detected")) == PRIMARY_TEXT
    # the regional sum would give Montenegro's 3 away: the region's figure is withheld, not
    # Kosovo's 26, the smallest other jurisdiction (each jurisdiction keeps its own total)
    assert d.text(cell_id("WB6", 2019, "victims_detected")) == SECONDARY_TEXT
    for code, shown in (("ALB", "103"), ("SRB", "33"), ("XKX", "26")):
        assert d.text(cell_id(code, 2019, "victims_detected")) == shown
    (regional,) = [w for w in d.log if w.cell == cell_id("WB6", 2019, "victims_detected")]
    assert "the regional total is withheld too" in regional.reason
    # Kosovo's own breakdown must not give its 3 men away: female + male = total
    assert d.status(cell_id("XKX", 2019, "victims_detected", sex="male")) == "primary"
    published = publish_harmonised(d, h)
    assert "value_low" not in published and not small_count_cells(published["value"])
    assert set(published["suppression"]) == {"", "primary", "secondary"}


def test_publication_frame_turns_bounds_into_text():
    frame = pd.DataFrame(
        {
            "jurisdiction": ["ALB", "MNE", "SRB", "XKX"],
            "value_low": [159, 0, 83, 23],
            "value_high": [159, 4, 91, 23],
            "victims": [1, 2, 12, 0],
        }
    )
    withheld = pd.Series([False, False, False, True])
    out = publication_frame(frame, ["value", "victims"], withheld=withheld)
    assert list(out.columns) == ["jurisdiction", "value", "victims"]
    assert list(out["value"]) == ["159", PRIMARY_TEXT, "83–91", SECONDARY_TEXT]
    assert list(out["victims"]) == [PRIMARY_TEXT, PRIMARY_TEXT, "12", SECONDARY_TEXT]
    assert not small_count_cells(out["value"]) and not small_count_cells(out["victims"])
    with pytest.raises(KeyError):
        publication_frame(frame, ["missing"])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("persons_prosecuted: 24 in 2020 then 0..4 in 2021", "24 in 2020 then <5 in 2021"),
        ("persons_prosecuted: 24 in 2020 then 2 in 2021", "24 in 2020 then <5 in 2021"),
        ("the sex breakdown adds up to at least 5, more than the total of 3", "the total of <5"),
        ("3 victims were detected", "<5 victims were detected"),
        ("between 0..8 victims", "between ≤8 victims"),
    ],
)
def test_counts_quoted_in_messages_are_masked(text, masked):
    assert masked in mask_counts_in_text(text)


def test_masking_leaves_row_numbers_items_years_and_factors_alone():
    text = "value '-3' in row 4 of alb_2021.csv; CT-04; more than 3x; need 4 exact years; 2021"
    assert mask_counts_in_text(text) == text
    assert mask_counts_in_text(None) is None


def test_small_count_cells():
    assert small_count_cells(["3", "≤4", "1–9", " 2 "]) == ["3", "≤4", "1–9", " 2 "]
    assert small_count_cells(["<5", "[c]", "5", "12", "83–91", "≤8", "–", "2021"]) == []
