"""Stored codes read as words on the pages (``pre_bid`` → ``pre-bid``)."""

from __future__ import annotations

import re

from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard
from b2bcx.web.render import code_words


def test_code_words() -> None:
    assert code_words("pre_bid") == "pre-bid" and code_words("operations") == "operations"
    assert code_words(None) is None and code_words(3) == 3


def test_account_page_text_has_no_snake_case_stage(web_world: World) -> None:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, web_world.viewer)
        page = c.get(f"/accounts/{web_world.own_account}").text
    text = re.sub(r"<[^>]+>", " ", page)  # what people read, not attributes or links
    assert "pre-bid" in text and "pre_bid" not in text
