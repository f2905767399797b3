"""The API application: built from explicit settings by :func:`create_app`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import b2bcx
from b2bcx.api.computations import COMPUTATIONS, WARM_KEYS
from b2bcx.api.errors import install_error_handlers
from b2bcx.api.pool import ConnectionPool
from b2bcx.api.results import ResultCache, ResultContext
from b2bcx.api.routes import ROUTERS
from b2bcx.api.settings import ServerSettings, signing_key
from b2bcx.api.state import AppState
from b2bcx.workspace import Workspace, open_workspace

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


def _answers(path: Path | None) -> Any:
    if path is None:
        return None
    from b2bcx.strategy import load_answers

    return load_answers(path)


def build_state(settings: ServerSettings, *, workspace: Workspace | None = None) -> AppState:
    """Open the workspace's connections and make the result cache.

    A DuckDB file or PostgreSQL workspace gets ``db_connections`` connections
    for requests and one more for computations; an in-memory workspace cannot
    be shared between connections, so it serves both through one.
    """
    key = signing_key(settings)
    ws = workspace or open_workspace(settings.workspace)
    shareable = (ws.backend.kind == "duckdb" and ws.url != ":memory:") or (
        ws.backend.kind == "postgres"
    )
    answers = _answers(settings.strategy_answers)
    if shareable:
        extra = [open_workspace(ws.url) for _ in range(settings.db_connections - 1)]
        pool = ConnectionPool([ws, *extra])
        compute_ws: Workspace | None = open_workspace(ws.url)
        assert compute_ws is not None
        cache = ResultCache(
            compute_ws.backend,
            threading.RLock(),
            COMPUTATIONS,
            context=ResultContext(answers=answers),
            refresh_keys=WARM_KEYS,
            version_source=pool.backend,
        )
    else:
        lock = threading.RLock()
        pool = ConnectionPool([ws], lock=lock)
        compute_ws = None
        cache = ResultCache(
            ws.backend,
            lock,
            COMPUTATIONS,
            context=ResultContext(answers=answers),
            refresh_keys=WARM_KEYS,
        )
    return AppState(
        settings=settings, key=key, pool=pool, results=cache, compute_workspace=compute_ws
    )


def create_app(
    settings: ServerSettings, *, workspace: Workspace | None = None, state: AppState | None = None
) -> FastAPI:
    """The API for ``settings``.

    Parameters
    ----------
    settings:
        Server settings; without a secret only ``dev`` mode starts.
    workspace:
        An open workspace to serve (tests); default: open ``settings.workspace``.
    state:
        A ready state (the dashboard shares one with the API).
    """
    app_state = state or build_state(settings, workspace=workspace)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm:
            app_state.results.warm(WARM_KEYS)
        yield
        if workspace is None and state is None:
            app_state.close()

    app = _bare_app(lifespan=lifespan)
    app.state.b2bcx = app_state
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
