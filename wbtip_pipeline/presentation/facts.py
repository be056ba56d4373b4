"""One set of facts for both documents: disclosure-controlled look-ups over the published tables.

`Facts` wraps the warehouse tables of a run (a `dict[str, pd.DataFrame]` keyed by table name) and
the region. The report's sections and the workshop pack ask it for counts (as published text, as
bounds or as chart bounds), population, the region's sums, years reported, source lines,
recommendations with their evidence lines, and the pairs of jurisdictions linked by flows.
Every count passes through the disclosure decisions (`disclosure.py`) taken once here, and
every cell shown is recorded in `shown`, so the annex can say which withheld cells the reader met.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlparse

import pandas as pd

from wbtip_pipeline.presentation.blocks import Cell
from wbtip_pipeline.presentation.citations import Citations
from wbtip_pipeline.presentation.claims import Claims, TrendFigures, withheld_in_words
from wbtip_pipeline.presentation.disclosure import (
    HARMONISED_KEY,
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
    Disclosure,
    bounds_text,
    cell_id,
    count_words,
    harmonised_disclosure,
    mask_counts_in_text,
)
from wbtip_pipeline.presentation.evidence import EvidenceWords
from wbtip_pipeline.presentation.figures import exceeds_total
from wbtip_pipeline.presentation.labels import URGENCY_LABELS, CellLabels, Names
from wbtip_pipeline.presentation.text import (
    CellBounds,
    as_int,
    as_str,
    is_nan,
    published_rate,
    published_share,
    rate_text,
    sum_bounds,
    years_text,
)
from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.transforms.recommendation_status import status_by_id
from wbtip_pipeline.vocab import TREND_DIRECTIONS

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
    "mechanism_history",
    "data_gaps",
    "data_gap_summary",
    "regional_opportunities",
    "us_tip_tiers",
    "ct_checklist",
    "recommendations",
    "recommendation_changes",
    "recommendation_status",
    "us_tip_figures",
    "source_triangulation",
    "evidence_sources",
)
HARMONISED_COLUMNS = (*HARMONISED_KEY, "value_low", "value_high", "source_files")
CJ_INDICATORS = ("persons_prosecuted", "persons_convicted")
FLOW_YEARS = 5


def safe_href(url: str | None) -> str | None:
    """Only web links become links: never a `javascript:` or `data:` URL from a source."""
    if not url:
        return None
    parsed = urlparse(str(url).strip())
    return str(url).strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


class Facts:
    """The tables of a run, the region, and the disclosure decisions over them."""

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        provenance: dict | None = None,
        region: Region | None = None,
    ) -> None:
        self.t = {
            k: (tables.get(k) if tables.get(k) is not None else pd.DataFrame()) for k in TABLE_NAMES
        }
        # the workshop's decisions exist only once a workshop has been held
        self.missing_tables = [
            k for k in TABLE_NAMES if tables.get(k) is None and k != "recommendation_status"
        ]
        self.provenance = provenance or {}
        self.region = region or load_region()
        self.names = Names(self.region)
        self.codes = list(self.region.codes)
        h = self.t["harmonised_statistics"]
        if h.empty and "jurisdiction" not in h.columns:  # a run without statistics at all
            h = self.t["harmonised_statistics"] = pd.DataFrame(columns=list(HARMONISED_COLUMNS))
        self.h = h
        self.trends = self.t["trends"]
        self.dc: Disclosure = harmonised_disclosure(
            h,
            self.trends,
            region_code=self.region.code,
            labels=CellLabels(self.names),
        )
        self.shown: set = set()
        self.claims = Claims()  # what the documents print about cells, for `audit.py`
        self.trend_figures = TrendFigures(self.dc, self.region)
        years = h["year"].astype(int) if not h.empty else pd.Series([], dtype=int)
        self.first_year = int(years.min()) if len(years) else None
        self.last_year = int(years.max()) if len(years) else None
        self.years = list(range(self.first_year, self.last_year + 1)) if len(years) else []
        self.population = self._population()
        # who published each page the evidence cites, and which evidence is dated
        self.citations = Citations(self.t["evidence_sources"], self.last_year)

    def text(self, cell) -> str:
        self.shown.add(cell)
        return self.dc.text(cell)

    def bounds(self, cell):
        self.shown.add(cell)
        bounds = self.dc.bounds(cell)
        return None if bounds is None else CellBounds(bounds, (cell,), self.claims)

    def victim_rate(self, code: str, year: int) -> tuple[float, float] | None:
        """Victims detected per 100,000 inhabitants, from the published bounds (None: no count
        shown or no population)."""
        bounds = self.bounds(cell_id(code, year, "victims_detected"))
        return published_rate(bounds, self.population.get((code, year)))

    def rate_cell(self, code: str, year: int) -> Cell:
        return Cell(rate_text(self.victim_rate(code, year)), "num")

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

    def trend_rows(self, jurisdiction: str, indicator: str) -> pd.DataFrame:
        t = self.trends
        if t.empty:
            return t
        rows = t[(t["jurisdiction"] == jurisdiction) & (t["indicator"] == indicator)]
        return rows.sort_values("year")

    def region_row(self, year: int, indicator: str):
        rows = self.trend_rows(self.region.code, indicator)
        rows = rows[rows["year"] == year]
        return None if rows.empty else rows.iloc[0]

    def reporting(self, year: int, indicator: str) -> list[str]:
        row = self.region_row(year, indicator)
        if row is None:
            return []
        return [c for c in str(row["jurisdictions_reporting"]).split(",") if c]

    def years_of(self, jurisdiction: str, indicator: str | None = None) -> list[int]:
        h = self.h
        if h.empty:
            return []
        rows = h[h["jurisdiction"] == jurisdiction]
        if indicator:
            rows = rows[rows["indicator"] == indicator]
        return sorted(int(y) for y in rows["year"].unique())

    def source_files(self, frame: pd.DataFrame, column: str = "source_files") -> list[str]:
        names: set[str] = set()
        if column in frame.columns:
            for text in frame[column].dropna().astype(str):
                names.update(n.strip() for n in text.split(";") if n.strip())
        return sorted(names)

    def source_line(self, tables: str, frame: pd.DataFrame | None = None, extra: str = "") -> str:
        line = f"Source: warehouse table{'s' if ',' in tables else ''} {tables}"
        if frame is not None:
            files = self.source_files(frame)
            if files:
                shown = ", ".join(files[:3]) + (
                    f" and {len(files) - 3} more" if len(files) > 3 else ""
                )
                line += f", from {shown} (SHA-256 in Annex B)"
        if extra:
            line += f"; {extra}"
        return line + "."

    # --- sections ---------------------------------------------------------------------

    def summary_facts(self) -> dict:
        """The figures the executive summary states, for the sentences and for tests."""
        facts: dict = {}
        victims = self.trend_rows(self.region.code, "victims_detected")
        if victims.empty:
            return facts
        latest = victims.iloc[-1]
        year = int(latest["year"])
        reporting = [c for c in str(latest["jurisdictions_reporting"]).split(",") if c]
        cell = cell_id(self.region.code, year, "victims_detected")
        facts["latest_year"] = year
        facts["latest_reporting"] = reporting
        facts["latest_victims"] = (int(latest["value_low"]), int(latest["value_high"]))
        facts["latest_victims_text"] = count_words(*facts["latest_victims"])
        facts["latest_rate"] = (
            None
            if is_nan(latest["rate_per_100k_low"])
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
            rows = self.trend_rows(self.region.code, indicator)
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
            region = ts[
                (ts["jurisdiction"] == self.region.code) & (ts["indicator"] == "victims_detected")
            ]
            if not region.empty:
                facts["region_direction"] = str(region.iloc[0]["direction"])
                facts["region_reason"] = as_str(region.iloc[0]["reason"])
            # the report speaks of its own jurisdictions (a region configured larger still sums)
            own = ts[ts["jurisdiction"].isin(self.codes) & (ts["indicator"] == "victims_detected")]
            facts["directions"] = {
                d: sorted(own[own["direction"] == d]["jurisdiction"], key=self.region.codes.index)
                for d in TREND_DIRECTIONS
            }
        # sex and age of the latest year, from published cells only
        facts["profile"] = self.regional_profile(year)
        return facts

    def regional_profile(self, year: int) -> dict:
        """Pooled shares of female victims and children in `year` over the jurisdictions whose
        cells are all published (withheld cells are never filled in) and whose breakdown does
        not add up to more than its total (those are listed in `skipped`)."""
        out = {}
        for label, dim_key in (("female", ("sex", "female")), ("child", ("age", "child"))):
            nums, dens, used, skipped = [], [], [], []
            for code in self.reporting(year, "victims_detected"):
                kwargs = {dim_key[0]: dim_key[1]}
                num = self.bounds(cell_id(code, year, "victims_detected", **kwargs))
                den = self.bounds(cell_id(code, year, "victims_detected"))
                if num is None or den is None:
                    continue
                if exceeds_total(self, code, year, dim_key[0]):
                    skipped.append((code, year, dim_key[0]))
                    continue
                nums.append(num)
                dens.append(den)
                used.append(code)
            if used:
                out[label] = {
                    "share": published_share(sum_bounds(nums), sum_bounds(dens)),
                    "jurisdictions": used,
                    "skipped": skipped,
                }
        return out

    def item_titles(self, item_ids: Iterable[str]) -> list[str]:
        """The checklist items' titles, as a sentence names them (not by their codes)."""
        cl = self.t["ct_checklist"]
        titles = dict(zip(cl["item_id"], cl["title"], strict=True)) if not cl.empty else {}
        return [titles.get(i, i) for i in item_ids]

    def latest_with(self, code: str, cells: list[tuple]) -> int | None:
        for y in reversed(self.years_of(code, "victims_detected")):
            if any(c(y) in self.dc.values for c in cells):
                return y
        return None

    def flow_window(self) -> list[int]:
        flows = self.t["victim_flows"]
        if flows.empty:
            return []
        last = int(flows["year"].max())
        return list(range(last - FLOW_YEARS + 1, last + 1))

    def flow_cells(self, rows: pd.DataFrame) -> list:
        return [
            cell_id(r.jurisdiction, r.year, r.indicator, r.dimension, r.category)
            for r in rows.itertuples(index=False)
        ]

    def domain_order(self) -> list[str]:
        """The checklist's domains in its order, then any other domain the scores name."""
        checklist = self.t["ct_checklist"]
        order = list(dict.fromkeys(checklist["domain"])) if not checklist.empty else []
        scores = self.t["mechanism_domain_scores"]
        if not scores.empty:
            order += sorted(set(scores["domain"]) - set(order))
        return order

    def recs(self) -> pd.DataFrame:
        return self.t["recommendations"]

    def recs_of(self, jurisdiction: str) -> pd.DataFrame:
        r = self.recs()
        if r.empty:
            return r
        part = r[r["jurisdiction"] == jurisdiction]
        return part.sort_values(["priority_rank", "recommendation_id"])

    def top_national(self) -> pd.DataFrame:
        r = self.recs()
        if r.empty:
            return r
        return (
            r[r["top_priority"].astype(bool)]
            .sort_values(["priority_score"], ascending=False)
            .head(5)
        )

    def recommendation_items(
        self, recs: pd.DataFrame, top_only: bool, evidence: bool = True
    ) -> list[dict]:
        if recs.empty:
            return []
        if top_only and "top_priority" in recs:
            recs = recs[recs["top_priority"].astype(bool)]
        items = []
        for r in recs.itertuples(index=False):
            rule = as_str(getattr(r, "rule_id", ""))
            lines, withheld_values = self.evidence(as_str(r.evidence), rule)
            text, progress = self.published_text(r, withheld_values)
            items.append(
                {
                    "id": str(r.recommendation_id),
                    "jurisdiction": str(r.jurisdiction),
                    "jurisdiction_name": self.names.of(str(r.jurisdiction)),
                    "domain": as_str(r.domain),
                    "urgency": as_str(r.urgency),
                    "urgency_label": URGENCY_LABELS.get(as_str(r.urgency), as_str(r.urgency)),
                    "addressee": as_str(r.addressee),
                    "text": text,
                    "progress": progress,
                    "rank": as_int(r.priority_rank),
                    "top": bool(r.top_priority) if not is_nan(r.top_priority) else False,
                    "latest_year": as_int(r.latest_year),
                    "summarises": self.names.list(s for s in as_str(r.summarises).split(",") if s),
                    "evidence": lines if evidence else [],
                    "evidence_lines": lines,
                    "evidence_brief": self.evidence_brief(lines),
                    "rule_id": as_str(r.rule_id),
                    "workshop": self.workshop_status(str(r.recommendation_id)),
                }
            )
        return items

    def published_text(
        self, r, withheld_values: dict[int, list], in_words: bool = True
    ) -> tuple[str, str]:
        """A recommendation's text and progress indicator as every document prints them: counts
        from 0 to 4 as `<5`; a figure withheld by secondary suppression (`withheld_values`: {its
        exact value: its cells}, from `evidence`) never quoted, its sentence said in words
        instead (`claims.withheld_in_words`: "children were among the 5 victims detected in 2021
        (their share is withheld ...)"); shares and ratios as the published cells allow them,
        recorded for the audit (`TrendFigures.published_quotes`), and a reworded sentence
        recorded as saying only that the cells are not zero. With `in_words=False` a withheld
        figure stays `[c]`, the sentence as its rule's template wrote it (a translated brief
        reads the template's fields from it and words them itself)."""
        out = []
        with self.claims.at(f"recommendation {r.recommendation_id}"):
            for text in (as_str(r.text), as_str(getattr(r, "progress_indicator", ""))):
                text = mask_counts_in_text(text) or ""
                hidden: list = []
                for value in withheld_values:
                    pattern = rf"(?<![\d.,]){value}(?![\d.,]?\d)"
                    if re.search(pattern, text):
                        text = re.sub(pattern, SECONDARY_TEXT, text)
                        hidden += (
                            withheld_values[value] if isinstance(withheld_values, dict) else []
                        )
                worded = withheld_in_words(text, "number") if in_words else text
                if worded != text and hidden:
                    self.claims.exists(hidden, worded)
                text = worded
                shares: list = []
                text = self.trend_figures.published_quotes(text, r.evidence, self.claims, shares)
                reworded = withheld_in_words(text, "share") if in_words else text
                if reworded != text:
                    for figure in shares:
                        self.claims.exists(figure.num, reworded)
                out.append(reworded)
        return out[0], out[1]

    def workshop_status(self, rec_id: str) -> str:
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
    def evidence_brief(lines: list[dict]) -> str:
        """ "Evidence: 3 assessments" (`EvidenceWords.brief`)."""
        return EvidenceWords.brief(lines)

    def evidence(self, text: str, rule_id: str = "") -> tuple[list[dict], dict[int, list]]:
        """Evidence rows as lines of words ({table, noun, text, href}), and the exact values of
        the withheld cells among them with those cells ({value: [cell]}), so that the
        recommendation's text does not quote them (`evidence.EvidenceWords`)."""
        if not hasattr(self, "_evidence_words"):
            self._evidence_words = EvidenceWords(self)
        return self._evidence_words.lines(text, rule_id)

    # 9. regional cooperation ------------------------------------------------------------
    def flow_pairs(self) -> list[dict]:
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
                total = sum_bounds(self.dc.bounds(c) for c in cells)
                text = bounds_text(total)
                self.claims.count(cells, total, text)
                certain = any((self.dc.bounds(c) or (0, 0))[0] >= THRESHOLD for c in cells)
            directions = sorted(
                {
                    f"{self.names.of(e['origin'])} → {self.names.of(e['destination'])}"
                    for e in evidence
                    if "origin" in e
                }
            )
            pairs.append(
                {
                    "key": r.key,
                    "pair": self.names.list(str(r.jurisdictions).split(",")),
                    "years": years_text(int(y) for y in str(r.years).split(",") if y),
                    "victims": text,
                    "certain": certain,
                    "directions": ", ".join(directions),
                    "n_flows": len(cells),
                }
            )
        return pairs
