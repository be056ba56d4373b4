"""`wbtip run`: bring the asset graph up to date, in-process, against a persistent Dagster instance.

Incremental by default: only the assets whose data version would change (a source file, an
upstream table or the code of their layer changed; `assets/versions.py`) are materialised, and
with nothing changed the command says so and stops. `--full` materialises everything.

Two runs, so that a jurisdiction blocked by its checks does not hold back the others: the
source layer first (each jurisdiction alone), then everything downstream, which keeps the last
good rows of any blocked jurisdiction. Both runs appear in the Dagster UI of the same
`DAGSTER_HOME`. Exit status 0 when every asset materialised and every blocking check passed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from wbtip_pipeline.settings import ENV_OUTPUT, ENV_SOURCES

DEFAULT_DAGSTER_HOME = ".dagster_home"
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
    run_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _collect(result, report: RunReport) -> None:
    import dagster as dg

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
        error = event.step_failure_data.error
        message = error.message.strip() if error else "unknown error"
        report.failures.append(f"step {event.step_key} failed: {message}")
    if not result.success and not report.failures:
        report.failures.append(f"run {result.run_id} failed")


def run_pipeline(
    sources: str | None,
    output: str | None,
    *,
    quiet: bool = False,
    log_level: str = "WARNING",
    full: bool = False,
) -> RunReport:
    """Bring everything up to date (`full`: materialise everything); the same as `wbtip run`,
    for tests and benchmarks."""
    if sources:
        os.environ[ENV_SOURCES] = str(Path(sources).resolve())
    if output:
        os.environ[ENV_OUTPUT] = str(Path(output).resolve())
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        # a local instance: SQLite storage in DAGSTER_HOME, no usage statistics sent
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)

    import dagster as dg

    from wbtip_pipeline.assets import SOURCES
    from wbtip_pipeline.assets.versions import stale_assets
    from wbtip_pipeline.definitions import build_definitions
    from wbtip_pipeline.settings import Settings

    settings = Settings.from_env()
    defs = build_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    every = set(graph.get_all_asset_keys())
    report = RunReport()
    say = (lambda *_: None) if quiet else (lambda msg: print(msg, flush=True))
    marker = Path(settings.output_dir) / INSTANCE_MARKER
    # the instance and the warehouse (hashed: its URL may hold a password)
    stamp = f"{home}\n{hashlib.sha256(f'{settings.warehouse_url} {settings.warehouse_schema}'.encode()).hexdigest()}\n"
    same_instance = marker.exists() and marker.read_text(encoding="utf-8") == stamp
    with dg.DagsterInstance.get() as instance:
        todo = (
            every if (full or not same_instance) else set(stale_assets(instance, graph, settings))
        )
        report.up_to_date = sorted(k.to_user_string() for k in every - todo)
        if not todo:
            say(f"wbtip: nothing to do: all {len(every)} assets are up to date")
            return report
        source_keys = dg.AssetSelection.groups(SOURCES).resolve(graph) & todo
        other_keys = todo - source_keys
        for label, keys in (("sources", source_keys), ("downstream", other_keys)):
            if not keys:
                continue
            started = time.perf_counter()
            say(f"wbtip: materialising {len(keys)} {label} assets ...")
            result = job.execute_in_process(
                instance=instance,
                asset_selection=sorted(keys),
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
            before = len(report.failures)
            _collect(result, report)
            status = "ok" if len(report.failures) == before else "with failures"
            say(
                f"wbtip: {label} run {result.run_id[:8]} finished {status} in {time.perf_counter() - started:.1f}s"
            )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(stamp, encoding="utf-8")
    return report


def _print_summary(report: RunReport, output: str) -> None:
    if report.materialised or report.failures:
        kept = f", {len(report.up_to_date)} up to date" if report.up_to_date else ""
        print(f"wbtip: {len(report.materialised)} assets materialised{kept}; outputs in {output}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for failure in report.failures:
        print(f"FAILED: {failure}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wbtip", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="bring the pipeline up to date (only what changed)")
    run.add_argument("--sources", help=f"source folder (env {ENV_SOURCES}; default data/sources)")
    run.add_argument("--output", help=f"output folder (env {ENV_OUTPUT}; default output/)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's own log lines")
    run.add_argument("--full", action="store_true", help="materialise every asset, changed or not")
    sub.add_parser(
        "dictionary", help="print the data dictionary (markdown) of every published table"
    )
    args = parser.parse_args(argv)
    if args.command == "dictionary":
        from wbtip_pipeline.dictionary import render_dictionary
        from wbtip_pipeline.schemas.registry import table_schemas

        print(render_dictionary(table_schemas()), end="")
        return 0
    report = run_pipeline(
        args.sources,
        args.output,
        log_level="DEBUG" if args.verbose else "WARNING",
        full=args.full,
    )
    from wbtip_pipeline.settings import Settings

    _print_summary(report, Settings.from_env().output_dir)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
