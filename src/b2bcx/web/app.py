"""The dashboard: pages and static assets on the server's state.

:func:`mount_dashboard` adds the pages to an application that serves a
:class:`~b2bcx.server.state.AppState`. ``b2bcx serve`` mounts them on the REST
API's application, so both share one state, one result cache and one port::

    create_app(settings, mount=(mount_dashboard,))  # b2bcx.api.app.create_app

The dashboard imports nothing of the API: page errors reach it through
``app.state.html_error_renderer``, which the API's error handlers call for paths
outside ``/api``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from b2bcx.web.deps import SignInRequired, signin_url
from b2bcx.web.render import render
from b2bcx.web.routes import ROUTERS

__all__ = ["SECURITY_HEADERS", "mount_dashboard"]

SECURITY_HEADERS = {
    # everything is served from here: no CDN, no inline script
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _html_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


#: How often a page that shows results still being computed reloads itself.
PAGE_REFRESH_SECONDS = 5


def mount_dashboard(app: FastAPI) -> FastAPI:
    """Add the dashboard pages (``/``) and ``/static`` assets to ``app``, whose
    ``app.state.b2bcx`` is the server's state; errors on the pages are shown as
    pages (``app.state.html_error_renderer``, which the API's handlers use)."""
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

    @app.middleware("http")
    async def partial_pages(request: Request, call_next: Any) -> Response:
        # a cold server's pages answer at once and refresh until complete
        state = request.app.state.b2bcx
        path = request.url.path
        if (
            not state.settings.partial_pages
            or path.startswith(("/api/", "/static/"))
            or request.method != "GET"
            or "format" in request.query_params  # downloads are complete or nothing
        ):
            response: Response = await call_next(request)
            return response
        with state.results.partial() as waiting:
            response = await call_next(request)
        if waiting:
            response.headers["Refresh"] = str(PAGE_REFRESH_SECONDS)
            response.headers["Cache-Control"] = "no-store"
        return response

    for router in ROUTERS:
        app.include_router(router)
    static = resources.files("b2bcx.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
