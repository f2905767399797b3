"""The Cases pages in a real browser (Debian's Chromium, headless, Playwright):
open the work list, filter it, open a case, move it to in_progress, add a note,
close it with an outcome and read the history. Screenshots go to the test's tmp
folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_world import World
from case_world import CaseFacts

import b2bcx
from b2bcx.server.tokens import create_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_case_from_the_list_to_closed(
    page: Any, web_world: World, web_cases: CaseFacts, tmp_path: Path
) -> None:
    # the account manager's own token: its name is the owner of the case
    with b2bcx.open_workspace(web_world.path) as ws:
        token = create_token(ws.backend, role="analyst", name=web_cases.own_owner).token
    page.goto("/cases")
    assert "/signin" in page.url
    page.fill("#token", token)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url("**/cases")
    mine = page.locator("table[data-table='mine'] tr[data-case]")
    assert mine.count() >= 1
    assert page.locator(f"table[data-table='mine'] tr[data-case='{web_cases.own_case}']").count()
    assert page.locator("[data-panel='closed-loop'] table[data-table='owners'] tr").count() >= 2
    _shot(page, tmp_path, "cases")

    # filter by account and rule: the filters are kept in the URL
    page.select_option("select[name=account_id]", web_world.own_account)
    page.select_option("select[name=rule]", "detractor")
    page.click("#all-cases form.filters button[type=submit]")
    page.wait_for_url("**/cases?**")
    assert f"account_id={web_world.own_account}" in page.url and "rule=detractor" in page.url
    rows = page.locator("table[data-table='cases'] tr[data-case]")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert web_world.own_account in rows.nth(i).inner_text()
    page.reload()  # the filter survives a reload: it is in the URL
    assert page.locator("select[name=rule]").input_value() == "detractor"

    # open the case
    page.click(f"table[data-table='cases'] a[href='/cases/{web_cases.own_case}']")
    page.wait_for_url(f"**/cases/{web_cases.own_case}")
    assert page.locator("#behind [data-interaction]").count() >= 1
    assert "@client.example" in page.locator("#person").inner_text()
    assert page.locator("[data-field=status]").inner_text() == "open"
    _shot(page, tmp_path, "case-open")

    # move it to in_progress
    page.select_option("#status", "in_progress")
    page.click("form[data-form=status] button[type=submit]")
    page.wait_for_url("**?done=status")
    assert page.locator("[data-field=status]").inner_text() == "in progress"

    # add a note
    page.fill("#note", "Called the buyer: the spare part arrives on Monday.")
    page.click("form[data-form=note] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text("The note was added.").count() == 1

    # closing without an outcome is refused, with the reason
    page.select_option("#status", "closed")
    page.click("form[data-form=status] button[type=submit]")
    page.wait_for_load_state()
    assert "needs an outcome" in page.locator("p.error").inner_text()

    # close it with an outcome
    page.select_option("#status", "closed")
    page.fill("#outcome", "Part delivered; the buyer confirmed the machine runs.")
    page.click("form[data-form=status] button[type=submit]")
    page.wait_for_url("**?done=status")
    assert page.locator("[data-field=status]").inner_text() == "closed"
    options = page.locator("#status option")
    assert options.count() == 1 and options.first.inner_text() == "open (reopen)"

    # the history
    history = page.locator("table[data-table=history] tr[data-kind]")
    kinds = [history.nth(i).get_attribute("data-kind") for i in range(history.count())]
    assert kinds == ["opened", "status", "note", "status"]
    text = page.locator("#history").inner_text()
    assert "open → in progress" in text and "in progress → closed" in text
    assert "spare part arrives on Monday" in text
    assert text.count(web_cases.own_owner) == 3
    _shot(page, tmp_path, "case-closed")
    for name in ("cases", "case-open", "case-closed"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    print(f"screenshots in {tmp_path}")
