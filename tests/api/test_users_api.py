"""People's accounts through the API (admin only) and what the API says of
them: users made, listed, disabled and given passwords, the audit log of
their sign-ins, and that a user's dashboard session is no API credential."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_world import SECRET, World, auth, build_world
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.sessions import SESSION_COOKIE
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard

PARAMS = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def users_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("users-api"), size=1500, seed=3)


@pytest.fixture(scope="module")
def api(users_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(
        workspace=str(users_world.path), secret=SECRET, warm=False, **PARAMS
    )
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c


def _signin(client: TestClient, login: str, password: str) -> Any:
    client.cookies.clear()
    form = client.get("/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    return client.post(
        "/signin/password",
        data={"login": login, "password": password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )


def test_an_admin_adds_a_user_who_then_signs_in(api: TestClient, users_world: World) -> None:
    body = {"login": "Mia.Stone", "role": "analyst", "name": "Mia Stone", "password": PASSWORD}
    r = api.post("/api/v1/users", json=body, headers=auth(users_world.admin))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["login"] == "mia.stone" and made["role"] == "analyst"
    assert made["has_password"] is True and made["disabled"] is False
    assert "password" not in made and "password_hash" not in made
    assert _signin(api, "mia.stone", PASSWORD).status_code == 303
    listed = api.get("/api/v1/users", headers=auth(users_world.admin)).json()
    mia = next(u for u in listed if u["login"] == "mia.stone")
    assert mia["last_signin_at"] is not None
    assert all("password_hash" not in u for u in listed)


def test_a_scoped_user_and_a_single_sign_on_user(api: TestClient, users_world: World) -> None:
    body = {"login": "kam2", "role": "viewer", "accounts": [users_world.own_account]}
    r = api.post("/api/v1/users", json=body, headers=auth(users_world.admin))
    assert r.status_code == 201, r.text
    assert r.json()["accounts"] == [users_world.own_account]
    assert r.json()["has_password"] is False  # single sign-on only
    assert _signin(api, "kam2", "anything at all!").status_code == 401
    bad = {"login": "kam3", "role": "viewer", "accounts": ["NO-SUCH-ACCOUNT"]}
    assert api.post("/api/v1/users", json=bad, headers=auth(users_world.admin)).status_code == 404


def test_bad_requests_are_refused(api: TestClient, users_world: World) -> None:
    admin = auth(users_world.admin)
    short = {"login": "x1", "role": "viewer", "password": "short"}
    assert api.post("/api/v1/users", json=short, headers=admin).status_code == 422
    weird = {"login": "has space", "role": "viewer"}
    assert api.post("/api/v1/users", json=weird, headers=admin).status_code == 422
    role = {"login": "x2", "role": "owner"}
    assert api.post("/api/v1/users", json=role, headers=admin).status_code == 422
    again = {"login": "MIA.STONE", "role": "viewer"}
    r = api.post("/api/v1/users", json=again, headers=admin)
    assert r.status_code == 400 and "already" in r.json()["error"]["message"]
    assert api.delete("/api/v1/users/nobody", headers=admin).status_code == 404


@pytest.mark.parametrize("who", ["analyst", "viewer", "restricted"])
def test_only_an_unrestricted_admin_manages_users(
    api: TestClient, users_world: World, who: str
) -> None:
    token = getattr(users_world, who)
    assert api.get("/api/v1/users", headers=auth(token)).status_code == 403
    body = {"login": f"by-{who}", "role": "admin", "password": PASSWORD}
    assert api.post("/api/v1/users", json=body, headers=auth(token)).status_code == 403
    assert api.get("/api/v1/users").status_code == 401


def test_disable_and_password_end_sessions(api: TestClient, users_world: World) -> None:
    admin = auth(users_world.admin)
    body = {"login": "leo", "role": "viewer", "password": PASSWORD}
    assert api.post("/api/v1/users", json=body, headers=admin).status_code == 201
    assert _signin(api, "leo", PASSWORD).status_code == 303
    assert api.get("/cases", follow_redirects=False).status_code == 200
    new = {"password": "the second password"}
    assert api.put("/api/v1/users/leo/password", json=new, headers=admin).status_code == 204
    assert api.get("/cases", follow_redirects=False).status_code == 303
    assert _signin(api, "leo", PASSWORD).status_code == 401
    assert _signin(api, "leo", new["password"]).status_code == 303
    assert api.delete("/api/v1/users/leo", headers=admin).status_code == 204
    assert api.get("/cases", follow_redirects=False).status_code == 303
    assert _signin(api, "leo", new["password"]).status_code == 401
    leo = next(u for u in api.get("/api/v1/users", headers=admin).json() if u["login"] == "leo")
    assert leo["disabled"] is True and leo["disabled_at"] is not None


def test_the_audit_log_shows_user_writes_and_sign_ins(api: TestClient, users_world: World) -> None:
    admin = auth(users_world.admin)
    body = {"login": "zoe", "role": "viewer", "password": PASSWORD}
    assert api.post("/api/v1/users", json=body, headers=admin).status_code == 201
    assert _signin(api, "zoe", "wrong password!!").status_code == 401
    assert _signin(api, "zoe", PASSWORD).status_code == 303
    items = api.get("/api/v1/audit?limit=200", headers=admin).json()["items"]
    zoe = [e for e in items if e["target"] == "user:zoe"]
    got = [(e["action"], e["status"], e["token_id"]) for e in zoe]
    assert got[:3] == [
        ("POST /signin/password", 303, "user:zoe"),
        ("POST /signin/password", 401, None),
        ("POST /api/v1/users", 201, got[2][2]),
    ]
    assert got[2][2] is not None and not got[2][2].startswith("user:")  # the admin's token id
    assert zoe[0]["role"] == "viewer" and zoe[0]["detail"]["method"] == "password"
    assert zoe[1]["detail"]["reason"] == "wrong_password"


def test_a_user_session_is_no_api_credential(api: TestClient, users_world: World) -> None:
    admin = auth(users_world.admin)
    body = {"login": "ivy", "role": "admin", "password": PASSWORD}
    assert api.post("/api/v1/users", json=body, headers=admin).status_code == 201
    assert _signin(api, "ivy", PASSWORD).status_code == 303
    assert api.cookies.get(SESSION_COOKIE)
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/users").status_code == 401
