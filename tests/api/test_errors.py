"""One error envelope for every error, whatever raised it."""

from __future__ import annotations

from api_world import World, auth
from fastapi.testclient import TestClient

from b2bcx.api.errors import ApiError, envelope, from_library
from b2bcx.errors import ConfigurationError, DataRejected, NotFound, WorkspaceError


def _is_envelope(body: dict[str, object], status: int) -> None:
    assert set(body) == {"error"}
    err = body["error"]
    assert isinstance(err, dict)
    assert set(err) == {"status", "code", "message", "details"}
    assert err["status"] == status and err["message"]


def test_shapes_of_every_kind_of_error(client: TestClient, world: World) -> None:
    h = auth(world.viewer)
    cases = [
        (client.get("/api/v1/nowhere", headers=h), 404),  # no route
        (client.post("/api/v1/accounts", headers=h), 405),  # wrong method
        (client.get("/api/v1/accounts", params={"limit": 0}, headers=h), 422),  # validation
        (client.get("/api/v1/accounts/NOPE", headers=h), 404),  # not found
        (client.get("/api/v1/me"), 401),  # no token
        (client.get("/api/v1/tokens", headers=h), 403),  # role
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        _is_envelope(response.json(), status)


def test_validation_details_name_the_parameter(client: TestClient, world: World) -> None:
    r = client.get("/api/v1/interactions", params={"stage": "lunch"}, headers=auth(world.viewer))
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and err["details"][0]["loc"] == ["query", "stage"]


def test_library_errors_map_to_statuses() -> None:
    assert from_library(NotFound("x")).status == 404
    assert from_library(ConfigurationError("x")).status == 400
    assert from_library(WorkspaceError("x")).status == 503
    rejected = from_library(DataRejected("x", n_rejected=3, rejects_path=None))
    assert (rejected.status, rejected.code) == (422, "data_rejected")
    assert rejected.details == [{"n_rejected": 3}]
    assert ApiError(413, "big").code == "too_large"
    assert envelope(400, "c", "m") == {
        "error": {"status": 400, "code": "c", "message": "m", "details": []}
    }
