"""The evidence of a recommendation in words: one line per evidence row, and a one-line count.

A recommendation's `evidence` column lists the warehouse rows it rests on (`{"table", "keys",
"values"}`). A reader sees each as a line of words, never the row itself: no table name, no
checklist id, no code of a column. What each line names:

- an assessment (mechanism tables): the checklist item by its short topic (`rules/actions.yaml`),
  the jurisdiction, the score in words, the year (marked when dated) and the publisher of the
  page it rests on, which the line links to: "Assessment of non-punishment of victims
  (Albania): not met, 2024 — US Department of State ...";
- a figure (trends, victim flows): the indicator's label, the jurisdiction and countries by
  name, the year and the count as published ("Victims detected, Albania, 2021: 159";
  "Victims detected in North Macedonia in 2021 who were citizens of Taiwan: 39"), with the
  shares the rule quotes as the published cells allow them;
- a trend, a gap in the statistics, a shared gap or a flow between two jurisdictions, in words.

Counts go through the disclosure decisions (`<5`, `[c]`): a cell's published text, a sum of
cells through their published bounds (recorded in `Facts.claims` for the audit), `[c]` when
one of them is withheld. The exact values of the withheld cells among the rows are handed back,
so that the recommendation's own text does not quote them either.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from wbtip_pipeline.presentation.disclosure import (
    SECONDARY_TEXT,
    THRESHOLD,
    bounds_text,
    cell_id,
    count_text,
    mask_counts_in_text,
)
from wbtip_pipeline.presentation.labels import (
    DIRECTION_LABELS,
    GAP_LABELS,
    INDICATOR_LABELS,
    STATUS_LABELS,
)
from wbtip_pipeline.presentation.text import is_nan, number_word, pct, signed_pct, sum_bounds
from wbtip_pipeline.transforms import recommendations as rules
from wbtip_pipeline.vocab import SHARES

if TYPE_CHECKING:
    from wbtip_pipeline.presentation.facts import Facts

SCORE_WORDS = {2: "met", 1: "partly met", 0: "not met"}
# a share of a trends row as an evidence line names it ("share of children: 70%")
SHARE_LABELS = {
    "female": "women and girls",
    "child": "children",
    "sexual_exploitation": "sexual exploitation",
    "forced_labour": "forced labour",
    "other_exploitation": "other forms of exploitation",
    "nationals": "own nationals",
    "foreign": "foreign nationals",
}
SHARE_LEADS = {"sexual_exploitation": "in", "forced_labour": "in", "other_exploitation": "in"}
ORDINALS = {1: "first", 2: "second", 3: "third"}
# what a row of each table is, counted in a recommendation's one-line evidence (singular, plural)
NOUNS = {
    "mechanism_gaps": ("assessment", "assessments"),
    "mechanism_scores": ("assessment", "assessments"),
    "mechanism_conflicts": ("conflicting assessment", "conflicting assessments"),
    "mechanism_domain_scores": ("domain score", "domain scores"),
    "trends": ("yearly figure", "yearly figures"),
    "trend_summary": ("trend verdict", "trend verdicts"),
    "victim_flows": ("figure of victims by citizenship", "figures of victims by citizenship"),
    "data_gaps": ("gap in the statistics", "gaps in the statistics"),
    "data_gap_summary": ("summary of the statistics reported", "summaries of the statistics"),
    "shared_gap": ("gap shared across the region", "gaps shared across the region"),
    "bilateral_flow": ("flow between two jurisdictions", "flows between two jurisdictions"),
    "no_evidence": ("item no assessment covers", "items no assessment covers"),
}
FALLBACK_NOUN = ("evidence row", "evidence rows")


@cache
def _topics() -> dict[str, str]:
    """{checklist item: its short topic} from rules/actions.yaml."""
    return {item: action.topic for item, action in rules.load_actions().items()}


@cache
def _rule_fields() -> dict[str, set[str]]:
    """{rule id: the fields its templates use}, to show the shares a rule quotes."""
    return {r.id: {name for name, _ in r.fields} for r in rules.load_rules()}


def _present(value: Any) -> bool:
    return value is not None and value != "" and not is_nan(value)


class EvidenceWords:
    """The evidence lines of the recommendations of one `Facts` (its names, disclosure
    decisions, claims register and citations)."""

    def __init__(self, f: Facts) -> None:
        self.f = f
        self.builders: dict[str, Callable[[dict, dict, dict], str]] = {
            "mechanism_gaps": self._assessment,
            "mechanism_scores": self._assessment,
            "mechanism_conflicts": self._assessment,
            "mechanism_domain_scores": self._domain_score,
            "trends": self._figure,
            "trend_summary": self._trend,
            "victim_flows": self._flow,
            "data_gaps": self._data_gap,
            "data_gap_summary": self._statistics,
            "regional_opportunities": self._opportunity,
        }
        self._withheld: dict[int, list] = {}
        self._shares: set[str] | None = None

    # --- names ------------------------------------------------------------------------------

    def place(self, code: Any) -> str:
        """A member's or the region's name as the documents print it, else the country's."""
        code = str(code)
        region = self.f.region
        if code in region.codes or code == region.code:
            return self.f.names.of(code)
        return rules.country_name(code, region)

    def places(self, codes: Any) -> str:
        return rules.join_words(self.place(c) for c in str(codes or "").split(",") if c)

    @staticmethod
    def topic(keys: dict, values: dict) -> str:
        item = str(keys.get("item_id") or keys.get("key") or "")
        title = str(values.get("title") or "")
        return _topics().get(item) or (title[:1].lower() + title[1:]) or "a checklist item"

    @staticmethod
    def indicator(code: Any) -> str:
        return INDICATOR_LABELS.get(str(code), str(code).replace("_", " ").capitalize())

    # --- counts as published -----------------------------------------------------------------

    def count(self, values: dict, cell=None) -> str:
        """A cell's count as published; the row's bounds when it is not a harmonised cell."""
        if cell is not None and cell in self.f.dc.values:
            self.f.shown.add(cell)
            if self.f.dc.status(cell) == "secondary":
                low, high = self.f.dc.values[cell]
                if low == high:
                    self._withheld.setdefault(int(low), []).append(cell)
            return self.f.dc.text(cell)
        low, high = values.get("value_low"), values.get("value_high")
        return count_text(low, high) if _present(low) and _present(high) else "not reported"

    def cell_of(self, fields: dict):
        """The harmonised cell an evidence row of trends or victim_flows shows."""
        try:
            return cell_id(
                str(fields["jurisdiction"]),
                int(fields["year"]),
                str(fields["indicator"]),
                str(fields.get("dimension", "total")),
                str(fields.get("category", "total")),
            )
        except (KeyError, TypeError, ValueError):
            return None

    # --- one line per table ------------------------------------------------------------------

    def _assessment(self, table: str, keys: dict, values: dict) -> str:
        what = f"{self.topic(keys, values)} ({self.place(keys.get('jurisdiction'))})"
        gap = str(values.get("gap_type") or "")
        if gap == "no_evidence" or (table != "mechanism_gaps" and not _present(values.get("year"))):
            return f"No published assessment of {what}"
        score = values.get("score")
        found = GAP_LABELS.get(gap, "").lower() or SCORE_WORDS.get(
            int(score) if _present(score) else -1, "not scored"
        )
        year = keys.get("year", values.get("year"))
        when = self.f.citations.year_text(year)
        before = ""
        if _present(values.get("change_since_earliest")) and values["change_since_earliest"]:
            earlier = SCORE_WORDS.get(int(values.get("earliest_score") or 0), "")
            before = f", after {earlier} in {int(values['earliest_year'])}"
        if table == "mechanism_conflicts":
            scores = [s.strip() for s in str(values.get("conflicting_scores") or "").split(";")]
            words = rules.join_words(SCORE_WORDS.get(int(s), s) for s in scores if s.isdigit())
            found = f"{found}, while assessments of the same year disagree ({words})"
        # one dash per line: a copy's "— rests only on ..." follows a comma here
        source = self.f.citations.cite(values.get("source_url")).text.replace(" — ", ", ")
        return f"Assessment of {what}: {found}{', ' + when if when else ''}{before} — {source}"

    def _domain_score(self, table: str, keys: dict, values: dict) -> str:
        domain = rules.DOMAIN_LABELS.get(str(keys.get("domain")), str(keys.get("domain")))
        line = f"Checklist score in {domain} ({self.place(keys.get('jurisdiction'))})"
        parts = []
        if _present(values.get("score_share")):
            parts.append(f"{pct(float(values['score_share']))} of the maximum")
        if _present(values.get("rank")):
            rank = int(values["rank"])
            parts.append(f"{ORDINALS.get(rank, f'number {rank}')} in the region")
        if _present(values.get("n_known")) and _present(values.get("n_items")):
            n = int(values["n_items"])
            parts.append(f"{int(values['n_known'])} of {n} item{'s' if n != 1 else ''} assessed")
        return line + (": " + ", ".join(parts) if parts else "")

    def _figure(self, table: str, keys: dict, values: dict) -> str:
        place = self.place(keys.get("jurisdiction"))
        line = f"{self.indicator(keys.get('indicator'))}, {place}, {keys.get('year')}"
        shown = [self.count(values, self.cell_of(keys))]
        for stem in SHARES:
            low, high = values.get(f"{stem}_share_low"), values.get(f"{stem}_share_high")
            if not (_present(low) and _present(high)):
                continue
            if self._shares is not None and f"{stem}_share" not in self._shares:
                continue
            share = self.f.trend_figures.evidence_share(
                (table, keys), f"{stem}_share", (low, high), self.f.claims
            )
            lead = SHARE_LEADS.get(stem, "of")
            shown.append(f"share {lead} {SHARE_LABELS.get(stem, stem)}: {share}")
        return f"{line}: " + "; ".join(shown)

    def _trend(self, table: str, keys: dict, values: dict) -> str:
        indicator = self.indicator(keys.get("indicator")).lower()
        first, last = values.get("first_year"), values.get("last_year")
        span = f", {int(first)}–{int(last)}" if _present(first) and _present(last) else ""
        direction = str(values.get("direction") or "")
        said = DIRECTION_LABELS.get(direction, direction.replace("_", " "))
        if _present(values.get("annual_change_pct")):
            said += f", {signed_pct(float(values['annual_change_pct']))} a year"
        suppressed = values.get("n_suppressed_years")
        if direction == "insufficient_data" and _present(suppressed) and int(suppressed):
            n = int(suppressed)
            said += f" ({number_word(n)} year{'s' if n > 1 else ''} given only as <5)"
        return f"Trend of {indicator}, {self.place(keys.get('jurisdiction'))}{span}: {said}"

    def _flow(self, table: str, keys: dict, values: dict) -> str:
        origin, destination = self.place(keys.get("origin")), self.place(keys.get("destination"))
        count = self.count(values, self.cell_of({**values, **keys}))
        year = keys.get("year")
        if keys.get("direction") == "repatriation":
            return (
                f"Citizens of {origin} identified as victims in {destination} and repatriated "
                f"in {year}: {count}"
            )
        return f"Victims detected in {destination} in {year} who were citizens of {origin}: {count}"

    def _data_gap(self, table: str, keys: dict, values: dict) -> str:
        what = self.indicator(keys.get("indicator"))
        breakdown = str(keys.get("breakdown") or "total")
        if breakdown != "total":
            what += f" by {rules.BREAKDOWN_LABELS.get(breakdown, breakdown)}"
        status = str(values.get("status") or "")
        said = STATUS_LABELS.get(status, status.replace("_", " "))
        return f"{what}, {self.place(keys.get('jurisdiction'))}, {keys.get('year')}: {said}"

    def _statistics(self, table: str, keys: dict, values: dict) -> str:
        first, last = values.get("first_year"), values.get("last_year")
        span = f", {int(first)}–{int(last)}" if _present(first) and _present(last) else ""
        parts = []
        if _present(values.get("share_suppressed")):
            parts.append(f"{pct(float(values['share_suppressed']))} of them given only as <5")
        missing = [int(y) for y in str(values.get("missing_years") or "").split(",") if y.strip()]
        if missing:
            parts.append(f"none at all for {rules.years_label(missing)}")
        line = f"Figures reported by {self.place(keys.get('jurisdiction'))}{span}"
        return line + (": " + "; ".join(parts) if parts else "")

    def _opportunity(self, table: str, keys: dict, values: dict) -> str:
        codes = [c for c in str(values.get("jurisdictions") or "").split(",") if c]
        years = rules.years_label(
            int(y) for y in str(values.get("years") or "").split(",") if y.strip()
        )
        if keys.get("opportunity_type") == "shared_gap":
            return (
                f"Shared gap: {self.topic(keys, values)}, not fully met in "
                f"{self.places(','.join(codes))} (assessed {years})"
            )
        return f"Victims moving between {self.places(','.join(codes))}, {years}: " + (
            self._flow_total(values)
        )

    def _flow_total(self, values: dict) -> str:
        """The victims of a pair's flows as their published cells allow (as `Facts.flow_pairs`)."""
        try:
            rows = json.loads(values.get("evidence") or "[]")
        except ValueError:
            rows = []
        cells = [self.cell_of(r) for r in rows if isinstance(r, dict)]
        cells = [c for c in cells if c is not None and c in self.f.dc.values]
        if not cells:
            return "not reported"
        self.f.shown.update(cells)
        if any(self.f.dc.status(c) == "secondary" for c in cells):
            return SECONDARY_TEXT
        total = sum_bounds(self.f.dc.bounds(c) for c in cells)
        text = bounds_text(total)
        self.f.claims.count(cells, total, text)
        certain = any((self.f.dc.bounds(c) or (0, 0))[0] >= THRESHOLD for c in cells)
        return text if certain else f"{text} (every figure <5: possibly none)"

    # --- a recommendation's evidence ---------------------------------------------------------

    def lines(self, text: str, rule_id: str = "") -> tuple[list[dict], dict[int, list]]:
        """The evidence JSON `text` as lines ({table, noun, text, href}), and the exact values
        of the withheld cells among them with those cells ({value: [cell]}, for the
        recommendation's text). `rule_id`: whose shares a figure shows (every share when the
        rule is unknown)."""
        try:
            items = json.loads(text) if text else []
        except ValueError:
            return [self._raw(text)], {}
        items = items if isinstance(items, list) else [items]
        self._withheld = {}
        fields = _rule_fields().get(rule_id)
        self._shares = None if fields is None else {f for f in fields if f.endswith("_share")}
        out = []
        for item in items:
            if not isinstance(item, dict):
                out.append(self._raw(str(item)))
                continue
            table = str(item.get("table", "?"))
            keys, values = item.get("keys") or {}, item.get("values") or {}
            build = self.builders.get(table)
            line = build(table, keys, values) if build else self._generic(keys, values)
            out.append(
                {
                    "table": table,
                    "noun": self._noun(table, keys, values),
                    "text": line,
                    "href": self.f.citations.href(values.get("source_url")),
                }
            )
        return out, dict(self._withheld)

    def _generic(self, keys: dict, values: dict) -> str:
        return mask_counts_in_text(", ".join(str(v) for v in keys.values() if _present(v))) or ""

    @staticmethod
    def _raw(text: str) -> dict:
        return {
            "table": "?",
            "noun": FALLBACK_NOUN,
            "text": mask_counts_in_text(text),
            "href": None,
        }

    @staticmethod
    def _noun(table: str, keys: dict, values: dict) -> tuple[str, str]:
        if table == "regional_opportunities":
            return NOUNS.get(str(keys.get("opportunity_type")), FALLBACK_NOUN)
        if table == "mechanism_gaps" and values.get("gap_type") == "no_evidence":
            return NOUNS["no_evidence"]
        return NOUNS.get(table, FALLBACK_NOUN)

    @staticmethod
    def brief(lines: list[dict]) -> str:
        """ "Evidence: 3 assessments", "Evidence: 4 yearly figures"."""
        if not lines:
            return ""
        counts = Counter(tuple(line.get("noun") or FALLBACK_NOUN) for line in lines)
        return "Evidence: " + ", ".join(
            f"{n} {noun[0] if n == 1 else noun[1]}" for noun, n in counts.items()
        )
