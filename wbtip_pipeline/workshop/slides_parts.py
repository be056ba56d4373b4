"""What the deck says about one member: its chart, its top priorities in a short form, and the
questions a facilitator puts to its delegation; and the small blocks every slide module uses (a
slide, its lead, a chart without a number, source lines that point to the report's annex).
`slides.py` and `slides_regional.py` lay these out as slides.

Top priorities are the member's `top_priority` recommendations in priority order (at most
`TOP_PRIORITIES`), each as the report publishes its text (counts masked, a withheld figure never
quoted) cut to its action: the verb, who acts and what to do, without the member's name (the slide
names it) and without the finding after the first colon or semicolon (the brief and the report
quote it). The head line names the checklist topic the recommendation is about (from
`rules/actions.yaml`: topics, never item ids) or else its domain.

Discussion questions are drawn from the member's gaps, in a facilitator's words: a checklist item
not met ("What would it take for <addressee> to <action>?"), one only partly met from another
domain ("<Topic> is only partly in place. What would help <addressee> <action>?"), and the
statistics it did not publish over its latest years ("Which institution could publish ...?").
Items behind a top priority come last (the priorities are validated anyway); an item with no
assessment, and then a question on the priorities themselves, fill in when a member has fewer
gaps. A member gets two or three questions, never a checklist id.
"""

from __future__ import annotations

import json
import re
from functools import cache

from wbtip_pipeline.presentation import charts
from wbtip_pipeline.presentation.blocks import Figure, Item, Paragraph, Section
from wbtip_pipeline.presentation.disclosure import cell_id
from wbtip_pipeline.presentation.labels import INDICATOR_SHORT
from wbtip_pipeline.presentation.text import number_word
from wbtip_pipeline.transforms.recommendations import ItemAction, RulesError, load_actions
from wbtip_pipeline.vocab import REGIONAL, TOP_PRIORITIES
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts

QUESTIONS = 3
MIN_QUESTIONS = 2
SHORT_CHARS = 260  # a priority's short form is cut (at a word, "…") past this length
CHART_YEARS = 10  # years of a member's chart
CHART_WIDTH_IN = 4.4  # drawn narrower than the A4 report's charts: larger type on a slide
STATUS_LEAD = "Workshop:"  # a recommendation's status line starts so (the deck tags its decision)
SERIES = ("victims_detected", "persons_prosecuted", "persons_convicted")
SERIES_COLORS = {
    INDICATOR_SHORT["victims_detected"]: charts.PALETTE[0],
    INDICATOR_SHORT["persons_prosecuted"]: charts.PALETTE[1],
    INDICATOR_SHORT["persons_convicted"]: charts.PALETTE[5],
}
# the statistics a data question asks for: (indicator, breakdown column, value) -> words
DATA_PARTS = (
    ("victims_detected", "sex", "sex"),
    ("victims_detected", "age", "age"),
    ("victims_detected", "dimension", "form of exploitation"),
)
CJ_PARTS = ("persons_prosecuted", "persons_convicted")
DATA_YEARS = 5
_ITEM = re.compile(r"^CT-\d{2}$")
_FINDING = re.compile(r"[;:]\s")  # where a recommendation's finding starts


# --- the blocks every slide module uses -----------------------------------------------------------


def slide(kind: str, title: str, *blocks) -> Section:
    """A slide: its id and footnotes are added by `build_slides` once the deck is in order."""
    return Section("", "", title, [b for b in blocks if b is not None], cls=kind)


def lead(text: str) -> Paragraph | None:
    return Paragraph(text, cls="lead") if text else None


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def figure(chart) -> Figure:
    """A chart on a slide: no number (the deck numbers no figure)."""
    return Figure(chart.key, "", chart)


def annex(facts: PackFacts) -> str:
    """Where the report lists its sources ("Annex B"), from the report's outline."""
    return facts.outline.ref("provenance") if "provenance" in facts.outline else "an annex"


def stats_source(facts: PackFacts) -> str:
    return (
        "Source: the jurisdictions' published statistics, harmonised for comparison "
        f"({annex(facts)} of the report lists them)."
    )


def mechanisms_source(facts: PackFacts) -> str:
    return (
        "Source: assessments against the counter-trafficking checklist "
        f"({annex(facts)} of the report lists them)."
    )


def more(n: int) -> str:
    """ "Four more jurisdictions: see their briefs." ("" for none)."""
    if n <= 0:
        return ""
    what = "jurisdiction: see its brief" if n == 1 else "jurisdictions: see their briefs"
    return f"{number_word(n).capitalize()} more {what}."


@cache
def actions() -> dict[str, ItemAction]:
    """What `rules/actions.yaml` says about each checklist item (empty if it cannot be read:
    the deck then names domains and asks fewer questions from the checklist)."""
    try:
        return load_actions()
    except (OSError, RulesError):
        return {}


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def item_of(evidence: str) -> str:
    """The checklist item a recommendation rests on, from its evidence ("" when none)."""
    try:
        rows = json.loads(evidence) if evidence else []
    except ValueError:
        return ""
    for row in rows if isinstance(rows, list) else []:
        keys = row.get("keys") or {} if isinstance(row, dict) else {}
        for key in ("item_id", "key"):
            if _ITEM.match(str(keys.get(key, ""))):
                return str(keys[key])
    return ""


def short_text(text: str, names: list[str]) -> str:
    """A recommendation's action: the published text without the member's name after the
    addressee (`names`: its name as texts spell it) and without the finding."""
    for name in names:
        text = text.replace(f" of {name} ", " ", 1)
    found = _FINDING.search(text)
    if found:
        text = text[: found.start()]
    text = text.strip().rstrip(".,;:") + "."
    if len(text) > SHORT_CHARS:
        text = text[: SHORT_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def _spellings(facts: PackFacts, code: str) -> list[str]:
    if code == REGIONAL:
        return []
    return list(dict.fromkeys([facts.names.of(code, mark=False), facts.names.of(code)]))


def top_priorities(facts: PackFacts, code: str, limit: int = TOP_PRIORITIES) -> list[dict]:
    """The member's top priorities in priority order, as the pack shows them (`rec_items`: the
    report's text, the decision), with `short` (its action) and `topic` (or the domain)."""
    recs = facts.recs_of(code)
    if recs.empty:
        return []
    top = recs[recs["top_priority"].fillna(False).astype(bool)].head(limit)
    out = []
    for row, item in zip(top.to_dict("records"), facts.rec_items(top), strict=True):
        entry = actions().get(item_of(str(row.get("evidence") or "")))
        topic = entry.topic if entry else item["domain"]
        out.append({**item, "short": short_text(item["text"], _spellings(facts, code)),
                    "topic": cap(topic), "item": item_of(str(row.get("evidence") or ""))})  # fmt: skip
    return out


def status_line(item: dict) -> str:
    status = item["status"]
    label = f"{status['label']} {status['detail']}".strip() if status else STATUS_NOT_GIVEN
    return f"{STATUS_LEAD} {label}"


def priority_item(item: dict, has_status: bool) -> Item:
    """A top priority on a slide: urgency, topic and rank above its action."""
    rank = f" · priority {item['rank']}" if item["rank"] else ""
    return Item(
        item["short"],
        head=f"{item['topic']}{rank}",
        badge=item["urgency"],
        meta=[status_line(item)] if has_status else [],
        id=f"rec-{item['id']}",
    )


# --- discussion questions -----------------------------------------------------------------------


def _domain_scores(facts: PackFacts, code: str) -> dict[str, float]:
    ds = facts.t["mechanism_domain_scores"]
    if ds.empty:
        return {}
    mine = ds[(ds["jurisdiction"] == code) & ds["score_share"].notna()]
    return dict(zip(mine["domain"], mine["score_share"].astype(float), strict=True))


def _gap_rows(
    facts: PackFacts, code: str, types: tuple[str, ...], avoid: set[str], asked: set[str]
) -> list:
    """The member's gaps of `types` that rules/actions.yaml covers: those behind a top priority
    last, then by type (not met first), those an earlier member was asked about after the
    others, and the member's weakest domain first."""
    gaps = facts.t["mechanism_gaps"]
    if gaps.empty:
        return []
    mine = gaps[(gaps["jurisdiction"] == code) & gaps["gap_type"].isin(types)]
    rows = [r for r in mine.itertuples(index=False) if str(r.item_id) in actions()]
    weakest = _domain_scores(facts, code)
    return sorted(
        rows,
        key=lambda r: (
            str(r.item_id) in avoid,
            types.index(str(r.gap_type)),
            str(r.item_id) in asked,
            weakest.get(str(r.domain), 1.0),
            str(r.item_id),
        ),
    )


def gap_question(row) -> str:
    """A question from a gap: not met, partly met, or no assessment at all."""
    entry = actions()[str(row.item_id)]
    if row.gap_type == "not_met":
        return f"What would it take for {entry.addressee} to {entry.not_met}?"
    if row.gap_type == "partly_met":
        return (
            f"The latest assessment finds {entry.topic} only partly in place. What would help "
            f"{entry.addressee} {entry.partly_met}?"
        )
    return f"No recent assessment covers {entry.topic}. Who could show what exists today?"


def _reported(facts: PackFacts, code: str, indicator: str, column: str | None, year: int) -> bool:
    h = facts.h
    rows = h[(h["jurisdiction"] == code) & (h["year"] == year) & (h["indicator"] == indicator)]
    if column is None:
        return bool(((rows["dimension"] == "total") & (rows["sex"] == "total")
                     & (rows["age"] == "total")).any())  # fmt: skip
    if column == "dimension":
        return bool((rows["dimension"] == "exploitation").any())
    return bool((rows[column] != "total").any())


def data_question(facts: PackFacts, code: str) -> str | None:
    """A question on the statistics the member did not publish in most of its latest
    `DATA_YEARS` years with victims on file: breakdowns of the victims, and the totals of
    prosecutions and convictions."""
    years = facts.years_of(code)[-DATA_YEARS:]
    if facts.h.empty or not years:
        return (
            f"No statistics on victims detected are on file for {facts.names.of(code)}. Which "
            "institution could publish them, and from which year?"
        )

    def missing(indicator: str, column: str | None) -> bool:
        shown = sum(_reported(facts, code, indicator, column, y) for y in years)
        return shown * 2 < len(years)

    breakdowns = [words for ind, col, words in DATA_PARTS if missing(ind, col)]
    totals = [INDICATOR_SHORT[ind] for ind in CJ_PARTS if missing(ind, None)]
    parts = []
    if breakdowns:
        parts.append("the victims detected by " + _and(breakdowns))
    if totals:
        parts.append("the number of persons " + _and(totals))
    if not parts:
        return None
    window = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return (
        f"Which institution could publish {_and(parts, ', and ')}, missing in most years of "
        f"{window}?"
    )


def _and(words: list[str], last: str = " and ") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + last + words[-1]


def member_questions(
    facts: PackFacts, code: str, limit: int = QUESTIONS, asked: set[str] | None = None
) -> list[str]:
    """Two or three questions for the member's session (module docstring). `asked`: the items
    earlier members were asked about (the deck asks each member in turn, so that the sessions
    do not repeat one question), updated with this member's."""
    asked = set() if asked is None else asked
    avoid = {p["item"] for p in top_priorities(facts, code) if p["item"]}
    gaps = _gap_rows(facts, code, ("not_met", "partly_met"), avoid, asked)
    picked: list = []
    for row in gaps:  # two gaps of different domains, else any two
        if len(picked) < 2 and all(p.domain != row.domain for p in picked):
            picked.append(row)
    picked += [r for r in gaps if r not in picked][: 2 - len(picked)]
    data = data_question(facts, code)
    unknown = _gap_rows(facts, code, ("no_evidence",), avoid, asked)
    picked += unknown[: max(0, limit - len(picked) - bool(data))]
    picked = picked[:limit]
    asked.update(str(r.item_id) for r in picked)
    questions = [gap_question(row) for row in picked if row.gap_type != "no_evidence"]
    questions += [data] if data else []
    questions += [gap_question(row) for row in picked if row.gap_type == "no_evidence"]
    if len(questions) < MIN_QUESTIONS:
        questions.append(
            "Which of these priorities can the delegation act on before the next edition of the "
            "report, and who would lead?"
        )
    if len(questions) < MIN_QUESTIONS:
        questions.append(
            "Which finding on these slides does the delegation see differently, and why?"
        )
    return questions[:limit]


def regional_questions(facts: PackFacts, limit: int = QUESTIONS) -> list[str]:
    """Questions for the regional cooperation session: the gap most members share, the pair of
    members most linked by victims moving between them, and the follow-up."""
    out = []
    opp = facts.t["regional_opportunities"]
    shared = (
        opp[opp["opportunity_type"] == "shared_gap"].sort_values(
            ["n_jurisdictions", "key"], ascending=[False, True]
        )
        if not opp.empty
        else opp
    )
    for r in shared.itertuples(index=False):
        entry = actions().get(str(r.key))
        if entry is None:
            continue
        codes = [c for c in str(r.jurisdictions).split(",") if c]
        out.append(
            f"{cap(entry.topic)} falls short in {where(facts, codes)}. Which of them could lead a "
            "joint programme on it, and who would join?"
        )
        break
    pairs = [p for p in facts.f.flow_pairs() if p["certain"]] or facts.f.flow_pairs()
    if pairs:
        out.append(
            f"Victims move between {pairs[0]['pair']}: how could their authorities identify and "
            "refer these victims together?"
        )
    out.append(
        "Which regional forum should follow up the regional actions agreed today, and how often "
        "should it meet?"
    )
    return out[:limit]


def where(facts: PackFacts, codes: list[str]) -> str:
    """Where something falls short, in words that never assume the region's size: "all seven
    jurisdictions", "all but Kosovo*", "Albania, Montenegro and Serbia", "12 of the 40
    jurisdictions"."""
    n, size = len(codes), facts.region.size
    if n == size:
        return f"all {number_word(size)} jurisdictions"
    if size - n <= 2 and n > 2:
        return "all but " + facts.names.list(c for c in facts.codes if c not in codes)
    if n <= 4:
        return facts.names.list(codes)
    return f"{n} of the {size} jurisdictions"


# --- the member's chart --------------------------------------------------------------------------


def series_figure(facts: PackFacts, code: str, source: str) -> Figure | None:
    """Victims detected, persons prosecuted and convicted per year, over the member's latest
    `CHART_YEARS` years (chart bounds: a `<5` is drawn as its range, a withheld figure as c)."""
    years = facts.years_of(code)
    if not years:
        return None
    span = list(range(max(years[0], years[-1] - CHART_YEARS + 1), years[-1] + 1))
    series = {
        INDICATOR_SHORT[ind]: {y: facts.f.chart_bounds(cell_id(code, y, ind)) for y in span}
        for ind in SERIES
    }
    shown = {k: v for k, v in series.items() if any(b is not None for b in v.values())}
    if not shown:
        return None
    name = facts.names.of(code)
    missing = [k for k in series if k not in shown]
    caption = (
        f"{name}: persons per year, {span[0]}–{span[-1]}"
        + (f" (not reported: {', '.join(missing)})" if missing else "")
        + ". A hatched bar is a range such as <5; c, a withheld figure."
    )
    chart = charts.count_bars(
        f"slide-{code}-series",
        [charts.Panel("", shown)],
        span,
        caption=caption,
        source=source,
        alt=f"Bar chart of {', '.join(shown)} per year in {facts.names.of(code, mark=False)}.",
        ncols=1,
        panel_height=2.3,
        colors=SERIES_COLORS,
        width_in=CHART_WIDTH_IN,
        legend_cols=3,
    )
    return figure(chart)
