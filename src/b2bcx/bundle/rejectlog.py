"""Keep every rejected row: a rejects CSV for the user and the workspace's audit tables."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from b2bcx.bundle.checks import Reject
from b2bcx.storage import Backend
from b2bcx.storage.schema import BATCHES_TABLE, REJECTS_TABLE

REJECT_COLUMNS = ("table", "file", "row", "column", "value", "reason", "original")


def rejects_table(rejects: Sequence[Reject]) -> pa.Table:
    """The rejects as an Arrow table in file order."""
    ordered = sorted(rejects, key=lambda r: (r.file, r.row, r.column))
    return pa.table(
        {
            "table": [r.table for r in ordered],
            "file": [r.file for r in ordered],
            "row": pa.array([r.row for r in ordered], pa.int64()),
            "column": [r.column for r in ordered],
            "value": pa.array([r.value for r in ordered], pa.string()),
            "reason": [r.reason for r in ordered],
            "original": [r.original for r in ordered],
        }
    )


#: A cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str | None) -> str | None:
    """A value safe to open in a spreadsheet: text that a spreadsheet would run as
    a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a
    leading ``'``; anything else is unchanged.

    >>> neutralise("=1+1")
    "'=1+1"
    >>> neutralise("Acme")
    'Acme'
    """
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rejects_file(rejects: Sequence[Reject], path: Path) -> Path:
    """Write the rejects CSV (creating its folder); returns the path.

    Rejects files are meant to be opened in a spreadsheet, so the text columns
    (``file``, ``column``, ``value``, ``reason``) pass through :func:`neutralise`; the
    ``original`` row (a JSON object) and the workspace's ``import_rejects`` keep
    the values verbatim.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    table = rejects_table(rejects)
    for name in ("file", "column", "value", "reason"):
        safe = pa.array([neutralise(v) for v in table.column(name).to_pylist()], pa.string())
        table = table.set_column(table.schema.get_field_index(name), name, safe)
    pacsv.write_csv(table, path)
    return path


def log_batch(
    backend: Backend,
    *,
    batch_id: str,
    started_at: _dt.datetime,
    source: str,
    status: str,
    n_rows: int,
    rejects: Sequence[Reject],
    n_rejected: int,
    options: dict[str, object],
) -> None:
    """Record an import attempt and its rejects in the workspace."""
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
    backend.append(
        BATCHES_TABLE,
        pa.table(
            {
                "batch_id": [batch_id],
                "started_at": pa.array([started_at], pa.timestamp("us")),
                "finished_at": pa.array([now], pa.timestamp("us")),
                "source": [source],
                "status": [status],
                "n_rows": pa.array([n_rows], pa.int64()),
                "n_rejected": pa.array([n_rejected], pa.int64()),
                "options": [json.dumps(options, default=str, sort_keys=True)],
            }
        ),
    )
    if rejects:
        table = rejects_table(rejects).rename_columns(
            ["table_name", "file", "row", "column_name", "value", "reason", "original"]
        )
        table = table.append_column("batch_id", pa.array([batch_id] * table.num_rows))
        backend.append(REJECTS_TABLE, table)
