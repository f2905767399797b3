"""Fixtures: a world with analysed text, the dashboard served on a loopback port
by uvicorn in a thread, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, World, build_world
from case_world import CaseFacts, add_cases

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(web_world: World) -> Iterator[str]:
    """The dashboard on http://127.0.0.1:PORT, results computed before the first test."""
    import uvicorn

    port = _free_port()
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=True)
    app = create_app(settings, mount=(mount_dashboard,))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
