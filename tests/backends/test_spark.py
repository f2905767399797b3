"""Spark: URLs, the two Parquet layouts, and a workspace that refuses writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_contract import CASES, _plain, assert_same

import b2bcx
from b2bcx.errors import ConfigurationError, WorkspaceError
from b2bcx.storage.spark import SparkTarget, parse_spark_url, write_tables
from b2bcx.workspace import engine_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("spark://local[2]?path=/d", SparkTarget("local[2]", "/d")),
        ("spark://local[*]?path=/d", SparkTarget("local[*]", "/d")),
        ("spark://yarn?path=hdfs://nn/cx", SparkTarget("yarn", "hdfs://nn/cx")),
        ("spark://head:7077?path=s3a://b/cx", SparkTarget("spark://head:7077", "s3a://b/cx")),
        ("spark://?path=/d", SparkTarget(None, "/d")),
        (
            "spark://?master=k8s://https://api:6443&path=/d&spark.executor.instances=4",
            SparkTarget("k8s://https://api:6443", "/d", {"spark.executor.instances": "4"}),
        ),
    ],
)
def test_parse_spark_url(url: str, expected: SparkTarget) -> None:
    assert parse_spark_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [("spark://local[2]", "names no folder"), ("spark://local[2]?path=/d&x=1", "unknown option")],
)
def test_bad_spark_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_spark_url(url)


def test_engine_option_makes_a_spark_url() -> None:
    assert engine_url("/data/cx", "spark") == "spark://?path=/data/cx"
    assert engine_url("spark://local[2]?path=/d", "spark") == "spark://local[2]?path=/d"
    with pytest.raises(ConfigurationError, match="engine must be one of"):
        engine_url("cx.duckdb", "sparkle")
    with pytest.raises(ConfigurationError, match="is a duckdb workspace"):
        engine_url("cx.duckdb", "postgres")


@pytest.mark.spark
@pytest.mark.slow
def test_typed_parquet_gives_the_same_measures(
    spark_session: Any, reference: b2bcx.Workspace, tmp_path: Path
) -> None:
    """The typed layout (write_tables) reads as is and gives the reference results."""
    written = write_tables(reference.backend, tmp_path / "typed")
    assert written["interactions"] == reference.info().counts["interactions"]
    ws = b2bcx.open_workspace(tmp_path / "typed", engine="spark")
    try:
        for case in ("measure_accounts", "stage_control_map", "monthly_trend"):
            expected = _plain(CASES[case](reference.backend))
            assert_same(expected, _plain(CASES[case](ws.backend)), case)
    finally:
        ws.close()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_workspace_reads_but_never_writes(spark_workspace: b2bcx.Workspace) -> None:
    backend = spark_workspace.backend
    assert backend.is_read_only and backend.kind == "spark"
    with pytest.raises(WorkspaceError, match="only reads"):
        backend.append("accounts", pa.table({"account_id": ["X"]}))
    with pytest.raises(WorkspaceError, match="only reads"), backend.transaction():
        pass
    with pytest.raises(WorkspaceError, match="only reads"):
        spark_workspace.import_bundle(Path("nowhere"))
    assert "interactions" in backend.list_tables()


@pytest.mark.spark
@pytest.mark.slow
def test_missing_tables_are_empty_and_no_interactions_is_an_error(
    spark_session: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "partial"
    folder.mkdir()
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"interaction_id": ["I1"], "stakeholder_id": ["S1"],
                  "occurred_at": ["2024-03-05T14:30:00Z"], "cx": ["7.5"]}),
        folder / "interactions.parquet",
    )  # fmt: skip
    ws = b2bcx.open_workspace(f"spark://local[2]?path={folder}")
    try:
        counts = ws.info().counts
        assert counts["interactions"] == 1 and counts["accounts"] == 0
        row = ws.backend.to_arrow(ws.table("interactions")).to_pylist()[0]
        assert str(row["occurred_at"]) == "2024-03-05 14:30:00"  # UTC, no zone
        assert row["cx"] == 7.5
    finally:
        ws.close()
    (folder / "interactions.parquet").unlink()
    with pytest.raises(WorkspaceError, match="no interactions table"):
        b2bcx.open_workspace(f"spark://local[2]?path={folder}")


@pytest.mark.spark
@pytest.mark.slow
def test_workspaces_on_one_session_stay_apart(
    spark_workspace: b2bcx.Workspace, tmp_path: Path
) -> None:
    """A second workspace on the same SparkSession, opened and closed, leaves the
    first one's tables alone (each workspace has its own views)."""
    before = spark_workspace.info().counts["interactions"]
    folder = tmp_path / "other"
    folder.mkdir()
    import pyarrow.parquet as pq

    one = {"interaction_id": ["X"], "stakeholder_id": ["S"], "occurred_at": ["2024-01-01"]}
    pq.write_table(pa.table(one), folder / "interactions.parquet")
    other = b2bcx.open_workspace(f"spark://local[2]?path={folder}")
    assert other.info().counts["interactions"] == 1
    other.close()
    assert spark_workspace.info().counts["interactions"] == before > 1


@pytest.mark.spark
@pytest.mark.slow
def test_text_scoring_is_a_spark_job_and_incremental(
    spark_session: Any, reference: b2bcx.Workspace, world: Path, tmp_path: Path
) -> None:
    """``analyze`` on Spark scores over partitions, appends to the folder, skips what
    it scored before, and gives what the single-machine path gives."""
    from b2bcx.storage import textstore
    from b2bcx.text import HashingEncoder, analyze

    write_tables(reference.backend, tmp_path / "typed")
    local = b2bcx.open_workspace(tmp_path / "local.duckdb")
    local.import_bundle(world)
    ws = b2bcx.open_workspace(tmp_path / "typed", engine="spark")
    try:
        first = analyze(ws.backend, encoder=HashingEncoder())
        expected = analyze(local.backend, encoder=HashingEncoder())
        assert first.scored == expected.scored > 0
        assert first.model == expected.model
        again = analyze(ws.backend, encoder=HashingEncoder())
        assert again.scored == 0  # incremental: nothing new to score
        on_spark = textstore.read_scores(ws.backend)
        on_duck = textstore.read_scores(local.backend)
        assert on_spark is not None and on_duck is not None
        cols = ["interaction_id", "sentiment", "effort", "goal_efficiency", "touchpoint_id"]
        a = on_spark[cols].sort_values("interaction_id").reset_index(drop=True)
        b = on_duck[cols].sort_values("interaction_id").reset_index(drop=True)
        assert len(a) == len(b) == expected.scored
        assert (a.interaction_id == b.interaction_id).all()
        assert (a.touchpoint_id.fillna("") == b.touchpoint_id.fillna("")).all()
        for col in ("sentiment", "effort", "goal_efficiency"):
            assert (a[col] - b[col]).abs().max() < 1e-6, col
        vectors = ws.backend.table("text_embeddings").count().execute()
        assert vectors == expected.scored
    finally:
        ws.close()
        local.close()
