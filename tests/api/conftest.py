"""Fixtures: a small demo world in a DuckDB file and an API client over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_world import SECRET, World, build_world
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A demo world of ~8,000 interactions (built once per test session)."""
    return build_world(tmp_path_factory.mktemp("api-world"))


@pytest.fixture(scope="session")
def client(world: World) -> Iterator[TestClient]:
    """A client of the API over the shared world (for reads)."""
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as c:
        yield c
