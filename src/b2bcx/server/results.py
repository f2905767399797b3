"""Cached analysis results, so pages and endpoints answer fast on big workspaces.

Each result (collective CX per account, the stage × controller map, the
diagnosis, text insights, the strategy, ...) is computed once by the library
and kept in memory until the workspace's data changes: the *data version* is
the number and last finish time of import batches and text scores, checked at
most every ``check_seconds``. A result the library cannot give (no text
analysed yet, too little data) is cached as :class:`Unavailable` with the
library's own reason, so a page can say so plainly.

Every result of one data version is computed through one
:class:`~b2bcx.analyses.Analyses` (the front door), made for that version with
the server's :class:`~b2bcx.analyses.AnalysisOptions` (thresholds, strategy
answers): what one analysis computes (account units, key drivers, the
assessment) is reused by the others, and the cache keeps the typed values
(``Diagnosis``, ``Plan``, ``CollectiveResult``, frames). JSON is made where it
is answered (:mod:`b2bcx.server.views`, the routes).

Computations run on a backend of their own (a second connection), so a long
diagnosis never blocks the requests that read records. One background worker
computes what is asked for without waiting, one result at a time: first what
pages need now (:meth:`ResultCache.partial`), then what the starting server
warms (:meth:`ResultCache.warm`), then the figures pages show when they are
ready (:meth:`ResultCache.ready`); results computed only on demand
(``on_demand``, e.g. a second full diagnosis on a large workspace) are skipped
by warming and refreshing. Given a second compute connection (``engine``), a
second worker takes, in the same order, the results that are only engine
queries (``engine_keys``: counts and cells, no diagnosis), so they are computed
while the first worker runs the diagnosis' Python-bound steps.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.errors import B2bcxError
from b2bcx.storage import Backend

log = logging.getLogger("b2bcx.server")


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


class Pending(Unavailable):
    """A result still being computed, shown by a page that does not wait for it
    (:meth:`ResultCache.partial`)."""


#: The keys a request that does not wait found still being computed (None: it waits).
_NOT_WAITING: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "b2bcx_not_waiting", default=None
)

#: Results even a page that does not wait waits for (reads of small tables).
WAITED_FOR = frozenset({"catalogue"})

#: What a page shows in place of a result still being computed.
PENDING_REASON = "Still being computed since the server started; this part fills in by itself."

#: The key prefix of a result's JSON view (:func:`b2bcx.server.views.json_result`).
JSON_VIEW = "view:json:"

#: ``(analyses, argument) -> value``: one attribute of the version's :class:`Analyses`.
Computation = Callable[[Analyses, str], Any]

#: ``backend -> keys``: the results of a data version that are computed only when
#: asked for (never warmed or refreshed ahead), decided on a request connection.
OnDemandRule = Callable[[Backend], Iterable[str]]


def data_version(backend: Backend) -> tuple[Any, ...]:
    """What changes whenever the data results depend on change."""
    out: list[Any] = []
    tables = set(backend.list_tables())
    for name, col in (
        ("import_batches", "finished_at"),
        ("text_scores", "scored_at"),
        ("strategy_answers", "saved_at"),
    ):
        if name not in tables:
            out += [0, None]
            continue
        t = backend.table(name)
        row = backend.to_arrow(t.aggregate(n=t.count(), last=t[col].max())).to_pylist()[0]
        out += [row["n"], row["last"]]
    return tuple(out)


class ResultCache:
    """Results computed once per data version, shared by all requests.

    When the data changes, the old results keep being served while the new ones
    are computed in the background (*stale while revalidate*): a page never
    waits for a long diagnosis after an import; :meth:`is_refreshing` says when
    what it shows may be a little old.

    Parameters
    ----------
    backend:
        The backend computations run on.
    lock:
        Held while a computation or the version check uses ``backend``.
    computations:
        Name → function ``(analyses, argument) -> value``. A key is
        ``"name"`` or ``"name:argument"``.
    options:
        The options of the :class:`~b2bcx.analyses.Analyses` made for each data
        version (thresholds, strategy answers, ...).
    check_seconds:
        How often the data version is checked.
    refresh_keys:
        What a refresh computes first (the rest of the cached keys follow).
    version_source:
        A context manager factory giving the backend to check the data version
        on (default: ``backend`` under ``lock``); give a request connection so a
        check never waits for a long computation.
    on_demand:
        Which keys of a data version to compute only when asked for (by a
        request, :meth:`get`, or a page, :meth:`ready`): :meth:`warm` and the
        refresh skip them. Decided once per data version on the
        ``version_source`` backend, in the background (e.g. by the workspace's
        size); none: every key is warmed.
    engine:
        A second backend (another connection to the same workspace) and the
        lock held while it is used: a second background worker computes the
        queued results whose name is in ``engine_keys`` on it, while the first
        computes the others (none: one worker computes everything).
    engine_keys:
        The computations (names) the second worker may take: results made of
        engine queries only, that need no result another may be computing
        except the shared settings (metric, date).
    prerequisites:
        Key → keys it reuses when they are there: queued just before it when it
        is queued and they are not computed (so one worker computes them first,
        and a second worker can compute them beside it).
    first:
        The results to finish first (the portfolio page's): while the first
        worker computes one of them, the second takes only those and what a
        page asked for, and leaves the rest of the warm-up until the first
        worker is past them (so it does not slow down the result the first
        complete page waits for, e.g. the diagnosis, with work no page waits for).
    """

    def __init__(
        self,
        backend: Backend,
        lock: threading.RLock,
        computations: dict[str, Computation],
        *,
        options: AnalysisOptions | None = None,
        check_seconds: float = 10.0,
        refresh_keys: Iterable[str] = (),
        version_source: Callable[[], AbstractContextManager[Backend]] | None = None,
        on_demand: OnDemandRule | None = None,
        engine: tuple[Backend, threading.RLock] | None = None,
        engine_keys: Iterable[str] = (),
        prerequisites: dict[str, tuple[str, ...]] | None = None,
        first: Iterable[str] = (),
    ) -> None:
        self.backend = backend
        self.lock = lock
        self.version_source = version_source or self._compute_backend
        self.computations = computations
        self.options = options or AnalysisOptions()
        self._analyses: tuple[tuple[Any, ...], Analyses] | None = None
        self.check_seconds = check_seconds
        self.refresh_keys = tuple(refresh_keys)
        self._values: dict[str, Cached] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._closed = threading.Event()
        self._refresher: threading.Thread | None = None
        self._local = threading.local()
        # the one background worker and what it still has to compute: what
        # pages asked for first, then what warming scheduled, then ready() figures
        self._worker: threading.Thread | None = None
        self._asked: list[str] = []
        self._scheduled: list[str] = []
        self._last: list[str] = []
        self._wanted: set[str] = set()  # asked for by a page (never skipped)
        self._computing: str | None = None
        self._on_demand_rule = on_demand
        self._on_demand: tuple[tuple[Any, ...], frozenset[str]] | None = None
        # the second worker (engine-only results on a connection of its own)
        self.engine = engine
        self.engine_keys = frozenset(engine_keys)
        self.prerequisites = dict(prerequisites or {})
        self.first = frozenset(first)
        self._engine_worker: threading.Thread | None = None
        self._engine_computing: str | None = None

    @contextlib.contextmanager
    def _compute_backend(self) -> Iterator[Backend]:
        with self.lock:
            yield self.backend

    # -- version ----------------------------------------------------------------
    def _current_version(self, *, force: bool = False) -> tuple[Any, ...]:
        now = time.monotonic()
        if force or self._version is None or now - self._checked > self.check_seconds:
            with self.version_source() as backend:
                version = data_version(backend)
            with self._meta:
                self._version = version
                self._checked = now
        assert self._version is not None
        return self._version

    def forget(self, *keys: str) -> None:
        """Drop these results (their ``key:arg`` variants, and their JSON views
        ``view:json:key``): the next request computes them anew instead of being
        served the old value meanwhile."""
        with self._meta:
            for key in list(self._values):
                name = key.removeprefix(JSON_VIEW)
                if name.partition(":")[0] in keys or name in keys:
                    self._values.pop(key, None)

    def invalidate(self) -> None:
        """The data changed (an import through the API): recompute in the background."""
        with self._meta:
            self._checked = 0.0
        self._current_version(force=True)
        self.refresh()

    def is_refreshing(self) -> bool:
        """Whether results are being recomputed (old ones are served meanwhile)."""
        return self._refresher is not None and self._refresher.is_alive()

    def refresh(self) -> threading.Thread:
        """Recompute every out-of-date result in a background thread (one at a time)."""
        with self._meta:
            if self._refresher is not None and self._refresher.is_alive():
                return self._refresher
            thread = threading.Thread(target=self._run_refresh, name="b2bcx-refresh",
                                      daemon=True)  # fmt: skip
            self._refresher = thread
        thread.start()
        return thread

    def _run_refresh(self) -> None:
        self._local.fresh = True
        done: set[str] = set()
        while not self._closed.is_set():
            version = self._current_version()
            known = [k for k, v in self._values.items()
                     if v.version != version and not k.startswith("view:")]  # fmt: skip
            later = self.on_demand(version)
            todo = [k for k in (*self.refresh_keys, *known) if k not in done and k not in later]
            if not todo:
                return
            for key in todo:
                if self._closed.is_set():
                    return
                try:
                    self.get(key)
                except Exception:
                    if self._closed.is_set():
                        return
                    log.exception("refreshing %s failed", key)
                done.add(key)

    def analyses(self, version: tuple[Any, ...]) -> Analyses:
        """The one :class:`Analyses` of data ``version`` (a new one when the data
        changed: results of the old version are never mixed into the new)."""
        with self._meta:
            if self._analyses is None or self._analyses[0] != version:
                self._analyses = (version, Analyses(self.backend, self.options))
            return self._analyses[1]

    # -- values -----------------------------------------------------------------
    def _key_lock(self, key: str) -> threading.Lock:
        with self._meta:
            return self._key_locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> Cached | None:
        """The cached entry of ``key`` if it is computed (never computes)."""
        return self._values.get(key)

    def _stale(self, entry: Cached | None, version: tuple[Any, ...]) -> bool:
        """Whether to answer with an out-of-date ``entry`` instead of computing now."""
        if entry is None or entry.version == version or getattr(self._local, "fresh", False):
            return False
        self.refresh()
        self._local.served_stale = True
        return True

    def get(self, key: str) -> Any:
        """The value of ``key`` (computing it once if needed); may be :class:`Unavailable`."""
        version = self._current_version()
        entry = self._values.get(key)
        if entry is not None and (entry.version == version or self._stale(entry, version)):
            return entry.value
        waiting = _NOT_WAITING.get()
        name = key.partition(":")[0]
        if (
            waiting is not None
            and name not in WAITED_FOR
            and not getattr(self._local, "fresh", False)
        ):
            if name not in self.computations:
                raise KeyError(key)
            self._schedule([key], "asked")
            waiting.append(key)
            self._local.served_stale = True  # a view built on it is not kept as current
            return Pending(PENDING_REASON)
        if waiting is not None and name in WAITED_FOR and name in self.computations:
            if self.lock.acquire(blocking=False):  # the compute connection is free
                self.lock.release()
            else:  # a long analysis holds it: read the small table on a request connection
                return self._read_aside(key, version)
        with self._key_lock(key):
            entry = self._values.get(key)
            if entry is not None and entry.version == version:
                return entry.value
            name, _, arg = key.partition(":")
            if name not in self.computations:
                raise KeyError(key)
            on_engine = getattr(self._local, "engine", False) and self.engine is not None
            lock = self.engine[1] if on_engine and self.engine else self.lock
            with lock:
                if self._closed.is_set():  # the backend is closing: no new query on it
                    return Unavailable("the server is stopping")
                # timed once the compute connection is ours (not the wait for it)
                started = time.perf_counter()
                analyses = self.analyses(version)
                if on_engine and self.engine:
                    analyses = analyses.using(self.engine[0])
                try:
                    value = self.computations[name](analyses, arg)
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

    def ready(self, key: str) -> Any | None:
        """The value of ``key`` if it is computed for the current data version,
        else None; when nothing else is being computed, its computation starts
        in the background (once): at once if nothing is computed, after what
        the background worker has to compute if it runs, not while a refresh
        or a request holds the compute connection. For figures a page shows
        when they are ready instead of waiting for them (and that must not hold
        up the results the page needs now: while warming or refreshing, those
        go first). A page that shows one says it is being computed; it does not
        count as pending within :meth:`partial` (the page is complete without it)."""
        version = self._current_version()
        entry = self._values.get(key)
        if entry is not None and entry.version == version:
            return entry.value
        self._schedule([key], "last")
        return None

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """A value built from other cached results (e.g. rows shaped for a page),
        kept until the data version changes; ``build`` runs once per version.

        While results are being refreshed the old view is served; a view built
        from out-of-date results is kept as out of date."""
        version = self._current_version()
        entry = self._values.get(key)
        if entry is not None and entry.version == version:
            return entry.value
        if entry is not None and self.is_refreshing():
            return entry.value
        with self._key_lock(key):
            entry = self._values.get(key)
            if entry is not None and entry.version == version:
                return entry.value
            started = time.perf_counter()
            before = getattr(self._local, "served_stale", False)
            self._local.served_stale = False
            try:
                value = build()
                stale = self._local.served_stale
            finally:
                self._local.served_stale = before or self._local.served_stale
            made = version if not stale else (entry.version if entry else ())
            self._values[key] = Cached(value, time.time(), time.perf_counter() - started, made)
            return value

    def warm(self, keys: Iterable[str]) -> threading.Thread:
        """Compute ``keys`` in the background, in this order, after what pages
        asked for (errors are logged, not raised); keys computed only on demand
        (``on_demand``) are skipped. Returns the background worker."""
        worker = self._schedule(list(keys), "warm")
        assert worker is not None
        return worker

    def on_demand(self, version: tuple[Any, ...] | None = None) -> frozenset[str]:
        """The keys of data ``version`` (default: the current one) computed only
        when asked for (decided once per version by the ``on_demand`` rule; a
        rule that fails defers nothing)."""
        if self._on_demand_rule is None:
            return frozenset()
        version = version if version is not None else self._current_version()
        known = self._on_demand
        if known is not None and known[0] == version:
            return known[1]
        try:
            with self.version_source() as backend:
                keys = frozenset(self._on_demand_rule(backend))
        except Exception:
            log.exception("deciding which results to compute on demand failed")
            keys = frozenset()
        self._on_demand = (version, keys)
        return keys

    def _schedule(
        self, keys: list[str], order: Literal["asked", "warm", "last"]
    ) -> threading.Thread | None:
        """Have the background worker compute ``keys``: ``asked`` (by a page
        that does not wait) first, then ``warm`` (warming, in its order), then
        ``last`` (figures shown when ready; only queued if the worker runs or
        nothing holds the compute connection). The worker starts if none runs;
        a key already waiting or being computed is not added twice, a key asked
        for moves up. Returns the worker (None: nothing was started)."""
        with self._meta:
            busy = self._worker is not None and self._worker.is_alive()
            if order == "last" and not busy:
                if not self.lock.acquire(blocking=False):  # a refresh or request holds it
                    return None
                self.lock.release()
            queues = {"asked": self._asked, "warm": self._scheduled, "last": self._last}
            rank = ("asked", "warm", "last").index(order)
            expanded: list[str] = []
            for key in keys:
                for pre in (*self.prerequisites.get(key, ()), key):
                    done = self._values.get(pre)
                    if pre != key and done is not None and done.version == self._version:
                        continue
                    if pre not in expanded:
                        expanded.append(pre)
            for key in expanded:
                if key in (self._computing, self._engine_computing):
                    continue
                if order != "warm":
                    self._wanted.add(key)
                queued = [name for name, q in queues.items() if key in q]
                if queued and ("asked", "warm", "last").index(queued[0]) <= rank:
                    continue  # already waiting as early or earlier
                for name in queued:
                    queues[name].remove(key)
                queues[order].append(key)
            if not busy:
                self._worker = threading.Thread(target=self._work, name="b2bcx-warm",
                                                daemon=True)  # fmt: skip
                self._worker.start()
            self._start_engine_worker()
            assert self._worker is not None
            return self._worker

    def _start_engine_worker(self) -> None:
        """Start the second worker if there is one, it is not running and a queued
        key is its to take (call holding ``_meta``)."""
        engine_busy = self._engine_worker is not None and self._engine_worker.is_alive()
        if self.engine is not None and not engine_busy and self._engine_next_index():
            self._engine_worker = threading.Thread(
                target=self._work_engine, name="b2bcx-warm-engine", daemon=True
            )
            self._engine_worker.start()

    def _engine_next_index(self) -> tuple[list[str], int] | None:
        """The queue and place of the first queued key the second worker may take
        (call holding ``_meta``): while the first worker computes one of the
        ``first`` results, no warmed key outside them."""
        holding = self._computing in self.first
        for queue in (self._asked, self._scheduled, self._last):
            for i, key in enumerate(queue):
                if key.partition(":")[0] not in self.engine_keys:
                    continue
                if holding and queue is self._scheduled and key not in self.first:
                    continue  # warming only: after the result the first page waits for
                return queue, i
        return None

    def _claim(self, queue: list[str], index: int, *, engine: bool) -> tuple[str, bool]:
        """Take ``queue[index]`` for a worker (the second one if ``engine``): mark it
        being computed and settle whether a page wanted it (call holding ``_meta``).
        Returns the key and whether it is only being warmed (no page asked)."""
        key = queue.pop(index)
        if engine:
            self._engine_computing = key
        else:
            self._computing = key
        wanted = key in self._wanted
        self._wanted.discard(key)
        return key, queue is self._scheduled and not wanted

    def _next(self) -> tuple[str, bool] | None:
        with self._meta:
            self._computing = None
            queue = next((q for q in (self._asked, self._scheduled, self._last) if q), None)
            if self._closed.is_set() or queue is None:
                self._worker = None
                for q in (self._asked, self._scheduled, self._last):
                    q.clear()
                self._wanted.clear()
                return None
            self._start_engine_worker()  # what it left until the first results were done
            index = 0
            engine_busy = self._engine_worker is not None and self._engine_worker.is_alive()
            if engine_busy:  # leave engine-only results to the second worker
                found = next(
                    ((q, i) for q in (self._asked, self._scheduled, self._last)
                     for i, k in enumerate(q) if k.partition(":")[0] not in self.engine_keys),
                    None,
                )  # fmt: skip
                if found is not None:
                    queue, index = found
            return self._claim(queue, index, engine=False)

    def _next_engine(self) -> tuple[str, bool] | None:
        with self._meta:
            self._engine_computing = None
            found = None if self._closed.is_set() else self._engine_next_index()
            if found is None:
                self._engine_worker = None
                return None
            return self._claim(*found, engine=True)

    def _work_engine(self) -> None:
        self._local.engine = True
        self._work(self._next_engine)

    def _work(self, take: Callable[[], tuple[str, bool] | None] | None = None) -> None:
        self._local.fresh = True
        while (found := (take or self._next)()) is not None:
            key, warming = found  # warming only: no page asked for it
            try:
                if warming and key in self.on_demand():
                    continue
                self.get(key)
            except Exception:
                if self._closed.is_set():  # the server stopped under us
                    continue
                log.exception("computing %s in the background failed", key)

    def computing(self) -> tuple[str, ...]:
        """What the background worker computes now and still has to, in order."""
        with self._meta:
            now = tuple(k for k in (self._computing, self._engine_computing) if k is not None)
            return (*now, *self._asked, *self._scheduled, *self._last)

    #: How long :meth:`close` waits for a computation in flight.
    CLOSE_WAIT_SECONDS = 120.0

    def close(self) -> None:
        """Stop warming and refreshing, and wait (up to :data:`CLOSE_WAIT_SECONDS`)
        for a computation in flight, so the backend is not closed under a running
        query (call before closing the backend)."""
        self._closed.set()
        for lock in (self.lock, *((self.engine[1],) if self.engine else ())):
            if lock.acquire(timeout=self.CLOSE_WAIT_SECONDS):
                lock.release()
            else:
                log.warning("closing while a computation still runs")

    def _read_aside(self, key: str, version: tuple[Any, ...]) -> Any:
        name, _, arg = key.partition(":")
        started = time.perf_counter()
        with self.version_source() as backend:
            value = self.computations[name](Analyses(backend, self.options), arg)
        with self._meta:
            if key not in self._values or self._values[key].version != version:
                self._values[key] = Cached(value, time.time(), time.perf_counter() - started,
                                           version)  # fmt: skip
        return value

    @contextlib.contextmanager
    def partial(self) -> Iterator[list[str]]:
        """Within the block, :meth:`get` does not wait for a result that is not
        computed yet: it starts computing it in the background and answers
        :class:`Pending` (so a page answers at once while a cold server warms
        up). Yields the keys found pending (empty: the answer was complete).
        Works across threads started within the block's context (a context
        variable), such as the worker thread of a synchronous route."""
        waiting: list[str] = []
        token = _NOT_WAITING.set(waiting)
        try:
            yield waiting
        finally:
            _NOT_WAITING.reset(token)

    def status(self, keys: Iterable[str] = ()) -> dict[str, Any]:
        """What is computed for the current data version (key → seconds it took,
        when it finished), which of ``keys`` are not yet (leaving out those
        computed only on demand, unless one is being computed), and whether
        results are being refreshed: how warm the server is."""
        version = self._current_version()
        values = dict(self._values)
        computed = {
            k: {"seconds": round(v.seconds, 3), "computed_at": v.computed_at}
            for k, v in sorted(values.items())
            if not k.startswith("view:") and v.version == version
        }
        later = self._on_demand[1] if self._on_demand and self._on_demand[0] == version else ()
        running = set(self.computing())
        return {
            "computed": computed,
            "waiting": [k for k in keys if k not in computed and (k not in later or k in running)],
            "refreshing": self.is_refreshing(),
        }

    def timings(self) -> dict[str, float]:
        """Seconds each cached result took to compute."""
        return {k: round(v.seconds, 3) for k, v in sorted(self._values.items())}
