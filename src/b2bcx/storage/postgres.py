"""PostgreSQL: a workspace on a shared server, written by several processes at once.

Everything analytical is the same Ibis code as on DuckDB; this module only
overrides what the driver or the SQL dialect does differently:

- parameters: b2bcx's storage SQL uses ``?`` placeholders; psycopg wants ``%s``;
- bulk loads: Arrow batches go in through ``COPY … FROM STDIN`` (CSV), not
  row-by-row inserts;
- transactions: psycopg's transaction block, and every write transaction first
  takes one transaction-scoped advisory lock of the workspace
  (``pg_advisory_xact_lock``). Writers are therefore serialized — an import's
  merge sees every row committed before it, so concurrent imports neither lose
  nor duplicate rows — while readers never wait (MVCC) and each sees an
  import entirely or not at all. Validation and staging, the slow part of an
  import, still run in parallel: they use session-private temporary tables.

>>> from b2bcx.storage.postgres import redact_url
>>> redact_url("postgresql://cx:secret@db.example:5432/cx")
'postgresql://cx:***@db.example:5432/cx'
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from b2bcx.errors import ConfigurationError
from b2bcx.storage.backend import Backend, quote
from b2bcx.storage.engine_errors import map_engine_errors

#: The advisory lock every write transaction of a workspace holds (an arbitrary
#: constant; advisory locks are scoped to one database, i.e. one workspace).
WRITE_LOCK_KEY = 0x62326278  # "b2bx"

#: Rows per ``COPY`` chunk: bounds the memory of one CSV buffer.
_COPY_ROWS = 200_000


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (safe to print and store)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _placeholders(sql: str) -> str:
    """DuckDB-style ``?`` placeholders as psycopg's ``%s`` (``%`` escaped)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _pg_array_text(values: list[Any] | None) -> str | None:
    """A Python list as a PostgreSQL array literal (``{"a","b"}``)."""
    if values is None:
        return None
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        else:
            text = str(v).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"


def _copyable(data: pa.Table) -> pa.Table:
    """``data`` with list columns as array literals, so pyarrow can write it as CSV."""
    for i, field in enumerate(data.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            text = pa.array([_pg_array_text(v) for v in data.column(i).to_pylist()], pa.string())
            data = data.set_column(i, field.name, text)
    return data


class PostgresBackend(Backend):
    """A workspace in a PostgreSQL database (see the module docstring)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement (``?`` placeholders) and return its rows."""
        with self.engine_errors(), self.con.con.cursor() as cursor:
            if params:
                cursor.execute(_placeholders(sql), list(params))
            else:
                cursor.execute(sql)
            rows: list[tuple[Any, ...]] = cursor.fetchall() if cursor.description else []
        return rows

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one query and return its rows as dicts."""
        with self.engine_errors(), self.con.con.cursor() as cursor:
            cursor.execute(_placeholders(sql) if params else sql, list(params) or None)
            names = [d.name for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def load_arrow(self, name: str, data: pa.Table) -> None:
        """``COPY`` the Arrow rows into ``name`` as CSV, in bounded chunks."""
        if data.num_rows == 0:
            return
        cols = ", ".join(quote(c) for c in data.column_names)
        sql = f"COPY {quote(name)} ({cols}) FROM STDIN (FORMAT csv)"
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with self.engine_errors(), self.con.con.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, data.num_rows, _COPY_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(
                    _copyable(data.slice(start, _COPY_ROWS)), buffer, write_options=options
                )
                copy.write(buffer.getvalue())

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; one writer at a time.

        Re-entrant (an inner block joins the outer transaction). The outermost
        block waits for the workspace's write lock before running its body;
        engine errors raised inside it leave it mapped, after the rollback.
        """
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        with self.engine_errors(), self.con.con.transaction():
            self.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            self._tx_depth = 1
            try:
                yield
            finally:
                self._tx_depth = 0


def connect_postgres(url: str, *, read_only: bool = False) -> PostgresBackend:
    """Connect to the PostgreSQL database named by ``url``.

    ``postgresql://user[:password]@host[:port]/database[?option=value…]``; the
    options (e.g. ``sslmode=require``) go to libpq as they are. The password
    may also come from ``PGPASSWORD`` or ``~/.pgpass``, as for ``psql``.
    ``read_only`` marks the backend read-only (no migrations run); the
    connection itself is not restricted: give the user SELECT-only grants to
    enforce it on the server.
    """
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ConfigurationError(
            f"PostgreSQL workspace URL {redact_url(url)!r} names no database; "
            "use postgresql://user@host:5432/database"
        )
    kwargs: dict[str, Any] = dict(parse_qsl(parts.query))
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    with map_engine_errors(url=redact_url(url), read_only=read_only):
        con = ibis.postgres.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            database=database,
            **kwargs,
        )
    return PostgresBackend(con, url=redact_url(url), kind="postgres", read_only=read_only)


__all__ = ["WRITE_LOCK_KEY", "PostgresBackend", "connect_postgres", "redact_url"]
