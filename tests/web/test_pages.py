"""Dashboard pages in-process: sign-in, session cookie, CSRF, access, content."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_world import SECRET, World, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.sessions import SESSION_COOKIE, sign, unsign
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token, revoke_token
from b2bcx.web.app import mount_dashboard


@pytest.fixture(scope="module")
def app_client(web_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(web_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        yield c


def test_pages_redirect_to_sign_in(app_client: TestClient) -> None:
    app_client.cookies.clear()
    r = app_client.get("/strategy", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/strategy"


def test_session_cookie_is_http_only_same_site_and_signed(
    app_client: TestClient, web_world: World
) -> None:
    app_client.cookies.clear()
    form = app_client.get("/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    r = app_client.post(
        "/signin",
        data={"token": web_world.viewer, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert web_world.viewer not in value  # the token itself never travels in the cookie
    assert unsign(SECRET.encode(), value) is not None
    assert unsign(b"another key" * 4, value) is None
    assert r.headers["location"] == "/"


def test_forged_cookie_is_refused(app_client: TestClient, web_world: World) -> None:
    app_client.cookies.clear()
    forged = sign(b"not the server secret" * 2, {"tid": "x", "exp": 9e12, "csrf": "c"})
    app_client.cookies.set(SESSION_COOKIE, forged)
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_form_csrf(app_client: TestClient, web_world: World) -> None:
    app_client.cookies.clear()
    r = app_client.post(
        "/signin", data={"token": web_world.viewer, "csrf_token": "guess"}, follow_redirects=False
    )
    assert r.status_code == 403


def test_wrong_token_says_so(app_client: TestClient) -> None:
    app_client.cookies.clear()
    form = app_client.get("/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    r = app_client.post(
        "/signin", data={"token": "b2bcx_00000000_" + "x" * 43, "csrf_token": csrf.group(1)}
    )
    assert r.status_code == 401 and "unknown or revoked" in r.text


def test_no_open_redirect(app_client: TestClient, web_world: World) -> None:
    client = sign_in(app_client, web_world.viewer, "//evil.example/x")
    assert client.get("/", follow_redirects=False).status_code == 200


def test_every_page_renders_with_charts(app_client: TestClient, web_world: World) -> None:
    client = sign_in(app_client, web_world.admin)
    pages = {
        "/": 3,
        f"/accounts/{web_world.own_account}": 3,
        "/touchpoints": 2,
        "/text": 2,
        "/strategy": 2,
        "/import": 0,
    }
    for path, charts in pages.items():
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.text.count('class="chart"') >= charts, path
        assert "Content-Security-Policy" in r.headers
        assert "http://" not in r.text.replace("http://www.w3.org/2000/svg", "")  # no CDN


def test_signout_needs_csrf(app_client: TestClient, web_world: World) -> None:
    client = sign_in(app_client, web_world.viewer)
    assert client.post("/signout", data={"csrf_token": "nope"}).status_code == 403
    page = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post("/signout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_import_form_rejects_a_missing_csrf(app_client: TestClient, web_world: World) -> None:
    client = sign_in(app_client, web_world.analyst)
    r = client.post(
        "/import",
        files={"file": ("b.zip", b"PK\x03\x04", "application/zip")},
        data={"csrf_token": "forged"},
    )
    assert r.status_code == 403


def test_viewers_and_restricted_tokens_cannot_import(
    app_client: TestClient, web_world: World
) -> None:
    for token in (web_world.viewer, web_world.restricted_analyst):
        client = sign_in(app_client, token)
        assert client.get("/import").status_code == 403
        assert "Import</a>" not in client.get("/").text


def test_restricted_dashboard_shows_only_its_account(
    app_client: TestClient, web_world: World
) -> None:
    client = sign_in(app_client, web_world.restricted)
    portfolio = client.get("/").text
    assert f"/accounts/{web_world.own_account}" in portfolio
    assert f"/accounts/{web_world.other_account}" not in portfolio
    assert client.get(f"/accounts/{web_world.own_account}").status_code == 200
    other = client.get(f"/accounts/{web_world.other_account}")
    assert other.status_code == 404 and "no account" in other.text
    for path in ("/touchpoints", "/text", "/strategy"):
        assert 'data-unavailable="restricted"' in client.get(path).text


def test_revoking_the_token_ends_the_session(app_client: TestClient, web_world: World) -> None:
    with b2bcx.open_workspace(web_world.path) as ws:
        made = create_token(ws.backend, role="viewer")
    client = sign_in(app_client, made.token)
    assert client.get("/", follow_redirects=False).status_code == 200
    with b2bcx.open_workspace(web_world.path) as ws:
        revoke_token(ws.backend, made.principal.token_id)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_upload_through_the_page_shows_counts(app_client: TestClient, web_world: World) -> None:
    import io
    import zipfile

    client = sign_in(app_client, web_world.analyst)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/import").text)
    assert csrf
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(web_world.bundle.glob("*.csv")):
            z.write(f, f.name)
    r = client.post(
        "/import",
        files={"file": ("bundle.zip", buf.getvalue(), "application/zip")},
        data={"csrf_token": csrf.group(1)},
    )
    assert r.status_code == 200, r.text[:500]
    assert "Imported as batch" in r.text and "interactions" in r.text


def test_portfolio_ranks_root_causes_with_what_detractors_wrote(
    app_client: TestClient, web_world: World
) -> None:
    from b2bcx.diagnose import diagnose

    with b2bcx.open_workspace(web_world.path) as ws:
        expected = diagnose(ws.backend).to_json()["priorities"]
    assert expected, "the test world should have root causes to rank"
    client = sign_in(app_client, web_world.admin)
    html = client.get("/").text
    section = html.split('id="root-causes"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d+)</td>", section)
    assert rows == [str(p["rank"]) for p in expected[:8]]
    first = expected[0]
    assert str(first["touchpoint"] or first["touchpoint_id"]) in section
    if first.get("text"):
        assert f"{first['text']['comments']} comment" in section and "<q>" in section
    # portfolio-wide root causes quote other accounts' people: not for a restricted token
    restricted = sign_in(app_client, web_world.restricted).get("/").text
    assert 'id="root-causes"' not in restricted
