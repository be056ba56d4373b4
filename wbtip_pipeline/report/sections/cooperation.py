"""Regional cooperation: mechanisms across the region, shared gaps, flow pairs, regional
recommendations."""

from __future__ import annotations

from wbtip_pipeline.presentation import charts, figures
from wbtip_pipeline.presentation.blocks import Cell, Note, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import PRIMARY_TEXT, THRESHOLD
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import is_nan, years_text
from wbtip_pipeline.report.sections.common import recommendations_block, start
from wbtip_pipeline.vocab import MIN_SHARED_GAP, REGIONAL


def domain_chart(f: Facts, num) -> object | None:
    """The heat map of domain scores per jurisdiction (also referred to from the chapters)."""
    ds = f.t["mechanism_domain_scores"]
    if ds.empty:
        return None
    order = f.domain_order()
    colors, texts = [], []
    for code in f.codes:
        crow, trow = [], []
        for dom in order:
            r = ds[(ds["jurisdiction"] == code) & (ds["domain"] == dom)]
            if r.empty:
                crow.append(None)
                trow.append("")
                continue
            r = r.iloc[0]
            share = r["score_share"]
            crow.append(None if is_nan(share) else charts.sequential_color(float(share)))
            trow.append(figures.domain_share_text(r, short=True, sep="\n"))
        colors.append(crow)
        texts.append(trow)
    return num.figure(
        charts.heatmap(
            "fig-domains",
            [f.names.of(c) for c in f.codes],
            order,
            colors,
            texts,
            caption=(
                "Counter-trafficking mechanisms across the region: mean score of the known "
                "checklist items per domain (as a share of the maximum); '?' no item known. "
                + figures.THIN_DOMAIN_NOTE
            ),
            source=f.source_line(
                "mechanism_domain_scores",
                extra="the jurisdictions' assessments against the counter-trafficking checklist",
            ),
            alt="Grid of mechanism scores per jurisdiction and checklist domain.",
            cell_height=0.34,
        )
    )


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.add(
        Paragraph(
            "Two kinds of evidence point to action across borders: a mechanism gap that several "
            "jurisdictions share (a candidate for a regional programme), and victims moving "
            "between two jurisdictions (a candidate for bilateral cooperation such as joint "
            "identification and referral)."
        ),
        num.heading("Mechanisms across the region"),
    )
    section.add(domain_chart(f, num) or Note("No mechanism scores in this run.", "empty"))

    section.add(num.heading("Shared gaps"))
    opp = f.t["regional_opportunities"]
    cl = f.t["ct_checklist"]
    basis = dict(zip(cl["item_id"], cl["legal_basis"], strict=True)) if not cl.empty else {}
    titles = dict(zip(cl["item_id"], cl["title"], strict=True)) if not cl.empty else {}
    shared = opp[opp["opportunity_type"] == "shared_gap"] if not opp.empty else opp
    if not shared.empty:
        shared = shared.sort_values(["n_jurisdictions", "key"], ascending=[False, True])
        section.add(
            num.table(
                "tab-shared-gaps",
                "Checklist items that are gaps (not met or partly met) in at least "
                f"{MIN_SHARED_GAP} jurisdictions",
                f.source_line("regional_opportunities, mechanism_gaps"),
                [
                    "Item",
                    "What the item asks for",
                    "Jurisdictions",
                    "Years assessed",
                    "Legal basis",
                ],
                [
                    [
                        Cell(str(r.key), "rowhead nowrap"),
                        Cell(titles.get(r.key, "")),
                        Cell(
                            f"{int(r.n_jurisdictions)}: {f.names.list(str(r.jurisdictions).split(','))}"
                        ),
                        Cell(years_text(int(y) for y in str(r.years).split(",") if y)),
                        Cell(basis.get(r.key, ""), "small"),
                    ]
                    for r in shared.itertuples(index=False)
                ],
                compact=True,
            )
        )
    else:
        section.add(Note("No shared gaps in this run.", "empty"))

    section.add(num.heading("Flow pairs"))
    pairs = f.flow_pairs()
    if pairs:
        section.add(
            num.table(
                "tab-flow-pairs",
                "Pairs of jurisdictions linked by recent victim flows",
                f.source_line(
                    "regional_opportunities, victim_flows",
                    extra="victims recomputed from the published yearly figures",
                ),
                [
                    "Jurisdictions",
                    "Direction of the flows",
                    "Years",
                    "Victims (sum)",
                    f"A figure of {THRESHOLD} or more",
                ],
                [
                    [
                        Cell(p["pair"], "rowhead"),
                        Cell(p["directions"]),
                        Cell(p["years"]),
                        Cell(p["victims"], "count"),
                        Cell("yes" if p["certain"] else f"no: all {PRIMARY_TEXT}"),
                    ]
                    for p in pairs
                ],
                col_classes=["", "", "", "num", ""],
            )
        )
    else:
        section.add(Note("No pair of jurisdictions is linked by recent flows.", "empty"))

    section.add(num.heading("Regional recommendations"))
    all_regional = f.recs_of(REGIONAL)
    top = f.recommendation_items(all_regional, top_only=True)
    if top:
        rest = len(all_regional) - len(top)
        more = (
            f"; the other {rest} regional recommendations are listed in "
            f"{outline.ref('recommendations')}"
            if rest > 0
            else ""
        )
        section.add(
            Paragraph(f"The top regional priorities, each with its evidence{more}."),
            recommendations_block(top),
        )
    else:
        section.add(Note("No regional recommendation in this run.", "empty"))
    return section
