"""A small pool of workspace connections for requests.

Requests read records and write tokens, audit entries and imports through
their own connection from the pool, so slow queries of one request do not hold
up the others. A thread reuses the connection it already holds (nested use is
safe). An in-memory workspace has one connection only; it is then shared with
the result cache under the cache's lock.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator

from b2bcx.storage import Backend
from b2bcx.workspace import Workspace


class ConnectionPool:
    """Connections to one workspace, one per request at a time.

    Parameters
    ----------
    workspaces:
        Open workspaces (connections) to the same database.
    lock:
        Also held while a connection is in use (when it is shared with
        something outside the pool, such as the result cache).
    """

    def __init__(self, workspaces: list[Workspace], *, lock: threading.RLock | None = None) -> None:
        if not workspaces:
            raise ValueError("a pool needs at least one connection")
        self._all = list(workspaces)
        self._free: queue.Queue[Workspace] = queue.Queue()
        for ws in self._all:
            self._free.put(ws)
        self._lock = lock
        self._local = threading.local()

    @property
    def size(self) -> int:
        """How many connections the pool holds."""
        return len(self._all)

    @property
    def primary(self) -> Workspace:
        """The first connection (for settings and the workspace URL)."""
        return self._all[0]

    @contextlib.contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """A connection for the duration of the block (the same one when nested)."""
        held: Workspace | None = getattr(self._local, "held", None)
        if held is not None:
            yield held
            return
        ws = self._free.get()
        self._local.held = ws
        try:
            if self._lock is not None:
                with self._lock:
                    yield ws
            else:
                yield ws
        finally:
            self._local.held = None
            self._free.put(ws)

    @contextlib.contextmanager
    def backend(self) -> Iterator[Backend]:
        """The backend of a pooled connection for the duration of the block."""
        with self.workspace() as ws:
            yield ws.backend

    def close(self) -> None:
        """Close every connection."""
        for ws in self._all:
            ws.close()
