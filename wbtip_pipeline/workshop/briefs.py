"""Two-page briefs for the delegations: one per member of the region and language, a
`Document(page="brief")` each, laid out by `render_pdf` (Typst) into its own PDF,
`briefs/brief_<CODE>_<lang>.pdf`.

Languages: English for every member, then the languages of its institutions, from its config
(`brief_languages: [sq, sr]`; a member without the key gets English only). A translated brief
says that it is a translation, that the English text is authoritative and that no native-speaking
analyst has reviewed it yet. Its words come from the catalogs (`i18n.py`), its numbers and dates
are formatted for its locale, and it prints exactly the figures of the English brief.

Page 1: the head (title, date, caveats) and a short narrative (sentences of `brief_text`), the key
figures of the latest years, the chart of detected victims per year, mechanism scores by domain.
Page 2: the member's top priorities (at most `TOP_PRIORITIES`), each with how progress would
show, and where the rest is: the full list and the member's chapter of the report, numbered from
the report's outline. When page 2 runs over, the list is cut: the brief shows those that fit by
estimate and is rendered again with fewer until its PDF has two pages (a Typst rendering and a
page count take some 50 ms). Should page 1 itself run over, the brief lists none and runs longer,
with a warning in the log and its page count in the asset's metadata, rather than stopping the
pack.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from wbtip_pipeline.presentation.blocks import Figure, Item, ListBlock, Note, Paragraph, Section
from wbtip_pipeline.presentation.document import Document
from wbtip_pipeline.presentation.render_pdf import render_pdf
from wbtip_pipeline.presentation.text import years_text
from wbtip_pipeline.region import Region
from wbtip_pipeline.vocab import REGIONAL
from wbtip_pipeline.warehouse import write_bytes_atomic
from wbtip_pipeline.workshop import brief_text as words
from wbtip_pipeline.workshop.brief_recs import Priority, priorities
from wbtip_pipeline.workshop.facts import PackFacts
from wbtip_pipeline.workshop.i18n import ENGLISH, LANGUAGES, Lang, LanguageError, lang
from wbtip_pipeline.workshop.layout import check_counts, page_count

BRIEFS_DIR = "briefs"
BRIEF_PAGES = 2
BRIEF_YEARS = 6  # years of key figures in a brief
TOP_PRIORITIES = 5  # a brief lists the member's top priorities, at most this many
# Page 2 holds recommendations up to this many lines of its 8.4 pt text (the pointers and the
# closing notes left out); a recommendation takes its text's lines at `_CHARS_PER_LINE`, each
# small line under it (finding, progress, decision) its lines at `_META_CHARS` and
# `_META_LINE` of a line each, and `_REC_LINES` for its head line and spacing.
PAGE2_LINES = 62.0
_REC_LINES = 1.5
_CHARS_PER_LINE = 108
_META_CHARS = 140
_META_LINE = 0.8

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Brief:
    """A brief as written: its member, language, file, pages and recommendations shown."""

    code: str
    lang: str
    path: Path
    pages: int
    shown: int
    total: int


def brief_languages(region: Region, code: str) -> list[str]:
    """English, then the member's `brief_languages`; a language without a catalog is an error
    of its config."""
    member = region.member(code)
    extra = list(member.brief_languages) if member else []
    unknown = [c for c in extra if c not in LANGUAGES]
    if unknown:
        raise LanguageError(
            f"{code}.yaml: brief_languages {unknown} have no catalog; known: "
            f"{', '.join(c for c in LANGUAGES if c != ENGLISH)}"
        )
    return [ENGLISH, *extra]


def brief_path(folder: Path, code: str, language: str) -> Path:
    return Path(folder) / BRIEFS_DIR / f"brief_{code}_{language}.pdf"


def full_list(t: Lang, facts: PackFacts, code: str) -> str:
    """Where the rest is: the report's full list of recommendations and the member's chapter,
    numbered from the outline ("full list: section 11 of the report (Recommendations); ...")."""
    outline = facts.outline
    chapter = outline.chapter(code)
    text = t.gettext(
        "full list: {ref} of the report ({title}); {place} in full: {chapter} (its chapter); "
        "every id is in the feedback form."
    ).format(
        ref=words.section_ref(t, outline["recommendations"]),
        title=words.section_title(t, facts, outline["recommendations"]),
        place=words.place(t, facts, code),
        chapter=words.section_ref(t, chapter),
    )
    if t.translated:
        text += " " + t.gettext("The report is in English.")
    return text


def _regional_involving(facts: PackFacts, code: str) -> int:
    """How many regional recommendations summarise the member's own."""
    regional = facts.recs_of(REGIONAL)
    if regional.empty:
        return 0
    summarises = regional["summarises"].fillna("").astype(str).str.split(",")
    return int(summarises.map(lambda s: code in s).sum())


def _cover(t: Lang, facts: PackFacts, code: str) -> list:
    """The head of page 1: the translation notice, the narrative, the caveats."""
    cover: list = []
    if t.translated:
        cover.append(
            Note(
                t.gettext(
                    "This is a translation of the English brief; the English text is "
                    "authoritative. The translation was machine-generated and has not yet been "
                    "reviewed by a native-speaking analyst. The assessments' findings are given "
                    "in English."
                ),
                "caveat",
                lead=t.gettext("Translation."),
                id="translation-notice",
            )
        )
    years = facts.years_of(code)
    first = [words.latest_sentence(t, facts, code)]
    first.append(
        t.gettext("Statistics on file: {years}.").format(years=years_text(years))
        if years
        else t.gettext("No statistics on file.")
    )
    cover.append(Paragraph(" ".join(first)))
    rest = [
        words.trend_sentence(t, facts, code),
        words.domain_sentence(t, facts, code),
        words.gap_sentence(t, facts, code),
    ]
    if any(rest):
        cover.append(Paragraph(" ".join(r for r in rest if r)))
    prevalence, suppression = words.caveats(t)
    cover.append(Note(f"{prevalence} {suppression}", "caveat"))
    return cover


def _figures_page(t: Lang, facts: PackFacts, code: str, chart: Figure | None) -> Section:
    """Page 1: key figures, detected victims per year, mechanism scores by domain."""
    page = Section(f"figures-{code}", "", t.gettext("Figures and mechanisms"), cls="figures")
    figures = words.key_figures(t, facts, code, BRIEF_YEARS)
    page.add(figures or Paragraph(t.gettext("No statistics on file."), cls="empty"))
    page.add(chart)
    page.add(words.domain_table(t, facts, code))
    gap_counts = words.gap_counts(t, facts, code)
    if gap_counts:
        page.add(Note(gap_counts))
    return page


def _item(t: Lang, p: Priority) -> Item:
    """A priority as a list item: urgency, id, domain and rank above its text; under it the
    finding (translated briefs), how progress would show and the workshop's decision."""
    rank = t.gettext("priority {rank}").format(rank=p.rank) if p.rank != "" else ""
    domain = words.domain_names(t).get(p.domain, p.domain)
    meta = list(p.meta)
    if p.finding:
        lead = (
            t.gettext("Finding of the assessment ({year}), in English: {finding}")
            if p.finding_year
            else t.gettext("Finding of the assessment, in English: {finding}")
        )
        meta.append(lead.format(year=p.finding_year, finding=p.finding))
    if p.progress:
        meta.append(t.gettext("Progress would show as: {progress}").format(progress=p.progress))
    if p.status:
        meta.append(p.status)
    return Item(
        p.text,
        head=" · ".join(x for x in (p.id, domain, rank) if x),
        badge=p.urgency,
        badge_text=words.urgency_words(t).get(p.urgency, p.urgency) if t.translated else "",
        meta=meta,
        id=f"rec-{p.id}",
    )


def _priorities_page(
    t: Lang, facts: PackFacts, code: str, shown: list[Priority], total: int
) -> Section:
    """Page 2: the top priorities shown, and where the others are."""
    name = words.place(t, facts, code)
    n = len(shown)
    if n < total:
        title = t.ngettext(
            "Recommendations for validation: the {shown} highest priority of {total}",
            "Recommendations for validation: the {shown} highest priorities of {total}",
            n,
        ).format(shown=n, total=total)
    else:
        title = t.gettext("Recommendations for validation ({total})").format(total=total)
    page = Section(f"recommendations-{code}", "", title, cls="recommendations")
    if shown:
        page.add(ListBlock([_item(t, p) for p in shown], style="recs"))
    elif not total:
        page.add(
            Paragraph(
                t.gettext("No recommendation for {place} in this edition.").format(place=name),
                cls="empty",
            )
        )
    pointer = full_list(t, facts, code)
    if n < total:
        rest = t.ngettext(
            "{n} recommendation of lower priority", "{n} recommendations of lower priority",
            total - n,
        ).format(n=total - n)  # fmt: skip
        page.add(Paragraph(f"{rest}; {pointer}", lead=t.gettext("Not shown:")))
    else:
        page.add(Paragraph(pointer[:1].upper() + pointer[1:]))
    n_regional = _regional_involving(facts, code)
    if n_regional:
        page.add(
            Paragraph(
                t.ngettext(
                    "{n} regional recommendation also concerns {place}; it is on the slides "
                    "and in the feedback form.",
                    "{n} regional recommendations also concern {place}; they are on the slides "
                    "and in the feedback form.",
                    n_regional,
                ).format(n=n_regional, place=name)
            )
        )
    page.add(
        Note(
            t.gettext(
                "Give the delegation's decision on each recommendation in the feedback form: "
                "agreed, amended (with the agreed wording) or rejected (with the reason), the "
                "responsible institution and a target date."
            )
        )
    )
    return page


def build_brief(
    facts: PackFacts,
    code: str,
    shown: int | None = None,
    items: list[dict] | None = None,
    language: str = ENGLISH,
    chart: Figure | None = None,
    today: dt.date | None = None,
) -> Document:
    """One member's brief in `language`, with its top `shown` recommendations (at most
    `TOP_PRIORITIES`); `items` are the member's `rec_items`, `chart` its victims chart, when
    the caller has them; `today` the date it is prepared on."""
    t = lang(language)
    items = facts.rec_items(facts.recs_of(code)) if items is None else items
    limit = min(TOP_PRIORITIES, len(items))
    shown = limit if shown is None else min(shown, limit)
    chosen = priorities(t, facts, code, items[:shown])
    chart = words.victims_chart(t, facts, code) if chart is None else chart
    cover = _cover(t, facts, code)
    sections = [
        _figures_page(t, facts, code, chart),
        _priorities_page(t, facts, code, chosen, len(items)),
    ]
    title = t.gettext("Brief for the delegation of {place}").format(
        place=words.place(t, facts, code)
    )
    return Document(
        title,
        subtitle=t.gettext("Prepared on {date}").format(date=t.date(today or dt.date.today())),
        lang=t.code,
        kicker=t.gettext("Regional validation workshop · counter-trafficking needs assessment"),
        cover=cover,
        sections=sections,
        footnotes=words.footnotes(t, facts, [title, cover, sections]),
        page="brief",
    )


def _lines(p: Priority) -> float:
    """A priority's height in lines of brief text: head line and spacing, text, small lines."""
    small = [p.progress, p.finding, p.status, *p.meta]
    return (
        _REC_LINES
        + math.ceil(len(p.text) / _CHARS_PER_LINE)
        + sum(_META_LINE * math.ceil(len(m) / _META_CHARS) for m in small if m)
    )


def _estimated_fit(shown: list[Priority]) -> int:
    """How many priorities page 2 holds by estimate: on the generous side, so that the PDF
    (`fit_brief`) cuts it to what really fits rather than leave room unused."""
    total = 0.0
    for n, p in enumerate(shown):
        total += _lines(p)
        if total > PAGE2_LINES:
            return n
    return len(shown)


def fit_brief(
    facts: PackFacts, code: str, language: str = ENGLISH, today: dt.date | None = None
) -> tuple[bytes, int, int, int]:
    """(the PDF, its pages, recommendations shown, in all): the top priorities that fit page 2
    by estimate, then one fewer at a time (half as many while page 1 runs over) until the brief
    has two pages; with none left it stays longer."""
    t = lang(language)
    items = facts.rec_items(facts.recs_of(code))
    top = items[:TOP_PRIORITIES]
    shown = _estimated_fit(priorities(t, facts, code, top))
    chart = words.victims_chart(t, facts, code)
    while True:
        doc = build_brief(facts, code, shown, items, language, chart, today)
        check_counts(doc)
        pdf = render_pdf(doc)
        pages = page_count(pdf)
        if pages <= BRIEF_PAGES or shown == 0:
            return pdf, pages, shown, len(items)
        shown = shown - 1 if pages == BRIEF_PAGES + 1 else shown // 2


def render_briefs(facts: PackFacts, folder: Path, today: dt.date | None = None) -> list[Brief]:
    """Write `briefs/brief_<CODE>_<lang>.pdf` per member and language (English first), and
    remove the briefs of an earlier run that this one does not write."""
    out = []
    for code in facts.codes:
        for language in brief_languages(facts.region, code):
            pdf, pages, shown, total = fit_brief(facts, code, language, today)
            if pages != BRIEF_PAGES:  # reported in the asset's metadata (brief_pages)
                log.warning(
                    "the %s brief for %s has %d pages, not %d",
                    LANGUAGES[language].name, facts.names.of(code), pages, BRIEF_PAGES,
                )  # fmt: skip
            path = brief_path(folder, code, language)
            write_bytes_atomic(path, pdf)
            out.append(Brief(code, language, path, pages, shown, total))
    written = {b.path.name for b in out}
    for stale in (Path(folder) / BRIEFS_DIR).glob("brief_*.pdf"):
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return out
