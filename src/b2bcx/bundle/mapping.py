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
          account_id: {id: [company], prefix: "org-"}
          name: {column: company}
          segment: {column: size, map: {"1-50": SMB, "51-500": mid-market}, default: key account}

Column recipes (exactly one of ``column``, ``value``, ``id``, ``template``):

- ``column: SRC`` copies a source column (a rename);
- ``value: V`` sets a constant;
- ``id: [SRC, ...]`` derives an id from one or more columns: a slug joined by
  ``-`` (or with ``hash: true`` a stable 12-character SHA-1), after ``prefix``;
  ``fallback: [SRC, ...]`` is used where the first columns are all empty;
- ``template: "Pros: {pros}\\nCons: {cons}"`` composes text; a line whose
  placeholders are all empty is left out.

Then, in this order: ``map`` (value → value; ``case_insensitive: true``),
``default`` (for what is still empty or unmapped), ``rescale: {from: [1, 7],
to: [1, 5]}`` (linear: ``to_lo + (x − from_lo)·(to_hi − to_lo)/(from_hi −
from_lo)``), ``date_format: "%d/%m/%Y"`` (parsed into ISO 8601).
``attributes: [SRC, ...]`` keeps source columns as attributes of the row.
"""

from __future__ import annotations

import difflib
import hashlib
import string
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from b2bcx.bundle.raw import RawBatch
from b2bcx.errors import MappingError
from b2bcx.model.tables import TABLES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRecipe(_Strict):
    """How one bundle column is made from a source row."""

    column: str | None = None
    value: str | int | float | bool | None = None
    id: list[str] | None = None
    template: str | None = None
    prefix: str = ""
    hash: bool = False
    fallback: list[str] | None = None
    map: dict[str, str | int | float | bool] | None = None
    case_insensitive: bool = False
    default: str | int | float | bool | None = None
    rescale: dict[str, tuple[float, float]] | None = None
    date_format: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRecipe:
        given = [k for k in ("column", "value", "id", "template") if getattr(self, k) is not None]
        if len(given) != 1 and not (not given and self.default is not None):
            raise ValueError(
                "give exactly one of column, value, id or template "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.rescale is not None and set(self.rescale) != {"from", "to"}:
            raise ValueError("rescale needs `from: [low, high]` and `to: [low, high]`")
        return self

    def sources(self) -> set[str]:
        """The source columns this recipe reads."""
        cols = {self.column} if self.column else set()
        cols |= set(self.id or ()) | set(self.fallback or ())
        if self.template:
            cols |= {f for _, f, _, _ in string.Formatter().parse(self.template) if f}
        return cols


class Where(_Strict):
    """A row filter: keep rows with a value in ``present`` and/or ``column`` in ``in``."""

    present: str | None = None
    column: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")


class TableRecipe(_Strict):
    """How one bundle table is filled from one source file."""

    from_: str = Field(alias="from")
    where: Where | None = None
    unique: bool = False
    columns: dict[str, ColumnRecipe]
    attributes: list[str] = Field(default_factory=list)


class MappingSpec(_Strict):
    """A whole mapping file."""

    sources: list[str]
    tables: dict[str, TableRecipe]


def _slug(series: pd.Series) -> pd.Series:
    s = series.astype("string").str.lower().str.replace(r"[^0-9a-z]+", "-", regex=True)
    return s.str.strip("-")


def _sha(series: pd.Series) -> pd.Series:
    return series.map(lambda v: hashlib.sha1(str(v).encode()).hexdigest()[:12], na_action="ignore")


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


class Mapping:
    """A loaded, checked mapping; see the module docs for the YAML form."""

    def __init__(self, spec: MappingSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self._seen: dict[str, set[tuple[Any, ...]]] = {t: set() for t in spec.tables}

    @property
    def sources(self) -> tuple[str, ...]:
        """The source file names the mapping reads."""
        return tuple(self.spec.sources)

    def apply(self, batches: Iterable[RawBatch]) -> Iterator[RawBatch]:
        """Turn source batches (``table`` = source file stem) into bundle-table batches."""
        for batch in batches:
            frame = batch.data.to_pandas(types_mapper=pd.ArrowDtype)
            frame = frame.astype(object).where(frame.notna(), None)
            for table, recipe in self.spec.tables.items():
                if recipe.from_ != batch.table:
                    continue
                missing = sorted(
                    {c for r in recipe.columns.values() for c in r.sources()} - set(frame.columns)
                )
                if missing:
                    near = difflib.get_close_matches(missing[0], list(frame.columns), n=1)
                    hint = f" (did you mean {near[0]!r}?)" if near else ""
                    raise MappingError(
                        f"{self.path.name}: tables.{table} reads column(s) {missing} that "
                        f"{batch.file} does not have{hint}"
                    )
                out = self._table(table, recipe, frame, batch)
                if out is not None:
                    yield out

    def _table(
        self, table: str, recipe: TableRecipe, frame: pd.DataFrame, batch: RawBatch
    ) -> RawBatch | None:
        keep = np.ones(len(frame), dtype=bool)
        if recipe.where is not None:
            if recipe.where.present:
                keep &= ~_blank(frame[recipe.where.present]).to_numpy()
            if recipe.where.column and recipe.where.in_ is not None:
                keep &= frame[recipe.where.column].isin(recipe.where.in_).to_numpy()
        rows = frame[keep]
        numbers = np.asarray(batch.rows)[keep]
        cols = {name: self._column(r, rows) for name, r in recipe.columns.items()}
        result = pd.DataFrame(cols, index=rows.index)
        for attr in recipe.attributes:
            result[attr] = rows[attr]
        if recipe.unique:
            key = list(TABLES[table].key)
            tuples = list(result[key].itertuples(index=False, name=None))
            first = ~pd.Series(tuples).duplicated().to_numpy()
            new = np.array([t not in self._seen[table] for t in tuples], dtype=bool)
            mask = first & new
            self._seen[table].update(t for t, m in zip(tuples, mask, strict=True) if m)
            result, numbers = result[mask], numbers[mask]
        if result.empty:
            return None
        data = pa.table(
            {c: pa.array([_text(v) for v in result[c].tolist()], pa.string()) for c in result}
        )
        return RawBatch(table=table, file=batch.file, rows=pa.array(numbers, pa.int64()), data=data)

    @staticmethod
    def _column(r: ColumnRecipe, rows: pd.DataFrame) -> pd.Series:
        n = len(rows)
        if r.column is not None:
            s = rows[r.column].astype(object)
        elif r.id is not None:
            s = Mapping._derive_id(rows, r.id, r)
            if r.fallback:
                alt = Mapping._derive_id(rows, r.fallback, r)
                s = s.where(~_blank(s), alt)
        elif r.template is not None:
            s = Mapping._template(rows, r.template)
        else:
            s = pd.Series([r.value] * n, index=rows.index, dtype=object)
        if r.map is not None:
            table = {(k.lower() if r.case_insensitive else k): v for k, v in r.map.items()}
            keys = s.astype("string")
            if r.case_insensitive:
                keys = keys.str.lower()
            s = keys.map(table).astype(object)
        if r.default is not None:
            s = s.where(~_blank(s), r.default)
        if r.rescale is not None:
            (a, b), (c, d) = r.rescale["from"], r.rescale["to"]
            x = pd.to_numeric(s, errors="coerce")
            y = c + (x - a) * (d - c) / (b - a)
            s = y.round(6).astype(object).where(x.notna(), None)
        if r.date_format is not None:
            parsed = pd.to_datetime(s, format=r.date_format, errors="coerce")
            s = parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), s)
        return s.where(pd.notna(s), None)

    @staticmethod
    def _derive_id(rows: pd.DataFrame, cols: list[str], r: ColumnRecipe) -> pd.Series:
        parts = rows[cols].astype("string")
        empty = parts.apply(_blank).all(axis=1)
        joined = parts.fillna("").agg("|".join, axis=1)
        body = _sha(joined) if r.hash else _slug(joined.str.replace("|", "-", regex=False))
        return (r.prefix + body.astype(str)).astype(object).where(~empty, None)

    @staticmethod
    def _template(rows: pd.DataFrame, template: str) -> pd.Series:
        lines = template.split("\n")
        out = pd.Series([""] * len(rows), index=rows.index, dtype=object)
        for line in lines:
            fields = [f for _, f, _, _ in string.Formatter().parse(line) if f]
            if not fields:
                text = pd.Series([line] * len(rows), index=rows.index, dtype=object)
                has = pd.Series(True, index=rows.index)
            else:
                has = ~pd.concat([_blank(rows[f]) for f in fields], axis=1).all(axis=1)
                text = pd.Series(
                    [
                        line.format(
                            **{
                                f: (v if v is not None else "")
                                for f, v in zip(fields, vals, strict=True)
                            }
                        )
                        for vals in rows[fields].itertuples(index=False, name=None)
                    ],
                    index=rows.index,
                    dtype=object,
                )
            add = has & (out != "")
            out = out.where(~add, out + "\n")
            out = out.where(~has, out + text)
        return out.where(out != "", None)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping YAML file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{Path(path).name} is not valid YAML: {exc}") from None
    try:
        spec = MappingSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"{Path(path).name}: at {where}: {first['msg']}") from None
    for table, recipe in spec.tables.items():
        if table not in TABLES:
            near = difflib.get_close_matches(table, list(TABLES), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise MappingError(f"{Path(path).name}: tables.{table} is not a bundle table{hint}")
        names = TABLES[table].column_names
        for col in recipe.columns:
            if col not in names:
                near = difflib.get_close_matches(col, list(names), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise MappingError(
                    f"{Path(path).name}: tables.{table}.columns.{col} is not a column of "
                    f"{table}{hint}"
                )
        stems = {Path(s).stem for s in spec.sources}
        if recipe.from_ not in stems:
            raise MappingError(
                f"{Path(path).name}: tables.{table}.from is {recipe.from_!r}, which is not one "
                f"of the sources ({', '.join(sorted(stems))})"
            )
    return Mapping(spec, Path(path))
