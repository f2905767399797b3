"""Reads and writes of the API's security tables (migration 4).

- ``api_tokens``: one row per API token. Only the SHA-256 hash of a token is
  stored, never the token itself; ``token_id`` is the public prefix shown in
  listings and written to the audit log.
- ``audit_log``: one row per write made through the API or the dashboard (who,
  what, on which target, with what outcome).
- ``web_sessions`` (migration 8): one row per dashboard sign-in; the session
  cookie names its ``session_id``, and signing out revokes it, so the cookie
  ends on the server too.

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

_TOKEN_COLUMNS = ("token_id", "token_hash", "name", "role", "accounts", "created_at", "revoked_at")


def create_tables(backend: Backend) -> None:
    """Create the security tables (migration 4)."""
    backend.create_table(TOKENS_TABLE, TOKENS_SCHEMA)
    backend.create_table(AUDIT_TABLE, AUDIT_SCHEMA)


def create_session_table(backend: Backend) -> None:
    """Create ``web_sessions`` (migration 8)."""
    backend.create_table(SESSIONS_TABLE, SESSIONS_SCHEMA)


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
    "append_audit",
    "create_session_table",
    "create_tables",
    "get_token",
    "insert_session",
    "insert_token",
    "list_tokens",
    "read_audit",
    "revoke_session",
    "revoke_token",
    "session_active",
]
