"""Schema growth on DuckDB and PostgreSQL: old workspaces take today's (and tomorrow's) bundles.

A workspace built from the frozen v1 schema, with data in it, is opened by this
b2bcx and takes a bundle with today's columns; a column added to ``TABLES``
later (simulated by monkeypatching the spec) reaches an existing workspace
through the migrations, without a hand-written migration.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from pgcluster import PgCluster

import b2bcx
from b2bcx.errors import SchemaMismatchError
from b2bcx.model.tables import TABLES, Column, Kind
from b2bcx.storage import SCHEMA_VERSION, connect, current_version, migrate
from b2bcx.storage.migrations import SPEC_KEY, missing_columns, spec_fingerprint
from b2bcx.storage.schema import column_dtype, data_schemas
from b2bcx.storage.schema_v1 import V1_COLUMNS

sys.path.insert(0, str(Path(__file__).parents[1] / "bundle"))
from load_bundles import BASE, write_bundle

_COUNTER = iter(range(1_000_000))

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.slow]),
]


@pytest.fixture(params=ENGINES)
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on each engine."""
    if request.param == "duckdb":
        yield str(tmp_path / "w.duckdb")
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        yield cluster.create_database(f"growth{next(_COUNTER)}")


def _stored(url: str) -> dict[str, list[str]]:
    backend = connect(url)
    try:
        return {name: backend.columns(name) for name in TABLES}
    finally:
        backend.close()


def _build_v1(url: str) -> None:
    """A workspace exactly as schema version 1 left it, with two accounts in it."""
    old = connect(url)
    assert migrate(old, target=1) == [1]
    old.append("accounts", pa.table({"account_id": ["A1", "OLD"], "name": ["Acme", "Oldco"]}))
    old.close()


def test_v1_workspace_with_data_takes_todays_bundle(new_url: str, tmp_path: Path) -> None:
    _build_v1(new_url)
    assert _stored(new_url) == {name: list(cols) for name, cols in V1_COLUMNS.items()}

    with b2bcx.open_workspace(new_url) as ws:
        assert current_version(ws.backend) == SCHEMA_VERSION
        result = ws.import_bundle(write_bundle(tmp_path / "bundle"))
        assert result.tables["interactions"].inserted == 3
        accounts = ws.backend.to_arrow(ws.table("accounts").order_by("account_id")).to_pylist()
    # the v1 row the bundle does not mention is intact; A1 was updated by the bundle
    assert [(a["account_id"], a["name"]) for a in accounts] == [
        ("A1", "Acme Mills"),
        ("A2", "Bolt Mining"),
        ("OLD", "Oldco"),
    ]
    for name, table_schema in data_schemas().items():
        assert set(table_schema.names) <= set(_stored(new_url)[name]), name


_REGION = Column("region", Kind.TEXT, doc="sales region (a column from the future)")
_REGION_DTYPE = column_dtype(_REGION)


@pytest.fixture
def future_column(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``accounts.region`` added to the spec, as a newer b2bcx would have it."""
    spec = TABLES["accounts"]
    monkeypatch.setitem(
        TABLES, "accounts", dataclasses.replace(spec, columns=(*spec.columns, _REGION))
    )
    yield


def _region_bundle(tmp_path: Path) -> Path:
    accounts = BASE["accounts"].splitlines()
    lines = [accounts[0] + ",region"] + [f"{row},north" for row in accounts[1:]]
    return write_bundle(tmp_path / "future", accounts="\n".join(lines) + "\n")


def test_a_future_column_reaches_an_existing_workspace(
    new_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review's 9c case: before this fix, a raw DuckDB BinderException."""
    # a workspace of today, with data
    with b2bcx.open_workspace(new_url) as ws:
        ws.import_bundle(write_bundle(tmp_path / "today"))
    before = spec_fingerprint()

    spec = TABLES["accounts"]
    monkeypatch.setitem(
        TABLES, "accounts", dataclasses.replace(spec, columns=(*spec.columns, _REGION))
    )
    assert spec_fingerprint() != before

    # without the migrations, the stored table lacks the column: a clear error
    raw = connect(new_url)
    assert missing_columns(raw) == ["accounts.region"]
    from b2bcx.bundle.loader import import_bundle
    from b2bcx.bundle.results import ImportOptions

    with pytest.raises(SchemaMismatchError, match="region"):
        import_bundle(raw, _region_bundle(tmp_path), ImportOptions(), rejects_dir=tmp_path)
    raw.close()

    # opening it runs the spec sync: no numbered migration was written for region
    with b2bcx.open_workspace(new_url) as ws:
        assert missing_columns(ws.backend) == []
        assert ws.backend.get_meta(SPEC_KEY) == spec_fingerprint()
        result = ws.import_bundle(_region_bundle(tmp_path))
        assert result.tables["accounts"].updated == 2
        rows = ws.backend.to_arrow(ws.table("accounts").order_by("account_id")).to_pylist()
    assert [(r["account_id"], r["region"]) for r in rows] == [("A1", "north"), ("A2", "north")]

    # idempotent: a second open adds nothing and a second add_column is a no-op
    with b2bcx.open_workspace(new_url) as ws:
        assert migrate(ws.backend) == []
        assert ws.backend.add_column("accounts", "region", _REGION_DTYPE) is False
        assert ws.backend.columns("accounts").count("region") == 1


@pytest.mark.usefixtures("future_column")
def test_a_fresh_workspace_gets_the_future_column_through_migration_6(new_url: str) -> None:
    # migration 1 is frozen (no region); migration 6 adds it; the sync finds nothing left
    backend = connect(new_url)
    migrate(backend, target=5)
    assert "region" not in backend.columns("accounts")
    assert migrate(backend, target=6) == [6]
    assert backend.columns("accounts")[-1] == "region"
    assert missing_columns(backend) == []
    backend.close()


def test_read_only_refuses_an_old_workspace_and_reads_a_current_one(new_url: str) -> None:
    _build_v1(new_url)
    with pytest.raises(SchemaMismatchError, match="schema version 1"):
        b2bcx.open_workspace(new_url, read_only=True)
    old = connect(new_url)
    assert current_version(old) == 1  # nothing was migrated
    old.close()  # one process may hold a DuckDB file with one set of settings only
    b2bcx.open_workspace(new_url).close()
    with b2bcx.open_workspace(new_url, read_only=True) as ws:
        assert ws.backend.is_read_only
        assert ws.info().counts["accounts"] == 2


def test_a_missing_column_is_a_schema_mismatch_on_every_engine(new_url: str) -> None:
    backend = connect(new_url)
    migrate(backend)
    with pytest.raises(SchemaMismatchError, match="'region'"):
        backend.execute("SELECT region FROM accounts")
    with pytest.raises(SchemaMismatchError, match="'region'"):
        backend.fetch_dicts("SELECT region FROM accounts")
    # the connection stays usable after the mapped error
    assert backend.execute("SELECT count(*) FROM accounts") == [(0,)]
    backend.close()
