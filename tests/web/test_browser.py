"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

Signs in, opens every page, checks the charts were drawn (marks on the SVG, not
just a page that loaded), follows an account from the portfolio to a finding and
the comments behind it, and saves screenshots under ``build/screenshots/``.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World
from browser_setup import shot as _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")


def _sign_in(page: Any, token: str) -> None:
    page.goto("/")
    assert "/signin" in page.url
    page.fill("#token", token)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url("**/")


def _marks(page: Any, chart: str) -> int:
    return int(page.locator(f"svg.chart[data-chart='{chart}'] .mark").count())


def test_every_page_draws_its_charts(page: Any, web_world: World) -> None:
    _sign_in(page, web_world.admin)
    assert _marks(page, "line") >= 6  # the monthly trend
    assert _marks(page, "heatmap") == 16  # 4 stages × 4 controllers
    assert _marks(page, "bars") >= 5
    box = page.locator("svg.chart[data-chart='heatmap']").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150  # laid out, visible
    _shot(page, "portfolio")

    page.goto("/touchpoints")
    assert _marks(page, "scatter") >= 5 and _marks(page, "bars") >= 4
    _shot(page, "touchpoints")

    page.goto("/text")
    assert page.locator("[data-unavailable='text insights']").count() == 0
    assert _marks(page, "bars") >= 13  # six goals and seven emotions at least
    for _ in range(60):  # topics are clustered last, in the background
        if page.locator("[data-unavailable='topics']").count() == 0:
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert page.locator("svg.chart[title], svg.chart").filter(has_text="Topics").count() == 1
    _shot(page, "text")

    page.goto("/strategy")
    assert page.locator("svg.chart[data-chart='matrix']").count() == 1
    assert page.locator("#playbook ol.steps > li").count() == 4
    _shot(page, "strategy")

    page.goto("/import")
    # two ways in: plain export files (the wizard's mapping step) or a bundle
    assert page.locator("input[type=file][name=files]").count() == 1
    assert page.locator("input[type=file][name=file]").count() == 1
    _shot(page, "import")


def test_portfolio_to_a_finding_and_its_comments(page: Any, web_world: World) -> None:
    _sign_in(page, web_world.viewer)
    # the accounts table is sorted by risk: follow the first account that has findings
    rows = page.locator("#accounts tbody tr")
    target = None
    for i in range(rows.count()):
        if rows.nth(i).locator("td").last.inner_text().strip() not in ("0", ""):
            target = rows.nth(i).locator("a").first
            break
    assert target is not None, "no account with findings on the portfolio"
    name = target.inner_text()
    target.click()
    page.wait_for_load_state()
    assert name in page.locator("h1").inner_text()
    assert _marks(page, "heatmap") >= 16 and _marks(page, "line") >= 1
    finding = page.locator("article.finding").first
    assert finding.locator("dl.evidence dt").count() >= 1  # the evidence behind it
    assert finding.locator("ul li").count() >= 1  # its actions
    _shot(page, "account")
    finding.locator("a.comments-link").click()
    page.wait_for_load_state()
    assert "#comments" in page.url
    comments = page.locator("#comments .comment")
    heading = page.locator("#comments h2").inner_text()
    assert comments.count() >= 1 or "(0" in heading
    _shot(page, "finding-comments")


def test_restricted_manager_sees_only_their_account(page: Any, web_world: World) -> None:
    _sign_in(page, web_world.restricted)
    links = page.locator("#accounts tbody a")
    assert links.count() == 1
    assert web_world.own_account in links.first.get_attribute("href")
    response = page.goto(f"/accounts/{web_world.other_account}")
    assert response is not None and response.status == 404
    _shot(page, "restricted-other-account")


def test_sorting_a_table_in_the_browser(page: Any, web_world: World) -> None:
    _sign_in(page, web_world.viewer)
    header = page.locator("#accounts thead th").nth(2)  # CX
    header.click()
    first = [
        float(v) if v != "–" else -1
        for v in page.locator("#accounts tbody tr td:nth-child(3)").all_inner_texts()
    ]
    assert first == sorted(first, reverse=True)
