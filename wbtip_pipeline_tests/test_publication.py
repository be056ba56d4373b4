"""Write-audit-publish (issue 16, item 1): what a refresh stages stays invisible until the
publication makes all of it visible at once; a failure at any point leaves the previous
publication complete, on SQLite and on the local PostgreSQL.

The pipeline's own runs are tested in `test_recovery.py` (a full disk, SIGKILL) and by every test
that reads a bundled run's outputs; these tests drive the warehouse and the output folder
directly, with two tiny tables and a one-file "report".
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from wbtip_pipeline.publication import OutputFolder, PublicationError, staged_folder
from wbtip_pipeline.warehouse import Warehouse

V1 = {
    "a": pd.DataFrame({"jurisdiction": ["ALB", "SRB"], "value": [1, 2]}),
    "b": pd.DataFrame({"jurisdiction": ["MNE"], "value": [3]}),
}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path) -> Warehouse:
    if request.param == "postgres":
        url, schema = request.getfixturevalue("postgres_schema")
    else:
        url, schema = f"sqlite:///{tmp_path / 'out' / 'warehouse.sqlite'}", None
    warehouse = Warehouse(url, schema=schema, output_dir=tmp_path / "out")
    yield warehouse
    warehouse.dispose()


def _stage_report(out: Path, text: str, extra: str | None = None) -> None:
    with staged_folder(OutputFolder(out).staging / "report") as folder:
        (folder / "report.html").write_text(text, encoding="utf-8")
        if extra:
            (folder / extra).write_text(extra, encoding="utf-8")


def _publish_v1(store: Warehouse) -> None:
    for name, frame in V1.items():
        store.stage(name, frame, keys=["jurisdiction"])
    _stage_report(store.output.output, "v1", extra="only_in_v1.txt")
    assert store.publish_staged("run-1", {"alb.csv": "abc"}).publication_id == 1


def _csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv")


def test_staged_tables_stay_invisible_until_published_then_appear_together(store):
    out = store.output.output
    for name, frame in V1.items():
        store.stage(name, frame, keys=["jurisdiction"])
    assert store.read("a") is None and not (out / "tables").exists()
    pd.testing.assert_frame_equal(store.read_latest("a"), V1["a"])  # the latest good rows
    assert store.staged_tables() == {"a", "b"}
    _stage_report(out, "v1")

    done = store.publish_staged("run-1", {"alb.csv": "abc"})

    assert done.publication_id == 1 and done.changed == ["a", "b", "report"]
    assert done.tables == {"a": 2, "b": 1}
    for name, frame in V1.items():
        pd.testing.assert_frame_equal(store.read(name), frame)
        pd.testing.assert_frame_equal(_csv(out, name), frame)
    assert (out / "report" / "report.html").read_text(encoding="utf-8") == "v1"
    assert os.readlink(out / "current") == "publications/000001"
    assert store.staged_tables() == set() and not store.output.staging.exists()
    log = store.publications()
    assert log[["publication_id", "run_id", "folder"]].values.tolist() == [
        [1, "run-1", "publications/000001"]
    ]
    assert log["source_files"].iloc[0] == '{"alb.csv": "abc"}'
    # the published table keeps its index under its own name
    indexes = sa.inspect(store.engine).get_indexes("a", schema=store.schema)
    assert [(i["name"], i["column_names"]) for i in indexes] == [("ix_a_key", ["jurisdiction"])]


def test_a_later_publication_carries_over_what_it_did_not_change(store):
    out = store.output.output
    _publish_v1(store)
    v2 = pd.DataFrame({"jurisdiction": ["ALB"], "value": [9]})
    store.stage("a", v2, keys=["jurisdiction"])
    _stage_report(out, "v2")

    done = store.publish_staged("run-2")

    assert done.publication_id == 2 and done.changed == ["a", "report"]
    assert done.tables == {"a": 1, "b": 1}  # every table, with its rows
    pd.testing.assert_frame_equal(store.read("a"), v2)
    pd.testing.assert_frame_equal(store.read("b"), V1["b"])
    pd.testing.assert_frame_equal(_csv(out, "b"), V1["b"])
    first, second = out / "publications" / "000001", out / "publications" / "000002"
    # an unchanged file is the same file (hard link), not a copy
    assert os.path.samefile(first / "tables" / "b.csv", second / "tables" / "b.csv")
    # a document folder is replaced whole: a file the new report no longer has is gone
    assert sorted(p.name for p in (out / "report").iterdir()) == ["report.html"]
    # a reader holding the previous publication still reads it, complete
    assert (first / "report" / "report.html").read_text(encoding="utf-8") == "v1"
    assert pd.read_csv(first / "tables" / "a.csv").equals(V1["a"])


def test_nothing_staged_publishes_nothing(store):
    _publish_v1(store)
    assert store.publish_staged("run-2") is None
    assert len(store.publications()) == 1


def test_a_failure_inside_the_swap_leaves_the_previous_publication(store, monkeypatch):
    out = store.output.output
    _publish_v1(store)
    v2 = {name: frame.assign(value=frame["value"] * 10) for name, frame in V1.items()}
    for name, frame in v2.items():
        store.stage(name, frame, keys=["jurisdiction"])
    real = Warehouse._swap

    def swap_then_die(self, conn, names):
        real(self, conn, names)  # every table swapped inside the transaction ...
        raise OSError("the database server went away")  # ... which never commits

    monkeypatch.setattr(Warehouse, "_swap", swap_then_die)
    with pytest.raises(OSError, match="went away"):
        store.publish_staged("run-2")
    for name, frame in V1.items():
        pd.testing.assert_frame_equal(store.read(name), frame)
        pd.testing.assert_frame_equal(_csv(out, name), frame)
    assert len(store.publications()) == 1
    assert os.readlink(out / "current") == "publications/000001"
    assert store.staged_tables() == {"a", "b"}  # kept for the next attempt

    monkeypatch.setattr(Warehouse, "_swap", real)
    assert store.publish_staged("run-3").publication_id == 2
    for name, frame in v2.items():
        pd.testing.assert_frame_equal(store.read(name), frame)
        pd.testing.assert_frame_equal(_csv(out, name), frame)


def test_a_crash_between_commit_and_pointer_is_rolled_forward(store, monkeypatch):
    out = store.output.output
    _publish_v1(store)
    v2 = V1["a"].assign(value=[7, 8])
    store.stage("a", v2, keys=["jurisdiction"])

    def die(self, folder):
        raise KeyboardInterrupt  # the process ends here: committed, not pointed to

    monkeypatch.setattr(OutputFolder, "point_to", die)
    with pytest.raises(KeyboardInterrupt):
        store.publish_staged("run-2")
    monkeypatch.undo()
    assert len(store.publications()) == 2  # the warehouse has it ...
    assert os.readlink(out / "current") == "publications/000001"  # ... the files not yet

    completed = Warehouse(store.url, schema=store.schema, output_dir=out).roll_forward()

    assert completed.publication_id == 2
    assert os.readlink(out / "current") == "publications/000002"
    pd.testing.assert_frame_equal(_csv(out, "a"), v2)
    assert not store.output.staging.exists()  # what it had staged is published: dropped
    assert store.publish_staged("run-3") is None


def test_tables_staged_without_their_csv_are_refused_by_name(store):
    out = store.output.output
    _publish_v1(store)
    store.stage("a", V1["a"].assign(value=0), keys=["jurisdiction"])
    (store.output.staging / "tables" / "a.csv").unlink()  # as a half-finished stage would
    with pytest.raises(PublicationError, match="without their CSV or the reverse: a;"):
        store.publish_staged("run-2")
    pd.testing.assert_frame_equal(store.read("a"), V1["a"])
    assert len(store.publications()) == 1
    assert os.readlink(out / "current") == "publications/000001"


def test_a_failed_stage_stages_nothing_of_that_table(store, monkeypatch):
    import wbtip_pipeline.warehouse as warehouse_module

    _publish_v1(store)

    def full_disk(frame, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(warehouse_module, "write_csv_atomic", full_disk)
    with pytest.raises(OSError, match="No space left"):
        store.stage("a", V1["a"].assign(value=0), keys=["jurisdiction"])
    assert store.staged_tables() == set()
    assert not (store.output.staging / "tables" / "a.csv").exists()


def test_old_publications_are_pruned_keeping_three(store):
    out = store.output.output
    _publish_v1(store)
    for i in range(2, 6):
        store.stage("a", V1["a"].assign(value=i), keys=["jurisdiction"])
        store.publish_staged(f"run-{i}")
    assert sorted(p.name for p in (out / "publications").iterdir()) == [
        "000003",
        "000004",
        "000005",
    ]
    assert store.publications()["publication_id"].tolist() == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(_csv(out, "b"), V1["b"])  # carried over through all of them


def test_a_render_that_fails_stages_no_half_document(tmp_path):
    staging = tmp_path / ".staging"
    with pytest.raises(RuntimeError), staged_folder(staging / "report") as folder:
        (folder / "report.html").write_text("half", encoding="utf-8")
        raise RuntimeError("the PDF engine crashed")
    assert not staging.exists()  # nothing staged, not even the staging folder
    _stage_report(tmp_path, "whole")
    with pytest.raises(RuntimeError), staged_folder(staging / "report") as folder:
        raise RuntimeError("again")
    assert (staging / "report" / "report.html").read_text(encoding="utf-8") == "whole"


def test_an_output_folder_from_before_publications_is_taken_over(tmp_path):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "old.csv").write_text("x\n1\n", encoding="utf-8")
    store = Warehouse(f"sqlite:///{out / 'warehouse.sqlite'}", output_dir=out)
    store.stage("a", V1["a"], keys=["jurisdiction"])
    store.publish_staged("run-1")
    assert (out / "tables").is_symlink()
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["a.csv"]
    store.dispose()


# --- found in review: each was a way to get stuck or to lose what analysts built ---------------


def test_a_table_restaged_with_unchanged_rows_is_published_with_the_rest(store):
    _publish_v1(store)
    store.stage("a", V1["a"], keys=["jurisdiction"])  # the same rows: the same CSV bytes
    store.stage("b", V1["b"].assign(value=4), keys=["jurisdiction"])
    done = store.publish_staged("run-2")
    assert done.changed == ["a", "b"]
    assert store.read("b")["value"].tolist() == [4]


def test_an_error_after_the_commit_keeps_the_folder_the_warehouse_names(store, monkeypatch):
    from contextlib import contextmanager

    out = store.output.output
    _publish_v1(store)
    v2 = V1["a"].assign(value=[7, 8])
    store.stage("a", v2, keys=["jurisdiction"])
    real_begin = store.engine.begin

    @contextmanager
    def begin_then_lose_the_reply():
        with real_begin() as conn:
            yield conn
        raise OSError("server closed the connection unexpectedly")  # after COMMIT went through

    monkeypatch.setattr(store.engine, "begin", begin_then_lose_the_reply)
    with pytest.raises(OSError, match="closed the connection"):
        store.publish_staged("run-2")
    monkeypatch.undo()
    assert (out / "publications" / "000002").is_dir()  # named by the warehouse: kept
    assert store.roll_forward().publication_id == 2
    pd.testing.assert_frame_equal(_csv(out, "a"), v2)
    assert store.publish_staged("run-3") is None  # nothing stuck in the staging area


def test_the_readers_links_are_made_again_if_a_writer_died_before_them(store):
    out = store.output.output
    _publish_v1(store)
    (out / "tables").unlink()
    (out / "report").unlink()
    assert store.roll_forward() is None  # `current` was right: nothing to roll forward ...
    pd.testing.assert_frame_equal(_csv(out, "a"), V1["a"])  # ... and the links are back
    assert (out / "report" / "report.html").read_text(encoding="utf-8") == "v1"


def test_a_view_on_a_published_table_survives_a_publication(store):
    _publish_v1(store)
    prep = sa.inspect(store.engine).dialect.identifier_preparer
    table = f"{prep.quote_schema(store.schema)}.a" if store.schema else "a"
    view = f"{prep.quote_schema(store.schema)}.a_view" if store.schema else "a_view"
    with store.engine.begin() as conn:  # an analyst's view
        conn.exec_driver_sql(f"CREATE VIEW {view} AS SELECT value FROM {table}")
    store.stage("a", V1["a"].assign(value=[5, 6]), keys=["jurisdiction"])
    store.publish_staged("run-2")
    with store.engine.connect() as conn:
        assert sorted(conn.exec_driver_sql(f"SELECT value FROM {view}").scalars()) == [5, 6]


def test_new_columns_under_a_view_stop_the_publication_by_name_on_postgres(tmp_path, request):
    url, schema = request.getfixturevalue("postgres_schema")
    store = Warehouse(url, schema=schema, output_dir=tmp_path / "out")
    _publish_v1(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE VIEW "{schema}".a_view AS SELECT value FROM "{schema}".a')
    store.stage("a", V1["a"].assign(extra=1), keys=["jurisdiction"])
    with pytest.raises(PublicationError, match="table a has new columns .* depend on it"):
        store.publish_staged("run-2")
    pd.testing.assert_frame_equal(store.read("a"), V1["a"])  # nothing published
    assert len(store.publications()) == 1
    store.dispose()


def test_grants_on_a_published_table_survive_a_publication_on_postgres(tmp_path, request):
    url, schema = request.getfixturevalue("postgres_schema")
    store = Warehouse(url, schema=schema, output_dir=tmp_path / "out")
    _publish_v1(store)
    acl = f"SELECT relacl::text FROM pg_class WHERE oid = '\"{schema}\".a'::regclass"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f'GRANT SELECT ON "{schema}".a TO PUBLIC')
        granted = conn.exec_driver_sql(acl).scalar_one()
    assert "=r/" in granted
    store.stage("a", V1["a"].assign(value=[5, 6]), keys=["jurisdiction"])
    store.publish_staged("run-2")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql(acl).scalar_one() == granted
    store.dispose()


def test_publishing_one_table_while_a_refresh_has_it_staged_is_refused(store):
    _publish_v1(store)
    store.stage("a", V1["a"].assign(value=0), keys=["jurisdiction"])
    with pytest.raises(PublicationError, match="staged by a refresh"):
        store.publish("a", V1["a"].assign(value=1), keys=["jurisdiction"])
    assert store.publish_staged("run-2").changed == ["a"]
