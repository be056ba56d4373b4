"""A member's counter-trafficking response in words, domain by domain: what exists, what changed
since the earliest assessment, what is missing, and what the statistics add.

The prose is built from two tables: `mechanism_history` (every assessed year of every checklist
item, with its evidence and source) and `mechanism_scores` (the latest state of each item), plus
the statistics through `Facts` and `figures` (one definition per figure). Each statement from an
assessment carries its year and ends with a citation that links to the page it rests on, named
by its publisher (the original one for a copy) and marked when it rests only on a copy or an
unidentified site, or when it is dated.

Sentences vary with what the evidence says: an item met, partly met or not met, improved or
slipped since its first assessment, never assessed at all; an evidence text that is a predicate
("Adopted the 2024-2025 plan") becomes "the authorities adopted ...", any other is reported as
the assessment recorded it. The evidence texts are data from the assessment files: they are
never rewritten beyond that, and renderers escape them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from wbtip_pipeline.presentation import figures
from wbtip_pipeline.presentation.blocks import Block, Link, Note, Numbering, Paragraph
from wbtip_pipeline.presentation.citations import MIRROR, UNKNOWN
from wbtip_pipeline.presentation.disclosure import SECONDARY_TEXT, cell_id, count_words
from wbtip_pipeline.presentation.facts import Facts
from wbtip_pipeline.presentation.text import is_nan, number_word, plural, years_text
from wbtip_pipeline.transforms.evidence_sources import split_urls, url_domain
from wbtip_pipeline.transforms.findings import clause
from wbtip_pipeline.vocab import DATED_AFTER_YEARS, DOMAINS

PHRASES_FILE = Path(__file__).resolve().parents[2] / "reference" / "checklist_phrases.yaml"
SCORE_WORDS = {2: "met", 1: "partly met", 0: "not met"}
# the items whose evidence says who pays for assistance, and the words that show it does
FUNDING_ITEMS = ("CT-05", "CT-10", "CT-11")
CARE_WORDS = re.compile(r"\b(shelter\w*|assistance|services?|NGOs?|care|support)\b", re.I)
FUNDING_WORDS = re.compile(r"\b(fund\w*|budget\w*|grant\w*|financ\w*|donor\w*|paid|pay\w*)\b", re.I)


@lru_cache(maxsize=1)
def phrases() -> dict:
    with PHRASES_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def domain_title(domain: str) -> str:
    return phrases()["domains"].get(domain, domain.capitalize())


def subject(item_id: str, title: str) -> str:
    """How a sentence names a checklist item: its phrase, else its title in lower case."""
    phrase = phrases()["items"].get(item_id)
    return phrase or (title[:1].lower() + title[1:])


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class Evidence:
    year: int
    score: int | None
    text: str
    url: str


class Writer:
    """Builds the runs of a paragraph: sentences with a citation link before their full stop."""

    def __init__(self, f: Facts) -> None:
        self.f = f
        self.runs: list[str | Link] = []
        self.said: set[tuple[str, int]] = set()  # (item, year) already quoted in the chapter

    def say(self, text: str) -> None:
        if text:
            self.runs.append(("" if not self.runs else " ") + text)

    def citation(self, ev: Evidence) -> Link:
        """(publisher, year) linked to the page; a copy or an unidentified site says so, and
        dated evidence is marked."""
        c = self.f.citations
        urls = split_urls(ev.url)
        year = str(ev.year) + ("; dated" if c.is_dated(ev.year) else "")
        if not urls:
            return Link(f"no published source, {year}")
        parts = [(u, *c._part(u)) for u in urls]
        rank = {"own": 0, MIRROR: 1, UNKNOWN: 2, "ungraded": 3}
        url, kind, label, domain = min(parts, key=lambda p: rank.get(p[1], 4))
        href = url if re.match(r"(?i)https?://", url) else None
        if kind == MIRROR:
            text = f"{label.split(',')[0]}, {year}, only a copy on {domain}"
        elif kind == UNKNOWN:
            text = f"only an unidentified site, {domain}, {year}"
        elif kind == "ungraded":
            text = f"{url_domain(url) or domain}, {year}"
        else:
            text = f"{label}, {year}"
        return Link(re.sub(r"\s*\(([^)]*)\)", r", \1", text), href)

    def finding(self, lead: str, ev: Evidence) -> None:
        """One dated statement: "{lead} the authorities adopted ... (publisher, year)." or
        "{lead} the assessment recorded: Shelters lacked ... (publisher, year)."."""
        text, has_subject = clause(ev.text)
        if not text:
            return
        body = f"{lead} {text}" if has_subject else f"{lead} the assessment recorded: {text}"
        self.say(body + " (")
        self.runs.append(self.citation(ev))
        self.runs.append(").")

    def paragraph(self) -> Paragraph | None:
        if not self.runs:
            return None
        p = Paragraph(runs=self.runs)
        self.runs = []
        return p


# --- reading the tables ---------------------------------------------------------------------------


def history(f: Facts, code: str) -> pd.DataFrame:
    h = f.t.get("mechanism_history")
    if h is None or h.empty:
        return pd.DataFrame()
    return h[(h["jurisdiction"] == code) & (h["status"] == "known")].sort_values(
        ["item_id", "year"]
    )


def _evidence(row) -> Evidence:
    score = None if is_nan(row["score"]) else int(row["score"])
    return Evidence(
        int(row["year"]), score, str(row["evidence"] or ""), str(row["source_url"] or "")
    )


def latest_count(f: Facts, code: str, indicator: str) -> tuple[int, str] | None:
    """(year, words) of the member's latest published total of `indicator`."""
    years = [y for y in f.years_of(code, indicator) if cell_id(code, y, indicator) in f.dc.values]
    if not years:
        return None
    bounds = f.bounds(cell_id(code, years[-1], indicator))
    noun = "persons"
    return years[-1], (SECONDARY_TEXT if bounds is None else count_words(*bounds, noun=noun))


# --- a domain ---------------------------------------------------------------------------------


def _profile_sentence(name: str, domain: str, scores: pd.DataFrame) -> str:
    """How the domain stands in the latest assessments, said by what dominates it."""
    n = len(scores)
    known = scores[scores["status"] == "known"]
    counts = {s: int((known["score"] == s).sum()) for s in (2, 1, 0)}
    unknown = n - len(known)
    label = domain_title(domain).lower()
    if len(known) == 0 and n == 1:
        return ""  # the sentence on items never assessed says it
    if len(known) == 0:
        return (
            f"No assessment covers any of the {plural(n, 'item')} on {label} for {name}: whether "
            "these mechanisms exist is unknown, which is not the same as absent."
        )
    years = sorted({int(y) for y in known["year"].dropna()})
    when = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    if n == 1:
        score = int(known["score"].iloc[0])
        return f"The one item on {label} is {SCORE_WORDS[score]} in the latest assessment ({when})."
    if counts[2] == len(known) and unknown == 0:
        return (
            f"Every item on {label} is met in law and practice in {name}'s latest assessments "
            f"({when})."
        )
    parts = [f"{number_word(counts[s])} {SCORE_WORDS[s]}" for s in (2, 1, 0) if counts[s]]
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    text = f"Of the {plural(n, 'item')} on {label}, the latest assessments ({when}) find {said}"
    if unknown:
        text += f"; {number_word(unknown)} {'has' if unknown == 1 else 'have'} never been assessed"
    if counts[0] + counts[1] > counts[2]:
        text += ". This is where the gaps are"
    return text + "."


def _verbs(item_id: str) -> dict[str, str]:
    """Verb forms that agree with the item's phrase ("safeguards ... are", "a plan ... is")."""
    if item_id in phrases().get("plural", []):
        return {"is": "are", "has": "have", "exists": "exist", "was": "were", "it": "they"}
    return {"is": "is", "has": "has", "exists": "exists", "was": "was", "it": "it"}


def _item_sentences(w: Writer, row: dict, rows: pd.DataFrame, i: int) -> None:
    """The latest state of one item and, where it has a history, what changed since the first
    assessment and the step in between."""
    item = str(row["item_id"])
    what, v = subject(item, str(row["title"])), _verbs(item)
    latest = _evidence(rows.iloc[-1])
    first = _evidence(rows.iloc[0])
    score = latest.score
    for r in rows.itertuples(index=False):
        w.said.add((item, int(r.year)))
    if len(rows) == 1 or first.year == latest.year:
        opening = {
            2: [
                f"{cap(what)} {v['is']} in place.",
                f"{cap(what)} {v['exists']} in law and practice.",
            ],
            1: [
                f"{cap(what)} {v['exists']} only in part.",
                f"{cap(what)} {v['is']} partly in place.",
            ],
            0: [
                f"{cap(what)} {v['is']} missing.",
                f"{cap(what)} {v['is']} not in place in practice.",
            ],
        }[score]
        w.say(opening[i % len(opening)])
        w.finding(f"In {latest.year}", latest)
        return
    change = (score or 0) - (first.score or 0)
    if change:
        verb = "improved" if change > 0 else "slipped"
        w.say(
            f"{cap(what)} {v['has']} {verb} from {SCORE_WORDS[first.score]} in {first.year} to "
            f"{SCORE_WORDS[score]} in {latest.year}."
        )
        w.finding(f"In {first.year}", first)
        w.finding(f"In {latest.year}", latest)
        return
    middle = rows.iloc[1:-1]
    moved = middle[middle["score"] != score]  # the years it stood elsewhere
    if len(moved):
        step = _evidence(moved.iloc[-1])
        w.say(
            f"{cap(what)} {v['was']} {SCORE_WORDS[score]} in {first.year} and {v['is']} again in "
            f"{latest.year}, but not throughout: in {step.year} {v['it']} {v['was']} "
            f"{SCORE_WORDS[step.score]}."
        )
        w.finding(f"In {step.year}", step)
        w.finding(f"In {latest.year}", latest)
        return
    steady = {
        2: f"{v['has']} been in place",
        1: f"{v['has']} been only partly in place",
        0: f"{v['has']} been missing",
    }[score]
    w.say(f"{cap(what)} {steady} in every assessment since {first.year}.")
    w.finding(f"In {latest.year}", latest)


def _funding(w: Writer, hist: pd.DataFrame, name: str) -> None:
    """Who pays for shelters and assistance, from the evidence that speaks of money; what the
    chapter has already quoted is not repeated."""
    if hist.empty:
        return
    money = hist[
        hist["item_id"].isin(FUNDING_ITEMS)
        & hist["evidence"].fillna("").map(lambda t: bool(FUNDING_WORDS.search(t)))
        & hist["evidence"].fillna("").map(lambda t: bool(CARE_WORDS.search(t)))
    ].sort_values("year")
    if money.empty:
        w.say(
            f"The assessments say nothing about who funds shelters and assistance in {name}; "
            "that is itself a gap in what is known."
        )
        return
    fresh = money[[(r.item_id, int(r.year)) not in w.said for r in money.itertuples()]]
    if fresh.empty:
        newest = money.iloc[-1]
        w.say(
            "On who pays for shelters and assistance, the newest statement is the one from "
            f"{int(newest['year'])} quoted above, under "
            f"{subject(str(newest['item_id']), str(newest['title']))}."
        )
        return
    w.say("The evidence on who pays for shelters and assistance adds the following.")
    picks = [fresh.iloc[-1]] if len(fresh) == 1 else [fresh.iloc[0], fresh.iloc[-1]]
    for r in picks:
        w.said.add((r["item_id"], int(r["year"])))
        w.finding(f"In {int(r['year'])}", _evidence(r))


def _statistics(w: Writer, f: Facts, code: str, domain: str) -> None:
    """What the statistics add to the domain (one definition per figure: `figures`)."""
    name = f.names.of(code)
    if domain == "identification":
        latest = figures.latest_victims(f, code)
        if latest:
            verdict = figures.verdict_of(f, code)
            text = f"The statistics show {latest['words']} detected in {latest['year']}"
            if latest["rate"]:
                text += f" ({latest['rate']} per 100,000 inhabitants)"
            if verdict and verdict["estimate"]:
                text += f"; over {verdict['window']} detected victims {verdict['phrase']} ({verdict['estimate']})"
            w.say(
                text
                + ". These are the victims the authorities found, not the extent of trafficking."
            )
    elif domain == "justice":
        said = []
        for indicator, noun in (
            ("persons_prosecuted", "prosecuted"),
            ("persons_convicted", "convicted"),
        ):
            found = latest_count(f, code, indicator)
            if found:
                said.append(f"{found[1]} {noun} in {found[0]}")
        if said:
            w.say(f"On the statistics, {name} reported " + " and ".join(said) + ".")
        verdict = figures.verdict_of(f, code, "persons_convicted")
        if verdict and verdict["estimate"]:
            w.say(
                f"Over {verdict['window']}, convictions {verdict['phrase']} ({verdict['estimate']})."
            )
    elif domain == "data":
        gap = figures.data_gap(f, code)
        years = f.years_of(code)
        if years:
            text = f"{name} reported statistics for {years_text(years)}"
            if gap and gap["not_reported"] is not None:
                text += (
                    f"; {gap['not_reported_text']} of the combinations of indicator, breakdown and "
                    f"year the region reports are missing from its figures"
                )
            w.say(text + ".")
        else:
            w.say(f"The warehouse holds no statistics for {name}.")
    elif domain == "cooperation":
        confirmed, possible = _pairs(f, code)
        if confirmed:
            w.say(
                f"The statistics show victims moving between {name} and "
                f"{_partners(f, confirmed)}: the cases such agreements are made for."
            )
        if possible:
            w.say(
                f"{'They also' if confirmed else 'The statistics'} list possible flows with "
                f"{_partners(f, possible)}, each published as a count below five, so whether "
                "any victim moved cannot be said."
            )


def _partners(f: Facts, pairs: dict[str, str]) -> str:
    """ "Serbia (2019) and Montenegro (2019, 2020)", in the region's order."""
    order = sorted(pairs, key=lambda c: f.codes.index(c) if c in f.codes else len(f.codes))
    named = [f"{f.names.of(c)} ({pairs[c]})" for c in order]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _pairs(f: Facts, code: str) -> tuple[dict[str, str], dict[str, str]]:
    """The members linked to `code` by victim flows (regional_opportunities), with the years:
    those the published counts confirm (a flow of five or more), and those they cannot."""
    opp = f.t["regional_opportunities"]
    confirmed: dict[str, str] = {}
    possible: dict[str, str] = {}
    if opp.empty:
        return confirmed, possible
    for r in opp[opp["opportunity_type"] == "bilateral_flow"].itertuples(index=False):
        members = [c for c in str(r.jurisdictions).split(",") if c]
        if code not in members:
            continue
        years = years_text(int(y) for y in str(r.years).split(",") if y)
        into = confirmed if bool(r.confirmed) else possible
        into.update({c: years for c in members if c != code})
    return confirmed, possible


def domain_blocks(
    f: Facts, code: str, domain: str, num: Numbering, said: set | None = None
) -> list[Block]:
    """A domain's heading and paragraphs; `said`: the (item, year) the chapter has quoted."""
    name = f.names.of(code)
    scores = f.t["mechanism_scores"]
    scores = (
        scores[(scores["jurisdiction"] == code) & (scores["domain"] == domain)]
        if not scores.empty
        else scores
    )
    hist = history(f, code)
    blocks: list[Block] = [num.heading(domain_title(domain), level=3)]
    w = Writer(f)
    if said is not None:
        w.said = said
    if scores.empty:
        return []
    w.say(_profile_sentence(name, domain, scores))
    mine = hist[hist["domain"] == domain] if not hist.empty else hist
    if not mine.empty:
        newest = int(mine["year"].max())
        if f.citations.is_dated(newest):
            w.say(
                f"The newest evidence here dates from {newest}, more than "
                f"{number_word(DATED_AFTER_YEARS)} years before the newest statistics "
                f"({f.last_year}), so it may no longer describe practice."
            )
    blocks.append(w.paragraph())
    known = scores[scores["status"] == "known"].sort_values(
        ["score", "item_id"], ascending=[False, True]
    )
    for i, row in enumerate(known.itertuples(index=False)):
        rows = mine[mine["item_id"] == row.item_id] if not mine.empty else mine
        if rows.empty:
            continue
        _item_sentences(w, row._asdict(), rows, i)
        if i % 2 == 1:
            blocks.append(w.paragraph())
    blocks.append(w.paragraph())
    if domain == "protection":
        _funding(w, hist, name)
        blocks.append(w.paragraph())
    conflict = scores[scores["status"] == "conflict"]
    for row in conflict.itertuples(index=False):
        w.say(
            f"For {subject(row.item_id, row.title)}, the published assessments of {int(row.year)} "
            "disagree, so the item cannot be scored until the sources are reconciled."
        )
    unknown = scores[scores["status"] == "unknown"]
    if len(unknown):
        listed = [subject(r.item_id, r.title) for r in unknown.itertuples(index=False)]
        joined = listed[0] if len(listed) == 1 else "; ".join(listed[:-1]) + "; and " + listed[-1]
        if len(listed) == 1:
            v = _verbs(str(unknown.iloc[0]["item_id"]))
            whether = f"{v['it']} {v['exists']}"
        else:
            whether = "these exist"
        w.say(
            f"No assessment covers {joined}. Whether {whether} is unknown, which is not the same "
            "as absent."
        )
    _statistics(w, f, code, domain)
    blocks.append(w.paragraph())
    return [b for b in blocks if b is not None]


def narrative(f: Facts, code: str, num: Numbering) -> list[Block]:
    """The chapter's account of the response by domain, with its lead paragraph."""
    name = f.names.of(code)
    blocks: list[Block] = [num.heading("The response, domain by domain")]
    scores = f.t["mechanism_scores"]
    if scores.empty or not (scores["jurisdiction"] == code).any():
        return [*blocks, Note(f"No assessment of {name}'s mechanisms in this run.", "empty")]
    hist = history(f, code)
    if not hist.empty:
        years = sorted(set(hist["year"].astype(int)))
        blocks.append(
            Paragraph(
                f"This account of {name}'s response rests on {plural(len(hist), 'assessed item-year')}"
                f" from {years[0]} to {years[-1]}, scored against the checklist of "
                "counter-trafficking mechanisms and coded from the US State Department's "
                "Trafficking in Persons reports and the documents they cite. Each statement gives "
                "the year it describes and links to the page it rests on; a statement that rests "
                "only on a copy of a report, or on a site whose publisher is unknown, says so."
            )
        )
    order = [d for d in f.domain_order() if d in DOMAINS] or list(DOMAINS)
    said: set[tuple[str, int]] = set()
    for domain in order:
        blocks.extend(domain_blocks(f, code, domain, num, said))
    return blocks
