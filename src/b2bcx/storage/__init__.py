"""Storage: the engine seam (:class:`Backend`), the schema and its migrations."""

from b2bcx.storage.backend import Backend, connect, quote, resolve_url
from b2bcx.storage.migrations import MIGRATIONS, SCHEMA_VERSION, current_version, migrate

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Backend",
    "connect",
    "current_version",
    "migrate",
    "quote",
    "resolve_url",
]
