"""The dashboard application: the API with the pages and static assets mounted."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from b2bcx.api.app import create_app
from b2bcx.api.errors import ApiError
from b2bcx.api.settings import ServerSettings
from b2bcx.web.deps import SignInRequired, signin_url
from b2bcx.web.render import render
from b2bcx.web.routes import ROUTERS

SECURITY_HEADERS = {
    # everything is served from here: no CDN, no inline script
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _html_error(request: Request, err: ApiError) -> Response:
    return render(
        request, "error.html", status=err.status, status_code=err.status, message=err.message
    )


def create_web_app(settings: ServerSettings, **kwargs: Any) -> FastAPI:
    """The API (``/api/v1``) with the dashboard pages (``/``) and ``/static`` assets."""
    app = create_app(settings, **kwargs)
    app.state.html_error_renderer = _html_error

    async def to_signin(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(signin_url(exc.next_path), status_code=303)

    app.add_exception_handler(SignInRequired, to_signin)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    for router in ROUTERS:
        app.include_router(router)
    static = resources.files("b2bcx.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
