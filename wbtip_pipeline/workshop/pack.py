"""The regional validation workshop pack, from the warehouse tables of a run. No Dagster here.

`render_workshop_pack` writes into `output_dir` (the asset passes `<output>/workshop`):

    workshop_slides.html          the slide deck, one self-contained file (arrow keys, PageUp/
                                  PageDown, Home/End; prints one slide per 297 x 167 mm page)
    workshop_slides.pdf           the same deck as PDF (WeasyPrint), one page per slide
    briefs/brief_<ISO3>.pdf       a two-page A4 brief per jurisdiction for its delegation
    workshop_feedback_form.xlsx   the feedback form (`write_feedback_form`)

Rules for everything shown:
- numbers come from the tables only; counts go through the report's disclosure control
  (`report/disclosure.py`: the same `harmonised_disclosure` decisions as the report, `<5` for
  0..4, `[c]` for a secondary suppression) and texts through `mask_counts_in_text`;
- Kosovo carries the footnote mark, and every slide or brief that names Kosovo carries the
  footnote (without prejudice to positions on status, UNSCR 1244/1999, ICJ Opinion);
- a brief is exactly two pages: page 1 figures, trends and mechanism scores, page 2 the
  jurisdiction's recommendations in priority order; when they do not fit, the list is cut to the
  top priorities and says where the full list is (`report_sections`); should page 1 itself run
  over (many years of figures), the brief lists none and runs longer, with a warning in the log
  and its page count in the asset's metadata, rather than stopping the pack;
- a slide must fit its page: the PDF has one page per slide or rendering fails (`PackError`).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wbtip_pipeline.codes import INDICATORS, JURISDICTIONS, REGION
from wbtip_pipeline.report.context import (
    DIRECTION_LABELS,
    GAP_LABELS,
    INDICATOR_LABELS,
    KOSOVO_FOOTNOTE,
    PREVALENCE_CAVEAT,
    SUPPRESSION_CAVEAT,
    URGENCY_LABELS,
    name,
    names_list,
    pct,
    published_rate,
    rate_text,
    years_text,
)
from wbtip_pipeline.report.disclosure import (
    LEGEND,
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
from wbtip_pipeline.report.render import TEMPLATES_DIR, check_disclosure, environment
from wbtip_pipeline.sources.feedback import FORM_COLUMNS, SHEET
from wbtip_pipeline.transforms.recommendation_status import DECISIONS, NOT_DISCUSSED, status_by_id
from wbtip_pipeline.transforms.recommendations import DOMAINS, REGIONAL, URGENCIES
from wbtip_pipeline.warehouse import write_bytes_atomic

SLIDES_TEMPLATE = "workshop/slides.html.j2"
BRIEF_TEMPLATE = "workshop/brief.html.j2"
SLIDES_HTML = "workshop_slides.html"
SLIDES_PDF = "workshop_slides.pdf"
BRIEFS_DIR = "briefs"
FORM_NAME = "workshop_feedback_form.xlsx"
FEEDBACK_FOLDER = "data/feedback/"
BRIEF_PAGES = 2

SLIDE_YEARS = 5  # years of key figures on a slide
BRIEF_YEARS = 6  # and in a brief
SLIDE_INDICATORS = ("victims_detected", "persons_prosecuted", "persons_convicted")
TOP_GAPS = 4
ROWS_PER_TABLE_SLIDE = 9
# A recommendation slide holds recommendations up to this height (mm of the 167 mm page less
# title and footer: about 130), estimated from the text lengths. The PDF proves the estimate: a
# slide that runs over is split by rendering again with a smaller budget (`render_slides`).
REC_SLIDE_BUDGET_MM = 122.0
REC_SLIDE_MAX = 6
_CHARS_PER_LINE = 122  # recommendation text at 11 pt over the slide width
_STATUS_CHARS_PER_LINE = 150  # status line at 8.6 pt
_RETRY_BUDGETS = (1.0, 0.8, 0.6)
# Page 2 of a brief (A4 less margins and the heading) holds recommendations up to this height;
# when they are cut, the note saying where the full list is takes the last few millimetres.
BRIEF_PAGE2_MM = 246.0
BRIEF_CUT_NOTE_MM = 10.0
_BRIEF_CHARS_PER_LINE = 112
_BRIEF_STATUS_CHARS = 140
EVIDENCE_ROWS = 2  # evidence rows named in a recommendation's one line
EVIDENCE_CHARS = 170
KOSOVO = "XKX"
STATUS_NOT_GIVEN = "not yet discussed"


@dataclass
class WorkshopPack:
    """What `render_workshop_pack` wrote, for the asset's metadata."""

    slides_html: Path
    slides_pdf: Path
    briefs: dict[str, Path]
    feedback_form: Path
    slide_count: int
    brief_pages: dict[str, int]
    brief_recommendations: dict[str, tuple[int, int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


class PackError(RuntimeError):
    """The pack cannot be laid out as promised (a slide overflows, a brief is not two pages)."""


# --- small helpers ------------------------------------------------------------------------


def _frame(tables: dict[str, pd.DataFrame], table: str) -> pd.DataFrame:
    frame = tables.get(table)
    return frame if frame is not None else pd.DataFrame()


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _str(value) -> str:
    return "" if _missing(value) else str(value)


def _cell(text: str, cls: str = "") -> dict:
    return {"text": text, "cls": cls}


def _table(columns: Sequence[str], rows: list[list[dict]], source: str = "", **kw) -> dict:
    return {
        "columns": list(columns),
        "rows": rows,
        "source": source,
        "note": kw.get("note", ""),
        "caption": kw.get("caption", ""),
    }


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _mentions_kosovo(value) -> bool:
    return JURISDICTIONS[KOSOVO] in json.dumps(value, default=str, ensure_ascii=False)


def report_sections() -> dict[str, str]:
    """Section numbers of the final report, mirroring the order `report.context.ReportContext.
    build` gives them: 1 summary, 2 regional overview, one chapter per jurisdiction in
    `JURISDICTIONS` order (its recommendations are subsection .6), then regional cooperation and
    recommendations."""
    out = {code: f"{i}.6" for i, code in enumerate(JURISDICTIONS, start=3)}
    out["cooperation"] = str(len(JURISDICTIONS) + 3)
    out["recommendations"] = str(len(JURISDICTIONS) + 4)
    return out


# --- facts: every figure of the pack, from the tables ---------------------------------------


class PackFacts:
    """Lookups over the warehouse tables, with the report's disclosure decisions."""

    def __init__(self, tables: dict[str, pd.DataFrame], status: pd.DataFrame | None) -> None:
        self.t = tables
        self.h = _frame(tables, "harmonised_statistics")
        self.trends = _frame(tables, "trends")
        self.dc: Disclosure = (
            harmonised_disclosure(self.h, self.trends, {**JURISDICTIONS, REGION: "WB6"})
            if not self.h.empty
            else Disclosure()
        )
        self.recs = _frame(tables, "recommendations")
        self.status = status_by_id(status)
        # statuses are shown once the workshop has decided something
        self.has_status = any(s["status"] != NOT_DISCUSSED for s in self.status.values())
        self.population = self._population()

    def _population(self) -> dict[tuple[str, int], float]:
        t = self.trends
        if t.empty or "population" not in t:
            return {}
        rows = t.dropna(subset=["population"])
        return {
            (j, int(y)): float(p)
            for j, y, p in zip(rows["jurisdiction"], rows["year"], rows["population"], strict=True)
        }

    # counts ------------------------------------------------------------------------------
    def count_cell(self, cell: tuple) -> dict:
        text = self.dc.text(cell)
        extra = {PRIMARY_TEXT: " suppressed", SECONDARY_TEXT: " withheld"}.get(text, "")
        return _cell(text, "count" + extra + (" missing" if text == NOT_REPORTED_TEXT else ""))

    def years_of(self, code: str) -> list[int]:
        if self.h.empty:
            return []
        return sorted(int(y) for y in self.h.loc[self.h["jurisdiction"] == code, "year"].unique())

    def rate_cell(self, code: str, year: int) -> dict:
        bounds = self.dc.bounds(cell_id(code, year, "victims_detected"))
        return _cell(rate_text(published_rate(bounds, self.population.get((code, year)))), "num")

    def source_files(self, code: str, years: Iterable[int]) -> list[str]:
        if self.h.empty or "source_files" not in self.h:
            return []
        rows = self.h[(self.h["jurisdiction"] == code) & self.h["year"].isin(list(years))]
        names = {n.strip() for t in rows["source_files"].dropna() for n in str(t).split(";")}
        return sorted(n for n in names if n)

    def source_line(self, tables: str, code: str | None = None, years: Iterable[int] = ()) -> str:
        line = f"Source: warehouse table{'s' if ',' in tables else ''} {tables}"
        files = self.source_files(code, years) if code else []
        if files:
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            line += f", from {shown} (SHA-256 in Annex B of the report)"
        return line + "."

    def key_figures(self, code: str, n_years: int, indicators: Sequence[str]) -> dict | None:
        """Counts by indicator (rows) and the jurisdiction's latest `n_years` years (columns),
        plus victims per 100,000 inhabitants."""
        years = self.years_of(code)[-n_years:]
        if not years:
            return None
        rows = [
            [_cell(INDICATOR_LABELS[i], "rowhead")]
            + [self.count_cell(cell_id(code, y, i)) for y in years]
            for i in indicators
        ]
        rows.append(
            [_cell("Victims per 100,000 inhabitants", "rowhead")]
            + [self.rate_cell(code, y) for y in years]
        )
        return _table(
            ["Indicator", *map(str, years)],
            rows,
            self.source_line("harmonised_statistics, trends", code, years),
        )

    def latest_victims(self, code: str) -> str:
        """'In 2021 it detected 159 victims (6.39 per 100,000 inhabitants).'"""
        years = [
            y for y in self.years_of(code) if cell_id(code, y, "victims_detected") in self.dc.values
        ]
        if not years:
            return "No figure of detected victims is on file."
        year = years[-1]
        bounds = self.dc.bounds(cell_id(code, year, "victims_detected"))
        words = SECONDARY_TEXT if bounds is None else count_words(*bounds)
        rate = published_rate(bounds, self.population.get((code, year)))
        per = f" ({rate_text(rate)} per 100,000 inhabitants)" if rate else ""
        return f"In {year}, its latest year, {words} were detected{per}."

    # trends ------------------------------------------------------------------------------
    def verdicts(self, code: str) -> list[dict]:
        ts = _frame(self.t, "trend_summary")
        if ts.empty:
            return []
        out = []
        for indicator in INDICATORS:
            part = ts[(ts["jurisdiction"] == code) & (ts["indicator"] == indicator)]
            if part.empty:
                continue
            r = part.iloc[0]
            direction = str(r["direction"])
            known = direction != "insufficient_data" and not _missing(r["annual_change_pct"])
            out.append(
                {
                    "indicator": INDICATOR_LABELS[indicator],
                    "direction": direction,
                    "verdict": DIRECTION_LABELS.get(direction, direction),
                    "change": f"{float(r['annual_change_pct']):+.0f}% a year" if known else "",
                    "window": f"{_str(r['first_year'])}–{_str(r['last_year'])}",
                    "reason": mask_counts_in_text(_str(r["reason"])) or "",
                }
            )
        return out

    # mechanisms --------------------------------------------------------------------------
    def top_gaps(self, code: str, limit: int = TOP_GAPS) -> list[dict]:
        """The jurisdiction's gaps, not met first, then partly met, by item id."""
        gaps = _frame(self.t, "mechanism_gaps")
        if gaps.empty:
            return []
        g = gaps[(gaps["jurisdiction"] == code) & gaps["gap_type"].isin(["not_met", "partly_met"])]
        g = g.assign(_o=(g["gap_type"] != "not_met").astype(int)).sort_values(["_o", "item_id"])
        return [
            {
                "item": str(r.item_id),
                "title": str(r.title),
                "gap": GAP_LABELS.get(str(r.gap_type), str(r.gap_type)),
                "gap_type": str(r.gap_type),
                "year": "" if _missing(r.year) else str(int(r.year)),
            }
            for r in g.head(limit).itertuples(index=False)
        ]

    def gap_counts(self, code: str) -> dict[str, int]:
        gaps = _frame(self.t, "mechanism_gaps")
        if gaps.empty:
            return {}
        counts = gaps.loc[gaps["jurisdiction"] == code, "gap_type"].value_counts()
        return {k: int(counts.get(k, 0)) for k in GAP_LABELS}

    def domain_table(self, code: str) -> dict | None:
        ds = _frame(self.t, "mechanism_domain_scores")
        if ds.empty:
            return None
        d = ds[ds["jurisdiction"] == code]
        d = d.assign(_o=d["domain"].map(lambda x: DOMAINS.index(x) if x in DOMAINS else 99))
        rows = []
        for r in d.sort_values(["_o", "domain"]).itertuples(index=False):
            ranked = ds[(ds["domain"] == r.domain) & ds["rankable"].astype(bool)]
            rows.append(
                [
                    _cell(str(r.domain), "rowhead"),
                    _cell(f"{int(r.n_known)} of {int(r.n_items)}", "num"),
                    _cell(pct(float(r.coverage_share)), "num"),
                    _cell(
                        NOT_REPORTED_TEXT if _missing(r.mean_score) else f"{r.mean_score:.2f} of 2",
                        "num",
                    ),
                    _cell(
                        "not ranked" if _missing(r.rank) else f"{int(r.rank)} of {len(ranked)}",
                        "num",
                    ),
                ]
            )
        return _table(
            ["Domain", "Items known", "Coverage", "Mean score", "Rank in region"],
            rows,
            self.source_line("mechanism_domain_scores"),
            note="Unknown items are left out of the mean, never counted as 0.",
        )

    # recommendations ---------------------------------------------------------------------
    def recs_of(self, code: str) -> pd.DataFrame:
        r = self.recs
        if r.empty:
            return r
        return r[r["jurisdiction"] == code].sort_values(["priority_rank", "recommendation_id"])

    def rec_items(self, recs: pd.DataFrame) -> list[dict]:
        return [self.rec_item(row) for row in recs.to_dict("records")]

    def rec_item(self, r: dict) -> dict:
        rid = str(r["recommendation_id"])
        status = self.status.get(rid)
        if status is not None:
            status = {k: mask_counts_in_text(v) for k, v in status.items()}
        return {
            "id": rid,
            "jurisdiction": str(r["jurisdiction"]),
            "place": name(str(r["jurisdiction"])),
            "urgency": _str(r["urgency"]),
            "domain": _str(r["domain"]),
            "rank": "" if _missing(r.get("priority_rank")) else int(r["priority_rank"]),
            "text": mask_counts_in_text(_str(r["text"])),
            "evidence": evidence_line(_str(r.get("evidence"))),
            "status": status,
        }

    def urgency_counts(self, code: str) -> dict[str, int]:
        recs = self.recs_of(code)
        if recs.empty:
            return dict.fromkeys(URGENCIES, 0)
        counts = recs["urgency"].value_counts()
        return {u: int(counts.get(u, 0)) for u in URGENCIES}

    def status_counts(self, ids: Iterable[str]) -> dict[str, int]:
        counts = dict.fromkeys([*DECISIONS, STATUS_NOT_GIVEN], 0)
        for rid in ids:
            s = self.status.get(rid)
            counts[s["status"] if s and s["status"] in DECISIONS else STATUS_NOT_GIVEN] += 1
        return counts


# --- evidence in one line -------------------------------------------------------------------

_LABELLED_VALUES = {"gap_type": GAP_LABELS, "direction": DIRECTION_LABELS}
_PLACE_KEYS = ("jurisdiction", "origin", "destination")


def _key_text(key: str, value) -> str:
    if key in _PLACE_KEYS and str(value) in {*JURISDICTIONS, REGION}:
        return name(str(value))
    if key == "indicator":
        return INDICATOR_LABELS.get(str(value), str(value)).lower()
    return str(value).replace("_", " ")


def evidence_line(evidence: str, rows: int = EVIDENCE_ROWS) -> str:
    """'Evidence: mechanism_gaps: Albania, CT-18 (not met)' from a recommendation's evidence
    JSON: the table, the keys of the first `rows` rows and how many more there are. Keys and a
    few labels only (gap type, direction), never a count, so nothing here needs suppression."""
    try:
        items = json.loads(evidence) if evidence else []
    except ValueError:
        items = []
    if not isinstance(items, list) or not items:
        return "Evidence: not recorded."
    parts = []
    for item in items[:rows]:
        keys = item.get("keys") or {}
        text = ", ".join(_key_text(k, v) for k, v in keys.items() if not _missing(v))
        values = item.get("values") or {}
        labels = [
            lookup.get(str(values[k]), str(values[k]))
            for k, lookup in _LABELLED_VALUES.items()
            if not _missing(values.get(k))
        ]
        parts.append(text + (f" ({', '.join(labels)})" if labels else ""))
    extra = len(items) - rows
    more = f"; {extra} more row{'s' if extra > 1 else ''}" if extra > 0 else ""
    line = f"Evidence: {items[0].get('table', '?')}: " + "; ".join(parts) + more
    line = mask_counts_in_text(line) or ""
    return line if len(line) <= EVIDENCE_CHARS else line[: EVIDENCE_CHARS - 1].rstrip() + "…"


# --- slides ---------------------------------------------------------------------------------


def _slide(kind: str, title: str, **content) -> dict:
    return {"kind": kind, "title": title, **content}


def _period(facts: PackFacts) -> str:
    years = sorted(int(y) for y in facts.h["year"].unique()) if not facts.h.empty else []
    return f"{years[0]}–{years[-1]}" if years else "no statistics on file"


def title_slides(facts: PackFacts) -> list[dict]:
    """The title, then how to read the figures (detected is not prevalence; `<5`, `[c]`)."""
    n_recs = len(facts.recs)
    return [
        _slide(
            "title",
            "Trafficking in persons in the Western Balkans",
            subtitle=(
                "Needs assessment of counter-trafficking mechanisms: findings and "
                "recommendations for validation"
            ),
            places=names_list(JURISDICTIONS),
            period=_period(facts),
            n_recs=n_recs,
        ),
        _slide(
            "read",
            "How to read the figures",
            caveats=[PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT],
            legend=[{"key": k, "text": v} for k, v in LEGEND.items()],
        ),
    ]


def _region_years(facts: PackFacts) -> list[int]:
    t = facts.trends
    if t.empty:
        return []
    rows = t[(t["jurisdiction"] == REGION) & (t["indicator"] == "victims_detected")]
    return sorted(int(y) for y in rows["year"])[-SLIDE_YEARS:]


def regional_victims_slide(facts: PackFacts) -> dict:
    """Victims detected per jurisdiction and for the region, latest years, with the verdicts."""
    years = _region_years(facts)
    verdict = {
        (v_code, v["indicator"]): v
        for v_code in [*JURISDICTIONS, REGION]
        for v in facts.verdicts(v_code)
    }
    label = INDICATOR_LABELS["victims_detected"]
    rows = []
    for code in [*JURISDICTIONS, REGION]:
        v = verdict.get((code, label))
        rows.append(
            [_cell(name(code), "rowhead" + (" total" if code == REGION else ""))]
            + [facts.count_cell(cell_id(code, y, "victims_detected")) for y in years]
            + [
                _cell(
                    v["verdict"] if v else NOT_REPORTED_TEXT,
                    f"verdict {v['direction'] if v else ''}",
                )
            ]
        )
    reporting = _reporting(facts, years)
    table = _table(
        ["Victims detected", *map(str, years), "Trend, 5 latest years"],
        rows,
        facts.source_line("harmonised_statistics, trends, trend_summary"),
        note=f"WB6 is the sum over the jurisdictions reporting that year ({reporting}).",
    )
    return _slide("table", "The regional picture: victims detected", table=table, lead="")


def _reporting(facts: PackFacts, years: list[int]) -> str:
    t = facts.trends
    if not years:
        return "no regional figures on file"
    rows = t[(t["jurisdiction"] == REGION) & (t["indicator"] == "victims_detected")]
    by_year = dict(zip(rows["year"].astype(int), rows["n_jurisdictions_reporting"], strict=True))
    return ", ".join(
        f"{y}: {int(by_year[y])} of {len(JURISDICTIONS)}" for y in years if y in by_year
    )


def regional_mechanisms_slide(facts: PackFacts) -> dict:
    """Mechanism score share per jurisdiction and domain, and the share of data not reported."""
    ds = _frame(facts.t, "mechanism_domain_scores")
    gaps = _frame(facts.t, "data_gap_summary")
    not_reported = (
        dict(zip(gaps["jurisdiction"], gaps["share_not_reported_in_range"], strict=True))
        if not gaps.empty
        else {}
    )
    rows = []
    for code in JURISDICTIONS:
        cells = [_cell(name(code), "rowhead")]
        for domain in DOMAINS:
            r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == domain)] if not ds.empty else ds
            if r.empty:
                cells.append(_cell(NOT_REPORTED_TEXT, "num missing"))
                continue
            r = r.iloc[0]
            share = "?" if _missing(r["score_share"]) else pct(float(r["score_share"]))
            cells.append(_cell(f"{share} · {int(r['n_known'])}/{int(r['n_items'])}", "num"))
        share = not_reported.get(code)
        cells.append(_cell(NOT_REPORTED_TEXT if share is None else pct(float(share)), "num"))
        rows.append(cells)
    table = _table(
        ["", *DOMAINS, "Data not reported"],
        rows,
        facts.source_line("mechanism_domain_scores, data_gap_summary"),
        note=(
            "Each cell: mean score of the known checklist items as a share of the maximum · items "
            "known / items; ? no item known. Data not reported: indicator, breakdown and year "
            "combinations without a figure, within the jurisdiction's own years."
        ),
    )
    return _slide("table", "The regional picture: mechanisms and data gaps", table=table, lead="")


def jurisdiction_slide(facts: PackFacts, code: str) -> dict:
    """One jurisdiction: key figures of its latest years, trend verdicts, main gaps (not met
    first), and how many recommendations of each urgency it is asked to validate."""
    counts = facts.gap_counts(code)
    return _slide(
        "jurisdiction",
        name(code),
        code=code,
        lead=facts.latest_victims(code),
        figures=facts.key_figures(code, SLIDE_YEARS, SLIDE_INDICATORS),
        verdicts=facts.verdicts(code),
        gaps=facts.top_gaps(code),
        gap_counts=", ".join(f"{n} {GAP_LABELS[k].lower()}" for k, n in counts.items() if n),
        urgencies=facts.urgency_counts(code),
        source_gaps=facts.source_line("mechanism_gaps"),
    )


def shared_gap_slides(facts: PackFacts) -> list[dict]:
    """The `shared_gap` rows of `regional_opportunities`, most jurisdictions first, split into
    slides of `ROWS_PER_TABLE_SLIDE`."""
    opp = _frame(facts.t, "regional_opportunities")
    gaps = _frame(facts.t, "mechanism_gaps")
    titles = dict(zip(gaps["item_id"], gaps["title"], strict=False)) if not gaps.empty else {}
    shared = (
        opp[opp["opportunity_type"] == "shared_gap"].sort_values(
            ["n_jurisdictions", "key"], ascending=[False, True]
        )
        if not opp.empty
        else opp
    )
    rows = [
        [
            _cell(str(r.key), "rowhead nowrap"),
            _cell(str(titles.get(r.key, ""))),
            _cell(f"{int(r.n_jurisdictions)}: {names_list(str(r.jurisdictions).split(','))}"),
        ]
        for r in shared.itertuples(index=False)
    ]
    source = facts.source_line("regional_opportunities, mechanism_gaps")
    return [
        _slide(
            "table",
            "Regional cooperation: gaps shared by several jurisdictions",
            lead="Candidates for a regional programme: checklist items not met or only partly "
            "met in three or more jurisdictions.",
            table=_table(["Item", "What the item asks for", "Jurisdictions"], chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def _flow_victims(facts: PackFacts, evidence: str) -> tuple[str, bool]:
    """The victims of a flow pair from the published cells (as the report's section 9):
    `[c]` if any cell is withheld, otherwise the sum of the published bounds."""
    try:
        items = json.loads(evidence) if evidence else []
    except ValueError:
        items = []
    keys = ("jurisdiction", "year", "indicator", "dimension", "category")
    cells = [cell_id(*(e[k] for k in keys)) for e in items if set(keys) <= set(e)]
    if any(facts.dc.status(c) == "secondary" for c in cells):
        return SECONDARY_TEXT, False
    bounds = [facts.dc.bounds(c) for c in cells]
    if not bounds or any(b is None for b in bounds):
        return NOT_REPORTED_TEXT, False
    total = (sum(b[0] for b in bounds), sum(b[1] for b in bounds))
    return bounds_text(total), any(b[0] >= THRESHOLD for b in bounds)


def flow_slides(facts: PackFacts) -> list[dict]:
    """The `bilateral_flow` rows of `regional_opportunities`, victims from the published cells."""
    opp = _frame(facts.t, "regional_opportunities")
    flows = opp[opp["opportunity_type"] == "bilateral_flow"] if not opp.empty else opp
    rows = []
    for r in flows.itertuples(index=False):
        victims, certain = _flow_victims(facts, _str(r.evidence))
        rows.append(
            [
                _cell(names_list(str(r.jurisdictions).split(",")), "rowhead"),
                _cell(years_text(int(y) for y in str(r.years).split(",") if y)),
                _cell(victims, "count"),
                _cell("yes" if certain else f"no: every figure {PRIMARY_TEXT}"),
            ]
        )
    source = facts.source_line("regional_opportunities, harmonised_statistics")
    columns = ["Jurisdictions", "Years", "Victims (sum)", f"A figure of {THRESHOLD} or more"]
    return [
        _slide(
            "table",
            "Regional cooperation: victims moving between jurisdictions",
            lead="Candidates for bilateral cooperation, such as joint identification and referral.",
            table=_table(columns, chunk, source),
        )
        for chunk in _chunks(rows, ROWS_PER_TABLE_SLIDE)
    ]


def _rec_height_mm(item: dict, has_status: bool) -> float:
    """Head line, text lines at 5.1 mm, evidence line, status lines, spacing."""
    text_lines = math.ceil(len(item["text"]) / _CHARS_PER_LINE)
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = math.ceil(len(status) / _STATUS_CHARS_PER_LINE) if has_status else 0
    return 3.8 + 5.1 * text_lines + 3.8 + 4.2 * status_lines + 4.0


def _pack_recs(items: list[dict], budget: float, has_status: bool) -> list[list[dict]]:
    """Consecutive groups of recommendations that fit one slide each."""
    groups: list[list[dict]] = []
    height = 0.0
    for item in items:
        h = _rec_height_mm(item, has_status)
        if not groups or height + h > budget or len(groups[-1]) >= REC_SLIDE_MAX:
            groups.append([])
            height = 0.0
        groups[-1].append(item)
        height += h
    return groups


def recommendation_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> list[dict]:
    """An overview, then every recommendation by jurisdiction (then regional) and priority."""
    places = [*JURISDICTIONS, REGIONAL]
    overview = []
    for code in places:
        recs = facts.recs_of(code)
        counts = facts.urgency_counts(code)
        row = [_cell(name(code), "rowhead")] + [_cell(str(counts[u]), "num") for u in URGENCIES]
        if facts.has_status:
            status = facts.status_counts(recs["recommendation_id"] if not recs.empty else [])
            row += [_cell(str(n), "num") for n in status.values()]
        overview.append(row)
    columns = ["", *URGENCIES] + ([*DECISIONS, STATUS_NOT_GIVEN] if facts.has_status else [])
    slides = [
        _slide(
            "table",
            "Recommendations to validate",
            lead=(
                f"{len(facts.recs)} recommendations, each with a stable id, the evidence it rests "
                "on and an urgency: urge (an obligation not met), consider (partly met), invite "
                "(on track). The feedback form lists every id."
            ),
            table=_table(columns, overview, facts.source_line("recommendations")),
        )
    ]
    for code in places:
        groups = _pack_recs(facts.rec_items(facts.recs_of(code)), budget, facts.has_status)
        for i, group in enumerate(g for g in groups if g):
            part = f" ({i + 1} of {len(groups)})" if len(groups) > 1 else ""
            slides.append(
                _slide("recs", f"Recommendations: {name(code)}{part}", recs=group, code=code)
            )
    return slides


def closing_slide() -> dict:
    """How a delegation gives its decisions: the form, the decisions, where it goes."""
    return _slide(
        "closing",
        "Your decision on each recommendation",
        form=FORM_NAME,
        sheet=SHEET,
        decisions=[
            {"key": "agreed", "text": "the recommendation stands as written"},
            {"key": "amended", "text": "write the agreed wording in amended_text"},
            {"key": "rejected", "text": "give the reason in comment"},
        ],
        folder=FEEDBACK_FOLDER,
    )


def build_slides(facts: PackFacts, budget: float = REC_SLIDE_BUDGET_MM) -> list[dict]:
    """Every slide in order, numbered, each flagged when it names Kosovo (footnote)."""
    slides = [
        *title_slides(facts),
        regional_victims_slide(facts),
        regional_mechanisms_slide(facts),
        *[jurisdiction_slide(facts, code) for code in JURISDICTIONS],
        *shared_gap_slides(facts),
        *flow_slides(facts),
        *recommendation_slides(facts, budget),
        closing_slide(),
    ]
    for number, slide in enumerate(slides, start=1):
        slide["kosovo"] = _mentions_kosovo(slide)
        slide["number"] = number
    return slides


# --- briefs ---------------------------------------------------------------------------------


def brief_context(facts: PackFacts, code: str, recs: list[dict], total: int) -> dict:
    """Everything one brief shows; `recs` may be the top priorities only (`total` is all)."""
    years = facts.years_of(code)[-BRIEF_YEARS:]
    sections = report_sections()
    regional = facts.recs_of(REGIONAL)
    involving = (
        int(
            regional["summarises"]
            .fillna("")
            .astype(str)
            .str.split(",")
            .map(lambda s: code in s)
            .sum()
        )
        if not regional.empty
        else 0
    )
    context = {
        "code": code,
        "place": name(code),
        "lead": facts.latest_victims(code),
        "years": years_text(facts.years_of(code)),
        "figures": facts.key_figures(code, BRIEF_YEARS, INDICATORS),
        "verdicts": facts.verdicts(code),
        "trend_source": facts.source_line("trend_summary"),
        "domains": facts.domain_table(code),
        "gaps": facts.top_gaps(code, limit=8),
        "gap_counts": facts.gap_counts(code),
        "gap_source": facts.source_line("mechanism_gaps"),
        "recs": recs,
        "n_recs": total,
        "cut": len(recs) < total,
        "full_list": f"full list: report section {sections[code]}",
        "n_regional": involving,
        "caveats": [PREVALENCE_CAVEAT, SUPPRESSION_CAVEAT],
        "has_status": facts.has_status,
        "urgency_labels": URGENCY_LABELS,
        "years_shown": f"{years[0]}–{years[-1]}" if years else "",
    }
    context["kosovo"] = _mentions_kosovo(context)
    return context


# --- rendering ------------------------------------------------------------------------------


def _no_fetcher():
    """A URL fetcher that fetches nothing: the pack is self-contained, and a stray URL fails the
    rendering instead of going to the network."""

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the workshop pack fetches no resource: {url[:60]}")

    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint < 70
        return refuse

    class NoFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            refuse(url)

    return NoFetcher()


def _pdf(html: str, base: Path):
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base), url_fetcher=_no_fetcher()).render()


def _common(facts: PackFacts) -> dict:
    return {"kosovo_footnote": KOSOVO_FOOTNOTE, "has_status": facts.has_status}


def render_slides(facts: PackFacts, env, output_dir: Path) -> tuple[Path, Path, int]:
    """(html path, pdf path, slide count). The recommendation slides are packed by estimated
    height; if a slide runs over its page they are packed again with a smaller budget, and if
    that does not help (or another slide runs over) rendering fails with `PackError`."""
    template = env.get_template(SLIDES_TEMPLATE)
    for factor in _RETRY_BUDGETS:
        slides = build_slides(facts, REC_SLIDE_BUDGET_MM * factor)
        html = template.render(slides=slides, n_slides=len(slides), **_common(facts))
        check_disclosure(html)
        document = _pdf(html, output_dir)
        overflow = _overflowing_slides(document)
        if not overflow or any(slides[n - 1]["kind"] != "recs" for n in overflow):
            break
    if overflow:
        raise PackError(
            f"the slide deck has {len(document.pages)} PDF pages for {len(slides)} slides: "
            f"slide(s) {overflow} do not fit their page"
        )
    html_path, pdf_path = output_dir / SLIDES_HTML, output_dir / SLIDES_PDF
    write_bytes_atomic(html_path, html.encode("utf-8"))
    write_bytes_atomic(pdf_path, document.write_pdf())
    return html_path, pdf_path, len(slides)


def _overflowing_slides(document) -> list[int]:
    """The slides that run onto a page of their own: a page without a slide anchor belongs to
    the slide before it."""
    out: list[int] = []
    current = 0
    for page in document.pages:
        starts = [int(a[6:]) for a in page.anchors if a.startswith("slide-") and a[6:].isdigit()]
        if starts:
            current = max(starts)
        elif current not in out:
            out.append(current)
    return out


def _briefs_document(env, facts: PackFacts, items: dict, shown: dict, base: Path):
    """All six briefs in one document (styles computed once), each from a new page."""
    briefs = [
        brief_context(facts, code, items[code][: shown[code]], len(items[code]))
        for code in JURISDICTIONS
    ]
    html = env.get_template(BRIEF_TEMPLATE).render(briefs=briefs, kosovo_footnote=KOSOVO_FOOTNOTE)
    check_disclosure(html)
    return _pdf(html, base)


def _brief_pages(document) -> dict[str, list]:
    """{code: its pages}: a brief runs from the page with its `brief-<code>` anchor to the next."""
    spans: dict[str, list] = {}
    code = None
    for page in document.pages:
        starts = [a.removeprefix("brief-") for a in page.anchors if a.startswith("brief-")]
        code = starts[-1] if starts else code
        spans.setdefault(code, []).append(page)
    return spans


def _brief_rec_mm(item: dict, has_status: bool) -> float:
    """Head line, text lines at 4.0 mm, status lines, spacing (8.4 pt text on A4)."""
    status = item["status"]["text"] if item["status"] else STATUS_NOT_GIVEN
    status_lines = math.ceil(len(status) / _BRIEF_STATUS_CHARS) if has_status else 0
    return (
        3.4 + 4.0 * math.ceil(len(item["text"]) / _BRIEF_CHARS_PER_LINE) + 3.3 * status_lines + 2.8
    )


def _estimated_fit(items: list[dict], has_status: bool) -> int:
    """How many recommendations page 2 holds by estimate (all of them, or fewer and the note)."""
    heights = [_brief_rec_mm(i, has_status) for i in items]
    if sum(heights) <= BRIEF_PAGE2_MM:
        return len(items)
    total, fit = 0.0, 0
    for h in heights:
        if total + h > BRIEF_PAGE2_MM - BRIEF_CUT_NOTE_MM:
            break
        total, fit = total + h, fit + 1
    return max(fit, 1)


def _fitting(code: str, pages: list, items: list[dict], shown: int) -> int:
    """After an overflow: the recommendations that landed on the brief's first two pages, less
    one (room for the note), and fewer than before."""
    anchors = {a for page in pages[:BRIEF_PAGES] for a in page.anchors}
    fit = min(sum(f"rec-{i['id']}" in anchors for i in items[:shown]), shown) - 1
    # with no room left the brief lists none and points to the report: new statistics (more
    # years of key figures) must never stop the pack
    return max(fit, 0)


def render_briefs(facts: PackFacts, env, folder: Path) -> dict[str, tuple[Path, int, int, int]]:
    """Write `brief_<ISO3>.pdf` per jurisdiction: {code: (path, pages, shown, in all)}.

    The recommendations shown are the top priorities that fit page 2 by estimate
    (`_estimated_fit`); a brief that still runs past two pages keeps those that landed on its
    first two pages (WeasyPrint's anchors) less one, for the note saying where the full list is,
    and all are rendered again until every brief is two pages.
    """
    items = {code: facts.rec_items(facts.recs_of(code)) for code in JURISDICTIONS}
    shown = {code: _estimated_fit(items[code], facts.has_status) for code in JURISDICTIONS}
    while True:
        document = _briefs_document(env, facts, items, shown, folder)
        spans = _brief_pages(document)
        over = [
            code
            for code in JURISDICTIONS
            if len(spans.get(code, [])) > BRIEF_PAGES and shown[code] > 0
        ]
        if not over:
            break
        for code in over:
            shown[code] = _fitting(code, spans[code], items[code], shown[code])
    out = {}
    for code in JURISDICTIONS:
        pages = spans.get(code, [])
        if len(pages) != BRIEF_PAGES:  # reported in the asset's metadata (brief_pages)
            logging.getLogger(__name__).warning(
                "the brief for %s has %d pages, not %d", name(code), len(pages), BRIEF_PAGES
            )
        brief = document.copy(pages)
        brief.metadata = copy.copy(document.metadata)
        brief.metadata.title = (
            f"Brief for the delegation of {name(code)}: regional validation workshop"
        )
        path = folder / BRIEFS_DIR / f"brief_{code}.pdf"
        write_bytes_atomic(path, brief.write_pdf())
        out[code] = (path, len(pages), shown[code], len(items[code]))
    return out


def render_workshop_pack(
    tables: dict[str, pd.DataFrame],
    output_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    status: pd.DataFrame | None = None,
) -> WorkshopPack:
    """Write the slide deck (HTML, PDF), a brief per jurisdiction and the feedback form into
    `output_dir` (layout and rules: module docstring). `tables` maps warehouse table names to
    frames; `status` is the `recommendation_status` table, when the workshop has decided."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    facts = PackFacts(tables, status)
    env = environment(Path(templates_dir))
    html_path, pdf_path, n_slides = render_slides(facts, env, output_dir)
    timings["slides_s"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    briefs = render_briefs(facts, env, output_dir)
    timings["briefs_s"] = round(time.perf_counter() - t1, 3)
    form = write_feedback_form(facts.recs, output_dir / FORM_NAME)
    timings["total_s"] = round(time.perf_counter() - t0, 3)
    return WorkshopPack(
        slides_html=html_path,
        slides_pdf=pdf_path,
        briefs={code: b[0] for code, b in briefs.items()},
        feedback_form=form,
        slide_count=n_slides,
        brief_pages={code: b[1] for code, b in briefs.items()},
        brief_recommendations={code: (b[2], b[3]) for code, b in briefs.items()},
        timings=timings,
    )


# --- the feedback form ----------------------------------------------------------------------

_EDITABLE = ("decision", "amended_text", "responsible_institution", "target_date", "comment",
             "decided_by", "decided_on")  # fmt: skip
_WIDTHS = {"recommendation_id": 16, "jurisdiction": 11, "urgency": 10, "domain": 14,
           "addressee": 28, "text": 70, "decision": 12, "amended_text": 50,
           "responsible_institution": 28, "target_date": 13, "comment": 40, "decided_by": 22,
           "decided_on": 13}  # fmt: skip
_WRAPPED = ("addressee", "text", "amended_text", "responsible_institution", "comment")
_DATE_FORMAT = "yyyy-mm-dd"


def _form_rows(recommendations: pd.DataFrame) -> list[list]:
    descriptive = FORM_COLUMNS[: FORM_COLUMNS.index("decision")]
    rows = []
    for r in recommendations.to_dict("records"):
        values = {c: _str(r.get(c)) for c in descriptive}
        values["text"] = mask_counts_in_text(values["text"])
        rows.append([values[c] for c in descriptive] + [None] * len(_EDITABLE))
    return rows


def _instructions(sheet, n: int) -> None:
    from openpyxl.styles import Font

    lines = [
        ("Regional validation workshop: feedback form", True),
        (f"The sheet '{SHEET}' lists the {n} recommendations of the report, one row each.", False),
        ("For each recommendation your delegation discussed, fill in:", False),
        ("  decision: agreed (stands as written), amended or rejected (drop-down list)", False),
        ("  amended_text: the agreed wording (required when amended)", False),
        ("  comment: for a rejection, the reason (required); otherwise any remark", False),
        ("  responsible_institution and target_date (YYYY-MM-DD): who acts, and by when", False),
        ("  decided_by and decided_on: the delegation or person, and the date", False),
        ("Leave the decision empty for a recommendation that was not discussed.", False),
        ("Do not change recommendation_id or the text columns: they are how the answer", False),
        ("is matched to the recommendation (the sheet is protected, without a password).", False),
        ("Save the file as feedback_<year>_<delegation>.xlsx and return it to the", False),
        (f"workshop secretariat, who puts it into {FEEDBACK_FOLDER} of the pipeline.", False),
        ("", False),
        ("Jurisdictions: " + ", ".join(f"{c} {name(c)}" for c in JURISDICTIONS), False),
        ("REGIONAL: a recommendation to the region as a whole.", False),
        (f"* Kosovo: {KOSOVO_FOOTNOTE}", False),
    ]
    for line, bold in lines:
        sheet.append([line])
        if bold:
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 110


def _validations(sheet, last_row: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def column(heading: str) -> str:
        letter = get_column_letter(FORM_COLUMNS.index(heading) + 1)
        return f"{letter}2:{letter}{last_row}"

    decision = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose agreed, amended or rejected, or leave empty if not discussed.",
        showInputMessage=True,
        promptTitle="Decision",
        prompt="agreed, amended (write amended_text) or rejected (give the reason in comment)",
    )
    decision.add(column("decision"))
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2099,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Date",
        error="Enter a date, e.g. 2026-05-12.",
    )
    dates.add(column("target_date"))
    dates.add(column("decided_on"))
    sheet.add_data_validation(decision)
    sheet.add_data_validation(dates)


def _protect(sheet, last_row: int) -> None:
    """Lock the id and text columns; the decision columns stay editable. No password: the lock
    prevents accidents, not a determined edit (the reader validates every id anyway)."""
    from openpyxl.styles import Protection

    unlocked = Protection(locked=False)
    for column in _EDITABLE:
        col = FORM_COLUMNS.index(column) + 1
        for row in range(2, last_row + 1):
            sheet.cell(row=row, column=col).protection = unlocked
    p = sheet.protection
    p.sheet = True
    p.autoFilter = p.sort = p.formatColumns = p.formatRows = False


def write_feedback_form(recommendations: pd.DataFrame, path: Path) -> Path:
    """The feedback form: sheet `Feedback` with one row per recommendation (id, jurisdiction,
    urgency, domain, addressee, text; then the empty decision columns), header frozen, a
    drop-down on `decision`, date validation on `target_date` and `decided_on`, id and text
    columns locked; sheet `Instructions`. Written atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(FORM_COLUMNS)
    for row in _form_rows(recommendations):
        sheet.append(row)
    last_row = max(sheet.max_row, 2)
    header_fill = PatternFill("solid", fgColor="163A5F")
    edit_fill = PatternFill("solid", fgColor="FFF8E6")
    for i, column in enumerate(FORM_COLUMNS, start=1):
        head = sheet.cell(row=1, column=i)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), header_fill
        sheet.column_dimensions[get_column_letter(i)].width = _WIDTHS[column]
        for row in range(2, last_row + 1):
            cell = sheet.cell(row=row, column=i)
            cell.alignment = Alignment(wrap_text=column in _WRAPPED, vertical="top")
            if column in _EDITABLE:
                cell.fill = edit_fill
            if column in ("target_date", "decided_on"):
                cell.number_format = _DATE_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FORM_COLUMNS))}{last_row}"
    _validations(sheet, last_row)
    _protect(sheet, last_row)
    _instructions(book.create_sheet("Instructions"), len(recommendations))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
