"""Dagster resources: the folders the pipeline reads and writes, and the warehouse."""

from pathlib import Path

import dagster as dg

from wbtip_pipeline.warehouse import Warehouse


class PipelinePaths(dg.ConfigurableResource):
    """Where the source files, the reference data and the outputs are."""

    sources_dir: str
    reference_dir: str
    output_dir: str
    feedback_dir: str = "data/feedback"

    def jurisdiction_dir(self, code: str) -> Path:
        return Path(self.sources_dir) / code

    def reference(self, name: str) -> Path:
        return Path(self.reference_dir) / name

    @property
    def output(self) -> Path:
        return Path(self.output_dir)


class WarehouseResource(dg.ConfigurableResource):
    """The one way output tables are written: a database (SQLAlchemy URL) plus CSV copies."""

    url: str
    tables_dir: str
    db_schema: str | None = None

    def get(self) -> Warehouse:
        return Warehouse(self.url, tables_dir=self.tables_dir, schema=self.db_schema)
