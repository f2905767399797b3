"""Warm-up: one background worker computes what pages ask for first, then what
the server warms; results computed only on demand are left out of warming."""

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
from b2bcx.server.computations import SIZE_LIMITED_KEYS, WARM_KEYS, on_demand_keys
from b2bcx.server.results import Pending, ResultCache
from b2bcx.server.settings import load_server_settings
from b2bcx.server.state import interaction_count, on_demand_rule
from b2bcx.storage import Backend


def _counting(calls: list[str], gate: threading.Event | None = None) -> Any:
    def compute(a: Analyses, arg: str) -> str:
        calls.append(arg)
        if gate is not None:
            assert gate.wait(timeout=30)
        return f"value {arg}"

    return compute


def _cache(ws: b2bcx.Workspace, calls: list[str], **kw: Any) -> ResultCache:
    return ResultCache(ws.backend, threading.RLock(), {"k": _counting(calls)}, **kw)


def _idle(cache: ResultCache, limit: float = 30.0) -> None:
    started = time.monotonic()
    while cache.computing() and time.monotonic() - started < limit:
        time.sleep(0.01)
    worker = cache._worker
    if worker is not None:
        worker.join(timeout=limit)
    assert not cache.computing()


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "b2bcx-warm" and t.is_alive()]


def test_on_demand_keys_above_the_size_only() -> None:
    assert on_demand_keys(0, 2_000_000) == ()
    assert on_demand_keys(2_000_000, 2_000_000) == ()  # at the size: still warmed
    assert on_demand_keys(2_000_001, 2_000_000) == SIZE_LIMITED_KEYS
    assert on_demand_keys(1, 0) == SIZE_LIMITED_KEYS  # 0: never ahead
    assert set(SIZE_LIMITED_KEYS) <= set(WARM_KEYS)  # an empty workspace warms all
    assert "earlier:3" in SIZE_LIMITED_KEYS


def test_the_default_size_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_server_settings().warm_earlier_up_to == 2_000_000
    monkeypatch.setenv("B2BCX_WARM_EARLIER_UP_TO", "50")
    assert load_server_settings().warm_earlier_up_to == 50
    assert load_server_settings(warm_earlier_up_to=7).warm_earlier_up_to == 7
    with pytest.raises(ValueError):
        load_server_settings(warm_earlier_up_to=-1)


def test_interaction_count_and_the_rule(ws: b2bcx.Workspace, small_bundle: Path) -> None:
    assert interaction_count(ws.backend) == 0  # nothing imported: no table
    ws.import_bundle(small_bundle)
    expected = len(pd.read_csv(small_bundle / "interactions.csv"))
    assert interaction_count(ws.backend) == expected == 2
    settings = load_server_settings(warm_earlier_up_to=expected)
    assert tuple(on_demand_rule(settings)(ws.backend)) == ()
    settings = load_server_settings(warm_earlier_up_to=expected - 1)
    assert tuple(on_demand_rule(settings)(ws.backend)) == SIZE_LIMITED_KEYS


def test_warming_leaves_on_demand_keys_to_the_page(ws: b2bcx.Workspace) -> None:
    calls: list[str] = []
    cache = _cache(ws, calls, on_demand=lambda backend: ["k:later"])
    cache.warm(["k:a", "k:later", "k:b"]).join(timeout=30)
    assert calls == ["a", "b"]
    # the starting server waits for nothing more: the key is left to the page
    status = cache.status(["k:a", "k:later", "k:b"])
    assert status["waiting"] == [] and "k:later" not in status["computed"]
    # the page asks when nothing else is computed: once, in the background
    assert cache.ready("k:later") is None
    _idle(cache)
    assert cache.ready("k:later") == "value later"
    assert calls == ["a", "b", "later"]
    # a request that waits gets it like any other
    assert cache.get("k:later") == "value later" and calls == ["a", "b", "later"]


def test_without_a_rule_everything_is_warmed(ws: b2bcx.Workspace) -> None:
    calls: list[str] = []
    cache = _cache(ws, calls, on_demand=lambda backend: [])
    cache.warm(["k:a", "k:later"]).join(timeout=30)
    assert calls == ["a", "later"] and cache.on_demand() == frozenset()
    plain = _cache(ws, [])
    assert plain.on_demand() == frozenset()


def test_a_failing_rule_defers_nothing(ws: b2bcx.Workspace) -> None:
    calls: list[str] = []

    def broken(backend: Any) -> list[str]:
        raise RuntimeError("no table")

    cache = _cache(ws, calls, on_demand=broken)
    cache.warm(["k:a", "k:later"]).join(timeout=30)
    assert calls == ["a", "later"]


def test_one_worker_computes_what_pages_ask_for_first(ws: b2bcx.Workspace) -> None:
    gate = threading.Event()
    calls: list[str] = []
    cache = ResultCache(ws.backend, threading.RLock(), {"k": _counting(calls, gate)})
    before = len(_workers())
    worker = cache.warm(["k:a", "k:b", "k:c", "k:d"])
    while not calls:
        time.sleep(0.01)
    # "a" is being computed; a page that does not wait asks for "d", then "c"
    with cache.partial() as waiting:
        assert isinstance(cache.get("k:d"), Pending)
        assert isinstance(cache.get("k:c"), Pending)
        assert isinstance(cache.get("k:d"), Pending)  # asked twice: queued once
        assert cache.ready("k:e") is None  # a figure shown when ready: last
        assert cache.ready("k:b") is None  # already warming: stays in its place
    assert waiting == ["k:d", "k:c", "k:d"]  # a ready() figure does not hold the page
    assert cache.computing() == ("k:a", "k:d", "k:c", "k:b", "k:e")
    # one background worker serves warming and pages, not a thread per key
    assert len(_workers()) == before + 1 and cache.warm(["k:a"]) is worker
    gate.set()
    worker.join(timeout=30)
    assert calls == ["a", "d", "c", "b", "e"]  # each once, what pages need first
    assert not cache.computing() and cache.ready("k:e") == "value e"


def test_ready_starts_once_when_idle(ws: b2bcx.Workspace) -> None:
    gate = threading.Event()
    calls: list[str] = []
    cache = ResultCache(ws.backend, threading.RLock(), {"k": _counting(calls, gate)})
    assert cache.ready("k:x") is None
    while not calls:
        time.sleep(0.01)
    for _ in range(5):  # while it is computed, asking again starts nothing
        assert cache.ready("k:x") is None
    gate.set()
    _idle(cache)
    assert cache.ready("k:x") == "value x" and calls == ["x"]


def test_ready_waits_while_the_compute_connection_is_held(ws: b2bcx.Workspace) -> None:
    calls: list[str] = []
    lock = threading.RLock()

    @contextlib.contextmanager
    def requests() -> Iterator[Backend]:  # the version is read beside the compute lock
        yield ws.backend

    cache = ResultCache(ws.backend, lock, {"k": _counting(calls)}, version_source=requests)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=30)
    assert cache.ready("k:x") is None and not cache.computing()
    release.set()
    holder.join(timeout=30)
    assert cache.ready("k:x") is None  # idle now: it starts
    _idle(cache)
    assert calls == ["x"]


def test_a_refresh_leaves_on_demand_keys_until_asked(tmp_path: Path, small_bundle: Path) -> None:
    calls: list[str] = []
    ws = b2bcx.open_workspace(tmp_path / "w.duckdb")
    try:
        cache = ResultCache(
            ws.backend,
            threading.RLock(),
            {"k": _counting(calls)},
            check_seconds=0,
            refresh_keys=("k:a",),
            on_demand=lambda backend: ["k:later"] if interaction_count(backend) else [],
        )
        cache.warm(["k:a", "k:later"]).join(timeout=30)
        assert calls == ["a", "later"]  # empty workspace: everything warmed
        ws.import_bundle(small_bundle)
        cache.invalidate()
        refresher = cache._refresher
        assert refresher is not None
        refresher.join(timeout=30)
        assert calls == ["a", "later", "a"]  # the on-demand key is not refreshed
        assert cache.on_demand() == frozenset({"k:later"})
        assert cache.ready("k:later") is None  # out of date: asked for now
        _idle(cache)
        assert cache.ready("k:later") == "value later"
        assert calls == ["a", "later", "a", "later"]
    finally:
        ws.close()


def test_seconds_are_the_computation_not_the_wait(ws: b2bcx.Workspace) -> None:
    lock = threading.RLock()
    cache = ResultCache(ws.backend, lock, {"k": _counting([])})
    got: list[Any] = []
    with lock:  # another computation holds the compute connection for 0.5 s
        waiter = threading.Thread(target=lambda: got.append(cache.get("k:x")))
        waiter.start()
        time.sleep(0.5)
    waiter.join(timeout=30)
    assert got == ["value x"]
    assert cache.timings()["k:x"] < 0.25


def test_a_page_asking_while_warming_gets_the_on_demand_key(ws: b2bcx.Workspace) -> None:
    gate = threading.Event()
    calls: list[str] = []
    cache = ResultCache(
        ws.backend,
        threading.RLock(),
        {"k": _counting(calls, gate)},
        on_demand=lambda backend: ["k:later"],
    )
    worker = cache.warm(["k:a", "k:later"])
    while not calls:
        time.sleep(0.01)
    assert cache.ready("k:later") is None  # asked while it waits to be skipped
    gate.set()
    worker.join(timeout=30)
    assert calls == ["a", "later"] and cache.ready("k:later") == "value later"


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], None, 2_000_000),
        (["--warm-earlier-up-to", "0"], None, 0),
        ([], "123", 123),
        (["--warm-earlier-up-to", "9"], "123", 9),  # the option wins over the variable
    ],
)
def test_serve_passes_the_size_on(
    argv: list[str], env: str | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    import b2bcx.api.app
    from b2bcx.cli import app
    from b2bcx.server.settings import ServerSettings

    seen: list[ServerSettings] = []
    monkeypatch.setattr(b2bcx.api.app, "create_app", lambda s, mount=(): seen.append(s))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("B2BCX_SECRET", "s" * 40)
    if env is None:
        monkeypatch.delenv("B2BCX_WARM_EARLIER_UP_TO", raising=False)
    else:
        monkeypatch.setenv("B2BCX_WARM_EARLIER_UP_TO", env)
    result = CliRunner().invoke(app, ["serve", "-w", ":memory:", *argv])
    assert result.exit_code == 0, result.output
    assert [s.warm_earlier_up_to for s in seen] == [expected]
