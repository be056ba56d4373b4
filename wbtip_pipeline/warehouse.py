"""The warehouse: every output table goes through `Warehouse.publish`, to the database and to CSV.

A CSV copy of a table that names a member carrying a footnote (Kosovo) carries that footnote:
see `with_footnotes`.

A table is replaced inside one transaction (drop, create, index, insert, commit), so a reader or
a crash half-way never sees half a refresh: the previous version stays until the commit. SQLite's
Python driver does not put DDL inside a transaction by itself; the event hooks below make it
(the recipe from SQLAlchemy's SQLite dialect documentation).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa
from sqlalchemy import event

from wbtip_pipeline.region import FOOTNOTE_MARK, load_region

FOOTNOTE_COLUMN = "footnote"
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
    """An SQLAlchemy database plus a folder of CSV copies of its tables."""

    def __init__(self, url: str, tables_dir: str | Path | None = None, schema: str | None = None):
        self.url = url
        self.schema = schema
        self.tables_dir = Path(tables_dir) if tables_dir else None

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

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    def _ensure_schema(self, conn: sa.Connection) -> None:
        if self.schema:
            conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))

    def table_def(
        self, name: str, frame: pd.DataFrame, schema: pa.DataFrameSchema | None, keys: list[str]
    ) -> sa.Table:
        described = schema.columns if schema is not None else {}
        metadata = sa.MetaData(schema=self.schema)
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
            sa.Index(f"ix_{name}_key", *(table.c[k] for k in present))
        return table

    def publish(
        self,
        name: str,
        frame: pd.DataFrame,
        schema: pa.DataFrameSchema | None = None,
        keys: list[str] | None = None,
        *,
        _fail_after_insert: bool = False,
    ) -> None:
        """Replace table `name` with `frame` in one transaction, then write its CSV copy."""
        table = self.table_def(name, frame, schema, keys or [])
        with self.engine.begin() as conn:
            self._ensure_schema(conn)
            table.drop(conn, checkfirst=True)
            table.create(conn)
            if len(frame):
                conn.execute(table.insert(), _records(frame))
            if _fail_after_insert:  # test hook: a crash inside the transaction
                raise RuntimeError("injected failure inside the publishing transaction")
        if self.tables_dir is not None:
            write_csv_atomic(with_footnotes(frame), self.tables_dir / f"{name}.csv")

    def read(self, name: str) -> pd.DataFrame | None:
        """The table as published, or None if it was never published."""
        if not sa.inspect(self.engine).has_table(name, schema=self.schema):
            return None
        table = sa.Table(name, sa.MetaData(schema=self.schema), autoload_with=self.engine)
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(table), conn)


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
