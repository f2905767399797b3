"""Reads and writes of the text-analytics tables (migration 3; the
``sentences`` column of ``text_scores``: migration 9)."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from b2bcx.storage import schema
from b2bcx.storage.backend import Backend

#: Columns of ``text_scores`` added after migration 3 (by migration 9): the
#: sentences of the comment as JSON, ``[{"text", "sentiment", "goals", "effort"}]``.
SENTENCE_COLUMNS: dict[str, dt.DataType] = {"sentences": dt.string}


def add_sentence_columns(backend: Backend) -> list[str]:
    """Add :data:`SENTENCE_COLUMNS` to ``text_scores`` (idempotent); returns what was added."""
    if schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return []
    return [column for column, dtype in SENTENCE_COLUMNS.items()
            if backend.add_column(schema.TEXT_SCORES_TABLE, column, dtype)]  # fmt: skip


def sentences_of(value: Any) -> list[dict[str, Any]]:
    """The stored sentences of one score row (empty when not stored)."""
    if not isinstance(value, str) or not value:
        return []
    parsed = json.loads(value)
    return parsed if isinstance(parsed, list) else []


def unscored_comments(backend: Backend, model: str) -> ir.Table:
    """Interactions with a non-empty comment that ``model`` has not scored yet."""
    it = backend.table("interactions")
    it = it.filter(it.comment.notnull() & (it.comment.strip().length() > 0))
    done = backend.table(schema.TEXT_SCORES_TABLE)
    done = done.filter(done.model == model).select(done_id="interaction_id")
    joined = it.left_join(done, it.interaction_id == done.done_id)
    return joined.filter(joined.done_id.isnull()).select("interaction_id", "comment")


def write_scores(backend: Backend, scores: pa.Table, embeddings: pa.Table | None) -> None:
    """Append one batch of scores (and their embeddings) in one transaction, replacing
    any earlier score and embedding of the same interactions (by any model): the
    tables keep one row per interaction, and re-running is safe."""
    with backend.transaction():
        if scores.num_rows:
            ids = scores.column("interaction_id").to_pylist()
            _delete(backend, schema.TEXT_SCORES_TABLE, ids)
            backend.append(schema.TEXT_SCORES_TABLE, scores)
        if embeddings is not None and embeddings.num_rows:
            _delete(backend, schema.TEXT_EMBEDDINGS_TABLE,
                    embeddings.column("interaction_id").to_pylist())  # fmt: skip
            backend.append(schema.TEXT_EMBEDDINGS_TABLE, embeddings)


def _delete(backend: Backend, table: str, ids: list[str]) -> None:
    chunk = 1000
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        marks = ", ".join("?" for _ in part)
        backend.execute(f'DELETE FROM "{table}" WHERE interaction_id IN ({marks})', part)


def read_scores(backend: Backend, model: str | None = None) -> pd.DataFrame | None:
    """All stored scores (of ``model`` if given); None when nothing was analysed."""
    if schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return None
    t = backend.table(schema.TEXT_SCORES_TABLE)
    if model is not None:
        t = t.filter(t.model == model)
    frame: pd.DataFrame = t.to_pandas()
    return None if frame.empty else frame


def set_topics(backend: Backend, topics: pd.DataFrame) -> None:
    """Store each interaction's topic id (``interaction_id``, ``topic_id``)."""
    with backend.transaction():
        for _, group in topics.groupby("topic_id"):
            topic_id = int(group.topic_id.iloc[0])
            ids = group.interaction_id.tolist()
            for start in range(0, len(ids), 1000):
                part = ids[start : start + 1000]
                marks = ", ".join("?" for _ in part)
                backend.execute(
                    f'UPDATE "{schema.TEXT_SCORES_TABLE}" SET topic_id = ? '
                    f"WHERE interaction_id IN ({marks})",
                    [int(topic_id), *part],
                )


def add_labels(backend: Backend, rows: list[tuple[str, str, int]]) -> int:
    """Store the user's labelled examples (text, label, 0/1); returns how many."""
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    table = pa.table({
        "text": [r[0] for r in rows], "label": [r[1] for r in rows],
        "value": pa.array([r[2] for r in rows], pa.int64()), "added_at": [now] * len(rows),
    })  # fmt: skip
    with backend.transaction():
        backend.append(schema.TEXT_LABELS_TABLE, table)
    return len(rows)


def read_labels(backend: Backend) -> pd.DataFrame:
    """The user's labelled examples (empty frame when none)."""
    if schema.TEXT_LABELS_TABLE not in backend.list_tables():
        return pd.DataFrame(columns=["text", "label", "value"])
    frame: pd.DataFrame = backend.table(schema.TEXT_LABELS_TABLE).to_pandas()
    return frame


def embeddings_for(backend: Backend, model: str | None = None) -> ir.Table:
    """The stored embeddings (one per interaction), of ``model`` if given."""
    t = backend.table(schema.TEXT_EMBEDDINGS_TABLE)
    return t if model is None else t.filter(t.model == model)


__all__ = [
    "SENTENCE_COLUMNS",
    "add_labels",
    "add_sentence_columns",
    "embeddings_for",
    "read_labels",
    "read_scores",
    "sentences_of",
    "set_topics",
    "unscored_comments",
    "write_scores",
]


def comment_counts(backend: Backend) -> tuple[int, int]:
    """How many interactions have a non-empty comment, and how many of those are
    scored (by any model): the text analysis still has the difference to do."""
    if "interactions" not in backend.list_tables():
        return 0, 0
    it = backend.table("interactions")
    it = it.filter(it.comment.notnull() & (it.comment.strip().length() > 0))
    if schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return int(backend.to_arrow(it.count().name("n").as_table()).column(0)[0].as_py()), 0
    done = backend.table(schema.TEXT_SCORES_TABLE).select(done_id="interaction_id").distinct()
    joined = it.left_join(done, it.interaction_id == done.done_id)
    row = backend.to_arrow(
        joined.aggregate(n=joined.count(), analysed=joined.done_id.notnull().sum())
    ).to_pylist()[0]
    return int(row["n"] or 0), int(row["analysed"] or 0)
