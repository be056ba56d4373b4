"""The catalog documents the data (issue 17, item 3), read from the definitions without running
anything: every asset has a code version, owners and kinds; every published table declares its
columns (from its pandera schema: type, description, constraints), its warehouse name and its
grain; tables and documents have a freshness policy, enabled in both instance configurations; a
deploy that changes an asset's code version refreshes it through automation."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from wbtip_pipeline.assets import follow_inputs
from wbtip_pipeline.assets.common import check_in_words, column_schema, column_schema_of
from wbtip_pipeline.cli import LOCAL_INSTANCE
from wbtip_pipeline.definitions import defs
from wbtip_pipeline.schemas.registry import table_schemas
from wbtip_pipeline_tests.conftest import ROOT

GRAPH = defs.resolve_asset_graph()
KEYS = sorted(GRAPH.get_all_asset_keys(), key=lambda k: k.to_user_string())
TABLES = table_schemas()
DOCUMENTS = ["final_report", "workshop_pack"]


def node(name: str):
    return GRAPH.get(dg.AssetKey(name))


def test_the_pipeline_has_its_40_assets_and_every_table_is_one():
    assert len(KEYS) == 40
    assert {dg.AssetKey(name) for name in TABLES} <= set(KEYS)


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.to_user_string())
def test_every_asset_has_a_code_version_owners_and_kinds(key):
    asset = GRAPH.get(key)
    assert asset.code_version
    assert asset.owners and all(o.startswith("team:wbtip-") for o in asset.owners)
    assert asset.kinds
    assert asset.description


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_declares_its_columns_from_its_schema(name):
    schema, metadata = TABLES[name], node(name).metadata
    assert metadata["dagster/table_name"] == name
    declared = metadata["dagster/column_schema"]
    declared = getattr(declared, "schema", declared)  # a TableSchemaMetadataValue or the schema
    assert [c.name for c in declared.columns] == list(schema.columns)
    for column in declared.columns:
        pandera = schema.columns[column.name]
        assert column.type == str(pandera.dtype)
        assert column.description and column.description == pandera.description
        constraints = column.constraints
        assert constraints.nullable == bool(pandera.nullable), column.name
        assert constraints.other == [check_in_words(c) for c in pandera.checks], column.name
        assert all(constraints.other), column.name
    if schema.unique:  # the key, and the cross-column rules, as table constraints
        assert declared.constraints.other[0] == "unique: " + ", ".join(schema.unique)
    assert len(declared.constraints.other) == bool(schema.unique) + len(schema.checks)


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_states_its_grain(name):
    description = node(name).description
    assert "one row per" in description.lower() and "\n" not in description


def test_checks_read_as_words():
    trends = column_schema_of(TABLES["trends"])
    other = {c.name: c.constraints.other for c in trends.columns}
    assert other["year"] == [">= 1990 and <= 2100"]
    assert other["value_low"] == [">= 0"]
    assert other["indicator"][0].startswith("isin: victims_detected, ")
    assert other["jurisdiction"][0].startswith("matches ^")
    assert "must not exceed" in trends.constraints.other[1]
    # a long list of codes is shortened: its first values and how many there are
    assert (
        check_in_words(pa.Check.isin(list("ABCDEFGH"))) == "isin: A, B, C, D, E, F, ... (8 values)"
    )
    assert check_in_words(pa.Check.in_range(0.0, 1.0, include_max=False)) == ">= 0 and < 1"
    # a single-column key makes its column unique
    evidence = column_schema_of(TABLES["evidence_sources"])
    assert {c.name for c in evidence.columns if c.constraints.unique} == {"url"}


def test_the_runtime_column_schema_keeps_the_declared_constraints():
    frame = pd.DataFrame({"jurisdiction": ["ALB"], "unknown_column": [1]})
    schema = column_schema(frame, TABLES["data_gap_summary"])
    first, second = schema.columns
    assert first.constraints.other == ["matches ^[A-Z]{3}$"] and not first.constraints.nullable
    assert second.description is None and second.constraints.other == []


POLICY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=35), warn_window=timedelta(days=32)
)


@pytest.mark.parametrize("name", [*TABLES, *DOCUMENTS])
def test_tables_and_documents_are_expected_monthly(name):
    assert node(name).freshness_policy == POLICY


def test_freshness_is_enabled_in_both_instances():
    deployed = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text(encoding="utf-8"))
    for config in (deployed, yaml.safe_load(LOCAL_INSTANCE)):
        assert config["freshness"] == {"enabled": True}
        assert config["telemetry"] == {"enabled": False}
        assert config["nux"] == {"enabled": False}


def _names(condition: dg.AutomationCondition) -> set[str]:
    """The names and labels of a condition and of every condition it is made of."""
    own = {condition.name, condition.label} - {None}
    return own.union(*(_names(child) for child in condition.children))


def test_automation_includes_code_version_changed():
    assert "code_version_changed" in _names(follow_inputs())
    automated = [key for key in KEYS if GRAPH.get(key).automation_condition is not None]
    # everything but the sources (their sensor and the monthly schedule read them)
    assert {GRAPH.get(key).group_name for key in set(KEYS) - set(automated)} == {"sources"}
    for key in automated:
        names = _names(GRAPH.get(key).automation_condition)
        assert {"eager", "code_version_changed"} <= names, key


# the evaluation helper and the spec mapping of the test are beta and preview in Dagster 1.13
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning", "ignore::dagster.PreviewWarning")
def test_a_deploy_that_changes_a_code_version_refreshes_that_asset():
    """Dagster's own evaluation: with every asset materialised, nothing is requested until the
    trends code changes; then trends is, with what reads it, and nothing upstream of it."""
    with dg.DagsterInstance.ephemeral() as instance:
        for key in GRAPH.toposorted_asset_keys:
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        for check in GRAPH.asset_check_keys:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(
                    asset_key=check.asset_key, check_name=check.name, passed=True
                )
            )
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0
        same = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert same.total_requested == 0

        deployed = defs.map_resolved_asset_specs(
            func=lambda spec: spec.replace_attributes(code_version="new trends code"),
            selection="trends",
        )
        result = dg.evaluate_automation_conditions(
            defs=deployed, instance=instance, cursor=same.cursor
        )
        requested = {key for key in KEYS if result.get_num_requested(key) > 0}
        # trends and what reads it, directly or not: nothing upstream or beside it
        assert requested == dg.AssetSelection.assets("trends").downstream().resolve(GRAPH)
        assert {"trend_summary", "final_report", "publication"} <= {
            key.to_user_string() for key in requested
        }


def test_a_warehouse_url_from_the_environment_is_never_shown(monkeypatch, tmp_path):
    """The URL may hold a password: the definitions keep the variable's name, and the value is
    read only when a run starts."""
    from wbtip_pipeline.definitions import build_definitions
    from wbtip_pipeline.settings import ENV_OUTPUT, ENV_WAREHOUSE, Settings

    secret = "postgresql+psycopg://wbtip:s3cret@db.example/wbtip"
    monkeypatch.setenv(ENV_WAREHOUSE, secret)
    monkeypatch.setenv(ENV_OUTPUT, str(tmp_path))
    built = build_definitions(Settings.from_env())
    warehouse = built.get_repository_def().get_top_level_resources()["warehouse"]
    shown = warehouse.config_schema.default_value
    assert shown["url"] == {"env": ENV_WAREHOUSE}
    assert "s3cret" not in repr(shown)
    # the default SQLite warehouse (no variable) is a plain path: nothing to hide
    monkeypatch.delenv(ENV_WAREHOUSE)
    built = build_definitions(Settings.from_env())
    warehouse = built.get_repository_def().get_top_level_resources()["warehouse"]
    assert (
        warehouse.config_schema.default_value["url"] == f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    )
