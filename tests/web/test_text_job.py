"""The text analysis started from the dashboard or the API: one job at a time,
its progress on the text page, the results once it ends, roles and CSRF."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import SECRET, World, build_world, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.errors import ConfigurationError
from b2bcx.server.settings import load_server_settings
from b2bcx.server.text_job import TextJob
from b2bcx.storage import Backend
from b2bcx.text import HashingEncoder
from b2bcx.web.app import mount_dashboard

pytestmark = pytest.mark.slow  # each test copies a demo world and scores its comments


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """A demo world whose comments nobody has analysed yet."""
    return build_world(tmp_path)


def _comments(world: World) -> int:
    """Interactions with a non-empty comment, counted independently (pandas)."""
    with b2bcx.open_workspace(world.path) as ws:
        it = ws.backend.table("interactions").to_pandas()
    return int(it.comment.fillna("").str.strip().str.len().gt(0).sum())


@contextlib.contextmanager
def _client(world: World, job: TextJob) -> Iterator[TestClient]:
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    app = create_app(settings, mount=(mount_dashboard,))
    app.state.b2bcx_text_job = job
    with TestClient(app) as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_starts_the_analysis_and_reports_its_progress(fresh: World) -> None:
    n = _comments(fresh)
    assert n > 100
    job = TextJob(encoder=HashingEncoder())
    with _client(fresh, job) as c:
        idle = c.get("/api/v1/text/analyze", headers=_bearer(fresh.viewer)).json()
        assert (idle["state"], idle["comments"], idle["analysed"]) == ("idle", n, 0)
        assert c.get("/api/v1/text/insights", headers=_bearer(fresh.viewer)).status_code == 409

        refused = c.post("/api/v1/text/analyze", headers=_bearer(fresh.viewer))
        assert refused.status_code == 403
        r = c.post("/api/v1/text/analyze", headers=_bearer(fresh.analyst))
        assert r.status_code == 202, r.text
        assert r.json()["started"] is True
        assert r.json()["state"] in ("running", "done")

        end = job.wait(120)
        assert end.state == "done", end.error
        assert end.done == end.total == n
        after = c.get("/api/v1/text/analyze", headers=_bearer(fresh.viewer)).json()
        assert (after["state"], after["analysed"], after["done"]) == ("done", n, n)
        assert after["share"] == 1.0
        insights = _when_ready(c, "/api/v1/text/insights", fresh.viewer)
        assert insights.json()["comments"] == n

        again = c.post("/api/v1/text/analyze", headers=_bearer(fresh.analyst)).json()
        assert again["started"] is True  # a new run: incremental, nothing left to score
        assert job.wait(60).done == 0


def _when_ready(c: TestClient, path: str, token: str) -> Any:
    """The answer of ``path`` once the results recomputed after the analysis are in."""
    deadline = time.monotonic() + 90
    while True:
        r = c.get(path, headers=_bearer(token))
        if r.status_code == 200 or time.monotonic() > deadline:
            assert r.status_code == 200, r.text
            return r
        time.sleep(0.2)


def test_restricted_analysts_cannot_start_it(fresh: World) -> None:
    with _client(fresh, TextJob(encoder=HashingEncoder())) as c:
        r = c.post("/api/v1/text/analyze", headers=_bearer(fresh.restricted_analyst))
        assert r.status_code == 403


def _blocking(release: threading.Event, world: World) -> Any:
    """A connection factory that holds the job until ``release`` is set."""

    @contextlib.contextmanager
    def connect() -> Iterator[Backend]:
        release.wait(30)
        with b2bcx.open_workspace(world.path) as ws:
            yield ws.backend

    return connect


def test_one_job_at_a_time_and_the_page_follows_it(fresh: World) -> None:
    release = threading.Event()
    job = TextJob(encoder=HashingEncoder())
    first, started = job.start(_blocking(release, fresh), by="A. Berg")
    assert started and first.running and first.started_by == "A. Berg"
    second, started_again = job.start(_blocking(release, fresh), by="someone else")
    assert not started_again and second.started_by == "A. Berg"
    try:
        with _client(fresh, job) as c:
            sign_in(c, fresh.viewer, "/text")
            page = c.get("/text")
            assert page.status_code == 200
            assert page.headers.get("Refresh") == "3"
            assert 'data-job="running"' in page.text
            assert "A. Berg" in page.text
            assert '<form method="post" action="/text/analyze"' not in page.text
    finally:
        release.set()
    end = job.wait(120)
    assert end.state == "done" and end.done == _comments(fresh)


def test_the_text_page_offers_the_analysis_to_analysts_only(fresh: World) -> None:
    n = _comments(fresh)
    job = TextJob(encoder=HashingEncoder())
    with _client(fresh, job) as c:
        sign_in(c, fresh.viewer, "/text")
        viewer_page = c.get("/text").text
        assert 'data-job="pending"' in viewer_page
        assert f"{n:,} of {n:,} comments are not analysed yet" in viewer_page
        assert 'action="/text/analyze"' not in viewer_page
        assert "An analyst can start the analysis" in viewer_page

        sign_in(c, fresh.analyst, "/text")
        page = c.get("/text")
        assert 'action="/text/analyze"' in page.text
        forged = c.post("/text/analyze", data={"csrf_token": "x"}, follow_redirects=False)
        assert forged.status_code == 403
        assert job.status().state == "idle"
        r = c.post("/text/analyze", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/text"
        assert job.wait(120).state == "done"
        done_page = c.get("/text").text
        assert 'data-job="done"' in done_page
        assert 'data-job="pending"' not in done_page
    with b2bcx.open_workspace(fresh.path) as ws:
        audit = ws.backend.table("audit_log").to_pandas()
    rows = audit[audit.action == "POST /text/analyze"].detail.tolist()
    assert len(rows) == 2  # the forged form is refused and recorded too
    assert sum('"refused": true' in d for d in rows) == 1
    assert sum('"started": true' in d for d in rows) == 1


def test_a_failing_analysis_ends_in_a_status_with_its_reason(fresh: World) -> None:
    @contextlib.contextmanager
    def broken() -> Iterator[Backend]:
        raise ConfigurationError("the workspace went away")
        yield  # pragma: no cover

    job = TextJob(encoder=HashingEncoder())
    job.start(broken, by="x")
    end = job.wait(30)
    assert end.state == "failed"
    assert end.error == "the workspace went away"
    with _client(fresh, job) as c:
        sign_in(c, fresh.viewer, "/text")
        page = c.get("/text").text
        assert 'data-job="failed"' in page and "the workspace went away" in page
