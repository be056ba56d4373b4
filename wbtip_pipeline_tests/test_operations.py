"""Sensor, schedule, declarative automation and the run-failure summary."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg
import pytest

from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.sensors import build_failure_sensor, build_sources_sensor, failure_summary
from wbtip_pipeline_tests.conftest import run_layers, settings_for


class Ticker:
    """Evaluates the sources sensor tick after tick, carrying the cursor like the daemon does."""

    def __init__(self, sources, instance):
        self.sensor = build_sources_sensor(str(sources))
        self.instance = instance
        self.cursor = None

    def tick(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(cursor=self.cursor, instance=self.instance)
        result = self.sensor(context)
        self.cursor = result.cursor
        return list(result.run_requests or [])


def _touch_later(path):
    """Move the mtime forward so a rewrite within the same second is still seen as a change."""
    stamp = path.stat().st_mtime + 5
    os.utime(path, (stamp, stamp))


@pytest.fixture
def settled(sources, instance):
    """A ticker that has already acted on every bundled file."""
    ticker = Ticker(sources, instance)
    assert ticker.tick() == []  # first sight: wait until the files are stable
    assert {r.tags["jurisdiction"] for r in ticker.tick()} == {
        "ALB",
        "BIH",
        "MKD",
        "MNE",
        "SRB",
        "XKX",
    }
    assert ticker.tick() == []
    return ticker


def test_new_file_requests_one_run_for_its_jurisdiction(settled, sources):
    new = sources / "ALB" / "alb_trafikimi_2022.csv"
    new.write_bytes(
        (sources / "ALB" / "alb_trafikimi_2021.csv").read_bytes().replace(b";2021;", b";2022;")
    )
    assert settled.tick() == []  # seen once: not yet known to be complete
    (request,) = settled.tick()
    assert request.tags["jurisdiction"] == "ALB"
    sources_selected = [
        k for k in request.asset_selection if k.path[-1].startswith(("raw_", "ct_ass"))
    ]
    assert sources_selected == [dg.AssetKey("raw_alb")]  # plus never-materialised reference assets
    assert "alb_trafikimi_2022.csv@" in request.run_key
    assert settled.tick() == []  # the same cursor yields nothing more


def test_a_sensor_started_after_a_run_rereads_nothing(sources, tmp_path, instance):
    """The cursor of a new sensor starts from the hashes the latest materialisations read: after
    `wbtip run` (here the same two runs), starting the daemon requests nothing; a changed file
    still is."""
    assert all(
        r.result.success for r in run_layers(settings_for(sources, tmp_path / "o"), instance)
    )
    ticker = Ticker(sources, instance)
    assert ticker.tick() == []  # first sight: waiting for the files to be stable
    assert ticker.tick() == []  # stable, and the same content as materialised: nothing to do
    path = sources / "MNE" / "mne_statistika.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    _touch_later(path)
    assert ticker.tick() == []
    (request,) = ticker.tick()
    assert request.tags["jurisdiction"] == "MNE"


def test_sensor_intervals_come_from_the_environment(monkeypatch, tmp_path):
    from wbtip_pipeline.sensors import DEFAULT_INTERVAL

    settings = settings_for(tmp_path / "sources", tmp_path / "out")
    names = {
        "new_source_files": "WBTIP_SENSOR_INTERVAL",
        "follow_inputs": "WBTIP_AUTOMATION_INTERVAL",
    }
    defs = build_definitions(settings)
    for name in names:
        assert defs.get_sensor_def(name).minimum_interval_seconds == DEFAULT_INTERVAL
    for env in names.values():
        monkeypatch.setenv(env, "3")
    defs = build_definitions(settings)
    for name in names:
        assert defs.get_sensor_def(name).minimum_interval_seconds == 3


def test_modified_file_requests_a_run_and_same_content_does_not(settled, sources):
    path = sources / "SRB" / "srb_centar_2021.csv"
    original = path.read_bytes()
    path.write_bytes(original.replace(b",2021,46", b",2021,47"))
    _touch_later(path)
    settled.tick()
    (request,) = settled.tick()
    assert request.tags["jurisdiction"] == "SRB"
    # rewriting identical content (a new mtime, the same hash) runs nothing
    path.write_bytes(original.replace(b",2021,46", b",2021,47"))
    _touch_later(path)
    assert settled.tick() == [] and settled.tick() == []


def test_half_written_file_waits_until_stable(settled, sources):
    path = sources / "MKD" / "mkd_trgovija_2022.csv"
    full = (sources / "MKD" / "mkd_trgovija_2021.csv").read_bytes().replace(b",2021,", b",2022,")
    path.write_bytes(full[: len(full) // 2])
    assert settled.tick() == []
    path.write_bytes(full)  # still being written at the next tick: size changed
    _touch_later(path)
    assert settled.tick() == []
    (request,) = settled.tick()
    assert request.tags["jurisdiction"] == "MKD"


def test_lock_files_and_notes_never_fire(settled, sources):
    (sources / "BIH" / "~$bih_trgovina_ljudima.xlsx").write_bytes(b"lock")
    (sources / "ALB" / "notes.txt").write_text("to do", encoding="utf-8")
    assert settled.tick() == [] and settled.tick() == []


def test_removed_file_is_forgotten_without_a_run(settled, sources):
    (sources / "XKX" / "xkx_victims_2018.json").unlink()
    assert settled.tick() == []
    assert "xkx_victims_2018.json" not in settled.cursor


def test_schedule_requests_the_full_refresh(tmp_path, monkeypatch):
    monkeypatch.setenv("WBTIP_REFRESH_CRON", "0 5 2 * *")
    monkeypatch.setenv("WBTIP_REFRESH_TIMEZONE", "Europe/Tirane")
    defs = build_definitions(settings_for(tmp_path, tmp_path))
    schedule = defs.resolve_schedule_def("monthly_full_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 5 2 * *", "Europe/Tirane")
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=dt.datetime(2026, 12, 2, 5, tzinfo=dt.UTC)
        )
        data = schedule.evaluate_tick(context)
    (request,) = data.run_requests
    assert schedule.job_name == "refresh_sources"
    assert request.run_key is None or isinstance(request.run_key, str)


def _requested(result) -> bool:
    return result.get_num_requested(dg.AssetKey("harmonised_statistics")) > 0


def test_automation_follows_inputs_but_not_past_a_failed_check(sources, tmp_path, instance):
    settings = settings_for(sources, tmp_path / "out")
    defs = build_definitions(settings)
    assert all(r.result.success for r in run_layers(settings, instance))
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    cursor = first.cursor

    job = defs.resolve_implicit_global_asset_job_def()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    job.execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey("raw_srb")], run_config=quiet
    )
    after_good = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert _requested(after_good)

    alb = sources / "ALB" / "alb_trafikimi_2021.csv"
    alb.write_text(
        alb.read_text("utf-8-sig").replace(";2021;159", ";2021;-3"), encoding="utf-8-sig"
    )
    # start from a state where the good refresh has been acted on
    run_layers(settings, instance)
    settled = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=after_good.cursor
    )
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey("raw_alb")],
        run_config=quiet,
        raise_on_error=False,
    )
    assert not result.success
    after_bad = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=settled.cursor
    )
    assert not _requested(after_bad)


def test_failure_summary_names_jurisdiction_file_and_check(sources, tmp_path, instance):
    alb = sources / "ALB" / "alb_trafikimi_2021.csv"
    alb.write_text(
        alb.read_text("utf-8-sig").replace(";2021;159", ";2021;-3"), encoding="utf-8-sig"
    )
    settings = settings_for(sources, tmp_path / "out")
    defs = build_definitions(settings)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey("raw_alb")],
        tags={"jurisdiction": "ALB"},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    run = instance.get_run_by_id(result.run_id)
    text = failure_summary(instance, run)
    assert "Jurisdiction: ALB" in text and "raw_alb_schema" in text
    assert "alb_trafikimi_2021.csv: counts cannot be negative" in text

    sensor = build_failure_sensor(str(tmp_path / "out"))
    event = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[
        0
    ].dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=run, dagster_event=event
    ).for_run_failure()
    sensor(context)
    written = (tmp_path / "out" / "failures" / f"{result.run_id}.md").read_text("utf-8")
    assert written == text


def test_first_requests_bring_the_reference_assets_along(sources, instance):
    """On a new instance the checks' reference inputs (the checklist) must be materialised too."""
    ticker = Ticker(sources, instance)
    ticker.tick()
    requests = ticker.tick()
    assert requests
    for request in requests:
        assert dg.AssetKey("ct_checklist") in request.asset_selection
        assert dg.AssetKey("workshop_feedback") in request.asset_selection
