"""Cases: the closed loop's work list (my open cases first, overdue first,
filters kept in the URL) with its results, and one case with what raised it,
the person, the history and CSRF-protected transitions and notes.

Who "I" am: the signed-in token's name (``Principal.owner_name``) is the case
owner it acts as, so a token made with ``--name "A. Berg"`` sees A. Berg's cases
under *My open cases*, and its changes carry that name in the history.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from b2bcx.cases.actions import now_utc
from b2bcx.cases.model import CaseStatus
from b2bcx.errors import B2bcxError
from b2bcx.server.cases import case_view, change_case, find_cases, loop_results
from b2bcx.server.http import State
from b2bcx.server.sessions import csrf_ok
from b2bcx.server.tokens import Principal, Role
from b2bcx.web.deps import FormError, Visitor, refuse_forged_form
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
#: The statuses a work list shows unless asked otherwise.
ACTIVE = (CaseStatus.open.value, CaseStatus.in_progress.value)

_Text = Annotated[str | None, Query(max_length=200)]


def _may_change(visitor: Principal) -> bool:
    return visitor.has_role(Role.analyst)


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    visitor: Visitor,
    state: State,
    owner: _Text = None,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    account_id: _Text = None,
    rule: _Text = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The work list: my open cases, then every case the filters select, and the
    closed-loop results."""
    wanted = [s.value for s in status] if status else list(ACTIVE)
    owner = owner or None
    account_id = account_id or None
    rule = rule or None
    with state.db() as backend:
        mine = find_cases(backend, visitor, status=ACTIVE, owner=visitor.owner_name)
        listed = find_cases(
            backend, visitor, status=wanted, owner=owner, account_id=account_id, rule=rule
        )
        everything = find_cases(backend, visitor)
        results = loop_results(backend, visitor)
    query = [("owner", owner), ("account_id", account_id), ("rule", rule)]
    kept = [(k, v) for k, v in query if v] + [("status", s) for s in wanted]
    return render(
        request,
        "cases.html",
        now=now_utc(),
        mine=mine,
        me=visitor.owner_name,
        cases=listed[(page - 1) * PER_PAGE : page * PER_PAGE],
        n_cases=len(listed),
        page=page,
        pages=max(1, -(-len(listed) // PER_PAGE)),
        query=urlencode(kept),
        owner=owner,
        statuses=[s.value for s in CaseStatus],
        wanted=wanted,
        account_id=account_id,
        rule=rule,
        owners=sorted({c.owner for c in everything} | {visitor.owner_name}),
        accounts=sorted({c.account_id for c in everything if c.account_id}),
        rules=sorted({c.rule for c in everything}),
        results=results,
    )


def _case_page(
    request: Request,
    visitor: Principal,
    state: State,
    case_id: str,
    *,
    error: FormError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    with state.db() as backend:
        view = case_view(backend, visitor, case_id)
    return render(
        request,
        "case.html",
        status=error.status if error else 200,
        view=view,
        case=view.case,
        now=now_utc(),
        may_change=_may_change(visitor),
        error=error,
        done=done,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(
    request: Request,
    case_id: str,
    visitor: Visitor,
    state: State,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """One case: what raised it, the person, the history, and (for analysts) the
    transitions and a note."""
    return _case_page(request, visitor, state, case_id, done=done)


@router.post("/cases/{case_id}", response_class=HTMLResponse)
def change(
    request: Request,
    case_id: str,
    visitor: Visitor,
    state: State,
    csrf_token: Annotated[str, Form(max_length=200)],
    status: Annotated[str | None, Form(max_length=40)] = None,
    note: Annotated[str | None, Form(max_length=10_000)] = None,
    outcome: Annotated[str | None, Form(max_length=10_000)] = None,
) -> Response:
    """Move the case or add a note (analysts and admins; CSRF-protected, audited);
    back to the case page, or the page with the reason the change was refused."""
    if not csrf_ok(request.state.session.csrf, csrf_token):
        raise refuse_forged_form()
    if not _may_change(visitor):
        raise HTTPException(403, "changing a case needs the analyst role")
    detail: dict[str, Any] = {
        k: v for k, v in {"status": status, "note": note, "outcome": outcome}.items() if v
    }
    code = 303
    try:
        with state.db() as backend:
            change_case(
                backend,
                visitor,
                case_id,
                status=status or None,
                note=note or None,
                outcome=outcome or None,
                webhook_url=state.settings.webhook_url,
            )
    except B2bcxError as exc:
        error = FormError.of(exc)
        code = error.status
        detail["error"] = error.message[:500]
        if code == 404:
            raise
        return _case_page(request, visitor, state, case_id, error=error)
    finally:
        state.audit(
            token_id=visitor.token_id,
            role=visitor.role.value,
            action="POST /cases",
            target=case_id,
            status=code,
            detail=detail,
        )
    done = "status" if status else "note"
    return RedirectResponse(f"/cases/{case_id}?done={done}", status_code=303)
