"""The engine seam: URLs, transactions, appends."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.storage import connect, migrate, resolve_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (":memory:", ("duckdb", ":memory:")),
        ("duckdb://:memory:", ("duckdb", ":memory:")),
        ("cx.duckdb", ("duckdb", "cx.duckdb")),
        ("duckdb:///data/cx.duckdb", ("duckdb", "/data/cx.duckdb")),
        ("duckdb://rel/cx.duckdb", ("duckdb", "rel/cx.duckdb")),
    ],
)
def test_resolve_url(url: str, expected: tuple[str, str]) -> None:
    assert resolve_url(url) == expected


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="not available"):
        connect("mysql://host/db")


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        connect(tmp_path / "nope" / "w.duckdb")


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is a folder"):
        connect(tmp_path)


def test_transaction_rolls_back_everything() -> None:
    backend = connect(":memory:")
    migrate(backend)
    with pytest.raises(RuntimeError), backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
        with backend.transaction():  # nested: joins the outer transaction
            backend.append("accounts", pa.table({"account_id": ["A2"]}))
        raise RuntimeError("boom")
    assert backend.table("accounts").count().execute() == 0
    with backend.transaction():
        backend.append("accounts", pa.table({"account_id": ["A1"]}))
    assert backend.table("accounts").count().execute() == 1


def test_list_tables_hides_ibis_temporaries() -> None:
    backend = connect(":memory:")
    migrate(backend)
    backend.con.insert("accounts", pa.table({"account_id": ["X"]}))  # registers a memtable
    assert not [t for t in backend.list_tables() if t.startswith("ibis_")]


def test_unknown_table_is_not_found() -> None:
    backend = connect(":memory:")
    with pytest.raises(NotFound, match="no table"):
        backend.table("nope")
