"""Every exception b2bcx raises, in one place.

The tree::

    B2bcxError                         base of everything b2bcx raises
    ├── ConfigurationError (ValueError) a setting or option is invalid
    ├── WorkspaceError                  the workspace cannot be opened or used
    │   └── SchemaVersionError          the workspace was written by a newer b2bcx
    ├── NotFound (LookupError)          a table, file, account, ... does not exist
    ├── BundleError (ValueError)        a bundle or mapping cannot be read at all
    │   ├── EncodingError               a file is not in a readable text encoding
    │   └── MappingError                a mapping file is invalid
    └── DataRejected                    rows failed validation; nothing was committed

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


class NotFound(B2bcxError, LookupError):
    """Something that was asked for does not exist."""


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
