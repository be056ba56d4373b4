"""`wbtip run`: bring the asset graph up to date, in-process, against a persistent Dagster instance.

Incremental by default: only the assets whose data version would change (a source file, an
upstream table or the code of their layer changed; `assets/versions.py`) are materialised, and
with nothing changed the command says so and stops. `--full` materialises everything.

Two runs, so that a jurisdiction blocked by its checks does not hold back the others: the
source layer first (each jurisdiction alone), then everything downstream, which keeps the last
good rows of any blocked jurisdiction. Both runs appear in the Dagster UI of the same
`DAGSTER_HOME`. Exit status 0 when every asset materialised and every blocking check passed.

Operations (issue 16): the command holds the output folder's lock (`runlock.py`) from before it
looks at the instance until its summary, so a second `wbtip run` on the same output waits for it
and then finds what is left to do (`--no-wait`: refuse at once, exit status 75, naming the
holder); runs the daemon launches take the same lock (`resources.py`). It first reports failed
the runs whose process is gone (`sensors.fail_abandoned_runs`: a killed `wbtip run` leaves its
run STARTED otherwise) and removes the temporary files a killed writer left. It checks that the
folders it reads exist before it writes anything. The summary gives the root cause of each
failed step (the exception under Dagster's wrapper, with its path) and lists the country labels
that could not be mapped, with file and row.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wbtip_pipeline.runlock import (
    EXIT_BUSY,
    OutputBusy,
    describe_holder,
    hold_output,
    lock_path,
)
from wbtip_pipeline.settings import (
    DEFAULT_DAGSTER_HOME,
    ENV_FEEDBACK,
    ENV_OUTPUT,
    ENV_REFERENCE,
    ENV_SOURCES,
    Settings,
    default_path,
)

# data-quality checks whose warnings are about labels of the source files (file and row given)
LABEL_CHECKS = ("unmapped_country",)
# temporary files of the atomic writers (`warehouse._write_atomic`): left only by a killed writer
LEFTOVER_GLOB = ".*.tmp"
# names the Dagster instance whose records describe the outputs of this folder, and the
# warehouse they went to: an output folder made with another instance or warehouse (or none yet)
# is brought up to date by materialising everything
INSTANCE_MARKER = ".wbtip_instance"


@dataclass
class RunReport:
    """What happened in the runs of one `wbtip run`, for the summary and the exit status."""

    materialised: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    label_warnings: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)  # runs of killed processes, marked failed
    run_ids: list[str] = field(default_factory=list)
    publication: str = ""  # what readers see after the run (`_publication_line`)

    @property
    def ok(self) -> bool:
        return not self.failures


class CannotRun(Exception):
    """Something the pipeline needs is missing; found before anything was written."""


def _collect(result, report: RunReport) -> None:
    import dagster as dg

    from wbtip_pipeline.sensors import root_cause, step_failure_cause

    report.run_ids.append(result.run_id)
    for event in result.get_asset_materialization_events():
        report.materialised.append(event.asset_key.to_user_string())
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        messages = evaluation.metadata.get("messages")
        text = messages.value if messages is not None else evaluation.description or ""
        lines = [line for line in str(text).splitlines() if line] or ["(no details)"]
        target = (
            report.failures
            if evaluation.severity == dg.AssetCheckSeverity.ERROR
            else report.warnings
        )
        head = f"{evaluation.asset_key.to_user_string()} / {evaluation.check_name}"
        target.append(head + "".join(f"\n    - {line}" for line in lines[:20]))
    for event in result.get_step_failure_events():
        report.failures.append(
            f"step {event.step_key} failed: {step_failure_cause(event.step_failure_data)}"
        )
    if not result.success and not report.failures:
        failure = result.get_run_failure_event()
        error = getattr(failure.event_specific_data, "error", None) if failure else None
        cause = f": {root_cause(error)}" if error is not None else ""
        report.failures.append(f"run {result.run_id} failed{cause}")


@contextmanager
def _warehouse(settings: Settings):
    """The warehouse of `settings` with its output folder, its connections closed after use."""
    from wbtip_pipeline.warehouse import Warehouse

    warehouse = Warehouse(
        settings.warehouse_url, schema=settings.warehouse_schema, output_dir=settings.output_dir
    )
    try:
        yield warehouse
    finally:
        warehouse.dispose()


def _label_warnings(settings: Settings) -> list[str]:
    """The label warnings of this refresh's `data_quality_issues` (each names file and row):
    published, or staged when a failure kept the refresh from being published."""
    with _warehouse(settings) as warehouse:
        issues = warehouse.read_latest("data_quality_issues")
    if issues is None or issues.empty:
        return []
    labels = issues[issues["check_name"].isin(LABEL_CHECKS)]
    return [
        f"{row.check_name}: {row.jurisdiction}: {row.message}"
        for row in labels.itertuples(index=False)
    ]


def _remove_leftovers(output: Path) -> int:
    """Delete the temporary files (and links) of writers that were killed (run under the
    output's lock)."""
    removed = 0
    for path in output.rglob(LEFTOVER_GLOB):
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _roll_forward(settings: Settings):
    """A publication committed to the warehouse and not yet pointed to (`publication.py`)."""
    with _warehouse(settings) as warehouse:
        return warehouse.roll_forward()


def dagster_home() -> Path:
    value = os.environ.get("DAGSTER_HOME")
    return Path(value).resolve() if value else default_path(DEFAULT_DAGSTER_HOME)


def run_pipeline(
    sources: str | None,
    output: str | None,
    *,
    quiet: bool = False,
    log_level: str = "WARNING",
    full: bool = False,
    reference: str | None = None,
    feedback: str | None = None,
    wait: bool = True,
) -> RunReport:
    """Bring everything up to date (`full`: materialise everything); the same as `wbtip run`,
    for tests and benchmarks. Raises `CannotRun` when an input folder is missing and
    `runlock.OutputBusy` when another process writes the output and `wait` is False."""
    for env, value in (
        (ENV_SOURCES, sources),
        (ENV_OUTPUT, output),
        (ENV_REFERENCE, reference),
        (ENV_FEEDBACK, feedback),
    ):
        if value:
            os.environ[env] = str(Path(value).resolve())
    settings = Settings.from_env()
    missing = settings.missing_inputs()
    if missing:
        raise CannotRun("; ".join(missing))
    try:  # the lock file is the first thing written: an unwritable output stops here
        lock_file = lock_path(settings.output_dir)
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as exc:
        raise CannotRun(
            f"the output folder {settings.output_dir} cannot be written ({exc})"
        ) from exc
    say = (lambda *_: None) if quiet else (lambda msg: print(msg, flush=True))

    def waiting(holder) -> None:
        say(
            f"wbtip: waiting for {settings.output_dir}: in use by {describe_holder(holder)} "
            "(--no-wait refuses instead)"
        )

    with hold_output(settings.output_dir, command="wbtip run", wait=wait, on_wait=waiting) as lock:
        if lock.stale is not None:
            say(
                f"wbtip: the last writer of {settings.output_dir}, {lock.stale.describe()}, "
                "ended without finishing (killed or crashed)"
            )
        return _run_locked(settings, lock, say, log_level=log_level, full=full)


# The dagster.yaml of a new local instance (written once; deploy/dagster.yaml is the production one)
LOCAL_INSTANCE = """\
# Local Dagster instance of `wbtip run` (SQLite storage in this folder).
# telemetry: no usage statistics sent. nux: no onboarding dialog in the UI.
# freshness: freshness policies evaluated whenever a daemon runs (`dagster dev`): a published
# table, the report or the workshop pack not refreshed for 32 days warns, for 35 days fails.
telemetry:
  enabled: false
nux:
  enabled: false
freshness:
  enabled: true
"""


def local_instance_config(home: Path) -> str:
    """The dagster.yaml of a new local instance in `home`: `LOCAL_INSTANCE`, and its event log in
    the SQLite files where Dagster keeps them, by `instance.LocalEventLogStorage` (which keeps
    its database engines: a tenth of a small refresh)."""
    import yaml

    storage = {
        "module": "wbtip_pipeline.instance",
        "class": "LocalEventLogStorage",
        "config": {"base_dir": str(Path(home) / "history" / "runs") + os.sep},
    }
    return LOCAL_INSTANCE + yaml.safe_dump({"event_log_storage": storage}, sort_keys=False)


def _instance_stamp(home: Path, settings: Settings) -> str:
    """The instance and the warehouse an output folder was refreshed with (the warehouse hashed:
    its URL may hold a password), as its `INSTANCE_MARKER` records them."""
    warehouse = f"{settings.warehouse_url} {settings.warehouse_schema}".encode()
    return f"{home}\n{hashlib.sha256(warehouse).hexdigest()}\n"


def to_refresh(instance, graph, settings: Settings, *, full: bool = False) -> set:
    """The asset keys `wbtip run` materialises: every one with `full`, or where the output folder
    was last refreshed with another instance or warehouse (or never: a new folder), else the
    stale ones (`assets.versions.stale_assets`)."""
    from wbtip_pipeline.assets.versions import stale_assets

    marker = Path(settings.output_dir) / INSTANCE_MARKER
    stamp = _instance_stamp(dagster_home(), settings)
    if full or not marker.exists() or marker.read_text(encoding="utf-8") != stamp:
        return set(graph.get_all_asset_keys())
    return set(stale_assets(instance, graph, settings))


def _run_locked(settings: Settings, lock, say, *, log_level: str, full: bool) -> RunReport:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        # a local instance: SQLite storage in DAGSTER_HOME
        (home / "dagster.yaml").write_text(local_instance_config(home), encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)

    import dagster as dg

    from wbtip_pipeline.assets import SOURCES
    from wbtip_pipeline.definitions import build_definitions
    from wbtip_pipeline.resources import STAGE_TAG, process_tags
    from wbtip_pipeline.sensors import fail_abandoned_runs

    defs = build_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    every = set(graph.get_all_asset_keys())
    report = RunReport()
    output = Path(settings.output_dir)
    marker, stamp = output / INSTANCE_MARKER, _instance_stamp(home, settings)
    with dg.DagsterInstance.get() as instance:
        report.abandoned = fail_abandoned_runs(instance, by=f"wbtip run (pid {os.getpid()})")
        for line in report.abandoned:
            say(f"wbtip: {line}")
        removed = _remove_leftovers(output)
        if removed:
            say(f"wbtip: removed {removed} temporary files left by a killed writer")
        completed = _roll_forward(settings)
        if completed is not None:
            say(
                f"wbtip: publication {completed.publication_id} was committed by a writer that "
                "died before it moved the output folder's `current` link; moved it now"
            )
        todo = to_refresh(instance, graph, settings, full=full)
        report.up_to_date = sorted(k.to_user_string() for k in every - todo)
        if not todo:
            say(f"wbtip: nothing to do: all {len(every)} assets are up to date")
            return report
        # written before the first materialisation, not after the last: what a killed run did
        # materialise is recorded in this instance, and the next run must not do it again
        # (`recommendations` compares with the table it replaces: done twice, a first edition
        # would call every recommendation "unchanged since the previous run")
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(stamp, encoding="utf-8")
        source_keys = dg.AssetSelection.groups(SOURCES).resolve(graph) & todo
        other_keys = todo - source_keys
        for label, keys in (("sources", source_keys), ("downstream", other_keys)):
            if not keys:
                continue
            started = time.perf_counter()
            say(f"wbtip: materialising {len(keys)} {label} assets ...")
            run_id = str(uuid.uuid4())
            lock.record(run_id)
            result = job.execute_in_process(
                instance=instance,
                asset_selection=sorted(keys),
                raise_on_error=False,
                run_id=run_id,
                tags={**process_tags(), STAGE_TAG: label},
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
            before = len(report.failures)
            _collect(result, report)
            status = "ok" if len(report.failures) == before else "with failures"
            say(
                f"wbtip: {label} run {result.run_id[:8]} finished {status} in {time.perf_counter() - started:.1f}s"
            )
        if "data_quality_issues" in report.materialised:
            report.label_warnings = _label_warnings(settings)
        report.publication = _publication_line(settings, report)
    return report


def _publication_line(settings: Settings, report: RunReport) -> str:
    """What readers see after the run: the publication it made, or why they see the previous one."""
    from wbtip_pipeline.publication import describe

    with _warehouse(settings) as warehouse:
        output = warehouse.output
        latest = warehouse.latest_publication()
        staged = bool(
            warehouse.staged_tables() or output.staged_tables() or output.staged_entries()
        )
    if (
        "publication" in report.materialised
        and latest is not None
        and latest.run_id in report.run_ids
    ):
        return describe(latest)
    if staged:
        shown = output.current()
        if shown is None:
            previous = "nothing, no publication yet"
        elif latest is not None and shown == latest.folder.resolve():
            previous = f"publication {latest.publication_id}"
        else:
            previous = f"the publication in {shown.name}"
        return (
            f"not published (a step failed): readers keep {previous}; the next complete refresh "
            "publishes what was staged"
        )
    return ""


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _print_summary(report: RunReport, output: str) -> None:
    if report.materialised or report.failures:
        kept = f", {len(report.up_to_date)} up to date" if report.up_to_date else ""
        print(f"wbtip: {len(report.materialised)} assets materialised{kept}; outputs in {output}")
    if report.publication:
        print(f"wbtip: {report.publication}")
    counts = []
    if report.warnings or report.label_warnings:
        labels = f" ({len(report.label_warnings)} about labels)" if report.label_warnings else ""
        counts.append(_count(len(report.warnings) + len(report.label_warnings), "warning") + labels)
    if report.failures:
        counts.append(_count(len(report.failures), "failure"))
    if report.abandoned:
        counts.append(_count(len(report.abandoned), "abandoned run") + " marked failed")
    if counts:
        print(f"wbtip: {', '.join(counts)}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for warning in report.label_warnings:
        print(f"warning: {warning}")
    for failure in report.failures:
        print(f"FAILED: {failure}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wbtip", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="bring the pipeline up to date (only what changed)")
    run.add_argument("--sources", help=f"source folder (env {ENV_SOURCES}; default data/sources)")
    run.add_argument(
        "--reference", help=f"reference data folder (env {ENV_REFERENCE}; default data/reference)"
    )
    run.add_argument(
        "--feedback", help=f"workshop feedback forms (env {ENV_FEEDBACK}; default data/feedback)"
    )
    run.add_argument("--output", help=f"output folder (env {ENV_OUTPUT}; default output/)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's own log lines")
    run.add_argument("--full", action="store_true", help="materialise every asset, changed or not")
    run.add_argument(
        "--no-wait",
        action="store_true",
        help=f"if another run writes the output folder, exit at once (status {EXIT_BUSY}) instead of waiting",
    )
    sub.add_parser(
        "dictionary", help="print the data dictionary (markdown) of every published table"
    )
    args = parser.parse_args(argv)
    if args.command == "dictionary":
        from wbtip_pipeline.dictionary import render_dictionary
        from wbtip_pipeline.schemas.registry import table_schemas

        print(render_dictionary(table_schemas()), end="")
        return 0
    try:
        report = run_pipeline(
            args.sources,
            args.output,
            reference=args.reference,
            feedback=args.feedback,
            log_level="DEBUG" if args.verbose else "WARNING",
            full=args.full,
            wait=not args.no_wait,
        )
    except CannotRun as problem:
        print(f"wbtip: cannot run: {problem}; nothing was written", file=sys.stderr)
        return 2
    except OutputBusy as busy:
        print(
            f"wbtip: {busy.output} is in use by {describe_holder(busy.holder)}; "
            "not waiting (--no-wait): nothing was done",
            file=sys.stderr,
        )
        return EXIT_BUSY
    _print_summary(report, Settings.from_env().output_dir)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
