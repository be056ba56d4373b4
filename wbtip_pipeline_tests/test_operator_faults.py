"""Nothing lost, nothing mixed (issue 16): two writers on one output folder, a killed run, a run
started from another working directory, and what the summary says when something fails.

Most of these run `wbtip run` in a process of its own, as a user does (each takes 5-45 s;
`processes.start`): the lock and the crash are about processes. Faults that need a patched
function run the CLI in process.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from wbtip_pipeline.cli import main
from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.resources import PID_TAG
from wbtip_pipeline.runlock import (
    EXIT_BUSY,
    LOCK_NAME,
    OutputBusy,
    hold_output,
    read_holder,
)
from wbtip_pipeline_tests import processes
from wbtip_pipeline_tests.conftest import REFERENCE, settings_for, user_env

STARTED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


# The faults tested here are the runner's, not the data's: the subprocess runs of this module
# work on a region of two members (Albania and Serbia, the bundled configs), half the work of the
# six. `test_recovery.py` keeps the six: it compares whole outputs with an undisturbed run.
SMALL_REGION = ("ALB", "SRB")
SMALL_REGION_ASSETS = 32  # 40 less a source and an assessment asset for each member left out


def _small_env(tmp_path: Path, members=SMALL_REGION, **extra: str) -> dict[str, str]:
    """`user_env` with the configs of a region of `members` (in the Dagster home's folder: outside
    what the tests compare)."""
    from wbtip_pipeline.region import BUNDLED_CONFIG_DIR

    configs = tmp_path / "home" / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    for name in (*members, "region"):
        shutil.copy(BUNDLED_CONFIG_DIR / f"{name}.yaml", configs / f"{name}.yaml")
    return user_env(tmp_path, WBTIP_CONFIG_DIR=str(configs), **extra)


def _wbtip(tmp_path, sources, *args, env=None, cwd=None) -> processes.Started:
    """`wbtip run` on `sources`, its feedback and output in `tmp_path`, in a process of its own
    (`processes.start`: forked from a warm interpreter, as a user's would run)."""
    command = ["run", "--sources", str(sources), "--reference", str(REFERENCE)]
    command += ["--feedback", str(tmp_path / "feedback"), "--output", str(tmp_path / "out")]
    (tmp_path / "feedback").mkdir(exist_ok=True)
    return processes.start([*command, *args], env=env or user_env(tmp_path), cwd=cwd or tmp_path)


def _until(condition, timeout=120.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _holds_lock(output: Path, process: processes.Started) -> bool:
    holder = read_holder(output)
    return holder is not None and holder.pid == process.pid and holder.run_id is not None


def _holder_process(output: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the output's lock for `seconds` (as `wbtip run` would)."""
    code = (
        "import sys, time\n"
        "from wbtip_pipeline.runlock import hold_output\n"
        f"with hold_output({str(output)!r}, command='wbtip run', run_id='cafe0123-holder'):\n"
        "    print('held', flush=True)\n"
        f"    time.sleep({seconds})\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


# --- the lock ---------------------------------------------------------------------------------


def test_a_busy_output_names_its_holder_and_a_killed_holder_leaves_no_lock(tmp_path):
    output = tmp_path / "out"
    holder = _holder_process(output, 600)
    with pytest.raises(OutputBusy, match=rf"wbtip run \(pid {holder.pid} on .*run cafe0123"):
        with hold_output(output, command="test", wait=False):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    # the kernel released the lock with the process; its record says it died holding it
    with hold_output(output, command="test", wait=False) as lock:
        assert lock.stale is not None and lock.stale.pid == holder.pid
        assert lock.stale.gone()
        # the same process takes it again without waiting for itself (in-process runs)
        with hold_output(output, command="inner", run_id="run-2", wait=False) as inner:
            assert inner is lock and read_holder(output).run_id == "run-2"
        assert read_holder(output).pid == os.getpid()
    assert (output / LOCK_NAME).read_text() == ""  # released cleanly: nothing stale


def test_a_daemon_launched_run_waits_for_the_lock_and_records_its_process(tmp_path, instance):
    """A run launched by the daemon opens the resources in its own process: they take the lock."""
    settings = settings_for(tmp_path / "sources", tmp_path / "out")
    defs = build_definitions(settings)
    holder = _holder_process(tmp_path / "out", 3)
    started = time.monotonic()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey("population")],
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    waited = time.monotonic() - started
    holder.wait()
    assert result.success and waited >= 2.0
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(
        f"waiting for the output folder {tmp_path / 'out'}: in use by wbtip run (pid {holder.pid}"
        in m
        for m in messages
    )
    assert instance.get_run_by_id(result.run_id).tags[PID_TAG] == str(os.getpid())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_runs_at_once_the_second_waits_then_succeeds(backend, sources, tmp_path, request):
    extra = {}
    if backend == "postgres":
        url, schema = request.getfixturevalue("postgres_schema")
        extra = {"WBTIP_WAREHOUSE_URL": url, "WBTIP_WAREHOUSE_SCHEMA": schema}
    env = _small_env(tmp_path, **extra)
    output = tmp_path / "out"
    first = _wbtip(tmp_path, sources, "--full", env=env)
    _until(lambda: _holds_lock(output, first), what="the first run to hold the lock")

    refused = _wbtip(tmp_path, sources, "--no-wait", env=env)
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == EXIT_BUSY, out + err
    assert f"{output} is in use by wbtip run (pid {first.pid} on " in err
    assert "not waiting (--no-wait): nothing was done" in err

    # on SQLite the second run materialises everything again, writing the same database file
    second = _wbtip(tmp_path, sources, *(["--full"] if backend == "sqlite" else []), env=env)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 0, out2 + err2
    assert f"wbtip: waiting for {output}: in use by wbtip run (pid {first.pid} on " in out2
    assert "database is locked" not in err1 + err2
    if backend == "sqlite":
        assert f"{SMALL_REGION_ASSETS} assets materialised" in out2
        # its runs started after the first one's had ended
        with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
            records = instance.get_run_records()
        by = {
            p.pid: [r for r in records if r.dagster_run.tags[PID_TAG] == str(p.pid)]
            for p in (first, second)
        }
        assert len(by[first.pid]) == len(by[second.pid]) == 2
        assert min(r.start_time for r in by[second.pid]) >= max(r.end_time for r in by[first.pid])
    else:
        assert "nothing to do" in out2  # the first one did it all


# --- a killed run -----------------------------------------------------------------------------


def _runs(home: Path, statuses=None) -> list[dg.DagsterRun]:
    """The instance's runs, read while another process may be writing it (SQLite: retry)."""
    for _ in range(50):
        try:
            with dg.DagsterInstance.from_config(str(home)) as instance:
                return list(
                    instance.get_runs(
                        filters=dg.RunsFilter(statuses=statuses) if statuses else None
                    )
                )
        except Exception:  # noqa: BLE001 - "database is locked" while the run writes
            time.sleep(0.1)
    raise AssertionError("could not read the instance")


# A run killed and the next run marking it failed: `test_recovery.py`, whose kill during the
# source step is this module's scenario (and two more moments).


# --- the working directory --------------------------------------------------------------------


# A run started from another working directory writes only its output: the undisturbed run of
# `test_recovery.py` is started so.


def test_a_missing_input_folder_fails_before_anything_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "environ", user_env(tmp_path))  # the CLI sets variables; undo them
    code = main(["run", "--reference", str(tmp_path / "nope"), "--output", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"the reference folder {tmp_path / 'nope'} does not exist" in err
    assert "(set --reference or WBTIP_REFERENCE_DIR); nothing was written" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "home").exists()
    os.environ.pop("WBTIP_REFERENCE_DIR")  # the project's reference data from here on
    (tmp_path / "a_file").write_text("not a folder")
    assert main(["run", "--output", str(tmp_path / "a_file" / "out")]) == 2
    err = capsys.readouterr().err
    assert f"the output folder {tmp_path / 'a_file' / 'out'} cannot be written" in err
    assert not (tmp_path / "home").exists()


def test_defaults_come_from_the_project_not_the_working_directory(tmp_path, monkeypatch):
    from wbtip_pipeline.settings import Settings

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("WBTIP_"):
            monkeypatch.delenv(name)
    settings = Settings.from_env()
    assert settings.reference_dir == str(REFERENCE)
    assert Path(settings.sources_dir) == REFERENCE.parent / "sources"
    assert not settings.missing_inputs()


# --- what the summary says --------------------------------------------------------------------

UNMAPPED_ROW = "Viktima të identifikuara;sipas shtetësisë;Atlantidë;Gjithsej;Gjithsej;2021;2\n"


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    """One `wbtip run` with a country label no code matches (row 10 of an Albanian file) and an
    output folder where the `trends` table cannot be written (PermissionError)."""
    import shutil

    import wbtip_pipeline.warehouse as warehouse_module
    from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES

    base = tmp_path_factory.mktemp("faulty")
    sources = base / "sources"
    shutil.copytree(BUNDLED_SOURCES, sources)
    alb = sources / "ALB" / "alb_trafikimi_2021.csv"
    text = alb.read_text("utf-8-sig")
    alb.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8-sig")
    with alb.open("a", encoding="utf-8") as fh:
        fh.write(UNMAPPED_ROW)
    row = len(alb.read_text("utf-8-sig").splitlines())
    (base / "feedback").mkdir()
    real = warehouse_module.write_csv_atomic

    def unwritable(frame, path):
        if Path(path).name == "trends.csv":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(frame, path)

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", user_env(base))
        mp.setattr(warehouse_module, "write_csv_atomic", unwritable)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                ["run", "--sources", str(sources), "--reference", str(REFERENCE)]
                + ["--feedback", str(base / "feedback"), "--output", str(base / "out")]
            )
    return code, out.getvalue(), err.getvalue(), base / "out", row


def test_a_failed_step_shows_its_root_cause_and_path(faulty_run):
    code, out, err, output, _ = faulty_run
    assert code == 1
    path = output / ".staging" / "tables" / "trends.csv"  # staged, never published
    assert (
        f"FAILED: step trends failed: PermissionError: [Errno 13] Permission denied: '{path}'"
        in err
    )
    summary = [line for line in err.splitlines() if line.startswith("FAILED: ")]
    assert not any("Error occurred while executing op" in line for line in summary)
    assert "wbtip: 3 warnings (1 about labels), 1 failure" in out


def test_an_unmapped_label_warning_names_file_and_row_and_is_counted(faulty_run):
    _, out, _, _, row = faulty_run
    assert "(1 about labels)" in out
    assert (
        "warning: unmapped_country: ALB: country name 'Atlantidë' (citizenship) at "
        f"row {row} of alb_trafikimi_2021.csv could not be mapped" in out
    )


def test_root_cause_reaches_under_the_wrapper_and_the_raise_from(instance):
    from wbtip_pipeline.sensors import failure_summary, step_failure_cause

    @dg.asset
    def broken():
        try:
            open("/nonexistent/wbtip/input.csv")
        except OSError as exc:
            raise RuntimeError("could not read the checklist") from exc

    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    (event,) = result.get_step_failure_events()
    cause = step_failure_cause(event.step_failure_data)
    assert cause.startswith(
        "RuntimeError: could not read the checklist (caused by FileNotFoundError: [Errno 2] "
        "No such file or directory: '/nonexistent/wbtip/input.csv')"
    )
    assert "test_operator_faults.py:" in cause  # where it was raised
    summary = failure_summary(instance, instance.get_run_by_id(result.run_id))
    assert f"- step `broken`: {cause}" in summary


def test_the_abandoned_runs_sensor_fails_only_runs_whose_process_is_gone(instance):
    """What the daemon does between two `wbtip run`: a run of this host whose process died is
    failed; a live one, another host's and one without a recorded process are left alone."""
    from wbtip_pipeline.resources import HOST_TAG, process_tags
    from wbtip_pipeline.sensors import build_abandoned_runs_sensor

    dead = subprocess.Popen(["sleep", "60"])
    dead.kill()
    dead.wait()
    mine = process_tags()
    runs = {
        "dead": {**mine, PID_TAG: str(dead.pid), "wbtip/pid_start": ""},
        "alive": mine,
        "elsewhere": {**mine, PID_TAG: str(dead.pid), HOST_TAG: "another-host"},
        "untagged": {},
    }
    ids = {}
    for name, tags in runs.items():
        run = dg.DagsterRun(job_name="refresh_sources", status=STARTED[1], tags=tags)
        ids[name] = instance.add_run(run).run_id
    sensor = build_abandoned_runs_sensor()
    result = sensor(dg.build_sensor_context(instance=instance))
    assert f"run {ids['dead'][:8]} (refresh_sources) was left STARTED" in str(result.skip_message)
    status = {name: instance.get_run_by_id(i).status for name, i in ids.items()}
    assert status == {
        "dead": dg.DagsterRunStatus.FAILURE,
        "alive": dg.DagsterRunStatus.STARTED,
        "elsewhere": dg.DagsterRunStatus.STARTED,
        "untagged": dg.DagsterRunStatus.STARTED,
    }
    (failure,) = instance.all_logs(ids["dead"], of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "Marked failed by the abandoned_runs sensor" in failure.dagster_event.message
    # a second tick finds nothing more to do
    again = sensor(dg.build_sensor_context(instance=instance))
    assert again.skip_message == "every started run has its process"
