"""`python -m benchmarks.run`: full, one-new-file and unchanged refreshes, overhead, 50x scale-up.

Prints a summary and writes JSON (default `output/benchmarks/results.json`). Every timing is a
fresh process (`wbtip run` as a user starts it), so imports and instance start-up count, and
each is also given as a ratio to importing dagster and pandas in a fresh process, measured in
the same invocation (the floor of any run on this machine).

Per repetition, in one fresh folder: `wbtip run` (full: a new instance and output), `wbtip run`
again (nothing changed), then one new per-year file for Albania and `wbtip run` (incremental).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of a command in a fresh process (GNU time's %M)."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "WBTIP_MAXRSS_KB=%M", *cmd],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    peak_kb = next(
        float(line.split("=", 1)[1])
        for line in reversed(done.stderr.splitlines())
        if line.startswith("WBTIP_MAXRSS_KB=")
    )
    return elapsed, peak_kb / 1024, done.stdout


def env_for(
    work: Path, sources: Path, reference: Path, configs: Path | None, output: Path
) -> dict[str, str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(work / "dagster_home"),
        "WBTIP_SOURCES_DIR": str(sources),
        "WBTIP_REFERENCE_DIR": str(reference),
        "WBTIP_OUTPUT_DIR": str(output),
    }
    env.pop("WBTIP_WAREHOUSE_URL", None)
    if configs:
        env["WBTIP_CONFIG_DIR"] = str(configs)
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env


def per_asset_seconds(dagster_home: Path) -> dict[str, float]:
    """Step durations of the last `wbtip run` (its two runs) from the Dagster event log."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=2)
        durations: dict[str, float] = {}
        for run in runs:
            for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
                durations[record.step_key] = (
                    record.dagster_event.event_specific_data.duration_ms / 1000
                )
    return dict(sorted(durations.items(), key=lambda kv: -kv[1]))


def measure(
    label: str,
    sources: Path,
    reference: Path,
    configs: Path | None,
    runs: int,
    incremental: bool,
    plain_too: bool = True,
) -> dict:
    wbtip = str(BIN / "wbtip")
    full, peaks, plain = [], [], []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix=f"wbtip-bench-{label}-") as tmp:
            work = Path(tmp)
            env = env_for(work, sources, reference, configs, work / "out")
            seconds, peak, _ = timed([wbtip, "run"], env)
            full.append(seconds)
            peaks.append(peak)
            if i == 0:
                steps = per_asset_seconds(work / "dagster_home")
            if not plain_too:
                continue
            seconds, _, _ = timed(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.plain",
                    "--sources",
                    str(sources),
                    "--reference",
                    str(reference),
                    "--output",
                    str(work / "plain"),
                ],
                env,
            )
            plain.append(seconds)
    result = {
        "full_refresh_seconds": statistics.median(full),
        "full_refresh_runs": full,
        "peak_memory_mb": max(peaks),
        "per_asset_seconds": steps,
    }
    if plain:
        result["plain_seconds"] = statistics.median(plain)
        result["overhead_ratio"] = statistics.median(full) / statistics.median(plain)
    if incremental:
        unchanged, one_file, outputs = [], [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="wbtip-bench-inc-") as tmp:
                work = Path(tmp)
                copy = work / "sources"
                shutil.copytree(sources, copy)
                env = env_for(work, copy, reference, configs, work / "out")
                timed([wbtip, "run"], env)
                seconds, _, out = timed([wbtip, "run"], env)
                unchanged.append(seconds)
                outputs.append(out.strip().splitlines()[-1])
                alb = copy / "ALB"
                data = (alb / "alb_trafikimi_2021.csv").read_bytes()
                (alb / "alb_trafikimi_2022.csv").write_bytes(data.replace(b";2021;", b";2022;"))
                seconds, _, out = timed([wbtip, "run"], env)
                one_file.append(seconds)
                outputs.append(out.strip().splitlines()[-1])
        result["unchanged_seconds"] = statistics.median(unchanged)
        result["unchanged_runs"] = unchanged
        result["one_new_file_seconds"] = statistics.median(one_file)
        result["one_new_file_runs"] = one_file
        result["incremental_says"] = sorted(set(outputs))
    return result


def import_floor(runs: int) -> float:
    """Median seconds of `import dagster, pandas` in a fresh process."""
    cmd = [sys.executable, "-c", "import dagster, pandas"]
    return statistics.median(timed(cmd, dict(os.environ))[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--scale", type=int, default=50, help="copies of the bundled jurisdictions (0: skip)"
    )
    parser.add_argument("--scale-runs", type=int, default=1)
    parser.add_argument(
        "--scale-plain", action="store_true", help="also time the plain functions at scale"
    )
    parser.add_argument(
        "--json", type=Path, default=ROOT / "output" / "benchmarks" / "results.json"
    )
    args = parser.parse_args()
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "import_dagster_pandas_seconds": import_floor(args.runs),
        "bundled": measure(
            "bundled", ROOT / "data" / "sources", ROOT / "data" / "reference", None, args.runs, True
        ),
    }
    floor = results["import_dagster_pandas_seconds"]
    b = results["bundled"]
    b["ratios_to_import"] = {
        k: b[f"{k}_seconds"] / floor for k in ("full_refresh", "one_new_file", "unchanged")
    }
    if args.scale:
        from benchmarks.synthetic import build_scaled

        with tempfile.TemporaryDirectory(prefix="wbtip-scaled-") as tmp:
            scaled = build_scaled(
                ROOT / "data" / "sources", ROOT / "data" / "reference", Path(tmp), args.scale
            )
            results["scaled"] = measure(
                "scaled",
                scaled["sources"],
                scaled["reference"],
                scaled["configs"],
                args.scale_runs,
                False,
                args.scale_plain,
            )
            results["scaled"]["jurisdictions"] = len(list(scaled["configs"].glob("[A-Z]*.yaml")))
            results["scaled"]["ratio_to_import"] = results["scaled"]["full_refresh_seconds"] / floor
            results["scaled"]["ratio_to_bundled"] = (
                results["scaled"]["full_refresh_seconds"]
                / results["bundled"]["full_refresh_seconds"]
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    r = b["ratios_to_import"]
    print(f"import dagster, pandas: {floor:.2f} s")
    print(
        f"full refresh (median of {args.runs}): {b['full_refresh_seconds']:.1f} s "
        f"({r['full_refresh']:.1f}x), peak {b['peak_memory_mb']:.0f} MB"
    )
    print(f"one new file: {b['one_new_file_seconds']:.1f} s ({r['one_new_file']:.1f}x)")
    print(f"nothing changed: {b['unchanged_seconds']:.1f} s ({r['unchanged']:.1f}x)")
    print(f"plain functions: {b['plain_seconds']:.1f} s; overhead ratio {b['overhead_ratio']:.2f}")
    for name, secs in list(b["per_asset_seconds"].items())[:8]:
        print(f"  {name}: {secs:.2f} s")
    if "scaled" in results:
        s = results["scaled"]
        print(
            f"{s['jurisdictions']} jurisdictions: {s['full_refresh_seconds']:.1f} s "
            f"({s['ratio_to_import']:.0f}x import, {s['ratio_to_bundled']:.1f}x bundled), "
            f"peak {s['peak_memory_mb']:.0f} MB"
        )
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
