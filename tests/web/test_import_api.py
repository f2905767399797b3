"""The import wizard through the REST API: upload an export, map it (shipped
mapping, columns matched by hand), preview, import, save the mapping, and the
rejects file; the same steps and numbers as the dashboard."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_world import SECRET, auth
from fastapi.testclient import TestClient
from test_import_wizard import SURVEY, _expected, _sample_files

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token

BROKEN = b"sources: [a.csv]\ntables: {acounts: {from: a, columns: {}}}\n"


@dataclass(frozen=True)
class Api:
    client: TestClient
    path: Path
    analyst: str
    viewer: str


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    path = tmp_path / "ws" / "b2bcx.duckdb"
    path.parent.mkdir()
    with b2bcx.open_workspace(path) as ws:
        analyst = create_token(ws.backend, role="analyst", name="a").token
        viewer = create_token(ws.backend, role="viewer", name="v").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings)) as c:
        yield Api(c, path, analyst, viewer)


def _upload(api: Api, files: list[tuple[str, bytes]]) -> dict[str, object]:
    r = api.client.post(
        "/api/v1/imports/sources",
        files=[("files", (n, d, "text/csv")) for n, d in files],
        headers=auth(api.analyst),
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_salesforce_export_through_the_api(api: Api) -> None:
    expected = _expected("salesforce")
    staged = _upload(api, _sample_files("salesforce"))
    mappings = staged["mappings"]
    assert (
        isinstance(mappings, list) and mappings[0]["name"] == "salesforce" and mappings[0]["fits"]
    )
    url = f"/api/v1/imports/sources/{staged['upload_id']}"
    r = api.client.post(f"{url}/mapping", data={"mapping": "salesforce"}, headers=auth(api.analyst))
    assert r.status_code == 200, r.text
    preview = r.json()
    got = {t["table"]: (t["read"], t["rejected"]) for t in preview["tables"]}
    assert got == expected
    assert preview["n_errors"] == sum(e for _, e in expected.values())
    assert all(len(t["rows"]) == min(20, t["read"]) for t in preview["tables"])
    assert all(e["row"] and e["problem"] and e["fix"] for e in preview["errors"])
    refused = api.client.post(f"{url}/import", headers=auth(api.analyst))
    assert refused.status_code == 422
    done = api.client.post(
        f"{url}/import", data={"allow_rejects": "true"}, headers=auth(api.analyst)
    )
    assert done.status_code == 201, done.text
    batch = done.json()["batch_id"]
    assert done.json()["n_rejected"] == preview["n_errors"]
    rejects = api.client.get(f"/api/v1/imports/{batch}/rejects.csv", headers=auth(api.viewer))
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(rejects.text)))
    assert len(rows) == preview["n_errors"] and {r["file"] for r in rows} <= {
        "Contact.csv",
        "Case.csv",
    }
    gone = api.client.get(f"{url}/preview", headers=auth(api.analyst))
    assert gone.status_code == 404  # an imported upload is not kept


def test_columns_matched_by_hand_and_saved(api: Api) -> None:
    staged = _upload(api, [("survey.csv", SURVEY.encode())])
    suggested = staged["suggested_columns"]
    assert isinstance(suggested, dict) and suggested["accounts.name"] == "Company"
    url = f"/api/v1/imports/sources/{staged['upload_id']}"
    columns = {**suggested, "interactions.occurred_at": "Submitted"}
    r = api.client.post(
        f"{url}/mapping",
        data={"columns": json.dumps(columns), "date_format": "%d/%m/%Y"},
        headers=auth(api.analyst),
    )
    assert r.status_code == 200, r.text
    assert {t["table"]: t["rejected"] for t in r.json()["tables"]}["interactions"] == 2
    saved = api.client.post(
        f"{url}/mapping/save", data={"name": "survey"}, headers=auth(api.analyst)
    )
    assert saved.status_code == 201 and saved.json()["origin"] == "saved"
    listed = api.client.get("/api/v1/imports/mappings", headers=auth(api.analyst)).json()
    assert {"survey", "salesforce", "hubspot", "g2-reviews"} <= {m["name"] for m in listed}
    bad = api.client.post(f"{url}/mapping", data={"columns": "[1, 2]"}, headers=auth(api.analyst))
    assert bad.status_code == 422
    both = api.client.post(
        f"{url}/mapping", data={"columns": "{}", "mapping": "survey"}, headers=auth(api.analyst)
    )
    assert both.status_code == 422


def test_viewers_cannot_upload_and_mapping_files_are_checked(api: Api) -> None:
    r = api.client.post(
        "/api/v1/imports/sources",
        files=[("files", ("s.csv", SURVEY.encode(), "text/csv"))],
        headers=auth(api.viewer),
    )
    assert r.status_code == 403
    r = api.client.post(
        "/api/v1/imports/mappings",
        data={"name": "broken"},
        files={"file": ("m.yaml", BROKEN, "text/yaml")},
        headers=auth(api.analyst),
    )
    assert r.status_code == 400 and "accounts" in r.json()["error"]["message"]
    r = api.client.post(
        "/api/v1/imports/mappings",
        data={"name": "../../evil"},
        files={"file": ("m.yaml", b"sources: [a.csv]\n", "text/yaml")},
        headers=auth(api.analyst),
    )
    assert r.status_code == 400
    assert not (api.path.parent.parent / "evil.yaml").exists()
