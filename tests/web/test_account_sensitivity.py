"""The account page says what the diagnosis could not have seen there (issue 16)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.diagnose.sensitivity import account_sentences
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard


@pytest.fixture(scope="module")
def app_client(web_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c


def test_account_page_shows_its_own_mde(app_client: TestClient, web_world: World) -> None:
    api = sign_in(app_client, web_world.admin)
    page = api.get(f"/accounts/{web_world.own_account}")
    assert page.status_code == 200
    block = re.search(r'<div id="sensitivity".*?</div>', page.text, re.S)
    assert block, "the account page lacks the sensitivity block"
    shown = [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", block.group(0), re.S)]
    app_client.cookies.clear()
    api_block = app_client.get(
        "/api/v1/sensitivity", headers={"Authorization": f"Bearer {web_world.admin}"}
    ).json()
    assert shown == account_sentences(api_block, web_world.own_account)
    assert shown and shown[0].startswith("C2: ")
