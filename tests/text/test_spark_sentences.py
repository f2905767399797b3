"""The Spark text job stores each comment's sentences as the local path does
(issue 20; ``text_scores.sentences``), also in a folder whose earlier part files
were written without them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import b2bcx
from b2bcx.storage import schema, textstore
from b2bcx.storage.spark import write_tables
from b2bcx.text import HashingEncoder, analyze

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark_session() -> Iterator[Any]:
    """A ``local[2]`` SparkSession for the module."""
    from b2bcx.storage.spark import spark_session as make_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = make_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from b2bcx.demo import generate_world

    out = tmp_path_factory.mktemp("world") / "bundle"
    generate_world(out, size=1500, seed=5)
    return out


def _by_id(frame: Any) -> dict[str, list[dict[str, Any]]]:
    return {str(i): textstore.sentences_of(v)
            for i, v in zip(frame.interaction_id, frame.sentences, strict=True)}  # fmt: skip


def test_spark_job_stores_the_sentences_like_the_local_path(
    spark_session: Any, world: Path, tmp_path: Path
) -> None:
    local = b2bcx.open_workspace(tmp_path / "local.duckdb")
    local.import_bundle(world)
    write_tables(local.backend, tmp_path / "typed")
    ws = b2bcx.open_workspace(tmp_path / "typed", engine="spark")
    try:
        on_spark = analyze(ws.backend, encoder=HashingEncoder())
        on_duck = analyze(local.backend, encoder=HashingEncoder())
        assert on_spark.scored == on_duck.scored > 0
        a = textstore.read_scores(ws.backend)
        b = textstore.read_scores(local.backend)
        assert a is not None and b is not None
        spark_sentences, duck_sentences = _by_id(a), _by_id(b)
        assert spark_sentences.keys() == duck_sentences.keys()
        assert all(spark_sentences.values())  # every comment has its sentences
        for i, mine in spark_sentences.items():
            theirs = duck_sentences[i]
            assert [s["text"] for s in mine] == [s["text"] for s in theirs]
            assert [s["goals"] for s in mine] == [s["goals"] for s in theirs]
            for x, y in zip(mine, theirs, strict=True):
                assert abs(x["sentiment"] - y["sentiment"]) < 1e-6
        # a comment of several sentences keeps them apart
        assert any(len(v) > 1 for v in spark_sentences.values())
    finally:
        ws.close()
        local.close()


def test_older_part_files_without_sentences_read_as_null(
    spark_session: Any, world: Path, tmp_path: Path
) -> None:
    """A folder scored before the job kept sentences: the new part files add the
    column, the old rows read it as null and the insights fall back to comments."""
    local = b2bcx.open_workspace(tmp_path / "local.duckdb")
    local.import_bundle(world)
    write_tables(local.backend, tmp_path / "typed")
    local.close()
    ws = b2bcx.open_workspace(tmp_path / "typed", engine="spark")
    try:
        first = ws.backend.table("interactions").select("interaction_id").limit(3)
        ids = [str(i) for i in ws.backend.to_arrow(first).column("interaction_id").to_pylist()]
        from pyspark.sql.pandas.types import from_arrow_schema

        # the job's earlier output: migration-3 columns only, written by Spark
        old = schema.TEXT_SCORES_SCHEMA.to_pyarrow()
        rows = {name: [None] * len(ids) for name in old.names}
        rows["interaction_id"] = ids
        rows["model"] = ["an-older-model"] * len(ids)
        records = [tuple(rows[name][k] for name in old.names) for k in range(len(ids))]
        spark_session.createDataFrame(records, schema=from_arrow_schema(old)).write.parquet(
            str(tmp_path / "typed" / schema.TEXT_SCORES_TABLE)
        )
        ws.backend.refresh_results()
        done = analyze(ws.backend, encoder=HashingEncoder())
        assert done.scored > 0
        scores = textstore.read_scores(ws.backend)
        assert scores is not None and "sentences" in scores.columns
        older = scores[scores.model == "an-older-model"]
        newer = scores[scores.model == done.model]
        assert len(older) == len(ids) and older.sentences.isna().all()
        assert len(newer) == done.scored and newer.sentences.notna().all()
    finally:
        ws.close()
