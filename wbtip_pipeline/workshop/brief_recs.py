"""A member's top priorities as its brief lists them, in the brief's language.

English: the recommendation's text and progress indicator as the report publishes them
(`PackFacts.rec_items`: counts masked, a withheld figure never quoted).

A translation is composed from translated parts, never from the English sentence: the rule's
template (`rules/recommendations.yaml`) is a catalog message whose translation is the frame
("Urge {addressee} to {action_not_met}; ..."), and its fields are filled in the language:
- the addressee, the action, the topic and the progress phrase of a checklist item from their
  catalog entries (`rules/actions.yaml`; an action's context names the item's addressee, whose
  number and case its verb agrees with);
- names, indicators, breakdowns and domains from the catalog, other countries from CLDR;
- every figure from the published English text (`Facts.published_text`, but for a withheld
  figure, which stays `[c]` where the English brief words it, and which a translated brief
  explains under the text): the English template, read backwards, tells which words fill which
  field (`parse_fields`), so that a translated brief prints exactly the figures, ranges and
  `<5` the English one prints, only formatted for its locale. No figure is recomputed here.

The finding an assessment recorded (`{evidence_quote}`: the coder's paraphrase, in English) is not
part of a translated sentence: the brief shows it under the text, in English, with a translated
lead ("Finding of the assessment (2023), in English: ...").
A published text the template cannot read (a rule changed since the run) is shown in English,
with a translated note, and logged: `test_briefs.py` checks that the bundled run has none.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace

import pandas as pd

from wbtip_pipeline.presentation.disclosure import SECONDARY_TEXT, mask_counts_in_text
from wbtip_pipeline.presentation.text import as_str, is_nan
from wbtip_pipeline.transforms import recommendations as recs
from wbtip_pipeline.workshop.brief_text import (
    breakdown_labels,
    country,
    domain_labels,
    place,
    sentence_indicators,
)
from wbtip_pipeline.workshop.facts import STATUS_NOT_GIVEN, PackFacts
from wbtip_pipeline.workshop.i18n import ADDRESSEE, Lang, action_context, rule_contexts

log = logging.getLogger(__name__)

FINDING = recs.QUOTE_FIELD  # the assessment's finding: `{evidence_quote}`
_SPEC = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")
_YEARS = re.compile(r"^\d{4}(?:–\d{4})?$")
_SMALL_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
# the fields that are lists of years or small numbers, joined "a, b and c" in English
_LISTS = ("years_label", "window", "conflicting_scores")
_YEAR_FIELDS = ("latest_year", "year", "first_year", "last_year")


class Untranslatable(ValueError):
    """A published text its rule's template does not read, or a field with no translation."""


@dataclass
class Priority:
    """One recommendation as a brief lists it."""

    id: str
    rank: int | str
    urgency: str
    domain: str
    text: str
    progress: str
    finding: str = ""  # the assessment's finding, in English (translated briefs only)
    finding_year: str = ""
    status: str = ""  # the workshop's decision, once there is one
    translated: bool = True
    meta: list[str] = field(default_factory=list)


@cache
def rules_by_id() -> dict[str, recs.Rule]:
    return {r.id: r for r in recs.load_rules()}


@cache
def actions() -> dict[str, recs.ItemAction]:
    return recs.load_actions()


# --- reading the published English text ----------------------------------------------------------


def _pattern(template: str, known: Mapping[str, str]) -> re.Pattern:
    """The template as a regular expression, a group per field: a known field matches its
    pattern, any other whatever its neighbours leave (a field met again must repeat what it
    matched the first time)."""
    out, seen = [], set()
    for literal, name, _spec, _conv in string.Formatter().parse(" ".join(template.split())):
        out.append(re.escape(literal).replace("\\ ", r"\s+"))
        if name is None:
            continue
        if name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>{known.get(name, '.+?')})")
    return re.compile("".join(out), re.S)


def parse_fields(template: str, text: str, known: Mapping[str, str]) -> dict[str, str]:
    """{field: the words of `text` that fill it}, reading `text` as `template` rendered;
    `known`: the patterns of the fields whose words are known (`_known`)."""
    m = _pattern(template, known).fullmatch(" ".join(str(text).split()))
    if m is None:
        raise Untranslatable(f"the text does not read as its template: {text!r}")
    return m.groupdict()


def evidence_rows(evidence: str) -> list[dict]:
    """The evidence JSON as flat rows (keys, values and what a selector derived)."""
    try:
        items = json.loads(evidence) if evidence else []
    except ValueError:
        return []
    items = items if isinstance(items, list) else [items]
    return [
        {**(i.get("values") or {}), **(i.get("derived") or {}), **(i.get("keys") or {})}
        for i in items
        if isinstance(i, dict)
    ]


def _item_ids(rows: list[dict]) -> list[str]:
    """The checklist items of the evidence, in the checklist's order."""
    ids = {str(r["item_id"]) for r in rows if r.get("item_id") and not is_nan(r.get("item_id"))}
    return sorted(ids)


def _known(facts: PackFacts, row: Mapping, items: list[str]) -> dict[str, str]:
    """The patterns of the fields whose English words are known before reading the text (so
    that "the ministry of justice and ..." is never cut at its "of"): the member's name, with
    its footnote mark or without, the addressee and, for one checklist item, its phrases."""
    member = facts.region.member(str(row["jurisdiction"]))
    known = {"addressee": re.escape(as_str(row["addressee"]))}
    if member is not None:
        known["jurisdiction_name"] = re.escape(member.name) + r"\*?"
    entries = [actions()[i] for i in items if i in actions()]
    if len(entries) == 1:
        a = entries[0]
        known |= {
            "action_not_met": re.escape(a.not_met),
            "action_partly_met": re.escape(a.partly_met),
            "item_progress": re.escape(a.progress),
            "topic": re.escape(a.topic),
        }
    if entries:
        known["topic_list"] = re.escape(recs.join_words(dict.fromkeys(a.topic for a in entries)))
    return known


# --- the fields in the language ------------------------------------------------------------------


def _english_list(text: str) -> list[str]:
    return [p for p in re.split(r", | and ", text) if p]


def _figure(t: Lang, text: str) -> str:
    """A published figure of an English text in the language: "fewer than five", "between 3
    and 7", "at most 8" in words, any other number in the locale's format."""
    text = text.strip()
    if text == "fewer than five":
        return t.pgettext("count", "fewer than five")
    m = re.fullmatch(r"between (\S+) and (\S+)", text)
    if m:
        return t.pgettext("count", "between {low} and {high}").format(
            low=t.localise(m[1]), high=t.localise(m[2])
        )
    m = re.fullmatch(r"at most (\S+)", text)
    if m:
        return t.pgettext("count", "at most {high}").format(high=t.localise(m[1]))
    if re.search(r"[A-Za-z]", text.replace("[c]", "")):
        raise Untranslatable(f"not a figure: {text!r}")
    return t.localise(text)


def _codes(rows: list[dict], column: str) -> list[str]:
    values = [str(r[column]) for r in rows if r.get(column) is not None and not is_nan(r[column])]
    order = {"indicator": list(recs.INDICATOR_LABELS), "breakdown": list(recs.BREAKDOWN_LABELS)}
    known = order.get(column, [])
    return sorted(
        dict.fromkeys(values), key=lambda v: (known.index(v) if v in known else len(known), v)
    )


def year_runs(years: list[int]) -> list[str]:
    """Consecutive years as runs: [2017, 2018, 2019, 2021] -> ["2017–2019", "2021"] (the
    parts of `recommendations.years_label`, to be joined in the language)."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return [str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs]


def _label(t: Lang, facts: PackFacts, base: str, rows: list[dict]) -> str:
    """A `{column_label}` or `{column_label_list}` field from the evidence's codes."""
    codes = _codes(rows, base)
    if not codes:
        raise Untranslatable(f"the evidence has no {base} for {{{base}_label}}")
    if base in ("missing_years", "years"):
        years = sorted({int(float(y)) for c in codes for y in c.split(",") if y.strip()})
        return t.join(year_runs(years))
    if base == "jurisdictions":
        codes = list(dict.fromkeys(c for text in codes for c in text.split(",") if c))
    words = {
        "indicator": sentence_indicators(t),
        "breakdown": breakdown_labels(t),
        "domain": domain_labels(t),
    }.get(base)
    if words is not None:
        return t.join(words.get(c, c) for c in codes)
    if base in ("jurisdiction", "origin", "destination", "jurisdictions"):
        return t.join(country(t, facts, c) for c in codes)
    raise Untranslatable(f"no translation for the field {base}_label")


def _value(t: Lang, facts: PackFacts, name: str, words: str, rec: Mapping, rows, items) -> str:
    """One field of a rule's template, in the language."""
    acts = actions()
    if name == "addressee":
        return t.lookup(ADDRESSEE, words, strict=True)
    if name == "jurisdiction_name":
        return place(t, facts, str(rec["jurisdiction"]), mark=False)
    if name in ("action_not_met", "action_partly_met", "item_progress", "topic"):
        if len(items) != 1 or items[0] not in acts:
            raise Untranslatable(f"{name}: not one checklist item ({items})")
        a = acts[items[0]]
        key = recs.ITEM_FIELDS[name]
        addressee = a.addressee if key in ("not_met", "partly_met") else None
        return t.lookup(action_context(items[0], key, addressee), getattr(a, key), strict=True)
    if name == "topic_list":
        return t.join(
            t.lookup(action_context(i, "topic"), acts[i].topic, strict=True)
            for i in items
            if i in acts
        )
    if not words.strip():
        raise Untranslatable(f"the published text gives no words for {{{name}}}")
    if name == FINDING or name in _YEAR_FIELDS:
        return words
    if name in _LISTS:  # before the labels: `years_label` is a generic field, not a column's
        parts = _english_list(words)
        if not all(_YEARS.match(p) or _SMALL_NUMBER.match(p) for p in parts):
            raise Untranslatable(f"{name}: not a list of years or numbers: {words!r}")
        return t.join(t.localise(p) for p in parts)
    if name.endswith("_label_list") or name.endswith("_label"):
        return _label(t, facts, name.removesuffix("_list").removesuffix("_label"), rows)
    return _figure(t, words)


def _fill(t: Lang, context: str, template: str, values: Mapping[str, str]) -> str:
    """The template's translation, its fields filled (format specs are English formatting,
    already applied to the published words: left out)."""
    message = t.lookup(context, " ".join(template.split()), strict=True)
    return _SPEC.sub(lambda m: "{" + m[1] + "}", message).format_map(values)


def translate(t: Lang, facts: PackFacts, rec: Mapping, item: Mapping) -> Priority:
    """A recommendation (its table row `rec`, its published `item`) as the brief lists it."""
    base = dict(
        id=item["id"],
        rank=item["rank"],
        urgency=item["urgency"],
        domain=item["domain"],
        text=item["text"],
        progress=item.get("progress") or "",
        status=status_line(t, facts, item["id"]),
    )
    if not t.translated:
        return Priority(**base)
    try:
        rule = rules_by_id().get(as_str(rec.get("rule_id")))
        if rule is None:
            raise Untranslatable(f"no rule {rec.get('rule_id')!r}")
        rows = evidence_rows(as_str(rec.get("evidence")))
        items = _item_ids(rows)
        known = _known(facts, rec, items)
        text_c, progress_c = _published_as_written(facts, rec)
        words = parse_fields(rule.text, text_c, known)
        if base["progress"]:
            words |= parse_fields(rule.progress, progress_c, known)
        values = {
            name: _value(t, facts, name, words.get(name, ""), rec, rows, items)
            for name, _spec in rule.fields
        }
        text_context, progress_context = rule_contexts(rule)
        text = _fill(t, text_context, rule.text, values)
        progress = _fill(t, progress_context, rule.progress, values) if base["progress"] else ""
    except (Untranslatable, KeyError, ValueError) as e:
        log.warning("recommendation %s shown in English: %s", item["id"], e)
        return Priority(
            **base,
            translated=False,
            meta=[t.gettext("Not yet translated: the English text is shown.")],
        )
    withheld = any(SECONDARY_TEXT in v for v in words.values() if v)
    return Priority(
        **{**base, "text": text, "progress": progress},
        finding=words.get(FINDING, ""),
        finding_year=words.get("latest_year", ""),
        meta=[t.gettext("[c]: a figure withheld to protect small counts.")] if withheld else [],
    )


def _published_as_written(facts: PackFacts, rec: Mapping) -> tuple[str, str]:
    """The recommendation's text and progress as published, but for a withheld figure, which
    stays `[c]` where the English brief says it in words (`Facts.published_text`): the figures
    the English brief prints, in the sentence its template wrote."""
    row = SimpleNamespace(**rec)
    _lines, withheld = facts.f.evidence(as_str(rec.get("evidence")), as_str(rec.get("rule_id")))
    return facts.f.published_text(row, withheld, in_words=False)


def priorities(t: Lang, facts: PackFacts, code: str, items: list[dict]) -> list[Priority]:
    """The member's recommendations `items` (`PackFacts.rec_items`) in the language."""
    rows = facts.recs_of(code)
    by_id = {str(r["recommendation_id"]): r for r in rows.to_dict("records")} if len(rows) else {}
    return [translate(t, facts, by_id.get(i["id"], {}), i) for i in items]


# --- the workshop's decision ---------------------------------------------------------------------

STATUS_LEAD = "Workshop:"  # the English lead of a decision, as the slides print it


def _status_row(facts: PackFacts, rid: str) -> dict:
    table = facts.f.t.get("recommendation_status")
    if table is None or table.empty or "recommendation_id" not in table:
        return {}
    rows = table[table["recommendation_id"] == rid]
    return rows.iloc[-1].to_dict() if len(rows) else {}


def _date(t: Lang, value) -> str:
    if is_nan(value) or not str(value).strip():
        return ""
    try:
        return t.date(pd.Timestamp(str(value)).date())
    except ValueError:
        return str(value)


def status_line(t: Lang, facts: PackFacts, rid: str) -> str:
    """ "Workshop: agreed (responsible: ...; target date ...)", once the workshop has decided
    anything; the delegation's own words (an amended text, a reason, an institution) as they
    wrote them, dates in the language's format."""
    if not facts.has_status:
        return ""
    status = facts.status.get(rid)
    if not t.translated:
        label = f"{status['label']} {status['detail']}".strip() if status else STATUS_NOT_GIVEN
        return f"{STATUS_LEAD} {label}"
    row = _status_row(facts, rid)
    code = as_str(row.get("status")) or "not_discussed"
    decisions = {
        "agreed": t.pgettext("decision", "agreed"),
        "amended": t.pgettext("decision", "amended"),
        "rejected": t.pgettext("decision", "rejected"),
        "not_discussed": t.pgettext("decision", "not yet discussed"),
    }
    text = decisions.get(code, code)
    own = {"amended": "amended_text", "rejected": "reason"}.get(code)
    if own and as_str(row.get(own)):
        text += f": {mask_counts_in_text(as_str(row.get(own)))}"
    details = []
    if as_str(row.get("responsible_institution")):
        details.append(
            t.gettext("responsible: {institution}").format(
                institution=mask_counts_in_text(as_str(row["responsible_institution"]))
            )
        )
    if _date(t, row.get("target_date")):
        details.append(
            t.gettext("target date: {date}").format(date=_date(t, row.get("target_date")))
        )
    if _date(t, row.get("decided_on")):
        details.append(t.gettext("decided on {date}").format(date=_date(t, row.get("decided_on"))))
    if details:
        text += f" ({'; '.join(details)})"
    return t.gettext("Workshop decision: {decision}").format(decision=text)
