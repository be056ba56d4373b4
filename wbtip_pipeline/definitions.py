"""The one Definitions object: assets, checks and resources of the pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from wbtip_pipeline.assets import harmonised
from wbtip_pipeline.assets.sources import raw_assets, raw_checks
from wbtip_pipeline.resources import PipelinePaths, WarehouseResource
from wbtip_pipeline.settings import Settings

ASSETS = [*raw_assets.values(), harmonised.harmonised_statistics, harmonised.data_quality_issues]
CHECKS = [*raw_checks]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    output = Path(settings.output_dir)
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        resources={
            "paths": PipelinePaths(
                sources_dir=settings.sources_dir,
                reference_dir=settings.reference_dir,
                output_dir=settings.output_dir,
            ),
            "warehouse": WarehouseResource(
                url=settings.warehouse_url,
                tables_dir=str(output / "tables"),
                db_schema=settings.warehouse_schema,
            ),
            # intermediate frames live next to the outputs they belong to
            "io_manager": dg.FilesystemIOManager(base_dir=str(output / ".storage")),
        },
    )


defs = build_definitions()
