"""What every write request passes before its body is read: authentication,
a bound on the body's size (counted while it streams), a rate limit on failed
token checks, and an audit entry for every refused or failed write.

FastAPI reads (and Starlette spools to disk) a form body before it resolves the
route's dependencies, so the token and the size limit are checked here, in an
ASGI middleware in front of the routes (review finding M1):

- a write (``POST``, ``PUT``, ``PATCH``, ``DELETE``) to the API needs a valid
  ``Authorization: Bearer`` token, a write to a dashboard page a valid session
  (``/signin`` excepted); without one the answer comes before the body is read;
- a body announced larger than the route's limit (``Content-Length``) is
  refused at once (413); a body streamed past it is cut at the limit and
  answered with 413, so at most the limit (plus one chunk) is ever stored;
- failed token checks are counted per client address (:class:`FailureLimiter`):
  past the limit, the answer is 429 with ``Retry-After`` (finding L10);
- a write that ends in 401, 403, 413, 429 or 5xx and that its route did not
  audit itself is recorded in the audit log with its real status (M3).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from b2bcx.server.requests import AUDITED, FailureLimiter, note_audited

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Methods that write.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths that take an uploaded bundle (limit: ``max_upload_mb``).
BUNDLE_PATHS = frozenset({"/api/v1/imports", "/import"})
#: Paths that take an uploaded answers file.
ANSWERS_PATHS = frozenset({"/api/v1/strategy/answers", "/strategy/answers"})
#: Writes that need no session or token (signing in).
OPEN_WRITES = frozenset({"/signin", "/signin/password"})
#: Room for the multipart framing and the form's other fields.
FORM_OVERHEAD = 64 * 1024
#: The largest body of any other write (JSON of a case, a form).
OTHER_WRITE_BYTES = 1024 * 1024
#: Statuses of a write that the audit log must show even if the route did not record them.
AUDITED_REFUSALS = frozenset({401, 403, 413, 429})


def client_of(scope: Scope) -> str:
    """The client address of a request (``"unknown"`` without one)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def body_limit(path: str, max_upload_mb: int) -> int:
    """The largest body a write to ``path`` may send, in bytes."""
    from b2bcx.server.uploads import MAX_ANSWERS_BYTES

    if path in BUNDLE_PATHS:
        return max_upload_mb * 1024 * 1024 + FORM_OVERHEAD
    if path in ANSWERS_PATHS:
        return MAX_ANSWERS_BYTES + FORM_OVERHEAD
    return OTHER_WRITE_BYTES


#: Temporary folders the server and the importer make (swept at start).
TEMP_PREFIXES = ("b2bcx-upload-", "b2bcx-zip-", "b2bcx-answers-")


def sweep_temp_folders(
    *, older_than: float = 3600.0, root: Path | None = None, now: float | None = None
) -> list[Path]:
    """Remove the temporary folders a crashed server or import left behind.

    Only folders named with one of :data:`TEMP_PREFIXES`, owned by this user and
    not changed for ``older_than`` seconds (an import still running elsewhere
    keeps its folder) are removed. Returns what was removed.
    """
    root = root or Path(tempfile.gettempdir())
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIXES):
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not entry.is_dir() or entry.is_symlink():
            continue
        if uid is not None and info.st_uid != uid:
            continue
        if now - info.st_mtime < older_than:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed


class _TooLarge(Exception):
    pass


class WriteGuard:
    """The ASGI middleware described in the module docstring.

    Parameters
    ----------
    app:
        The application it guards (its ``state.b2bcx`` is the server's state).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        from b2bcx.server.state import AppState

        state: AppState = scope["app"].state.b2bcx
        path: str = scope["path"]
        is_api = path.startswith("/api/")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        seen: list[bool] = []
        token_ctx = AUDITED.set(seen)
        outcome: dict[str, Any] = {"status": 500}
        try:
            refusal = await self._refusal(state, scope, headers, path, is_api)
            if refusal is not None:
                outcome["status"] = refusal[0]
                await _answer(scope, send, *refusal, is_api=is_api)
                return
            limit = body_limit(path, state.settings.max_upload_mb)
            announced = headers.get("content-length", "")
            if announced.isdigit() and int(announced) > limit:
                outcome["status"] = 413
                await _answer(scope, send, 413, _too_large(limit), {}, is_api=is_api)
                return
            await self._run(scope, receive, send, limit, outcome, is_api)
        finally:
            AUDITED.reset(token_ctx)
            status = int(outcome["status"])
            if not seen and (status in AUDITED_REFUSALS or status >= 500):
                await run_in_threadpool(_audit_refusal, state, scope, path, status)

    async def _refusal(
        self, state: Any, scope: Scope, headers: dict[str, str], path: str, is_api: bool
    ) -> tuple[int, str, dict[str, str]] | None:
        """Why the write is refused before its body is read (status, message,
        headers), or ``None``."""
        if path in OPEN_WRITES:
            return None
        if is_api:
            client = client_of(scope)
            wait = state.limiter.retry_after(client)
            if wait is not None:
                return 429, _slow_down(wait), {"Retry-After": str(wait)}
            value = headers.get("authorization", "")
            scheme, _, token = value.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return (
                    401,
                    "send an API token: Authorization: Bearer <token>",
                    {"WWW-Authenticate": "Bearer"},
                )
            principal = await run_in_threadpool(_principal_of_token, state, token)
            if principal is None:
                state.limiter.fail(client)
                return 401, "the token is unknown or revoked", {"WWW-Authenticate": "Bearer"}
            return None
        cookie = _cookie(headers.get("cookie", ""))
        if not await run_in_threadpool(_session_valid, state, cookie):
            return 303, "", {"Location": _signin_location(path)}
        return None

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        limit: int,
        outcome: dict[str, Any],
        is_api: bool,
    ) -> None:
        counted = 0
        over = False

        async def counting_receive() -> Message:
            nonlocal counted, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    over = True  # stop here: the rest is never read nor stored
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                if not started:
                    started = True
                    outcome["status"] = 413
                    await _answer(scope, send, 413, _too_large(limit), {}, is_api=is_api)
                return  # the app's own answer (a parse error of the cut body) is dropped
            if message["type"] == "http.response.start":
                started = True
                outcome["status"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if over and not started:
                outcome["status"] = 413
                await _answer(scope, send, 413, _too_large(limit), {}, is_api=is_api)
                return
            outcome["status"] = 500
            raise


def _too_large(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"the upload exceeds {(limit - FORM_OVERHEAD) // (1024 * 1024)} MB"
    return f"the request body exceeds {limit // 1024} KB"


def _slow_down(wait: int) -> str:
    return f"too many failed token checks from this address; try again in {wait} s"


def _cookie(header: str) -> str | None:
    from b2bcx.server.sessions import SESSION_COOKIE

    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE:
            return value
    return None


def _signin_location(path: str) -> str:
    from urllib.parse import quote

    return f"/signin?next={quote(path, safe='/')}"


def _principal_of_token(state: Any, token: str) -> Any:
    from b2bcx.server.tokens import verify_token

    with state.db() as backend:
        return verify_token(backend, token)


def _session_valid(state: Any, cookie: str | None) -> bool:
    from b2bcx.server.sessions import session_principal

    return session_principal(state, cookie) is not None


def _audit_refusal(state: Any, scope: Scope, path: str, status: int) -> None:
    principal = (scope.get("state") or {}).get("principal")
    state.audit(
        token_id=getattr(principal, "token_id", None),
        role=getattr(getattr(principal, "role", None), "value", None),
        action=f"{scope['method']} {path}",
        target=path,
        status=status,
        detail={"client": client_of(scope), "refused": status < 500},
    )


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    message: str,
    headers: dict[str, str],
    *,
    is_api: bool,
) -> None:
    """Answer without reading the body: the API's envelope, or a short page."""
    from b2bcx.server.envelope import CODES, envelope

    if is_api:
        body = json.dumps(envelope(status, CODES.get(status, "error"), message)).encode("utf-8")
        kind = "application/json"
    elif status == 303:
        body, kind = b"", "text/plain; charset=utf-8"
    else:
        body = _page(status, message).encode("utf-8")
        kind = "text/html; charset=utf-8"
    raw = [
        (b"content-type", kind.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"connection", b"close"),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _page(status: int, message: str) -> str:
    from html import escape

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{status}</title></head><body><main><h1>{status}</h1>"
        f'<p>{escape(message)}</p><p><a href="/">Back</a></p></main></body></html>'
    )


__all__ = [
    "FailureLimiter",
    "WriteGuard",
    "body_limit",
    "client_of",
    "note_audited",
    "sweep_temp_folders",
]
