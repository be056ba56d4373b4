"""Dagster resources: the folders the pipeline reads and writes, and the warehouse.

Both hold the output folder's lock (`runlock.py`) while a run has them open, which is the whole
run with the in-process executor: every asset writes through one of them, so a run launched by
the daemon, a sensor, a schedule or the UI waits for `wbtip run` (and for any other run) on the
same output folder, and they for it. A run executed inside `wbtip run` takes the lock its command
already holds. The run is tagged with the pid and host of its process, which is how the next
`wbtip run` tells a run whose process was killed (`sensors.fail_abandoned_runs`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from wbtip_pipeline.publication import OutputFolder
from wbtip_pipeline.runlock import Holder, describe_holder, hold_output
from wbtip_pipeline.warehouse import Warehouse

# run tags: the process that executes the run, to tell whether it still exists; which of the two
# runs of `wbtip run` it is
PID_TAG, PID_START_TAG, HOST_TAG = "wbtip/pid", "wbtip/pid_start", "wbtip/host"
STAGE_TAG = "wbtip/stage"


def process_tags() -> dict[str, str]:
    me = Holder.me("")
    return {PID_TAG: str(me.pid), PID_START_TAG: me.pid_start or "", HOST_TAG: me.host}


@contextmanager
def output_lock(context: dg.InitResourceContext, output_dir: str | None) -> Iterator[None]:
    """Hold `output_dir`'s lock while the run has this resource open (nothing without a run)."""
    run = context.run
    if not output_dir or run is None or context.instance is None:
        yield
        return
    if PID_TAG not in run.tags:
        context.instance.add_run_tags(run.run_id, process_tags())

    def waiting(holder) -> None:
        context.log.warning(
            f"waiting for the output folder {output_dir}: in use by {describe_holder(holder)}"
        )

    with hold_output(output_dir, command="Dagster run", run_id=run.run_id, on_wait=waiting):
        yield


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

    def staged(self, name: str) -> Path:
        """Where a document of this refresh is written: the staging area (`publication.py`)."""
        return OutputFolder(self.output_dir).staging / name

    def published(self, name: str) -> Path:
        """Where readers find it once published (a path through the `current` link)."""
        return self.output / name

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["PipelinePaths"]:
        with output_lock(context, self.output_dir):
            yield self


class WarehouseResource(dg.ConfigurableResource):
    """The one way output tables are written: a database (SQLAlchemy URL) plus CSV copies, staged
    in the output folder and published together (`publication.py`)."""

    url: str
    output_dir: str
    db_schema: str | None = None

    def get(self) -> Warehouse:
        return Warehouse(self.url, schema=self.db_schema, output_dir=self.output_dir)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseResource"]:
        with output_lock(context, self.output_dir):
            yield self
