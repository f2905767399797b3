"""Workspace URLs → the engine behind them: :func:`connect` and :func:`resolve_url`.

The one module that knows every engine. It imports the DuckDB seam
(:mod:`b2bcx.storage.backend`) and the PostgreSQL and Spark subclasses, none of
which import it back, so the storage package has no import cycle.
"""

from __future__ import annotations

from pathlib import Path

import ibis

from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.storage.backend import Backend
from b2bcx.storage.engine_errors import map_engine_errors
from b2bcx.storage.postgres import connect_postgres
from b2bcx.storage.spark import connect_spark


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


def connect(
    url: str | Path, *, memory_limit: str | None = None, read_only: bool = False
) -> Backend:
    """Open (and create if needed) the database behind a workspace URL.

    Parameters
    ----------
    url:
        The workspace URL (see :mod:`b2bcx.storage.backend` for the forms).
    memory_limit:
        Caps the embedded engine's memory (e.g. ``"3GB"``); past it, DuckDB
        spills to a temporary folder on disk instead of growing. DuckDB only
        (PostgreSQL and Spark are sized by their own configuration).
    read_only:
        Open without the right to write. DuckDB opens the file read-only: it
        must exist, several read-only processes may share it, and no process
        may hold it for writing meanwhile (DuckDB refuses both read-only and
        read-write opens then; the error names the process that holds it).
        PostgreSQL: the connection is not restricted (readers never block
        writers there), but no migration runs. Spark is always read-only.

    Raises
    ------
    WorkspaceLocked
        If another process holds the DuckDB file (named, with what to do).
    EngineUnavailable
        If the PostgreSQL server cannot be reached or refuses the login.
    NotFound
        If the folder of a DuckDB file does not exist, or a read-only
        workspace file does not exist.
    """
    kind, location = resolve_url(url)
    if kind == "postgres":
        return connect_postgres(location, read_only=read_only)
    if kind == "spark":
        return connect_spark(location)
    if kind == "duckdb":
        return _connect_duckdb(location, memory_limit=memory_limit, read_only=read_only)
    raise ConfigurationError(f"unsupported workspace URL {url!r}")  # pragma: no cover


def _connect_duckdb(location: str, *, memory_limit: str | None, read_only: bool) -> Backend:
    if location == ":memory:":
        if read_only:
            raise ConfigurationError(
                "an in-memory workspace cannot be opened read-only (it starts empty); "
                "drop read-only or name a workspace file"
            )
    else:
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
        if read_only and not path.exists():
            raise NotFound(
                f"the workspace {location!r} does not exist (a read-only open does not "
                "create it); import a bundle into it first"
            )
    with map_engine_errors(url=location, read_only=read_only):
        con = (
            ibis.duckdb.connect(location, read_only=True)
            if read_only
            else ibis.duckdb.connect(location)
        )
    if memory_limit:
        try:
            con.con.execute(f"SET memory_limit = '{memory_limit}'")
        except Exception as exc:
            con.disconnect()
            raise ConfigurationError(
                f"memory limit {memory_limit!r} is not valid (use e.g. 3GB or 512MB): {exc}"
            ) from exc
    return Backend(con, url=location, kind="duckdb", read_only=read_only)


__all__ = ["connect", "resolve_url"]
