"""Engine errors mapped where they enter: DuckDB, psycopg and Spark → ``WorkspaceError``.

Like httpx's ``map_exceptions``, the storage seam runs every engine call inside
:func:`map_engine_errors`, so no raw ``duckdb.BinderException`` or
``psycopg.OperationalError`` reaches the CLI, the API or a notebook. Each
mapped error says what happened in plain words and what to do; the engine's
exception stays attached as ``__cause__``.

Analyses run Ibis expressions themselves (``expr.execute()``); those calls
enter the engine through the Ibis connection's query methods, which
:func:`guard_queries` wraps for each workspace connection, so they are mapped
too.

Only the engines' own exceptions are mapped (recognised by the module that
defines them); b2bcx's errors and Python's (a bug is a bug) pass unchanged.

>>> class BinderException(Exception): ...
>>> BinderException.__module__ = "_duckdb"
>>> err = translate(BinderException('Referenced column "region" not found'), url="cx.duckdb")
>>> type(err).__name__
'SchemaMismatchError'
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from b2bcx.errors import (
    B2bcxError,
    EngineError,
    EngineUnavailable,
    SchemaMismatchError,
    WorkspaceError,
    WorkspaceLocked,
    WorkspaceReadOnly,
)

#: Where a process's command line is (Linux); a test may point it elsewhere.
PROC = Path("/proc")

_PID = re.compile(r"\(PID (\d+)\)")
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID \d+\)")
_MISSING_COLUMN = re.compile(
    r'Referenced column "?([^"\s]+)"? not found|column "?([^"\s]+)"? does not exist'
    r'|does not have a column named "([^"]+)"'
    r"|UNRESOLVED_COLUMN[^`]*`([^`]+)`"
)
_MISSING_TABLE = re.compile(
    r'Table with name "?([^"\s]+)"? does not exist|relation "([^"]+)" does not exist'
    r"|TABLE_OR_VIEW_NOT_FOUND[^`]*`([^`]+)`"
)

_MIGRATE_FIX = (
    "it was written by another version of b2bcx and not migrated: open it once "
    "read-write with this version (any command that is not read-only, e.g. "
    "`b2bcx info`) so the migrations add what is missing"
)


def _engine(exc: BaseException) -> str | None:
    """Which engine raised ``exc`` (``duckdb``, ``postgres``, ``spark``), if any."""
    for cls in type(exc).__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in ("duckdb", "_duckdb"):
            return "duckdb"
        if root == "psycopg":
            return "postgres"
        if root in ("pyspark", "py4j"):
            return "spark"
    return None


def _names(exc: BaseException) -> set[str]:
    """The class names of ``exc`` and its bases (engines checked without importing them)."""
    return {cls.__name__ for cls in type(exc).__mro__}


def _group(match: re.Match[str] | None) -> str:
    """The first group ``match`` captured."""
    return next((g for g in match.groups() if g), "?") if match else "?"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def process_command(pid: int) -> str | None:
    """The command line of process ``pid`` (from ``/proc``), or ``None`` if unknown."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    words = raw.decode(errors="replace").replace("\0", " ").split()
    return " ".join(words) or None


def _short(command: str, limit: int = 160) -> str:
    return command if len(command) <= limit else command[: limit - 3] + "..."


def lock_error(exc: BaseException, *, url: str, read_only: bool) -> WorkspaceLocked:
    """The :class:`WorkspaceLocked` for DuckDB's "Could not set lock on file" error.

    Names the process that holds the file (DuckDB gives its PID; its command
    line comes from ``/proc``) and says what to do, which depends on whether
    that process reads or writes and whether this one wanted to write.
    """
    text = str(exc)
    match = _PID.search(text)
    pid = int(match.group(1)) if match else None
    command = process_command(pid) if pid is not None else None
    if command is None:
        holder = _HOLDER.search(text)
        program = holder.group(1) if holder else None
    else:
        program = _short(command)
    if pid is None:
        who = "another process"
    elif pid == os.getpid():
        who = f"this process (PID {pid})"
    else:
        who = f"process {pid}" + (f" ({program})" if program else "")
        if command is None:
            who += " [not visible here: it may run in another container or on another machine]"
    holder_reads = "read-only mode" in text  # DuckDB adds the hint only for a reading holder
    words = command.split() if command is not None else []
    # `b2bcx serve`, or `b2bcx demo` (which ends by serving unless --no-serve)
    is_server = any("b2bcx" in w for w in words) and (
        "serve" in words or ("demo" in words and "--no-serve" not in words)
    )
    if holder_reads and not read_only:
        fix = (
            f"{who} has it open read-only, and DuckDB lets nobody write while anyone reads. "
            "Stop that process and retry, or open the workspace read-only as well "
            "(read_only=True) if you only need to read"
        )
    else:
        fix = (
            f"{who} has it open for writing, and DuckDB then lets no other process open "
            "the file, not even read-only. "
            + (
                "It is a b2bcx server: use its API or dashboard instead, or stop it and retry"
                if is_server
                else "Stop that process and retry; if it is a `b2bcx serve`, use the "
                "server's API or dashboard instead"
            )
        )
    return WorkspaceLocked(f"the workspace {url} is in use: {fix}.", pid=pid, command=command)


def translate(exc: BaseException, *, url: str, read_only: bool = False) -> WorkspaceError | None:
    """The :class:`~b2bcx.errors.WorkspaceError` for an engine exception, or ``None``.

    ``None`` means ``exc`` is not an engine error (or is already b2bcx's own):
    the caller re-raises it unchanged.
    """
    if isinstance(exc, B2bcxError):
        return None
    engine = _engine(exc)
    if engine is None:
        return None
    text = str(exc)
    names = _names(exc)
    first = _first_line(exc)
    if engine == "duckdb" and "Could not set lock on file" in text:
        return lock_error(exc, url=url, read_only=read_only)
    if "attached in read-only mode" in text or "ReadOnlySqlTransaction" in names:
        return WorkspaceReadOnly(
            f"the workspace {url} is open read-only, so it cannot be written; open it "
            "without read-only to import, migrate or save"
        )
    if "different configuration than existing connections" in text:
        return WorkspaceError(
            f"the workspace {url} is already open in this process with other settings "
            "(read-only or not, memory limit); close the other Workspace first"
        )
    column = _MISSING_COLUMN.search(text)
    table = _MISSING_TABLE.search(text)
    if (
        names & {"BinderException", "CatalogException", "UndefinedColumn", "UndefinedTable"}
        or "AnalysisException" in names
    ) and (column or table):
        what = f"column {_group(column)!r}" if column else f"table {_group(table)!r}"
        return SchemaMismatchError(f"the workspace {url} has no {what}: {_MIGRATE_FIX}.")
    if engine == "duckdb":
        if "OutOfMemoryException" in names:
            return EngineError(
                f"DuckDB ran out of memory on the workspace {url} ({first}); raise "
                "B2BCX_DUCKDB_MEMORY_LIMIT, or free memory on this machine"
            )
        if "Connection already closed" in text:
            return EngineError(f"the workspace {url} is closed; open it again")
        if "TransactionException" in names:
            return EngineError(
                f"a write to the workspace {url} conflicted with another one ({first}); retry"
            )
        return EngineError(f"DuckDB failed on the workspace {url}: {first}")
    if engine == "postgres":
        if "TransactionRollback" in names or "QueryCanceled" in names:
            return EngineError(
                f"PostgreSQL stopped a statement on the workspace {url} ({first}); retry"
            )
        if names & {"OperationalError", "InterfaceError"}:
            return EngineUnavailable(
                f"cannot connect to the PostgreSQL workspace {url} ({first}); check that "
                "the server runs and the URL, user and password (PGPASSWORD or ~/.pgpass) "
                "are right"
            )
        if "InsufficientPrivilege" in names:
            return EngineError(
                f"the PostgreSQL user of the workspace {url} may not do this ({first}); "
                "ask the database owner for the grants"
            )
        return EngineError(f"PostgreSQL failed on the workspace {url}: {first}")
    if "Py4JNetworkError" in names or ("Py4JError" in names and "SparkContext" in text):
        return EngineUnavailable(
            f"the Spark session of the workspace {url} is gone ({first}); open the workspace again"
        )
    return EngineError(f"Spark failed on the workspace {url}: {first}")


@contextlib.contextmanager
def map_engine_errors(*, url: str, read_only: bool = False) -> Iterator[None]:
    """Re-raise engine exceptions raised inside as :class:`~b2bcx.errors.WorkspaceError`.

    Parameters
    ----------
    url:
        The workspace, named in the message (passwords already redacted).
    read_only:
        Whether the workspace was opened read-only (changes the advice for a
        locked DuckDB file).
    """
    try:
        yield
    except Exception as exc:
        mapped = translate(exc, url=url, read_only=read_only)
        if mapped is None:
            raise
        raise mapped from exc


#: The Ibis connection methods that run a query (``expr.execute()`` and
#: ``expr.to_pyarrow()`` call them); :func:`guard_queries` maps their errors.
QUERY_METHODS = ("execute", "to_pyarrow", "to_pyarrow_batches", "to_pandas")


def guard_queries(con: Any, *, url: str, read_only: bool = False) -> None:
    """Map the engine errors of every query run on the Ibis connection ``con``.

    Wraps :data:`QUERY_METHODS` on this one connection object (not the Ibis
    class), so an analysis's own ``expr.execute()`` raises a
    :class:`~b2bcx.errors.WorkspaceError` subclass like the seam's methods do.
    Idempotent.
    """
    for name in QUERY_METHODS:
        method = getattr(con, name, None)
        if method is None or getattr(method, "_b2bcx_mapped", False):
            continue
        setattr(con, name, _mapped(method, url=url, read_only=read_only))


def _mapped(method: Callable[..., Any], *, url: str, read_only: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with map_engine_errors(url=url, read_only=read_only):
            return method(*args, **kwargs)

    call._b2bcx_mapped = True  # type: ignore[attr-defined]
    return call


__all__ = [
    "PROC",
    "QUERY_METHODS",
    "guard_queries",
    "lock_error",
    "map_engine_errors",
    "process_command",
    "translate",
]
