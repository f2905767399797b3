"""Every read endpoint answers with the documented shape, from the library's numbers."""

from __future__ import annotations

from api_world import World, auth
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.measures.collective import measure_units


def test_health_needs_no_token(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_me_names_the_token(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/me", headers=auth(world.restricted)).json()
    assert body["role"] == "viewer" and body["accounts"] == [world.own_account]


def test_accounts_carry_the_library_measures(client: TestClient, world: World) -> None:
    r = client.get(
        "/api/v1/accounts", params={"limit": 1000, "sort": "account_id"}, headers=auth(world.viewer)
    )
    assert r.status_code == 200
    body = r.json()
    with b2bcx.open_workspace(world.path) as ws:
        units = measure_units(ws.backend).units.set_index("account_id")
        n_accounts = ws.backend.execute("SELECT count(*) FROM accounts")[0][0]
    assert body["total"] == n_accounts
    ids = [a["account_id"] for a in body["items"]]
    assert ids == sorted(ids)
    for a in body["items"]:
        if a["account_id"] in units.index:
            assert abs(a["cx"] - units.loc[a["account_id"], "cx"]) < 1e-9
            assert a["verdict"] == units.loc[a["account_id"], "verdict"]


def test_accounts_page_and_next_link(client: TestClient, world: World) -> None:
    first = client.get(
        "/api/v1/accounts", params={"limit": 5, "sort": "name"}, headers=auth(world.viewer)
    ).json()
    assert len(first["items"]) == 5 and first["next"]
    second = client.get(first["next"], headers=auth(world.viewer)).json()
    assert second["offset"] == 5
    assert not {a["account_id"] for a in first["items"]} & {
        a["account_id"] for a in second["items"]
    }


def test_bad_sort_is_a_422_envelope(client: TestClient, world: World) -> None:
    r = client.get("/api/v1/accounts", params={"sort": "nonsense"}, headers=auth(world.viewer))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_account_page_parts(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    a = world.own_account
    detail = client.get(f"/api/v1/accounts/{a}", headers=h).json()
    assert detail["account"]["account_id"] == a and detail["summary"]["account_id"] == a
    people = client.get(f"/api/v1/accounts/{a}/people", headers=h).json()
    assert people and all(p["account_id"] == a for p in people)
    assert {"function", "level", "cx", "rwg", "verdict"} <= set(people[0])
    journeys = client.get(f"/api/v1/accounts/{a}/journeys", headers=h).json()
    assert journeys and all(j["journey"]["account_id"] == a for j in journeys)
    cells = client.get(f"/api/v1/accounts/{a}/touchpoints", headers=h).json()
    assert cells and {c["controller"] for c in cells} <= {
        "supplier",
        "partner",
        "customer",
        "external",
    }
    comments = client.get(f"/api/v1/accounts/{a}/comments", params={"limit": 3}, headers=h)
    assert comments.status_code == 200
    assert all(c["account_id"] == a and c["comment"] for c in comments.json()["items"])
    trend = client.get(f"/api/v1/accounts/{a}/trend", headers=h).json()
    assert trend and all(t["account_id"] == a for t in trend)


def test_interactions_filter_and_page(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    r = client.get(
        "/api/v1/interactions",
        params={"account_id": world.own_account, "limit": 7, "source": "survey"},
        headers=h,
    ).json()
    assert r["total"] > 0 and len(r["items"]) == min(7, r["total"])
    assert all(i["account_id"] == world.own_account and i["source"] == "survey" for i in r["items"])
    times = [i["occurred_at"] for i in r["items"]]
    assert times == sorted(times, reverse=True)
    one = r["items"][0]["interaction_id"]
    got = client.get(f"/api/v1/interactions/{one}", headers=h).json()
    assert got["interaction_id"] == one


def test_interactions_since_until(client: TestClient, world: World) -> None:
    r = client.get(
        "/api/v1/interactions",
        params={"since": "2025-01-01", "until": "2025-02-01", "limit": 1000},
        headers=auth(world.viewer),
    ).json()
    assert all("2025-01-01" <= i["occurred_at"] < "2025-02-01" for i in r["items"])


def test_stakeholders_and_journeys(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    s = client.get("/api/v1/stakeholders", params={"level": "executive"}, headers=h).json()
    assert s["total"] > 0 and all(p["level"] == "executive" for p in s["items"])
    j = client.get("/api/v1/journeys", params={"account_id": world.own_account}, headers=h)
    assert all(x["account_id"] == world.own_account for x in j.json()["items"])


def test_catalogue_and_partners(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    tps = client.get("/api/v1/touchpoints", params={"controller": "partner"}, headers=h).json()
    assert tps and all(t["controller"] == "partner" for t in tps)
    cards = client.get("/api/v1/partners/scorecards", headers=h).json()
    assert cards and all("touchpoints" in c for c in cards)
    pid = cards[0]["partner_id"]
    assert client.get(f"/api/v1/partners/{pid}", headers=h).json()["partner_id"] == pid
    assert client.get("/api/v1/partners/NOPE", headers=h).status_code == 404
    perf = client.get("/api/v1/touchpoints/performance", headers=h).json()
    assert perf and {"driver", "performance", "share"} <= set(perf[0])
    by = client.get("/api/v1/controllers", headers=h).json()
    assert {c["controller"] for c in by} <= {"supplier", "partner", "customer", "external"}


def test_measures(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    units = client.get("/api/v1/measures/units", params={"by": "function"}, headers=h).json()
    assert units["by"] == "function" and units["units"] and units["portfolio"]["icc1"] is not None
    cells = client.get("/api/v1/measures/map", headers=h).json()["cells"]
    assert len(cells) == 16
    trend = client.get("/api/v1/measures/trend", headers=h).json()
    assert trend and "score" in trend[0]
    drivers = client.get("/api/v1/measures/drivers", headers=h).json()
    assert drivers["drivers"] == "goals" and drivers["table"]


def test_findings_follow_the_diagnose_contract(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    page = client.get("/api/v1/findings", params={"limit": 1000}, headers=h).json()
    assert page["total"] == len(page["items"])
    sev = [f["severity"] for f in page["items"]]
    assert sev == sorted(sev, reverse=True)
    for f in page["items"]:
        assert f["challenge"] in {"C1", "C2", "C3", "C4", "C5"} and f["actions"]
    c4 = client.get("/api/v1/findings", params={"challenge": "C4"}, headers=h).json()
    assert all(f["challenge"] == "C4" for f in c4["items"])
    risk = client.get("/api/v1/at-risk", headers=h).json()["items"]
    assert risk and all(0 <= r["risk"] <= 1 for r in risk)
    prios = client.get("/api/v1/priorities", headers=h).json()["items"]
    assert [p["rank"] for p in prios] == sorted(p["rank"] for p in prios)


def test_strategy(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    prof = client.get("/api/v1/strategy/profile", headers=h).json()
    assert prof["level"] == "portfolio" and prof["rows"]
    assessment = client.get("/api/v1/strategy/assessment", headers=h).json()
    assert {"impact", "scope", "archetype"} <= set(assessment)
    assert assessment["scope"]["data"] is not None
    plan = client.get("/api/v1/strategy/plan", headers=h).json()
    assert [s["step"] for s in plan["steps"]] == [1, 2, 3, 4]


def test_text_says_plainly_when_nothing_was_analysed(client: TestClient, world: World) -> None:
    r = client.get("/api/v1/text/insights", headers=auth(world.viewer))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "not_available"
    assert "text analyze" in r.json()["error"]["message"]


def test_workspace_summary(client: TestClient, world: World) -> None:
    body = client.get("/api/v1/workspace", headers=auth(world.viewer)).json()
    assert body["counts"]["accounts"] > 0 and body["schema_version"] >= 4
