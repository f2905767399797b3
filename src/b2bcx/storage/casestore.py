"""Reads and writes of the closed loop's tables (migration 7).

- ``cases``: one row per case (:class:`b2bcx.cases.model.Case`); lists and
  evidence are JSON text;
- ``case_events``: every change of a case, its history;
- ``alert_state``: per alert rule, the high-water mark of the data it has seen
  and when it last ran;
- ``outbox``: notifications (webhook events, e-mails) written in the same
  transaction as the case change that caused them, until delivered;
- ``deliveries``: one row per delivery attempt (the delivery log).

The case logic lives in :mod:`b2bcx.cases`; this module holds its SQL and the
Ibis reads of the bundle tables the alert rules evaluate. Spark workspaces are
read-only: every write refuses them with a clear
:class:`~b2bcx.errors.WorkspaceReadOnly`.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa

from b2bcx.errors import WorkspaceReadOnly
from b2bcx.storage.backend import quote

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend

CASES_TABLE = "cases"
EVENTS_TABLE = "case_events"
STATE_TABLE = "alert_state"
OUTBOX_TABLE = "outbox"
DELIVERIES_TABLE = "deliveries"

CASES_SCHEMA = ibis.schema(
    {
        "case_id": "string",
        "rule": "string",
        "account_id": "string",
        "stakeholder_id": "string",
        "title": "string",
        "owner": "string",
        "priority": "string",
        "status": "string",
        "opened_at": "timestamp",
        "due_at": "timestamp",
        "first_response_at": "timestamp",
        "closed_at": "timestamp",
        "updated_at": "timestamp",
        "outcome": "string",
        "dedupe_key": "string",
        "interaction_ids": "string",  # JSON list
        "finding": "string",  # JSON object
        "rating": "float64",
    }
)

EVENTS_SCHEMA = ibis.schema(
    {
        "event_id": "string",
        "case_id": "string",
        "at": "timestamp",
        "kind": "string",
        "actor": "string",
        "from_status": "string",
        "to_status": "string",
        "detail": "string",  # JSON object
    }
)

STATE_SCHEMA = ibis.schema({"rule": "string", "mark": "timestamp", "last_run_at": "timestamp"})

OUTBOX_SCHEMA = ibis.schema(
    {
        "message_id": "string",  # the webhook-id: the same on every retry
        "channel": "string",  # webhook | email
        "event_type": "string",  # case.opened | case.updated
        "case_id": "string",
        "target": "string",  # URL or e-mail address; NULL: the configured default
        "payload": "string",  # JSON
        "created_at": "timestamp",
        "attempts": "int64",
        "next_attempt_at": "timestamp",
        "delivered_at": "timestamp",
        "failed_at": "timestamp",  # given up after the last retry
        "last_error": "string",
    }
)

DELIVERIES_SCHEMA = ibis.schema(
    {
        "message_id": "string",
        "attempt": "int64",
        "at": "timestamp",
        "target": "string",
        "ok": "boolean",
        "status_code": "int64",
        "error": "string",
        "seconds": "float64",
    }
)

TABLES: dict[str, ibis.Schema] = {
    CASES_TABLE: CASES_SCHEMA,
    EVENTS_TABLE: EVENTS_SCHEMA,
    STATE_TABLE: STATE_SCHEMA,
    OUTBOX_TABLE: OUTBOX_SCHEMA,
    DELIVERIES_TABLE: DELIVERIES_SCHEMA,
}

_JSON_COLUMNS = {"interaction_ids": list, "finding": dict, "detail": dict, "payload": dict}


def create_tables(backend: Backend) -> None:
    """Create the closed loop's tables (migration 7; idempotent)."""
    for name, table_schema in TABLES.items():
        backend.create_table(name, table_schema)


def require_writable(backend: Backend) -> None:
    """Refuse a workspace that cannot keep cases (Spark, or opened read-only).

    Raises
    ------
    WorkspaceReadOnly
        With the reason and the fix.
    """
    if backend.kind == "spark":
        raise WorkspaceReadOnly(
            f"the workspace {backend.url} runs on Spark, which is read-only: cases, alerts "
            "and notifications need a DuckDB or PostgreSQL workspace (import the bundle "
            "into one, e.g. `b2bcx import BUNDLE -w cx.duckdb`)"
        )
    if backend.is_read_only:
        raise WorkspaceReadOnly(
            f"the workspace {backend.url} was opened read-only; cases and alerts write to it: "
            "open it read-write"
        )


def _has(backend: Backend, name: str) -> bool:
    return name in backend.list_tables()


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key, kind in _JSON_COLUMNS.items():
        if key in out:
            out[key] = json.loads(out[key]) if out[key] else kind()
    for key, value in out.items():
        if isinstance(value, _dt.datetime) and value.tzinfo is not None:
            out[key] = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return out


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in _JSON_COLUMNS:
        if key in out and out[key] is not None and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], default=str, sort_keys=True)
    return out


def _insert(backend: Backend, table: str, row: dict[str, Any]) -> None:
    columns = list(TABLES[table].names)
    values = _encode(row)
    cols = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    backend.execute(
        f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})", [values.get(c) for c in columns]
    )


def _update(backend: Backend, table: str, key: str, value: str, changes: dict[str, Any]) -> None:
    if not changes:
        return
    values = _encode(changes)
    sets = ", ".join(f"{quote(c)} = ?" for c in values)
    backend.execute(
        f"UPDATE {quote(table)} SET {sets} WHERE {quote(key)} = ?", [*values.values(), value]
    )


# -- cases ----------------------------------------------------------------------


def insert_case(backend: Backend, row: dict[str, Any]) -> None:
    """Insert one case row (inside the caller's transaction)."""
    with backend.transaction():
        _insert(backend, CASES_TABLE, row)


def update_case(backend: Backend, case_id: str, changes: dict[str, Any]) -> None:
    """Change columns of one case (inside the caller's transaction)."""
    with backend.transaction():
        _update(backend, CASES_TABLE, "case_id", case_id, changes)


def get_case(backend: Backend, case_id: str) -> dict[str, Any] | None:
    """One case's row, or ``None``."""
    if not _has(backend, CASES_TABLE):
        return None
    rows = backend.fetch_dicts(f"SELECT * FROM {quote(CASES_TABLE)} WHERE case_id = ?", [case_id])
    return _decode(rows[0]) if rows else None


def find_open(backend: Backend, dedupe_key: str) -> dict[str, Any] | None:
    """The case with ``dedupe_key`` that is not closed, or ``None``."""
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(CASES_TABLE)} WHERE dedupe_key = ? AND status <> 'closed' "
        "ORDER BY opened_at DESC",
        [dedupe_key],
    )
    return _decode(rows[0]) if rows else None


def list_cases(
    backend: Backend,
    *,
    status: Sequence[str] = (),
    owner: str | None = None,
    account_ids: Sequence[str] | None = None,
    rule: str | None = None,
    stakeholder_id: str | None = None,
) -> list[dict[str, Any]]:
    """Cases matching every filter given, oldest first (none on a workspace without cases).

    ``account_ids`` limits to those accounts (an account-scoped token; an empty
    list matches nothing).
    """
    if not _has(backend, CASES_TABLE):
        return []
    where: list[str] = []
    params: list[Any] = []
    if status:
        where.append(f"status IN ({', '.join('?' for _ in status)})")
        params += list(status)
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    if account_ids is not None:
        if not account_ids:
            return []
        where.append(f"account_id IN ({', '.join('?' for _ in account_ids)})")
        params += list(account_ids)
    if rule is not None:
        where.append("rule = ?")
        params.append(rule)
    if stakeholder_id is not None:
        where.append("stakeholder_id = ?")
        params.append(stakeholder_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(CASES_TABLE)}{clause} ORDER BY opened_at, case_id", params
    )
    return [_decode(r) for r in rows]


def linked_interactions(backend: Backend, rule: str) -> set[str]:
    """Every interaction already behind a case of ``rule`` (open or closed)."""
    rows = backend.execute(
        f"SELECT interaction_ids FROM {quote(CASES_TABLE)} WHERE rule = ?", [rule]
    )
    out: set[str] = set()
    for (text,) in rows:
        out.update(json.loads(text) if text else [])
    return out


def insert_event(backend: Backend, row: dict[str, Any]) -> None:
    """Append one event to a case's history (inside the caller's transaction)."""
    with backend.transaction():
        _insert(backend, EVENTS_TABLE, row)


def list_events(backend: Backend, case_id: str | None = None) -> list[dict[str, Any]]:
    """The history of one case (or of all cases), oldest first."""
    if not _has(backend, EVENTS_TABLE):
        return []
    if case_id is None:
        rows = backend.fetch_dicts(
            f"SELECT * FROM {quote(EVENTS_TABLE)} ORDER BY {quote('at')}, event_id"
        )
    else:
        rows = backend.fetch_dicts(
            f"SELECT * FROM {quote(EVENTS_TABLE)} WHERE case_id = ? "
            f"ORDER BY {quote('at')}, event_id",
            [case_id],
        )
    return [_decode(r) for r in rows]


def count_events(backend: Backend) -> int:
    """How many events all cases have."""
    if not _has(backend, EVENTS_TABLE):
        return 0
    return int(backend.execute(f"SELECT count(*) FROM {quote(EVENTS_TABLE)}")[0][0])


# -- alert state ------------------------------------------------------------------


def get_mark(backend: Backend, rule: str) -> _dt.datetime | None:
    """The high-water mark of ``rule`` (the data time it has evaluated up to), or ``None``."""
    rows = backend.execute(f"SELECT mark FROM {quote(STATE_TABLE)} WHERE rule = ?", [rule])
    if not rows or rows[0][0] is None:
        return None
    return _decode({"mark": rows[0][0]})["mark"]  # type: ignore[no-any-return]


def set_mark(backend: Backend, rule: str, mark: _dt.datetime, ran_at: _dt.datetime) -> None:
    """Record ``rule``'s new high-water mark (inside the caller's transaction)."""
    with backend.transaction():
        backend.execute(f"DELETE FROM {quote(STATE_TABLE)} WHERE rule = ?", [rule])
        backend.execute(f"INSERT INTO {quote(STATE_TABLE)} VALUES (?, ?, ?)", [rule, mark, ran_at])


def alert_state(backend: Backend) -> list[dict[str, Any]]:
    """Every rule's mark and last run."""
    if not _has(backend, STATE_TABLE):
        return []
    return backend.fetch_dicts(f"SELECT * FROM {quote(STATE_TABLE)} ORDER BY rule")


# -- outbox and deliveries --------------------------------------------------------


def enqueue(backend: Backend, row: dict[str, Any]) -> None:
    """Put one notification in the outbox (inside the caller's transaction)."""
    with backend.transaction():
        _insert(backend, OUTBOX_TABLE, {"attempts": 0, **row})


def due_messages(
    backend: Backend, now: _dt.datetime, *, channel: str | None = None
) -> list[dict[str, Any]]:
    """Undelivered messages whose next attempt is due at ``now``, oldest first."""
    where = "delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?"
    params: list[Any] = [now]
    if channel is not None:
        where += " AND channel = ?"
        params.append(channel)
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(OUTBOX_TABLE)} WHERE {where} ORDER BY created_at, message_id",
        params,
    )
    return [_decode(r) for r in rows]


def list_outbox(backend: Backend, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """The outbox, oldest first (``pending_only``: not delivered and not given up)."""
    if not _has(backend, OUTBOX_TABLE):
        return []
    where = " WHERE delivered_at IS NULL AND failed_at IS NULL" if pending_only else ""
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(OUTBOX_TABLE)}{where} ORDER BY created_at, message_id"
    )
    return [_decode(r) for r in rows]


def record_attempt(
    backend: Backend,
    message_id: str,
    *,
    attempt: int,
    at: _dt.datetime,
    target: str | None,
    ok: bool,
    status_code: int | None,
    error: str | None,
    seconds: float,
    next_attempt_at: _dt.datetime | None,
    give_up: bool,
) -> None:
    """Log one delivery attempt and update the message, in one transaction."""
    with backend.transaction():
        _insert(
            backend,
            DELIVERIES_TABLE,
            {
                "message_id": message_id,
                "attempt": attempt,
                "at": at,
                "target": target,
                "ok": ok,
                "status_code": status_code,
                "error": error,
                "seconds": seconds,
            },
        )
        changes: dict[str, Any] = {"attempts": attempt, "last_error": error}
        if ok:
            changes["delivered_at"] = at
        elif give_up:
            changes["failed_at"] = at
        else:
            changes["next_attempt_at"] = next_attempt_at
        _update(backend, OUTBOX_TABLE, "message_id", message_id, changes)


def list_deliveries(backend: Backend, message_id: str | None = None) -> list[dict[str, Any]]:
    """The delivery log (of one message, or all), oldest first."""
    if not _has(backend, DELIVERIES_TABLE):
        return []
    where, params = ("", []) if message_id is None else (" WHERE message_id = ?", [message_id])
    return backend.fetch_dicts(
        f"SELECT * FROM {quote(DELIVERIES_TABLE)}{where} ORDER BY {quote('at')}, attempt", params
    )


def table_arrow(backend: Backend, name: str) -> pa.Table | None:
    """A closed-loop table as Arrow for the bundle export, ``None`` if absent or empty."""
    if name not in TABLES or not _has(backend, name):
        return None
    t = backend.table(name)
    order = "case_id" if name == CASES_TABLE else ("at" if name == EVENTS_TABLE else None)
    expr = t.order_by([order, *([] if order == "case_id" else ["event_id"])]) if order else t
    data = backend.to_arrow(expr)
    return data if data.num_rows else None


# -- reads of the bundle tables for the alert rules ----------------------------------


def _frame(backend: Backend, expr: ibis.Table) -> pd.DataFrame:
    frame: pd.DataFrame = backend.to_arrow(expr).to_pandas()
    return frame


def answers_between(
    backend: Backend,
    *,
    metric: str,
    after: _dt.datetime | None,
    until: _dt.datetime,
    at_most: float | None = None,
) -> pd.DataFrame:
    """Answers on ``metric`` with ``after < occurred_at <= until`` (and value ≤
    ``at_most``), with the person's account, decision-maker flag and account manager.

    Columns: ``interaction_id, stakeholder_id, account_id, occurred_at, value,
    decision_maker, account_manager, comment``, ordered by time.
    """
    i = backend.table("interactions")
    s = backend.table("stakeholders")
    a = backend.table("accounts")
    cond = i[metric].notnull() & (i.occurred_at <= until)
    if after is not None:
        cond &= i.occurred_at > after
    if at_most is not None:
        cond &= i[metric] <= at_most
    picked = i.filter(cond).select(
        "interaction_id",
        "stakeholder_id",
        "occurred_at",
        "comment",
        value=i[metric].cast("float64"),
    )
    people = s.select("stakeholder_id", "account_id", "decision_maker")
    managers = a.select("account_id", "account_manager")
    joined = picked.join(people, "stakeholder_id").join(managers, "account_id", how="left")
    cols = [
        "interaction_id",
        "stakeholder_id",
        "account_id",
        "occurred_at",
        "value",
        "decision_maker",
        "account_manager",
        "comment",
    ]
    return _frame(backend, joined.select(*cols).order_by(["occurred_at", "interaction_id"]))


def ratings_of(backend: Backend, stakeholder_ids: Iterable[str], *, metric: str) -> pd.DataFrame:
    """Every answer on ``metric`` of the given people: ``stakeholder_id, occurred_at, value``."""
    ids = sorted(set(stakeholder_ids))
    if not ids:
        return pd.DataFrame(columns=["interaction_id", "stakeholder_id", "occurred_at", "value"])
    i = backend.table("interactions")
    expr = i.filter(i[metric].notnull() & i.stakeholder_id.isin(ids)).select(
        "interaction_id", "stakeholder_id", "occurred_at", value=i[metric].cast("float64")
    )
    return _frame(backend, expr.order_by(["stakeholder_id", "occurred_at", "interaction_id"]))


def accounts_frame(backend: Backend) -> pd.DataFrame:
    """``account_id, name, annual_value, account_manager`` of every account."""
    a = backend.table("accounts")
    return _frame(backend, a.select("account_id", "name", "annual_value", "account_manager"))


def last_contact(backend: Backend, *, until: _dt.datetime) -> pd.DataFrame:
    """Decision makers with their account and last interaction up to ``until``.

    Columns: ``stakeholder_id, account_id, last_seen`` (NaT for never),
    ``active_to``.
    """
    s = backend.table("stakeholders")
    i = backend.table("interactions")
    seen = (
        i.filter(i.occurred_at <= until)
        .group_by("stakeholder_id")
        .aggregate(last_seen=i.occurred_at.max())
    )
    dms = s.filter(s.decision_maker.fill_null(False)).select(
        "stakeholder_id", "account_id", "active_to"
    )
    return _frame(
        backend,
        dms.join(seen, "stakeholder_id", how="left").select(
            "stakeholder_id", "account_id", "last_seen", "active_to"
        ),
    )


def partner_touchpoint_means(
    backend: Backend, *, metric: str, after: _dt.datetime, until: _dt.datetime
) -> pd.DataFrame:
    """Mean ``metric`` per partner-controlled touchpoint over ``(after, until]``.

    Columns: ``touchpoint_id, partner_id, name, n, mean`` (the touchpoint's
    latest catalogue row decides who controls it).
    """
    tp = backend.table("touchpoints")
    catalogue = tp.select("touchpoint_id", "partner_id", "name", "controller", "valid_from")
    i = backend.table("interactions")
    cond = i[metric].notnull() & (i.occurred_at > after) & (i.occurred_at <= until)
    means = (
        i.filter(cond & i.touchpoint_id.notnull())
        .group_by("touchpoint_id")
        .aggregate(n=i.interaction_id.count(), mean=i[metric].cast("float64").mean())
    )
    frame = _frame(backend, catalogue)
    frame = frame.sort_values("valid_from", na_position="first").drop_duplicates(
        "touchpoint_id", keep="last"
    )
    frame = frame[frame.controller == "partner"].drop(columns=["valid_from", "controller"])
    out = frame.merge(_frame(backend, means), on="touchpoint_id")
    return out.reset_index(drop=True)


__all__ = [
    "CASES_TABLE",
    "DELIVERIES_TABLE",
    "EVENTS_TABLE",
    "OUTBOX_TABLE",
    "STATE_TABLE",
    "TABLES",
    "accounts_frame",
    "alert_state",
    "answers_between",
    "count_events",
    "create_tables",
    "due_messages",
    "enqueue",
    "find_open",
    "get_case",
    "get_mark",
    "insert_case",
    "insert_event",
    "last_contact",
    "linked_interactions",
    "list_cases",
    "list_deliveries",
    "list_events",
    "list_outbox",
    "partner_touchpoint_means",
    "ratings_of",
    "record_attempt",
    "require_writable",
    "set_mark",
    "table_arrow",
    "update_case",
]
