"""Warm-up with a second compute connection: a second worker computes the
engine-only results while the first runs a long analysis; each result once,
in page order, and the kept sub-results of :class:`Analyses` are shared."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import b2bcx
from b2bcx.analyses import Analyses
from b2bcx.measures.breakdowns import ACTIVITY_KEYS
from b2bcx.server.computations import COMPUTATIONS, PORTFOLIO_KEYS, SECOND_WORKER_KEYS, WARM_KEYS
from b2bcx.server.results import Pending, ResultCache
from b2bcx.server.settings import load_server_settings
from b2bcx.server.state import build_state
from b2bcx.storage import Backend


def _wait_for(predicate: Any, limit: float = 30.0) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < limit, "timed out"
        time.sleep(0.01)


def _join_all(cache: ResultCache) -> None:
    for worker in (cache._worker, cache._engine_worker):
        if worker is not None:
            worker.join(timeout=30)
    _wait_for(lambda: not cache.computing())


class _World:
    """A cache over two connections whose computations record where they ran."""

    def __init__(self, tmp_path: Path, *, engine: bool = True, first: tuple[str, ...] = ()) -> None:
        self.main = b2bcx.open_workspace(tmp_path / "w.duckdb")
        self.second = b2bcx.open_workspace(tmp_path / "w.duckdb")
        self.gate = threading.Event()
        self.calls: list[tuple[str, str, bool]] = []  # (name:arg, thread, on 2nd backend)
        self.lock = threading.Lock()

        def record(name: str, gated: bool) -> Any:
            def compute(a: Analyses, arg: str) -> str:
                with self.lock:
                    self.calls.append(
                        (f"{name}:{arg}", threading.current_thread().name,
                         a.backend is self.second.backend)
                    )  # fmt: skip
                if gated:
                    assert self.gate.wait(timeout=30)
                return f"{name} {arg}"

            return compute

        request_lock = threading.Lock()  # a request connection (the pool's in a server)

        @contextlib.contextmanager
        def requests() -> Iterator[Backend]:
            with request_lock:
                yield self.main.backend

        self.cache = ResultCache(
            self.main.backend,
            threading.RLock(),
            {
                "slow": record("slow", True),
                "cells": record("cells", False),
                "other": record("other", False),
            },
            version_source=requests,
            engine=(self.second.backend, threading.RLock()) if engine else None,
            engine_keys={"cells"},
            first=first,
        )

    def close(self) -> None:
        self.gate.set()
        self.cache.close()
        self.second.close()
        self.main.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[_World]:
    w = _World(tmp_path)
    yield w
    w.close()


def test_engine_results_are_computed_while_a_long_one_runs(world: _World) -> None:
    cache = world.cache
    cache.warm(["slow:a", "cells:x", "other:b", "cells:y"])
    # the first worker is held in "slow"; the second computes both cells meanwhile
    _wait_for(lambda: cache.peek("cells:y") is not None)
    assert cache.peek("slow:a") is None and cache.peek("other:b") is None
    cells = [c for c in world.calls if c[0].startswith("cells")]
    assert [c[0] for c in cells] == ["cells:x", "cells:y"]  # in warm order
    assert all(thread == "b2bcx-warm-engine" and second for _, thread, second in cells)
    assert cache.computing() == ("slow:a", "other:b")
    world.gate.set()
    _join_all(cache)
    names = [c[0] for c in world.calls]
    assert sorted(names) == ["cells:x", "cells:y", "other:b", "slow:a"]  # each once
    assert all(not second for name, _, second in world.calls if not name.startswith("cells"))
    assert cache.get("cells:x") == "cells x" and len(world.calls) == 4  # kept


def test_a_page_asking_while_both_work_is_served_pending_then_filled(world: _World) -> None:
    cache = world.cache
    cache.warm(["slow:a", "other:b"])
    _wait_for(lambda: any(c[0] == "slow:a" for c in world.calls))
    with cache.partial() as waiting:
        assert isinstance(cache.get("cells:z"), Pending)
    assert waiting == ["cells:z"]
    # the engine worker takes it at once: the page does not wait for "slow"
    _wait_for(lambda: cache.peek("cells:z") is not None)
    assert cache.peek("slow:a") is None
    world.gate.set()
    _join_all(cache)
    assert [c[0] for c in world.calls].count("cells:z") == 1


def test_the_second_worker_leaves_the_rest_of_the_warm_up_until_the_first_results(
    tmp_path: Path,
) -> None:
    w = _World(tmp_path, first=("slow:a", "cells:x"))
    try:
        cache = w.cache
        cache.warm(["slow:a", "cells:x", "cells:y", "other:b"])
        # beside the first results ("slow"), only the first results and pages' asks
        _wait_for(lambda: cache.peek("cells:x") is not None)
        with cache.partial() as waiting:
            assert isinstance(cache.get("cells:z"), Pending)
        assert waiting == ["cells:z"]
        _wait_for(lambda: cache.peek("cells:z") is not None)  # asked: not held
        time.sleep(0.2)
        assert cache.peek("cells:y") is None  # warming only: held back
        _wait_for(lambda: cache.computing() == ("slow:a", "cells:y", "other:b"))
        assert cache.peek("cells:y") is None
        w.gate.set()
        _join_all(cache)
        names = [c[0] for c in w.calls]
        assert sorted(names) == ["cells:x", "cells:y", "cells:z", "other:b", "slow:a"]
        assert names.index("cells:y") > names.index("slow:a")
        # beside "slow", the cells ran on the second connection (after it, either
        # worker may take the last one: the first takes it when nothing else is left)
        assert all(second for name, _, second in w.calls if name in ("cells:x", "cells:z"))
    finally:
        w.close()


def test_without_a_second_connection_one_worker_keeps_the_order(tmp_path: Path) -> None:
    w = _World(tmp_path, engine=False)
    try:
        w.cache.warm(["slow:a", "cells:x", "other:b"])
        _wait_for(lambda: len(w.calls) == 1)
        time.sleep(0.2)
        assert w.cache.peek("cells:x") is None  # waits behind "slow"
        w.gate.set()
        _join_all(w.cache)
        assert [c[0] for c in w.calls] == ["slow:a", "cells:x", "other:b"]
        assert {c[1] for c in w.calls} == {"b2bcx-warm"}
    finally:
        w.close()


def test_analyses_using_another_connection_share_what_is_kept(tmp_path: Path) -> None:
    main = b2bcx.open_workspace(tmp_path / "w.duckdb")
    second = b2bcx.open_workspace(tmp_path / "w.duckdb")
    try:
        a = Analyses(main.backend)
        b = a.using(second.backend)
        assert b.backend is second.backend and a.backend is main.backend
        assert b.options is a.options
        calls: list[Backend] = []

        def compute(backend: Backend) -> int:
            calls.append(backend)
            return len(calls)

        assert b._once("x", lambda: compute(b.backend)) == 1
        assert a._once("x", lambda: compute(a.backend)) == 1  # kept: not recomputed
        assert calls == [second.backend] and a.computed() == b.computed() == ["x"]
    finally:
        second.close()
        main.close()


def test_second_worker_keys_need_no_diagnosis() -> None:
    # every such key is a computation; none is one made from the diagnosis
    assert set(COMPUTATIONS) >= SECOND_WORKER_KEYS
    assert not SECOND_WORKER_KEYS & {"diagnosis", "scorecards", "plan", "assessment", "earlier"}
    names = {k.partition(":")[0] for k in (*PORTFOLIO_KEYS, *WARM_KEYS)}
    expected = {"accounts", "drivers", "activity", "trend", "map", "readiness"}
    assert expected <= SECOND_WORKER_KEYS & names
    # the scorecards' drivers are among the portfolio's results, before the diagnosis
    assert PORTFOLIO_KEYS.index("drivers:touchpoints") < PORTFOLIO_KEYS.index("diagnosis")


def test_the_setting_and_the_server_state(
    tmp_path: Path, small_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_server_settings().compute_workers == 1
    monkeypatch.setenv("B2BCX_COMPUTE_WORKERS", "2")
    assert load_server_settings().compute_workers == 2
    with pytest.raises(ValueError):
        load_server_settings(compute_workers=3)
    monkeypatch.delenv("B2BCX_COMPUTE_WORKERS")
    path = tmp_path / "s.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(small_bundle)
    for workers, has_engine in ((2, True), (1, False)):
        settings = load_server_settings(workspace=str(path), dev=True, compute_workers=workers)
        state = build_state(settings)
        try:
            assert (state.engine_workspace is not None) is has_engine
            assert (state.results.engine is not None) is has_engine
            assert state.results.first == frozenset(PORTFOLIO_KEYS)
            # results computed through the second connection equal the first's
            if has_engine:
                state.results.warm(["readiness", "activity", "catalogue:accounts"])
                _join_all(state.results)
                with state.db() as backend:
                    alone = Analyses(backend)
                    keys = list(ACTIVITY_KEYS)  # a group-by: rows in any order
                    got = state.results.get("activity").sort_values(keys, ignore_index=True)
                    expected = alone.activity().sort_values(keys, ignore_index=True)
                    pd.testing.assert_frame_equal(got, expected)
        finally:
            state.close()
    memory = build_state(load_server_settings(workspace=":memory:", dev=True, compute_workers=2))
    try:
        assert memory.engine_workspace is None and memory.results.engine is None
    finally:
        memory.close()


def test_a_prerequisite_is_queued_before_what_reuses_it(ws: b2bcx.Workspace) -> None:
    calls: list[str] = []
    gate = threading.Event()

    def compute(a: Analyses, arg: str) -> str:
        calls.append(arg)
        if arg == "first":
            assert gate.wait(timeout=30)
        return arg

    cache = ResultCache(
        ws.backend,
        threading.RLock(),
        {"k": compute},
        prerequisites={"k:diag": ("k:drivers",), "k:other": ("k:done",)},
    )
    assert cache.get("k:done") == "done"  # computed already: not queued again
    cache.warm(["k:first"])
    _wait_for(lambda: calls == ["done", "first"])
    with cache.partial():  # a page asks for the diagnosis before the drivers
        assert isinstance(cache.get("k:diag"), Pending)
        assert isinstance(cache.get("k:other"), Pending)
        assert isinstance(cache.get("k:drivers"), Pending)
    assert cache.computing() == ("k:first", "k:drivers", "k:diag", "k:other")
    gate.set()
    _join_all(cache)
    assert calls == ["done", "first", "drivers", "diag", "other"]  # each once


def test_the_server_queues_the_drivers_before_the_diagnosis() -> None:
    from b2bcx.server.computations import PREREQUISITES

    assert PREREQUISITES["diagnosis"] == ("drivers:touchpoints",)
    assert WARM_KEYS.index("drivers:touchpoints") < WARM_KEYS.index("diagnosis")
