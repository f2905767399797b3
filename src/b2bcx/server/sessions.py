"""Dashboard sessions: a signed, HTTP-only, SameSite cookie; CSRF tokens for forms.

A session cookie holds the signing-in token's *id* (or, for a person signed in
with a password or single sign-on, ``user:<login>``: the session's *subject*),
a session id, an expiry and a CSRF secret, signed with HMAC-SHA256 under the
server secret; it never holds the token. On every request the token (or user)
and the session are looked up again: revoking a token or disabling a user ends
its sessions at once, and signing out revokes the session in the workspace
(``web_sessions``), so a copy of the cookie is worthless after.
Forms carry the session's CSRF token in a hidden field; the
sign-in form (before any session) uses a signed double-submit cookie.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from b2bcx.server.state import AppState
    from b2bcx.server.tokens import Principal

SESSION_COOKIE = "b2bcx_session"
SIGNIN_COOKIE = "b2bcx_signin"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, payload: dict[str, Any]) -> str:
    """``payload`` as ``base64(json).base64(hmac)``."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(key: bytes, value: str | None) -> dict[str, Any] | None:
    """The payload of a value :func:`sign` made with ``key``; ``None`` if tampered."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    expected = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


@dataclass(frozen=True)
class Session:
    """A signed-in dashboard session."""

    token_id: str
    expires: float
    csrf: str
    sid: str = ""

    def to_cookie(self, key: bytes) -> str:
        """The signed cookie value."""
        payload = {"tid": self.token_id, "exp": self.expires, "csrf": self.csrf, "sid": self.sid}
        return sign(key, payload)


def new_session(token_id: str, hours: float) -> Session:
    """A session for ``token_id`` lasting ``hours``, with a fresh id and CSRF secret."""
    return Session(
        token_id, time.time() + hours * 3600, secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    )


def read_session(key: bytes, cookie: str | None) -> Session | None:
    """The session in a cookie, if its signature holds and it has not expired."""
    data = unsign(key, cookie)
    if data is None:
        return None
    try:
        session = Session(
            str(data["tid"]), float(data["exp"]), str(data["csrf"]), str(data.get("sid") or "")
        )
    except (KeyError, TypeError, ValueError):
        return None
    return session if session.expires > time.time() else None


def start_session(state: AppState, token_id: str) -> Session:
    """A new session for ``token_id``, recorded in the workspace (it lasts the
    server's ``session_hours`` unless signed out)."""
    from b2bcx.storage import authstore

    session = new_session(token_id, state.settings.session_hours)
    expires = _dt.datetime.fromtimestamp(session.expires, _dt.UTC).replace(tzinfo=None)
    with state.db() as backend:
        authstore.insert_session(
            backend, session_id=session.sid, token_id=token_id, expires_at=expires
        )
    return session


def end_session(state: AppState, session: Session) -> None:
    """Revoke ``session`` in the workspace (sign-out): its cookie no longer works."""
    from b2bcx.storage import authstore

    if session.sid:
        with state.db() as backend:
            authstore.revoke_session(backend, session.sid)


def session_of(state: AppState, cookie: str | None) -> tuple[Session, Principal] | None:
    """The session of a cookie and its subject's principal, if the signature
    holds, it has not expired, it was not signed out and the token is not
    revoked (the user not disabled)."""
    from b2bcx.server.users import subject_principal as principal_of
    from b2bcx.storage import authstore

    session = read_session(state.key, cookie)
    if session is None or not session.sid:
        return None
    with state.db() as backend:
        if not authstore.session_active(backend, session.sid, session.token_id):
            return None
        principal = principal_of(backend, session.token_id)
    return None if principal is None else (session, principal)


def session_principal(state: AppState, cookie: str | None) -> Principal | None:
    """The principal of a live session cookie (see :func:`session_of`), else ``None``."""
    found = session_of(state, cookie)
    return None if found is None else found[1]


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Whether a form's CSRF token matches (constant time)."""
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def cookie_options(*, secure: bool, max_age: int | None = None) -> dict[str, Any]:
    """HTTP-only, SameSite=Lax, path /, Secure over HTTPS."""
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/", "max_age": max_age}
