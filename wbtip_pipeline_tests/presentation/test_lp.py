"""The audit's LP model (`presentation/lp.py`): HiGHS kept between objectives gives what a new
solve by `scipy.optimize.linprog` gives, status and optimum, objective after objective."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog

from wbtip_pipeline.presentation import lp

INF = math.inf


def _scipy(costs, bounds, rows):
    """The same LP through `linprog` (rows as `≤` and `=` rows, as the audit built them)."""
    n = len(bounds)
    ub, ub_rhs, eq, eq_rhs = [], [], [], []
    for coefs, lo, hi in rows:
        vec = np.zeros(n)
        for i, c in coefs.items():
            vec[i] = c
        if lo == hi:
            eq.append(vec)
            eq_rhs.append(lo)
            continue
        if hi < INF:
            ub.append(vec)
            ub_rhs.append(hi)
        if lo > -INF:
            ub.append(-vec)
            ub_rhs.append(-lo)
    res = linprog(
        costs,
        A_ub=np.array(ub) if ub else None,
        b_ub=np.array(ub_rhs) if ub else None,
        A_eq=np.array(eq) if eq else None,
        b_eq=np.array(eq_rhs) if eq else None,
        bounds=bounds,
        method="highs",
    )
    return res.status, (res.fun if res.status == 0 else None)


def test_a_breakdown_of_a_known_total_bounds_its_cells():
    # 8 = a + b, a and b `<5` (0..4): each is exactly 4; a third cell unbounded above
    model = lp.Model([(0, 4), (0, 4), (0, None)], [({0: 1.0, 1: 1.0}, 8, 8)])
    assert model.minimise([1, 0, 0])[:2] == (lp.OPTIMAL, pytest.approx(4))
    status, value, point = model.minimise([0, -1, 0])
    assert (status, value) == (lp.OPTIMAL, pytest.approx(-4))
    assert point[0] + point[1] == pytest.approx(8)
    assert model.minimise([0, 0, -1])[0] == lp.UNBOUNDED
    assert model.minimise([0, 0, 1])[:2] == (lp.OPTIMAL, pytest.approx(0))


def test_contradicting_rows_are_infeasible_and_a_range_is_two_sided():
    assert lp.Model([(0, 4)], [({0: 1.0}, 6, 6)]).minimise([1])[0] == lp.INFEASIBLE
    ranged = lp.Model([(0, None), (0, None)], [({0: 1.0, 1: -0.625}, -INF, 0), ({1: 1.0}, 8, 8)])
    assert ranged.minimise([-1, 0])[1] == pytest.approx(-5)  # part <= 62.5% of 8


@pytest.mark.parametrize("seed", range(12))
def test_random_lps_agree_with_scipy_objective_after_objective(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    bounds = [(0, None if rng.random() < 0.3 else float(rng.integers(1, 10))) for _ in range(n)]
    rows = []
    for _ in range(int(rng.integers(1, 6))):
        cols = rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)
        coefs = {int(c): float(rng.choice([1.0, -1.0, 0.6, -0.4])) for c in cols}
        lo, hi = sorted(rng.integers(-5, 15, size=2).astype(float))
        kind = rng.integers(3)
        rows.append((coefs, lo, lo) if kind == 0 else (coefs, -INF if kind == 1 else lo, hi))
    model = lp.Model(bounds, rows)
    for _ in range(8):
        costs = rng.choice([0.0, 1.0, -1.0], size=n)
        status, value, point = model.minimise(costs)
        expected = _scipy(costs, bounds, rows)
        assert status == expected[0]
        if status == lp.OPTIMAL:
            assert value == pytest.approx(expected[1], abs=1e-7)
            assert float(np.dot(costs, point)) == pytest.approx(value, abs=1e-7)
