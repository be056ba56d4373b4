"""A member's chapter: what it reported, its key figures and trends, its response in words
domain by domain (`narrative.py`), its counter-trafficking mechanisms against the checklist, its
data gaps, the external view (US TIP tiers) and its top recommendations. One chapter per member
of the region, numbered from the outline; the parts are built in `jurisdiction_parts.py`."""

from __future__ import annotations

from wbtip_pipeline.presentation.blocks import Item, ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.region import FOOTNOTE_MARK
from wbtip_pipeline.report.sections import jurisdiction_parts as parts
from wbtip_pipeline.report.sections.common import recommendations_block, start
from wbtip_pipeline.report.sections.narrative import narrative

COOPERATION = "regional-cooperation"
RECOMMENDATIONS = "recommendations"


def domain_figure_number(f: Facts, outline: Outline) -> str | None:
    """The number of the domain-score chart, the first figure of the cooperation section
    (`cooperation.domain_chart`), when the run has domain scores to draw."""
    if f.t["mechanism_domain_scores"].empty or COOPERATION not in outline:
        return None
    return f"{outline.number(COOPERATION)}.1"


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    code = str(entry.code)
    name = f.names.of(code)
    section, num = start(entry)
    section.cls = "jurisdiction"
    section.attrs = {"jurisdiction": code}

    member = f.region.member(code)
    if member is not None and member.footnote:
        section.add(Note(f"{FOOTNOTE_MARK} {member.footnote}", "footnote"))
    years = f.years_of(code)
    section.add(*(Paragraph(s) for s in parts.intro(f, code, years)))

    # key figures
    section.add(num.heading("Key figures"))
    key = parts.key_table(f, code, years, num)
    breakdown = parts.breakdown_table(f, code, num)
    section.add(key, breakdown)
    if key is None and breakdown is None:
        section.add(Note(f"No figures for {name} in this run.", "empty"))

    # trends
    section.add(num.heading("Trends"))
    chart = parts.series_chart(f, code, years, num)
    trends = parts.trend_table(f, code, num)
    section.add(chart, trends)
    if chart is None and trends is None:
        section.add(Note(f"No series for {name} in this run.", "empty"))

    # the response in words, domain by domain
    section.add(*narrative(f, code, num))

    # counter-trafficking mechanisms
    section.add(num.heading("Counter-trafficking mechanisms"))
    mech = parts.mechanisms(f, code, num)
    if mech.n_items:
        section.add(Paragraph(parts.met_sentence(mech)))
    figure = domain_figure_number(f, outline)
    if figure:
        section.add(
            Paragraph(
                f"Figure {figure} ({outline.ref(COOPERATION)}) compares the domain scores across "
                "the region."
            )
        )
    section.add(mech.domain_table, *mech.gap_tables)
    if mech.no_evidence:
        section.add(
            num.heading("Items with no assessment at all (unknown, not zero)", level=3),
            ListBlock([Item(text) for text in mech.no_evidence], style="compact"),
        )
    if not (mech.n_items or mech.domain_table or mech.gap_tables or mech.no_evidence):
        section.add(Note(f"No checklist assessment for {name} in this run.", "empty"))

    # data gaps
    section.add(num.heading("Data gaps"))
    sentences = parts.data_gap_sentences(f, code)
    gap_table = parts.data_gap_table(f, code, num)
    section.add(*(Paragraph(s) for s in sentences), gap_table)
    if not sentences and gap_table is None:
        section.add(Note(f"No data gaps can be measured for {name} in this run.", "empty"))

    # the external view
    section.add(num.heading("The external view"))
    tier_sentence = parts.tier_sentence(f, code)
    section.add(
        Paragraph(tier_sentence)
        if tier_sentence
        else Note("No US TIP tiers in this run.", "empty"),
        parts.tier_table(f, code, num),
    )

    # priority recommendations
    section.add(num.heading("Priority recommendations"))
    all_recs = f.recs_of(code)
    top = f.recommendation_items(all_recs, top_only=True)
    if top:
        rest = len(all_recs) - len(top)
        more = (
            f"; the other {rest} are listed in {outline.ref(RECOMMENDATIONS)}" if rest > 0 else ""
        )
        section.add(
            Paragraph(
                f"The top priorities for {name}, each with the evidence rows it rests on{more}."
            ),
            recommendations_block(top),
        )
    else:
        section.add(Note(f"No recommendation for {name} in this run.", "empty"))
    return section
