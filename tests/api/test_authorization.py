"""Authentication, roles and the account limit, on every endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_world import World, auth
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.server.tokens import hash_token

OPEN = {"/api/v1/health"}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every API operation, from the served spec."""
    spec = client.get("/openapi.json").json()
    return sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops)


def _fill(path: str, world: World, account: str | None = None) -> str:
    path = path.replace("{account_id}", account or world.own_account)
    return re.sub(r"\{[a-z_]+\}", "X", path)


def test_every_endpoint_but_health_needs_a_token(client: TestClient, world: World) -> None:
    routes = _routes(client)
    assert len(routes) > 30
    for method, path in routes:
        r = client.request(method, _fill(path, world))
        if path in OPEN:
            assert r.status_code == 200
            continue
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("bad", ["", "nonsense", "b2bcx_00000000_" + "a" * 43])
def test_unknown_tokens_are_refused(client: TestClient, bad: str) -> None:
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401


def test_a_tampered_token_is_refused(client: TestClient, world: World) -> None:
    tampered = world.viewer[:-2] + ("AA" if not world.viewer.endswith("AA") else "BB")
    assert client.get("/api/v1/me", headers=auth(tampered)).status_code == 401


def test_tokens_are_stored_hashed(world: World) -> None:
    with b2bcx.open_workspace(world.path) as ws:
        rows = ws.backend.fetch_dicts("SELECT * FROM api_tokens")
    stored = " ".join(str(v) for r in rows for v in r.values())
    for token in (world.admin, world.viewer, world.restricted):
        assert token not in stored
        assert token.split("_", 2)[2] not in stored  # the secret may hold "_"
        assert hash_token(token) in stored


WRITES = [
    ("POST", "/api/v1/tokens", {"json": {"role": "viewer"}}),
    ("DELETE", "/api/v1/tokens/zzzzzzzz", {}),
    ("GET", "/api/v1/tokens", {}),
    ("GET", "/api/v1/audit", {}),
]


@pytest.mark.parametrize(("method", "path", "kw"), WRITES)
def test_only_admins_manage_tokens(
    client: TestClient, world: World, method: str, path: str, kw: dict[str, Any]
) -> None:
    for token in (world.viewer, world.analyst):
        r = client.request(method, path, headers=auth(token), **kw)
        assert r.status_code == 403, (token, r.text)
        assert r.json()["error"]["code"] == "forbidden"


def test_viewers_cannot_import_or_refresh(client: TestClient, world: World) -> None:
    files = {"file": ("b.zip", b"PK\x03\x04", "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.viewer))
    assert r.status_code == 403
    assert client.post("/api/v1/results/refresh", headers=auth(world.viewer)).status_code == 403


def test_a_restricted_analyst_cannot_import(client: TestClient, world: World) -> None:
    files = {"file": ("b.zip", b"PK\x03\x04", "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.restricted_analyst))
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_restricted"


def _account_routes(client: TestClient) -> list[str]:
    return [p for m, p in _routes(client) if "{account_id}" in p and m == "GET"]


def test_restricted_token_reads_its_own_account(client: TestClient, world: World) -> None:
    for path in _account_routes(client):
        r = client.get(_fill(path, world), headers=auth(world.restricted))
        assert r.status_code == 200, (path, r.text)


def test_restricted_token_cannot_read_another_account(client: TestClient, world: World) -> None:
    paths = _account_routes(client)
    assert len(paths) >= 7
    for path in paths:
        url = _fill(path, world, world.other_account)
        assert client.get(url, headers=auth(world.viewer)).status_code == 200, url
        r = client.get(url, headers=auth(world.restricted))
        assert r.status_code == 404, (url, r.status_code)
        assert r.json()["error"]["code"] == "not_found"


LISTS = [
    "/api/v1/accounts",
    "/api/v1/stakeholders",
    "/api/v1/journeys",
    "/api/v1/interactions",
    "/api/v1/findings",
    "/api/v1/at-risk",
]


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_tokens_accounts(client: TestClient, world: World, path: str) -> None:
    everything = client.get(path, params={"limit": 1000}, headers=auth(world.viewer)).json()
    assert {i.get("account_id") for i in everything["items"]} - {world.own_account}, path
    mine = client.get(path, params={"limit": 1000}, headers=auth(world.restricted)).json()
    assert {i.get("account_id") for i in mine["items"]} <= {world.own_account}, path
    asked = client.get(
        path,
        params={"limit": 1000, "account_id": world.other_account},
        headers=auth(world.restricted),
    ).json()
    assert all(i.get("account_id") == world.own_account for i in asked["items"]), path


def test_restricted_token_cannot_read_another_accounts_interaction(
    client: TestClient, world: World
) -> None:
    other = client.get(
        "/api/v1/interactions",
        params={"account_id": world.other_account, "limit": 1},
        headers=auth(world.viewer),
    ).json()["items"][0]
    url = f"/api/v1/interactions/{other['interaction_id']}"
    assert client.get(url, headers=auth(world.viewer)).status_code == 200
    assert client.get(url, headers=auth(world.restricted)).status_code == 404


PORTFOLIO = [
    "/api/v1/workspace",
    "/api/v1/measures/map",
    "/api/v1/measures/trend",
    "/api/v1/measures/drivers",
    "/api/v1/priorities",
    "/api/v1/partners/scorecards",
    "/api/v1/touchpoints/performance",
    "/api/v1/controllers",
    "/api/v1/strategy/profile",
    "/api/v1/strategy/assessment",
    "/api/v1/strategy/plan",
    "/api/v1/text/insights",
    "/api/v1/text/topics",
    "/api/v1/imports",
]


@pytest.mark.parametrize("path", PORTFOLIO)
def test_portfolio_results_need_an_unrestricted_token(
    client: TestClient, world: World, path: str
) -> None:
    r = client.get(path, headers=auth(world.restricted))
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_restricted"


def test_units_hide_the_portfolio_from_restricted_tokens(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/measures/units", headers=auth(world.restricted)).json()
    assert body["portfolio"] is None
    assert {u["account_id"] for u in body["units"]} == {world.own_account}
