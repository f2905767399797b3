"""Fixtures: the shared demo world (see tests/api/api_world.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import World, build_world


@pytest.fixture(scope="session")
def report_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A demo world of its own."""
    return build_world(tmp_path_factory.mktemp("report-world"))
