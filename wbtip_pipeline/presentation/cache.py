"""What the documents compute from the tables, kept between refreshes by what it was computed
from: drawn charts (`charts.py`), the disclosure audit's verdicts (`audit.py`) and the PDFs
Typst lays out (`render_pdf.py`).

Each is a pure function of its inputs and of the code that computes it, so an entry is found by
a digest of the two, and a refresh that changes one jurisdiction recomputes only what its data
reaches. Drawing, the audit's linear programmes and layout are most of a document's build time.

A document's build runs inside `kept_in(folder)`: entries are read from and written to `folder`
(`<output>/.cache/...`, or one folder several outputs share: `settings.chart_cache`), one pickle
file each, written whole or not at all; with `prune`, the entries the build did not use are
deleted at its end, so the folder never holds more than one document's worth. Outside any block
nothing is kept on disk.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

_folder: Path | None = None
_used: set[Path] = set()


@contextmanager
def kept_in(folder: Path | None, prune: bool = True):
    """Entries computed inside the block are looked up in, and saved to, `folder`; with
    `prune`, the entries the block did not use are deleted at its end."""
    global _folder
    previous, _folder = _folder, Path(folder) if folder else None
    if _folder is not None:
        _folder.mkdir(parents=True, exist_ok=True)
    _used.clear()
    try:
        yield
        if _folder is not None and prune:
            for path in _folder.glob("*.pkl"):
                if path not in _used:
                    path.unlink(missing_ok=True)
    finally:
        _folder = previous


def code_digest(*files: str | Path, extra: str = "") -> str:
    """A digest of the code that computes the entries (their modules' source, `extra`): entries
    of an earlier version of it are never found."""
    data = b"".join(Path(f).read_bytes() for f in files) + extra.encode()
    return hashlib.sha256(data).hexdigest()


def _path(kind: str, key: str) -> Path | None:
    if _folder is None:
        return None
    path = _folder / f"{kind}-{key[:40]}.pkl"
    _used.add(path)
    return path


def recall(kind: str, key: str):
    """The entry kept for `key` (a digest of everything it was computed from), or None."""
    path = _path(kind, key)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):  # gone: another writer pruned it
            return pickle.loads(path.read_bytes())
    return None


def keep(kind: str, key: str, value) -> None:
    path = _path(kind, key)
    if path is not None:
        part = path.with_suffix(f".{os.getpid()}.part")
        part.write_bytes(pickle.dumps(value, protocol=4))
        os.replace(part, path)  # never a half-written entry, even with two writers


def cached(kind: str, code: str) -> Callable:
    """Keep a pure function's results, keyed by its name, `code` (`code_digest`) and its
    arguments, which must pickle."""

    def decorate(compute):
        @functools.wraps(compute)
        def wrapper(*args, **kwargs):
            if _folder is None:
                return compute(*args, **kwargs)
            state = (compute.__name__, code, args, sorted(kwargs.items()))
            key = hashlib.sha256(pickle.dumps(state, protocol=4)).hexdigest()
            value = recall(kind, key)
            if value is None:
                value = compute(*args, **kwargs)
                keep(kind, key, value)
            return value

        return wrapper

    return decorate


class Memo:
    """Entries of one kind kept in the process (the newest `limit`) and, inside `kept_in`, in
    the folder too: what one document computed, the next of the run finds in memory, and the
    next refresh on disk."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        self._memory: dict[str, object] = {}

    def get(self, key: str):
        """The value kept for `key` (a digest of everything it was computed from), or None."""
        if key not in self._memory:
            value = recall(self.kind, key)
            if value is not None:
                self._remember(key, value)
            return value
        value = self._memory[key]
        path = _path(self.kind, key)  # in use: kept by the prune, written if not there yet
        if path is not None and not path.exists():
            keep(self.kind, key, value)
        return value

    def put(self, key: str, value) -> None:
        self._remember(key, value)
        keep(self.kind, key, value)

    def _remember(self, key: str, value) -> None:
        while len(self._memory) >= self.limit:
            self._memory.pop(next(iter(self._memory)))  # the oldest first
        self._memory[key] = value
