"""The touchpoints page in Chromium (issue 19 review leftovers): the filter bar
with the portfolio's URL parameters, findings' evidence as sentences, the text
page's quotes by name; screenshots under ``build/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from api_world import World
from browser_setup import new_tab, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    failed: list[str] = []
    with new_tab(browser, live_server) as tab:
        tab.on("requestfailed", lambda r: failed.append(r.url))
        yield tab
    assert not failed, f"requests failed: {failed}"


def _chart_text(page: Any, title: str) -> str:
    """The text drawn in the bar chart titled ``title`` (labels, values, notes)."""
    chart = page.locator("svg.chart[data-chart='bars']").filter(has_text=title).first
    return str(chart.text_content())


def test_the_filter_bar_filters_the_touchpoints_page(page: Any, web_world: World) -> None:
    sign_in(page, web_world.admin)
    page.goto("/touchpoints")
    assert page.locator("#filtered-touchpoints").count() == 0
    before = _chart_text(page, "by touchpoint controller")
    form = page.locator("form.filters")
    partner = form.locator("select[name=partner] option").nth(1)
    partner_id, partner_name = partner.get_attribute("value"), partner.inner_text()
    form.locator("select[name=partner]").select_option(partner_id)
    months = form.locator("select[name=since] option").all_inner_texts()[1:]
    form.locator("select[name=since]").select_option(months[-6])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    query = parse_qs(urlparse(page.url).query)
    assert urlparse(page.url).path == "/touchpoints"
    assert query["partner"] == [partner_id] and query["since"] == [months[-6]]
    assert (
        "(filtered)" in page.locator("h2").filter(has_text="Performance by controller").inner_text()
    )
    assert _chart_text(page, "by touchpoint controller") != before  # other figures now
    assert page.locator("#filtered-touchpoints tbody tr").count() >= 1
    cards = page.locator("section.card.partner")
    assert cards.count() == 1 and cards.first.get_attribute("data-partner") == partner_id
    assert partner_name in page.locator("#partners").inner_text()
    assert "Under the filters:" in cards.first.locator(".filtered-score").inner_text()
    # the filters stay selected, and the portfolio link carries them
    assert form.locator("select[name=partner]").input_value() == partner_id
    href = page.locator("a[data-same-filters]").get_attribute("href")
    assert parse_qs(urlparse(href).query)["partner"] == [partner_id]
    shot(page, "touchpoints-filtered")
    # evidence reads as sentences, no raw keys
    evidence = page.locator("[data-evidence]").all_inner_texts()
    for text in evidence:
        assert "ci95" not in text and "p_adjusted" not in text and "_" not in text
    page.locator("a.clear").click()
    page.wait_for_load_state()
    assert urlparse(page.url).query == "" and page.locator("section.card.partner").count() > 1


def test_text_quotes_link_to_named_accounts(page: Any, web_world: World) -> None:
    sign_in(page, web_world.admin)
    page.goto("/text")
    links = page.locator(".quote a.account-link")
    assert links.count() >= 5
    first = links.first
    name = first.inner_text()
    assert not name.startswith("ACC-")
    first.click()
    page.wait_for_load_state()
    assert "/accounts/" in page.url and name in page.locator("h1").inner_text()
    page.goto("/text")
    for q in page.locator(".quote blockquote").all_inner_texts():
        assert not q.lstrip("“").lower().startswith(("in short", "overall:", "honestly,"))
    shot(page, "text-quotes")
