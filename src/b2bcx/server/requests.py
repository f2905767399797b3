"""What the server keeps about requests as they run: whether the current
request's route wrote its own audit entry (so the request guard adds none), and
failed token checks per client address (rate limiting, :class:`FailureLimiter`).
Kept apart from :mod:`b2bcx.server.guard` so the state and the tokens can use
them without importing the guard.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections import deque

__all__ = ["AUDITED", "FailureLimiter", "note_audited"]

#: The audit entries the current request's route made (see :func:`note_audited`).
AUDITED: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "b2bcx_audited", default=None
)


def note_audited() -> None:
    """Record that the current request wrote its audit entry (the guard then
    adds none of its own)."""
    seen = AUDITED.get()
    if seen is not None:
        seen.append(True)


class FailureLimiter:
    """Failed token checks per client address, in memory, over a sliding window.

    Parameters
    ----------
    limit:
        How many failures a client may have within ``window`` seconds; at
        ``limit`` the client is refused until the oldest one leaves the window.
    window:
        The window, in seconds.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try a token again; ``None`` if it may now."""
        now = time.monotonic()
        with self._lock:
            times = self._prune(client, now)
            if len(times) < self.limit:
                if not times:
                    self._failures.pop(client, None)
                return None
            return max(1, math.ceil(times[0] + self.window - now))

    def fail(self, client: str) -> None:
        """Count one failed token check of ``client``."""
        now = time.monotonic()
        with self._lock:
            self._prune(client, now).append(now)
