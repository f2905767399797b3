"""Schema versioning: a workspace made by an older b2bcx opens in this one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ibis.expr.datatypes as dt
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.errors import SchemaVersionError
from b2bcx.model.tables import TABLES, Column, Kind, TableSpec
from b2bcx.storage import SCHEMA_VERSION, connect, current_version, migrate
from b2bcx.storage.migrations import (
    SPEC_KEY,
    add_missing_columns,
    missing_columns,
    spec_fingerprint,
    sync_spec_columns,
)
from b2bcx.storage.schema import BATCHES_TABLE, REJECTS_TABLE, data_schemas
from b2bcx.storage.schema_v1 import v1_schemas


def test_new_workspace_has_current_version(tmp_path: Path) -> None:
    with b2bcx.open_workspace(tmp_path / "w.duckdb") as ws:
        assert current_version(ws.backend) == SCHEMA_VERSION
        assert ws.info().schema_version == SCHEMA_VERSION


def test_version_1_workspace_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    # Build a workspace as b2bcx schema version 1 wrote it, with data in it.
    old = connect(path)
    assert migrate(old, target=1) == [1]
    old.append("accounts", pa.table({"account_id": ["A1", "A2"], "name": ["Acme", "Bolt"]}))
    assert BATCHES_TABLE not in old.list_tables()
    old.close()

    with b2bcx.open_workspace(path) as ws:
        assert current_version(ws.backend) == SCHEMA_VERSION
        tables = ws.backend.list_tables()
        assert BATCHES_TABLE in tables and REJECTS_TABLE in tables
        names = ws.table("accounts").order_by("account_id").name.execute().tolist()
        assert names == ["Acme", "Bolt"]


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    backend = connect(tmp_path / "w.duckdb")
    assert migrate(backend) == list(range(1, SCHEMA_VERSION + 1))
    assert migrate(backend) == []
    backend.close()


def test_newer_workspace_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    backend = connect(path)
    migrate(backend)
    backend.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    backend.close()
    with pytest.raises(SchemaVersionError, match="upgrade b2bcx"):
        b2bcx.open_workspace(path)


# -- schema growth: frozen v1, add_column, the spec sync -----------------------------
def _stored_as(dtype: dt.DataType) -> dt.DataType:
    """``dtype`` as declared: DuckDB reports ``TIMESTAMP`` back with its scale (6)."""
    if dtype.is_timestamp():
        return dt.Timestamp(nullable=dtype.nullable)
    return dtype


def test_migration_1_creates_the_frozen_v1_tables_not_the_current_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = TABLES["interactions"]
    future = Column("channel_detail", Kind.TEXT)
    monkeypatch.setitem(
        TABLES, "interactions", dataclasses.replace(spec, columns=(*spec.columns, future))
    )
    backend = connect(":memory:")
    migrate(backend, target=1)
    expected = v1_schemas()
    assert sorted(t for t in backend.list_tables() if t in TABLES) == sorted(expected)
    for name, table_schema in expected.items():
        stored = backend.table(name).schema()
        assert stored.names == table_schema.names, name
        for column, dtype in table_schema.items():
            assert _stored_as(stored[column]) == dtype, f"{name}.{column}"  # type, NOT NULL
    assert "channel_detail" not in backend.columns("interactions")
    assert migrate(backend) == list(range(2, SCHEMA_VERSION + 1))
    assert backend.columns("interactions")[-1] == "channel_detail"


@pytest.mark.parametrize(
    "dtype",
    [dt.string, dt.int64, dt.float64, dt.date, dt.timestamp, dt.boolean, dt.Array(dt.string)],
    ids=str,
)
def test_add_column_is_idempotent_and_keeps_the_type(dtype: dt.DataType) -> None:
    backend = connect(":memory:")
    migrate(backend)
    backend.append("accounts", pa.table({"account_id": ["A1"]}))
    assert backend.add_column("accounts", "extra", dtype.copy(nullable=False)) is True
    assert backend.add_column("accounts", "extra", dtype) is False
    stored = backend.table("accounts").schema()["extra"]
    assert _stored_as(stored) == dtype.copy(nullable=True)  # nullable: old rows have no value
    assert backend.execute('SELECT "extra" FROM accounts') == [(None,)]


def test_the_spec_sync_runs_only_when_the_spec_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = connect(":memory:")
    migrate(backend)
    assert backend.get_meta(SPEC_KEY) == spec_fingerprint()
    assert sync_spec_columns(backend) == []

    spec = TABLES["goals"]
    extra = Column("asked_by", Kind.TEXT)
    monkeypatch.setitem(TABLES, "goals", dataclasses.replace(spec, columns=(*spec.columns, extra)))
    assert missing_columns(backend) == ["goals.asked_by"]
    assert sync_spec_columns(backend) == ["goals.asked_by"]
    assert sync_spec_columns(backend) == []  # fingerprint recorded
    backend.execute(f"DELETE FROM b2bcx_meta WHERE key = '{SPEC_KEY}'")
    assert sync_spec_columns(backend) == []  # no fingerprint: checked, nothing missing
    assert add_missing_columns(backend) == []


def test_a_bundle_table_new_to_the_spec_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = connect(":memory:")
    migrate(backend)
    new = TableSpec("contracts", (Column("contract_id", Kind.ID, required=True),), ("contract_id",))
    monkeypatch.setitem(TABLES, "contracts", new)
    assert sync_spec_columns(backend) == ["contracts"]
    assert backend.columns("contracts") == ["contract_id", "attributes", "_batch_id"]


def test_the_v1_snapshot_matches_the_spec_where_migration_1_was_introduced() -> None:
    # The columns of TABLES were unchanged from commit 61bab39 (migration 1) to the
    # freeze, so today every v1 column still has its v1 type in the spec. A column
    # may be added later; none may disappear or change type without a migration.
    for name, table_schema in v1_schemas().items():
        current = data_schemas()[name]
        for column, dtype in table_schema.items():
            assert current[column] == dtype, f"{name}.{column}"
