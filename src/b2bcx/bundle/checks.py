"""Validate text batches against the bundle format, column by column, vectorized.

Each check works on a whole column at once (Arrow compute, NumPy, pandas);
Python only formats the message of a failing row. A batch becomes the typed
rows that passed and a list of :class:`Reject`, each naming the file, row,
column, value, and the fix.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from b2bcx.bundle.countries import COUNTRY_CODES
from b2bcx.bundle.raw import RawBatch
from b2bcx.bundle.reading import raw_row
from b2bcx.model.tables import ATTRIBUTES_COLUMN, Column, Kind, TableSpec
from b2bcx.storage.schema import column_dtype

_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
#: The largest magnitude of a number (an amount, a value): sums and weighted
#: means over any number of rows stay finite, and nothing overflows to inf.
MAX_NUMBER = 1e15
#: The largest whole number: every integer up to it is stored exactly (2**53 - 1).
MAX_INTEGER = 2**53 - 1
#: The earliest plausible date; the latest is a year after the day of the import.
EARLIEST_DATE = _dt.date(1900, 1, 1)
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
#: The spellings of a boolean, after trimming and lower-casing.
TRUE_WORDS, FALSE_WORDS = _TRUE, _FALSE


@dataclass(frozen=True)
class Reject:
    """One problem with one source row."""

    table: str
    file: str
    row: int
    column: str
    value: str | None
    reason: str
    original: str  # the source row as read, a JSON object


@dataclass(frozen=True)
class CheckedBatch:
    """The typed rows of a batch that passed, with ``_file`` and ``_row``."""

    valid: pa.Table
    rejects: list[Reject]


def missing_required_columns(spec: TableSpec, names: Sequence[str]) -> list[str]:
    """Required columns of ``spec`` absent from a file's header."""
    return [c.name for c in spec.columns if c.required and c.name not in names]


def _blank_to_null(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    stripped = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), arr)


def _parse_times(
    text: pa.Array, date_formats: Sequence[str], *, as_date: bool
) -> tuple[pa.Array, np.ndarray]:
    """Parse ISO 8601 (and extra formats); returns (values, bad mask among present)."""
    series = pd.Series(text.to_numpy(zero_copy_only=False), dtype="object")
    present = series.notna().to_numpy()
    stripped = series.str.strip()
    parsed = pd.to_datetime(stripped, format="ISO8601", utc=True, errors="coerce")
    if as_date:
        # a date column takes a bare date; a full timestamp is not a date
        plain = stripped.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        parsed = parsed.where(plain.to_numpy())
    for fmt in date_formats:
        todo = parsed.isna().to_numpy() & present
        if not todo.any():
            break
        extra = pd.to_datetime(stripped[todo], format=fmt, utc=True, errors="coerce")
        parsed.loc[todo] = extra
    bad = present & parsed.isna().to_numpy()
    naive = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    if as_date:
        values = pa.array(naive.dt.date.where(~naive.isna(), None), pa.date32())
    else:
        values = pa.array(naive.astype("datetime64[us]"), pa.timestamp("us"))
    return values, bad


def _closest(value: str, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(value.lower().strip(), choices, n=1, cutoff=0.5)
    return f"did you mean {near[0]!r}? " if near else ""


class _Problems:
    """Collects failing rows per column: mask → message."""

    def __init__(self, batch: RawBatch) -> None:
        self.batch = batch
        self.bad = np.zeros(batch.num_rows, dtype=bool)
        self.items: list[tuple[int, str, str | None, str]] = []

    def add(
        self,
        mask: np.ndarray,
        column: str,
        text: pa.Array | None,
        why: str | Callable[[str | None], str],
    ) -> None:
        """Mark rows in ``mask`` bad; ``why`` is a template using {value}, or a
        function of the value (called once per distinct value)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        self.bad[idx] = True
        values = text.take(pa.array(idx)).to_pylist() if text is not None else [None] * len(idx)
        messages: dict[str | None, str] = {}
        for i, v in zip(idx.tolist(), values, strict=True):
            if v not in messages:
                messages[v] = why(v) if callable(why) else why.format(value=repr(v))
            self.items.append((i, column, v, messages[v]))

    def rejects(self) -> list[Reject]:
        rows = self.batch.rows.to_pylist()
        out = []
        for i, column, value, why in self.items:
            place = f"{self.batch.file} row {rows[i]}, column {column}: "
            out.append(
                Reject(
                    table=self.batch.table,
                    file=self.batch.file,
                    row=rows[i],
                    column=column,
                    value=value,
                    reason=place + why,
                    original=raw_row(self.batch, i),
                )
            )
        return out


def _check_column(
    col: Column,
    text: pa.Array,
    probs: _Problems,
    date_formats: Sequence[str],
    today: _dt.date,
) -> pa.Array:
    """Typed values of one column (null where bad); problems recorded in ``probs``."""
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    name = col.name
    if col.required:
        probs.add(~present, name, None, "a value is required here; fill it in")
    kind = col.kind
    if kind in (Kind.ID, Kind.TEXT):
        return text
    if kind in (Kind.INTEGER, Kind.NUMBER):
        ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), True).to_numpy(
            zero_copy_only=False
        )
        bad = present & ~ok
        probs.add(bad, name, text, "{value} is not a number; write digits like 12 or 3.5")
        clean = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)
        num = pc.cast(pc.utf8_trim_whitespace(clean), pa.float64())
        vals = num.to_numpy(zero_copy_only=False)
        whole = col.kind is Kind.INTEGER or (col.scale is not None and col.scale.integer)
        limit = MAX_INTEGER if col.kind is Kind.INTEGER else MAX_NUMBER
        with np.errstate(invalid="ignore"):  # inf and 1e400 too; a scale has its own range
            huge = present & ~bad & ~(np.abs(vals) <= limit) & (col.scale is None)
        probs.add(
            huge,
            name,
            text,
            f"{{value}} is too large (the limit is {limit:,.0f}); check the value, "
            "e.g. a misplaced exponent or a missing decimal point",
        )
        bad |= huge
        if whole:
            frac = present & ~bad & (np.mod(np.nan_to_num(vals), 1) != 0)
            probs.add(frac, name, text, "{value} must be a whole number")
            bad |= frac
        if col.scale is not None:
            lo, hi = col.scale.low, col.scale.high
            out = present & ~bad & ((vals < lo) | (vals > hi))
            kind_word = "whole number" if whole else "number"
            probs.add(
                out,
                name,
                text,
                f"{{value}} is outside the scale; use a {kind_word} from {lo:g} to {hi:g}",
            )
            bad |= out
        if col.minimum is not None:
            low = present & ~bad & (vals < col.minimum)
            probs.add(low, name, text, f"{{value}} must be ≥ {col.minimum:g}")
            bad |= low
        vals = np.where(bad, np.nan, vals)
        arr = pa.array(vals, pa.float64(), from_pandas=True)
        return pc.cast(arr, pa.int64()) if kind is Kind.INTEGER else arr
    if kind in (Kind.DATE, Kind.TIMESTAMP):
        as_date = kind is Kind.DATE
        values, bad = _parse_times(text, date_formats, as_date=as_date)
        shape = "a date like 2025-03-01" if as_date else "a timestamp like 2025-03-01T14:30:00Z"
        hint = "" if date_formats else ", or name its format with --date-format"
        probs.add(bad, name, text, f"{{value}} is not {shape} (ISO 8601){hint}")
        latest = today + _dt.timedelta(days=366)
        day = pc.cast(values, pa.date32()) if not as_date else values
        early = pc.less(day, pa.scalar(EARLIEST_DATE, pa.date32()))
        late = pc.greater(day, pa.scalar(latest, pa.date32()))
        odd = pc.fill_null(pc.or_(early, late), False).to_numpy(zero_copy_only=False) & ~bad
        fmt = (
            f"; check the order of day, month and year in --date-format {date_formats[0]!r}"
            if date_formats
            else ""
        )
        probs.add(
            odd,
            name,
            text,
            f"{{value}} is not a plausible date: dates from {EARLIEST_DATE} to {latest} "
            f"(a year from today) are accepted; check the year{fmt}",
        )
        return pc.if_else(pa.array(odd), pa.scalar(None, values.type), values)
    if kind is Kind.BOOLEAN:
        low = pc.utf8_lower(pc.utf8_trim_whitespace(text))
        is_t = pc.fill_null(pc.is_in(low, pa.array(_TRUE)), False)
        is_f = pc.fill_null(pc.is_in(low, pa.array(_FALSE)), False)
        ok = pc.or_(is_t, is_f).to_numpy(zero_copy_only=False)
        probs.add(present & ~ok, name, text, "{value} is not a boolean; write true or false")
        return pc.if_else(is_t, True, pc.if_else(is_f, False, pa.scalar(None, pa.bool_())))
    if kind is Kind.ENUM:
        assert col.enum is not None
        choices = [e.value for e in col.enum]
        ok = pc.fill_null(pc.is_in(text, pa.array(choices)), True).to_numpy(zero_copy_only=False)
        valid = ", ".join(choices)
        probs.add(
            present & ~ok,
            name,
            text,
            lambda v: f"{v!r} is not a valid {name}; {_closest(str(v), choices)}(valid: {valid})",
        )
        return pc.if_else(pa.array(present & ~ok), pa.scalar(None, pa.string()), text)
    if kind is Kind.COUNTRY:
        upper = pc.utf8_upper(pc.utf8_trim_whitespace(text))
        ok = pc.fill_null(pc.is_in(upper, pa.array(sorted(COUNTRY_CODES))), True)
        bad = present & ~ok.to_numpy(zero_copy_only=False)
        probs.add(
            bad, name, text, "{value} is not an ISO 3166-1 alpha-2 country code (e.g. SE, DE)"
        )
        return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), upper)
    if kind is Kind.LIST:
        parts = pc.split_pattern(text, ";")
        items = pc.list_flatten(parts)
        items = pc.utf8_trim_whitespace(items)
        offsets = parts.offsets
        lists = pa.ListArray.from_arrays(offsets, items)
        lists = pc.if_else(pc.is_valid(text), lists, pa.scalar(None, pa.list_(pa.string())))
        if col.enum is not None:
            choices = [e.value for e in col.enum]
            flat_ok = pc.is_in(pc.list_flatten(lists), pa.array(choices)).to_numpy(
                zero_copy_only=False
            )
            owner = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
            bad = np.zeros(len(text), dtype=bool)
            bad[owner[~flat_ok]] = True
            probs.add(
                bad, name, text, f"{{value}} lists an invalid value (valid: {', '.join(choices)})"
            )
        return lists
    raise AssertionError(kind)  # pragma: no cover


def check_batch(
    batch: RawBatch,
    spec: TableSpec,
    date_formats: Sequence[str] = (),
    *,
    today: _dt.date | None = None,
) -> CheckedBatch:
    """Validate one batch: typed valid rows (with ``_file``, ``_row``) and rejects.

    ``today`` anchors the plausibility of dates (default: the current UTC date);
    a date more than a year after it is rejected.
    """
    today = today or _dt.datetime.now(_dt.UTC).date()
    probs = _Problems(batch)
    n = batch.num_rows
    columns: dict[str, pa.Array] = {}
    for col in spec.columns:
        if col.name in batch.data.column_names:
            text = _blank_to_null(batch.data.column(col.name))
        else:
            text = pa.nulls(n, pa.string())
        values = _check_column(col, text, probs, date_formats, today)
        columns[col.name] = pc.cast(values, column_dtype(col).to_pyarrow())
    for col in spec.columns:
        if col.required_when is None:
            continue
        other, wanted = col.required_when
        need = pc.fill_null(pc.equal(columns[other], wanted), False).to_numpy(zero_copy_only=False)
        missing = need & ~pc.is_valid(columns[col.name]).to_numpy(zero_copy_only=False)
        probs.add(missing, col.name, None, f"required because {other} is {wanted!r}; fill it in")
    extras = [c for c in batch.data.column_names if c not in spec.column_names]
    columns[ATTRIBUTES_COLUMN] = _attributes(batch, extras)
    columns["_file"] = pa.array([batch.file] * n, pa.string())
    columns["_row"] = batch.rows
    typed = pa.table(columns)
    keep = pa.array(~probs.bad)
    return CheckedBatch(valid=typed.filter(keep), rejects=probs.rejects())


def _attributes(batch: RawBatch, extras: list[str]) -> pa.Array:
    """Unknown extra columns of each row as a JSON object text (null if none)."""
    n = batch.num_rows
    if not extras:
        return pa.nulls(n, pa.string())
    cols = {e: batch.data.column(e).to_pylist() for e in extras}
    out: list[str | None] = []
    for i in range(n):
        obj = {e: cols[e][i] for e in extras if cols[e][i] not in (None, "")}
        out.append(json.dumps(obj, ensure_ascii=False, sort_keys=True) if obj else None)
    return pa.array(out, pa.string())
