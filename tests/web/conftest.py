"""Fixtures: a world with analysed text, the dashboard served on a loopback port
by uvicorn in a thread, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, World, build_world
from browser_setup import chromium, new_tab, serve_dashboard
from case_world import CaseFacts, add_cases

import b2bcx
from b2bcx.server.settings import load_server_settings


@pytest.fixture(scope="session")
def web_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, CaseFacts]:
    """A demo world whose comments were analysed (with the fast hashing encoder),
    with the cases the default alert rules open and named people."""
    world = build_world(tmp_path_factory.mktemp("web-world"))
    from b2bcx.text import HashingEncoder, analyze

    with b2bcx.open_workspace(world.path) as ws:
        analyze(ws.backend, encoder=HashingEncoder())
    return world, add_cases(world)


@pytest.fixture(scope="session")
def web_world(web_setup: tuple[World, CaseFacts]) -> World:
    """The web tests' world."""
    return web_setup[0]


@pytest.fixture(scope="session")
def web_cases(web_setup: tuple[World, CaseFacts]) -> CaseFacts:
    """The cases of the web world (made with it)."""
    return web_setup[1]


@pytest.fixture(scope="session")
def live_server(web_world: World) -> Iterator[str]:
    """The dashboard on http://127.0.0.1:PORT, results computed before the first test."""
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=True)
    with serve_dashboard(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, one per test module (skips without Playwright)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A tab on the live dashboard (1300 × 900); the test fails if a request of
    the page failed. A module may define its own ``page``."""
    failed: list[str] = []
    with new_tab(browser, live_server) as tab:
        tab.on("requestfailed", lambda r: failed.append(r.url))
        yield tab
    assert not failed, f"requests failed: {failed}"
