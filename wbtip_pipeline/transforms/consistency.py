"""Consistency checks on the harmonised table: they flag contradictions and never block.

The published figures do contradict themselves (SRB 2021 detected victims: female 37 + male 24
against a total of 46). Each finding becomes a `warning` row of `data_quality_issues`; the figures
are kept as published. Every comparison uses the interval bounds, so `<5` never raises a false
alarm: a breakdown is flagged only when it cannot add up to its total for any values in the
intervals.
"""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.schemas.harmonised import DATA_QUALITY_COLUMNS

# A year-on-year change is flagged as a jump when, at the interval bounds, the count at least
# triples (or falls to a third) AND moves by at least JUMP_MIN_PERSONS. Small counts move a lot by
# chance; the absolute floor keeps 2 -> 7 out of the annex.
JUMP_RATIO = 3.0
JUMP_MIN_PERSONS = 20

# breakdown name -> (filter of its part rows, filter of its total row, the column that varies,
# the categories that make the breakdown complete)
_BREAKDOWNS = {
    "sex": (
        "dimension == 'total' and age == 'total' and sex != 'total'",
        "sex",
        {"female", "male", "other", "unknown"},
    ),
    "age": (
        "dimension == 'total' and sex == 'total' and age != 'total'",
        "age",
        {"child", "adult", "unknown"},
    ),
    "exploitation": (
        "dimension == 'exploitation' and sex == 'total' and age == 'total'",
        "category",
        {"sexual_exploitation", "forced_labour", "other_exploitation"},
    ),
    "citizenship": (
        "dimension == 'citizenship' and sex == 'total' and age == 'total'",
        "category",
        None,
    ),
}
_CELL = ["jurisdiction", "year", "indicator"]


def _totals(h: pd.DataFrame) -> pd.DataFrame:
    t = h.query("dimension == 'total' and sex == 'total' and age == 'total'")
    return t[[*_CELL, "value_low", "value_high", "source_files"]].rename(
        columns={
            "value_low": "total_low",
            "value_high": "total_high",
            "source_files": "total_files",
        }
    )


def _issue(row, check: str, message: str) -> dict:
    return {
        "jurisdiction": row.jurisdiction,
        "year": int(row.year),
        "severity": "warning",
        "check_name": check,
        "message": message,
        "source_file": row.total_files,
    }


def _fmt(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}..{high}"


def breakdown_sums(h: pd.DataFrame) -> pd.DataFrame:
    """Per jurisdiction x year x indicator x breakdown (sex, age, exploitation, citizenship)
    with a total: the bounds of the parts' sum (`parts_low`, `parts_high`), the categories
    reported and the total's bounds."""
    totals = _totals(h)
    frames = []
    for name, (query, column, _) in _BREAKDOWNS.items():
        parts = h.query(query)
        if parts.empty:
            continue
        sums = parts.groupby(_CELL).agg(
            parts_low=("value_low", "sum"),
            parts_high=("value_high", "sum"),
            categories=(column, lambda s: set(s)),
        )
        frames.append(sums.reset_index().merge(totals, on=_CELL).assign(breakdown=name))
    columns = [*_CELL, "breakdown", "parts_low", "parts_high", "categories", "total_low"]
    columns += ["total_high", "total_files"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def exceeds_total(sums: pd.DataFrame) -> pd.Series:
    """The rows of `breakdown_sums` whose parts add up to more than the total for any values in
    the intervals: such a breakdown is flagged (`breakdown_exceeds_total`) and never used for
    shares."""
    return sums["parts_low"] > sums["total_high"]


def exceeding_breakdowns(h: pd.DataFrame) -> set[tuple[str, int, str, str]]:
    """{(jurisdiction, year, indicator, breakdown)} of the breakdowns exceeding their total."""
    sums = breakdown_sums(h)
    bad = sums[exceeds_total(sums)] if len(sums) else sums
    return {
        (str(r.jurisdiction), int(r.year), str(r.indicator), str(r.breakdown))
        for r in bad.itertuples(index=False)
    }


def check_breakdowns(h: pd.DataFrame) -> list[dict]:
    """Breakdowns whose parts cannot add up to the total even at the interval bounds."""
    sums = breakdown_sums(h)
    if sums.empty:
        return []
    issues = []
    for row, exceeds in zip(sums.itertuples(index=False), exceeds_total(sums), strict=True):
        name, complete = row.breakdown, _BREAKDOWNS[row.breakdown][2]
        label = f"{row.indicator} {row.year}"
        if exceeds:
            issues.append(
                _issue(
                    row,
                    "breakdown_exceeds_total",
                    f"{label}: the {name} breakdown adds up to at least {row.parts_low}, more "
                    f"than the total of {_fmt(row.total_low, row.total_high)}",
                )
            )
        elif complete and complete <= row.categories and row.parts_high < row.total_low:
            issues.append(
                _issue(
                    row,
                    "breakdown_below_total",
                    f"{label}: the complete {name} breakdown adds up to at most "
                    f"{row.parts_high}, less than the total of {_fmt(row.total_low, row.total_high)}",
                )
            )
    return issues


def check_children(h: pd.DataFrame) -> list[dict]:
    """Children (0-17) alone exceeding the total."""
    kids = h.query("dimension == 'total' and sex == 'total' and age == 'child'")
    merged = kids.merge(_totals(h), on=_CELL)
    return [
        _issue(
            row,
            "children_exceed_total",
            f"{row.indicator} {row.year}: {_fmt(row.value_low, row.value_high)} children against a "
            f"total of {_fmt(row.total_low, row.total_high)}",
        )
        for row in merged.itertuples(index=False)
        if row.value_low > row.total_high
    ]


def check_convictions(h: pd.DataFrame) -> list[dict]:
    """More persons convicted than prosecuted in the same year (possible across years, so a warning)."""
    t = _totals(h)
    conv = t[t.indicator == "persons_convicted"]
    pros = t[t.indicator == "persons_prosecuted"]
    merged = conv.merge(pros, on=["jurisdiction", "year"], suffixes=("", "_p"))
    return [
        _issue(
            row,
            "convictions_exceed_prosecutions",
            f"{row.year}: {_fmt(row.total_low, row.total_high)} persons convicted against "
            f"{_fmt(row.total_low_p, row.total_high_p)} prosecuted in the same year (convictions "
            "can follow prosecutions of earlier years; worth checking)",
        )
        for row in merged.itertuples(index=False)
        if row.total_low > row.total_high_p
    ]


def check_jumps(h: pd.DataFrame) -> list[dict]:
    """Year-on-year jumps beyond JUMP_RATIO and JUMP_MIN_PERSONS, at the interval bounds."""
    t = _totals(h).sort_values([*_CELL])
    issues = []
    for (_, _), g in t.groupby(["jurisdiction", "indicator"]):
        prev = None
        for row in g.itertuples(index=False):
            if prev is not None and row.year == prev.year + 1:
                up = row.total_low - prev.total_high
                down = prev.total_low - row.total_high
                rose = up >= JUMP_MIN_PERSONS and row.total_low >= JUMP_RATIO * max(
                    prev.total_high, 1
                )
                fell = down >= JUMP_MIN_PERSONS and prev.total_low >= JUMP_RATIO * max(
                    row.total_high, 1
                )
                if rose or fell:
                    issues.append(
                        _issue(
                            row,
                            "year_on_year_jump",
                            f"{row.indicator}: {_fmt(prev.total_low, prev.total_high)} in {prev.year} "
                            f"then {_fmt(row.total_low, row.total_high)} in {row.year} (more than "
                            f"{JUMP_RATIO:g}x and by at least {JUMP_MIN_PERSONS})",
                        )
                    )
            prev = row
    return issues


def check_consistency(harmonised: pd.DataFrame) -> pd.DataFrame:
    """Every consistency finding as `data_quality_issues` rows (severity warning)."""
    issues = [
        *check_breakdowns(harmonised),
        *check_children(harmonised),
        *check_convictions(harmonised),
        *check_jumps(harmonised),
    ]
    frame = pd.DataFrame(issues, columns=DATA_QUALITY_COLUMNS)
    frame["year"] = frame["year"].astype("Int64")
    return frame.sort_values(["jurisdiction", "year", "check_name"], ignore_index=True)
