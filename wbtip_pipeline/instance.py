"""The event log of the local Dagster instance (`wbtip run`, `make dev`): Dagster's SQLite storage,
keeping its database engines.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine for every connection it opens, and
it opens one or two for every event a run records (about 600 in a refresh of two members): the
engine's set-up and its statement cache are thrown away each time. Keeping an engine per
database (a run's own, and the index shared by all runs) makes a `wbtip run` of two members
12.4 -> 10.6 s and the test suite, which starts about twenty of them, about 24 s faster.
Connections still open and close per use (no pool), so other processes writing the same files
are seen as before. Engines are bounded (the newest `ENGINES`: a run's database is no
longer written once it ends), so a long-lived webserver or daemon does not collect them.

The production instance (deploy/dagster.yaml) keeps its event log in PostgreSQL and is not
concerned. `wbtip run` writes this storage into the `dagster.yaml` of a new local instance
(`cli.local_instance_config`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

ENGINES = 16


class LocalEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with its engines kept (module docstring)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # before the base class connects
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LocalEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
            self._engines[shard] = engine  # the newest last
            while len(self._engines) > ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # the base class's, engine kept
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()
