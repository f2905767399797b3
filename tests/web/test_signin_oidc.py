"""Single sign-on (OpenID Connect) against a real provider started in the test
(:mod:`oidc_provider`: RS256-signed id_tokens, a real JWKS, PKCE checked):
the code flow with state, nonce and PKCE, the id_token's checks, users made
or matched per the claim mapping, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from api_world import SECRET, World, build_world
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider, running_provider

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server import oidc
from b2bcx.server.sessions import SESSION_COOKIE
from b2bcx.server.settings import load_server_settings
from b2bcx.server.users import create_user, get_user
from b2bcx.web.app import mount_dashboard

GOOD = {
    "sub": "u-1001",
    "email": "Nora.Lind@Example.com",
    "email_verified": True,
    "name": "Nora Lind",
    "groups": ["staff", "cx-team"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("oidc-world"), size=1500, seed=3)


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    with running_provider(**GOOD) as p:
        yield p


def _settings(world: World, provider: TestProvider, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "workspace": str(world.path),
        "secret": SECRET,
        "warm": False,
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_role_claim": "groups",
        "oidc_role_map": {"cx-admins": "admin", "cx-team": "analyst", "cx-view": "viewer"},
        "oidc_accounts_claim": "b2bcx_accounts",
        "oidc_label": "Test IdP",
        "auth_failures": 50,
    }
    values.update(extra)
    return load_server_settings(**values)


@pytest.fixture(scope="module")
def client(world: World, provider: TestProvider) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(world, provider), mount=(mount_dashboard,))) as c:
        yield c


@pytest.fixture(autouse=True)
def _reset(provider: TestProvider) -> Iterator[None]:
    provider.claims = dict(GOOD)
    provider.tamper = None
    yield
    provider.claims = dict(GOOD)
    provider.tamper = None


def _start(client: TestClient, next_path: str = "/") -> str:
    """GET /signin/oidc; the provider's authorization URL it redirects to."""
    client.cookies.clear()
    r = client.get(f"/signin/oidc?next={next_path}", follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def _at_provider(url: str) -> str:
    """The browser at the provider: the callback path it is sent back to."""
    r = httpx.get(url, follow_redirects=False)
    assert r.status_code == 303, r.text
    back = str(r.headers["location"])
    assert back.startswith("http://testserver/signin/oidc/callback?")
    return back.removeprefix("http://testserver")


def _sso(client: TestClient, next_path: str = "/") -> httpx.Response:
    return client.get(_at_provider(_start(client, next_path)), follow_redirects=False)


def _audit(world: World) -> list[dict[str, Any]]:
    from b2bcx.storage import authstore

    with b2bcx.open_workspace(world.path) as ws:
        return authstore.read_audit(ws.backend, limit=500)[1]


def test_the_authorization_request_has_state_nonce_and_pkce(
    client: TestClient, provider: TestProvider
) -> None:
    url = _start(client)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == provider.issuer and parts.path == "/authorize"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
    assert q["scope"].split()[0] == "openid" and "email" in q["scope"].split()
    assert q["redirect_uri"] == "http://testserver/signin/oidc/callback"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 40 and len(q["nonce"]) >= 40 and q["state"] != q["nonce"]
    again = {k: v[0] for k, v in parse_qs(urlsplit(_start(client)).query).items()}
    assert again["state"] != q["state"] and again["code_challenge"] != q["code_challenge"]
    # the secrets stay in a signed HTTP-only cookie, not in the page
    cookie = client.cookies.get("b2bcx_oidc")
    assert cookie and q["state"] not in cookie


def test_begin_challenge_is_the_s256_of_the_verifier(provider: TestProvider) -> None:
    settings = load_server_settings(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID)
    started = oidc.begin(settings, "http://x/cb", provider=oidc.Provider(provider.issuer))
    q = {k: v[0] for k, v in parse_qs(urlsplit(started.url).query).items()}
    digest = hashlib.sha256(started.verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(started.verifier) <= 128


def test_first_sign_in_makes_the_user_the_claims_map_to(
    client: TestClient, provider: TestProvider, world: World
) -> None:
    provider.claims = {**GOOD, "b2bcx_accounts": [world.own_account]}
    r = _sso(client, "/cases")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/cases"
    assert SESSION_COOKIE in r.cookies or client.cookies.get(SESSION_COOKIE)
    # the provider got the PKCE verifier and the client secret (Basic)
    last = provider.token_requests[-1]
    assert last["grant_type"] == "authorization_code" and len(last["code_verifier"]) >= 43
    with b2bcx.open_workspace(world.path) as ws:
        user = get_user(ws.backend, "nora.lind@example.com")
    assert user is not None
    assert user.display_name == "Nora Lind" and user.role.value == "analyst"
    assert user.accounts == (world.own_account,)
    assert user.oidc_subject == f"{provider.issuer} u-1001" and not user.has_password
    assert user.last_signin_at is not None
    # the session works, limited to the user's account
    assert client.get(f"/accounts/{world.own_account}").status_code == 200
    assert client.get(f"/accounts/{world.other_account}").status_code == 404
    entries = [e for e in _audit(world) if e["target"] == "user:nora.lind@example.com"]
    assert {e["status"] for e in entries} >= {201, 303}


def test_later_sign_ins_match_by_subject_and_follow_the_claims(
    client: TestClient, provider: TestProvider, world: World
) -> None:
    provider.claims = {**GOOD, "email": "nora@renamed.example", "groups": ["cx-admins"]}
    r = _sso(client)
    assert r.status_code == 303, r.text
    with b2bcx.open_workspace(world.path) as ws:
        user = get_user(ws.backend, "nora.lind@example.com")
        assert get_user(ws.backend, "nora@renamed.example") is None
    assert user is not None and user.role.value == "admin" and user.accounts is None


def test_a_verified_email_links_an_existing_password_user(
    client: TestClient, provider: TestProvider, world: World
) -> None:
    with b2bcx.open_workspace(world.path) as ws:
        create_user(ws.backend, login="ola@example.com", role="viewer", password="p" * 14)
    provider.claims = {**GOOD, "sub": "u-2002", "email": "ola@example.com", "email_verified": False}
    r = _sso(client)
    assert r.status_code == 401 and "verify it" in r.text
    provider.claims = {**GOOD, "sub": "u-2002", "email": "ola@example.com"}
    assert _sso(client).status_code == 303
    with b2bcx.open_workspace(world.path) as ws:
        user = get_user(ws.backend, "ola@example.com")
    assert user is not None and user.oidc_subject == f"{provider.issuer} u-2002"
    assert user.has_password  # the password still works beside single sign-on


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        ("aud", "another client"),
        ("iss", "another provider"),
        ("expired", "expired"),
        ("nonce", "nonce"),
        ("foreign_key", "signature"),
    ],
)
def test_an_id_token_that_does_not_verify_is_refused(
    client: TestClient, provider: TestProvider, world: World, tamper: str, says: str
) -> None:
    provider.claims = {**GOOD, "sub": f"tamper-{tamper}", "email": f"{tamper}@example.com"}
    provider.tamper = tamper
    r = _sso(client)
    assert r.status_code == 401, r.text
    assert says in r.text
    assert not client.cookies.get(SESSION_COOKIE)
    with b2bcx.open_workspace(world.path) as ws:
        assert get_user(ws.backend, f"{tamper}@example.com") is None
    refused = [e for e in _audit(world) if e["action"] == "GET /signin/oidc/callback"]
    assert refused[0]["status"] == 401 and refused[0]["detail"]["method"] == "oidc"


def test_a_callback_with_another_state_is_refused(client: TestClient) -> None:
    path = _at_provider(_start(client))
    forged = path.replace("state=", "state=x")
    r = client.get(forged, follow_redirects=False)
    assert r.status_code == 400 and "does not belong" in r.text


def test_a_callback_without_the_cookie_is_refused(client: TestClient) -> None:
    path = _at_provider(_start(client))
    client.cookies.clear()
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 400 and not client.cookies.get(SESSION_COOKIE)


def test_a_code_is_used_once(client: TestClient) -> None:
    path = _at_provider(_start(client))
    saved = client.cookies.get("b2bcx_oidc")
    assert client.get(path, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("b2bcx_oidc", str(saved))
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 401 and "refused the sign-in code" in r.text


def test_a_provider_error_is_shown(client: TestClient) -> None:
    url = _start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    r = client.get(
        f"/signin/oidc/callback?error=access_denied&error_description=You+said+no&state={state}",
        follow_redirects=False,
    )
    assert r.status_code == 401 and "You said no" in r.text


def test_no_mapped_role_means_no_user(
    client: TestClient, provider: TestProvider, world: World
) -> None:
    provider.claims = {**GOOD, "sub": "u-3003", "email": "guest@example.com", "groups": ["other"]}
    r = _sso(client)
    assert r.status_code == 401 and "no b2bcx role" in r.text
    with b2bcx.open_workspace(world.path) as ws:
        assert get_user(ws.backend, "guest@example.com") is None


def test_a_disabled_user_cannot_sign_on(
    client: TestClient, provider: TestProvider, world: World
) -> None:
    from b2bcx.server.users import disable_user, enable_user

    provider.claims = {**GOOD, "sub": "u-4004", "email": "gone@example.com"}
    assert _sso(client).status_code == 303
    with b2bcx.open_workspace(world.path) as ws:
        disable_user(ws.backend, "gone@example.com")
    assert client.get("/cases", follow_redirects=False).status_code == 303  # session ended
    r = _sso(client)
    assert r.status_code == 401 and "disabled" in r.text
    with b2bcx.open_workspace(world.path) as ws:
        enable_user(ws.backend, "gone@example.com")
    assert _sso(client).status_code == 303


def test_a_rotated_key_is_fetched_again(client: TestClient, provider: TestProvider) -> None:
    assert _sso(client).status_code == 303
    fetched = provider.jwks_fetches
    provider.rotate()
    assert _sso(client).status_code == 303
    assert provider.jwks_fetches == fetched + 1


def test_without_configuration_there_is_no_single_sign_on(world: World) -> None:
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        assert c.get("/signin/oidc", follow_redirects=False).status_code == 404
        assert "/signin/oidc" not in c.get("/signin").text


def test_the_sign_in_page_offers_the_provider(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/signin").text
    assert 'href="/signin/oidc?next=/"' in page or 'href="/signin/oidc?next=%2F"' in page
    assert "Sign in with Test IdP" in page


def test_an_http_issuer_off_this_machine_is_refused() -> None:
    from b2bcx.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="https"):
        oidc.Provider("http://idp.example.com")
    oidc.Provider("https://idp.example.com")  # fine


def test_an_unreachable_provider_is_said_plainly(world: World) -> None:
    from oidc_provider import free_port

    settings = _settings(world, TestProvider(), oidc_issuer=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        r = c.get("/signin/oidc", follow_redirects=False)
    assert r.status_code == 502 and "could not be reached" in r.text


def test_identity_mapping_takes_the_highest_role_and_a_string_scope() -> None:
    settings = load_server_settings(
        oidc_issuer="https://idp.example",
        oidc_client_id="c",
        oidc_role_claim="roles",
        oidc_role_map={"r-view": "viewer", "r-admin": "admin", "r-an": "analyst"},
        oidc_accounts_claim="accts",
    )
    claims = {"iss": "https://idp.example", "sub": "7", "email": "A@B.example",
              "roles": ["r-view", "r-admin", "r-an"], "accts": "ACC-2, ACC-1"}  # fmt: skip
    ident = oidc.identity_of(settings, claims)
    assert ident.role is not None and ident.role.value == "admin"
    assert ident.accounts == ("ACC-1", "ACC-2") and ident.login == "a@b.example"
    assert ident.subject == "https://idp.example 7" and ident.display_name == "a@b.example"
    assert oidc.identity_of(settings, {**claims, "roles": "r-view"}).role.value == "viewer"  # type: ignore[union-attr]
    assert oidc.identity_of(settings, {**claims, "roles": []}).role is None
    with pytest.raises(oidc.OidcError, match="email"):
        oidc.identity_of(settings, {"iss": "x", "sub": "1"})
