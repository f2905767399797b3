"""The touchpoints page under the portfolio's filters (issue 19 item 2, review
leftover): the same URL parameters, the figures summed again from the additive
activity cells. Checked against the library's split by controller (no filter)
and against pandas over the bundle's CSV files (filtered)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.model.tables import RATING_SCALES
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard
from b2bcx.web.cells import controller_rows, partner_rows, touchpoint_rows


@pytest.fixture(scope="module")
def client(web_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.admin)
        yield c


@pytest.fixture(scope="module")
def seen(web_world: World) -> pd.DataFrame:
    """Every interaction of the bundle with its account, account manager and month."""
    people = pd.read_csv(web_world.bundle / "stakeholders.csv", dtype=str, keep_default_na=False)
    accounts = pd.read_csv(web_world.bundle / "accounts.csv", dtype=str, keep_default_na=False)
    it = pd.read_csv(web_world.bundle / "interactions.csv", keep_default_na=True)
    it = it.merge(people[["stakeholder_id", "account_id"]], on="stakeholder_id")
    it = it.merge(accounts[["account_id", "account_manager"]], on="account_id")
    it["month"] = it["occurred_at"].str[:7]
    return it


def _score(part: pd.DataFrame) -> float:
    scale = RATING_SCALES["cx"]
    return float((part["cx"].dropna().mean() - scale.low) / (scale.high - scale.low) * 100)


def test_unfiltered_cells_sum_to_the_split_by_controller(web_world: World) -> None:
    with b2bcx.open_workspace(web_world.path) as ws:
        a = ws.analyses()
        cells, split = a.activity(), a.split("controller")
    rows = {r["controller"]: r for r in controller_rows(cells)}
    expected = {
        (None if pd.isna(r["controller"]) else r["controller"]): r for r in split.to_dict("records")
    }
    assert set(rows) == set(expected) and len(rows) >= 3
    for key, want in expected.items():
        got = rows[key]
        assert got["n_interactions"] == want["n_interactions"]
        assert got["n_rated"] == want["n_rated"]
        assert got["score"] == pytest.approx(want["score"], abs=1e-9)
        assert got["nps"] == pytest.approx(want["nps"], abs=1e-9)


def test_edge_cases_of_the_sums() -> None:
    cells = pd.DataFrame(
        {"touchpoint_id": ["T1", "T1", "T2", None], "partner_id": [None, None, "P", None],
         "controller": ["supplier", "supplier", "partner", None],
         "n_interactions": [1, 0, 2, 1], "n_rated": [1, 0, 0, 1], "total": [4.0, 0.0, 0.0, 1.0],
         "n_nps": [1, 0, 0, 0], "promoters": [1, 0, 0, 0], "detractors": [0, 0, 0, 0]}
    )  # fmt: skip
    cells.attrs["metric"] = "cx"
    scale = RATING_SCALES["cx"]
    tps = touchpoint_rows(cells, {"T1": "One"})
    assert [t["name"] for t in tps] == ["One", "T2"]  # T2 has no rating: last
    assert tps[0]["score"] == pytest.approx((4.0 - scale.low) / (scale.high - scale.low) * 100)
    assert tps[0]["nps"] == 100.0 and tps[1]["score"] is None and tps[1]["nps"] is None
    assert partner_rows(cells)["P"]["n_rated"] == 0
    by = {r["controller"]: r for r in controller_rows(cells)}
    assert set(by) == {"supplier", "partner", None} and by[None]["n_interactions"] == 1


def _table(page: str) -> dict[str, dict[str, str]]:
    block = page.split('data-filtered="touchpoints"', 1)[1].split("</table>", 1)[0]
    out = {}
    for tp, cols in re.findall(r'<tr data-touchpoint="([^"]+)">(.*?)</tr>', block, re.S):
        values = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", cols, re.S)
        ]
        out[tp] = {"name": values[0], "score": values[1], "nps": values[2], "ratings": values[3]}
    return out


def test_account_manager_and_months_filter_the_touchpoints(
    client: TestClient, seen: pd.DataFrame
) -> None:
    manager = seen["account_manager"].value_counts().index[0]
    months = sorted(seen["month"].unique())
    since, until = months[-6], months[-1]
    page = client.get(
        "/touchpoints", params={"account_manager": manager, "since": since, "until": until}
    ).text
    assert 'Performance by controller <span class="muted">(filtered)' in page
    assert f'<option value="{html.escape(manager, quote=True)}" selected>' in page
    assert 'data-not-filtered="drivers"' in page
    part = seen[
        (seen["account_manager"] == manager) & (seen["month"] >= since) & (seen["month"] <= until)
    ]
    table = _table(page)
    expected = {tp: g for tp, g in part.groupby("touchpoint_id") if len(g)}
    assert set(table) == set(expected)
    for tp, g in expected.items():
        assert table[tp]["ratings"] == f"{g['cx'].count():,}"
        if g["cx"].count():
            assert table[tp]["score"] == f"{_score(g):.1f}"
    shown = [float(r["score"]) for r in table.values() if r["score"] != "–"]
    assert shown == sorted(shown)  # the lowest score first
    # the portfolio link keeps the same filters
    assert re.search(r'href="/\?[^"]*account_manager=[^"]*since=' + since, page)


def test_partner_filter_keeps_its_scorecard_and_scores_it(
    client: TestClient, seen: pd.DataFrame, web_world: World
) -> None:
    catalogue = pd.read_csv(web_world.bundle / "touchpoints.csv", dtype=str, keep_default_na=False)
    partner = sorted(p for p in catalogue["partner_id"].unique() if p)[0]
    page = client.get("/touchpoints", params={"partner": partner}).text
    cards = re.findall(r'<section class="card partner" data-partner="([^"]+)"', page)
    assert cards == [partner]
    found = re.search(
        rf'data-filtered-partner="{partner}">Under the filters: <strong>([\d.]+)</strong>/100 '
        r"from ([\d,]+) ratings",
        page,
    )
    assert found, "the partner's score under the filter"
    ran = set(catalogue.loc[catalogue["partner_id"] == partner, "touchpoint_id"])
    at = seen[seen["touchpoint_id"].isin(ran)]
    assert found.group(2) == f"{at['cx'].count():,}"
    assert found.group(1) == f"{_score(at):.1f}"
    # every touchpoint listed under the partner filter was run by the partner
    assert set(_table(page)) <= ran


def test_a_bad_month_is_left_out_with_a_notice_and_no_filter_shows_all(client: TestClient) -> None:
    page = client.get("/touchpoints", params={"since": "last spring"}).text
    assert 'data-notice="filter"' in page and "is not a month" in page
    assert 'data-filtered="touchpoints"' not in page  # nothing valid left: unfiltered
    plain = client.get("/touchpoints").text
    assert "(filtered)" not in plain and 'id="filtered-touchpoints"' not in plain
    assert plain.count('class="card partner"') > 1


def test_the_download_keeps_the_filters(client: TestClient, seen: pd.DataFrame) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import io

    manager = seen["account_manager"].value_counts().index[0]
    r = client.get("/touchpoints", params={"account_manager": manager, "format": "xlsx"})
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert "Touchpoints (filtered)" in book.sheetnames
    sheet: Any = book["Touchpoints (filtered)"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Touchpoint" and len(rows) > 1


def test_without_the_cells_a_filtered_page_says_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import b2bcx.web.routes.touchpoints as route

    monkeypatch.setattr(route, "filtered_activity", lambda *a, **k: None)
    page = client.get("/touchpoints", params={"partner": "P-SRV-1"}).text
    assert "cannot be computed from this workspace yet" in page
    assert 'id="filtered-touchpoints"' not in page and "Under the filters:" not in page
