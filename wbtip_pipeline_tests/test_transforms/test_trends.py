"""compute_trends and compute_trend_summary on hand-computed frames (and the real population)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from wbtip_pipeline.schemas.analytics import trend_summary_schema, trends_schema
from wbtip_pipeline.transforms.trends import (
    compute_trend_summary,
    compute_trends,
    poisson_slope,
    trend_direction,
)
from wbtip_pipeline.vocab import MAX_CI_WIDTH, STABLE_BAND
from wbtip_pipeline_tests.report.tables import build_tables

from .frames import REFERENCE, harmonised, population, row

S = "<5"
POP = population(
    {("ALB", y): 2_000_000 for y in range(2018, 2022)}
    | {("BIH", 2019): 3_000_000, ("BIH", 2020): 3_000_000}  # no BIH 2021: no rate
)


@pytest.fixture(scope="module")
def trends() -> pd.DataFrame:
    h = harmonised(
        [
            row("ALB", 2018, 10),
            row("ALB", 2019, S),
            row("ALB", 2019, S, sex="female"),
            row("ALB", 2020, 12),
            row("ALB", 2021, 15),
            row("ALB", 2021, 9, sex="female"),
            row("ALB", 2021, S, age="child"),
            row("ALB", 2021, 6, dimension="exploitation", category="sexual_exploitation"),
            row("ALB", 2021, 10, dimension="citizenship", category="ALB"),
            row("ALB", 2021, 3, dimension="citizenship", category="SRB"),
            row("ALB", 2021, 2, dimension="citizenship", category="UNKNOWN"),
            row("ALB", 2021, 8, indicator="persons_prosecuted"),
            row("ALB", 2021, S, indicator="persons_convicted"),
            row("BIH", 2019, 20),
            row("BIH", 2020, S),
            row("BIH", 2021, 30),
            row("BIH", 2021, 12, sex="female"),
        ]
    )
    return trends_schema.validate(compute_trends(h, POP))


def one(frame: pd.DataFrame, jurisdiction: str, year: int, indicator: str = "victims_detected"):
    rows = frame[
        (frame["jurisdiction"] == jurisdiction)
        & (frame["year"] == year)
        & (frame["indicator"] == indicator)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_grain_one_row_per_jurisdiction_year_indicator_with_region(trends):
    assert len(trends) == 15  # 6 ALB + 3 BIH + 6 WB6 rows
    assert set(trends["jurisdiction"]) == {"ALB", "BIH", "WB6"}


def test_counts_and_rates_as_bounds(trends):
    r = one(trends, "ALB", 2021)
    assert (r["value_low"], r["value_high"], r["value_exact"]) == (15, 15, True)
    assert r["rate_per_100k_low"] == pytest.approx(15 / 2_000_000 * 100_000)
    r = one(trends, "ALB", 2019)
    assert (r["value_low"], r["value_high"], r["value_exact"]) == (0, 4, False)
    assert (r["rate_per_100k_low"], r["rate_per_100k_high"]) == pytest.approx((0.0, 0.2))


def test_a_year_without_population_has_no_rate_and_says_so(trends):
    r = one(trends, "BIH", 2021)
    assert math.isnan(r["rate_per_100k_low"]) and math.isnan(r["population"])
    assert "no population" in r["note"]


def test_region_adds_bounds_of_the_jurisdictions_reporting(trends):
    r = one(trends, "WB6", 2019)
    assert (r["value_low"], r["value_high"]) == (20, 24)
    assert (r["jurisdictions_reporting"], r["n_jurisdictions_reporting"]) == ("ALB,BIH", 2)
    assert r["population"] == 5_000_000
    assert (r["rate_per_100k_low"], r["rate_per_100k_high"]) == pytest.approx((0.4, 0.48))
    r = one(trends, "WB6", 2018)
    assert (r["value_low"], r["jurisdictions_reporting"]) == (10, "ALB")
    assert "partial sum" in r["note"] and "BIH" in r["note"]


def test_year_on_year_change_only_between_exact_years(trends):
    r = one(trends, "ALB", 2021)  # 12 -> 15
    assert (r["yoy_change"], r["yoy_change_pct"]) == (3, 25)
    assert (r["yoy_change_low"], r["yoy_change_high"]) == (3, 3)
    r = one(trends, "ALB", 2020)  # <5 -> 12: only the bounds
    assert math.isnan(r["yoy_change"])
    assert (r["yoy_change_low"], r["yoy_change_high"]) == (8, 12)
    r = one(trends, "ALB", 2019)  # 10 -> <5
    assert (r["yoy_change_low"], r["yoy_change_high"]) == (-10, -6)
    assert math.isnan(one(trends, "ALB", 2018)["yoy_change_low"])  # no 2017: nothing


def test_region_change_needs_the_same_jurisdictions(trends):
    assert math.isnan(one(trends, "WB6", 2019)["yoy_change_low"])  # 2018 was ALB only
    r = one(trends, "WB6", 2020)  # [12, 16] against [20, 24]
    assert (r["yoy_change_low"], r["yoy_change_high"]) == (-12, -4)
    r = one(trends, "WB6", 2021)  # 45 against [12, 16]
    assert (r["yoy_change_low"], r["yoy_change_high"]) == (29, 33)
    assert math.isnan(r["yoy_change"])


def test_rolling_mean_over_three_reported_years(trends):
    r = one(trends, "ALB", 2020)  # 10, <5, 12
    assert (r["rolling_mean_3y_low"], r["rolling_mean_3y_high"]) == pytest.approx((22 / 3, 26 / 3))
    assert not bool(r["rolling_mean_exact"])  # bool(<NA>) would raise
    assert pd.isna(one(trends, "ALB", 2019)["rolling_mean_exact"])  # 2017 not reported
    assert math.isnan(one(trends, "ALB", 2019)["rolling_mean_3y_low"])
    r = one(trends, "WB6", 2021)  # [20,24], [12,16], 45
    assert (r["rolling_mean_3y_low"], r["rolling_mean_3y_high"]) == pytest.approx((77 / 3, 85 / 3))


def test_rolling_mean_of_exact_years_is_exact():
    h = harmonised([row("ALB", 2019, 1), row("ALB", 2020, 2), row("ALB", 2021, 6)])
    r = one(compute_trends(h, POP), "ALB", 2021)
    assert (r["rolling_mean_3y_low"], r["rolling_mean_3y_high"]) == (3, 3)
    assert bool(r["rolling_mean_exact"])


def test_shares_among_detected_victims(trends):
    r = one(trends, "ALB", 2021)
    assert (r["female_share_low"], r["female_share_high"]) == pytest.approx((0.6, 0.6))
    assert (r["child_share_low"], r["child_share_high"]) == pytest.approx((0.0, 4 / 15))
    assert r["sexual_exploitation_share_low"] == pytest.approx(0.4)
    assert math.isnan(r["forced_labour_share_low"])  # not reported is not 0
    assert r["nationals_share_low"] == pytest.approx(10 / 15)
    assert r["foreign_share_high"] == pytest.approx(3 / 15)  # UNKNOWN is not foreign


def test_share_over_a_total_that_may_be_zero_is_empty(trends):
    r = one(trends, "ALB", 2019)  # female <5 of a total <5
    assert math.isnan(r["female_share_low"]) and math.isnan(r["female_share_high"])


def test_region_shares_pool_the_jurisdictions_reporting_both(trends):
    r = one(trends, "WB6", 2021)  # ALB 9 of 15, BIH 12 of 30
    assert r["female_share_low"] == pytest.approx(21 / 45)
    assert r["nationals_share_low"] == pytest.approx(10 / 15)  # ALB only reports citizenship


def test_attrition_on_the_numerator_row(trends):
    r = one(trends, "ALB", 2021, "persons_convicted")  # <5 of 8
    assert (r["convictions_per_prosecution_low"], r["convictions_per_prosecution_high"]) == (0, 0.5)
    r = one(trends, "ALB", 2021, "persons_prosecuted")  # 8 of 15
    assert r["prosecutions_per_victim_low"] == pytest.approx(8 / 15)
    assert math.isnan(one(trends, "ALB", 2021)["convictions_per_prosecution_low"])


def test_albania_2021_rate_with_the_bundled_population():
    pop = pd.read_csv(REFERENCE / "population_worldbank.csv")
    out = trends_schema.validate(compute_trends(harmonised([row("ALB", 2021, 159)]), pop))
    r = one(out, "ALB", 2021)
    assert r["population"] == 2_489_762
    assert r["rate_per_100k_low"] == pytest.approx(159 / 2_489_762 * 100_000)
    assert round(r["rate_per_100k_high"], 2) == 6.39


def test_empty_input_gives_an_empty_valid_table():
    out = compute_trends(harmonised([]), POP)
    assert out.empty
    trends_schema.validate(out)
    trend_summary_schema.validate(compute_trend_summary(out))


# --- trend_summary -------------------------------------------------------------------------


def summary_of(series: dict[int, int | str], jurisdiction: str = "ALB") -> pd.Series:
    h = harmonised([row(jurisdiction, y, v) for y, v in series.items()])
    pop = population({(jurisdiction, y): 1_000_000 for y in series})
    out = trend_summary_schema.validate(compute_trend_summary(compute_trends(h, pop)))
    return out[out["jurisdiction"] == jurisdiction].iloc[0]


def test_doubling_series_is_rising_with_slope_log_2():
    s = summary_of({2017: 10, 2018: 20, 2019: 40, 2020: 80, 2021: 160})
    assert s["direction"] == "rising"
    assert s["slope_per_year"] == pytest.approx(math.log(2))
    assert s["annual_change_pct"] == pytest.approx(100)
    assert s["slope_ci_low"] > 0
    assert (s["years_used"], s["n_exact_years"]) == ("2017,2018,2019,2020,2021", 5)


def test_halving_series_is_falling():
    s = summary_of({2017: 160, 2018: 80, 2019: 40, 2020: 20, 2021: 10})
    assert s["direction"] == "falling" and s["slope_ci_high"] < 0


def test_flat_series_is_stable():
    s = summary_of({2017: 1000, 2018: 1040, 2019: 980, 2020: 1010, 2021: 990})
    assert s["direction"] == "stable"
    assert s["slope_ci_low"] < 0 < s["slope_ci_high"]
    band = STABLE_BAND * 100
    assert -band <= s["annual_change_ci_low_pct"] < 0 < s["annual_change_ci_high_pct"] <= band


def old_rule(s: pd.Series) -> str:
    """The verdict before issue 14: any interval containing 0 (and not too wide) was stable."""
    if s["slope_ci_high"] - s["slope_ci_low"] > MAX_CI_WIDTH:
        return "insufficient_data"
    return "rising" if s["slope_ci_low"] > 0 else "falling" if s["slope_ci_high"] < 0 else "stable"


def test_a_flat_series_of_small_counts_is_no_clear_trend():
    # the same shape at a tenth of the counts: its interval reaches beyond +-10% a year
    s = summary_of({2017: 100, 2018: 104, 2019: 98, 2020: 101, 2021: 99})
    assert s["annual_change_ci_high_pct"] > STABLE_BAND * 100
    assert (old_rule(s), s["direction"]) == ("stable", "no_clear_trend")


def test_a_rise_of_19_percent_a_year_with_a_wide_interval_is_not_stable():
    # Serbia's detected victims 2017-2021 (bundled data) with its population: +19% a year, but
    # the 95% interval runs from just below 0 to +42%. The old rule called that stable.
    victims = {2017: 21, 2018: 32, 2019: 33, 2020: 38, 2021: 46}
    h = harmonised([row("SRB", y, v) for y, v in victims.items()])
    people = {2017: 7020858, 2018: 6982604, 2019: 6945235, 2020: 6899126, 2021: 6834326}
    pop = population({("SRB", y): n for y, n in people.items()})
    out = trend_summary_schema.validate(compute_trend_summary(compute_trends(h, pop)))
    s = out[out["jurisdiction"] == "SRB"].iloc[0]
    assert old_rule(s) == "stable"
    assert s["direction"] == "no_clear_trend"
    assert s["annual_change_pct"] == pytest.approx(18.94, abs=0.01)
    assert s["annual_change_ci_low_pct"] == pytest.approx(-0.24, abs=0.01)
    assert s["annual_change_ci_high_pct"] == pytest.approx(41.80, abs=0.01)
    assert s["annual_change_ci_low_pct"] == pytest.approx((math.exp(s["slope_ci_low"]) - 1) * 100)


@pytest.mark.parametrize(
    ("low", "high", "direction"),
    [
        (0.01, 0.30, "rising"),
        (-0.30, -0.01, "falling"),
        (math.log(0.95), math.log(1.08), "stable"),
        (math.log(0.90), math.log(1.10), "stable"),  # the band's ends belong to it
        (math.log(0.96), math.log(1.47), "no_clear_trend"),  # +19% a year, −4% to +47%
        (math.log(0.89), math.log(1.05), "no_clear_trend"),
    ],
)
def test_direction_by_the_interval_of_the_yearly_change(low, high, direction):
    assert trend_direction(low, high) == direction


def test_no_bundled_verdict_calls_a_wide_interval_stable():
    """On the bundled data every series with a slope was called stable by the old rule, or
    falling; now a stable verdict needs its whole interval within +-10% a year, and Serbia's
    detected victims (+19% a year, interval −0.2% to +42%) have no clear trend."""
    summary = build_tables()["trend_summary"]
    band = STABLE_BAND * 100
    for r in summary.itertuples(index=False):
        if r.direction == "stable":
            assert -band <= r.annual_change_ci_low_pct and r.annual_change_ci_high_pct <= band
        if r.direction == "no_clear_trend":
            assert r.annual_change_ci_low_pct <= 0 <= r.annual_change_ci_high_pct
            assert r.annual_change_ci_low_pct < -band or r.annual_change_ci_high_pct > band
    srb = summary[(summary.jurisdiction == "SRB") & (summary.indicator == "victims_detected")]
    s = srb.iloc[0]
    assert old_rule(s) == "stable"
    assert s["direction"] == "no_clear_trend"
    assert round(s["annual_change_pct"]) == 19 and round(s["annual_change_ci_high_pct"]) == 42


def test_only_the_five_most_recent_reported_years_count():
    s = summary_of({2010: 500, 2011: 400, 2017: 100, 2018: 104, 2019: 98, 2020: 101, 2021: 99})
    assert (s["first_year"], s["years_window"]) == (2017, "2017,2018,2019,2020,2021")


def test_montenegro_victims_full_of_suppressed_years_and_a_gap_are_insufficient():
    # Montenegro's published victims (UNODC): 2019 not reported, many years <5.
    s = summary_of(
        {2012: 9, 2013: S, 2014: S, 2015: S, 2016: S, 2017: 10, 2018: 12, 2020: 52, 2021: 5},
        "MNE",
    )
    assert s["direction"] == "insufficient_data"
    assert "2019" in s["reason"]
    assert math.isnan(s["slope_per_year"])


def test_more_than_one_suppressed_year_is_insufficient():
    s = summary_of({2017: S, 2018: S, 2019: 10, 2020: 12, 2021: S}, "MNE")
    assert s["direction"] == "insufficient_data"
    assert "3 years given only as an interval" in s["reason"]


def test_three_exact_years_are_insufficient():
    s = summary_of({2018: 15, 2019: 26, 2020: 17}, "XKX")
    assert s["direction"] == "insufficient_data" and "only 3 exact years" in s["reason"]


def test_one_suppressed_year_is_left_out_of_the_fit():
    s = summary_of({2017: 30, 2018: 25, 2019: 20, 2020: 15, 2021: S})
    assert (s["years_used"], s["n_suppressed_years"]) == ("2017,2018,2019,2020", 1)
    # four years of small counts: the interval of the fall still reaches above 0
    assert s["direction"] == "no_clear_trend" and s["annual_change_pct"] < 0


def test_overdispersed_small_counts_give_a_too_wide_interval():
    # North Macedonia's victims 2017-2021: <5, 9, 6, 7, 48.
    s = summary_of({2017: S, 2018: 9, 2019: 6, 2020: 7, 2021: 48}, "MKD")
    assert s["direction"] == "insufficient_data"
    assert "too wide" in s["reason"]
    assert s["slope_ci_low"] < 0 < s["slope_ci_high"]


def test_region_with_a_changing_set_of_jurisdictions_is_insufficient():
    rows = [row("ALB", y, 100) for y in range(2017, 2022)] + [row("XKX", 2019, 20)]
    pop = population({(j, y): 1_000_000 for j in ("ALB", "XKX") for y in range(2017, 2022)})
    out = compute_trend_summary(compute_trends(harmonised(rows), pop))
    region = out[out["jurisdiction"] == "WB6"].iloc[0]
    assert region["direction"] == "insufficient_data"
    assert "jurisdictions reporting change" in region["reason"]


def test_counts_only_in_the_last_year_have_no_finite_slope():
    s = summary_of({2017: 0, 2018: 0, 2019: 0, 2020: 0, 2021: 7})
    assert s["direction"] == "insufficient_data" and "no finite slope" in s["reason"]


def test_poisson_slope_is_the_maximum_likelihood_estimate():
    years = np.arange(2015, 2021)
    counts = np.array([12, 7, 15, 9, 20, 18])
    offset = np.log(np.array([1.0, 1.1, 1.2, 1.2, 1.3, 1.4]) * 1e6)

    def nll(beta):
        eta = beta[0] + beta[1] * (years - years.mean()) + offset
        return np.sum(np.exp(eta) - counts * eta)

    best = optimize.minimize(nll, x0=[np.log(counts.mean()) - offset.mean(), 0.0], method="BFGS")
    slope, se, dispersion = poisson_slope(years, counts, offset)
    assert slope == pytest.approx(best.x[1], abs=1e-5)
    assert se > 0 and dispersion > 0


def test_a_breakdown_exceeding_its_total_gives_no_share():
    # ALB 2021: female 8 + male 5 against a total of 10 (breakdown_exceeds_total); the age
    # breakdown is consistent and keeps its share; the region pools SRB only for the female share
    h = harmonised(
        [
            row("ALB", 2021, 10),
            row("ALB", 2021, 8, sex="female"),
            row("ALB", 2021, 5, sex="male"),
            row("ALB", 2021, 4, age="child"),
            row("SRB", 2021, 20),
            row("SRB", 2021, 10, sex="female"),
        ]
    )
    pop = population({("ALB", 2021): 1_000_000, ("SRB", 2021): 1_000_000})
    t = trends_schema.validate(compute_trends(h, pop)).set_index(["jurisdiction", "year"])
    alb, srb, region = t.loc[("ALB", 2021)], t.loc[("SRB", 2021)], t.loc[("WB6", 2021)]
    assert math.isnan(alb["female_share_low"]) and math.isnan(alb["female_share_high"])
    assert alb["child_share_low"] == pytest.approx(0.4)
    assert srb["female_share_low"] == pytest.approx(0.5)
    assert region["female_share_low"] == pytest.approx(0.5)  # ALB left out of the pool
    assert region["child_share_low"] == pytest.approx(0.4)
