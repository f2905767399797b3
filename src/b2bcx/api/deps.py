"""Dependencies of the routes, as ``Annotated`` aliases: the state, the caller,
role checks and the account limit every endpoint enforces."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from b2bcx.api.errors import ApiError
from b2bcx.api.state import AppState
from b2bcx.api.tokens import Principal, Role, verify_token

_bearer = HTTPBearer(auto_error=False, description="An API token: `b2bcx token create`.")


def get_state(request: Request) -> AppState:
    """The application state."""
    state: AppState = request.app.state.b2bcx
    return state


State = Annotated[AppState, Depends(get_state)]


def get_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``.

    Raises 401 (with ``WWW-Authenticate``) when the token is missing, unknown or revoked.
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "send an API token: Authorization: Bearer <token>", headers=challenge)
    with state.db() as backend:
        principal = verify_token(backend, credentials.credentials)
    if principal is None:
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


def check_account(principal: Principal, account_id: str) -> None:
    """Refuse an account the token may not see (404, so its existence is not revealed)."""
    if not principal.sees(account_id):
        raise ApiError(404, f"no account {account_id!r}")


Viewer = Annotated[Principal, require(Role.viewer)]
Analyst = Annotated[Principal, require(Role.analyst)]
Admin = Annotated[Principal, require(Role.admin)]
