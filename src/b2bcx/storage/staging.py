"""Staging and merging of an import batch: the SQL side of ``b2bcx import``.

Valid rows are first appended to per-batch staging tables (``_stage_<table>``,
temporary to the connection), checked there for duplicate keys and dangling
references for all rows at once, then merged into the workspace tables:

- a row whose key is new is *inserted*; a row whose key exists with other
  values *updates* it; an identical row is *unchanged* (re-running is safe);
- columns the source did not have keep their stored values;
- history tables (``touchpoints``, ``relationships``): a row without
  ``valid_from`` that differs from the entity's current version becomes a new
  version from the effective date; an account whose relationship type changes
  gets the change recorded in ``relationships``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from b2bcx.errors import WorkspaceError
from b2bcx.model.tables import ATTRIBUTES_COLUMN, TABLES, Column, Kind, TableSpec
from b2bcx.storage.backend import Backend, quote
from b2bcx.storage.schema import BATCH_COLUMN

_META = ("_file", "_row")


def stage_name(table: str) -> str:
    """The staging table of ``table``."""
    return f"_stage_{table}"


def _cols(spec: TableSpec) -> list[str]:
    return [*spec.column_names, ATTRIBUTES_COLUMN]


def _q(names: Iterable[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + quote(n) for n in names)


def _match(cols: Sequence[str], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{quote(c)} IS NOT DISTINCT FROM {b}.{quote(c)}" for c in cols)


def create_stage(backend: Backend, spec: TableSpec) -> None:
    """An empty staging table for ``spec`` (replacing any left over)."""
    name = stage_name(spec.name)
    backend.execute(f"DROP TABLE IF EXISTS {quote(name)}")
    backend.execute(
        f"CREATE TEMP TABLE {quote(name)} AS SELECT {_q(_cols(spec))}, "
        f"CAST(NULL AS VARCHAR) AS _file, CAST(NULL AS BIGINT) AS _row "
        f"FROM {quote(spec.name)} WHERE false"
    )


def stage_rows(backend: Backend, spec: TableSpec, data: pa.Table) -> None:
    """Append typed rows (the spec's columns, attributes, ``_file``, ``_row``)."""
    if data.num_rows == 0:
        return
    backend.load_arrow(stage_name(spec.name), data.select([*_cols(spec), *_META]))


def drop_stages(backend: Backend) -> None:
    """Remove every staging table."""
    for spec in TABLES.values():
        backend.execute(f"DROP TABLE IF EXISTS {quote(stage_name(spec.name))}")


def staged_count(backend: Backend, spec: TableSpec) -> int:
    """Rows in a staging table."""
    return int(backend.execute(f"SELECT count(*) FROM {quote(stage_name(spec.name))}")[0][0])


@dataclass(frozen=True)
class StagedProblem:
    """A staged row that failed a whole-bundle check."""

    file: str
    row: int
    column: str
    value: str | None
    detail: str


def duplicate_rows(backend: Backend, spec: TableSpec) -> list[StagedProblem]:
    """Rows repeating an earlier row's key in the bundle (the first one is kept)."""
    key = _q(spec.key)
    stage = quote(stage_name(spec.name))
    # a hash aggregate says whether any key repeats; only then are the rows ordered
    if not backend.execute(f"SELECT 1 FROM {stage} GROUP BY {key} HAVING count(*) > 1 LIMIT 1"):
        return []
    sql = f"""
        SELECT _file, _row, first_file, first_row, key_text FROM (
            SELECT _file, _row,
                row_number() OVER w AS rn,
                first_value(_file) OVER w AS first_file,
                first_value(_row) OVER w AS first_row,
                concat_ws(', ', {", ".join(f"CAST({quote(k)} AS VARCHAR)" for k in spec.key)})
                    AS key_text
            FROM {quote(stage_name(spec.name))}
            WINDOW w AS (PARTITION BY {key} ORDER BY _file, _row)
        ) AS d WHERE rn > 1 ORDER BY _file, _row
    """
    column = spec.key[0] if len(spec.key) == 1 else "+".join(spec.key)
    return [
        StagedProblem(f, int(r), column, k, f"the same {column} as {ff} row {fr}")
        for f, r, ff, fr, k in backend.execute(sql)
    ]


def dangling_rows(backend: Backend, spec: TableSpec, staged: set[str]) -> list[StagedProblem]:
    """Rows whose references exist neither in the bundle nor in the workspace."""
    out: list[StagedProblem] = []
    for col in spec.columns:
        if not col.references:
            continue
        target, target_col = col.references.split(".")
        where = [f"NOT EXISTS (SELECT 1 FROM {quote(target)} t WHERE t.{quote(target_col)} = s.v)"]
        if target in staged:
            where.append(
                f"NOT EXISTS (SELECT 1 FROM {quote(stage_name(target))} t "
                f"WHERE t.{quote(target_col)} = s.v)"
            )
        if col.kind is Kind.LIST:
            source = (
                f"(SELECT _file, _row, unnest({quote(col.name)}) AS v "
                f"FROM {quote(stage_name(spec.name))})"
            )
        else:
            source = (
                f"(SELECT _file, _row, {quote(col.name)} AS v "
                f"FROM {quote(stage_name(spec.name))} WHERE {quote(col.name)} IS NOT NULL)"
            )
        sql = f"SELECT s._file, s._row, s.v FROM {source} s WHERE {' AND '.join(where)}"
        for f, r, v in backend.execute(sql):
            out.append(StagedProblem(f, int(r), col.name, v, f"{target}.{target_col}"))
    return out


def self_references(
    backend: Backend, spec: TableSpec, column: str
) -> tuple[list[tuple[str, int, str, str | None]], dict[str, str | None]]:
    """A table's column that refers to the table itself (``accounts.parent_account_id``):
    the staged rows as (file, row, key, reference), and the workspace's rows that
    the bundle does not replace as key → reference."""
    (key,) = spec.key
    stage = quote(stage_name(spec.name))
    staged = [
        (str(f), int(r), str(k), None if v is None else str(v))
        for f, r, k, v in backend.execute(
            f"SELECT _file, _row, {quote(key)}, {quote(column)} FROM {stage} ORDER BY _file, _row"
        )
    ]
    kept = backend.execute(
        f"SELECT {quote(key)}, {quote(column)} FROM {quote(spec.name)} w "
        f"WHERE NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.{quote(key)} = w.{quote(key)})"
    )
    return staged, {str(k): None if v is None else str(v) for k, v in kept}


def remove_staged(backend: Backend, spec: TableSpec, rows: Iterable[tuple[str, int]]) -> None:
    """Delete staged rows by (file, row)."""
    pairs = list(set(rows))
    if not pairs:
        return
    backend.execute("DROP TABLE IF EXISTS _b2bcx_drop")
    backend.execute("CREATE TEMP TABLE _b2bcx_drop (f VARCHAR, r BIGINT)")
    try:
        backend.load_arrow(
            "_b2bcx_drop",
            pa.table(
                {"f": [p[0] for p in pairs], "r": pa.array([p[1] for p in pairs], pa.int64())}
            ),
        )
        backend.execute(
            f"DELETE FROM {quote(stage_name(spec.name))} s WHERE EXISTS "
            "(SELECT 1 FROM _b2bcx_drop d WHERE d.f = s._file AND d.r = s._row)"
        )
    finally:
        backend.execute("DROP TABLE IF EXISTS _b2bcx_drop")


def staged_row(backend: Backend, spec: TableSpec, file: str, row: int) -> dict[str, Any]:
    """One staged row as a dict (used to keep rows rejected by whole-bundle checks)."""
    rows = backend.fetch_dicts(
        f"SELECT {_q(spec.column_names)} FROM {quote(stage_name(spec.name))} "
        "WHERE _file = ? AND _row = ? LIMIT 1",
        [file, row],
    )
    return rows[0] if rows else {}


@dataclass(frozen=True)
class MergeCounts:
    """What merging one table did."""

    inserted: int
    updated: int
    unchanged: int


def _keep_absent_columns(backend: Backend, spec: TableSpec, present: set[str]) -> None:
    """Columns the source did not carry keep the stored values of existing rows."""
    absent = [c for c in _cols(spec) if c not in present and c not in spec.key]
    if not absent:
        return
    sets = ", ".join(f"{quote(c)} = e.{quote(c)}" for c in absent)
    backend.execute(
        f"UPDATE {quote(stage_name(spec.name))} AS s SET {sets} "
        f"FROM {quote(spec.name)} AS e WHERE {_match(spec.key, 's', 'e')}"
    )


def _version_unversioned_rows(backend: Backend, spec: TableSpec, effective: _dt.date) -> None:
    """History tables: a row without valid_from is compared with the current version."""
    entity = spec.entity_id
    assert entity is not None
    data = [c for c in _cols(spec) if c not in (entity, "valid_from")]
    same = " AND ".join(f"s.{quote(c)} IS NOT DISTINCT FROM c.{quote(c)}" for c in data)
    current = (
        f"(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {quote(entity)} "
        f"ORDER BY valid_from DESC NULLS LAST) AS _rn FROM {quote(spec.name)}) AS v WHERE _rn = 1)"
    )
    backend.execute(
        f"UPDATE {quote(stage_name(spec.name))} AS s "
        f"SET valid_from = CASE WHEN {same} THEN c.valid_from ELSE CAST(? AS DATE) END "
        f"FROM {current} AS c WHERE s.{quote(entity)} = c.{quote(entity)} "
        "AND s.valid_from IS NULL "
        # the row is the entity's base version when that is stored unchanged ...
        f"AND NOT EXISTS (SELECT 1 FROM {quote(spec.name)} AS b "
        f"WHERE b.{quote(entity)} = s.{quote(entity)} AND b.valid_from IS NULL AND "
        + " AND ".join(f"b.{quote(c)} IS NOT DISTINCT FROM s.{quote(c)}" for c in data)
        + ") "
        # ... or when the source dates the entity's other versions itself
        f"AND NOT EXISTS (SELECT 1 FROM {quote(stage_name(spec.name))} AS d "
        f"WHERE d.{quote(entity)} = s.{quote(entity)} AND d.valid_from IS NOT NULL)",
        [effective],
    )


def _record_relationship_changes(
    backend: Backend, batch_id: str, effective: _dt.date, staged: set[str]
) -> int:
    """Accounts whose relationship type changes get the change in ``relationships``."""
    ri, re_ = quote("relationship_intended"), quote("relationship_expected")
    skip = (
        f"AND s.account_id NOT IN (SELECT account_id FROM {quote(stage_name('relationships'))})"
        if "relationships" in staged
        else ""
    )
    backend.execute("DROP TABLE IF EXISTS _b2bcx_relchg")
    backend.execute(
        f"CREATE TEMP TABLE _b2bcx_relchg AS SELECT s.account_id, "
        f"e.{ri} AS old_i, e.{re_} AS old_e, s.{ri} AS new_i, s.{re_} AS new_e "
        f"FROM {quote(stage_name('accounts'))} s JOIN accounts e ON e.account_id = s.account_id "
        f"WHERE (s.{ri} IS DISTINCT FROM e.{ri} OR s.{re_} IS DISTINCT FROM e.{re_}) {skip}"
    )
    n = int(backend.execute("SELECT count(*) FROM _b2bcx_relchg")[0][0])
    if n:
        cols = f"account_id, valid_from, {ri}, {re_}, {quote(BATCH_COLUMN)}"
        backend.execute(
            f"INSERT INTO relationships ({cols}) SELECT account_id, NULL, old_i, old_e, ? "
            "FROM _b2bcx_relchg c WHERE NOT EXISTS "
            "(SELECT 1 FROM relationships r WHERE r.account_id = c.account_id)",
            [batch_id],
        )
        backend.execute(
            "DELETE FROM relationships WHERE valid_from = ? AND account_id IN "
            "(SELECT account_id FROM _b2bcx_relchg)",
            [effective],
        )
        backend.execute(
            f"INSERT INTO relationships ({cols}) SELECT account_id, ?, new_i, new_e, ? "
            "FROM _b2bcx_relchg",
            [effective, batch_id],
        )
    backend.execute("DROP TABLE IF EXISTS _b2bcx_relchg")
    return n


def merge_stage(
    backend: Backend,
    spec: TableSpec,
    *,
    batch_id: str,
    present: set[str],
    effective: _dt.date,
    staged: set[str],
) -> MergeCounts:
    """Merge a staging table into its workspace table (call inside a transaction)."""
    stage = quote(stage_name(spec.name))
    target = quote(spec.name)
    cols = _cols(spec)
    if not backend.execute(f"SELECT 1 FROM {target} LIMIT 1"):
        # an empty table: everything staged is new (the stage's keys are unique)
        n = int(backend.execute(f"SELECT count(*) FROM {stage}")[0][0])
        backend.execute(
            f"INSERT INTO {target} ({_q(cols)}, {quote(BATCH_COLUMN)}) "
            f"SELECT {_q(cols)}, ? FROM {stage}",
            [batch_id],
        )
        return MergeCounts(inserted=n, updated=0, unchanged=0)
    if spec.name == "accounts":
        _record_relationship_changes(backend, batch_id, effective, staged)
    _keep_absent_columns(backend, spec, present)
    if spec.history:
        _version_unversioned_rows(backend, spec, effective)
    same = " AND ".join(f"s.{quote(c)} IS NOT DISTINCT FROM e.{quote(c)}" for c in cols)
    backend.execute("DROP TABLE IF EXISTS _b2bcx_merge")
    backend.execute(
        f"CREATE TEMP TABLE _b2bcx_merge AS SELECT {_q(cols, 's')}, "
        f"coalesce(e._hit, false) AS _exists, coalesce(e._hit AND ({same}), false) AS _same "
        f"FROM {stage} s LEFT JOIN (SELECT *, true AS _hit FROM {target}) e "
        f"ON {_match(spec.key, 's', 'e')}"
    )
    row = backend.execute(
        "SELECT count(*) FILTER (WHERE NOT _exists), "
        "count(*) FILTER (WHERE _exists AND NOT _same), count(*) FILTER (WHERE _same) "
        "FROM _b2bcx_merge"
    )[0]
    inserted, updated, unchanged = (int(v) for v in row)
    if updated:
        backend.execute(
            f"DELETE FROM {target} e WHERE EXISTS (SELECT 1 FROM _b2bcx_merge s "
            f"WHERE s._exists AND NOT s._same AND {_match(spec.key, 's', 'e')})"
        )
    if inserted or updated:
        backend.execute(
            f"INSERT INTO {target} ({_q(cols)}, {quote(BATCH_COLUMN)}) "
            f"SELECT {_q(cols)}, ? FROM _b2bcx_merge WHERE NOT _same",
            [batch_id],
        )
    backend.execute("DROP TABLE IF EXISTS _b2bcx_merge")
    return MergeCounts(inserted=inserted, updated=updated, unchanged=unchanged)


# -- the engine's own CSV reader: one pass, checks in SQL --------------------------
#: Characters that Arrow's ``utf8_trim_whitespace`` (the reader's blank test) trims,
#: as an RE2 class: a value of only these is blank, i.e. missing.
_BLANK = (
    r"[\t\n\x{0B}\f\r\x{1C}-\x{1F} \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}"
    r"\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]*"
)
_PLAIN_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_PLAIN_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PLAIN_TIMESTAMP = _PLAIN_DATE + r"(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z?)?"
_SQL_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.ENUM: "VARCHAR",
    Kind.COUNTRY: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.NUMBER: "DOUBLE",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.BOOLEAN: "BOOLEAN",
}


@dataclass(frozen=True)
class PlainRules:
    """The limits the validation applies, handed to :func:`stage_plain_csv`.

    Attributes
    ----------
    earliest, latest:
        The range of plausible dates (inclusive).
    max_number, max_integer:
        The largest magnitude of a number without a scale, and of a whole number.
    countries:
        The accepted country codes (upper case).
    true_words, false_words:
        The spellings of a boolean (lower case).
    """

    earliest: _dt.date
    latest: _dt.date
    max_number: float
    max_integer: float
    countries: frozenset[str]
    true_words: tuple[str, ...]
    false_words: tuple[str, ...]


def _lit(value: object) -> str:
    """A SQL literal of a string, a number or a date."""
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (int, float)):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in sorted(values)) + ")"


def plain_csv_supported(spec: TableSpec) -> bool:
    """Whether :func:`stage_plain_csv` knows every column kind of ``spec`` (lists: no)."""
    return all(c.kind in _SQL_TYPES for c in spec.columns)


def _typed_and_ok(col: Column, v: str, rules: PlainRules) -> tuple[str, str]:
    """The SQL of one column's typed value and of the condition under which the
    value is certainly valid *and* typed exactly as the Arrow validation types it.

    ``v`` is the column's blanked text (NULL when missing). The conditions are
    stricter than the validation: a value they do not accept is not necessarily
    invalid, it only makes the caller use the validation itself for the file.
    """
    kind = col.kind
    ok: list[str] = []
    if kind in (Kind.ID, Kind.TEXT):
        typed = v
    elif kind in (Kind.INTEGER, Kind.NUMBER):
        d = f"TRY_CAST({v} AS DOUBLE)"
        cond = [f"regexp_full_match({v}, {_lit(_PLAIN_NUMBER)})"]
        whole = kind is Kind.INTEGER or (col.scale is not None and col.scale.integer)
        if col.scale is None:
            limit = rules.max_integer if kind is Kind.INTEGER else rules.max_number
            cond.append(f"abs({d}) <= {_lit(limit)}")
        else:
            cond.append(f"{d} BETWEEN {_lit(col.scale.low)} AND {_lit(col.scale.high)}")
        if whole:
            cond.append(f"{d} = trunc({d})")
        if col.minimum is not None:
            cond.append(f"{d} >= {_lit(col.minimum)}")
        ok.append(f"({v} IS NULL OR ({' AND '.join(cond)}))")
        typed = f"CAST({d} AS BIGINT)" if kind is Kind.INTEGER else d
    elif kind in (Kind.DATE, Kind.TIMESTAMP):
        pattern = _PLAIN_DATE if kind is Kind.DATE else _PLAIN_TIMESTAMP
        typed = f"TRY_CAST({v} AS {_SQL_TYPES[kind]})"
        day = typed if kind is Kind.DATE else f"CAST({typed} AS DATE)"
        ok.append(
            f"({v} IS NULL OR (regexp_full_match({v}, {_lit(pattern)}) AND {day} BETWEEN "
            f"{_lit(rules.earliest)} AND {_lit(rules.latest)}))"
        )
    elif kind is Kind.BOOLEAN:
        words = (*rules.true_words, *rules.false_words)
        ok.append(f"({v} IS NULL OR lower({v}) IN {_in(words)})")
        typed = (
            f"CASE WHEN lower({v}) IN {_in(rules.true_words)} THEN true "
            f"WHEN lower({v}) IN {_in(rules.false_words)} THEN false END"
        )
    elif kind is Kind.ENUM:
        assert col.enum is not None
        ok.append(f"({v} IS NULL OR {v} IN {_in(e.value for e in col.enum)})")
        typed = v
    elif kind is Kind.COUNTRY:
        ok.append(
            f"({v} IS NULL OR (regexp_full_match({v}, '[A-Za-z]{{2}}') "
            f"AND upper({v}) IN {_in(rules.countries)}))"
        )
        typed = f"upper({v})"
    else:  # pragma: no cover - plain_csv_supported keeps lists out
        raise AssertionError(kind)
    if col.required:
        ok.append(f"{v} IS NOT NULL")
    return f"CAST({typed} AS {_SQL_TYPES[kind]})", " AND ".join(ok) or "true"


def _plain_parts(
    spec: TableSpec, path: str, names: Sequence[str], delimiter: str, rules: PlainRules
) -> tuple[list[str], str, str]:
    """The SQL of reading a plain CSV file with the engine: each column's typed
    value (``expr AS name``, in ``spec``'s order), the condition under which a
    row is certainly valid, and the ``FROM`` source of the blanked text columns."""
    columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
    reader = (
        f"read_csv({_lit(path)}, header = true, delim = {_lit(delimiter)}, quote = '\"', "
        f"escape = '\"', columns = {columns}, auto_detect = false, encoding = 'utf-8', "
        "strict_mode = true, null_padding = false, allow_quoted_nulls = true)"
    )
    # a value starting with a visible ASCII character is not blank: no regex for it
    blanked = ", ".join(
        f"CASE WHEN {quote(c.name)} >= '!' AND {quote(c.name)} < chr(127) THEN {quote(c.name)} "
        f"WHEN regexp_full_match({quote(c.name)}, {_lit(_BLANK)}) THEN NULL "
        f"ELSE {quote(c.name)} END AS {quote(c.name)}"
        if c.name in names
        else f"CAST(NULL AS VARCHAR) AS {quote(c.name)}"
        for c in spec.columns
    )
    typed: list[str] = []
    checks: list[str] = []
    for col in spec.columns:
        value, ok = _typed_and_ok(col, quote(col.name), rules)
        typed.append(f"{value} AS {quote(col.name)}")
        checks.append(ok)
    for col in spec.columns:
        if col.required_when is not None:
            other, wanted = col.required_when
            checks.append(
                f"NOT (coalesce({quote(other)} = {_lit(wanted)}, false) "
                f"AND {quote(col.name)} IS NULL)"
            )
    return typed, " AND ".join(checks), f"(SELECT {blanked} FROM {reader})"


def stage_plain_csv(
    backend: Backend,
    spec: TableSpec,
    path: str,
    *,
    file: str,
    names: Sequence[str],
    delimiter: str,
    rules: PlainRules,
) -> int | None:
    """Stage a plain UTF-8 CSV file with the engine's own reader, checked in one pass.

    The file is read once by DuckDB's ``read_csv`` into ``spec``'s staging table
    (which must not exist yet), every value typed and checked in the same SQL
    statement; the source row number is the record's position (the header is row
    1). Returns the number of rows staged when every row is certainly valid;
    otherwise (a value the SQL checks do not accept, a file the engine cannot
    read) the staging table is removed and ``None`` returned, and the caller
    validates the file itself, which names each problem and its fix.
    """
    if backend.kind != "duckdb" or not plain_csv_supported(spec):
        return None
    stage = quote(stage_name(spec.name))
    typed, checks, source = _plain_parts(spec, path, names, delimiter, rules)
    sql = (
        f"CREATE TEMP TABLE {stage} AS SELECT {', '.join(typed)}, "
        f"CAST(NULL AS VARCHAR) AS {quote(ATTRIBUTES_COLUMN)}, {_lit(file)} AS _file, "
        f"({checks}) AS _ok FROM {source}"
    )
    backend.execute(f"DROP TABLE IF EXISTS {stage}")
    try:
        backend.execute(sql)
        counted = f"SELECT count(*), count(*) FILTER (WHERE NOT _ok) FROM {stage}"
        n, bad = backend.execute(counted)[0]
    except WorkspaceError:
        backend.execute(f"DROP TABLE IF EXISTS {stage}")
        return None
    if bad:
        backend.execute(f"DROP TABLE {stage}")
        return None
    # a table made by CREATE ... AS keeps the reader's order, so rowid is the record's place
    backend.execute(f"ALTER TABLE {stage} ADD COLUMN _row BIGINT")
    backend.execute(f"UPDATE {stage} SET _row = rowid + 2")
    return int(n)


# -- a first import: plain CSV files straight into their empty tables --------------
def table_is_empty(backend: Backend, table: str) -> bool:
    """Whether the workspace table ``table`` has no rows."""
    return not backend.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")


def in_transaction(backend: Backend) -> bool:
    """Whether a transaction is open on ``backend`` (a direct load needs its own: its
    rollback must undo everything it wrote)."""
    return bool(getattr(backend, "_tx_depth", 0))


def load_plain_csv(
    backend: Backend,
    spec: TableSpec,
    path: str,
    *,
    names: Sequence[str],
    delimiter: str,
    rules: PlainRules,
    batch_id: str,
) -> int | None:
    """Insert a plain UTF-8 CSV file straight into ``spec``'s empty workspace table,
    read by the engine and checked in the same statement (call inside a transaction).

    The checks are :func:`stage_plain_csv`'s; the first row that fails one stops
    the statement. Returns the number of rows inserted, or ``None`` when a row
    fails a check or the engine cannot read the file: the transaction is then
    unusable and the caller must roll it back (and import the bundle through the
    staging tables, which name each problem). No staging table is written, so
    the rows are read, typed and stored once.
    """
    if backend.kind != "duckdb" or not plain_csv_supported(spec):
        return None
    typed, checks, source = _plain_parts(spec, path, names, delimiter, rules)
    first = spec.columns[0].name
    # the first column's value is an error for a row the checks do not accept
    typed[0] = (
        f"CASE WHEN {checks} THEN {typed[0].removesuffix(f' AS {quote(first)}')} "
        f"ELSE error('b2bcx: a value the SQL checks leave to the validation') END "
        f"AS {quote(first)}"
    )
    sql = (
        f"INSERT INTO {quote(spec.name)} ({_q(_cols(spec))}, {quote(BATCH_COLUMN)}) "
        f"SELECT {', '.join(typed)}, CAST(NULL AS VARCHAR), {_lit(batch_id)} FROM {source}"
    )
    try:
        return int(backend.execute(sql)[0][0])
    except WorkspaceError:
        return None


def loaded_problem(backend: Backend, spec: TableSpec, staged: set[str]) -> bool:
    """Whether a table filled by :func:`load_plain_csv` has a repeated key or a
    reference found neither in the workspace nor in the staging tables of
    ``staged`` (a yes/no for the whole table: the caller then imports the bundle
    through the staging tables, which name each row)."""
    table = quote(spec.name)
    key = _q(spec.key)
    if backend.execute(f"SELECT 1 FROM {table} GROUP BY {key} HAVING count(*) > 1 LIMIT 1"):
        return True
    for col in spec.columns:
        if not col.references:
            continue
        target, target_col = col.references.split(".")
        c, tc = quote(col.name), quote(target_col)
        where = [
            f"s.{c} IS NOT NULL",
            f"NOT EXISTS (SELECT 1 FROM {quote(target)} t WHERE t.{tc} = s.{c})",
        ]
        if target in staged:
            where.append(
                f"NOT EXISTS (SELECT 1 FROM {quote(stage_name(target))} t WHERE t.{tc} = s.{c})"
            )
        sql = f"SELECT 1 FROM {table} s WHERE {' AND '.join(where)} LIMIT 1"
        if backend.execute(sql):
            return True
    return False


def loaded_references(backend: Backend, spec: TableSpec, column: str) -> dict[str, str | None]:
    """A table's column that refers to the table itself, as key → reference, for
    the loop check of a table filled by :func:`load_plain_csv`."""
    (key,) = spec.key
    rows = backend.execute(f"SELECT {quote(key)}, {quote(column)} FROM {quote(spec.name)}")
    return {str(k): None if v is None else str(v) for k, v in rows}
