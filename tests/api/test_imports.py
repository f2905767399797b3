"""Uploading a bundle: counts, rejects with reasons, the audit log, cache refresh."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import SECRET, World, auth, build_world
from fastapi.testclient import TestClient

from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    """A world of its own (these tests write)."""
    world = build_world(tmp_path_factory.mktemp("import-world"), size=8000)
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as c:
        yield world, c


def _zip(folder: Path, edit: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.glob("*.csv")):
            z.writestr(f.name, (edit or {}).get(f.stem, f.read_text(encoding="utf-8")))
    return buf.getvalue()


def _bad_interactions(folder: Path) -> str:
    lines = (folder / "interactions.csv").read_text(encoding="utf-8").splitlines()
    header = [h.strip('"') for h in lines[0].split(",")]
    row = ["" for _ in header]
    row[header.index("interaction_id")] = "I-BAD-1"
    row[header.index("stakeholder_id")] = "NOBODY"
    row[header.index("occurred_at")] = "not a date"
    row[header.index("source")] = "survey"
    return "\n".join([*lines, ",".join(row)]) + "\n"


def test_reimport_changes_nothing_and_is_audited(own: tuple[World, TestClient]) -> None:
    world, client = own
    files = {"file": ("bundle.zip", _zip(world.bundle), "application/zip")}
    r = client.post("/api/v1/imports", files=files, headers=auth(world.analyst))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "committed" and body["n_rejected"] == 0
    assert body["result"]["tables"]["interactions"]["unchanged"] > 0
    assert body["result"]["tables"]["interactions"]["inserted"] == 0
    batches = client.get("/api/v1/imports", headers=auth(world.viewer)).json()
    assert batches["items"][0]["batch_id"] == body["batch_id"]
    log = client.get("/api/v1/audit", headers=auth(world.admin)).json()["items"]
    assert log[0]["action"] == "POST /api/v1/imports" and log[0]["status"] == 201
    assert log[0]["detail"]["batch_id"] == body["batch_id"]


def test_rejected_rows_come_back_with_reasons(own: tuple[World, TestClient]) -> None:
    world, client = own
    bad = _zip(world.bundle, {"interactions": _bad_interactions(world.bundle)})
    r = client.post(
        "/api/v1/imports",
        files={"file": ("bad.zip", bad, "application/zip")},
        headers=auth(world.analyst),
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "data_rejected"
    detail = err["details"][0]
    assert detail["n_rejected"] >= 1
    assert any(x["reason"] for x in detail["rejects"])
    page = client.get(
        f"/api/v1/imports/{detail['batch_id']}/rejects", headers=auth(world.viewer)
    ).json()
    assert page["total"] == len(detail["rejects"]) or page["total"] >= detail["n_rejected"]
    log = client.get("/api/v1/audit", headers=auth(world.admin)).json()["items"]
    assert log[0]["status"] == 422


def test_allow_rejects_commits_the_valid_rows(own: tuple[World, TestClient]) -> None:
    world, client = own
    bad = _zip(world.bundle, {"interactions": _bad_interactions(world.bundle)})
    r = client.post(
        "/api/v1/imports",
        files={"file": ("bad.zip", bad, "application/zip")},
        data={"allow_rejects": "true"},
        headers=auth(world.analyst),
    )
    assert r.status_code == 201, r.text
    assert r.json()["n_rejected"] >= 1
    assert r.json()["rejects"][0]["reason"]


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("notes.txt", b"hello", 415),
        ("fake.zip", b"not a zip at all", 415),
    ],
)
def test_non_zip_uploads_are_refused(
    own: tuple[World, TestClient], name: str, content: bytes, status: int
) -> None:
    world, client = own
    r = client.post(
        "/api/v1/imports",
        files={"file": (name, content, "text/plain")},
        headers=auth(world.analyst),
    )
    assert r.status_code == status and r.json()["error"]["code"] == "unsupported_media_type"


def test_unknown_batch_is_404(own: tuple[World, TestClient]) -> None:
    world, client = own
    r = client.get("/api/v1/imports/nope/rejects", headers=auth(world.viewer))
    assert r.status_code == 404


def test_admin_makes_lists_and_revokes_tokens(own: tuple[World, TestClient]) -> None:
    world, client = own
    made = client.post(
        "/api/v1/tokens",
        json={"role": "viewer", "accounts": [world.own_account], "name": "am"},
        headers=auth(world.admin),
    )
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["token_id"]
    assert client.get("/api/v1/me", headers=auth(token)).json()["accounts"] == [world.own_account]
    listed = client.get("/api/v1/tokens", headers=auth(world.admin)).json()
    assert token_id in {t["token_id"] for t in listed}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth(world.admin)).status_code == 204
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    again = client.delete(f"/api/v1/tokens/{token_id}", headers=auth(world.admin))
    assert again.status_code == 404
    actions = [
        e["action"] for e in client.get("/api/v1/audit", headers=auth(world.admin)).json()["items"]
    ]
    assert actions[:2] == ["DELETE /api/v1/tokens", "POST /api/v1/tokens"]


def test_bad_token_requests(own: tuple[World, TestClient]) -> None:
    world, client = own
    bad_role = client.post("/api/v1/tokens", json={"role": "god"}, headers=auth(world.admin))
    assert bad_role.status_code == 422 and bad_role.json()["error"]["code"] == "invalid_request"
    unknown = client.post(
        "/api/v1/tokens", json={"role": "viewer", "accounts": ["NOPE"]}, headers=auth(world.admin)
    )
    assert unknown.status_code == 404


def test_refresh_recomputes(own: tuple[World, TestClient]) -> None:
    world, client = own
    r = client.post("/api/v1/results/refresh", headers=auth(world.analyst))
    assert r.status_code == 202 and "diagnosis" in r.json()["scheduled"]
    assert "earlier:3" in r.json()["scheduled"]  # a small workspace warms "then" too


def test_refresh_does_not_announce_what_waits_for_a_page(own: tuple[World, TestClient]) -> None:
    world, _ = own
    settings = load_server_settings(
        workspace=str(world.path), secret=SECRET, warm=False, warm_earlier_up_to=0
    )
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/v1/results/refresh", headers=auth(world.analyst))
        scheduled = r.json()["scheduled"]
        assert r.status_code == 202 and "diagnosis" in scheduled
        assert "earlier:3" not in scheduled
