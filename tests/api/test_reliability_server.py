"""The server findings of the reliability review (issue 21): each test is named
after its finding (``reviews/reliability.md``) and failed on the code before the fix."""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import SECRET, World, auth, build_world, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard

UPLOAD_ROUTES = ("/api/v1/imports", "/import", "/api/v1/strategy/answers", "/strategy/answers")


def _app(world: World, **settings: Any) -> FastAPI:
    options = {"workspace": str(world.path), "secret": SECRET, "warm": False, **settings}
    return create_app(load_server_settings(**options), mount=[mount_dashboard])


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    """A world of its own (these tests write), with the dashboard mounted."""
    world = build_world(tmp_path_factory.mktemp("reliability-world"))
    with TestClient(_app(world), raise_server_exceptions=False) as c:
        yield world, c


def _audit(client: TestClient, world: World, limit: int = 5) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/audit?limit={limit}", headers=auth(world.admin))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _zip(folder: Path, extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.glob("*.csv")):
            z.writestr(f.name, (extra or {}).get(f.stem, f.read_text(encoding="utf-8")))
    return buf.getvalue()


# --- M1: bodies bounded before they touch disk ---------------------------------------------


def _stream(
    app: FastAPI,
    path: str,
    *,
    headers: dict[str, str],
    total: int,
    chunk: int = 64 * 1024,
    announce: bool = False,
) -> tuple[int, int, dict[str, str]]:
    """POST ``total`` bytes of a multipart body to ``app`` in chunks, straight
    through ASGI; returns the status, how many bytes the app pulled, and the
    answer's headers."""
    pulled = 0
    sent: list[dict[str, Any]] = []
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", f"multipart/form-data; boundary={boundary}".encode()))
    if announce:
        raw.append((b"content-length", str(total).encode()))

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        body = head if pulled == 0 else b"\0" * min(chunk, total - pulled)
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": pulled < total}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.9", 5000),
        "server": ("testserver", 80),
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    answer = {k.decode(): v.decode() for k, v in start["headers"]}
    return int(start["status"]), pulled, answer


def test_m1_unauthenticated_upload_is_refused_before_the_body_is_stored(
    own: tuple[World, TestClient],
) -> None:
    _, client = own
    app: FastAPI = client.app  # type: ignore[assignment]
    total = 20 * 1024 * 1024
    for path in UPLOAD_ROUTES:
        for headers in ({}, {"Authorization": "Bearer b2bcx_00000000_" + "x" * 43}):
            status, pulled, answer = _stream(app, path, headers=headers, total=total)
            if path.startswith("/api/"):
                assert status == 401, (path, status)
                assert answer.get("www-authenticate") == "Bearer"
            else:  # the dashboard sends the visitor to sign in
                assert status == 303, (path, status)
                assert answer["location"].startswith("/signin")
            assert pulled == 0, f"{path}: {pulled} bytes read before the answer"


def test_m1_upload_past_the_limit_is_cut_at_the_limit(own: tuple[World, TestClient]) -> None:
    world, _ = own
    app = _app(world, max_upload_mb=1)
    limit = 1024 * 1024 + 64 * 1024  # the limit and the form's framing
    total = 8 * 1024 * 1024
    status, pulled, _ = _stream(app, "/api/v1/imports", headers=auth(world.analyst), total=total)
    assert status == 413
    assert pulled <= limit + 64 * 1024, f"{pulled} of {total} bytes read"
    # announced too large: refused before one byte of the body is read
    status, pulled, _ = _stream(
        app, "/api/v1/imports", headers=auth(world.analyst), total=total, announce=True
    )
    assert status == 413 and pulled == 0
    # an answers file: bounded at 256 KB (and its framing) too
    status, pulled, _ = _stream(
        app, "/api/v1/strategy/answers", headers=auth(world.analyst), total=total
    )
    assert status == 413 and pulled <= 256 * 1024 + 2 * 64 * 1024


def test_m1_an_upload_within_the_limit_still_imports(own: tuple[World, TestClient]) -> None:
    world, client = own
    files = {"file": ("bundle.zip", _zip(world.bundle), "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "committed"


# --- M3: the audit log shows the real outcome --------------------------------------------


def test_m3_a_failed_write_is_audited_with_its_real_status(
    own: tuple[World, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = own
    import b2bcx.api.routes.strategy as strategy_routes

    def broken(*args: object, **kwargs: object) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(strategy_routes, "answers_upload", broken)
    files = {"file": ("a.yaml", b"respondent: J\n", "application/x-yaml")}
    r = client.post("/api/v1/strategy/answers", files=files, headers=auth(world.admin))
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    entry = _audit(client, world)[0]
    assert entry["action"] == "POST /api/v1/strategy/answers"
    assert entry["status"] == 500


def test_m3_refused_attempts_are_audited(own: tuple[World, TestClient]) -> None:
    world, client = own
    files = {"file": ("b.zip", b"PK\x03\x04", "application/zip")}
    r = client.post("/api/v1/imports", files=files)
    assert r.status_code == 401
    entry = _audit(client, world)[0]
    assert (entry["action"], entry["status"], entry["token_id"]) == (
        "POST /api/v1/imports",
        401,
        None,
    )
    r = client.post("/api/v1/imports", files=files, headers=auth(world.viewer))
    assert r.status_code == 403
    entry = _audit(client, world)[0]
    assert (entry["action"], entry["status"], entry["role"]) == (
        "POST /api/v1/imports",
        403,
        "viewer",
    )
    r = client.post("/api/v1/tokens", json={"role": "admin"}, headers=auth(world.analyst))
    assert r.status_code == 403
    entry = _audit(client, world)[0]
    assert (entry["action"], entry["status"]) == ("POST /api/v1/tokens", 403)


def test_m3_a_refused_import_is_audited_once(own: tuple[World, TestClient]) -> None:
    world, client = own
    before = _audit(client, world, limit=1)[0]
    files = {"file": ("notes.txt", b"hello", "text/plain")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
    assert r.status_code == 415
    log = _audit(client, world, limit=3)
    fresh = [e for e in log if e["at"] > before["at"]]
    assert [e["status"] for e in fresh] == [415]


# --- M5: errors, not tracebacks ----------------------------------------------------------


def test_m5_non_utf8_answers_upload_gives_the_error_envelope(
    own: tuple[World, TestClient],
) -> None:
    world, client = own
    files = {"file": ("a.yaml", "respondent: Jürgen\n".encode("latin-1"), "application/x-yaml")}
    r = client.post("/api/v1/strategy/answers", files=files, headers=auth(world.admin))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_answers"
    assert "a.yaml" in error["message"] and "UTF-8" in error["message"]
    assert _audit(client, world)[0]["status"] == 422


def _encrypted_zip(folder: Path) -> bytes:
    """A bundle zip whose entries are marked encrypted (general purpose flag bit 0)."""
    data = bytearray(_zip(folder))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for m in re.finditer(re.escape(signature), bytes(data)):
            data[m.start() + offset] |= 0x01
    return bytes(data)


def test_m5_encrypted_zip_gives_the_error_envelope(own: tuple[World, TestClient]) -> None:
    world, client = own
    files = {"file": ("secret.zip", _encrypted_zip(world.bundle), "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
    assert 400 <= r.status_code < 500, r.text
    assert "encrypted" in r.json()["error"]["message"]
    assert _audit(client, world)[0]["status"] == r.status_code


# --- M7: sign-out ends the session on the server -----------------------------------------


def test_m7_a_signed_out_cookie_gets_the_signin_page(own: tuple[World, TestClient]) -> None:
    world, _ = own
    with TestClient(_app(world)) as client:
        sign_in(client, world.viewer)
        assert client.get("/", follow_redirects=False).status_code == 200
        kept = dict(client.cookies)
        page = client.get("/").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        r = client.post("/signout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert r.status_code == 303
        client.cookies.clear()
        for name, value in kept.items():
            client.cookies.set(name, value)
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_m7_other_sessions_of_the_token_live_on(own: tuple[World, TestClient]) -> None:
    world, _ = own
    app = _app(world)
    with TestClient(app) as first, TestClient(app) as second:
        sign_in(first, world.viewer)
        sign_in(second, world.viewer)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', first.get("/").text)
        assert csrf
        first.post("/signout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert second.get("/", follow_redirects=False).status_code == 200


# --- L5: no server paths in messages or history ------------------------------------------


def test_l5_server_paths_never_appear_in_messages_or_history(
    own: tuple[World, TestClient],
) -> None:
    world, client = own
    lines = (world.bundle / "accounts.csv").read_text(encoding="utf-8").splitlines()
    header = [h.strip('"') for h in lines[0].split(",")]
    row = ["" for _ in header]
    row[header.index("account_id")] = "ACC-L5"
    row[header.index("annual_value")] = "not a number"
    bad = _zip(world.bundle, {"accounts": "\n".join([*lines, ",".join(row)]) + "\n"})
    files = {"file": ("my bundle.zip", bad, "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "rejects.csv" in message
    for path in ("/tmp", str(world.path.parent), os.sep + "b2bcx-upload-"):
        assert path not in message, message
    history = client.get("/api/v1/imports", headers=auth(world.viewer)).json()["items"]
    assert history[0]["source"] == "my bundle.zip"
    good = {"file": ("ok.zip", _zip(world.bundle), "application/zip")}
    r = client.post("/api/v1/imports", files=good, headers=auth(world.analyst))
    assert r.status_code == 201
    assert r.json()["result"]["source"] == "ok.zip"
    assert "/" not in str(r.json()["result"].get("rejects_path") or "")


# --- L6: temporary folders of a crash are swept at start ---------------------------------


def test_l6_old_temp_folders_are_swept_and_only_ours(tmp_path: Path) -> None:
    from b2bcx.server.guard import sweep_temp_folders

    old = time.time() - 2 * 3600
    made = {
        name: tmp_path / name
        for name in ("b2bcx-upload-a1", "b2bcx-zip-b2", "b2bcx-upload-fresh", "other-upload-x")
    }
    for path in made.values():
        path.mkdir()
        (path / "big.zip").write_bytes(b"x" * 100)
    for name in ("b2bcx-upload-a1", "b2bcx-zip-b2", "other-upload-x"):
        os.utime(made[name], (old, old))
    (tmp_path / "b2bcx-upload-file").write_text("a file, not ours to remove")
    os.utime(tmp_path / "b2bcx-upload-file", (old, old))
    removed = sweep_temp_folders(root=tmp_path)
    assert sorted(p.name for p in removed) == ["b2bcx-upload-a1", "b2bcx-zip-b2"]
    assert not made["b2bcx-upload-a1"].exists() and not made["b2bcx-zip-b2"].exists()
    assert made["b2bcx-upload-fresh"].exists() and made["other-upload-x"].exists()
    assert (tmp_path / "b2bcx-upload-file").exists()


def test_l6_the_server_sweeps_at_start(
    own: tuple[World, TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _ = own
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    left = tmp_path / "b2bcx-zip-crashed"
    left.mkdir()
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    with TestClient(_app(world)) as client:
        assert client.get("/api/v1/health").status_code == 200
    assert not left.exists()


# --- L8: a restricted token does not see other accounts' ids -----------------------------


def test_l8_restricted_token_does_not_see_the_parent_account_id(
    own: tuple[World, TestClient],
) -> None:
    world, client = own
    # give the restricted token's account a parent it may not see
    from b2bcx.server.state import AppState

    state: AppState = client.app.state.b2bcx  # type: ignore[attr-defined]
    with state.db() as backend:
        backend.execute(
            "UPDATE accounts SET parent_account_id = ? WHERE account_id = ?",
            [world.other_account, world.own_account],
        )
    state.results.invalidate()
    state.results.forget("view:accounts", "view:accounts_by_id")
    everyone = client.get(f"/api/v1/accounts/{world.own_account}", headers=auth(world.viewer))
    assert everyone.json()["account"]["parent_account_id"] == world.other_account
    one = client.get(f"/api/v1/accounts/{world.own_account}", headers=auth(world.restricted))
    assert one.status_code == 200
    listed = client.get("/api/v1/accounts?limit=1000", headers=auth(world.restricted)).json()
    for body in (one.text, str(listed)):
        assert world.other_account not in body
    assert one.json()["account"]["parent_account_id"] is None
    assert one.json()["summary"]["parent_account_id"] is None


# --- L9: account ids containing "/" --------------------------------------------------------


def test_l9_account_ids_with_a_slash_can_be_opened(tmp_path: Path) -> None:
    from b2bcx.server.tokens import create_token
    from b2bcx.workspace import open_workspace

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "accounts.csv").write_text("account_id,name\nACC/1,Slash AG\nACC-2,Plain AG\n")
    (bundle / "stakeholders.csv").write_text("stakeholder_id,account_id\nS1,ACC/1\nS2,ACC-2\n")
    (bundle / "interactions.csv").write_text(
        "interaction_id,stakeholder_id,occurred_at\nI1,S1,2025-01-02\nI2,S2,2025-01-03\n"
    )
    path = tmp_path / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_bundle(bundle)
        token = create_token(ws.backend, role="viewer").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=[mount_dashboard])) as client:
        r = client.get("/api/v1/accounts/ACC/1", headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.json()["account"]["name"] == "Slash AG"
        assert client.get("/api/v1/accounts/ACC/1/journeys", headers=auth(token)).json() == []
        sub = client.get("/api/v1/accounts/ACC-2/findings", headers=auth(token))
        assert sub.status_code == 200
        assert client.get("/api/v1/accounts/ACC/9", headers=auth(token)).status_code == 404
        sign_in(client, token)
        page = client.get("/accounts/ACC/1", follow_redirects=False)
        assert page.status_code == 200 and "Slash AG" in page.text


# --- L10: rate limit on failed token checks ------------------------------------------------


def test_l10_failed_token_checks_are_rate_limited(own: tuple[World, TestClient]) -> None:
    world, _ = own
    with TestClient(_app(world, auth_failures=3, auth_window=30)) as client:
        wrong = auth("b2bcx_00000000_" + "y" * 43)
        for _ in range(3):
            assert client.get("/api/v1/accounts", headers=wrong).status_code == 401
        r = client.get("/api/v1/accounts", headers=wrong)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(r.headers["Retry-After"]) <= 30
        # the address is held back even with a good token, until the window passes
        assert client.get("/api/v1/accounts", headers=auth(world.viewer)).status_code == 429
        files = {"file": ("b.zip", b"PK", "application/zip")}
        r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
        assert r.status_code == 429 and "Retry-After" in r.headers


def test_l10_a_good_token_is_never_counted() -> None:
    from b2bcx.server.guard import FailureLimiter

    limiter = FailureLimiter(2, 60.0)
    assert limiter.retry_after("a") is None
    limiter.fail("a")
    assert limiter.retry_after("a") is None
    limiter.fail("a")
    wait = limiter.retry_after("a")
    assert wait is not None and 59 <= wait <= 60
    assert limiter.retry_after("b") is None  # per address


def test_l10_the_window_slides() -> None:
    from b2bcx.server.guard import FailureLimiter

    limiter = FailureLimiter(1, 0.2)
    limiter.fail("a")
    assert limiter.retry_after("a") == 1
    time.sleep(0.25)
    assert limiter.retry_after("a") is None
