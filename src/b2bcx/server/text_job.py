"""The text analysis as a background job of the server.

An analyst starts it from the dashboard's text page or the API
(``POST /api/v1/text/analyze``); it scores every comment not scored yet
(:func:`b2bcx.text.analyze`, incremental and safe to re-run) on a connection of
its own, while pages keep answering. At most one job runs at a time; asking
again while it runs returns the running job. Its progress (comments done of the
total) is what the page and ``GET /api/v1/text/analyze`` show. When it ends the
workspace's data version changes (``text_scores``), so the result cache
recomputes the text insights, topics and everything that reads them.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from b2bcx.errors import B2bcxError
from b2bcx.storage import Backend

if TYPE_CHECKING:
    from b2bcx.text.encoder import Encoder

log = logging.getLogger(__name__)

JobState = Literal["idle", "running", "done", "failed"]

#: Comments per second the analysis reaches on a 2-core machine (docs/text.md,
#: benchmarks/text_bench.py); only to tell people roughly how long it takes.
TYPICAL_RATE = 300.0


@dataclass(frozen=True, kw_only=True)
class TextJobStatus:
    """Where the text analysis job stands.

    Attributes
    ----------
    state : ``idle`` (never started in this server), ``running``, ``done`` or ``failed``.
    total : comments the job had to score (None until it knows).
    done : comments scored so far.
    started_at, finished_at : ISO times (UTC) of the job's start and end.
    seconds : how long it ran (so far, while running).
    model : the text model that scored (once done).
    started_by : who started it (a login or token name).
    error : what went wrong (when failed), in plain words.
    """

    state: JobState = "idle"
    total: int | None = None
    done: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    model: str | None = None
    started_by: str | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        """Whether the job is running now."""
        return self.state == "running"

    @property
    def share(self) -> float | None:
        """Share of the comments done (None until the total is known)."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (with ``share``)."""
        return {**asdict(self), "share": self.share}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class TextJob:
    """The server's one text-analysis job (thread-safe).

    ``encoder`` is the sentence encoder the analysis uses (default: the packaged
    model, as ``b2bcx text analyze``); tests give a fast one.
    """

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()
        self._status = TextJobStatus()
        self._t0 = 0.0
        self._thread: threading.Thread | None = None

    def status(self) -> TextJobStatus:
        """The job's status now (``seconds`` counts up while it runs)."""
        with self._lock:
            s = self._status
            if s.state == "running":
                return TextJobStatus(**{**asdict(s), "seconds": time.perf_counter() - self._t0})
            return s

    def start(
        self,
        connect: Callable[[], AbstractContextManager[Backend]],
        *,
        by: str | None = None,
        on_done: Callable[[], object] | None = None,
    ) -> tuple[TextJobStatus, bool]:
        """Start the analysis on a backend from ``connect`` unless one runs.

        ``on_done`` is called once the comments are scored (the server passes
        its result cache's ``invalidate``, so the results follow at once).
        Returns the status and whether this call started it.
        """
        with self._lock:
            if self._status.state == "running":
                return self._status, False
            self._t0 = time.perf_counter()
            self._status = TextJobStatus(state="running", started_at=_now(), started_by=by)
            thread = threading.Thread(
                target=self._run, args=(connect, on_done), name="b2bcx-text-analyze", daemon=True
            )
            self._thread = thread
        thread.start()
        return self.status(), True

    def wait(self, timeout: float | None = None) -> TextJobStatus:
        """Block until the running job ends (or ``timeout`` seconds); its status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    # -- Progress protocol (b2bcx.progress.Progress) -------------------------------

    def start_task(self, total: int | None) -> None:
        """The analysis knows how many comments it scores."""
        self._update(total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        """``amount`` more comments are scored."""
        with self._lock:
            s = self._status
            self._status = TextJobStatus(**{**asdict(s), "done": s.done + amount})

    def finish(self, task: str) -> None:
        """The analysis' scoring loop ended (the job ends in :meth:`_run`)."""

    # -------------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status = TextJobStatus(**{**asdict(self._status), **changes})

    def _run(
        self,
        connect: Callable[[], AbstractContextManager[Backend]],
        on_done: Callable[[], object] | None,
    ) -> None:
        from b2bcx.text import analyze

        sink = _Sink(self)
        try:
            with connect() as backend:
                result = analyze(backend, encoder=self._encoder, progress=sink)
        except B2bcxError as exc:
            self._end("failed", error=str(exc))
        except Exception as exc:  # a job thread must end in a status, never vanish
            log.exception("the text analysis failed")
            self._end("failed", error=f"the text analysis failed unexpectedly: {exc}")
        else:
            self._end("done", model=result.model, done=result.scored)
            if on_done is not None and result.scored:
                try:
                    on_done()
                except Exception:
                    log.exception("recomputing the results after the text analysis failed")

    def _end(self, state: JobState, **changes: Any) -> None:
        self._update(
            state=state,
            finished_at=_now(),
            seconds=time.perf_counter() - self._t0,
            **changes,
        )


class _Sink:
    """Adapts :class:`TextJob` to :class:`b2bcx.progress.Progress` (``start`` is
    the job's own verb there)."""

    def __init__(self, job: TextJob) -> None:
        self.job = job

    def start(self, task: str, total: int | None = None) -> None:
        """The analysis knows its total."""
        self.job.start_task(total)

    def advance(self, task: str, amount: int = 1) -> None:
        """More comments done."""
        self.job.advance(task, amount)

    def finish(self, task: str) -> None:
        """The scoring loop ended."""
        self.job.finish(task)


def job_connection(state: Any) -> Callable[[], AbstractContextManager[Backend]]:
    """How the job gets its backend: a connection of its own on a shareable
    workspace (DuckDB file, PostgreSQL), else a request connection held for the
    job (an in-memory or Spark workspace serves everything through one)."""
    if state.compute_workspace is None:
        return lambda: state.db()

    @contextlib.contextmanager
    def own() -> Any:
        from b2bcx.workspace import open_workspace

        ws = open_workspace(state.workspace.url)
        try:
            yield ws.backend
        finally:
            ws.close()

    return own


def comment_counts(state: Any) -> tuple[int, int]:
    """The served workspace's comments and how many are analysed (on a request
    connection of ``state``, the server's :class:`~b2bcx.server.state.AppState`)."""
    from b2bcx.storage import textstore

    with state.db() as backend:
        return textstore.comment_counts(backend)


def estimate_seconds(pending: int) -> float:
    """Roughly how long scoring ``pending`` comments takes here (plus model loading)."""
    return 5.0 + pending / TYPICAL_RATE


_CREATE = threading.Lock()


def text_job(app: Any) -> TextJob:
    """The application's text-analysis job (made on first use; ``app`` is the
    FastAPI application, whose ``state`` holds it beside the server's state)."""
    with _CREATE:
        job = getattr(app.state, "b2bcx_text_job", None)
        if job is None:
            job = TextJob()
            app.state.b2bcx_text_job = job
        return job
