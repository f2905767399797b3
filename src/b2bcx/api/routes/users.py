"""People's accounts for the dashboard (admin): list, add, disable, set a password.

The API itself takes API tokens only; users sign in to the dashboard (with a
password or single sign-on). Every write here is in the audit log (target
``user:<login>``), as ``b2bcx user`` writes are.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StringConstraints

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Admin, State, audited_by, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import AccountId
from b2bcx.server.tokens import Role
from b2bcx.server.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    create_user,
    disable_user,
    list_users,
    set_password,
)

router = APIRouter(prefix=API_PREFIX, tags=["administration"], responses=ERROR_RESPONSES)

#: A login: 1-100 letters, digits and ``. _ @ + -`` (upper case is folded to lower).
LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$"
Login = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=LOGIN_PATTERN)]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]


class UserInfo(BaseModel):
    """A user without the password hash."""

    login: str
    display_name: str
    role: str
    accounts: list[str] | None = None
    has_password: bool
    oidc_subject: str | None = None
    disabled: bool
    created_at: _dt.datetime | None = None
    disabled_at: _dt.datetime | None = None
    last_signin_at: _dt.datetime | None = None


class UserCreate(BaseModel):
    """A user to add: login, role, display name, the accounts it is limited to
    (``null``: every account) and its password (``null``: single sign-on only)."""

    login: Login
    role: Role
    name: str = Field(default="", max_length=200)
    accounts: list[AccountId] | None = Field(default=None, min_length=1)
    password: Password | None = Field(default=None, json_schema_extra={"writeOnly": True})


class PasswordSet(BaseModel):
    """A new password."""

    password: Password = Field(json_schema_extra={"writeOnly": True})


LoginPath = Annotated[str, Path(min_length=1, max_length=100, pattern=LOGIN_PATTERN)]


@router.get("/users", response_model=list[UserInfo], summary="Users")
def users(caller: Admin, state: State) -> list[dict[str, Any]]:
    """Every dashboard user (never a password hash)."""
    require_all_accounts(caller, "user management")
    with state.db() as backend:
        return [u.to_dict() for u in list_users(backend)]


@router.post("/users", response_model=UserInfo, status_code=201, summary="Add a user")
def add_user(body: UserCreate, caller: Admin, state: State) -> dict[str, Any]:
    """Add a user who signs in to the dashboard (argon2-hashed password)."""
    require_all_accounts(caller, "user management")
    with state.db() as backend:
        from b2bcx.server.users import password_hasher

        user = create_user(
            backend,
            login=body.login,
            role=body.role,
            password=body.password,
            display_name=body.name,
            accounts=body.accounts,
            hasher=password_hasher(state.settings),
            audit=audited_by(caller, "POST /api/v1/users"),
        )
    return user.to_dict()


@router.delete("/users/{login}", status_code=204, summary="Disable a user")
def disable(login: LoginPath, caller: Admin, state: State) -> None:
    """Disable a user: no more sign-ins, and the user's sessions end at once."""
    require_all_accounts(caller, "user management")
    with state.db() as backend:
        disable_user(backend, login, audit=audited_by(caller, "DELETE /api/v1/users"))


@router.put("/users/{login}/password", status_code=204, summary="Set a user's password")
def password(login: LoginPath, body: PasswordSet, caller: Admin, state: State) -> None:
    """Set a user's password; the user's sessions end."""
    require_all_accounts(caller, "user management")
    from b2bcx.server.users import password_hasher

    with state.db() as backend:
        set_password(
            backend,
            login,
            body.password,
            hasher=password_hasher(state.settings),
            audit=audited_by(caller, "PUT /api/v1/users/password"),
        )
