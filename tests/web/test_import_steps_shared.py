"""The import wizard's steps that the REST API and the dashboard share
(``b2bcx.server.import_wizard``): the checks of a mapping's name and of an
uploaded mapping file, the import that forgets its upload, and the rejects
file's name. Each is asked through both front ends and must answer alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_world import SECRET, auth, sign_in
from fastapi.testclient import TestClient
from test_import_wizard import SURVEY

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server import import_wizard as wizard
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.web.app import mount_dashboard

BROKEN = b"sources: [a.csv]\ntables: {acounts: {from: a, columns: {}}}\n"


@dataclass(frozen=True)
class Both:
    """The API and the dashboard on one empty workspace, an analyst signed in."""

    client: TestClient
    path: Path
    analyst: str


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Both]:
    path = tmp_path / "ws" / "b2bcx.duckdb"
    path.parent.mkdir()
    with b2bcx.open_workspace(path) as ws:
        analyst = create_token(ws.backend, role="analyst", name="steps").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, analyst, "/import")
        yield Both(c, path, analyst)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _api_upload(both: Both) -> tuple[str, dict[str, str]]:
    """The upload's id and its columns matched (the suggestions and the date)."""
    r = both.client.post(
        "/api/v1/imports/sources",
        files=[("files", ("survey.csv", SURVEY.encode(), "text/csv"))],
        headers=auth(both.analyst),
    )
    assert r.status_code == 201, r.text
    columns = {**r.json()["suggested_columns"], "interactions.occurred_at": "Submitted"}
    return str(r.json()["upload_id"]), columns


def _match(columns: dict[str, str]) -> dict[str, str]:
    return {"columns": json.dumps(columns), "date_format": "%d/%m/%Y"}


def _api_message(r: object) -> str:
    body = r.json()  # type: ignore[attr-defined]
    return str(body["error"]["message"])


@pytest.mark.parametrize(
    ("name", "file", "status", "words"),
    [
        ("bad/name", ("m.yaml", b"sources: [a.csv]\n"), 400, "name the mapping with letters"),
        (" salesforce ", ("m.yaml", b"sources: [a.csv]\n"), 400, "shipped with b2bcx"),
        ("fine", ("m.txt", b"sources: [a.csv]\n"), 415, "as a .yaml file"),
        ("fine", ("m.yaml", b"#" * (wizard.MAX_MAPPING_BYTES + 1)), 413, "at most 256 KB"),
        ("fine", ("m.yaml", BROKEN), 400, "accounts"),
    ],
)
def test_a_mapping_file_saved_by_name_is_checked(
    both: Both, name: str, file: tuple[str, bytes], status: int, words: str
) -> None:
    r = both.client.post(
        "/api/v1/imports/mappings",
        data={"name": name},
        files={"file": (*file, "text/yaml")},
        headers=auth(both.analyst),
    )
    assert r.status_code == status, r.text
    assert words in _api_message(r)
    assert "b2bcx-mapping-" not in _api_message(r)  # no server path in the message
    assert not any((both.path.resolve().parent / "mappings").glob("*.yaml"))


def test_an_uploaded_mapping_is_checked_as_a_saved_one_is(both: Both) -> None:
    upload_id, _ = _api_upload(both)
    url = f"/api/v1/imports/sources/{upload_id}/mapping"
    for file, status, words in [
        (("m.txt", b"sources: [a.csv]\n"), 415, "as a .yaml file"),
        (("m.yaml", b"#" * (wizard.MAX_MAPPING_BYTES + 1)), 413, "at most 256 KB"),
        (("m.yaml", BROKEN), 400, "accounts"),
    ]:
        r = both.client.post(
            url, files={"mapping_file": (*file, "text/yaml")}, headers=auth(both.analyst)
        )
        assert r.status_code == status, r.text
        assert words in _api_message(r) and "b2bcx-mapping-" not in _api_message(r)


def test_saving_an_uploads_mapping_checks_the_name_as_the_file_route_does(both: Both) -> None:
    upload_id, columns = _api_upload(both)
    url = f"/api/v1/imports/sources/{upload_id}/mapping"
    early = both.client.post(f"{url}/save", data={"name": "x"}, headers=auth(both.analyst))
    assert early.status_code == 400 and "first" in _api_message(early)
    r = both.client.post(url, data=_match(columns), headers=auth(both.analyst))
    assert r.status_code == 200, r.text
    for name, words in [("bad/name", "name the mapping with"), ("hubspot", "shipped with")]:
        r = both.client.post(f"{url}/save", data={"name": name}, headers=auth(both.analyst))
        assert r.status_code == 400 and words in _api_message(r)
    ok = both.client.post(f"{url}/save", data={"name": " survey "}, headers=auth(both.analyst))
    assert ok.status_code == 201 and ok.json()["name"] == "survey"
    assert ((both.path.resolve().parent / "mappings") / "survey.yaml").exists()


def _web_import(both: Both) -> str:
    """Upload, match and import the survey through the pages; the batch id."""
    columns = _api_upload(both)[1]  # the same matches the page pre-fills
    csrf = _csrf(both.client.get("/import").text)
    r = both.client.post(
        "/import/source",
        data={"csrf_token": csrf},
        files=[("files", ("survey.csv", SURVEY.encode(), "text/csv"))],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    step = str(r.headers["location"])
    upload_id = step.rsplit("/", 1)[1]
    form = {"csrf_token": csrf, "how": "match", "date_format": "%d/%m/%Y"}
    form.update({f"match.{k}": v for k, v in columns.items()})
    r = both.client.post(f"{step}/mapping", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    done = both.client.post(f"{step}/import", data={"csrf_token": csrf, "allow_rejects": "true"})
    assert done.status_code == 200, done.text
    m = re.search(r"/import/batches/([^/]+)/rejects\.csv", done.text)
    assert m, "no rejects link"
    # the imported upload is forgotten
    assert not ((both.path.resolve().parent / "b2bcx-imports") / upload_id).exists()
    return m.group(1)


def test_both_front_ends_name_the_rejects_file_alike(both: Both) -> None:
    batch = _web_import(both)
    page = both.client.get(f"/import/batches/{batch}/rejects.csv")
    api = both.client.get(f"/api/v1/imports/{batch}/rejects.csv", headers=auth(both.analyst))
    assert page.status_code == api.status_code == 200
    expected = f'attachment; filename="{batch}.rejects.csv"'
    assert page.headers["content-disposition"] == api.headers["content-disposition"] == expected
    assert page.text == api.text and page.text.startswith("table,file,row,column")
    assert page.headers["content-type"] == api.headers["content-type"] == "text/csv; charset=utf-8"


def test_the_api_import_forgets_its_upload(both: Both) -> None:
    upload_id, columns = _api_upload(both)
    url = f"/api/v1/imports/sources/{upload_id}"
    r = both.client.post(f"{url}/mapping", data=_match(columns),
                         headers=auth(both.analyst))  # fmt: skip
    assert r.status_code == 200, r.text
    assert ((both.path.resolve().parent / "b2bcx-imports") / upload_id).exists()
    done = both.client.post(f"{url}/import", data={"allow_rejects": "true"},
                            headers=auth(both.analyst))  # fmt: skip
    assert done.status_code == 201, done.text
    assert not ((both.path.resolve().parent / "b2bcx-imports") / upload_id).exists()
