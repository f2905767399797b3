"""Dependencies of the routes, as ``Annotated`` aliases: the state, the caller,
role checks and the account limit every endpoint enforces."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from b2bcx.api.errors import ApiError, from_library
from b2bcx.errors import B2bcxError
from b2bcx.server.http import State, get_state
from b2bcx.server.state import AppState
from b2bcx.server.tokens import AuditedBy, Principal, Role, verify_token
from b2bcx.server.views import check_account

__all__ = [
    "Admin",
    "Analyst",
    "Caller",
    "State",
    "Viewer",
    "audited",
    "audited_by",
    "check_account",
    "get_principal",
    "get_state",
    "require",
    "require_all_accounts",
]

_bearer = HTTPBearer(auto_error=False, description="An API token: `b2bcx token create`.")


def get_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``.

    Raises 401 (with ``WWW-Authenticate``) when the token is missing, unknown or
    revoked; 429 (with ``Retry-After``) while the client address has had too many
    failed token checks (``auth_failures`` within ``auth_window`` seconds).
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "send an API token: Authorization: Bearer <token>", headers=challenge)
    client = request.client.host if request.client else "unknown"
    wait = state.limiter.retry_after(client)
    if wait is not None:
        raise ApiError(
            429,
            f"too many failed token checks from this address; try again in {wait} s",
            code="too_many_requests",
            headers={"Retry-After": str(wait)},
        )
    with state.db() as backend:
        principal = verify_token(backend, credentials.credentials)
    if principal is None:
        state.limiter.fail(client)
        raise ApiError(401, "the token is unknown or revoked", headers=challenge)
    request.state.principal = principal
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> object:
    """A dependency that lets only tokens with ``role`` (or a higher one) through."""

    def check(principal: Caller) -> Principal:
        if not principal.has_role(role):
            raise ApiError(
                403, f"this needs the {role.value} role (the token is a {principal.role.value})"
            )
        return principal

    return Depends(check)


def require_all_accounts(principal: Principal, what: str) -> None:
    """Refuse portfolio-wide results to a token limited to some accounts."""
    if principal.is_restricted:
        raise ApiError(
            403,
            f"{what} covers every account; this token is limited to "
            f"{len(principal.accounts or ())} account(s)",
            code="account_restricted",
        )


def audited_by(caller: Principal, action: str) -> AuditedBy:
    """The audit identity of ``caller`` making ``action`` (e.g. ``POST /api/v1/tokens``)."""
    return AuditedBy(action=action, role=caller.role.value, token_id=caller.token_id)


@contextlib.contextmanager
def audited(
    state: AppState,
    caller: Principal,
    action: str,
    target: str,
    detail: dict[str, Any],
    *,
    status: int = 201,
) -> Iterator[dict[str, Any]]:
    """Audit one API write: ``detail`` (filled in by the block) with ``status``
    (201 by default), or the status and message of the error the block raises
    (500 for an unexpected error: the answer is then 500 too)."""
    try:
        yield detail
    except (ApiError, B2bcxError) as exc:
        err = exc if isinstance(exc, ApiError) else from_library(exc)
        status = err.status
        detail["error"] = err.message[:500]
        raise
    except Exception as exc:
        status = 500
        detail["error"] = type(exc).__name__
        raise
    finally:
        state.audit(token_id=caller.token_id, role=caller.role.value, action=action,
                    target=target, status=status, detail=detail)  # fmt: skip


Viewer = Annotated[Principal, require(Role.viewer)]
Analyst = Annotated[Principal, require(Role.analyst)]
Admin = Annotated[Principal, require(Role.admin)]
