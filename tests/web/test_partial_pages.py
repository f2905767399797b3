"""A cold server's pages answer at once and fill in by themselves (partial pages)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.results import PENDING_REASON
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import PAGE_REFRESH_SECONDS, mount_dashboard

PAGES = ["/", "/touchpoints", "/text", "/strategy", "/readiness", "/cases"]


@pytest.fixture()
def cold(web_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(
        workspace=str(web_world.path), secret=SECRET, warm=False, partial_pages=True
    )
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.viewer)
        yield c


def _complete(client: TestClient, path: str, limit: float = 300.0) -> float:
    """Seconds until ``path`` answers without a part still being computed."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        r = client.get(path)
        assert r.status_code == 200, r.text[:500]
        if "Refresh" not in r.headers:
            assert PENDING_REASON not in r.text
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{path} still incomplete after {limit} s")


@pytest.mark.slow
def test_cold_pages_answer_at_once_then_fill_in(cold: TestClient, web_world: World) -> None:
    first = cold.get("/")
    assert first.status_code == 200
    # nothing is computed yet: the page says so and asks to be reloaded
    assert first.headers["Refresh"] == str(PAGE_REFRESH_SECONDS)
    assert first.headers["Cache-Control"] == "no-store"
    assert PENDING_REASON in first.text
    # "what needs attention" says it is not known yet, never "no account at risk"
    assert 'data-pending="risk"' in first.text and 'data-pending="causes"' in first.text
    assert "No account with a known risk" not in first.text
    # every page answers meanwhile (none breaks on a result it does not have yet)
    for path in [*PAGES, f"/accounts/{web_world.own_account}"]:
        assert cold.get(path).status_code == 200, path
    for path in [*PAGES, f"/accounts/{web_world.own_account}"]:
        _complete(cold, path)
    # the API never answers with a part missing
    body = cold.get(
        "/api/v1/accounts", headers={"Authorization": f"Bearer {web_world.viewer}"}
    ).json()
    assert body["items"] and all("verdict" in a for a in body["items"])


def test_pages_wait_for_complete_results_unless_asked(web_world: World) -> None:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    assert settings.partial_pages is False
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.viewer)
        r = c.get("/touchpoints")
        assert r.status_code == 200 and "Refresh" not in r.headers
        assert PENDING_REASON not in r.text
