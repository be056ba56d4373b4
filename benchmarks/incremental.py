"""One incremental refresh as the daemon would do it, timed from the moment a file is added.

The new file goes through the sources sensor's own evaluation (two ticks: seen, then stable),
the run it requests (the jurisdiction's source asset and its check), then the assets downstream
of it, which declarative automation would request next. Run in a fresh process against the
instance and output of a previous full refresh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--year", type=int, required=True, help="year of the new per-year file")
    args = parser.parse_args()
    os.environ["WBTIP_SOURCES_DIR"] = str(args.sources.resolve())
    os.environ["WBTIP_OUTPUT_DIR"] = str(args.output.resolve())

    import dagster as dg

    from wbtip_pipeline.definitions import build_definitions
    from wbtip_pipeline.sensors import evaluate_sources

    defs = build_definitions()
    job = defs.resolve_implicit_global_asset_job_def()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.get() as instance:
        _, _, cursor = evaluate_sources(args.sources, None)
        _, _, cursor = evaluate_sources(args.sources, cursor)  # everything already known

        template = args.sources / "ALB" / "alb_trafikimi_2021.csv"
        new = args.sources / "ALB" / f"alb_trafikimi_{args.year}.csv"
        started = time.perf_counter()
        shutil.copyfile(template, new)
        new.write_bytes(template.read_bytes().replace(b";2021;", f";{args.year};".encode()))
        changed, _, cursor = evaluate_sources(args.sources, cursor)  # seen once
        changed, _, cursor = evaluate_sources(args.sources, cursor)  # stable: requested
        assert list(changed) == ["ALB"], changed
        keys = [dg.AssetKey("raw_alb")]
        first = job.execute_in_process(instance=instance, asset_selection=keys, run_config=quiet)
        graph = defs.resolve_asset_graph()
        downstream = dg.AssetSelection.assets(*keys).downstream().resolve(graph) - set(keys)
        second = job.execute_in_process(
            instance=instance, asset_selection=sorted(downstream), run_config=quiet
        )
        elapsed = time.perf_counter() - started
    report = args.output / "report" / "wbtip_report.html"
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "success": first.success and second.success,
                "assets_refreshed": 1 + len(downstream),
                "report_written": report.exists(),
            }
        )
    )


if __name__ == "__main__":
    main()
