"""Counter-trafficking mechanisms: the latest score per jurisdiction x checklist item, domain
scores with their coverage, the gaps, and the conflicts between sources.

Rules:
- Unknown is its own state: an item with no assessment is `unknown`, never 0, and is left out of
  every average.
- Two assessments of the same item and year with different scores are a `conflict`: both are
  listed (`find_mechanism_conflicts`) and the year's score stays empty, never averaged.
- The latest score is that of the latest year assessed; if that year is a conflict, the item's
  status is `conflict` (an older agreed score would hide the newest evidence). Agreeing
  assessments of one year are one score, with their evidence joined.
- A domain is scored over its known items; coverage is the share of its items that are known. A
  domain is ranked across jurisdictions only where coverage is at least `RANKABLE_COVERAGE`.
"""

from __future__ import annotations

import pandas as pd

from wbtip_pipeline.region import Region, load_region
from wbtip_pipeline.vocab import RANKABLE_COVERAGE, SCORES

# The statuses (`vocab.MECHANISM_STATUSES`) and gap types (`vocab.GAP_TYPES`) are the code lists
# of mechanism_scores and mechanism_gaps; RANKABLE_COVERAGE a contract parameter of both.
EVIDENCE_SEPARATOR = " | "

SCORE_COLUMNS = [
    "jurisdiction",
    "item_id",
    "domain",
    "title",
    "status",
    "score",
    "year",
    "evidence",
    "source_url",
    "source_file",
    "source_row",
    "conflicting_scores",
    "earliest_year",
    "earliest_score",
    "change_since_earliest",
    "n_assessments",
    "years_assessed",
]


def usable_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """The rows a score can rest on: read without problem, with a year, an item and a score."""
    a = assessments
    ok = a["problem"].isna() & a["year"].notna() & a["item"].notna() & a["score"].isin(SCORES)
    out = a[ok].copy()
    out["year"] = out["year"].astype("int64")
    out["score"] = out["score"].astype("int64")
    return out.rename(columns={"item": "item_id"})


def _join(values: pd.Series) -> str:
    seen = [v for v in dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v) != "")]
    return EVIDENCE_SEPARATOR.join(seen)


def _year_scores(usable: pd.DataFrame) -> pd.DataFrame:
    """One row per jurisdiction x item x year: the agreed score, or a conflict."""
    rows = usable.sort_values(["jurisdiction", "item_id", "year", "source_file", "source_row"])
    labelled = rows.assign(
        labelled_evidence="[score "
        + rows["score"].astype(str)
        + ", "
        + rows["source_file"]
        + " "
        + rows["source_row"].astype(str)
        + "] "
        + rows["evidence"].fillna("")
    )
    out = labelled.groupby(["jurisdiction", "item_id", "year"], as_index=False).agg(
        n_scores=("score", "nunique"),
        first_score=("score", "first"),
        scores=("score", lambda s: "; ".join(map(str, sorted(set(s))))),
        evidence=("evidence", _join),
        labelled_evidence=("labelled_evidence", _join),
        source_url=("source_url", _join),
        source_file=("source_file", _join),
        source_row=("source_row", lambda s: "; ".join(map(str, s))),
    )
    out["conflict"] = out["n_scores"] > 1
    out["score"] = out["first_score"].astype("Int64").where(~out["conflict"])
    # A conflict's evidence says which score each text supports.
    out["evidence"] = out["labelled_evidence"].where(out["conflict"], out["evidence"])
    return out.drop(columns=["first_score", "labelled_evidence"])


def compute_mechanism_scores(
    assessments: pd.DataFrame,
    checklist: pd.DataFrame,
    jurisdictions: list[str] | None = None,
    region: Region | None = None,
) -> pd.DataFrame:
    """One row per jurisdiction x checklist item: status (`known`, `unknown`, `conflict`), the
    latest score with its year and evidence, and its change against the earliest agreed score.

    `jurisdictions`: those to cover (default: every jurisdiction in `assessments`, so a file
    with problems still yields its items as unknown); every checklist item gets a row.
    `region`: orders the rows, its members first (default: `load_region()`).
    """
    if jurisdictions is None:
        jurisdictions = sorted(set(assessments["jurisdiction"].dropna()))
    items = checklist[["item_id", "domain", "title"]]
    grid = pd.DataFrame({"jurisdiction": pd.Series(list(jurisdictions), dtype=object)})
    grid = grid.merge(items, how="cross")
    usable = usable_assessments(assessments)
    usable = usable[usable["item_id"].isin(items["item_id"])]
    years = _year_scores(usable)

    key = ["jurisdiction", "item_id"]
    latest = years.sort_values("year").groupby(key).tail(1)
    agreed = years[~years["conflict"]].sort_values("year")
    earliest = (
        agreed.groupby(key)
        .head(1)[key + ["year", "score"]]
        .rename(columns={"year": "earliest_year", "score": "earliest_score"})
    )
    counts = usable.groupby(key).agg(
        n_assessments=("score", "size"),
        years_assessed=("year", lambda s: ",".join(map(str, sorted(set(s))))),
    )

    out = grid.merge(latest, on=key, how="left").merge(earliest, on=key, how="left")
    out = out.merge(counts.reset_index(), on=key, how="left")
    out["status"] = "unknown"
    out.loc[out["year"].notna(), "status"] = "known"
    out.loc[out["conflict"].eq(True), "status"] = "conflict"
    out["conflicting_scores"] = out["scores"].where(out["status"] == "conflict")
    # Change only from an earlier year: one assessment has nothing to change against.
    earlier = (out["status"] == "known") & (out["earliest_year"] < out["year"])
    out["change_since_earliest"] = (out["score"] - out["earliest_score"]).where(earlier)
    out["n_assessments"] = out["n_assessments"].fillna(0)
    return _typed_scores(out, load_region() if region is None else region)


def _typed_scores(out: pd.DataFrame, region: Region) -> pd.DataFrame:
    out = out.reindex(columns=SCORE_COLUMNS)
    nullable_ints = ["score", "year", "earliest_year", "earliest_score", "change_since_earliest"]
    out = out.astype({c: "Int64" for c in nullable_ints} | {"n_assessments": "int64"})
    for col in SCORE_COLUMNS:
        if col not in nullable_ints and col != "n_assessments":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    out = out.sort_values(
        ["jurisdiction", "item_id"],
        key=lambda s: s.map(region.order) if s.name == "jurisdiction" else s,
    )
    return out.reset_index(drop=True)


def find_mechanism_conflicts(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per assessment that disagrees with another of the same jurisdiction, item and
    year: each side of every conflict, with its evidence and source."""
    usable = usable_assessments(assessments)
    key = ["jurisdiction", "item_id", "year"]
    n_scores = usable.groupby(key)["score"].transform("nunique")
    rows = usable[n_scores > 1].copy()
    rows["conflicting_scores"] = rows.groupby(key)["score"].transform(
        lambda s: "; ".join(map(str, sorted(set(s))))
    )
    rows["n_assessments"] = rows.groupby(key)["score"].transform("size")
    columns = [
        *key,
        "score",
        "conflicting_scores",
        "n_assessments",
        "evidence",
        "source_url",
        "source_file",
        "source_row",
    ]
    out = rows.reindex(columns=columns).sort_values([*key, "score", "source_row"])
    out = out.astype({"year": "int64", "score": "int64", "n_assessments": "int64"})
    for col in ("conflicting_scores", "evidence", "source_url", "source_file", "source_row"):
        out[col] = out[col].astype(object)
    return out.reset_index(drop=True)


DOMAIN_COLUMNS = [
    "jurisdiction",
    "domain",
    "n_items",
    "n_known",
    "n_conflict",
    "n_unknown",
    "coverage_share",
    "mean_score",
    "score_share",
    "rankable",
    "rank",
    "items",
    "items_known",
]


def compute_domain_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per jurisdiction x domain: the mean known score (0-2, and as a share of the
    maximum), the coverage (share of the domain's items known) and a rank among the
    jurisdictions whose coverage is at least `RANKABLE_COVERAGE` (empty otherwise)."""
    s = scores.assign(known=scores["status"] == "known")
    s["known_score"] = s["score"].astype("float64").where(s["known"])
    out = s.groupby(["jurisdiction", "domain"], as_index=False).agg(
        n_items=("item_id", "size"),
        n_known=("known", "sum"),
        n_conflict=("status", lambda x: int((x == "conflict").sum())),
        mean_score=("known_score", "mean"),
        items=("item_id", lambda x: ",".join(sorted(x))),
    )
    known_items = (
        s[s["known"]]
        .groupby(["jurisdiction", "domain"])["item_id"]
        .agg(lambda x: ",".join(sorted(x)))
    )
    out = out.merge(known_items.rename("items_known").reset_index(), how="left")
    out["n_unknown"] = out["n_items"] - out["n_known"] - out["n_conflict"]
    out["coverage_share"] = out["n_known"] / out["n_items"]
    out["score_share"] = out["mean_score"] / max(SCORES)
    out["rankable"] = out["coverage_share"] >= RANKABLE_COVERAGE
    ranked = out["score_share"].where(out["rankable"])
    out["rank"] = ranked.groupby(out["domain"]).rank(method="min", ascending=False).astype("Int64")
    out["items_known"] = out["items_known"].fillna("")
    out = out.astype({c: "int64" for c in ["n_items", "n_known", "n_conflict", "n_unknown"]})
    return out.reindex(columns=DOMAIN_COLUMNS).reset_index(drop=True)


GAP_COLUMNS = [
    "jurisdiction",
    "item_id",
    "domain",
    "title",
    "gap_type",
    "score",
    "year",
    "evidence",
    "source_url",
    "source_file",
    "source_row",
]


def compute_mechanism_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per jurisdiction x item that is a gap: latest score 0 (`not_met`) or 1
    (`partly_met`) with its evidence; no assessment at all (`no_evidence`: to close with the
    jurisdiction); or sources in conflict (`conflict`)."""
    gap_type = pd.Series(None, index=scores.index, dtype=object)
    known = scores["status"] == "known"
    gap_type[known & (scores["score"] == 0)] = "not_met"
    gap_type[known & (scores["score"] == 1)] = "partly_met"
    gap_type[scores["status"] == "unknown"] = "no_evidence"
    gap_type[scores["status"] == "conflict"] = "conflict"
    out = scores.assign(gap_type=gap_type)[gap_type.notna()]
    return out.reindex(columns=GAP_COLUMNS).reset_index(drop=True)


HISTORY_COLUMNS = [
    "jurisdiction",
    "item_id",
    "domain",
    "title",
    "year",
    "status",
    "score",
    "conflicting_scores",
    "previous_year",
    "previous_score",
    "change",
    "evidence",
    "source_url",
    "source_file",
    "source_row",
]


def compute_mechanism_history(
    assessments: pd.DataFrame, checklist: pd.DataFrame, region: Region | None = None
) -> pd.DataFrame:
    """One row per jurisdiction x checklist item x year assessed: the year's agreed score (or a
    `conflict`, its score empty), its evidence and sources, and how it compares with the
    previous agreed year (`improved`, `worsened`, `unchanged`; `first` for the first agreed
    year; empty for a conflict). The narrative of the report reads it: what changed since the
    earliest assessment, year by year, without re-reading the assessment files."""
    region = load_region() if region is None else region
    items = checklist[["item_id", "domain", "title"]]
    usable = usable_assessments(assessments)
    usable = usable[usable["item_id"].isin(items["item_id"])]
    years = _year_scores(usable).merge(items, on="item_id", how="left")
    years["status"] = years["conflict"].map({True: "conflict", False: "known"})
    years["conflicting_scores"] = years["scores"].where(years["conflict"])
    key = ["jurisdiction", "item_id"]
    years = years.sort_values([*key, "year"]).reset_index(drop=True)
    agreed = years[~years["conflict"]]
    previous = agreed.groupby(key)[["year", "score"]].shift(1)
    years["previous_year"] = previous["year"].reindex(years.index).astype("Int64")
    years["previous_score"] = previous["score"].reindex(years.index).astype("Int64")
    diff = years["score"] - years["previous_score"]
    change = pd.Series(pd.NA, index=years.index, dtype=object)
    change[~years["conflict"] & years["previous_score"].isna()] = "first"
    change[diff.gt(0).fillna(False)] = "improved"
    change[diff.lt(0).fillna(False)] = "worsened"
    change[diff.eq(0).fillna(False)] = "unchanged"
    years["change"] = change
    order = {code: i for i, code in enumerate(region.codes)}
    years["_order"] = years["jurisdiction"].map(order).fillna(len(order))
    out = years.sort_values(["_order", "jurisdiction", "item_id", "year"])[HISTORY_COLUMNS]
    out = out.reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    out["score"] = out["score"].astype("Int64")
    for col in ("conflicting_scores", "change", "evidence", "source_url"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out
