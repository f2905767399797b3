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
import errno
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import BundleError, ConfigurationError, EncodingError, NotFound

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


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what reading a ``.zip`` bundle may unpack.

    Attributes
    ----------
    max_total_bytes:
        The most the extracted files may hold together (default 16 GiB, or
        ``B2BCX_MAX_UNZIP_MB`` megabytes).
    max_entries:
        The most entries (files and folders) the archive may list.
    max_ratio:
        The largest expansion of one entry (uncompressed / compressed size) for
        entries over 1 MiB; text tables compress about 5-20 times, a zip bomb
        hundreds or thousands of times.
    """

    max_total_bytes: int = 16 << 30
    max_entries: int = 10_000
    max_ratio: float = 200.0

    @classmethod
    def from_env(cls) -> ZipLimits:
        """The defaults, with ``B2BCX_MAX_UNZIP_MB`` overriding the total size."""
        raw = os.environ.get("B2BCX_MAX_UNZIP_MB", "").strip()
        if not raw:
            return cls()
        try:
            mb = int(raw)
        except ValueError:
            raise ConfigurationError(
                f"B2BCX_MAX_UNZIP_MB is {raw!r}; set it to a whole number of megabytes"
            ) from None
        return cls(max_total_bytes=mb << 20)


_RATIO_FLOOR = 1 << 20  # entries smaller than this are never refused for their ratio


@contextlib.contextmanager
def open_source(
    path: Path,
    *,
    wanted: Callable[[str], bool] | None = None,
    skipped: list[str] | None = None,
    limits: ZipLimits | None = None,
) -> Iterator[list[SourceFile]]:
    """The data files of a bundle folder, a ``.zip`` of one, or a single file.

    Parameters
    ----------
    path:
        A folder, a ``.zip`` or one data file.
    wanted:
        Which data files (by file name, e.g. ``accounts.csv``) to read from a
        zip; only those are extracted. Default: every ``.csv``, ``.parquet``
        and ``.jsonl`` file.
    skipped:
        Receives the names (as the user knows them) of the zip's data files
        that were not extracted.
    limits:
        Bounds on extraction (default :meth:`ZipLimits.from_env`).
    """
    if not path.exists():
        raise NotFound(f"{path}: no such file or folder")
    if path.is_dir():
        yield _files_in(path, prefix="")
    elif path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="b2bcx-zip-") as tmp:
            yield _extract_zip(path, Path(tmp), wanted, skipped, limits or ZipLimits.from_env())
    else:
        yield [SourceFile(path, path.name)]


def _extract_zip(
    path: Path,
    tmp: Path,
    wanted: Callable[[str], bool] | None,
    skipped: list[str] | None,
    limits: ZipLimits,
) -> list[SourceFile]:
    """Extract the wanted data files of a zip into ``tmp``, within ``limits``."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise BundleError(f"{path.name}: not a readable zip file ({exc})") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise BundleError(
                f"{path.name} lists {len(infos):,} entries (the limit is {limits.max_entries:,}); "
                "a bundle zip holds one file per table — zip only the bundle folder"
            )
        files = [
            i
            for i in infos
            if not i.is_dir()
            and not any(p.startswith(("__MACOSX", ".")) for p in PurePosixPath(i.filename).parts)
            and PurePosixPath(i.filename).suffix.lower() in SUFFIXES
        ]
        tops = {PurePosixPath(i.filename).parts[0] for i in files}
        nested = len(tops) == 1 and all(len(PurePosixPath(i.filename).parts) > 1 for i in files)

        def shown(info: zipfile.ZipInfo) -> str:
            parts = PurePosixPath(info.filename).parts
            return "/".join(parts[1:] if nested else parts)

        chosen = []
        for info in files:
            base = PurePosixPath(info.filename).name
            if wanted is None or wanted(base):
                chosen.append(info)
            elif skipped is not None:
                skipped.append(f"{path.name}:{shown(info)}")
        total = sum(i.file_size for i in chosen)
        if total > limits.max_total_bytes:
            raise BundleError(
                f"{path.name} would unpack to {_size(total)}, more than the limit of "
                f"{_size(limits.max_total_bytes)}; import the unzipped folder instead, or "
                "raise the limit with B2BCX_MAX_UNZIP_MB"
            )
        out = []
        written = 0
        for n, info in enumerate(chosen):
            name = shown(info)
            if info.flag_bits & 0x1:
                raise BundleError(
                    f"{path.name}:{name} is encrypted (password-protected); b2bcx cannot read "
                    "encrypted zips — unzip it and import the folder, or zip it again without "
                    "a password"
                )
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise BundleError(
                    f"{path.name}:{name} expands {info.file_size / max(info.compress_size, 1):,.0f}"
                    f" times ({_size(info.compress_size)} → {_size(info.file_size)}), more than "
                    f"the {limits.max_ratio:g} times a table can; the zip looks like a zip bomb — "
                    "check the file, or import the unzipped folder"
                )
            target = tmp / str(n) / PurePosixPath(info.filename).name
            target.parent.mkdir()
            written += _copy_entry(zf, info, target, path.name, name, limits, written)
            out.append(SourceFile(target, f"{path.name}:{name}"))
    return sorted(out, key=lambda f: f.name)


def _copy_entry(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    zip_name: str,
    name: str,
    limits: ZipLimits,
    before: int,
) -> int:
    """Stream one entry to ``target``, stopping at its declared size and the limits."""
    count = 0
    try:
        with zf.open(info) as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                count += len(chunk)
                if count > info.file_size or before + count > limits.max_total_bytes:
                    raise BundleError(
                        f"{zip_name}:{name} unpacks to more than its zip entry declares or "
                        f"than the limit of {_size(limits.max_total_bytes)}; the zip is damaged "
                        "or crafted — import the unzipped folder instead"
                    )
                dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, ValueError) as exc:
        raise BundleError(f"{zip_name}:{name}: cannot unpack this entry ({exc})") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise  # a full disk, not a damaged zip: the import says so
        raise BundleError(
            f"{zip_name}:{name}: cannot unpack this entry ({exc}); the zip is damaged"
        ) from exc
    except RuntimeError as exc:  # e.g. a password is required
        raise BundleError(
            f"{zip_name}:{name}: cannot unpack this entry ({exc}); unzip it and import the folder"
        ) from exc
    return count


def _size(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MB" if n < 1 << 30 else f"{n / (1 << 30):,.1f} GB"


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
_NUL_SHARE = 0.2  # NUL bytes in a text sample above this share: UTF-16/32 without a BOM
_TIED = 0.01  # detection candidates this close to the best are equally likely
_CANDIDATES = 4


def _detect_encoding(source: SourceFile, warnings: list[str] | None) -> str:
    """UTF-8 if the whole file decodes as such, else a detected encoding.

    A detected encoding is used only when the detection is confident: every
    candidate about as likely as the best reads the file to the same text, and
    that text encodes back to the file's bytes. Otherwise the file is refused
    with the readings side by side and the ``--encoding`` fix.
    """
    with source.path.open("rb") as fh:
        head = fh.read(1 << 16)
    _refuse_utf16_without_bom(source, head)
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

    results = list(from_path(source.path))
    if not results or codecs.lookup(results[0].encoding).name == "utf-8":
        raise EncodingError(
            f"{source.name} is not valid UTF-8 (byte {bad_at}) and its encoding could not "
            "be detected; save it as UTF-8 or name its encoding with --encoding (e.g. cp1252)"
        )
    best = results[0].chaos
    tied = [
        codecs.lookup(r.encoding).name
        for r in results[:_CANDIDATES]
        if r.chaos <= best + _TIED and codecs.lookup(r.encoding).name != "utf-8"
    ]
    tied = list(dict.fromkeys(tied))
    readings = {enc: _reading(source.path, enc) for enc in tied}
    usable = {enc: digest for enc, digest in readings.items() if digest is not None}
    name = tied[0]
    if name not in usable or len(set(usable.values())) > 1:
        raise EncodingError(_ambiguous(source, [e for e in tied if e in usable] or tied, bad_at))
    if warnings is not None:
        warnings.append(
            f"{source.name} is not UTF-8; read it as {name} (detected). "
            f"Use --encoding to choose another."
        )
    return name


def _refuse_utf16_without_bom(source: SourceFile, head: bytes) -> None:
    """Text full of NUL bytes is UTF-16 or UTF-32; without a BOM, say so."""
    if not head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if head.count(0) / len(head) < _NUL_SHARE:
        return
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    guess = "utf-16-le" if odd > even else "utf-16-be"
    raise EncodingError(
        f"{source.name} looks like {guess.upper()} text without a byte-order mark (every "
        f"other byte is zero); this is an encoding problem, not a problem with the columns — "
        f"name the encoding with --encoding {guess}, or save the file as UTF-8"
    )


def _reading(path: Path, encoding: str) -> str | None:
    """A digest of ``path`` decoded as ``encoding``; None if it does not decode, or
    does not encode back to the same bytes (a lossy reading)."""
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False)
    decoder = codecs.getincrementaldecoder(encoding)()
    encoder = codecs.getincrementalencoder(encoding)()
    pending = b""  # source bytes not yet matched by the re-encoded text
    with path.open("rb") as fh:
        try:
            while True:
                chunk = fh.read(1 << 22)
                text = decoder.decode(chunk, final=not chunk)
                back = encoder.encode(text, final=not chunk)
                digest.update(text.encode("utf-8", "surrogatepass"))
                pending += chunk
                if not pending.startswith(back):
                    return None
                pending = pending[len(back) :]
                if not chunk:
                    break
        except (UnicodeDecodeError, UnicodeEncodeError):
            return None
    if pending:
        return None
    return digest.hexdigest()


def _ambiguous(source: SourceFile, encodings: list[str], bad_at: int) -> str:
    """The refusal of an ambiguous detection, with the readings side by side."""
    with source.path.open("rb") as fh:
        fh.seek(max(bad_at - 40, 0))
        sample = fh.read(120)
    start = max(sample.rfind(b"\n", 0, min(bad_at, 40)) + 1, 0)
    end = sample.find(b"\n", start)
    line = sample[start : end if end > 0 else len(sample)]
    shown = "; ".join(
        f"as {enc}: {line.decode(enc, errors='replace').strip()!r}" for enc in encodings[:3]
    )
    return (
        f"{source.name} is not UTF-8 and its encoding is ambiguous — {shown}. Name the right "
        f"one with --encoding (e.g. --encoding {encodings[0]}), or save the file as UTF-8"
    )


def _header(source: SourceFile, encoding: str, delimiter: str | None) -> tuple[list[str], str]:
    try:
        with source.path.open("r", encoding=encoding, newline="") as fh:
            first = fh.readline()
    except UnicodeError:
        raise EncodingError(
            f"{source.name}: the header row is not valid {encoding}; name the file's "
            "encoding with --encoding, or save it as UTF-8"
        ) from None
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
    last: list[object] = []  # the values of the last row read
    while True:
        try:
            yield from _csv_batches(source, table, names, delim, enc, block, done, last)
            break
        except _BlockTooSmall:
            if block > source.path.stat().st_size:
                # the whole file fits in a block: a quote opens a value that never closes
                raise BundleError(_unclosed_quote(source, enc, delim, len(names))) from None
            if block >= _MAX_BLOCK:
                raise BundleError(f"{source.name}: a field is larger than 1 GiB") from None
            block = min(block * 4, _MAX_BLOCK)
    if done[0] and not _ends_with_line_break(source.path):
        raise BundleError(_truncated(source, enc, done[0] + 1))
    if done[0] and _swallowed_the_end(source.path, last):
        raise BundleError(_unclosed_quote(source, enc, delim, len(names), done[0] + 1))


def csv_header(source: SourceFile, encoding: str, delimiter: str | None) -> tuple[list[str], str]:
    """A CSV file's column names and delimiter (detected when ``delimiter`` is None),
    as the reader takes them; a bad header row is a :class:`BundleError`."""
    return _header(source, encoding, delimiter)


def ends_with_line_break(path: Path) -> bool:
    """Whether the file's last character is a line break (a file without one was
    probably cut off, which the reader reports)."""
    return _ends_with_line_break(path)


def _swallowed_the_end(path: Path, last: list[object]) -> bool:
    """Whether the last row's last value ran to the end of the file: a quote opened
    in it never closed, so it holds the line breaks (and rows) that follow."""
    values = [v for v in last if isinstance(v, str)]
    if not values or not values[-1].endswith(("\n", "\r")):
        return False
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 16, 0))
        tail = fh.read().rstrip(b"\x00").rstrip(b"\r\n").rstrip(b"\x00")
    return not tail.endswith(b'"')  # a closed quoted value ends in a quote


def _ends_with_line_break(path: Path) -> bool:
    """Whether the file's last character is a line break (in any encoding)."""
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 8, 0))
        tail = fh.read()
    return tail.rstrip(b"\x00").endswith((b"\n", b"\r"))


def _truncated(source: SourceFile, encoding: str, row: int) -> str:
    """The error for a file whose last row has no line break after it."""
    quotes = 0
    with source.path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        while chunk := fh.read(1 << 22):
            quotes += chunk.count('"')
    inside = " inside a quoted value that is never closed" if quotes % 2 else ""
    return (
        f"{source.name} row {row}: the file ends{inside} without a line break after this row, "
        "so it was probably cut off (truncated) and the row's last value may be incomplete; "
        "nothing was imported. Check that the file is complete (copy or download it again); "
        f"if row {row} is complete, end the file with a line break and import again"
    )


def _unclosed_quote(
    source: SourceFile, encoding: str, delimiter: str, n_columns: int, row: int | None = None
) -> str:
    """The error for a quoted value that runs to the end of the file."""
    where = _locate_parse_error(source, encoding, delimiter, n_columns)
    place = f"row {where[0]} (line {where[1]})" if where else f"row {row}" if row else "a row"
    return (
        f'{source.name}: {place} opens a quoted value (") that is never closed, so the rest '
        "of the file would be read as one value; close the quote (a quote inside a quoted "
        'value is written twice: "") or remove the stray quote'
    )


def _locate_parse_error(
    source: SourceFile, encoding: str, delimiter: str, n_columns: int
) -> tuple[int, int] | None:
    """(row, line) of the first record whose number of fields differs from the
    header's: the row as the importer counts it (the header is row 1, blank lines
    are skipped) and the line of the file where the record starts."""
    with source.path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=False)
        row = 0
        line = 1
        for record in reader:
            if record:
                row += 1
                if row > 1 and len(record) != n_columns:
                    return row, line
            line = reader.line_num + 1
    return None


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
    last: list[object],
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
                last[:] = list(data.slice(data.num_rows - 1).to_pylist()[0].values())
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
        where = _locate_parse_error(source, enc, delim, len(names))
        if where is None:
            place = f"cannot parse the CSV after row {done[0] + 1}"
        else:
            place = f"cannot parse row {where[0]} (line {where[1]}) of the CSV"
        hint = (
            '; a quote (") that opens a value must close it — check for a stray quote there'
            if "columns" in msg
            else ""
        )
        raise BundleError(f"{source.name}: {place}: {msg}{hint}") from exc


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
    batches = pf.iter_batches(batch_size=_CHUNK_ROWS)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise BundleError(
                f"{source.name}: cannot read the Parquet data after record {start - 1} ({exc}); "
                "the file is damaged or was written incompletely — write it again"
            ) from exc
        data = _text_table_of(source, pa.Table.from_batches([batch]), start)
        rows = pa.array(range(start, start + data.num_rows), pa.int64())
        start += data.num_rows
        yield RawBatch(table=table, file=source.name, rows=rows, data=data)


def _text_table_of(source: SourceFile, table: pa.Table, start: int) -> pa.Table:
    """Every column as text (:func:`_as_text`); bytes that are not UTF-8 are an
    error naming the column and the record."""
    out = {}
    for name in table.column_names:
        try:
            out[name] = _as_text(table.column(name))
        except pa.ArrowInvalid as exc:
            record = start
            for i, value in enumerate(table.column(name).to_pylist()):
                if isinstance(value, bytes):
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        record = start + i
                        break
            raise EncodingError(
                f"{source.name}, column {name}, record {record}: the bytes are not UTF-8 text "
                f"({exc}); write text columns as UTF-8 strings (e.g. decode them before writing "
                "the Parquet file)"
            ) from exc
    return pa.table(out)


def raw_row(batch: RawBatch, index: int) -> str:
    """Row ``index`` of a batch as the JSON object of its source values."""
    return json.dumps(
        {name: batch.data.column(name)[index].as_py() for name in batch.data.column_names},
        ensure_ascii=False,
    )


__all__ = ["SourceFile", "open_source", "raw_row", "read_source"]
