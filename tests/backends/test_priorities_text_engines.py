"""The priorities' comment evidence (what detractors wrote at each cell) is the same on
PostgreSQL and Spark as on DuckDB: the evidence reads one cached table of the top
touchpoints' scored detractor comments (``risk._scored_comments``), a path the
contract world (no analysed text) does not take."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pgcluster import PgCluster
from test_contract import _plain, assert_same

import b2bcx
from b2bcx.diagnose import diagnose
from b2bcx.storage.spark import write_tables
from b2bcx.text import HashingEncoder, analyze

pytestmark = pytest.mark.slow


def _priorities(ws: b2bcx.Workspace) -> list[dict[str, Any]]:
    analyze(ws.backend, encoder=HashingEncoder())
    return [p.to_dict() for p in diagnose(ws.backend, challenges=["C1"]).priorities]


@pytest.fixture(scope="module")
def on_duckdb(world: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    ws = b2bcx.open_workspace(tmp_path_factory.mktemp("duck_text") / "w.duckdb")
    ws.import_bundle(world)
    try:
        found = _priorities(ws)
    finally:
        ws.close()
    # not vacuous: comments were analysed and some priority quotes them
    assert any(p["text"] and p["text"]["comments"] > 0 for p in found)
    assert any(p["text"] and p["text"].get("goal") for p in found)
    return found


@pytest.fixture
def postgres_text(pg_cluster: PgCluster, world: Path) -> Iterator[b2bcx.Workspace]:
    """The world in a database of its own (the contract's stays without text)."""
    ws = b2bcx.open_workspace(pg_cluster.create_database("priorities_text"))
    ws.import_bundle(world)
    yield ws
    ws.close()


@pytest.fixture
def spark_text(
    spark_session: Any, reference: b2bcx.Workspace, tmp_path: Path
) -> Iterator[b2bcx.Workspace]:
    """The world as typed tables in a folder of its own, opened on Spark."""
    write_tables(reference.backend, tmp_path / "typed")
    ws = b2bcx.open_workspace(tmp_path / "typed", engine="spark")
    yield ws
    ws.close()


@pytest.mark.postgres
def test_comment_evidence_on_postgres(
    postgres_text: b2bcx.Workspace, on_duckdb: list[dict[str, Any]]
) -> None:
    assert_same(_plain(on_duckdb), _plain(_priorities(postgres_text)), "priorities")


@pytest.mark.spark
def test_comment_evidence_on_spark(
    spark_text: b2bcx.Workspace, on_duckdb: list[dict[str, Any]]
) -> None:
    assert_same(_plain(on_duckdb), _plain(_priorities(spark_text)), "priorities")
