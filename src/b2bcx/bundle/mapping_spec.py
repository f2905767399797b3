"""The mapping language: the YAML form as pydantic models, and its loading.

Every mistake in a mapping file becomes a :class:`~b2bcx.errors.MappingError`
that names the file, the key path and the fix (the closest valid name where
there is one). The form itself is documented in ``docs/mappings.md`` and in
:mod:`b2bcx.bundle.mapping`.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from b2bcx.errors import MappingError
from b2bcx.model.tables import TABLES

Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class IdRecipe(_Strict):
    """The long form of ``id``: ``{from: [cols], hash: true, prefix: "org-"}``."""

    from_: list[str] = Field(alias="from", min_length=1)
    prefix: str = ""
    hash: bool = False
    fallback: list[str] | None = None


class Rescale(_Strict):
    """A linear rescaling ``{from: [low, high], to: [low, high]}``."""

    from_: tuple[float, float] = Field(alias="from")
    to: tuple[float, float]

    @model_validator(mode="after")
    def _distinct(self) -> Rescale:
        if self.from_[0] == self.from_[1]:
            raise ValueError("rescale.from needs two different ends, e.g. from: [1, 7]")
        return self


class Where(_Strict):
    """A row filter: rows with a value in ``present``, and/or ``column`` in ``in``."""

    present: str | list[str] | None = None
    column: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _pairs(self) -> Where:
        if (self.column is None) != (self.in_ is None):
            raise ValueError("where.column and where.in go together, e.g. {column: kind, in: [a]}")
        return self

    def present_columns(self) -> list[str]:
        """The columns that must hold a value."""
        if self.present is None:
            return []
        return [self.present] if isinstance(self.present, str) else list(self.present)


class ColumnRecipe(_Strict):
    """How one bundle column is made from a source row.

    Exactly one of ``column``, ``value``, ``id`` or ``template`` (or only a
    ``default``); then ``map``, ``default``, ``rescale`` and ``date_format`` in
    that order. ``when`` (a row filter, as a table's ``where``) keeps the value
    only on the rows that pass it, e.g. the rating as ``nps`` where the survey
    type is NPS.
    """

    column: str | None = None
    value: Scalar | None = None
    id: list[str] | IdRecipe | None = None
    template: str | None = None
    prefix: str = ""
    hash: bool = False
    fallback: list[str] | None = None
    map: dict[str, Scalar] | None = None
    case_insensitive: bool = False
    default: Scalar | None = None
    rescale: Rescale | None = None
    date_format: str | None = None
    when: Where | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRecipe:
        given = [k for k in ("column", "value", "id", "template") if getattr(self, k) is not None]
        if len(given) > 1 or (not given and self.default is None):
            raise ValueError(
                "give exactly one of column, value, id or template "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.template is not None:
            for _, field, spec, conv in string.Formatter().parse(self.template):
                if field is not None and (not field or spec or conv):
                    raise ValueError(
                        "template placeholders are plain column names, e.g. {pros}; "
                        "write {{ and }} for literal braces"
                    )
        return self

    def id_recipe(self) -> IdRecipe | None:
        """The ``id`` recipe in its long form (the short form's keys folded in)."""
        if self.id is None or isinstance(self.id, IdRecipe):
            return self.id
        return IdRecipe.model_validate(
            {"from": self.id, "prefix": self.prefix, "hash": self.hash, "fallback": self.fallback}
        )

    def sources(self) -> set[str]:
        """The source columns this recipe reads."""
        cols = {self.column} if self.column else set()
        ident = self.id_recipe()
        if ident is not None:
            cols |= set(ident.from_) | set(ident.fallback or ())
        if self.template:
            cols |= {f for _, f, _, _ in string.Formatter().parse(self.template) if f}
        if self.when is not None:
            cols |= set(self.when.present_columns())
            cols |= {self.when.column} if self.when.column else set()
        return cols


class TableRecipe(_Strict):
    """How one bundle table is filled from one source file."""

    from_: str = Field(alias="from")
    where: Where | None = None
    unique: bool = False
    prefer: Literal["first", "last"] = "first"
    columns: dict[str, ColumnRecipe]
    attributes: list[str] = Field(default_factory=list)

    def sources(self) -> set[str]:
        """Every source column the table reads (recipes, filter, attributes)."""
        cols = {c for r in self.columns.values() for c in r.sources()} | set(self.attributes)
        if self.where is not None:
            cols |= set(self.where.present_columns())
            cols |= {self.where.column} if self.where.column else set()
        return cols


class MappingSpec(_Strict):
    """A whole mapping file: ``sources`` and ``tables``."""

    sources: list[str] = Field(min_length=1)
    tables: dict[str, TableRecipe] = Field(min_length=1)


_KEYS: dict[str, list[str]] = {
    "mapping": ["sources", "tables"],
    "table": ["from", "where", "unique", "prefer", "columns", "attributes"],
    "column": list(ColumnRecipe.model_fields),
    "where": ["present", "column", "in"],
}


def closest(name: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest option, or ``""``."""
    near = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f"; did you mean {near[0]!r}?" if near else ""


def _explain(error: Any) -> str:
    loc = [str(p) for p in error["loc"]]
    where = ".".join(p for p in loc if not p.startswith(("function-", "list[", "tuple[")))
    where = where.replace(".IdRecipe", "").replace("from_", "from").replace("in_", "in")
    if error["type"] == "extra_forbidden":
        depth = len(loc)
        kind = "mapping" if depth == 1 else "table" if depth == 3 else "column"
        if "where" in loc or "when" in loc:
            kind = "where"
        options = _KEYS[kind]
        return f"at {where}: unknown key{closest(loc[-1], options)} (allowed: {', '.join(options)})"
    return f"at {where}: {error['msg']}"


def _check(spec: MappingSpec, name: str) -> None:
    stems = {Path(s).stem for s in spec.sources}
    for table, recipe in spec.tables.items():
        if table not in TABLES:
            raise MappingError(
                f"{name}: tables.{table} is not a bundle table{closest(table, TABLES)} "
                f"(the tables are listed in docs/format.md)"
            )
        names = TABLES[table].column_names
        for col in recipe.columns:
            if col not in names:
                raise MappingError(
                    f"{name}: tables.{table}.columns.{col} is not a column of {table}"
                    f"{closest(col, names)} (keep other source columns with `attributes:`)"
                )
        if recipe.from_ not in stems:
            raise MappingError(
                f"{name}: tables.{table}.from is {recipe.from_!r}, which is not one of the "
                f"sources ({', '.join(sorted(stems))}){closest(recipe.from_, stems)}; "
                "give the source file's name without its suffix"
            )
        missing = [k for k in TABLES[table].key if k not in recipe.columns]
        if recipe.unique and missing:
            raise MappingError(
                f"{name}: tables.{table}.unique needs the key column(s) {missing} in columns"
            )


def load_spec(path: Path) -> MappingSpec:
    """Read, validate and check a mapping YAML file.

    Parameters
    ----------
    path : Path
        The mapping file.

    Returns
    -------
    MappingSpec
        The validated mapping.

    Raises
    ------
    MappingError
        If the file is missing, is not YAML, or breaks the mapping language;
        the message names the file, the key path and the fix.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise MappingError(
            f"{path.name} is not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x}); "
            "save the mapping file as UTF-8 (in most editors: Save As… → Encoding UTF-8)"
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{path.name}: a mapping is a YAML object with `sources` and `tables`")
    try:
        spec = MappingSpec.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()  # a misspelt key first: it explains the missing one
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        raise MappingError(f"{path.name}: {_explain(first)}") from None
    _check(spec, path.name)
    return spec
