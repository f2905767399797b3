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
:func:`b2bcx.storage.connect` (in :mod:`b2bcx.storage.connect`) picks the
engine for a URL; this module knows none of the subclasses.

Every engine call runs inside :func:`~b2bcx.storage.engine_errors.map_engine_errors`
(the Ibis connection's query methods too, for ``expr.execute()`` in analyses):
an engine exception leaves the seam as a :class:`~b2bcx.errors.WorkspaceError`
subclass with a plain message and the fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import ibis
import ibis.common.exceptions as ibis_exc
import ibis.expr.datatypes as dt
import ibis.expr.schema as sch
import pyarrow as pa
import sqlglot.expressions as sge

from b2bcx.errors import NotFound
from b2bcx.storage import schema
from b2bcx.storage.engine_errors import guard_queries, map_engine_errors

_MEMTABLE_PREFIX = "ibis_"


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return sge.to_identifier(name, quoted=True).sql()


class Backend:
    """A connection to one workspace database.

    Use :func:`b2bcx.storage.connect` to make one. All methods are safe to call
    from one thread at a time.

    Parameters
    ----------
    con:
        The Ibis backend connection.
    url:
        The workspace, as shown in messages (passwords redacted).
    kind:
        ``"duckdb"``, ``"postgres"`` or ``"spark"``.
    read_only:
        Whether the connection was opened read-only: no migrations run, and
        writes fail with :class:`~b2bcx.errors.WorkspaceReadOnly`.
    """

    #: Whether the engine only reads (no import, no migrations): Spark, and a
    #: workspace opened with ``read_only=True``.
    is_read_only: bool = False

    #: Whether the workspace records a schema version in ``b2bcx_meta`` (a
    #: Spark folder does not: it is read against the current spec as it is).
    versioned: bool = True

    def __init__(self, con: Any, *, url: str, kind: str, read_only: bool = False) -> None:
        self.con = con
        self.url = url
        self.kind = kind
        self.is_read_only = read_only or type(self).is_read_only
        self._tx_depth = 0
        guard_queries(con, url=url, read_only=self.is_read_only)

    def engine_errors(self) -> contextlib.AbstractContextManager[None]:
        """A context in which engine exceptions become :class:`~b2bcx.errors.WorkspaceError`."""
        return map_engine_errors(url=self.url, read_only=self.is_read_only)

    # -- reading --------------------------------------------------------------
    def list_tables(self) -> list[str]:
        """Names of the workspace's tables (Ibis' temporary tables left out)."""
        with self.engine_errors():
            names = self.con.list_tables()
        return sorted(t for t in names if not t.startswith(_MEMTABLE_PREFIX))

    def table(self, name: str) -> ibis.Table:
        """The Ibis table expression for ``name``."""
        with self.engine_errors():
            try:
                return self.con.table(name)
            except ibis_exc.TableNotFound as exc:
                raise NotFound(f"the workspace has no table {name!r}") from exc

    def columns(self, name: str) -> list[str]:
        """The stored columns of table ``name``, in order."""
        return list(self.table(name).columns)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute ``expr`` and return the result as an Arrow table."""
        with self.engine_errors():
            result: pa.Table = self.con.to_pyarrow(expr)
        return result

    # -- writing --------------------------------------------------------------
    def create_table(self, name: str, table_schema: sch.Schema) -> None:
        """Create an empty table (no-op if it exists with that name)."""
        if name not in self.list_tables():
            with self.engine_errors():
                self.con.create_table(name, schema=table_schema)

    def drop_table(self, name: str) -> None:
        """Drop a table if it exists."""
        with self.engine_errors():
            self.con.drop_table(name, force=True)

    def add_column(self, name: str, column: str, dtype: dt.DataType) -> bool:
        """Add ``column`` of type ``dtype`` to table ``name`` unless it has it already.

        Idempotent: returns whether the column was added. The column is always
        nullable (the table's existing rows have no value for it), whatever
        ``dtype.nullable`` says; the import's validation still enforces a
        required column in every bundle.
        """
        if column in self.columns(name):
            return False
        type_sql = self.con.compiler.type_mapper.to_string(dtype.copy(nullable=True))
        self.execute(
            f"ALTER TABLE {quote(name)} ADD COLUMN IF NOT EXISTS {quote(column)} {type_sql}"
        )
        return True

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
        with self.engine_errors():
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
        with self.engine_errors():
            cursor = self.con.con.execute(sql, list(params))
            try:
                rows: list[tuple[Any, ...]] = cursor.fetchall()
            except Exception:  # statements without a result set
                rows = []
        return rows

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one query and return its rows as dicts (storage-internal use only)."""
        with self.engine_errors():
            cursor = self.con.con.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (re-entrant).

        Engine errors raised inside the outermost block (by Ibis expressions
        too, not only by this class) leave it mapped, after the rollback.
        """
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        with self.engine_errors():
            self.execute("BEGIN TRANSACTION")
            self._tx_depth = 1
            try:
                yield
            except BaseException:
                self._tx_depth = 0
                with contextlib.suppress(Exception):  # the error that matters is the first
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
