"""Shared fixtures: the bundled data, a writable copy of it, and a way to run the pipeline."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from wbtip_pipeline.assets import SOURCES
from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.presentation import cache
from wbtip_pipeline.region import BUNDLED_CONFIG_DIR
from wbtip_pipeline.settings import ENV_CHART_CACHE, ENV_CONFIGS, Settings, default_warehouse_url
from wbtip_pipeline.sources.config import load_configs
from wbtip_pipeline.sources.readers import read_jurisdiction

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SOURCES = ROOT / "data" / "sources"
REFERENCE = ROOT / "data" / "reference"
JURISDICTIONS = ["ALB", "BIH", "MKD", "MNE", "SRB", "XKX"]


@pytest.fixture(scope="session", autouse=True)
def shared_chart_cache(tmp_path_factory) -> Iterator[Path]:
    """One document cache (`presentation/cache.py`: drawn charts, the disclosure audit's
    verdicts, laid-out PDFs) for the whole session, on every worker: for every pipeline run
    (`WBTIP_CHART_CACHE`, `settings.chart_cache`; the processes of the fault tests keep it,
    `user_env`), and for the documents the tests build themselves (the session runs inside
    `cache.kept_in` of the same folder). Each entry is a pure function of what it is computed
    from and of its code, so the many builds on the same tables compute it once. The cache itself
    is tested in `presentation/test_charts_cache.py`, `test_disclosure_audit.py` and
    `test_render_pdf.py`, inside folders of their own or, for what happens without a cache,
    outside any (`cache.kept_in(None)`)."""
    folder = shared_folder(tmp_path_factory) / "charts"
    with pytest.MonkeyPatch.context() as mp, cache.kept_in(folder, prune=False):
        mp.setenv(ENV_CHART_CACHE, str(folder))
        yield folder


@pytest.fixture(scope="session")
def configs():
    return load_configs()


@pytest.fixture(scope="session")
def raw_frames(configs) -> dict[str, pd.DataFrame]:
    return {
        code: read_jurisdiction(BUNDLED_SOURCES / code, cfg)[0] for code, cfg in configs.items()
    }


@pytest.fixture
def sources(tmp_path) -> Path:
    """A writable copy of the bundled source folders."""
    target = tmp_path / "sources"
    shutil.copytree(BUNDLED_SOURCES, target)
    return target


def settings_for(
    sources: Path, output: Path, warehouse_url: str | None = None, schema=None
) -> Settings:
    return Settings(
        sources_dir=str(sources),
        output_dir=str(output),
        reference_dir=str(REFERENCE),
        warehouse_url=warehouse_url or default_warehouse_url(str(output)),
        warehouse_schema=schema,
        feedback_dir=str(output.parent / "feedback"),
    )


@dataclass
class PipelineRun:
    result: dg.ExecuteInProcessResult
    checks: dict[str, dg.AssetCheckEvaluation]

    def check(self, name: str) -> dg.AssetCheckEvaluation:
        return self.checks[name]

    def messages(self, name: str) -> str:
        return self.checks[name].metadata["messages"].value


# the documents: most of a run's time (Typst), and nothing a test of the tables reads
DOCUMENTS = {dg.AssetKey(name) for name in ("final_report", "workshop_pack", "data_dictionary")}
PUBLICATION = dg.AssetKey("publication")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}  # the runs' console logs


def run_layers(
    settings: Settings, instance: dg.DagsterInstance, *, sources_only=False, documents=True
) -> list[PipelineRun]:
    """Run the source layer, then (unless sources_only) the rest, as `wbtip run` does;
    `documents=False` leaves out the report, the workshop pack and the dictionary (the tables are
    published all the same, by a run of the publication alone)."""
    defs = build_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    source_keys = dg.AssetSelection.groups(SOURCES).resolve(graph)
    selections = [source_keys]
    if not sources_only:
        rest = set(graph.get_all_asset_keys()) - source_keys
        selections.append(rest if documents else rest - DOCUMENTS - {PUBLICATION})
    runs = []
    for keys in selections:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=sorted(keys),
            raise_on_error=False,
            run_config=QUIET,
        )
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        runs.append(PipelineRun(result, checks))
    if not sources_only and not documents:
        # the publication reads the documents: without them in the run it would not wait for
        # the tables, so it runs on its own once they are staged, as a run of it alone would
        assert publish(job, instance).success
    return runs


def publish(job, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """A run of the `publication` asset alone: what earlier runs staged becomes visible."""
    return job.execute_in_process(
        instance=instance,
        asset_selection=[PUBLICATION],
        raise_on_error=False,
        run_config=QUIET,
    )


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


# A region of two members (the bundled configs of Albania and Serbia and the bundled region):
# half the work of the six, for the tests of how the pipeline runs rather than of what the six
# jurisdictions' data make.
SMALL_REGION = ("ALB", "SRB")


@pytest.fixture(scope="session")
def small_region_configs(tmp_path_factory) -> Path:
    """A folder of the configs of `SMALL_REGION`, one per worker, so that each worker builds
    its definitions once (`definitions.region_assets`)."""
    folder = tmp_path_factory.mktemp("small_region")
    for name in (*SMALL_REGION, "region"):
        shutil.copy(BUNDLED_CONFIG_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


@pytest.fixture
def small_region(small_region_configs, monkeypatch) -> tuple[str, ...]:
    """This test works on the region of `SMALL_REGION`, in this process, as `WBTIP_CONFIG_DIR`
    sets it for a process of its own: its definitions (`build_definitions`, `run_layers`), its
    sensors and its documents' region all have two members."""
    monkeypatch.setenv(ENV_CONFIGS, str(small_region_configs))
    return SMALL_REGION


POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schema():
    """(url, schema): a fresh schema on the local PostgreSQL server, dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection error means: no server here
        engine.dispose()
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({type(exc).__name__})")
    schema = f"wbtip_test_{uuid.uuid4().hex[:10]}"
    try:
        yield POSTGRES_URL, schema
    finally:
        with engine.begin() as conn:  # and the schema its refreshes stage in
            for name in (schema, f"{schema}_staging"):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


def digest_files(folder: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """{path relative to `folder`: sha256} of every file under `folder`, but those in `skip`."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(p.is_relative_to(s) for s in skip)
    }


def user_env(base: Path, **extra: str) -> dict[str, str]:
    """The environment of a `wbtip run` as a user starts it, its Dagster home `base/home`: no
    settings of ours but the session's chart cache (`shared_chart_cache`: drawn once a session)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WBTIP_")}
    if ENV_CHART_CACHE in os.environ:
        env[ENV_CHART_CACHE] = os.environ[ENV_CHART_CACHE]
    return {**env, "DAGSTER_HOME": str(base / "home"), **extra}


class RecordedResult:
    """What a test reads of a run's `ExecuteInProcessResult`, read back from the instance that
    recorded the run (a run of another process)."""

    def __init__(self, instance: dg.DagsterInstance, run: dg.DagsterRun):
        self.run_id = run.run_id
        self.success = run.status == dg.DagsterRunStatus.SUCCESS
        self._events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event]

    def get_asset_materialization_events(self) -> list:
        return [
            e for e in self._events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        ]

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        kind = dg.DagsterEventType.ASSET_CHECK_EVALUATION
        return [e.event_specific_data for e in self._events if e.event_type == kind]


@dataclass
class BundledRun:
    """The Quick start's `wbtip run` on the bundled data, in a process of its own: its exit
    status and printout, its output folder and its two runs (sources, then the rest) as the
    instance recorded them."""

    output: Path
    home: Path  # its DAGSTER_HOME
    returncode: int
    stdout: str
    stderr: str
    sources_before: dict[str, str]  # `digest_files` of the bundled sources before the run

    @functools.cached_property
    def runs(self) -> list[PipelineRun]:
        from wbtip_pipeline.resources import STAGE_TAG

        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            recorded = sorted(instance.get_runs(), key=lambda r: r.tags[STAGE_TAG] != "sources")
            results = [RecordedResult(instance, r) for r in recorded]
        return [
            PipelineRun(r, {e.check_name: e for e in r.get_asset_check_evaluations()})
            for r in results
        ]

    def table(self, name: str) -> pd.DataFrame:
        from wbtip_pipeline.warehouse import Warehouse

        return Warehouse(f"sqlite:///{self.output / 'warehouse.sqlite'}").read(name)

    def copy_output(self, target: Path) -> Path:
        """A writable copy of the output folder (its links kept relative): where a test's refresh
        of the same data starts from, as if it had run this refresh itself."""
        shutil.copytree(self.output, target, symlinks=True)
        return target


def shared_folder(tmp_path_factory) -> Path:
    """The session's temporary folder that every xdist worker shares (a worker's own is in it)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory) -> BundledRun:
    """`wbtip run` on the bundled data as the README's Quick start runs it (a fresh process, no
    settings but the output folder and the Dagster home), once for the whole session: the first
    worker to need it runs it, under a lock, while the other goes on with its tests (a core
    each); the tests that only read a full run's outputs share it."""
    folder = shared_folder(tmp_path_factory) / "bundled"
    folder.mkdir(exist_ok=True)
    record = folder / "run.json"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            env = user_env(folder, WBTIP_OUTPUT_DIR=str(folder / "out"))
            before = digest_files(BUNDLED_SOURCES)
            done = subprocess.run(
                [str(Path(sys.executable).parent / "wbtip"), "run"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            fields = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
            record.write_text(json.dumps({**fields, "sources_before": before}), encoding="utf-8")
    kept = json.loads(record.read_text(encoding="utf-8"))
    return BundledRun(folder / "out", folder / "home", **kept)


# The modules with the most test time, longest first (seconds summed over both workers, measured
# with `--junitxml` on two cores: recovery 55, sources 42 (the bundled run), operator faults 40,
# reader properties 38, UI 31, incremental 27, pack 26, pipeline 25, reporting 24, seventh member
# 23, automation 21, render 16, deploy 16), collected first: `make test` hands whole modules to its
# workers in collection order (--dist loadscope with --no-loadscope-reorder; xdist's default
# reorders modules by their number of tests), and a long module handed out last leaves one worker
# finishing it alone while the other idles. `test_sources` comes second: the first module to need
# the shared `bundled_run` starts it, and the modules after it then find it done.
SLOW_FIRST = (
    "test_recovery",
    "test_sources",
    "test_operator_faults",
    "test_incremental",
    "test_reader_properties",
    "test_ui",
    "test_seventh_jurisdiction",
    "test_pipeline",
    "test_deploy",
    "test_pack",
    "test_automation_blocked",
    "test_reporting",
    "test_slides",
    "test_render",
    "test_feedback",
    "test_briefs",
    "test_analytics",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(rank)))
