"""The warehouse: every output table goes through it, to the database and to CSV.

Two ways to write a table:
- `stage` (the pipeline): the table goes to a staging table beside the published ones and its
  CSV to the output folder's staging area; nothing a reader sees changes until `publish_staged`
  swaps every staged table in one transaction and moves the output folder's pointer to a folder
  with the CSVs and documents of the same refresh (write-audit-publish: `publication.py`).
- `publish` (one table on its own: tests, benchmarks, a notebook): stage and swap that table,
  then write its CSV into `tables_dir`.

A CSV copy of a table that names a member carrying a footnote (Kosovo) carries that footnote:
see `with_footnotes`.

SQLite's Python driver does not put DDL inside a transaction by itself; the event hooks below
make it (the recipe from SQLAlchemy's SQLite dialect documentation), so a swap is all or nothing
on both backends.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa
from sqlalchemy import event

from wbtip_pipeline.publication import (
    KEEP,
    TABLES,
    OutputFolder,
    Publication,
    PublicationError,
    encode,
    now,
)
from wbtip_pipeline.region import FOOTNOTE_MARK, load_region

FOOTNOTE_COLUMN = "footnote"
# SQLite has no schemas to spare: staged tables sit beside the published ones under this prefix
SQLITE_STAGING_PREFIX = "_staging_"
# PostgreSQL: how long staging or publishing waits for a reader's lock before it fails
LOCK_TIMEOUT = "30s"
PUBLICATIONS_TABLE = "publications"
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _sa_type(dtype) -> sa.types.TypeEngine:
    if pd.api.types.is_bool_dtype(dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(dtype):
        return sa.Float()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return sa.DateTime()
    return sa.Text()


def _records(frame: pd.DataFrame) -> list[dict]:
    plain = frame.astype(object)
    return plain.where(plain.notna(), None).to_dict("records")


class Warehouse:
    """An SQLAlchemy database plus CSV copies of its tables: in `tables_dir` (one table at a
    time, `publish`) or in the publications of `output_dir` (`stage`, then `publish_staged`)."""

    def __init__(
        self,
        url: str,
        tables_dir: str | Path | None = None,
        schema: str | None = None,
        output_dir: str | Path | None = None,
    ):
        self.url = url
        self.schema = schema
        self.tables_dir = Path(tables_dir) if tables_dir else None
        self.output = OutputFolder(output_dir) if output_dir else None

    @cached_property
    def engine(self) -> sa.Engine:
        url = sa.make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # another connection writing (a reader, a second writer) makes this one wait up
            # to 30 s for its turn instead of failing at once with "database is locked"
            engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

            @event.listens_for(engine, "connect")
            def _no_driver_transactions(dbapi_connection, _record):
                dbapi_connection.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN")

            return engine
        return sa.create_engine(url, pool_pre_ping=True)

    @property
    def sqlite(self) -> bool:
        return sa.make_url(self.url).get_backend_name() == "sqlite"

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    # --- where a table lives ----------------------------------------------------------------

    @property
    def staging_schema(self) -> str | None:
        """PostgreSQL: a schema of its own beside the published one; SQLite: none (a prefix)."""
        if self.sqlite:
            return None
        return f"{self.schema or 'public'}_staging"

    def staging_name(self, name: str) -> str:
        return f"{SQLITE_STAGING_PREFIX}{name}" if self.sqlite else name

    def _ensure_schema(self, conn: sa.Connection, schema: str | None) -> None:
        # asked first: CREATE SCHEMA IF NOT EXISTS needs the right to create schemas even when
        # the schema exists, which a role that only owns its schemas lacks
        if schema and not sa.inspect(conn).has_schema(schema):
            conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))

    def table_def(
        self,
        name: str,
        frame: pd.DataFrame,
        schema: pa.DataFrameSchema | None,
        keys: list[str],
        *,
        db_schema: str | None = None,
        index_name: str | None = None,
    ) -> sa.Table:
        described = schema.columns if schema is not None else {}
        metadata = sa.MetaData(schema=db_schema if db_schema is not None else self.schema)
        columns = [
            sa.Column(
                col,
                _sa_type(frame[col].dtype),
                comment=getattr(described.get(col), "description", None),
            )
            for col in frame.columns
        ]
        comment = (
            (schema.description or "").strip().splitlines()[0]
            if schema is not None and schema.description
            else None
        )
        table = sa.Table(name, metadata, *columns, comment=comment)
        present = [k for k in keys if k in frame.columns]
        if present:
            sa.Index(index_name or f"ix_{name}_key", *(table.c[k] for k in present))
        return table

    # --- write ------------------------------------------------------------------------------

    def _stage_table(
        self,
        name: str,
        frame: pd.DataFrame,
        schema: pa.DataFrameSchema | None,
        keys: list[str],
        fail_after_insert: bool = False,
    ) -> None:
        staged = self.staging_name(name)
        table = self.table_def(
            staged,
            frame,
            schema,
            keys,
            db_schema=self.staging_schema,
            # SQLite's index names are the database's: the published table's keeps `ix_<name>_key`
            index_name=f"ix_{staged}_key" if self.sqlite else f"ix_{name}_key",
        )
        with self.engine.begin() as conn:
            if not self.sqlite:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            self._ensure_schema(conn, self.staging_schema)
            table.drop(conn, checkfirst=True)
            table.create(conn)
            if len(frame):
                conn.execute(table.insert(), _records(frame))
            if fail_after_insert:  # test hook: a crash inside the transaction
                raise RuntimeError("injected failure inside the staging transaction")

    def _drop_staged(self, name: str) -> None:
        table = sa.Table(self.staging_name(name), sa.MetaData(schema=self.staging_schema))
        with self.engine.begin() as conn:
            table.drop(conn, checkfirst=True)

    def stage(
        self,
        name: str,
        frame: pd.DataFrame,
        schema: pa.DataFrameSchema | None = None,
        keys: list[str] | None = None,
    ) -> None:
        """Stage `frame` as the next version of table `name`: a staging table and, from the
        same frame, its CSV in the staging area. Both or neither: a failure removes what was
        staged of this table (the step fails and runs again; the published table stays)."""
        if self.output is None:
            raise ValueError("stage() needs the output folder (Warehouse(..., output_dir=...))")
        csv = self.output.staging / TABLES / f"{name}.csv"
        try:
            self._stage_table(name, frame, schema, keys or [])
            write_csv_atomic(with_footnotes(frame), csv)
        except BaseException:
            csv.unlink(missing_ok=True)
            self._drop_staged(name)
            raise

    def publish(
        self,
        name: str,
        frame: pd.DataFrame,
        schema: pa.DataFrameSchema | None = None,
        keys: list[str] | None = None,
        *,
        _fail_after_insert: bool = False,
    ) -> None:
        """Replace table `name` with `frame` at once (staged, then swapped in one transaction),
        then write its CSV copy into `tables_dir`: one table on its own, outside a refresh.
        Refused while a refresh has the table staged (it would publish that refresh's half)."""
        if name in self.staged_tables():
            raise PublicationError(
                f"table {name} is staged by a refresh that has not been published; "
                "publish the refresh (wbtip run) first"
            )
        self._stage_table(name, frame, schema, keys or [], fail_after_insert=_fail_after_insert)
        with self.engine.begin() as conn:
            self._swap(conn, [name])
        if self.tables_dir is not None:
            write_csv_atomic(with_footnotes(frame), self.tables_dir / f"{name}.csv")

    def staged_tables(self) -> set[str]:
        """The tables staged and not yet published."""
        inspector = sa.inspect(self.engine)
        if self.sqlite:
            return {
                t[len(SQLITE_STAGING_PREFIX) :]
                for t in inspector.get_table_names()
                if t.startswith(SQLITE_STAGING_PREFIX)
            }
        if self.staging_schema not in inspector.get_schema_names():
            return set()
        return set(inspector.get_table_names(schema=self.staging_schema))

    def _swap(self, conn: sa.Connection, names: list[str]) -> dict[str, int]:
        """Inside `conn`'s transaction: every staged table of `names` replaces its published
        one; {name: rows}.

        A published table whose columns are unchanged keeps its identity: its rows are replaced
        (what analysts built on it, views and grants, stays), and its column comments follow
        the staged ones. A new table, or one whose columns changed, replaces the published one
        (renamed into place); a view on the old one then stops the publication with a message
        naming the table. PostgreSQL waits at most `LOCK_TIMEOUT` for a reader's lock."""
        if not self.sqlite:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        self._ensure_schema(conn, self.schema)
        live_schema = self._live_schema(conn)
        inspector = sa.inspect(conn)
        rows = {}
        for name in sorted(names):
            staged = sa.Table(
                self.staging_name(name), sa.MetaData(schema=self.staging_schema), autoload_with=conn
            )
            rows[name] = conn.execute(sa.select(sa.func.count()).select_from(staged)).scalar_one()
            if inspector.has_table(name, schema=live_schema):
                live = sa.Table(name, sa.MetaData(schema=live_schema), autoload_with=conn)
                if _same_columns(live, staged, conn.dialect):
                    self._replace_rows(conn, live, staged)
                    continue
            self._replace_table(conn, name, staged, live_schema)
        return rows

    def _live_schema(self, conn: sa.Connection) -> str | None:
        """The schema of the published tables: the configured one, else (PostgreSQL) the first
        of the connection's search path, where unqualified names go."""
        if self.sqlite or self.schema:
            return self.schema
        return conn.exec_driver_sql("SELECT current_schema()").scalar_one()

    def _replace_rows(self, conn: sa.Connection, live: sa.Table, staged: sa.Table) -> None:
        conn.execute(live.delete())
        columns = [c.name for c in live.columns]
        conn.execute(live.insert().from_select(columns, sa.select(*(staged.c[c] for c in columns))))
        if not self.sqlite:  # the descriptions may have changed with the schema
            prep = conn.dialect.identifier_preparer
            for column in staged.columns:
                if column.comment != live.c[column.name].comment:
                    conn.execute(
                        sa.text(f"COMMENT ON COLUMN {prep.format_table(live)}."
                                f"{prep.quote(column.name)} IS :comment"),
                        {"comment": column.comment},
                    )  # fmt: skip
        staged.drop(conn)

    def _replace_table(
        self, conn: sa.Connection, name: str, staged: sa.Table, live_schema: str | None
    ) -> None:
        prep = conn.dialect.identifier_preparer
        try:
            with conn.begin_nested():
                sa.Table(name, sa.MetaData(schema=live_schema)).drop(conn, checkfirst=True)
        except sa.exc.DBAPIError as error:  # PostgreSQL: a view or a key depends on it
            raise PublicationError(
                f"table {name} has new columns and cannot replace the published one, which "
                f"other objects depend on ({str(error.orig).splitlines()[0]}); nothing was "
                "published: drop or adapt them, then run again"
            ) from error
        if self.sqlite:
            indexes = list(staged.indexes)
            for index in indexes:
                index.drop(conn)
            # the legacy rename does not re-check the views on the table it replaces by name
            conn.exec_driver_sql("PRAGMA legacy_alter_table = ON")
            try:
                conn.exec_driver_sql(
                    f"ALTER TABLE {prep.quote(staged.name)} RENAME TO {prep.quote(name)}"
                )
            finally:
                conn.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
            live = sa.Table(name, sa.MetaData(), autoload_with=conn)
            for index in indexes:
                sa.Index(f"ix_{name}_key", *(live.c[c.name] for c in index.columns)).create(conn)
        else:
            conn.exec_driver_sql(
                f"ALTER TABLE {prep.quote_schema(self.staging_schema)}.{prep.quote(name)} "
                f"SET SCHEMA {prep.quote_schema(live_schema)}"
            )

    # --- publications -----------------------------------------------------------------------

    def publications_table(self) -> sa.Table:
        return sa.Table(
            PUBLICATIONS_TABLE,
            sa.MetaData(schema=self.schema),
            sa.Column("publication_id", sa.BigInteger, primary_key=True, autoincrement=False,
                      comment="1, 2, ...: one per refresh that changed a table or a document"),
            sa.Column("published_at", sa.Text, comment="when it became visible (UTC, ISO 8601)"),
            sa.Column("run_id", sa.Text, comment="the Dagster run that published it"),
            sa.Column("folder", sa.Text, comment="its folder under the output folder"),
            sa.Column("changed", sa.Text, comment="JSON list: tables and documents replaced"),
            sa.Column("tables", sa.Text, comment="JSON {table: rows}: every published table"),
            sa.Column("source_files", sa.Text, comment="JSON {file: SHA-256}: the source files"),
            comment="One row per publication: what became visible together, and from which files.",
        )  # fmt: skip

    def publications(self) -> pd.DataFrame:
        """Every publication, oldest first (empty before the first)."""
        frame = self.read(PUBLICATIONS_TABLE)
        if frame is None:
            return pd.DataFrame(columns=[c.name for c in self.publications_table().columns])
        return frame.sort_values("publication_id", ignore_index=True)

    def latest_publication(self) -> Publication | None:
        frame = self.publications()
        if frame.empty:
            return None
        row = frame.iloc[-1]
        return Publication(
            publication_id=int(row["publication_id"]),
            published_at=row["published_at"],
            run_id=row["run_id"],
            folder=(self.output.output if self.output else Path(".")) / row["folder"],
            changed=json.loads(row["changed"]),
            tables=json.loads(row["tables"]),
            source_files=json.loads(row["source_files"]),
        )

    def roll_forward(self) -> Publication | None:
        """Finish a publication whose commit happened and whose pointer did not move (a crash
        between the two): the publication it completed, else None. Staged files that the
        current publication already holds (a writer died before clearing them) are dropped."""
        if self.output is None:
            return None
        latest = self.latest_publication()
        completed = None
        if (
            latest is not None
            and latest.folder.is_dir()
            and self.output.current() != latest.folder.resolve()
        ):
            self.output.point_to(latest.folder)
            completed = latest
        elif self.output.current() is not None:
            self.output.link_readers()  # a writer may have died before it made them
        _drop_published(self.output, self.staged_tables())
        return completed

    def publish_staged(
        self, run_id: str, source_files: Mapping[str, str] | None = None
    ) -> Publication | None:
        """Make everything staged visible at once (module docstring of `publication.py`);
        None when nothing is staged. Raises `PublicationError`, publishing nothing, when the
        staged tables and their CSVs do not pair up."""
        if self.output is None:
            raise ValueError("publish_staged() needs the output folder")
        self.roll_forward()
        latest = self.latest_publication()
        in_database, as_csv = self.staged_tables(), self.output.staged_tables()
        if in_database != as_csv:
            unpaired = sorted(in_database ^ as_csv)
            raise PublicationError(
                f"staged tables without their CSV or the reverse: {', '.join(unpaired)}; "
                "nothing was published (wbtip run --full stages every table anew)"
            )
        documents = self.output.staged_entries()
        if not in_database and not documents:
            return None
        # the warehouse numbers publications: a folder left by one that never committed is reused
        publication_id = (latest.publication_id if latest else 0) + 1
        folder = self.output.assemble(publication_id)
        publication = Publication(
            publication_id=publication_id,
            published_at=now(),
            run_id=run_id,
            folder=folder,
            changed=sorted(in_database) + documents,
            source_files=dict(sorted((source_files or {}).items())),
        )
        try:
            with self.engine.begin() as conn:
                rows = self._swap(conn, sorted(in_database))
                publication.tables = dict(
                    sorted({**(latest.tables if latest else {}), **rows}.items())
                )
                self._record(conn, publication)
        except BaseException:
            # an error after the commit (the connection lost with its reply) must not remove
            # the folder the warehouse now names: the next writer rolls forward to it
            if not self._recorded(publication_id):
                shutil.rmtree(folder, ignore_errors=True)
            raise
        self.output.point_to(folder)
        self.output.clear_staging()
        self.output.prune(keep=self._recent_folders())
        return publication

    def _recorded(self, publication_id: int) -> bool:
        """Whether the warehouse has publication `publication_id` (unknown: True, to keep)."""
        try:
            log = self.publications()
        except Exception:  # noqa: BLE001 - the database cannot say: keep the folder
            return True
        return bool((log["publication_id"] == publication_id).any())

    def _recent_folders(self) -> set[str]:
        """The folders of the latest `KEEP` publications this warehouse records."""
        log = self.publications().tail(KEEP)
        return {Path(folder).name for folder in log["folder"]}

    def _record(self, conn: sa.Connection, publication: Publication) -> None:
        table = self.publications_table()
        table.create(conn, checkfirst=True)
        conn.execute(
            table.insert(),
            {
                "publication_id": publication.publication_id,
                "published_at": publication.published_at,
                "run_id": publication.run_id,
                "folder": str(publication.folder.relative_to(self.output.output)),
                "changed": encode(publication.changed),
                "tables": encode(publication.tables),
                "source_files": encode(publication.source_files),
            },
        )

    # --- read -------------------------------------------------------------------------------

    def read(self, name: str) -> pd.DataFrame | None:
        """The table as published, or None if it was never published."""
        return self._read(name, self.schema)

    def read_latest(self, name: str) -> pd.DataFrame | None:
        """The latest validated version: staged if a refresh staged one, else published."""
        if name in self.staged_tables():
            return self._read(self.staging_name(name), self.staging_schema)
        return self.read(name)

    def _read(self, name: str, schema: str | None) -> pd.DataFrame | None:
        if not sa.inspect(self.engine).has_table(name, schema=schema):
            return None
        table = sa.Table(name, sa.MetaData(schema=schema), autoload_with=self.engine)
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(table), conn)


def _same(a: Path, b: Path) -> bool:
    """The same file (hard-linked into the publication), or, where the file system made a copy
    instead, the same bytes."""
    return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)


def _drop_published(output: OutputFolder, staged_in_database: set[str]) -> None:
    """Remove staged files that the current publication holds already, left when a writer died
    after publishing and before clearing: a document's file that is the published one (hard
    linked into it, or its copy), a table's CSV only once its staging table is gone (published:
    a table restaged with unchanged rows has the same CSV and is not published yet)."""
    current = output.current()
    if current is None or not output.staging.is_dir():
        return
    tables = output.staging / TABLES
    for path in sorted(output.staging.rglob("*"), reverse=True):
        published = current / path.relative_to(output.staging)
        if path.parent == tables and path.stem in staged_in_database:
            continue
        if path.is_file() and published.is_file() and _same(path, published):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if not any(output.staging.iterdir()):
        output.staging.rmdir()


def _same_columns(live: sa.Table, staged: sa.Table, dialect) -> bool:
    """The same column names, in order, of the same types."""

    def shape(table: sa.Table) -> list[tuple[str, str]]:
        return [(c.name, c.type.compile(dialect=dialect)) for c in table.columns]

    return shape(live) == shape(staged)


def _write_atomic(path: Path, write, mode: str = "w") -> None:
    """Write through a temporary file in the same folder renamed into place: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    text = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
    try:
        with os.fdopen(fd, mode, **text) as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are for others to read
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename is None:
            # a write that fails (a full disk: ENOSPC, EIO) names no file: say which output
            exc.filename = str(path)
        raise


def member_footnotes() -> dict[str, tuple[str, str]]:
    """{code: (name, footnote)} of the region's members that carry a footnote."""
    region = load_region()
    return {m.code: (m.name, m.footnote) for m in region.members if m.footnote}


def with_footnotes(
    frame: pd.DataFrame, footnotes: Mapping[str, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """`frame` with a last column `footnote` giving, on each row that names a member carrying a
    footnote (its code as a value or in a list, `XKX`, `ALB,XKX`; or its name in a text), that
    footnote ("* Kosovo: This designation is without prejudice ..."), empty elsewhere; `frame`
    itself when no row names one.

    A column, not a comment line: the CSV stays one header and one record per row for every
    reader (pandas, spreadsheets, the tests), the footnote travels with each row that needs it
    when rows are filtered or copied, and no contract column changes (HARMONISED.md fixes the
    names of its columns and allows new ones). The database keeps the table as validated.
    """
    footnotes = member_footnotes() if footnotes is None else footnotes
    if not footnotes or frame.empty or FOOTNOTE_COLUMN in frame.columns:
        return frame
    notes = pd.Series("", index=frame.index, dtype=object)
    texts = frame.select_dtypes(include=["object", "string"])
    for code, (name, footnote) in footnotes.items():
        pattern = rf"\b(?:{re.escape(code)}|{re.escape(name)})\b"
        named = pd.Series(False, index=frame.index)
        for column in texts.columns:
            named |= texts[column].astype("string").str.contains(pattern, regex=True).fillna(False)
        note = f"{FOOTNOTE_MARK} {name}: {footnote}"
        notes[named] = [f"{n} {note}".strip() for n in notes[named]]
    if not (notes != "").any():
        return frame
    return frame.assign(**{FOOTNOTE_COLUMN: notes})


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    _write_atomic(path, lambda fh: frame.to_csv(fh, index=False))


def write_text_atomic(text: str, path: Path) -> None:
    _write_atomic(path, lambda fh: fh.write(text))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    _write_atomic(Path(path), lambda fh: fh.write(data), mode="wb")
