"""Graded evidence sources: the registry (`evidence_registry.yaml`), the grading of every address a
statement cites, the warning for a site no one has graded, and the `evidence_sources` schema, on
small frames and on the bundled data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wbtip_pipeline.schemas.evidence import evidence_sources_schema
from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.sources.evidence_registry import (
    RULE_MIRROR,
    RULE_ORIGINAL,
    RULE_PUBLISHER,
    RULE_TYPE,
    read_evidence_registry,
    validate_evidence_registry,
)
from wbtip_pipeline.sources.mechanisms import read_assessments
from wbtip_pipeline.transforms.evidence_sources import (
    compute_evidence_sources,
    source_types,
    source_weight,
    ungraded_findings,
    url_domain,
)
from wbtip_pipeline.validation import validate
from wbtip_pipeline.vocab import SOURCE_WEIGHTS

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference"
SOURCES = ROOT / "data" / "sources"

REGISTRY = """
version: 1
domains:
  state.gov:
    publisher: US Department of State
    source_type: us_government
  ecoi.net:
    publisher: ecoi.net
    source_type: mirror
    original_publisher: US Department of State
    original_title: Trafficking in Persons Report
  childhub.org:
    publisher: ChildHub
    source_type: mirror
    original_publisher: US Department of State
  tip.childhub.org:
    publisher: ChildHub
    source_type: ngo
  unhcr.org:
    publisher: UNHCR
    source_type: international_organisation
  unhcr.org/refworld:
    publisher: Refworld (UNHCR)
    source_type: mirror
    original_publisher: US Department of State
  ocnal.com:
    source_type: unknown
"""


def registry(tmp_path: Path, text: str = REGISTRY) -> pd.DataFrame:
    path = tmp_path / "evidence_registry.yaml"
    path.write_text(text, encoding="utf-8")
    return read_evidence_registry(path)


def assessment(url, code="ALB", year=2020, **more) -> dict:
    return {"jurisdiction": code, "year": year, "source_url": url, "problem": None, **more}


def graded(tmp_path, *urls: str, tiers: list[dict] | None = None) -> pd.DataFrame:
    assessments = pd.DataFrame([assessment(u) for u in urls])
    tier_frame = pd.DataFrame(tiers) if tiers else None
    return compute_evidence_sources(registry(tmp_path), assessments, tier_frame)


def row(frame: pd.DataFrame, url: str) -> pd.Series:
    return frame.set_index("url").loc[url]


# --- the registry -----------------------------------------------------------------------------


def test_a_known_domain_and_its_subdomains(tmp_path):
    urls = (
        "https://www.state.gov/reports/2023-trafficking-in-persons-report/albania/",
        "https://2009-2017.state.gov/j/tip/rls/tiprpt/countries/2015/243400.htm",
    )
    frame = graded(tmp_path, *urls)
    for url in urls:
        r = row(frame, url)
        assert (r.source_type, r.publisher, r.registry_entry) == (
            "us_government",
            "US Department of State",
            "state.gov",
        )
        assert r.original_publisher is None
    assert row(frame, urls[0]).domain == "state.gov"
    assert row(frame, urls[1]).domain == "2009-2017.state.gov"
    assert validate(frame, evidence_sources_schema) == []
    assert ungraded_findings(frame) == []


def test_a_mirror_names_the_original_publisher(tmp_path):
    url = "https://www.ecoi.net/en/document/2010750.html"
    r = row(graded(tmp_path, url), url)
    assert (r.source_type, r.publisher) == ("mirror", "ecoi.net")
    assert (r.original_publisher, r.original_title) == (
        "US Department of State",
        "Trafficking in Persons Report",
    )


def test_the_most_specific_entry_wins(tmp_path):
    news = "https://tip.childhub.org/en/child-protection-news/a-meeting"
    copy = "https://childhub.org/en/child-protection-news/kosovo-2019-trafficking-persons-report"
    refworld = "http://www.unhcr.org/refworld/type,ANNUALREPORT,,MKD,4fe30cb2c,0.html"
    other = "https://www.unhcr.org/news/a-press-release"
    frame = graded(tmp_path, news, copy, refworld, other)
    assert row(frame, news).source_type == "ngo"
    assert row(frame, copy).source_type == "mirror"
    assert (row(frame, refworld).source_type, row(frame, refworld).registry_entry) == (
        "mirror",
        "unhcr.org/refworld",
    )
    assert row(frame, other).source_type == "international_organisation"


def test_an_unknown_domain_is_unknown_and_named_by_a_warning(tmp_path):
    url = "https://aassone.com/George-Mentz-Colorado-Springs-021.html"
    frame = graded(tmp_path, url, url, "https://www.state.gov/x")
    r = row(frame, url)
    assert (r.source_type, r.publisher, r.registry_entry) == ("unknown", None, None)
    assert r.n_statements == 2  # never guessed from its name, counted
    assert validate(frame, evidence_sources_schema) == []
    (finding,) = ungraded_findings(frame)
    assert (finding.column, finding.value) == ("domain", "aassone.com")
    assert "not in the evidence registry, graded unknown: 2 statements" in finding.message
    assert "evidence_registry.yaml" in finding.message


def test_a_site_the_registry_cannot_identify_also_warns(tmp_path):
    url = "https://ocnal.com/2021/07/state-department-criticizes-albania-for.html"
    frame = graded(tmp_path, url)
    assert row(frame, url).source_type == "unknown"
    assert row(frame, url).registry_entry == "ocnal.com"
    (finding,) = ungraded_findings(frame)
    assert finding.value == "ocnal.com" and "who publishes it is not established" in finding.rule


def test_an_address_that_is_not_a_web_page(tmp_path):
    frame = graded(tmp_path, "see the annual report")
    assert row(frame, "see the annual report").source_type == "unknown"
    assert url_domain("see the annual report") is None
    (finding,) = ungraded_findings(frame)
    assert finding.column == "source_url" and "not a web address" in finding.rule


def test_statements_of_every_citing_table_are_counted(tmp_path):
    url = "https://www.ecoi.net/en/document/1.html"
    assessments = pd.DataFrame(
        [
            assessment(url, "ALB", 2019),
            # agreeing assessments joined into one cell cite each of their pages
            assessment(f"{url} | https://www.state.gov/a", "SRB", 2021),
            assessment("https://www.state.gov/b", "SRB", 2021, problem="unreadable"),
        ]
    )
    tiers = pd.DataFrame([{"jurisdiction": "MNE", "report_year": 2022, "source_url": url}])
    figures = pd.DataFrame([{"jurisdiction": "MNE", "reference_year": 2015, "source_url": url}])
    frame = compute_evidence_sources(registry(tmp_path), assessments, tiers, figures)
    r = row(frame, url)
    assert r.n_statements == 4
    assert r.cited_by == "ct_assessments,us_tip_tiers,us_tip_figures"
    assert r.jurisdictions == "ALB,MNE,SRB"
    assert (r.first_year, r.last_year) == (2015, 2022)
    assert "https://www.state.gov/b" not in set(frame["url"])  # an entry with a problem
    assert validate(frame, evidence_sources_schema) == []


def test_source_weight_takes_the_best_page(tmp_path):
    frame = graded(tmp_path, "https://www.ecoi.net/1", "https://www.state.gov/1", "https://x.org/1")
    grades = source_types(frame)
    assert source_weight("https://www.ecoi.net/1", grades) == SOURCE_WEIGHTS["mirror"] == 0.7
    assert source_weight("https://x.org/1", grades) == SOURCE_WEIGHTS["unknown"] == 0.5
    assert source_weight("https://www.ecoi.net/1 | https://www.state.gov/1", grades) == 1.0
    assert source_weight("https://not.listed/1", grades) == 0.5  # not in the table: unknown
    assert source_weight(None, grades) is None and source_weight("https://x.org/1", None) is None


BAD = """
domains:
  Example.org:
    publisher: Someone
    source_type: ngo
  copies.org:
    publisher: Copies
    source_type: mirror
  ngo.org:
    publisher: An NGO
    source_type: ngo
    original_publisher: Someone else
  blog.org:
    source_type: blog
  nobody.org:
    source_type: media
  extra.org:
    publisher: X
    source_type: ngo
    owner: Y
"""


def test_the_registry_says_what_is_wrong_entry_by_entry(tmp_path):
    findings = validate_evidence_registry(registry(tmp_path, BAD))
    by_entry = {(f.row, f.rule) for f in findings}
    assert ("entry 'copies.org'", RULE_MIRROR) in by_entry
    assert ("entry 'ngo.org'", RULE_ORIGINAL) in by_entry
    assert ("entry 'blog.org'", RULE_TYPE) in by_entry
    assert ("entry 'nobody.org'", RULE_PUBLISHER) in by_entry
    assert any(f.row == "entry 'Example.org'" and "lower-case host" in f.rule for f in findings)
    assert any("unknown field owner" in f.message for f in findings)
    # an unreadable file is one finding, never an exception
    (finding,) = validate_evidence_registry(registry(tmp_path, "domains: [a, b"))
    assert "evidence_registry.yaml" in finding.message


# --- the bundled data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    assessments = pd.concat(
        [read_assessments(SOURCES, code) for code in load_configs()], ignore_index=True
    )
    tiers = pd.read_csv(REFERENCE / "us_tip_tiers.csv", dtype={"source_url": object})
    figures_file = REFERENCE / "us_tip_figures.csv"
    figures = (
        pd.read_csv(figures_file, dtype={"source_url": object}) if figures_file.exists() else None
    )
    registry = read_evidence_registry(REFERENCE / "evidence_registry.yaml")
    assert validate_evidence_registry(registry) == []
    return compute_evidence_sources(registry, assessments, tiers, figures)


# the grade of every site the bundled data cites (state.gov covers its archive and preview hosts)
EXPECTED = {
    "state.gov": "us_government",
    "2009-2017.state.gov": "us_government",
    "preview.state.gov": "us_government",
    "ecoi.net": "mirror",
    "refworld.org": "mirror",
    "unhcr.org": "mirror",  # unhcr.org/refworld/...
    "webarchive.archive.unhcr.org": "mirror",
    "statenewswire.com": "mirror",
    "thefederalnewswire.com": "mirror",
    "aassone.com": "mirror",
    "amicidilazzaro.it": "mirror",
    "childhub.org": "mirror",
    "gvnet.com": "mirror",
    "paperzz.com": "mirror",
    "astra.rs": "mirror",
    "tip.childhub.org": "ngo",
    "atina.org.rs": "ngo",
    "n1info.rs": "media",
    "meta.mk": "media",
    "parliamenttoday.com": "media",
}


def test_every_bundled_site_is_graded_by_the_registry(bundled):
    assert validate(bundled, evidence_sources_schema) == []
    assert bundled["registry_entry"].notna().all()  # no site is missing from the registry
    grades = bundled.groupby("domain")["source_type"].agg(set).to_dict()
    for domain, grade in EXPECTED.items():
        assert grades.pop(domain) == {grade}, domain
    # what is left is only what the registry grades unknown on purpose, with a warning each
    assert set(grades) <= {"ocnal.com"}
    assert {f.value for f in ungraded_findings(bundled)} == set(grades)


def test_copies_of_the_tip_report_cite_the_state_department(bundled):
    mirrors = bundled[bundled["source_type"] == "mirror"]
    tip = mirrors[~mirrors["domain"].isin(["paperzz.com", "astra.rs"])]
    assert set(tip["original_publisher"]) == {"US Department of State"}
    assert set(mirrors[mirrors["domain"] == "astra.rs"]["original_publisher"]) == {
        "European Commission"
    }
    own = bundled[bundled["source_type"] == "us_government"]
    assert set(own["publisher"]) == {"US Department of State"}
    assert own["original_publisher"].isna().all()


def test_without_a_registry_file_every_site_is_unknown_and_named(tmp_path):
    empty = read_evidence_registry(tmp_path / "no_such_registry.yaml")
    assert empty.empty and validate_evidence_registry(empty) == []  # never blocks the run
    frame = compute_evidence_sources(
        empty, pd.DataFrame([assessment("https://www.state.gov/x")]), None
    )
    assert list(frame["source_type"]) == ["unknown"]
    assert [f.value for f in ungraded_findings(frame)] == ["state.gov"]
