"""One definition of "at high risk" (issue 19 review): the dashboard's tiles, the
risk colours, the definition text and the report's executive summary all use
:data:`b2bcx.diagnose.risk.HIGH_RISK` (0.5, issue 16's "at risk above 50 %"),
so on one workspace they count the same accounts."""

from __future__ import annotations

import html as htmllib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, World, build_world, sign_in

import b2bcx
from b2bcx.analyses import AnalysisOptions
from b2bcx.api.app import create_app
from b2bcx.diagnose.risk import HIGH_RISK
from b2bcx.report import gather, render_report
from b2bcx.server.settings import load_server_settings
from b2bcx.server.views import HIGH_RISK as VIEWS_HIGH_RISK
from b2bcx.server.views import account_tiles
from b2bcx.web.app import mount_dashboard
from b2bcx.web.render import definition


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("high-risk"))


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, world.admin)
        yield c


@pytest.fixture(scope="module")
def report(world: World) -> tuple[str, list[dict[str, Any]]]:
    """The report's HTML and the diagnosis' accounts at risk it was made from."""
    with b2bcx.open_workspace(world.path) as ws:
        data = gather(ws.analyses(AnalysisOptions(n_boot=0)))
    return render_report(data), list(data.get("diagnosis")["at_risk"])


def _kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}"[^>]*>.*?<span class="value">([^<]*)</span>', html, re.S)
    assert found, f"no tile {name}"
    return found.group(1).strip()


def test_one_threshold_of_one_half() -> None:
    assert HIGH_RISK == 0.5 and VIEWS_HIGH_RISK is HIGH_RISK
    d = definition("high_risk")
    assert "50 %" in d.hover and "≥ 0.50" in d.formula
    assert "66" not in d.hover + d.formula + definition("risk").formula


def test_tiles_count_at_the_threshold() -> None:
    rows = [{"risk": HIGH_RISK}, {"risk": HIGH_RISK - 1e-9}, {"risk": 0.6}, {"risk": None}]
    tiles = account_tiles(rows)
    assert tiles["n_high_risk"] == 2 and tiles["n_unknown"] == 1


def test_dashboard_and_report_count_the_same_accounts(
    client: TestClient, report: tuple[str, list[dict[str, Any]]]
) -> None:
    html, at_risk = report
    expected = sum(1 for r in at_risk if r["risk"] is not None and r["risk"] >= 0.5)
    # the demo world has accounts between 0.5 and the old dashboard's 0.66: the
    # two counts differed before the threshold was shared
    assert any(r["risk"] is not None and 0.5 <= r["risk"] < 0.66 for r in at_risk)
    summary = html[html.index('id="executive-summary"') :]
    found = re.search(r"(\d+) of (\d+) accounts at high risk", htmllib.unescape(summary))
    assert found, "no high-risk count in the executive summary"
    page = client.get("/").text
    assert int(found.group(1)) == expected
    assert int(_kpi(page, "listed-risk")) == expected
    assert int(_kpi(page, "change-high-risk")) == expected
    assert "a risk of 50 % or more" in page


def test_risk_badges_are_red_from_the_threshold(
    client: TestClient, report: tuple[str, list[dict[str, Any]]]
) -> None:
    _, at_risk = report
    between = next(r for r in at_risk if r["risk"] is not None and 0.5 <= r["risk"] < 0.66)
    page = client.get(f"/accounts/{between['account_id']}").text
    assert f'class="risk high">{round(between["risk"] * 100)}%' in page
