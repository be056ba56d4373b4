"""Schema of `evidence_sources`: every web page a statement of the pipeline cites, graded by the
evidence registry (`data/reference/evidence_registry.yaml`)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from wbtip_pipeline.vocab import SOURCE_TYPES

# the tables whose statements cite a page (evidence_sources.cited_by)
CITING_TABLES = ("ct_assessments", "us_tip_tiers", "us_tip_figures")
_LIST = r"^[a-z_]+(,[a-z_]+)*$"
_CODES = r"^[A-Z]{3}(,[A-Z]{3})*$"


def _text(description: str, nullable: bool = True) -> pa.Column:
    return pa.Column(object, nullable=nullable, description=description)


def _mirror_has_original(df: pd.DataFrame) -> pd.Series:
    mirror = df["source_type"] == "mirror"
    return ~mirror | df["original_publisher"].notna()


def _original_only_for_mirrors(df: pd.DataFrame) -> pd.Series:
    original = df["original_publisher"].notna() | df["original_title"].notna()
    return ~original | (df["source_type"] == "mirror")


def _graded_only_from_registry(df: pd.DataFrame) -> pd.Series:
    """A grade other than unknown comes from a registry entry, with its publisher."""
    graded = df["source_type"] != "unknown"
    return ~graded | (df["registry_entry"].notna() & df["publisher"].notna())


def _years_ordered(df: pd.DataFrame) -> pd.Series:
    return df["first_year"].isna() | df["last_year"].isna() | (df["first_year"] <= df["last_year"])


def _cited_by_known(df: pd.DataFrame) -> pd.Series:
    return df["cited_by"].map(lambda text: set(str(text).split(",")) <= set(CITING_TABLES))


evidence_sources_schema = pa.DataFrameSchema(
    {
        "url": pa.Column(
            str,
            pa.Check.str_length(min_value=1),
            unique=True,
            description="the address a statement cites, as written in its source",
        ),
        "domain": _text("the page's host name without www.; empty when it is not a web address"),
        "registry_entry": _text(
            "the entry of evidence_registry.yaml that grades it (host, or host/path prefix); "
            "empty when no entry covers it"
        ),
        "publisher": _text("who runs the site, from the registry; empty when unknown"),
        "source_type": pa.Column(
            str,
            pa.Check.isin(SOURCE_TYPES),
            description="the grade: mirror is a copy of another publisher's document; unknown a "
            "site no one has identified or the registry does not list (the check "
            "evidence_sources_graded names it)",
        ),
        "original_publisher": _text(
            "mirrors: who published the document the page copies (the report cites it)"
        ),
        "original_title": _text("mirrors: the title of the document the page copies"),
        "cited_by": pa.Column(
            str,
            pa.Check.str_matches(_LIST),
            description="the tables whose statements cite it, comma-separated: "
            + ", ".join(CITING_TABLES),
        ),
        "jurisdictions": pa.Column(
            str,
            pa.Check.str_matches(_CODES),
            description="the jurisdictions of those statements, comma-separated",
        ),
        "first_year": pa.Column(
            "Int64", nullable=True, description="the earliest year a statement citing it describes"
        ),
        "last_year": pa.Column(
            "Int64", nullable=True, description="the latest year a statement citing it describes"
        ),
        "n_statements": pa.Column(
            "int64",
            pa.Check.ge(1),
            description="how many statements cite it (assessment entries, tiers, figures)",
        ),
    },
    checks=[
        pa.Check(_mirror_has_original, error="a mirror names its original_publisher"),
        pa.Check(_original_only_for_mirrors, error="only a mirror has an original"),
        pa.Check(_graded_only_from_registry, error="a grade comes from a registry entry"),
        pa.Check(_years_ordered, error="first_year must not be after last_year"),
        pa.Check(_cited_by_known, error="cited_by names the citing tables only"),
    ],
    strict=True,
    unique=["url"],
    name="evidence_sources",
    description="One row per web page that a statement of the pipeline cites (CT assessments, US "
    "TIP tiers, US TIP figures), graded by data/reference/evidence_registry.yaml: its publisher, "
    "its source type and, for a copy, the original publisher and title.",
)

EVIDENCE_SCHEMAS = {"evidence_sources": evidence_sources_schema}
