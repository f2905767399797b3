"""The Cases pages in-process: the work list (mine first, filters in the URL,
paging), a case with what raised it, the person (personal data only for who may
contact them), the history, and CSRF-protected, audited transitions and notes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, build_world, sign_in
from case_world import CaseFacts, add_cases
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.cases import open_case
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.web.app import mount_dashboard

Setup = tuple[World, CaseFacts, TestClient, str]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A world of its own with cases (these tests write), and an analyst token
    named as the owner of the first account's case."""
    world = build_world(tmp_path_factory.mktemp("cases-web"))
    facts = add_cases(world)
    with b2bcx.open_workspace(world.path) as ws:
        owner = create_token(ws.backend, role="analyst", name=facts.own_owner).token
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as client:
        yield world, facts, client, owner


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _case_ids(html: str, table: str) -> list[str]:
    part = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-case="([^"]+)"', part)


def test_the_work_list_puts_my_cases_first_and_keeps_filters(setup: Setup) -> None:
    world, facts, client, owner = setup
    sign_in(client, owner, "/cases")
    page = client.get("/cases")
    assert page.status_code == 200
    assert '<a href="/cases" aria-current="page">Cases</a>' in page.text
    mine = _case_ids(page.text, "mine")
    assert facts.own_case in mine and facts.manual_case not in mine
    assert f'My open cases <span class="muted">({facts.own_owner}: {len(mine)})' in page.text
    listed = _case_ids(page.text, "cases")
    assert len(listed) == min(25, facts.detractor_cases + 1)
    # filters are query parameters, kept in the form and the pager
    manual = client.get("/cases?rule=manual&status=open")
    assert _case_ids(manual.text, "cases") == [facts.manual_case]
    assert '<option value="manual" selected>' in manual.text
    by_owner = client.get("/cases?owner=Q.+Tester")
    assert _case_ids(by_owner.text, "cases") == [facts.manual_case]
    by_account = client.get(f"/cases?account_id={world.own_account}")
    ids = _case_ids(by_account.text, "cases")
    assert facts.own_case in ids and facts.manual_case not in ids
    assert client.get("/cases?status=closed").text.count("data-case=") == len(mine)  # none closed
    assert client.get("/cases?status=nonsense").status_code == 422


def test_paging_keeps_the_filters(setup: Setup) -> None:
    world, facts, client, owner = setup
    with b2bcx.open_workspace(world.path) as ws:  # more than a page (25) of cases
        for n in range(max(0, 30 - facts.detractor_cases - 1)):
            open_case(ws.backend, account_id=world.other_account, title=f"Extra {n}")
    sign_in(client, owner, "/cases")
    first = client.get("/cases?status=open&status=in_progress")
    assert 'rel="next"' in first.text and "page 1 of 2" in first.text
    link = re.search(r'href="(/cases\?[^"]+)" rel="next"', first.text)
    assert link and "status=open" in link.group(1).replace("&amp;", "&")
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert "page 2 of 2" in second.text
    assert set(_case_ids(second.text, "cases")).isdisjoint(_case_ids(first.text, "cases"))


def test_the_closed_loop_panel_shows_the_figures(setup: Setup) -> None:
    _, facts, client, owner = setup
    sign_in(client, owner, "/cases")
    page = client.get("/cases").text
    assert 'data-panel="closed-loop"' in page
    assert "Detractors contacted within the SLA" in page and "Follow-up effect" in page
    panel = page.split('data-panel="closed-loop"', 1)[1]
    assert "Q. Tester" in panel and facts.own_owner in panel


def test_a_case_moves_through_its_life_on_its_page(setup: Setup) -> None:
    _, facts, client, owner = setup
    sign_in(client, owner, f"/cases/{facts.own_case}")
    page = client.get(f"/cases/{facts.own_case}")
    assert page.status_code == 200
    assert 'id="behind"' in page.text and "data-interaction=" in page.text
    assert 'data-form="status"' in page.text and 'data-form="note"' in page.text
    csrf = _csrf(page.text)
    # a forged form is refused
    forged = client.post(f"/cases/{facts.own_case}", data={"csrf_token": "x", "note": "hi"})
    assert forged.status_code == 403
    r = client.post(
        f"/cases/{facts.own_case}",
        data={"csrf_token": csrf, "status": "in_progress"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=status")
    r = client.post(f"/cases/{facts.own_case}", data={"csrf_token": csrf, "note": "Called Ms X"})
    assert r.status_code == 200 and "The note was added." in r.text
    refused = client.post(f"/cases/{facts.own_case}", data={"csrf_token": csrf, "status": "closed"})
    assert refused.status_code == 422 and "outcome" in refused.text
    closed = client.post(
        f"/cases/{facts.own_case}",
        data={"csrf_token": csrf, "status": "closed", "outcome": "Replaced the part"},
    )
    assert closed.status_code == 200 and 'data-field="status">closed<' in closed.text
    wrong = client.post(
        f"/cases/{facts.own_case}", data={"csrf_token": csrf, "status": "in_progress"}
    )
    assert wrong.status_code == 422
    assert "from closed it can only go to: open (reopen)" in wrong.text
    history = closed.text.split('data-table="history"', 1)[1]
    kinds = re.findall(r'data-kind="([a-z_]+)"', history)
    assert kinds == ["opened", "status", "note", "status"]
    assert "Called Ms X" in history and "Replaced the part" in closed.text
    assert history.count(f"<td>{facts.own_owner}</td>") == 3  # the token's name acts
    with b2bcx.open_workspace(setup[0].path) as ws:
        rows = ws.backend.fetch_dicts(
            "SELECT action, status FROM audit_log WHERE target = ?", [facts.own_case]
        )
    audited = {(r["action"], r["status"]) for r in rows}
    assert audited >= {("POST /cases", 303), ("POST /cases", 422)}


def test_viewers_read_but_cannot_act(setup: Setup) -> None:
    world, facts, client, _ = setup
    sign_in(client, world.viewer, "/cases")
    page = client.get(f"/cases/{facts.manual_case}")
    assert page.status_code == 200 and 'data-form="status"' not in page.text
    csrf = _csrf(page.text)  # the sign-out form's
    r = client.post(f"/cases/{facts.manual_case}", data={"csrf_token": csrf, "note": "x"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("who", "shown"),
    [("viewer", False), ("analyst", True), ("admin", True), ("restricted", True)],
)
def test_the_person_only_for_who_may_contact_them(setup: Setup, who: str, shown: bool) -> None:
    world, facts, client, _ = setup
    sign_in(client, getattr(world, who), "/cases")
    page = client.get(f"/cases/{facts.own_case}").text
    person = page.split('id="person"', 1)[1].split("</section>", 1)[0]
    assert ("@client.example" in person) is shown
    assert ('data-field="name">Person STK-' in person) is shown
    assert ('data-hidden="personal"' in person) is not shown


def test_a_restricted_token_sees_only_its_account_cases(setup: Setup) -> None:
    world, facts, client, _ = setup
    sign_in(client, world.restricted, "/cases")
    page = client.get("/cases?status=open&status=in_progress&status=closed").text
    ids = _case_ids(page, "cases")
    assert facts.own_case in ids and facts.manual_case not in ids
    assert client.get(f"/cases/{facts.manual_case}").status_code == 404
