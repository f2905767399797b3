"""What the application holds while it runs: settings, the workspace, the result cache."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from b2bcx.api.results import ResultCache
from b2bcx.api.settings import ServerSettings
from b2bcx.storage import Backend, authstore
from b2bcx.workspace import Workspace


@dataclass
class AppState:
    """The running application's state (``app.state.b2bcx``).

    ``workspace`` serves requests (records, imports, tokens) one at a time under
    ``lock``; ``results`` computes analyses on its own connection.
    """

    settings: ServerSettings
    key: bytes
    workspace: Workspace
    lock: threading.RLock
    results: ResultCache
    compute_workspace: Workspace | None = None

    @contextlib.contextmanager
    def db(self) -> Iterator[Backend]:
        """The request backend, held for the duration of the block."""
        with self.lock:
            yield self.workspace.backend

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
        self.workspace.close()
