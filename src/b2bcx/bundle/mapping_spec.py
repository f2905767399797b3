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


def dump_spec(spec: MappingSpec) -> str:
    """The YAML text of a mapping (the form :func:`load_spec` reads back).

    Parameters
    ----------
    spec : MappingSpec
        A validated mapping.

    Returns
    -------
    str
        YAML with the language's key names (``from``, ``in``), empty keys left out.
    """
    data = spec.model_dump(by_alias=True, exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -- a mapping matched by hand: one source file, one row per interaction -------


class ManualTarget(_Strict):
    """A bundle column that can be matched by hand to a source column.

    Attributes
    ----------
    table, column:
        The bundle table and column.
    label:
        The name the page shows.
    hint:
        What goes there, in a few words.
    synonyms:
        Source column names that usually hold it (matched ignoring case,
        spaces and punctuation), besides the column's own name.
    """

    table: str
    column: str
    label: str
    hint: str = ""
    synonyms: tuple[str, ...] = ()


#: The columns a hand-matched mapping fills (one row of the file = one answer,
#: ticket or review of one person of one client organization).
MANUAL_TARGETS: tuple[ManualTarget, ...] = tuple(
    ManualTarget(table=t, column=c, label=label, hint=hint, synonyms=syn)
    for t, c, label, hint, syn in [
        ("accounts", "account_id", "Account id", "the client organization's id; "
         "without one, the account name is the id",
         ("company id", "account", "accountid", "organization id", "customer id")),
        ("accounts", "name", "Account name", "", ("company", "company name", "account name",
         "organization", "organisation", "customer", "customer name", "client")),
        ("accounts", "industry", "Industry", "", ("sector", "vertical")),
        ("accounts", "country", "Country", "two-letter code (DE, SE)",
         ("country code", "billing country", "country/region", "nation")),
        ("accounts", "segment", "Segment", "", ("tier", "customer segment", "size")),
        ("accounts", "annual_value", "Annual value", "your yearly revenue from the account",
         ("arr", "revenue", "contract value", "annual revenue", "acv")),
        ("accounts", "account_manager", "Account manager", "",
         ("owner", "account owner", "company owner", "kam", "key account manager")),
        ("stakeholders", "stakeholder_id", "Person id", "without one, the e-mail (or name) "
         "is the id", ("contact id", "respondent id", "person id", "user id", "reviewer",
         "contactid", "respondent")),
        ("stakeholders", "name", "Person name", "", ("contact name", "full name", "respondent name",
         "name")),
        ("stakeholders", "email", "E-mail", "", ("e-mail", "email address", "mail")),
        ("stakeholders", "role", "Job title", "", ("title", "job title", "position", "role")),
        ("stakeholders", "function", "Function", "procurement, maintenance, it …",
         ("department", "function", "job function")),
        ("stakeholders", "level", "Level", "executive, manager or operational",
         ("seniority", "level", "hierarchy")),
        ("interactions", "interaction_id", "Response id", "without one, an id is made from the row",
         ("response id", "id", "record id", "ticket id", "survey id", "submission id",
          "responseid", "case id")),
        ("interactions", "occurred_at", "Date", "when it happened",
         ("date", "created", "created at", "submitted", "submitted at", "submitted date",
          "timestamp", "response date", "created date", "time")),
        ("interactions", "nps", "NPS rating (0–10)", "likelihood to recommend",
         ("nps", "recommend", "likelihood to recommend", "net promoter score", "nps score")),
        ("interactions", "csat", "Satisfaction (1–5)", "", ("csat", "satisfaction")),
        ("interactions", "ces", "Effort (1–7)", "7 = very easy", ("ces", "effort", "ease")),
        ("interactions", "cx", "Overall experience (0–10)", "",
         ("cx", "rating", "score", "overall", "experience")),
        ("interactions", "comment", "Comment", "free text",
         ("comment", "comments", "feedback", "response", "text", "verbatim", "answer")),
    ]
)  # fmt: skip


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def suggest_columns(columns: Iterable[str]) -> dict[str, str]:
    """The source column that most likely holds each hand-matchable bundle column.

    A column whose name (ignoring case, spaces and punctuation) equals the
    bundle column's, its label or a synonym wins; otherwise the closest name
    a name containing one of them (of six letters or more, e.g. "recommend");
    otherwise the closest name by :func:`difflib.SequenceMatcher` ratio, if at
    least 0.85. Exact matches are made first, for every target; a source column
    is suggested for one target at most.

    Parameters
    ----------
    columns : iterable of str
        The source file's header.

    Returns
    -------
    dict
        ``"table.column"`` → source column, for the targets with a suggestion.
    """
    cols = list(columns)
    normed = {c: _norm(c) for c in cols}
    names = {
        f"{t.table}.{t.column}": {_norm(n) for n in (t.column, t.label, *t.synonyms)}
        for t in MANUAL_TARGETS
    }
    taken: set[str] = set()
    out: dict[str, str] = {}

    def exact(key: str, c: str) -> float:
        return 1.0 if normed[c] in names[key] else 0.0

    def within(key: str, c: str) -> float:
        return 1.0 if any(len(n) >= 6 and n in normed[c] for n in names[key]) else 0.0

    def near(key: str, c: str) -> float:
        r = max(difflib.SequenceMatcher(None, normed[c], n).ratio() for n in names[key])
        return r if r >= 0.85 else 0.0

    for score in (exact, within, near):  # every exact match before any near one
        for key in names:
            if key in out:
                continue
            ranked = sorted(
                (
                    (score(key, c), -i, c)
                    for i, c in enumerate(cols)
                    if c not in taken and normed[c]
                ),
                reverse=True,
            )
            if ranked and ranked[0][0] > 0:
                out[key] = ranked[0][2]
                taken.add(ranked[0][2])
    return {
        f"{t.table}.{t.column}": out[k]
        for t in MANUAL_TARGETS
        if (k := f"{t.table}.{t.column}") in out
    }


#: Date layouts a hand-matched mapping can name (``""``: ISO 8601 as written).
DATE_LAYOUTS: dict[str, str] = {
    "": "2024-01-31 (ISO 8601)",
    "%d/%m/%Y": "31/01/2024",
    "%m/%d/%Y": "01/31/2024",
    "%d.%m.%Y": "31.01.2024",
    "%d-%m-%Y": "31-01-2024",
}


def manual_spec(filename: str, choices: dict[str, str], *, date_format: str = "") -> MappingSpec:
    """A mapping for one source file with one row per interaction, from the
    source column chosen for each bundle column (:data:`MANUAL_TARGETS`).

    Ids the file lacks are derived: the account from its name, the person from
    the e-mail (or name and account), the interaction from every chosen column
    of the row (a stable hash).

    Parameters
    ----------
    filename : str
        The source file's name (``survey.csv``).
    choices : dict
        ``"table.column"`` → source column; empty values are ignored.
    date_format : str
        A ``strftime`` layout of the date column (a key of :data:`DATE_LAYOUTS`).

    Returns
    -------
    MappingSpec
        Accounts and stakeholders (one row per key, the first wins) and
        interactions, all from the file.

    Raises
    ------
    MappingError
        When a needed column is not chosen; the message names the choice to make.
    """
    chosen = {k: v for k, v in choices.items() if v}
    known = {f"{t.table}.{t.column}" for t in MANUAL_TARGETS}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise MappingError(f"{unknown[0]} cannot be matched by hand{closest(unknown[0], known)}")
    label = {f"{t.table}.{t.column}": t.label for t in MANUAL_TARGETS}
    stem = Path(filename).stem

    def pick(key: str) -> str | None:
        return chosen.get(key)

    account_src = pick("accounts.account_id") or pick("accounts.name")
    if account_src is None:
        raise MappingError(
            f"choose the column that holds the {label['accounts.account_id']} "
            f"or the {label['accounts.name']}"
        )
    if pick("interactions.occurred_at") is None:
        raise MappingError(f"choose the column that holds the {label['interactions.occurred_at']}")
    person = pick("stakeholders.stakeholder_id") or pick("stakeholders.email")
    person_cols = [person] if person else []
    if not person_cols:
        name = pick("stakeholders.name")
        if name is None:
            raise MappingError(
                f"choose the column that holds the {label['stakeholders.stakeholder_id']}, "
                f"the {label['stakeholders.email']} or the {label['stakeholders.name']}"
            )
        person_cols = [name, account_src]
    account_id: dict[str, Any] = {"id": [account_src], "prefix": "acc-"}
    person_id: dict[str, Any] = {"id": person_cols, "prefix": "p-"}
    tables: dict[str, Any] = {
        "accounts": {"from": stem, "unique": True, "columns": {"account_id": account_id}},
        "stakeholders": {
            "from": stem,
            "unique": True,
            "columns": {"stakeholder_id": person_id, "account_id": account_id},
        },
    }
    interaction_src = pick("interactions.interaction_id")
    if interaction_src:
        interaction_id: dict[str, Any] = {"id": [interaction_src], "prefix": "i-"}
    else:
        row_cols = sorted(set(chosen.values()))
        interaction_id = {"id": row_cols, "prefix": "i-", "hash": True}
    interactions: dict[str, Any] = {
        "interaction_id": interaction_id,
        "stakeholder_id": person_id,
    }
    tables["interactions"] = {"from": stem, "columns": interactions}
    for key, src in chosen.items():
        table, column = key.split(".")
        if column in ("account_id", "stakeholder_id", "interaction_id"):
            continue
        recipe: dict[str, Any] = {"column": src}
        if column == "occurred_at" and date_format:
            recipe["date_format"] = date_format
        if column in ("function", "level"):
            recipe["map"] = _enum_map(column)
            recipe["case_insensitive"] = True
        tables[table]["columns"][column] = recipe
    raw = {"sources": [filename], "tables": tables}
    try:
        spec = MappingSpec.model_validate(raw)
    except ValidationError as exc:
        first = _explain(exc.errors()[0])
        raise MappingError(f"the matched columns do not make a mapping: {first}") from None
    _check(spec, filename)
    return spec


def _enum_map(column: str) -> dict[str, Scalar]:
    """Each allowed value onto itself (other values become empty, not rejects)."""
    from b2bcx.model.enums import Function, Level

    values = [str(v) for v in (Function if column == "function" else Level)]
    return {v: v for v in values}
