"""How the browser tests start the dashboard, launch Chromium, sign in and
where screenshots go: one copy for every ``*_browser.py`` module (and the
``live_server``/``browser`` fixtures of ``conftest.py``)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from b2bcx.server.settings import ServerSettings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Saved as CI artifacts; ``B2BCX_SCREENSHOTS`` puts them elsewhere (a tmp folder).
SCREENSHOTS = Path(
    os.environ.get("B2BCX_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)


def free_port() -> int:
    """A loopback port nothing listens on (at the time asked)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_dashboard(settings: ServerSettings, *, start_within: float = 30.0) -> Iterator[str]:
    """The API with the dashboard mounted, served by uvicorn in a thread on a
    loopback port: yields its base URL and stops the server afterwards.

    ``start_within``: seconds the server may take to start (a warm start
    computes the results first).
    """
    import uvicorn

    from b2bcx.api.app import create_app
    from b2bcx.web.app import mount_dashboard

    port = free_port()
    app = create_app(settings, mount=(mount_dashboard,))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + start_within
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (the test is skipped
    where Playwright is not installed); closed afterwards."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_tab(
    browser: Any, base_url: str, *, width: int = 1300, height: int = 900, **options: Any
) -> Iterator[Any]:
    """A page in a browser context of its own on ``base_url`` (a ``width`` ×
    ``height`` viewport; ``options`` go to ``new_context``); the context is
    closed afterwards."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=base_url, **options
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(tab: Any, token: str) -> None:
    """Sign ``tab`` in with ``token`` through the sign-in form and wait for the portfolio."""
    tab.goto("/")
    tab.fill("#token", token)
    tab.click("form[action='/signin'] button[type=submit]")
    tab.wait_for_url("**/")


def shot(tab: Any, name: str) -> Path:
    """A full-page screenshot of ``tab`` as ``SCREENSHOTS/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(out), full_page=True)
    return out
