"""Versioned schema migrations.

Each migration is a small function that moves a workspace from version
``n - 1`` to ``n``; :func:`migrate` runs the ones a workspace has not had yet and
records the new version in ``b2bcx_meta``. Migrations only ever add: a workspace
written by an older b2bcx opens in a newer one with its data intact.

History:

1. the bundle tables and ``b2bcx_meta``;
2. ``import_batches`` and ``import_rejects`` (an audit of every import);
3. ``text_scores``, ``text_embeddings`` and ``text_labels`` (text analytics);
4. ``api_tokens`` (hashed) and ``audit_log`` (the REST API and dashboard);
5. ``strategy_answers`` (saved strategy assessments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from b2bcx.errors import SchemaVersionError
from b2bcx.storage import schema

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend


@dataclass(frozen=True)
class Migration:
    """One step of the schema history."""

    version: int
    description: str
    apply: Callable[[Backend], None]


def _v1_core_tables(backend: Backend) -> None:
    for name, table_schema in schema.data_schemas().items():
        backend.create_table(name, table_schema)


def _v2_import_audit(backend: Backend) -> None:
    backend.create_table(schema.BATCHES_TABLE, schema.BATCHES_SCHEMA)
    backend.create_table(schema.REJECTS_TABLE, schema.REJECTS_SCHEMA)


def _v3_text(backend: Backend) -> None:
    backend.create_table(schema.TEXT_SCORES_TABLE, schema.TEXT_SCORES_SCHEMA)
    backend.create_table(schema.TEXT_EMBEDDINGS_TABLE, schema.TEXT_EMBEDDINGS_SCHEMA)
    backend.create_table(schema.TEXT_LABELS_TABLE, schema.TEXT_LABELS_SCHEMA)


def _v4_api_security(backend: Backend) -> None:
    from b2bcx.storage import authstore

    authstore.create_tables(backend)


def _v5_strategy_answers(backend: Backend) -> None:
    from b2bcx.storage import strategystore

    strategystore.create_tables(backend)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "bundle tables", _v1_core_tables),
    Migration(2, "import audit: import_batches, import_rejects", _v2_import_audit),
    Migration(3, "text analytics: text_scores, text_embeddings, text_labels", _v3_text),
    Migration(4, "API security: api_tokens (hashed), audit_log", _v4_api_security),
    Migration(5, "saved strategy assessments: strategy_answers", _v5_strategy_answers),
)

#: The schema version this b2bcx writes.
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(backend: Backend) -> int:
    """The schema version recorded in the workspace (0 for an empty database)."""
    if schema.META_TABLE not in backend.list_tables():
        return 0
    value = backend.get_meta("schema_version")
    return int(value) if value is not None else 0


def migrate(backend: Backend, *, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring the workspace up to ``target``; returns the versions applied.

    Raises
    ------
    SchemaVersionError
        If the workspace is newer than this b2bcx understands.
    """
    version = current_version(backend)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the workspace {backend.url} has schema version {version}, but this b2bcx "
            f"only knows versions up to {SCHEMA_VERSION}; upgrade b2bcx "
            "(pip install -U b2bcx) to open it"
        )
    if version == 0:
        backend.create_table(schema.META_TABLE, schema.META_SCHEMA)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if version < migration.version <= target:
            with backend.transaction():
                migration.apply(backend)
                backend.set_meta("schema_version", str(migration.version))
            applied.append(migration.version)
    return applied
