"""Mappings: load exports in other layouts (CRM, survey tool, review site) as a bundle.

A mapping is a YAML file that says, for each bundle table it fills, which
source file it comes from and how each bundle column is made::

    sources: [reviews.csv]
    tables:
      accounts:
        from: reviews                # the source file's name without suffix
        where: {present: company}    # keep rows with a value in this column
        unique: true                 # one row per key, first wins (across chunks)
        columns:
          account_id: {id: {from: [company], hash: true, prefix: "org-"}}
          name: {column: company}
          segment: {column: size, map: {"1-50": SMB}, default: key account}

Column recipes (exactly one of ``column``, ``value``, ``id``, ``template``):

- ``column: SRC`` copies a source column (a rename);
- ``value: V`` sets a constant;
- ``id: [SRC, ...]`` (or ``id: {from: [SRC, ...], hash: ..., prefix: ...}``)
  derives an id from one or more columns: a slug joined by ``-`` (or with
  ``hash: true`` a stable 12-character SHA-1 of the values joined by ``|``),
  after ``prefix``; ``fallback: [SRC, ...]`` is used where the first columns
  are all empty (so is a value without letters or digits, e.g. ``-``; a value
  in a script without an ASCII slug is hashed instead);
- ``template: "Pros: {pros}\\nCons: {cons}"`` composes text; a line whose
  placeholders are all empty is left out.

Then, in this order: ``map`` (value → value; ``case_insensitive: true``;
unmapped values become empty), ``default`` (for what is still empty),
``rescale: {from: [1, 7], to: [1, 5]}`` (linear: ``to_lo + (x − from_lo) ·
(to_hi − to_lo) / (from_hi − from_lo)``), ``date_format: "%d/%m/%Y"`` (parsed
into ISO 8601). ``attributes: [SRC, ...]`` keeps source columns as attributes.

The full reference, with the G2 example, is ``docs/mappings.md``.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from b2bcx.bundle.mapping_spec import (
    ColumnRecipe,
    IdRecipe,
    MappingSpec,
    Scalar,
    TableRecipe,
    Where,
    closest,
    load_spec,
)
from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import MappingError
from b2bcx.model.tables import TABLES

__all__ = ["Mapping", "MappingSpec", "load_mapping"]

_ROWS = "__b2bcx_row__"
_FILE = "__b2bcx_file__"
_SEP = "\x1f"  # joins the parts of a composite key


def _text(value: Scalar) -> str:
    """A constant from the YAML as bundle text (``true``, ``4``, ``4.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.str.strip() == "")


def _slug(series: pd.Series) -> pd.Series:
    s = series.str.lower().str.replace(r"[^0-9a-z]+", "-", regex=True)
    return s.str.strip("-")


def _sha(series: pd.Series) -> pd.Series:
    # hashlib has no vectorized form; this is the one element-wise step
    digests = [hashlib.sha1(v.encode()).hexdigest()[:12] for v in series.tolist()]
    return pd.Series(digests, index=series.index, dtype="string")


def _derive_id(rows: pd.DataFrame, cols: list[str], ident: IdRecipe) -> pd.Series:
    parts = rows[cols]
    empty = pd.concat([_blank(parts[c]) for c in cols], axis=1).all(axis=1)
    joined = parts[cols[0]].fillna("").str.strip()
    for c in cols[1:]:
        joined = joined + "|" + parts[c].fillna("").str.strip()
    if ident.hash:
        body = _sha(joined)
    else:
        body = _slug(joined.str.replace("|", "-", regex=False))
        # a name in another script has no ASCII slug: hash it; "-" or "?" is no id
        other = (body == "") & joined.str.contains(r"[^\W_]", regex=True)
        body = body.where(~other, _sha(joined))
        empty = empty | (body == "")
    return (ident.prefix + body).where(~empty, pd.NA)


def _template(rows: pd.DataFrame, template: str) -> pd.Series:
    out = pd.Series("", index=rows.index, dtype="string")
    for line in template.split("\n"):
        text = pd.Series("", index=rows.index, dtype="string")
        has = pd.Series(not any(f for _, f, _, _ in string.Formatter().parse(line)), rows.index)
        for literal, field, _, _ in string.Formatter().parse(line):
            text = text + literal
            if field:
                text = text + rows[field].fillna("")
                has = has | ~_blank(rows[field])
        add = has & (out != "")
        out = out.where(~add, out + "\n")
        out = out.where(~has, out + text)
    return out.where(out != "", pd.NA)


def _passes(rows: pd.DataFrame, where: Where) -> np.ndarray:
    """Which rows pass a ``where`` (table) or ``when`` (column) filter."""
    keep = np.ones(len(rows), dtype=bool)
    for col in where.present_columns():
        keep &= ~_blank(rows[col]).to_numpy(dtype=bool)
    if where.column is not None and where.in_ is not None:
        keep &= rows[where.column].isin(where.in_).to_numpy(dtype=bool)
    return keep


def _column(r: ColumnRecipe, rows: pd.DataFrame) -> pd.Series:
    ident = r.id_recipe()
    if r.column is not None:
        s = rows[r.column]
    elif ident is not None:
        s = _derive_id(rows, ident.from_, ident)
        if ident.fallback:
            s = s.where(~_blank(s), _derive_id(rows, ident.fallback, ident))
    elif r.template is not None:
        s = _template(rows, r.template)
    elif r.value is not None:
        s = pd.Series(_text(r.value), index=rows.index, dtype="string")
    else:
        s = pd.Series(pd.NA, index=rows.index, dtype="string")
    if r.map is not None:
        fold = str.lower if r.case_insensitive else str
        table = {fold(k): _text(v) for k, v in r.map.items()}
        keys = s.str.strip().str.lower() if r.case_insensitive else s.str.strip()
        s = keys.map(table).astype("string")
    if r.default is not None:
        s = s.where(~_blank(s), _text(r.default))
    if r.rescale is not None:
        (a, b), (c, d) = r.rescale.from_, r.rescale.to
        x = pd.to_numeric(s, errors="coerce")
        y = (c + (x - a) * (d - c) / (b - a)).round(6)
        shown = y.astype("string").str.replace(r"\.0$", "", regex=True)
        # a value that is not a number stays as it was, so validation rejects it
        s = shown.where(x.notna(), s)
    if r.date_format is not None:
        parsed = pd.to_datetime(s, format=r.date_format, errors="coerce")
        s = parsed.dt.strftime("%Y-%m-%d").astype("string").where(parsed.notna(), s)
    if r.when is not None:
        s = s.where(_passes(rows, r.when), pd.NA)
    return s.astype("string").where(~_blank(s), pd.NA)


class Mapping:
    """A loaded, checked mapping; see :mod:`b2bcx.bundle.mapping` for the YAML form.

    Parameters
    ----------
    spec : MappingSpec
        The validated mapping.
    path : Path
        The mapping file (named in error messages).

    Notes
    -----
    ``unique`` tables remember the keys they emitted, so one account per
    organization comes out even when the organization recurs in later chunks.
    With ``prefer: first`` (the default) the first row of a key wins and is
    emitted at once; with ``prefer: last`` rows are held back and the last row
    of each key is emitted when the input ends. A mapping object keeps this
    state, so use one per import.
    """

    def __init__(self, spec: MappingSpec, path: Path) -> None:
        self.spec = spec
        self.path = Path(path)
        self._seen: dict[str, set[str]] = {t: set() for t in spec.tables}
        self._held: dict[str, list[pd.DataFrame]] = {t: [] for t in spec.tables}

    @property
    def sources(self) -> tuple[str, ...]:
        """The source file names the mapping reads."""
        return tuple(self.spec.sources)

    def apply(self, batches: Iterable[RawBatch]) -> Iterator[RawBatch]:
        """Turn source batches into bundle-table batches, chunk by chunk.

        Parameters
        ----------
        batches : iterable of RawBatch
            Source rows; ``table`` is the source file's stem, ``data`` its
            columns as text.

        Yields
        ------
        RawBatch
            Rows of one bundle table, with bundle column names (plus the
            ``attributes``), and the source file and row numbers carried over.

        Raises
        ------
        MappingError
            If a source file lacks a column the mapping reads.
        """
        for batch in batches:
            recipes = [(t, r) for t, r in self.spec.tables.items() if r.from_ == batch.table]
            if not recipes or batch.num_rows == 0:
                continue
            frame = batch.data.to_pandas().astype("string")
            rows = np.asarray(batch.rows.to_numpy(zero_copy_only=False), dtype=np.int64)
            for table, recipe in recipes:
                self._check_columns(table, recipe, frame, batch.file)
                out = self._table(table, recipe, frame, rows, batch.file)
                if out is not None:
                    yield out
        for table, held in self._held.items():
            if held:
                yield from self._release(table, pd.concat(held, ignore_index=True))
                held.clear()

    def _check_columns(
        self, table: str, recipe: TableRecipe, frame: pd.DataFrame, file: str
    ) -> None:
        missing = sorted(recipe.sources() - set(frame.columns))
        if missing:
            raise MappingError(
                f"{self.path.name}: tables.{table} reads column(s) {missing} that {file} "
                f"does not have{closest(missing[0], frame.columns)}"
            )

    def _table(
        self, table: str, recipe: TableRecipe, frame: pd.DataFrame, rows: np.ndarray, file: str
    ) -> RawBatch | None:
        keep = np.ones(len(frame), dtype=bool)
        if recipe.where is not None:
            keep = _passes(frame, recipe.where)
        src = frame[keep]
        result = pd.DataFrame(
            {n: _column(r, src) for n, r in recipe.columns.items()}, index=src.index
        )
        for attr in recipe.attributes:
            if attr not in result:
                result[attr] = src[attr]
        numbers = rows[keep]
        if recipe.unique:
            if recipe.prefer == "last":
                held = result.reset_index(drop=True)
                held[_ROWS] = numbers
                held[_FILE] = file
                self._held[table].append(held)
                return None
            keys = self._keys(table, result)
            fresh = (~keys.duplicated() & ~keys.isin(self._seen[table])).to_numpy(dtype=bool)
            self._seen[table].update(keys[fresh].tolist())
            result, numbers = result[fresh], numbers[fresh]
        return _batch(table, file, numbers, result)

    @staticmethod
    def _keys(table: str, result: pd.DataFrame) -> pd.Series:
        cols = list(TABLES[table].key)
        keys = result[cols[0]].fillna("")
        for c in cols[1:]:
            keys = keys + _SEP + result[c].fillna("")
        return keys

    def _release(self, table: str, held: pd.DataFrame) -> Iterator[RawBatch]:
        keys = self._keys(table, held)
        last = held[~keys.duplicated(keep="last").to_numpy(dtype=bool)]
        for file, part in last.groupby(_FILE, sort=False):
            numbers = part[_ROWS].to_numpy(dtype=np.int64)
            out = _batch(table, str(file), numbers, part.drop(columns=[_ROWS, _FILE]))
            if out is not None:
                yield out


def _batch(table: str, file: str, numbers: np.ndarray, result: pd.DataFrame) -> RawBatch | None:
    if result.empty:
        return None
    data = pa.table(
        {
            c: pa.array(result[c].astype(object).where(result[c].notna(), None), pa.string())
            for c in result
        }
    )
    return RawBatch(table=table, file=file, rows=pa.array(numbers, pa.int64()), data=data)


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping YAML file.

    Parameters
    ----------
    path : Path
        The mapping file (see ``docs/mappings.md``).

    Returns
    -------
    Mapping
        The mapping, ready to :meth:`~Mapping.apply` to source batches.

    Raises
    ------
    MappingError
        If the file is missing or wrong; the message names the file, the key
        path and the fix.
    """
    return Mapping(load_spec(path), Path(path))
