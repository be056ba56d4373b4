"""Disclosure control for everything published (the report and the CSV exports that go with it).

Rules, stated once here and repeated in the report's methodology and annex:

- Primary suppression: a count whose upper bound is below 5 (0, 1, 2, 3, 4, or `<5` as a
  source gave it) is shown as `<5`, never as its value. An interval that starts below 5 and ends
  at 5 or more (a sum of `<5` cells, say 2..6) is shown by its upper bound only (`≤6`), so that
  no lower bound from 1 to 4 is ever printed. Exact counts of 5 and more are shown as they are.
- Secondary suppression: a group of cells that add up to a published total (a breakdown by sex,
  age, form of exploitation or citizenship with its total; the jurisdictions with the region's
  figure) is a linear equation. When exactly one member of the group is suppressed and the total
  and the other members are shown, that member could be recovered (narrowed below the `<5` range,
  or found outright for a withheld cell). The smallest other cell that is shown is then withheld
  too, shown as `[c]`, and logged for the annex. This is repeated until no group changes, because a
  cell withheld in one group (female adults) is a member of another (adults by sex). Group by
  group misses a cell recovered through several groups at once, or from a group whose
  suppressed cells add up to a known sum (8 split into two `<5` cells): the disclosure audit
  (`audit.py`, linear programming over all the relations) then withholds a further cell per
  cell it can narrow to fewer than three values, until it finds none.
- Every other figure of the report (rates, shares, sums over years, chart ranges) is computed from
  the published bounds of the cells only, never from the values behind them, so it cannot reveal
  more than the cells do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from wbtip_pipeline.region import load_region
from wbtip_pipeline.vocab import SUPPRESSED_HIGH, SUPPRESSED_TEXT

THRESHOLD = SUPPRESSED_HIGH + 1  # counts below this are shown as `<5`
PRIMARY_TEXT = SUPPRESSED_TEXT
SECONDARY_TEXT = "[c]"
NOT_REPORTED_TEXT = "–"
LEGEND = {
    PRIMARY_TEXT: "a count from 0 to 4 (primary suppression)",
    SECONDARY_TEXT: (
        "withheld so that a suppressed cell cannot be recovered from its total and the other "
        "cells (secondary suppression)"
    ),
    NOT_REPORTED_TEXT: "not reported (absent is not zero)",
}

Bounds = tuple[int, int]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def is_primary(low, high) -> bool:
    """True when the count is shown as `<5` (its upper bound is below the threshold)."""
    return not _missing(high) and int(high) < THRESHOLD


def published_bounds(low, high) -> Bounds | None:
    """The bounds a reader may see: (0, 4) for `<5`, (0, high) when the interval starts below 5;
    None when the count is not reported."""
    if _missing(low) or _missing(high):
        return None
    low, high = int(low), int(high)
    if high < THRESHOLD:
        return (0, SUPPRESSED_HIGH)
    if low < THRESHOLD:
        return (0, high)
    return (low, high)


def bounds_text(bounds: Bounds | None) -> str:
    """Display text of published bounds (see `count_text`)."""
    if bounds is None:
        return NOT_REPORTED_TEXT
    low, high = bounds
    if high < THRESHOLD:
        return PRIMARY_TEXT
    if low == high:
        return f"{high:,}"
    if low == 0:
        return f"≤{high:,}"
    return f"{low:,}–{high:,}"


def count_text(low, high, *, withheld: bool = False) -> str:
    """`<5`, `[c]`, `–` (not reported), `123`, `83–91` or `≤8` (an interval starting below 5)."""
    if withheld:
        return SECONDARY_TEXT
    return bounds_text(published_bounds(low, high))


def count_words(low, high, noun: str = "victims") -> str:
    """The same in a sentence: 'fewer than 5 victims', '314 victims', 'between 83 and 91 victims',
    'up to 8 victims'."""
    bounds = published_bounds(low, high)
    if bounds is None:
        return f"no reported {noun}"
    lo, hi = bounds
    if hi < THRESHOLD:
        return f"fewer than {THRESHOLD} {noun}"
    if lo == hi:
        return f"{hi:,} {noun}"
    if lo == 0:
        return f"up to {hi:,} {noun}"
    return f"between {lo:,} and {hi:,} {noun}"


# --- counts quoted inside free text (finding messages, recommendation texts) ------------------

_RANGE = re.compile(r"\b(\d+)\.\.(\d+)\b")
_SMALL = r"(?<![\d.,\-])([0-4])(?![\d.,%x])"
_COUNT_NOUNS = (
    r"victims?|persons?|people|children|child|women|men|girls|boys|traffickers?|offences?|"
    r"cases?|prosecut\w*|convict\w*|detected|identified|suspects?|defendants?"
)
_SMALL_BEFORE_NOUN = re.compile(_SMALL + r"(\s+(?:" + _COUNT_NOUNS + r"))\b", re.IGNORECASE)
_SMALL_AFTER_WORD = re.compile(
    r"\b(total of|at least|at most|against|then|of|from|to)\s+" + _SMALL, re.IGNORECASE
)
_SMALL_IN_YEAR = re.compile(_SMALL + r"(\s+in\s+(?:19|20)\d\d)\b")


def mask_counts_in_text(text: str | None) -> str | None:
    """Counts from 0 to 4 quoted in a sentence, in the phrasings the pipeline's messages use
    (`0..4`, `3 victims`, `the total of 2`, `24 in 2020 then 1 in 2021`), shown as `<5`.

    Row numbers, item ids, years and factors (`3x`) are left alone.
    """
    if text is None or _missing(text):
        return text
    out = _RANGE.sub(lambda m: count_text(int(m.group(1)), int(m.group(2))), str(text))
    out = _SMALL_BEFORE_NOUN.sub(lambda m: PRIMARY_TEXT + m.group(2), out)
    out = _SMALL_IN_YEAR.sub(lambda m: PRIMARY_TEXT + m.group(2), out)
    out = _SMALL_AFTER_WORD.sub(lambda m: f"{m.group(1)} {PRIMARY_TEXT}", out)
    return out


# --- secondary suppression --------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Cells that add up to a published total: `total` = sum of `cells` (ids of `Disclosure`)."""

    label: str
    total: Hashable
    cells: tuple[Hashable, ...]


@dataclass(frozen=True)
class Withheld:
    """One secondary suppression, for the annex."""

    cell: Hashable
    cell_label: str
    group: str
    because_of: str
    reason: str


@dataclass
class Disclosure:
    """The published view of a set of count cells: primary `<5`, secondary `[c]`, one decision
    per cell however many tables show it."""

    values: dict[Hashable, Bounds] = field(default_factory=dict)
    labels: dict[Hashable, str] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    withheld: set[Hashable] = field(default_factory=set)
    log: list[Withheld] = field(default_factory=list)
    # cells that are sums of other published cells (the region's figures): where a further cell
    # must be withheld, such a sum goes before any jurisdiction's own total (`suppression.py`)
    sums: set[Hashable] = field(default_factory=set)

    def add_cell(self, cell: Hashable, low, high, label: str | None = None) -> None:
        if _missing(low) or _missing(high):
            return
        self.values[cell] = (int(low), int(high))
        if label is not None:
            self.labels[cell] = label

    def add_group(self, label: str, total: Hashable, cells: Iterable[Hashable]) -> None:
        members = tuple(c for c in cells if c in self.values and c != total)
        if total in self.values and members:
            self.groups.append(Group(label, total, members))

    # reading
    def is_suppressed(self, cell: Hashable) -> bool:
        return cell in self.withheld or (cell in self.values and is_primary(*self.values[cell]))

    def bounds(self, cell: Hashable) -> Bounds | None:
        """Published bounds of a cell; None when it is not reported or withheld."""
        if cell in self.withheld or cell not in self.values:
            return None
        return published_bounds(*self.values[cell])

    def status(self, cell: Hashable) -> str:
        """'not_reported', 'secondary', 'primary' or 'shown'."""
        if cell not in self.values:
            return "not_reported"
        if cell in self.withheld:
            return "secondary"
        return "primary" if is_primary(*self.values[cell]) else "shown"

    def text(self, cell: Hashable) -> str:
        if cell not in self.values:
            return NOT_REPORTED_TEXT
        return count_text(*self.values[cell], withheld=cell in self.withheld)

    def label(self, cell: Hashable) -> str:
        return self.labels.get(cell, str(cell))

    # deciding
    def _recoverable(self, unknown: Hashable, group: Group) -> bool:
        """Would the equation total = sum(cells) narrow `unknown` below what is shown of it?"""
        members = [group.total, *group.cells]
        known = [published_bounds(*self.values[m]) for m in members if m != unknown]
        if unknown == group.total:
            inferred = (sum(b[0] for b in known), sum(b[1] for b in known))
        else:
            total, others = known[0], known[1:]
            inferred = (total[0] - sum(b[1] for b in others), total[1] - sum(b[0] for b in others))
        if unknown in self.withheld:
            return True  # nothing of it is shown: any finite inference discloses it
        shown = published_bounds(*self.values[unknown])
        return inferred[0] > shown[0] or inferred[1] < shown[1]

    def _next_smallest(self, group: Group) -> Hashable | None:
        """The cell to withhold too: the group's total where it is one of the region's sums (a
        jurisdiction's own figure is worth more to its readers), else its smallest shown cell."""
        if group.total in self.sums and not self.is_suppressed(group.total):
            return group.total
        candidates = [c for c in group.cells if not self.is_suppressed(c)]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (self.values[c][1], self.values[c][0], str(c)))

    def resolve(self) -> list[Withheld]:
        """Withhold cells until no group has a single recoverable suppressed member."""
        changed = True
        while changed:
            changed = False
            for group in self.groups:
                members = [group.total, *group.cells]
                suppressed = [m for m in members if self.is_suppressed(m)]
                if len(suppressed) != 1 or not self._recoverable(suppressed[0], group):
                    continue
                chosen = self._next_smallest(group)
                if chosen is None:
                    continue
                self.withheld.add(chosen)
                unknown = suppressed[0]
                shown_as = SECONDARY_TEXT if unknown in self.withheld else PRIMARY_TEXT
                self.log.append(
                    Withheld(
                        cell=chosen,
                        cell_label=self.label(chosen),
                        group=group.label,
                        because_of=f"{self.label(unknown)} ({shown_as})",
                        reason=(
                            "the only suppressed cell of the group could otherwise be recovered "
                            "from the total and the other cells; "
                            + (
                                "the regional total is withheld too"
                                if chosen == group.total
                                else "the smallest other cell is withheld too"
                            )
                        ),
                    )
                )
                changed = True
        return self.log

    def log_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(w.group, w.cell_label, w.because_of, w.reason) for w in self.log],
            columns=["group", "cell_withheld", "protects", "reason"],
        )


def suppress_group(
    total: Bounds | None, cells: Mapping[Hashable, Bounds], label: str = "group"
) -> tuple[dict[Hashable, str], list[Withheld]]:
    """One group on its own: display text per cell (key "total" for the total) and the log."""
    d = Disclosure()
    total_id = ("__total__",)
    if total is not None:
        d.add_cell(total_id, *total, label="total")
    for key, bounds in cells.items():
        d.add_cell(key, *bounds, label=str(key))
    d.add_group(label, total_id, list(cells))
    log = d.resolve()
    texts = {key: d.text(key) for key in cells}
    texts["total"] = d.text(total_id) if total is not None else NOT_REPORTED_TEXT
    return texts, log


# --- the harmonised table -------------------------------------------------------------------

HARMONISED_KEY = ("jurisdiction", "year", "indicator", "dimension", "category", "sex", "age")
# Breakdowns of a total that a reader could add up; repatriation is not one (it counts nationals
# detected abroad, not a part of the jurisdiction's own total).
ADDITIVE_DIMENSIONS = ("exploitation", "citizenship")


def cell_id(
    jurisdiction: str,
    year: int,
    indicator: str,
    dimension: str = "total",
    category: str = "total",
    sex: str = "total",
    age: str = "total",
) -> tuple:
    return (jurisdiction, int(year), indicator, dimension, category, sex, age)


class CellLabeller(Protocol):
    """Names a cell of the harmonised statistics, and a group of cells by what it adds up over."""

    def __call__(self, key: tuple) -> str: ...

    def group(self, total: tuple, by: str) -> str: ...


class _CodeLabels:
    """Cells named by their codes ("ALB, 2021, victims detected, exploitation forced_labour"):
    what `harmonised_disclosure` falls back to without a labeller (`labels.CellLabels` names them
    for readers)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def __call__(self, key: tuple) -> str:
        j, year, indicator, dimension, category, sex, age = key
        parts = [self.names.get(j, j), str(year), indicator.replace("_", " ")]
        if dimension != "total":
            parts.append(f"{dimension} {category}")
        parts += [v for v in (sex, age) if v != "total"]
        return ", ".join(parts)

    def group(self, total: tuple, by: str) -> str:
        return f"{self(total)}: by {by}"


def harmonised_disclosure(
    harmonised: pd.DataFrame,
    region_totals: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    region_code: str | None = None,
    labels: CellLabeller | None = None,
) -> Disclosure:
    """Disclosure decisions for every cell of `harmonised_statistics`, and for the region's
    figures (`trends` rows of the region's code: the sum of the jurisdictions' totals) when
    given. `labels` names cells and groups for the log (`labels.CellLabels`); without it they
    are named by their codes, jurisdictions from `names`."""
    label = labels or _CodeLabels(names or {})
    region_code = region_code or load_region().code
    d = Disclosure()
    h = harmonised
    keys = list(zip(*(h[c] for c in HARMONISED_KEY), strict=True))
    for key, low, high in zip(keys, h["value_low"], h["value_high"], strict=True):
        key = cell_id(*key)
        d.add_cell(key, low, high, label=label(key))
    present = set(d.values)

    def _groups(by: list[str], vary: str, total_value: str, what: str, frame: pd.DataFrame):
        for group_key, part in frame.groupby(by, sort=True):
            base = dict(zip(by, group_key, strict=True))
            total = cell_id(**{**base, vary: total_value})
            if total not in present:
                continue
            cells = [cell_id(**{**base, vary: v}) for v in part[vary] if v != total_value]
            d.add_group(label.group(total, what), total, cells)

    dims_total = h[h["dimension"] == "total"]
    others = ["jurisdiction", "year", "indicator", "dimension", "category"]
    _groups([*others, "age"], "sex", "total", "sex", dims_total)
    _groups([*others, "sex"], "age", "total", "age", dims_total)
    for dimension in ADDITIVE_DIMENSIONS:
        part = h[h["dimension"] == dimension]
        for group_key, rows in part.groupby(["jurisdiction", "year", "indicator", "sex", "age"]):
            j, year, indicator, sex, age = group_key
            total = cell_id(j, year, indicator, "total", "total", sex, age)
            if total not in present:
                continue
            cells = [cell_id(j, year, indicator, dimension, c, sex, age) for c in rows["category"]]
            d.add_group(label.group(total, dimension), total, cells)
        # the sex and age breakdowns inside a dimension (forms by sex, by age)
        _groups([*others, "age"], "sex", "total", "sex", part)
        _groups([*others, "sex"], "age", "total", "age", part)

    if region_totals is not None and not region_totals.empty:
        region = region_totals[region_totals["jurisdiction"] == region_code]
        for row in region.itertuples(index=False):
            total = cell_id(region_code, row.year, row.indicator)
            d.add_cell(total, row.value_low, row.value_high, label=label(total))
            d.sums.add(total)
            members = [
                cell_id(j, row.year, row.indicator)
                for j in str(row.jurisdictions_reporting).split(",")
            ]
            d.add_group(label.group(total, "jurisdiction"), total, members)
    d.resolve()
    # group by group is not enough (a cell can be recovered through several groups at once):
    # the audit of the relations withholds more until none is (audit.py builds on this module)
    from wbtip_pipeline.presentation.suppression import protect

    protect(d)
    return d


# --- CSV exports ----------------------------------------------------------------------------


def publication_frame(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    withheld: pd.Series | None = None,
) -> pd.DataFrame:
    """A copy of `frame` fit for publication: each count given as bounds (`<name>_low`,
    `<name>_high`) or as one integer column `<name>` becomes one text column `<name>` (`<5`,
    `[c]`, `≤8`, `83–91`, `123`). `withheld` marks rows whose counts are secondary-suppressed.

    Any other column derived from those counts (rates, shares) must be dropped or recomputed by
    the caller from the published bounds; this function drops the `_low`/`_high` pairs only.
    """
    out = frame.copy()
    mask = (
        withheld.reindex(out.index).fillna(False).astype(bool)
        if withheld is not None
        else pd.Series(False, index=out.index)
    )
    for name in count_columns:
        low_col, high_col = f"{name}_low", f"{name}_high"
        if low_col in out.columns and high_col in out.columns:
            low, high = out[low_col], out[high_col]
            position = list(out.columns).index(low_col)
            out = out.drop(columns=[low_col, high_col])
        elif name in out.columns:
            low = high = out[name]
            position = list(out.columns).index(name)
            out = out.drop(columns=[name])
        else:
            raise KeyError(f"no count column {name!r} (nor {low_col}/{high_col}) in the frame")
        texts = [
            count_text(lo, hi, withheld=bool(w))
            for lo, hi, w in zip(low.tolist(), high.tolist(), mask.tolist(), strict=True)
        ]
        out.insert(position, name, texts)
    return out


def publish_harmonised(d: Disclosure, harmonised: pd.DataFrame) -> pd.DataFrame:
    """`harmonised_statistics` for publication: `value` as display text, `suppression` saying
    which rule applied ('', 'primary', 'secondary')."""
    keys = [cell_id(*k) for k in zip(*(harmonised[c] for c in HARMONISED_KEY), strict=True)]
    withheld = pd.Series([k in d.withheld for k in keys], index=harmonised.index)
    out = publication_frame(harmonised, ["value"], withheld=withheld)
    out["suppression"] = [
        {"secondary": "secondary", "primary": "primary"}.get(d.status(k), "") for k in keys
    ]
    return out


def small_count_cells(texts: Iterable[str]) -> list[str]:
    """The display texts among `texts` that would print a count from 1 to 4 (for tests and the
    render-time guard)."""
    bad = re.compile(r"\s*(?:(?:≤|<)\s*)?[1-4]\s*|\s*[1-4]\s*[–-]\s*\d[\d,]*\s*")
    return [t for t in texts if t is not None and bad.fullmatch(str(t))]
