"""`wbtip run`: materialise the whole asset graph in-process against a persistent Dagster instance.

Two runs, so that a jurisdiction blocked by its checks does not hold back the others: the
source layer first (each jurisdiction alone), then everything downstream, which keeps the last
good rows of any blocked jurisdiction. Both runs appear in the Dagster UI of the same
`DAGSTER_HOME`. Exit status 0 when every asset materialised and every blocking check passed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from wbtip_pipeline.settings import ENV_OUTPUT, ENV_SOURCES

DEFAULT_DAGSTER_HOME = ".dagster_home"


@dataclass
class RunReport:
    """What happened in the runs of one `wbtip run`, for the summary and the exit status."""

    materialised: list[str] = field(default_factory=list)
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
    sources: str | None, output: str | None, *, quiet: bool = False, log_level: str = "WARNING"
) -> RunReport:
    """Materialise everything; the same as `wbtip run`, for tests and benchmarks."""
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
    from wbtip_pipeline.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    source_keys = dg.AssetSelection.groups(SOURCES).resolve(graph)
    other_keys = set(graph.get_all_asset_keys()) - source_keys
    report = RunReport()
    say = (lambda *_: None) if quiet else (lambda msg: print(msg, flush=True))
    with dg.DagsterInstance.get() as instance:
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
    return report


def _print_summary(report: RunReport, output: str) -> None:
    print(f"wbtip: {len(report.materialised)} assets materialised; outputs in {output}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for failure in report.failures:
        print(f"FAILED: {failure}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wbtip", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise the whole pipeline")
    run.add_argument("--sources", help=f"source folder (env {ENV_SOURCES}; default data/sources)")
    run.add_argument("--output", help=f"output folder (env {ENV_OUTPUT}; default output/)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's own log lines")
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
        args.sources, args.output, log_level="DEBUG" if args.verbose else "WARNING"
    )
    from wbtip_pipeline.settings import Settings

    _print_summary(report, Settings.from_env().output_dir)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
