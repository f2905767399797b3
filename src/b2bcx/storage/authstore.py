"""Reads and writes of the API's security tables (migration 4).

- ``api_tokens``: one row per API token. Only the SHA-256 hash of a token is
  stored, never the token itself; ``token_id`` is the public prefix shown in
  listings and written to the audit log.
- ``audit_log``: one row per write made through the API or the dashboard (who,
  what, on which target, with what outcome).
- ``web_sessions`` (migration 8): one row per dashboard sign-in; the session
  cookie names its ``session_id``, and signing out revokes it, so the cookie
  ends on the server too. Its ``token_id`` column holds the session's
  *subject*: a token id, or ``user:<login>`` for a person's account.
- ``web_users`` (migration 10): the people who sign in to the dashboard with a
  password or single sign-on: login, display name, the argon2 hash of the
  password (never the password), role, account scope, the OIDC subject that
  signs in as them, and when they were made, disabled and last signed in.

The token logic (making, checking, roles) lives in :mod:`b2bcx.api.tokens`;
this module only holds the SQL.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

import ibis

from b2bcx.storage.backend import quote

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend

TOKENS_TABLE = "api_tokens"
AUDIT_TABLE = "audit_log"

TOKENS_SCHEMA = ibis.schema(
    {
        "token_id": "string",  # public prefix, e.g. "k3f9a1c2"
        "token_hash": "string",  # sha256 hex of the whole token
        "name": "string",
        "role": "string",  # viewer | analyst | admin
        "accounts": "string",  # JSON list of account ids, or NULL for all accounts
        "created_at": "timestamp",
        "revoked_at": "timestamp",
    }
)

AUDIT_SCHEMA = ibis.schema(
    {
        "at": "timestamp",
        "token_id": "string",
        "role": "string",
        "action": "string",  # e.g. "POST /api/v1/imports"
        "target": "string",
        "status": "int64",  # HTTP status of the outcome
        "detail": "string",  # JSON
    }
)

SESSIONS_TABLE = "web_sessions"

SESSIONS_SCHEMA = ibis.schema(
    {
        "session_id": "string",  # random, in the signed cookie
        "token_id": "string",
        "created_at": "timestamp",
        "expires_at": "timestamp",
        "revoked_at": "timestamp",
    }
)

USERS_TABLE = "web_users"

USERS_SCHEMA = ibis.schema(
    {
        "login": "string",  # lower case, unique
        "display_name": "string",
        "password_hash": "string",  # argon2id (PHC string), NULL for single sign-on only
        "role": "string",  # viewer | analyst | admin
        "accounts": "string",  # JSON list of account ids, or NULL for all accounts
        "oidc_subject": "string",  # "<issuer> <sub>" of the single sign-on identity, or NULL
        "created_at": "timestamp",
        "disabled_at": "timestamp",
        "last_signin_at": "timestamp",
    }
)

_USER_COLUMNS = tuple(USERS_SCHEMA.names)

_TOKEN_COLUMNS = ("token_id", "token_hash", "name", "role", "accounts", "created_at", "revoked_at")


def create_tables(backend: Backend) -> None:
    """Create the security tables (migration 4)."""
    backend.create_table(TOKENS_TABLE, TOKENS_SCHEMA)
    backend.create_table(AUDIT_TABLE, AUDIT_SCHEMA)


def create_session_table(backend: Backend) -> None:
    """Create ``web_sessions`` (migration 8)."""
    backend.create_table(SESSIONS_TABLE, SESSIONS_SCHEMA)


def create_users_table(backend: Backend) -> None:
    """Create ``web_users`` (migration 10)."""
    backend.create_table(USERS_TABLE, USERS_SCHEMA)


def insert_session(
    backend: Backend, *, session_id: str, token_id: str, expires_at: _dt.datetime
) -> None:
    """Record a new dashboard session; also forgets sessions expired a day ago."""
    now = _now()
    with backend.transaction():
        backend.execute(
            f"DELETE FROM {quote(SESSIONS_TABLE)} WHERE expires_at < ?",
            [now - _dt.timedelta(days=1)],
        )
        backend.execute(
            f"INSERT INTO {quote(SESSIONS_TABLE)} VALUES (?, ?, ?, ?, ?)",
            [session_id, token_id, now, expires_at, None],
        )


def session_active(backend: Backend, session_id: str, token_id: str) -> bool:
    """Whether ``session_id`` of ``token_id`` exists, is not revoked and has not expired."""
    rows = backend.execute(
        f"SELECT count(*) FROM {quote(SESSIONS_TABLE)} WHERE session_id = ? AND token_id = ? "
        "AND revoked_at IS NULL AND expires_at > ?",
        [session_id, token_id, _now()],
    )
    return bool(rows and rows[0][0])


def revoke_session(backend: Backend, session_id: str) -> bool:
    """End a session (sign-out); ``False`` if it was not active."""
    with backend.transaction():
        found = backend.execute(
            f"SELECT count(*) FROM {quote(SESSIONS_TABLE)} "
            "WHERE session_id = ? AND revoked_at IS NULL",
            [session_id],
        )
        if not found or not found[0][0]:
            return False
        backend.execute(
            f"UPDATE {quote(SESSIONS_TABLE)} SET revoked_at = ? WHERE session_id = ?",
            [_now(), session_id],
        )
    return True


def revoke_subject_sessions(backend: Backend, subject: str) -> int:
    """End every active session of ``subject`` (a token id or ``user:<login>``);
    returns how many ended."""
    with backend.transaction():
        found = backend.execute(
            f"SELECT count(*) FROM {quote(SESSIONS_TABLE)} "
            "WHERE token_id = ? AND revoked_at IS NULL",
            [subject],
        )
        count = int(found[0][0]) if found else 0
        if count:
            backend.execute(
                f"UPDATE {quote(SESSIONS_TABLE)} SET revoked_at = ? "
                "WHERE token_id = ? AND revoked_at IS NULL",
                [_now(), subject],
            )
    return count


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def _token_row(row: dict[str, Any]) -> dict[str, Any]:
    accounts = row.get("accounts")
    return {**row, "accounts": json.loads(accounts) if accounts is not None else None}


def insert_token(
    backend: Backend,
    *,
    token_id: str,
    token_hash: str,
    name: str,
    role: str,
    accounts: list[str] | None,
) -> dict[str, Any]:
    """Store a new token (its hash only) and return its row."""
    row = {
        "token_id": token_id,
        "token_hash": token_hash,
        "name": name,
        "role": role,
        "accounts": json.dumps(accounts) if accounts is not None else None,
        "created_at": _now(),
        "revoked_at": None,
    }
    cols = ", ".join(quote(c) for c in _TOKEN_COLUMNS)
    marks = ", ".join("?" for _ in _TOKEN_COLUMNS)
    with backend.transaction():
        backend.execute(
            f"INSERT INTO {quote(TOKENS_TABLE)} ({cols}) VALUES ({marks})",
            [row[c] for c in _TOKEN_COLUMNS],
        )
    return _token_row(row)


def get_token(backend: Backend, token_id: str) -> dict[str, Any] | None:
    """The row of one token (revoked or not), or ``None``."""
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(TOKENS_TABLE)} WHERE token_id = ?", [token_id]
    )
    return _token_row(rows[0]) if rows else None


def list_tokens(backend: Backend) -> list[dict[str, Any]]:
    """Every token, oldest first (hashes included; callers leave them out)."""
    rows = backend.fetch_dicts(f"SELECT * FROM {quote(TOKENS_TABLE)} ORDER BY created_at, token_id")
    return [_token_row(r) for r in rows]


def revoke_token(backend: Backend, token_id: str) -> bool:
    """Mark a token revoked; ``False`` if there is no such active token."""
    with backend.transaction():
        found = backend.execute(
            f"SELECT count(*) FROM {quote(TOKENS_TABLE)} WHERE token_id = ? AND revoked_at IS NULL",
            [token_id],
        )
        if not found or not found[0][0]:
            return False
        backend.execute(
            f"UPDATE {quote(TOKENS_TABLE)} SET revoked_at = ? WHERE token_id = ?",
            [_now(), token_id],
        )
    return True


def _user_row(row: dict[str, Any]) -> dict[str, Any]:
    accounts = row.get("accounts")
    return {**row, "accounts": json.loads(accounts) if accounts is not None else None}


def insert_user(
    backend: Backend,
    *,
    login: str,
    display_name: str,
    password_hash: str | None,
    role: str,
    accounts: list[str] | None,
    oidc_subject: str | None = None,
) -> dict[str, Any] | None:
    """Store a new user and return its row; ``None`` if the login (or the OIDC
    subject) is taken already (checked in the same transaction)."""
    row: dict[str, Any] = {
        "login": login,
        "display_name": display_name,
        "password_hash": password_hash,
        "role": role,
        "accounts": json.dumps(accounts) if accounts is not None else None,
        "oidc_subject": oidc_subject,
        "created_at": _now(),
        "disabled_at": None,
        "last_signin_at": None,
    }
    cols = ", ".join(quote(c) for c in _USER_COLUMNS)
    marks = ", ".join("?" for _ in _USER_COLUMNS)
    with backend.transaction():
        taken = backend.execute(
            f"SELECT count(*) FROM {quote(USERS_TABLE)} WHERE login = ? OR oidc_subject = ?",
            [login, oidc_subject],
        )
        if taken and taken[0][0]:
            return None
        backend.execute(
            f"INSERT INTO {quote(USERS_TABLE)} ({cols}) VALUES ({marks})",
            [row[c] for c in _USER_COLUMNS],
        )
    return _user_row(row)


def get_user(backend: Backend, login: str) -> dict[str, Any] | None:
    """The row of one user (disabled or not), or ``None``."""
    rows = backend.fetch_dicts(f"SELECT * FROM {quote(USERS_TABLE)} WHERE login = ?", [login])
    return _user_row(rows[0]) if rows else None


def get_user_by_subject(backend: Backend, oidc_subject: str) -> dict[str, Any] | None:
    """The user a single sign-on identity signs in as, or ``None``."""
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(USERS_TABLE)} WHERE oidc_subject = ?", [oidc_subject]
    )
    return _user_row(rows[0]) if rows else None


def list_users(backend: Backend) -> list[dict[str, Any]]:
    """Every user, by login (hashes included; callers leave them out)."""
    rows = backend.fetch_dicts(f"SELECT * FROM {quote(USERS_TABLE)} ORDER BY login")
    return [_user_row(r) for r in rows]


def update_user(backend: Backend, login: str, **values: Any) -> bool:
    """Set some columns of one user (``accounts`` as a list or ``None``);
    ``False`` if there is no such user."""
    unknown = set(values) - set(_USER_COLUMNS) - {"accounts"}
    if unknown or "login" in values:
        raise ValueError(f"cannot update {sorted(unknown | ({'login'} & set(values)))}")
    if not values:
        return get_user(backend, login) is not None
    if "accounts" in values:
        accounts = values["accounts"]
        values["accounts"] = json.dumps(accounts) if accounts is not None else None
    sets = ", ".join(f"{quote(c)} = ?" for c in values)
    with backend.transaction():
        found = backend.execute(
            f"SELECT count(*) FROM {quote(USERS_TABLE)} WHERE login = ?", [login]
        )
        if not found or not found[0][0]:
            return False
        backend.execute(
            f"UPDATE {quote(USERS_TABLE)} SET {sets} WHERE login = ?", [*values.values(), login]
        )
    return True


def append_audit(
    backend: Backend,
    *,
    token_id: str | None,
    role: str | None,
    action: str,
    target: str,
    status: int,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one write in the audit log."""
    with backend.transaction():
        backend.execute(
            f"INSERT INTO {quote(AUDIT_TABLE)} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                _now(),
                token_id,
                role,
                action,
                target,
                int(status),
                json.dumps(detail or {}, default=str),
            ],
        )


def read_audit(
    backend: Backend, *, limit: int, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """The total number of audit entries and one page of them, newest first."""
    total = int(backend.execute(f"SELECT count(*) FROM {quote(AUDIT_TABLE)}")[0][0])
    rows = backend.fetch_dicts(
        f"SELECT * FROM {quote(AUDIT_TABLE)} ORDER BY {quote('at')} DESC LIMIT ? OFFSET ?",
        [int(limit), int(offset)],
    )
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row.get("detail") else {}
    return total, rows


__all__ = [
    "AUDIT_TABLE",
    "SESSIONS_TABLE",
    "TOKENS_TABLE",
    "USERS_TABLE",
    "append_audit",
    "create_session_table",
    "create_tables",
    "create_users_table",
    "get_token",
    "get_user",
    "get_user_by_subject",
    "insert_session",
    "insert_token",
    "insert_user",
    "list_tokens",
    "list_users",
    "read_audit",
    "revoke_session",
    "revoke_subject_sessions",
    "revoke_token",
    "session_active",
    "update_user",
]
