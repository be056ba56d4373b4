"""The local instance's event log (`instance.LocalEventLogStorage`): what `wbtip run` writes into
a new instance's dagster.yaml, and that it records and reads runs as Dagster's own storage does
while keeping a bounded number of database engines, each with a connection kept open."""

from __future__ import annotations

import inspect

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from wbtip_pipeline import instance as module
from wbtip_pipeline.cli import local_instance_config
from wbtip_pipeline.instance import ENGINES, LocalEventLogStorage


@dg.asset
def figure() -> int:
    return 1


@dg.op
def one() -> int:
    return 1


@dg.job
def tiny():
    one()


def test_a_new_local_instance_keeps_its_events_where_dagster_does(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(local_instance_config(home), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, LocalEventLogStorage)
        result = tiny.execute_in_process(instance=instance)
        assert result.success
    assert (home / "history" / "runs" / f"{result.run_id}.db").exists()
    # another process (the webserver) opening the instance reads the same events
    with dg.DagsterInstance.from_config(str(home)) as other:
        kinds = {e.dagster_event_type for e in other.all_logs(result.run_id) if e.dagster_event}
        assert dg.DagsterEventType.RUN_SUCCESS in kinds
        assert other.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS


def test_engines_are_kept_per_database_and_bounded(tmp_path):
    storage = LocalEventLogStorage(str(tmp_path / "runs"))
    with storage.run_connection("run-a"):
        pass
    engine = storage._engines["run-a"]
    with storage.run_connection("run-a"):
        pass
    assert storage._engines["run-a"] is engine  # kept, not made again
    for i in range(ENGINES + 5):
        with storage.run_connection(f"run-{i}"):
            pass
    assert len(storage._engines) == ENGINES and "run-a" not in storage._engines
    storage.dispose()
    assert not storage._engines


def test_a_kept_connection_reads_what_another_process_commits(tmp_path):
    """Two instances on one home stand for `wbtip run` and the webserver (each its own connections,
    as two processes have): what the writer commits is what the reader reads next, through the
    one connection it keeps to the shared index; closing them checkpoints every database."""
    import sqlalchemy as sa

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(local_instance_config(home), encoding="utf-8")
    key = dg.AssetKey("figure")
    opened = []
    with (
        dg.DagsterInstance.from_config(str(home)) as writer,
        dg.DagsterInstance.from_config(str(home)) as reader,
    ):
        runs = []
        for _ in range(3):
            runs.append(dg.materialize([figure], instance=writer).run_id)
            latest = reader.get_latest_materialization_event(key)
            assert latest is not None and latest.run_id == runs[-1]
            if len(runs) == 1:  # the reader's engine for the index, made by its first read
                engine = reader.event_log_storage._engines["index"]
                sa.event.listen(engine.pool, "connect", lambda *_: opened.append(1))
        assert reader.event_log_storage._engines["index"] is engine
        assert opened == [] and engine.pool.checkedin() == 1  # one connection, kept
        logs = [e for e in writer.all_logs(runs[-1]) if e.dagster_event]
        assert dg.DagsterEventType.RUN_SUCCESS in {e.dagster_event_type for e in logs}
        assert list((home / "history" / "runs").glob("*.db-wal"))  # open: logs in WAL files
    # closed: each database checkpointed, no log left beside it
    assert not list((home / "history" / "runs").glob("*.db-wal"))


def test_the_method_it_replaces_is_still_dagsters():
    """`_connect` is private to Dagster: an upgrade that renames or reshapes it must fail here,
    not leave the storage silently making an engine per event."""
    assert "_connect" in vars(SqliteEventLogStorage)
    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    assert module.LocalEventLogStorage._connect is not SqliteEventLogStorage._connect


def test_a_wipe_closes_the_kept_connections_before_deleting_the_files(tmp_path):
    """`dagster instance wipe` deletes each run's database file: a connection kept to one would
    still read the deleted run's events, and write new ones where nobody reads them."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(local_instance_config(home), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = dg.materialize([figure], instance=instance).run_id
        assert instance.all_logs(run_id)  # read through the connection kept to its file
        instance.wipe()
        assert not (home / "history" / "runs" / f"{run_id}.db").exists()
        assert instance.all_logs(run_id) == []
        assert instance.get_latest_materialization_event(dg.AssetKey("figure")) is None
        again = dg.materialize([figure], instance=instance).run_id
        assert instance.get_latest_materialization_event(dg.AssetKey("figure")).run_id == again
