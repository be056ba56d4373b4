"""The one Definitions object: assets, checks, sensors, schedules and resources of the pipeline."""

import functools
import os
from pathlib import Path

import dagster as dg

from wbtip_pipeline.assets import SOURCES, harmonised
from wbtip_pipeline.assets.analytics import ANALYTICS_ASSETS, build_mechanism_assets
from wbtip_pipeline.assets.evidence import EVIDENCE_ASSETS, EVIDENCE_CHECKS, build_evidence_sources
from wbtip_pipeline.assets.reference import (
    build_assessment_assets,
    ct_checklist,
    population,
    reference_checks,
    us_tip_figures,
    us_tip_tiers,
)
from wbtip_pipeline.assets.reporting import (
    build_publication,
    data_dictionary,
    final_report,
    recommendations,
    workshop_pack,
)
from wbtip_pipeline.assets.sources import build_raw_assets, config_folder, configs_of
from wbtip_pipeline.assets.workshop import workshop_feedback, workshop_feedback_schema
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.sensors import (
    ENV_AUTOMATION_INTERVAL,
    build_abandoned_runs_sensor,
    build_failure_sensor,
    build_sources_sensor,
    interval,
)
from wbtip_pipeline.settings import ENV_WAREHOUSE, Settings, refresh_schedule

# the assets and checks that read no member's own source: the same for every region
COMMON_ASSETS = [
    population,
    ct_checklist,
    us_tip_tiers,
    us_tip_figures,
    *ANALYTICS_ASSETS,
    *EVIDENCE_ASSETS,
    recommendations,
    final_report,
    workshop_pack,
    workshop_feedback,
    data_dictionary,
]
COMMON_CHECKS = [*reference_checks, *EVIDENCE_CHECKS, workshop_feedback_schema]


def last_stagers(assets) -> list[dg.AssetKey]:
    """The assets downstream of the sources that no other such asset reads: every asset that
    stages a table or a document is one of them or upstream of one, so the publication, reading
    these, runs after all of them in its run and is skipped when any of them failed. (Reading
    every stager directly would draw 21 edges into one node, which stretches the UI's lineage
    graph beyond a screen.)"""
    staging = {
        key: deps
        for a in assets
        for key, deps in a.asset_deps.items()
        if a.group_names_by_key[key] != SOURCES
    }
    read = {dep for deps in staging.values() for dep in deps}
    return sorted((key for key in staging if key not in read), key=lambda k: k.to_user_string())


@functools.cache
def region_assets(config_folder: Path) -> tuple[list, list]:
    """(assets, checks) of the region whose configs are in `config_folder`: a source asset, an
    assessment asset and their checks per member, the assets that read them all, and the rest.
    Built once per folder, so a process can hold the definitions of several regions."""
    configs = configs_of(config_folder)
    raw, raw_checks = build_raw_assets(configs)
    assessments, assessment_checks = build_assessment_assets(configs)
    assets = [
        *raw,
        *assessments,
        *harmonised.build_harmonised_assets(configs),
        *build_mechanism_assets(configs),
        build_evidence_sources(configs),
        *COMMON_ASSETS,
    ]
    # the last asset of every refresh: what the others staged, made visible together
    assets.append(build_publication(last_stagers(assets)))
    return assets, [*raw_checks, *assessment_checks, *COMMON_CHECKS]


# The monthly refresh re-reads every jurisdiction; everything downstream follows through
# declarative automation, as it does after a sensor-triggered refresh of one jurisdiction.
refresh_sources = dg.define_asset_job(
    "refresh_sources",
    selection=dg.AssetSelection.groups(SOURCES),
    description="Re-read and re-validate every jurisdiction's source files.",
)


def warehouse_url(settings: Settings) -> str | dg.EnvVar:
    """The warehouse URL as the resource takes it: a reference to the environment variable when
    the URL comes from it (it may hold a password: the UI and the run records then show the
    variable's name, and the value is read when a run starts), else the default SQLite path."""
    if os.environ.get(ENV_WAREHOUSE) and os.environ[ENV_WAREHOUSE] == settings.warehouse_url:
        return dg.EnvVar(ENV_WAREHOUSE)
    return settings.warehouse_url


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """The definitions of the region of the configs in use (`WBTIP_CONFIG_DIR`, else the bundled
    configs) with `settings` (default: from the environment)."""
    settings = settings or Settings.from_env()
    output = Path(settings.output_dir)
    cron, timezone = refresh_schedule()
    folder = config_folder()
    assets, checks = region_assets(folder)
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[refresh_sources],
        schedules=[
            dg.ScheduleDefinition(
                name="monthly_full_refresh",
                job=refresh_sources,
                cron_schedule=cron,
                execution_timezone=timezone,
                description=f"Full refresh of every jurisdiction ({cron}, {timezone}).",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        ],
        sensors=[
            build_sources_sensor(settings.sources_dir, settings.feedback_dir, configs_of(folder)),
            build_failure_sensor(settings.output_dir),
            build_abandoned_runs_sensor(),
            dg.AutomationConditionSensorDefinition(
                "follow_inputs",
                target=dg.AssetSelection.all(),
                minimum_interval_seconds=interval(ENV_AUTOMATION_INTERVAL),
                default_status=dg.DefaultSensorStatus.RUNNING,
                description="Refreshes downstream tables, recommendations and the report when their inputs change.",
            ),
        ],
        # one process per run: the default multiprocess executor costs ~1 s of start-up per step
        executor=dg.in_process_executor,
        resources={
            "paths": PipelinePaths(
                sources_dir=settings.sources_dir,
                reference_dir=settings.reference_dir,
                output_dir=settings.output_dir,
                feedback_dir=settings.feedback_dir,
            ),
            "warehouse": WarehouseResource(
                url=warehouse_url(settings),
                db_schema=settings.warehouse_schema,
                output_dir=settings.output_dir,
            ),
            # intermediate frames live next to the outputs they belong to
            "io_manager": dg.FilesystemIOManager(base_dir=str(output / ".storage")),
        },
    )


defs = build_definitions()
