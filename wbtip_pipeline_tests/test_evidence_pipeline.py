"""The graded evidence sources in Dagster: the registry asset and its blocking check, the
`evidence_sources` table and its warning for a site no one has graded, and the recommendations
and report that read it."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import dagster as dg
import pandas as pd

from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.transforms.evidence_sources import split_urls
from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES, REFERENCE, publish, settings_for

WARN = dg.AssetCheckSeverity.WARN


def test_the_bundled_run_grades_every_site(bundled_run):
    _, rest = bundled_run.runs
    sources_run = bundled_run.runs[0]
    assert sources_run.check("evidence_registry_schema").passed
    graded = rest.check("evidence_sources_graded")
    assert graded.severity == WARN
    # the only warning is the site the registry could not identify (no unlisted site)
    assert not graded.passed
    messages = rest.messages("evidence_sources_graded").splitlines()
    assert len(messages) == 1 and "'ocnal.com'" in messages[0]
    assert "who publishes it is not established" in messages[0]
    table = bundled_run.table("evidence_sources")
    assert table["url"].is_unique and len(table) > 50
    assert set(table["source_type"]) >= {"us_government", "mirror", "media", "ngo", "unknown"}
    assert (table["source_type"] != "unknown").sum() == len(table) - 1


def test_recommendations_read_the_grades(bundled_run):
    recs = bundled_run.table("recommendations")
    grades = bundled_run.table("evidence_sources").set_index("url")["source_type"]
    mirror_only = 0
    for r in recs[recs["rule_id"].str.startswith("GAP-")].itertuples(index=False):
        for e in json.loads(r.evidence):
            urls = split_urls(e["values"].get("source_url"))
            if urls and all(grades.get(u) == "mirror" for u in urls):
                mirror_only += 1
    assert mirror_only  # the bundled evidence rests mostly on copies of the TIP report
    for text in recs["text"]:
        for m in re.finditer(r"\blatest\b", text):
            assert re.match(r"latest assessment(, | \(|.{0,30})\d{4}", text[m.start() :]), text


def test_an_unlisted_domain_is_unknown_with_a_warning_naming_it(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    registry = reference / "evidence_registry.yaml"
    text = registry.read_text(encoding="utf-8")
    start = text.index("  gvnet.com:")
    end = text.index("  aassone.com:")
    registry.write_text(text[:start] + text[end:], encoding="utf-8")  # gvnet.com left out
    settings = dataclasses.replace(
        settings_for(BUNDLED_SOURCES, tmp_path / "out"), reference_dir=str(reference)
    )
    defs = build_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    keys = {
        k
        for k in graph.get_all_asset_keys()
        if k.to_user_string().startswith("ct_assessments_")
        or k.to_user_string()
        in (
            "ct_checklist",
            "us_tip_tiers",
            "us_tip_figures",
            "evidence_registry",
            "evidence_sources",
        )
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=sorted(keys), raise_on_error=False
        )
        assert publish(job, instance).success  # what the run staged, made visible
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    graded = checks["evidence_sources_graded"]
    assert not graded.passed and graded.severity == WARN
    messages = graded.metadata["messages"].value
    assert "'gvnet.com'" in messages and "not in the evidence registry, graded unknown" in messages
    table = pd.read_csv(tmp_path / "out" / "tables" / "evidence_sources.csv")
    gvnet = table[table["domain"] == "gvnet.com"]
    assert len(gvnet) and set(gvnet["source_type"]) == {"unknown"}
    assert gvnet["publisher"].isna().all()
