"""The API application: built from explicit settings by :func:`create_app`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from fastapi import FastAPI

import b2bcx
from b2bcx.api.errors import install_error_handlers
from b2bcx.api.routes import ROUTERS
from b2bcx.server.guard import WriteGuard, sweep_temp_folders
from b2bcx.server.settings import ServerSettings
from b2bcx.server.state import AppState, build_state
from b2bcx.workspace import Workspace

__all__ = ["DESCRIPTION", "build_state", "create_app", "openapi_spec"]

log = logging.getLogger("b2bcx.api")

DESCRIPTION = """\
The b2bcx REST API: accounts and their people, journeys, touchpoints and partners,
interactions, collective CX with agreement, the diagnosis of the five B2B CEM
challenges, text insights and the CXM strategy.

Authenticate with an API token (`b2bcx token create --role viewer`) sent as
`Authorization: Bearer <token>`. Every error has the body
`{"error": {"status", "code", "message", "details"}}`. Lists are paged with
`limit` and `offset` and answer `{"items", "total", "limit", "offset", "next"}`.
See `docs/api.md`.
"""


def create_app(
    settings: ServerSettings,
    *,
    workspace: Workspace | None = None,
    state: AppState | None = None,
    mount: Iterable[Callable[[FastAPI], object]] = (),
) -> FastAPI:
    """The API for ``settings``.

    Parameters
    ----------
    settings:
        Server settings; without a secret only ``dev`` mode starts.
    workspace:
        An open workspace to serve (tests); default: open ``settings.workspace``.
    state:
        A ready server state (:func:`b2bcx.server.state.build_state`).
    mount:
        What else to serve on the same application and state, each called with
        the app (``b2bcx serve`` passes :func:`b2bcx.web.app.mount_dashboard`).
    """
    app_state = state or build_state(settings, workspace=workspace)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for left in sweep_temp_folders():
            log.info("removed %s, left by an earlier crash", left.name)
        if settings.warm:
            app_state.warm()
        yield
        if workspace is None and state is None:
            app_state.close()

    app = _bare_app(lifespan=lifespan)
    app.state.b2bcx = app_state
    # authentication and the body limit before any body is read (the dashboard's
    # security headers, added by ``mount``, wrap its answers too)
    app.add_middleware(WriteGuard)
    for install in mount:
        install(app)
    return app


def _bare_app(**kwargs: Any) -> FastAPI:
    app = FastAPI(
        title="b2bcx",
        version=b2bcx.__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI loads from a CDN: the spec is at /openapi.json
        redoc_url=None,
        openapi_url="/openapi.json",
        **kwargs,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI document of the API (no workspace needed)."""
    spec: dict[str, Any] = _bare_app().openapi()
    return spec
