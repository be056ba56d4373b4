"""Schemas of the regional validation workshop: the completed feedback forms as read
(`feedback_schema`, built for the recommendation ids a form may name) and the
`recommendation_status` table. (`recommendation_changes`, with the workshop's view of each id, has
its one schema in `schemas/recommendations.py`.)

`WORKSHOP_SCHEMAS` maps each published table name to its schema. The rules behind the tables:
`transforms/recommendation_status.py`; the reader: `sources/feedback.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import pandera.pandas as pa

# re-exported for report/ and workshop/ until their rewrite (assets/reporting.py imports it here)
from wbtip_pipeline.schemas.recommendations import recommendation_changes_schema  # noqa: F401
from wbtip_pipeline.validation import blank, date_parses
from wbtip_pipeline.vocab import (
    DATE_HINT,
    DECISIONS,
    ID_HEX,
    ISO3_PATTERN,
    NOT_DISCUSSED,
    REGIONAL,
    WORKSHOP_STATUSES,
)

_ID = rf"^REC-[0-9a-f]{{{ID_HEX}}}$"
_PLACE = rf"^({ISO3_PATTERN}|{REGIONAL})$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"

# the error texts of the cross-column rules, and the form column each finding points at (the
# per-delegation form's columns: Amended text, Reason; its reader keeps Reason in `comment`)
AMENDED_WITHOUT_TEXT = "'amended' without amended text: write the agreed wording in Amended text"
REJECTED_WITHOUT_REASON = "'rejected' without a reason: give the reason in Reason"
ON_ANOTHER_SHEET = "a recommendation to another jurisdiction: decided on its own sheet only"
NOT_AN_ID = "not a recommendation id of the current report"
NOT_A_DECISION = f"decision must be one of {', '.join(DECISIONS)} (leave it empty if not discussed)"
NOT_A_DATE = f"not a date: {DATE_HINT}"
WIDE_CHECK_COLUMNS = {
    AMENDED_WITHOUT_TEXT: "amended_text",
    REJECTED_WITHOUT_REASON: "comment",
    ON_ANOTHER_SHEET: "recommendation_id",
}


def amended_has_text(frame: pd.DataFrame) -> pd.Series:
    """An `amended` decision must carry the amended text."""
    return (frame["decision"] != "amended") | ~blank(frame["amended_text"])


def rejected_has_reason(frame: pd.DataFrame) -> pd.Series:
    """A `rejected` decision must give the reason, in the comment column."""
    return (frame["decision"] != "rejected") | ~blank(frame["comment"])


def on_its_sheet(frame: pd.DataFrame, owners: Mapping[str, str]) -> pd.Series:
    """A decision comes from the sheet of the recommendation's own jurisdiction (`jurisdiction`
    is the sheet's; `owners` maps each id to its jurisdiction; an unknown id is NOT_AN_ID's)."""
    owner = frame["recommendation_id"].map(owners)
    return owner.isna() | (owner == frame["jurisdiction"])


def _text(description: str) -> pa.Column:
    return pa.Column(object, nullable=True, description=description)


def feedback_schema(
    known_ids: Iterable[str], owners: Mapping[str, str] | None = None
) -> pa.DataFrameSchema:
    """The rows of completed feedback forms (`read_feedback`, rows without a file problem):
    one row per decision, i.e. per form row whose decision cell is not empty. With `owners`
    ({id: jurisdiction}), a decision must also come from its jurisdiction's sheet."""
    known = set(known_ids)
    on_sheet = [pa.Check(lambda df: on_its_sheet(df, owners), error=ON_ANOTHER_SHEET)]
    return pa.DataFrameSchema(
        {
            "recommendation_id": pa.Column(
                str,
                pa.Check(lambda s: s.isin(known), error=NOT_AN_ID),
                description="the recommendation decided on, as printed in the form",
            ),
            "decision": pa.Column(
                str,
                pa.Check(lambda s: s.isin(DECISIONS), error=NOT_A_DECISION),
                description="agreed, amended or rejected (lower case, trimmed by the reader)",
            ),
            "amended_text": _text("the amended wording; required when the decision is amended"),
            "comment": _text("a comment; for a rejection, the reason (required)"),
            "target_date": pa.Column(
                object,
                pa.Check(date_parses, error=NOT_A_DATE),
                nullable=True,
                description="when the responsible institution is to act, if agreed",
            ),
            "decided_on": pa.Column(
                object,
                pa.Check(date_parses, error=NOT_A_DATE),
                nullable=True,
                description="the date of the decision (usually the workshop's)",
            ),
        },
        checks=[
            pa.Check(amended_has_text, error=AMENDED_WITHOUT_TEXT),
            pa.Check(rejected_has_reason, error=REJECTED_WITHOUT_REASON),
            *(on_sheet if owners is not None else []),
        ],
        name="feedback",
        description="Completed workshop feedback forms: one row per decision, with its file and row.",
    )


def _decided(df: pd.DataFrame) -> pd.Series:
    return df["status"] != NOT_DISCUSSED


recommendation_status_schema = pa.DataFrameSchema(
    {
        "recommendation_id": pa.Column(
            str, pa.Check.str_matches(_ID), description="the recommendation (stable id)"
        ),
        "jurisdiction": pa.Column(
            str,
            pa.Check.str_matches(_PLACE),
            description=f"jurisdiction code of the recommendation (XKX: Kosovo), or {REGIONAL}",
        ),
        "status": pa.Column(
            str,
            pa.Check.isin(WORKSHOP_STATUSES),
            description=(
                "the workshop's latest decision: agreed, amended (see amended_text), rejected "
                "(see reason), or not_discussed when no completed form decides on it"
            ),
        ),
        "amended_text": _text("the wording the workshop agreed instead; only when amended"),
        "reason": _text("why the workshop rejected it (the form's Reason); only when rejected"),
        "comment": _text("the comment of the decision, whatever the decision"),
        "responsible_institution": _text("the institution the delegation named to act on it"),
        "target_date": pa.Column(
            object,
            pa.Check.str_matches(_ISO_DATE),
            nullable=True,
            description="when the responsible institution is to act (YYYY-MM-DD)",
        ),
        "decided_by": _text("who decided, as written in the form (delegation, person)"),
        "decided_on": pa.Column(
            object,
            pa.Check.str_matches(_ISO_DATE),
            nullable=True,
            description="the date of the decision as written in the form (YYYY-MM-DD); empty "
            "when the form gives none",
        ),
        "source_file": _text("the completed form the decision comes from (data/feedback/)"),
        "source_row": _text("where in that file: sheet 'North Macedonia', row N"),
        "n_decisions": pa.Column(
            "int64",
            pa.Check.ge(0),
            description=(
                "valid decisions on this id across all forms; the latest wins (by decided_on, "
                "then file modification time, file name and row)"
            ),
        ),
    },
    checks=[
        pa.Check(
            lambda df: (df["status"] != "amended") | ~blank(df["amended_text"]),
            error="an amended recommendation has its amended text",
        ),
        pa.Check(
            lambda df: (df["status"] != "rejected") | ~blank(df["reason"]),
            error="a rejected recommendation has its reason",
        ),
        pa.Check(
            lambda df: (df["status"] == "amended") | blank(df["amended_text"]),
            error="amended_text only for an amended recommendation",
        ),
        pa.Check(
            lambda df: (df["status"] == "rejected") | blank(df["reason"]),
            error="reason only for a rejected recommendation",
        ),
        pa.Check(
            lambda df: (
                (_decided(df) == (df["n_decisions"] > 0))
                & (_decided(df) == ~blank(df["source_file"]))
            ),
            error="a decided recommendation cites its form; a not discussed one has none",
        ),
    ],
    unique=["recommendation_id"],
    strict=True,
    ordered=True,
    name="recommendation_status",
    description=(
        "One row per recommendation id (current and previous materialisation): the regional "
        "validation workshop's latest decision on it, who took it, when, and from which "
        "completed feedback form."
    ),
)

WORKSHOP_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "recommendation_status": recommendation_status_schema,
}
