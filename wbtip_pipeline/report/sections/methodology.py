"""Methodology, in two parts. First, for a reader who is not a statistician: where the figures
come from, what a detected victim is, how small counts are shown (`<5`, `[c]`), what a rate per
100,000 means, how a trend verdict is decided, how the checklist is scored, how evidence is
graded and dated, and how recommendations are ranked. Then technical notes for a reviewer
(harmonisation, disclosure control, the trend model, scoring rules, priority weights).

Every threshold is quoted from its constant (`vocab.py`, `transforms/trends.py`,
`transforms/recommendations.py`) and every example from the tables, so the text cannot drift
from what the pipeline does.
"""

from __future__ import annotations

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
    cell_id,
)
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import (
    AGE_LABELS,
    DIRECTION_LABELS,
    INDICATOR_LABELS,
    verdicts_in_words,
)
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import number_word, pct, plural, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.transforms import trends as trend_rules
from wbtip_pipeline.transforms.recommendations import (
    DATED_FACTOR,
    EVIDENCE_CAP,
    RECENCY_HALF_LIFE_YEARS,
)
from wbtip_pipeline.vocab import (
    DATED_AFTER_YEARS,
    INDICATORS,
    MAX_CI_WIDTH,
    MIN_SHARED_GAP,
    RANKABLE_COVERAGE,
    SCORE_MEANINGS,
    SOURCE_TYPES,
    SOURCE_WEIGHTS,
    STABLE_BAND,
    TOP_PRIORITIES,
)

TECHNICAL = "Technical notes for reviewers"
# Who publishes a page, in words, for each evidence_sources.source_type (in that order)
SOURCE_TYPE_LABELS = {
    "government": "a government or public authority, speaking for itself",
    "international_organisation": "an international organisation",
    "us_government": "the US government, whose State Department publishes the TIP reports",
    "ngo": "a non-governmental organisation",
    "academic": "a university or research body",
    "media": "a news outlet reporting another's findings",
    "mirror": "a copy of another publisher's document on a third party's site",
    "unknown": "a site no one has identified",
}
SOURCE_LABELS = {
    "media": "a news report of another's findings",
    "mirror": "a copy of another publisher's document",
    "unknown": "a site no one has identified",
}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def factor_words(factor: float) -> str:
    return "half" if factor == 0.5 else f"{factor:g} times"


# --- sources -------------------------------------------------------------------------------


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


# --- examples from the tables --------------------------------------------------------------


def rate_example(f: Facts) -> str:
    """ "Albania's 85 victims detected in 2021, in a population of 2.8 million, make 3.01 per
    100,000": the latest exact, published count with a population, of the first member that
    has one; "" when none has."""
    for code in f.codes:
        for year in reversed(f.years_of(code, "victims_detected")):
            cell = cell_id(code, year, "victims_detected")
            bounds = f.dc.bounds(cell)
            population = f.population.get((code, year))
            if bounds is None or bounds[0] != bounds[1] or bounds[0] < THRESHOLD or not population:
                continue
            rate = f.victim_rate(code, year)
            people = (
                f"{population / 1e6:.1f} million"
                if population >= 1e6
                else f"{round(population, -3):,.0f}"
            )
            return (
                f"{f.names.of(code)}'s {f.text(cell)} victims detected in {year}, in a "
                f"population of {people}, make {rate[0]:.2f} per 100,000"
            )
    return ""


def trend_example(f: Facts) -> str:
    """A verdict on detected victims as the report prints it, from the first member with one
    (a "no clear trend" preferred: the verdict most often misread); "" when none has one."""
    found = []
    for code in f.codes:
        verdict = figures.verdict_of(f, code)
        if verdict and verdict["estimate"]:
            found.append((verdict["direction"] != "no_clear_trend", code, verdict))
    if not found:
        return ""
    _, code, verdict = min(found, key=lambda t: t[0])
    return (
        f"For example, victims detected in {f.names.of(code)} over {verdict['window']} show "
        f"{verdict['label']}: {verdict['estimate']}."
    )


def source_type_counts(f: Facts) -> dict[str, int]:
    sources = f.t["evidence_sources"]
    if sources.empty or "source_type" not in sources:
        return {}
    counts = sources.groupby("source_type")["n_statements"].sum()
    return {t: int(counts.get(t, 0)) for t in SOURCE_TYPES}


# --- part one: in plain words --------------------------------------------------------------


def sources_part(f: Facts, outline: Outline, num) -> list:
    n_reference = len(reference_files(f, member_files(f)))
    reference = (
        f" ({plural(n_reference, 'file')}, with their SHA-256 in {outline.ref('provenance')})"
        if n_reference
        else ""
    )
    # the files of the reference data are counted, never named: the provenance annex names them
    return [
        num.heading("Where the figures come from"),
        Paragraph(
            "Each jurisdiction's authorities publish or send their trafficking-in-persons "
            "statistics in their own layout and language. The report reads them as they are, "
            "turns their labels into one common set of categories, and never changes a figure. "
            "The statistics read for this edition:"
        ),
        ListBlock.of(source_lines(f)),
        Paragraph(
            f"Reference data{reference}: the World Bank population series (SP.POP.TOTL) for "
            "rates, the "
            "counter-trafficking checklist (each item tied to the Council of Europe Convention "
            "on Action against Trafficking in Human Beings, the OSCE/ODIHR National Referral "
            "Mechanisms handbook or EU Directive 2011/36/EU), the US TIP report tiers and the "
            "figures its editions state (set beside the national statistics, never merged with "
            f"them, in {outline.ref('source-triangulation')})."
        ),
    ]


def counted_part(num) -> list:
    others = _and([INDICATOR_LABELS[i].lower() for i in INDICATORS if i != "victims_detected"])
    return [
        num.heading("What is counted"),
        Paragraph(
            "A detected victim is a person whom the police, a social service, a specialised "
            "non-governmental organisation or another competent body recognised as a victim of "
            "trafficking in a given year, under the jurisdiction's own definition. Some "
            "jurisdictions count potential or presumed victims, others only those formally "
            "identified. The count says how many victims were found, not how many people were "
            "trafficked: where identification improves, the count rises, and a victim nobody "
            "recognises is not counted at all. It is not a measure of prevalence."
        ),
        Paragraph(
            f"The other indicators follow a case through the criminal-justice system: {others}. "
            "They count different people and different moments (a person convicted this year "
            "may have been prosecuted years before), so one cannot be divided by another as if "
            f"they were one cohort. A figure a jurisdiction did not report is shown as "
            f"{NOT_REPORTED_TEXT}: not reported, never zero."
        ),
    ]


def small_numbers_part(outline: Outline, num) -> list:
    return [
        num.heading(f"Small numbers: {PRIMARY_TEXT} and {SECONDARY_TEXT}"),
        Paragraph(
            f"A count below {number_word(THRESHOLD)} is never printed. It is shown as "
            f"{PRIMARY_TEXT}, which means any number from 0 to {THRESHOLD - 1}. In a small "
            "country a breakdown of a handful of victims by sex, age and nationality could point "
            "to a person, and many sources already publish such counts only as "
            f"{PRIMARY_TEXT}. A {PRIMARY_TEXT} is carried through every calculation as a range: "
            "a sum that includes one is a range (shown as ≤ and its upper end when it could "
            f"start below {number_word(THRESHOLD)}), and so are the rates and shares computed "
            "from it."
        ),
        Paragraph(
            f"{SECONDARY_TEXT} marks a figure that is large enough to print but is withheld "
            f"because, with the total and the other figures beside it, it would let a reader "
            f"subtract their way to a hidden {PRIMARY_TEXT}. Rates, shares and sums are "
            f"computed from what is printed only, so they reveal nothing more. "
            f"{outline.ref('data-quality-annex')} lists every withheld figure."
        ),
    ]


def rates_part(f: Facts, num) -> list:
    example = rate_example(f)
    return [
        num.heading("Rates per 100,000 inhabitants"),
        Paragraph(
            "A rate divides a count by the population of the same year and multiplies it by "
            "100,000, so that jurisdictions of very different sizes can be set side by side"
            + (f": {example}." if example else ".")
            + " The population is the World Bank's estimate for that year; for the region it is "
            "the population of the jurisdictions that reported. A count given as a range gives "
            "a rate as a range, and a year without a population figure has no rate. A rate "
            "compares how many victims were detected, not how likely a person is to be "
            "trafficked."
        ),
    ]


def trends_part(f: Facts, outline: Outline, num) -> list:
    band = pct(STABLE_BAND)
    example = trend_example(f)
    label = DIRECTION_LABELS
    verdicts = [
        (
            f"{label['rising']} or {label['falling']}",
            "the whole interval lies above zero (or below it); the series "
            "moved in that direction by more than the ups and downs of single years explain.",
        ),
        (
            label["stable"],
            f"the whole interval lies within ±{band} a year; whatever the change, it is small.",
        ),
        (
            label["no_clear_trend"],
            f"the interval includes zero but reaches beyond ±{band} a year; the figures fit "
            "no change as well as a sizeable one. This is not the same as stable.",
        ),
        (
            label["insufficient_data"],
            f"fewer than {number_word(trend_rules.MIN_EXACT_YEARS)} years with an exact "
            f"count, more than {number_word(trend_rules.MAX_SUPPRESSED_YEARS)} year given only "
            f"as {PRIMARY_TEXT}, a missing year, for the region a change in who reports, or an "
            "interval too wide to say anything; the report then says why.",
        ),
    ]
    return [
        num.heading("How a trend is read"),
        Paragraph(
            "For each series (an indicator in a jurisdiction, or in the region) the report "
            f"takes the {number_word(trend_rules.RECENT_YEARS)} most recent years reported and "
            "estimates the average change per year, with a 95% interval: the range in which "
            "the true yearly change very probably lies, given how much the figures jump about "
            "from one year to the next. The verdict depends on where that interval lies:"
        ),
        ListBlock.of([f"{head.capitalize()}: {text}" for head, text in verdicts], style="facts"),
        Paragraph(
            "Every verdict is printed with its estimate and interval. "
            + (example + " " if example else "")
            + f"{capitalise(outline.ref('limitations'))} says how many series can carry one."
        ),
    ]


def mechanisms_part(f: Facts, outline: Outline, num) -> list:
    scores = [f"{s} ({m})" for s, m in SCORE_MEANINGS.items()]
    scores = ", ".join(scores[:-1]) + " or " + scores[-1]
    return [
        num.heading("How the mechanisms are scored"),
        Paragraph(
            "Each item of the counter-trafficking checklist is scored for each jurisdiction "
            f"{scores}, from dated evidence "
            "with its published source. The most recent assessment counts, and the report gives "
            "its year. An item that no evidence speaks to is unknown: it is left blank, never "
            "scored 0, because the lack of a source is not proof that a mechanism is missing."
        ),
        Paragraph(
            "A domain score is the average of the known items of the domain, also shown as a "
            "share of the maximum of 2. A domain is ranked across jurisdictions only where at "
            f"least {pct(RANKABLE_COVERAGE)} of its items are known; otherwise the score says "
            "how many items it rests on. An item that is a gap (not met or partly met) in at "
            f"least {number_word(MIN_SHARED_GAP)} jurisdictions is a shared gap, a candidate "
            f"for regional cooperation ({outline.ref('regional-cooperation')})."
        ),
    ]


def evidence_part(f: Facts, outline: Outline, num) -> list:
    counts = source_type_counts(f)
    lines = []
    for kind in SOURCE_TYPES:
        label = SOURCE_TYPE_LABELS[kind]
        if counts:
            n = counts[kind]
            # in digits, as the provenance annex's table counts them (never a roster's size)
            label += (
                f" ({n:,} statement{'' if n == 1 else 's'})" if n else " (none in this edition)"
            )
        lines.append(label[:1].upper() + label[1:])
    return [
        num.heading("How the evidence is graded and dated"),
        Paragraph(
            "Every statement behind a checklist score, a tier or a TIP figure cites the web "
            "page it was read from, and every page is graded by who publishes it:"
        ),
        ListBlock.of(lines, style="facts"),
        Paragraph(evidence_sources_text(f, outline)),
    ]


def recommendations_part(f: Facts, num) -> list:
    return [
        num.heading("How recommendations are prioritised"),
        Paragraph(
            "Recommendations are generated by rules from the tables of this report (mechanism "
            "gaps, trends, data gaps, flows). Each carries an urgency in the wording of "
            "monitoring bodies (urge, consider, invite), the evidence rows it rests on and a "
            "priority rank within its jurisdiction; its identifier is stable across refreshes. "
            "The urgency follows the scale of the Council of Europe's monitoring: urge for an "
            "obligation not met, consider for one partly met, invite for one on track."
        ),
        Paragraph(
            "Within a jurisdiction, recommendations that urge or ask to consider a change in law "
            "or practice, on evidence that is not dated, come first; then the urgent before the "
            "others; then "
            "those with the stronger evidence: more of it, more recent, and read from its "
            "publisher rather than from a copy, a news report or an unidentified site. The top "
            f"{number_word(TOP_PRIORITIES)} of each jurisdiction are its priority "
            "recommendations, the ones its chapter lists."
        ),
    ]


# --- part two: for reviewers ---------------------------------------------------------------


def technical_part(f: Facts, outline: Outline, num) -> list:
    annex_a = outline.ref("data-quality-annex")
    indicators = ", ".join(INDICATOR_LABELS[i].lower() for i in INDICATORS)
    ages = ", ".join(AGE_LABELS[a].lower() for a in ("child", "adult"))
    method = trend_method(f)
    weights = ", ".join(
        f"{SOURCE_LABELS[t]} {SOURCE_WEIGHTS[t]:g}" for t in ("media", "mirror", "unknown")
    )
    return [
        num.heading(TECHNICAL),
        Note(
            "The exact rules, for a reviewer who wants to check or reproduce the figures. The "
            "column descriptions of the published tables state the same rules."
        ),
        num.heading("Harmonisation", level=3),
        Paragraph(
            "A configuration file per jurisdiction maps its labels to one set of codes: "
            f"{number_word(len(INDICATORS))} indicators ({indicators}), breakdowns by sex, age "
            f"({ages}), form of exploitation and citizenship or country of repatriation. "
            "Country names become ISO 3166-1 alpha-3 codes (user-assigned codes where ISO has "
            "none). Rows that share a key (unnamed sub-forms of other exploitation, two "
            "spellings of a country) are added up as intervals. A combination that no source "
            "reports has no row: absent means not reported, never zero. Checks that contradict "
            "a total (a breakdown exceeding it, convictions exceeding prosecutions, sudden "
            f"jumps) warn and never change a figure; they are listed in {annex_a}."
        ),
        num.heading("Disclosure control", level=3),
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
            f"{SECONDARY_TEXT} (for the jurisdictions of a regional sum, the region's figure "
            "rather than a jurisdiction's own total); this is repeated until no breakdown (by "
            "sex, age, form, citizenship, or the jurisdictions with the regional sum) allows it. "
            "Rates, shares "
            f"and sums in this report are computed from the published counts only. {annex_a} "
            "lists the suppressions."
        ),
        num.heading("Trend model", level=3),
        Paragraph(
            f"The direction of a series is read from its {trend_rules.RECENT_YEARS} most recent "
            f"reported years{': ' + verdicts_in_words(method) if method else ''}. A verdict needs at least "
            f"{trend_rules.MIN_EXACT_YEARS} exact years and at most "
            f"{trend_rules.MAX_SUPPRESSED_YEARS} year given as an interval, without a missing "
            "year inside the window. Otherwise the report says that the data cannot tell, and "
            "why; it never reads a direction from a series that cannot carry one. Stable means "
            f"that exp(slope) − 1 lies within ±{pct(STABLE_BAND)} at both ends of the interval; "
            f"an interval of the slope wider than {MAX_CI_WIDTH:g} (log units) gives no verdict."
        ),
        num.heading("Mechanism scores", level=3),
        Paragraph(
            "The most recent year assessed counts; two sources that disagree for that year are "
            f"a conflict, listed in {annex_a} and never averaged. A domain's score is the mean "
            "of its known items; unknown items are left out, never counted as 0, and a domain "
            f"is ranked across jurisdictions only where at least {pct(RANKABLE_COVERAGE)} of "
            f"its items are known. An item that is a gap in at least {MIN_SHARED_GAP} "
            "jurisdictions is a shared gap."
        ),
        num.heading("Recommendation priorities", level=3),
        Paragraph(
            "Within the order above, the priority score weighs the rule, the number of evidence "
            f"rows (with diminishing returns, up to {EVIDENCE_CAP}) and their age "
            f"(half the weight for every {number_word(RECENCY_HALF_LIFE_YEARS)} years behind the "
            f"most recent year of their table, and {factor_words(DATED_FACTOR)} again for dated "
            "evidence), and the sources of the "
            f"evidence: a statement read from its publisher counts in full, {weights}."
        ),
    ]


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.add(
        Paragraph(
            "This section explains, without statistical vocabulary, how the figures and scores "
            "of the report are produced and what its symbols mean. The last part gives the "
            "exact rules for reviewers."
        ),
        *sources_part(f, outline, num),
        *counted_part(num),
        *small_numbers_part(outline, num),
        *rates_part(f, num),
        *trends_part(f, outline, num),
        *mechanisms_part(f, outline, num),
        *evidence_part(f, outline, num),
        *recommendations_part(f, num),
        *technical_part(f, outline, num),
    )
    return section


def evidence_sources_text(f: Facts, outline: Outline) -> str:
    """How the sources of the assessments are graded and when evidence is dated."""
    sources = f.t["evidence_sources"]
    text = (
        "The grades come from an evidence registry that analysts keep; a site the registry "
        "does not identify is unknown, never guessed. A copy (a mirror) is cited under its "
        "original publisher, and the report says so when a statement rests only on a copy or "
        "an unidentified site"
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
            f'("dated: {cutoff}") and weighs less in the priorities, because the mechanism it '
            "describes may have changed since."
        )
    return text
