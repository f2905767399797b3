"""What the application holds while it runs: settings, the workspace, the result cache."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from b2bcx.api.errors import ApiError
from b2bcx.api.pool import ConnectionPool
from b2bcx.api.results import ResultCache
from b2bcx.api.settings import ServerSettings
from b2bcx.api.tokens import Principal
from b2bcx.storage import Backend, authstore
from b2bcx.workspace import Workspace


@dataclass
class AppState:
    """The running application's state (``app.state.b2bcx``).

    ``pool`` serves requests (records, imports, tokens), a connection each;
    ``results`` computes analyses on its own connection.
    """

    settings: ServerSettings
    key: bytes
    pool: ConnectionPool
    results: ResultCache
    compute_workspace: Workspace | None = None

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

    @contextlib.contextmanager
    def audited(
        self, caller: Principal, action: str, target: str, detail: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Audit one API write: ``detail`` (filled in by the block) with status 201,
        or the status and message of the :class:`ApiError` the block raises."""
        status = 201
        try:
            yield detail
        except ApiError as exc:
            status = exc.status
            detail["error"] = exc.message[:500]
            raise
        finally:
            self.audit(token_id=caller.token_id, role=caller.role.value, action=action,
                       target=target, status=status, detail=detail)  # fmt: skip

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
        """Record a write in the audit log."""
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

    def close(self) -> None:
        """Close both connections."""
        self.results.close()
        if self.compute_workspace is not None:
            self.compute_workspace.close()
        self.pool.close()
