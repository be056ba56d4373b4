"""Secondary suppression against the disclosure audit (`presentation/suppression.protect`), timed
on the tables of a refresh, with no cache: the region as it is, and larger regions made by
adding copies of Albania's figures (each copy a connected set of its own to solve).

    python -m benchmarks.audit --output <the output folder of a `wbtip run`> [--runs 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd


def _region_tables(harmonised: pd.DataFrame, extra: int) -> pd.DataFrame:
    albania = harmonised[harmonised["jurisdiction"] == "ALB"]
    codes = [f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(extra)]
    return pd.concat([harmonised, *(albania.assign(jurisdiction=c) for c in codes)])


def time_protect(output: Path, members: int, runs: int) -> tuple[float, int, int]:
    """(best seconds, cells withheld, LPs solved) of `harmonised_disclosure` for a region of
    `members` (at least the refresh's own)."""
    from wbtip_pipeline.presentation import audit, cache, suppression
    from wbtip_pipeline.presentation.disclosure import harmonised_disclosure
    from wbtip_pipeline.warehouse import Warehouse

    store = Warehouse(f"sqlite:///{output / 'warehouse.sqlite'}")
    harmonised, trends = store.read("harmonised_statistics"), store.read("trends")
    store.dispose()
    own = harmonised["jurisdiction"].nunique()
    frame = _region_tables(harmonised, max(members - own, 0))
    solved = [0]
    real = audit._ComponentLP.solve

    def counted(self, *args, **kwargs):
        solved[0] += 1
        return real(self, *args, **kwargs)

    audit._ComponentLP.solve = counted
    best, withheld = float("inf"), 0
    try:
        for _ in range(runs):
            suppression._PROTECTED._memory.clear()  # nothing kept from the previous run
            suppression._PART._memory.clear()
            solved[0] = 0
            with cache.kept_in(None):
                started = time.perf_counter()
                d = harmonised_disclosure(frame, trends)
                best = min(best, time.perf_counter() - started)
            withheld = len(d.withheld)
    finally:
        audit._ComponentLP.solve = real
    return best, withheld, solved[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, nargs="*", default=[6, 15, 40])
    args = parser.parse_args(argv)
    for members in args.members:
        seconds, withheld, solved = time_protect(args.output, members, args.runs)
        print(f"{members:3d} members: {seconds:6.2f} s (best of {args.runs}), "
              f"{withheld} cells withheld, {solved} LPs")  # fmt: skip


if __name__ == "__main__":
    main()
