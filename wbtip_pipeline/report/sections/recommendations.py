"""Recommendations: the full list, grouped by jurisdiction (then the regional ones) and urgency,
what changed since the previous run, and what was resolved."""

from __future__ import annotations

from wbtip_pipeline.presentation.blocks import Item, ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import mask_counts_in_text
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.figures import recommendation_counts
from wbtip_pipeline.presentation.labels import URGENCY_LABELS, URGENCY_ORDER
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import as_str
from wbtip_pipeline.report.sections.common import recommendation_line, start
from wbtip_pipeline.vocab import CHANGES, REGIONAL


def recommendation_groups(f: Facts) -> list[tuple[str, list[tuple[str, list[dict]]]]]:
    """[(code, [(urgency, items)])]: the members in the region's order, then the regional
    recommendations; within each, by urgency, then priority rank and id. Groups and urgencies
    without a recommendation are left out."""
    recs = f.recs()
    groups = []
    for code in [*f.codes, REGIONAL]:
        part = recs[recs["jurisdiction"] == code] if not recs.empty else recs
        by_urgency = []
        for urgency in URGENCY_ORDER:
            sub = part[part["urgency"] == urgency] if not part.empty else part
            if not sub.empty:
                sub = sub.sort_values(["priority_rank", "recommendation_id"])
            items = f.recommendation_items(sub, top_only=False, evidence=False)
            if items:
                by_urgency.append((urgency, items))
        if by_urgency:
            groups.append((code, by_urgency))
    return groups


def published_recommendations(f: Facts) -> list[dict]:
    """Every recommendation as the report lists it (texts masked, evidence as lines), in the
    section's order: for the report's CSV export."""
    return [
        item
        for _, by_urgency in recommendation_groups(f)
        for _, items in by_urgency
        for item in items
    ]


def change_counts(f: Facts) -> dict[str, int]:
    """{change: count} since the previous run, in the order of the code list; empty when there
    was no previous run (every recommendation is then "new", which says nothing)."""
    changes = f.t["recommendation_changes"]
    if changes.empty or "change" not in changes:
        return {}
    counts = changes["change"].astype(str).value_counts()
    if set(counts.index) <= {"new"}:
        return {}
    order = [c for c in CHANGES if c in counts.index]
    order += sorted(set(counts.index) - set(order))
    return {c: int(counts[c]) for c in order}


def resolved_items(f: Facts) -> list[Item]:
    changes = f.t["recommendation_changes"]
    if changes.empty or "change" not in changes:
        return []
    return [
        Item(
            f"{f.names.of(str(r.jurisdiction))}: {mask_counts_in_text(as_str(r.text))}",
            head=str(r.recommendation_id),
            cls="rec resolved",
        )
        for r in changes[changes["change"] == "resolved"].itertuples(index=False)
    ]


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    if "recommendations" in f.missing_tables:
        return section.add(
            Note("The recommendations table was not available in this run.", "empty")
        )
    recs = f.recs()
    if recs.empty:
        return section.add(Note("No recommendations in this run.", "empty"))
    counts = recommendation_counts(f)
    section.add(
        Paragraph(
            f"{counts['total']} recommendations, {counts['top']} of them among the top "
            "priorities of their "
            "jurisdiction. Each has a stable identifier, so that a recommendation can be "
            "followed from one refresh to the next; each names the evidence rows it rests on; "
            "those of the top priorities are set out in full in the chapters and in "
            f"{outline.ref('regional-cooperation')}."
        )
    )
    changes = change_counts(f)
    if changes:
        section.add(
            Paragraph(
                "Since the previous run: "
                + ", ".join(f"{n} {change}" for change, n in changes.items())
                + "."
            )
        )
    for code, by_urgency in recommendation_groups(f):
        section.add(num.heading(f.names.of(code)))
        for urgency, items in by_urgency:
            section.add(
                num.heading(f"{URGENCY_LABELS.get(urgency, urgency)} ({len(items)})", level=3),
                ListBlock([recommendation_line(r) for r in items], ordered=True, style="recs"),
            )
    resolved = resolved_items(f)
    if resolved:
        section.add(num.heading("Resolved since the previous run"), ListBlock(resolved))
    return section
