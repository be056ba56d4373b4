"""Limitations: what the statistics, the assessments and the recommendations cannot carry, each
limit with the figures of this edition that measure it.

The figures are computed here from the tables (through `Facts`), one function per limitation,
so that a test can hold each sentence to its table: counts shown as `<5` and withheld, members
whose statistics are sparse or are the US TIP reports' own figures, TIP figures set beside the
national ones, breakdowns that do not add up, years in which every member reported, series
that carry a trend verdict, and checklist items with no assessment or only dated evidence.
"""

from __future__ import annotations

from collections import Counter

from wbtip_pipeline.presentation.blocks import Paragraph, Section
from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
)
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.labels import INDICATOR_LABELS
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import number_word, pct, plural, years_text
from wbtip_pipeline.report.sections.common import start
from wbtip_pipeline.report.sections.triangulation import comparisons
from wbtip_pipeline.transforms.evidence_sources import split_urls
from wbtip_pipeline.vocab import (
    DATED_AFTER_YEARS,
    DECISIONS,
    INDICATORS,
    MIN_EXACT_YEARS,
    RECENT_YEARS,
    TRIANGULATION_REASONS,
)

NO_VERDICT = "insufficient_data"
AGREE, NO_NATIONAL = "figures_agree", "no_national_figure"
# A member whose statistics cover fewer indicators than the contract's, or fewer than this share
# of the years of the period, is sparse: its figures are named one by one.
SPARSE_YEARS_SHARE = 0.5
# A member every one of whose figures that a TIP report also states is that figure (at least
# this many of them) reports, in effect, the TIP reports' figures.
MIN_TIP_MATCHES = 2
# data_quality_issues.check_name of the breakdowns that do not add up to their total
EXCEEDS, BELOW = "breakdown_exceeds_total", "breakdown_below_total"
US_GOVERNMENT, MIRROR = "us_government", "mirror"
# Why a TIP figure differs from the national one, in plain words (the table's reasons are in
# vocab.TRIANGULATION_REASONS, worded for reviewers)
REASON_WORDS = {
    "potential_vs_official": "the TIP report counts potential or officially recognised victims, "
    "where the national statistics count every victim detected under their own definition",
    "reporting_period": "the TIP report covers the government's reporting period with the "
    "figures known when it was written, the national statistics a calendar year as later "
    "recorded",
    "national_suppressed": f"the national figure is given only as {PRIMARY_TEXT}, so the two may "
    "agree",
    "counting_unit": "the TIP report counts suspects or defendants of the cases opened, the "
    "national statistics persons",
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def population_text(population: float) -> str:
    """ "630,000", "2.8 million": a population as a sentence gives it."""
    if population < 1e6:
        return f"{round(population, -4):,.0f}"
    return f"{population / 1e6:.1f} million"


def _members(f: Facts, frame):
    return frame[frame["jurisdiction"].isin(f.codes)] if "jurisdiction" in frame else frame


# --- the figures ---------------------------------------------------------------------------


def small_counts(f: Facts) -> dict[str, int]:
    """Counts of the members' statistics: all, shown as `<5` (and of those, given as an
    interval by the source itself), withheld as `[c]`."""
    cells = [c for c in f.dc.values if c[0] in f.codes]
    status = Counter(f.dc.status(c) for c in cells)
    from_source = sum(
        1 for c in cells if f.dc.status(c) == "primary" and f.dc.values[c][0] != f.dc.values[c][1]
    )
    return {
        "cells": len(cells),
        "primary": status["primary"],
        "from_source": from_source,
        "secondary": status["secondary"],
    }


def tip_figures(f: Facts) -> dict:
    """The TIP figures of the members (as the triangulation chapter counts them): how many,
    how many have a national figure beside them, how many agree, the reasons of the others,
    and the members all of whose comparable figures are the TIP figures."""
    items = comparisons(f)
    beside = [c for c in items if c.reason != NO_NATIONAL]
    reasons = Counter(c.reason for c in beside if c.reason != AGREE)
    mirrored = []
    for code in f.codes:
        own = [c for c in beside if c.code == code]
        if len(own) >= MIN_TIP_MATCHES and all(c.reason == AGREE for c in own):
            mirrored.append(code)
    return {
        "n": len(items),
        "beside": len(beside),
        "agree": sum(c.reason == AGREE for c in beside),
        "reasons": reasons.most_common(),
        "mirrored": mirrored,
    }


def sparse_members(f: Facts) -> list[dict]:
    """Members with no statistics, or with fewer indicators than the contract's or fewer than
    `SPARSE_YEARS_SHARE` of the period's years: {code, indicators, years}."""
    out = []
    for code in f.codes:
        years = f.years_of(code)
        rows = f.h[f.h["jurisdiction"] == code] if not f.h.empty else f.h
        indicators = [i for i in INDICATORS if i in set(rows["indicator"])]
        few_years = len(years) < SPARSE_YEARS_SHARE * len(f.years)
        if not years or len(indicators) < len(INDICATORS) or few_years:
            out.append({"code": code, "indicators": indicators, "years": years})
    return out


def breakdowns(f: Facts) -> dict[str, int]:
    issues = _members(f, f.t["data_quality_issues"])
    checks = issues["check_name"].value_counts() if "check_name" in issues else {}
    return {"exceeds": int(checks.get(EXCEEDS, 0)), "below": int(checks.get(BELOW, 0))}


def not_reported_range(f: Facts) -> tuple[float, float] | None:
    summary = _members(f, f.t["data_gap_summary"])
    if summary.empty or "share_not_reported" not in summary:
        return None
    shares = summary["share_not_reported"].dropna().astype(float)
    return (float(shares.min()), float(shares.max())) if len(shares) else None


def region_years(f: Facts) -> dict[str, int]:
    """Years with a regional figure of victims detected, and those in which every member
    reported it."""
    rows = f.trend_rows(f.region.code, "victims_detected")
    full = sum(
        set(f.codes) <= set(str(r).split(",")) for r in rows.get("jurisdictions_reporting", [])
    )
    return {"years": len(rows), "full": int(full)}


def verdicts(f: Facts) -> dict[str, int]:
    """The members' series (indicator by member) and how many carry a trend verdict."""
    ts = _members(f, f.t["trend_summary"])
    if ts.empty:
        return {"series": 0, "verdicts": 0}
    return {"series": len(ts), "verdicts": int((ts["direction"] != NO_VERDICT).sum())}


def rate_figures(f: Facts) -> dict:
    """Member-years with a count of victims but no population, and the member with the
    smallest population in its latest year (where one victim moves the rate most)."""
    rows = _members(f, f.trends)
    if rows.empty:
        return {"no_population": 0, "smallest": None}
    victims = rows[rows["indicator"] == "victims_detected"]
    no_population = int(victims["population"].isna().sum())
    latest: dict[str, tuple[int, float]] = {}
    for (code, year), population in f.population.items():
        if code in f.codes and (code not in latest or year > latest[code][0]):
            latest[code] = (year, population)
    smallest = min(latest.items(), key=lambda kv: kv[1][1]) if latest else None
    return {"no_population": no_population, "smallest": smallest}


def assessments(f: Facts) -> dict:
    """The members' checklist pairs: how many, unknown, in conflict, known; the known ones
    that rest only on US government pages or copies of them, and on dated evidence; domain
    scores not ranked."""
    scores = _members(f, f.t["mechanism_scores"])
    if scores.empty:
        return {}
    status = scores["status"].value_counts()
    known = scores[scores["status"] == "known"]
    unknown_by = scores[scores["status"] == "unknown"].groupby("jurisdiction").size()
    unknown_by = unknown_by.reindex(f.codes, fill_value=0) if len(unknown_by) else unknown_by
    out = {
        "pairs": len(scores),
        "known": len(known),
        "unknown": int(status.get("unknown", 0)),
        "conflict": int(status.get("conflict", 0)),
        "unknown_range": (
            (int(unknown_by.min()), int(unknown_by.max())) if len(unknown_by) else None
        ),
        "dated": int(sum(f.citations.is_dated(y) for y in known["year"])),
    }
    out.update(us_only(f, known))
    ds = _members(f, f.t["mechanism_domain_scores"])
    if not ds.empty and "rankable" in ds:
        out["domains"] = len(ds)
        out["not_ranked"] = int((~ds["rankable"].astype(bool)).sum())
    return out


def us_only(f: Facts, known) -> dict:
    """How many known scores rest only on pages of a US government publisher or copies of
    them (graded in evidence_sources), and that publisher's name."""
    sources = f.t["evidence_sources"]
    if sources.empty or "source_type" not in sources:
        return {}
    rows = {str(r["url"]): r for r in sources.to_dict("records")}
    own = sources[sources["source_type"] == US_GOVERNMENT]
    us = sorted({str(p) for p in own["publisher"].dropna()})

    def american(url: str) -> bool:
        r = rows.get(url)
        if r is None:
            return False
        return r["source_type"] == US_GOVERNMENT or (
            r["source_type"] == MIRROR and str(r.get("original_publisher")) in us
        )

    n = sum(
        bool(urls) and all(american(u) for u in urls)
        for urls in (split_urls(cell) for cell in known["source_url"])
    )
    return {"us_only": int(n), "us_publishers": us}


def workshop_decisions(f: Facts) -> int:
    status = f.t.get("recommendation_status")
    if status is None or status.empty or "status" not in status:
        return 0
    return int(status["status"].isin(DECISIONS).sum())


# --- the paragraphs ------------------------------------------------------------------------


def prevalence_paragraph(f: Facts) -> Paragraph:
    return Paragraph(
        "The statistics count the victims that the authorities and the organisations working "
        "with them identified in a year, under each jurisdiction's own definition and "
        "procedure. They do not count the people who were trafficked: victims who are never "
        "identified do not appear at all, and a rise in the figures can mean that "
        "identification improved as much as that trafficking grew. This report makes no "
        "estimate of the extent of trafficking, and its figures should not be read as one. "
        "For the same reason a jurisdiction with more detected victims per inhabitant is not "
        "shown to have more trafficking than its neighbours; it may be better at finding it.",
        lead="Detected victims are not prevalence.",
    )


def tip_paragraph(f: Facts, outline: Outline) -> Paragraph | None:
    tip = tip_figures(f)
    if not tip["n"]:
        return None
    text = (
        "The US TIP reports and the national statistics count different things, over different "
        f"periods. Of the {number_word(tip['n'])} distinct figures the TIP reports state for "
        f"the jurisdictions, {number_word(tip['beside'])} can be set beside a national figure "
        "for the same year, "
        f"and {number_word(tip['agree'])} of those agree."
    )
    if tip["reasons"]:
        why = [
            f"{REASON_WORDS.get(r, TRIANGULATION_REASONS.get(r, r))} ({plural(n, 'figure')})"
            for r, n in tip["reasons"][:2]
        ]
        text += " The others differ mostly because " + ", or because ".join(why) + "."
    text += (
        " The two are compared, never added together or used to fill each other's gaps; "
        f"{outline.ref('source-triangulation')} sets them side by side."
    )
    return Paragraph(text, lead="Two sources, two meanings.")


def small_counts_paragraph(f: Facts, outline: Outline) -> Paragraph | None:
    n = small_counts(f)
    if not n["cells"]:
        return None
    text = (
        f"Of the {number_word(n['cells'])} figures in the statistics of this edition, "
        f"{number_word(n['primary'])} "
        f"({pct(n['primary'] / n['cells'])}) {verb(n['primary'], 'is', 'are')} shown as "
        f"{PRIMARY_TEXT}, "
        f"{number_word(n['from_source'])} of them because the source itself gave no more than that"
    )
    if n["secondary"]:
        text += (
            f", and a further {number_word(n['secondary'])} "
            f"{verb(n['secondary'], 'is', 'are')} withheld as {SECONDARY_TEXT} so that a "
            f"{PRIMARY_TEXT} cannot be worked out from its total"
        )
    text += (
        f". Each {PRIMARY_TEXT} is a range from 0 to {THRESHOLD - 1}, not a number: a sum that "
        "includes one is a range too, a series with more than one such year carries no trend "
        "verdict, and in the smaller jurisdictions breakdowns by sex, age or form of "
        "exploitation are often made mostly of such cells, so that they say little about the "
        f"profile of victims. {outline.ref('data-quality-annex')} lists the withheld cells."
    )
    return Paragraph(text, lead="Small counts are ranges.")


def not_reported_paragraph(f: Facts) -> Paragraph | None:
    shares = not_reported_range(f)
    region = region_years(f)
    if shares is None and not region["years"]:
        return None
    text = (
        f"A figure a jurisdiction did not report is shown as {NOT_REPORTED_TEXT}; it is not "
        "zero, and it is never filled in with an estimate."
    )
    if shares is not None:
        text += (
            f" Between {pct(shares[0])} and {pct(shares[1])} of the combinations of indicator, "
            "breakdown and year a jurisdiction could report have no figure."
        )
    if region["years"]:
        text += (
            f" A regional figure is therefore the sum of the jurisdictions that reported, not a "
            f"regional total: of the {number_word(region['years'])} years with a regional "
            "count of victims "
            f"detected, every jurisdiction reported in "
            f"{number_word(region['full']) if region['full'] else 'none'}."
        )
    return Paragraph(text, lead="Absent is not zero.")


def sparse_paragraph(f: Facts, outline: Outline) -> Paragraph | None:
    sparse = sparse_members(f)
    mirrored = set(tip_figures(f)["mirrored"])
    if not sparse and not mirrored:
        return None
    parts = []
    for s in sparse:
        name = f.names.of(s["code"])
        if not s["years"]:
            parts.append(f"{name} has sent no statistics for this edition.")
            continue
        labels = [INDICATOR_LABELS[i].lower() for i in s["indicators"]]
        what = "only " + _and(labels) if len(labels) < len(INDICATORS) else "every indicator"
        sentence = f"{name}'s statistics cover {what}, for {years_text(s['years'])}"
        if len(s["years"]) < SPARSE_YEARS_SHARE * len(f.years):
            sentence += (
                f" ({number_word(len(s['years']))} of the {len(f.years)} years of the period)"
            )
        parts.append(sentence + ".")
    for code in f.codes:
        if code in mirrored:
            parts.append(
                f"Every figure of {f.names.of(code)} that a US TIP report also states is the "
                "same figure: its statistics are, in effect, the TIP reports' own, not an "
                f"independent national series, and the comparison in "
                f"{outline.ref('source-triangulation')} cannot check them."
            )
    short = [s["code"] for s in sparse if 0 < len(s["years"]) < MIN_EXACT_YEARS]
    if short:
        parts.append(
            f"A series this short carries no trend verdict, and {f.names.list(short)} "
            f"count{'s' if len(short) == 1 else ''} in the regional sums only in the years "
            "reported."
        )
    return Paragraph(" ".join(parts), lead="Sparse series.")


def breakdown_paragraph(f: Facts, outline: Outline) -> Paragraph | None:
    b = breakdowns(f)
    if not (b["exceeds"] or b["below"]):
        return None
    found = []
    if b["exceeds"]:
        found.append(f"{number_word(b['exceeds'])} add up to more than their total")
    if b["below"]:
        found.append(f"{number_word(b['below'])} to less")
    return Paragraph(
        "Breakdowns by sex, age, form of exploitation or citizenship do not always match the "
        f"total they belong to: {_and(found)}. A victim may be counted under more than one "
        "form, or not assigned to any; the report shows such figures as published, but does "
        "not compute shares from a breakdown that exceeds its total, and leaves it out of the "
        f"regional shares. {outline.ref('data-quality-annex')} lists each case.",
        lead="Breakdowns that do not add up.",
    )


def rate_paragraph(f: Facts) -> Paragraph:
    r = rate_figures(f)
    text = (
        "A rate per 100,000 inhabitants divides a count by the population of the same year "
        "(World Bank estimates), and for the region by the population of the jurisdictions "
        "that reported. "
    )
    if r["no_population"]:
        text += (
            f"{capitalise(number_word(r['no_population']))} jurisdiction-years have a count of "
            "victims but no "
            "population figure, and so no rate. "
        )
    else:
        text += "Every year with a count of victims in this edition has a population figure. "
    if r["smallest"]:
        code, (year, population) = r["smallest"]
        text += (
            f"In a small population a few victims move the rate a long way: in "
            f"{f.names.of(code)}, with about {population_text(population)} inhabitants in "
            f"{year}, each victim adds {100_000 / population:.2f} per 100,000. "
        )
    text += "Rates compare detection across jurisdictions, not the risk of being trafficked."
    return Paragraph(text, lead="Rates.")


def trend_paragraph(f: Facts, outline: Outline) -> Paragraph | None:
    v = verdicts(f)
    if not v["series"]:
        return None
    return Paragraph(
        f"A trend is read from the {number_word(RECENT_YEARS)} most recent reported years, and "
        f"only {number_word(v['verdicts'])} of the {number_word(v['series'])} series of the "
        "jurisdictions (an "
        "indicator in a jurisdiction) can carry a verdict; the others have too few exact "
        "years, a gap or an interval too wide to say anything. Where the report says "
        "that the data cannot tell, that is a finding about the data, not about trafficking "
        f"({outline.ref('methodology')} gives the rules).",
        lead="Short series.",
    )


def assessment_paragraphs(f: Facts, outline: Outline) -> list[Paragraph]:
    a = assessments(f)
    if not a:
        return [Paragraph("No checklist assessments are available in this run.")]
    out = []
    source = (
        "The checklist scores are coded by analysts from excerpts of published reports, not "
        "from a monitoring visit or from the authorities' own account."
    )
    if a.get("us_publishers") and a["known"]:
        publisher = _and(a["us_publishers"])
        source += (
            f" Of the {number_word(a['known'])} item scores on file, {number_word(a['us_only'])} "
            f"({pct(a['us_only'] / a['known'])}) {verb(a['us_only'], 'rests', 'rest')} only on "
            f"the {publisher}'s Trafficking in "
            "Persons reports, read from its own pages or from copies of them on other sites."
        )
    source += (
        " The scores therefore carry that source's view, a foreign government's annual "
        "judgement of each government's efforts, and its gaps: what the reports do not "
        "discuss stays unknown here. "
        + (
            "The validation workshop is where the authorities can correct them."
            if workshop_decisions(f)
            else "They have not yet been checked with the authorities concerned; the "
            "validation workshop is where they can be corrected."
        )
    )
    out.append(Paragraph(source, lead="Assessments rest mostly on one source."))
    unknown = (
        f"Of the {number_word(a['pairs'])} pairs of jurisdiction and checklist item, "
        f"{number_word(a['unknown'])} ({pct(a['unknown'] / a['pairs'])}) "
        f"{verb(a['unknown'], 'has', 'have')} no assessment"
    )
    if a["unknown_range"] and a["unknown_range"][0] != a["unknown_range"][1]:
        low, high = a["unknown_range"]
        unknown += f" (from {number_word(low)} to {number_word(high)} items per jurisdiction)"
    unknown += (
        ". An unknown item is a gap in the evidence, not in the mechanism: it is never scored "
        "0, and a domain score is the average of the known items only."
    )
    if a.get("domains"):
        unknown += (
            f" Of the {number_word(a['domains'])} domain scores, {number_word(a['not_ranked'])} "
            f"{verb(a['not_ranked'], 'rests', 'rest')} on too "
            "few known items to be ranked across jurisdictions."
        )
    if a["conflict"]:
        unknown += (
            f" For {plural(a['conflict'], 'item')} the sources disagree; they are listed in "
            f"{outline.ref('data-quality-annex')} and not scored."
        )
    out.append(Paragraph(unknown, lead="Unknown is not zero."))
    if f.last_year is not None and a["known"]:
        out.append(
            Paragraph(
                f"Of the {number_word(a['known'])} item scores, {number_word(a['dated'])} "
                f"{verb(a['dated'], 'rests', 'rest')} on evidence "
                f"from {f.last_year - DATED_AFTER_YEARS - 1} or earlier, more than "
                f"{number_word(DATED_AFTER_YEARS)} years before the newest statistics; they are "
                "marked dated, and the mechanism may have changed since.",
                lead="Dated evidence.",
            )
        )
    return out


def recommendations_paragraph(f: Facts, outline: Outline) -> Paragraph:
    decided = workshop_decisions(f)
    text = (
        "The recommendations are generated by rules from the findings above and inherit "
        "their limits: one that rests on an unknown item asks for the evidence, not for a "
        "mechanism that may already exist, and one that rests on dated or copied evidence "
        "ranks lower. "
    )
    if decided:
        text += (
            f"The validation workshop has decided on {number_word(decided)} of them; its "
            "decisions are "
            f"shown beside each in {outline.ref('recommendations')}."
        )
    else:
        text += (
            "None has yet been discussed at a validation workshop: until then they are "
            "proposals from the data, for the authorities and their partners to test."
        )
    return Paragraph(text, lead="Proposals, not findings.")


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.add(
        Paragraph(
            "Every figure in this report is read from published data, but the data carry less "
            "than a reader might assume. This section says what they cannot show and, where a "
            "figure of this edition measures a limit, gives it."
        ),
        num.heading("The statistics"),
        prevalence_paragraph(f),
        tip_paragraph(f, outline),
        small_counts_paragraph(f, outline),
        not_reported_paragraph(f),
        sparse_paragraph(f, outline),
        breakdown_paragraph(f, outline),
        rate_paragraph(f),
        trend_paragraph(f, outline),
        num.heading("The assessments of mechanisms"),
        *assessment_paragraphs(f, outline),
        num.heading("The recommendations"),
        recommendations_paragraph(f, outline),
    )
    return section
