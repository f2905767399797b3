"""Schema versioning: a workspace made by an older b2bcx opens in this one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import b2bcx
from b2bcx.errors import SchemaVersionError
from b2bcx.storage import SCHEMA_VERSION, connect, current_version, migrate
from b2bcx.storage.schema import BATCHES_TABLE, REJECTS_TABLE


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
