"""Methodology: sources, harmonisation, counts given as `<5` and disclosure control, trends,
mechanism scores, recommendations."""

from __future__ import annotations

from wbtip_pipeline.presentation.blocks import ListBlock, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, SECONDARY_TEXT, THRESHOLD
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import AGE_LABELS, INDICATOR_LABELS
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import number_word, pct, plural, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.transforms import trends as trend_rules
from wbtip_pipeline.vocab import (
    DATED_AFTER_YEARS,
    INDICATORS,
    MIN_SHARED_GAP,
    RANKABLE_COVERAGE,
    SOURCE_WEIGHTS,
)


def member_files(f: Facts) -> dict[str, list[str]]:
    """{code: file names} of each member: the provenance's files named after the member's code
    (`<code>_...`), and the files its statistics cite."""
    provenance = sorted((f.provenance.get("source_files") or {}).keys())
    h = f.h
    out = {}
    for code in f.codes:
        files = {name for name in provenance if name.lower().startswith(code.lower() + "_")}
        if not h.empty:
            files.update(f.source_files(h[h["jurisdiction"] == code]))
        out[code] = sorted(files)
    return out


def reference_files(f: Facts, by_member: dict[str, list[str]]) -> list[str]:
    """The provenance's files that belong to no member (population, checklist, tiers)."""
    own = {name for files in by_member.values() for name in files}
    return [n for n in sorted((f.provenance.get("source_files") or {}).keys()) if n not in own]


def source_lines(f: Facts) -> list[str]:
    """One line per member: how many files were read and which years its statistics cover."""
    by_member = member_files(f)
    lines = []
    for code in f.codes:
        files = plural(len(by_member[code]), "file")
        years = f.years_of(code)
        covered = f"statistics for {years_text(years)}" if years else "no statistics"
        lines.append(f"{f.names.of(code)}: {files}, {covered}")
    return lines


def trend_method(f: Facts) -> str:
    ts = f.t["trend_summary"]
    return str(ts["method"].iloc[0]) if not ts.empty and "method" in ts else ""


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    annex_a = outline.ref("data-quality-annex")

    section.add(
        num.heading("Sources"),
        Paragraph(
            "Each jurisdiction sends its trafficking-in-persons statistics in its own layout, "
            "language and encoding, and an assessment of its counter-trafficking mechanisms "
            "against a common checklist. The statistics read in this run:"
        ),
        ListBlock.of(source_lines(f)),
    )
    n_reference = len(reference_files(f, member_files(f)))
    reference = (
        f" ({plural(n_reference, 'file')}, with their SHA-256 in {outline.ref('provenance')})"
        if n_reference
        else ""
    )
    section.add(
        Paragraph(
            "Reference data: the World Bank population series (SP.POP.TOTL) for rates, the "
            "counter-trafficking checklist (each item tied to the Council of Europe Convention "
            "on Action against Trafficking in Human Beings, the OSCE/ODIHR National Referral "
            "Mechanisms handbook or EU Directive 2011/36/EU), the US TIP report tiers and the "
            "figures its editions state (set beside the national statistics, never merged with "
            f"them, in {outline.ref('source-triangulation')}){reference}."
        )
    )

    indicators = ", ".join(INDICATOR_LABELS[i].lower() for i in INDICATORS)
    ages = ", ".join(AGE_LABELS[a].lower() for a in ("child", "adult"))
    section.add(
        num.heading("Harmonisation"),
        Paragraph(
            "A configuration file per jurisdiction maps its labels to one set of codes: "
            f"{number_word(len(INDICATORS))} indicators ({indicators}), breakdowns by sex, age "
            f"({ages}), form of exploitation and citizenship or country of repatriation. "
            "Country names become ISO 3166-1 alpha-3 codes (user-assigned codes where ISO has "
            "none). Rows that share a key (unnamed sub-forms of other exploitation, two "
            "spellings of a country) are added up as intervals. A combination that no source "
            "reports has no row: absent means not reported, never zero. Checks that contradict "
            "a total (a breakdown exceeding it, convictions exceeding prosecutions, sudden "
            "jumps) warn and never change a figure; they are listed in "
            f"{annex_a}."
        ),
    )

    section.add(
        num.heading(f"Counts given as {PRIMARY_TEXT}, and disclosure control"),
        Paragraph(
            f"A source's {PRIMARY_TEXT} is kept as the interval from 0 to {THRESHOLD - 1}. Sums "
            "add the lower bounds and the upper bounds; rates and shares are computed at both "
            "ends. No interval is replaced by a guessed value."
        ),
        Paragraph(
            "Everything published follows the same rules. Primary suppression: a count below "
            f"{THRESHOLD} is shown as {PRIMARY_TEXT}; a range that starts below {THRESHOLD} is "
            "shown by its upper bound (≤). Secondary suppression: where a breakdown and its "
            "total are shown and exactly one cell is suppressed, that cell could be recovered "
            "by subtraction, so the smallest other cell is withheld as well and shown as "
            f"{SECONDARY_TEXT}; this is repeated until no breakdown (by sex, age, form, "
            "citizenship, or the jurisdictions with the regional sum) allows it. Rates, shares "
            "and sums in this report are computed from the published counts only. "
            f"{annex_a} lists the suppressions."
        ),
    )

    method = trend_method(f)
    section.add(
        num.heading("Trends"),
        Paragraph(
            f"The direction of a series is read from its {trend_rules.RECENT_YEARS} most recent "
            f"reported years{': ' + method if method else ''}. A verdict needs at least "
            f"{trend_rules.MIN_EXACT_YEARS} exact years and at most "
            f"{trend_rules.MAX_SUPPRESSED_YEARS} year given as an interval, without a missing "
            "year inside the window. Otherwise the report says that the data cannot tell, and "
            "why; it never reads a direction from a series that cannot carry one."
        ),
    )

    section.add(
        num.heading("Mechanism scores"),
        Paragraph(
            "Each checklist item is scored 0 (not met), 1 (partly met) or 2 (met in law and "
            "practice) from dated evidence with its published source. The most recent year "
            "assessed counts, and the report gives that year with every statement; two sources "
            "that disagree for that year are a conflict, listed in "
            f"{annex_a} and never averaged. A domain's score is the mean of its known items; "
            "unknown items are left out, never counted as 0, and a domain is ranked across "
            f"jurisdictions only where at least {pct(RANKABLE_COVERAGE)} of its items are "
            f"known. An item that is a gap in at least {MIN_SHARED_GAP} jurisdictions is a "
            "shared gap."
        ),
        Paragraph(evidence_sources_text(f, outline)),
    )

    section.add(
        num.heading("Recommendations"),
        Paragraph(
            "Recommendations are generated by rules from the tables of this report (mechanism "
            "gaps, trends, data gaps, flows). Each carries an urgency in the wording of "
            "monitoring bodies (urge, consider, invite), the evidence rows it rests on and a "
            "priority rank within its jurisdiction; its identifier is stable across refreshes."
        ),
        Paragraph(
            "The priority weighs the rule, the number of evidence rows and their age (half "
            "the weight for every five years behind the most recent year of their table, and "
            "half again for dated evidence), and the sources of the evidence: a statement read "
            "from its publisher counts in full, "
            + ", ".join(
                f"{SOURCE_LABELS[t]} {SOURCE_WEIGHTS[t]:g}" for t in ("media", "mirror", "unknown")
            )
            + "."
        ),
    )
    return section


SOURCE_LABELS = {
    "media": "a news report of another's findings",
    "mirror": "a copy of another publisher's document",
    "unknown": "a site no one has identified",
}


def evidence_sources_text(f: Facts, outline: Outline) -> str:
    """How the sources of the assessments are graded and when evidence is dated."""
    sources = f.t["evidence_sources"]
    text = (
        "Every statement cites the web page it was read from. Each site is graded by an "
        "evidence registry that analysts keep: who publishes it and whether it speaks for "
        "itself or republishes another's document (a mirror); a site the registry does not "
        "identify is unknown, never guessed. The report cites the original publisher of a "
        "copy and says so when a statement rests only on a copy or an unidentified site"
    )
    if not sources.empty and "source_type" in sources:
        weak = sources["source_type"].isin(["mirror", "unknown"])
        n, n_weak = int(sources["n_statements"].sum()), int(sources[weak]["n_statements"].sum())
        text += (
            f": {n_weak:,} of the {n:,} statements on file were read from such pages "
            f"({outline.ref('provenance')} lists the sites)"
        )
    text += "."
    if f.last_year is not None:
        cutoff = f.last_year - DATED_AFTER_YEARS - 1
        text += (
            f" Evidence from {cutoff} or earlier, more than {number_word(DATED_AFTER_YEARS)} "
            f"years before {f.last_year}, the newest year of the statistics, is marked as dated "
            f'("dated: {cutoff}") and weighs less in the priorities.'
        )
    return text
