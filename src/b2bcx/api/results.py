"""Cached analysis results, so pages and endpoints answer fast on big workspaces.

Each result (collective CX per account, the stage × controller map, the
diagnosis, text insights, the strategy, ...) is computed once by the library
and kept in memory until the workspace's data changes: the *data version* is
the number and last finish time of import batches and text scores, checked at
most every ``check_seconds``. A result the library cannot give (no text
analysed yet, too little data) is cached as :class:`Unavailable` with the
library's own reason, so a page can say so plainly.

Computations run on a backend of their own (a second connection), so a long
diagnosis never blocks the requests that read records.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from b2bcx.errors import B2bcxError
from b2bcx.storage import Backend

log = logging.getLogger("b2bcx.api")


@dataclass(frozen=True)
class Unavailable:
    """A result that cannot be computed from the workspace, and why."""

    reason: str


@dataclass(frozen=True)
class Cached:
    """A computed result with when and how long it took."""

    value: Any
    computed_at: float
    seconds: float
    version: tuple[Any, ...]


Computation = Callable[[Backend, str, "ResultContext"], Any]


@dataclass(frozen=True)
class ResultContext:
    """What computations need besides the backend (e.g. strategy answers)."""

    answers: Any = None


def data_version(backend: Backend) -> tuple[Any, ...]:
    """What changes whenever the data results depend on change."""
    out: list[Any] = []
    tables = set(backend.list_tables())
    for name, col in (("import_batches", "finished_at"), ("text_scores", "scored_at")):
        if name not in tables:
            out += [0, None]
            continue
        t = backend.table(name)
        row = backend.to_arrow(t.aggregate(n=t.count(), last=t[col].max())).to_pylist()[0]
        out += [row["n"], row["last"]]
    return tuple(out)


class ResultCache:
    """Results computed once per data version, shared by all requests.

    Parameters
    ----------
    backend:
        The backend computations run on.
    lock:
        Held while a computation or the version check uses ``backend``.
    computations:
        Name → function ``(backend, argument, context) -> value``. A key is
        ``"name"`` or ``"name:argument"``.
    check_seconds:
        How often the data version is checked.
    """

    def __init__(
        self,
        backend: Backend,
        lock: threading.RLock,
        computations: dict[str, Computation],
        *,
        context: ResultContext | None = None,
        check_seconds: float = 10.0,
    ) -> None:
        self.backend = backend
        self.lock = lock
        self.computations = computations
        self.context = context or ResultContext()
        self.check_seconds = check_seconds
        self._values: dict[str, Cached] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._closed = threading.Event()

    # -- version ----------------------------------------------------------------
    def _current_version(self, *, force: bool = False) -> tuple[Any, ...]:
        now = time.monotonic()
        if force or self._version is None or now - self._checked > self.check_seconds:
            with self.lock:
                version = data_version(self.backend)
            with self._meta:
                if version != self._version:
                    self._values = {k: v for k, v in self._values.items() if v.version == version}
                self._version = version
                self._checked = now
        assert self._version is not None
        return self._version

    def invalidate(self) -> None:
        """Forget every result now (after an import through the API)."""
        with self._meta:
            self._values.clear()
            self._version = None

    # -- values -----------------------------------------------------------------
    def _key_lock(self, key: str) -> threading.Lock:
        with self._meta:
            return self._key_locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> Cached | None:
        """The cached entry of ``key`` if it is computed (never computes)."""
        return self._values.get(key)

    def get(self, key: str) -> Any:
        """The value of ``key`` (computing it once if needed); may be :class:`Unavailable`."""
        version = self._current_version()
        entry = self._values.get(key)
        if entry is not None and entry.version == version:
            return entry.value
        with self._key_lock(key):
            entry = self._values.get(key)
            if entry is not None and entry.version == version:
                return entry.value
            name, _, arg = key.partition(":")
            if name not in self.computations:
                raise KeyError(key)
            started = time.perf_counter()
            with self.lock:
                try:
                    value = self.computations[name](self.backend, arg, self.context)
                except B2bcxError as exc:
                    value = Unavailable(str(exc))
                except ModuleNotFoundError as exc:
                    value = Unavailable(f"an optional package is not installed: {exc}")
                except Exception as exc:  # a failing analysis must not take every page down
                    log.exception("computing %s failed", key)
                    value = Unavailable(
                        f"the {name} analysis failed "
                        f"({type(exc).__name__}: {exc}); see the server log"
                    )
            seconds = time.perf_counter() - started
            log.info("computed %s in %.2f s", key, seconds)
            self._values[key] = Cached(value, time.time(), seconds, version)
            return value

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """A value built from other cached results (e.g. rows shaped for a page),
        kept until the data version changes; ``build`` runs once per version."""
        version = self._current_version()
        entry = self._values.get(key)
        if entry is not None and entry.version == version:
            return entry.value
        with self._key_lock(key):
            entry = self._values.get(key)
            if entry is not None and entry.version == version:
                return entry.value
            started = time.perf_counter()
            value = build()
            self._values[key] = Cached(value, time.time(), time.perf_counter() - started, version)
            return value

    def warm(self, keys: Iterable[str]) -> threading.Thread:
        """Compute ``keys`` in a background thread (errors are logged, not raised)."""

        def run() -> None:
            for key in keys:
                if self._closed.is_set():
                    return
                try:
                    self.get(key)
                except Exception:
                    if self._closed.is_set():  # the server stopped under us
                        return
                    log.exception("warming %s failed", key)

        thread = threading.Thread(target=run, name="b2bcx-warm", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop warming (call before closing the backend)."""
        self._closed.set()

    def timings(self) -> dict[str, float]:
        """Seconds each cached result took to compute."""
        return {k: round(v.seconds, 3) for k, v in sorted(self._values.items())}
