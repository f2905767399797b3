"""Signing in — with a login and password, with single sign-on (OpenID
Connect), or with an API token — and out.

All three end in the same session (a signed, HTTP-only, SameSite cookie; CSRF
tokens on forms); the sign-in forms carry the signed double-submit nonce of
:data:`~b2bcx.server.sessions.SIGNIN_COOKIE`. Failed attempts count against
the client address (and, for a password, the login too) in the server's
:class:`~b2bcx.server.requests.FailureLimiter`; past the limit the answer is
429 with ``Retry-After``. Every password and single sign-on sign-in, failed or
not, is in the audit log (target ``user:<login>``).
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from b2bcx.server.http import State
from b2bcx.server.sessions import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    cookie_options,
    csrf_ok,
    end_session,
    sign,
    start_session,
    unsign,
)
from b2bcx.server.state import AppState
from b2bcx.server.tokens import verify_token
from b2bcx.server.users import (
    MAX_PASSWORD_LENGTH,
    SUBJECT_PREFIX,
    User,
    check_password,
    password_hasher,
)
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

#: The cookie that keeps a single sign-on's state, nonce and PKCE verifier
#: until the provider sends the browser back (signed, HTTP-only, 10 minutes).
OIDC_COOKIE = "b2bcx_oidc"
OIDC_SECONDS = 600


def _safe_next(value: str | None) -> str:
    """Only local paths (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(
    request: Request,
    state: AppState,
    *,
    next_path: str,
    error: str | None = None,
    status: int = 200,
    fresh: bool = True,
) -> Response:
    """The sign-in page; with ``fresh``, a new form nonce (and its signed cookie),
    else only a link to reload the form."""
    nonce = secrets.token_urlsafe(24) if fresh else None
    settings = state.settings
    response = render(
        request,
        "signin.html",
        status=status,
        next=_safe_next(next_path),
        signin_csrf=nonce,
        error=error,
        oidc_label=settings.oidc_label if settings.oidc_enabled else None,
    )
    if nonce is not None:
        response.set_cookie(
            SIGNIN_COOKIE,
            sign(state.key, {"n": nonce}),
            **cookie_options(secure=_secure(request), max_age=3600),
        )
    return response


def _expired(request: Request, state: AppState, next_path: str) -> Response:
    return _form(
        request,
        state,
        next_path=next_path,
        status=403,
        fresh=False,
        error="The form expired; reload the page and try again.",
    )


def _too_many(request: Request, state: AppState, next_path: str, wait: int) -> Response:
    response = _form(
        request,
        state,
        next_path=next_path,
        status=429,
        fresh=False,
        error=f"Too many failed sign-ins; try again in {wait} s.",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _signed_in(request: Request, state: AppState, subject: str, next_path: str) -> Response:
    """Start a session for ``subject`` and go to ``next_path``."""
    session = start_session(state, subject)
    redirect: Response = RedirectResponse(_safe_next(next_path), status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        session.to_cookie(state.key),
        **cookie_options(secure=_secure(request), max_age=int(state.settings.session_hours * 3600)),
    )
    redirect.delete_cookie(SIGNIN_COOKIE, path="/")
    return redirect


def _form_nonce_ok(request: Request, state: AppState, csrf_token: str) -> bool:
    expected = unsign(state.key, request.cookies.get(SIGNIN_COOKIE)) or {}
    return csrf_ok(expected.get("n"), csrf_token)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, state: State, next: str = "/") -> Response:
    """The sign-in page (login and password, single sign-on when configured, API
    token), with a signed double-submit CSRF cookie."""
    return _form(request, state, next_path=next)


@router.post("/signin")
def signin(
    request: Request,
    state: State,
    token: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token and start a session (an HTTP-only, SameSite, signed cookie)."""
    if not _form_nonce_ok(request, state, csrf_token):
        return _expired(request, state, next)
    client = _client(request)
    wait = state.limiter.retry_after(client)
    if wait is not None:
        return _too_many(request, state, next, wait)
    with state.db() as backend:
        principal = verify_token(backend, token)
    if principal is None:
        state.limiter.fail(client)
        return _form(
            request, state, next_path=next, status=401, error="That token is unknown or revoked."
        )
    return _signed_in(request, state, principal.token_id, next)


def _audit_signin(
    state: AppState,
    request: Request,
    *,
    action: str,
    target: str,
    status: int,
    user: User | None,
    detail: dict[str, Any],
) -> None:
    state.audit(
        token_id=user.subject if user is not None else None,
        role=user.role.value if user is not None else None,
        action=action,
        target=target[:200],
        status=status,
        detail={"client": _client(request), **detail},
    )


@router.post("/signin/password")
async def signin_password(
    request: Request,
    state: State,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check a login and password (argon2id) and start a session.

    A wrong password and an unknown login get the same answer, in the same
    time; failures count against the client address and the login.
    """
    if not _form_nonce_ok(request, state, csrf_token):
        return _expired(request, state, next)
    client = _client(request)
    login_key = "login:" + login.strip().lower()[:100]
    waits = [state.limiter.retry_after(client), state.limiter.retry_after(login_key)]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        await run_in_threadpool(
            _audit_signin,
            state,
            request,
            action="POST /signin/password",
            target=SUBJECT_PREFIX + login.strip().lower(),
            status=429,
            user=None,
            detail={"method": "password", "refused": True},
        )
        return _too_many(request, state, next, wait)
    hasher = password_hasher(state.settings)

    def check() -> Any:
        with state.db() as backend:
            return check_password(backend, login, password, hasher=hasher)

    outcome = await run_in_threadpool(check)
    target = SUBJECT_PREFIX + login.strip().lower()
    if outcome.user is None:
        state.limiter.fail(client)
        state.limiter.fail(login_key)
        await run_in_threadpool(
            _audit_signin,
            state,
            request,
            action="POST /signin/password",
            target=target,
            status=401,
            user=None,
            detail={"method": "password", "reason": outcome.reason},
        )
        message = (
            "This user is disabled; ask an administrator."
            if outcome.reason == "disabled"
            else "The login or the password is wrong."
        )
        return _form(request, state, next_path=next, status=401, error=message)
    user: User = outcome.user
    await run_in_threadpool(
        _audit_signin,
        state,
        request,
        action="POST /signin/password",
        target=user.subject,
        status=303,
        user=user,
        detail={"method": "password", "rehashed": outcome.rehashed},
    )
    return await run_in_threadpool(_signed_in, request, state, user.subject, next)


def _redirect_uri(request: Request, state: AppState) -> str:
    configured = state.settings.oidc_redirect_url
    return configured or str(request.url_for("signin_oidc_callback"))


@router.get("/signin/oidc")
def signin_oidc(request: Request, state: State, next: str = "/") -> Response:
    """Start single sign-on: to the provider, with state, nonce and PKCE."""
    from b2bcx.server.oidc import OidcError, begin

    if not state.settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not configured")
    client = _client(request)
    wait = state.limiter.retry_after(client)
    if wait is not None:
        return _too_many(request, state, next, wait)
    redirect_uri = _redirect_uri(request, state)
    try:
        started = begin(state.settings, redirect_uri)
    except OidcError as exc:
        return _form(request, state, next_path=next, status=502, error=str(exc))
    response = RedirectResponse(started.url, status_code=303)
    payload = {
        "s": started.state,
        "n": started.nonce,
        "v": started.verifier,
        "r": redirect_uri,
        "next": _safe_next(next),
        "exp": time.time() + OIDC_SECONDS,
    }
    response.set_cookie(
        OIDC_COOKIE,
        sign(state.key, payload),
        **cookie_options(secure=_secure(request), max_age=OIDC_SECONDS),
    )
    return response


@router.get("/signin/oidc/callback", name="signin_oidc_callback")
def signin_oidc_callback(
    request: Request,
    state: State,
    code: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    """Finish single sign-on: check ``state``, exchange the code, verify the
    id_token, match or make the user, start the session."""
    from b2bcx.server.oidc import OidcError, finish, identity_of, sign_in_user
    from b2bcx.server.tokens import AuditedBy

    if not state.settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not configured")
    returned_state = request.query_params.get("state")
    saved = unsign(state.key, request.cookies.get(OIDC_COOKIE)) or {}
    next_path = _safe_next(str(saved.get("next") or "/"))
    client = _client(request)

    def refuse(message: str, status: int, reason: str) -> Response:
        state.limiter.fail(client)
        _audit_signin(
            state,
            request,
            action="GET /signin/oidc/callback",
            target="oidc",
            status=status,
            user=None,
            detail={"method": "oidc", "reason": reason[:300]},
        )
        response = _form(request, state, next_path=next_path, status=status, error=message)
        response.delete_cookie(OIDC_COOKIE, path="/")
        return response

    wait = state.limiter.retry_after(client)
    if wait is not None:
        return _too_many(request, state, next_path, wait)
    if not saved or float(saved.get("exp") or 0) < time.time():
        return refuse("The single sign-on took too long or was not started here; try again.",
                      400, "no or expired sign-on cookie")  # fmt: skip
    if not returned_state or not csrf_ok(str(saved.get("s")), returned_state):
        return refuse("The single sign-on answer does not belong to this sign-in; try again.",
                      400, "state mismatch")  # fmt: skip
    if error:
        said = (error_description or error)[:200]
        return refuse(f"The sign-on provider refused: {said}", 401, f"provider: {error}")
    if not code:
        return refuse("The sign-on provider sent no code; try again.", 400, "no code")
    try:
        claims = finish(
            state.settings,
            code=code,
            redirect_uri=str(saved.get("r")),
            verifier=str(saved.get("v")),
            nonce=str(saved.get("n")),
        )
        identity = identity_of(state.settings, claims)
        audit = AuditedBy(action="GET /signin/oidc/callback", role="oidc")
        with state.db() as backend:
            user = sign_in_user(backend, state.settings, identity, audit=audit)
    except OidcError as exc:
        return refuse(f"Single sign-on failed: {exc}", 401, str(exc))
    _audit_signin(
        state,
        request,
        action="GET /signin/oidc/callback",
        target=user.subject,
        status=303,
        user=user,
        detail={"method": "oidc", "oidc_subject": user.oidc_subject},
    )
    response = _signed_in(request, state, user.subject, next_path)
    response.delete_cookie(OIDC_COOKIE, path="/")
    return response


@router.post("/signout")
def signout(
    request: Request,
    visitor: Visitor,
    state: State,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    """End the session, on the server too (the old cookie then gets the sign-in page)."""
    session = request.state.session
    if not csrf_ok(session.csrf, csrf_token):
        return render(
            request,
            "error.html",
            status=403,
            status_code=403,
            message="The form expired; reload the page and try again.",
        )
    end_session(state, session)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
