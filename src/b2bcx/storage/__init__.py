"""Storage: the engine seam (:class:`Backend`), the schema and its migrations."""

from b2bcx.storage.backend import Backend, quote
from b2bcx.storage.connect import connect, resolve_url
from b2bcx.storage.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    current_version,
    migrate,
    require_current,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Backend",
    "connect",
    "current_version",
    "migrate",
    "quote",
    "require_current",
    "resolve_url",
]
