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

from b2bcx.model.tables import ATTRIBUTES_COLUMN, TABLES, Kind, TableSpec
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
