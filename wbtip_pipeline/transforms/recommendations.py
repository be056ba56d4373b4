"""Evidence-linked recommendations: the rules of `rules/recommendations.yaml` applied to the
evidence tables of the analytics layer (`schemas/analytics.py`).

Grain of `recommendations`: one row per rule x group of triggering evidence rows (one group per
jurisdiction unless the rule groups otherwise), plus one `REGIONAL` line per rule whose text is
identical, once the jurisdiction name (and the year and the finding of the latest assessment)
is taken out, for `MIN_SUMMARISED` or more jurisdictions, unless a line of the region's own
(`REG-SHARED-GAP`) is about the same checklist item: one regional line per item
(`drop_duplicate_regional`).
Grain of `recommendation_changes`: one row per recommendation id present in the previous or the
current materialisation.

How a rule runs (the YAML file's header says the same for analysts):

1. `where` keeps the rows of the rule's table that meet every condition (declarative operators
   only: `OPERATORS`; an empty cell never meets a condition other than `isnull: true`). Region
   rows (code `region.code`, the short name of region.yaml) are comparators, never addressees:
   they are dropped first.
2. `select` (optional) names a documented function of `SELECTORS` for what one row cannot say
   on its own ("below the regional median", "falling while rising", "latest year").
3. `having` filters what the selector returned, with the same operators.
4. Rows are grouped by `group_by` (default: the table's key, i.e. one row per recommendation);
   each group is one recommendation whose evidence is every row of the group.
5. The text is `str.format_map` of the template over whitelisted fields (`available_fields`).
   Plain column fields come from the group's lead row (its most recent row); a row with an
   empty template column never triggers the rule, so no text fills in a missing figure.
   Counts given as intervals render through `Interval`: `<5` reads "fewer than five", never
   as a number. `progress_indicator` ("how progress would show") is the rule's `progress`
   template over the same fields.

What to do about a checklist item is data (`rules/actions.yaml`, `load_actions`): rows of the
mechanism tables carry their item's `topic`, `action_not_met`, `action_partly_met`,
`item_progress` and addressee, and `evidence_quote` the assessment's finding as a clause
(`finding`: the coder's paraphrase of the assessment, never in quotation marks). Checklist ids,
file names and addresses are never template fields: they stay in the evidence, so a text names
the action, not the item's code. Names are printed as the documents print them
(`display_name`: "Kosovo*", with its footnote mark).

Stable id: "REC-" + the first 10 hex digits of SHA-256 over the rule id, the jurisdiction and
the sorted evidence *keys* (never the values): a revised figure keeps its recommendation's id,
a different set of evidence rows gives a new one.

Priority. Within a jurisdiction the recommendations a delegation can act on first lead:
`acts_first` is true for a change in law, policy or practice (rule step `act`; not `inform`,
a request for figures or an account) that is urged or considered (not an invitation to keep
going) on evidence that is not dated (below).
Those rank first, then the rest; within each part urgency (urge > consider > invite), then
`priority_score` (high first), so the top `TOP_PRIORITIES` are recent, concrete actions
wherever a jurisdiction has them.
`priority_score = weight x (1 + log2(min(n_evidence, 16)) / 4) x 0.5 ** (years_behind / 5)
x source x dated`, where `weight` is the rule's (default 1), `years_behind` is how far the
latest year of the evidence lies behind the latest year of its whole table (0 when the evidence
has no year), `source` the mean, over the evidence rows that cite a published source
(`source_url`), of the weight of each row's best source (`vocab.SOURCE_WEIGHTS` by the
source_type of `evidence_sources`: 1 for a publisher speaking for itself, 0.8 media, 0.7 a
copy (mirror), 0.5 an unidentified site; 1 when no row cites one or there is no
evidence_sources table), and `dated` is `DATED_FACTOR` (0.5) when the latest year of the
evidence lies more than `vocab.DATED_AFTER_YEARS` (5) years before the newest year of the
statistics (`trends`), the evidence the report marks "dated: 2011", else 1.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry
import yaml

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.schemas.analytics import ANALYTICS_SCHEMAS
from wbtip_pipeline.transforms.evidence_sources import source_types, source_weight
from wbtip_pipeline.transforms.findings import clause
from wbtip_pipeline.vocab import (
    ATTRITION,
    BANNED_PHRASES,
    CHANGES,
    DATED_AFTER_YEARS,
    DOMAINS,
    ID_HEX,
    MAX_PROGRESS_WORDS,
    MAX_WORDS,
    MIN_SHARED_GAP,
    NOT_DISCUSSED,
    REGIONAL,
    TOP_PRIORITIES,
    URGENCIES,
    URGENCY_VERBS,
)

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "rules" / "recommendations.yaml"
DEFAULT_ACTIONS = Path(__file__).resolve().parents[1] / "rules" / "actions.yaml"

# REGIONAL, DOMAINS, URGENCIES (the Council of Europe monitoring body's scale) and their verbs,
# CHANGES, MAX_WORDS, TOP_PRIORITIES, ID_HEX and BANNED_PHRASES are the contract of the
# recommendation tables: `vocab.py`.
FROM_EVIDENCE = "from_evidence"
# a rule's addressee `from_item`: the addressee rules/actions.yaml gives the evidence's item
FROM_ITEM = "from_item"
# a rule's step: `act` asks for a change in law, policy or practice, `inform` for figures or an
# account to be published; only `act` on evidence that is not dated ranks first
STEPS = ("act", "inform")

MAX_TEMPLATE_WORDS = 45  # each field counted as one word: leaves room for long names
MAX_PROGRESS_TEMPLATE_WORDS = 30
RECENCY_HALF_LIFE_YEARS = 5
# what dated evidence (vocab.DATED_AFTER_YEARS) counts, on top of the recency half-life
DATED_FACTOR = 0.5
EVIDENCE_CAP = 16
# Identical per-jurisdiction recommendations become a regional line from this many on: the
# threshold regional_opportunities uses for a gap shared across the region.
MIN_SUMMARISED = MIN_SHARED_GAP

RECOMMENDATION_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "domain",
    "urgency",
    "addressee",
    "text",
    "progress_indicator",
    "rule_id",
    "evidence_table",
    "evidence",
    "n_evidence",
    "latest_year",
    "priority_score",
    "acts_first",
    "priority_rank",
    "top_priority",
    "summarises",
]
CHANGE_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "rule_id",
    "change",
    "text",
    "urgency",
    "domain",
    "text_changed",
    "workshop_status",
]

# The column holding a row's year, where it is not `year`.
YEAR_COLUMNS = {
    "trend_summary": "last_year",
    "data_gap_summary": "last_year",
    "regional_opportunities": "years",
}

# --- labels: codes as words in the text -----------------------------------------------------

INDICATOR_LABELS = {
    "victims_detected": "detected victims",
    "persons_formal_contact": "persons in formal contact with the police",
    "persons_prosecuted": "persons prosecuted",
    "persons_convicted": "persons convicted",
    "offences_recorded": "offences recorded",
}
BREAKDOWN_LABELS = {
    "total": "total",
    "sex": "sex",
    "age": "age",
    "exploitation": "form of exploitation",
    "citizenship": "citizenship",
    "repatriation": "country of repatriation",
}
DOMAIN_LABELS = {
    "coordination": "coordination",
    "identification": "victim identification",
    "protection": "victim protection",
    "justice": "criminal justice",
    "prevention": "prevention",
    "cooperation": "international cooperation",
    "data": "data and statistics",
}
_SPECIAL_COUNTRIES = {
    "ABROAD": "an unnamed foreign country",
    "UNKNOWN": "an unknown country",
}


def country_name(code: str, region: Region | None = None) -> str:
    """A jurisdiction's or country's name in English: a member's name or a former state's from
    the region (default: `load_region()`), else pycountry's (its common name where it has one)."""
    region = load_region() if region is None else region
    member = region.member(code)
    if member is not None:
        return member.name
    if code in region.former_codes:
        return region.former_codes[code]
    if code in _SPECIAL_COUNTRIES:
        return _SPECIAL_COUNTRIES[code]
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def display_name(code: str, region: Region | None = None) -> str:
    """A name as a recommendation prints it: a member's with its footnote mark where it carries
    a footnote ("Kosovo*", as everywhere in the documents; the published CSV of a row naming
    it carries the footnote in its `footnote` column), any other `country_name`."""
    region = load_region() if region is None else region
    member = region.member(code)
    return member.label() if member is not None else country_name(code, region)


MAX_LISTED = 8  # a longer list of names is counted instead, so that a text stays readable
MAX_LISTED_WORDS = 16  # and so is a list of long names (at fifty times the region: 62 words)


def join_words(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'; more than MAX_LISTED names, or names of more than
    MAX_LISTED_WORDS words together: 'a, b, c and 9 others'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) > MAX_LISTED or sum(len(i.split()) for i in items) > MAX_LISTED_WORDS:
        shown, words = [], 0
        for item in items[: MAX_LISTED - 2]:
            if shown and words + len(item.split()) > MAX_LISTED_WORDS:
                break
            shown.append(item)
            words += len(item.split())
        rest = len(items) - len(shown)
        return ", ".join(shown) + f" and {rest} other{'s' if rest > 1 else ''} (see the evidence)"
    return ", ".join(items[:-1]) + " and " + items[-1]


def years_label(years: Iterable[int]) -> str:
    """Distinct years as words, consecutive runs joined: '2004', '2017–2019 and 2021'."""
    ordered = sorted({int(y) for y in years})
    runs: list[list[int]] = []
    for year in ordered:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return join_words(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _years_of_text(text: Any) -> list[int]:
    return [int(y) for y in str(text).split(",") if y.strip().isdigit()] if _present(text) else []


LABELS: dict[str, Callable[[Any], str]] = {
    "indicator": lambda v: INDICATOR_LABELS.get(v, str(v)),
    "breakdown": lambda v: BREAKDOWN_LABELS.get(v, str(v)),
    "domain": lambda v: DOMAIN_LABELS.get(v, str(v)),
    "jurisdiction": lambda v: display_name(str(v)),
    "origin": lambda v: display_name(str(v)),
    "destination": lambda v: display_name(str(v)),
    "jurisdictions": lambda v: join_words(display_name(c) for c in str(v).split(",")),
    "missing_years": lambda v: years_label(_years_of_text(v)),
    "years": lambda v: years_label(_years_of_text(v)),
}


# --- values as text -------------------------------------------------------------------------


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"


def _pct_text(value: float) -> str:
    return f"{value * 100:.0f}%"


@dataclass(frozen=True)
class Interval:
    """A count or ratio known only between two bounds, as text.

    Format specs: "" words ("12", "fewer than five" for 0..4, "at most 8", "between 3 and 7"),
    "range" ("12", "0–4"), "pct" ("35%", "20–35%"), "ratio" ("0.35", "0.20–0.35").
    """

    low: float
    high: float

    def __format__(self, spec: str) -> str:
        low, high = self.low, self.high
        if spec == "pct":
            a, b = _pct_text(low), _pct_text(high)
            return a if a == b else f"{a[:-1]}–{b}"
        if spec == "ratio":
            a, b = f"{low:.2f}", f"{high:.2f}"
            return a if a == b else f"{a}–{b}"
        a, b = _number_text(low), _number_text(high)
        if a == b:
            return a
        if spec == "range":
            return f"{a}–{b}"
        if spec:
            raise ValueError(f"unknown format {spec!r} for an interval")
        if low == 0 and high == 4:
            return "fewer than five"
        return f"at most {b}" if low == 0 else f"between {a} and {b}"


@dataclass(frozen=True)
class Number:
    """A number as text. Specs: "" (rounded), "abs" (absolute value, rounded), "pct" (a share
    as a percentage), "ratio" (two decimals)."""

    value: float

    def __format__(self, spec: str) -> str:
        if spec == "abs":
            return _number_text(abs(self.value))
        if spec == "pct":
            return _pct_text(self.value)
        if spec == "ratio":
            return f"{self.value:.2f}"
        if spec:
            raise ValueError(f"unknown format {spec!r} for a number")
        return _number_text(self.value)


SPECS = {"interval": ("", "range", "pct", "ratio"), "number": ("", "abs", "pct", "ratio")}


# --- the rule model -------------------------------------------------------------------------

OPERATORS = ("equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge", "isnull")
_COMPARE = {"lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}


@dataclass(frozen=True)
class Condition:
    """`column` `operator` `value`, e.g. gap_type equals not_met."""

    column: str
    operator: str
    value: Any

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Rows meeting the condition; an empty cell meets none but `isnull: true`."""
        s = frame[self.column]
        if self.operator == "isnull":
            return s.isna() if self.value else s.notna()
        present = s.notna()
        if self.operator in ("in", "not_in"):
            hit = s.isin(list(self.value))
            hit = hit if self.operator == "in" else ~hit
        elif self.operator in ("equals", "not_equals"):
            hit = s == self.value if self.operator == "equals" else s != self.value
        else:
            hit = getattr(pd.to_numeric(s, errors="coerce"), _COMPARE[self.operator])(self.value)
        return (pd.Series(hit, index=frame.index).fillna(False).astype(bool)) & present


@dataclass(frozen=True)
class Rule:
    """One recommendation rule of the rules file (format: the file's header)."""

    id: str
    table: str
    description: str
    domain: str
    urgency: str
    addressee: str
    text: str
    where: tuple[Condition, ...] = ()
    select: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    having: tuple[Condition, ...] = ()
    group_by: tuple[str, ...] = ()
    weight: float = 1.0
    progress: str = ""
    step: str = "act"

    @property
    def fields(self) -> list[tuple[str, str]]:
        """(field, format spec) of the text and the progress templates, in order."""
        return [
            (f, s or "")
            for template in (self.text, self.progress)
            for _, f, s, _ in string.Formatter().parse(template)
            if f
        ]


class RulesError(ValueError):
    """The rules file is invalid; the message lists every problem by rule id and field."""


# --- selectors: the named cross-row conditions ------------------------------------------------

REQUIRED = object()  # a selector parameter without a default


@dataclass(frozen=True)
class SelectorInput:
    rows: pd.DataFrame  # the rows kept by `where`
    table: pd.DataFrame  # the whole evidence table, for table-wide references (latest year)
    tables: Mapping[str, pd.DataFrame]
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Selector:
    """A named function from the rows kept by `where` to the rows that trigger the rule: the
    evidence tables it applies to, its parameters (name -> (type, default or REQUIRED)), the
    fields it adds (name -> text or number; a `<x>_low`/`<x>_high` pair also gives `{x}`) and
    the other tables it reads."""

    function: Callable[[SelectorInput], pd.DataFrame]
    tables: tuple[str, ...]
    params: Mapping[str, tuple[type | tuple[type, ...], Any]]
    adds: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()


def _year_column(table: str, frame: pd.DataFrame) -> str | None:
    name = YEAR_COLUMNS.get(table, "year")
    return name if name in frame.columns else None


def _all_years(table: str, frame: pd.DataFrame) -> list[int]:
    """Every year the rows describe (all of a comma-joined list), for the text."""
    column = _year_column(table, frame)
    if column is None:
        return []
    return sorted({y for v in frame[column] for y in _years_of_text(_plain(v))})


def _row_years(table: str, frame: pd.DataFrame) -> pd.Series:
    """The year of each row (the latest, for a comma-joined list of years); NaN if none."""
    column = _year_column(table, frame)
    if column is None:
        return pd.Series(float("nan"), index=frame.index)
    values = frame[column]
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values.map(lambda v: max(_years_of_text(v), default=float("nan"))).astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def select_latest_year(inp: SelectorInput) -> pd.DataFrame:
    """Per group of `by` (default: jurisdiction), the rows of the group's most recent year.

    Why: shares and domestic flows describe the present only in the latest reported year;
    `where` first keeps the rows where the figure is known, `having` then tests the threshold.
    """
    rows, by = inp.rows, list(inp.params.get("by", ["jurisdiction"]))
    if rows.empty:
        return rows
    years = pd.to_numeric(rows["year"])
    latest = years.groupby([rows[c] for c in by]).transform("max")
    return rows[years == latest]


def select_recent_years(inp: SelectorInput) -> pd.DataFrame:
    """The rows of the `years` most recent calendar years, counted back from the latest year
    of the whole table (not of each jurisdiction: old data is not recent because it is the
    latest a jurisdiction has)."""
    if inp.rows.empty or inp.table.empty:
        return inp.rows
    latest = int(pd.to_numeric(inp.table["year"]).max())
    return inp.rows[pd.to_numeric(inp.rows["year"]) > latest - int(inp.params.get("years", 5))]


def _pct_field(rows: pd.DataFrame, indicator: str) -> float:
    return float(rows.loc[rows["indicator"] == indicator, "annual_change_pct"].iloc[0])


def select_falling_while_rising(inp: SelectorInput) -> pd.DataFrame:
    """trend_summary: both rows of a jurisdiction whose `falling` indicator has direction
    `falling` while its `rising` indicator has direction `rising` (e.g. convictions down while
    detected victims go up), each with the two yearly changes and the years they span."""
    rows, falling, rising = inp.rows, inp.params["falling"], inp.params["rising"]
    down = rows[(rows["indicator"] == falling) & (rows["direction"] == "falling")]
    up = rows[(rows["indicator"] == rising) & (rows["direction"] == "rising")]
    both = sorted(set(down["jurisdiction"]) & set(up["jurisdiction"]))
    out = []
    for code in both:
        pair = pd.concat([down[down["jurisdiction"] == code], up[up["jurisdiction"] == code]])
        first, last = int(pair["first_year"].min()), int(pair["last_year"].max())
        out.append(
            pair.assign(
                falling_change_pct=_pct_field(pair, falling),
                rising_change_pct=_pct_field(pair, rising),
                window=f"{first}–{last}",
            )
        )
    return pd.concat(out, ignore_index=True) if out else rows.iloc[0:0]


def _pooled_ratios(rows: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    """Per jurisdiction, the ratio of the summed numerator to the summed denominator over the
    years both are reported, as bounds; unbounded ratios (denominator may be 0) left out."""
    num = rows[rows["indicator"] == numerator].set_index(["jurisdiction", "year"])
    den = rows[rows["indicator"] == denominator].set_index(["jurisdiction", "year"])
    common = num.index.intersection(den.index)
    num, den = num.loc[common], den.loc[common]
    sums = pd.DataFrame(
        {
            "num_low": num["value_low"].groupby(level=0).sum(),
            "num_high": num["value_high"].groupby(level=0).sum(),
            "den_low": den["value_low"].groupby(level=0).sum(),
            "den_high": den["value_high"].groupby(level=0).sum(),
            "years": pd.Series(common.get_level_values(1), index=common.get_level_values(0))
            .groupby(level=0)
            .agg(lambda y: years_label(y)),
        }
    )
    sums = sums[sums["den_low"] > 0]
    sums["ratio_low"] = sums["num_low"] / sums["den_high"]
    sums["ratio_high"] = sums["num_high"] / sums["den_low"]
    return sums


def select_below_regional_median(inp: SelectorInput) -> pd.DataFrame:
    """trends: jurisdictions whose attrition `measure` (convictions_per_prosecution or
    prosecutions_per_victim) is certainly below the regional median.

    Rule: over the `years` most recent years of the table, each jurisdiction's numerator and
    denominator are summed over the years it reports both (intervals: lows add, highs add),
    giving the ratio's bounds. The regional median is the median of the bounds' midpoints of
    the jurisdictions with a bounded ratio (at least `min_jurisdictions` of them). A
    jurisdiction is below only when its upper bound is below that median, so `<5` figures never
    make a jurisdiction look worse than it may be. Evidence: both indicators' rows of the years
    used.
    """
    measure = inp.params["measure"]
    numerator, denominator = next((n, d) for m, n, d in ATTRITION if m == measure)
    latest = int(pd.to_numeric(inp.table["year"]).max()) if not inp.table.empty else 0
    rows = inp.rows[pd.to_numeric(inp.rows["year"]) > latest - int(inp.params.get("years", 5))]
    ratios = _pooled_ratios(rows, numerator, denominator)
    if len(ratios) < int(inp.params.get("min_jurisdictions", 3)):
        return inp.rows.iloc[0:0]
    median = float(((ratios["ratio_low"] + ratios["ratio_high"]) / 2).median())
    below = ratios[ratios["ratio_high"] < median]
    out = []
    for code, ratio in below.iterrows():
        own = rows[
            (rows["jurisdiction"] == code) & rows["indicator"].isin([numerator, denominator])
        ]
        both = own.groupby("year")["indicator"].transform("nunique") == 2
        out.append(
            own[both].assign(
                ratio_low=ratio["ratio_low"],
                ratio_high=ratio["ratio_high"],
                regional_median=median,
                window=ratio["years"],
                n_compared=len(ratios),
            )
        )
    return pd.concat(out, ignore_index=True) if out else inp.rows.iloc[0:0]


def select_opportunity_titles(inp: SelectorInput) -> pd.DataFrame:
    """regional_opportunities: adds `title`, the checklist title of a shared gap's item (from
    mechanism_gaps), so the text can name what falls short; the key itself when unknown."""
    gaps = inp.tables.get("mechanism_gaps")
    titles = dict(zip(gaps["item_id"], gaps["title"], strict=True)) if gaps is not None else {}
    return inp.rows.assign(title=inp.rows["key"].map(lambda k: titles.get(k, k)))


SELECTORS: dict[str, Selector] = {
    "latest_year": Selector(
        select_latest_year,
        tables=("trends", "victim_flows", "mechanism_scores", "data_gaps"),
        params={"by": (list, ["jurisdiction"])},
    ),
    "recent_years": Selector(
        select_recent_years,
        tables=("trends", "victim_flows", "data_gaps", "mechanism_conflicts"),
        params={"years": (int, 5)},
    ),
    "falling_while_rising": Selector(
        select_falling_while_rising,
        tables=("trend_summary",),
        params={"falling": (str, REQUIRED), "rising": (str, REQUIRED)},
        adds={"falling_change_pct": "number", "rising_change_pct": "number", "window": "text"},
    ),
    "below_regional_median": Selector(
        select_below_regional_median,
        tables=("trends",),
        params={
            "measure": (str, REQUIRED),
            "years": (int, 5),
            "min_jurisdictions": (int, 3),
        },
        adds={
            "ratio_low": "number",
            "ratio_high": "number",
            "regional_median": "number",
            "window": "text",
            "n_compared": "number",
        },
    ),
    "opportunity_titles": Selector(
        select_opportunity_titles,
        tables=("regional_opportunities",),
        params={},
        adds={"title": "text"},
        needs=("mechanism_gaps",),
    ),
}
_SELECTOR_VALUES = {
    "falling": ("indicator", None),
    "rising": ("indicator", None),
    "measure": (None, tuple(m for m, _, _ in ATTRITION)),
}


# --- checklist items: what to do about each (rules/actions.yaml) -----------------------------

# The column of each mechanism table that holds a checklist item id (regional_opportunities:
# `key`, on its shared_gap rows only).
ITEM_COLUMNS = {
    "mechanism_gaps": "item_id",
    "mechanism_scores": "item_id",
    "mechanism_conflicts": "item_id",
    "regional_opportunities": "key",
}
# Tables whose `evidence` column holds an assessment's finding: {evidence_quote} (the name is
# kept for the rules and the catalogs that use it; the text is not a quotation: `finding`).
QUOTED_TABLES = ("mechanism_gaps", "mechanism_scores", "mechanism_conflicts")
QUOTE_FIELD = "evidence_quote"
QUOTE_MAX_WORDS = 30  # the longest bundled assessment has 29: a longer one is cut, "[…]"
# template field -> the field of the item's entry in rules/actions.yaml
ITEM_FIELDS = {
    "topic": "topic",
    "action_not_met": "not_met",
    "action_partly_met": "partly_met",
    "item_progress": "progress",
}
_ITEM_ADDRESSEE = "item_addressee"  # a row's item's addressee, for `addressee: from_item`
_ITEM = "checklist_item"  # a row's item id, to list topics in the checklist's order
# the words each field of an entry may have: room for the addressee and the finding
ACTION_WORDS = {"topic": 8, "addressee": 10, "not_met": 24, "partly_met": 24, "progress": 24}
ITEM_ID = re.compile(r"\bCT-\d{2}\b")  # as the mechanism tables check item_id
_ITEM_KEY = re.compile(r"^CT-\d{2}$")


@dataclass(frozen=True)
class ItemAction:
    """What to do about one checklist item (the fields: the header of rules/actions.yaml)."""

    topic: str
    addressee: str
    not_met: str
    partly_met: str
    progress: str


def _phrase_problem(key: str, value: str) -> str | None:
    """Why a phrase of rules/actions.yaml cannot go into a sentence, or None."""
    if not value:
        return "required"
    if ITEM_ID.search(value):
        return "names a checklist id: ids stay in their own columns, never in a text"
    if re.search(r"[{}<>]", value):
        return "plain words only: no template fields, no markup"
    lowered = value.lower()
    for phrase in BANNED_PHRASES:
        if phrase in lowered:
            return f"'{phrase}': a claim the data cannot carry"
    if not value[0].islower():
        return "starts in lower case: the phrase sits inside a sentence"
    if value[-1] in ".;:,":
        return "no punctuation at the end: the phrase sits inside a sentence"
    if len(value.split()) > ACTION_WORDS[key]:
        return f"{len(value.split())} words; keep it to {ACTION_WORDS[key]}"
    return None


def parse_actions(data: Any, source: str = "actions") -> dict[str, ItemAction]:
    """{item id: ItemAction} from the parsed YAML document; raises `RulesError` listing every
    problem by item and field."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
        raise RulesError(f"{source}: expected a mapping with the items under 'items'")
    problems = [f"top level: unknown key '{k}'" for k in sorted(set(data) - {"items", "version"})]
    keys = tuple(ACTION_WORDS)
    out = {}
    for item_id, raw in data["items"].items():
        where = f"item {item_id}"
        if not _ITEM_KEY.match(str(item_id)):
            problems.append(f"{where}: not a checklist item id such as CT-01")
        if not isinstance(raw, dict):
            problems.append(f"{where}: a mapping of {', '.join(keys)}")
            continue
        for key in sorted(set(raw) - set(keys)):
            problems.append(f"{where}, field '{key}': unknown field ({', '.join(keys)})")
        values = {k: " ".join(str(raw.get(k) or "").split()) for k in keys}
        for key, value in values.items():
            why = _phrase_problem(key, value)
            if why:
                problems.append(f"{where}, field '{key}': {why}")
        out[str(item_id)] = ItemAction(**values)
    if problems:
        raise RulesError(
            f"{source}: {len(problems)} problem(s)\n" + "\n".join(f"- {p}" for p in problems)
        )
    return out


def load_actions(path: Path | str = DEFAULT_ACTIONS) -> dict[str, ItemAction]:
    """What to do about each checklist item, from the YAML file at `path` (`parse_actions`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    return parse_actions(data, str(path))


def finding(evidence: Any) -> str | None:
    """An assessment's finding as a clause that ends a sentence, never in quotation marks (the
    evidence texts are the coder's paraphrases: `findings.clause`): the first of several
    agreeing statements (joined by ' | '), its ordinary first word in lower case, a coder's
    note after a dash, cut after whole clauses at QUOTE_MAX_WORDS words ('[…]' marking the
    cut), with a full stop; None when there is none."""
    if not _present(evidence) or not str(evidence).strip():
        return None
    text = " ".join(clause(str(evidence))[0].split())
    if not text:
        return None
    if len(text.split()) > QUOTE_MAX_WORDS:
        kept: list[str] = []
        for part in re.split(r"(?<=[;,])\s+", text):
            if len(" ".join([*kept, part]).split()) > QUOTE_MAX_WORDS:
                break
            kept.append(part)
        cut = " ".join(kept) if kept else " ".join(text.split()[:QUOTE_MAX_WORDS])
        text = cut.rstrip(";,") + " […]"
    return text if text.endswith(("?", "!")) else text + "."


def _item_ids(table: str, rows: pd.DataFrame) -> pd.Series:
    """The checklist item of each row (None where a row is not about one)."""
    ids = rows[ITEM_COLUMNS[table]].astype(object)
    if table == "regional_opportunities":
        ids = ids.where(rows["opportunity_type"] == "shared_gap", None)
    return ids


def _uses_items(rule: Rule) -> bool:
    names = {f for f, _ in rule.fields}
    return rule.addressee == FROM_ITEM or any(
        name.removesuffix("_list") in ITEM_FIELDS for name in names
    )


def with_item_fields(
    rule: Rule, rows: pd.DataFrame, actions: Mapping[str, ItemAction]
) -> pd.DataFrame:
    """`rows` with what the templates say about their checklist item (`ITEM_FIELDS` and the
    item's addressee) and the finding of their evidence. An item the rule needs that
    rules/actions.yaml does not cover stops the run: no text goes out without its action."""
    if rule.table in QUOTED_TABLES:
        rows = rows.assign(**{QUOTE_FIELD: rows["evidence"].map(finding)})
    if rule.table not in ITEM_COLUMNS:
        return rows
    ids = _item_ids(rule.table, rows)
    unknown = sorted({str(i) for i in ids if _present(i) and i not in actions})
    if unknown and _uses_items(rule):
        raise RulesError(
            f"rule {rule.id}: rules/actions.yaml has no entry for {', '.join(unknown)}; add "
            "what to do about each checklist item"
        )

    def entry(field_name: str) -> pd.Series:
        return ids.map(
            lambda i: getattr(actions[i], field_name) if _present(i) and i in actions else None
        )

    fields = {name: entry(key) for name, key in ITEM_FIELDS.items()}
    return rows.assign(**fields, **{_ITEM_ADDRESSEE: entry("addressee"), _ITEM: ids})


# --- fields: what a template may use ----------------------------------------------------------

GENERIC_FIELDS = {
    "jurisdiction_name": "text",
    "addressee": "text",
    "n_evidence": "number",
    "latest_year": "number",
    "years_label": "text",
}


def _column_kind(column) -> str:
    dtype = str(column.dtype)
    if dtype in ("int64", "Int64", "float64"):
        return "number"
    return "bool" if dtype in ("bool", "boolean") else "text"


def table_columns(table: str) -> dict[str, str]:
    """The evidence table's columns and their kinds (number, bool, text)."""
    return {name: _column_kind(c) for name, c in ANALYTICS_SCHEMAS[table].columns.items()}


def _intervals(kinds: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name, kind in kinds.items():
        base = name.removesuffix("_low")
        if name.endswith("_low") and kind == "number" and kinds.get(f"{base}_high") == "number":
            out[base] = "interval"
    return out


def _is_count(table: str, column: str) -> bool:
    """An integer column of the table: its bounds may be added up over a group."""
    col = ANALYTICS_SCHEMAS[table].columns.get(column)
    return col is not None and str(col.dtype) in ("int64", "Int64")


def available_fields(table: str, select: str | None = None) -> dict[str, str]:
    """Every field a template of a rule on `table` (with selector `select`) may use -> kind.

    - each column (its value in the lead row), `<column>_list` (the group's distinct values);
    - `<column>_label` / `<column>_label_list` for coded columns (`LABELS`): names, not codes;
    - `<name>` for each `<name>_low`/`<name>_high` pair: an `Interval`, and `<name>_sum` (the
      group's bounds added) for counts;
    - the selector's added fields; on the mechanism tables, what rules/actions.yaml says about
      the row's item (`ITEM_FIELDS`) and `evidence_quote`; `GENERIC_FIELDS`.
    Never a checklist id, file name or address (`FORBIDDEN_FIELDS`): they stay in the evidence.
    """
    columns = table_columns(table)
    if select in SELECTORS:
        columns |= dict(SELECTORS[select].adds)
    columns |= _item_columns(table)
    fields = dict(columns)
    fields |= {f"{c}_list": "text" for c in columns}
    for c in columns:
        if c in LABELS:
            fields |= {f"{c}_label": "text", f"{c}_label_list": "text"}
    for base in _intervals(columns):
        fields[base] = "interval"
        if _is_count(table, f"{base}_low"):
            fields[f"{base}_sum"] = "interval"
    return fields | GENERIC_FIELDS


def _item_columns(table: str) -> dict[str, str]:
    """The columns `with_item_fields` adds to the rows of `table`, and their kinds."""
    out = dict.fromkeys(ITEM_FIELDS, "text") if table in ITEM_COLUMNS else {}
    return out | ({QUOTE_FIELD: "text"} if table in QUOTED_TABLES else {})


# Fields a text never shows: what they hold stays in the evidence columns.
FORBIDDEN_FIELDS = {
    "item_id": "checklist ids stay in their own columns; name the item with {topic}",
    "items": "checklist ids stay in their own columns",
    "items_known": "checklist ids stay in their own columns",
    "evidence": "quote an assessment with {evidence_quote}",
    "source_": "file names and addresses stay in the evidence",
}


def _forbidden(table: str, name: str) -> str | None:
    base = name.removesuffix("_list")
    if table == "regional_opportunities" and base == "key":
        return FORBIDDEN_FIELDS["item_id"]
    for stem, why in FORBIDDEN_FIELDS.items():
        if base == stem or (stem.endswith("_") and base.startswith(stem)):
            return why
    return None


def _required_columns(rule: Rule) -> list[str]:
    """Columns a row must fill to trigger the rule: those the templates read from the lead row
    (and the item's addressee for `addressee: from_item`)."""
    columns = set(table_columns(rule.table)) | set(_item_columns(rule.table))
    if rule.select:
        columns |= set(SELECTORS[rule.select].adds)
    needed = [_ITEM_ADDRESSEE] if rule.addressee == FROM_ITEM else []
    for name, _ in rule.fields:
        if name in columns:
            needed.append(name)
        elif name.endswith("_label") and name.removesuffix("_label") in columns:
            needed.append(name.removesuffix("_label"))
        elif f"{name}_low" in columns and not name.endswith("_sum"):
            needed += [f"{name}_low", f"{name}_high"]
    return sorted(set(needed))


# --- loading and validating the rules file ----------------------------------------------------

_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
_RULE_KEYS = {
    "id",
    "description",
    "table",
    "where",
    "select",
    "params",
    "having",
    "group_by",
    "domain",
    "urgency",
    "addressee",
    "weight",
    "text",
    "progress",
    "step",
}
_REQUIRED_KEYS = (
    "id",
    "description",
    "table",
    "domain",
    "urgency",
    "addressee",
    "text",
    "progress",
)


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, rule_id: str, field_name: str, message: str) -> None:
        self.lines.append(f"rule {rule_id}, field '{field_name}': {message}")


def _allowed_values(table: str, column: str) -> tuple | None:
    if column == "domain":
        return DOMAINS
    col = ANALYTICS_SCHEMAS[table].columns.get(column)
    for check in getattr(col, "checks", None) or []:
        values = check.statistics.get("allowed_values") if check.statistics else None
        if values:
            return tuple(values)
    return None


def _check_value(table: str, column: str, kind: str, operator: str, value: Any) -> str | None:
    """Why `column operator value` is invalid, or None."""
    scalar = (str, int, float, bool)
    if operator == "isnull":
        return None if isinstance(value, bool) else "isnull takes true or false"
    if operator in ("in", "not_in"):
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, scalar) for v in value)
        ):
            return f"{operator} takes a non-empty list of values"
        values = value
    elif operator in _COMPARE:
        if kind != "number":
            return f"{operator} needs a numeric column; '{column}' is {kind}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{operator} takes a number, not {value!r}"
        return None
    else:
        if not isinstance(value, scalar):
            return f"{operator} takes a single value"
        values = [value]
    if kind == "bool" and not all(isinstance(v, bool) for v in values):
        return f"'{column}' is true/false; got {value!r}"
    if kind == "number" and any(isinstance(v, bool | str) for v in values):
        return f"'{column}' is numeric; got {value!r}"
    if kind == "text" and not all(isinstance(v, str) for v in values):
        return f"'{column}' is text; got {value!r} (quote it)"
    allowed = _allowed_values(table, column)
    unknown = [v for v in values if allowed is not None and v not in allowed]
    if unknown:
        return f"{unknown} not among the codes of '{column}': {', '.join(map(str, allowed))}"
    return None


def _conditions(
    raw: Any, rule_id: str, name: str, table: str, kinds: Mapping[str, str], problems: _Problems
) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add(rule_id, name, "must map column names to conditions")
        return ()
    out = []
    for column, spec in raw.items():
        if column not in kinds:
            problems.add(
                rule_id, name, f"unknown column '{column}' in table {table} ({', '.join(kinds)})"
            )
            continue
        # shorthand: a value means equals, a list means in
        if not isinstance(spec, dict):
            spec = {"in" if isinstance(spec, list) else "equals": spec}
        for operator, value in spec.items():
            if operator not in OPERATORS:
                problems.add(
                    rule_id, name, f"unknown operator '{operator}' ({', '.join(OPERATORS)})"
                )
                continue
            why = _check_value(table, column, kinds[column], operator, value)
            if why:
                problems.add(rule_id, name, f"{column}: {why}")
            else:
                out.append(Condition(str(column), operator, value))
    return tuple(out)


def _selector_params(raw: dict, rule_id: str, table: str, problems: _Problems) -> tuple:
    name = raw.get("select")
    params = raw.get("params") or {}
    if name is None:
        if params:
            problems.add(rule_id, "params", "params need a select")
        return None, {}
    if name not in SELECTORS:
        problems.add(rule_id, "select", f"unknown selector '{name}' ({', '.join(SELECTORS)})")
        return None, {}
    selector = SELECTORS[name]
    if table not in selector.tables:
        problems.add(
            rule_id, "select", f"'{name}' applies to {', '.join(selector.tables)}, not {table}"
        )
    if not isinstance(params, dict):
        problems.add(rule_id, "params", "must be a mapping")
        return name, {}
    out = {}
    for key in params:
        if key not in selector.params:
            problems.add(rule_id, "params", f"'{name}' has no parameter '{key}'")
    for key, (kind, default) in selector.params.items():
        value = params.get(key, default)
        if value is REQUIRED:
            problems.add(rule_id, "params", f"'{name}' needs the parameter '{key}'")
        elif not isinstance(value, kind) or isinstance(value, bool):
            problems.add(rule_id, "params", f"'{key}' must be of type {kind.__name__}")
        else:
            out[key] = value
            problems_value = _selector_value(table, key, value)
            if problems_value:
                problems.add(rule_id, "params", problems_value)
    return name, out


def _selector_value(table: str, key: str, value: Any) -> str | None:
    column, allowed = _SELECTOR_VALUES.get(key, (None, None))
    if column is not None:
        allowed = _allowed_values(table, column)
    if allowed is not None and value not in allowed:
        return f"'{key}': {value!r} is not one of {', '.join(allowed)}"
    if key == "by":
        unknown = [c for c in value if c not in table_columns(table)]
        if unknown:
            return f"'by': unknown columns {unknown} in table {table}"
    return None


def _check_fields(
    rule: Rule, name: str, template: str, fields: Mapping[str, str], problems: _Problems
) -> list[str] | None:
    """The field names of `template` (rule field `name`), each checked; None if unparsable."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        problems.add(rule.id, name, f"not a valid template: {exc}")
        return None
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if not _FIELD.match(field_name) or conversion:
            problems.add(rule.id, name, f"'{{{field_name}}}': only plain field names are allowed")
        elif why := _forbidden(rule.table, field_name):
            problems.add(rule.id, name, f"'{{{field_name}}}': {why}")
        elif field_name not in fields:
            problems.add(rule.id, name, f"unknown field '{{{field_name}}}' for table {rule.table}")
        elif (spec or "") not in SPECS.get(fields[field_name], ("",)):
            problems.add(
                rule.id,
                name,
                f"format '{spec}' not allowed for {fields[field_name]} field '{field_name}' "
                f"({', '.join(repr(s) for s in SPECS.get(fields[field_name], ('',)))})",
            )
    lowered = template.lower()
    for phrase in BANNED_PHRASES:
        if phrase in lowered:
            problems.add(rule.id, name, f"'{phrase}': a claim the data cannot carry")
    if ITEM_ID.search(template):
        problems.add(rule.id, name, "names a checklist id: ids stay in their own columns")
    return [f for _, f, _, _ in parsed if f is not None]


def _words(template: str) -> int:
    return len(re.sub(r"\{[^}]*\}", "X", template).split())


def _check_text(rule: Rule, fields: Mapping[str, str], problems: _Problems) -> None:
    verb = URGENCY_VERBS.get(rule.urgency)
    if verb and not rule.text.startswith(verb + " "):
        problems.add(rule.id, "text", f"an '{rule.urgency}' text starts with '{verb} '")
    names = _check_fields(rule, "text", rule.text, fields, problems)
    if names is not None and "addressee" not in names:
        problems.add(rule.id, "text", "must name the addressee with {addressee}")
    if _words(rule.text) > MAX_TEMPLATE_WORDS:
        words = _words(rule.text)
        problems.add(rule.id, "text", f"{words} words; keep templates to {MAX_TEMPLATE_WORDS}")
    _check_fields(rule, "progress", rule.progress, fields, problems)
    if rule.progress[:1].isupper() or rule.progress.endswith("."):
        problems.add(
            rule.id,
            "progress",
            "a phrase after 'Progress would show as:', in lower case, no full stop",
        )
    if _words(rule.progress) > MAX_PROGRESS_TEMPLATE_WORDS:
        problems.add(
            rule.id,
            "progress",
            f"{_words(rule.progress)} words; keep it to {MAX_PROGRESS_TEMPLATE_WORDS}",
        )


def _check_grouping(rule: Rule, kinds: Mapping[str, str], problems: _Problems) -> None:
    unknown = [c for c in rule.group_by if c not in kinds]
    if unknown:
        problems.add(rule.id, "group_by", f"unknown columns {unknown} in table {rule.table}")
    one_row = list(rule.group_by) == list(ANALYTICS_SCHEMAS[rule.table].unique)
    if "jurisdiction" in kinds and not one_row and "jurisdiction" not in rule.group_by:
        problems.add(rule.id, "group_by", "must include jurisdiction: a recommendation has one")
    if rule.domain == FROM_EVIDENCE:
        if "domain" not in kinds:
            problems.add(rule.id, "domain", f"from_evidence needs a domain column in {rule.table}")
        elif not one_row and "domain" not in rule.group_by:
            problems.add(rule.id, "group_by", "must include domain when domain is from_evidence")


def _parse_rule(raw: Any, index: int, problems: _Problems) -> Rule | None:
    if not isinstance(raw, dict):
        problems.add(f"#{index + 1}", "-", "a rule is a mapping of fields")
        return None
    rule_id = str(raw.get("id", f"#{index + 1}"))
    for key in sorted(set(raw) - _RULE_KEYS):
        problems.add(rule_id, key, f"unknown field ({', '.join(sorted(_RULE_KEYS))})")
    missing = [k for k in _REQUIRED_KEYS if not raw.get(k)]
    for key in missing:
        problems.add(rule_id, key, "required")
    if missing:
        return None
    if not _ID.match(rule_id):
        problems.add(rule_id, "id", "upper-case words joined by '-', e.g. GAP-JUST-NOTMET")
    table = raw["table"]
    if table not in ANALYTICS_SCHEMAS:
        problems.add(rule_id, "table", f"unknown table '{table}' ({', '.join(ANALYTICS_SCHEMAS)})")
        return None
    select, params = _selector_params(raw, rule_id, table, problems)
    kinds = table_columns(table)
    after = kinds | dict(SELECTORS[select].adds if select else {})
    group_by = raw.get("group_by") or list(ANALYTICS_SCHEMAS[table].unique)
    if not isinstance(group_by, list):
        problems.add(rule_id, "group_by", "must be a list of columns")
        group_by = list(ANALYTICS_SCHEMAS[table].unique)
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        problems.add(rule_id, "weight", "must be a positive number")
        weight = 1.0
    rule = Rule(
        id=rule_id,
        table=table,
        description=str(raw["description"]).strip(),
        domain=str(raw["domain"]),
        urgency=str(raw["urgency"]),
        addressee=str(raw["addressee"]).strip(),
        text=" ".join(str(raw["text"]).split()),
        progress=" ".join(str(raw["progress"]).split()),
        step=str(raw.get("step", "act")),
        where=_conditions(raw.get("where"), rule_id, "where", table, kinds, problems),
        select=select,
        params=params,
        having=_conditions(raw.get("having"), rule_id, "having", table, after, problems),
        group_by=tuple(str(c) for c in group_by),
        weight=float(weight),
    )
    if rule.domain not in (*DOMAINS, FROM_EVIDENCE):
        problems.add(rule_id, "domain", f"'{rule.domain}' is not one of {', '.join(DOMAINS)}")
    if rule.urgency not in URGENCIES:
        problems.add(rule_id, "urgency", f"'{rule.urgency}' is not one of {', '.join(URGENCIES)}")
    if rule.step not in STEPS:
        problems.add(rule_id, "step", f"'{rule.step}' is not one of {', '.join(STEPS)}")
    if rule.addressee == FROM_ITEM and rule.table not in ITEM_COLUMNS:
        problems.add(
            rule_id,
            "addressee",
            f"{FROM_ITEM} needs a table about checklist items ({', '.join(ITEM_COLUMNS)})",
        )
    _check_grouping(rule, after, problems)
    _check_text(rule, available_fields(table, select), problems)
    return rule


def parse_rules(data: Any, source: str = "rules") -> list[Rule]:
    """Rules from the parsed YAML document; raises `RulesError` listing every problem."""
    problems = _Problems()
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{source}: expected a mapping with a list under 'rules'")
    for key in sorted(set(data) - {"rules", "version"}):
        problems.lines.append(f"top level: unknown key '{key}'")
    rules = [_parse_rule(raw, i, problems) for i, raw in enumerate(data["rules"])]
    seen: set[str] = set()
    for rule in filter(None, rules):
        if rule.id in seen:
            problems.add(rule.id, "id", "duplicate id: ids must be unique and stable")
        seen.add(rule.id)
    if problems.lines:
        raise RulesError(
            f"{source}: {len(problems.lines)} problem(s)\n"
            + "\n".join(f"- {line}" for line in problems.lines)
        )
    return [r for r in rules if r is not None]


def load_rules(path: Path | str = DEFAULT_RULES) -> list[Rule]:
    """The rules of the YAML file at `path`, validated strictly (see `parse_rules`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rules(data, str(path))


def tables_needed(rules: Iterable[Rule]) -> list[str]:
    """The evidence tables the rules read (their own and their selectors')."""
    names = set()
    for rule in rules:
        names.add(rule.table)
        if rule.select:
            names |= set(SELECTORS[rule.select].needs)
    return sorted(names)


# --- evidence, ids, text ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON value: None for empty cells, Python scalars, whole floats as ints."""
    if not _present(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _evidence(table: str, group: pd.DataFrame, derived: Iterable[str]) -> list[dict]:
    """One {"table", "keys", "values"} object per row (plus "derived": what a selector
    computed), sorted by keys."""
    keys = list(ANALYTICS_SCHEMAS[table].unique)
    columns = [c for c in ANALYTICS_SCHEMAS[table].columns if c in group.columns]
    derived = [c for c in derived if c in group.columns]
    out = []
    for _, row in group.iterrows():
        item = {
            "table": table,
            "keys": {k: _plain(row[k]) for k in keys},
            "values": {c: _plain(row[c]) for c in columns if c not in keys},
        }
        if derived:
            item["derived"] = {c: _plain(row[c]) for c in derived}
        out.append(item)
    return sorted(out, key=lambda e: json.dumps(e["keys"], sort_keys=True, default=str))


def recommendation_id(rule_id: str, jurisdiction: str, evidence: list[dict]) -> str:
    """'REC-' + 10 hex digits of SHA-256 over rule id, jurisdiction and the sorted evidence
    keys. Values are left out on purpose: a revised figure keeps the id."""
    keys = sorted(json.dumps(e["keys"], sort_keys=True, default=str) for e in evidence)
    text = "\x1f".join([rule_id, jurisdiction, *keys])
    return "REC-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX]


def _wrap(value: Any) -> Any:
    """A cell as a template value: numbers as `Number`, everything else as text."""
    value = _plain(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Number(value)
    return "" if value is None else str(value)


# Lists of codes read in the order of their code list, not alphabetically.
_CODE_ORDER = {
    "indicator": list(INDICATOR_LABELS),
    "breakdown": list(BREAKDOWN_LABELS),
    "domain": list(DOMAINS),
}


def _distinct(
    values: pd.Series, label: Callable[[Any], str] | None = None, column: str = ""
) -> str:
    order = _CODE_ORDER.get(column, [])
    present = sorted(
        {_plain(v) for v in values if _present(v)},
        key=lambda v: (order.index(v) if v in order else len(order), str(v)),
    )
    return join_words(label(v) if label else str(_wrap(v).__format__("")) for v in present)


def _field_value(name: str, group: pd.DataFrame, lead: pd.Series) -> Any:
    """The value of template field `name` for a group (the kinds: `available_fields`)."""
    if name in group.columns:
        return _wrap(lead[name])
    if name.endswith("_label_list"):
        base = name.removesuffix("_label_list")
        return _distinct(group[base], LABELS[base], base)
    if name.endswith("_label"):
        base = name.removesuffix("_label")
        return LABELS[base](lead[base])
    if name.endswith("_list"):
        base = name.removesuffix("_list")
        if base in ITEM_FIELDS:  # in the checklist's order, not alphabetically
            return join_words(dict.fromkeys(group.sort_values(_ITEM)[base].dropna()))
        return _distinct(group[base], column=base)
    if name.endswith("_sum"):
        base = name.removesuffix("_sum")
        return Interval(float(group[f"{base}_low"].sum()), float(group[f"{base}_high"].sum()))
    return Interval(float(lead[f"{name}_low"]), float(lead[f"{name}_high"]))


def _lead_row(table: str, group: pd.DataFrame) -> pd.Series:
    """The group's most recent row (ties: the last by key), whose values fill the template."""
    keys = [k for k in ANALYTICS_SCHEMAS[table].unique if k in group.columns]
    ordered = group.assign(_year=_row_years(table, group).fillna(-1)).sort_values(
        ["_year", *keys], kind="stable"
    )
    return ordered.iloc[-1]


def _render(template: str, values: Mapping[str, Any]) -> str:
    return " ".join(template.format_map(values).split())


def _text_values(
    rule: Rule, group: pd.DataFrame, jurisdiction_name: str, years: list[int]
) -> dict[str, Any]:
    lead = _lead_row(rule.table, group)
    addressee = rule.addressee if rule.addressee != FROM_ITEM else str(lead[_ITEM_ADDRESSEE])
    generic = {
        "jurisdiction_name": jurisdiction_name,
        "addressee": addressee,
        "n_evidence": Number(len(group)),
        "latest_year": Number(max(years)) if years else "",
        "years_label": years_label(years),
    }
    return {
        name: generic[name] if name in generic else _field_value(name, group, lead)
        for name, _ in rule.fields
    }


# Stands in for the jurisdiction's name when comparing texts across jurisdictions (no NUL
# characters: pandas hashes object strings as C strings).
_SENTINEL = "⟦jurisdiction⟧"
# ... and for the year of the latest assessment ({latest_year}), which a regional line lists
_YEAR_SENTINEL = "⟦latest_year⟧"
# ... and for an assessment's finding ({evidence_quote}): each jurisdiction's own line gives its
# finding, a regional line says where to read them (the same action, urged on several
# findings, stays one regional line)
_QUOTE_SENTINEL = "⟦finding⟧"
QUOTES_IN_SUMMARY = "each jurisdiction's finding is given in its own recommendation"


def _one_recommendation(rule: Rule, group: pd.DataFrame, reference_year: float | None) -> dict:
    jurisdiction = str(group["jurisdiction"].iloc[0]) if "jurisdiction" in group else REGIONAL
    name = display_name(jurisdiction) if jurisdiction != REGIONAL else "the region"
    years = [int(y) for y in _row_years(rule.table, group).dropna()]
    values = _text_values(rule, group, name, _all_years(rule.table, group))
    text = _render(rule.text, values)
    if len(text.split()) >= MAX_WORDS:
        raise ValueError(f"rule {rule.id} ({jurisdiction}): {len(text.split())} words: {text}")
    progress = _render(rule.progress, values)
    if len(progress.split()) >= MAX_PROGRESS_WORDS:
        raise ValueError(f"rule {rule.id} ({jurisdiction}): progress too long: {progress}")
    domain = rule.domain if rule.domain != FROM_EVIDENCE else str(group["domain"].iloc[0])
    if domain not in DOMAINS:
        raise ValueError(f"rule {rule.id}: domain '{domain}' of the evidence is not a domain code")
    derived = SELECTORS[rule.select].adds if rule.select else {}
    evidence = _evidence(rule.table, group, derived)
    latest = max(years) if years else None
    return {
        "recommendation_id": recommendation_id(rule.id, jurisdiction, evidence),
        "jurisdiction": jurisdiction,
        "domain": domain,
        "urgency": rule.urgency,
        "addressee": values["addressee"],
        "text": text,
        "progress_indicator": progress,
        "rule_id": rule.id,
        "evidence_table": rule.table,
        "evidence": evidence,
        "n_evidence": len(evidence),
        "latest_year": latest,
        "summarises": "",
        "_weight": rule.weight,
        "_step": rule.step,
        "_reference_year": reference_year,
        "_same_text": _render(rule.text, _neutral(values)),
        "_same_progress": _render(rule.progress, _neutral(values)),
    }


def _neutral(values: Mapping[str, Any]) -> dict[str, Any]:
    """The template values with the jurisdiction's name (and the latest year and the
    finding, which differ between jurisdictions) taken out, to compare texts across
    jurisdictions."""
    out = dict(values) | {"jurisdiction_name": _SENTINEL}
    if "latest_year" in out:
        out["latest_year"] = _YEAR_SENTINEL
    if QUOTE_FIELD in out:
        out[QUOTE_FIELD] = _QUOTE_SENTINEL
    return out


def _reference_year(table_name: str, table: pd.DataFrame) -> float | None:
    years = _row_years(table_name, table).dropna()
    return float(years.max()) if len(years) else None


def apply_rule(
    rule: Rule,
    tables: Mapping[str, pd.DataFrame],
    actions: Mapping[str, ItemAction] | None = None,
) -> list[dict]:
    """The recommendations one rule makes from the tables (steps: module docstring);
    `actions`: what to do about each checklist item (default: `load_actions()`)."""
    table = tables[rule.table]
    rows = table
    if "jurisdiction" in rows.columns:
        rows = rows[rows["jurisdiction"] != load_region().code]
    for condition in rule.where:
        rows = rows[condition.mask(rows)]
    if rule.select and not rows.empty:
        rows = SELECTORS[rule.select].function(SelectorInput(rows, table, tables, rule.params))
    if rows.empty:  # a selector's empty answer need not carry the columns it adds
        return []
    for condition in rule.having:
        rows = rows[condition.mask(rows)]
    if rule.table in ITEM_COLUMNS or rule.table in QUOTED_TABLES:
        rows = with_item_fields(rule, rows, load_actions() if actions is None else actions)
    rows = rows.dropna(subset=_required_columns(rule))
    if rows.empty:
        return []
    reference = _reference_year(rule.table, table)
    groups = rows.groupby(list(rule.group_by), sort=True, dropna=False)
    return [_one_recommendation(rule, group, reference) for _, group in groups]


# --- regional summaries, priorities -----------------------------------------------------------


def _jurisdiction_order(code: str) -> tuple[int, str]:
    order = list(load_region().codes)
    if code == REGIONAL:
        return (len(order) + 1, code)
    return (order.index(code), code) if code in order else (len(order), code)


def _summary_text(template: str, rows: pd.DataFrame, codes: list[str], limit: int) -> str:
    """A text in neutral words with the jurisdictions and the years of the rows put back."""
    template = template.replace(_YEAR_SENTINEL, years_label(rows["latest_year"].dropna()))
    if template.endswith(_QUOTE_SENTINEL):  # a finding ends with its own full stop
        template += "."
    template = template.replace(_QUOTE_SENTINEL, QUOTES_IN_SUMMARY)
    text = template.replace(_SENTINEL, "each of " + join_words(map(display_name, codes)))
    if len(text.split()) >= limit:
        text = template.replace(_SENTINEL, f"each of the {len(codes)} jurisdictions concerned")
    return text


def _summary(rule_id: str, rows: pd.DataFrame) -> dict:
    codes = sorted(set(rows["jurisdiction"]), key=_jurisdiction_order)
    text = _summary_text(rows["_same_text"].iloc[0], rows, codes, MAX_WORDS)
    progress = _summary_text(rows["_same_progress"].iloc[0], rows, codes, MAX_PROGRESS_WORDS)
    evidence = sorted(
        (e for items in rows["evidence"] for e in items),
        key=lambda e: json.dumps(e["keys"], sort_keys=True, default=str),
    )
    first = rows.iloc[0]
    latest = rows["latest_year"].dropna()
    return {
        **{c: first[c] for c in ("domain", "urgency", "addressee", "evidence_table")},
        "recommendation_id": recommendation_id(rule_id, REGIONAL, evidence),
        "jurisdiction": REGIONAL,
        "text": text,
        "progress_indicator": progress,
        "rule_id": rule_id,
        "evidence": evidence,
        "n_evidence": len(evidence),
        "latest_year": int(latest.max()) if len(latest) else None,
        "summarises": ",".join(codes),
        "_weight": first["_weight"],
        "_step": first["_step"],
        "_reference_year": first["_reference_year"],
        "_same_text": "",
        "_same_progress": "",
    }


def summarise_regional(recs: pd.DataFrame) -> pd.DataFrame:
    """One REGIONAL line per rule and text that `MIN_SUMMARISED` or more jurisdictions share
    word for word once their names, years and findings are taken out (the per-jurisdiction
    lines stay, each giving its own finding)."""
    national = recs[recs["jurisdiction"] != REGIONAL]
    out = []
    keys = ["rule_id", "domain", "_same_text", "_same_progress"]
    for (rule_id, *_), rows in national.groupby(keys, sort=True):
        if rows["jurisdiction"].nunique() >= MIN_SUMMARISED:
            out.append(_summary(rule_id, rows))
    return pd.DataFrame(out, columns=recs.columns)


def checklist_items(evidence: Iterable[Mapping]) -> set[str]:
    """The checklist items a recommendation's evidence rows are about: the item of a mechanism
    table's row, the item of a shared gap (regional_opportunities); none for other rows."""
    items = set()
    for e in evidence:
        table, keys = e.get("table"), e.get("keys") or {}
        if table not in ITEM_COLUMNS:
            continue
        if table == "regional_opportunities" and keys.get("opportunity_type") != "shared_gap":
            continue
        item = keys.get(ITEM_COLUMNS[table])
        if _present(item):
            items.add(str(item))
    return items


def _jurisdictions_covered(rec: Mapping) -> int:
    """How many jurisdictions a regional line rests on: those it summarises, or those its
    evidence rows list (a shared gap's `jurisdictions`)."""
    if rec.get("summarises"):
        return len(str(rec["summarises"]).split(","))
    codes = {
        c
        for e in rec["evidence"]
        for c in str((e.get("values") or {}).get("jurisdictions") or "").split(",")
        if c
    }
    return len(codes)


def drop_duplicate_regional(recs: pd.DataFrame) -> pd.DataFrame:
    """One regional line per checklist item: where several REGIONAL lines are about the same
    item (the region's own programme on a shared gap, `REG-SHARED-GAP`, and a summary of the
    identical national lines on that item), the line resting on more jurisdictions stays, the
    region's own on a tie, then the one citing more rows; the others are dropped. A shared gap
    counts every jurisdiction where the item falls short, so it covers at least those of a
    summary of its not-met or partly-met lines, whose national lines stay in each chapter. The
    evidence is not merged (a recommendation's rows come from one table), and no id changes."""
    regional = recs[recs["jurisdiction"] == REGIONAL]
    if len(regional) < 2:
        return recs
    order = sorted(
        regional.index,
        key=lambda i: (
            -_jurisdictions_covered(recs.loc[i]),
            bool(recs.loc[i, "summarises"]),
            -int(recs.loc[i, "n_evidence"]),
            str(recs.loc[i, "rule_id"]),
            str(recs.loc[i, "recommendation_id"]),
        ),
    )
    kept: set[str] = set()
    dropped = []
    for i in order:
        items = checklist_items(recs.loc[i, "evidence"])
        if items & kept:
            dropped.append(i)
        kept |= items
    return recs.drop(index=dropped)


def priority_score(
    weight: float,
    n_evidence: int,
    latest_year: float | None,
    reference_year: float | None,
    *,
    source: float = 1.0,
    statistics_year: float | None = None,
) -> float:
    """weight x (1 + log2(min(n_evidence, 16)) / 4) x 0.5 ** (years_behind / 5) x source x
    dated: more evidence counts, with diminishing returns; evidence loses half its weight every
    five years behind the latest year of its table; `source` is what its sources count
    (`source_factor`); dated evidence (more than DATED_AFTER_YEARS before `statistics_year`,
    the newest year of the statistics) counts DATED_FACTOR of the rest."""
    evidence = 1 + math.log2(min(max(n_evidence, 1), EVIDENCE_CAP)) / 4
    behind = 0.0
    if _present(latest_year) and _present(reference_year):
        behind = max(0.0, float(reference_year) - float(latest_year))
    dated = DATED_FACTOR if is_dated(latest_year, statistics_year) else 1.0
    recency = 0.5 ** (behind / RECENCY_HALF_LIFE_YEARS)
    return round(weight * evidence * recency * source * dated, 3)


def is_dated(year: float | None, statistics_year: float | None) -> bool:
    """Evidence of `year` is dated when it lies more than DATED_AFTER_YEARS before the newest
    year of the statistics."""
    if not (_present(year) and _present(statistics_year)):
        return False
    return float(statistics_year) - float(year) > DATED_AFTER_YEARS


def source_factor(evidence: Iterable[Mapping], grades: Mapping[str, str] | None) -> float:
    """The mean, over the evidence rows that cite a published source (`source_url`), of the
    weight of each row's best source (`evidence_sources.source_weight`); 1 when no row cites
    one, or when there are no grades."""
    weights = [
        w
        for e in evidence
        if (w := source_weight((e.get("values") or {}).get("source_url"), grades)) is not None
    ]
    return sum(weights) / len(weights) if weights else 1.0


def newest_statistics_year(tables: Mapping[str, pd.DataFrame]) -> int | None:
    """The newest year of the statistics (the `trends` table), the reference of "dated"."""
    trends = tables.get("trends")
    if trends is None or trends.empty or "year" not in trends.columns:
        return None
    years = pd.to_numeric(trends["year"], errors="coerce").dropna()
    return int(years.max()) if len(years) else None


def prioritise(
    recs: pd.DataFrame,
    grades: Mapping[str, str] | None = None,
    newest_statistics: int | None = None,
) -> pd.DataFrame:
    """Scores, then ranks within each jurisdiction: what a delegation can act on first
    (`acts_first`: a change in law, policy or practice, urged or considered, on evidence that
    is not dated) before the rest; within each, urgency, then score (high first), then rule and id so
    that ties break the same way every run. `grades`: {url: source_type} of evidence_sources;
    `newest_statistics`: the newest year of the statistics."""
    recs = recs.copy()
    recs["priority_score"] = [
        priority_score(
            w, n, y, r, source=source_factor(e, grades), statistics_year=newest_statistics
        )
        for w, n, y, r, e in zip(
            recs["_weight"],
            recs["n_evidence"],
            recs["latest_year"],
            recs["_reference_year"],
            recs["evidence"],
            strict=True,
        )
    ]
    recs["acts_first"] = [
        step == "act" and urgency != "invite" and not is_dated(year, newest_statistics)
        for step, urgency, year in zip(
            recs["_step"], recs["urgency"], recs["latest_year"], strict=True
        )
    ]
    recs["_place"] = recs["jurisdiction"].map(_jurisdiction_order)
    recs["_urgency"] = recs["urgency"].map(URGENCIES.index)
    recs = recs.sort_values(
        ["_place", "acts_first", "_urgency", "priority_score", "rule_id", "recommendation_id"],
        ascending=[True, False, True, False, True, True],
        kind="stable",
    )
    recs["priority_rank"] = recs.groupby("jurisdiction").cumcount() + 1
    recs["top_priority"] = recs["priority_rank"] <= TOP_PRIORITIES
    return recs.reset_index(drop=True)


_TEXT_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "domain",
    "urgency",
    "addressee",
    "text",
    "progress_indicator",
    "rule_id",
    "evidence_table",
    "summarises",
]


def _typed(recs: pd.DataFrame) -> pd.DataFrame:
    out = recs.reindex(columns=RECOMMENDATION_COLUMNS)
    out[_TEXT_COLUMNS] = out[_TEXT_COLUMNS].astype(object)
    out["evidence"] = out["evidence"].map(lambda e: json.dumps(e, ensure_ascii=False, default=str))
    return out.astype(
        {
            "n_evidence": "int64",
            "latest_year": "Int64",
            "priority_score": "float64",
            "acts_first": bool,
            "priority_rank": "int64",
            "top_priority": bool,
        }
    )


def compute_recommendations(
    tables: Mapping[str, pd.DataFrame],
    rules: list[Rule] | None = None,
    actions: Mapping[str, ItemAction] | None = None,
) -> pd.DataFrame:
    """One row per recommendation (grain and rules: module docstring) from the evidence tables
    named by the rules (`tables_needed`), ordered by jurisdiction and priority rank.
    `tables["evidence_sources"]`, when given, grades the sources in the priorities; `actions`
    (default: rules/actions.yaml) says what to do about each checklist item."""
    rules = load_rules() if rules is None else rules
    actions = load_actions() if actions is None else actions
    missing = [t for t in tables_needed(rules) if t not in tables]
    if missing:
        raise KeyError(f"evidence tables missing: {', '.join(missing)}")
    rows = [rec for rule in rules for rec in apply_rule(rule, tables, actions)]
    if not rows:
        return _typed(pd.DataFrame({"evidence": pd.Series(dtype=object)}))
    recs = pd.DataFrame(rows)
    regional = summarise_regional(recs)
    if len(regional):
        # a column the regional lines leave empty (no year) takes the national lines' type
        regional = regional.dropna(axis=1, how="all")
        recs = pd.concat([recs, regional], ignore_index=True)
    recs = drop_duplicate_regional(recs)
    grades = source_types(tables.get("evidence_sources"))
    return _typed(prioritise(recs, grades, newest_statistics_year(tables)))


def compute_recommendation_changes(
    previous: pd.DataFrame | None, current: pd.DataFrame
) -> pd.DataFrame:
    """One row per recommendation id of either materialisation: `new` (only now), `unchanged`
    (both; `text_changed` says whether a revised figure changed its words), `resolved` (only
    before: its evidence is gone). With no previous materialisation every one is new.
    `workshop_status` is `not_discussed` here: `mark_rejected_changes` gives the workshop's."""
    columns = ["recommendation_id", "jurisdiction", "rule_id", "text", "urgency", "domain"]
    now = current[columns].copy()
    before = (
        previous[columns].copy()
        if previous is not None and len(previous)
        else pd.DataFrame(columns=columns)
    )
    merged = now.merge(
        before, on="recommendation_id", how="outer", suffixes=("", "_before"), indicator=True
    )
    merged["change"] = merged["_merge"].map(
        {"left_only": "new", "both": "unchanged", "right_only": "resolved"}
    )
    gone = merged["change"] == "resolved"
    for column in columns[1:]:
        merged.loc[gone, column] = merged.loc[gone, f"{column}_before"]
    merged["text_changed"] = (merged["change"] == "unchanged") & (
        merged["text"] != merged["text_before"]
    )
    merged["_place"] = merged["jurisdiction"].map(_jurisdiction_order)
    merged["_change"] = merged["change"].map(CHANGES.index)
    merged = merged.sort_values(["_place", "_change", "rule_id", "recommendation_id"])
    merged["workshop_status"] = NOT_DISCUSSED
    out = merged[CHANGE_COLUMNS].reset_index(drop=True)
    return out.astype({c: str for c in CHANGE_COLUMNS if c != "text_changed"}).astype(
        {"text_changed": bool}
    )
