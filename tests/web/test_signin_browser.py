"""Signing in as a person in a real browser (Debian's Chromium via Playwright):
with a login and password, and with single sign-on through a real OpenID
Connect provider started in the test (another origin, its own sign-in page);
screenshots under ``build/screenshots/``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import SECRET, World, build_world
from browser_setup import new_tab, serve_dashboard
from browser_setup import shot as _shot

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider, running_provider

import b2bcx
from b2bcx.server.users import create_user, get_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "a browser's long password"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = build_world(tmp_path_factory.mktemp("signin-browser"), size=1500, seed=3)
    with b2bcx.open_workspace(made.path) as ws:
        create_user(ws.backend, login="rita", role="analyst", password=PASSWORD,
                    display_name="Rita Holm")  # fmt: skip
    return made


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    with running_provider(
        sub="idp-77", email="sam@example.com", email_verified=True, name="Sam Idp",
        groups=["cx-view"],
    ) as p:  # fmt: skip
        p.interactive = True
        yield p


@pytest.fixture(scope="module")
def server(world: World, provider: TestProvider) -> Iterator[str]:
    from b2bcx.server.settings import load_server_settings

    settings = load_server_settings(
        workspace=str(world.path),
        secret=SECRET,
        warm=False,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_role_claim="groups",
        oidc_role_map={"cx-view": "viewer"},
        oidc_label="Test IdP",
    )
    with serve_dashboard(settings) as url:
        yield url


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    with new_tab(browser, server, width=1200) as tab:
        yield tab


def _session_cookie(page: Any) -> dict[str, Any]:
    return next(c for c in page.context.cookies() if c["name"] == "b2bcx_session")


def test_password_sign_in_and_out(page: Any) -> None:
    page.goto("/cases")
    assert "/signin" in page.url
    _shot(page, "signin-page")
    page.fill("#login", "Rita")
    page.fill("#password", "not the password")
    page.click("#password-form button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "The login or the password is wrong."
    page.fill("#login", "rita")
    page.fill("#password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_url("**/cases")
    assert "Rita Holm" in page.content()
    cookie = _session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    _shot(page, "signin-password-done")
    page.locator("form[action='/signout'] button").first.click()
    page.wait_for_url("**/signin")
    page.goto("/cases")
    assert "/signin" in page.url


def test_single_sign_on_through_the_provider(page: Any, world: World) -> None:
    page.goto("/signin?next=/cases")
    page.click("#oidc-signin")
    page.wait_for_selector("#approve")  # the provider's own page, on its origin
    assert page.url.startswith("http://127.0.0.1:") and "/authorize?" in page.url
    assert "code_challenge=" in page.url and "nonce=" in page.url
    _shot(page, "signin-oidc-provider")
    page.click("#approve")
    page.wait_for_url("**/cases")
    assert "Sam Idp" in page.content()
    assert not any(c["name"] == "b2bcx_oidc" for c in page.context.cookies())
    _shot(page, "signin-oidc-done")
    with b2bcx.open_workspace(world.path) as ws:
        user = get_user(ws.backend, "sam@example.com")
    assert user is not None and user.role.value == "viewer" and user.oidc_subject is not None


def test_the_token_form_is_still_there(page: Any, world: World) -> None:
    page.goto("/")
    page.fill("#token", world.viewer)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url("**/")
    assert _session_cookie(page)
