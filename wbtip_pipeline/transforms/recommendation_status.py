"""The regional validation workshop's decisions on the recommendations, as a table.

Grain of `recommendation_status`: one row per recommendation id of the `recommendations` frame
given (pass the union of the previous and the current materialisation, `union_recommendations`,
so that a decision on a recommendation that has since disappeared keeps its status).

Rules (the feedback schema, `schemas/workshop.py`, reports the same rules as findings; the
code lists are in `vocab.py`):

1. A feedback row is a decision when its `decision` cell is `agreed`, `amended` or `rejected`;
   the reader skips rows with an empty decision (not discussed).
2. A decision counts only when it is valid: its id is one of `recommendations`, it comes from
   the sheet of the recommendation's own jurisdiction (a delegation decides on its own
   recommendations; `Regional` on the region's), `amended` comes with an amended text,
   `rejected` with a reason (the form's Reason, read into `comment`), and its dates parse.
   Invalid rows are left out here; `validate_feedback` names them with file, sheet and row.
3. The latest decision wins. Decisions are ordered by `decided_on` (a row without one takes the
   date its file was last modified), then by the file's modification time, then by file name,
   then by row number; the last one is the status. `n_decisions` counts the valid decisions seen,
   so that an id decided twice can be checked.
4. An id without a valid decision is `not_discussed`, with every decision column empty.

`mark_rejected_changes` adds the workshop's view to `recommendation_changes` (see there).
Dagster-free: the assets call these functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from wbtip_pipeline.schemas.workshop import amended_has_text, on_its_sheet, rejected_has_reason
from wbtip_pipeline.validation import date_parses, iso_date
from wbtip_pipeline.vocab import DECISIONS, NOT_DISCUSSED, REJECTED_CHANGE

STATUS_LABELS = {
    "agreed": "agreed",
    "amended": "amended",
    "rejected": "rejected",
    NOT_DISCUSSED: "not yet discussed",
}

STATUS_COLUMNS = [
    "recommendation_id",
    "jurisdiction",
    "status",
    "amended_text",
    "reason",
    "comment",
    "responsible_institution",
    "target_date",
    "decided_by",
    "decided_on",
    "source_file",
    "source_row",
    "n_decisions",
]
_DECISION_FIELDS = STATUS_COLUMNS[3:-1]

_ROW_NUMBER = re.compile(r"row (\d+)")


# --- which decisions count (the cell rules: `validation.py`; the row rules: the feedback schema)


def valid_decisions(feedback: pd.DataFrame, owners: Mapping[str, str]) -> pd.Series:
    """True for the feedback rows that count as decisions (rule 2 of the module docstring);
    `owners` maps each known recommendation id to its jurisdiction."""
    if feedback.empty:
        return pd.Series(dtype=bool)
    ok = feedback["problem"].isna()
    ok &= feedback["decision"].isin(DECISIONS)
    ok &= feedback["recommendation_id"].isin(list(owners))
    ok &= on_its_sheet(feedback, owners)
    ok &= amended_has_text(feedback) & rejected_has_reason(feedback)
    ok &= date_parses(feedback["decided_on"]) & date_parses(feedback["target_date"])
    return ok


# --- the status table -------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _ordered_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions sorted oldest first (rule 3): the last row of an id is its status."""
    modified = decisions["source_modified"].fillna("").astype(str)
    effective = [
        iso_date(d) or m[:10] for d, m in zip(decisions["decided_on"], modified, strict=True)
    ]
    row = decisions["source_row"].fillna("").astype(str).map(_row_number)
    return (
        decisions.assign(_date=effective, _modified=modified, _row=row)
        .sort_values(["_date", "_modified", "source_file", "_row"], kind="stable")
        .drop(columns=["_date", "_modified", "_row"])
    )


def _row_number(where: str) -> int:
    found = _ROW_NUMBER.search(where)
    return int(found.group(1)) if found else 0


def _status_row(decision: Mapping) -> dict:
    status = decision["decision"]
    comment = _text(decision["comment"])
    return {
        "status": status,
        "amended_text": _text(decision["amended_text"]) if status == "amended" else None,
        "reason": comment if status == "rejected" else None,
        "comment": comment,
        "responsible_institution": _text(decision["responsible_institution"]),
        "target_date": iso_date(decision["target_date"]),
        "decided_by": _text(decision["decided_by"]),
        "decided_on": iso_date(decision["decided_on"]),
        "source_file": _text(decision["source_file"]),
        "source_row": _text(decision["source_row"]),
    }


def compute_recommendation_status(
    feedback: pd.DataFrame | None, recommendations: pd.DataFrame
) -> pd.DataFrame:
    """One row per recommendation id of `recommendations`, in its order: the workshop's latest
    valid decision, or `not_discussed` (rules: module docstring)."""
    ids = recommendations[["recommendation_id", "jurisdiction"]].drop_duplicates(
        "recommendation_id"
    )
    owners = dict(zip(ids["recommendation_id"], ids["jurisdiction"], strict=True))
    latest: dict[str, dict] = {}
    counts: dict[str, int] = {}
    if feedback is not None and not feedback.empty:
        decisions = _ordered_decisions(feedback[valid_decisions(feedback, owners)])
        for row in decisions.to_dict("records"):
            latest[row["recommendation_id"]] = _status_row(row)
            counts[row["recommendation_id"]] = counts.get(row["recommendation_id"], 0) + 1
    empty = {"status": NOT_DISCUSSED, **dict.fromkeys(_DECISION_FIELDS)}
    rows = [
        {
            "recommendation_id": rid,
            "jurisdiction": place,
            **latest.get(rid, empty),
            "n_decisions": counts.get(rid, 0),
        }
        for rid, place in zip(ids["recommendation_id"], ids["jurisdiction"], strict=True)
    ]
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    out[STATUS_COLUMNS[:-1]] = out[STATUS_COLUMNS[:-1]].astype(object)
    out = out.where(out.notna(), None)
    return out.astype({"n_decisions": "int64"}).reset_index(drop=True)


def union_recommendations(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The recommendations a workshop form may refer to: the current ones, then those of the
    previous materialisation that are gone (a form is filled in on the edition it was sent with)."""
    if previous is None or previous.empty:
        return current.reset_index(drop=True)
    gone = previous[~previous["recommendation_id"].isin(current["recommendation_id"])]
    if gone.empty:
        return current.reset_index(drop=True)
    # columns empty on every row that is gone are left out (pandas deprecates letting all-NA
    # columns decide the dtypes of a concatenation); they come back empty for those rows
    gone = gone[current.columns.intersection(gone.columns)].dropna(axis=1, how="all")
    return pd.concat([current, gone], ignore_index=True)


def mark_rejected_changes(changes: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """`recommendation_changes` with the workshop's view (same rows, same order).

    - `workshop_status`: the id's status in `status` (`agreed`, `amended`, `rejected`), or
      `not_discussed` when `status` has no decision for it.
    - `change`: `resolved` means the evidence behind a recommendation is gone (the rules no
      longer produce it), which reads as "the gap was closed". When the workshop rejected that
      recommendation, its disappearance says nothing about the gap, so `change` becomes
      `rejected`. Every other change is kept: a rejected recommendation whose evidence is still
      there stays `unchanged` (or `new`) with `workshop_status` `rejected`.
    """
    by_id = dict(zip(status["recommendation_id"], status["status"], strict=True))
    out = changes.copy()
    out["workshop_status"] = [by_id.get(i, NOT_DISCUSSED) for i in out["recommendation_id"]]
    rejected = (out["change"] == "resolved") & (out["workshop_status"] == "rejected")
    out.loc[rejected, "change"] = REJECTED_CHANGE
    return out.astype({"workshop_status": str})


# --- display ----------------------------------------------------------------------------------


def status_text(row: Mapping) -> str:
    """One line for a reader: 'agreed (responsible: ...; target date 2026-12-31)', 'amended:
    <text>', 'rejected: <reason>', 'not yet discussed'; who decided and when, when known."""
    value = {k: _text(row.get(k)) for k in (*_DECISION_FIELDS, "status")}
    status = value["status"] or NOT_DISCUSSED
    if status == NOT_DISCUSSED:
        return STATUS_LABELS[NOT_DISCUSSED]
    text = STATUS_LABELS.get(status, status)
    if status == "amended":
        text += f": {value['amended_text'] or ''}"
    elif status == "rejected":
        text += f": {value['reason'] or ''}"
    details = []
    if value["responsible_institution"]:
        details.append(f"responsible: {value['responsible_institution']}")
    if value["target_date"]:
        details.append(f"target date {value['target_date']}")
    who = [f"by {value['decided_by']}" if value["decided_by"] else ""]
    who.append(f"on {value['decided_on']}" if value["decided_on"] else "")
    if any(who):
        details.append("decided " + " ".join(w for w in who if w))
    return text + (f" ({'; '.join(details)})" if details else "")


def status_by_id(status: pd.DataFrame | None) -> dict[str, dict]:
    """{recommendation id: {"status", "label", "text", "detail"}} for templates (empty without a
    table): `text` is `status_text`, `detail` the same without the leading label."""
    if status is None or status.empty:
        return {}
    out = {}
    for row in status.to_dict("records"):
        label = STATUS_LABELS.get(row["status"], row["status"])
        text = status_text(row)
        out[row["recommendation_id"]] = {
            "status": row["status"],
            "label": label,
            "text": text,
            "detail": text.removeprefix(label).lstrip(":").strip(),
        }
    return out
