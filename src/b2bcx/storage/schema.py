"""The workspace schema, derived from the bundle table specs.

Each bundle table is stored under its own name with its columns typed, plus:

- ``attributes``: unknown extra columns of the source row, as a JSON object text;
- ``_batch_id``: the import batch that last wrote the row.

Bookkeeping tables: ``b2bcx_meta`` (schema version and facts about the
workspace), ``import_batches`` and ``import_rejects`` (every import and every
row it rejected, with the reason).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.schema as sch

from b2bcx.model.tables import ATTRIBUTES_COLUMN, TABLES, Column, Kind, TableSpec

BATCH_COLUMN = "_batch_id"

META_TABLE = "b2bcx_meta"
BATCHES_TABLE = "import_batches"
REJECTS_TABLE = "import_rejects"


def column_dtype(column: Column) -> dt.DataType:
    """The storage type of one bundle column."""
    kind = column.kind
    if kind in (Kind.ID, Kind.TEXT, Kind.ENUM, Kind.COUNTRY):
        return dt.String(nullable=not column.required)
    if kind is Kind.INTEGER:
        return dt.Int64(nullable=not column.required)
    if kind is Kind.NUMBER:
        return dt.Float64(nullable=not column.required)
    if kind is Kind.DATE:
        return dt.Date(nullable=not column.required)
    if kind is Kind.TIMESTAMP:
        # Stored as UTC without a zone: inputs with an offset are converted to UTC.
        return dt.Timestamp(nullable=not column.required)
    if kind is Kind.BOOLEAN:
        return dt.Boolean(nullable=not column.required)
    if kind is Kind.LIST:
        return dt.Array(dt.string)
    raise AssertionError(f"unhandled column kind {kind}")  # pragma: no cover


def table_schema(spec: TableSpec) -> sch.Schema:
    """The storage schema of one bundle table (its columns, attributes, batch id)."""
    fields: dict[str, dt.DataType] = {c.name: column_dtype(c) for c in spec.columns}
    fields[ATTRIBUTES_COLUMN] = dt.string
    fields[BATCH_COLUMN] = dt.string
    return ibis.schema(fields)


def data_schemas() -> dict[str, sch.Schema]:
    """Table name → storage schema, for every bundle table."""
    return {name: table_schema(spec) for name, spec in TABLES.items()}


META_SCHEMA = ibis.schema({"key": "string", "value": "string"})

BATCHES_SCHEMA = ibis.schema(
    {
        "batch_id": "string",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "source": "string",
        "status": "string",  # committed | rejected | failed
        "n_rows": "int64",
        "n_rejected": "int64",
        "options": "string",  # JSON
    }
)

REJECTS_SCHEMA = ibis.schema(
    {
        "batch_id": "string",
        "table_name": "string",
        "file": "string",
        "row": "int64",
        "column_name": "string",
        "value": "string",
        "reason": "string",
        "original": "string",  # JSON object of the source row as read
    }
)


#: Text analytics (migration 3): the scores of every analysed comment.
TEXT_SCORES_TABLE = "text_scores"
TEXT_EMBEDDINGS_TABLE = "text_embeddings"
TEXT_LABELS_TABLE = "text_labels"

TEXT_SCORES_SCHEMA = ibis.schema(
    {
        "interaction_id": "string",
        "model": "string",  # encoder and head versions
        "scored_at": "timestamp",
        "sentiment": "float64",  # −1 … 1
        "effort": "float64",  # probability the customer had to work hard
        "goal_efficiency": "float64",
        "goal_differentiation": "float64",
        "goal_association": "float64",
        "goal_convenience": "float64",
        "goal_empowerment": "float64",
        "goal_relationships": "float64",
        "vp_relieving": "float64",
        "vp_enabling": "float64",
        "vp_enriching": "float64",
        "emotions": "string",  # JSON {label: p}
        "ekman": "string",  # JSON {label: p}
        "emotion_labels": "string",  # JSON list
        "ekman_labels": "string",  # JSON list
        "touchpoint_id": "string",  # best matching catalogue touchpoint (or null)
        "touchpoint_score": "float64",
        "stage": "string",
        "cognitive": "string",  # JSON {value|price|quality|reliability: p}
        "topic_id": "int64",
    }
)

TEXT_EMBEDDINGS_SCHEMA = ibis.schema(
    {"interaction_id": "string", "model": "string", "embedding": "array<float32>"}
)

#: The user's own labelled examples for the goal, effort and cognitive heads.
TEXT_LABELS_SCHEMA = ibis.schema(
    {"text": "string", "label": "string", "value": "int64", "added_at": "timestamp"}
)
