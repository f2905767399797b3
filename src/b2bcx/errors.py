"""Every exception b2bcx raises, in one place.

The tree::

    B2bcxError                         base of everything b2bcx raises
    ├── ConfigurationError (ValueError) a setting or option is invalid
    ├── WorkspaceError                  the workspace cannot be opened or used
    │   ├── SchemaVersionError          the workspace was written by a newer b2bcx
    │   ├── SchemaMismatchError         a stored table lacks a table or column b2bcx expects
    │   ├── WorkspaceLocked             another process holds the DuckDB file (named)
    │   ├── WorkspaceReadOnly           a write on a workspace opened read-only (or Spark)
    │   ├── EngineUnavailable           the database server cannot be reached or logged into
    │   └── EngineError                 any other failure of the database engine
    ├── NotFound (LookupError)          a table, file, account, ... does not exist
    ├── NotAvailable                    a result cannot be given from this workspace (yet)
    ├── BundleError (ValueError)        a bundle or mapping cannot be read at all
    │   ├── EncodingError               a file is not in a readable text encoding
    │   └── MappingError                a mapping file is invalid
    └── DataRejected                    rows failed validation; nothing was committed

Errors of the database engines (DuckDB, psycopg, Spark) never escape raw: the
storage seam (:mod:`b2bcx.storage.engine_errors`) turns them into the
``WorkspaceError`` subclasses above, each with a plain message and the fix.

The core never raises HTTP errors and never prints; the CLI maps these to exit
codes (see :mod:`b2bcx.cli.errors`) and the API to one error envelope.
"""

from __future__ import annotations

from pathlib import Path


class B2bcxError(Exception):
    """Base class of every error b2bcx raises on purpose."""


class ConfigurationError(B2bcxError, ValueError):
    """A setting, option or argument has an invalid value."""


class WorkspaceError(B2bcxError):
    """The workspace cannot be opened, migrated or written."""


class SchemaVersionError(WorkspaceError):
    """The workspace was written by a newer version of b2bcx than this one."""


class SchemaMismatchError(WorkspaceError):
    """A stored table lacks a table or column this b2bcx expects.

    The workspace was written by another b2bcx version and not migrated yet:
    opening it read-write once (any command that is not read-only) runs the
    migrations that add what is missing.
    """


class WorkspaceLocked(WorkspaceError):
    """Another process holds the workspace's DuckDB file.

    DuckDB lets one process write a file, or several processes read it, never
    both at once.

    Parameters
    ----------
    message:
        What happened and what to do.
    pid:
        The process holding the file, when the engine said so.
    command:
        That process's command line, when it could be looked up.
    """

    def __init__(self, message: str, *, pid: int | None = None, command: str | None = None) -> None:
        super().__init__(message)
        self.pid = pid
        self.command = command


class WorkspaceReadOnly(WorkspaceError):
    """A write was attempted on a workspace opened read-only, or on Spark."""


class EngineUnavailable(WorkspaceError):
    """The database server cannot be reached, or refused the connection."""


class EngineError(WorkspaceError):
    """The database engine failed in a way b2bcx has no specific advice for.

    The message carries the engine's own text; the original exception is the
    ``__cause__``.
    """


class NotFound(B2bcxError, LookupError):
    """Something that was asked for does not exist."""


class NotAvailable(B2bcxError):
    """A result cannot be given from the workspace (yet), and the message says why:
    e.g. no comment analysed, or too little data for the analysis."""


class BundleError(B2bcxError, ValueError):
    """A bundle (or one of its files) cannot be read at all.

    Row-level problems are not raised one by one: they become rejects, and
    :class:`DataRejected` reports them together.
    """


class EncodingError(BundleError):
    """A file is not valid UTF-8 and its encoding could not be detected safely."""


class MappingError(BundleError):
    """A mapping file is invalid (unknown table, column or operation)."""


class DataRejected(B2bcxError):
    """Rows failed validation, so the import committed nothing.

    Parameters
    ----------
    message:
        A one-paragraph summary naming the first problems.
    n_rejected:
        How many rows were rejected.
    rejects_path:
        Where every rejected row was written with its reason.
    """

    def __init__(self, message: str, *, n_rejected: int, rejects_path: Path | None) -> None:
        super().__init__(message)
        self.n_rejected = n_rejected
        self.rejects_path = rejects_path
