"""Executive summary: the region's figures in a few sentences, and the top regional
recommendations. Also the key figures of the report's cover page (`cover_figures`)."""

from __future__ import annotations

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import (
    KeyFigure,
    KeyFigures,
    ListBlock,
    Note,
    Section,
)
from wbtip_pipeline.presentation.disclosure import (
    PRIMARY_TEXT,
    THRESHOLD,
    bounds_text,
    published_bounds,
)
from wbtip_pipeline.presentation.facts import CJ_INDICATORS, Facts
from wbtip_pipeline.presentation.figures import recommendation_counts
from wbtip_pipeline.presentation.labels import PREVALENCE_CAVEAT
from wbtip_pipeline.presentation.outline import Entry, Outline
from wbtip_pipeline.presentation.text import (
    lower_first,
    number_word,
    pct,
    rate_text,
    share_range_text,
)
from wbtip_pipeline.report.sections.common import recommendations_block, start
from wbtip_pipeline.vocab import MIN_SHARED_GAP, RECENT_YEARS, REGIONAL

NO_FIGURES = "The warehouse holds no figures yet."


def summary_sentences(f: Facts, facts: dict | None = None) -> list[str]:
    """The sentences of the summary, from `f.summary_facts()` (or `facts` when given)."""
    facts = f.summary_facts() if facts is None else facts
    if not facts:
        return [NO_FIGURES]
    sentences = [_region_sentence(f, facts)]
    cj = [facts[i] for i in CJ_INDICATORS if i in facts]
    if len(cj) == 2:
        sentences.append(
            f"In the same year {cj[0]['text']} were prosecuted for trafficking "
            f"({f.names.list(cj[0]['reporting'])} reporting) and {cj[1]['text']} convicted "
            f"({f.names.list(cj[1]['reporting'])} reporting)."
        )
    profile = facts.get("profile", {})
    if "female" in profile and profile["female"]["share"]:
        part = (
            f"Women and girls made up {share_range_text(profile['female']['share'])} of the "
            f"victims detected in {facts['latest_year']}"
        )
        if "child" in profile and profile["child"]["share"]:
            part += f", and children {share_range_text(profile['child']['share'])}"
        skipped = [s for k in ("female", "child") for s in profile.get(k, {}).get("skipped", [])]
        left_out = ""
        if skipped:
            places = [f"{f.names.of(c)}'s {b}" for c, _, b in dict.fromkeys(skipped)]
            left_out = (
                f"; {' and '.join(places)} breakdown, which adds up to more than its total, is "
                "left out"
            )
        sentences.append(
            part + f" (pooled over the jurisdictions reporting the breakdown{left_out})."
        )
    if "directions" in facts:
        sentences.append(_direction_sentence(f, facts["directions"]))
    sentences.extend(_mechanism_sentences(f))
    sentences.extend(_flow_and_data_sentences(f))
    return sentences


def _region_sentence(f: Facts, facts: dict) -> str:
    n_all = len(f.codes)
    year, reporting = facts["latest_year"], facts["latest_reporting"]
    missing = [c for c in f.codes if c not in reporting]
    rate = (
        f" ({rate_text(facts['latest_rate'])} per 100,000 inhabitants)"
        if facts["latest_rate"]
        else ""
    )
    # who did not report is named; the number of those who did follows from it
    if not missing:
        who = f"the {number_word(n_all)} jurisdictions"
    elif len(missing) <= 2:
        who = f"the jurisdictions that reported ({f.names.list(missing)} did not)"
    else:
        who = (
            f"the {number_word(len(reporting))} jurisdictions that reported "
            f"({f.names.list(missing)} did not)"
        )
    first = f"In {year} {who} detected {facts['latest_victims_text']}{rate}"
    if "full_year" in facts and facts["full_year"] != year:
        first += (
            f"; in {facts['full_year']}, the latest year all {number_word(n_all)} reported, "
            f"they detected {facts['full_victims_text']}"
        )
    return first + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _direction_sentence(f: Facts, d: dict) -> str:
    """Each verdict on detected victims with the jurisdictions it applies to, each with its
    estimate: "... showed no clear trend in Serbia (+19% a year, interval −0.2% to +42%)"."""

    def named(code: str) -> str:
        verdict = figures.verdict_of(f, code)
        estimate = verdict["estimate"] if verdict else ""
        return f"{f.names.of(code)} ({estimate})" if estimate else f.names.of(code)

    bits = [
        f"{verb} in {_and([named(c) for c in d[key]])}"
        for key, verb in figures.VERDICT_PHRASES.items()
        if d.get(key)
    ]
    text = f"Over the {number_word(RECENT_YEARS)} most recent reported years, " + (
        "detected victims " + "; ".join(bits)
        if bits
        else "no series of detected victims carries a verdict"
    )
    unclear = d.get("insufficient_data", [])
    if unclear:
        text += (
            f"; the data of {f.names.list(unclear)} cannot tell a direction (too few exact "
            "years, or too wide an interval)"
        )
    return text + "."


def _mechanism_sentences(f: Facts) -> list[str]:
    out = []
    ds = f.t["mechanism_domain_scores"]
    opp = f.t["regional_opportunities"]
    if not ds.empty:
        known = ds.dropna(subset=["mean_score"])
        by_domain = (
            known.groupby("domain")
            .apply(
                lambda g: (g["mean_score"] * g["n_known"]).sum() / g["n_known"].sum(),
                include_groups=False,
            )
            .sort_values()
        )
        items = ds.groupby("domain")[["n_known", "n_items"]].sum()

        def how_few(domain: str) -> str:
            """A pooled score resting on few items says how few (`figures.thin_domain`)."""
            n_known, n_items = (int(v) for v in items.loc[domain])
            thin = figures.thin_domain(n_known, n_items)
            return f", {figures.items_known(n_known, n_items, brackets=False)}" if thin else ""

        coverage = figures.checklist_coverage(f) or 0
        if len(by_domain):
            weakest, strongest = by_domain.index[0], by_domain.index[-1]
            out.append(
                f"Against the {int(ds.groupby('jurisdiction')['n_items'].sum().max())}-item "
                f"counter-trafficking checklist, the region is weakest in {weakest} (mean "
                f"score {by_domain.iloc[0] / 2:.0%} of the maximum over the known items"
                f"{how_few(weakest)}) and strongest in {strongest} "
                f"({by_domain.iloc[-1] / 2:.0%}{how_few(strongest)}); only "
                f"{pct(coverage)} of the jurisdiction-item pairs have a known score, and an "
                "unknown item is never counted as 0."
            )
    if not opp.empty:
        shared = opp[opp["opportunity_type"] == "shared_gap"]
        if not shared.empty:
            everywhere = shared[shared["n_jurisdictions"] >= len(f.codes)]
            titles = f.item_titles(everywhere["key"]) if not everywhere.empty else []
            text = (
                f"{len(shared)} checklist items are gaps (not met or partly met) in at least "
                f"{number_word(MIN_SHARED_GAP)} jurisdictions at once"
            )
            if titles:
                text += (
                    f", {number_word(len(titles))} of them in all {number_word(len(f.codes))}: "
                    + "; ".join(lower_first(t) for t in titles)
                )
            out.append(text + ".")
    return out


def _flow_and_data_sentences(f: Facts) -> list[str]:
    out = []
    pairs = f.flow_pairs()
    if pairs:
        certain = [p for p in pairs if p["certain"]]
        text = f"Recent victim flows link {len(pairs)} pairs of jurisdictions"
        if certain:
            text += (
                f"; in {number_word(len(certain))} of them a yearly figure reaches "
                f"{THRESHOLD} or more ({'; '.join(p['pair'] for p in certain)}), in the "
                f"others every figure is {PRIMARY_TEXT}, so the flow may be nil."
            )
        else:
            text += (
                f", every one of them reported only as {PRIMARY_TEXT} per year: the data "
                "cannot say how many victims moved, or whether any did."
            )
        out.append(text)
    summary = f.t["data_gap_summary"]
    worst = figures.widest_data_gap(f)
    if worst is not None:
        out.append(
            f"Data gaps remain wide: {f.names.of(worst)} reports the least "
            f"({figures.data_gap(f, worst)['not_reported_text']} of indicator, breakdown and "
            "year combinations not reported), and between "
            f"{pct(float(summary['share_suppressed'].min()))} and "
            f"{pct(float(summary['share_suppressed'].max()))} of the cells each "
            f"jurisdiction reports come from its own files as {PRIMARY_TEXT}."
        )
    return out


def top_recommendations(f: Facts) -> list[dict]:
    """The top regional recommendations, else the top national ones."""
    top = f.recommendation_items(f.recs_of(REGIONAL), top_only=True)
    if not top:
        top = f.recommendation_items(f.top_national(), top_only=False)
    return top


def _reporting_words(f: Facts, reporting: list[str]) -> str:
    """ "all seven jurisdictions", "every jurisdiction but Kosovo*", "four of the nine
    jurisdictions": a short absence is named rather than counted."""
    missing = [c for c in f.codes if c not in reporting]
    if not missing:
        return f"all {number_word(len(f.codes))} jurisdictions"
    if len(missing) <= 2:
        return f"every jurisdiction but {f.names.list(missing)}"
    return f"{number_word(len(reporting))} of the {number_word(len(f.codes))} jurisdictions"


def cover_figures(f: Facts, facts: dict | None = None) -> KeyFigures | None:
    """Up to three figures for the cover, each with what it counts (None when there is none)."""
    facts = f.summary_facts() if facts is None else facts
    shown = []
    if "latest_victims" in facts:
        shown.append(
            KeyFigure(
                bounds_text(published_bounds(*facts["latest_victims"])),
                f"victims detected in {facts['latest_year']} by "
                + _reporting_words(f, facts["latest_reporting"])
                + " (not prevalence)",
                count=True,
            )
        )
    if "persons_convicted" in facts:
        shown.append(
            KeyFigure(
                bounds_text(published_bounds(*facts["persons_convicted"]["bounds"])),
                f"persons convicted of trafficking in {facts['latest_year']} "
                f"({f.names.list(facts['persons_convicted']['reporting'])} reporting)",
                count=True,
            )
        )
    counts = recommendation_counts(f)
    if counts["total"]:
        shown.append(
            KeyFigure(
                f"{counts['total']:,}",
                f"recommendations, {counts['urge']} of them urgent, each tied to its evidence",
                count=False,
            )
        )
    return KeyFigures(shown) if shown else None


def build(f: Facts, entry: Entry, outline: Outline) -> Section:
    section, num = start(entry)
    section.cls = "summary"
    facts = f.summary_facts()
    section.add(
        Note(PREVALENCE_CAVEAT, "caveat", lead="Detected victims are not prevalence."),
        ListBlock.of(summary_sentences(f, facts), style="facts"),
        num.heading("Top regional recommendations"),
    )
    # with no figures at all there is nothing to recommend from either
    top = top_recommendations(f) if facts else []
    if top:
        section.add(
            recommendations_block(top, show_jurisdiction=True, anchor=False),
            Note(
                "The full list, grouped by jurisdiction and urgency, is in "
                f"{outline.ref('recommendations')}."
            ),
        )
    else:
        section.add(Note("No recommendations were available in this run.", "empty"))
    return section
