"""Signing in to the dashboard with a login and password, in-process: the same
session cookie and CSRF as a token's, generic failures in constant work, rate
limits per address and per login, audit entries, re-hashing, disabling, roles
and account scopes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_world import SECRET, World, build_world, sign_in
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server import users
from b2bcx.server.sessions import SESSION_COOKIE, unsign
from b2bcx.server.settings import load_server_settings
from b2bcx.storage import authstore
from b2bcx.web.app import mount_dashboard

#: The server's argon2 parameters in these tests (cheap, but not the defaults).
PARAMS = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
#: Other parameters: a hash made with them is re-hashed at sign-in.
OLD = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = build_world(tmp_path_factory.mktemp("password-world"), size=1500, seed=3)
    with b2bcx.open_workspace(made.path) as ws:
        for login, role, accounts in [
            ("anna", "viewer", None),
            ("ben", "analyst", None),
            ("kam", "viewer", [made.own_account]),
            ("dora", "viewer", None),
            ("eve", "admin", None),
        ]:
            users.create_user(
                ws.backend,
                login=login,
                role=role,
                password=PASSWORD,
                display_name=login.title() + " Example",
                accounts=accounts,
                hasher=OLD,
            )
    return made


def _app(world: World, **extra: Any) -> Any:
    settings = load_server_settings(
        workspace=str(world.path), secret=SECRET, warm=False, **{**PARAMS, **extra}
    )
    return create_app(settings, mount=(mount_dashboard,))


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(_app(world)) as c:
        yield c


def _csrf(client: TestClient, next_path: str = "/") -> str:
    client.cookies.clear()
    form = client.get(f"/signin?next={next_path}")
    found = re.search(r'id="password-form".*?name="csrf_token" value="([^"]+)"', form.text, re.S)
    assert found, form.text
    return found.group(1)


def _post(client: TestClient, login: str, password: str, next_path: str = "/") -> Any:
    csrf = _csrf(client, next_path)
    return client.post(
        "/signin/password",
        data={"login": login, "password": password, "csrf_token": csrf, "next": next_path},
        follow_redirects=False,
    )


def _stored_hash(world: World, login: str) -> str:
    with b2bcx.open_workspace(world.path) as ws:
        row = authstore.get_user(ws.backend, login)
    assert row is not None
    return str(row["password_hash"])


def _audit(world: World) -> list[dict[str, Any]]:
    with b2bcx.open_workspace(world.path) as ws:
        return authstore.read_audit(ws.backend, limit=500)[1]


def test_the_page_offers_a_login_and_password_beside_the_token(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/signin").text
    assert 'action="/signin/password"' in page and 'action="/signin"' in page
    assert 'autocomplete="current-password"' in page and 'id="token"' in page
    assert "/signin/oidc" not in page  # single sign-on is not configured here


def test_sign_in_gives_the_same_signed_session_cookie(client: TestClient, world: World) -> None:
    r = _post(client, "Anna", PASSWORD, "/cases")  # logins are case-insensitive
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/cases"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    payload = unsign(SECRET.encode(), value)
    assert payload is not None and payload["tid"] == "user:anna"
    assert PASSWORD not in value
    page = client.get("/cases")
    assert page.status_code == 200 and "Anna Example" in page.text


def test_a_stale_hash_is_rehashed_with_the_server_parameters(
    client: TestClient, world: World
) -> None:
    before = _stored_hash(world, "ben")
    assert "m=512,t=1,p=1" in before
    assert _post(client, "ben", PASSWORD).status_code == 303
    after = _stored_hash(world, "ben")
    assert "m=1024,t=1,p=1" in after and after != before
    assert PasswordHasher().verify(after, PASSWORD)
    assert _post(client, "ben", PASSWORD).status_code == 303
    assert _stored_hash(world, "ben") == after  # current parameters: kept
    entries = [e for e in _audit(world) if e["target"] == "user:ben" and e["status"] == 303]
    assert [e["detail"]["rehashed"] for e in entries[:2]] == [False, True]  # newest first


def test_wrong_password_and_unknown_login_get_the_same_answer(
    client: TestClient, world: World
) -> None:
    wrong = _post(client, "dora", "not the password at all")
    unknown = _post(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    said = [re.search(r'role="alert">([^<]+)<', r.text) for r in (wrong, unknown)]
    assert said[0] and said[1] and said[0].group(1) == said[1].group(1)
    assert "wrong" in said[0].group(1)
    assert not client.cookies.get(SESSION_COOKIE)
    audit = _audit(world)
    reasons = {
        e["target"]: e["detail"]["reason"]
        for e in audit
        if e["action"] == "POST /signin/password" and e["status"] == 401
    }
    assert reasons["user:dora"] == "wrong_password" and reasons["user:nobody-here"] == "unknown"
    assert all(e["token_id"] is None for e in audit if e["status"] == 401)


def test_an_unknown_login_costs_one_argon2_check_as_a_known_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, digest: str | bytes, password: str | bytes) -> bool:
        calls.append(str(digest)[:30])
        return real(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with b2bcx.open_workspace(world.path) as ws:
        for login in ("dora", "nobody", "Not A Login!"):
            calls.clear()
            assert (
                users.check_password(ws.backend, login, "wrong password!", hasher=hasher).user
                is None
            )
            assert len(calls) == 1, login
            assert "m=1024,t=1,p=1" in calls[0] or login == "dora"


def test_csrf_is_required(client: TestClient) -> None:
    client.cookies.clear()
    client.get("/signin")
    r = client.post(
        "/signin/password",
        data={"login": "anna", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and not client.cookies.get(SESSION_COOKIE)


def test_failures_are_limited_per_address(world: World) -> None:
    with TestClient(_app(world, auth_failures=3), client=("10.0.0.1", 5000)) as c:
        for _ in range(3):
            assert _post(c, "dora", "wrong wrong wrong").status_code == 401
        r = _post(c, "dora", PASSWORD)  # even the right password waits
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "Too many" in r.text


def test_failures_are_limited_per_login_across_addresses(world: World) -> None:
    app = _app(world, auth_failures=3)  # clients without lifespan share its state
    try:
        for i in range(3):
            c = TestClient(app, client=(f"10.0.1.{i}", 5000))
            assert _post(c, "eve", "wrong wrong wrong").status_code == 401
        c = TestClient(app, client=("10.0.1.9", 5000))
        assert _post(c, "eve", PASSWORD).status_code == 429  # the login is resting
        assert _post(c, "anna", PASSWORD).status_code == 303  # other logins are not
    finally:
        app.state.b2bcx.close()


def test_disabling_ends_sessions_and_refuses_sign_in(client: TestClient, world: World) -> None:
    assert _post(client, "dora", PASSWORD).status_code == 303
    assert client.get("/cases", follow_redirects=False).status_code == 200
    with b2bcx.open_workspace(world.path) as ws:
        users.disable_user(ws.backend, "dora")
    assert client.get("/cases", follow_redirects=False).status_code == 303
    r = _post(client, "dora", PASSWORD)
    assert r.status_code == 401 and "disabled" in r.text
    assert _post(client, "dora", "a wrong password").status_code == 401
    assert "disabled" not in _post(client, "dora", "a wrong password").text
    with b2bcx.open_workspace(world.path) as ws:
        users.enable_user(ws.backend, "dora")
    assert _post(client, "dora", PASSWORD).status_code == 303


def test_a_new_password_ends_the_old_sessions(client: TestClient, world: World) -> None:
    assert _post(client, "eve", PASSWORD).status_code == 303
    with b2bcx.open_workspace(world.path) as ws:
        users.set_password(ws.backend, "eve", "a brand new password", hasher=OLD)
    assert client.get("/cases", follow_redirects=False).status_code == 303
    assert _post(client, "eve", PASSWORD).status_code == 401
    assert _post(client, "eve", "a brand new password").status_code == 303
    with b2bcx.open_workspace(world.path) as ws:
        users.set_password(ws.backend, "eve", PASSWORD, hasher=OLD)


def test_sign_out_ends_a_user_session(client: TestClient) -> None:
    assert _post(client, "anna", PASSWORD).status_code == 303
    page = client.get("/cases")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    old = client.cookies.get(SESSION_COOKIE)
    assert (
        client.post(
            "/signout", data={"csrf_token": csrf.group(1)}, follow_redirects=False
        ).status_code
        == 303
    )
    client.cookies.set(SESSION_COOKIE, str(old))
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_an_account_scope_limits_a_user_as_a_token(client: TestClient, world: World) -> None:
    assert _post(client, "kam", PASSWORD).status_code == 303
    assert client.get(f"/accounts/{world.own_account}").status_code == 200
    assert client.get(f"/accounts/{world.other_account}").status_code == 404


def test_a_viewer_user_cannot_import(client: TestClient, world: World) -> None:
    assert _post(client, "anna", PASSWORD).status_code == 303
    assert client.get("/import").status_code == 403


def test_token_sign_in_still_works(client: TestClient, world: World) -> None:
    sign_in(client, world.viewer, "/cases")
    assert client.get("/cases").status_code == 200


def test_a_users_writes_are_audited_under_its_subject(client: TestClient, world: World) -> None:
    assert _post(client, "anna", PASSWORD).status_code == 303
    r = client.post("/import", files={"file": ("b.zip", b"PK")}, follow_redirects=False)
    assert r.status_code == 403
    refused = next(e for e in _audit(world) if e["action"] == "POST /import")
    assert (refused["token_id"], refused["role"], refused["status"]) == ("user:anna", "viewer", 403)
