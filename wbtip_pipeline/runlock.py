"""One writer per output folder: the lock `<output>/.wbtip.lock`.

Whatever writes an output folder holds its lock for as long as it writes: `wbtip run` from start
to summary (both its runs), and every run launched by the daemon or the UI while its resources
are open (`resources.py`). A second writer waits for the lock (or, `wbtip run --no-wait`,
refuses at once), so two writers never publish into the same warehouse and folder at once.

The lock is `fcntl.flock` on the file: the kernel releases it when its process ends, however
it ends, so a killed holder (SIGKILL, OOM, power cut of a container) never leaves a stale lock
behind. The file also records who holds it (pid, process start time, host, run id, since when)
for the messages; a clean release empties it, so content found by the next holder means the last
one died holding it ("stale"), and `Holder.gone()` says whether a recorded process still exists.

Within one process the lock is re-entrant: `wbtip run` holds it and the runs it executes in
process take it again through their resources without waiting for themselves.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

LOCK_NAME = ".wbtip.lock"
# exit status of `wbtip run --no-wait` when another writer holds the output (EX_TEMPFAIL: try later)
EXIT_BUSY = 75


def process_start(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (Linux), to tell a pid reused
    by another process from the one recorded; None where /proc does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count from its closing one
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_gone(pid: int, start: str | None = None) -> bool:
    """True when no process `pid` runs on this host, or another one that reused its number."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    if start:
        now = process_start(pid)
        return now is not None and now != start
    return False


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) an output folder's lock."""

    pid: int
    host: str
    since: str  # ISO time, UTC
    command: str  # "wbtip run" or "Dagster run"
    run_id: str | None = None
    pid_start: str | None = None

    @classmethod
    def me(cls, command: str, run_id: str | None = None) -> Holder:
        pid = os.getpid()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return cls(pid, socket.gethostname(), now, command, run_id, process_start(pid))

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None

    def gone(self) -> bool | None:
        """Whether the recorded process is gone; None when it ran on another host."""
        if self.host != socket.gethostname():
            return None
        return process_gone(self.pid, self.pid_start)

    def describe(self) -> str:
        run = f", run {self.run_id[:8]}" if self.run_id else ""
        return f"{self.command} (pid {self.pid} on {self.host}{run}, since {self.since})"


class OutputBusy(RuntimeError):
    """Another process holds the output folder's lock (and the caller would not wait)."""

    def __init__(self, output: Path, holder: Holder | None):
        self.output, self.holder = output, holder
        super().__init__(f"{output} is in use by {describe_holder(holder)}")


def describe_holder(holder: Holder | None) -> str:
    if holder is None:
        return "another process (it has not recorded itself yet)"
    if holder.gone():
        # the kernel keeps the lock while any process holds the file open: a child of the
        # recorded process that inherited it
        return f"a process started by {holder.describe()}, which is itself gone"
    return holder.describe()


@dataclass
class OutputLock:
    """A held lock; `stale` is the holder before us if it died holding the lock."""

    output: Path
    fd: int
    holder: Holder
    stale: Holder | None = None

    def record(self, run_id: str | None) -> None:
        """Write the run the holder executes now into the lock file."""
        self.holder = Holder(**{**asdict(self.holder), "run_id": run_id})
        _write(self.fd, json.dumps(asdict(self.holder)))


_HELD: dict[str, OutputLock] = {}  # lock file -> the lock this process holds
_GUARD = threading.Lock()


def lock_path(output: str | Path) -> Path:
    return Path(output).resolve() / LOCK_NAME


def read_holder(output: str | Path) -> Holder | None:
    try:
        return Holder.parse(lock_path(output).read_text(encoding="utf-8"))
    except OSError:
        return None


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode("utf-8"), 0)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def hold_output(
    output: str | Path,
    *,
    command: str,
    run_id: str | None = None,
    wait: bool = True,
    on_wait: Callable[[Holder | None], None] | None = None,
    poll_seconds: float = 0.5,
    remind_seconds: float = 60.0,
) -> Iterator[OutputLock]:
    """Hold the lock of `output` (created if need be) for the `with` block.

    Another process holding it: wait until it is released (calling `on_wait(holder)` at once and
    every `remind_seconds` while waiting), or with `wait=False` raise `OutputBusy` naming the
    holder. This process holding it already: enter again at once.
    """
    path = lock_path(output)
    key = str(path)
    with _GUARD:
        held = _HELD.get(key)
    if held is not None:
        previous = held.holder.run_id
        if run_id:
            held.record(run_id)
        try:
            yield held
        finally:
            if run_id:
                held.record(previous)
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = read_holder(output)
            if not wait:
                raise OutputBusy(path.parent, holder)
            reminded = None
            while not _try_lock(fd):
                now = time.monotonic()
                if reminded is None or now - reminded >= remind_seconds:
                    if on_wait is not None:
                        on_wait(read_holder(output))
                    reminded = now
                time.sleep(poll_seconds)
        # a clean release empties the file: content left means its holder died holding it
        left = os.pread(fd, 4096, 0).decode("utf-8", errors="replace")
        stale = Holder.parse(left) if left.strip() else None
        lock = OutputLock(path.parent, fd, Holder.me(command, run_id), stale)
        _write(fd, json.dumps(asdict(lock.holder)))
        with _GUARD:
            _HELD[key] = lock
        try:
            yield lock
        finally:
            with _GUARD:
                del _HELD[key]
            # never unlink: another process may be waiting on this very file
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock
