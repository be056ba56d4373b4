"""The annexes: A, data quality (findings of the checks, completeness, suppressed cells,
conflicts between sources); B, provenance (the run, the source files with their SHA-256, the
warehouse tables read). The one place where run ids and file names are printed."""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.presentation import charts
from wbtip_pipeline.presentation.blocks import Cell, Note, Paragraph, Section, Table
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, SECONDARY_TEXT, mask_counts_in_text
from wbtip_pipeline.presentation.facts import TABLE_NAMES, Facts
from wbtip_pipeline.presentation.labels import (
    INDICATOR_SHORT,
    STATUS_COLORS,
    STATUS_LABELS,
    check_label,
    indicators_in_words,
)
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import as_int, as_str, pct, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.vocab import INDICATORS, SEVERITIES

ALL_JURISDICTIONS = "ALL"  # data_quality_issues.jurisdiction of a finding about every source


# --- Annex A ----------------------------------------------------------------------------------


def sorted_findings(f: Facts) -> pd.DataFrame:
    """Errors first, then by jurisdiction (region order), year and check."""
    dq = f.t["data_quality_issues"]
    if dq.empty:
        return dq
    order = {code: i for i, code in enumerate(f.codes)}
    dq = dq.assign(
        _s=dq["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).fillna(9),
        _j=dq["jurisdiction"].map(lambda c: order.get(c, 99)),
    )
    return dq.sort_values(["_s", "_j", "year", "check_name"], na_position="first")


def findings_tables(f: Facts, num, dq: pd.DataFrame) -> list[Table]:
    out = []
    if not dq.empty:
        counts = dq.groupby(["check_name", "severity"]).size().reset_index(name="n")
        out.append(
            num.table(
                "tab-dq-counts",
                "Data-quality findings by check and severity",
                f.source_line("data_quality_issues"),
                ["Check", "Severity", "Findings"],
                [
                    [
                        Cell(check_label(str(r.check_name)), "rowhead"),
                        Cell(r.severity),
                        Cell(str(int(r.n)), "num"),
                    ]
                    for r in counts.itertuples(index=False)
                ],
                col_classes=["", "", "num"],
                compact=True,
            )
        )
    out.append(
        num.table(
            "tab-dq",
            "Every data-quality finding of this run",
            f.source_line(
                "data_quality_issues",
                extra="counts quoted in the messages follow the disclosure rules",
            ),
            ["#", "Jurisdiction", "Year", "Severity", "Check", "Finding", "Source file"],
            [
                [
                    Cell(str(i), "num"),
                    Cell(
                        "all"
                        if r.jurisdiction == ALL_JURISDICTIONS
                        else f.names.of(str(r.jurisdiction))
                    ),
                    Cell(as_str(as_int(r.year))),
                    Cell(str(r.severity), f"severity-{r.severity}"),
                    Cell(check_label(str(r.check_name)), "small"),
                    Cell(indicators_in_words(mask_counts_in_text(str(r.message))), "small"),
                    Cell(as_str(r.source_file), "small"),
                ]
                for i, r in enumerate(dq.itertuples(index=False), start=1)
            ],
            compact=True,
        )
    )
    return out


def completeness_chart(f: Facts, num):
    gaps = f.t["data_gaps"]
    if gaps.empty:
        return None
    g = gaps[gaps["breakdown"] == "total"]
    years = sorted(int(y) for y in g["year"].unique())
    rows, colors, texts = [], [], []
    for code in f.codes:
        for ind in INDICATORS:
            part = g[(g["jurisdiction"] == code) & (g["indicator"] == ind)].set_index("year")
            rows.append(f"{f.names.of(code)} · {INDICATOR_SHORT[ind]}")
            colors.append(
                [
                    STATUS_COLORS.get(part.loc[y, "status"]) if y in part.index else None
                    for y in years
                ]
            )
            texts.append(["" for _ in years])
    return num.figure(
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
            source=f.source_line("data_gaps (breakdown total)"),
            alt="Grid of reporting status per jurisdiction, indicator and year.",
            legend=[(STATUS_LABELS[k], v or "#ffffff") for k, v in STATUS_COLORS.items()],
            cell_height=0.15,
            fontsize=5,
        )
    )


def completeness_table(f: Facts, num) -> Table | None:
    summary = f.t["data_gap_summary"]
    if summary.empty:
        return None
    s = summary.sort_values("rank_worst_first")
    return num.table(
        "tab-completeness",
        "Completeness by jurisdiction, widest data gap first",
        f.source_line("data_gap_summary"),
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
                Cell(f.names.of(r.jurisdiction), "rowhead"),
                Cell(as_str(as_int(r.first_year))),
                Cell(as_str(as_int(r.last_year))),
                Cell(str(int(r.n_years_reported)), "num"),
                Cell(
                    years_text(int(float(y)) for y in as_str(r.missing_years).split(",") if y)
                    if as_str(r.missing_years)
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


def suppression_counts(f: Facts) -> dict[tuple[str, str], list[int]]:
    """{(member, indicator): [cells, primary, secondary]} over harmonised_statistics (the
    region's sums left out)."""
    d = f.dc
    per: dict[tuple[str, str], list[int]] = {}
    for cell in d.values:
        j, ind = cell[0], cell[2]
        if j == f.region.code:
            continue
        entry = per.setdefault((j, ind), [0, 0, 0])
        entry[0] += 1
        status = d.status(cell)
        if status == "primary":
            entry[1] += 1
        elif status == "secondary":
            entry[2] += 1
    return per


def suppression_blocks(f: Facts, num) -> list:
    d = f.dc
    per = suppression_counts(f)
    rows = [
        [
            Cell(f.names.of(code), "rowhead"),
            Cell(INDICATOR_SHORT[ind]),
            *(Cell(f"{n:,}", "num") for n in per[(code, ind)]),
        ]
        for code in f.codes
        for ind in INDICATORS
        if (code, ind) in per
    ]
    in_report = [w for w in d.log if w.cell in f.shown]
    return [
        Paragraph(
            f"{len(d.log)} cells of the harmonised statistics are withheld by secondary "
            f"suppression, {len(in_report)} of them among the figures shown in this report. "
            "The complete list is published with the report as a table of secondary "
            "suppressions."
        ),
        num.table(
            "tab-suppression-counts",
            f"Cells of the harmonised statistics shown as {PRIMARY_TEXT} (primary) and withheld as "
            f"{SECONDARY_TEXT} (secondary), by jurisdiction and indicator",
            f.source_line("harmonised_statistics", extra="disclosure control of this report"),
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
        ),
        num.table(
            "tab-secondary",
            "Secondary suppressions among the figures shown in this report "
            f"({len(in_report)} of {len(d.log)} in the whole table)",
            f.source_line(
                "harmonised_statistics, trends",
                extra="the complete list is published with the report as a table of "
                "secondary suppressions",
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
        ),
    ]


def conflict_table(f: Facts, num) -> Table | None:
    conflicts = f.t["mechanism_conflicts"]
    if conflicts.empty:
        return None
    return num.table(
        "tab-conflicts",
        "Assessments that disagree (same jurisdiction, item and year)",
        f.source_line("mechanism_conflicts"),
        ["Jurisdiction", "Item", "Year", "Score", "All scores", "Evidence", "Published by", "File"],
        [
            [
                Cell(f.names.of(r.jurisdiction), "rowhead"),
                Cell(r.item_id),
                Cell(f.citations.year_text(r.year)),
                Cell(str(int(r.score)), "num"),
                Cell(str(r.conflicting_scores)),
                Cell(as_str(r.evidence), "small", href=f.citations.href(r.source_url)),
                Cell(f.citations.cite(r.source_url).text, "small"),
                Cell(f"{r.source_file} {r.source_row}", "small"),
            ]
            for r in conflicts.itertuples(index=False)
        ],
        compact=True,
        note=f.citations.dated_note()
        if any(f.citations.is_dated(y) for y in conflicts["year"])
        else "",
    )


def n_consistency_findings(dq: pd.DataFrame) -> int:
    """Findings that are contradictions between figures of one source."""
    if dq.empty:
        return 0
    names = dq["check_name"].astype(str)
    return int(
        (names.str.startswith("breakdown_") | (names == "convictions_exceed_prosecutions")).sum()
    )


def build_quality(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    dq = sorted_findings(f)

    first = num.heading("Findings of the checks")
    section.add(
        first,
        Paragraph(
            f"{len(dq)} findings in this run. Errors blocked a jurisdiction's refresh (its last "
            "good figures were kept); warnings flag figures that were kept as reported."
        ),
        *findings_tables(f, num, dq),
    )

    chart, table = completeness_chart(f, num), completeness_table(f, num)
    section.add(num.heading("Completeness"), chart, table)
    if chart is None and table is None:
        section.add(Note("No data gaps in this run.", "empty"))

    section.add(num.heading("Suppressed cells"), *suppression_blocks(f, num))

    section.add(num.heading("Conflicts between sources"))
    section.add(
        conflict_table(f, num)
        or Note("No two assessments of the same item and year disagree in this run.", "empty")
    )
    section.add(
        Paragraph(
            f"{n_consistency_findings(dq)} of the findings in {first.number} are contradictions "
            "between figures of one source (a breakdown against its total, convictions against "
            "prosecutions)."
        )
    )
    return section


# --- Annex B ----------------------------------------------------------------------------------


def build_provenance(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    p = f.provenance
    section.add(
        num.table(
            "tab-run",
            "Run",
            "Source: the run's provenance.",
            ["Field", "Value"],
            [
                [Cell(label, "rowhead"), Cell(str(p.get(key, "")), "mono")]
                for label, key in (
                    ("Run id", "run_id"),
                    ("Code version", "code_version"),
                    ("Generated", "generated_at"),
                )
            ],
            compact=True,
        )
    )
    files = p.get("source_files") or {}
    section.add(
        num.table(
            "tab-provenance",
            "Source files read by this run, with their SHA-256",
            "Source: the run's provenance (Dagster asset metadata of the source assets).",
            ["File", "SHA-256"],
            [
                [Cell(n, "rowhead small"), Cell(str(h), "mono small")]
                for n, h in sorted(files.items())
            ],
            compact=True,
        ),
        num.table(
            "tab-tables-read",
            "Warehouse tables the report was built from",
            "Source: the warehouse of this run.",
            ["Table", "Rows"],
            [
                [
                    Cell(k, "rowhead"),
                    Cell(
                        f"{len(f.t[k]):,}" if k not in f.missing_tables else "not available",
                        "num",
                    ),
                ]
                for k in TABLE_NAMES
            ],
            col_classes=["", "num"],
            compact=True,
        ),
        evidence_sites_table(f, num),
    )
    return section


SOURCE_TYPE_LABELS = {
    "government": "government",
    "international_organisation": "international organisation",
    "us_government": "US government",
    "ngo": "NGO",
    "academic": "academic",
    "media": "media",
    "mirror": "copy (mirror)",
    "unknown": "unknown",
}


def evidence_sites_table(f: Facts, num) -> Table | None:
    """The web sites the statements were read from, with their publisher and grade."""
    sources = f.t["evidence_sources"]
    if sources.empty or "domain" not in sources:
        return None
    sites = (
        sources.assign(domain=sources["domain"].fillna(sources["url"]))
        .groupby(["domain", "source_type"], dropna=False, sort=True)
        .agg(
            publisher=("publisher", "first"),
            original=("original_publisher", "first"),
            pages=("url", "size"),
            statements=("n_statements", "sum"),
        )
        .reset_index()
    )
    return num.table(
        "tab-evidence-sources",
        "Web sites the statements were read from: publisher and grade",
        f.source_line(
            "evidence_sources", extra="grades from the evidence registry kept by the analysts"
        ),
        ["Site", "Publisher", "Grade", "Copy of", "Pages", "Statements"],
        [
            [
                Cell(str(r.domain), "rowhead small"),
                Cell(as_str(r.publisher) or "not identified", "small"),
                Cell(SOURCE_TYPE_LABELS.get(str(r.source_type), str(r.source_type)), "small"),
                Cell(as_str(r.original), "small"),
                Cell(str(int(r.pages)), "num"),
                Cell(f"{int(r.statements):,}", "num"),
            ]
            for r in sites.itertuples(index=False)
        ],
        col_classes=["", "", "", "", "num", "num"],
        compact=True,
    )
