"""A starting server warms the diagnosis of 3 months earlier only on a workspace
up to a size (``warm_earlier_up_to``); above it, the portfolio page asks for it
and shows "at high risk then" as being computed meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.computations import WARM_KEYS
from b2bcx.server.results import ResultCache
from b2bcx.server.settings import load_server_settings
from b2bcx.server.state import interaction_count
from b2bcx.web.app import mount_dashboard


@contextmanager
def _served(world: World, **settings: object) -> Iterator[tuple[TestClient, ResultCache]]:
    chosen = load_server_settings(
        workspace=str(world.path), secret=SECRET, partial_pages=True, **settings
    )
    app = create_app(chosen, mount=(mount_dashboard,))
    with TestClient(app) as client:
        yield client, app.state.b2bcx.results


def _warmed(cache: ResultCache, limit: float = 600.0) -> None:
    started = time.monotonic()
    while cache.computing():
        assert time.monotonic() - started < limit, cache.computing()
        time.sleep(0.2)


def _interactions(world: World) -> int:
    # not read-only: the session's live server may hold the file open for
    # writing, and DuckDB refuses a second connection with other settings
    with b2bcx.open_workspace(world.path) as ws:
        return interaction_count(ws.backend)


@pytest.mark.slow
def test_a_workspace_up_to_the_size_warms_it(web_world: World) -> None:
    n = _interactions(web_world)
    assert n > 0
    with _served(web_world, warm_earlier_up_to=n) as (client, cache):
        _warmed(cache)
        status = cache.status(WARM_KEYS)
        assert status["waiting"] == [] and "earlier:3" in status["computed"]
        sign_in(client, web_world.viewer)
        page = client.get("/")
        assert page.status_code == 200 and "Refresh" not in page.headers


@pytest.mark.slow
def test_a_larger_workspace_computes_it_when_the_page_asks(web_world: World) -> None:
    n = _interactions(web_world)
    with _served(web_world, warm_earlier_up_to=n - 1) as (client, cache):
        _warmed(cache)
        # every other warm result is there; the starting server waits for nothing
        status = cache.status(WARM_KEYS)
        assert status["waiting"] == []
        assert set(status["computed"]) == set(WARM_KEYS) - {"earlier:3"}
        assert cache.on_demand() == frozenset({"earlier:3"})
        time.sleep(1.0)
        assert cache.peek("earlier:3") is None  # nothing computes it unasked
        sign_in(client, web_world.viewer)
        first = client.get("/")
        # the page is complete without the "then" figure, which it says is being
        # computed; asking for the page started that computation
        assert first.status_code == 200 and "Refresh" not in first.headers
        assert "being computed" in first.text
        started = time.monotonic()
        while (earlier := cache.peek("earlier:3")) is None:
            assert time.monotonic() - started < 600
            time.sleep(0.5)
        page = client.get("/")
        as_of = str(earlier.value.to_dict()["meta"]["as_of"])[:10]
        assert f"on {as_of}" in page.text
        # computed once, on demand: asking again computes nothing more
        assert cache.ready("earlier:3") is earlier.value and not cache.computing()
