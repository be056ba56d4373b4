"""compute_data_gaps and summarise_data_gaps on a hand-made frame."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.schemas.analytics import data_gap_summary_schema, data_gaps_schema
from wbtip_pipeline.transforms.data_gaps import BREAKDOWNS, compute_data_gaps, summarise_data_gaps
from wbtip_pipeline.vocab import INDICATORS

from .frames import harmonised, row

S = "<5"


@pytest.fixture(scope="module")
def gaps() -> pd.DataFrame:
    h = harmonised(
        [
            row("ALB", 2018, 40),
            row("ALB", 2018, S, sex="female"),
            row("ALB", 2018, 38, sex="male"),
            row("ALB", 2018, S, sex="female", age="child"),  # reports on sex and on age
            row("ALB", 2018, S, dimension="exploitation", category="forced_labour"),
            row("ALB", 2018, S, dimension="exploitation", category="sexual_exploitation"),
            # 2019: nothing at all, a year missing inside Albania's range
            row("ALB", 2020, S),
            row("ALB", 2020, 12, indicator="persons_prosecuted"),
            row("XKX", 2019, 26),
            row("XKX", 2019, 21, dimension="citizenship", category="XKX"),
        ]
    )
    return data_gaps_schema.validate(compute_data_gaps(h, jurisdictions=["ALB", "XKX"]))


def status(gaps, jurisdiction, year, breakdown, indicator="victims_detected"):
    rows = gaps[
        (gaps["jurisdiction"] == jurisdiction)
        & (gaps["year"] == year)
        & (gaps["breakdown"] == breakdown)
        & (gaps["indicator"] == indicator)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_full_matrix_over_the_regional_range(gaps):
    assert len(gaps) == 2 * len(INDICATORS) * len(BREAKDOWNS) * 3  # 2018..2020
    assert set(gaps["year"]) == {2018, 2019, 2020}


def test_statuses(gaps):
    assert status(gaps, "ALB", 2018, "total")["status"] == "exact"
    r = status(gaps, "ALB", 2018, "sex")  # <5, 38 and the <5 sex x age cell
    assert (r["status"], r["n_cells"], r["n_suppressed_cells"]) == ("partly_suppressed", 3, 2)
    assert r["suppressed_share"] == pytest.approx(2 / 3)
    assert status(gaps, "ALB", 2018, "age")["status"] == "suppressed_only"
    assert status(gaps, "ALB", 2018, "exploitation")["status"] == "suppressed_only"
    assert status(gaps, "ALB", 2020, "total")["status"] == "suppressed_only"
    assert status(gaps, "ALB", 2020, "total", "persons_prosecuted")["status"] == "exact"
    r = status(gaps, "ALB", 2018, "citizenship")
    assert r["status"] == "not_reported" and pd.isna(r["suppressed_share"])


def test_missing_years_are_not_reported_and_marked_by_range(gaps):
    r = status(gaps, "ALB", 2019, "total")
    assert r["status"] == "not_reported" and r["in_jurisdiction_range"]
    r = status(gaps, "XKX", 2018, "total")
    assert r["status"] == "not_reported" and not r["in_jurisdiction_range"]
    assert status(gaps, "XKX", 2019, "citizenship")["source_files"] == "xkx_2019.csv"


def test_summary_ranks_kosovo_as_the_clearest_gap(gaps):
    summary = data_gap_summary_schema.validate(summarise_data_gaps(gaps)).set_index("jurisdiction")
    assert summary.loc["XKX", "rank_worst_first"] == 1
    assert summary.loc["ALB", "missing_years"] == "2019"
    assert (summary.loc["ALB", "first_year"], summary.loc["ALB", "last_year"]) == (2018, 2020)
    # ALB: 6 of 5 x 6 x 3 = 90 groups reported (2018 victims total, sex, age, exploitation;
    # 2020 victims and prosecuted totals); 6 of its 9 cells <5 (the sex x age cell counts twice).
    assert summary.loc["ALB", "share_not_reported"] == pytest.approx(84 / 90)
    assert summary.loc["ALB", "share_suppressed"] == pytest.approx(6 / 9)
    assert summary.loc["XKX", "share_not_reported"] == pytest.approx(88 / 90)


def test_a_jurisdiction_with_no_rows_is_all_not_reported():
    h = harmonised([row("ALB", 2020, 10)])
    gaps = compute_data_gaps(h, jurisdictions=["ALB", "XKX"])
    assert set(gaps.loc[gaps["jurisdiction"] == "XKX", "status"]) == {"not_reported"}
    summary = summarise_data_gaps(gaps)
    assert summary.iloc[0]["jurisdiction"] == "XKX"
    data_gap_summary_schema.validate(summary)
