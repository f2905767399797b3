"""Issue 15 item 3 / UX #6: where a workspace has no cx ratings (the G2-like
case) the analyses fall back to NPS, and every page names the metric it shows
("collective NPS", never "collective CX"); "value-weighted" only when accounts
have contract values. The API's measures carry ``metric_label`` too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import sign_in

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.demo import generate_world
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.web.app import mount_dashboard

SECRET = "metric-names-" + "z" * 40
_REPORTS: dict[str, str] = {}  # the report of each workspace, as HTML


def _workspace(root: Path, *, drop_cx: bool, drop_values: bool) -> tuple[Path, str, str]:
    bundle = root / "bundle"
    generate_world(bundle, size=1500, seed=4)
    if drop_cx:
        interactions = pd.read_csv(bundle / "interactions.csv", dtype=str, keep_default_na=False)
        interactions.drop(columns=["cx"]).to_csv(bundle / "interactions.csv", index=False)
    if drop_values:
        accounts = pd.read_csv(bundle / "accounts.csv", dtype=str, keep_default_na=False)
        accounts.assign(annual_value="").to_csv(bundle / "accounts.csv", index=False)
    path = root / "ws.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(bundle)
        token = create_token(ws.backend, role="admin", name="labels").token
        account = str(ws.backend.execute("SELECT min(account_id) FROM accounts")[0][0])
    return path, token, account


@pytest.fixture(scope="module", params=["nps-only", "with-cx"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, TestClient, str, str]]:
    without_cx = request.param == "nps-only"
    path, token, account = _workspace(
        tmp_path_factory.mktemp(request.param), drop_cx=without_cx, drop_values=without_cx
    )
    from b2bcx.report.builder import gather, render_report

    with b2bcx.open_workspace(path, read_only=True) as ws:  # before the server holds it
        _REPORTS[request.param] = render_report(gather(ws.backend))
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as client:
        sign_in(client, token)
        yield request.param, client, account, token


def _body(html: str) -> str:
    """The page without its footer (the product's tagline speaks of collective CX)."""
    return html.split("<footer", 1)[0]


def test_pages_name_the_metric_they_show(served: tuple[str, TestClient, str, str]) -> None:
    kind, client, account, _ = served
    shown, other = ("NPS", "CX") if kind == "nps-only" else ("CX", "NPS")
    portfolio = client.get("/")
    assert portfolio.status_code == 200
    html = _body(portfolio.text)
    assert f">Collective {shown}</span>" in html
    assert f"Collective {other}<" not in html and f"collective {other} " not in html
    assert f"<h2>{shown} by month</h2>" in html
    if kind == "nps-only":  # no contract values: nothing is weighted by them
        assert "value-weighted" not in html and "NPS (mean of accounts)" in html
    else:
        assert "NPS (value-weighted)" in html
    page = client.get(f"/accounts/{account}")
    assert page.status_code == 200
    body = _body(page.text)
    assert f">Collective {shown}</span>" in body
    assert f"Collective {other}<" not in body and f"collective {other} " not in body
    assert f"{shown} by month" in body
    touchpoints = client.get("/touchpoints")
    assert f"{shown} by touchpoint controller" in touchpoints.text


def test_api_units_carry_the_metric_label(served: tuple[str, TestClient, str, str]) -> None:
    kind, client, _, token = served
    answer = client.get("/api/v1/measures/units", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = ("nps", "collective NPS") if kind == "nps-only" else ("cx", "collective CX")
    assert (body["metric"], body["metric_label"]) == expected


def test_report_names_the_metric(served: tuple[str, TestClient, str, str]) -> None:
    kind = served[0]
    html = _REPORTS[kind]
    shown, other = ("NPS", "CX") if kind == "nps-only" else ("CX", "NPS")
    kpis = html.split('id="summary"', 1)[1].split("</div>\n</div>", 1)[0]
    assert f"Collective {shown}<b>" in kpis and f"Collective {other}<b>" not in kpis
    assert f"Portfolio {shown} (0–100) by month" in html
    weighting = "mean of accounts" if kind == "nps-only" else "value-weighted"
    assert f"NPS ({weighting})" in kpis
