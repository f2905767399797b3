"""Versioned schema migrations.

Each migration is a small function that moves a workspace from version
``n - 1`` to ``n``; :func:`migrate` runs the ones a workspace has not had yet and
records the new version in ``b2bcx_meta``. Migrations only ever add: a workspace
written by an older b2bcx opens in a newer one with its data intact.

History:

1. the bundle tables (the frozen snapshot :mod:`b2bcx.storage.schema_v1`, never
   the current spec) and ``b2bcx_meta``;
2. ``import_batches`` and ``import_rejects`` (an audit of every import);
3. ``text_scores``, ``text_embeddings`` and ``text_labels`` (text analytics);
4. ``api_tokens`` (hashed) and ``audit_log`` (the REST API and dashboard);
5. ``strategy_answers`` (saved strategy assessments);
6. the bundle tables brought up to the current spec (:func:`add_missing_columns`);
7. ``cases``, ``case_events``, ``alert_state``, ``outbox`` and ``deliveries``
   (the closed loop: :mod:`b2bcx.storage.casestore`);
8. ``web_sessions``: dashboard sessions, revoked at sign-out
   (:mod:`b2bcx.storage.authstore`);
9. ``text_scores.sentences``: a comment's sentences with what each carries
   (:mod:`b2bcx.storage.textstore`);
10. ``web_users``: people who sign in with a password (argon2) or single
    sign-on (:mod:`b2bcx.storage.authstore`).

**A new bundle column needs no migration.** The bundle tables follow
``model/tables.py`` on their own: after the numbered migrations, :func:`migrate`
compares a fingerprint of the spec's columns with the one stored in
``b2bcx_meta`` (``spec_columns``) and, when they differ, adds every spec column
(and table) the workspace lacks, idempotently. Only what is not "add a
nullable column" needs a numbered migration: a new bookkeeping table, a type
change, a data fix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from b2bcx.errors import SchemaMismatchError, SchemaVersionError
from b2bcx.storage import schema
from b2bcx.storage.schema_v1 import v1_schemas

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend


@dataclass(frozen=True)
class Migration:
    """One step of the schema history."""

    version: int
    description: str
    apply: Callable[[Backend], None]


#: The ``b2bcx_meta`` key of the spec fingerprint the bundle tables were last
#: brought up to (:func:`spec_fingerprint`).
SPEC_KEY = "spec_columns"


def spec_fingerprint() -> str:
    """A short hash of every bundle table's columns and types in the current spec."""
    spec = {
        name: [[column, str(dtype)] for column, dtype in table_schema.items()]
        for name, table_schema in sorted(schema.data_schemas().items())
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def missing_columns(backend: Backend) -> list[str]:
    """Spec columns (``table.column``) and tables (``table``) the workspace lacks."""
    stored = set(backend.list_tables())
    missing: list[str] = []
    for name, table_schema in schema.data_schemas().items():
        if name not in stored:
            missing.append(name)
            continue
        have = set(backend.columns(name))
        missing += [f"{name}.{column}" for column in table_schema.names if column not in have]
    return missing


def add_missing_columns(backend: Backend) -> list[str]:
    """Add every spec column (and bundle table) the workspace lacks; returns what was added.

    Idempotent: a column the table already has is left alone, so it is safe on
    a fresh workspace and on one migrated before. Added columns are nullable
    (the rows already stored have no value for them). A column whose *type*
    changed in the spec is not altered: that needs a numbered migration.
    """
    added: list[str] = []
    stored = set(backend.list_tables())
    for name, table_schema in schema.data_schemas().items():
        if name not in stored:
            backend.create_table(name, table_schema)
            added.append(name)
            continue
        have = set(backend.columns(name))  # once per table: reading a schema is slow
        for column, dtype in table_schema.items():
            if column not in have and backend.add_column(name, column, dtype):
                added.append(f"{name}.{column}")
    return added


def sync_spec_columns(backend: Backend) -> list[str]:
    """Bring the bundle tables up to the current spec if its fingerprint changed.

    Cheap when nothing changed (one read of ``b2bcx_meta``); otherwise runs
    :func:`add_missing_columns` and records the new fingerprint, in one
    transaction. Returns what was added.
    """
    fingerprint = spec_fingerprint()
    if backend.get_meta(SPEC_KEY) == fingerprint:
        return []
    with backend.transaction():
        added = add_missing_columns(backend)
        backend.set_meta(SPEC_KEY, fingerprint)
    return added


def _v1_core_tables(backend: Backend) -> None:
    # the frozen v1 schema: a later column reaches the tables through migration 6
    for name, table_schema in v1_schemas().items():
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


def _v6_spec_columns(backend: Backend) -> None:
    add_missing_columns(backend)


def _v7_cases(backend: Backend) -> None:
    from b2bcx.storage import casestore

    casestore.create_tables(backend)


def _v8_web_sessions(backend: Backend) -> None:
    from b2bcx.storage import authstore

    authstore.create_session_table(backend)


def _v9_text_sentences(backend: Backend) -> None:
    from b2bcx.storage import textstore

    textstore.add_sentence_columns(backend)


def _v10_web_users(backend: Backend) -> None:
    from b2bcx.storage import authstore

    authstore.create_users_table(backend)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "bundle tables", _v1_core_tables),
    Migration(2, "import audit: import_batches, import_rejects", _v2_import_audit),
    Migration(3, "text analytics: text_scores, text_embeddings, text_labels", _v3_text),
    Migration(4, "API security: api_tokens (hashed), audit_log", _v4_api_security),
    Migration(5, "saved strategy assessments: strategy_answers", _v5_strategy_answers),
    Migration(6, "bundle tables: every column of the current spec", _v6_spec_columns),
    Migration(7, "closed loop: cases, case_events, alert_state, outbox, deliveries", _v7_cases),
    Migration(8, "dashboard sessions: web_sessions (revoked at sign-out)", _v8_web_sessions),
    Migration(9, "text_scores.sentences: the sentences of each scored comment", _v9_text_sentences),
    Migration(
        10, "people's accounts: web_users (argon2 passwords, single sign-on)", _v10_web_users
    ),
)

#: The schema version this b2bcx writes.
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(backend: Backend) -> int:
    """The schema version recorded in the workspace (0 for an empty database)."""
    if schema.META_TABLE not in backend.list_tables():
        return 0
    value = backend.get_meta("schema_version")
    return int(value) if value is not None else 0


def _too_new(backend: Backend, version: int) -> SchemaVersionError:
    return SchemaVersionError(
        f"the workspace {backend.url} has schema version {version}, but this b2bcx "
        f"only knows versions up to {SCHEMA_VERSION}; upgrade b2bcx "
        "(pip install -U b2bcx) to open it"
    )


def migrate(backend: Backend, *, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring the workspace up to ``target``; returns the versions applied.

    At the full ``target`` (the default) the bundle tables are then brought up
    to the current spec as well (:func:`sync_spec_columns`), so a column added
    to ``model/tables.py`` reaches existing workspaces without a migration.

    Raises
    ------
    SchemaVersionError
        If the workspace is newer than this b2bcx understands.
    """
    version = current_version(backend)
    if version > SCHEMA_VERSION:
        raise _too_new(backend, version)
    if version == 0:
        backend.create_table(schema.META_TABLE, schema.META_SCHEMA)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if version < migration.version <= target:
            with backend.transaction():
                migration.apply(backend)
                backend.set_meta("schema_version", str(migration.version))
            applied.append(migration.version)
    if target >= SCHEMA_VERSION:
        sync_spec_columns(backend)
    return applied


def require_current(backend: Backend) -> None:
    """Check that a workspace opened read-only needs no migration (none can run).

    Raises
    ------
    SchemaVersionError
        If the workspace is newer than this b2bcx understands.
    SchemaMismatchError
        If it is older, or lacks spec columns: open it read-write once.
    """
    if not backend.versioned:
        return
    version = current_version(backend)
    if version > SCHEMA_VERSION:
        raise _too_new(backend, version)
    fix = (
        "a read-only open cannot migrate it: open it once read-write with this b2bcx "
        "(any command that is not read-only, e.g. `b2bcx info`), then read-only again"
    )
    if version < SCHEMA_VERSION:
        what = "is not a b2bcx workspace yet" if version == 0 else f"has schema version {version}"
        raise SchemaMismatchError(
            f"the workspace {backend.url} {what}, and this b2bcx needs version "
            f"{SCHEMA_VERSION}; {fix}"
        )
    if backend.get_meta(SPEC_KEY) != spec_fingerprint():
        missing = missing_columns(backend)
        if missing:
            raise SchemaMismatchError(
                f"the workspace {backend.url} lacks {', '.join(missing[:5])}"
                f"{' and more' if len(missing) > 5 else ''}; {fix}"
            )
