"""Sensor, schedule, declarative automation and the run-failure summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil

import dagster as dg
import pytest

from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.sensors import build_failure_sensor, build_sources_sensor, failure_summary
from wbtip_pipeline_tests.conftest import REFERENCE, run_layers, settings_for


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


def test_a_sensor_started_after_a_run_rereads_nothing(small_region, sources, tmp_path, instance):
    """The cursor of a new sensor starts from the hashes the latest materialisations read: after
    `wbtip run` (here the same two runs), starting the daemon requests nothing; a changed file
    still is."""
    assert all(
        r.result.success
        for r in run_layers(settings_for(sources, tmp_path / "o"), instance, documents=False)
    )
    ticker = Ticker(sources, instance)
    assert ticker.tick() == []  # first sight: waiting for the files to be stable
    assert ticker.tick() == []  # stable, and the same content as materialised: nothing to do
    path = sources / "SRB" / "srb_centar_2021.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    _touch_later(path)
    assert ticker.tick() == []
    (request,) = ticker.tick()
    assert request.tags["jurisdiction"] == "SRB"


def test_sensor_intervals_come_from_the_environment(monkeypatch, tmp_path):
    from wbtip_pipeline.sensors import DEFAULT_INTERVAL

    settings = settings_for(tmp_path / "sources", tmp_path / "out")
    names = {
        "new_source_files": "WBTIP_SENSOR_INTERVAL",
        "follow_inputs": "WBTIP_AUTOMATION_INTERVAL",
    }
    defs = build_definitions(settings)
    for name in names:
        assert defs.resolve_sensor_def(name).minimum_interval_seconds == DEFAULT_INTERVAL
    for env in names.values():
        monkeypatch.setenv(env, "3")
    defs = build_definitions(settings)
    for name in names:
        assert defs.resolve_sensor_def(name).minimum_interval_seconds == 3


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


def _requested(result, name: str = "harmonised_statistics") -> bool:
    return result.get_num_requested(dg.AssetKey(name)) > 0


def _break(path, old: str, new: str) -> None:
    text = path.read_text("utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8-sig")


def test_automation_follows_inputs_past_a_blocked_jurisdiction_only(
    small_region, sources, tmp_path, instance
):
    """Automation follows the inputs. A jurisdiction whose check failed does not hold its
    consumers back (they keep its last good rows; test_automation_blocked.py runs that end to
    end); a failed blocking check on any other input does, for nothing stands in for it.

    The source and reference assets and their checks changed here run for real; the first
    publication of everything, which automation only needs to find, is recorded without runs."""
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    settings = dataclasses.replace(
        settings_for(sources, tmp_path / "out"), reference_dir=str(reference)
    )
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    for check in graph.asset_check_keys:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=True)
        )
    cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
    job = defs.resolve_implicit_global_asset_job_def()

    def materialise(name: str) -> dg.ExecuteInProcessResult:
        return job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey(name)],
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )

    def evaluate():
        nonlocal cursor
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        return result

    assert materialise("raw_srb").success
    after_good = evaluate()
    assert _requested(after_good) and _requested(after_good, "trends")
    assert not _requested(after_good, "mechanism_scores")  # not downstream of raw_srb
    assert evaluate().total_requested == 0  # requested once, not again (runs are not launched here)

    _break(sources / "ALB" / "alb_trafikimi_2021.csv", ";2021;159", ";2021;-3")
    blocked = materialise("raw_alb")
    (check,) = blocked.get_asset_check_evaluations()
    assert not blocked.success and not check.passed
    assert _requested(evaluate())  # ALB is blocked: the others are refreshed all the same
    assert evaluate().total_requested == 0

    _break(reference / "population_worldbank.csv", ",1608800", ",-1608800")
    bad_reference = materialise("population")
    (check,) = bad_reference.get_asset_check_evaluations()
    assert not bad_reference.success and not check.passed
    after_bad = evaluate()
    # population has no last good version standing in: what reads it waits until it passes
    assert not _requested(after_bad, "trends")
    assert after_bad.total_requested == 0


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
