"""Saved strategy assessments (migration 5): ``strategy_answers``, one row per
answered item of one assessment, so the dashboard, the report and the plan use
the firm's latest answers and see how impact and scope drift between them.

The assessment logic lives in :mod:`b2bcx.strategy`; this module only stores.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend

ANSWERS_TABLE = "strategy_answers"

ANSWERS_SCHEMA = ibis.schema(
    {
        "assessment_id": "string",  # e.g. "A-20261123-1f3a9c"
        "answered_at": "timestamp",
        "saved_at": "timestamp",
        "respondent": "string",
        "source": "string",  # the answers file, or "the prompt"
        "item_id": "string",
        "value": "float64",
    }
)


def create_tables(backend: Backend) -> None:
    """Create the table of saved assessments (migration 5)."""
    backend.create_table(ANSWERS_TABLE, ANSWERS_SCHEMA)


def save(
    backend: Backend,
    *,
    assessment_id: str,
    answered_at: _dt.datetime,
    respondent: str | None,
    source: str,
    values: dict[str, float],
) -> None:
    """Store one assessment's answers (all rows in one transaction)."""
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    n = len(values)
    data = pa.table(
        {
            "assessment_id": [assessment_id] * n,
            "answered_at": pa.array([answered_at] * n, pa.timestamp("us")),
            "saved_at": pa.array([now] * n, pa.timestamp("us")),
            "respondent": pa.array([respondent] * n, pa.string()),
            "source": [source] * n,
            "item_id": list(values),
            "value": pa.array([float(v) for v in values.values()], pa.float64()),
        }
    )
    with backend.transaction():
        backend.append(ANSWERS_TABLE, data)


def rows(backend: Backend) -> list[dict[str, Any]]:
    """Every saved answer, oldest assessment first; none where the workspace has
    no such table (a read-only Spark folder)."""
    if ANSWERS_TABLE not in backend.list_tables():
        return []
    frame = backend.table(ANSWERS_TABLE).to_pandas()
    frame = frame.sort_values(["answered_at", "saved_at", "assessment_id", "item_id"])
    out: list[dict[str, Any]] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return out
