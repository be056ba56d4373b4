"""Recovery from faults (issue 16, item 8): a `wbtip run` killed (SIGKILL) during the source step,
while a warehouse table is being staged for publication, or while the report is rendered, is
brought by the next `wbtip run` to the outputs of an undisturbed run; a disk that fills up while a
table's CSV is staged fails the run with a message naming the file and publishes nothing of the
refresh (write-audit-publish, `publication.py`): warehouse, CSVs and documents stay the previous
publication, and the next run, with room on the disk, publishes the whole refresh.

The kills come from outside, as an operator's or the OOM killer's would: `wbtip run` runs as a
subprocess, the test watches the output folder for what the step it aims at writes, and sends
SIGKILL at once. Nothing in the package knows about these tests. Each scenario is one
module-scoped fixture (a run takes 20-60 s); the tests only read what it left. The runs work on
the region of two members of `test_operator_faults.py` (Albania and Serbia): every output of the
pipeline is made for them as for six, at about half the cost, and the comparisons are whole.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from wbtip_pipeline.definitions import defs
from wbtip_pipeline.resources import STAGE_TAG
from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.warehouse import PUBLICATIONS_TABLE, SQLITE_STAGING_PREFIX
from wbtip_pipeline_tests import processes
from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES, REFERENCE, ROOT, digest_files
from wbtip_pipeline_tests.test_operator_faults import (
    SMALL_REGION,
    SMALL_REGION_ASSETS,
    STARTED,
    _runs,
    _small_env,
    _wbtip,
)

# the temporary files of the atomic writers (`warehouse._write_atomic`) and SQLite's rollback
# journal, present only while a table is being replaced: neither may outlive the run that wrote it
HALF_WRITTEN = (".*.tmp", "warehouse.sqlite-journal")


@dataclass
class Run:
    """A folder with `sources/`, `feedback/`, `out/` and the Dagster instance `home/`."""

    base: Path

    @property
    def output(self) -> Path:
        return self.base / "out"

    @property
    def home(self) -> Path:
        return self.base / "home"


def _prepare(base: Path) -> Run:
    for code in SMALL_REGION:
        shutil.copytree(BUNDLED_SOURCES / code, base / "sources" / code)
    return Run(base)


def _start(run: Run) -> processes.Started:
    """`wbtip run` on the run's folder, for the region of `SMALL_REGION`."""
    return _wbtip(run.base, run.base / "sources", env=_small_env(run.base))


@dataclass
class Reference(Run):
    """The undisturbed run, finished, and what was in its folder before it started."""

    out: str
    before: dict[str, str]  # `digest_files` of its folder but for its output and Dagster home


@pytest.fixture(scope="module")
def reference_started(tmp_path_factory) -> Iterator[tuple[Run, processes.Started, dict]]:
    """One undisturbed `wbtip run` on a copy of the bundled data, started (from an empty working
    directory of its own, as an operator's shell might be anywhere): it runs while the first
    scenario does (two cores; each run uses about one)."""
    run = _prepare(tmp_path_factory.mktemp("reference"))
    (run.base / "work").mkdir()
    (run.base / "feedback").mkdir()
    before = digest_files(run.base, (run.output, run.home))
    process = _wbtip(
        run.base, run.base / "sources", env=_small_env(run.base), cwd=run.base / "work"
    )
    yield run, process, before
    if process.poll() is None:  # the tests that needed it did not run
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def reference(reference_started) -> Reference:
    """The undisturbed run, finished: what every recovery must give."""
    run, process, before = reference_started
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out + err
    return Reference(run.base, out=out, before=before)


# --- killing a run at a chosen moment ---------------------------------------------------------

# a moment: given the output folder, what is happening there if it is the moment, else None
Moment = Callable[[Path], str | None]


def during_the_source_step(output: Path) -> str | None:
    # the IO manager stores each source asset's frame as it is materialised (in alphabetical
    # order): with `raw_alb` there, Serbia's and the reference tables are still to come and none
    # of the checks has run
    if (output / ".storage" / "raw_alb").exists():
        return "source run, after raw_alb was stored"
    return None


def while_a_table_is_staged(output: Path) -> str | None:
    # once four tables are staged, the next time a table is being written to its staging table
    # (its transaction open: SQLite's journal exists) or its CSV to the staging area (the
    # writer's temporary file)
    tables = output / ".staging" / "tables"
    if not (tables / "mechanism_history.csv").exists():
        return None
    if (output / "warehouse.sqlite-journal").exists():
        return "while a table was staged in the warehouse (transaction open)"
    tmp = next(tables.glob(".*.tmp"), None)
    return f"while {tmp.name} was written" if tmp is not None else None


def while_the_report_is_rendered(output: Path) -> str | None:
    # the final_report step renders into this folder, staged as `.staging/report` once complete
    building = output / ".staging" / ".report.building"
    return "final_report, while the report was rendered" if building.is_dir() else None


def _kill_at(process: processes.Started, output: Path, moment: Moment, timeout=600.0) -> str:
    """SIGKILL `process` as soon as `moment` says it is the moment (polled every millisecond:
    a table's transaction lasts a few); returns what was happening."""
    deadline = time.monotonic() + timeout
    while (what := moment(output)) is None:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the run ended before the moment to kill it:\n{out}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            process.communicate()
            raise AssertionError("timed out waiting for the moment to kill the run")
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return what


def _unfinished_steps(home: Path, run_id: str) -> set[str]:
    """The steps of a run that started and neither succeeded nor failed."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        started = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        ended = instance.all_logs(
            run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        )
    return {e.step_key for e in started} - {e.step_key for e in ended}


@dataclass
class Recovered(Run):
    scenario: str  # a key of `SCENARIOS`
    killed_pid: int
    killed_status: int
    when: str  # what was happening when the kill landed
    orphan: dg.DagsterRun  # the killed run, as the instance had it before the recovery
    unfinished: set[str]  # its steps that started and did not end
    code: int  # of the recovering `wbtip run`
    out: str
    err: str


SCENARIOS: dict[str, Moment] = {
    "sources": during_the_source_step,
    "publication": while_a_table_is_staged,
    "report": while_the_report_is_rendered,
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def recovered(request, tmp_path_factory, reference_started) -> Recovered:
    """A first `wbtip run` killed at one of the `SCENARIOS`' moments, then a normal `wbtip run`."""
    run = _prepare(tmp_path_factory.mktemp(f"killed_{request.param}"))
    killed = _start(run)
    when = _kill_at(killed, run.output, SCENARIOS[request.param])
    (orphan,) = _runs(run.home, STARTED)
    unfinished = _unfinished_steps(run.home, orphan.run_id)
    again = _start(run)
    out, err = again.communicate(timeout=600)
    return Recovered(
        run.base,
        scenario=request.param,
        killed_pid=killed.pid,
        killed_status=killed.returncode,
        when=when,
        orphan=orphan,
        unfinished=unfinished,
        code=again.returncode,
        out=out,
        err=err,
    )


# --- what the outputs must be -----------------------------------------------------------------


def _tables(output: Path, staged: bool = False) -> dict[str, pd.DataFrame]:
    """Every published warehouse table (`staged`: every staged one), rows sorted on every column
    (equal content, whatever the order); not the log of publications, which differs by run."""
    engine = sa.create_engine(f"sqlite:///{output / 'warehouse.sqlite'}")
    try:
        with engine.connect() as conn:
            names = [
                name
                for name in sa.inspect(conn).get_table_names()
                if name.startswith(SQLITE_STAGING_PREFIX) == staged and name != PUBLICATIONS_TABLE
            ]
            frames = {
                name.removeprefix(SQLITE_STAGING_PREFIX): pd.read_sql_table(name, conn)
                for name in names
            }
    finally:
        engine.dispose()
    return {
        name: frame.sort_values(list(frame.columns), ignore_index=True)
        for name, frame in frames.items()
    }


def _publications(output: Path) -> pd.DataFrame:
    engine = sa.create_engine(f"sqlite:///{output / 'warehouse.sqlite'}")
    try:
        with engine.connect() as conn:
            return pd.read_sql_table(PUBLICATIONS_TABLE, conn).sort_values("publication_id")
    finally:
        engine.dispose()


def _files(root: Path, pattern: str) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob(pattern)) if p.is_file()
    }


def without_provenance(html: str) -> str:
    """The report's HTML without what says which run made it and when: the run id (the HTML meta
    `wbtip-run-id` and the provenance annex, `report/sections/annexes.py`), the time generated
    (the annex) and the date on the cover (`document.edition_line`). Two runs of the same inputs
    and code differ in these only."""
    meta = re.search(r'<meta name="wbtip-run-id" content="([0-9a-f-]{36})">', html)
    assert meta, "the report names no run id in its meta"
    html = html.replace(meta[1], "<run id>")
    html, generated = re.subn(
        r'<td class="mono">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00</td>',
        '<td class="mono"><generated at></td>',
        html,
    )
    assert generated == 1, "the provenance annex gives no time generated"
    html, dated = re.subn(r"(<strong>Edition\.</strong> )\d{1,2} \w+ \d{4}:", r"\1<date>:", html)
    assert dated == 1, "the cover gives no edition date"
    return html


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


# --- a killed run, recovered ------------------------------------------------------------------


def test_the_kill_landed_in_the_step_aimed_at(recovered):
    assert recovered.killed_status == -signal.SIGKILL
    stage = recovered.orphan.tags[STAGE_TAG]
    where = f"{recovered.when}; unfinished steps {sorted(recovered.unfinished)}"
    if recovered.scenario == "sources":
        assert stage == "sources", where
    elif recovered.scenario == "report":
        assert stage == "downstream" and recovered.unfinished == {"final_report"}, where
    else:  # a table: one of the steps that publish, not a document's
        assert recovered.scenario == "publication" and stage == "downstream", where
        assert len(recovered.unfinished) == 1, where
        assert not recovered.unfinished & {"final_report", "workshop_pack", "data_dictionary"}


def test_the_next_run_marks_the_killed_one_failed_and_succeeds(recovered):
    assert recovered.code == 0, recovered.out + recovered.err
    orphan = recovered.orphan
    assert (
        f"wbtip: run {orphan.run_id[:8]} (wbtip run, {orphan.tags[STAGE_TAG]}) was left STARTED: "
        f"its process (pid {recovered.killed_pid} on " in recovered.out
    )
    assert "is gone; marked failed" in recovered.out
    assert "1 abandoned run marked failed" in recovered.out
    assert "ended without finishing (killed or crashed)" in recovered.out
    with dg.DagsterInstance.from_config(str(recovered.home)) as instance:
        (failure,) = instance.all_logs(orphan.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert f"the process of this run (pid {recovered.killed_pid} on " in (
        failure.dagster_event.message
    )
    if recovered.scenario != "sources":
        # what the killed run materialised is not done again (the source layer, at least)
        assert "up to date; outputs in" in recovered.out


def _region_asset_keys() -> list[dg.AssetKey]:
    """The assets of the region of `SMALL_REGION`: this process's definitions (the six bundled
    members) less the per-member assets of the members left out (named `<asset>_<code>`)."""
    left_out = {code.lower() for code in load_configs()} - {c.lower() for c in SMALL_REGION}
    graph = defs.resolve_asset_graph()
    return [k for k in graph.get_all_asset_keys() if k.path[-1].rsplit("_", 1)[-1] not in left_out]


def test_nothing_is_left_started_unchecked_or_half_written(recovered):
    assert not _runs(recovered.home, STARTED)
    with dg.DagsterInstance.from_config(str(recovered.home)) as instance:
        status = instance.get_run_by_id(recovered.orphan.run_id).status
        keys = _region_asset_keys()
        latest = instance.get_latest_materialization_events(keys)
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [k for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key in keys]
        )
    assert status == dg.DagsterRunStatus.FAILURE
    assert all(latest.values()) and len(latest) == len(keys) == SMALL_REGION_ASSETS
    # every check evaluated on its asset's latest materialisation: none left planned by the
    # killed run (the source layer's checks run after all its assets)
    planned = sorted(k.to_user_string() for k, r in checks.items() if r.status.value == "PLANNED")
    assert not planned, planned
    for pattern in HALF_WRITTEN:
        assert not list(recovered.output.rglob(pattern)), pattern
    # everything staged was published, once: by the recovery (the killed run published nothing)
    assert not _tables(recovered.output, staged=True)
    assert not (recovered.output / ".staging").exists()
    (publisher,) = _publications(recovered.output)["run_id"]
    assert publisher != recovered.orphan.run_id


def test_the_warehouse_equals_an_undisturbed_runs(recovered, reference):
    expected, got = _tables(reference.output), _tables(recovered.output)
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)


def test_the_csvs_equal_an_undisturbed_runs(recovered, reference):
    for pattern in ("tables/*.csv", "report/published/*.csv", "data_dictionary.md"):
        expected, got = _files(reference.output, pattern), _files(recovered.output, pattern)
        assert expected, pattern
        assert sorted(got) == sorted(expected), pattern
        differ = sorted(name for name in expected if got[name] != expected[name])
        assert not differ, differ


def test_the_report_equals_an_undisturbed_one_but_for_its_provenance(recovered, reference):
    html = "report/wbtip_report.html"
    got = (recovered.output / html).read_text(encoding="utf-8")
    expected = (reference.output / html).read_text(encoding="utf-8")
    assert recovered.orphan.run_id not in got  # made by the recovery, not left by the kill
    assert without_provenance(got) == without_provenance(expected)
    pdf = "report/wbtip_report.pdf"
    assert _pages(recovered.output / pdf) == _pages(reference.output / pdf)


def test_the_workshop_pack_is_complete(recovered, reference):
    expected, got = (
        _files(reference.output, "workshop/**/*"),
        _files(recovered.output, "workshop/**/*"),
    )
    assert sorted(got) == sorted(expected)
    for name in expected:
        if name.endswith(".html"):
            assert got[name] == expected[name], name
        elif name.endswith(".pdf"):  # the PDFs carry the time they were made
            assert _pages(recovered.output / name) == _pages(reference.output / name), name
        else:
            assert got[name], name


# --- a full disk ------------------------------------------------------------------------------

FULL = "trends"  # the table whose staged CSV meets a full disk


@dataclass
class DiskFull(Run):
    code: int
    out: str
    err: str
    attempted: str  # the CSV that did not fit on the disk


def _disk_full_at(name: str, attempted: list[str]):
    """`warehouse.write_csv_atomic` on a disk that fills up while `name`.csv is written: half of
    it goes out, then the write fails as the kernel's does (ENOSPC, no file name). The text it
    was to write is appended to `attempted`."""
    import wbtip_pipeline.warehouse as warehouse_module

    real = warehouse_module.write_csv_atomic

    def write_csv_atomic(frame, path):
        if Path(path).name != f"{name}.csv":
            return real(frame, path)

        def fill_up(fh):
            text = frame.to_csv(index=False)  # what `real` would write
            attempted.append(text)
            fh.write(text[: len(text) // 2])
            fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return warehouse_module._write_atomic(Path(path), fill_up)

    return write_csv_atomic


# `wbtip run` in a process of its own (its definitions are the small region's), with the full disk
# of `_disk_full_at`; argv: where to write what it attempted, then the command's arguments
DISK_FULL_RUN = f"""
import json, sys
from pathlib import Path
import wbtip_pipeline.warehouse as warehouse_module
from wbtip_pipeline.cli import main
from wbtip_pipeline_tests.test_recovery import _disk_full_at
attempted = []
warehouse_module.write_csv_atomic = _disk_full_at({FULL!r}, attempted)
try:
    code = main(sys.argv[2:])
finally:
    Path(sys.argv[1]).write_text(json.dumps(attempted), encoding="utf-8")
sys.exit(code)
"""


@pytest.fixture(scope="module")
def disk_full(reference, tmp_path_factory) -> DiskFull:
    """The reference's outputs, then a run on changed sources (Serbia's victims of 2021) during
    which the disk fills up as `trends.csv` is written."""
    run = _prepare(tmp_path_factory.mktemp("disk_full"))
    shutil.copytree(reference.output, run.output, symlinks=True)  # `current` and its links
    srb = run.base / "sources" / "SRB" / "srb_centar_2021.csv"
    total = "Идентификоване жртве трговине људима,укупно,укупно,укупно,укупно,2021,"
    text = srb.read_text(encoding="utf-8")
    assert f"\n{total}46\n" in text  # the victims of 2021: one more
    srb.write_text(text.replace(f"\n{total}46\n", f"\n{total}47\n"), encoding="utf-8")
    (run.base / "feedback").mkdir()
    attempted = run.base / "attempted.json"
    done = processes.start(
        [str(attempted), "run"]
        + ["--sources", str(run.base / "sources"), "--reference", str(REFERENCE)]
        + ["--feedback", str(run.base / "feedback"), "--output", str(run.output)],
        code=DISK_FULL_RUN,
        cwd=run.base,
        env={**_small_env(run.base), "PYTHONPATH": str(ROOT)},
    ).completed(timeout=600)
    # the changed count was staged, and not published: the refresh did not complete
    harmonised = "harmonised_statistics"
    assert not _tables(run.output, staged=True)[harmonised].equals(
        _tables(reference.output)[harmonised]
    ), done.stdout + done.stderr
    (new_csv,) = json.loads(attempted.read_text(encoding="utf-8"))
    return DiskFull(run.base, done.returncode, done.stdout, done.stderr, new_csv)


def test_a_full_disk_fails_the_run_naming_the_file(disk_full):
    assert disk_full.code == 1, disk_full.out + disk_full.err
    path = disk_full.output / ".staging" / "tables" / f"{FULL}.csv"
    assert (
        f"FAILED: step {FULL} failed: OSError: [Errno 28] No space left on device: '{path}'"
        in disk_full.err
    )
    assert "1 failure" in disk_full.out
    assert (
        "wbtip: not published (a step failed): readers keep publication 1; the next complete "
        "refresh publishes what was staged" in disk_full.out
    )


def test_a_full_disk_keeps_the_last_good_csv(disk_full, reference):
    name = f"tables/{FULL}.csv"
    last_good = (reference.output / name).read_text(encoding="utf-8")
    assert disk_full.attempted != last_good  # the run had a new version to write
    assert (disk_full.output / name).read_text(encoding="utf-8") == last_good
    assert not list(disk_full.output.rglob(".*.tmp"))


def test_a_full_disk_publishes_nothing_of_the_refresh(disk_full, reference):
    # the warehouse, the CSVs and the documents are the previous publication, all of them
    expected, got = _tables(reference.output), _tables(disk_full.output)
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
    for pattern in ("tables/*.csv", "report/*.html", "workshop/*.html", "data_dictionary.md"):
        assert _files(disk_full.output, pattern) == _files(reference.output, pattern), pattern
    assert len(_publications(disk_full.output)) == 1
    # the table that met the full disk was not staged: neither its rows nor half its CSV
    assert FULL not in _tables(disk_full.output, staged=True)
    assert not (disk_full.output / ".staging" / "tables" / f"{FULL}.csv").exists()


@pytest.fixture(scope="module")
def disk_freed(disk_full, tmp_path_factory) -> tuple[Run, subprocess.CompletedProcess]:
    """A copy of the full-disk run's folder, then a normal `wbtip run` there (room on the disk)."""
    base = tmp_path_factory.mktemp("disk_freed")
    shutil.rmtree(base)
    shutil.copytree(disk_full.base, base, symlinks=True)
    run = Run(base)
    process = _start(run)
    return run, process.completed(timeout=600)


def test_the_next_run_publishes_the_whole_refresh(disk_freed, disk_full):
    run, done = disk_freed
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wbtip: publication 2: " in done.stdout
    assert not _tables(run.output, staged=True)
    assert not (run.output / ".staging").exists()
    publications = _publications(run.output)
    assert publications["publication_id"].tolist() == [1, 2]
    # what the full disk left staged (the harmonised table) went out with the rest
    changed = json.loads(publications["changed"].iloc[-1])
    assert {"harmonised_statistics", FULL, "report", "workshop"} <= set(changed)
    assert (run.output / "tables" / f"{FULL}.csv").read_text(
        encoding="utf-8"
    ) == disk_full.attempted
    current = (run.output / "current").resolve()
    assert current == (run.output / "publications" / "000002").resolve()
    for name in ("tables", "report", "workshop", "data_dictionary.md"):
        assert (run.output / name).resolve() == current / name
    # the counts recorded are those of the tables published
    tables = _tables(run.output)
    recorded = json.loads(publications["tables"].iloc[-1])
    assert recorded == {name: len(frame) for name, frame in tables.items()}


# --- the undisturbed run (last: it runs while the first scenario does) ---------------------------


def test_a_run_from_another_working_directory_writes_only_its_output(reference):
    assert f"{SMALL_REGION_ASSETS} assets materialised" in reference.out
    assert (reference.output / "warehouse.sqlite").exists()
    assert (reference.output / "report" / "wbtip_report.pdf").exists()
    assert not list((reference.base / "work").iterdir())
    # sources and feedback untouched, nothing written beside them
    assert digest_files(reference.base, (reference.output, reference.home)) == reference.before
