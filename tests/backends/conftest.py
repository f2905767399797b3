"""Engines for the contract suite: one demo world on DuckDB, PostgreSQL and Spark.

The tests start what they need and stop it at the end of the session:

- ``pg_cluster``: a throwaway PostgreSQL cluster on 127.0.0.1 on a free port in
  a temporary folder (:mod:`pgcluster`). Missing server binaries fail the
  tests with a message saying what to install; they never skip.
- ``spark_session``: a ``local[2]`` SparkSession bound to 127.0.0.1, two
  shuffle partitions, UTC.

``engine_workspace`` is parametrized over the three engines; the PostgreSQL and
Spark cases carry the ``postgres``/``spark`` and ``slow`` markers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pgcluster import PgCluster, start_cluster

import b2bcx

#: Interactions in the contract world: big enough for every detector to run.
WORLD_SIZE = 8000
WORLD_SEED = 11

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.slow]),
    pytest.param("spark", id="spark", marks=[pytest.mark.spark, pytest.mark.slow]),
]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo bundle (CSV files), generated once per session."""
    from b2bcx.demo import generate_world

    out = tmp_path_factory.mktemp("world") / "bundle"
    generate_world(out, size=WORLD_SIZE, seed=WORLD_SEED)
    return out


@pytest.fixture(scope="session")
def reference(world: Path) -> Iterator[b2bcx.Workspace]:
    """The world imported into an in-memory DuckDB: the reference results."""
    ws = b2bcx.open_workspace(":memory:")
    ws.import_bundle(world)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the session (fails loudly if impossible)."""
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """A ``local[2]`` SparkSession for the session."""
    from b2bcx.storage.spark import spark_session as make_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = make_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="session")
def duckdb_workspace(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The world imported into a DuckDB file (the default engine, on disk)."""
    ws = b2bcx.open_workspace(tmp_path_factory.mktemp("duck") / "w.duckdb")
    ws.import_bundle(world)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def postgres_workspace(pg_cluster: PgCluster, world: Path) -> Iterator[Any]:
    """The world imported into a fresh PostgreSQL database."""
    ws = b2bcx.open_workspace(pg_cluster.create_database("contract"))
    ws.import_bundle(world)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def spark_workspace(
    spark_session: Any, reference: b2bcx.Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The reference exported as a Parquet bundle, opened on the Spark session."""
    folder = tmp_path_factory.mktemp("parquet") / "bundle"
    reference.export_bundle(folder, format="parquet")
    ws = b2bcx.open_workspace(f"spark://local[2]?path={folder}")
    yield ws
    ws.close()


@pytest.fixture(params=ENGINES)
def engine_workspace(request: pytest.FixtureRequest) -> Any:
    """The same world on each engine in turn."""
    return request.getfixturevalue(f"{request.param}_workspace")
