"""The engine seam: one object every query and write of b2bcx goes through.

Analytics are Ibis expressions over :meth:`Backend.table`, so the same code runs
on every engine Ibis supports. The few operations Ibis has no portable form for
(transactions, deletes, upserts) live here and only here; no module outside
``storage/`` writes SQL.

Supported URLs:

- a path (``b2bcx.duckdb``, ``/data/cx.duckdb``) or ``duckdb:///path`` — an
  embedded DuckDB file (the default);
- ``:memory:`` or ``duckdb://:memory:`` — an in-memory DuckDB (tests);
- ``postgresql://user[:password]@host[:port]/database`` (or ``postgres://``) —
  a shared PostgreSQL database (:mod:`b2bcx.storage.postgres`);
- ``spark://MASTER?path=FOLDER`` — the workspace tables as Parquet in a folder,
  queried by Apache Spark (:mod:`b2bcx.storage.spark`; read-only analytics).

:class:`Backend` itself is the embedded DuckDB engine; the other engines are
subclasses that override the few statements whose SQL or driver differs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.schema as sch
import pyarrow as pa
import sqlglot.expressions as sge

from b2bcx.errors import ConfigurationError, NotFound, WorkspaceError
from b2bcx.storage import schema

_MEMTABLE_PREFIX = "ibis_"


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return sge.to_identifier(name, quoted=True).sql()


class Backend:
    """A connection to one workspace database.

    Use :func:`connect` to make one. All methods are safe to call from one
    thread at a time.
    """

    #: Whether the engine only reads (no import, no migrations): Spark.
    is_read_only: bool = False

    def __init__(self, con: Any, *, url: str, kind: str) -> None:
        self.con = con
        self.url = url
        self.kind = kind
        self._tx_depth = 0

    # -- reading --------------------------------------------------------------
    def list_tables(self) -> list[str]:
        """Names of the workspace's tables (Ibis' temporary tables left out)."""
        return sorted(t for t in self.con.list_tables() if not t.startswith(_MEMTABLE_PREFIX))

    def table(self, name: str) -> ibis.Table:
        """The Ibis table expression for ``name``."""
        try:
            return self.con.table(name)
        except Exception as exc:  # Ibis raises backend-specific errors here
            raise NotFound(f"the workspace has no table {name!r}") from exc

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute ``expr`` and return the result as an Arrow table."""
        result: pa.Table = self.con.to_pyarrow(expr)
        return result

    # -- writing --------------------------------------------------------------
    def create_table(self, name: str, table_schema: sch.Schema) -> None:
        """Create an empty table (no-op if it exists with that name)."""
        if name not in self.list_tables():
            self.con.create_table(name, schema=table_schema)

    def drop_table(self, name: str) -> None:
        """Drop a table if it exists."""
        self.con.drop_table(name, force=True)

    def append(self, name: str, data: pa.Table) -> None:
        """Append an Arrow table whose columns are a subset of ``name``'s columns."""
        if data.num_rows == 0:
            return
        target = self.table(name).schema()
        columns = [c for c in target.names if c in data.column_names]
        arrow_schema = pa.schema([target.to_pyarrow().field(c) for c in columns])
        self.load_arrow(name, data.select(columns).cast(arrow_schema))

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """Insert ``data`` into the existing table ``name``, column by name.

        The bulk path of every write (appends, staging): the engine reads the
        Arrow data itself (DuckDB scans it in place; PostgreSQL takes ``COPY``).
        ``data``'s types must already match the table's.
        """
        if data.num_rows == 0:
            return
        view = f"_b2bcx_load_{id(data)}"
        self.con.con.register(view, data)
        try:
            cols = ", ".join(quote(c) for c in data.column_names)
            self.con.con.execute(
                f"INSERT INTO {quote(name)} ({cols}) SELECT {cols} FROM {quote(view)}"
            )
        finally:
            self.con.con.unregister(view)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement and return its rows (storage-internal use only)."""
        cursor = self.con.con.execute(sql, list(params))
        try:
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        except Exception:  # statements without a result set
            rows = []
        return rows

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one query and return its rows as dicts (storage-internal use only)."""
        cursor = self.con.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (re-entrant)."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self._tx_depth = 0
            self.execute("ROLLBACK")
            raise
        self._tx_depth = 0
        self.execute("COMMIT")

    # -- workspace facts ------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value from ``b2bcx_meta``, or ``None``."""
        rows = self.execute(f"SELECT value FROM {quote(schema.META_TABLE)} WHERE key = ?", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in ``b2bcx_meta``."""
        with self.transaction():
            self.execute(f"DELETE FROM {quote(schema.META_TABLE)} WHERE key = ?", [key])
            self.execute(f"INSERT INTO {quote(schema.META_TABLE)} VALUES (?, ?)", [key, value])

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(Exception):
            self.con.disconnect()


def resolve_url(url: str | Path) -> tuple[str, str]:
    """Split a workspace URL into ``(kind, location)``."""
    text = str(url)
    if text in (":memory:", "duckdb://:memory:", "duckdb://"):
        return "duckdb", ":memory:"
    if text.startswith("duckdb://"):
        # duckdb:///abs/path.duckdb (absolute) or duckdb://rel/path.duckdb (relative)
        return "duckdb", text.removeprefix("duckdb://")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme in ("postgresql", "postgres"):
            return "postgres", text
        if scheme == "spark":
            return "spark", text
        raise ConfigurationError(
            f"workspace URL {text!r}: the {scheme!r} engine is not available in this version; "
            "use a DuckDB file path (e.g. b2bcx.duckdb), ':memory:', postgresql://… "
            "or spark://…"
        )
    return "duckdb", text


def connect(url: str | Path, *, memory_limit: str | None = None) -> Backend:
    """Open (and create if needed) the database behind a workspace URL.

    ``memory_limit`` caps the embedded engine's memory (e.g. ``"3GB"``); past it,
    DuckDB spills to a temporary folder on disk instead of growing. It applies
    to DuckDB only (PostgreSQL and Spark are sized by their own configuration).
    """
    kind, location = resolve_url(url)
    if kind == "postgres":
        from b2bcx.storage.postgres import connect_postgres

        return connect_postgres(location)
    if kind == "spark":
        from b2bcx.storage.spark import connect_spark

        return connect_spark(location)
    if kind == "duckdb":
        if location != ":memory:":
            path = Path(location)
            if path.is_dir():
                raise ConfigurationError(
                    f"workspace {location!r} is a folder; give a file path such as "
                    f"{path / 'b2bcx.duckdb'}"
                )
            if not path.parent.exists():
                raise NotFound(
                    f"the folder {str(path.parent)!r} for workspace {location!r} does not exist"
                )
        try:
            con = ibis.duckdb.connect(location)
        except Exception as exc:
            raise WorkspaceError(f"cannot open workspace {location!r}: {exc}") from exc
        if memory_limit:
            try:
                con.con.execute(f"SET memory_limit = '{memory_limit}'")
            except Exception as exc:
                raise ConfigurationError(
                    f"memory limit {memory_limit!r} is not valid (use e.g. 3GB or 512MB): {exc}"
                ) from exc
        return Backend(con, url=location, kind="duckdb")
    raise ConfigurationError(f"unsupported workspace URL {url!r}")  # pragma: no cover
