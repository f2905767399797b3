"""The portfolio's "What needs attention", the touchpoint and partner filters,
the definitions and the Excel downloads, in process (no browser).

Figures are checked against computations made here from the bundle's CSV files
with pandas (period score and NPS, accounts met at a touchpoint), against the
library's own trend and map (the additive activity cells must sum to them), and
against hand-made inputs (grouped priorities, harm).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, World, build_world, sign_in

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.model.tables import RATING_SCALES
from b2bcx.server.settings import load_server_settings
from b2bcx.server.views import (
    AccountFilters,
    grouped_priorities,
    scorecards_by_harm,
)
from b2bcx.web.app import mount_dashboard
from b2bcx.web.xlsx import XLSX

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("attention"))


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c


@pytest.fixture(scope="module")
def seen(world: World) -> pd.DataFrame:
    """Every interaction of the bundle with its account and month (pandas, from the CSVs)."""
    people = pd.read_csv(world.bundle / "stakeholders.csv", dtype=str, keep_default_na=False)
    it = pd.read_csv(world.bundle / "interactions.csv", keep_default_na=True)
    it = it.merge(people[["stakeholder_id", "account_id"]], on="stakeholder_id")
    it["month"] = it["occurred_at"].str[:7]
    return it


def _as(c: TestClient, token: str) -> TestClient:
    sign_in(c, token)
    return c


def _count(html: str) -> int:
    found = re.search(r'data-count="accounts">\((\d+)', html)
    assert found, "no account count on the page"
    return int(found.group(1))


def _kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}"[^>]*>.*?<span class="value">([^<]*)</span>', html, re.S)
    assert found, f"no tile {name}"
    return found.group(1).strip()


# -- the activity cells sum to the library's trend and map --------------------------


def test_activity_cells_sum_to_the_trend_and_the_map(world: World) -> None:
    with b2bcx.open_workspace(world.path) as ws:
        a = ws.analyses()
        cells, trend, cmap = a.activity(), a.trend(), a.map().cells
    by_month = cells.groupby("month")[["n_interactions", "n_rated", "total"]].sum()
    trend = trend.set_index("month")
    assert by_month["n_interactions"].tolist() == trend["n_interactions"].tolist()
    mean = by_month["total"] / by_month["n_rated"]
    assert mean.to_numpy() == pytest.approx(trend["mean"].to_numpy(), abs=1e-9)
    known = cells.dropna(subset=["stage", "controller"])
    by_cell = known.groupby(["stage", "controller"])[["n_rated", "total"]].sum()
    rated = cmap[cmap["n_rated"] > 0].set_index(["stage", "controller"])
    assert len(rated) == len(by_cell)
    for key, row in rated.iterrows():
        assert by_cell.loc[key, "total"] / by_cell.loc[key, "n_rated"] == pytest.approx(row["mean"])


# -- the change against the previous period -----------------------------------------


def _period(seen: pd.DataFrame, first: str, last: str) -> tuple[float, float]:
    """Score (0–100) and response-level NPS of the interactions in the months (pandas)."""
    part = seen[(seen["month"] >= first) & (seen["month"] <= last)]
    scale = RATING_SCALES["cx"]
    score = (part["cx"].dropna().mean() - scale.low) / (scale.high - scale.low) * 100
    nps = part["nps"].dropna()
    return float(score), float(100 * ((nps >= 9).mean() - (nps <= 6).mean()))


def test_the_default_period_is_the_last_three_months_against_the_three_before(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    html = _as(client, world.admin).get("/").text
    months = sorted(seen["month"].unique())
    score, nps = _period(seen, months[-3], months[-1])
    before, nps_before = _period(seen, months[-6], months[-4])
    assert f'data-period="{months[-3]}/{months[-1]}"' in html
    assert _kpi(html, "change-score") == f"{score:.1f}"
    assert _kpi(html, "change-nps") == f"{nps:,.0f}"
    block = html.split('data-kpi="change-score"', 1)[1].split("</div>", 1)[0]
    assert f"vs {before:.1f} before" in block
    sign = "+" if score - before > 0 else "−"
    assert f"{sign}{abs(score - before):.1f}" in block
    assert f"vs {nps_before:,.0f}" in html.split('data-kpi="change-nps"', 1)[1]


def test_a_chosen_range_is_compared_with_as_many_months_before(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    months = sorted(seen["month"].unique())
    first, last = months[-8], months[-5]  # 4 months
    html = _as(client, world.admin).get("/", params={"since": first, "until": last}).text
    score, _ = _period(seen, first, last)
    before, _ = _period(seen, months[-12], months[-9])
    assert f'data-period="{first}/{last}"' in html
    assert _kpi(html, "change-score") == f"{score:.1f}"
    assert f"vs {before:.1f} before" in html.split('data-kpi="change-score"', 1)[1]


def test_an_account_filter_limits_the_period_to_its_accounts(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    accounts = pd.read_csv(world.bundle / "accounts.csv", dtype=str, keep_default_na=False)
    segment = str(accounts["segment"].value_counts().index[0])
    keep = set(accounts.loc[accounts["segment"] == segment, "account_id"])
    html = _as(client, world.admin).get("/", params={"segment": segment}).text
    months = sorted(seen["month"].unique())
    score, _ = _period(seen[seen["account_id"].isin(keep)], months[-3], months[-1])
    everyone, _ = _period(seen, months[-3], months[-1])
    assert abs(score - everyone) > 0.05, "the segment should differ from the portfolio"
    assert _kpi(html, "change-score") == f"{score:.1f}"


# -- touchpoint and partner filters --------------------------------------------------


def test_touchpoint_filter_keeps_accounts_met_there_and_its_causes(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    tp = str(seen["touchpoint_id"].value_counts().index[-1])  # the least used: a real cut
    expected = set(seen.loc[seen["touchpoint_id"] == tp, "account_id"])
    html = _as(client, world.admin).get("/", params={"touchpoint": tp}).text
    assert _count(html) == len(expected) < seen["account_id"].nunique()
    assert f'<option value="{tp}" selected' in html
    listed = set(re.findall(r'<tr data-account="([^"]+)"', html))
    assert listed == expected
    causes = re.findall(r'<li data-touchpoint="([^"]+)"', html)
    assert set(causes) <= {tp}
    pager = re.findall(r'href="/\?([^"#]+)#accounts-list"', html)
    assert all(f"touchpoint={tp}" in q for q in pager)


def test_partner_filter_keeps_its_accounts_scorecard_and_causes(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    catalogue = pd.read_csv(world.bundle / "touchpoints.csv", dtype=str, keep_default_na=False)
    partner = "P-SRV-1"
    runs = set(catalogue.loc[catalogue["partner_id"] == partner, "touchpoint_id"])
    assert runs, "the demo world has a service partner"
    html = _as(client, world.admin).get("/", params={"partner": partner}).text
    # the partner as at the interaction: never more than the accounts met at its touchpoints
    upper = set(seen.loc[seen["touchpoint_id"].isin(runs), "account_id"])
    listed = _count(html)
    assert 0 < listed <= len(upper)
    causes = set(re.findall(r'<li data-touchpoint="([^"]+)"', html))
    assert causes <= runs
    worst = re.findall(r'id="attention-partner">.*?data-partner="([^"]+)"', html, re.S)
    assert worst in ([], [partner])


# -- what needs attention ------------------------------------------------------------


def test_attention_lists_the_riskiest_with_their_reason_and_the_ranked_causes(
    client: TestClient, world: World
) -> None:
    html = _as(client, world.admin).get("/").text
    assert html.index('id="attention"') < html.index('id="accounts-list"')
    with b2bcx.open_workspace(world.path) as ws:
        d = ws.analyses().diagnosis.to_dict()
    known = [r for r in d["at_risk"] if r["risk"] is not None]
    known.sort(key=lambda r: (-r["risk"], r["account_id"]))
    block = html.split('id="attention-risk"', 1)[1].split("</section>", 1)[0]
    shown = re.findall(r'<li data-account="([^"]+)"', block)
    assert shown == [r["account_id"] for r in known[:5]]
    assert known[0]["reasons"][0].replace("'", "&#39;") in block
    # the groups follow the diagnosis' ranks: the first group holds rank 1
    causes = html.split('id="attention-causes"', 1)[1].split("</section>", 1)[0]
    first = d["priorities"][0]
    assert re.findall(r'data-touchpoint="([^"]+)"', causes)[0] == first["touchpoint_id"]
    ranks = [int(x) for x in re.findall(r'class="rank">#(\d+)', causes)]
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_grouped_priorities_group_by_touchpoint_and_owner_in_rank_order() -> None:
    rows = [
        {"rank": 1, "touchpoint_id": "T1", "touchpoint": "Visit", "goal": "efficiency",
         "controller": "partner", "accounts": 4, "action": "a1"},
        {"rank": 2, "touchpoint_id": "T2", "touchpoint": "Portal", "goal": "convenience",
         "controller": "supplier", "accounts": 9, "action": "a2"},
        {"rank": 3, "touchpoint_id": "T1", "touchpoint": "Visit", "goal": "relationships",
         "controller": "partner", "accounts": 6, "action": "a3"},
    ]  # fmt: skip
    owners = {"T1": "ProService", "T2": "the supplier"}
    partners = {"T1": {"P1"}}
    groups = grouped_priorities(rows, AccountFilters(), owners, partners)
    assert [(g["touchpoint_id"], g["owner"], g["rank"]) for g in groups] == [
        ("T1", "ProService", 1), ("T2", "the supplier", 2),
    ]  # fmt: skip
    assert groups[0]["goals"] == ["efficiency", "relationships"] and groups[0]["accounts"] == 6
    assert groups[0]["action"] == "a1" and len(groups[0]["rows"]) == 2
    only = grouped_priorities(rows, AccountFilters(partner="P1"), owners, partners)
    assert [g["touchpoint_id"] for g in only] == ["T1"]
    assert grouped_priorities(rows, AccountFilters(touchpoint="T9"), owners, partners) == []


class _Cache:
    """Just what :func:`scorecards_by_harm` reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, key: str) -> Any:
        return self.values[key]

    def derived(self, key: str, build: Any) -> Any:
        return build()


def test_harm_is_the_gap_to_the_suppliers_own_touchpoints_times_raters() -> None:
    class Drivers:
        table = pd.DataFrame({
            "driver": ["S1", "S2", "A1", "A2", "B1"],
            "performance": [80.0, 60.0, 50.0, 70.0, 64.0],
            "raters": [10, 30, 20, 10, 100],
        })  # fmt: skip

    def tp(tid: str, perf: float, raters: int) -> dict[str, Any]:
        return {"touchpoint_id": tid, "performance": perf, "raters": raters}

    cards = [
        {"partner_id": "PA", "performance": (50 * 20 + 70 * 10) / 30, "findings": [],
         "touchpoints": [tp("A1", 50.0, 20), tp("A2", 70.0, 10)]},
        {"partner_id": "PB", "performance": 64.0, "findings": [],
         "touchpoints": [tp("B1", 64.0, 100)]},
        {"partner_id": "PC", "performance": None, "findings": [], "touchpoints": []},
    ]  # fmt: skip
    catalogue = [{"touchpoint_id": "S1", "controller": "supplier"},
                 {"touchpoint_id": "S2", "controller": "supplier"},
                 {"touchpoint_id": "A1", "controller": "partner"}]  # fmt: skip
    cache = _Cache({"scorecards": cards, "drivers:touchpoints": Drivers(),
                    "catalogue:touchpoints": catalogue})  # fmt: skip
    out = scorecards_by_harm(cache)  # type: ignore[arg-type]
    # reference = (80·10 + 60·30) / 40 = 65; PA: (65 − 50)·20 + 0 = 300; PB: (65 − 64)·100 = 100
    assert [c["partner_id"] for c in out] == ["PA", "PB", "PC"]
    assert out[0]["reference"] == pytest.approx(65.0)
    assert out[0]["harm"] == pytest.approx(300.0) and out[1]["harm"] == pytest.approx(100.0)
    assert out[0]["gap"] == pytest.approx(65.0 - 170 / 3) and out[2]["harm"] is None


def test_touchpoints_page_lists_partners_by_harm(client: TestClient, world: World) -> None:
    html = _as(client, world.admin).get("/touchpoints").text
    harms = [float(h) for h in re.findall(r'data-harm="([0-9.]+)"', html)]
    assert harms and harms == sorted(harms, reverse=True)
    assert "Harm</abbr> = " in html


# -- plain words: definitions on hover and how each figure is computed -----------------


def test_every_tile_has_a_definition_and_the_panel_names_formula_and_source(
    client: TestClient, world: World
) -> None:
    for path in ("/", f"/accounts/{world.own_account}"):
        html = _as(client, world.admin).get(path).text
        tiles = re.findall(r'<div class="kpi"([^>]*)>', html)
        assert tiles and all('title="' in t and 'title=""' not in t for t in tiles), path
        panel = html.split('<details class="how">', 1)[1].split("</details>", 1)[0]
        assert panel.count("<strong>Formula:</strong>") == panel.count("<dt")
        assert "Counted over:" in panel and "Source:" in panel
    home = _as(client, world.admin).get("/").text
    assert "ICC(1) / ICC(2)" not in home  # no longer a headline tile, behind the panel
    assert "Do accounts differ? (ICC)" in home


# -- Excel downloads, within the token's scope ----------------------------------------


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_portfolio_download_obeys_the_filters(
    client: TestClient, world: World, seen: pd.DataFrame
) -> None:
    accounts = pd.read_csv(world.bundle / "accounts.csv", dtype=str, keep_default_na=False)
    country = str(accounts["country"].value_counts().index[0])
    r = _as(client, world.admin).get("/", params={"country": country, "format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    sheets = _sheets(r.content)
    assert set(sheets) == {"Accounts", "Root causes", "Findings"}
    header, *rows = sheets["Accounts"]
    ids = {row[header.index("Account ID")] for row in rows}
    assert ids == set(accounts.loc[accounts["country"] == country, "account_id"])
    html = client.get("/", params={"country": country}).text
    link = re.search(r'class="download" href="([^"]+)"', html)
    assert link and link.group(1).replace("&amp;", "&") == "/?" + urlencode(
        {"country": country, "format": "xlsx"}
    )


def test_a_restricted_token_downloads_only_its_accounts(client: TestClient, world: World) -> None:
    c = _as(client, world.restricted)
    sheets = _sheets(c.get("/", params={"format": "xlsx"}).content)
    text = repr(sheets)
    assert world.own_account in text and world.other_account not in text
    header, *rows = sheets["Accounts"]
    assert [row[header.index("Account ID")] for row in rows] == [world.own_account]
    _, *findings = sheets["Findings"]
    assert all(row[1] is not None for row in findings)  # no portfolio-wide finding
    assert c.get(f"/accounts/{world.other_account}", params={"format": "xlsx"}).status_code == 404
    own = _sheets(c.get(f"/accounts/{world.own_account}", params={"format": "xlsx"}).content)
    assert own["Account"][1][0] == world.own_account
    for path in ("/touchpoints", "/strategy"):  # portfolio-wide pages: no download for them
        r = c.get(path, params={"format": "xlsx"})
        assert r.headers["content-type"].startswith("text/html")


def test_restricted_trend_is_their_accounts_own(client: TestClient, world: World) -> None:
    html = _as(client, world.restricted).get("/").text
    with b2bcx.open_workspace(world.path) as ws:
        per = ws.analyses().trend(per_account=True)
    own = per[per["account_id"] == world.own_account]
    assert 'data-kpi="change-score"' in html
    months = sorted(pd.to_datetime(own["month"]).dt.strftime("%Y-%m"))
    chart = html.split("by month", 1)[1]
    assert months[-1] in chart


def test_other_pages_download_their_tables(client: TestClient, world: World) -> None:
    c = _as(client, world.admin)
    tp = _sheets(c.get("/touchpoints", params={"format": "xlsx"}).content)
    assert set(tp) == {"Partner scorecards", "Touchpoint drivers"}
    header, *rows = tp["Partner scorecards"]
    harms = [r[header.index("Harm (points x raters)")] for r in rows]
    known = [h for h in harms if h is not None]
    assert known == sorted(known, reverse=True)
    st = _sheets(c.get("/strategy", params={"format": "xlsx"}).content)
    assert set(st) == {"Value-proposition profile", "Scope"}
    acc = _sheets(c.get(f"/accounts/{world.own_account}", params={"format": "xlsx"}).content)
    assert {"Account", "People map", "Findings", "Journeys"} <= set(acc)


def test_p_values_read_as_words() -> None:
    from b2bcx.web.render import explain, is_p, p_value

    assert [is_p(k) for k in ("p", "p_adjusted", "p_bonferroni", "gap", "rwg", "ci95")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip
    assert p_value(0.0) == "< 0.001" and p_value(0.0312) == "0.031" and p_value(None) == "–"
    assert "chance" in explain("p_adjusted") and "alike" in explain("rwg")
    assert "scale" in explain("ci95") and explain("touchpoint_id") == ""


def test_account_page_shows_how_its_risk_is_made_up(client: TestClient, world: World) -> None:
    import math

    with b2bcx.open_workspace(world.path) as ws:
        at_risk = ws.analyses().diagnosis.to_dict()["at_risk"]
    scored = next(r for r in at_risk if r["risk"] is not None and r["components"])
    html = _as(client, world.admin).get(f"/accounts/{scored['account_id']}").text
    panel = html.split('id="risk-parts"', 1)[1].split("</details>", 1)[0]
    row = (
        r'data-component="([^"]+)">.*?<td class="num">[^<]*</td>'
        r'<td class="num">[^<]*</td><td class="num">([^<]*)</td>'
    )
    shown = dict(re.findall(row, panel))
    assert set(shown) == set(scored["components"])
    adds = sum(c["contribution"] for c in scored["components"].values())
    # the logistic of the constant plus the contributions is the risk shown
    assert 1 / (1 + math.exp(-(scored["intercept"] + adds))) == pytest.approx(scored["risk"])
    for name, c in scored["components"].items():
        assert shown[name] == f"{c['contribution']:,.2f}"
    assert f"{round(scored['risk'] * 100)} %" in panel
