"""GET /api/v1/sensitivity: the diagnosis' minimal detectable effects (issue 16)."""

from __future__ import annotations

from api_world import World, auth
from fastapi.testclient import TestClient


def test_sensitivity_follows_the_diagnosis(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/sensitivity", headers=auth(world.viewer)).json()
    assert body["power"] == 0.8 and "C5" in body["not_assessed"]
    assert [c["challenge"] for c in body["challenges"]] == ["C2", "C3"]
    for c in body["challenges"]:
        values = [a["mde_points"] for a in c["accounts"] if a["mde_points"] is not None]
        assert values and c["median_mde_points"] is not None
        assert all(v >= c["gap_threshold"] for v in values)
        assert all(a["reason"] for a in c["accounts"] if a["mde_points"] is None)
    one = client.get("/api/v1/sensitivity", params={"account_id": world.own_account},
                     headers=auth(world.viewer)).json()  # fmt: skip
    assert all([a["account_id"] for a in c["accounts"]] == [world.own_account]
               for c in one["challenges"])  # fmt: skip


def test_a_limited_token_sees_its_accounts_only(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/sensitivity", headers=auth(world.restricted)).json()
    for c in body["challenges"]:
        assert {a["account_id"] for a in c["accounts"]} <= {world.own_account}
        assert "median_mde_points" not in c and "summary" not in c
