"""Fixtures: the shared demo world (see tests/api/api_world.py) and its report
results, gathered once per session."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import World, build_world

import b2bcx
from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.report import ReportData, gather


@pytest.fixture(scope="session")
def report_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A demo world of its own."""
    return build_world(tmp_path_factory.mktemp("report-world"))


class Gathered(NamedTuple):
    """The standard analyses of the report world and what the report took from them."""

    analyses: Analyses
    data: ReportData


@pytest.fixture(scope="session")
def gathered(report_world: World) -> Gathered:
    """The report's results of the report world, computed once (read them, do not
    change them: copy first)."""
    with b2bcx.open_workspace(report_world.path) as ws:
        a = ws.analyses(AnalysisOptions(n_boot=0))
        return Gathered(a, gather(a))
