"""What the server holds while it runs: settings, the workspace's connections,
the result cache. Shared by the REST API and the dashboard."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from b2bcx.server.computations import (
    COMPUTATIONS,
    PORTFOLIO_KEYS,
    PREREQUISITES,
    SECOND_WORKER_KEYS,
    WARM_KEYS,
    on_demand_keys,
)
from b2bcx.server.pool import ConnectionPool
from b2bcx.server.requests import FailureLimiter, note_audited
from b2bcx.server.results import ResultCache
from b2bcx.server.settings import ServerSettings, analysis_options, signing_key
from b2bcx.storage import Backend, authstore
from b2bcx.workspace import Workspace, open_workspace


@dataclass
class AppState:
    """The running application's state (``app.state.b2bcx``).

    ``pool`` serves requests (records, imports, tokens), a connection each;
    ``results`` computes analyses on its own connection (and engine-only
    results on a second one, ``engine_workspace``, with ``compute_workers=2``).
    """

    settings: ServerSettings
    key: bytes
    pool: ConnectionPool
    results: ResultCache
    compute_workspace: Workspace | None = None
    engine_workspace: Workspace | None = None
    limiter: FailureLimiter = field(default_factory=lambda: FailureLimiter(20, 60.0))

    @property
    def workspace(self) -> Workspace:
        """The served workspace (its first connection: for its URL and settings)."""
        return self.pool.primary

    @contextlib.contextmanager
    def db(self) -> Iterator[Backend]:
        """A request connection's backend, held for the duration of the block."""
        with self.pool.backend() as backend:
            yield backend

    @contextlib.contextmanager
    def connection(self) -> Iterator[Workspace]:
        """A request connection as a workspace (for imports), held for the block."""
        with self.pool.workspace() as ws:
            yield ws

    def audit(
        self,
        *,
        token_id: str | None,
        role: str | None,
        action: str,
        target: str,
        status: int,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record a write in the audit log (the request's guard then adds none)."""
        note_audited()
        with self.db() as backend:
            authstore.append_audit(
                backend,
                token_id=token_id,
                role=role,
                action=action,
                target=target,
                status=status,
                detail=detail,
            )

    def warm(self) -> None:
        """Start computing the cached results in the background, in page order
        (those computed only on demand on a large workspace left out, see
        :attr:`~b2bcx.server.settings.ServerSettings.warm_earlier_up_to`)."""
        self.results.warm(WARM_KEYS)

    def close(self) -> None:
        """Close every connection."""
        self.results.close()
        for compute in (self.compute_workspace, self.engine_workspace):
            if compute is not None:
                compute.close()
        self.pool.close()


def interaction_count(backend: Backend) -> int:
    """How many interactions the workspace holds (0 before any import)."""
    if "interactions" not in set(backend.list_tables()):
        return 0
    t = backend.table("interactions")
    return int(backend.to_arrow(t.aggregate(n=t.count())).to_pylist()[0]["n"])


def on_demand_rule(settings: ServerSettings) -> Callable[[Backend], tuple[str, ...]]:
    """Which warm results a workspace computes only when a page asks for them:
    the diagnosis as of 3 months earlier above ``settings.warm_earlier_up_to``
    interactions (:func:`~b2bcx.server.computations.on_demand_keys`)."""

    def rule(backend: Backend) -> tuple[str, ...]:
        return on_demand_keys(interaction_count(backend), settings.warm_earlier_up_to)

    return rule


def build_state(settings: ServerSettings, *, workspace: Workspace | None = None) -> AppState:
    """Open the workspace's connections and make the result cache.

    A DuckDB file or PostgreSQL workspace gets ``db_connections`` connections
    for requests and one more for computations; an in-memory workspace cannot
    be shared between connections, so it serves both through one. Every result
    is computed under the thresholds and answers of ``settings``
    (:func:`~b2bcx.server.settings.analysis_options`).
    """
    key = signing_key(settings)
    options = analysis_options(settings)
    ws = workspace or open_workspace(settings.workspace)
    shareable = (ws.backend.kind == "duckdb" and ws.url != ":memory:") or (
        ws.backend.kind == "postgres"
    )
    if shareable:
        extra = [open_workspace(ws.url) for _ in range(settings.db_connections - 1)]
        pool = ConnectionPool([ws, *extra])
        compute_ws: Workspace | None = open_workspace(ws.url)
        assert compute_ws is not None
        engine_ws = open_workspace(ws.url) if settings.compute_workers > 1 else None
        cache = ResultCache(
            compute_ws.backend,
            threading.RLock(),
            COMPUTATIONS,
            options=options,
            refresh_keys=WARM_KEYS,
            version_source=pool.backend,
            on_demand=on_demand_rule(settings),
            engine=None if engine_ws is None else (engine_ws.backend, threading.RLock()),
            engine_keys=SECOND_WORKER_KEYS,
            prerequisites=PREREQUISITES,
            first=PORTFOLIO_KEYS,
        )
    else:
        lock = threading.RLock()
        pool = ConnectionPool([ws], lock=lock)
        compute_ws = engine_ws = None
        cache = ResultCache(
            ws.backend,
            lock,
            COMPUTATIONS,
            options=options,
            refresh_keys=WARM_KEYS,
            on_demand=on_demand_rule(settings),
            prerequisites=PREREQUISITES,
        )
    return AppState(
        settings=settings,
        key=key,
        pool=pool,
        results=cache,
        compute_workspace=compute_ws,
        engine_workspace=engine_ws,
        limiter=FailureLimiter(settings.auth_failures, settings.auth_window),
    )
