"""Schemas of the recommendation tables: `recommendations` (one row per evidence-linked
recommendation) and `recommendation_changes` (against the previous materialisation, with the
regional validation workshop's status of each id). `RECOMMENDATION_SCHEMAS` maps each table name
to its schema.

The rules behind the rows live in `wbtip_pipeline/rules/recommendations.yaml`; how they are
applied, the id and the priority score: `transforms/recommendations.py`.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.vocab import (
    BANNED_PHRASES,
    CHANGES,
    DATED_AFTER_YEARS,
    DOMAINS,
    ID_HEX,
    ISO3_PATTERN,
    MAX_PROGRESS_WORDS,
    MAX_WORDS,
    REGIONAL,
    REJECTED_CHANGE,
    TOP_PRIORITIES,
    URGENCIES,
    URGENCY_VERBS,
    WORKSHOP_STATUSES,
)

_ID = rf"^REC-[0-9a-f]{{{ID_HEX}}}$"
_PLACE = rf"^({ISO3_PATTERN}|{REGIONAL})$"
_SUMMARISES = rf"^({ISO3_PATTERN}(,{ISO3_PATTERN})+)?$"
_VERBS = tuple(URGENCY_VERBS.values())
_HTML = re.compile(r"<[A-Za-z/!]")
# a checklist item id (as mechanism_gaps.item_id): ids stay in their own columns, never in words
_ITEM_ID = r"\bCT-\d{2}\b"


def _verb_first(text: pd.Series) -> pd.Series:
    return text.str.split(" ").str[0].isin(_VERBS)


def _short(text: pd.Series) -> pd.Series:
    return text.str.split().str.len() < MAX_WORDS


def _plain_claims(text: pd.Series) -> pd.Series:
    """No markup, no template left-overs (fields, the stand-ins of a regional line), no `<5`
    or prevalence wording, no 'nan', no checklist id."""
    lowered = text.str.lower()
    bad = lowered.str.contains(_HTML) | text.str.contains(r"[{}⟦⟧]") | text.str.contains(r"\bnan\b")
    bad |= text.str.contains(_ITEM_ID)
    for phrase in BANNED_PHRASES:
        bad |= lowered.str.contains(phrase, regex=False)
    return ~bad


def _evidence_items(text: str) -> list | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    ok = (
        isinstance(value, list)
        and value
        and all(
            isinstance(v, dict)
            and isinstance(v.get("table"), str)
            and isinstance(v.get("keys"), dict)
            and v["keys"]
            and isinstance(v.get("values"), dict)
            for v in value
        )
    )
    return value if ok else None


def _evidence_counted(df: pd.DataFrame) -> pd.Series:
    counts = df["evidence"].map(lambda t: len(_evidence_items(t) or []))
    return counts == df["n_evidence"]


def _evidence_of_its_table(df: pd.DataFrame) -> pd.Series:
    tables = df["evidence"].map(lambda t: {v["table"] for v in _evidence_items(t) or []})
    return pd.Series(
        [t == {name} for t, name in zip(tables, df["evidence_table"], strict=True)],
        index=df.index,
    )


def _urgency_verb(df: pd.DataFrame) -> pd.Series:
    first = df["text"].str.split(" ").str[0]
    return first == df["urgency"].map(URGENCY_VERBS)


def _names_addressee(df: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [a in t for a, t in zip(df["addressee"], df["text"], strict=True)], index=df.index
    )


def _ranks_in_order(df: pd.DataFrame) -> pd.Series:
    """Within a jurisdiction, rank 1..n puts acts_first before the rest; within each, urgency,
    then score (high first)."""
    ordered = df.assign(_u=df["urgency"].map(URGENCIES.index)).sort_values(
        ["jurisdiction", "priority_rank"]
    )
    ok = pd.Series(True, index=df.index)
    for _, rows in ordered.groupby("jurisdiction"):
        ranks = rows["priority_rank"].tolist() == list(range(1, len(rows) + 1))
        key = list(zip(~rows["acts_first"], rows["_u"], -rows["priority_score"], strict=True))
        if not ranks or key != sorted(key):
            ok[rows.index] = False
    return ok


recommendations_schema = pa.DataFrameSchema(
    {
        "recommendation_id": pa.Column(
            str,
            pa.Check.str_matches(_ID),
            description=(
                "'REC-' + 10 hex digits of SHA-256 over the rule id, the jurisdiction and the "
                "sorted evidence keys (not values): the same evidence keeps its id on the next "
                "run, and a revised figure keeps it too"
            ),
        ),
        "jurisdiction": pa.Column(
            str,
            pa.Check.str_matches(_PLACE),
            description=(
                f"ISO 3166-1 alpha-3 code of the jurisdiction addressed (XKX: Kosovo), or "
                f"{REGIONAL} for a regional recommendation"
            ),
        ),
        "domain": pa.Column(
            str,
            pa.Check.isin(DOMAINS),
            description="the checklist domain the recommendation belongs to",
        ),
        "urgency": pa.Column(
            str,
            pa.Check.isin(URGENCIES),
            description=(
                "the Council of Europe monitoring body's scale: urge (an obligation not met), "
                "consider (partly met, improvement needed), invite (on track, keep going)"
            ),
        ),
        "addressee": pa.Column(
            str, pa.Check.str_length(min_value=1), description="who is to act, named in the text"
        ),
        "text": pa.Column(
            str,
            [
                pa.Check(_verb_first, error=f"text must start with {', '.join(_VERBS)}"),
                pa.Check(_short, error=f"text must have fewer than {MAX_WORDS} words"),
                pa.Check(
                    _plain_claims,
                    error="plain text without <5, prevalence wording or template left-overs",
                ),
            ],
            description=(
                f"the recommendation in plain text: starts with the urgency's verb "
                f"({', '.join(_VERBS)}), names the addressee and what to do, gives the evidence "
                "with its year (an assessment's finding as a clause, not in quotation marks: the "
                "evidence texts paraphrase the assessments), fewer than "
                f"{MAX_WORDS} words; never a checklist id (those are in evidence); victims are "
                "'detected' or 'identified', and <5 reads 'fewer than five'; a member carrying a "
                "footnote is named with its mark (Kosovo*: the footnote column of the CSV)"
            ),
        ),
        "progress_indicator": pa.Column(
            str,
            [
                pa.Check.str_length(min_value=1),
                pa.Check(
                    lambda s: s.str.split().str.len() < MAX_PROGRESS_WORDS,
                    error=f"progress_indicator must have fewer than {MAX_PROGRESS_WORDS} words",
                ),
                pa.Check(
                    _plain_claims,
                    error="plain text without <5, prevalence wording, ids or template left-overs",
                ),
            ],
            description=(
                "how progress would show: what an assessor would find once the recommendation is "
                "acted on (for a checklist item, from its evidence_of_met), e.g. 'a fund in law, "
                f"claims made, and awards paid to victims'; fewer than {MAX_PROGRESS_WORDS} words"
            ),
        ),
        "rule_id": pa.Column(
            str,
            pa.Check.str_matches(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"),
            description="the rule of wbtip_pipeline/rules/recommendations.yaml that made it",
        ),
        "evidence_table": pa.Column(
            str, description="the evidence table the rule reads and the evidence rows come from"
        ),
        "evidence": pa.Column(
            str,
            pa.Check(
                lambda s: s.map(lambda t: _evidence_items(t) is not None),
                error='evidence must be a non-empty JSON list of {"table", "keys", "values"}',
            ),
            description=(
                'the rows that triggered it, as a JSON list of {"table": ..., "keys": {...}, '
                '"values": {...}} (plus "derived": {...} where a selector computed a figure, '
                "e.g. a regional median)"
            ),
        ),
        "n_evidence": pa.Column(
            "int64", pa.Check.ge(1), description="how many evidence rows it cites (at least one)"
        ),
        "latest_year": pa.Column(
            "Int64",
            pa.Check.in_range(1990, 2100),
            nullable=True,
            description="the most recent year among the evidence rows; empty when they have none",
        ),
        "priority_score": pa.Column(
            "float64",
            pa.Check.ge(0.0),
            description=(
                "weight x (1 + log2(min(n_evidence, 16)) / 4) x 0.5 ** (years_behind / 5) x "
                "source x dated: the rule's weight, more evidence with diminishing returns, "
                "halved for every five years the evidence lies behind the latest year of its "
                "table, weighed by its sources (a copy or a news report less than its publisher), "
                "halved again when dated"
            ),
        ),
        "acts_first": pa.Column(
            bool,
            description=(
                "true for what a delegation can act on first: a change in law, policy or "
                "practice (not a request for figures or an account), urged or considered (not an "
                "invitation to keep going), on "
                f"evidence no more than {DATED_AFTER_YEARS} years older than the newest "
                "statistics"
            ),
        ),
        "priority_rank": pa.Column(
            "int64",
            pa.Check.ge(1),
            description=(
                "1 = first within the jurisdiction: acts_first before the rest, then by urgency "
                "(urge, consider, invite), then priority_score"
            ),
        ),
        "top_priority": pa.Column(
            bool,
            description=(
                f"true for the first {TOP_PRIORITIES} of the jurisdiction: the report leads with "
                "them, the recent concrete actions wherever the jurisdiction has them"
            ),
        ),
        "summarises": pa.Column(
            str,
            pa.Check.str_matches(_SUMMARISES),
            description=(
                "for a regional line summarising the same recommendation to several "
                "jurisdictions, those jurisdictions comma-joined; empty otherwise"
            ),
        ),
    },
    checks=[
        pa.Check(_urgency_verb, error="the text's first word must be its urgency's verb"),
        pa.Check(_names_addressee, error="the text must name its addressee"),
        pa.Check(
            lambda df: ~df["acts_first"] | (df["urgency"] != "invite"),
            error="an invitation to keep going never acts first",
        ),
        pa.Check(_evidence_counted, error="n_evidence must count the evidence rows"),
        pa.Check(_evidence_of_its_table, error="evidence rows must come from evidence_table"),
        pa.Check(
            lambda df: df["top_priority"] == (df["priority_rank"] <= TOP_PRIORITIES),
            error=f"top_priority means priority_rank <= {TOP_PRIORITIES}",
        ),
        pa.Check(
            lambda df: (df["summarises"] == "") | (df["jurisdiction"] == REGIONAL),
            error=f"only a {REGIONAL} line summarises jurisdictions",
        ),
        pa.Check(
            _ranks_in_order,
            error="priority_rank must follow acts_first, then urgency, then score",
        ),
    ],
    unique=["recommendation_id"],
    strict=True,
    ordered=True,
    name="recommendations",
    description=(
        "One row per recommendation: a rule of rules/recommendations.yaml x the group of "
        "evidence rows that triggered it (per jurisdiction, or REGIONAL), with the evidence's "
        "keys and values, urgency, addressee and priority; plus one REGIONAL line per "
        "recommendation made in the same words to three or more jurisdictions, unless the "
        "region's own programme on a shared gap is about the same checklist item: one REGIONAL "
        "line per item."
    ),
)

# One schema for the table, written by `compute_recommendation_changes` (every id
# `not_discussed`) and completed by `mark_rejected_changes` (transforms/recommendation_status.py).
recommendation_changes_schema = pa.DataFrameSchema(
    {
        "recommendation_id": pa.Column(
            str, pa.Check.str_matches(_ID), description="the recommendation (stable id)"
        ),
        "jurisdiction": pa.Column(
            str, pa.Check.str_matches(_PLACE), description=f"jurisdiction code, or {REGIONAL}"
        ),
        "rule_id": pa.Column(str, description="the rule that made it"),
        "change": pa.Column(
            str,
            pa.Check.isin((*CHANGES, REJECTED_CHANGE)),
            description=(
                "new (not in the previous materialisation), unchanged (in both), resolved (only "
                "in the previous one: its evidence is gone), rejected (only in the previous one, "
                "and the workshop rejected it: gone because the workshop said no, not because "
                "the gap closed)"
            ),
        ),
        "text": pa.Column(str, description="the text (for resolved ones: as it was)"),
        "urgency": pa.Column(str, pa.Check.isin(URGENCIES), description="urge, consider, invite"),
        "domain": pa.Column(str, pa.Check.isin(DOMAINS), description="the checklist domain"),
        "text_changed": pa.Column(
            bool,
            description=(
                "true when an unchanged recommendation's words changed (a revised figure keeps "
                "the id)"
            ),
        ),
        "workshop_status": pa.Column(
            str,
            pa.Check.isin(WORKSHOP_STATUSES),
            description="the workshop's status of the id (recommendation_status), or not_discussed",
        ),
    },
    checks=[
        pa.Check(
            lambda df: ~df["text_changed"] | (df["change"] == "unchanged"),
            error="only an unchanged recommendation can have changed words",
        ),
        pa.Check(
            lambda df: (df["change"] != REJECTED_CHANGE) | (df["workshop_status"] == "rejected"),
            error="a change is 'rejected' only where the workshop rejected the recommendation",
        ),
        pa.Check(
            lambda df: (df["change"] != "resolved") | (df["workshop_status"] != "rejected"),
            error="a recommendation the workshop rejected is 'rejected', not 'resolved'",
        ),
    ],
    unique=["recommendation_id"],
    strict=True,
    ordered=True,
    name="recommendation_changes",
    description=(
        "One row per recommendation id of the current or the previous materialisation: new, "
        "unchanged or resolved, so that a refresh after new statistics shows what changed. With "
        "the regional validation workshop's status of each id (mark_rejected_changes)."
    ),
)

RECOMMENDATION_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "recommendations": recommendations_schema,
    "recommendation_changes": recommendation_changes_schema,
}
