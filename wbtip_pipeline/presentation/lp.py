"""The disclosure audit's linear programmes, solved by HiGHS (`highspy`).

The audit asks many questions of one connected set of cells (`audit._ComponentLP`): the
smallest and the largest value of one cell, then of another, over the same constraints. A
`Model` holds one set of constraints in one HiGHS solver and changes only the objective between
questions, so each answer starts from the previous optimal basis instead of from nothing.
`scipy.optimize.linprog` (which the audit called before) builds a new solver, checks its options
and copies the constraints on every call: about four fifths of the time of a call to it on the
audit's LPs was that set-up, not the solve (`benchmarks/RESULTS.md`).

`highspy._Highs` is the solver class highspy exports without Python callbacks: it prints no
banner on the console of a `wbtip run` (highspy's `Highs` prints one when the first is made).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

OPTIMAL, INFEASIBLE, UNBOUNDED, NOT_SOLVED = 0, 2, 3, 4  # scipy.optimize.linprog's status codes


class Model:
    """min c·x subject to `lo <= a·x <= hi` for each row and to the columns' bounds.

    `bounds`: (lower, upper) per column, upper None or inf for none; `rows`: (coefficients by
    column, lo, hi), lo -inf or hi inf for a one-sided row, lo == hi for an equation."""

    def __init__(
        self,
        bounds: Sequence[tuple[float, float | None]],
        rows: Sequence[tuple[Mapping[int, float], float, float]],
    ) -> None:
        import highspy

        self._statuses = highspy.HighsModelStatus
        n = len(bounds)
        self.columns = np.arange(n, dtype=np.int32)
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([lo for lo, _ in bounds], dtype=float)
        lp.col_upper_ = np.array([inf if hi is None else min(hi, inf) for _, hi in bounds])
        lp.row_lower_ = np.array([max(lo, -inf) for _, lo, _ in rows], dtype=float)
        lp.row_upper_ = np.array([min(hi, inf) for _, _, hi in rows], dtype=float)
        # the matrix by rows: HiGHS takes it as given, a row's coefficients in a row of their own
        starts, index, value = [0], [], []
        for coefs, _, _ in rows:
            for column, coef in coefs.items():
                index.append(column)
                value.append(coef)
            starts.append(len(index))
        matrix = lp.a_matrix_
        matrix.format_ = highspy.MatrixFormat.kRowwise
        matrix.num_col_, matrix.num_row_ = n, len(rows)
        matrix.start_ = np.array(starts, dtype=np.int32)
        matrix.index_ = np.array(index, dtype=np.int32)
        matrix.value_ = np.array(value, dtype=float)
        self._solver = highspy._Highs()
        self._solver.setOptionValue("output_flag", False)
        self._solver.passModel(lp)

    def minimise(self, costs: Sequence[float]) -> tuple[int, float | None, np.ndarray | None]:
        """(status, the minimum, a point where it is reached): status `OPTIMAL`, `INFEASIBLE`,
        `UNBOUNDED` or `NOT_SOLVED` (numerical trouble), as `scipy.optimize.linprog` gives."""
        solver, statuses = self._solver, self._statuses
        solver.changeColsCost(len(self.columns), self.columns, np.asarray(costs, dtype=float))
        solver.run()
        status = solver.getModelStatus()
        if status == statuses.kUnboundedOrInfeasible:
            # presolve can tell only that it is one of the two: the simplex on the whole LP says
            solver.setOptionValue("presolve", "off")
            solver.clearSolver()
            solver.run()
            status = solver.getModelStatus()
            solver.setOptionValue("presolve", "choose")
        if status == statuses.kOptimal:
            value = solver.getInfo().objective_function_value
            point = np.array(solver.getSolution().col_value)
            return OPTIMAL, value, point
        if status in (statuses.kInfeasible, statuses.kModelError):
            return INFEASIBLE, None, None
        if status == statuses.kUnbounded:
            return UNBOUNDED, None, None
        return NOT_SOLVED, None, None
