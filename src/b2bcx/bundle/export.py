"""Write a workspace as a bundle (CSV, Parquet or JSON Lines; folder or zip).

Export then import gives the same workspace: values are written in the form
the importer reads back to the same stored value (ISO dates, UTC timestamps
with ``Z``, shortest round-trip numbers, ``true``/``false``, ``;``-joined
lists), and unknown source columns kept as attributes come back as columns.
"""

from __future__ import annotations

import json
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
) -> ExportResult:
    """Write every required table and every non-empty optional table to ``path``.

    ``path`` is a folder (created), or a file ending in ``.zip``.
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
                _write_table(backend, spec, folder / f"{spec.name}.{format}", format)
            progress.advance("Exporting")
        if as_zip:
            path.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(folder.iterdir()):
                    zf.write(f, arcname=f.name)
    finally:
        if as_zip:
            shutil.rmtree(folder, ignore_errors=True)
    return ExportResult(path=path, format=format, rows=rows)


def _write_table(backend: Backend, spec: TableSpec, target: Path, format: str) -> None:
    """Stream one table to ``target``, batch by batch, in bounded memory."""
    attributes = _attribute_names(backend, spec)
    schema = pa.schema([(n, pa.string()) for n in [*spec.column_names, *attributes]])
    t = backend.table(spec.name)
    expr = t.select(*spec.column_names, ATTRIBUTES_COLUMN).order_by(list(spec.key))
    batches = (
        _text_batch(spec, b, attributes).cast(schema)
        for b in backend.con.to_pyarrow_batches(expr, chunk_size=_BATCH_ROWS)
    )
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
