"""Introduction: why the report exists and for whom, what it covers (the region's members, the
years and indicators of the statistics, the checklist and the instruments it rests on), the 2014
IOM needs assessment it continues, and a guide to its chapters from the outline.

Every count and name comes from the tables and the region; the only fixed facts are those of
the 2014 assessment (`BASELINE`), which is history, not configuration.
"""

from __future__ import annotations

from wbtip_pipeline.presentation.blocks import ListBlock, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import NOT_REPORTED_TEXT, PRIMARY_TEXT, THRESHOLD
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import INDICATOR_LABELS
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import number_word, plural, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.vocab import INDICATORS

# The 2014 IOM needs assessment: when it ran and which jurisdictions it covered, by code, with
# the names it used.
BASELINE_YEAR = 2014
BASELINE_PERIOD = "September 2013 to September 2014"
BASELINE_COVERED = {
    "ALB": "Albania",
    "BIH": "Bosnia and Herzegovina",
    "XKX": "Kosovo",
    "MKD": "the former Yugoslav Republic of Macedonia",
    "MNE": "Montenegro",
    "SRB": "Serbia",
}
PARTNERS = (
    "USAID",
    "the US Department of State's Office to Monitor and Combat Trafficking in Persons",
    "the EU Anti-Trafficking Coordinator",
    "the Council of Europe's Group of Experts on Action against Trafficking in Human Beings "
    "(GRETA)",
)
# The instruments the checklist items cite (ct_checklist.legal_basis): how a citation names it,
# and its full name.
INSTRUMENTS = (
    (
        "CoE Convention",
        "the Council of Europe Convention on Action against Trafficking in Human Beings "
        "(CETS No. 197)",
    ),
    ("OSCE/ODIHR", "the OSCE/ODIHR handbook on National Referral Mechanisms"),
    (
        "Directive 2011/36/EU",
        "EU Directive 2011/36/EU on preventing and combating trafficking in human beings",
    ),
)
# What each section holds, for the reader's guide; a section not listed is named by its title.
GUIDE = {
    "executive-summary": "the main findings in a few sentences and the top regional "
    "recommendations",
    "regional-overview": "the region's figures side by side (victims detected and rates per "
    "100,000 inhabitants, the criminal-justice response, forms of exploitation, the sex and age "
    "of victims, victim flows between the jurisdictions and the US TIP report tiers)",
    "regional-cooperation": "the mechanisms compared across the region, the gaps several "
    "jurisdictions share, the flows of victims that link them, and the recommendations to the "
    "region as a whole",
    "recommendations": "every recommendation, grouped by jurisdiction and urgency, each with "
    "the evidence it rests on",
    "methodology": "how the figures are read, protected, compared and scored, in plain words, "
    "with technical notes for reviewers",
    "source-triangulation": "the national statistics set beside the figures the US TIP reports "
    "state, and why the two differ",
    "limitations": "what the data cannot show, with the figures that measure each limitation",
    "data-quality-annex": "the findings of the checks on the data, the completeness of each "
    "jurisdiction's statistics and the figures withheld to protect small counts",
    "provenance": "every source file read, with its checksum",
}
CHAPTER_GUIDE = (
    "one chapter per jurisdiction ({names}): key figures, trends, counter-trafficking "
    "mechanisms, data gaps, the external view and priority recommendations"
)


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- the figures the introduction states ---------------------------------------------------


def checklist_scope(f: Facts) -> dict:
    """{"items", "domains" (in the checklist's order), "instruments": [(full name, n items)]}
    from ct_checklist; empty when the run has no checklist."""
    cl = f.t["ct_checklist"]
    if cl.empty or "item_id" not in cl:
        return {}
    bases = cl["legal_basis"].fillna("").astype(str) if "legal_basis" in cl else None
    instruments = []
    for mark, name in INSTRUMENTS:
        n = int(bases.str.contains(mark, regex=False).sum()) if bases is not None else 0
        if n:
            instruments.append((name, n))
    return {
        "items": int(cl["item_id"].nunique()),
        "domains": list(dict.fromkeys(cl["domain"])),
        "instruments": instruments,
    }


def tier_editions(f: Facts) -> tuple[int, int] | None:
    tiers = f.t["us_tip_tiers"]
    if tiers.empty or "report_year" not in tiers:
        return None
    mine = tiers[tiers["jurisdiction"].isin(f.codes)]["report_year"].dropna()
    return (int(mine.min()), int(mine.max())) if len(mine) else None


# --- the paragraphs ------------------------------------------------------------------------


def purpose_paragraphs(f: Facts, outline: Outline) -> list[Paragraph]:
    region = f.region
    return [
        Paragraph(
            "This report assesses how the authorities in the "
            f"{region.name} identify and protect victims of trafficking in human beings, bring "
            "traffickers to justice and work with one another across borders, and where those "
            "counter-trafficking mechanisms fall short. It is a living assessment: it is rebuilt "
            "from the data whenever a jurisdiction sends new statistics or an assessment of its "
            "mechanisms changes, so each edition states the figures on file when it was "
            "produced, and a recommendation keeps its identifier from one edition to the next "
            "until the gap behind it is closed."
        ),
        Paragraph(
            "It is written for the governments of the region and their national "
            "anti-trafficking coordinators, for IOM and the non-governmental organisations that "
            "assist victims, and for the partners who fund and monitor counter-trafficking "
            f"work: {_and(list(PARTNERS))}. Its recommendations "
            f"({outline.ref('recommendations')}) are put to a regional validation workshop, "
            "where they can be agreed, amended or rejected; later editions record those "
            "decisions beside each recommendation."
        ),
    ]


def scope_paragraphs(f: Facts, outline: Outline) -> list[Paragraph]:
    methodology = outline.ref("methodology")
    indicators = _and([INDICATOR_LABELS[i].lower() for i in INDICATORS])
    if f.years:
        period = (
            f"Its statistics run from {f.first_year} to {f.last_year}, the years for which at "
            f"least one jurisdiction has sent figures; {methodology} gives the years of each. "
        )
    else:
        period = "No statistics have been received for this edition yet. "
    out = [
        Paragraph(
            f"The report covers the {f.region.name}: {f.names.list(f.codes)}. {period}"
            f"They cover {number_word(len(INDICATORS))} indicators ({indicators}), with "
            "breakdowns by sex, age, form of exploitation and citizenship wherever a "
            "jurisdiction reports them."
        )
    ]
    checklist = checklist_scope(f)
    if checklist:
        domains = _and(checklist["domains"])
        text = (
            "The counter-trafficking mechanisms are assessed against a checklist of "
            f"{checklist['items']} items in {plural(len(checklist['domains']), 'domain')} "
            f"({domains})."
        )
        instruments = checklist["instruments"]
        if instruments:
            first_name, first_n = instruments[0]
            first = (
                f"every item rests on {first_name}"
                if first_n == checklist["items"]
                else f"{number_word(first_n)} items rest on {first_name}"
            )
            rest = [f"{number_word(n)} on {name}" for name, n in instruments[1:]]
            text += (
                " Each item is an obligation or a standard of the international instruments "
                f"the jurisdictions have ratified or aligned with: {first}"
                + (f", {_and(rest)} (an item may rest on more than one)" if rest else "")
                + "."
            )
        out.append(Paragraph(text))
    else:
        out.append(Paragraph("The counter-trafficking checklist is not available in this run."))
    editions = tier_editions(f)
    tip = (
        "Beside the national statistics the report sets the external view of the US State "
        "Department's Trafficking in Persons (TIP) reports"
    )
    if editions:
        tip += f" of {editions[0]} to {editions[1]}"
    tip += (
        ": the tier each edition gives a jurisdiction, and the figures the reports state, which "
        f"are compared with the national ones in {outline.ref('source-triangulation')} but never "
        "added to them."
    )
    out.append(Paragraph(tip))
    return out


def baseline_paragraphs(f: Facts, outline: Outline) -> list[Paragraph]:
    covered = []
    for code, then in BASELINE_COVERED.items():
        if code not in f.codes:
            covered.append(then)
        elif f.names.of(code, mark=False) == then:
            covered.append(f.names.of(code))
        else:  # renamed since: today's name, and the one the assessment used
            covered.append(f"{f.names.of(code)} (then {then})")
    added = [c for c in f.codes if c not in BASELINE_COVERED]
    dropped = [c for c in BASELINE_COVERED if c not in f.codes]
    if not added and not dropped:
        same = "This report covers the same jurisdictions."
    else:
        parts = []
        if added:
            parts.append(
                f"{f.names.list(added)} {'was' if len(added) == 1 else 'were'} not part of it"
            )
        if dropped:
            parts.append(
                f"{_and([BASELINE_COVERED[c] for c in dropped])} "
                f"{'is' if len(dropped) == 1 else 'are'} not covered here"
            )
        same = capitalise("; ".join(parts)) + "."
    since = ""
    years = sorted({int(y) for y in f.h["year"]}) if not f.h.empty else []
    after = [y for y in years if y >= BASELINE_YEAR]
    if after:
        since = (
            f" The statistics on file include {plural(len(after), 'year')} since that "
            f"assessment ({years_text(after)})."
        )
    return [
        Paragraph(
            "This report continues the needs assessment of counter-trafficking mechanisms that "
            f"IOM carried out from {BASELINE_PERIOD}, managed from its mission in Bosnia and "
            "Herzegovina and supported by the same partners. That study looked at the "
            f"mechanisms each jurisdiction had in place and at recent trafficking trends in "
            f"{_and(covered)}, to establish two things: which weaknesses needed urgent "
            "attention, and where the jurisdictions could do more together. It produced a "
            "regional report, a list of recommendations to policy makers, and a regional "
            "validation workshop at which the authorities and civil society discussed them. " + same
        ),
        Paragraph(
            "The 2014 assessment is the baseline of this one, which keeps its questions and its "
            "shape (mechanisms and trends per jurisdiction, regional cooperation, recommendations "
            "put to a workshop) but not its method of a one-off study. Figures are read directly "
            "from each jurisdiction's statistics, every assessment cites its published source, "
            "and the whole report is rebuilt when new data arrive, so that progress since the "
            "baseline can be followed year by year rather than measured again from scratch." + since
        ),
    ]


def guide_items(f: Facts, outline: Outline, skip: str = "introduction") -> list[str]:
    """One line per part of the report, in its order; the jurisdiction chapters in one line."""
    lines = []
    chapters = outline.chapters
    for entry in outline:
        if entry.id == skip or (entry.code and entry is not chapters[0]):
            continue
        if entry.code:
            where = chapters[0].ref
            if len(chapters) > 1:
                where = f"sections {chapters[0].number}–{chapters[-1].number}"
            names = f.names.list(c.code for c in chapters)
            lines.append(f"{capitalise(where)}: {CHAPTER_GUIDE.format(names=names)}.")
        elif entry.id in GUIDE:
            lines.append(f"{capitalise(entry.ref)}, {entry.title}: {GUIDE[entry.id]}.")
        else:  # a section added to the outline after this guide was written
            lines.append(f"{capitalise(entry.ref)}: {entry.title}.")
    return lines


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.add(num.heading("Purpose"), *purpose_paragraphs(f, outline))
    section.add(num.heading("Scope"), *scope_paragraphs(f, outline))
    section.add(
        num.heading(f"The {BASELINE_YEAR} needs assessment as the baseline"),
        *baseline_paragraphs(f, outline),
    )
    section.add(
        num.heading("How to read this report"),
        Paragraph(
            "Every table and figure names the data it comes from, and "
            f"{outline.ref('provenance')} lists each source file. A count below "
            f"{number_word(THRESHOLD)} is shown as {PRIMARY_TEXT}, never as its value, and a "
            f"dash ({NOT_REPORTED_TEXT}) means not reported, never zero: "
            f"{outline.ref('methodology')} "
            f"explains these conventions and {outline.ref('limitations')} what the data cannot "
            "show. The report is arranged as follows."
        ),
        ListBlock.of(guide_items(f, outline), style="facts"),
    )
    return section
