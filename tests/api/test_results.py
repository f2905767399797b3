"""The result cache: once per data version, old results served while new ones compute."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import b2bcx
from b2bcx.analyses import Analyses
from b2bcx.errors import ConfigurationError
from b2bcx.server.pool import ConnectionPool
from b2bcx.server.results import ResultCache, Unavailable


def _cache(ws: b2bcx.Workspace, computations: dict[str, Any], **kw: Any) -> ResultCache:
    return ResultCache(ws.backend, threading.RLock(), computations, check_seconds=0, **kw)


def test_computed_once_per_data_version(ws: b2bcx.Workspace, small_bundle: Path) -> None:
    calls: list[str] = []

    def count(a: Analyses, arg: str) -> int:
        calls.append(arg)
        return a.info.counts["accounts"]

    cache = _cache(ws, {"n": count})
    assert cache.get("n") == 0 and cache.get("n") == 0 and calls == [""]
    assert cache.get("n:x") == 0 and calls == ["", "x"]
    ws.import_bundle(small_bundle)
    # the old value is served while the new one is computed in the background
    first = cache.get("n")
    assert first in (0, 2)
    thread = cache._refresher
    assert thread is not None
    thread.join(timeout=30)
    assert cache.get("n") == 2 and cache.get("n:x") == 2


def test_stale_value_is_served_while_refreshing(tmp_path: Path, small_bundle: Path) -> None:
    release = threading.Event()
    started = threading.Event()
    values = iter([1, 2])

    def slow(a: Analyses, arg: str) -> int:
        value = next(values)
        if value == 2:
            started.set()
            release.wait(timeout=30)
        return value

    ws = b2bcx.open_workspace(tmp_path / "w.duckdb")
    requests = b2bcx.open_workspace(tmp_path / "w.duckdb")  # a second connection
    pool = ConnectionPool([requests])
    cache = _cache(ws, {"slow": slow}, refresh_keys=("slow",), version_source=pool.backend)
    assert cache.get("slow") == 1
    ws.import_bundle(small_bundle)
    assert cache.get("slow") == 1  # stale, and a refresh starts
    assert started.wait(timeout=30)
    assert cache.is_refreshing()
    view = cache.derived("view:x", lambda: cache.get("slow") * 10)
    assert view == 10
    release.set()
    assert cache._refresher is not None
    cache._refresher.join(timeout=30)
    assert not cache.is_refreshing()
    assert cache.get("slow") == 2
    assert cache.derived("view:x", lambda: cache.get("slow") * 10) == 20
    cache.close()
    requests.close()
    ws.close()


def test_library_errors_become_reasons(ws: b2bcx.Workspace) -> None:
    def refuse(a: Analyses, arg: str) -> int:
        raise ConfigurationError("not enough data for this")

    def crash(a: Analyses, arg: str) -> int:
        raise ZeroDivisionError("float division by zero")

    cache = _cache(ws, {"refuse": refuse, "crash": crash})
    assert cache.get("refuse") == Unavailable("not enough data for this")
    crashed = cache.get("crash")
    assert isinstance(crashed, Unavailable) and "ZeroDivisionError" in crashed.reason


def test_close_waits_for_the_computation_in_flight_and_starts_no_more(
    ws: b2bcx.Workspace,
) -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(a: Analyses, arg: str) -> int:
        calls.append(arg)
        started.set()
        release.wait(timeout=30)
        return a.info.counts["accounts"]

    cache = _cache(ws, {"n": slow})
    worker = threading.Thread(target=cache.get, args=("n",))
    worker.start()
    assert started.wait(timeout=30)
    closer = threading.Thread(target=cache.close)
    closer.start()
    closer.join(timeout=0.5)
    assert closer.is_alive()  # still waiting for the query in flight
    release.set()
    closer.join(timeout=30)
    worker.join(timeout=30)
    assert not closer.is_alive() and not worker.is_alive()
    # after close nothing new runs on the backend
    later = cache.get("n:other")
    assert isinstance(later, Unavailable) and "stopping" in later.reason
    assert calls == [""]
