"""The API over a shared PostgreSQL workspace: tokens hashed in PostgreSQL, the
audit log, account limits and paged interactions — the same answers as on DuckDB."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import SECRET, World, auth
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))


@pytest.fixture(scope="module")
def pg_client(world: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        url = cluster.create_database("api")
        with b2bcx.open_workspace(url) as ws:
            ws.import_bundle(world.bundle)
            tokens = {
                "admin": create_token(ws.backend, role="admin").token,
                "restricted": create_token(
                    ws.backend, role="viewer", accounts=[world.own_account]
                ).token,
            }
        settings = load_server_settings(workspace=url, secret=SECRET, warm=False)
        with TestClient(create_app(settings)) as client:
            yield client, tokens
    finally:
        cluster.stop()


def test_same_answers_as_duckdb(
    pg_client: tuple[TestClient, dict[str, str]], client: TestClient, world: World
) -> None:
    pg, tokens = pg_client
    for path in (
        f"/api/v1/interactions?account_id={world.own_account}&limit=20",
        f"/api/v1/accounts/{world.own_account}/journeys",
        "/api/v1/stakeholders?level=executive&limit=30",
    ):
        got = pg.get(path, headers=auth(tokens["admin"])).json()
        expected = client.get(path, headers=auth(world.admin)).json()
        assert got == expected, path


def test_account_limit_and_audit_on_postgres(
    pg_client: tuple[TestClient, dict[str, str]], world: World
) -> None:
    pg, tokens = pg_client
    mine = pg.get(
        "/api/v1/interactions", params={"limit": 1000}, headers=auth(tokens["restricted"])
    ).json()
    assert mine["total"] > 0
    assert {i["account_id"] for i in mine["items"]} == {world.own_account}
    other = pg.get(f"/api/v1/accounts/{world.other_account}", headers=auth(tokens["restricted"]))
    assert other.status_code == 404
    made = pg.post("/api/v1/tokens", json={"role": "viewer"}, headers=auth(tokens["admin"]))
    assert made.status_code == 201
    assert (
        pg.delete(
            f"/api/v1/tokens/{made.json()['token_id']}", headers=auth(tokens["admin"])
        ).status_code
        == 204
    )
    log = pg.get("/api/v1/audit", headers=auth(tokens["admin"])).json()["items"]
    assert [e["action"] for e in log[:2]] == ["DELETE /api/v1/tokens", "POST /api/v1/tokens"]
