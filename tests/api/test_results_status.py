"""GET /api/v1/results: how warm the server is, without computing anything."""

from __future__ import annotations

from api_world import World, auth
from fastapi.testclient import TestClient

from b2bcx.server.computations import PORTFOLIO_KEYS, WARM_KEYS


def test_results_status_lists_what_is_computed_and_what_waits(
    client: TestClient, world: World
) -> None:
    before = client.get("/api/v1/results", headers=auth(world.viewer))
    assert before.status_code == 200
    body = before.json()
    assert set(body) == {"computed", "waiting", "refreshing"}
    # asking computes nothing: what waits stays in the starting server's order
    assert body["waiting"] == [k for k in WARM_KEYS if k not in body["computed"]]
    assert client.get("/api/v1/accounts", headers=auth(world.viewer)).status_code == 200
    after = client.get("/api/v1/results", headers=auth(world.viewer)).json()
    assert "accounts" in after["computed"] and "accounts" not in after["waiting"]
    assert after["computed"]["accounts"]["seconds"] >= 0
    assert not any(k.startswith("view:") for k in after["computed"])


def test_results_status_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/results").status_code == 401


def test_the_portfolio_comes_first_when_a_server_warms() -> None:
    # the first page people open is full before the other pages are computed
    assert WARM_KEYS[: len(PORTFOLIO_KEYS)] == PORTFOLIO_KEYS
    last = len(PORTFOLIO_KEYS) - 1
    assert all(WARM_KEYS.index(k) > last for k in ("units:function_level", "assessment", "plan"))
