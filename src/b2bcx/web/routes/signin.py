"""Signing in with an API token, and out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
from b2bcx.server.tokens import verify_token
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, state: State, next: str = "/") -> Response:
    """The sign-in form, with a signed double-submit CSRF cookie."""
    nonce = secrets.token_urlsafe(24)
    response = render(request, "signin.html", next=_safe_next(next), signin_csrf=nonce, error=None)
    response.set_cookie(
        SIGNIN_COOKIE,
        sign(state.key, {"n": nonce}),
        **cookie_options(secure=request.url.scheme == "https", max_age=3600),
    )
    return response


@router.post("/signin")
def signin(
    request: Request,
    state: State,
    token: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token and start a session (an HTTP-only, SameSite, signed cookie)."""
    expected = unsign(state.key, request.cookies.get(SIGNIN_COOKIE)) or {}
    if not csrf_ok(expected.get("n"), csrf_token):
        return render(
            request,
            "signin.html",
            status=403,
            next=_safe_next(next),
            signin_csrf=None,
            error="The form expired; reload the page and try again.",
        )
    client = request.client.host if request.client else "unknown"
    wait = state.limiter.retry_after(client)
    if wait is not None:
        response = render(
            request,
            "signin.html",
            status=429,
            next=_safe_next(next),
            signin_csrf=None,
            error=f"Too many failed sign-ins from this address; try again in {wait} s.",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    with state.db() as backend:
        principal = verify_token(backend, token)
    if principal is None:
        state.limiter.fail(client)
        nonce = secrets.token_urlsafe(24)
        response = render(
            request,
            "signin.html",
            status=401,
            next=_safe_next(next),
            signin_csrf=nonce,
            error="That token is unknown or revoked.",
        )
        response.set_cookie(
            SIGNIN_COOKIE,
            sign(state.key, {"n": nonce}),
            **cookie_options(secure=request.url.scheme == "https", max_age=3600),
        )
        return response
    session = start_session(state, principal.token_id)
    redirect: Response = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        session.to_cookie(state.key),
        **cookie_options(
            secure=request.url.scheme == "https", max_age=int(state.settings.session_hours * 3600)
        ),
    )
    redirect.delete_cookie(SIGNIN_COOKIE, path="/")
    return redirect


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
