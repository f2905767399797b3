"""Corporate groups in the API and on the dashboard: accounts rolled up their
parent_account_id, for tokens that see every account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from api_world import SECRET, auth, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.demo import generate_world
from b2bcx.measures.collective import measure_units
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.web.app import mount_dashboard


@dataclass(frozen=True)
class GroupWorld:
    path: Path
    admin: str
    restricted: str
    top: str
    members: list[str]
    alone: str
    managed: str  # the one account the restricted token sees


@pytest.fixture(scope="module")
def group_world(tmp_path_factory: pytest.TempPathFactory) -> GroupWorld:
    root = tmp_path_factory.mktemp("groups")
    generate_world(root / "bundle", size=3000, seed=8)
    accounts = pd.read_csv(root / "bundle" / "accounts.csv", dtype=str, keep_default_na=False)
    ids = sorted(accounts.account_id)
    top, a, b, c, alone = ids[:5]
    parent = {a: top, b: top, c: a}  # c is a subsidiary of a subsidiary
    accounts["parent_account_id"] = accounts.account_id.map(parent).fillna("")
    accounts.to_csv(root / "bundle" / "accounts.csv", index=False)
    path = root / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(root / "bundle")
        admin = create_token(ws.backend, role="admin", name="admin").token
        restricted = create_token(ws.backend, role="viewer", accounts=[c]).token
    return GroupWorld(path, admin, restricted, top, sorted([top, a, b, c]), alone, c)


@pytest.fixture(scope="module")
def api(group_world: GroupWorld) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(group_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_units_by_group_match_the_library(api: TestClient, group_world: GroupWorld) -> None:
    r = api.get("/api/v1/measures/units", params={"by": "group"}, headers=auth(group_world.admin))
    assert r.status_code == 200, r.text
    body = r.json()
    with b2bcx.open_workspace(group_world.path) as ws:
        expected = measure_units(ws.backend, by="group").units.set_index("group_id")
    got = {u["group_id"]: u for u in body["units"]}
    assert set(got) == set(expected.index) and group_world.top in got
    assert got[group_world.top]["n_accounts"] == expected.loc[group_world.top, "n_accounts"] > 1
    assert got[group_world.top]["cx"] == pytest.approx(expected.loc[group_world.top, "cx"])
    assert not any(m in got for m in group_world.members if m != group_world.top)
    refused = api.get("/api/v1/measures/units", params={"by": "group"},
                      headers=auth(group_world.restricted))  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_restricted"


def test_account_detail_names_its_group(api: TestClient, group_world: GroupWorld) -> None:
    for account in group_world.members:
        detail = api.get(f"/api/v1/accounts/{account}", headers=auth(group_world.admin)).json()
        assert detail["group"]["group_id"] == group_world.top
        assert detail["group"]["accounts"] == group_world.members
    alone = api.get(f"/api/v1/accounts/{group_world.alone}", headers=auth(group_world.admin))
    assert alone.json()["group"] is None
    # a manager limited to one subsidiary does not see the group's pooled figures
    mine = api.get(f"/api/v1/accounts/{group_world.managed}", headers=auth(group_world.restricted))
    assert mine.status_code == 200 and mine.json()["group"] is None


def test_dashboard_account_page_links_the_group(group_world: GroupWorld) -> None:
    settings = load_server_settings(workspace=str(group_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as client:
        sign_in(client, group_world.admin, "/")
        member = sorted(set(group_world.members) - {group_world.top})[0]
        html = client.get(f"/accounts/{member}").text
        section = html.split('id="group"', 1)[1].split("</p>", 1)[0]
        assert f'href="/accounts/{group_world.top}"' in section
        assert f"{len(group_world.members)} accounts" in section
        assert 'id="group"' not in client.get(f"/accounts/{group_world.alone}").text
