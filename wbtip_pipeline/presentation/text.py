"""Numbers in words: counts, shares, rates, years and changes as the report and the pack print
them. Pure functions of published values (disclosure control has been applied before), but for
one record: a share of bounds that know their cells (`CellBounds`, from `Facts.bounds`) is
entered in the register of printed claims when printed, for the disclosure audit."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from wbtip_pipeline.presentation.disclosure import NOT_REPORTED_TEXT

_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def is_nan(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_int(value) -> int | None:
    return None if is_nan(value) else int(value)


def as_str(value) -> str:
    return "" if is_nan(value) else str(value)


def number_word(n: int) -> str:
    """Style of the monitoring reports: numbers up to ten in words."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """ "one jurisdiction", "seven jurisdictions"."""
    return f"{number_word(n)} {noun if n == 1 else (nouns or noun + 's')}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def pct(value: float | None, digits: int = 0) -> str:
    return NOT_REPORTED_TEXT if value is None else f"{value * 100:.{digits}f}%"


def signed_pct(value: float) -> str:
    return f"{value:+.0f}%".replace("-", "−")


class CellBounds(tuple):
    """Published bounds (low, high) that remember the cells they were read from and the
    register of claims (`claims.Claims`) a share of them is recorded in when printed
    (`Facts.bounds` hands them out). Pickled and copied as plain bounds: a chart drawn from
    them is cached by its numbers only."""

    def __new__(cls, bounds, cells=(), register=None):
        self = super().__new__(cls, bounds)
        self.cells, self.register = tuple(cells), register
        return self

    def __reduce__(self):
        return (tuple, (tuple(self),))


class ShareBounds(CellBounds):
    """A share's bounds from `CellBounds`: the cells of its part (`cells`) and of its whole."""

    def __new__(cls, bounds, cells=(), register=None, whole=()):
        self = super().__new__(cls, bounds, cells, register)
        self.whole = tuple(whole)
        return self


def share_range_text(bounds: tuple[float, float] | None) -> str:
    """ "62%", "52–57%"; a share of published cells (`ShareBounds`) is recorded as printed, for
    the disclosure audit."""
    if bounds is None:
        return NOT_REPORTED_TEXT
    low, high = (round(b * 100) for b in bounds)
    text = f"{low}%" if low == high else f"{low}–{high}%"
    if isinstance(bounds, ShareBounds) and bounds.register is not None:
        bounds.register.share(bounds.cells, bounds.whole, text)
    return text


def rate_text(bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return NOT_REPORTED_TEXT
    low, high = bounds
    if f"{low:.2f}" == f"{high:.2f}":
        return f"{low:.2f}"
    if low == 0:
        return f"≤{high:.2f}"
    return f"{low:.2f}–{high:.2f}"


def years_text(years: Iterable[int]) -> str:
    """2003–2005, 2007, 2010–2011."""
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return "none"
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:]:
        if y != prev + 1:
            runs.append((start, prev))
            start = y
        prev = y
    runs.append((start, prev))
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def period_text(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else ""


def published_share(num, den) -> tuple[float, float] | None:
    """[num_low / den_high, num_high / den_low] from published bounds, clipped to [0, 1]; of
    `CellBounds`, a `ShareBounds` that knows its cells."""
    if num is None or den is None or den[0] <= 0:
        return None
    low, high = num[0] / den[1], num[1] / den[0]
    share = (max(0.0, min(1.0, low)), max(0.0, min(1.0, high)))
    if isinstance(num, CellBounds) and isinstance(den, CellBounds) and num.register is not None:
        return ShareBounds(share, num.cells, num.register, den.cells)
    return share


def published_rate(bounds, population) -> tuple[float, float] | None:
    if bounds is None or is_nan(population) or not population:
        return None
    return (bounds[0] / population * 100_000, bounds[1] / population * 100_000)


def sum_bounds(items: Iterable[tuple[int, int] | None]) -> tuple[int, int] | None:
    """The bounds of a sum (None if a term is not published); of `CellBounds`, a `CellBounds`
    of all their cells."""
    items = list(items)
    if not items or any(b is None for b in items):
        return None
    total = (sum(b[0] for b in items), sum(b[1] for b in items))
    if all(isinstance(b, CellBounds) for b in items) and items[0].register is not None:
        return CellBounds(total, [c for b in items for c in b.cells], items[0].register)
    return total
