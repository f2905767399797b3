"""Text scoring as a Spark job: ``b2bcx text analyze`` on a ``spark://`` workspace.

A Spark workspace is a folder of Parquet tables that Spark only reads
(:mod:`b2bcx.storage.spark`). Scoring its comments is a job over the
partitions of ``interactions``: each task loads the packaged model once
(``mapInPandas``), encodes its partition's comments once and runs every head,
exactly as :func:`b2bcx.text.model.analyze_local` does on one machine. The
results are *appended* to two tables in the same folder, ``text_scores/`` (with
each comment's ``sentences``, as the local path stores them) and
``text_embeddings/`` (Parquet part files), which the workspace registers like
any other table, so diagnosis, strategy, topics and the text insights (which
quote sentences) read them on Spark. Part files written before the sentences
were kept lack the column; the folder is read with merged schemas, so those
rows read as null sentences.

Incremental and safe to re-run: comments this model has scored are skipped
(an anti-join on ``interaction_id`` and the model name); each run's append is
one Spark job. The driver embeds the touchpoint catalogue once and ships it
to the tasks with the job; the model itself comes from the ``text`` extra,
which every executor needs installed (as pyspark's Python dependencies are).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from b2bcx.errors import WorkspaceError
from b2bcx.storage import schema, textstore
from b2bcx.storage.spark import SparkBackend, parse_spark_url
from b2bcx.text.encoder import Encoder, MiniLM, resolve_precision
from b2bcx.text.model import BATCH, AnalyzeResult, Catalogue, TextModel, score_batch


def _score_partition(
    frames: Iterator[pd.DataFrame], make_encoder: Any, catalogue: Catalogue | None
) -> Iterator[pd.DataFrame]:
    """Score one partition's comments (one model per task), ``BATCH`` at a time."""
    model = TextModel(make_encoder())
    for frame in frames:
        for start in range(0, len(frame), BATCH):
            part = frame.iloc[start : start + BATCH]
            ids = part.interaction_id.astype(str).tolist()
            texts = part.comment.astype(str).tolist()
            scores, vectors, _ = score_batch(model, ids, texts, catalogue)
            # the stored columns and the comment's sentences, as the local path stores them
            out = scores.select(list(_SCORE_COLUMNS)).to_pandas()
            out["embedding"] = vectors.column("embedding").to_pylist()
            out["embedding_model"] = model.encoder.name
            yield out


#: The columns the job appends to ``text_scores/``: the migration-3 schema and the
#: sentences of each comment (JSON, as ``text_scores.sentences`` of migration 9).
_SCORE_COLUMNS: tuple[str, ...] = (*schema.TEXT_SCORES_SCHEMA.names, *textstore.SENTENCE_COLUMNS)


def _output_schema() -> Any:
    """The Spark schema of what :func:`_score_partition` yields: the stored text
    scores' schema with the sentences, plus the embedding and its model (never
    inferred from data)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    arrow = schema.TEXT_SCORES_SCHEMA.to_pyarrow()
    for column in textstore.SENTENCE_COLUMNS:
        arrow = arrow.append(pa.field(column, pa.string()))
    arrow = arrow.append(pa.field("embedding", pa.list_(pa.float32())))
    arrow = arrow.append(pa.field("embedding_model", pa.string()))
    return from_arrow_schema(arrow)


def analyze_spark(backend: SparkBackend, *, encoder: Encoder | None = None) -> AnalyzeResult:
    """Score every comment of a Spark workspace not yet scored by this model and
    append the scores and embeddings to its folder (module docstring)."""
    from pyspark.sql import functions as F  # noqa: N812

    t0 = time.perf_counter()
    session = backend.con._session
    folder = parse_spark_url(backend.url).path.rstrip("/")
    encoder_type = type(encoder) if encoder is not None else MiniLM
    # the driver's precision for every task, so all scores carry one model name
    # even where executors' CPUs differ
    precision = None
    if encoder_type is MiniLM:
        precision = encoder.precision if isinstance(encoder, MiniLM) else resolve_precision()

    def make_encoder() -> Encoder:
        return MiniLM(precision=precision) if encoder_type is MiniLM else encoder_type()

    driver = TextModel(make_encoder())
    catalogue = Catalogue.from_backend(backend, driver.encoder)
    views = backend._views
    todo = session.table(views["interactions"]).select("interaction_id", "comment")
    todo = todo.where(F.col("comment").isNotNull() & (F.length(F.trim(F.col("comment"))) > 0))
    if schema.TEXT_SCORES_TABLE in backend.list_tables():
        done = session.table(views[schema.TEXT_SCORES_TABLE])
        done = done.where(F.col("model") == driver.name).select("interaction_id")
        todo = todo.join(done, "interaction_id", "left_anti")
    # equal comments side by side, so each batch encodes each distinct text once
    todo = todo.sortWithinPartitions("comment")
    out_schema = _output_schema()
    scored = todo.mapInPandas(
        lambda frames: _score_partition(frames, make_encoder, catalogue), out_schema
    ).cache()
    try:
        n = scored.count()
        if n:
            score_cols = list(_SCORE_COLUMNS)
            scored.select(*score_cols).write.mode("append").parquet(
                f"{folder}/{schema.TEXT_SCORES_TABLE}"
            )
            scored.select(
                "interaction_id", F.col("embedding_model").alias("model"), "embedding"
            ).write.mode("append").parquet(f"{folder}/{schema.TEXT_EMBEDDINGS_TABLE}")
    except Exception as exc:  # a failing executor: say what it needs
        raise WorkspaceError(
            f"scoring the comments of {backend.url!r} on Spark failed: {exc}. Every executor "
            "needs b2bcx with the text extra (pip install torch==2.13.0 'b2bcx[text]')."
        ) from exc
    finally:
        scored.unpersist()
    backend.refresh_results()
    return AnalyzeResult(driver.name, int(n), time.perf_counter() - t0, int(n))


__all__ = ["analyze_spark"]
