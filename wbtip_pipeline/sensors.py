"""Operations: a sensor on the sources folder, the monthly refresh, the run-failure summary
(with the root cause of each failed step) and the runs whose process is gone."""

import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from wbtip_pipeline.assets.reference import assessment_asset_name, member_source_keys
from wbtip_pipeline.assets.sources import configs_in_use, raw_asset_name
from wbtip_pipeline.assets.workshop import FEEDBACK_ASSET
from wbtip_pipeline.resources import HOST_TAG, PID_START_TAG, PID_TAG, STAGE_TAG
from wbtip_pipeline.runlock import process_gone
from wbtip_pipeline.sources.config import SourceConfig
from wbtip_pipeline.sources.feedback import feedback_files
from wbtip_pipeline.sources.readers import sha256_of

# ---------------------------------------------------------------------------------------------
# The sources sensor
#
# The cursor keeps, per data file, the size, modification time and SHA-256 last acted on, and the
# (size, mtime) seen at the previous tick for files still being written. A file is acted on only
# when its size and mtime are the same on two consecutive ticks (a half-written file is never read)
# and its content hash differs from the one acted on. Nothing depends on the wall clock, so a file
# written during a tick, or with an old timestamp, is picked up at the next tick.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    size: int
    mtime: float
    sha256: str = ""


FEEDBACK = "FEEDBACK"  # the group of the workshop's feedback forms in the cursor and run tags


def data_files(
    sources_dir: Path, configs: dict[str, SourceConfig], feedback_dir: Path | None = None
) -> dict[str, tuple[str, Path]]:
    """{"ISO/name": (ISO, path)} of every file the pipeline reads; notes and lock files are not.

    Workshop feedback forms count too, as "FEEDBACK/name".
    """
    files = {}
    if feedback_dir is not None:
        for path in feedback_files(feedback_dir):
            files[f"{FEEDBACK}/{path.name}"] = (FEEDBACK, path)
    for code, cfg in configs.items():
        folder = sources_dir / code
        if not folder.is_dir():
            continue
        patterns = [cfg.pattern, re.compile(cfg.mechanisms_pattern)]
        for path in folder.iterdir():
            if path.is_file() and any(p.fullmatch(path.name) for p in patterns):
                files[f"{code}/{path.name}"] = (code, path)
    return files


def asset_for_file(name: str, configs: dict[str, SourceConfig] | None = None) -> dg.AssetKey:
    """The source asset that reads a data file ("ISO/file name"); `configs`: of the members
    (default: `configs_in_use()`), as for the functions below."""
    configs = configs_in_use() if configs is None else configs
    code, file_name = name.split("/", 1)
    if code == FEEDBACK:
        return dg.AssetKey(FEEDBACK_ASSET)
    if re.fullmatch(configs[code].mechanisms_pattern, file_name):
        return dg.AssetKey(assessment_asset_name(code))
    return dg.AssetKey(raw_asset_name(code))


def evaluate_sources(
    sources_dir: Path,
    cursor: str | None,
    configs: dict[str, SourceConfig] | None = None,
    feedback_dir: Path | None = None,
    recorded: dict[str, str] | None = None,
) -> tuple[dict[str, list[tuple[str, str]]], list[str], str]:
    """(changed files by jurisdiction as [(name, sha)], removed file names, new cursor).

    `recorded` ({"ISO/name": sha256}) is what the latest materialisations read: a file the
    cursor does not know yet counts as changed only if its content differs from that, so a
    sensor starting after `wbtip run` re-reads nothing."""
    state = json.loads(cursor) if cursor else {"known": {}, "pending": {}}
    if not cursor:  # start from the content last read; size and time are checked anew
        state["known"] = {
            name: {"size": -1, "mtime": -1, "sha256": sha} for name, sha in (recorded or {}).items()
        }
    known: dict[str, dict] = state["known"]
    pending: dict[str, dict] = state["pending"]
    new_pending: dict[str, dict] = {}
    changed: dict[str, list[tuple[str, str]]] = {}
    configs = configs_in_use() if configs is None else configs
    files = data_files(sources_dir, configs, feedback_dir)
    for name, (code, path) in sorted(files.items()):
        stat = path.stat()
        now = {"size": stat.st_size, "mtime": stat.st_mtime}
        before = known.get(name)
        if before and before["size"] == now["size"] and before["mtime"] == now["mtime"]:
            continue  # untouched since it was acted on: not re-read
        if pending.get(name) != now:
            new_pending[name] = now  # new or still changing: wait for one more tick
            continue
        sha = sha256_of(path)
        known[name] = {**now, "sha256": sha}
        if before is None or before.get("sha256") != sha:
            changed.setdefault(code, []).append((name, sha))
    removed = sorted(set(known) - set(files))
    for name in removed:
        del known[name]
    return changed, removed, json.dumps({"known": known, "pending": new_pending}, sort_keys=True)


REFERENCE_KEYS = [dg.AssetKey(name) for name in ("ct_checklist", "population", "us_tip_tiers")]
ENV_SENSOR_INTERVAL = "WBTIP_SENSOR_INTERVAL"
ENV_AUTOMATION_INTERVAL = "WBTIP_AUTOMATION_INTERVAL"
# seconds between ticks: a file is acted on once it is the same at two ticks, so it lands in the
# pipeline 10-20 s after it was written; the automation sensor then follows within as long
DEFAULT_INTERVAL = 10


def interval(env: str) -> int:
    """A sensor's minimum interval from the environment (at least 1 s), else the default."""
    value = os.environ.get(env)
    return max(1, int(value)) if value and value.isdigit() else DEFAULT_INTERVAL


def recorded_sources(
    instance: dg.DagsterInstance, configs: dict[str, SourceConfig] | None = None
) -> dict[str, str]:
    """{"ISO/name": sha256} of the files the latest materialisations of the source assets read
    (their `source_hashes` / `source_files` metadata)."""
    configs = configs_in_use() if configs is None else configs
    owners = {dg.AssetKey(FEEDBACK_ASSET): FEEDBACK}
    for code in configs:
        owners[dg.AssetKey(raw_asset_name(code))] = code
        owners[dg.AssetKey(assessment_asset_name(code))] = code
    found: dict[str, str] = {}
    events = instance.get_latest_materialization_events(list(owners))
    for key, event in events.items():
        if event is None or event.asset_materialization is None:
            continue
        meta = event.asset_materialization.metadata
        for field in ("source_hashes", "source_files"):
            if field in meta and isinstance(meta[field].value, dict):
                found.update({f"{owners[key]}/{n}": sha for n, sha in meta[field].value.items()})
    return found


def _materialised(instance: dg.DagsterInstance, key: dg.AssetKey) -> bool:
    return instance.get_latest_materialization_event(key) is not None


def build_sources_sensor(
    sources_dir: str,
    feedback_dir: str | None = None,
    configs: dict[str, SourceConfig] | None = None,
) -> dg.SensorDefinition:
    """The sensor of the source files of the members of `configs` (default: `configs_in_use()`)."""
    configs = configs_in_use() if configs is None else configs
    keys = member_source_keys(configs)
    keys.append(dg.AssetKey(FEEDBACK_ASSET))
    keys += REFERENCE_KEYS
    feedback = Path(feedback_dir) if feedback_dir else None

    @dg.sensor(
        name="new_source_files",
        description="Requests a refresh of a jurisdiction when one of its source files is new or changed (and stable).",
        asset_selection=dg.AssetSelection.assets(*keys),
        minimum_interval_seconds=interval(ENV_SENSOR_INTERVAL),
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def new_source_files(context: dg.SensorEvaluationContext):
        # a new cursor starts from what the instance says was read last (after `wbtip run`)
        recorded = recorded_sources(context.instance, configs) if not context.cursor else None
        changed, removed, cursor = evaluate_sources(
            Path(sources_dir), context.cursor, configs, feedback_dir=feedback, recorded=recorded
        )
        for name in removed:
            context.log.warning(
                f"source file removed: {name} (its figures stay until the next refresh)"
            )
        # the checks of a source asset read the reference assets (the checklist): on a new
        # instance they have never been materialised, so the first requests bring them along
        # (and the feedback source, which recommendations read even before any workshop)
        missing = [
            k
            for k in (*REFERENCE_KEYS, dg.AssetKey(FEEDBACK_ASSET))
            if not _materialised(context.instance, k)
        ]
        requests = []
        for code, files in sorted(changed.items()):
            names = ", ".join(n for n, _ in files)
            context.log.info(f"{code}: new or changed {names}")
            requests.append(
                dg.RunRequest(
                    # the same content never runs twice
                    run_key=f"{code}:" + ",".join(f"{n}@{sha[:16]}" for n, sha in sorted(files)),
                    asset_selection=sorted(
                        {asset_for_file(n, configs) for n, _ in files} | set(missing), key=str
                    ),
                    tags={"jurisdiction": code, "trigger": "new_source_files"},
                )
            )
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return new_source_files


# ---------------------------------------------------------------------------------------------
# Run-failure summary
# ---------------------------------------------------------------------------------------------


def failure_summary(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """A short markdown summary of a failed run: failed checks (jurisdiction, file, check), failed steps."""
    lines = [f"# Run {run.run_id} failed", ""]
    if run.tags.get("jurisdiction"):
        lines.append(f"Jurisdiction: {run.tags['jurisdiction']}")
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        messages = evaluation.metadata.get("messages")
        detail = messages.value.splitlines() if messages is not None else []
        lines.append(
            f"- check `{evaluation.check_name}` on `{evaluation.asset_key.to_user_string()}`"
        )
        lines += [f"  - {m}" for m in detail[:10]]
        if len(detail) > 10:
            lines.append(f"  - ... and {len(detail) - 10} more")
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        cause = step_failure_cause(record.dagster_event.event_specific_data)
        lines.append(f"- step `{record.dagster_event.step_key}`: {cause}")
    return "\n".join(lines) + "\n"


# Dagster wraps the exception of a step in its own ("Error occurred while executing op ..."); the
# operator needs the exception underneath (its message names the path, the table, the lock).
_WRAPPERS = re.compile(r"^(dagster\._core\.errors\.)?Dagster\w*Error$")


def _chain(error) -> list:
    """A SerializableErrorInfo and the causes under it, outermost first."""
    chain = []
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.cause or error.context
    return chain


_PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep


def _where(error) -> str:
    """`file:line in function` of the innermost frame of an error's stack in this package (else
    the innermost frame): the line of the pipeline that the failure went through last."""
    frames = [
        found
        for frame in error.stack or []
        if (found := re.search(r'File "([^"]+)", line (\d+), in (\S+)', frame))
    ]
    ours = [f for f in frames if f[1].startswith(_PACKAGE_DIR)]
    if not (ours or frames):
        return ""
    found = (ours or frames)[-1]
    return f"{found[1]}:{found[2]} in {found[3]}"


def _text(error) -> str:
    message = " ".join(line.strip() for line in error.message.strip().splitlines() if line.strip())
    # "dagster._core.definitions.events.Failure: x" -> "Failure: x"
    head, sep, rest = message.partition(": ")
    if sep and "." in head and " " not in head:
        message = f"{head.rsplit('.', 1)[-1]}: {rest}"
    return message[:500]


def root_cause(error) -> str:
    """The user's exception behind a Dagster error: its class and message, the exceptions it was
    raised from, and where the innermost one was raised."""
    if error is None:
        return "unknown error"
    chain = [e for e in _chain(error) if not _WRAPPERS.match(e.cls_name or "")] or [error]
    text = _text(chain[0]) + "".join(f" (caused by {_text(e)})" for e in chain[1:])
    where = _where(chain[-1])
    return f"{text} [at {where}]" if where else text


def step_failure_cause(data) -> str:
    """What a STEP_FAILURE event says went wrong, in one line: a `dg.Failure`'s description, else
    the root cause of the exception."""
    failure = getattr(data, "user_failure_data", None)
    if failure is not None and failure.description:
        return failure.description
    return root_cause(getattr(data, "error", None))


def build_failure_sensor(output_dir: str) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_summary",
        description="Writes a concise summary of every failed run (jurisdiction, file, check) to <output>/failures/.",
        default_status=dg.DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=False,
    )
    def run_failure_summary(context: dg.RunFailureSensorContext):
        text = failure_summary(context.instance, context.dagster_run)
        folder = Path(output_dir) / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{context.dagster_run.run_id}.md").write_text(text, encoding="utf-8")
        context.log.error(text)

    return run_failure_summary


# ---------------------------------------------------------------------------------------------
# Runs whose process is gone
#
# A run killed with SIGKILL (or by the OOM killer, or a reboot) never writes its end: the instance
# keeps it STARTED for ever. Dagster's run monitoring does not help here: the daemon's monitor asks
# the run launcher whether a run's worker is alive, which the DefaultRunLauncher cannot answer (it
# only times out runs stuck in STARTING), and runs executed in process by `wbtip run` have no
# launcher at all. Every run of this pipeline records its pid and host as tags instead (given by
# `wbtip run`, or added by the resources when the daemon launched it); a run of this host whose
# process is gone, or was replaced by another under the same pid, is reported failed: by the next
# `wbtip run`, and, while the daemon runs, by the `abandoned_runs` sensor within a minute.
# ---------------------------------------------------------------------------------------------

ALIVE_STATUSES = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def abandoned_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Runs STARTING or STARTED on this host whose recorded process no longer exists."""
    host = socket.gethostname()
    found = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ALIVE_STATUSES)):
        pid = run.tags.get(PID_TAG, "")
        if run.tags.get(HOST_TAG) != host or not pid.isdigit():
            continue  # another host's run, or one that never said which process runs it
        if process_gone(int(pid), run.tags.get(PID_START_TAG) or None):
            found.append(run)
    return found


def fail_abandoned_runs(instance: dg.DagsterInstance, by: str) -> list[str]:
    """Report every abandoned run failed, with a message in its event log; returns one line per
    run for the operator."""
    lines = []
    for run in abandoned_runs(instance):
        pid, host = run.tags[PID_TAG], run.tags[HOST_TAG]
        instance.report_run_failed(
            run,
            message=(
                f"Marked failed by {by}: the process of this run (pid {pid} on {host}) is gone; "
                "it was killed or crashed before the run finished. What it did not materialise "
                "is materialised by the next run."
            ),
        )
        what = f"wbtip run, {run.tags[STAGE_TAG]}" if STAGE_TAG in run.tags else run.job_name
        lines.append(
            f"run {run.run_id[:8]} ({what}) was left {run.status.value}: "
            f"its process (pid {pid} on {host}) is gone; marked failed"
        )
    return lines


ABANDONED_INTERVAL = 60


def build_abandoned_runs_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="abandoned_runs",
        description="Marks failed the runs left STARTED by a process that was killed or crashed (no run stays STARTED for ever).",
        minimum_interval_seconds=ABANDONED_INTERVAL,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def abandoned_runs_sensor(context: dg.SensorEvaluationContext):
        lines = fail_abandoned_runs(context.instance, by="the abandoned_runs sensor")
        for line in lines:
            context.log.warning(line)
        return dg.SkipReason("; ".join(lines) or "every started run has its process")

    return abandoned_runs_sensor
