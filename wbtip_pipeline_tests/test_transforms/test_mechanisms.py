"""Mechanism scores, domain scores, gaps and conflicts: hand-made assessments and the bundled
YAML files."""

from __future__ import annotations

import pandas as pd
import pytest

from wbtip_pipeline.schemas.analytics import (
    mechanism_conflicts_schema,
    mechanism_domain_scores_schema,
    mechanism_gaps_schema,
    mechanism_history_schema,
    mechanism_scores_schema,
)
from wbtip_pipeline.sources.mechanisms import ASSESSMENT_COLUMNS, load_checklist, read_assessments
from wbtip_pipeline.transforms.mechanisms import (
    compute_domain_scores,
    compute_mechanism_gaps,
    compute_mechanism_history,
    compute_mechanism_scores,
    find_mechanism_conflicts,
)

from .frames import REFERENCE, SOURCES

CHECKLIST = pd.DataFrame(
    {
        "item_id": ["CT-01", "CT-02", "CT-03", "CT-04", "CT-05"],
        "domain": ["coordination"] * 3 + ["identification"] * 2,
        "title": ["Coordinator", "Action plan", "Rapporteur", "NRM", "Proactive identification"],
        "legal_basis": [""] * 5,
        "evidence_of_met": [""] * 5,
    }
)


def assessments(rows: list[tuple]) -> pd.DataFrame:
    """(jurisdiction, year, item, score, evidence) tuples -> a read_assessments frame."""
    records = []
    for i, (jurisdiction, year, item, score, evidence) in enumerate(rows):
        records.append(
            {
                "jurisdiction": jurisdiction,
                "declared_jurisdiction": jurisdiction,
                "year": year,
                "item": item,
                "score": score,
                "evidence": evidence,
                "source_url": f"https://example.org/{i}",
                "source_file": f"{jurisdiction.lower()}_ct_mechanisms.yaml",
                "source_sha256": "0" * 64,
                "source_row": f"assessments[{i}]",
                "problem": None,
            }
        )
    frame = pd.DataFrame(records, columns=ASSESSMENT_COLUMNS)
    return frame.astype({"year": "Int64", "score": "Int64"})


A = assessments(
    [
        ("ALB", 2018, "CT-01", 1, "coordinator vacant"),
        ("ALB", 2021, "CT-01", 2, "coordinator funded"),
        ("ALB", 2020, "CT-02", 1, "plan not costed"),
        ("ALB", 2020, "CT-02", 2, "plan adopted and funded"),
        ("ALB", 2019, "CT-04", 0, "no NRM meetings"),
        ("ALB", 2019, "CT-05", 1, "few screenings"),
        ("ALB", 2019, "CT-05", 1, "mobile teams underfunded"),
        ("BIH", 2020, "CT-04", 2, "SOPs applied"),
        ("BIH", 2021, "CT-05", 2, "mobile teams"),
    ]
)


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    return mechanism_scores_schema.validate(compute_mechanism_scores(A, CHECKLIST))


def score(scores, jurisdiction, item):
    rows = scores[(scores["jurisdiction"] == jurisdiction) & (scores["item_id"] == item)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_every_checklist_item_for_every_jurisdiction(scores):
    assert len(scores) == 10


def test_latest_score_with_its_year_evidence_and_change(scores):
    s = score(scores, "ALB", "CT-01")
    assert (s["status"], s["score"], s["year"], s["evidence"]) == (
        "known",
        2,
        2021,
        "coordinator funded",
    )
    assert (s["earliest_year"], s["earliest_score"], s["change_since_earliest"]) == (2018, 1, 1)
    assert (s["source_row"], s["n_assessments"]) == ("assessments[1]", 2)


def test_an_item_with_no_row_is_unknown_not_zero(scores):
    s = score(scores, "ALB", "CT-03")
    assert s["status"] == "unknown"
    assert pd.isna(s["score"]) and pd.isna(s["year"]) and s["n_assessments"] == 0


def test_disagreeing_sources_are_a_conflict_with_both_listed(scores):
    s = score(scores, "ALB", "CT-02")
    assert s["status"] == "conflict" and pd.isna(s["score"])
    assert s["conflicting_scores"] == "1; 2"
    assert "plan not costed" in s["evidence"] and "plan adopted and funded" in s["evidence"]
    conflicts = mechanism_conflicts_schema.validate(find_mechanism_conflicts(A))
    assert conflicts[["item_id", "year", "score"]].values.tolist() == [
        ["CT-02", 2020, 1],
        ["CT-02", 2020, 2],
    ]
    assert conflicts["evidence"].tolist() == ["plan not costed", "plan adopted and funded"]


def test_agreeing_sources_are_one_score_with_both_evidence(scores):
    s = score(scores, "ALB", "CT-05")
    assert (s["status"], s["score"]) == ("known", 1)
    assert s["evidence"] == "few screenings | mobile teams underfunded"
    assert s["source_row"] == "assessments[5]; assessments[6]"
    assert pd.isna(s["change_since_earliest"])  # one year only: nothing to change against


def test_an_older_conflict_does_not_hide_a_later_agreed_score():
    a = assessments(
        [
            ("MNE", 2018, "CT-01", 0, "a"),
            ("MNE", 2018, "CT-01", 2, "b"),
            ("MNE", 2020, "CT-01", 1, "c"),
        ]
    )
    s = score(compute_mechanism_scores(a, CHECKLIST), "MNE", "CT-01")
    assert (s["status"], s["score"], s["earliest_year"]) == ("known", 1, 2020)


def test_domain_scores_leave_unknown_out_and_rank_only_with_coverage(scores):
    d = mechanism_domain_scores_schema.validate(compute_domain_scores(scores))
    alb = d[d["jurisdiction"] == "ALB"].set_index("domain")
    # coordination: CT-01 known (2), CT-02 conflict, CT-03 unknown -> mean 2 over 1 of 3 items.
    c = alb.loc["coordination"]
    assert (c["n_known"], c["n_conflict"], c["n_unknown"]) == (1, 1, 1)
    assert (c["mean_score"], c["coverage_share"]) == pytest.approx((2.0, 1 / 3))
    assert not c["rankable"] and pd.isna(c["rank"])
    # identification: CT-04 0 and CT-05 1 for ALB, 2 and 2 for BIH: both fully covered.
    i = d[d["domain"] == "identification"].set_index("jurisdiction")
    assert i.loc["ALB", "score_share"] == pytest.approx(0.25)
    assert (i.loc["BIH", "rank"], i.loc["ALB", "rank"]) == (1, 2)
    assert i["rankable"].all()


def test_gaps_list_scores_0_and_1_missing_evidence_and_conflicts(scores):
    gaps = mechanism_gaps_schema.validate(compute_mechanism_gaps(scores))
    alb = gaps[gaps["jurisdiction"] == "ALB"].set_index("item_id")["gap_type"].to_dict()
    assert alb == {
        "CT-02": "conflict",
        "CT-03": "no_evidence",
        "CT-04": "not_met",
        "CT-05": "partly_met",
    }
    bih = gaps[gaps["jurisdiction"] == "BIH"].set_index("item_id")["gap_type"].to_dict()
    assert bih == {"CT-01": "no_evidence", "CT-02": "no_evidence", "CT-03": "no_evidence"}
    not_met = gaps[(gaps["jurisdiction"] == "ALB") & (gaps["item_id"] == "CT-04")].iloc[0]
    assert (not_met["score"], not_met["year"], not_met["evidence"]) == (0, 2019, "no NRM meetings")


def test_a_jurisdiction_without_usable_rows_has_every_item_unknown():
    broken = pd.DataFrame(
        [
            {
                "jurisdiction": "SRB",
                "source_file": "srb_ct_mechanisms.yaml",
                "problem": "not valid YAML",
            }
        ],
        columns=ASSESSMENT_COLUMNS,
    ).astype({"year": "Int64", "score": "Int64"})
    s = mechanism_scores_schema.validate(compute_mechanism_scores(broken, CHECKLIST))
    assert set(s["status"]) == {"unknown"} and len(s) == 5
    s = compute_mechanism_scores(A, CHECKLIST, jurisdictions=["ALB", "BIH", "XKX"])
    assert set(s.loc[s["jurisdiction"] == "XKX", "status"]) == {"unknown"}
    s = compute_mechanism_scores(A.iloc[0:0], CHECKLIST, jurisdictions=["XKX"])
    assert set(s["status"]) == {"unknown"} and len(s) == 5
    domains = mechanism_domain_scores_schema.validate(compute_domain_scores(s))
    assert domains["mean_score"].isna().all() and not domains["rankable"].any()


def test_history_keeps_every_year_with_its_change_against_the_previous_agreed_year():
    rows = A.copy()
    extra = assessments(
        [("ALB", 2023, "CT-01", 1, "coordinator left"), ("ALB", 2024, "CT-01", 1, "still vacant")]
    )
    history = mechanism_history_schema.validate(
        compute_mechanism_history(pd.concat([rows, extra], ignore_index=True), CHECKLIST)
    )
    alb1 = history[(history["jurisdiction"] == "ALB") & (history["item_id"] == "CT-01")]
    assert list(alb1["year"]) == [2018, 2021, 2023, 2024]
    assert list(alb1["change"]) == ["first", "improved", "worsened", "unchanged"]
    assert list(alb1["previous_year"].astype(object)) == [pd.NA, 2018, 2021, 2023]
    assert list(alb1["evidence"]) == [
        "coordinator vacant",
        "coordinator funded",
        "coordinator left",
        "still vacant",
    ]
    # a year whose sources disagree is a conflict: no score, no change, both scores named
    conflict = history[(history["item_id"] == "CT-02")].iloc[0]
    assert conflict["status"] == "conflict" and pd.isna(conflict["score"])
    assert conflict["conflicting_scores"] == "1; 2" and pd.isna(conflict["change"])
    # agreeing sources of one year are one row with both texts
    both = history[(history["jurisdiction"] == "ALB") & (history["item_id"] == "CT-05")]
    assert (
        len(both) == 1 and both.iloc[0]["evidence"] == "few screenings | mobile teams underfunded"
    )


# --- the bundled YAML files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    checklist = load_checklist(REFERENCE / "ct_mechanism_checklist.csv")
    frames = [
        read_assessments(SOURCES, code) for code in ["ALB", "BIH", "MKD", "MNE", "SRB", "XKX"]
    ]
    a = pd.concat(frames, ignore_index=True)
    return a, checklist, compute_mechanism_scores(a, checklist)


def test_real_tables_pass_their_schemas(real):
    a, checklist, scores = real
    mechanism_scores_schema.validate(scores)
    mechanism_domain_scores_schema.validate(compute_domain_scores(scores))
    mechanism_gaps_schema.validate(compute_mechanism_gaps(scores))
    mechanism_conflicts_schema.validate(find_mechanism_conflicts(a))
    history = mechanism_history_schema.validate(compute_mechanism_history(a, checklist))
    assert len(scores) == 6 * 28
    # one row per jurisdiction x item x year assessed, as many as the files' distinct triples
    assessed = a.dropna(subset=["year", "item", "score"])
    assert len(history) == len(assessed.drop_duplicates(["jurisdiction", "item", "year"]))


def test_real_items_without_a_row_are_unknown_not_zero(real):
    a, _, scores = real
    assessed = set(zip(a["jurisdiction"], a["item"], strict=True))
    missing = scores[
        [
            (j, i) not in assessed
            for j, i in zip(scores["jurisdiction"], scores["item_id"], strict=True)
        ]
    ]
    assert len(missing) > 0
    assert set(missing["status"]) == {"unknown"} and missing["score"].isna().all()
    gaps = compute_mechanism_gaps(scores)
    no_evidence = gaps[gaps["gap_type"] == "no_evidence"]
    assert len(no_evidence) == len(missing)


def test_real_latest_score_is_the_latest_year_of_the_file(real):
    a, _, scores = real
    rows = a[(a["jurisdiction"] == "ALB") & (a["item"] == "CT-01")]
    latest = rows[rows["year"] == rows["year"].max()]
    s = score(scores, "ALB", "CT-01")
    assert s["year"] == rows["year"].max()
    assert s["score"] == latest["score"].iloc[0]
    assert s["source_row"] == latest["source_row"].iloc[0]


def test_real_domain_ranks_only_where_coverage_reaches_80_percent(real):
    _, _, scores = real
    d = compute_domain_scores(scores)
    assert d.loc[d["coverage_share"] < 0.8, "rank"].isna().all()
    assert d.loc[d["coverage_share"] >= 0.8, "rank"].notna().all()
