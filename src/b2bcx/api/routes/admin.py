"""Administration: tokens, the audit log, and recomputing results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Admin, Analyst, State, Viewer, audited_by, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.pagination import Page, Paging, page_of
from b2bcx.api.schemas import (
    AuditEntry,
    Refreshed,
    ResultsStatus,
    TokenCreate,
    TokenCreated,
    TokenInfo,
)
from b2bcx.server.computations import WARM_KEYS
from b2bcx.server.convert import plain_dict
from b2bcx.server.records import read_audit
from b2bcx.server.tokens import create_token, list_tokens, revoke_token

router = APIRouter(prefix=API_PREFIX, tags=["administration"], responses=ERROR_RESPONSES)


@router.get("/tokens", response_model=list[TokenInfo], summary="Tokens")
def tokens(caller: Admin, state: State) -> list[dict[str, Any]]:
    """Every token (never its secret): id, name, role, accounts, created, revoked."""
    require_all_accounts(caller, "token management")
    with state.db() as backend:
        return [plain_dict(t) for t in list_tokens(backend)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Make a token")
def make_token(body: TokenCreate, caller: Admin, state: State) -> dict[str, Any]:
    """Make a token; its secret is in this answer only."""
    require_all_accounts(caller, "token management")
    role = body.role
    with state.db() as backend:
        made = create_token(
            backend,
            role=role,
            accounts=body.accounts,
            name=body.name,
            audit=audited_by(caller, "POST /api/v1/tokens"),
        )
    return {**made.principal.to_dict(), "token": made.token}


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke(token_id: str, caller: Admin, state: State) -> None:
    """Revoke a token at once; its dashboard sessions end with it."""
    require_all_accounts(caller, "token management")
    with state.db() as backend:
        revoke_token(backend, token_id, audit=audited_by(caller, "DELETE /api/v1/tokens"))


@router.get("/audit", response_model=Page[AuditEntry], summary="The audit log")
def audit(request: Request, caller: Admin, state: State, paging: Paging) -> dict[str, Any]:
    """Every write made through the API or the dashboard, newest first."""
    require_all_accounts(caller, "the audit log")
    with state.db() as backend:
        total, rows = read_audit(backend, limit=paging.limit, offset=paging.offset)
    return page_of(request, paging, total, [plain_dict(r) for r in rows])


@router.post(
    "/results/refresh", response_model=Refreshed, status_code=202, summary="Recompute the analyses"
)
def refresh(caller: Analyst, state: State) -> dict[str, Any]:
    """Compute the cached results again in the background (after data changed
    outside the server); the current ones are served until the new ones are ready."""
    require_all_accounts(caller, "recomputing analyses")
    state.results.invalidate()
    state.audit(
        token_id=caller.token_id,
        role=caller.role.value,
        action="POST /api/v1/results/refresh",
        target="results",
        status=202,
    )
    later = state.results.on_demand()  # e.g. the "then" diagnosis of a large workspace
    return {"scheduled": [k for k in WARM_KEYS if k not in later]}


@router.get("/results", response_model=ResultsStatus, summary="How warm the server is")
def results_status(caller: Viewer, state: State) -> dict[str, Any]:
    """The analyses computed for the current data (seconds each took), those a
    starting server still has to compute (``waiting``, in the order it computes
    them) and whether a recomputation runs. No result is computed by asking."""
    return state.results.status(WARM_KEYS)
