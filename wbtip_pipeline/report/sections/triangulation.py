"""The figures against the US TIP reports: why the two sources differ, the largest differences
and their likely reasons, and every TIP figure beside the national one, per jurisdiction.

Read from `source_triangulation` (one row per TIP figure and edition) for the TIP side and from
the harmonised cells through `Facts` for the national side, so that a national figure is shown,
and a difference computed, under the report's disclosure control. TIP figures are published
figures, but the same `<5` rule applies to them. The likely reason shown is recomputed from the
published figures with the table's own rule (`transforms.triangulation.likely_reason`): a reason
such as "the figures agree" would otherwise reveal a national figure shown only as `<5`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wbtip_pipeline.presentation.blocks import Cell, ListBlock, Note, Numbering, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    THRESHOLD,
    Bounds,
    cell_id,
    count_text,
    published_bounds,
)
from wbtip_pipeline.presentation.facts import Facts, safe_href
from wbtip_pipeline.presentation.labels import INDICATOR_LABELS
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import as_str, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.transforms.triangulation import difference, likely_reason, unmapped_tip_figures
from wbtip_pipeline.vocab import TIP_OTHER_UNITS, TIP_QUALIFIERS, TRIANGULATION_REASONS

TABLE = "source_triangulation"
TIP_LABELS = {
    "victims_identified": "victims identified",
    "potential_victims": "potential victims",
    "official_victims": "officially recognised victims",
    "suspects_investigated": "suspects investigated",
    "cases_investigated": "cases investigated",
    "defendants_prosecuted": "defendants prosecuted",
    "cases_prosecuted": "cases prosecuted",
    "persons_convicted": "traffickers convicted",
}
QUALIFIER_WORDS = {
    "potential": "potential",
    "official": "official",
    "potential_and_official": "potential and official",
}
REASON_LABELS = {
    "no_national_figure": "no national figure",
    "figures_agree": "the figures agree",
    "national_suppressed": f"national figure {PRIMARY_TEXT}: may agree",
    "potential_vs_official": "potential or official victims",
    "counting_unit": "suspects or defendants, not persons",
    "reporting_period": "reporting period",
}
# a national figure withheld by secondary suppression: only a reason the figures do not decide
WITHHELD = "withheld"
WITHHELD_LABEL = "national figure withheld"
TOP_DIFFERENCES = 3


@dataclass
class Comparison:
    """One TIP figure (stated alike in one or more editions) beside the national figure."""

    code: str
    year: int
    tip_indicator: str
    national_indicator: str
    tip_value: int
    qualifier: str | None
    editions: list[int]
    href: str | None
    cell: tuple
    national_status: str  # not_reported | secondary | primary | shown
    diff: Bounds | None  # TIP minus national, from the published figures
    reason: str

    @property
    def tip_bounds(self) -> Bounds:
        return published_bounds(self.tip_value, self.tip_value)

    @property
    def size(self) -> int:
        """The smallest difference the published figures allow (0 when they may agree)."""
        if self.diff is None or self.diff[0] <= 0 <= self.diff[1]:
            return 0
        return min(abs(self.diff[0]), abs(self.diff[1]))


def published_reason(
    tip_indicator: str, qualifier: str | None, tip: Bounds, national: Bounds | None, status: str
) -> str:
    """The table's rule on the published figures; for a withheld national figure, only the
    reasons that do not depend on its value."""
    if status == "secondary":
        if qualifier in TIP_QUALIFIERS or tip_indicator in (
            "potential_victims",
            "official_victims",
        ):
            return "potential_vs_official"
        return "counting_unit" if tip_indicator in TIP_OTHER_UNITS else WITHHELD
    return likely_reason(tip_indicator, qualifier, tip, national)


def comparisons(f: Facts) -> list[Comparison]:
    """The distinct TIP figures of the region's members (a figure several editions state alike
    is one), in the region's order, then by year and indicator."""
    t = f.t[TABLE]
    if t.empty:
        return []
    t = t[t["jurisdiction"].isin(f.codes)]
    out = []
    keys = ["jurisdiction", "year", "tip_indicator", "tip_value"]
    for (code, year, tip_ind, value), rows in t.groupby(keys, sort=False):
        rows = rows.sort_values("tip_report_year")
        qualifiers = [q for q in rows["tip_qualifier"] if as_str(q)]
        qualifier = qualifiers[0] if qualifiers else None
        national_ind = str(rows["national_indicator"].iloc[0])
        cell = cell_id(str(code), int(year), national_ind)
        status = f.dc.status(cell)
        national = f.bounds(cell)
        tip = published_bounds(int(value), int(value))
        out.append(
            Comparison(
                code=str(code),
                year=int(year),
                tip_indicator=str(tip_ind),
                national_indicator=national_ind,
                tip_value=int(value),
                qualifier=qualifier,
                editions=sorted({int(y) for y in rows["tip_report_year"]}),
                href=safe_href(as_str(rows["tip_source_url"].iloc[-1])),
                cell=cell,
                national_status=status,
                diff=difference(tip, national) if status != "secondary" else None,
                reason=published_reason(str(tip_ind), qualifier, tip, national, status),
            )
        )
    order = {code: i for i, code in enumerate(f.codes)}
    return sorted(out, key=lambda c: (order[c.code], c.year, c.tip_indicator, c.tip_value))


def count(n: int, noun: str) -> str:
    """ "6 figures": in digits, as the tables beside them (a count, never the roster's size)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def difference_text(diff: Bounds | None, status: str) -> str:
    if status == "secondary":
        return "[c]"
    if diff is None:
        return "–"
    low, high = (f"{d:+,}".replace("-", "−") if d else "0" for d in diff)
    return low if diff[0] == diff[1] else f"{low} to {high}"


def tip_words(c: Comparison) -> str:
    label = TIP_LABELS.get(c.tip_indicator, c.tip_indicator.replace("_", " "))
    if c.qualifier and c.tip_indicator == "victims_identified":
        label = f"{label} ({QUALIFIER_WORDS.get(c.qualifier, c.qualifier)})"
    return label


def largest(items: list[Comparison], n: int = TOP_DIFFERENCES) -> list[Comparison]:
    """The largest difference of each jurisdiction, the `n` largest of those."""
    best: dict[str, Comparison] = {}
    for c in items:
        if c.size > 0 and (c.code not in best or c.size > best[c.code].size):
            best[c.code] = c
    return sorted(best.values(), key=lambda c: (-c.size, c.code))[:n]


def largest_sentence(f: Facts, items: list[Comparison]) -> str:
    top = largest(items)
    if not top:
        return "No TIP figure differs from the national figure beside it in this run."
    parts = []
    for c in top:
        more = f"{c.size:,} {'more' if c.diff[0] > 0 else 'fewer'}"
        more = more if c.diff[0] == c.diff[1] else f"at least {more}"
        parts.append(
            f"{f.names.of(c.code)} in {c.year}: {count_text(c.tip_value, c.tip_value)} "
            f"{tip_words(c)} in the TIP report against {f.text(c.cell)} "
            f"{INDICATOR_LABELS[c.national_indicator].lower()} in the national statistics "
            f"({more}; likely reason: "
            f"{REASON_LABELS.get(c.reason, WITHHELD_LABEL)})"
        )
    lead = "The largest difference is" if len(parts) == 1 else "The largest differences are"
    return f"{lead} in " + "; in ".join(parts) + "."


def _intro(f: Facts, items: list[Comparison]) -> list:
    editions = sorted({y for c in items for y in c.editions})
    blocks = [
        Paragraph(
            "The US Department of State's annual Trafficking in Persons (TIP) report quotes "
            "figures that each government gives it: victims identified, investigations, "
            "prosecutions and convictions. This chapter sets each of them beside the national "
            "statistics of the same jurisdiction, year and indicator. The two are compared, "
            "never added together, and one never replaces the other."
        ),
        Paragraph(
            "They rarely count the same thing. The TIP report often counts potential victims "
            "(persons referred for identification) apart from officially recognised ones, "
            "where the national statistics count every victim detected under the national "
            "definition. It counts suspects and defendants in the cases opened in its reporting "
            "period, where the national statistics count persons at each stage. And an edition "
            "of year N describes mostly the year before as the government reported it then, "
            "while the national figure of that year may have been completed since. A national "
            f"figure given only as {PRIMARY_TEXT} may agree with the TIP figure or not.",
            lead="Why the two differ.",
        ),
    ]
    if items:
        blocks.append(
            Paragraph(
                f"{count(len(items), 'TIP figure')} of {count(len(editions), 'edition')} "
                f"({years_text(editions)}) are compared below (a figure several editions state "
                "alike counts once). Each difference is the TIP figure minus the national one, "
                "computed from the figures as published here, with the first likely reason of "
                "this list that applies:"
            )
        )
        counts = {r: sum(c.reason == r for c in items) for r in (*TRIANGULATION_REASONS, WITHHELD)}
        blocks.append(
            ListBlock.of(
                [
                    f"{capitalise(REASON_LABELS[r])} ({count(n, 'figure')}): "
                    f"{TRIANGULATION_REASONS[r]}."
                    for r, n in counts.items()
                    if r != WITHHELD
                ]
                + (
                    [
                        f"{capitalise(WITHHELD_LABEL)} ({count(counts[WITHHELD], 'figure')}): "
                        "no reason can be given without revealing it."
                    ]
                    if counts[WITHHELD]
                    else []
                ),
                style="compact",
            )
        )
    left_out = unmapped_tip_figures(f.t["us_tip_figures"])
    if left_out:
        what = " and ".join(TIP_LABELS.get(k, k) for k in left_out)
        blocks.append(
            Paragraph(
                f"The TIP reports state {count(sum(left_out.values()), 'more figure')} counting "
                f"{what}: the national statistics count persons and offences, never cases, so "
                "these are left out of the comparison."
            )
        )
    return blocks


def _table(f: Facts, num: Numbering, code: str, items: list[Comparison]):
    rows = []
    for c in items:
        tip_cls = "count" + (" suppressed" if c.tip_value < THRESHOLD else "")
        editions = ", ".join(str(y) for y in c.editions)
        rows.append(
            [
                Cell(str(c.year)),
                Cell(f"{tip_words(c)} (TIP {editions})"),
                Cell(count_text(c.tip_value, c.tip_value), tip_cls, href=c.href),
                Cell(INDICATOR_LABELS[c.national_indicator]),
                f.count_cell(c.cell),
                Cell(difference_text(c.diff, c.national_status), "num"),
                Cell(REASON_LABELS.get(c.reason, WITHHELD_LABEL)),
            ]
        )
    t = f.t[TABLE]
    years = [c.year for c in items]
    return num.table(
        f"tab-tip-{code.lower()}",
        f"{f.names.of(code)}: US TIP report figures beside the national statistics, "
        f"{min(years)}–{max(years)}",
        f.source_line(
            "source_triangulation, harmonised_statistics",
            t[t["jurisdiction"] == code],
            extra="TIP figures from the us_tip_figures reference file, each linked to its page",
        ),
        [
            "Year",
            "TIP report: what it counts (editions)",
            "TIP",
            "National statistics",
            "National",
            "TIP − national",
            "Likely reason",
        ],
        rows,
        col_classes=["", "", "num", "", "num", "num", ""],
        compact=True,
    )


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    if TABLE in f.missing_tables or f.t[TABLE].empty:
        section.add(Note("No US TIP report figures in this run.", "empty"))
        return section
    items = comparisons(f)
    section.add(num.heading("Why the two differ"), *_intro(f, items))
    section.add(num.heading("The largest differences"), Paragraph(largest_sentence(f, items)))
    section.add(num.heading("Figure by figure"))
    by_code: dict[str, list[Comparison]] = {}
    for c in items:
        by_code.setdefault(c.code, []).append(c)
    for code in f.codes:
        if code in by_code:
            section.add(_table(f, num, code, by_code[code]))
    missing = [code for code in f.codes if code not in by_code]
    if missing:
        section.add(Note(f"No TIP figures for {f.names.list(missing)}.", "note"))
    return section
