"""The processes the fault tests start (`processes.start`) behave as processes of their own: their
environment, working directory, output, exit status and death by a signal are theirs, and they
import this project's modules themselves, after their environment is set."""

from __future__ import annotations

import json
import os
import signal

from wbtip_pipeline_tests import processes

REPORT = """
import json, os, sys
preloaded = sorted(m for m in sys.modules if m.split(".")[0] in ("wbtip_pipeline", "benchmarks"))
print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "pid": os.getpid(),
                  "env": os.environ.get("WBTIP_PROCESS_TEST"), "preloaded": preloaded}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


def test_a_started_script_has_its_own_environment_folder_output_and_exit_status(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WBTIP_")}
    process = processes.start(
        ["3", "more"], code=REPORT, env={**env, "WBTIP_PROCESS_TEST": "yes"}, cwd=tmp_path
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, out + err
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["argv"] == ["-c", "3", "more"]
    assert seen["cwd"] == str(tmp_path) and seen["env"] == "yes"
    assert seen["pid"] == process.pid != os.getpid()
    assert seen["preloaded"] == []  # the region's configs are read by the process itself
    assert err.strip() == "to stderr"
    assert "WBTIP_PROCESS_TEST" not in os.environ  # the test's own environment is untouched


def test_a_killed_process_reports_the_signal_and_wbtip_reports_its_exit_status(tmp_path):
    sleeper = processes.start([], code="import time\ntime.sleep(600)", env=os.environ, cwd=tmp_path)
    assert sleeper.poll() is None
    sleeper.send_signal(signal.SIGKILL)
    sleeper.communicate(timeout=60)
    assert sleeper.returncode == -signal.SIGKILL
    # `wbtip` itself: an input folder that does not exist is refused before anything is written
    missing = tmp_path / "nowhere"
    wbtip = processes.start(
        ["run", "--sources", str(missing), "--output", str(tmp_path / "out")],
        env={**os.environ, "DAGSTER_HOME": str(tmp_path / "home")},
        cwd=tmp_path,
    )
    out, err = wbtip.communicate(timeout=120)
    assert wbtip.returncode == 2, out + err
    assert f"the source folder {missing} does not exist" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "home").exists()
