"""The Dagster UI in a real browser, and a run launched through its GraphQL API.

A module fixture starts `dagster-webserver` on a free port of 127.0.0.1 (its own process group,
killed at teardown) against a temporary DAGSTER_HOME and output folder, once with the SQLite
instance `wbtip run` creates (`cli.local_instance_config`, what `make dev` serves) and once with
the PostgreSQL storage of deploy/dagster.yaml (skipped when no server answers). There is no daemon, so the project's sensors and schedules start no runs of their own;
the instance uses the DefaultRunCoordinator, which launches a run as soon as it is submitted.

Headless Chromium (Debian's `chromium`; .ci/run installs it) renders the global asset lineage:
`--dump-dom` after a virtual-time budget gives the DOM the React app built, `--screenshot` a PNG.
With WBTIP_SAVE_DOCS_SCREENSHOT=1 the screenshot is also copied to docs/ui_asset_graph.png.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from wbtip_pipeline.assets import ANALYTICS, HARMONISED, REPORTING, SOURCES
from wbtip_pipeline.cli import local_instance_config
from wbtip_pipeline.definitions import build_definitions
from wbtip_pipeline_tests.browser import HEADLESS
from wbtip_pipeline_tests.conftest import BUNDLED_SOURCES, REFERENCE, ROOT, settings_for
from wbtip_pipeline_tests.test_deploy import DEPLOY, pg_env, pg_url, postgres_database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SAVE_DOCS_SCREENSHOT = os.environ.get("WBTIP_SAVE_DOCS_SCREENSHOT") == "1"
DOCS_SCREENSHOT = ROOT / "docs" / "ui_asset_graph.png"
BIN = Path(sys.executable).parent
LAYERS = {SOURCES, HARMONISED, ANALYTICS, REPORTING}
SCREENSHOT_WINDOW = (1600, 1000)
STARTUP_TIMEOUT = 120
RUN_TIMEOUT = 120

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (`apt-get install -y chromium`; .ci/run does it)",
)


# ---------------------------------------------------------------------------------------------
# Processes: each in its own process group, the whole group killed afterwards
# ---------------------------------------------------------------------------------------------


def _live_members(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies do not count)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def _wait_until_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the whole group, SIGKILL to whatever is left after `grace` seconds."""
    pgid = proc.pid  # start_new_session=True: the child leads its own group
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    if not _wait_until_gone(pgid, timeout=5):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    assert _wait_until_gone(pgid, timeout=10), f"processes left behind: {_live_members(pgid)}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The webserver
# ---------------------------------------------------------------------------------------------


@dataclass
class Webserver:
    url: str
    port: int
    home: Path
    output: Path
    storage: str
    log: Path
    database: str | None = None
    location: str = ""
    repository: str = ""

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert not payload.get("errors"), payload["errors"]
        return payload["data"]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { repositories { name } }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


def _instance_yaml(storage: str, home: Path) -> str:
    if storage == "sqlite":
        # the local instance `wbtip run` creates, which `make dev` serves: its event log kept in
        # SQLite files by `instance.LocalEventLogStorage`, with connections kept open, read here
        # by the webserver while a run worker of another process writes them
        config: dict = yaml.safe_load(local_instance_config(home))
    else:
        config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    # no daemon in this test: runs start as soon as they are submitted
    config["run_coordinator"] = {
        "module": "dagster.core.run_coordinator",
        "class": "DefaultRunCoordinator",
    }
    return yaml.safe_dump(config, sort_keys=False)


def _wait_for_location(server: Webserver, proc: subprocess.Popen) -> tuple[str, str]:
    """Poll /server_info, then the workspace, until the code location has loaded."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {proc.returncode}:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no code location after {STARTUP_TIMEOUT}s:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                json.load(response)
            entries = server.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
            continue
        (entry,) = entries
        location = entry["locationOrLoadError"]
        if location and location["__typename"] == "PythonError":
            pytest.fail(f"code location failed to load: {location['message']}")
        if entry["loadStatus"] == "LOADED" and location:
            (repository,) = location["repositories"]
            return entry["name"], repository["name"]
        time.sleep(0.25)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def webserver(request, tmp_path_factory) -> Iterator[Webserver]:
    storage = request.param
    base = tmp_path_factory.mktemp(f"ui_{storage}")
    home, output = base / "dagster_home", base / "output"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "WBTIP_"))}
    env.update(
        DAGSTER_HOME=str(home),
        WBTIP_SOURCES_DIR=str(BUNDLED_SOURCES),
        WBTIP_REFERENCE_DIR=str(REFERENCE),
        WBTIP_OUTPUT_DIR=str(output),
        PYTHONUNBUFFERED="1",
    )
    with _database_for(storage) as database:
        if database:
            env.update(pg_env(database))
        (home / "dagster.yaml").write_text(_instance_yaml(storage, home), encoding="utf-8")
        port = free_port()
        server = Webserver(
            f"http://127.0.0.1:{port}",
            port,
            home,
            output,
            storage,
            base / "webserver.log",
            database,
        )
        command = [
            str(BIN / "dagster-webserver"),
            *("-w", str(ROOT / "workspace.yaml")),
            *("-h", "127.0.0.1", "-p", str(port)),
        ]
        with server.log.open("wb") as log:
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            server.location, server.repository = _wait_for_location(server, proc)
            yield server
        finally:
            stop_group(proc)


class _NoDatabase:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _database_for(storage: str):
    return postgres_database() if storage == "postgres" else _NoDatabase()


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    description
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name description } }
    }
  }
}
"""


def _served_assets(server: Webserver) -> list[dict]:
    return server.graphql(ASSETS_QUERY)["assetNodes"]


def test_location_serves_every_asset_in_layer_groups_with_descriptions(webserver):
    nodes = _served_assets(webserver)
    served = {"/".join(n["assetKey"]["path"]) for n in nodes}
    defined = build_definitions(
        settings_for(BUNDLED_SOURCES, webserver.output)
    ).resolve_asset_graph()
    assert served == {k.to_user_string() for k in defined.get_all_asset_keys()}
    assert webserver.location == "wbtip_pipeline"  # workspace.yaml names it
    for node in nodes:
        name = "/".join(node["assetKey"]["path"])
        assert node["groupName"] in LAYERS, f"{name} is in group {node['groupName']!r}"
        description = (node["description"] or "").strip()
        assert description and "\n" not in description, f"{name}: {description!r}"
        assert node["assetChecksOrError"]["__typename"] == "AssetChecks"
        for check in node["assetChecksOrError"]["checks"]:
            text = (check["description"] or "").strip()
            assert text and "\n" not in text, f"check {check['name']} on {name}: {text!r}"


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def test_webserver_is_not_reachable_from_the_network(webserver):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        socket.create_connection((address, webserver.port), timeout=3).close()
    # while the same port answers on loopback
    socket.create_connection(("127.0.0.1", webserver.port), timeout=3).close()


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""

RUN_STATUS = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      status
      stats { ... on RunStatsSnapshot { stepsSucceeded stepsFailed materializations } }
    }
  }
}
"""

ASSET_STATE = """
query Asset($key: AssetKeyInput!) {
  assetNodes(assetKeys: [$key]) {
    assetMaterializations(limit: 1) { runId }
    assetChecksOrError {
      ... on AssetChecks {
        checks { name executionForLatestMaterialization { runId status } }
      }
    }
  }
}
"""


def test_materialise_raw_alb_through_graphql(webserver):
    key = {"path": ["raw_alb"]}
    (node,) = [n for n in _served_assets(webserver) if n["assetKey"] == key]
    check_names = [c["name"] for c in node["assetChecksOrError"]["checks"]]
    assert check_names, "raw_alb has no asset check"
    params = {
        "selector": {
            "repositoryLocationName": webserver.location,
            "repositoryName": webserver.repository,
            "jobName": "__ASSET_JOB",
            "assetSelection": [key],
            "assetCheckSelection": [{"assetKey": key, "name": n} for n in check_names],
        },
        "executionMetadata": {"tags": [{"key": "trigger", "value": "test_ui"}]},
    }
    launched = webserver.graphql(LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run = webserver.graphql(RUN_STATUS, {"runId": run_id})["runOrError"]
        if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
            break
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.5)
    assert run["status"] == "SUCCESS", (run, webserver.log_tail())
    assert run["stats"]["stepsFailed"] == 0
    assert run["stats"]["materializations"] == 1

    (state,) = webserver.graphql(ASSET_STATE, {"key": key})["assetNodes"]
    assert state["assetMaterializations"] == [{"runId": run_id}]
    for check in state["assetChecksOrError"]["checks"]:
        assert check["executionForLatestMaterialization"] == {
            "runId": run_id,
            "status": "SUCCEEDED",
        }, check["name"]
    # the run worker got the fixture's settings: its intermediate frame is in this output folder
    assert (webserver.output / ".storage" / "raw_alb").is_file()

    if webserver.database:
        engine = sa.create_engine(pg_url(webserver.database))
        try:
            with engine.connect() as conn:
                status = conn.execute(
                    sa.text("SELECT status FROM runs WHERE run_id = :id"), {"id": run_id}
                ).scalar_one()
        finally:
            engine.dispose()
        assert status == "SUCCESS"
        assert not list(webserver.home.glob("**/*.db")), "SQLite files in a PostgreSQL instance"


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------


def chromium(url: str, *args: str, window: tuple[int, int], timeout: float = 60) -> str:
    """Run headless Chromium on `url` with a new empty profile; its stdout.

    `--virtual-time-budget` lets the page fetch and render as if 15 s had passed, and returns as
    soon as the budget is spent (it does not wait out the real time).
    """
    with tempfile.TemporaryDirectory(prefix="wbtip-chromium-") as profile:
        command = [
            CHROMIUM,
            *HEADLESS,
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            "--virtual-time-budget=15000",
            *args,
            url,
        ]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc, grace=2)
            pytest.fail(f"chromium did not finish within {timeout}s on {url}")
        stop_group(proc, grace=2)  # helpers (crashpad) must not outlive the call
        if proc.returncode != 0:
            pytest.fail(
                f"chromium exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
            )
        return out.decode("utf-8", errors="replace")


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


GRAPH_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    dependencyKeys { path }
  }
}
"""


def _depth(deps: dict[str, list[str]]) -> int:
    """The number of columns of the asset graph: the longest chain of dependencies."""
    memo: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in memo:
            memo[name] = 1 + max((depth(d) for d in deps[name] if d in deps), default=0)
        return memo[name]

    return max(map(depth, deps))


# the graph is the code location's, drawn alike whatever the instance's storage: drawn once, by
# the SQLite instance's webserver (the most expensive test of the module: windows 24,000 px tall)
@needs_chromium
@pytest.mark.parametrize("webserver", ["sqlite"], indirect=True)
def test_asset_graph_in_headless_chromium(webserver):
    # dismiss the "join the community" dialog the UI shows on localhost, as a user would
    assert webserver.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True
    nodes = webserver.graphql(GRAPH_QUERY)["assetNodes"]
    deps = {
        "/".join(n["assetKey"]["path"]): ["/".join(d["path"]) for d in n["dependencyKeys"]]
        for n in nodes
    }
    names = sorted(deps)
    groups = sorted({n["groupName"] for n in nodes})
    # the global lineage, every group opened (it shows groups collapsed by default)
    expanded = ",".join(f"global@global:{g}" for g in groups)
    url = f"{webserver.url}/asset-groups?" + urllib.parse.urlencode({"expanded": expanded})

    # The graph fits its width to the window, draws only the nodes inside the window, and below
    # 60% zoom draws small boxes with shortened names. A window wide enough for full-size nodes
    # and tall enough for every node shows every name (520 px a name: 330 px, tried first until
    # now, always fell short and cost a try); the `publication` asset, fed by every table and
    # document, widens the layout: a wider window is tried if some names are missing.
    columns = _depth(deps)
    missing, dom = names, ""
    for width, height in (
        (750 * columns, 520 * len(names)),
        (1100 * columns, 520 * len(names)),
    ):
        window = (max(1600, width), min(max(height, 1000), 24000))
        # the DOM is what is read, not pixels: a quarter of the device pixels per CSS pixel
        # keeps the layout (and which nodes are drawn) and halves the time (11.2 -> 5.6 s)
        dom = chromium(url, "--dump-dom", "--force-device-scale-factor=0.25", window=window)
        # a full-size asset node carries its name as a tooltip attribute
        missing = [name for name in names if f'data-tooltip="{name}"' not in dom]
        if not missing:
            break
    dom_file = webserver.home.parent / f"ui_asset_graph_{webserver.storage}.html"
    dom_file.write_text(dom, encoding="utf-8")
    assert not missing, f"asset names not shown in the asset graph ({dom_file}): {missing}"
    assert "Global asset lineage" in dom
    assert all(f'data-tooltip="{group}"' in dom for group in groups)

    # what a user sees first on an ordinary screen: the layers, and how they feed each other
    shot = webserver.home.parent / f"ui_asset_graph_{webserver.storage}.png"
    chromium(f"{webserver.url}/asset-groups", f"--screenshot={shot}", window=SCREENSHOT_WINDOW)
    assert _png_size(shot) == SCREENSHOT_WINDOW
    assert shot.stat().st_size > 20_000, "the screenshot looks blank"
    if SAVE_DOCS_SCREENSHOT and webserver.storage == "sqlite":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)
