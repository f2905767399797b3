"""The one error envelope of the API, produced in one place.

Every error response, whatever raised it, has the body::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": [...]}}

``code`` is stable and machine-readable; ``message`` is for people; ``details``
is a list (validation problems, rejected rows, ...), empty when there is
nothing more to say. The library and the server raise :mod:`b2bcx.errors`
(e.g. :class:`~b2bcx.errors.NotAvailable` → 409 ``not_available``); this module
maps them (status and code from :func:`b2bcx.server.http.status_of`, and
FastAPI's own errors) to the envelope. Dashboard pages (paths outside the API)
get an HTML page instead, through the renderer the dashboard installs
(``app.state.html_error_renderer(request, status, message)``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from b2bcx.errors import B2bcxError, DataRejected
from b2bcx.server.cases import CaseChangeRefused
from b2bcx.server.envelope import CODES, envelope
from b2bcx.server.http import status_of
from b2bcx.server.uploads import UploadRejected

log = logging.getLogger("b2bcx.api")


class ApiError(Exception):
    """An error the API answers with: status, stable code, message, details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details or []
        self.headers = headers


class ErrorBody(BaseModel):
    """The content of the error envelope."""

    status: int
    code: str
    message: str
    details: list[Any] = []


class ErrorEnvelope(BaseModel):
    """Every error response of the API."""

    error: ErrorBody


def from_library(exc: B2bcxError) -> ApiError:
    """The API error for an error the library or the server raised."""
    status, code = status_of(exc)
    details: list[Any] = []
    if isinstance(exc, UploadRejected | CaseChangeRefused):
        details = exc.details()
    elif isinstance(exc, DataRejected):
        details = [{"n_rejected": exc.n_rejected}]
    return ApiError(status, str(exc), code=code, details=details)


#: ``(request, status, message) -> page``: how the dashboard answers its own paths.
HtmlRenderer = Callable[[Request, int, str], Awaitable[Response] | Response]


def _is_api(request: Request) -> bool:
    from b2bcx.api import API_PREFIX

    path = request.url.path
    return path.startswith(API_PREFIX) or path in ("/openapi.json", "/health")


async def _respond(request: Request, err: ApiError) -> Response:
    renderer: HtmlRenderer | None = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None and not _is_api(request):
        result = renderer(request, err.status, err.message)
        if isinstance(result, Response):
            return result
        return await result
    return JSONResponse(
        envelope(err.status, err.code, err.message, err.details),
        status_code=err.status,
        headers=err.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer with the envelope."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return await _respond(request, exc)

    async def library_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, B2bcxError)
        return await _respond(request, from_library(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"])
        return await _respond(
            request,
            ApiError(
                422, f"{where}: {first['msg']}" if where else str(first["msg"]), details=details
            ),
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else CODES.get(exc.status_code, "error")
        headers = dict(exc.headers) if exc.headers else None
        return await _respond(request, ApiError(exc.status_code, message, headers=headers))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return await _respond(
            request, ApiError(500, "an unexpected error occurred; the server log has the details")
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(B2bcxError, library_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


#: OpenAPI ``responses=`` for the errors every authenticated route can give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in (
        (400, "Bad request"),
        (401, "Missing, unknown or revoked token"),
        (403, "The token's role or accounts do not allow this"),
        (404, "Not found"),
        (409, "The result is not available from this workspace (yet); the message says why"),
        (422, "Invalid parameters"),
        (429, "Too many failed token checks from this address; retry after Retry-After seconds"),
        (503, "The workspace cannot be used"),
    )
}
