"""What the documents print about cells, recorded where it is printed, for the disclosure audit.

A share, a ratio, a sum printed as a count, a sentence saying a count is not zero: each is a
linear statement about the cells of `harmonised_statistics` (`Claim`). `Facts.claims` (a
`Claims` register) collects them while the report and the workshop pack are built, with the
place that prints them; `audit.py` then bounds every protected cell over them.

Two kinds of producer feed it:

- the shares the documents compute from published bounds (`text.published_share` on the bounds
  `Facts.bounds` hands out, printed by `text.share_range_text`) record themselves;
- figures of the `trends` table that evidence lines and recommendation texts quote (a share of
  the victims, persons prosecuted per detected victim) were computed from the counts behind the
  cells. `TrendFigures` finds the cells each is made of and prints it as the published cells
  allow: a range from their published bounds, or `[c]` when one of them is withheld. So a
  quoted share can never say more than the cells do, and the audit checks that it does not.
  A sentence around a withheld figure is then said in words ("children were among the 5
  victims detected in 2021 (their share is withheld ...)": `withheld_in_words`), which says
  only that the cells are not zero (an "exists" claim).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from wbtip_pipeline.presentation.disclosure import SECONDARY_TEXT, Disclosure, cell_id
from wbtip_pipeline.presentation.text import share_range_text
from wbtip_pipeline.region import Region
from wbtip_pipeline.vocab import ATTRITION, FORMS, SHARES, SPECIAL_COUNTRY_CODES

Cell = Hashable
INF = float("inf")

_FIGURE = re.compile(r"(\d+(?:\.(\d+))?)(?:\s*[–-]\s*(\d+(?:\.(\d+))?))?\s*(%?)")


def printed_interval(text: str) -> tuple[float, float] | None:
    """The values a printed share or ratio allows, half a unit of its last digit either side:
    "62%" -> (0.615, 0.625), "52–57%" -> (0.515, 0.575), "0.18–0.28" -> (0.175, 0.285); None
    for anything else (`[c]`, `–`)."""
    m = _FIGURE.fullmatch(str(text).strip())
    if not m:
        return None
    low, high = float(m[1]), float(m[3] or m[1])
    half_low = 0.5 * 10.0 ** -len(m[2] or "")
    half_high = 0.5 * 10.0 ** -len((m[4] if m[3] else m[2]) or "")
    scale = 100.0 if m[5] else 1.0
    return (max(0.0, (low - half_low) / scale), (high + half_high) / scale)


@dataclass(frozen=True)
class Claim:
    """One printed statement about cells.

    kind "share"/"ratio": sum(num) / sum(den) lies within [low, high] (from the printed text);
    "count": sum(num) lies within [low, high]; "exists": sum(num) is at least 1.
    """

    kind: str
    num: tuple[Cell, ...]
    den: tuple[Cell, ...] = ()
    low: float = 0.0
    high: float = INF
    text: str = ""

    @property
    def cells(self) -> tuple[Cell, ...]:
        return self.num + self.den

    def rows(self) -> list[tuple[dict[Cell, float], float, float]]:
        """The claim as linear rows lo <= sum(coef * cell) <= hi: a share p of a whole is
        part - p * whole >= 0 (or <= 0) for each end of its printed interval."""
        num = _coefs(self.num)
        if self.kind in ("count", "exists"):
            return [(num, self.low if self.kind == "count" else 1.0, self.high)]
        rows = [(_coefs(self.den), 1.0, INF)]  # a share is printed only of a non-empty whole
        if self.low > 0:
            rows.append((_linear(num, self.den, -self.low), 0.0, INF))
        if self.high < INF and not (self.kind == "share" and self.high >= 1):
            rows.append((_linear(num, self.den, -self.high), -INF, 0.0))
        return rows


def _coefs(cells: Iterable[Cell]) -> dict[Cell, float]:
    out: dict[Cell, float] = defaultdict(float)
    for c in cells:
        out[c] += 1.0
    return dict(out)


def _linear(num: dict[Cell, float], den: Iterable[Cell], factor: float) -> dict[Cell, float]:
    out = dict(num)
    for c in den:
        out[c] = out.get(c, 0.0) + factor
    return out


class Claims:
    """The register of what the documents print about cells, filled while they are built:
    each claim once, with every place that prints it."""

    def __init__(self) -> None:
        self._where: dict[Claim, list[str]] = {}
        self.location = ""

    @contextmanager
    def at(self, where: str) -> Iterator[None]:
        """Claims made inside are located at `where` (nested: "report › 5 Montenegro › ...")."""
        outer = self.location
        self.location = f"{outer} › {where}" if outer else where
        try:
            yield
        finally:
            self.location = outer

    def add(self, claim: Claim) -> None:
        places = self._where.setdefault(claim, [])
        if self.location not in places:
            places.append(self.location)

    def share(self, num: Sequence[Cell], den: Sequence[Cell], text: str, kind="share") -> None:
        """A share (or, kind="ratio", a ratio) of cells as printed: "62%", "0–80%", "0.18"."""
        bounds = printed_interval(text)
        if bounds is not None and num and den:
            self.add(Claim(kind, tuple(num), tuple(den), bounds[0], bounds[1], str(text)))

    def count(self, cells: Sequence[Cell], bounds: tuple[float, float] | None, text: str) -> None:
        """A sum of cells printed as a count (`bounds` as printed: `≤8` is (0, 8))."""
        if bounds is not None and cells:
            self.add(Claim("count", tuple(cells), (), float(bounds[0]), float(bounds[1]), text))

    def exists(self, cells: Sequence[Cell], text: str) -> None:
        """A sentence saying the cells hold at least one person ("victims include citizens of")."""
        if cells:
            self.add(Claim("exists", tuple(cells), (), 1.0, INF, text))

    def where(self, claim: Claim) -> list[str]:
        return list(self._where.get(claim, []))

    def items(self) -> list[tuple[Claim, list[str]]]:
        return [(c, list(w)) for c, w in self._where.items()]

    def __len__(self) -> int:
        return len(self._where)


# --- figures of the trends table, as the published cells allow them ---------------------------


def pct_text(bounds: tuple[float, float]) -> str:
    """A share as a recommendation's template prints it: "35%", "20–35%"."""
    a, b = (f"{x * 100:.0f}%" for x in bounds)
    return a if a == b else f"{a[:-1]}–{b}"


def ratio_text(bounds: tuple[float, float]) -> str:
    """ "0.35", "0.20–0.35"."""
    a, b = (f"{x:.2f}" for x in bounds)
    return a if a == b else f"{a}–{b}"


@dataclass(frozen=True)
class Figure:
    """A share or a ratio of sums of cells (`kind` "share" or "ratio")."""

    kind: str
    num: tuple[Cell, ...]
    den: tuple[Cell, ...]

    def cells(self) -> tuple[Cell, ...]:
        return self.num + self.den


_PCT = re.compile(r"(?<![\d.,])\d+(?:–\d+)?%")
_RATIO = re.compile(r"(?<![\d.,])\d+\.\d\d(?:–\d+\.\d\d)?(?![\d%])")
TRENDS = "trends"


class TrendFigures:
    """The cells behind the shares and ratios of `trends` rows, and those figures as published."""

    def __init__(self, d: Disclosure, region: Region) -> None:
        self.d = d
        self.region = region
        not_foreign = {*SPECIAL_COUNTRY_CODES, *region.former_codes}
        self._foreign: dict[tuple, list[Cell]] = defaultdict(list)
        for c in d.values:
            if not (isinstance(c, tuple) and len(c) == 7):
                continue  # a cell not keyed like the harmonised table's
            j, year, indicator, dimension, category, sex, age = c
            if dimension == "citizenship" and (sex, age) == ("total", "total"):
                if category != j and category not in not_foreign:
                    self._foreign[(j, year, indicator)].append(c)

    def _members(self, code: str) -> list[str]:
        return list(self.region.codes) if code == self.region.code else [code]

    def share(self, code: str, year: int, indicator: str, stem: str) -> Figure | None:
        """The cells of `<stem>_share` (`vocab.SHARES`) on a trends row; the region's row pools
        the members that report both the part and the whole."""
        num, den = [], []
        for j in self._members(code):
            if stem == "foreign":
                part = self._foreign.get((j, int(year), indicator), [])
            else:
                part = [self._part(j, int(year), indicator, stem)]
            part = [c for c in part if c in self.d.values]
            whole = cell_id(j, year, indicator)
            if part and whole in self.d.values:
                num += part
                den.append(whole)
        return Figure("share", tuple(num), tuple(den)) if num else None

    @staticmethod
    def _part(j: str, year: int, indicator: str, stem: str) -> Cell:
        if stem == "female":
            return cell_id(j, year, indicator, sex="female")
        if stem == "child":
            return cell_id(j, year, indicator, age="child")
        if stem in FORMS:
            return cell_id(j, year, indicator, "exploitation", stem)
        return cell_id(j, year, indicator, "citizenship", j)  # nationals

    def ratio(self, code: str, year: int, measure: str) -> Figure | None:
        """The cells of an attrition ratio (`vocab.ATTRITION`) on its numerator's row."""
        spec = next((a for a in ATTRITION if a[0] == measure), None)
        if spec is None:
            return None
        num, den = [], []
        for j in self._members(code):
            n, w = cell_id(j, year, spec[1]), cell_id(j, year, spec[2])
            if n in self.d.values and w in self.d.values:
                num.append(n)
                den.append(w)
        return Figure("ratio", tuple(num), tuple(den)) if num else None

    def bounds(self, figure: Figure, published: bool) -> tuple[float, float] | None:
        """[sum(num) low / sum(den) high, high / low] from the counts behind the cells, or
        (`published`) from their published bounds; None when unbounded or not published."""
        get = self.d.bounds if published else self.d.values.get
        parts = [get(c) for c in figure.num], [get(c) for c in figure.den]
        if any(b is None for b in parts[0] + parts[1]):
            return None
        (nl, nh), (dl, dh) = ((sum(b[0] for b in p), sum(b[1] for b in p)) for p in parts)
        if dl <= 0:
            return None
        low, high = nl / dh, nh / dl
        return (min(low, 1.0), min(high, 1.0)) if figure.kind == "share" else (low, high)

    def published_text(self, figure: Figure, claims: Claims | None, style: str = "range") -> str:
        """The figure as its published cells allow it ("52–57%", "0.18–0.28"), `[c]` when a
        cell of it is withheld; recorded in `claims` as printed."""
        if any(self.d.status(c) == "secondary" for c in figure.cells()):
            return SECONDARY_TEXT
        bounds = self.bounds(figure, published=True)
        if bounds is None:
            return SECONDARY_TEXT
        if figure.kind == "ratio":
            text = ratio_text(bounds)
        else:
            text = share_range_text(bounds) if style == "range" else pct_text(bounds)
        if claims is not None:
            claims.share(figure.num, figure.den, text, kind=figure.kind)
        return text

    def evidence_share(self, row, stem: str, given: tuple, claims: Claims | None) -> str:
        """A `<stem>_share` an evidence line shows (`given`: its bounds in the row): as the
        published cells allow it when `row` (table, keys) is a trends row, else as given."""
        table, keys = row or (None, {})
        figure = None
        if table == TRENDS:
            try:
                year, name = int(keys["year"]), stem[: -len("_share")]
                figure = self.share(str(keys["jurisdiction"]), year, str(keys["indicator"]), name)
            except (KeyError, TypeError, ValueError):
                figure = None
        return share_range_text(given) if figure is None else self.published_text(figure, claims)

    # the figures a recommendation's text quotes from its evidence ---------------------------
    def evidence_figures(self, items: Iterable[dict]) -> list[Figure]:
        """Every share and ratio the `trends` rows of an evidence list carry: per row, and
        pooled over the rows (a template may quote either: an attrition ratio is pooled over
        the years both its indicators are reported, `select_below_regional_median`)."""
        rows: dict[tuple, dict] = {}
        for item in items:
            if not isinstance(item, dict) or item.get("table") != TRENDS:
                continue
            keys = item.get("keys") or {}
            try:
                key = (str(keys["jurisdiction"]), int(keys["year"]), str(keys["indicator"]))
            except (KeyError, TypeError, ValueError):
                continue
            rows[key] = item.get("values") or {}
        pooled: dict[tuple, list[Figure]] = defaultdict(list)
        out: list[Figure] = []
        for (code, year, indicator), values in rows.items():
            for stem in SHARES:
                if values.get(f"{stem}_share_low") is not None:
                    if fig := self.share(code, year, indicator, stem):
                        out.append(fig)
                        pooled[("share", stem)].append(fig)
            for measure, numerator, denominator in ATTRITION:
                if indicator != numerator:
                    continue
                fig = self.ratio(code, year, measure)
                if fig and values.get(f"{measure}_low") is not None:
                    out.append(fig)
                if fig and (code, year, denominator) in rows:
                    pooled[("ratio", measure, code)].append(fig)
        for figures in pooled.values():
            if len(figures) > 1:
                num = tuple(dict.fromkeys(c for f in figures for c in f.num))
                den = tuple(dict.fromkeys(c for f in figures for c in f.den))
                out.append(Figure(figures[0].kind, num, den))
        return out

    def published_quotes(
        self, text: str, evidence, claims: Claims | None, withheld: list[Figure] | None = None
    ) -> str:
        """`text` with each share or ratio it quotes from its evidence (a recommendation's
        evidence list, or its JSON), matched by how the counts behind the cells print, printed
        as the published cells allow it instead, and recorded in `claims` as printed. The
        figures printed `[c]` are added to `withheld` (for `withheld_in_words`)."""
        if not isinstance(evidence, list):
            try:
                evidence = json.loads(evidence) if isinstance(evidence, str) and evidence else []
            except ValueError:
                evidence = []
        figures = self.evidence_figures(evidence if isinstance(evidence, list) else [evidence])
        if not figures:
            return text

        def quote(match: re.Match, kind: str) -> str:
            token = match.group(0)
            hits = [f for f in figures if f.kind == kind and token in self._raw_texts(f)]
            if not hits:
                return token
            shown = [self.published_text(f, None, style="pct") for f in hits]
            out = SECONDARY_TEXT if SECONDARY_TEXT in shown else (
                next((s for s in shown if s != token), token)
            )  # fmt: skip
            if claims is not None:
                for f in hits:
                    claims.share(f.num, f.den, out, kind=kind)
            if withheld is not None and out == SECONDARY_TEXT:
                withheld.extend(hits)
            return out

        text = _PCT.sub(lambda m: quote(m, "share"), text)
        return _RATIO.sub(lambda m: quote(m, "ratio"), text)

    def _raw_texts(self, figure: Figure) -> set[str]:
        bounds = self.bounds(figure, published=False)
        if bounds is None:
            return set()
        if figure.kind == "ratio":
            return {ratio_text(bounds)}
        return {pct_text(bounds), share_range_text(bounds)}


# --- a withheld figure in a sentence, in words -----------------------------------------------

WITHHELD_NUMBER = "the number is withheld to protect small counts"
WITHHELD_SHARE = "the share is withheld to protect small counts"
WITHHELD_THEIR_SHARE = "their share is withheld to protect small counts"
_C = re.escape(SECONDARY_TEXT)
# "victims detected in 2021", "5 victims detected in 2019–2020 and 2022"
_WHOLE = r"(?:\d+ )?victims detected in \d{4}(?:(?:–|, | and )\d{4})*"
_PREPOSITIONS = ("in ", "of ", "at ", "by ", "for ", "from ")
# "[c] of the victims detected in 2021 were its own nationals"; "[c] victims detected in 2021
# were their citizens"
_PART_OF_WHOLE = re.compile(rf"{_C} (?:of )?(?:the )?(?P<whole>{_WHOLE}) were (?P<what>[^.;:]+)")
# "children were [c] of the 5 victims detected in 2021"
_WHO_WERE = re.compile(rf"(?P<who>\w[\w' ]*?) were {_C} of the (?P<whole>{_WHOLE})")
# "[c] were repatriated in 2021"
_SOME_WERE = re.compile(rf"{_C} were (?P<what>[^.;:]+)")


def withheld_in_words(text: str, what: str = "number") -> str:
    """`text` with each withheld figure (`[c]`) of a sentence about the victims said in words
    that disclose nothing but that there were some: "[c] of the victims detected in 2021 were
    its own nationals" -> "its own nationals were among the victims detected in 2021 (the
    number is withheld to protect small counts)"; "children were [c] of the 5 victims detected
    in 2021" -> "children were among the 5 victims detected in 2021 (their share is withheld
    to protect small counts)". `what`: "number" or "share", what the `[c]` stands for. A rule
    quotes such a figure only above a threshold (at least five victims, a share of a quarter
    or more), so "among" is true; the caller records it as such (`Claims.exists`)."""
    if SECONDARY_TEXT not in text:
        return text
    note = WITHHELD_NUMBER if what == "number" else WITHHELD_SHARE

    def part(m: re.Match) -> str:
        whole, said = m["whole"], m["what"].strip()
        if said.startswith(_PREPOSITIONS):
            return f"some of the {whole} were {said} ({note})"
        return f"{said} were among the {whole} ({note})"

    text = _PART_OF_WHOLE.sub(part, text)
    their = WITHHELD_NUMBER if what == "number" else WITHHELD_THEIR_SHARE
    text = _WHO_WERE.sub(lambda m: f"{m['who']} were among the {m['whole']} ({their})", text)
    return _SOME_WERE.sub(lambda m: f"some were {m['what'].strip()} ({note})", text)
