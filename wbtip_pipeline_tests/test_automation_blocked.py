"""Under the daemon, a blocked jurisdiction does not hold the others back (issue 16, item 7).

The daemon's path end to end, with Dagster's own evaluation of the automation conditions: the
sources sensor sees the new files and requests one run per jurisdiction; ALB's run fails its
blocking check, SRB's passes; automation then refreshes the regional tables and documents with
SRB's new figures and ALB's last good rows, and flags ALB as blocked. The region is those two
(`conftest.small_region`): what a third member would add is the same again.
"""

from __future__ import annotations

import os

import dagster as dg
import pandas as pd

from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.schemas.harmonised import HARMONISED_KEY
from wbtip_pipeline.sensors import build_sources_sensor
from wbtip_pipeline.warehouse import Warehouse
from wbtip_pipeline_tests.conftest import run_layers, settings_for

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
FIGURES = [c for c in HARMONISED_KEY if c != "year"] + ["value_low", "value_high"]
# what a new SRB file and a broken ALB file set in motion; `mechanism_scores` reads neither
REFRESHED = [
    "harmonised_statistics",
    "data_quality_issues",
    "trends",
    "trend_summary",
    "data_gaps",
    "regional_opportunities",
    "final_report",
    "workshop_pack",
]


def _sensor_requests(sensor, instance, cursor) -> tuple[list[dg.RunRequest], str | None]:
    result = sensor(dg.build_sensor_context(cursor=cursor, instance=instance))
    return list(result.run_requests or []), result.cursor


def _rows(table: pd.DataFrame, code: str, year: int | None = None) -> pd.DataFrame:
    rows = table[table["jurisdiction"] == code]
    if year is not None:
        rows = rows[rows["year"] == year]
    return rows.sort_values(HARMONISED_KEY, ignore_index=True)


def test_a_blocked_jurisdiction_does_not_hold_back_the_automated_refresh(
    small_region, sources, tmp_path, instance
):
    output = tmp_path / "out"
    settings = settings_for(sources, output)
    defs = build_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    warehouse = Warehouse(f"sqlite:///{output / 'warehouse.sqlite'}")
    assert all(r.result.success for r in run_layers(settings, instance))
    before = warehouse.read("harmonised_statistics")
    cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
    sensor = build_sources_sensor(str(sources))
    sensor_cursor = None
    for _ in range(2):  # first sight, then stable: the same files as materialised
        requests, sensor_cursor = _sensor_requests(sensor, instance, sensor_cursor)
        assert requests == []

    # ALB's new version of 2021 has a negative count; SRB publishes 2022 (2021's figures)
    alb = sources / "ALB" / "alb_trafikimi_2021.csv"
    alb.write_text(
        alb.read_text("utf-8-sig").replace(";2021;159", ";2021;-3"), encoding="utf-8-sig"
    )
    stamp = alb.stat().st_mtime + 5  # a rewrite within the same second is still a change
    os.utime(alb, (stamp, stamp))
    srb_2021 = (sources / "SRB" / "srb_centar_2021.csv").read_bytes()
    (sources / "SRB" / "srb_centar_2022.csv").write_bytes(srb_2021.replace(b",2021,", b",2022,"))

    requests, sensor_cursor = _sensor_requests(sensor, instance, sensor_cursor)
    assert requests == []  # seen once: not yet known to be complete
    requests, sensor_cursor = _sensor_requests(sensor, instance, sensor_cursor)
    assert sorted(r.tags["jurisdiction"] for r in requests) == ["ALB", "SRB"]
    runs = {}
    for request in requests:  # one run per jurisdiction, as the daemon launches them
        runs[request.tags["jurisdiction"]] = job.execute_in_process(
            instance=instance,
            asset_selection=list(request.asset_selection),
            tags=request.tags,
            run_config=QUIET,
            raise_on_error=False,
        )
    assert runs["SRB"].success
    assert not runs["ALB"].success  # its blocking check failed: the run stops at raw_alb
    (alb_check,) = runs["ALB"].get_asset_check_evaluations()
    assert alb_check.check_name == "raw_alb_schema" and not alb_check.passed

    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    requested = {name for name in REFRESHED if evaluation.get_num_requested(dg.AssetKey(name)) > 0}
    assert requested == set(REFRESHED)
    assert evaluation.get_num_requested(dg.AssetKey("mechanism_scores")) == 0
    refresh = job.execute_in_process(  # what the automation sensor launches
        instance=instance,
        asset_selection=sorted(
            key
            for key in defs.resolve_asset_graph().get_all_asset_keys()
            if evaluation.get_num_requested(key) > 0
        ),
        run_config=QUIET,
        raise_on_error=False,
    )
    assert refresh.success

    after = warehouse.read("harmonised_statistics")
    # SRB's new figures are published: 2022 has exactly the figures of the file, 2021's
    new_srb = _rows(after, "SRB", 2022)
    assert not new_srb.empty
    pd.testing.assert_frame_equal(new_srb[FIGURES], _rows(before, "SRB", 2021)[FIGURES])
    # ALB keeps its last good rows: the broken file's figure is not used as if good
    pd.testing.assert_frame_equal(_rows(after, "ALB"), _rows(before, "ALB"))
    assert 2022 in set(warehouse.read("trends").query("jurisdiction == 'SRB'")["year"])

    # ALB is flagged: in the table analysts read, and on the harmonised asset
    issues = warehouse.read("data_quality_issues")
    flagged = issues[issues["check_name"] == "jurisdiction_blocked"]
    assert list(flagged["jurisdiction"]) == ["ALB"]
    assert "keeps its" in flagged["message"].iloc[0]
    assert (
        issues.query("check_name == 'raw_alb_schema'")["message"]
        .str.contains("counts cannot be negative")
        .any()
    )
    published = instance.get_latest_materialization_event(dg.AssetKey("harmonised_statistics"))
    metadata = published.asset_materialization.metadata
    assert metadata["jurisdictions_blocked"].value == "ALB"
    assert "SRB" in metadata["jurisdictions_refreshed"].value.split(", ")

    # acted on once: while ALB stays blocked, automation does not refresh again and again
    settled = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=evaluation.cursor
    )
    assert settled.total_requested == 0
