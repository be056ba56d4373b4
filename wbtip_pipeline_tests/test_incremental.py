"""`wbtip run` is incremental: after one new file it materialises that jurisdiction's raw asset and
what depends on it, with nothing changed it does nothing, and its outputs are those of a full run
on the same files (tables, published exports and documents, timestamps and run ids aside)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from wbtip_pipeline.cli import RunReport
from wbtip_pipeline_tests import processes
from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES, REFERENCE
from wbtip_pipeline_tests.test_operator_faults import SMALL_REGION, SMALL_REGION_ASSETS, _small_env

RUN_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
# what materialises when Albania sends one new per-year file: its raw asset and what follows
AFTER_NEW_ALB_FILE = {
    "raw_alb", "harmonised_statistics", "data_quality_issues", "trends", "trend_summary",
    "victim_flows", "data_gaps", "data_gap_summary", "regional_opportunities",
    "recommendations", "recommendation_changes", "recommendation_status", "final_report",
    "workshop_pack", "source_triangulation", "publication",
}  # fmt: skip


# `wbtip run`'s own function (`cli.run_pipeline`), in a process of its own: the runs work on a
# region of two members (`test_operator_faults.SMALL_REGION`), which a process sets at its start
RUN = """
import dataclasses, json, sys
from wbtip_pipeline.cli import run_pipeline
report = run_pipeline(None, None, quiet=True, full="--full" in sys.argv)
print(json.dumps(dataclasses.asdict(report)))
"""
# what `wbtip run` would materialise (`cli.to_refresh`): for the folder it refreshed, and for
# another output folder (argv[1]) of the same instance
PLAN = """
import json, os, sys
import dagster as dg
from wbtip_pipeline.cli import to_refresh
from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline.settings import Settings
refreshed = Settings.from_env()
os.environ["WBTIP_OUTPUT_DIR"] = sys.argv[1]
elsewhere = Settings.from_env()
graph = build_definitions(elsewhere).resolve_asset_graph()
def names(keys):
    return sorted(k.to_user_string() for k in keys)
with dg.DagsterInstance.get() as instance:
    print(json.dumps({
        "every": names(graph.get_all_asset_keys()),
        "elsewhere": names(to_refresh(instance, graph, elsewhere)),
        "refreshed": names(to_refresh(instance, graph, refreshed)),
        "full": names(to_refresh(instance, graph, refreshed, full=True)),
    }))
"""


def _env(base: Path) -> dict[str, str]:
    return _small_env(
        base,
        WBTIP_SOURCES_DIR=str(base / "sources"),
        WBTIP_OUTPUT_DIR=str(base / "output"),
        WBTIP_REFERENCE_DIR=str(REFERENCE),
        WBTIP_FEEDBACK_DIR=str(base / "feedback"),
    )


def _start(base: Path, code: str, *args: str) -> processes.Started:
    return processes.start(args, code=code, env=_env(base), cwd=base)


def _result(process: processes.Started) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out[-3000:] + err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _python(base: Path, code: str, *args: str) -> dict:
    return _result(_start(base, code, *args))


def _run(base: Path, full: bool = False) -> RunReport:
    return RunReport(**_python(base, RUN, *(["--full"] if full else [])))


def _add_alb_2022(base: Path) -> None:
    folder = base / "sources" / "ALB"
    data = (folder / "alb_trafikimi_2021.csv").read_bytes().replace(b";2021;", b";2022;")
    (folder / "alb_trafikimi_2022.csv").write_bytes(data)


def _normalised(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return TIMESTAMP.sub("<time>", RUN_ID.sub("<run>", text))


def _outputs(output: Path) -> dict[str, str]:
    """Every table, export and HTML document of an output folder, by relative path."""
    files = [
        *(output / "tables").glob("*.csv"),
        *(output / "report" / "published").glob("*.csv"),
        output / "report" / "wbtip_report.html",
        output / "workshop" / "workshop_slides.html",
    ]
    return {str(p.relative_to(output)): _normalised(p) for p in files}


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """Two copies of one fully refreshed state; Albania's new file added to both."""
    a = tmp_path_factory.mktemp("incremental")
    for code in SMALL_REGION:
        shutil.copytree(BUNDLED_SOURCES / code, a / "sources" / code)
    (a / "feedback").mkdir()
    first = _run(a)
    assert first.ok, first.failures
    b = tmp_path_factory.mktemp("full")
    for name in ("sources", "output", "home", "feedback"):
        shutil.copytree(a / name, b / name, symlinks=True)  # the output's `current` link
    for base in (a, b):
        _add_alb_2022(base)
    full_run = _start(b, RUN, "--full")  # alongside: the two copies share nothing but files read
    incremental = _run(a)
    again = _run(a)
    full = RunReport(**_result(full_run))
    return {
        "a": a,
        "b": b,
        "first": first,
        "incremental": incremental,
        "full": full,
        "again": again,
    }


def test_one_new_file_refreshes_that_jurisdiction_and_what_depends_on_it(states):
    run = states["incremental"]
    assert run.ok, run.failures
    assert set(run.materialised) == AFTER_NEW_ALB_FILE
    assert "raw_srb" in run.up_to_date and "population" in run.up_to_date


def test_the_incremental_refresh_is_one_publication_of_what_changed(states):
    import json

    from wbtip_pipeline.warehouse import Warehouse

    output = states["a"] / "output"
    store = Warehouse(f"sqlite:///{output / 'warehouse.sqlite'}", output_dir=output)
    log = store.publications()
    store.dispose()
    assert log["publication_id"].tolist() == [1, 2]
    changed = set(json.loads(log["changed"].iloc[-1]))
    tables = AFTER_NEW_ALB_FILE - {"raw_alb", "final_report", "workshop_pack", "publication"}
    assert changed == tables | {"report", "workshop"}
    first, second = output / "publications" / "000001", output / "publications" / "000002"
    # a table the refresh did not touch is carried over as the same file
    assert os.path.samefile(
        first / "tables" / "mechanism_scores.csv", second / "tables" / "mechanism_scores.csv"
    )
    assert not os.path.samefile(first / "tables" / "trends.csv", second / "tables" / "trends.csv")


def test_nothing_changed_does_nothing(states):
    run = states["again"]
    assert run.ok and run.materialised == [] and run.run_ids == []
    assert len(run.up_to_date) == len(states["first"].materialised)


def test_incremental_outputs_equal_a_full_run_on_the_same_files(states):
    assert states["full"].ok and len(states["full"].materialised) == len(
        states["first"].materialised
    )
    inc, full = _outputs(states["a"] / "output"), _outputs(states["b"] / "output")
    assert sorted(inc) == sorted(full) and len(inc) > 20
    assert "2022" in inc["tables/harmonised_statistics.csv"]
    different = [name for name in inc if inc[name] != full[name]]
    assert different == []


def test_a_new_output_folder_is_never_up_to_date(states, tmp_path):
    """The same instance, another output folder: everything is to be materialised there (what
    `wbtip run` materialises is `to_refresh`, whose other answers the runs above show), while
    the folder it refreshed is up to date."""
    plan = _python(states["a"], PLAN, str(tmp_path / "elsewhere"))
    assert len(plan["every"]) == len(states["first"].materialised) == SMALL_REGION_ASSETS
    assert plan["elsewhere"] == plan["every"] == plan["full"]
    assert plan["refreshed"] == []
