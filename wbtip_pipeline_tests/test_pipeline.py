"""The whole graph: definitions load, a full run passes, a blocked jurisdiction keeps its rows."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from wbtip_pipeline.definitions import build_definitions, defs
from wbtip_pipeline.warehouse import Warehouse
from wbtip_pipeline_tests.conftest import (
    BUNDLED_SOURCES,
    JURISDICTIONS,
    run_layers,
    settings_for,
)
from wbtip_pipeline_tests.test_operator_faults import _small_env, _wbtip


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    names = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"raw_{c.lower()}" for c in JURISDICTIONS} <= names
    assert {"harmonised_statistics", "data_quality_issues"} <= names
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key} has no description"


def _victims_total(table: pd.DataFrame, code: str, year: int) -> tuple[int, int]:
    row = table.query(
        "jurisdiction == @code and year == @year and indicator == 'victims_detected' and "
        "dimension == 'total' and sex == 'total' and age == 'total'"
    )
    return int(row.value_low.iloc[0]), int(row.value_high.iloc[0])


def test_full_run_publishes_every_table(bundled_run):
    out, runs = bundled_run.output, bundled_run.runs
    for run in runs:
        assert run.result.success
        blocking = [e for e in run.checks.values() if e.severity == dg.AssetCheckSeverity.ERROR]
        assert blocking and all(e.passed for e in blocking)
    # the consistency check warns (the published figures contradict themselves) but never blocks
    consistency = runs[1].check("harmonised_statistics_consistency")
    assert not consistency.passed and consistency.severity == dg.AssetCheckSeverity.WARN
    warehouse = Warehouse(f"sqlite:///{out / 'warehouse.sqlite'}")
    table = warehouse.read("harmonised_statistics")
    assert set(table.jurisdiction) == set(JURISDICTIONS)
    assert _victims_total(table, "ALB", 2017) == (95, 95)
    issues = warehouse.read("data_quality_issues")
    assert (issues.severity == "warning").all()
    assert issues.check_name.isin(
        [
            "breakdown_exceeds_total",
            "breakdown_below_total",
            "children_exceed_total",
            "convictions_exceed_prosecutions",
            "year_on_year_jump",
        ]
    ).all()
    csv = pd.read_csv(out / "tables" / "harmonised_statistics.csv")
    assert len(csv) == len(table)
    meta = runs[1].result.get_asset_materialization_events()
    hs = next(
        e for e in meta if e.asset_key.path == ["harmonised_statistics"]
    ).materialization.metadata
    assert hs["dagster/row_count"].value == len(table)
    assert "alb_trafikimi_2017.csv" in hs["source_files"].value
    assert {c.name for c in hs["dagster/column_schema"].schema.columns} >= {
        "value_low",
        "value_high",
    }


def test_blocked_jurisdiction_keeps_its_last_good_rows(sources, tmp_path, instance, bundled_run):
    out = bundled_run.copy_output(tmp_path / "out")  # a first refresh of these files
    settings = settings_for(sources, out)
    warehouse = Warehouse(f"sqlite:///{out / 'warehouse.sqlite'}")
    first = warehouse.read("harmonised_statistics")

    # second refresh: Albania sends a bad file, Serbia revises a figure
    alb = sources / "ALB" / "alb_trafikimi_2021.csv"
    alb.write_text(
        alb.read_text("utf-8-sig").replace(";2021;159", ";2021;-3"), encoding="utf-8-sig"
    )
    srb = sources / "SRB" / "srb_centar_2021.csv"
    srb.write_text(
        srb.read_text("utf-8").replace("укупно,укупно,2021,46", "укупно,укупно,2021,47"),
        encoding="utf-8",
    )
    src_run, downstream = run_layers(settings, instance, documents=False)
    assert not src_run.result.success and not src_run.check("raw_alb_schema").passed
    assert downstream.result.success

    second = warehouse.read("harmonised_statistics")
    key = ["jurisdiction", "year", "indicator", "dimension", "category", "sex", "age"]
    pd.testing.assert_frame_equal(
        first[first.jurisdiction == "ALB"].sort_values(key).reset_index(drop=True),
        second[second.jurisdiction == "ALB"].sort_values(key).reset_index(drop=True),
    )
    assert _victims_total(second, "SRB", 2021) == (47, 47)
    issues = warehouse.read("data_quality_issues")
    errors = issues[issues.severity == "error"]
    assert (errors.jurisdiction == "ALB").all()
    assert errors.message.str.contains(
        "value '-3' in column Vlera, row .* of alb_trafikimi_2021.csv: counts cannot be negative"
    ).any()
    assert errors.check_name.isin(["raw_alb_schema", "jurisdiction_blocked"]).all()
    assert errors.message.str.contains("keeps its .* rows from the last good refresh").any()


def test_cli_exit_status_and_failure_listing(sources, tmp_path):
    """A run with a bad file exits 1 and lists the failure (status 0 for a clean run: the quick
    start below and `test_recovery`'s undisturbed run). A region of two members (Albania and
    Kosovo) is enough: the bad file is Kosovo's, and Albania still refreshes."""
    (sources / "XKX" / "xkx_victims_2020.json").write_text(
        '{"reporting_year": 2020, "victims": {', "utf-8"
    )
    env = _small_env(tmp_path, members=("ALB", "XKX"))
    done = _wbtip(tmp_path, sources, env=env)
    out, err = done.communicate(timeout=600)
    assert done.returncode == 1, out + err
    assert "raw_xkx_schema" in err and "xkx_victims_2020.json is not valid JSON" in err
    # both stages ran (the other jurisdiction refreshed), recorded in the persistent instance,
    # where the UI shows them
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as inst:
        assert len(inst.get_runs()) == 2
    assert (tmp_path / "out" / "warehouse.sqlite").exists()


def test_quick_start_command_on_bundled_data(bundled_run):
    """`wbtip run` as a user runs it: a fresh process, the bundled data, exit status 0 (the
    session's `bundled_run` is that command)."""
    assert bundled_run.returncode == 0, bundled_run.stdout + bundled_run.stderr
    assert "40 assets materialised" in bundled_run.stdout
    assert (bundled_run.output / "warehouse.sqlite").exists()
    assert [r.result.success for r in bundled_run.runs] == [True, True]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_publish_is_atomic(backend, tmp_path, request):
    if backend == "postgres":
        url, schema = request.getfixturevalue("postgres_schema")
    else:
        url, schema = f"sqlite:///{tmp_path / 'w.sqlite'}", None
    warehouse = Warehouse(url, tables_dir=tmp_path / "tables", schema=schema)
    v1 = pd.DataFrame({"jurisdiction": ["ALB", "SRB"], "value_low": [1, 2]})
    warehouse.publish("t", v1, keys=["jurisdiction"])
    v2 = pd.DataFrame({"jurisdiction": ["MNE"], "value_low": [9]})
    with pytest.raises(RuntimeError, match="injected"):
        warehouse.publish("t", v2, keys=["jurisdiction"], _fail_after_insert=True)
    pd.testing.assert_frame_equal(warehouse.read("t"), v1)
    assert pd.read_csv(tmp_path / "tables" / "t.csv").equals(v1)
    warehouse.dispose()


def test_postgres_round_trip_matches_sqlite(tmp_path, postgres_schema, instance, bundled_run):
    import sqlalchemy as sa

    url, schema = postgres_schema
    runs = run_layers(
        settings_for(BUNDLED_SOURCES, tmp_path / "pg", warehouse_url=url, schema=schema),
        instance,
        documents=False,  # the tables are compared
    )
    assert all(r.result.success for r in runs)
    pg = Warehouse(url, schema=schema)
    lite = Warehouse(f"sqlite:///{bundled_run.output / 'warehouse.sqlite'}")
    from wbtip_pipeline.schemas.registry import table_schemas

    for table in table_schemas():
        # row order is the database's business: compare sorted
        ordered = [pg.read(table), lite.read(table)]
        ordered = [f.sort_values(list(f.columns), ignore_index=True) for f in ordered]
        pd.testing.assert_frame_equal(*ordered, check_dtype=False)
    columns = sa.inspect(pg.engine).get_columns("harmonised_statistics", schema=schema)
    comments = {c["name"]: c["comment"] for c in columns}
    assert "lower bound" in comments["value_low"]
    indexes = sa.inspect(pg.engine).get_indexes("harmonised_statistics", schema=schema)
    assert indexes and indexes[0]["column_names"][:2] == ["jurisdiction", "year"]
    pg.dispose()


def test_definitions_follow_the_environment(tmp_path):
    settings = settings_for(BUNDLED_SOURCES, tmp_path)
    built = build_definitions(settings)
    assert built.resources["paths"].sources_dir == str(BUNDLED_SOURCES)


def _members_assets(definitions: dg.Definitions) -> set[str]:
    graph = definitions.resolve_asset_graph()
    return {
        k.to_user_string()
        for k in graph.get_all_asset_keys()
        if k.to_user_string().startswith(("raw_", "ct_assessments_"))
    }


def test_one_process_builds_the_definitions_of_each_region_it_is_given(
    tmp_path, small_region_configs, monkeypatch
):
    """The definitions follow the configs in use when they are built, not those at import: the
    assets of each member, the inputs of the tables that read them all, and the per-member
    inputs a blocked jurisdiction's consumers skip (`assets.jurisdiction_inputs`)."""
    from wbtip_pipeline.assets import jurisdiction_inputs
    from wbtip_pipeline.settings import ENV_CONFIGS

    settings = settings_for(BUNDLED_SOURCES, tmp_path)
    six = build_definitions(settings)
    monkeypatch.setenv(ENV_CONFIGS, str(small_region_configs))
    two = build_definitions(settings)
    monkeypatch.delenv(ENV_CONFIGS)
    again = build_definitions(settings)

    every = {
        f"{prefix}{c.lower()}" for prefix in ("raw_", "ct_assessments_") for c in JURISDICTIONS
    }
    assert _members_assets(six) == _members_assets(again) == every
    assert _members_assets(two) == {
        "raw_alb",
        "raw_srb",
        "ct_assessments_alb",
        "ct_assessments_srb",
    }
    assert len(two.resolve_asset_graph().get_all_asset_keys()) == len(
        six.resolve_asset_graph().get_all_asset_keys()
    ) - 2 * (len(JURISDICTIONS) - 2)
    for built, members in ((six, every), (two, _members_assets(two))):
        graph = built.resolve_asset_graph()
        readers = {
            "harmonised_statistics": {m for m in members if m.startswith("raw_")},
            "mechanism_scores": {m for m in members if m.startswith("ct_assessments_")},
            "evidence_sources": {m for m in members if m.startswith("ct_assessments_")},
        }
        for name, expected in readers.items():
            parents = {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}
            assert {p for p in parents if p.startswith(("raw_", "ct_assessments_"))} == expected, (
                name
            )
        skipped = {k.to_user_string() for k in jurisdiction_inputs().resolve(graph)}
        assert skipped == members
    # the sources sensor watches the members of its own definitions
    sensor = two.resolve_sensor_def("new_source_files")
    watched = {
        k.to_user_string() for k in sensor.asset_selection.resolve(two.resolve_asset_graph())
    }
    assert {w for w in watched if w.startswith(("raw_", "ct_assessments_"))} == _members_assets(two)
