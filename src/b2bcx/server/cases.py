"""Cases as the REST API and the dashboard serve them: limited to the accounts a
token may see, changed in the token's name, and with the person behind a case
shown only to who may contact customers.

The case logic is the library's (:mod:`b2bcx.cases`); this module adds only
what both HTTP adapters need around it:

- **the account limit**: a token limited to some accounts lists, reads, changes
  and opens only their cases; any other case is :class:`~b2bcx.errors.NotFound`
  (as if it did not exist), its closed-loop figures cover its accounts only;
- **who changes a case**: the token's :attr:`~b2bcx.server.tokens.Principal.owner_name`
  goes into the history, its id and role into the audit log;
- **refusals with their way out**: a change the case cannot take raises
  :class:`CaseChangeRefused` (HTTP 422) naming the statuses it may move to;
- **personal data**: a stakeholder's ``name`` and ``email`` are blanked unless
  :meth:`~b2bcx.server.tokens.Principal.may_contact` allows them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from b2bcx.cases import (
    Actor,
    Case,
    CaseEvent,
    ClosedLoopResult,
    closed_loop,
    get_case,
    history,
    list_cases,
    open_case,
    update_case,
)
from b2bcx.cases.actions import now_utc
from b2bcx.cases.model import TRANSITIONS, CaseStatus
from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.server.tokens import Principal
from b2bcx.storage import Backend
from b2bcx.storage.records import get_record, interactions_of, plain

__all__ = [
    "PERSONAL_COLUMNS",
    "CaseChangeRefused",
    "CaseView",
    "actor_of",
    "allowed_statuses",
    "case_json",
    "case_view",
    "change_case",
    "find_cases",
    "loop_json",
    "loop_results",
    "open_case_for",
    "redact_person",
    "visible_case",
]

#: The stakeholder columns that are personal data.
PERSONAL_COLUMNS = ("name", "email")

_TIMES = ("opened_at", "due_at", "first_response_at", "closed_at", "updated_at")


class CaseChangeRefused(ConfigurationError):
    """A change a case cannot take: a transition its status does not allow,
    closing without an outcome, an unknown priority, nothing to change.

    Attributes
    ----------
    status:
        The case's status when the change was asked for.
    allowed:
        The statuses it may move to from there.
    """

    def __init__(self, message: str, *, status: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.status = status
        self.allowed = tuple(allowed)

    def details(self) -> list[dict[str, Any]]:
        """``[{"status", "allowed"}]`` for the error envelope."""
        return [{"status": self.status, "allowed": list(self.allowed)}]


def actor_of(principal: Principal) -> Actor:
    """Who a token's change is made by: its owner name for the history, its id
    and role for the audit log."""
    return Actor(principal.owner_name, principal.role.value, principal.token_id)


def allowed_statuses(status: str) -> tuple[str, ...]:
    """The statuses a case in ``status`` may move to."""
    return tuple(s.value for s in TRANSITIONS[CaseStatus(status)])


def case_json(case: Case, now: _dt.datetime | None = None) -> dict[str, Any]:
    """A case as the API answers it: the fields of ``b2bcx cases list --format
    json`` (times in UTC with ``Z``), ``overdue`` at ``now`` and the ``allowed``
    statuses it may move to."""
    out = plain(case.to_dict())
    for key in _TIMES:
        out[key] = plain(getattr(case, key))
    out["overdue"] = case.overdue(now or now_utc())
    out["allowed"] = list(allowed_statuses(case.status))
    return dict(out)


def _event_json(event: CaseEvent) -> dict[str, Any]:
    out = plain(event.to_dict())
    out["at"] = plain(event.at)
    return dict(out)


def _scope(principal: Principal, account_id: str | None) -> list[str] | None:
    """The accounts a query may cover: the token's, narrowed to ``account_id``."""
    if account_id is None:
        return sorted(principal.accounts) if principal.accounts is not None else None
    return [account_id] if principal.sees(account_id) else []


def find_cases(
    backend: Backend,
    principal: Principal,
    *,
    status: Sequence[str] = (),
    owner: str | None = None,
    account_id: str | None = None,
    rule: str | None = None,
) -> tuple[Case, ...]:
    """The cases the token may see matching every filter, overdue first, then by
    due time (:func:`b2bcx.cases.list_cases`)."""
    values = [*status, owner, account_id, rule]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        return ()  # no stored value holds a NUL character
    accounts = _scope(principal, account_id)
    if accounts == []:
        return ()
    return list_cases(backend, status=status, owner=owner, account_ids=accounts, rule=rule)


def visible_case(backend: Backend, principal: Principal, case_id: str) -> Case:
    """One case the token may see; :class:`~b2bcx.errors.NotFound` otherwise."""
    if "\x00" in case_id:
        raise NotFound(f"no case {case_id!r}")
    case = get_case(backend, case_id)
    if principal.is_restricted and (case.account_id is None or not principal.sees(case.account_id)):
        raise NotFound(f"no case {case_id!r}")
    return case


def redact_person(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A stakeholder record with ``name`` and ``email`` blanked unless the token
    may contact the account's people (:meth:`Principal.may_contact`)."""
    if principal.may_contact(row.get("account_id")):
        return row
    return {**row, **dict.fromkeys(PERSONAL_COLUMNS)}


@dataclass(frozen=True)
class CaseView:
    """One case on one page: the case, its history, the answers behind it, the
    person it is about and what it may become.

    Attributes
    ----------
    case:
        The case.
    history:
        Its changes, oldest first.
    interactions:
        The answers behind it (with their comments), oldest first.
    person:
        The stakeholder record, ``name`` and ``email`` blank unless ``may_contact``.
    may_contact:
        Whether the token may see the person's name and e-mail.
    allowed:
        The statuses the case may move to.
    """

    case: Case
    history: tuple[CaseEvent, ...]
    interactions: tuple[dict[str, Any], ...]
    person: dict[str, Any] | None
    may_contact: bool
    allowed: tuple[str, ...]

    def to_dict(self, now: _dt.datetime | None = None) -> dict[str, Any]:
        """``{"case", "history", "interactions", "person", "may_contact", "allowed"}``
        (``case`` and ``history`` as ``b2bcx cases show --format json``)."""
        return {
            "case": case_json(self.case, now),
            "history": [_event_json(e) for e in self.history],
            "interactions": list(self.interactions),
            "person": self.person,
            "may_contact": self.may_contact,
            "allowed": list(self.allowed),
        }


def case_view(backend: Backend, principal: Principal, case_id: str) -> CaseView:
    """The :class:`CaseView` of a case the token may see (else ``NotFound``)."""
    case = visible_case(backend, principal, case_id)
    person = None
    if case.stakeholder_id:
        person = get_record(backend, "stakeholders", case.stakeholder_id)
    may_contact = principal.may_contact(case.account_id)
    return CaseView(
        case=case,
        history=history(backend, case_id),
        interactions=tuple(interactions_of(backend, case.interaction_ids)),
        person=redact_person(principal, person) if person is not None else None,
        may_contact=may_contact,
        allowed=allowed_statuses(case.status),
    )


def change_case(
    backend: Backend,
    principal: Principal,
    case_id: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    priority: str | None = None,
    note: str | None = None,
    outcome: str | None = None,
    due_at: _dt.datetime | None = None,
    webhook_url: str | None = None,
) -> Case:
    """Change a case the token may see, in its name (:func:`b2bcx.cases.update_case`).

    Raises
    ------
    NotFound
        If there is no such case or the token may not see it.
    CaseChangeRefused
        If the case cannot take the change (the allowed statuses are named).
    """
    case = visible_case(backend, principal, case_id)
    try:
        return update_case(
            backend,
            case_id,
            status=status,
            owner=owner,
            priority=priority,
            note=note,
            outcome=outcome,
            due_at=due_at,
            actor=actor_of(principal),
            webhook_url=webhook_url,
        )
    except CaseChangeRefused:
        raise
    except ConfigurationError as exc:
        allowed = allowed_statuses(case.status)
        raise CaseChangeRefused(str(exc), status=case.status, allowed=allowed) from exc


def open_case_for(
    backend: Backend,
    principal: Principal,
    *,
    account_id: str,
    title: str,
    stakeholder_id: str | None = None,
    owner: str | None = None,
    priority: str = "normal",
    due_business_days: int = 5,
    webhook_url: str | None = None,
) -> Case:
    """Open a case by hand on an account the token may see, in its name.

    Raises
    ------
    NotFound
        If the token may not see the account, or the stakeholder is not one of
        the account's people.
    ConfigurationError
        For an empty title or an unknown priority.
    """
    if "\x00" in account_id or not principal.sees(account_id):
        raise NotFound(f"no account {account_id!r}")
    if stakeholder_id is not None:
        person = (
            None
            if "\x00" in stakeholder_id
            else get_record(backend, "stakeholders", stakeholder_id)
        )
        if person is None or person.get("account_id") != account_id:
            raise NotFound(f"no stakeholder {stakeholder_id!r} at account {account_id!r}")
    return open_case(
        backend,
        account_id=account_id,
        title=title,
        owner=owner,
        stakeholder_id=stakeholder_id,
        priority=priority,
        due_business_days=due_business_days,
        actor=actor_of(principal),
        webhook_url=webhook_url,
    )


def loop_results(
    backend: Backend, principal: Principal, *, now: _dt.datetime | None = None
) -> ClosedLoopResult:
    """The closed-loop figures over the cases the token may see
    (:func:`b2bcx.cases.closed_loop`)."""
    accounts = sorted(principal.accounts) if principal.accounts is not None else None
    return closed_loop(backend, now=now, account_ids=accounts)


def loop_json(result: ClosedLoopResult) -> dict[str, Any]:
    """The closed-loop figures as the API answers them (``to_dict()``, the time
    in UTC with ``Z``)."""
    out = result.to_dict()
    out["as_of"] = plain(result.as_of)
    return out
