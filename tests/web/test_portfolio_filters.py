"""The portfolio's account filters in process (no browser): the filter
functions on hand-made rows, and the page's answers to odd URLs."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, World, build_world, sign_in

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.server.views import AccountFilters, account_order, account_tiles, filter_accounts
from b2bcx.web.app import mount_dashboard

ROWS = [
    {"account_id": "A1", "name": "Acme", "segment": "SMB", "country": "DE",
     "account_manager": "K. Lee", "verdict": "collective & aligned", "cx": 80.0, "risk": 0.7,
     "annual_value": 100.0},
    {"account_id": "B2", "name": "Beta", "segment": "SMB", "country": "FR",
     "account_manager": None, "verdict": "too few respondents", "cx": None, "risk": None,
     "annual_value": None},
    {"account_id": "C3", "name": "Acme Nord", "segment": "enterprise", "country": "DE",
     "account_manager": "K. Lee", "verdict": "diverse & unaligned", "cx": 40.0, "risk": 0.2,
     "annual_value": 50.0},
]  # fmt: skip


class _NoCache:
    def get(self, key: str) -> object:
        raise AssertionError("no date filter: the monthly series is not read")


def test_filters_keep_the_matching_rows_in_order() -> None:
    cache: object = _NoCache()

    def ids(**kw: str) -> list[str]:
        return [r["account_id"] for r in filter_accounts(cache, ROWS, AccountFilters(**kw))]  # type: ignore[arg-type]

    assert ids() == ["A1", "B2", "C3"]
    assert ids(q="acme") == ["A1", "C3"] and ids(q="b2") == ["B2"]
    assert ids(verdict="too few respondents") == ["B2"]
    assert ids(country="DE", segment="SMB") == ["A1"]
    assert ids(account_manager="K. Lee") == ["A1", "C3"]


def test_query_keeps_only_set_filters_and_round_trips() -> None:
    f = AccountFilters(verdict="collective & aligned", country="DE")
    query = f.query(page=2)
    assert parse_qs(query) == {"verdict": ["collective & aligned"], "country": ["DE"],
                               "page": ["2"]}  # fmt: skip
    assert AccountFilters().query() == "" and not AccountFilters().active and f.active


def test_tiles_count_what_is_listed() -> None:
    tiles = account_tiles(ROWS)
    assert tiles["n_accounts"] == 3 and tiles["n_aligned"] == 1 and tiles["n_rated"] == 2
    assert tiles["mean_cx"] == pytest.approx(60.0) and tiles["n_high_risk"] == 1
    assert tiles["annual_value"] == pytest.approx(150.0) and tiles["n_unknown"] == 1
    assert account_tiles([])["mean_cx"] is None


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    world = build_world(tmp_path_factory.mktemp("filters"))
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, world.admin)
        yield c, world


def test_odd_urls_answer_with_the_list(client: tuple[TestClient, World]) -> None:
    c, _ = client
    bad = c.get("/?since=last-year")
    assert bad.status_code == 200 and 'data-notice="filter"' in bad.text
    assert "is not a month" in bad.text
    far = c.get("/?page=999")  # past the last page: the last page
    assert far.status_code == 200
    count = re.search(r'data-count="accounts">\((\d+)', far.text)
    assert count and int(count.group(1)) > 0
    assert "<tr data-account=" in far.text


def test_verdict_choices_are_the_badges(client: tuple[TestClient, World]) -> None:
    c, _ = client
    html = c.get("/").text
    form = html.split('<select name="verdict"', 1)[1].split("</select>", 1)[0]
    choices = re.findall(r'<option value="([^"]+)"', form)
    assert choices and "too few people" not in choices
    for choice in choices:
        page = c.get("/", params={"verdict": choice.replace("&amp;", "&")})
        assert f'<option value="{choice}" selected' in page.text
        assert "Macro" not in page.text


def test_default_order_opens_on_risk_then_findings_then_people_heard() -> None:
    rows = [
        {"account_id": "single-review", "risk": None, "findings": 0, "n_stakeholders": 1},
        {"account_id": "crowd", "risk": None, "findings": 0, "n_stakeholders": 7},
        {"account_id": "flagged", "risk": None, "findings": 2, "n_stakeholders": 3},
        {"account_id": "low", "risk": 0.1, "findings": 0, "n_stakeholders": None},
        {"account_id": "high", "risk": 0.9, "findings": 1, "n_stakeholders": 2},
        {"account_id": "aa-unheard", "risk": None, "findings": 0, "n_stakeholders": None},
    ]
    ordered = [r["account_id"] for r in sorted(rows, key=account_order)]
    assert ordered == ["high", "low", "flagged", "crowd", "single-review", "aa-unheard"]
