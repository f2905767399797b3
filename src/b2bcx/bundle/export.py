"""Write a workspace as a bundle (CSV, Parquet or JSON Lines; folder or zip).

Export then import gives the same workspace: values are written in the form
the importer reads back to the same stored value (ISO dates, UTC timestamps
with ``Z``, shortest round-trip numbers, ``true``/``false``, ``;``-joined
lists), and unknown source columns kept as attributes come back as columns.

The closed loop's cases and their history go along as extra files
(``cases.<format>``, ``case_events.<format>``; an import reads them as no
bundle table and says so). ``pseudonymise=True`` replaces the stakeholders'
``name`` and ``email`` with a keyed hash (HMAC-SHA256 under
``B2BCX_PSEUDONYM_KEY``, else a random key per export): the same person gets
the same pseudonym throughout one export (and across exports under one key),
and nobody without the key can recover the name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from b2bcx.bundle.results import ExportResult
from b2bcx.errors import ConfigurationError
from b2bcx.model.tables import ATTRIBUTES_COLUMN, TABLES, Kind, TableSpec
from b2bcx.progress import NO_PROGRESS, Progress
from b2bcx.storage import Backend

FORMATS = ("csv", "parquet", "jsonl")
_BATCH_ROWS = 500_000


def _text(spec: TableSpec, name: str, arr: pa.Array) -> pa.Array:
    """A stored column as the text the importer reads back to the same value."""
    kind = spec.column(name).kind
    if kind is Kind.TIMESTAMP:
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
        text = pc.replace_substring_regex(text, r"\.?0+$", "")
        text = pc.replace_substring_regex(text, r"T(\d\d:\d\d)$", "T\\1:00")
        return pc.binary_join_element_wise(text, "Z", "")
    if kind is Kind.BOOLEAN:
        return pc.if_else(arr, "true", "false")
    if kind is Kind.LIST:
        joined = pc.binary_join(arr, ";")
        return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return pc.cast(arr, pa.string())


def _attribute_names(backend: Backend, spec: TableSpec) -> list[str]:
    """Attribute names of a table in order of first appearance (one streamed pass
    over the rows that have attributes)."""
    t = backend.table(spec.name)
    expr = t.filter(t[ATTRIBUTES_COLUMN].notnull()).order_by(list(spec.key))
    names: dict[str, None] = {}
    for batch in backend.con.to_pyarrow_batches(
        expr.select(ATTRIBUTES_COLUMN), chunk_size=_BATCH_ROWS
    ):
        for text in batch.column(0).to_pylist():
            names.update(dict.fromkeys(json.loads(text)))
    return [n for n in names if n not in spec.column_names]


def _text_batch(spec: TableSpec, batch: pa.RecordBatch, attributes: list[str]) -> pa.Table:
    """One stored batch as bundle text: the spec's columns, then the attributes."""
    cols = {n: _text(spec, n, batch.column(n)) for n in spec.column_names}
    if attributes:
        parsed = [json.loads(a) if a else {} for a in batch.column(ATTRIBUTES_COLUMN).to_pylist()]
        for n in attributes:
            cols[n] = pa.array([p.get(n) for p in parsed], pa.string())
    return pa.table(cols)


def export_bundle(
    backend: Backend,
    path: Path,
    *,
    format: str = "csv",
    progress: Progress = NO_PROGRESS,
    pseudonymise: bool = False,
) -> ExportResult:
    """Write every required table and every non-empty optional table to ``path``.

    ``path`` is a folder (created), or a file ending in ``.zip``. Cases and
    their history are written too when there are any; ``pseudonymise`` hides
    the stakeholders' names and e-mail addresses behind keyed hashes.
    """
    if format not in FORMATS:
        raise ConfigurationError(f"unknown format {format!r}; choose {', '.join(FORMATS)}")
    as_zip = path.suffix.lower() == ".zip"
    folder = Path(tempfile.mkdtemp(prefix="b2bcx-export-")) if as_zip else path
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    try:
        progress.start("Exporting", total=len(TABLES))
        for spec in TABLES.values():
            n = int(backend.table(spec.name).count().execute())
            if n or spec.required:
                rows[spec.name] = n
                key = _pseudonym_key() if pseudonymise and spec.name == "stakeholders" else None
                _write_table(backend, spec, folder / f"{spec.name}.{format}", format, key)
            progress.advance("Exporting")
        rows.update(_write_cases(backend, folder, format))
        if as_zip:
            path.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(folder.iterdir()):
                    zf.write(f, arcname=f.name)
    finally:
        if as_zip:
            shutil.rmtree(folder, ignore_errors=True)
    return ExportResult(path=path, format=format, rows=rows)


#: The stakeholder columns ``pseudonymise`` hides.
PERSONAL_COLUMNS = ("name", "email")


def _pseudonym_key() -> bytes:
    key = os.environ.get("B2BCX_PSEUDONYM_KEY")
    return key.encode() if key else secrets.token_bytes(32)


def pseudonym(value: str, key: bytes, column: str) -> str:
    """The keyed pseudonym of one personal value (``person-…``, or ``…@pseudonym.invalid``).

    >>> pseudonym("Anna Berg", b"k", "name") == pseudonym("Anna Berg", b"k", "name")
    True
    >>> pseudonym("anna@example.com", b"k", "email").endswith("@pseudonym.invalid")
    True
    """
    digest = hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]
    return f"{digest}@pseudonym.invalid" if column == "email" else f"person-{digest}"


def _pseudonymised(table: pa.Table, key: bytes) -> pa.Table:
    for column in PERSONAL_COLUMNS:
        if column in table.column_names:
            values = [
                None if v is None else pseudonym(v, key, column)
                for v in table.column(column).to_pylist()
            ]
            i = table.column_names.index(column)
            table = table.set_column(i, column, pa.array(values, pa.string()))
    return table


def _write_cases(backend: Backend, folder: Path, format: str) -> dict[str, int]:
    """Write ``cases`` and ``case_events`` (when there are any) as extra files."""
    from b2bcx.storage import casestore

    rows: dict[str, int] = {}
    for name in (casestore.CASES_TABLE, casestore.EVENTS_TABLE):
        data = casestore.table_arrow(backend, name)
        if data is None:
            continue
        text = pa.table({c: _plain_text(data.column(c)) for c in data.column_names})
        target = folder / f"{name}.{format}"
        if format == "csv":
            pacsv.write_csv(text, target, pacsv.WriteOptions(quoting_style="needed"))
        elif format == "parquet":
            pq.write_table(text, target)
        else:
            with target.open("w", encoding="utf-8") as fh:
                for record in text.to_pylist():
                    clean = {k: v for k, v in record.items() if v is not None}
                    fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
        rows[name] = data.num_rows
    return rows


def _plain_text(arr: pa.ChunkedArray) -> pa.Array:
    """A bookkeeping column as text (timestamps ISO 8601 UTC with ``Z``)."""
    if pa.types.is_timestamp(arr.type):
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, "Z", "")
    return pc.cast(arr, pa.string())


def _write_table(
    backend: Backend, spec: TableSpec, target: Path, format: str, key: bytes | None = None
) -> None:
    """Stream one table to ``target``, batch by batch, in bounded memory (``key``:
    pseudonymise the personal columns)."""
    attributes = _attribute_names(backend, spec)
    schema = pa.schema([(n, pa.string()) for n in [*spec.column_names, *attributes]])
    t = backend.table(spec.name)
    expr = t.select(*spec.column_names, ATTRIBUTES_COLUMN).order_by(list(spec.key))
    batches = (
        _text_batch(spec, b, attributes).cast(schema)
        for b in backend.con.to_pyarrow_batches(expr, chunk_size=_BATCH_ROWS)
    )
    if key is not None:
        batches = (_pseudonymised(table, key) for table in batches)
    if format == "csv":
        options = pacsv.WriteOptions(quoting_style="needed")
        with pacsv.CSVWriter(target, schema, write_options=options) as writer:
            for table in batches:
                writer.write_table(table)
    elif format == "parquet":
        with pq.ParquetWriter(target, schema) as writer:
            for table in batches:
                writer.write_table(table)
    else:
        with target.open("w", encoding="utf-8") as fh:
            for table in batches:
                for record in table.to_pylist():
                    clean = {k: v for k, v in record.items() if v is not None}
                    fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
