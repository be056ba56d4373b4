"""What several sections share: a section from its outline entry, recommendations as list items."""

from __future__ import annotations

from wbtip_pipeline.presentation.blocks import Item, Link, ListBlock, Numbering, Section
from wbtip_pipeline.presentation.outline import Entry
from wbtip_pipeline.report.sections.narrative import domain_title

TABLE_YEARS = 10  # years in a regional table
CHAPTER_YEARS = 8  # years in a jurisdiction's key figures


def start(entry: Entry) -> tuple[Section, Numbering]:
    """An empty section for `entry` and the numbering of its headings, tables and figures."""
    section = Section(entry.id, entry.number, entry.heading)
    return section, Numbering(entry.number)


PROGRESS_LEAD = "Progress would show as:"


def recommendation_item(r: dict, show_jurisdiction: bool = False, anchor: bool = True) -> Item:
    """A recommendation in full: its id as a small reference (the workshop form asks for it),
    urgency, domain (as the chapters title it), priority, text, how progress would show,
    workshop decision, and its evidence as lines of words (`presentation/evidence.py`), each
    linked to the page it rests on."""
    head = " · ".join(
        p
        for p in (
            r["jurisdiction_name"] if show_jurisdiction else "",
            domain_title(r["domain"]) if r["domain"] else "",
            f"priority {r['rank']}" if r["rank"] else "",
        )
        if p
    )
    meta = [f"{PROGRESS_LEAD} {r['progress']}."] if r.get("progress") else []
    if r["workshop"]:
        meta.append(f"Validation workshop: {r['workshop']}")
    if r["summarises"]:
        meta.append(f"Summarises {r['summarises']}.")
    return Item(
        r["text"],
        head=f"{r['id']} {head}",
        badge=r["urgency"],
        meta=meta,
        links=[Link(e["text"], e["href"]) for e in r["evidence"]],
        id=r["id"] if anchor else "",
        cls=f"rec urgency-{r['urgency']}",
    )


def recommendation_line(r: dict) -> Item:
    """A recommendation in one line, for the full list: id, domain, text, where its evidence is."""
    domain = domain_title(r["domain"]) if r["domain"] else ""
    tags = " · ".join(p for p in (domain, str(r["rank"]) if r["rank"] else "") if p)
    meta = [r["evidence_brief"]] if r["evidence_brief"] else []
    if r["workshop"]:
        meta.append(f"Workshop: {r['workshop']}")
    return Item(
        r["text"],
        head=f"{r['id']} {tags}",
        meta=meta,
        id=f"{r['id']}-list",
        cls=f"rec brief urgency-{r['urgency']}",
    )


def recommendations_block(items: list[dict], **kw) -> ListBlock:
    return ListBlock([recommendation_item(r, **kw) for r in items], ordered=True, style="recs")
