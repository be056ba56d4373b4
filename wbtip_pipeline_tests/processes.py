"""Processes of `wbtip run` for the tests that need one (killed runs, concurrent runs, exit status,
a region set at a process's start), forked from a warm interpreter instead of started cold.

A `wbtip run` of two members spends about a third of its time importing Dagster, pandas,
SQLAlchemy, pandera, statsmodels (SciPy), matplotlib and the rest, and the suite starts about
twenty-five of them. `start` forks each from a `multiprocessing` fork server that imported those
libraries once (`PRELOAD`): the child is a process of its own, with its own pid, environment,
working directory, stdout and stderr, killed by a signal as any other, and it imports this
project's modules itself, after its environment is set (`WBTIP_CONFIG_DIR`: the region's configs
are in use from the start). Nothing of the project is imported by the server, so nothing of one run is
seen by the next.

What this does not cover, the Quick start's own `wbtip` command does: `conftest.bundled_run` and
the packaging tests start real executables.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

# third-party modules a run imports (not this project's: see the module docstring)
PRELOAD = [
    "dagster",
    "dagster._core.storage.event_log",  # Alembic, with the instance's storages
    "dagster._core.storage.runs",
    "dagster._core.storage.schedules",
    "upath",
    "pandas",
    "sqlalchemy",
    "pandera.pandas",
    "pandera.backends.pandas.builtin_checks",
    "pandera.strategies.pandas_strategies",
    "yaml",
    "openpyxl",
    "jinja2",
    "babel.numbers",
    "matplotlib.figure",
    "statsmodels.genmod.generalized_linear_model",
    "statsmodels.genmod.families",
    "highspy",  # the disclosure audit's LPs
    "typst",
    "pypdf",
    "pycountry",
]

_context = None


def _server():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, out: str, err: str, code: str | None
):
    """In the forked process: the environment, working directory and output files of the run,
    then `wbtip <argv>` (or the script `code`, as `python -c code *argv`)."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    if code is None:
        from wbtip_pipeline.cli import main

        sys.argv = ["wbtip", *argv]
        sys.exit(main(list(argv)))
    sys.argv = ["-c", *argv]
    exec(compile(code, "<test script>", "exec"), {"__name__": "__main__"})


class Started:
    """What the tests use of a `subprocess.Popen` (text mode, stdout and stderr captured)."""

    def __init__(self, args: list[str], process, out: Path, err: Path):
        self.args = args
        self.pid = process.pid
        self._process = process
        self._out, self._err = out, err
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._process.is_alive():
            self._process.join()
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in (self._out, self._err)]
        shutil.rmtree(self._out.parent, ignore_errors=True)
        return texts[0], texts[1]

    def completed(self, timeout: float | None = None) -> subprocess.CompletedProcess:
        """The finished process as `subprocess.run` gives it."""
        out, err = self.communicate(timeout)
        return subprocess.CompletedProcess(self.args, self.returncode, out, err)

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def start(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | Path,
    code: str | None = None,
) -> Started:
    """`wbtip <argv>` (or `python -c code <argv>`) in a process forked from the warm server."""
    folder = Path(tempfile.mkdtemp(prefix="wbtip-process-"))
    out, err = folder / "stdout", folder / "stderr"
    out.touch(), err.touch()  # read even if the process is killed before it opens them
    process = _server().Process(
        target=_child, args=(list(argv), dict(env), str(cwd), str(out), str(err), code)
    )
    process.start()
    args = ["wbtip", *argv] if code is None else [sys.executable, "-c", "<script>", *argv]
    return Started(args, process, out, err)
