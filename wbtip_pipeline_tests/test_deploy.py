"""The production deployment: deploy/dagster.yaml against the local PostgreSQL server, and the
documented service commands.

The PostgreSQL tests create a database of their own (`wbtip_dagster_<random>`) and drop it
afterwards; they are skipped, saying why, when no server answers at 127.0.0.1:5432.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from wbtip_pipeline_tests.conftest import ROOT, run_layers, settings_for

DEPLOY = ROOT / "deploy"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG_ADMIN_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/test"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the local server (skips when none answers); dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection error means: no server here
        admin.dispose()
        pytest.skip(f"no PostgreSQL server answers at {PG_HOST}:{PG_PORT} ({type(exc).__name__})")
    name = f"wbtip_dagster_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            # Dagster's connection pools (and any leftover run worker) must not keep it open
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def pg_env(database: str) -> dict[str, str]:
    """The variables deploy/dagster.yaml reads, pointing at `database` on the local server."""
    return {
        "DAGSTER_PG_HOST": PG_HOST,
        "DAGSTER_PG_PORT": str(PG_PORT),
        "DAGSTER_PG_USER": PG_USER,
        "DAGSTER_PG_PASSWORD": "",  # trust authentication on this machine
        "DAGSTER_PG_DB": database,
    }


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


@pytest.fixture
def pg_home(tmp_path, monkeypatch) -> Iterator[tuple[Path, str]]:
    """(DAGSTER_HOME holding deploy/dagster.yaml unchanged, its fresh database)."""
    with postgres_database() as database:
        for key, value in pg_env(database).items():
            monkeypatch.setenv(key, value)
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
        yield home, database


def test_deploy_config_is_postgres_with_a_bounded_run_queue(pg_home):
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    home, database = pg_home
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.run_coordinator.get_run_queue_config()
        assert 1 <= queue.max_concurrent_runs <= 4
        # one refresh per jurisdiction at a time (the sources sensor tags runs `jurisdiction`)
        assert {
            "key": "jurisdiction",
            "value": {"applyLimitPerUniqueValue": True},
            "limit": 1,
        } in queue.tag_concurrency_limits
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
    # the schema was created in the database the environment names, nowhere else
    engine = sa.create_engine(pg_url(database))
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"runs", "event_logs", "jobs", "job_ticks", "asset_keys"} <= tables


def test_both_layers_run_through_the_postgres_instance(small_region, pg_home, sources, tmp_path):
    home, database = pg_home
    settings = settings_for(sources, tmp_path / "output")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # the tables' layers (the documents are the same kind of step: left out), then the
        # publication in a run of its own
        runs = run_layers(settings, instance, documents=False)
        assert len(runs) == 2
        for run in runs:
            assert run.result.success, [
                e.step_failure_data.error.to_string() for e in run.result.get_step_failure_events()
            ]
        run_ids = {run.result.run_id for run in runs}
        recorded = {r.run_id for r in instance.get_runs()}
        assert run_ids < recorded and len(recorded) == 3
        assert {r.status for r in instance.get_runs()} == {dg.DagsterRunStatus.SUCCESS}

    # another process (webserver, daemon) opening the same configuration sees the same history
    with dg.DagsterInstance.from_config(str(home)) as other:
        assert {r.run_id for r in other.get_runs()} == recorded
        latest = other.get_latest_materialization_event(dg.AssetKey("harmonised_statistics"))
        assert latest is not None and latest.run_id == runs[1].result.run_id
        check_record = other.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("raw_alb"), "raw_alb_schema")]
        )
        assert check_record, "the raw_alb check evaluation is not in the event log"

    # ... because it is stored in PostgreSQL, not in DAGSTER_HOME
    assert not list(home.glob("**/*.db")), "SQLite files appeared in DAGSTER_HOME"
    engine = sa.create_engine(pg_url(database))
    try:
        with engine.connect() as conn:
            stored = dict(conn.execute(sa.text("SELECT run_id, status FROM runs")).all())
            events = conn.execute(
                sa.text(
                    "SELECT run_id, dagster_event_type, asset_key FROM event_logs"
                    " WHERE dagster_event_type IN ('ASSET_MATERIALIZATION', 'ASSET_CHECK_EVALUATION')"
                )
            ).all()
    finally:
        engine.dispose()
    assert stored == dict.fromkeys(recorded, "SUCCESS")
    for run in runs:
        run_id = run.result.run_id
        materialised = {
            dg.AssetKey(json.loads(key))
            for rid, kind, key in events
            if rid == run_id and kind == "ASSET_MATERIALIZATION"
        }
        expected = {e.asset_key for e in run.result.get_asset_materialization_events()}
        assert expected and materialised == expected
        checks = sum(
            1 for rid, kind, _ in events if rid == run_id and kind == "ASSET_CHECK_EVALUATION"
        )
        assert checks == len(run.result.get_asset_check_evaluations())
    assert dg.AssetKey("raw_alb") in {
        e.asset_key for e in runs[0].result.get_asset_materialization_events()
    }


# ---------------------------------------------------------------------------------------------
# The documented commands bind the webserver to 127.0.0.1
# ---------------------------------------------------------------------------------------------


def _make_recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target, with $(BIN)/ expanded away."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{target}\s*:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(BIN)/", ""))
    return recipe


def _exec_start(unit: str) -> list[str]:
    """ExecStart of a unit, its checkout paths mapped onto this checkout (click checks they exist)."""
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").replace("\\\n", " ")
    (workdir,) = re.findall(r"^WorkingDirectory=(.+)$", text, flags=re.M)
    (line,) = re.findall(r"^ExecStart=(.+)$", text, flags=re.M)
    return [arg.replace(workdir, str(ROOT)) for arg in shlex.split(line)]


def _host(command, args: list[str], env_prefix: str) -> str | None:
    """The host the real click command would use for these arguments."""
    context = command.make_context(command.name, list(args), auto_envvar_prefix=env_prefix)
    return context.params["host"]


def test_documented_webserver_commands_bind_to_loopback(monkeypatch):
    from dagster._cli.dev import dev_command
    from dagster_webserver.cli import dagster_webserver

    # an explicit -h wins over the environment, so a stray variable cannot open the UI
    monkeypatch.setenv("DAGSTER_WEBSERVER_HOST", "0.0.0.0")
    monkeypatch.setenv("DAGSTER_CLI_DEV_HOST", "0.0.0.0")

    (make_dev,) = [line for line in _make_recipe("dev") if " dev" in line]
    argv = shlex.split(make_dev)
    assert argv[:2] == ["dagster", "dev"], make_dev
    assert _host(dev_command, argv[2:], "DAGSTER_CLI_DEV") == "127.0.0.1"

    argv = _exec_start("dagster-webserver.service")
    assert Path(argv[0]).name == "dagster-webserver"
    assert _host(dagster_webserver, argv[1:], "DAGSTER_WEBSERVER") == "127.0.0.1"

    # the check itself can fail: the same parser sees an exposed host
    assert _host(dagster_webserver, ["-p", "3000"], "DAGSTER_WEBSERVER") == "0.0.0.0"

    # the daemon serves nothing; it must use the same instance and workspace as the webserver
    daemon = _exec_start("dagster-daemon.service")
    assert daemon[1:3] == ["run", "-w"] and daemon[3] == argv[argv.index("-w") + 1]


def _unit_environment(unit: str) -> dict[str, str]:
    """{"EnvironmentFile": path, KEY: value for each Environment=KEY=value} of a unit."""
    found = {}
    for line in (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").splitlines():
        if line.startswith("EnvironmentFile="):
            found["EnvironmentFile"] = line.split("=", 1)[1]
        elif line.startswith("Environment="):
            key, value = line.split("=", 1)[1].split("=", 1)
            found[key] = value
    return found


def test_daemon_and_webserver_units_share_the_instance():
    web = _unit_environment("dagster-webserver.service")
    daemon = _unit_environment("dagster-daemon.service")
    assert web["DAGSTER_HOME"] == daemon["DAGSTER_HOME"]
    assert web["EnvironmentFile"] == daemon["EnvironmentFile"]
