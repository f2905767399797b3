"""Reading the workspace's own records (accounts, people, journeys, catalogue,
interactions, import batches and rejects) a page at a time, filtered, sorted and
limited to a set of accounts. Each query is one Ibis expression run by the
engine; only the page comes back, as JSON-ready rows (dates as ISO text, stored
naive timestamps marked UTC with ``Z``). Used by the server (API and dashboard).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from b2bcx.model.tables import ATTRIBUTES_COLUMN, TABLES
from b2bcx.storage.backend import Backend
from b2bcx.storage.schema import BATCH_COLUMN

__all__ = [
    "TABLE_KEYS",
    "Query",
    "account_ids",
    "all_records",
    "batch_exists",
    "comments",
    "get_record",
    "interactions_of",
    "list_batches",
    "list_records",
    "list_rejects",
    "parse_attributes",
    "plain",
    "record_columns",
]


def plain(value: Any) -> Any:
    """A stored value made JSON-ready: numpy scalars plain, NaN/inf ``None``,
    dates ISO text (stored timestamps are UTC without a zone: they get ``Z``, as
    RFC 3339 needs an offset); dicts and lists recursively."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, _dt.datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def parse_attributes(text: Any) -> dict[str, Any] | None:
    """The ``attributes`` JSON text of a stored row as a dict (``None`` when empty
    or not a JSON object)."""
    if not text:
        return None
    try:
        value = json.loads(str(text))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Query:
    """What a list request asks for."""

    filters: Mapping[str, Any]
    sort: str
    descending: bool
    limit: int
    offset: int
    accounts: Collection[str] | None = None  # None: every account
    since: _dt.datetime | None = None
    until: _dt.datetime | None = None
    text: str | None = None


#: Each record table: its id column, its account column (or None), the
#: time column ``since``/``until`` apply to, and the column ``q`` searches.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "stakeholders": ("stakeholder_id",),
    "journeys": ("journey_id",),
    "touchpoints": ("touchpoint_id", "valid_from"),
    "partners": ("partner_id",),
    "interactions": ("interaction_id",),
    "journey_stages": ("journey_id", "entered_at"),
    "relationships": ("account_id", "valid_from"),
    "cues": ("cue_id",),
}
_TIME = {"interactions": "occurred_at", "journeys": "started_at"}
_TEXT = {"accounts": "name", "interactions": "comment", "touchpoints": "name", "partners": "name"}


def record_columns(table: str) -> list[str]:
    """The bundle columns of ``table`` (what a record shows)."""
    return [c.name for c in TABLES[table].columns]


#: Tables whose account comes through another table: (link column, owner table).
_OWNER = {
    "interactions": ("stakeholder_id", "stakeholders"),
    "journey_stages": ("journey_id", "journeys"),
}


def _with_account(backend: Backend, table: str, t: ir.Table) -> ir.Table:
    """``t`` with its ``account_id`` joined from the owning table."""
    link, owner_table = _OWNER[table]
    owner = backend.table(owner_table).select(_link=link, account_id="account_id")
    return t.left_join(owner, t[link] == owner._link).drop("_link")


def _limit_accounts(backend: Backend, table: str, t: ir.Table, accounts: list[str]) -> ir.Table:
    """Rows of ``t`` that belong to ``accounts`` (a semi-join for linked tables)."""
    if table not in _OWNER:
        return t.filter(t.account_id.isin(accounts))
    link, owner_table = _OWNER[table]
    owner = backend.table(owner_table)
    keys = owner.filter(owner.account_id.isin(accounts))[link]
    return t.filter(t[link].isin(keys))


def _matchable(*values: Any) -> bool:
    """False when a filter value can match nothing stored: text holding a NUL
    character (no stored value holds one, and SQL literals cannot carry it)."""
    return not any(isinstance(v, str) and "\x00" in v for v in values)


def _filtered(backend: Backend, table: str, query: Query) -> ir.Table:
    t = backend.table(table)
    values = [*query.filters.values(), query.text, *(query.accounts or ())]
    if not _matchable(*values):
        return t.filter(ibis.literal(False))
    for name, value in query.filters.items():
        if value is None:
            continue
        if name == "account_id" and table in _OWNER:
            t = _limit_accounts(backend, table, t, [value])
        else:
            t = t.filter(t[name] == value)
    if query.accounts is not None:
        t = _limit_accounts(backend, table, t, list(query.accounts))
    time_col = _TIME.get(table)
    if time_col is not None:
        if query.since is not None:
            t = t.filter(t[time_col] >= ibis.literal(query.since))
        if query.until is not None:
            t = t.filter(t[time_col] < ibis.literal(query.until))
    if query.text and table in _TEXT:
        t = t.filter(t[_TEXT[table]].lower().contains(query.text.lower()))
    return t


def _row(table: str, record: dict[str, Any], extra: tuple[str, ...]) -> dict[str, Any]:
    out = {c: plain(record.get(c)) for c in (*record_columns(table), *extra)}
    if ATTRIBUTES_COLUMN in record:
        out["attributes"] = parse_attributes(record.get(ATTRIBUTES_COLUMN))
    return out


def list_records(
    backend: Backend, table: str, query: Query, *, extra: tuple[str, ...] = ()
) -> tuple[int, list[dict[str, Any]]]:
    """``(total, page)`` of ``table`` under ``query``; ``extra``: joined columns to show."""
    t = _filtered(backend, table, query)
    total = int(backend.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py())
    if total == 0 or query.offset >= total:
        return total, []
    key = t[query.sort].desc() if query.descending else t[query.sort].asc()
    ties = [t[c] for c in TABLE_KEYS[table] if c != query.sort]
    page = t.order_by([key, *ties]).limit(query.limit, offset=query.offset)
    if table in _OWNER:  # the account of just this page's rows
        page = _with_account(backend, table, page)
        page = page.order_by(
            [
                page[query.sort].desc() if query.descending else page[query.sort].asc(),
                *[page[c] for c in TABLE_KEYS[table] if c != query.sort],
            ]
        )
    rows = backend.to_arrow(page.drop(BATCH_COLUMN) if BATCH_COLUMN in t.columns else page)
    return total, [_row(table, r, extra) for r in rows.to_pylist()]


def get_record(backend: Backend, table: str, key: str) -> dict[str, Any] | None:
    """One record by its id (the latest version for versioned tables)."""
    id_col = TABLE_KEYS[table][0]
    query = Query(
        filters={id_col: key}, sort=TABLE_KEYS[table][-1], descending=True, limit=1, offset=0
    )
    extra = ("account_id",) if table == "interactions" else ()
    _, rows = list_records(backend, table, query, extra=extra)
    return rows[0] if rows else None


def all_records(
    backend: Backend, table: str, filters: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every row of a small table (catalogue, an account's journeys), in key order."""
    keys = TABLE_KEYS[table]
    query = Query(filters=filters or {}, sort=keys[0], descending=False, limit=100_000, offset=0)
    extra = ("account_id",) if table == "journey_stages" else ()
    return list_records(backend, table, query, extra=extra)[1]


def comments(
    backend: Backend,
    *,
    account_id: str | None = None,
    accounts: Collection[str] | None = None,
    touchpoint_id: str | None = None,
    stage: str | None = None,
    ids: Collection[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Comments (newest first) with who wrote them, where and how they rated it."""
    if not _matchable(account_id, touchpoint_id, stage, *(accounts or ()), *(ids or ())):
        return 0, []
    it = backend.table("interactions")
    it = it.filter(it.comment.notnull() & (it.comment != ""))
    if touchpoint_id is not None:
        it = it.filter(it.touchpoint_id == touchpoint_id)
    if stage is not None:
        it = it.filter(it.stage == stage)
    if ids is not None:
        it = it.filter(it.interaction_id.isin(list(ids)))
    sh = backend.table("stakeholders").select(
        "account_id", "function", "level", "center", _sid="stakeholder_id"
    )
    if account_id is not None:
        sh = sh.filter(sh.account_id == account_id)
    if accounts is not None:
        sh = sh.filter(sh.account_id.isin(list(accounts)))
    t = it.inner_join(sh, it.stakeholder_id == sh._sid).drop("_sid")
    total = int(backend.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py())
    page = t.order_by([t.occurred_at.desc(), t.interaction_id]).limit(limit, offset=offset)
    cols = [
        "interaction_id",
        "account_id",
        "stakeholder_id",
        "function",
        "level",
        "center",
        "occurred_at",
        "touchpoint_id",
        "stage",
        "source",
        "cx",
        "nps",
        "comment",
    ]
    rows = backend.to_arrow(page.select(*cols)).to_pylist()
    return total, [plain(r) for r in rows]


def interactions_of(backend: Backend, ids: Collection[str]) -> list[dict[str, Any]]:
    """The interactions ``ids`` (with their account), oldest first, comment or not:
    the answers behind a case."""
    wanted = [i for i in ids if _matchable(i)]
    if not wanted:
        return []
    it = backend.table("interactions")
    it = it.filter(it.interaction_id.isin(wanted))
    sh = backend.table("stakeholders").select("account_id", _sid="stakeholder_id")
    t = it.left_join(sh, it.stakeholder_id == sh._sid).drop("_sid")
    cols = [
        "interaction_id",
        "account_id",
        "stakeholder_id",
        "occurred_at",
        "touchpoint_id",
        "stage",
        "source",
        "cx",
        "nps",
        "comment",
    ]
    page = t.order_by([t.occurred_at, t.interaction_id]).select(*cols)
    return [plain(r) for r in backend.to_arrow(page).to_pylist()]


def account_ids(backend: Backend) -> list[str]:
    """Every account id."""
    t = backend.table("accounts")
    return [str(v) for v in backend.to_arrow(t.select("account_id")).column(0).to_pylist()]


def list_batches(backend: Backend, *, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Import batches, newest first."""
    t = backend.table("import_batches")
    total = int(backend.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py())
    page = t.order_by([t.started_at.desc(), t.batch_id]).limit(limit, offset=offset)
    return total, [plain(r) for r in backend.to_arrow(page).to_pylist()]


def list_rejects(
    backend: Backend, batch_id: str, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """The rejected rows of one import batch, in file and row order."""
    if not _matchable(batch_id):
        return 0, []
    t = backend.table("import_rejects")
    t = t.filter(t.batch_id == batch_id)
    total = int(backend.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py())
    page = t.order_by([t.table_name, t.file, t.row, t.column_name]).limit(limit, offset=offset)
    rows = [plain(r) for r in backend.to_arrow(page).to_pylist()]
    for r in rows:
        r["original"] = parse_attributes(r.get("original"))
    return total, rows


def batch_exists(backend: Backend, batch_id: str) -> bool:
    """Whether an import batch with that id exists."""
    if not _matchable(batch_id):
        return False
    t = backend.table("import_batches")
    t = t.filter(t.batch_id == batch_id)
    return int(backend.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py()) > 0
