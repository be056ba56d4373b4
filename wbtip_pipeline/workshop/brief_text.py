"""The words of a brief in its language: labels, names, the short narrative of page 1, the
key-figure and domain tables, the victims chart, source lines and pointers into the report.

Every phrase is a catalog message (`i18n.Lang`), and English is a language like the others: its
catalog is empty, so each English message is the English text, the same words the report and
the slides print (`wbtip_pipeline_tests/workshop/test_briefs.py` compares them). The narrative
is built from fixed sentences whose fields come from the tables through `presentation/figures.py`
(one definition per figure): the latest count of detected victims, the trend verdict with its
estimate, the domains scored highest and lowest, the data gap. Never from free English text.
"""

from __future__ import annotations

from collections.abc import Iterable

import pycountry

from wbtip_pipeline.presentation import charts, figures
from wbtip_pipeline.presentation.blocks import Cell, Figure, Table
from wbtip_pipeline.presentation.disclosure import (
    NOT_REPORTED_TEXT,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    THRESHOLD,
    cell_id,
)
from wbtip_pipeline.presentation.labels import INDICATOR_LABELS
from wbtip_pipeline.presentation.outline import Entry
from wbtip_pipeline.presentation.text import is_nan
from wbtip_pipeline.vocab import DOMAINS, INDICATORS
from wbtip_pipeline.workshop.facts import PackFacts, _texts, table
from wbtip_pipeline.workshop.i18n import JURISDICTION, Lang

# --- labels --------------------------------------------------------------------------------------


def indicator_labels(t: Lang) -> dict[str, str]:
    """Row heads of the key figures (`labels.INDICATOR_LABELS` in English)."""
    return {
        "victims_detected": t.pgettext("indicator", "Victims detected"),
        "persons_formal_contact": t.pgettext(
            "indicator", "Persons in formal contact with the police"
        ),
        "persons_prosecuted": t.pgettext("indicator", "Persons prosecuted"),
        "persons_convicted": t.pgettext("indicator", "Persons convicted"),
        "offences_recorded": t.pgettext("indicator", "Offences recorded"),
    }


def sentence_indicators(t: Lang) -> dict[str, str]:
    """Indicators inside a sentence (`transforms.recommendations.INDICATOR_LABELS`)."""
    return {
        "victims_detected": t.pgettext("indicator in a sentence", "detected victims"),
        "persons_formal_contact": t.pgettext(
            "indicator in a sentence", "persons in formal contact with the police"
        ),
        "persons_prosecuted": t.pgettext("indicator in a sentence", "persons prosecuted"),
        "persons_convicted": t.pgettext("indicator in a sentence", "persons convicted"),
        "offences_recorded": t.pgettext("indicator in a sentence", "offences recorded"),
    }


def domain_names(t: Lang) -> dict[str, str]:
    """A checklist domain as the domain table and a recommendation's head name it (English:
    the code, as the report's tables print it)."""
    return {
        "coordination": t.pgettext("domain", "coordination"),
        "identification": t.pgettext("domain", "identification"),
        "protection": t.pgettext("domain", "protection"),
        "justice": t.pgettext("domain", "justice"),
        "prevention": t.pgettext("domain", "prevention"),
        "cooperation": t.pgettext("domain", "cooperation"),
        "data": t.pgettext("domain", "data"),
    }


def domain_labels(t: Lang) -> dict[str, str]:
    """A domain inside a sentence (`transforms.recommendations.DOMAIN_LABELS`)."""
    return {
        "coordination": t.pgettext("domain in a sentence", "coordination"),
        "identification": t.pgettext("domain in a sentence", "victim identification"),
        "protection": t.pgettext("domain in a sentence", "victim protection"),
        "justice": t.pgettext("domain in a sentence", "criminal justice"),
        "prevention": t.pgettext("domain in a sentence", "prevention"),
        "cooperation": t.pgettext("domain in a sentence", "international cooperation"),
        "data": t.pgettext("domain in a sentence", "data and statistics"),
    }


def breakdown_labels(t: Lang) -> dict[str, str]:
    """A breakdown inside a sentence (`transforms.recommendations.BREAKDOWN_LABELS`)."""
    return {
        "total": t.pgettext("breakdown", "total"),
        "sex": t.pgettext("breakdown", "sex"),
        "age": t.pgettext("breakdown", "age"),
        "exploitation": t.pgettext("breakdown", "form of exploitation"),
        "citizenship": t.pgettext("breakdown", "citizenship"),
        "repatriation": t.pgettext("breakdown", "country of repatriation"),
    }


def urgency_words(t: Lang) -> dict[str, str]:
    """The badge of a recommendation (English: the code, as the slides show it)."""
    return {
        "urge": t.pgettext("urgency", "urge"),
        "consider": t.pgettext("urgency", "consider"),
        "invite": t.pgettext("urgency", "invite"),
    }


def range_labels(t: Lang) -> dict[str, str]:
    """The words of a range chart (`charts.RANGE_LABELS` in English)."""
    return {
        "exact": t.pgettext("chart", "exact count / lower bound"),
        "range": t.pgettext("chart", "range (e.g. <5 = 0 to 4)"),
        "not_reported": t.pgettext("chart", "not reported"),
    }


# --- names ---------------------------------------------------------------------------------------


# countries that are no country (`transforms.recommendations._SPECIAL_COUNTRIES`)
def _special_countries(t: Lang) -> dict[str, str]:
    return {
        "ABROAD": t.pgettext("country", "an unnamed foreign country"),
        "UNKNOWN": t.pgettext("country", "an unknown country"),
    }


def place(t: Lang, facts: PackFacts, code: str, mark: bool = True) -> str:
    """A member's name in the language ("Kosova*"), else a country's (`country`)."""
    member = facts.region.member(code)
    if member is None:
        return country(t, facts, code)
    if not t.translated:
        return facts.names.of(code, mark)
    name = t.lookup(JURISDICTION, member.name)
    return f"{name}*" if mark and member.footnote else name


def country(t: Lang, facts: PackFacts, code: str) -> str:
    """A country's name: a member's or a former state's from the catalog, a special code's,
    else CLDR's name of the territory (Babel), else pycountry's English name."""
    region = facts.region
    if region.member(code) is not None:
        return place(t, facts, code, mark=False)
    if code in region.former_codes:
        return t.lookup(JURISDICTION, region.former_codes[code])
    special = _special_countries(t)
    if code in special:
        return special[code]
    found = pycountry.countries.get(alpha_3=code)
    if found is None:
        return code
    if t.translated and found.alpha_2 in t.locale.territories:
        return t.locale.territories[found.alpha_2]
    return getattr(found, "common_name", None) or found.name


def footnotes(t: Lang, facts: PackFacts, value) -> list[str]:
    """The footnotes ("* Kosovo: ...") of the members a brief names, in its language."""
    if not t.translated:
        return facts.footnotes_in(value)
    text = "\n".join(_texts(value))
    out = []
    for code, note in facts.region.footnotes.items():
        name = place(t, facts, code, mark=False)
        if name in text:
            out.append(f"* {name}: {t.lookup(f'footnote {code}', note)}")
    return out


def section_ref(t: Lang, entry: Entry) -> str:
    """ "section 4", "Annex B" (`Entry.ref`) in the language."""
    if entry.kind == "annex":
        return t.gettext("Annex {number}").format(number=entry.number)
    return t.gettext("section {number}").format(number=entry.number)


def section_title(t: Lang, facts: PackFacts, entry: Entry) -> str:
    """A section's title: a member's chapter is its name; the others are catalog messages."""
    if entry.code:
        return place(t, facts, entry.code)
    titles = {"recommendations": t.pgettext("report section", "Recommendations")}
    return titles.get(entry.id, entry.title)


# --- sources -------------------------------------------------------------------------------------

MAX_FILES = 3


def source_line(
    t: Lang, facts: PackFacts, tables: str, code: str | None = None, years: Iterable[int] = ()
) -> str:
    """ "Source: warehouse tables a, b, from <files> (SHA-256 in Annex B of the report)." (as
    `PackFacts.source_line`), in the language."""
    if "," in tables:
        line = t.gettext("Source: warehouse tables {tables}").format(tables=tables)
    else:
        line = t.gettext("Source: warehouse table {tables}").format(tables=tables)
    files: list[str] = []
    if code and not facts.h.empty:
        h = facts.h
        files = facts.f.source_files(h[(h["jurisdiction"] == code) & h["year"].isin(list(years))])
    if files:
        shown = ", ".join(files[:MAX_FILES])
        if len(files) > MAX_FILES:
            shown = t.gettext("{files} and {n} more").format(files=shown, n=len(files) - MAX_FILES)
        outline = facts.outline
        annex = (
            section_ref(t, outline["provenance"])
            if "provenance" in outline
            else t.gettext("an annex")
        )
        line += t.gettext(", from {files} (SHA-256 in {annex} of the report)").format(
            files=shown, annex=annex
        )
    return line + "."


# --- the narrative of page 1 ---------------------------------------------------------------------


def latest_sentence(t: Lang, facts: PackFacts, code: str) -> str:
    """ "In 2021, its latest year, 159 victims were detected (6.39 per 100,000 inhabitants)."
    (`PackFacts.latest_victims` in English), from `figures.latest_victims`."""
    latest = figures.latest_victims(facts.f, code)
    if latest is None:
        return t.gettext("No figure of detected victims is on file.")
    year, bounds = latest["year"], latest["bounds"]
    if bounds is None:
        main = t.gettext("In {year}, its latest year, {withheld} were detected").format(
            year=year, withheld=SECONDARY_TEXT
        )
    else:
        low, high = (int(b) for b in bounds)
        if high < THRESHOLD:
            main = t.gettext(
                "In {year}, its latest year, fewer than {threshold} victims were detected"
            ).format(year=year, threshold=THRESHOLD)
        elif low == high:
            main = t.ngettext(
                "In {year}, its latest year, {n} victim was detected",
                "In {year}, its latest year, {n} victims were detected",
                high,
            ).format(year=year, n=t.integer(high))
        elif low == 0:
            main = t.ngettext(
                "In {year}, its latest year, up to {high} victim was detected",
                "In {year}, its latest year, up to {high} victims were detected",
                high,
            ).format(year=year, high=t.integer(high))
        else:
            main = t.ngettext(
                "In {year}, its latest year, between {low} and {high} victim was detected",
                "In {year}, its latest year, between {low} and {high} victims were detected",
                high,
            ).format(year=year, low=t.integer(low), high=t.integer(high))
    if latest["rate"]:
        rate = t.gettext("({rate} per 100,000 inhabitants)").format(rate=t.localise(latest["rate"]))
        return f"{main} {rate}."
    return f"{main}."


def estimate_text(t: Lang, row) -> str:
    """A verdict's estimate (`figures.trend_estimate` in English): "+13% a year, interval −9.1%
    to +42%"."""
    if str(row.get("direction")) == figures.NO_VERDICT:
        return ""
    change, low, high = figures.trend_change(row)
    if is_nan(change):
        return ""

    def pct(value: float) -> str:  # one decimal below 1% (`figures.change_text`)
        if is_nan(value):
            return NOT_REPORTED_TEXT
        small = value != 0 and abs(value) < 0.5
        return t.signed_percent(float(value), 1 if small else 0)

    if is_nan(low) or is_nan(high):
        return t.pgettext("trend", "{change} a year").format(change=pct(change))
    return t.pgettext("trend", "{change} a year, interval {low} to {high}").format(
        change=pct(change), low=pct(low), high=pct(high)
    )


def trend_sentence(t: Lang, facts: PackFacts, code: str) -> str:
    """The verdict on detected victims with its estimate, over its window."""
    rows = dict(figures.trend_rows(facts.f, code))
    if "victims_detected" not in rows:
        return ""
    row = rows["victims_detected"]
    verdict = figures.trend_verdict(row)
    window, direction = verdict["window"], verdict["direction"]
    if direction == figures.NO_VERDICT:
        return t.gettext(
            "Over {window}, the figures cannot tell whether detected victims rose or fell."
        ).format(window=window)
    sentences = {
        "rising": t.gettext("Over {window}, detected victims were rising ({estimate})."),
        "falling": t.gettext("Over {window}, detected victims were falling ({estimate})."),
        "stable": t.gettext("Over {window}, detected victims were stable ({estimate})."),
        "no_clear_trend": t.gettext(
            "Over {window}, detected victims showed no clear trend ({estimate})."
        ),
    }
    if direction not in sentences:
        return ""
    return sentences[direction].format(window=window, estimate=estimate_text(t, row))


def domain_sentence(t: Lang, facts: PackFacts, code: str) -> str:
    """The checklist domains scored highest and lowest (among those resting on enough items,
    when two or more do, and then the sentence says so: the brief's table lists every domain)."""
    ds = facts.t["mechanism_domain_scores"]
    if ds.empty:
        return ""
    rows = ds[(ds["jurisdiction"] == code) & ds["mean_score"].notna()]
    solid = rows[[not figures.thin_domain(int(k), int(n)) for k, n in
                  zip(rows["n_known"], rows["n_items"], strict=True)]]  # fmt: skip
    ranked_only = 2 <= len(solid) < len(rows)
    rows = solid if len(solid) >= 2 else rows
    if rows.empty:
        return ""
    order = rows.assign(_o=rows["domain"].map(lambda d: DOMAINS.index(d) if d in DOMAINS else 99))
    best = order.sort_values(["mean_score", "_o"], ascending=[False, True]).iloc[0]
    worst = order.sort_values(["mean_score", "_o"], ascending=[True, True]).iloc[0]
    labels = domain_labels(t)
    if float(best["mean_score"]) == float(worst["mean_score"]):
        same = (
            t.gettext(
                "Its checklist scores are {score} of 2 in every domain with enough items known "
                "to rank."
            )
            if ranked_only
            else t.gettext("Its checklist scores are {score} of 2 in every domain assessed.")
        )
        return same.format(score=t.number(float(best["mean_score"]), 2))
    sentence = (
        t.gettext(
            "Of the checklist domains with enough items known to rank, it scores highest in "
            "{best} ({best_score} of 2) and lowest in {worst} ({worst_score} of 2)."
        )
        if ranked_only
        else t.gettext(
            "Of the checklist domains, it scores highest in {best} ({best_score} of 2) and lowest "
            "in {worst} ({worst_score} of 2)."
        )
    )
    return sentence.format(
        best=labels.get(best["domain"], best["domain"]),
        best_score=t.number(float(best["mean_score"]), 2),
        worst=labels.get(worst["domain"], worst["domain"]),
        worst_score=t.number(float(worst["mean_score"]), 2),
    )


def gap_sentence(t: Lang, facts: PackFacts, code: str) -> str:
    """Its data gap within its own reporting years, and its rank from the widest
    (`figures.data_gap`)."""
    gap = figures.data_gap(facts.f, code)
    if gap is None or gap["in_range"] is None or gap["first_year"] is None:
        return ""
    return t.gettext(
        "It leaves {share} of the indicator, breakdown and year combinations of its own "
        "reporting years ({years}) without a figure, and ranks {rank} of {n} from the widest "
        "data gap."
    ).format(
        share=t.percent(gap["in_range"]),
        years=f"{gap['first_year']}–{gap['last_year']}",
        rank=gap["rank"],
        n=gap["n_ranked"],
    )


def caveats(t: Lang) -> tuple[str, str]:
    """The two caveats of every brief (`labels.PREVALENCE_CAVEAT`, `SUPPRESSION_CAVEAT`)."""
    prevalence = t.gettext(
        "Detected victims are the victims that the authorities identified in a year, not the "
        "number of people trafficked: a rise can mean better identification as much as more "
        "trafficking, and the figures do not measure prevalence."
    )
    suppression = t.gettext(
        "{suppressed} is a range (a count from 0 to {top}), not a number: sums and rates carry "
        "it as a range, and no sentence or chart shows it as a value."
    ).format(suppressed=PRIMARY_TEXT, top=THRESHOLD - 1)
    return prevalence, suppression


# --- tables and the chart ------------------------------------------------------------------------

RATE_HEAD = "Victims per 100,000 inhabitants"  # the last row of `PackFacts.key_figures`


def key_figures(t: Lang, facts: PackFacts, code: str, n_years: int) -> Table | None:
    """`PackFacts.key_figures` (the same cells), its words and numbers in the language."""
    years = facts.years_of(code)[-n_years:]
    found = facts.key_figures(code, n_years, INDICATORS)
    if found is None:
        return None
    heads = {INDICATOR_LABELS[i]: label for i, label in indicator_labels(t).items()}
    heads[RATE_HEAD] = t.gettext("Victims per 100,000 inhabitants")
    in_sentence = {INDICATOR_LABELS[i]: label for i, label in sentence_indicators(t).items()}
    rows, empty = [], []
    for row in found.rows:
        # a row without a figure in any of the years says so in the note, in one line
        if all(c.text == NOT_REPORTED_TEXT for c in row[1:]) and row[0].text in in_sentence:
            empty.append(in_sentence[row[0].text])
            continue
        rows.append(
            [Cell(heads.get(row[0].text, row[0].text), row[0].cls)]
            + [Cell(t.localise(c.text), c.cls, c.href, c.title) for c in row[1:]]
        )
    note = (
        t.gettext("Not reported in these years: {indicators}.").format(indicators=t.join(empty))
        if empty
        else ""
    )
    return table(
        [t.gettext("Indicator"), *map(str, years)],
        rows,
        source_line(t, facts, "harmonised_statistics, trends", code, years),
        caption=t.gettext("Key figures, {first}–{last}").format(first=years[0], last=years[-1]),
        note=note,
        key=f"figures-{code}",
    )


def domain_table(t: Lang, facts: PackFacts, code: str) -> Table | None:
    """Mechanism scores by checklist domain (`PackFacts.domain_table` in English), from
    `figures` (`thin_domain`, `domain_rank`)."""
    ds = facts.t["mechanism_domain_scores"]
    if ds.empty:
        return None
    d = ds[ds["jurisdiction"] == code]
    d = d.assign(_o=d["domain"].map(lambda x: DOMAINS.index(x) if x in DOMAINS else 99))
    names = domain_names(t)
    rows = []
    for _, r in d.sort_values(["_o", "domain"]).iterrows():
        n_known, n_items = int(r["n_known"]), int(r["n_items"])
        of = t.pgettext("score", "{n} of {total}")
        score = (
            NOT_REPORTED_TEXT
            if is_nan(r["mean_score"])
            else t.pgettext("score", "{score} of 2").format(
                score=t.number(float(r["mean_score"]), 2)
            )
        )
        if figures.thin_domain(n_known, n_items):
            score += " " + t.pgettext("score", "({n} of {total} items known)").format(
                n=n_known, total=n_items
            )
        rank = figures.domain_rank(facts.f, r)
        rows.append(
            [
                Cell(names.get(str(r["domain"]), str(r["domain"])), "rowhead"),
                Cell(of.format(n=n_known, total=n_items), "num"),
                Cell(t.percent(float(r["coverage_share"])), "num"),
                Cell(score, "num"),
                Cell(
                    t.pgettext("score", "not ranked")
                    if rank is None
                    else of.format(n=rank[0], total=rank[1]),
                    "num",
                ),
            ]
        )
    return table(
        [
            t.gettext("Domain"),
            t.gettext("Items known"),
            t.gettext("Coverage"),
            t.gettext("Mean score"),
            t.gettext("Rank in region"),
        ],
        rows,
        source_line(t, facts, "mechanism_domain_scores"),
        caption=t.gettext("Counter-trafficking mechanisms: scores by checklist domain"),
        note=t.gettext("Unknown items are left out of the mean, never counted as 0."),
        key=f"domains-{code}",
    )


def gap_counts(t: Lang, facts: PackFacts, code: str) -> str:
    """ "All checklist items: 3 not met, 5 partly met, 8 no evidence." (`PackFacts.gap_counts_text`
    in English); empty without gaps."""
    counts = facts.gap_counts(code)
    words = {
        "not_met": lambda n: t.npgettext("checklist", "{n} not met", "{n} not met", n),
        "partly_met": lambda n: t.npgettext("checklist", "{n} partly met", "{n} partly met", n),
        "conflict": lambda n: t.npgettext(
            "checklist", "{n} sources disagree", "{n} sources disagree", n
        ),
        "no_evidence": lambda n: t.npgettext("checklist", "{n} no evidence", "{n} no evidence", n),
    }
    parts = [words[k](counts[k]).format(n=counts[k]) for k in words if counts.get(k)]
    if not parts:
        return ""
    return t.gettext("All checklist items: {counts}.").format(counts=", ".join(parts))


CHART_PANEL_IN = 1.0  # the victims chart's panel height, in inches at the report's width


def victims_chart(t: Lang, facts: PackFacts, code: str) -> Figure | None:
    """Detected victims per year over the member's reported span, as published (ranges for
    `<5`, "c" for a withheld year): the report's range bars, its words in the language."""
    years = facts.f.years_of(code, "victims_detected")
    if not years:
        return None
    span = list(range(years[0], years[-1] + 1))
    series = {y: facts.f.chart_bounds(cell_id(code, y, "victims_detected")) for y in span}
    label = indicator_labels(t)["victims_detected"]
    name = place(t, facts, code)
    chart = charts.count_bars(
        f"fig-brief-{code}-{t.code}",
        [charts.Panel("", {label: series})],
        span,
        caption=t.gettext("{place}: victims detected per year, {first}–{last}").format(
            place=name, first=span[0], last=span[-1]
        ),
        source=source_line(t, facts, "harmonised_statistics"),
        alt=t.gettext(
            "Bar chart of the victims detected in {place} per year from {first} to {last}; a "
            "hatched bar is a range."
        ).format(place=place(t, facts, code, mark=False), first=span[0], last=span[-1]),
        ncols=1,
        panel_height=CHART_PANEL_IN,
        colors={label: charts.PALETTE[0]},
        ylabel=t.pgettext("chart", "victims"),
        labels=range_labels(t),
    )
    return Figure(chart.key, "", chart)
