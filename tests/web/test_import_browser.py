"""The import wizard in a real browser (Debian's Chromium, headless, Playwright),
on a workspace of its own: upload a plain CSV, match its columns (pre-filled),
preview 20 rows with the errors, save the mapping, import with rejects allowed,
download the rejects file; then the HubSpot sample's three files with the
shipped mapping. Screenshots go to build/screenshots/import-*.png."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import SECRET
from browser_setup import chromium, new_tab, serve_dashboard, shot
from test_import_wizard import SAMPLES, SURVEY, _expected

import b2bcx
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """An empty workspace served on a loopback port: (URL, analyst token, path)."""
    path = tmp_path / "ws" / "b2bcx.duckdb"
    path.parent.mkdir()
    with b2bcx.open_workspace(path) as ws:
        token = create_token(ws.backend, role="analyst", name="importer").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with serve_dashboard(settings) as url:
        yield url, token, path


@pytest.fixture
def page(served: tuple[str, str, Path]) -> Iterator[Any]:
    with chromium() as browser, new_tab(browser, served[0], accept_downloads=True) as tab:
        yield tab


def _shot(page: Any, name: str) -> None:
    shot(page, f"import-{name}")


def test_the_wizard_in_chromium(page: Any, served: tuple[str, str, Path], tmp_path: Path) -> None:
    _, token, _ = served
    page.goto("/import")
    page.fill("#token", token)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url("**/import")
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    page.set_input_files("#import-export input[name=files]", str(survey))
    page.click("#import-export button[type=submit]")
    page.wait_for_url("**/import/source/*")
    # the columns whose names say what they hold are pre-filled
    assert page.input_value("select[name='match.accounts.name']") == "Company"
    assert page.input_value("select[name='match.stakeholders.email']") == "E-mail"
    assert page.input_value("select[name='match.interactions.occurred_at']") == "Submitted"
    page.select_option("select[name='date_format']", "%d/%m/%Y")
    _shot(page, "mapping")
    page.click("#match-columns button[type=submit]")
    page.wait_for_url("**/preview")
    assert "2 rows would be rejected" in page.inner_text("#error-count")
    assert page.locator("#errors tbody tr").count() == 2
    rows = page.locator("[data-table='interactions'] tbody tr")
    assert rows.count() == 20
    assert page.locator("[data-table='interactions'] tbody tr.has-error").count() == 2
    _shot(page, "preview")
    page.fill("#save-mapping input[name=name]", "survey tool")
    page.click("#save-mapping button[type=submit]")
    page.wait_for_url("**/preview?saved=*")
    assert "Saved the mapping" in page.inner_text("main")
    page.check("#do-import input[name=allow_rejects]")
    page.click("#do-import button[type=submit]")
    page.wait_for_selector("#result .ok")
    _shot(page, "done")
    with page.expect_download() as info:
        page.click("#result a.download")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rejects = list(csv.DictReader(io.StringIO(text)))
    assert len(rejects) == 2 and {r["row"] for r in rejects} == {"4", "5"}
    assert "Imported as batch" in page.inner_text("#result")
    # the HubSpot sample's three files with the shipped mapping, selected for them
    page.goto("/import")
    files = [str(p) for p in sorted((SAMPLES / "hubspot").glob("*.csv"))]
    page.set_input_files("#import-export input[name=files]", files)
    page.click("#import-export button[type=submit]")
    page.wait_for_url("**/import/source/*")
    assert page.input_value("#choose-mapping select[name=mapping]") == "hubspot"
    page.click("#choose-mapping form button[type=submit]")
    page.wait_for_url("**/preview")
    expected = _expected("hubspot")
    summary = page.locator("#summary tbody tr")
    got = {}
    for k in range(summary.count()):
        cells = summary.nth(k).locator("td").all_inner_texts()
        got[cells[0]] = (int(cells[1].replace(",", "")), int(cells[2].replace(",", "")))
    assert got == expected
    _shot(page, "hubspot-preview")
