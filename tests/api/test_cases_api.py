"""Cases through the REST API: roles × account limits on every case route, the
work-list filters and paging, history, refused transitions (422 naming the allowed
statuses), the audit log, the closed-loop figures and who sees the person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_world import SECRET, World, auth, build_world
from case_world import CaseFacts, add_cases
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.cases import closed_loop
from b2bcx.server.settings import load_server_settings

Setup = tuple[World, CaseFacts, TestClient]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A world of its own with cases (the tests here write)."""
    world = build_world(tmp_path_factory.mktemp("cases-api"))
    facts = add_cases(world)
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as client:
        yield world, facts, client


def _items(client: TestClient, token: str, query: str = "") -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/cases?limit=1000{query}", headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def test_the_list_follows_the_cli_contract(setup: Setup) -> None:
    world, facts, client = setup
    items = _items(client, world.viewer)
    assert len(items) == facts.detractor_cases + 1
    keys = {"case_id", "rule", "account_id", "stakeholder_id", "status", "owner", "priority"}
    keys |= {"opened_at", "due_at", "overdue", "title", "interaction_ids", "finding", "allowed"}
    assert keys <= set(items[0])
    assert all(i["opened_at"].endswith("Z") for i in items)
    # overdue first, then by due time
    flags = [i["overdue"] for i in items]
    assert flags == sorted(flags, reverse=True)
    assert {i["rule"] for i in items} == {"detractor", "manual"}


def test_filters_and_paging(setup: Setup) -> None:
    world, facts, client = setup
    everything = _items(client, world.viewer)
    manual = _items(client, world.viewer, "&rule=manual")
    assert [i["case_id"] for i in manual] == [facts.manual_case]
    mine = _items(client, world.viewer, "&owner=Q.%20Tester")
    assert [i["case_id"] for i in mine] == [facts.manual_case]
    own = _items(client, world.viewer, f"&account_id={world.own_account}")
    assert own and {i["account_id"] for i in own} == {world.own_account}
    assert len(own) == sum(i["account_id"] == world.own_account for i in everything)
    assert _items(client, world.viewer, "&status=closed&status=in_progress") == [
        i for i in everything if i["status"] != "open"
    ]
    page = client.get("/api/v1/cases?limit=5&offset=5", headers=auth(world.viewer)).json()
    assert page["total"] == len(everything) and page["limit"] == 5 and page["offset"] == 5
    assert [i["case_id"] for i in page["items"]] == [i["case_id"] for i in everything[5:10]]
    assert page["next"] is not None and "offset=10" in page["next"]
    bad = client.get("/api/v1/cases?status=done", headers=auth(world.viewer))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def _patch(client: TestClient, token: str, case_id: str, **body: Any) -> Any:
    return client.patch(f"/api/v1/cases/{case_id}", headers=auth(token), json=body)


def _open(client: TestClient, token: str, account: str, **body: Any) -> Any:
    payload = {"account_id": account, "title": "Check the service contract", **body}
    return client.post("/api/v1/cases", headers=auth(token), json=payload)


def test_roles_and_account_limits_on_every_case_route(setup: Setup) -> None:
    world, facts, client = setup
    own, other = facts.own_case, facts.manual_case
    # viewers read everything they see, change nothing
    for token in (world.viewer, world.restricted):
        assert client.get(f"/api/v1/cases/{own}", headers=auth(token)).status_code == 200
        assert _patch(client, token, own, note="hello").status_code == 403
        assert _open(client, token, world.own_account).status_code == 403
        assert client.get("/api/v1/cases/results", headers=auth(token)).status_code == 200
    assert client.get(f"/api/v1/cases/{other}", headers=auth(world.viewer)).status_code == 200
    # a token limited to one account: others' cases do not exist for it
    limited = _items(client, world.restricted)
    assert limited and {i["account_id"] for i in limited} == {world.own_account}
    assert _items(client, world.restricted, f"&account_id={world.other_account}") == []
    for token in (world.restricted, world.restricted_analyst):
        r = client.get(f"/api/v1/cases/{other}", headers=auth(token))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = _patch(client, world.restricted_analyst, other, note="not mine")
    assert r.status_code == 404
    assert _open(client, world.restricted_analyst, world.other_account).status_code == 404
    # analysts and admins change and open; a limited analyst on its own account too
    for token in (world.analyst, world.admin, world.restricted_analyst):
        r = _patch(client, token, own, note=f"called back ({token[:14]})")
        assert r.status_code == 200, r.text
        made = _open(client, token, world.own_account, priority="high")
        assert made.status_code == 201, made.text
        assert made.json()["priority"] == "high" and made.json()["status"] == "open"
    nobody = client.get("/api/v1/cases/C-19990101-00000000", headers=auth(world.admin))
    assert nobody.status_code == 404


def test_opening_checks_the_person_and_the_title(setup: Setup) -> None:
    world, _, client = setup
    r = _open(client, world.analyst, world.own_account, stakeholder_id="STK-NOBODY")
    assert r.status_code == 404
    r = client.post(
        "/api/v1/cases", headers=auth(world.analyst), json={"account_id": world.own_account}
    )
    assert r.status_code == 422
    r = _open(client, world.analyst, "ACC-NOPE")
    assert r.status_code == 404


def test_a_case_moves_through_its_life_with_history(setup: Setup) -> None:
    world, _, client = setup
    made = _open(client, world.analyst, world.own_account, owner="test analyst").json()
    cid = made["case_id"]
    assert made["allowed"] == ["in_progress", "closed"]
    r = _patch(client, world.analyst, cid, status="in_progress")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert r.json()["first_response_at"] is not None
    assert _patch(client, world.analyst, cid, note="Spoke to the buyer").status_code == 200
    # closing needs an outcome
    r = _patch(client, world.analyst, cid, status="closed")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_change"
    assert "outcome" in r.json()["error"]["message"]
    r = _patch(client, world.analyst, cid, status="closed", outcome="Parts re-sent")
    assert r.status_code == 200 and r.json()["closed_at"] and r.json()["outcome"] == "Parts re-sent"
    # an invalid transition: 422 with the allowed statuses named
    r = _patch(client, world.analyst, cid, status="in_progress")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_change"
    assert "closed" in error["message"] and "open" in error["message"]
    assert error["details"] == [{"status": "closed", "allowed": ["open"]}]
    # nothing to change is refused too
    assert _patch(client, world.analyst, cid).status_code == 422
    detail = client.get(f"/api/v1/cases/{cid}", headers=auth(world.viewer)).json()
    kinds = [e["kind"] for e in detail["history"]]
    assert kinds == ["opened", "status", "note", "status"]
    assert {e["actor"] for e in detail["history"]} == {"test analyst"}
    assert detail["history"][2]["detail"] == {"note": "Spoke to the buyer"}
    assert detail["case"]["status"] == "closed" and detail["allowed"] == ["open"]
    # reopen
    r = _patch(client, world.analyst, cid, status="open", due_at="2031-01-02T09:00:00Z")
    assert r.status_code == 200 and r.json()["closed_at"] is None
    assert r.json()["due_at"] == "2031-01-02T09:00:00Z"


def test_every_write_is_audited(setup: Setup) -> None:
    world, facts, client = setup
    ok = _patch(client, world.analyst, facts.own_case, priority="high")
    assert ok.status_code == 200
    refused = _patch(client, world.analyst, facts.own_case, status="bogus")
    assert refused.status_code == 422  # a schema refusal never reaches the route
    bad = _patch(client, world.analyst, facts.own_case, status="open", note=None)
    assert bad.status_code == 422  # the case is open already: nothing to change
    made = _open(client, world.analyst, world.own_account)
    log = client.get("/api/v1/audit?limit=1000", headers=auth(world.admin)).json()["items"]
    analyst = client.get("/api/v1/me", headers=auth(world.analyst)).json()["token_id"]
    mine = [e for e in log if e["token_id"] == analyst]
    patches = [e for e in mine if e["action"] == "PATCH /api/v1/cases"]
    assert any(e["status"] == 200 and e["target"] == facts.own_case for e in patches)
    assert any(e["status"] == 422 and "error" in e["detail"] for e in patches)
    assert any(e["action"] == "POST /api/v1/cases" and e["status"] == 201 for e in mine)
    # the case's own audit entry, written in its transaction
    changes = [e for e in mine if e["action"] == "case.updated"]
    assert any(e["target"] == f"case {facts.own_case}" for e in changes)
    assert any(e["target"] == f"case {made.json()['case_id']}" for e in mine)


def test_results_are_the_library_figures_over_the_visible_cases(setup: Setup) -> None:
    world, _, client = setup
    everyone = client.get("/api/v1/cases/results", headers=auth(world.viewer)).json()
    limited = client.get("/api/v1/cases/results", headers=auth(world.restricted)).json()
    assert everyone["n_cases"] == len(_items(client, world.viewer))
    assert limited["n_cases"] == len(_items(client, world.restricted)) < everyone["n_cases"]
    with b2bcx.open_workspace(world.path) as ws:
        expected = closed_loop(ws.backend).to_dict()
    for key in ("n_cases", "n_open", "detractor_cases", "sla_decided", "sla_met"):
        assert everyone[key] == expected[key], key
    owners = {o["owner"]: o for o in everyone["by_owner"]}
    assert owners["Q. Tester"]["open"] == 1
    assert everyone["as_of"].endswith("Z")  # UTC, as every time the API gives
    assert everyone["follow_up"]["method"] == "paired t interval"


def _people(client: TestClient, token: str, account: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/stakeholders?account_id={account}&limit=5", headers=auth(token))
    assert r.status_code == 200
    items: list[dict[str, Any]] = r.json()["items"]
    assert items
    return items


@pytest.mark.parametrize(
    ("who", "shown"),
    [("viewer", False), ("analyst", True), ("admin", True), ("restricted", True)],
)
def test_the_person_is_shown_only_to_who_may_contact_them(
    setup: Setup, who: str, shown: bool
) -> None:
    world, facts, client = setup
    token = getattr(world, who)
    for person in _people(client, token, world.own_account):
        assert (person["name"] is not None) is shown
        assert (person["email"] is not None) is shown
        assert person["function"] is not None  # the rest of the record stays
        if shown:
            assert person["name"] == f"Person {person['stakeholder_id']}"
    detail = client.get(f"/api/v1/cases/{facts.own_case}", headers=auth(token)).json()
    assert detail["may_contact"] is shown
    assert detail["person"]["stakeholder_id"] == detail["case"]["stakeholder_id"]
    assert (detail["person"]["email"] is not None) is shown
    assert (
        detail["interactions"]
        and detail["interactions"][0]["interaction_id"] in (detail["case"]["interaction_ids"])
    )


def test_a_limited_token_sees_no_other_account_people(setup: Setup) -> None:
    world, _, client = setup
    r = client.get(
        f"/api/v1/stakeholders?account_id={world.other_account}", headers=auth(world.restricted)
    )
    assert r.json()["items"] == []
