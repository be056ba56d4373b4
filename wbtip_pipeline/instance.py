"""The event log of the local Dagster instance (`wbtip run`, `make dev`): Dagster's SQLite storage,
keeping its database engines and a connection to each database.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine, and opens and closes a SQLite
connection, for every use of a database: one or two for every event a run records (about 600 in a
refresh of two members). The databases are in WAL mode, where closing the last connection to a
database checkpoints it (its log written into the database, both synced to disk, the log
removed), so every event paid for a checkpoint besides its own commit. This storage keeps an
engine per database (a run's own, and the index shared by all runs), each keeping one connection
open between uses (`KEPT`): a commit is a commit again, and the log is checkpointed as SQLite
does by itself (every 1,000 pages) and when the connection closes. Measured on a `wbtip run` of
two members (`benchmarks/RESULTS.md`): 12.4 s with Dagster's storage, 10.6 s with engines kept,
about 9.8 s with connections kept too (11.5 s without, same host and moment).

Nothing changes for other processes: SQLite locks the file for every transaction, and a
connection kept open reads what others committed since its previous transaction (the webserver
sees a run's events as they are written). Durability is SQLite's default (`synchronous=FULL`:
every commit synced). Engines are bounded (the newest `ENGINES`: a run's database is no longer
written once it ends) and disposing of one closes its connection, so a long-lived webserver or
daemon keeps at most that many open. Wiping the instance (`dagster instance wipe`, which deletes
the runs' database files) closes them first; another process's wipe leaves this one's kept
connections on the deleted files until they are disposed of, as with any open SQLite file.

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
from sqlalchemy.pool import QueuePool

ENGINES = 16
# connections kept open per engine: uses of a storage are serialised by its lock (`_db_lock`),
# so one is in use at a time; more may be opened for a moment, and are closed when returned
KEPT = 1


class LocalEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with its engines and connections kept (module docstring)."""

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
                    poolclass=QueuePool,
                    pool_size=KEPT,
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

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()  # and the connection it kept
            self._engines.clear()

    def wipe(self) -> None:
        # Dagster's wipe deletes the runs' database files: a connection kept to one would go on
        # reading and writing the deleted file
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
