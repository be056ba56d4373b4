"""The template context of the report, built from the warehouse tables alone.

Every number in the report's sentences, tables and charts is computed here from `tables` (a
`dict[str, pd.DataFrame]` keyed by warehouse table name) and the run's provenance; the template
holds words and layout only. Counts pass through disclosure control (`disclosure.py`) before
they are shown, and every derived figure (rate, share, sum over years) is computed from the
published bounds of its cells, so nothing shown can reveal a suppressed count.

Figures and tables are numbered in the order the template shows them: the builders below run in
that order.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pandas as pd

from wbtip_pipeline.codes import FORMS, INDICATORS, JURISDICTIONS, REGION
from wbtip_pipeline.report import charts
from wbtip_pipeline.report.disclosure import (
    LEGEND,
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
    Disclosure,
    bounds_text,
    cell_id,
    count_text,
    count_words,
    harmonised_disclosure,
    mask_counts_in_text,
    published_bounds,
)
from wbtip_pipeline.transforms import trends as trend_rules
from wbtip_pipeline.transforms.mechanisms import RANKABLE_COVERAGE
from wbtip_pipeline.transforms.opportunities import MIN_SHARED_GAP
from wbtip_pipeline.transforms.recommendation_status import status_by_id

TABLE_NAMES = (
    "harmonised_statistics",
    "data_quality_issues",
    "trends",
    "trend_summary",
    "victim_flows",
    "mechanism_scores",
    "mechanism_domain_scores",
    "mechanism_gaps",
    "mechanism_conflicts",
    "data_gaps",
    "data_gap_summary",
    "regional_opportunities",
    "us_tip_tiers",
    "ct_checklist",
    "recommendations",
    "recommendation_changes",
    "recommendation_status",
)
REGIONAL = "REGIONAL"
PRINT_SCHEME = "wbtip-chart"
KOSOVO = "XKX"
KOSOVO_FOOTNOTE = (
    "This designation is without prejudice to positions on status, and is in line with UNSCR "
    "1244/1999 and the ICJ Opinion on the Kosovo declaration of independence."
)
PREVALENCE_CAVEAT = (
    "Detected victims are the victims that the authorities identified in a year, not the number "
    "of people trafficked: a rise can mean better identification as much as more trafficking, "
    "and the figures do not measure prevalence."
)
SUPPRESSION_CAVEAT = (
    f"{PRIMARY_TEXT} is a range (a count from 0 to {THRESHOLD - 1}), not a number: sums and "
    "rates carry it as a range, and no sentence or chart shows it as a value."
)
INDICATOR_LABELS = {
    "victims_detected": "Victims detected",
    "persons_formal_contact": "Persons in formal contact with the police",
    "persons_prosecuted": "Persons prosecuted",
    "persons_convicted": "Persons convicted",
    "offences_recorded": "Offences recorded",
}
INDICATOR_SHORT = {
    "victims_detected": "victims detected",
    "persons_formal_contact": "formal contact",
    "persons_prosecuted": "prosecuted",
    "persons_convicted": "convicted",
    "offences_recorded": "offences",
}
FORM_LABELS = {
    "sexual_exploitation": "Sexual exploitation",
    "forced_labour": "Forced labour",
    "other_exploitation": "Other forms",
}
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Sex unknown"}
AGE_LABELS = {"child": "Children (0-17)", "adult": "Adults (18+)", "unknown": "Age unknown"}
DIRECTION_LABELS = {
    "rising": "rising",
    "falling": "falling",
    "stable": "stable",
    "insufficient_data": "cannot tell",
}
GAP_LABELS = {
    "not_met": "Not met",
    "partly_met": "Partly met",
    "conflict": "Sources disagree",
    "no_evidence": "No evidence",
}
STATUS_LABELS = {
    "exact": "reported",
    "partly_suppressed": "partly <5",
    "suppressed_only": "<5 only",
    "not_reported": "not reported",
}
STATUS_COLORS = {
    "exact": "#2b7bba",
    "partly_suppressed": "#8fbfe0",
    "suppressed_only": "#e3c77a",
    "not_reported": None,
}
TIER_CODES = {"Tier 1": "T1", "Tier 2": "T2", "Tier 2 Watch List": "T2WL", "Tier 3": "T3"}
TIER_COLORS = {"T1": "#009E73", "T2": "#9ecae1", "T2WL": "#E69F00", "T3": "#D55E00"}
URGENCY_ORDER = ("urge", "consider", "invite")
URGENCY_LABELS = {
    "urge": "Urgent: the authorities are urged to act",
    "consider": "The authorities should consider",
    "invite": "The authorities are invited to",
}
SEVERITY_ORDER = {"error": 0, "warning": 1}
TABLE_YEARS = 10
CHAPTER_YEARS = 8
FLOW_YEARS = 5
CJ_INDICATORS = ("persons_prosecuted", "persons_convicted")


# --- small structures the template renders ----------------------------------------------


@dataclass
class Cell:
    text: str
    cls: str = ""
    href: str | None = None
    title: str | None = None


@dataclass
class Table:
    key: str
    number: int
    caption: str
    source: str
    columns: list[str]
    rows: list[list[Cell]]
    col_classes: list[str] = field(default_factory=list)
    note: str = ""
    compact: bool = False
    widths: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        # column widths from the longest text of each column (capped), so that the table can be
        # laid out with `table-layout: fixed`: the same in the browser and in print, and fast
        if not self.widths and self.columns:
            # in characters of the table's font: every column gets its longest word (numbers
            # do not wrap at all), the rest of the line goes to the columns with long texts
            line = 125 if self.compact else 115
            need, want = [], []
            for i, col in enumerate(self.columns):
                texts = [str(col)] + [row[i].text for row in self.rows if i < len(row)]
                cls = self.col_classes[i] if i < len(self.col_classes) else ""
                longest = max(len(t) for t in texts)
                cells = [row[i].text for row in self.rows if i < len(row)] or [""]
                if "num" in cls:
                    word = max(len(t) for t in cells)
                    word = max(word, max((len(w) for w in str(col).split()), default=0))
                else:
                    word = max(len(w) for t in texts for w in (t.split() or [""]))
                need.append(word + 2)
                want.append(max(min(longest, 60) + 2 - (word + 2), 0))
            spare = max(line - sum(need), 0)
            extra = sum(want)
            widths = [
                n + (spare * w / extra if extra else spare / len(need))
                for n, w in zip(need, want, strict=True)
            ]
            total = sum(widths)
            self.widths = [round(100 * w / total, 1) for w in widths]


@dataclass
class Figure:
    key: str
    number: int
    chart: charts.Chart

    @property
    def caption(self) -> str:
        return self.chart.caption

    @property
    def source(self) -> str:
        return self.chart.source

    @property
    def svg(self) -> str:
        return self.chart.svg

    @property
    def alt(self) -> str:
        return self.chart.alt

    @property
    def svg_markup(self):
        return charts.svg_markup(self.chart)

    @property
    def print_src(self) -> str:
        """The chart as an image for print, served by the renderer's URL fetcher: WeasyPrint
        draws an image far faster than it styles thousands of inline SVG elements."""
        return f"{PRINT_SCHEME}:{self.key}"


class _Numbers:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.tables: list[Table] = []

    def figure(self, chart: charts.Chart) -> Figure:
        fig = Figure(chart.key, len(self.figures) + 1, chart)
        self.figures.append(fig)
        return fig

    def table(self, key: str, caption: str, source: str, columns, rows, **kw) -> Table:
        table = Table(
            key,
            len(self.tables) + 1,
            caption,
            source,
            list(columns),
            [[c if isinstance(c, Cell) else Cell(str(c)) for c in row] for row in rows],
            **kw,
        )
        self.tables.append(table)
        return table


# --- formatting ---------------------------------------------------------------------------


def _nan(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _int(value) -> int | None:
    return None if _nan(value) else int(value)


def _str(value) -> str:
    return "" if _nan(value) else str(value)


def name(code: str, mark: bool = True) -> str:
    """The jurisdiction's name as the sources give it; Kosovo carries the footnote mark."""
    if code == REGION:
        return "Western Balkans (WB6)"
    if code == REGIONAL:
        return "Regional"
    base = JURISDICTIONS.get(code, code)
    return f"{base}*" if (mark and code == KOSOVO) else base


def names_list(codes: Iterable[str], mark: bool = True) -> str:
    items = [name(c, mark) for c in codes]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def number_word(n: int) -> str:
    """Style of the monitoring reports: numbers up to ten in words."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def pct(value: float | None, digits: int = 0) -> str:
    return NOT_REPORTED_TEXT if value is None else f"{value * 100:.{digits}f}%"


def share_range_text(bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return NOT_REPORTED_TEXT
    low, high = (round(b * 100) for b in bounds)
    return f"{low}%" if low == high else f"{low}–{high}%"


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
    """2003-2005, 2007, 2010-2011."""
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


def _safe_href(url: str | None) -> str | None:
    """Only web links become links: never a `javascript:` or `data:` URL from a source."""
    if not url:
        return None
    parsed = urlparse(str(url).strip())
    return str(url).strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def published_share(num, den) -> tuple[float, float] | None:
    """[num_low / den_high, num_high / den_low] from published bounds, clipped to [0, 1]."""
    if num is None or den is None or den[0] <= 0:
        return None
    low, high = num[0] / den[1], num[1] / den[0]
    return (max(0.0, min(1.0, low)), max(0.0, min(1.0, high)))


def published_rate(bounds, population) -> tuple[float, float] | None:
    if bounds is None or _nan(population) or not population:
        return None
    return (bounds[0] / population * 100_000, bounds[1] / population * 100_000)


def _sum_bounds(items: Iterable[tuple[int, int] | None]) -> tuple[int, int] | None:
    items = list(items)
    if not items or any(b is None for b in items):
        return None
    return (sum(b[0] for b in items), sum(b[1] for b in items))


# --- the builder --------------------------------------------------------------------------


class ReportContext:
    """Builds the context section by section, in the template's order."""

    def __init__(self, tables: dict[str, pd.DataFrame], provenance: dict) -> None:
        self.t = {
            k: (tables.get(k) if tables.get(k) is not None else pd.DataFrame()) for k in TABLE_NAMES
        }
        # the workshop's decisions exist only once a workshop has been held
        self.missing_tables = [
            k for k in TABLE_NAMES if tables.get(k) is None and k != "recommendation_status"
        ]
        self.provenance = provenance
        self.n = _Numbers()
        self.codes = [c for c in JURISDICTIONS]
        h = self.t["harmonised_statistics"]
        self.h = h
        self.trends = self.t["trends"]
        self.dc: Disclosure = harmonised_disclosure(
            h, self.trends, {**JURISDICTIONS, REGION: "WB6"}
        )
        self.shown: set = set()
        years = h["year"].astype(int) if not h.empty else pd.Series([], dtype=int)
        self.first_year = int(years.min()) if len(years) else None
        self.last_year = int(years.max()) if len(years) else None
        self.years = list(range(self.first_year, self.last_year + 1)) if len(years) else []
        self.population = self._population()
        self.colors = {
            name(c): charts.PALETTE[i % len(charts.PALETTE)] for i, c in enumerate(self.codes)
        }

    # disclosure-aware access -------------------------------------------------------------
    def text(self, cell) -> str:
        self.shown.add(cell)
        return self.dc.text(cell)

    def bounds(self, cell):
        self.shown.add(cell)
        return self.dc.bounds(cell)

    def chart_bounds(self, cell):
        """Bounds for a chart: (low, high), 'withheld' or None (not reported)."""
        self.shown.add(cell)
        status = self.dc.status(cell)
        if status == "not_reported":
            return None
        if status == "secondary":
            return "withheld"
        return self.dc.bounds(cell)

    def count_cell(self, cell) -> Cell:
        text = self.text(cell)
        cls = "count"
        if text == PRIMARY_TEXT:
            cls += " suppressed"
        elif text == SECONDARY_TEXT:
            cls += " withheld"
        elif text == NOT_REPORTED_TEXT:
            cls += " missing"
        return Cell(text, cls)

    def _population(self) -> dict[tuple[str, int], float]:
        t = self.trends
        if t.empty:
            return {}
        rows = t.dropna(subset=["population"])
        return {
            (j, int(y)): float(p)
            for j, y, p in zip(rows["jurisdiction"], rows["year"], rows["population"], strict=True)
        }

    def _trend_rows(self, jurisdiction: str, indicator: str) -> pd.DataFrame:
        t = self.trends
        if t.empty:
            return t
        rows = t[(t["jurisdiction"] == jurisdiction) & (t["indicator"] == indicator)]
        return rows.sort_values("year")

    def _region_row(self, year: int, indicator: str):
        rows = self._trend_rows(REGION, indicator)
        rows = rows[rows["year"] == year]
        return None if rows.empty else rows.iloc[0]

    def _reporting(self, year: int, indicator: str) -> list[str]:
        row = self._region_row(year, indicator)
        if row is None:
            return []
        return [c for c in str(row["jurisdictions_reporting"]).split(",") if c]

    def _years_of(self, jurisdiction: str, indicator: str | None = None) -> list[int]:
        h = self.h
        if h.empty:
            return []
        rows = h[h["jurisdiction"] == jurisdiction]
        if indicator:
            rows = rows[rows["indicator"] == indicator]
        return sorted(int(y) for y in rows["year"].unique())

    def _source_files(self, frame: pd.DataFrame, column: str = "source_files") -> list[str]:
        names: set[str] = set()
        if column in frame.columns:
            for text in frame[column].dropna().astype(str):
                names.update(n.strip() for n in text.split(";") if n.strip())
        return sorted(names)

    def _source_line(self, tables: str, frame: pd.DataFrame | None = None, extra: str = "") -> str:
        line = f"Source: warehouse table{'s' if ',' in tables else ''} {tables}"
        if frame is not None:
            files = self._source_files(frame)
            if files:
                shown = ", ".join(files[:3]) + (
                    f" and {len(files) - 3} more" if len(files) > 3 else ""
                )
                line += f", from {shown} (SHA-256 in Annex B)"
        if extra:
            line += f"; {extra}"
        return line + "."

    # --- sections ---------------------------------------------------------------------
    def build(self) -> dict:
        meta = self.meta()
        summary = self.executive_summary()
        regional = self.regional_overview()
        chapters = [self.chapter(code) for code in self.codes]
        cooperation = self.cooperation()
        recommendations = self.recommendations_list()
        methodology = self.methodology()
        annex = self.quality_annex()
        provenance = self.provenance_section()
        sections = [
            {"id": "executive-summary", "title": "Executive summary"},
            {"id": "regional-overview", "title": "Regional overview"},
            *[{"id": c["id"], "title": c["title"]} for c in chapters],
            {"id": "regional-cooperation", "title": "Regional cooperation"},
            {"id": "recommendations", "title": "Recommendations"},
            {"id": "methodology", "title": "Methodology"},
            {"id": "data-quality-annex", "title": "Annex A. Data quality"},
            {"id": "provenance", "title": "Annex B. Provenance"},
        ]
        for number, section in enumerate(sections[:-2], start=1):
            section["number"] = str(number)
        sections[-2]["number"], sections[-1]["number"] = "A", "B"
        return {
            "meta": meta,
            "sections": sections,
            "summary": summary,
            "regional": regional,
            "chapters": chapters,
            "cooperation": cooperation,
            "recommendations": recommendations,
            "methodology": methodology,
            "annex": annex,
            "provenance": provenance,
            "figures": self.n.figures,
            "tables": self.n.tables,
            "legend": LEGEND,
            "kosovo_footnote": KOSOVO_FOOTNOTE,
            "prevalence_caveat": PREVALENCE_CAVEAT,
            "suppression_caveat": SUPPRESSION_CAVEAT,
            "missing_tables": self.missing_tables,
        }

    def meta(self) -> dict:
        p = self.provenance
        return {
            "title": "Trafficking in persons in the Western Balkans",
            "subtitle": (
                "Needs assessment of counter-trafficking mechanisms, trends and regional "
                "cooperation in " + names_list(self.codes)
            ),
            "run_id": str(p.get("run_id", "")),
            "code_version": str(p.get("code_version", "")),
            "generated_at": str(p.get("generated_at", "")),
            "period": f"{self.first_year}–{self.last_year}" if self.first_year else "no data",
            "n_source_files": len(p.get("source_files", {}) or {}),
            "jurisdictions": [{"code": c, "name": name(c)} for c in self.codes],
        }

    # 1. executive summary ---------------------------------------------------------------
    def summary_facts(self) -> dict:
        """The figures the executive summary states, for the sentences and for tests."""
        facts: dict = {}
        victims = self._trend_rows(REGION, "victims_detected")
        if victims.empty:
            return facts
        latest = victims.iloc[-1]
        year = int(latest["year"])
        reporting = [c for c in str(latest["jurisdictions_reporting"]).split(",") if c]
        cell = cell_id(REGION, year, "victims_detected")
        facts["latest_year"] = year
        facts["latest_reporting"] = reporting
        facts["latest_victims"] = (int(latest["value_low"]), int(latest["value_high"]))
        facts["latest_victims_text"] = count_words(*facts["latest_victims"])
        facts["latest_rate"] = (
            None
            if _nan(latest["rate_per_100k_low"])
            else (float(latest["rate_per_100k_low"]), float(latest["rate_per_100k_high"]))
        )
        self.shown.add(cell)
        full = victims[victims["n_jurisdictions_reporting"] >= len(self.codes)]
        if not full.empty:
            row = full.iloc[-1]
            facts["full_year"] = int(row["year"])
            facts["full_victims"] = (int(row["value_low"]), int(row["value_high"]))
            facts["full_victims_text"] = count_words(*facts["full_victims"])
        for indicator in CJ_INDICATORS:
            rows = self._trend_rows(REGION, indicator)
            rows = rows[rows["year"] == year]
            if not rows.empty:
                r = rows.iloc[0]
                facts[indicator] = {
                    "bounds": (int(r["value_low"]), int(r["value_high"])),
                    "text": count_words(int(r["value_low"]), int(r["value_high"]), "persons"),
                    "reporting": str(r["jurisdictions_reporting"]).split(","),
                }
        ts = self.t["trend_summary"]
        if not ts.empty:
            region = ts[(ts["jurisdiction"] == REGION) & (ts["indicator"] == "victims_detected")]
            if not region.empty:
                facts["region_direction"] = str(region.iloc[0]["direction"])
                facts["region_reason"] = _str(region.iloc[0]["reason"])
            # the report speaks of its own jurisdictions (a region configured larger still sums)
            own = ts[ts["jurisdiction"].isin(self.codes) & (ts["indicator"] == "victims_detected")]
            facts["directions"] = {
                d: sorted(own[own["direction"] == d]["jurisdiction"], key=self.codes.index)
                for d in ("rising", "falling", "stable", "insufficient_data")
            }
        # sex and age of the latest year, from published cells only
        facts["profile"] = self._regional_profile(year)
        return facts

    def _regional_profile(self, year: int) -> dict:
        """Pooled shares of female victims and children in `year` over the jurisdictions whose
        cells are all published (withheld cells are never filled in)."""
        out = {}
        for label, dim_key in (("female", ("sex", "female")), ("child", ("age", "child"))):
            nums, dens, used = [], [], []
            for code in self._reporting(year, "victims_detected"):
                kwargs = {dim_key[0]: dim_key[1]}
                num = self.bounds(cell_id(code, year, "victims_detected", **kwargs))
                den = self.bounds(cell_id(code, year, "victims_detected"))
                if num is None or den is None:
                    continue
                nums.append(num)
                dens.append(den)
                used.append(code)
            if used:
                out[label] = {
                    "share": published_share(_sum_bounds(nums), _sum_bounds(dens)),
                    "jurisdictions": used,
                }
        return out

    def executive_summary(self) -> dict:
        f = self.summary_facts()
        sentences: list[str] = []
        if not f:
            return {
                "sentences": ["The warehouse holds no figures yet."],
                "facts": f,
                "top": [],
                "cover": [],
            }
        n_all = len(self.codes)
        year, reporting = f["latest_year"], f["latest_reporting"]
        missing = [c for c in self.codes if c not in reporting]
        rate = (
            f" ({rate_text(f['latest_rate'])} per 100,000 inhabitants)" if f["latest_rate"] else ""
        )
        who = (
            f"the {number_word(n_all)} jurisdictions"
            if not missing
            else f"the {number_word(len(reporting))} jurisdictions that reported "
            f"({names_list(missing)} did not)"
        )
        first = f"In {year} {who} detected {f['latest_victims_text']}{rate}"
        if "full_year" in f and f["full_year"] != year:
            first += (
                f"; in {f['full_year']}, the latest year all {number_word(n_all)} reported, "
                f"they detected {f['full_victims_text']}"
            )
        sentences.append(first + ".")
        cj = [f[i] for i in CJ_INDICATORS if i in f]
        if len(cj) == 2:
            sentences.append(
                f"In the same year {cj[0]['text']} were prosecuted for trafficking "
                f"({names_list(cj[0]['reporting'])} reporting) and {cj[1]['text']} convicted "
                f"({names_list(cj[1]['reporting'])} reporting)."
            )
        profile = f.get("profile", {})
        if "female" in profile and profile["female"]["share"]:
            part = (
                f"Women and girls made up {share_range_text(profile['female']['share'])} of the "
                f"victims detected in {year}"
            )
            if "child" in profile and profile["child"]["share"]:
                part += f", and children {share_range_text(profile['child']['share'])}"
            sentences.append(part + " (pooled over the jurisdictions reporting the breakdown).")
        if "directions" in f:
            d = f["directions"]
            bits = []
            for key, words in (
                ("rising", "rising"),
                ("falling", "falling"),
                ("stable", "stable"),
            ):
                if d[key]:
                    bits.append(f"{words} in {names_list(d[key])}")
            unclear = d["insufficient_data"]
            text = (
                f"Over the {number_word(trend_rules.RECENT_YEARS)} most recent reported years, "
                "detected victims were "
            ) + ("; ".join(bits) if bits else "not clearly rising or falling anywhere")
            if unclear:
                text += (
                    f"; the data of {names_list(unclear)} cannot tell a direction (too few exact "
                    "years, or too wide an interval)"
                )
            sentences.append(text + ".")
        sentences.extend(self._mechanism_sentences())
        sentences.extend(self._flow_and_data_sentences())
        top = self._recommendation_items(self._recs_of(REGIONAL), top_only=True)
        if not top:
            top = self._recommendation_items(self._top_national(), top_only=False)
        return {"sentences": sentences, "facts": f, "top": top, "cover": self._cover_facts(f)}

    def _cover_facts(self, f: dict) -> list[dict]:
        """Three figures for the cover, each with what it counts."""
        facts = []
        if "latest_victims" in f:
            facts.append(
                {
                    "big": bounds_text(published_bounds(*f["latest_victims"])),
                    "small": (
                        f"victims detected in {f['latest_year']} by "
                        f"{number_word(len(f['latest_reporting']))} of the "
                        f"{number_word(len(self.codes))} jurisdictions (not prevalence)"
                    ),
                    "count": True,
                }
            )
        if "persons_convicted" in f:
            facts.append(
                {
                    "big": bounds_text(published_bounds(*f["persons_convicted"]["bounds"])),
                    "small": (
                        f"persons convicted of trafficking in {f['latest_year']} "
                        f"({names_list(f['persons_convicted']['reporting'])} reporting)"
                    ),
                    "count": True,
                }
            )
        recs = self._recs()
        if not recs.empty:
            urgent = int((recs["urgency"] == "urge").sum())
            facts.append(
                {
                    "big": f"{len(recs):,}",
                    "small": (
                        f"recommendations, {urgent} of them urgent, each tied to its evidence"
                    ),
                    "count": False,
                }
            )
        return facts

    def _mechanism_sentences(self) -> list[str]:
        out = []
        ds = self.t["mechanism_domain_scores"]
        opp = self.t["regional_opportunities"]
        if not ds.empty:
            known = ds.dropna(subset=["mean_score"])
            by_domain = (
                known.groupby("domain")
                .apply(
                    lambda g: (g["mean_score"] * g["n_known"]).sum() / g["n_known"].sum(),
                    include_groups=False,
                )
                .sort_values()
            )
            coverage = ds["n_known"].sum() / ds["n_items"].sum() if ds["n_items"].sum() else 0
            if len(by_domain):
                weakest, strongest = by_domain.index[0], by_domain.index[-1]
                out.append(
                    f"Against the {int(ds.groupby('jurisdiction')['n_items'].sum().max())}-item "
                    f"counter-trafficking checklist, the region is weakest in {weakest} (mean "
                    f"score {by_domain.iloc[0] / 2:.0%} of the maximum over the known items) and "
                    f"strongest in {strongest} ({by_domain.iloc[-1] / 2:.0%}); only "
                    f"{coverage:.0%} of the jurisdiction-item pairs have any assessment, and an "
                    "unknown item is never counted as 0."
                )
        if not opp.empty:
            shared = opp[opp["opportunity_type"] == "shared_gap"]
            if not shared.empty:
                everywhere = shared[shared["n_jurisdictions"] >= len(self.codes)]
                titles = self._item_titles(everywhere["key"]) if not everywhere.empty else []
                text = (
                    f"{len(shared)} checklist items are gaps (not met or partly met) in at least "
                    f"{number_word(MIN_SHARED_GAP)} jurisdictions at once"
                )
                if titles:
                    text += (
                        f", {number_word(len(titles))} of them in all {number_word(len(self.codes))}: "
                        + "; ".join(lower_first(t) for t in titles)
                    )
                out.append(text + ".")
        return out

    def _item_titles(self, item_ids: Iterable[str]) -> list[str]:
        cl = self.t["ct_checklist"]
        titles = dict(zip(cl["item_id"], cl["title"], strict=True)) if not cl.empty else {}
        return [f"{titles.get(i, i)} ({i})" for i in item_ids]

    def _flow_and_data_sentences(self) -> list[str]:
        out = []
        pairs = self._flow_pairs()
        if pairs:
            certain = [p for p in pairs if p["certain"]]
            text = f"Recent victim flows link {len(pairs)} pairs of jurisdictions"
            if certain:
                text += (
                    f"; in {number_word(len(certain))} of them a yearly figure reaches "
                    f"{THRESHOLD} or more ({'; '.join(p['pair'] for p in certain)}), in the "
                    f"others every figure is {PRIMARY_TEXT}, so the flow may be nil."
                )
            else:
                text += (
                    f", every one of them reported only as {PRIMARY_TEXT} per year: the data "
                    "cannot say how many victims moved, or whether any did."
                )
            out.append(text)
        summary = self.t["data_gap_summary"]
        if not summary.empty:
            worst = summary.sort_values("rank_worst_first").iloc[0]
            out.append(
                f"Data gaps remain wide: {name(worst['jurisdiction'])} reports the least "
                f"({pct(float(worst['share_not_reported']))} of indicator, breakdown and year "
                f"combinations not reported), and between {pct(float(summary['share_suppressed'].min()))} "
                f"and {pct(float(summary['share_suppressed'].max()))} of the cells each "
                f"jurisdiction reports are {PRIMARY_TEXT}."
            )
        return out

    # 2. regional overview ---------------------------------------------------------------
    def regional_overview(self) -> dict:
        out: dict = {}
        years = self.years
        victim_years = (
            [int(y) for y in self._trend_rows(REGION, "victims_detected")["year"]]
            if not self.trends.empty
            else []
        )
        region_years = (
            list(range(min(victim_years), max(victim_years) + 1)) if victim_years else years
        )
        # 2.1 detected victims, WB6
        panel = charts.Panel(
            "Western Balkans (WB6): sum over the jurisdictions reporting",
            {
                "victims detected": {
                    y: self.chart_bounds(cell_id(REGION, y, "victims_detected"))
                    for y in region_years
                }
            },
            annotations={
                y: f"{len(self._reporting(y, 'victims_detected'))}/{len(self.codes)}"
                for y in region_years
            },
        )
        out["region_chart"] = self.n.figure(
            charts.count_bars(
                "fig-region-victims",
                [panel],
                region_years,
                caption=(
                    "Victims detected in the Western Balkans per year: the sum over the "
                    "jurisdictions that reported (their number is under each bar). A year with "
                    "fewer than six is a partial sum, not a regional total."
                ),
                source=self._source_line(
                    "trends (jurisdiction WB6)", self._trend_rows(REGION, "victims_detected")
                ),
                alt="Bar chart of detected victims per year in the Western Balkans, with the number of jurisdictions reporting.",
                ncols=1,
                panel_height=2.3,
                colors={"victims detected": charts.PALETTE[0]},
            )
        )
        # 2.1 table by jurisdiction
        recent = years[-TABLE_YEARS:]
        rows = []
        for code in self.codes:
            rows.append(
                [Cell(name(code), "rowhead")]
                + [self.count_cell(cell_id(code, y, "victims_detected")) for y in recent]
            )
        rows.append(
            [Cell("WB6 (sum of those reporting)", "rowhead total")]
            + [self.count_cell(cell_id(REGION, y, "victims_detected")) for y in recent]
        )
        rows.append(
            [Cell("Jurisdictions reporting", "rowhead note")]
            + [
                Cell(f"{len(self._reporting(y, 'victims_detected'))} of {len(self.codes)}", "note")
                for y in recent
            ]
        )
        out["victims_table"] = self.n.table(
            "tab-victims",
            f"Victims detected by jurisdiction, {recent[0]}–{recent[-1]}"
            if recent
            else "Victims detected",
            self._source_line(
                "harmonised_statistics, trends",
                self.h[self.h["indicator"] == "victims_detected"] if not self.h.empty else None,
            ),
            ["Jurisdiction", *[str(y) for y in recent]],
            rows,
            col_classes=["", *["num"] * len(recent)],
        )
        # per jurisdiction small multiples
        panels = [
            charts.Panel(
                name(code),
                {
                    "victims detected": {
                        y: self.chart_bounds(cell_id(code, y, "victims_detected")) for y in years
                    }
                },
            )
            for code in self.codes
        ]
        out["jurisdiction_chart"] = self.n.figure(
            charts.count_bars(
                "fig-victims-by-jurisdiction",
                panels,
                years,
                caption="Victims detected per year in each jurisdiction (scales differ between panels; a missing bar is a year not reported, a 'c' a withheld figure).",
                source=self._source_line(
                    "harmonised_statistics",
                    self.h[self.h["indicator"] == "victims_detected"] if not self.h.empty else None,
                ),
                alt="Six small bar charts of detected victims per year, one per jurisdiction.",
                colors={"victims detected": charts.PALETTE[0]},
            )
        )
        # 2.2 rates
        series = {}
        for code in self.codes:
            data = {}
            for y in years:
                data[y] = published_rate(
                    self.bounds(cell_id(code, y, "victims_detected")),
                    self.population.get((code, y)),
                )
            series[name(code)] = {y: b for y, b in data.items() if b is not None}
        out["rate_chart"] = self.n.figure(
            charts.rate_bands(
                "fig-rates",
                series,
                caption="Victims detected per 100,000 inhabitants. A band is the range a count given as an interval allows; a line is an exact count.",
                source=self._source_line(
                    "harmonised_statistics, trends (population: World Bank SP.POP.TOTL)"
                ),
                alt="Line chart with bands of detected victims per 100,000 inhabitants per jurisdiction.",
                colors=self.colors,
            )
        )
        recent5 = years[-5:]
        rate_rows = []
        for code in [*self.codes, REGION]:
            cells = []
            for y in recent5:
                pop = self.population.get((code, y))
                cells.append(
                    Cell(
                        rate_text(
                            published_rate(self.bounds(cell_id(code, y, "victims_detected")), pop)
                        ),
                        "num",
                    )
                )
            rate_rows.append(
                [Cell(name(code), "rowhead" + (" total" if code == REGION else ""))] + cells
            )
        out["rate_table"] = self.n.table(
            "tab-rates",
            "Victims detected per 100,000 inhabitants (WB6: over the jurisdictions reporting that year)",
            self._source_line(
                "trends",
                extra="rates recomputed from the published counts and the population of the same year",
            ),
            ["Jurisdiction", *[str(y) for y in recent5]],
            rate_rows,
            col_classes=["", *["num"] * len(recent5)],
        )
        # 2.3 criminal justice
        cj_years = years[-12:]
        cj_panels = [
            charts.Panel(
                name(code),
                {
                    INDICATOR_SHORT[ind]: {
                        y: self.chart_bounds(cell_id(code, y, ind)) for y in cj_years
                    }
                    for ind in CJ_INDICATORS
                },
            )
            for code in self.codes
        ]
        out["cj_chart"] = self.n.figure(
            charts.count_bars(
                "fig-criminal-justice",
                cj_panels,
                cj_years,
                caption="Persons prosecuted and persons convicted for trafficking per year (a year's convictions may follow prosecutions of earlier years).",
                source=self._source_line(
                    "harmonised_statistics",
                    self.h[self.h["indicator"].isin(CJ_INDICATORS)] if not self.h.empty else None,
                ),
                alt="Small bar charts of persons prosecuted and convicted per year in each jurisdiction.",
                colors={
                    INDICATOR_SHORT["persons_prosecuted"]: charts.PALETTE[1],
                    INDICATOR_SHORT["persons_convicted"]: charts.PALETTE[5],
                },
            )
        )
        cj_rows = []
        for code in [*self.codes, REGION]:
            for ind in CJ_INDICATORS:
                cj_rows.append(
                    [
                        Cell(name(code), "rowhead" + (" total" if code == REGION else "")),
                        Cell(INDICATOR_SHORT[ind]),
                    ]
                    + [self.count_cell(cell_id(code, y, ind)) for y in recent5]
                )
        out["cj_table"] = self.n.table(
            "tab-criminal-justice",
            f"Persons prosecuted and convicted, {recent5[0]}–{recent5[-1]}"
            if recent5
            else "Criminal justice",
            self._source_line("harmonised_statistics, trends"),
            ["Jurisdiction", "Indicator", *[str(y) for y in recent5]],
            cj_rows,
            col_classes=["", "", *["num"] * len(recent5)],
            compact=True,
        )
        # 2.4 forms, 2.5 sex and age
        out["forms_chart"], out["forms_table"] = self._breakdown_section(
            "forms",
            "exploitation",
            [(f, FORM_LABELS[f], {"dimension": "exploitation", "category": f}) for f in FORMS],
            "Forms of exploitation of the victims detected, latest year with the breakdown",
        )
        out["profile_chart"], out["profile_table"] = self._breakdown_section(
            "profile",
            "sex and age",
            [
                ("female", "Female", {"sex": "female"}),
                ("male", "Male", {"sex": "male"}),
                ("child", "Children (0-17)", {"age": "child"}),
                ("adult", "Adults (18+)", {"age": "adult"}),
            ],
            "Sex and age of the victims detected, latest year with the breakdown",
            chart_parts=("female", "child"),
        )
        # 2.6 flows
        out["flow_chart"], out["flow_window"] = self._flow_matrix()
        # 2.7 external view
        out["tier_chart"] = self._tier_chart()
        return out

    def _latest_with(self, code: str, cells: list[tuple]) -> int | None:
        for y in reversed(self._years_of(code, "victims_detected")):
            if any(c(y) in self.dc.values for c in cells):
                return y
        return None

    def _breakdown_section(self, key, what, parts, caption, chart_parts=None):
        chart_parts = chart_parts or [p[0] for p in parts]
        labels = {p[0]: p[1] for p in parts}
        rows, data, texts, table_rows = [], {}, {}, []
        for code in self.codes:
            makers = [
                lambda y, kw=kw, code=code: cell_id(code, y, "victims_detected", **kw)
                for _, _, kw in parts
            ]
            year = self._latest_with(code, makers)
            if year is None:
                continue
            row_label = f"{name(code)} ({year})"
            rows.append(row_label)
            total = self.bounds(cell_id(code, year, "victims_detected"))
            cells = [
                Cell(name(code), "rowhead"),
                Cell(str(year)),
                self.count_cell(cell_id(code, year, "victims_detected")),
            ]
            for part, maker in zip(parts, makers, strict=True):
                cid = maker(year)
                share = published_share(self.bounds(cid), total)
                if part[0] in chart_parts:
                    data[(row_label, labels[part[0]])] = share
                    texts[(row_label, labels[part[0]])] = (
                        share_range_text(share) if share else self.text(cid)
                    )
                cells.append(self.count_cell(cid))
            table_rows.append(cells)
        chart = self.n.figure(
            charts.share_ranges(
                f"fig-{key}",
                rows,
                [labels[p] for p in chart_parts],
                data,
                texts,
                caption=caption
                + ": share of the victims detected, as the range the published counts allow.",
                source=self._source_line(
                    "harmonised_statistics", extra="shares computed from the published counts"
                ),
                alt=f"Horizontal range bars of the shares of victims by {what} per jurisdiction.",
            )
        )
        table = self.n.table(
            f"tab-{key}",
            caption + " (counts)",
            self._source_line("harmonised_statistics"),
            ["Jurisdiction", "Year", "Total", *[p[1] for p in parts]],
            table_rows,
            col_classes=["", "", "num", *["num"] * len(parts)],
        )
        return chart, table

    def _flow_window(self) -> list[int]:
        flows = self.t["victim_flows"]
        if flows.empty:
            return []
        last = int(flows["year"].max())
        return list(range(last - FLOW_YEARS + 1, last + 1))

    def _flow_cells(self, rows: pd.DataFrame) -> list:
        return [
            cell_id(r.jurisdiction, r.year, r.indicator, r.dimension, r.category)
            for r in rows.itertuples(index=False)
        ]

    def _flow_matrix(self):
        flows = self.t["victim_flows"]
        window = self._flow_window()
        if flows.empty or not window:
            return None, window
        f = flows[flows["year"].isin(window)]
        six = self.codes
        other, unknown = "Other countries", "Unknown / unnamed"

        def side(code: str) -> str:
            if code in six:
                return name(code)
            return unknown if code in ("UNKNOWN", "ABROAD", "YUG", "SCG") else other

        f = f.assign(o=f["origin"].map(side), d=f["destination"].map(side))
        row_labels = [name(c) for c in six] + [other, unknown]
        col_labels = [textwrap.fill(label, 12) for label in row_labels]
        colors, texts = [], []
        for r in row_labels:
            crow, trow = [], []
            for c in row_labels:
                part = f[(f["o"] == r) & (f["d"] == c)]
                if part.empty:
                    crow.append(None)
                    trow.append("")
                    continue
                cells = self._flow_cells(part)
                statuses = [self.dc.status(x) for x in cells]
                self.shown.update(cells)
                published = [self.dc.bounds(x) for x in cells if self.dc.status(x) != "secondary"]
                total = _sum_bounds(published) if published else (0, 0)
                if "secondary" in statuses:
                    # what the published years add up to, and a withheld year on top
                    crow.append("#d0d0d0")
                    trow.append(
                        f"{bounds_text(total)}+{SECONDARY_TEXT}" if published else SECONDARY_TEXT
                    )
                    continue
                text = bounds_text(total)
                crow.append(
                    "#f3e3b3"
                    if total[1] < THRESHOLD
                    else charts.sequential_color(math.log1p(total[1]), math.log1p(500))
                )
                trow.append(text)
            colors.append(crow)
            texts.append(trow)
        chart = charts.heatmap(
            "fig-flows",
            row_labels,
            col_labels,
            colors,
            texts,
            caption=(
                f"Victim flows, {window[0]}–{window[-1]}: rows are the victims' citizenship, "
                "columns the country where they were detected (the reporting jurisdiction, or "
                "the country a jurisdiction's nationals were repatriated from); the diagonal is "
                "domestic trafficking. Each cell adds the published yearly figures, so a sum of "
                f"{PRIMARY_TEXT} cells is shown by its upper bound (≤); x+{SECONDARY_TEXT}: the "
                "published years add up to x, and a withheld year comes on top."
            ),
            source=self._source_line("victim_flows", f),
            alt="Matrix of victim flows between the six jurisdictions and other countries.",
            xlabel="detected in",
            ylabel="citizenship of the victims",
            cell_height=0.3,
            legend=[
                (f"{PRIMARY_TEXT} (0 to {THRESHOLD - 1})", "#f3e3b3"),
                ("more: darker", charts.sequential_color(0.6)),
                (f"includes a withheld figure ({SECONDARY_TEXT})", "#d0d0d0"),
            ],
        )
        return self.n.figure(chart), window

    def _tier_chart(self):
        tiers = self.t["us_tip_tiers"]
        if tiers.empty:
            return None
        years = list(range(int(tiers["report_year"].min()), int(tiers["report_year"].max()) + 1))
        colors, texts = [], []
        for code in self.codes:
            rows = tiers[tiers["jurisdiction"] == code].set_index("report_year")
            crow, trow = [], []
            for y in years:
                if y not in rows.index:
                    crow.append(None)
                    trow.append("")
                    continue
                tier = TIER_CODES.get(str(rows.loc[y, "tier"]), str(rows.loc[y, "tier"]))
                inferred = str(rows.loc[y, "tier_inferred"]).lower() in ("yes", "true", "1")
                crow.append(TIER_COLORS.get(tier))
                trow.append(tier + ("†" if inferred else ""))
            colors.append(crow)
            texts.append(trow)
        return self.n.figure(
            charts.heatmap(
                "fig-tiers",
                [name(c) for c in self.codes],
                [str(y) for y in years],
                colors,
                texts,
                caption=(
                    "US Department of State Trafficking in Persons report: tier by report year "
                    "(T2WL: Tier 2 Watch List); † read from the next edition's wording; "
                    "empty: no edition found."
                ),
                source="Source: data/reference/us_tip_tiers.csv (us_tip_tiers), the report pages named in its source_url column.",
                alt="Grid of US TIP report tiers per jurisdiction and report year.",
                legend=[(tier, TIER_COLORS[c]) for tier, c in TIER_CODES.items()],
                rotate_columns=True,
            )
        )

    # 3-8. chapters ----------------------------------------------------------------------
    def chapter(self, code: str) -> dict:
        ch: dict = {
            "code": code,
            "id": f"jurisdiction-{code}",
            "title": name(code),
            "name": name(code),
        }
        years = self._years_of(code)
        ch["years"] = years
        ch["intro"] = self._chapter_intro(code, years)
        recent = years[-CHAPTER_YEARS:]
        rows = []
        for ind in INDICATORS:
            rows.append(
                [Cell(INDICATOR_LABELS[ind], "rowhead")]
                + [self.count_cell(cell_id(code, y, ind)) for y in recent]
            )
        rows.append(
            [Cell("Victims per 100,000 inhabitants", "rowhead note")]
            + [
                Cell(
                    rate_text(
                        published_rate(
                            self.bounds(cell_id(code, y, "victims_detected")),
                            self.population.get((code, y)),
                        )
                    ),
                    "num",
                )
                for y in recent
            ]
        )
        ch["key_table"] = (
            self.n.table(
                f"tab-{code}-key",
                f"{name(code)}: key figures, {recent[0]}–{recent[-1]}"
                if recent
                else f"{name(code)}: key figures",
                self._source_line(
                    "harmonised_statistics, trends",
                    self.h[self.h["jurisdiction"] == code] if not self.h.empty else None,
                ),
                ["Indicator", *[str(y) for y in recent]],
                rows,
                col_classes=["", *["num"] * len(recent)],
            )
            if recent
            else None
        )
        ch["breakdown_table"] = self._chapter_breakdown(code)
        if years:
            span = list(range(years[0], years[-1] + 1))
            series = {
                ind: {y: self.chart_bounds(cell_id(code, y, ind)) for y in span}
                for ind in ("victims_detected", *CJ_INDICATORS)
            }
            shown = [ind for ind, data in series.items() if any(data.values())]
            missing = [INDICATOR_SHORT[ind] for ind in series if ind not in shown]
            caption = (
                f"{name(code)}: "
                + ", ".join(INDICATOR_LABELS[ind].lower() for ind in shown)
                + " per year"
                + (f" (not reported: persons {' or '.join(missing)})" if missing else "")
                + "."
            )
            ch["chart"] = self.n.figure(
                charts.count_bars(
                    f"fig-{code}-series",
                    [charts.Panel(name(code), {INDICATOR_SHORT[i]: series[i] for i in shown})],
                    span,
                    caption=caption,
                    source=self._source_line(
                        "harmonised_statistics", self.h[self.h["jurisdiction"] == code]
                    ),
                    alt=f"Bar chart of {', '.join(INDICATOR_SHORT[i] for i in shown)} per year "
                    f"in {name(code, False)}.",
                    ncols=1,
                    panel_height=2.2,
                    colors={
                        INDICATOR_SHORT["victims_detected"]: charts.PALETTE[0],
                        INDICATOR_SHORT["persons_prosecuted"]: charts.PALETTE[1],
                        INDICATOR_SHORT["persons_convicted"]: charts.PALETTE[5],
                    },
                )
            )
        else:
            ch["chart"] = None
        ch["trend_table"] = self._trend_table(code)
        ch.update(self._chapter_mechanisms(code))
        ch.update(self._chapter_data_gaps(code))
        ch.update(self._chapter_tiers(code))
        ch["recommendations"] = self._recommendation_items(self._recs_of(code), top_only=True)
        ch["n_recommendations"] = len(self._recs_of(code))
        return ch

    def _chapter_intro(self, code: str, years: list[int]) -> list[str]:
        if not years:
            return [f"The warehouse holds no statistics for {name(code)}."]
        out = []
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        text = f"{name(code)} reported statistics for {years_text(years)}"
        text += f" (no figures for {years_text(missing)})." if missing else "."
        out.append(text)
        v_years = self._years_of(code, "victims_detected")
        if v_years:
            y = v_years[-1]
            b = self.bounds(cell_id(code, y, "victims_detected"))
            words = count_text(0, 0, withheld=True) if b is None else count_words(*b)
            rate = published_rate(b, self.population.get((code, y)))
            out.append(
                f"In {y}, its latest year, it detected {words}"
                + (f" ({rate_text(rate)} per 100,000 inhabitants)." if rate else ".")
            )
        ts = self.t["trend_summary"]
        if not ts.empty:
            row = ts[(ts["jurisdiction"] == code) & (ts["indicator"] == "victims_detected")]
            if not row.empty:
                r = row.iloc[0]
                if r["direction"] == "insufficient_data":
                    out.append(
                        f"The data cannot tell a direction for detected victims: {_str(r['reason'])}."
                    )
                else:
                    out.append(
                        f"Detected victims were {r['direction']} over {r['first_year']}–{r['last_year']} "
                        f"(about {signed_pct(r['annual_change_pct'])} a year; 95% interval "
                        f"{_pct_change(r['slope_ci_low'])} to {_pct_change(r['slope_ci_high'])})."
                    )
        return out

    def _chapter_breakdown(self, code: str):
        parts = (
            [("Sex", SEX_LABELS[s], {"sex": s}) for s in ("female", "male", "other", "unknown")]
            + [("Age", AGE_LABELS[a], {"age": a}) for a in ("child", "adult", "unknown")]
            + [
                (
                    "Form of exploitation",
                    FORM_LABELS[f],
                    {"dimension": "exploitation", "category": f},
                )
                for f in FORMS
            ]
        )
        makers = [lambda y, kw=kw: cell_id(code, y, "victims_detected", **kw) for _, _, kw in parts]
        year = self._latest_with(code, makers)
        if year is None:
            return None
        total_cell = cell_id(code, year, "victims_detected")
        total = self.bounds(total_cell)
        rows = [
            [
                Cell("Total", "rowhead total"),
                Cell(""),
                self.count_cell(total_cell),
                Cell("100%" if total else NOT_REPORTED_TEXT, "num"),
            ]
        ]
        for (group, label, _), maker in zip(parts, makers, strict=True):
            cid = maker(year)
            if cid not in self.dc.values:
                continue
            share = published_share(self.bounds(cid), total)
            rows.append(
                [
                    Cell(group, "rowhead"),
                    Cell(label),
                    self.count_cell(cid),
                    Cell(share_range_text(share) if share else NOT_REPORTED_TEXT, "num"),
                ]
            )
        return self.n.table(
            f"tab-{code}-breakdown",
            f"{name(code)}: victims detected in {year} by sex, age and form of exploitation",
            self._source_line(
                "harmonised_statistics",
                self.h[(self.h["jurisdiction"] == code) & (self.h["year"] == year)],
            ),
            ["Breakdown", "Category", "Victims", "Share"],
            rows,
            col_classes=["", "", "num", "num"],
            note="Shares are ranges computed from the published counts; categories not reported are left out (absent is not zero).",
        )

    def _trend_table(self, code: str):
        ts = self.t["trend_summary"]
        if ts.empty:
            return None
        rows = []
        for ind in INDICATORS:
            part = ts[(ts["jurisdiction"] == code) & (ts["indicator"] == ind)]
            if part.empty:
                continue
            r = part.iloc[0]
            direction = str(r["direction"])
            change = (
                NOT_REPORTED_TEXT
                if _nan(r["annual_change_pct"]) or direction == "insufficient_data"
                else f"{signed_pct(r['annual_change_pct'])} ({_pct_change(r['slope_ci_low'])} to {_pct_change(r['slope_ci_high'])})"
            )
            rows.append(
                [
                    Cell(INDICATOR_LABELS[ind], "rowhead"),
                    Cell(
                        DIRECTION_LABELS.get(direction, direction), f"verdict verdict-{direction}"
                    ),
                    Cell(change, "num"),
                    Cell(years_text(int(y) for y in _str(r["years_window"]).split(",") if y)),
                    Cell(years_text(int(y) for y in _str(r["years_used"]).split(",") if y)),
                    Cell(mask_counts_in_text(_str(r["reason"])) or ""),
                ]
            )
        return self.n.table(
            f"tab-{code}-trends",
            f"{name(code)}: direction of each series over its five most recent reported years",
            self._source_line("trend_summary"),
            [
                "Indicator",
                "Verdict",
                "Change a year (95% interval)",
                "Window",
                "Exact years used",
                "Why the data cannot tell",
            ],
            rows,
            col_classes=["", "", "num", "", "", "small"],
            compact=True,
        )

    def _chapter_mechanisms(self, code: str) -> dict:
        out: dict = {
            "domain_table": None,
            "gap_tables": [],
            "no_evidence": [],
            "n_met": 0,
            "n_items": 0,
        }
        ds = self.t["mechanism_domain_scores"]
        if ds.empty:
            return out
        d = ds[ds["jurisdiction"] == code]
        order = self._domain_order()
        d = d.assign(
            _o=d["domain"].map(lambda x: order.index(x) if x in order else len(order))
        ).sort_values(["_o", "domain"])
        rows = []
        for r in d.itertuples(index=False):
            rows.append(
                [
                    Cell(str(r.domain), "rowhead"),
                    Cell(str(int(r.n_items)), "num"),
                    Cell(str(int(r.n_known)), "num"),
                    Cell(str(int(r.n_unknown)), "num"),
                    Cell(str(int(r.n_conflict)), "num"),
                    Cell(pct(float(r.coverage_share)), "num"),
                    Cell(
                        NOT_REPORTED_TEXT
                        if _nan(r.mean_score)
                        else f"{float(r.mean_score):.2f} of 2",
                        "num",
                    ),
                    Cell(
                        "not ranked"
                        if _nan(r.rank)
                        else f"{int(r.rank)} of {int(ds[(ds['domain'] == r.domain) & ds['rankable']].shape[0])}",
                        "num",
                    ),
                ]
            )
        out["domain_table"] = self.n.table(
            f"tab-{code}-domains",
            f"{name(code)}: checklist scores by domain, with coverage",
            self._source_line("mechanism_domain_scores"),
            [
                "Domain",
                "Items",
                "Known",
                "Unknown",
                "Conflict",
                "Coverage",
                "Mean score",
                "Rank in region",
            ],
            rows,
            col_classes=["", "num", "num", "num", "num", "num", "num", "num"],
            note=f"Unknown items are left out of the mean, never counted as 0; a domain is ranked only with at least {RANKABLE_COVERAGE:.0%} coverage.",
        )
        scores = self.t["mechanism_scores"]
        if not scores.empty:
            out["n_met"] = int(((scores["jurisdiction"] == code) & (scores["score"] == 2)).sum())
            out["n_items"] = int((scores["jurisdiction"] == code).sum())
        gaps = self.t["mechanism_gaps"]
        if not gaps.empty:
            g = gaps[gaps["jurisdiction"] == code]
            for gap_type in ("not_met", "partly_met", "conflict"):
                part = g[g["gap_type"] == gap_type].sort_values("item_id")
                if part.empty:
                    continue
                rows = [
                    [
                        Cell(str(r.item_id), "rowhead nowrap"),
                        Cell(str(r.title)),
                        Cell(str(r.domain)),
                        Cell(_str(_int(r.year)) if not _nan(r.year) else NOT_REPORTED_TEXT),
                        Cell(_str(r.evidence), "small", href=_safe_href(r.source_url)),
                    ]
                    for r in part.itertuples(index=False)
                ]
                out["gap_tables"].append(
                    self.n.table(
                        f"tab-{code}-gaps-{gap_type}",
                        f"{name(code)}: checklist items {GAP_LABELS[gap_type].lower()}",
                        self._source_line(
                            "mechanism_gaps",
                            extra=f"evidence from {code.lower()}_ct_mechanisms.yaml with its published source (linked)",
                        ),
                        ["Item", "What the item asks for", "Domain", "Year", "Evidence"],
                        rows,
                        col_classes=["", "", "", "", "small"],
                        compact=True,
                    )
                )
            none = g[g["gap_type"] == "no_evidence"].sort_values("item_id")
            out["no_evidence"] = [f"{r.item_id} {r.title}" for r in none.itertuples(index=False)]
        return out

    def _domain_order(self) -> list[str]:
        """The checklist's domains in its order, then any other domain the scores name."""
        checklist = self.t["ct_checklist"]
        order = list(dict.fromkeys(checklist["domain"])) if not checklist.empty else []
        scores = self.t["mechanism_domain_scores"]
        if not scores.empty:
            order += sorted(set(scores["domain"]) - set(order))
        return order

    def _chapter_data_gaps(self, code: str) -> dict:
        out: dict = {"data_gap_sentences": [], "data_gap_table": None}
        summary = self.t["data_gap_summary"]
        gaps = self.t["data_gaps"]
        if not summary.empty:
            row = summary[summary["jurisdiction"] == code]
            if not row.empty:
                r = row.iloc[0]
                text = (
                    f"{name(code)} fills {pct(1 - float(r['share_not_reported_in_range']))} of the "
                    "indicator, breakdown and year combinations between its own first and last "
                    f"reported years ({_str(_int(r['first_year']))}–{_str(_int(r['last_year']))}); "
                    f"{pct(float(r['share_suppressed']))} of the cells it reports are {PRIMARY_TEXT}. "
                    f"It ranks {int(r['rank_worst_first'])} of {len(summary)} from the widest data gap."
                )
                if _str(r["missing_years"]):
                    text += f" No figure at all for {years_text(int(float(y)) for y in str(r['missing_years']).split(',') if y)}."
                out["data_gap_sentences"].append(text)
        if not gaps.empty:
            g = gaps[(gaps["jurisdiction"] == code) & gaps["in_jurisdiction_range"].astype(bool)]
            breakdowns = list(dict.fromkeys(gaps["breakdown"]))
            rows = []
            for ind in INDICATORS:
                cells = [Cell(INDICATOR_LABELS[ind], "rowhead")]
                for b in breakdowns:
                    part = g[(g["indicator"] == ind) & (g["breakdown"] == b)]
                    reported = int((part["status"] != "not_reported").sum())
                    cells.append(
                        Cell(
                            f"{reported}/{len(part)}" if len(part) else NOT_REPORTED_TEXT,
                            "num" + (" missing" if reported == 0 else ""),
                        )
                    )
                rows.append(cells)
            out["data_gap_table"] = self.n.table(
                f"tab-{code}-data-gaps",
                f"{name(code)}: years reported out of the years in its range, by indicator and breakdown",
                self._source_line("data_gaps"),
                ["Indicator", *breakdowns],
                rows,
                col_classes=["", *["num"] * len(breakdowns)],
                compact=True,
            )
        return out

    def _chapter_tiers(self, code: str) -> dict:
        tiers = self.t["us_tip_tiers"]
        out: dict = {"tier_table": None, "tier_sentence": ""}
        if tiers.empty:
            return out
        t = tiers[tiers["jurisdiction"] == code].sort_values("report_year")
        if t.empty:
            out["tier_sentence"] = f"No US TIP report tier is recorded for {name(code)}."
            return out
        counts = Counter(t["tier"])
        latest = t.iloc[-1]
        out["tier_sentence"] = (
            f"The US Department of State placed {name(code)} on "
            + ", ".join(
                f"{tier} in {n} edition{'s' if n > 1 else ''}" for tier, n in counts.most_common()
            )
            + f" of the {len(t)} editions on file ({years_text(t['report_year'])}); the latest, "
            f"{int(latest['report_year'])}, is {latest['tier']}."
        )
        # one column per edition: the tier links to the page it was read from
        years = [str(int(y)) for y in t["report_year"]]
        tiers_row = [
            Cell(
                TIER_CODES.get(str(r.tier), str(r.tier))
                + ("†" if str(r.tier_inferred).lower() in ("yes", "true", "1") else ""),
                "tier",
                href=_safe_href(r.source_url),
                title=_str(r.source_url),
            )
            for r in t.itertuples(index=False)
        ]
        out["tier_table"] = self.n.table(
            f"tab-{code}-tiers",
            f"{name(code)}: US TIP report tier by report year (T2WL: Tier 2 Watch List; † read "
            "from the next edition's wording); each tier links to the page it was read from",
            "Source: data/reference/us_tip_tiers.csv (us_tip_tiers), source_url of each row.",
            ["Report year", *years],
            [[Cell("Tier", "rowhead"), *tiers_row]],
            compact=True,
        )
        return out

    # recommendations -----------------------------------------------------------------
    def _recs(self) -> pd.DataFrame:
        return self.t["recommendations"]

    def _recs_of(self, jurisdiction: str) -> pd.DataFrame:
        r = self._recs()
        if r.empty:
            return r
        part = r[r["jurisdiction"] == jurisdiction]
        return part.sort_values(["priority_rank", "recommendation_id"])

    def _top_national(self) -> pd.DataFrame:
        r = self._recs()
        if r.empty:
            return r
        return (
            r[r["top_priority"].astype(bool)]
            .sort_values(["priority_score"], ascending=False)
            .head(5)
        )

    def _recommendation_items(
        self, recs: pd.DataFrame, top_only: bool, evidence: bool = True
    ) -> list[dict]:
        if recs.empty:
            return []
        if top_only and "top_priority" in recs:
            recs = recs[recs["top_priority"].astype(bool)]
        items = []
        for r in recs.itertuples(index=False):
            lines, withheld_values = self._evidence(_str(r.evidence))
            text = mask_counts_in_text(_str(r.text))
            for value in withheld_values:
                # a figure withheld by secondary suppression must not be quoted either
                text = re.sub(rf"(?<![\d.,]){value}(?![\d.,]?\d)", SECONDARY_TEXT, text)
            items.append(
                {
                    "id": str(r.recommendation_id),
                    "jurisdiction": str(r.jurisdiction),
                    "jurisdiction_name": name(str(r.jurisdiction)),
                    "domain": _str(r.domain),
                    "urgency": _str(r.urgency),
                    "urgency_label": URGENCY_LABELS.get(_str(r.urgency), _str(r.urgency)),
                    "addressee": _str(r.addressee),
                    "text": text,
                    "rank": _int(r.priority_rank),
                    "top": bool(r.top_priority) if not _nan(r.top_priority) else False,
                    "latest_year": _int(r.latest_year),
                    "summarises": names_list(s for s in _str(r.summarises).split(",") if s),
                    "evidence": lines if evidence else [],
                    "evidence_lines": lines,
                    "evidence_brief": self._evidence_brief(lines),
                    "rule_id": _str(r.rule_id),
                    "workshop": self._workshop_status(str(r.recommendation_id)),
                }
            )
        return items

    def _workshop_status(self, rec_id: str) -> str:
        """The validation workshop's decision on a recommendation, in words ("" if none yet)."""
        if not hasattr(self, "_status"):
            self._status = status_by_id(self.t.get("recommendation_status"))
            # before any workshop has decided, a "not yet discussed" on every line is noise
            self._any_decision = any(e["status"] != "not_discussed" for e in self._status.values())
        entry = self._status.get(rec_id)
        if not entry or not self._any_decision:
            return ""
        return mask_counts_in_text(entry["text"]) or ""

    @staticmethod
    def _evidence_brief(lines: list[dict]) -> str:
        if not lines:
            return ""
        tables = Counter(line["table"] for line in lines)
        return "Evidence: " + ", ".join(
            f"{n} row{'s' if n > 1 else ''} of {t}" for t, n in tables.items()
        )

    def _evidence_cell(self, table: str, fields: dict):
        """The harmonised cell an evidence row shows, when it shows one."""
        if table not in ("harmonised_statistics", "trends", "victim_flows"):
            return None
        if not {"jurisdiction", "year", "indicator"} <= set(fields):
            return None
        try:
            return cell_id(
                str(fields["jurisdiction"]),
                int(fields["year"]),
                str(fields["indicator"]),
                str(fields.get("dimension", "total")),
                str(fields.get("category", "total")),
                str(fields.get("sex", "total")),
                str(fields.get("age", "total")),
            )
        except (TypeError, ValueError):
            return None

    def _evidence(self, text: str) -> tuple[list[dict], list[int]]:
        """Evidence rows as short lines ({table, text, href}), and the exact values of the cells
        among them that are withheld (so that the recommendation's text does not quote them)."""
        try:
            items = json.loads(text) if text else []
        except ValueError:
            return [{"table": "?", "text": mask_counts_in_text(text), "href": None}], []
        if not isinstance(items, list):
            items = [items]
        lines, withheld = [], []
        for item in items:
            if not isinstance(item, dict):
                lines.append({"table": "?", "text": mask_counts_in_text(str(item)), "href": None})
                continue
            table = str(item.get("table", "?"))
            keys = item.get("keys") or {}
            values = item.get("values") or {}
            cell = self._evidence_cell(table, {**values, **keys})
            hidden = cell is not None and self.dc.status(cell) == "secondary"
            if cell is not None:
                self.shown.add(cell)
            if hidden:
                low, high = self.dc.values[cell]
                if low == high:
                    withheld.append(low)
            key_text = ", ".join(
                name(str(v)) if k in ("jurisdiction", "origin", "destination") else str(v)
                for k, v in keys.items()
                if v not in (None, "")
            )
            shown = self._values_text(values, hidden)
            lines.append(
                {
                    "table": table,
                    "text": f"{table}: {key_text}" + (f" — {shown}" if shown else ""),
                    "href": _safe_href(values.get("source_url")),
                }
            )
        return lines, withheld

    # the values an evidence line shows: what the rule looked at, not the whole row
    _SHOWN_VALUES = {
        "direction": "direction",
        "gap_type": "gap",
        "score": "score",
        "status": "status",
        "annual_change_pct": "change a year",
        "change_since_earliest": "change since first assessed",
        "coverage_share": "coverage",
        "score_share": "score",
        "share_not_reported": "not reported",
        "share_suppressed": "<5 cells",
        "n_jurisdictions": "jurisdictions",
        "tier": "tier",
    }
    _SHOWN_BOUNDS = ("value", "victims", "rate_per_100k")

    def _values_text(self, values: dict, withheld: bool = False) -> str:
        parts = []
        for stem in self._SHOWN_BOUNDS:
            lo, hi = values.get(f"{stem}_low"), values.get(f"{stem}_high")
            if lo is None or hi is None:
                continue
            if stem == "rate_per_100k":
                parts.append(f"per 100,000: {rate_text((lo, hi))}")
            else:
                parts.append(f"{stem} {count_text(lo, hi, withheld=withheld)}")
        for key, value in values.items():
            if key.endswith("_share_low"):
                stem = key[: -len("_low")]
                hi = values.get(f"{stem}_high")
                if value is not None and hi is not None:
                    parts.append(f"{stem.replace('_', ' ')} {share_range_text((value, hi))}")
        for key, label in self._SHOWN_VALUES.items():
            value = values.get(key)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if key in ("coverage_share", "score_share", "share_not_reported", "share_suppressed"):
                text = pct(float(value))
            elif key in ("annual_change_pct",):
                text = signed_pct(float(value))
            elif isinstance(value, float) and value.is_integer():
                text = str(int(value))
            elif isinstance(value, float):
                text = f"{value:.2f}"
            else:
                text = str(value).replace("_", " ")
            parts.append(f"{label} {text}")
        return "; ".join(parts)

    # 9. regional cooperation ------------------------------------------------------------
    def _flow_pairs(self) -> list[dict]:
        opp = self.t["regional_opportunities"]
        if opp.empty:
            return []
        pairs = []
        for r in opp[opp["opportunity_type"] == "bilateral_flow"].itertuples(index=False):
            try:
                evidence = json.loads(r.evidence)
            except ValueError:
                evidence = []
            cells = [
                cell_id(e["jurisdiction"], e["year"], e["indicator"], e["dimension"], e["category"])
                for e in evidence
                if {"jurisdiction", "year", "indicator", "dimension", "category"} <= set(e)
            ]
            self.shown.update(cells)
            if any(self.dc.status(c) == "secondary" for c in cells):
                text, certain = SECONDARY_TEXT, False
            else:
                total = _sum_bounds(self.dc.bounds(c) for c in cells)
                text = bounds_text(total)
                certain = any((self.dc.bounds(c) or (0, 0))[0] >= THRESHOLD for c in cells)
            directions = sorted(
                {
                    f"{name(e['origin'])} → {name(e['destination'])}"
                    for e in evidence
                    if "origin" in e
                }
            )
            pairs.append(
                {
                    "key": r.key,
                    "pair": names_list(str(r.jurisdictions).split(",")),
                    "years": years_text(int(y) for y in str(r.years).split(",") if y),
                    "victims": text,
                    "certain": certain,
                    "directions": ", ".join(directions),
                    "n_flows": len(cells),
                }
            )
        return pairs

    def cooperation(self) -> dict:
        out: dict = {"domain_chart": None, "shared_table": None, "pairs_table": None}
        ds = self.t["mechanism_domain_scores"]
        if not ds.empty:
            order = self._domain_order()
            colors, texts = [], []
            for code in self.codes:
                crow, trow = [], []
                for dom in order:
                    r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == dom)]
                    if r.empty or _nan(r.iloc[0]["score_share"]):
                        crow.append(None)
                        trow.append(f"? 0/{int(r.iloc[0]['n_items'])}" if not r.empty else "")
                        continue
                    r = r.iloc[0]
                    crow.append(charts.sequential_color(float(r["score_share"])))
                    trow.append(
                        f"{float(r['score_share']):.0%} {int(r['n_known'])}/{int(r['n_items'])}"
                    )
                colors.append(crow)
                texts.append(trow)
            out["domain_chart"] = self.n.figure(
                charts.heatmap(
                    "fig-domains",
                    [name(c) for c in self.codes],
                    order,
                    colors,
                    texts,
                    caption=(
                        "Counter-trafficking mechanisms across the region: mean score of the "
                        "known checklist items per domain (as a share of the maximum), with the "
                        "number of items known out of the domain's items; '?' no item known."
                    ),
                    source=self._source_line(
                        "mechanism_domain_scores",
                        extra="assessments <iso>_ct_mechanisms.yaml against data/reference/ct_mechanism_checklist.csv",
                    ),
                    alt="Grid of mechanism scores per jurisdiction and checklist domain.",
                    cell_height=0.34,
                )
            )
        opp = self.t["regional_opportunities"]
        cl = self.t["ct_checklist"]
        basis = dict(zip(cl["item_id"], cl["legal_basis"], strict=True)) if not cl.empty else {}
        titles = dict(zip(cl["item_id"], cl["title"], strict=True)) if not cl.empty else {}
        if not opp.empty:
            shared = opp[opp["opportunity_type"] == "shared_gap"].sort_values(
                ["n_jurisdictions", "key"], ascending=[False, True]
            )
            out["shared_table"] = self.n.table(
                "tab-shared-gaps",
                f"Checklist items that are gaps (not met or partly met) in at least {MIN_SHARED_GAP} jurisdictions",
                self._source_line("regional_opportunities, mechanism_gaps"),
                [
                    "Item",
                    "What the item asks for",
                    "Jurisdictions",
                    "Years assessed",
                    "Legal basis",
                ],
                [
                    [
                        Cell(str(r.key), "rowhead nowrap"),
                        Cell(titles.get(r.key, "")),
                        Cell(
                            f"{int(r.n_jurisdictions)}: {names_list(str(r.jurisdictions).split(','))}"
                        ),
                        Cell(years_text(int(y) for y in str(r.years).split(",") if y)),
                        Cell(basis.get(r.key, ""), "small"),
                    ]
                    for r in shared.itertuples(index=False)
                ],
                compact=True,
            )
        pairs = self._flow_pairs()
        if pairs:
            out["pairs_table"] = self.n.table(
                "tab-flow-pairs",
                "Pairs of jurisdictions linked by recent victim flows",
                self._source_line(
                    "regional_opportunities, victim_flows",
                    extra="victims recomputed from the published yearly figures",
                ),
                [
                    "Jurisdictions",
                    "Direction of the flows",
                    "Years",
                    "Victims (sum)",
                    f"A figure of {THRESHOLD} or more",
                ],
                [
                    [
                        Cell(p["pair"], "rowhead"),
                        Cell(p["directions"]),
                        Cell(p["years"]),
                        Cell(p["victims"], "count"),
                        Cell("yes" if p["certain"] else f"no: all {PRIMARY_TEXT}"),
                    ]
                    for p in pairs
                ],
                col_classes=["", "", "", "num", ""],
            )
        out["pairs"] = pairs
        out["recommendations"] = self._recommendation_items(self._recs_of(REGIONAL), top_only=True)
        out["n_recommendations"] = len(self._recs_of(REGIONAL))
        return out

    # 10. recommendations ---------------------------------------------------------------
    def recommendations_list(self) -> dict:
        recs = self._recs()
        groups = []
        for code in [*self.codes, REGIONAL]:
            part = recs[recs["jurisdiction"] == code] if not recs.empty else recs
            by_urgency = []
            for urgency in URGENCY_ORDER:
                sub = part[part["urgency"] == urgency] if not part.empty else part
                items = self._recommendation_items(
                    sub.sort_values(["priority_rank", "recommendation_id"])
                    if not sub.empty
                    else sub,
                    top_only=False,
                    evidence=False,
                )
                if items:
                    by_urgency.append(
                        {"urgency": urgency, "label": URGENCY_LABELS[urgency], "recs": items}
                    )
            if by_urgency:
                groups.append(
                    {"code": code, "name": name(code), "by_urgency": by_urgency, "n": len(part)}
                )
        changes = self.t["recommendation_changes"]
        change_counts = {}
        resolved = []
        if not changes.empty:
            change_counts = {k: int(v) for k, v in changes["change"].value_counts().items()}
            for r in changes[changes["change"] == "resolved"].itertuples(index=False):
                resolved.append(
                    {
                        "id": r.recommendation_id,
                        "jurisdiction_name": name(str(r.jurisdiction)),
                        "text": mask_counts_in_text(_str(r.text)),
                    }
                )
        return {
            "groups": groups,
            "n": len(recs),
            "n_top": int(recs["top_priority"].astype(bool).sum()) if not recs.empty else 0,
            "changes": change_counts,
            "resolved": resolved,
            "available": "recommendations" not in self.missing_tables,
        }

    # 11. methodology -----------------------------------------------------------------
    def methodology(self) -> dict:
        files = sorted((self.provenance.get("source_files") or {}).keys())
        by_code = {
            code: [f for f in files if f.lower().startswith(code.lower() + "_")]
            for code in self.codes
        }
        method = ""
        ts = self.t["trend_summary"]
        if not ts.empty:
            method = str(ts["method"].iloc[0])
        return {
            "sources": [
                {"name": name(c), "files": len(by_code[c]), "examples": ", ".join(by_code[c][:2])}
                for c in self.codes
            ],
            "reference_files": [f for f in files if not any(f in v for v in by_code.values())],
            "trend_method": method,
            "recent_years": trend_rules.RECENT_YEARS,
            "min_exact_years": trend_rules.MIN_EXACT_YEARS,
            "max_suppressed_years": trend_rules.MAX_SUPPRESSED_YEARS,
            "max_ci_width": trend_rules.MAX_CI_WIDTH,
            "rankable_coverage": pct(RANKABLE_COVERAGE),
            "min_shared_gap": MIN_SHARED_GAP,
            "threshold": THRESHOLD,
            "primary": PRIMARY_TEXT,
            "secondary": SECONDARY_TEXT,
            "flow_years": FLOW_YEARS,
            "n_indicators": number_word(len(INDICATORS)),
            "indicators": ", ".join(INDICATOR_LABELS[i].lower() for i in INDICATORS),
            "age_groups": ", ".join(AGE_LABELS[a].lower() for a in ("child", "adult")),
        }

    # annex A ---------------------------------------------------------------------------
    def quality_annex(self) -> dict:
        out: dict = {"dq_counts": None, "completeness_table": None}
        dq = self.t["data_quality_issues"]
        if not dq.empty:
            dq = dq.assign(
                _s=dq["severity"].map(SEVERITY_ORDER).fillna(9),
                _j=dq["jurisdiction"].map(lambda c: self.codes.index(c) if c in self.codes else 99),
            )
            dq = dq.sort_values(["_s", "_j", "year", "check_name"], na_position="first")
            counts = dq.groupby(["check_name", "severity"]).size().reset_index(name="n")
            out["dq_counts"] = self.n.table(
                "tab-dq-counts",
                "Data-quality findings by check and severity",
                self._source_line("data_quality_issues"),
                ["Check", "Severity", "Findings"],
                [
                    [Cell(r.check_name, "rowhead"), Cell(r.severity), Cell(str(int(r.n)), "num")]
                    for r in counts.itertuples(index=False)
                ],
                col_classes=["", "", "num"],
                compact=True,
            )
        out["dq_table"] = self.n.table(
            "tab-dq",
            "Every data-quality finding of this run",
            self._source_line(
                "data_quality_issues",
                extra="counts quoted in the messages follow the disclosure rules",
            ),
            ["#", "Jurisdiction", "Year", "Severity", "Check", "Finding", "Source file"],
            [
                [
                    Cell(str(i), "num"),
                    Cell(name(str(r.jurisdiction)) if r.jurisdiction != "ALL" else "all"),
                    Cell(_str(_int(r.year))),
                    Cell(str(r.severity), f"severity-{r.severity}"),
                    Cell(str(r.check_name), "nowrap small"),
                    Cell(mask_counts_in_text(str(r.message)), "small"),
                    Cell(_str(r.source_file), "small"),
                ]
                for i, r in enumerate(dq.itertuples(index=False), start=1)
            ]
            if not dq.empty
            else [],
            compact=True,
        )
        out["n_dq"] = len(dq)
        out["completeness_chart"] = self._completeness_chart()
        summary = self.t["data_gap_summary"]
        if not summary.empty:
            s = summary.sort_values("rank_worst_first")
            out["completeness_table"] = self.n.table(
                "tab-completeness",
                "Completeness by jurisdiction, widest data gap first",
                self._source_line("data_gap_summary"),
                [
                    "Rank",
                    "Jurisdiction",
                    "First year",
                    "Last year",
                    "Years with figures",
                    "Years missing inside",
                    "Not reported (all years)",
                    "Not reported (own range)",
                    "Cells reported",
                    f"Cells {PRIMARY_TEXT}",
                ],
                [
                    [
                        Cell(str(int(r.rank_worst_first)), "num"),
                        Cell(name(r.jurisdiction), "rowhead"),
                        Cell(_str(_int(r.first_year))),
                        Cell(_str(_int(r.last_year))),
                        Cell(str(int(r.n_years_reported)), "num"),
                        Cell(
                            years_text(int(float(y)) for y in _str(r.missing_years).split(",") if y)
                            if _str(r.missing_years)
                            else "none"
                        ),
                        Cell(pct(float(r.share_not_reported)), "num"),
                        Cell(pct(float(r.share_not_reported_in_range)), "num"),
                        Cell(f"{int(r.n_cells):,}", "num"),
                        Cell(pct(float(r.share_suppressed)), "num"),
                    ]
                    for r in s.itertuples(index=False)
                ],
                col_classes=["num", "", "", "", "num", "", "num", "num", "num", "num"],
                compact=True,
            )
        out.update(self._suppression_annex())
        conflicts = self.t["mechanism_conflicts"]
        out["conflict_table"] = (
            self.n.table(
                "tab-conflicts",
                "Assessments that disagree (same jurisdiction, item and year)",
                self._source_line("mechanism_conflicts"),
                ["Jurisdiction", "Item", "Year", "Score", "All scores", "Evidence", "Source"],
                [
                    [
                        Cell(name(r.jurisdiction), "rowhead"),
                        Cell(r.item_id),
                        Cell(str(int(r.year))),
                        Cell(str(int(r.score)), "num"),
                        Cell(str(r.conflicting_scores)),
                        Cell(_str(r.evidence), "small", href=_safe_href(r.source_url)),
                        Cell(f"{r.source_file} {r.source_row}", "small"),
                    ]
                    for r in conflicts.itertuples(index=False)
                ],
                compact=True,
            )
            if not conflicts.empty
            else None
        )
        consistency = (
            dq[
                dq["check_name"].str.startswith("breakdown_")
                | (dq["check_name"] == "convictions_exceed_prosecutions")
            ]
            if not dq.empty
            else dq
        )
        out["n_breakdown_conflicts"] = len(consistency)
        return out

    def _completeness_chart(self):
        gaps = self.t["data_gaps"]
        if gaps.empty:
            return None
        g = gaps[gaps["breakdown"] == "total"]
        years = sorted(int(y) for y in g["year"].unique())
        rows, colors, texts = [], [], []
        for code in self.codes:
            for ind in INDICATORS:
                part = g[(g["jurisdiction"] == code) & (g["indicator"] == ind)].set_index("year")
                rows.append(f"{name(code)} · {INDICATOR_SHORT[ind]}")
                colors.append(
                    [
                        STATUS_COLORS.get(part.loc[y, "status"]) if y in part.index else None
                        for y in years
                    ]
                )
                texts.append(["" for _ in years])
        return self.n.figure(
            charts.heatmap(
                "fig-completeness",
                rows,
                [str(y)[2:] for y in years],
                colors,
                texts,
                caption=(
                    "Completeness matrix: the total of each indicator per jurisdiction and year "
                    f"(years shown by their last two digits): reported, {PRIMARY_TEXT}, or not "
                    "reported (white: absent is not zero)."
                ),
                source=self._source_line("data_gaps (breakdown total)"),
                alt="Grid of reporting status per jurisdiction, indicator and year.",
                legend=[(STATUS_LABELS[k], v or "#ffffff") for k, v in STATUS_COLORS.items()],
                cell_height=0.15,
                fontsize=5,
            )
        )

    def _suppression_annex(self) -> dict:
        d = self.dc
        rows = []
        per = {}
        for cell in d.values:
            j, _, ind = cell[0], cell[1], cell[2]
            if j == REGION:
                continue
            key = (j, ind)
            entry = per.setdefault(key, [0, 0, 0])
            entry[0] += 1
            status = d.status(cell)
            if status == "primary":
                entry[1] += 1
            elif status == "secondary":
                entry[2] += 1
        for code in self.codes:
            for ind in INDICATORS:
                if (code, ind) in per:
                    n, p, s = per[(code, ind)]
                    rows.append(
                        [
                            Cell(name(code), "rowhead"),
                            Cell(INDICATOR_SHORT[ind]),
                            Cell(f"{n:,}", "num"),
                            Cell(f"{p:,}", "num"),
                            Cell(f"{s:,}", "num"),
                        ]
                    )
        table = self.n.table(
            "tab-suppression-counts",
            f"Cells of harmonised_statistics shown as {PRIMARY_TEXT} (primary) and withheld as {SECONDARY_TEXT} (secondary), by jurisdiction and indicator",
            self._source_line("harmonised_statistics", extra="disclosure control of this report"),
            [
                "Jurisdiction",
                "Indicator",
                "Cells",
                f"Primary {PRIMARY_TEXT}",
                f"Secondary {SECONDARY_TEXT}",
            ],
            rows,
            col_classes=["", "", "num", "num", "num"],
            compact=True,
        )
        in_report = [w for w in d.log if w.cell in self.shown]
        log_table = self.n.table(
            "tab-secondary",
            f"Secondary suppressions among the figures shown in this report ({len(in_report)} of {len(d.log)} in the whole table)",
            self._source_line(
                "harmonised_statistics, trends",
                extra="the complete list is published/secondary_suppressions.csv",
            ),
            ["Cell withheld", "Group (total = sum of its cells)", "Protects"],
            [
                [
                    Cell(w.cell_label, "rowhead small"),
                    Cell(w.group, "small"),
                    Cell(w.because_of, "small"),
                ]
                for w in in_report
            ],
            compact=True,
        )
        return {
            "suppression_counts": table,
            "secondary_table": log_table,
            "n_secondary": len(d.log),
            "n_secondary_shown": len(in_report),
        }

    # annex B ----------------------------------------------------------------------------
    def provenance_section(self) -> dict:
        files = self.provenance.get("source_files") or {}
        rows = [
            [Cell(f, "rowhead small"), Cell(str(h), "mono small")] for f, h in sorted(files.items())
        ]
        table = self.n.table(
            "tab-provenance",
            "Source files read by this run, with their SHA-256",
            "Source: the run's provenance (Dagster asset metadata of the source assets).",
            ["File", "SHA-256"],
            rows,
            compact=True,
        )
        table_rows = [
            [
                Cell(k, "rowhead"),
                Cell(
                    f"{len(self.t[k]):,}" if k not in self.missing_tables else "not available",
                    "num",
                ),
            ]
            for k in TABLE_NAMES
        ]
        tables = self.n.table(
            "tab-tables-read",
            "Warehouse tables the report was built from",
            "Source: the warehouse of this run.",
            ["Table", "Rows"],
            table_rows,
            col_classes=["", "num"],
            compact=True,
        )
        return {
            "files": table,
            "tables": tables,
            **{
                k: str(self.provenance.get(k, ""))
                for k in ("run_id", "code_version", "generated_at")
            },
        }


def signed_pct(value: float) -> str:
    """+13% or −9% (a true minus sign)."""
    return f"{value:+.0f}%".replace("-", "−")


def _pct_change(slope) -> str:
    if _nan(slope):
        return NOT_REPORTED_TEXT
    return signed_pct((math.exp(float(slope)) - 1) * 100)


def build_context(tables: dict[str, pd.DataFrame], provenance: dict) -> tuple[dict, ReportContext]:
    """The template context, and the builder (its disclosure decisions and the cells shown)."""
    builder = ReportContext(tables, provenance)
    return builder.build(), builder


__all__ = [
    "Cell",
    "Figure",
    "KOSOVO_FOOTNOTE",
    "PREVALENCE_CAVEAT",
    "ReportContext",
    "Table",
    "build_context",
]
