"""Read bundle files (CSV, JSON Lines, Parquet; folder, zip or one file) as text batches.

Every value comes out as text, exactly as written, in :class:`RawBatch` chunks
of bounded size, with the row number a person sees: in a CSV the header is row
1 and the first record row 2; in JSON Lines the line number; in Parquet the
record number from 1.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import BundleError, EncodingError, NotFound

SUFFIXES = (".csv", ".parquet", ".jsonl")
_DELIMITERS = (",", ";", "\t", "|")
_BLOCK = 8 << 20  # bytes per CSV block; grows for huge fields
_MAX_BLOCK = 1 << 30
_CHUNK_ROWS = 250_000


@dataclass(frozen=True)
class SourceFile:
    """One data file of a bundle: where it is and how the user knows it."""

    path: Path
    name: str  # e.g. "interactions.csv" or "bundle.zip:interactions.csv"

    @property
    def stem(self) -> str:
        """The file name without its suffix (the table name in a bundle)."""
        return Path(self.path.name).stem


@contextlib.contextmanager
def open_source(path: Path) -> Iterator[list[SourceFile]]:
    """The data files of a bundle folder, a ``.zip`` of one, or a single file."""
    if not path.exists():
        raise NotFound(f"{path}: no such file or folder")
    if path.is_dir():
        yield _files_in(path, prefix="")
    elif path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="b2bcx-zip-") as tmp:
            try:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(tmp)
            except zipfile.BadZipFile as exc:
                raise BundleError(f"{path.name}: not a readable zip file ({exc})") from exc
            root = Path(tmp)
            entries = [p for p in root.iterdir() if not p.name.startswith(("__MACOSX", "."))]
            if len(entries) == 1 and entries[0].is_dir():
                root = entries[0]  # a zip of the bundle folder
            yield _files_in(root, prefix=f"{path.name}:")
    else:
        yield [SourceFile(path, path.name)]


def _files_in(folder: Path, *, prefix: str) -> list[SourceFile]:
    return [
        SourceFile(p, prefix + p.name)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in SUFFIXES
    ]


def read_source(
    source: SourceFile,
    table: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    warnings: list[str] | None = None,
) -> Iterator[RawBatch]:
    """Yield the rows of one file as text batches for ``table``."""
    suffix = source.path.suffix.lower()
    if source.path.stat().st_size == 0:
        raise BundleError(
            f"{source.name} is empty (0 bytes); a table file needs at least a header row — "
            "write the header, or leave the file out if the table has no data"
        )
    if suffix == ".csv":
        yield from _read_csv(source, table, encoding, delimiter, warnings)
    elif suffix == ".jsonl":
        yield from _read_jsonl(source, table, encoding)
    elif suffix == ".parquet":
        yield from _read_parquet(source, table)
    else:  # pragma: no cover - open_source only lists known suffixes
        raise BundleError(f"{source.name}: unsupported file type {suffix}")


# -- CSV ---------------------------------------------------------------------
def _detect_encoding(source: SourceFile, warnings: list[str] | None) -> str:
    """UTF-8 if the whole file decodes as such, else a detected encoding."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with source.path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError as exc:
            bad_at = offset + exc.start
    from charset_normalizer import from_path

    best = from_path(source.path).best()
    if best is None or best.encoding in ("utf_8", "utf-8"):
        raise EncodingError(
            f"{source.name} is not valid UTF-8 (byte {bad_at}) and its encoding could not "
            "be detected; save it as UTF-8 or name its encoding with --encoding (e.g. cp1252)"
        )
    name = codecs.lookup(best.encoding).name
    if warnings is not None:
        warnings.append(
            f"{source.name} is not UTF-8; read it as {name} (detected). "
            f"Use --encoding to choose another."
        )
    return name


def _header(source: SourceFile, encoding: str, delimiter: str | None) -> tuple[list[str], str]:
    with source.path.open("r", encoding=encoding, newline="") as fh:
        first = fh.readline()
    first = first.lstrip("\ufeff")
    if delimiter is None:
        counts = {d: first.count(d) for d in _DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader([first], delimiter=delimiter), [])
    names = [n.strip() for n in names]
    if not names or names == [""]:
        raise BundleError(f"{source.name}: the first line must be a header row of column names")
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise BundleError(f"{source.name}: column {n!r} appears twice in the header")
        seen.add(n)
    return names, delimiter


def _read_csv(
    source: SourceFile,
    table: str,
    encoding: str | None,
    delimiter: str | None,
    warnings: list[str] | None,
) -> Iterator[RawBatch]:
    enc = encoding or _detect_encoding(source, warnings)
    try:
        codecs.lookup(enc)
    except LookupError:
        raise EncodingError(f"--encoding {enc!r} is not a known text encoding") from None
    names, delim = _header(source, enc, delimiter)
    block = _BLOCK
    done = [0]  # rows already yielded: a retry with a bigger block skips them
    while True:
        try:
            yield from _csv_batches(source, table, names, delim, enc, block, done)
            return
        except _BlockTooSmall:
            if block >= _MAX_BLOCK:
                raise BundleError(f"{source.name}: a field is larger than 1 GiB") from None
            block *= 4


class _BlockTooSmall(Exception):
    pass


def _csv_batches(
    source: SourceFile,
    table: str,
    names: list[str],
    delim: str,
    enc: str,
    block: int,
    done: list[int],
) -> Iterator[RawBatch]:
    read = pacsv.ReadOptions(
        column_names=names, skip_rows=1, block_size=block, encoding=enc, use_threads=True
    )
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    seen = 0  # rows parsed in this attempt
    try:
        reader = pacsv.open_csv(
            source.path, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            data = pa.Table.from_batches([batch])
            first = seen
            seen += data.num_rows
            if seen <= done[0]:
                continue  # yielded by an earlier attempt
            data = data.slice(max(done[0] - first, 0))
            start = 2 + max(done[0], first)
            rows = pa.array(range(start, start + data.num_rows), pa.int64())
            done[0] = seen
            if data.num_rows:
                yield RawBatch(table=table, file=source.name, rows=rows, data=data)
        if done[0] == 0:  # a header-only file: no rows, but its header is still checked
            empty = pa.table({n: pa.array([], pa.string()) for n in names})
            yield RawBatch(table=table, file=source.name, rows=pa.array([], pa.int64()), data=empty)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "straddling" in msg or "block size" in msg.lower():
            raise _BlockTooSmall from exc
        if "UTF8" in msg or "utf-8" in msg.lower():
            raise EncodingError(
                f"{source.name} could not be decoded as {enc}; name its encoding with --encoding"
            ) from exc
        raise BundleError(
            f"{source.name}: cannot parse the CSV after row {done[0] + 1}: {msg}"
        ) from exc


# -- JSON Lines and Parquet ----------------------------------------------------
def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A typed column as text (lists joined with ';'; booleans true/false)."""
    typ = column.type
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        joined = pc.binary_join(pc.cast(column, pa.list_(pa.string())), ";")
        return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    if pa.types.is_timestamp(typ):
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    if pa.types.is_null(typ):
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    if pa.types.is_struct(typ) or pa.types.is_map(typ):
        return pa.chunked_array(
            [pa.array([None if v is None else json.dumps(v) for v in column.to_pylist()])]
        )
    return pc.cast(column, pa.string())


def _text_table(table: pa.Table) -> pa.Table:
    return pa.table({name: _as_text(table.column(name)) for name in table.column_names})


def _read_jsonl(source: SourceFile, table: str, encoding: str | None) -> Iterator[RawBatch]:
    records: list[dict[str, object]] = []
    lines: list[int] = []
    enc = encoding or "utf-8-sig"
    try:
        with source.path.open("r", encoding=enc) as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BundleError(
                        f"{source.name} line {lineno}: not valid JSON ({exc.msg}); "
                        "each line must be one JSON object"
                    ) from None
                if not isinstance(value, dict):
                    raise BundleError(f"{source.name} line {lineno}: expected a JSON object")
                records.append({k: _json_text(v) for k, v in value.items()})
                lines.append(lineno)
                if len(records) >= _CHUNK_ROWS:
                    yield _jsonl_batch(source, table, records, lines)
                    records, lines = [], []
    except UnicodeDecodeError:
        raise EncodingError(
            f"{source.name} is not valid {enc}; save it as UTF-8 or use --encoding"
        ) from None
    if records:
        yield _jsonl_batch(source, table, records, lines)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value) or None
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _jsonl_batch(
    source: SourceFile, table: str, records: list[dict[str, object]], lines: list[int]
) -> RawBatch:
    names: dict[str, None] = {}
    for r in records:
        names.update(dict.fromkeys(r))
    data = pa.table({n: pa.array([r.get(n) for r in records], pa.string()) for n in names})
    return RawBatch(table=table, file=source.name, rows=pa.array(lines, pa.int64()), data=data)


def _read_parquet(source: SourceFile, table: str) -> Iterator[RawBatch]:
    try:
        pf = pq.ParquetFile(source.path)
    except Exception as exc:
        raise BundleError(f"{source.name}: not a readable Parquet file ({exc})") from exc
    start = 1
    for batch in pf.iter_batches(batch_size=_CHUNK_ROWS):
        data = _text_table(pa.Table.from_batches([batch]))
        rows = pa.array(range(start, start + data.num_rows), pa.int64())
        start += data.num_rows
        yield RawBatch(table=table, file=source.name, rows=rows, data=data)


def raw_row(batch: RawBatch, index: int) -> str:
    """Row ``index`` of a batch as the JSON object of its source values."""
    return json.dumps(
        {name: batch.data.column(name)[index].as_py() for name in batch.data.column_names},
        ensure_ascii=False,
    )


__all__ = ["SourceFile", "open_source", "raw_row", "read_source"]
