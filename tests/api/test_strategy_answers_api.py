"""Saving strategy answers through the API and the dashboard: checked like
--answers, audited, and used by the assessment from then on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import SECRET, World, auth, build_world, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.web.app import mount_dashboard

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy" / "answers.yaml"


@pytest.fixture(scope="module")
def own_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A world of its own: saving answers changes the strategy results."""
    return build_world(tmp_path_factory.mktemp("answers-world"), size=3000)


@pytest.fixture(scope="module")
def api(own_world: World) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(own_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as c:
        yield c


def _post(api: TestClient, token: str, name: str, body: bytes) -> object:
    return api.post("/api/v1/strategy/answers", headers=auth(token),
                    files={"file": (name, body, "application/octet-stream")})  # fmt: skip


def test_answers_are_checked_saved_audited_and_used(api: TestClient, own_world: World) -> None:
    before = api.get("/api/v1/strategy/assessment", headers=auth(own_world.admin)).json()
    assert before["impact"]["score"] is None
    for token in (own_world.viewer, own_world.restricted_analyst):
        assert _post(api, token, "a.yaml", EXAMPLE.read_bytes()).status_code == 403
    assert _post(api, own_world.analyst, "a.txt", b"tm_sca: 4\n").status_code == 415
    bad = _post(api, own_world.analyst, "mine.yaml", b"tm_sca: 9\n")
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_answers"
    assert error["message"].startswith("mine.yaml, key tm_sca:") and "1–5" in error["message"]
    body = b"date: 2026-02-01\n" + EXAMPLE.read_bytes()
    ok = _post(api, own_world.analyst, "board.yaml", body)
    assert ok.status_code == 201, ok.text
    saved = ok.json()
    assert saved["assessment_id"].startswith("A-20260201-") and saved["source"] == "board.yaml"
    assert saved["respondent"] == "CX steering committee" and saved["items"] >= 10
    after = api.get("/api/v1/strategy/assessment", headers=auth(own_world.admin)).json()
    assert after["impact"]["score"] is not None
    listed = api.get("/api/v1/strategy/answers", headers=auth(own_world.viewer)).json()
    assert [s["assessment_id"] for s in listed] == [saved["assessment_id"]]
    with b2bcx.open_workspace(own_world.path) as ws:
        log = ws.table("audit_log").execute()
    posts = log[log.action == "POST /api/v1/strategy/answers"]
    # refused roles never reach the handler but are logged too (review finding M3)
    assert sorted(posts.status.tolist()) == [201, 403, 403, 415, 422]


def test_dashboard_saves_answers_with_the_form(own_world: World) -> None:
    settings = load_server_settings(workspace=str(own_world.path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as client:
        sign_in(client, own_world.analyst, "/strategy")
        page = client.get("/strategy").text
        token = re.search(r'action="/strategy/answers".*?name="csrf_token" value="([^"]+)"',
                          page, re.S)  # fmt: skip
        assert token, "the analyst sees the upload form"
        refused = client.post("/strategy/answers", data={"csrf_token": "forged"},
                              files={"file": ("a.yaml", EXAMPLE.read_bytes())})  # fmt: skip
        assert refused.status_code == 403
        done = client.post("/strategy/answers", data={"csrf_token": token.group(1)},
                           files={"file": ("team.yaml", EXAMPLE.read_bytes())})  # fmt: skip
        assert done.status_code == 200, done.text[:300]
        assert "Saved as <code>A-" in done.text and "team.yaml" in done.text
        assert "(in use)" in done.text
        wrong = client.post("/strategy/answers", data={"csrf_token": token.group(1)},
                            files={"file": ("team.yaml", b"rivalry: 42\n")})  # fmt: skip
        assert wrong.status_code == 422 and "team.yaml, key rivalry" in wrong.text
