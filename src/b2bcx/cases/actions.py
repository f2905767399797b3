"""Working with cases: open (by hand, from a rule or from the plan), update,
add notes, list and read their history.

Every change is one transaction holding the case row, its history event
(``case_events``), its audit-log entry (``audit_log``) and, when a webhook is
configured, its notification in the outbox. This is the library the CLI, the
REST API and the dashboard call (``docs/cases.md``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from b2bcx.cases.model import (
    Case,
    CaseEvent,
    CaseStatus,
    add_business_days,
    as_dict,
    check_transition,
    parse_priority,
    parse_status,
)
from b2bcx.cases.outbox import queue_case_event
from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.storage import authstore, casestore

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend
    from b2bcx.strategy.plan import Plan


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a name for the history, and the token and role for the audit log."""

    name: str | None = None
    role: str | None = "cli"
    token_id: str | None = None


SYSTEM = Actor("b2bcx alerts", "system")


def now_utc() -> _dt.datetime:
    """The current time as naive UTC (how the workspace stores times)."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def case_from_row(row: dict[str, Any]) -> Case:
    """A :class:`Case` from a ``cases`` row."""
    return Case(
        case_id=row["case_id"],
        rule=row["rule"],
        account_id=row.get("account_id"),
        stakeholder_id=row.get("stakeholder_id"),
        title=row.get("title") or "",
        owner=row.get("owner") or "",
        priority=row.get("priority") or "normal",
        status=row["status"],
        opened_at=row["opened_at"],
        due_at=row.get("due_at"),
        dedupe_key=row.get("dedupe_key") or row["case_id"],
        interaction_ids=tuple(row.get("interaction_ids") or ()),
        finding=dict(row.get("finding") or {}),
        first_response_at=row.get("first_response_at"),
        closed_at=row.get("closed_at"),
        updated_at=row.get("updated_at"),
        outcome=row.get("outcome"),
        rating=None if row.get("rating") is None else float(row["rating"]),
    )


def _row(case: Case) -> dict[str, Any]:
    return {**case.__dict__, "interaction_ids": list(case.interaction_ids)}


def new_case_id(opened_at: _dt.datetime, seed: str) -> str:
    """``C-<yyyymmdd>-<8 hex>``: stable for one trigger (``seed``) and day."""
    return f"C-{opened_at:%Y%m%d}-{hashlib.sha256(seed.encode()).hexdigest()[:8]}"


def _event(
    backend: Backend,
    case: Case,
    kind: str,
    actor: Actor,
    at: _dt.datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        event_id=f"E-{time.time_ns():020d}-{uuid.uuid4().hex[:6]}",  # sorts in order
        case_id=case.case_id,
        at=at,
        kind=kind,
        actor=actor.name,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
    )
    casestore.insert_event(backend, event.__dict__)
    return event


def _audit(backend: Backend, actor: Actor, action: str, case: Case, detail: dict[str, Any]) -> None:
    authstore.append_audit(
        backend,
        token_id=actor.token_id,
        role=actor.role,
        action=action,
        target=f"case {case.case_id}",
        status=200,
        detail={"actor": actor.name, **detail},
    )


def insert_new_case(
    backend: Backend, case: Case, actor: Actor, *, webhook_url: str | None, detail: dict[str, Any]
) -> CaseEvent:
    """Store a new case with its ``opened`` event, audit entry and ``case.opened``
    notification, in one transaction (the engine and :func:`open_case` use it)."""
    casestore.require_writable(backend)
    with backend.transaction():
        casestore.insert_case(backend, _row(case))
        event = _event(
            backend, case, "opened", actor, case.opened_at, to_status=case.status, detail=detail
        )
        queue_case_event(
            backend,
            "case.opened",
            case,
            event_id=event.event_id,
            webhook_url=webhook_url,
            at=case.opened_at,
        )
        _audit(backend, actor, "case.opened", case, {"rule": case.rule, **detail})
    return event


def open_case(
    backend: Backend,
    *,
    account_id: str,
    title: str,
    owner: str | None = None,
    stakeholder_id: str | None = None,
    rule: str = "manual",
    priority: str = "normal",
    due_business_days: int = 5,
    interaction_ids: Sequence[str] = (),
    finding: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    actor: Actor = Actor(),
    webhook_url: str | None = None,
    now: _dt.datetime | None = None,
) -> Case:
    """Open a case by hand (or from a plan action).

    The owner defaults to the account's manager. With a ``dedupe_key`` an open
    case of that key is returned unchanged instead of opening a second one.

    Raises
    ------
    NotFound
        If the account (or the stakeholder) does not exist.
    ConfigurationError
        For an invalid priority or an empty title.
    """
    casestore.require_writable(backend)
    if not title.strip():
        raise ConfigurationError("a case needs a title saying what to follow up")
    priority = parse_priority(priority).value
    accounts = casestore.accounts_frame(backend).set_index("account_id")
    if account_id not in accounts.index:
        raise NotFound(f"no account {account_id!r}")
    if dedupe_key is not None:
        found = casestore.find_open(backend, dedupe_key)
        if found is not None:
            return case_from_row(found)
    manager = accounts.account_manager.get(account_id)
    owner = owner or (str(manager) if isinstance(manager, str) and manager else "unassigned")
    at = now or now_utc()
    seed = dedupe_key or uuid.uuid4().hex
    case = Case(
        case_id=new_case_id(at, seed),
        rule=rule,
        account_id=account_id,
        stakeholder_id=stakeholder_id,
        title=title.strip(),
        owner=owner,
        priority=priority,
        status=CaseStatus.open.value,
        opened_at=at,
        due_at=add_business_days(at, due_business_days),
        dedupe_key=dedupe_key or f"{rule}:{seed}",
        interaction_ids=tuple(interaction_ids),
        finding=dict(finding or {}),
        updated_at=at,
    )
    insert_new_case(backend, case, actor, webhook_url=webhook_url, detail={"title": case.title})
    return case


def get_case(backend: Backend, case_id: str) -> Case:
    """One case; :class:`~b2bcx.errors.NotFound` if there is none."""
    row = casestore.get_case(backend, case_id)
    if row is None:
        raise NotFound(f"no case {case_id!r}")
    return case_from_row(row)


def list_cases(
    backend: Backend,
    *,
    status: Sequence[str] = (),
    owner: str | None = None,
    account_ids: Sequence[str] | None = None,
    rule: str | None = None,
) -> tuple[Case, ...]:
    """Cases matching every filter, overdue first, then by due time (a work list).

    ``account_ids`` limits to those accounts (what an account-scoped token sees).
    """
    wanted = [parse_status(s).value for s in status]
    rows = casestore.list_cases(
        backend, status=wanted, owner=owner, account_ids=account_ids, rule=rule
    )
    cases = [case_from_row(r) for r in rows]
    now = now_utc()
    cases.sort(key=lambda c: (not c.overdue(now), c.due_at or _dt.datetime.max, c.case_id))
    return tuple(cases)


def history(backend: Backend, case_id: str) -> tuple[CaseEvent, ...]:
    """Every change of one case, oldest first."""
    get_case(backend, case_id)
    return tuple(
        CaseEvent(
            event_id=r["event_id"],
            case_id=r["case_id"],
            at=r["at"],
            kind=r["kind"],
            actor=r.get("actor"),
            from_status=r.get("from_status"),
            to_status=r.get("to_status"),
            detail=r.get("detail") or {},
        )
        for r in casestore.list_events(backend, case_id)
    )


def update_case(
    backend: Backend,
    case_id: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    priority: str | None = None,
    note: str | None = None,
    outcome: str | None = None,
    due_at: _dt.datetime | None = None,
    actor: Actor = Actor(),
    webhook_url: str | None = None,
    now: _dt.datetime | None = None,
) -> Case:
    """Change a case: move its status, reassign it, reprioritise, reschedule, add a note.

    The first move out of ``open`` (or the first note) is the first response.
    Closing needs an ``outcome``; reopening clears the close time. Each change
    is one history event; all of them, the audit entry and the ``case.updated``
    notification are one transaction.

    Raises
    ------
    ConfigurationError
        For a transition the status does not allow (the message names the
        allowed ones), closing without an outcome, or nothing to change.
    NotFound
        If there is no such case.
    """
    casestore.require_writable(backend)
    at = now or now_utc()
    with backend.transaction():
        case = get_case(backend, case_id)
        changes: dict[str, Any] = {}
        events: list[tuple[str, dict[str, Any]]] = []
        target = None if status is None else parse_status(status).value
        if target is not None and target != case.status:
            check_transition(case.status, target)
            if target == CaseStatus.closed and not (outcome or "").strip():
                raise ConfigurationError(
                    "closing a case needs an outcome: say what was done (--outcome)"
                )
            changes["status"] = target
            if target == CaseStatus.closed:
                changes["closed_at"] = at
                changes["outcome"] = outcome
            elif case.status == CaseStatus.closed:
                changes["closed_at"] = None
            events.append(("status", {"from": case.status, "to": target}))
        elif outcome is not None and case.status == CaseStatus.closed:
            changes["outcome"] = outcome
            events.append(("note", {"outcome": outcome}))
        if owner is not None and owner != case.owner:
            changes["owner"] = owner
            events.append(("assigned", {"from": case.owner, "to": owner}))
        if priority is not None and parse_priority(priority).value != case.priority:
            changes["priority"] = parse_priority(priority).value
            events.append(("priority", {"from": case.priority, "to": changes["priority"]}))
        if due_at is not None and due_at != case.due_at:
            changes["due_at"] = due_at
            events.append(("due", {"from": case.due_at, "to": due_at}))
        if note is not None and note.strip():
            events.append(("note", {"note": note.strip()}))
        if not events:
            raise ConfigurationError(
                "nothing to change: give a new --status, --owner, --priority, --due or a --note"
            )
        responded = any(k == "note" for k, _ in events) or changes.get("status") not in (
            None,
            CaseStatus.open.value,
        )
        if case.first_response_at is None and responded:
            changes["first_response_at"] = at
        changes["updated_at"] = at
        casestore.update_case(backend, case_id, changes)
        updated = replace(case, **changes)
        last = None
        for kind, detail in events:
            last = _event(
                backend,
                updated,
                kind,
                actor,
                at,
                from_status=detail.get("from") if kind == "status" else None,
                to_status=detail.get("to") if kind == "status" else None,
                detail=detail,
            )
        assert last is not None
        summary = {k: d for k, d in events}
        queue_case_event(
            backend,
            "case.updated",
            updated,
            event_id=last.event_id,
            webhook_url=webhook_url,
            at=at,
            change=summary,
        )
        _audit(backend, actor, "case.updated", updated, {"changes": summary})
    return updated


def attach(
    backend: Backend,
    case: Case,
    interaction_ids: Sequence[str],
    *,
    actor: Actor = SYSTEM,
    webhook_url: str | None = None,
    now: _dt.datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Case:
    """Attach later answers (e.g. another detractor answer of the person) to an open case."""
    casestore.require_writable(backend)
    new = [i for i in interaction_ids if i not in case.interaction_ids]
    if not new:
        return case
    at = now or now_utc()
    updated = replace(case, interaction_ids=(*case.interaction_ids, *new), updated_at=at)
    info = {"interaction_ids": new, **(detail or {})}
    with backend.transaction():
        casestore.update_case(
            backend,
            case.case_id,
            {"interaction_ids": list(updated.interaction_ids), "updated_at": at},
        )
        event = _event(backend, updated, "attached", actor, at, detail=info)
        queue_case_event(
            backend,
            "case.updated",
            updated,
            event_id=event.event_id,
            webhook_url=webhook_url,
            at=at,
            change={"attached": info},
        )
        _audit(backend, actor, "case.updated", updated, {"attached": new})
    return updated


def cases_from_plan(
    backend: Backend,
    plan: Plan,
    *,
    account_id: str,
    owner: str | None = None,
    decisions: Sequence[str] = ("start", "stop"),
    due_business_days: int = 20,
    actor: Actor = Actor(),
    webhook_url: str | None = None,
    now: _dt.datetime | None = None,
) -> tuple[Case, ...]:
    """Step 3 of the plan (deploy) as tasks: one case per action to start or stop.

    A case is about an account, so plan tasks hang on ``account_id`` (e.g. the
    supplier's own house account, or the key account the plan is for). The
    owner is ``owner``, else the activity's owner unit, else the account's
    manager. Idempotent: an action whose task is open is not opened twice.
    """
    units = {
        str(r["activity_id"]): str(r["owner_unit"])
        for r in map(as_dict, plan.assessment.activities)
        if r.get("owner_unit")
    }
    out: list[Case] = []
    for action in map(as_dict, plan.activities):
        if action["decision"] not in decisions:
            continue
        name = action.get("name") or action["activity_id"]
        out.append(
            open_case(
                backend,
                account_id=account_id,
                title=f"{action['decision']}: {name}",
                owner=owner or units.get(str(action["activity_id"])),
                rule="plan",
                priority="normal",
                due_business_days=due_business_days,
                finding={"plan_step": 3, **action},
                dedupe_key=f"plan:{account_id}:{action['decision']}:{action['activity_id']}",
                actor=actor,
                webhook_url=webhook_url,
                now=now,
            )
        )
    return tuple(out)


__all__ = [
    "SYSTEM",
    "Actor",
    "attach",
    "case_from_row",
    "cases_from_plan",
    "get_case",
    "history",
    "insert_new_case",
    "list_cases",
    "new_case_id",
    "now_utc",
    "open_case",
    "update_case",
]
