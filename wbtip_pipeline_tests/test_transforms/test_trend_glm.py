"""poisson_slope (statsmodels' GLM) against the hand-written IRLS it replaced (issue 17 item 4):
the same slope, Poisson standard error and quasi-Poisson dispersion to a relative 1e-6, and the
same None at the edges, over a fixed grid of series and the edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from wbtip_pipeline.transforms.trends import poisson_slope

REL = 1e-6
ABS = 1e-12  # a slope or dispersion that is 0 in exact arithmetic is ~1e-16 in either fit


def _irls_reference(
    years: np.ndarray, counts: np.ndarray, offset: np.ndarray | None = None
) -> tuple[float, float, float] | None:
    """The previous implementation of poisson_slope, verbatim: Newton-Raphson (IRLS) on the
    centred year from a flat start, None on non-convergence or a slope beyond 10."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(counts, dtype=float)
    off = np.zeros_like(x) if offset is None else np.asarray(offset, dtype=float)
    if len(x) < 3 or y.sum() <= 0:
        return None
    design = np.column_stack([np.ones_like(x), x - x.mean()])
    beta = np.array([np.log(y.mean()) - off.mean(), 0.0])
    for _ in range(100):
        mu = np.exp(design @ beta + off)
        information = design.T @ (design * mu[:, None])
        step = np.linalg.solve(information, design.T @ (y - mu))
        beta = beta + step
        if abs(beta[1]) > 10:
            return None
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        return None
    mu = np.exp(design @ beta + off)
    information = design.T @ (design * mu[:, None])
    se = float(np.sqrt(np.linalg.inv(information)[1, 1]))
    dispersion = float(np.sum((y - mu) ** 2 / mu) / (len(x) - 2))
    return float(beta[1]), se, dispersion


def assert_agrees(years, counts, offset=None) -> tuple[float, float, float] | None:
    expected = _irls_reference(years, counts, offset)
    got = poisson_slope(years, counts, offset)
    if expected is None:
        assert got is None, (years, counts, got)
        return None
    assert got is not None, (years, counts, expected)
    assert got == pytest.approx(expected, rel=REL, abs=ABS), (years, counts, offset)
    return got


# --- a fixed grid: lengths x mean counts x slopes x noise, with and without a population offset


def _series(n: int, mean: float, slope: float, noise: str, with_offset: bool, seed: int):
    rng = np.random.default_rng(seed)
    years = np.arange(2022 - n, 2022)
    mu = mean * np.exp(slope * (years - years.mean()))
    if noise == "poisson":
        counts = rng.poisson(mu)
    elif noise == "overdispersed":  # negative binomial, size 2
        counts = rng.negative_binomial(2, 2 / (2 + mu))
    else:  # underdispersed: the rounded mean itself
        counts = np.round(mu).astype(int)
    population = 1e6 * np.exp(rng.normal(0, 0.03, n).cumsum()) * rng.uniform(0.5, 8)
    return years, counts, (np.log(population) if with_offset else None)


MEANS = (1.5, 8, 60, 900, 1e5)
SLOPES = (-0.8, -0.2, 0.0, 0.15, 0.8)


@pytest.mark.parametrize("with_offset", [False, True], ids=["no_offset", "offset"])
@pytest.mark.parametrize("noise", ["poisson", "overdispersed", "underdispersed"])
@pytest.mark.parametrize("n", [3, 4, 5, 7, 12])
def test_the_glm_agrees_with_the_irls_over_a_grid(n, noise, with_offset):
    fitted = 0
    for i, mean in enumerate(MEANS):
        for j, slope in enumerate(SLOPES):
            seed = 1000 * n + 10 * i + j
            if assert_agrees(*_series(n, mean, slope, noise, with_offset, seed)) is not None:
                fitted += 1
    assert fitted >= 20  # of 25: the small means may give series with no finite slope


def test_the_grid_covers_both_sides_of_a_dispersion_of_1():
    dispersions = []
    for noise in ("poisson", "overdispersed", "underdispersed"):
        for mean in MEANS:
            fit = poisson_slope(*_series(5, mean, 0.15, noise, True, 7))
            if fit is not None:
                dispersions.append(fit[2])
    assert min(dispersions) < 1 < max(dispersions)


# --- the edge cases ------------------------------------------------------------------------

YEARS = np.arange(2017, 2022)
POP = np.log(np.array([7020858, 6982604, 6945235, 6899126, 6834326], dtype=float))


@pytest.mark.parametrize(
    ("years", "counts", "offset"),
    [
        pytest.param(YEARS[:2], [15, 26], None, id="two_points"),
        pytest.param(YEARS[:1], [15], None, id="one_point"),
        pytest.param(YEARS[:0], [], None, id="no_points"),
        pytest.param(YEARS, [0, 0, 0, 0, 0], None, id="all_zero"),
        pytest.param(YEARS, [0, 0, 0, 0, 0], POP, id="all_zero_offset"),
        pytest.param(YEARS, [0, 0, 0, 0, 7], None, id="last_year_only"),
        pytest.param(YEARS, [7, 0, 0, 0, 0], POP, id="first_year_only_offset"),
        pytest.param(YEARS[:3], [0, 0, 2], POP[:3], id="three_points_diverging"),
    ],
)
def test_no_slope_where_the_irls_had_none(years, counts, offset):
    assert _irls_reference(years, counts, offset) is None
    assert poisson_slope(years, counts, offset) is None


@pytest.mark.parametrize(
    ("years", "counts", "offset"),
    [
        pytest.param(YEARS[:3], [15, 26, 17], None, id="three_points"),
        pytest.param(YEARS, [10, 20, 40, 80, 160], None, id="doubling_exact_fit"),
        pytest.param(YEARS, [10, 20, 40, 80, 160], np.full(5, np.log(1e6)), id="doubling_offset"),
        pytest.param(YEARS, [7, 7, 7, 7, 7], None, id="constant"),
        pytest.param(YEARS, [1, 1, 1, 1, 1], None, id="all_ones"),
        pytest.param(YEARS, [50, 50, 51, 50, 50], None, id="underdispersed"),
        pytest.param(YEARS, [21, 32, 33, 38, 46], POP, id="serbia_victims_offset"),
        pytest.param(YEARS[1:], [9, 6, 7, 48], POP[1:], id="overdispersed_north_macedonia"),
        pytest.param(YEARS, [3, 40, 2, 55, 1], None, id="overdispersed_zigzag"),
        pytest.param(YEARS, [0, 0, 7, 0, 0], None, id="middle_year_only"),
        pytest.param(YEARS, [0, 0, 0, 1, 5], None, id="zeros_then_counts"),
        pytest.param(YEARS, [0, 3, 0, 4, 2], POP, id="some_zeros_offset"),
        pytest.param(YEARS, [5000, 500, 50, 5, 1], None, id="steep_fall"),
        pytest.param(YEARS, [10**6, 2 * 10**6, 3 * 10**6, 2 * 10**6, 10**6], None, id="huge"),
        pytest.param([2012, 2014, 2017, 2018, 2021], [9, 5, 10, 12, 5], None, id="uneven_years"),
        pytest.param(YEARS.astype(float), [4, 6, 9, 13, 20], None, id="float_years"),
        pytest.param(list(YEARS), [4, 6, 9, 13, 20], list(POP), id="lists"),
    ],
)
def test_the_edge_cases_agree(years, counts, offset):
    slope, se, dispersion = assert_agrees(years, counts, offset)
    assert np.isfinite(slope) and se > 0 and dispersion >= 0


def test_known_values_of_the_edge_cases():
    slope, _, dispersion = poisson_slope(YEARS, [10, 20, 40, 80, 160])
    assert slope == pytest.approx(np.log(2)) and dispersion == pytest.approx(0, abs=ABS)
    slope, _, dispersion = poisson_slope(YEARS, [7, 7, 7, 7, 7])
    assert slope == pytest.approx(0, abs=ABS) and dispersion == pytest.approx(0, abs=ABS)
    # below 1 stays below 1 here: the caller takes max(1, dispersion)
    assert poisson_slope(YEARS, [50, 50, 51, 50, 50])[2] < 1
    assert poisson_slope(YEARS[1:], [9, 6, 7, 48], POP[1:])[2] > 1


def test_an_exact_fit_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert poisson_slope(YEARS, [7, 7, 7, 7, 7]) is not None
        assert poisson_slope(YEARS, [10, 20, 40, 80, 160]) is not None
        assert poisson_slope(YEARS, [0, 0, 0, 0, 7]) is None


def test_the_fit_is_statsmodels_glm(monkeypatch):
    from statsmodels.genmod import generalized_linear_model as glm

    fits = []
    original = glm.GLM.fit

    def spy(self, *args, **kwargs):
        fits.append(type(self.family).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(glm.GLM, "fit", spy)
    assert poisson_slope(YEARS, [21, 32, 33, 38, 46], POP) is not None
    assert fits == ["Poisson"]
