"""What the workshop pack shows, from the tables: the look-ups the pack adds to `Facts`.

The disclosure-controlled look-ups (counts as published text or bounds, population, years
reported, flows, recommendations with their texts masked) are the report's, from
`presentation/facts.py`: the pack and the report publish every figure alike. `PackFacts` adds
what only the pack shows: key-figure tables of a jurisdiction's latest years, trend verdicts,
main gaps, domain scores, the workshop's decisions, recommendations with a one-line evidence,
and the footnotes of the members a slide or a brief names.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence

import pandas as pd

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import Cell, Table
from wbtip_pipeline.presentation.disclosure import (
    cell_id,
    mask_counts_in_text,
)
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import (
    DIRECTION_LABELS,
    GAP_LABELS,
    INDICATOR_LABELS,
    Names,
)
from wbtip_pipeline.presentation.outline import Outline, report_outline
from wbtip_pipeline.presentation.text import (
    as_str,
    is_nan,
    pct,
)
from wbtip_pipeline.region import Region
from wbtip_pipeline.transforms.recommendation_status import status_by_id
from wbtip_pipeline.vocab import DECISIONS, DOMAINS, NOT_DISCUSSED, URGENCIES

TOP_GAPS = 4
EVIDENCE_ROWS = 2  # evidence rows named in a recommendation's one line
EVIDENCE_CHARS = 170
STATUS_NOT_GIVEN = "not yet discussed"
# the columns `Facts` reads from `harmonised_statistics`, for a pack made without it


def table(columns: Sequence[str], rows: list[list[Cell]], source: str = "", **kw) -> Table:
    """A table of the pack: no number (slides and briefs do not number their tables). A column
    whose cells are all numbers or counts is a number column: right-aligned, its header too."""

    def numeric(i: int) -> bool:
        cells = [row[i].cls.split() for row in rows if i < len(row)]
        return i > 0 and bool(cells) and all({"num", "count"} & set(c) for c in cells)

    return Table(
        kw.get("key", ""),
        "",
        kw.get("caption", ""),
        source,
        list(columns),
        rows,
        col_classes=["num" if numeric(i) else "" for i in range(len(columns))],
        note=kw.get("note", ""),
    )


def _texts(value) -> Iterator[str]:
    """Every string in a slide or a brief: dicts, lists, sections and their blocks, walked."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _texts(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name))


class PackFacts:
    """The pack's look-ups over the warehouse tables, on the report's `Facts` (same disclosure
    decisions, same names). `status` is the `recommendation_status` table once the workshop has
    decided something."""

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        status: pd.DataFrame | None = None,
        region: Region | None = None,
        provenance: dict | None = None,
    ) -> None:
        tables = dict(tables)
        if status is not None:
            tables["recommendation_status"] = status
        self.f = Facts(tables, provenance, region)
        self.region: Region = self.f.region
        self.names: Names = self.f.names
        self.codes: list[str] = self.f.codes
        self.outline: Outline = report_outline(self.region)
        self.t = self.f.t
        self.h = self.f.h
        self.trends = self.f.trends
        self.dc = self.f.dc
        self.recs = self.f.recs()
        self.status = status_by_id(status)
        # statuses are shown once the workshop has decided something
        self.has_status = any(s["status"] != NOT_DISCUSSED for s in self.status.values())

    # names and footnotes -------------------------------------------------------------------
    def footnotes_in(self, value) -> list[str]:
        """The footnotes ("* Kosovo: ...") of the members a slide or a brief names."""
        text = "\n".join(_texts(value))
        named = [c for c in self.region.footnotes if self.region.member(c).name in text]
        return self.names.footnotes_for(named)

    # counts ------------------------------------------------------------------------------
    def count_cell(self, cell: tuple) -> Cell:
        return self.f.count_cell(cell)

    def years_of(self, code: str) -> list[int]:
        return self.f.years_of(code)

    def rate_cell(self, code: str, year: int) -> Cell:
        return self.f.rate_cell(code, year)

    def source_line(self, tables: str, code: str | None = None, years: Iterable[int] = ()) -> str:
        """'Source: warehouse tables a, b, from <files> (SHA-256 in Annex B of the report).'"""
        line = f"Source: warehouse table{'s' if ',' in tables else ''} {tables}"
        files: list[str] = []
        if code and not self.h.empty:
            rows = self.h[(self.h["jurisdiction"] == code) & self.h["year"].isin(list(years))]
            files = self.f.source_files(rows)
        if files:
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            annex = self.outline.ref("provenance") if "provenance" in self.outline else "an annex"
            line += f", from {shown} (SHA-256 in {annex} of the report)"
        return line + "."

    def key_figures(self, code: str, n_years: int, indicators: Sequence[str]) -> Table | None:
        """Counts by indicator (rows) and the jurisdiction's latest `n_years` years (columns),
        plus victims per 100,000 inhabitants."""
        years = self.years_of(code)[-n_years:]
        if not years:
            return None
        rows = [
            [Cell(INDICATOR_LABELS[i], "rowhead")]
            + [self.count_cell(cell_id(code, y, i)) for y in years]
            for i in indicators
        ]
        rows.append(
            [Cell("Victims per 100,000 inhabitants", "rowhead")]
            + [self.rate_cell(code, y) for y in years]
        )
        return table(
            ["Indicator", *map(str, years)],
            rows,
            self.source_line("harmonised_statistics, trends", code, years),
            key=f"figures-{code}",
        )

    def latest_victims(self, code: str) -> str:
        """'In 2021, its latest year, 159 victims were detected (6.39 per 100,000 inhabitants).'"""
        latest = figures.latest_victims(self.f, code)
        if latest is None:
            return "No figure of detected victims is on file."
        per = f" ({latest['rate']} per 100,000 inhabitants)" if latest["rate"] else ""
        return f"In {latest['year']}, its latest year, {latest['words']} were detected{per}."

    # trends ------------------------------------------------------------------------------
    def verdicts(self, code: str) -> list[dict]:
        """The verdict on each series (`figures.trend_verdict`): `verdict` its label, `change`
        its estimate ("+19% a year, interval −0.2% to +42%"), `text` the two together."""
        out = []
        for indicator, r in figures.trend_rows(self.f, code):
            v = figures.trend_verdict(r)
            out.append(
                {
                    "indicator": INDICATOR_LABELS[indicator],
                    "direction": v["direction"],
                    "verdict": v["label"],
                    "change": v["estimate"],
                    "text": v["text"],
                    "window": v["window"],
                    "reason": mask_counts_in_text(v["reason"]) or "",
                }
            )
        return out

    # mechanisms --------------------------------------------------------------------------
    def top_gaps(self, code: str, limit: int = TOP_GAPS) -> list[dict]:
        """The jurisdiction's gaps, not met first, then partly met, by item id."""
        gaps = self.t["mechanism_gaps"]
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
                "year": "" if is_nan(r.year) else str(int(r.year)),
            }
            for r in g.head(limit).itertuples(index=False)
        ]

    def gap_counts(self, code: str) -> dict[str, int]:
        if self.t["mechanism_gaps"].empty:
            return {}
        counts = figures.checklist_counts(self.f, code)
        return {k: counts[k] for k in GAP_LABELS}

    def gap_counts_text(self, code: str) -> str:
        """ "All checklist items: 3 not met, 5 partly met, 8 no evidence." (empty: no gaps)"""
        text = figures.gap_counts_text(self.gap_counts(code))
        return f"All checklist items: {text}." if text else ""

    def domain_table(self, code: str) -> Table | None:
        ds = self.t["mechanism_domain_scores"]
        if ds.empty:
            return None
        d = ds[ds["jurisdiction"] == code]
        d = d.assign(_o=d["domain"].map(lambda x: DOMAINS.index(x) if x in DOMAINS else 99))
        rows = []
        for _, r in d.sort_values(["_o", "domain"]).iterrows():
            rows.append(
                [
                    Cell(str(r["domain"]), "rowhead"),
                    Cell(f"{int(r['n_known'])} of {int(r['n_items'])}", "num"),
                    Cell(pct(float(r["coverage_share"])), "num"),
                    Cell(figures.domain_score_text(r), "num"),
                    Cell(figures.domain_rank_text(self.f, r), "num"),
                ]
            )
        return table(
            ["Domain", "Items known", "Coverage", "Mean score", "Rank in region"],
            rows,
            self.source_line("mechanism_domain_scores"),
            # each score resting on few items says how few (`figures.domain_score_text`)
            note="Unknown items are left out of the mean, never counted as 0.",
            key=f"domains-{code}",
        )

    # recommendations ---------------------------------------------------------------------
    def recs_of(self, code: str) -> pd.DataFrame:
        return self.f.recs_of(code)

    def rec_items(self, recs: pd.DataFrame) -> list[dict]:
        """The recommendations as the pack shows them: the text as the report publishes it
        (counts masked, a withheld figure never quoted), a one-line evidence, the decision."""
        if recs.empty:
            return []
        published = self.f.recommendation_items(recs, top_only=False, evidence=False)
        return [
            self._rec_item(row, item)
            for row, item in zip(recs.to_dict("records"), published, strict=True)
        ]

    def _rec_item(self, r: dict, published: dict) -> dict:
        rid = str(r["recommendation_id"])
        status = self.status.get(rid)
        if status is not None:
            status = {k: mask_counts_in_text(v) for k, v in status.items()}
        return {
            "id": rid,
            "jurisdiction": str(r["jurisdiction"]),
            "place": self.names.of(str(r["jurisdiction"])),
            "urgency": as_str(r["urgency"]),
            "domain": as_str(r["domain"]),
            "rank": "" if is_nan(r.get("priority_rank")) else int(r["priority_rank"]),
            "text": published["text"],
            "progress": published["progress"],
            "evidence": evidence_line(as_str(r.get("evidence")), names=self.names),
            "status": status,
        }

    def urgency_counts(self, code: str) -> dict[str, int]:
        counts = figures.recommendation_counts(self.f, code)
        return {u: counts[u] for u in URGENCIES}

    def recommendation_count(self, code: str | None = None) -> int:
        """How many recommendations (of `code`, or in all): `figures.recommendation_counts`."""
        return figures.recommendation_counts(self.f, code)["total"]

    def status_counts(self, ids: Iterable[str]) -> dict[str, int]:
        counts = dict.fromkeys([*DECISIONS, STATUS_NOT_GIVEN], 0)
        for rid in ids:
            s = self.status.get(rid)
            counts[s["status"] if s and s["status"] in DECISIONS else STATUS_NOT_GIVEN] += 1
        return counts


# --- evidence in one line -------------------------------------------------------------------

_LABELLED_VALUES = {"gap_type": GAP_LABELS, "direction": DIRECTION_LABELS}
_PLACE_KEYS = ("jurisdiction", "origin", "destination")


def _key_text(key: str, value, names: Names) -> str:
    region = names.region
    if key in _PLACE_KEYS and str(value) in {*region.codes, region.code}:
        return names.of(str(value))
    if key == "indicator":
        return INDICATOR_LABELS.get(str(value), str(value)).lower()
    return str(value).replace("_", " ")


def evidence_line(evidence: str, rows: int = EVIDENCE_ROWS, names: Names | None = None) -> str:
    """'Evidence: mechanism_gaps: Albania, CT-18 (not met)' from a recommendation's evidence
    JSON: the table, the keys of the first `rows` rows and how many more there are. Keys and a
    few labels only (gap type, direction), never a count, so nothing here needs suppression."""
    names = names or Names()
    try:
        items = json.loads(evidence) if evidence else []
    except ValueError:
        items = []
    if not isinstance(items, list) or not items:
        return "Evidence: not recorded."
    parts = []
    for item in items[:rows]:
        keys = item.get("keys") or {}
        text = ", ".join(_key_text(k, v, names) for k, v in keys.items() if not is_nan(v))
        values = item.get("values") or {}
        labels = [
            lookup.get(str(values[k]), str(values[k]))
            for k, lookup in _LABELLED_VALUES.items()
            if not is_nan(values.get(k))
        ]
        parts.append(text + (f" ({', '.join(labels)})" if labels else ""))
    extra = len(items) - rows
    more = f"; {extra} more row{'s' if extra > 1 else ''}" if extra > 0 else ""
    line = f"Evidence: {items[0].get('table', '?')}: " + "; ".join(parts) + more
    line = mask_counts_in_text(line) or ""
    return line if len(line) <= EVIDENCE_CHARS else line[: EVIDENCE_CHARS - 1].rstrip() + "…"
