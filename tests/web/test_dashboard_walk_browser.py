"""Issue 19 item 5: the dashboard walked in real Chromium on the demo and on the
real G2 review export (``../shared/data/g2-reviews`` through
``examples/mappings/g2-reviews.yaml``), every page screenshotted to
``build/screenshots/walk-<world>-<page>.png``.

Each page is checked the way a person reads it: it opens with "What needs
attention" (portfolio), every KPI tile has a definition on hover, no chart text
overlaps or is cut, nothing is wider than a 390-px phone, no raw template or
Python value (``<Macro``, ``None``, ``nan``) shows, and every Excel button gives
a workbook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import World
from browser_setup import serve_dashboard, shot, sign_in
from test_chart_text_browser import CHECK

import b2bcx
from b2bcx import ImportOptions
from b2bcx.server.tokens import create_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
G2 = ROOT.parent / "shared" / "data" / "g2-reviews" / "g2_reviews_wide.csv"
G2_MAPPING = ROOT / "examples" / "mappings" / "g2-reviews.yaml"
SECRET = "walk-secret-" + "z" * 40

#: What must never reach a page (a template or Python value shown raw).
RAW = ("<Macro", "Undefined", " nan ", "None</", ">None<", "{{", "{%")


def _serve(path: Path) -> Iterator[str]:
    from b2bcx.server.settings import load_server_settings

    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=True)
    with serve_dashboard(settings, start_within=60) as url:
        yield url


@pytest.fixture(scope="module")
def g2_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if not G2.exists():
        pytest.skip(f"the G2 export is not at {G2} (../shared/data)")
    path = tmp_path_factory.mktemp("g2-walk") / "g2.duckdb"
    with b2bcx.open_workspace(path) as ws:
        result = ws.import_bundle(G2, ImportOptions(mapping=G2_MAPPING))
        assert result.n_rejected == 0
        token = create_token(ws.backend, role="admin", name="walk").token
    return path, token


def _signed_in(browser: Any, base: str, token: str, width: int = 1300) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=base,
                                  accept_downloads=True)  # fmt: skip
    tab = context.new_page()
    tab.set_default_timeout(180_000)
    sign_in(tab, token)
    return tab


def _shot(tab: Any, world: str, name: str) -> Path:
    return shot(tab, f"walk-{world}-{name}")


def _check_page(tab: Any, world: str, name: str) -> None:
    """What every page must hold; the screenshot is taken first, so a failure has one."""
    _shot(tab, world, name)
    html = tab.content()
    for raw in RAW:
        assert raw not in html, f"{world} {name}: {raw!r} on the page"
    if name != "text":  # the text page is the text engineer's (issue 20)
        shown = tab.locator("main").inner_text()
        flags = re.findall(r"(?:^|\s)(--[a-z][a-z-]+|b2bcx [a-z]+ [a-z]+)", shown)
        assert not flags, f"{world} {name}: command-line instructions on the page: {flags}"
        untitled = tab.locator("div.kpi:not([title]), div.kpi[title='']").count()
        assert untitled == 0, f"{world} {name}: {untitled} tile(s) without a definition"
    bad = [c for c in tab.evaluate(CHECK) if c["clipped"] or c["overlaps"]]
    assert not bad, f"{world} {name}: {bad}"


def _walk(tab: Any, world: str, account: str | None) -> None:
    tab.goto("/")
    assert tab.locator("#attention").is_visible()
    box = tab.locator("#attention").bounding_box()
    assert box is not None and box["y"] < 900, "What needs attention is not on the first screen"
    _check_page(tab, world, "portfolio")
    first = tab.locator("#accounts tbody tr[data-account] a").first
    if account is None and first.count():
        account = first.get_attribute("href")
    assert account is not None, f"{world}: no account to open"
    for name, path in (("touchpoints", "/touchpoints"), ("strategy", "/strategy"),
                       ("text", "/text"), ("account", account)):  # fmt: skip
        if path is None:
            continue
        tab.goto(path)
        _check_page(tab, world, name)
        link = tab.locator("a.download")
        if name != "text":
            assert link.count() == 1, f"{world} {name}: no Excel button"
            with tab.expect_download() as got:
                link.click()
            assert got.value.suggested_filename.endswith(".xlsx")


def _phone(browser: Any, base: str, token: str, world: str) -> None:
    tab = _signed_in(browser, base, token, width=390)
    tab.goto("/")
    _shot(tab, world, "portfolio-phone")
    wide = tab.evaluate("document.documentElement.scrollWidth")
    assert wide <= 400, f"{world}: the portfolio is {wide} px wide on a 390-px phone"
    tab.context.close()


def test_demo_walk(browser: Any, live_server: str, web_world: World) -> None:
    tab = _signed_in(browser, live_server, web_world.admin)
    _walk(tab, "demo", f"/accounts/{web_world.own_account}")
    # every filter of the bar at once still answers, and keeps every choice
    tab.goto("/")
    for name in ("segment", "country", "touchpoint", "partner"):
        select = tab.locator(f"form.filters select[name='{name}']")
        if select.count():
            select.select_option(index=1)
    tab.click("form.filters button[type=submit]")
    tab.wait_for_load_state()
    _check_page(tab, "demo", "every-filter")
    tab.context.close()
    _phone(browser, live_server, web_world.admin, "demo")


def test_g2_walk(browser: Any, g2_world: tuple[Path, str]) -> None:
    path, token = g2_world
    for base in _serve(path):
        tab = _signed_in(browser, base, token)
        _walk(tab, "g2", None)
        tab.goto("/")
        # the G2 reviews carry an NPS but no cx rating: the pages say so
        assert "NPS" in tab.locator("#attention").inner_text()
        tab.context.close()
        _phone(browser, base, token, "g2")
