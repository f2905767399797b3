"""The dashboard's handling of the fourth verdict, *agreement not proven*: its
own badge, its place among the filter's choices, the filter keeps it, and the
"aligned" tile counts it like *too few respondents* (in the total, not aligned)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_world import SECRET, sign_in

from b2bcx.api.app import create_app
from b2bcx.measures.verdict import ALIGNED, NOT_PROVEN, TOO_FEW, UNALIGNED, VERDICTS
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.server.views import AccountFilters, account_tiles, filter_accounts, filter_options
from b2bcx.web.app import mount_dashboard
from b2bcx.web.render import definition, environment
from verdict_world import G2_LIKE, ratings_workspace

ROWS = [
    {"account_id": "A", "verdict": TOO_FEW, "cx": 90.0, "risk": None},
    {"account_id": "B", "verdict": NOT_PROVEN, "cx": 100.0, "risk": 0.1},
    {"account_id": "C", "verdict": ALIGNED, "cx": 70.0, "risk": 0.2},
    {"account_id": "D", "verdict": NOT_PROVEN, "cx": 95.0, "risk": 0.1},
    {"account_id": "E", "verdict": UNALIGNED, "cx": 40.0, "risk": 0.8},
]


class _Cache:
    def get(self, key: str) -> object:
        return []  # no monthly series


def test_filter_choices_follow_the_rule_order() -> None:
    options = filter_options(_Cache(), ROWS)  # type: ignore[arg-type]
    assert options["verdict"] == [ALIGNED, NOT_PROVEN, UNALIGNED, TOO_FEW]
    assert list(VERDICTS) == options["verdict"]


def test_the_filter_keeps_not_proven_accounts() -> None:
    kept = filter_accounts(_Cache(), ROWS, AccountFilters(verdict=NOT_PROVEN))  # type: ignore[arg-type]
    assert [r["account_id"] for r in kept] == ["B", "D"]


def test_the_aligned_tile_counts_not_proven_like_too_few() -> None:
    tiles = account_tiles(ROWS)
    assert tiles["n_accounts"] == 5 and tiles["n_aligned"] == 1
    only_unproven = account_tiles([r for r in ROWS if r["verdict"] in (NOT_PROVEN, TOO_FEW)])
    assert only_unproven["n_aligned"] == 0 and only_unproven["n_accounts"] == 3


def _badge(verdict: str | None) -> str:
    template = environment().from_string('{% from "macros.html" import verdict %}{{ verdict(v) }}')
    return template.render(v=verdict).strip()


def test_each_verdict_has_its_own_badge() -> None:
    badges = {v: _badge(v) for v in VERDICTS}
    assert 'class="pill unproven"' in badges[NOT_PROVEN]
    assert "agreement not proven</span>" in badges[NOT_PROVEN]
    assert "no more alike than people drawn at random" in badges[NOT_PROVEN]
    assert 'class="pill good"' in badges[ALIGNED] and 'class="pill bad"' in badges[UNALIGNED]
    assert len(set(badges.values())) == 4
    assert "good" not in badges[NOT_PROVEN] and "bad" not in badges[NOT_PROVEN]


def test_definition_names_every_verdict() -> None:
    d = definition("verdict")
    text = (d.hover + " " + d.formula).lower()
    assert all(v in text for v in VERDICTS)


@pytest.fixture(scope="module")
def g2_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    # the G2 export's situation (tests/verdict_world.py)
    path = tmp_path_factory.mktemp("g2like") / "w.duckdb"
    with ratings_workspace(path, G2_LIKE) as ws:
        token = create_token(ws.backend, role="admin", name="test admin").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c, token


def test_g2_like_workspace_end_to_end(g2_like: tuple[TestClient, str]) -> None:
    c, token = g2_like
    api = c.get(
        "/api/v1/accounts",
        params={"verdict": NOT_PROVEN, "limit": 100},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.text
    assert sorted(r["account_id"] for r in api.json()["items"]) == ["T0", "T1", "T2"]
    sign_in(c, token)
    page = c.get("/").text
    form = page.split('<select name="verdict"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', form) == [NOT_PROVEN, TOO_FEW]
    listed = c.get("/", params={"verdict": NOT_PROVEN}).text
    assert listed.count('class="pill unproven"') == 3
    assert "diverse &amp; unaligned" not in listed.split("<table", 1)[1]
