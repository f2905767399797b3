"""Cases: the closed loop's work list, one case with its history, changes and
cases opened by hand, and the closed-loop figures (``docs/cases.md``).

Viewers read; analysts (and admins) change and open; a token limited to some
accounts sees and touches only their cases (any other answers 404). Every
write is audited (``audited``) on top of the case's own history and audit entry.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Analyst, State, Viewer, audited
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.pagination import Paging, slice_page
from b2bcx.api.schemas import CaseCreate, CaseDetail, CaseOut, CasePage, CaseUpdate, ClosedLoop
from b2bcx.cases.actions import now_utc
from b2bcx.cases.model import CaseStatus
from b2bcx.server.cases import (
    case_json,
    case_view,
    change_case,
    find_cases,
    loop_json,
    loop_results,
    open_case_for,
)

router = APIRouter(prefix=f"{API_PREFIX}/cases", tags=["cases"], responses=ERROR_RESPONSES)

_Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=CasePage, summary="Cases (the work list)")
def cases(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    status: Annotated[
        list[CaseStatus] | None, Query(description="Repeat for several statuses.")
    ] = None,
    owner: _Text = None,
    account_id: _Text = None,
    rule: _Text = None,
) -> dict[str, Any]:
    """The cases of the accounts the token may see, overdue first, then by due
    time; each as ``b2bcx cases list --format json`` gives it."""
    with state.db() as backend:
        found = find_cases(
            backend,
            caller,
            status=[s.value for s in status or ()],
            owner=owner,
            account_id=account_id,
            rule=rule,
        )
    now = now_utc()
    return slice_page(request, paging, [case_json(c, now) for c in found])


@router.get("/results", response_model=ClosedLoop, summary="Closed-loop results")
def results(caller: Viewer, state: State) -> dict[str, Any]:
    """Detractors contacted within the SLA, median hours to first response and to
    close, open and overdue by owner, and the follow-up effect with its paired t
    interval, over the cases of the accounts the token may see."""
    with state.db() as backend:
        return loop_json(loop_results(backend, caller))


@router.post("", response_model=CaseOut, status_code=201, summary="Open a case by hand")
def create(body: CaseCreate, caller: Analyst, state: State) -> dict[str, Any]:
    """Open a case on an account (and optionally one of its people); the owner is
    the account manager unless given. Needs the analyst role."""
    action = "POST /api/v1/cases"
    with audited(state, caller, action, body.account_id, {"title": body.title}) as detail:
        with state.db() as backend:
            case = open_case_for(
                backend,
                caller,
                account_id=body.account_id,
                title=body.title,
                stakeholder_id=body.stakeholder_id,
                owner=body.owner,
                priority=body.priority.value,
                due_business_days=body.due_business_days,
                webhook_url=state.settings.webhook_url,
            )
        detail["case_id"] = case.case_id
        return case_json(case)


@router.get("/{case_id}", response_model=CaseDetail, summary="One case and its history")
def case(case_id: str, caller: Viewer, state: State) -> dict[str, Any]:
    """The case, its history, the answers behind it (with their comments), the
    person it is about (name and e-mail only for tokens that may contact the
    account's people) and the statuses it may move to."""
    with state.db() as backend:
        return case_view(backend, caller, case_id).to_dict()


@router.patch("/{case_id}", response_model=CaseOut, summary="Change a case")
def update(case_id: str, body: CaseUpdate, caller: Analyst, state: State) -> dict[str, Any]:
    """Move the case's status, reassign it, reprioritise or reschedule it, or add a
    note; closing needs an ``outcome``. A change the case cannot take answers 422
    ``invalid_change`` naming the statuses it may move to. Needs the analyst role."""
    changes = body.model_dump(exclude_none=True, mode="json")
    action = "PATCH /api/v1/cases"
    with audited(state, caller, action, case_id, {"changes": changes}, status=200):
        with state.db() as backend:
            updated = change_case(
                backend,
                caller,
                case_id,
                status=body.status.value if body.status else None,
                owner=body.owner,
                priority=body.priority.value if body.priority else None,
                note=body.note,
                outcome=body.outcome,
                due_at=_naive_utc(body.due_at),
                webhook_url=state.settings.webhook_url,
            )
        return case_json(updated)


def _naive_utc(value: _dt.datetime | None) -> _dt.datetime | None:
    """A time as the workspace stores it: naive UTC (a time without a zone is UTC)."""
    if value is not None and value.tzinfo is not None:
        return value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value
