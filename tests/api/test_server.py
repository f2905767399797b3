"""The server package: one Analyses per data version, the server's thresholds and
answers reach every analysis, tokens audit themselves, library errors (not HTTP
errors) from server/, and the API and the dashboard side by side on one state."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from api_world import SECRET, World, auth
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.analyses import Analyses, AnalysisOptions
from b2bcx.api.app import create_app
from b2bcx.api.errors import from_library
from b2bcx.diagnose.thresholds import load_thresholds
from b2bcx.errors import ConfigurationError, NotAvailable, NotFound
from b2bcx.server.http import status_of
from b2bcx.server.records import read_audit
from b2bcx.server.results import ResultCache, Unavailable
from b2bcx.server.settings import analysis_options, load_server_settings
from b2bcx.server.state import build_state
from b2bcx.server.tokens import AuditedBy, Principal, Role, create_token, revoke_token
from b2bcx.server.uploads import InvalidAnswers, UnsupportedUpload, UploadRejected, UploadTooLarge
from b2bcx.server.views import check_account, journeys_with_stages, json_result, result
from b2bcx.web.app import mount_dashboard

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy" / "answers.yaml"


def test_one_analyses_per_data_version(ws: b2bcx.Workspace, small_bundle: Path) -> None:
    seen: list[Analyses] = []

    def which(a: Analyses, arg: str) -> Analyses:
        seen.append(a)
        return a

    cache = ResultCache(ws.backend, threading.RLock(), {"a": which, "b": which}, check_seconds=0)
    first = cache.get("a")
    assert cache.get("b") is first and len(seen) == 2  # two keys, one Analyses
    ws.import_bundle(small_bundle)
    cache.invalidate()
    assert cache._refresher is not None
    cache._refresher.join(timeout=30)
    after = cache.get("a")
    assert after is not first and cache.get("b") is after  # a new one for the new data
    cache.close()


def test_typed_values_are_cached_and_unavailable_becomes_not_available(
    ws: b2bcx.Workspace,
) -> None:
    computations = {
        "info": lambda a, arg: a.info,
        "missing": lambda a, arg: (_ for _ in ()).throw(NotAvailable("nothing analysed")),
    }
    cache = ResultCache(ws.backend, threading.RLock(), computations, check_seconds=0)
    info = result(cache, "info")
    assert type(info).__name__ == "WorkspaceInfo" and info.counts["accounts"] == 0
    assert cache.get("missing") == Unavailable("nothing analysed")
    with pytest.raises(NotAvailable, match="nothing analysed"):
        result(cache, "missing")
    cache.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_thresholds_and_answers_go_into_the_analysis_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thresholds = _write(tmp_path / "t.yaml", "silo_gap: 12.5\nmin_people: 3\n")
    monkeypatch.setenv("B2BCX_THRESHOLDS", str(thresholds))
    monkeypatch.setenv("B2BCX_STRATEGY_ANSWERS", str(EXAMPLE))
    settings = load_server_settings(workspace=":memory:", dev=True)
    assert settings.thresholds == thresholds
    options = analysis_options(settings)
    assert options.diagnose == load_thresholds(thresholds)
    assert options.diagnose is not None and options.diagnose.silo_gap == 12.5
    assert options.answers is not None and options.answers.values
    state = build_state(settings)
    try:
        assert state.results.options == options
    finally:
        state.close()
    # no files: the defaults, and the answers saved in the workspace
    monkeypatch.delenv("B2BCX_THRESHOLDS")
    monkeypatch.delenv("B2BCX_STRATEGY_ANSWERS")
    plain = analysis_options(load_server_settings(workspace=":memory:", dev=True))
    assert plain.diagnose is None and plain.answers is None and plain.use_saved_answers


def test_a_bad_thresholds_file_stops_the_start(tmp_path: Path) -> None:
    bad = _write(tmp_path / "t.yaml", "no_such_threshold: 1\n")
    settings = load_server_settings(workspace=":memory:", dev=True, thresholds=bad)
    with pytest.raises(ConfigurationError, match="no_such_threshold"):
        build_state(settings)


def test_the_api_diagnoses_under_the_servers_thresholds(world: World, tmp_path: Path) -> None:
    # a silo gap of 100 points no pair of functions reaches: C2 finds nothing (it does by default)
    strict = _write(tmp_path / "strict.yaml", "silo_gap: 100\n")
    with b2bcx.open_workspace(world.path) as ws:
        default = ws.analyses(AnalysisOptions(n_boot=0)).diagnosis.to_json()["findings"]
        expected = ws.analyses(
            AnalysisOptions(diagnose=load_thresholds(strict), n_boot=0)
        ).diagnosis.to_json()["findings"]
    assert any(f["challenge"] == "C2" for f in default)
    assert not any(f["challenge"] == "C2" for f in expected)
    settings = load_server_settings(
        workspace=str(world.path), secret=SECRET, warm=False, thresholds=strict
    )
    with TestClient(create_app(settings)) as c:
        page = c.get("/api/v1/findings?limit=500", headers=auth(world.admin)).json()
    assert page["total"] == len(expected)
    assert not any(f["challenge"] == "C2" for f in page["items"])


def test_tokens_audit_their_own_creation_and_revocation(ws: b2bcx.Workspace) -> None:
    cli = AuditedBy(action="b2bcx token create", role="cli")
    made = create_token(ws.backend, role="viewer", name="n", audit=cli)
    quiet = create_token(ws.backend, role="admin")  # no audit given: none written
    revoke_token(ws.backend, made.principal.token_id, audit=AuditedBy(action="revoke", role="cli"))
    with pytest.raises(NotFound):
        revoke_token(ws.backend, "deadbeef", audit=AuditedBy(action="revoke", role="cli"))
    total, rows = read_audit(ws.backend, limit=10, offset=0)
    assert total == 2
    by_action = {r["action"]: r for r in rows}
    created = by_action["b2bcx token create"]
    assert created["target"] == made.principal.token_id and created["status"] == 201
    assert created["role"] == "cli" and created["token_id"] is None
    assert created["detail"] == {"role": "viewer", "accounts": None}
    assert by_action["revoke"]["status"] == 204
    assert quiet.principal.token_id not in {r["target"] for r in rows}


def test_server_errors_are_library_errors_the_api_maps() -> None:
    viewer = Principal(token_id="t", name="", role=Role.viewer, accounts=frozenset({"A"}))
    check_account(viewer, "A")
    with pytest.raises(NotFound):
        check_account(viewer, "B")
    rows = [{"row": 1, "reason": "bad"}]
    rejected = UploadRejected("2 rows rejected", n_rejected=2, batch_id="B1", rejects=rows)
    cases: list[tuple[Exception, int, str]] = [
        (UploadTooLarge("big"), 413, "too_large"),
        (UnsupportedUpload("zip"), 415, "unsupported_media_type"),
        (InvalidAnswers("tm_sca: 9"), 422, "invalid_answers"),
        (rejected, 422, "data_rejected"),
        (NotAvailable("not yet"), 409, "not_available"),
        (NotFound("no"), 404, "not_found"),
        (ConfigurationError("bad"), 400, "invalid_option"),
    ]
    for exc, status, code in cases:
        assert isinstance(exc, b2bcx.errors.B2bcxError)
        assert status_of(exc) == (status, code)
        err = from_library(exc)
        assert (err.status, err.code, err.message) == (status, code, str(exc))
    err = from_library(rejected)
    assert err.details == [{"batch_id": "B1", "n_rejected": 2, "rejects": rows}]


def test_journeys_with_stages_are_grouped_in_entry_order(world: World) -> None:
    with b2bcx.open_workspace(world.path) as ws:
        found = journeys_with_stages(ws.backend, world.own_account)
        n_stages = ws.backend.execute(
            "SELECT count(*) FROM journey_stages s JOIN journeys j USING (journey_id) "
            "WHERE j.account_id = ?",
            [world.own_account],
        )[0][0]
    assert found and sum(len(j["stages"]) for j in found) == n_stages
    for j in found:
        entered = [s["entered_at"] for s in j["stages"]]
        assert entered == sorted(entered)
        assert all(s["journey_id"] == j["journey"]["journey_id"] for s in j["stages"])


def test_api_and_dashboard_side_by_side_on_one_state(world: World) -> None:
    settings = load_server_settings(workspace=str(world.path), secret=SECRET, warm=False)
    app = create_app(settings, mount=(mount_dashboard,))
    with TestClient(app) as c:
        assert c.get("/api/v1/health").json()["status"] == "ok"
        assert c.get("/signin").status_code == 200
        missing = c.get("/api/v1/interactions/nope", headers=auth(world.admin))
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        page: Any = c.get("/no-such-page")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    api_only = create_app(settings)
    with TestClient(api_only) as c:
        assert c.get("/signin").status_code == 404


def test_forgetting_a_result_drops_its_json_view(ws: b2bcx.Workspace) -> None:
    calls: list[int] = []

    def count(a: Analyses, arg: str) -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    cache = ResultCache(ws.backend, threading.RLock(), {"d": count}, check_seconds=0)
    assert json_result(cache, "d") == {"n": 1} and json_result(cache, "d") == {"n": 1}
    cache.forget("d")  # e.g. new strategy answers saved: no old assessment served
    assert json_result(cache, "d") == {"n": 2}
    cache.close()
