"""The dashboard's import wizard in-process: a plain CSV or a multi-file export →
mapping (shipped, saved, uploaded or matched by hand) → preview of 20 rows with
the errors → import (all or nothing) → the rejects file, with CSRF and roles."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_world import SECRET, sign_in
from fastapi.testclient import TestClient

import b2bcx
from b2bcx.api.app import create_app
from b2bcx.server.settings import load_server_settings
from b2bcx.server.tokens import create_token
from b2bcx.web.app import mount_dashboard

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "samples"
MAPPINGS = ROOT / "examples" / "mappings"

SURVEY = (
    "Response ID,Company,E-mail,Job Title,Submitted,How likely are you to recommend us?,Comments\n"
    "R1,Acme Mills,anna@acme.example,Buyer,31/01/2024,9,Great service\n"
    "R2,Acme Mills,bo@acme.example,Engineer,01/02/2024,4,Slow delivery\n"
    "R3,Bolt Mining,cy@bolt.example,CFO,02/02/2024,11,Out of scale\n"
    "R4,Bolt Mining,dee@bolt.example,Plant Manager,2024-02-30,7,\n"
)
SURVEY += "".join(
    f"R{k},Corp {k % 7},p{k}@corp.example,Buyer,{1 + k % 28:02d}/03/2024,{k % 11},\n"
    for k in range(5, 40)
)


@dataclass(frozen=True)
class Site:
    client: TestClient
    path: Path
    analyst: str
    viewer: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """An empty workspace served with the dashboard (these tests write)."""
    path = tmp_path / "ws" / "b2bcx.duckdb"
    path.parent.mkdir()
    with b2bcx.open_workspace(path) as ws:
        analyst = create_token(ws.backend, role="analyst", name="t analyst").token
        viewer = create_token(ws.backend, role="viewer", name="t viewer").token
    settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
    with TestClient(create_app(settings, mount=(mount_dashboard,))) as c:
        sign_in(c, analyst, "/import")
        yield Site(c, path, analyst, viewer)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _upload(site: Site, files: list[tuple[str, bytes]]) -> str:
    """Step 1: returns the mapping step's URL."""
    csrf = _csrf(site.client.get("/import").text)
    r = site.client.post(
        "/import/source",
        data={"csrf_token": csrf},
        files=[("files", (name, data, "text/csv")) for name, data in files],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def _sample_files(name: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((SAMPLES / name).glob("*.csv"))]


def _counts(html: str) -> dict[str, tuple[int, int]]:
    """Rows and rows with errors per table, from the preview's summary table."""
    summary = html.split('id="summary"')[1].split("</table>")[0]
    rows = re.findall(
        r"<tr><td>(\w+)</td><td class=\"num\">([\d,]+)</td><td class=\"num\">([\d,]+)</td></tr>",
        summary,
    )
    return {t: (int(n.replace(",", "")), int(e.replace(",", ""))) for t, n, e in rows}


def _expected(name: str) -> dict[str, tuple[int, int]]:
    sys_path = ROOT / "tests" / "bundle"
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "samples_test", sys_path / "test_mapping_samples.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result: dict[str, tuple[int, int]] = module.EXPECTED[name]()
    return result


@pytest.mark.parametrize("name", ["salesforce", "hubspot"])
def test_sample_export_through_the_wizard(site: Site, name: str) -> None:
    expected = _expected(name)
    step = _upload(site, _sample_files(name))
    page = site.client.get(step)
    assert page.status_code == 200
    # the shipped mapping that fits the files is offered first, selected
    assert re.search(rf'<option value="{name}" selected>{name} \(shipped\) — fits', page.text)
    assert "match-columns" not in page.text  # several files: no matching by hand
    r = site.client.post(
        f"{step}/mapping", data={"csrf_token": _csrf(page.text), "how": "choose", "mapping": name}
    )
    assert r.status_code == 200 and "What the import would do" in r.text
    assert _counts(r.text) == expected
    n_errors = sum(e for _, e in expected.values())
    assert f"{n_errors} rows would be rejected" in r.text
    # at most 20 mapped rows per table, with the rows that have errors marked
    for table, (n, _) in expected.items():
        section = r.text.split(f'data-table="{table}"')[1].split("</section>")[0]
        assert section.count("<tr") - 1 == min(20, n)
    # all or nothing: refused without the box, nothing committed
    csrf = _csrf(r.text)
    refused = site.client.post(f"{step}/import", data={"csrf_token": csrf})
    assert (
        refused.status_code == 422
        and "Commit the valid rows even if some are rejected" in refused.text
    )
    assert "--allow-rejects" not in refused.text
    with b2bcx.open_workspace(site.path) as ws:
        assert ws.backend.table("interactions").count().execute() == 0
    done = site.client.post(f"{step}/import", data={"csrf_token": csrf, "allow_rejects": "true"})
    assert done.status_code == 200 and "Imported as batch" in done.text
    batch = re.search(r"Imported as batch <code>([^<]+)</code>", done.text)
    assert batch
    link = re.search(r'href="(/import/batches/[^"]+/rejects\.csv)"', done.text)
    assert link
    rejects = site.client.get(link.group(1))
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(rejects.text)))
    assert len(rows) == n_errors and all(r["reason"] and r["row"] for r in rows)
    with b2bcx.open_workspace(site.path) as ws:
        n = ws.backend.table("interactions").count().execute()
    assert n == expected["interactions"][0] - expected["interactions"][1]


def test_a_zip_of_the_export_works_too(site: Site) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for fname, data in _sample_files("hubspot"):
            z.writestr(fname, data)
    step = _upload(site, [("hubspot-export.zip", buf.getvalue())])
    page = site.client.get(step)
    assert '<option value="hubspot" selected>' in page.text
    r = site.client.post(
        f"{step}/mapping",
        data={"csrf_token": _csrf(page.text), "how": "choose", "mapping": "hubspot"},
    )
    assert _counts(r.text) == _expected("hubspot")


def test_plain_csv_matched_by_hand_then_saved_maps_in_one_click(site: Site) -> None:
    step = _upload(site, [("survey.csv", SURVEY.encode())])
    page = site.client.get(step).text
    # pre-filled by name: the columns whose names say what they hold
    for target, column in [
        ("accounts.name", "Company"),
        ("stakeholders.email", "E-mail"),
        ("interactions.interaction_id", "Response ID"),
        ("interactions.nps", "How likely are you to recommend us?"),
        ("interactions.comment", "Comments"),
        ("interactions.occurred_at", "Submitted"),
    ]:
        select = page.split(f'name="match.{target}"')[1].split("</select>")[0]
        assert f'<option value="{column}" selected>' in select, target
    choices = {
        "match.accounts.name": "Company",
        "match.stakeholders.email": "E-mail",
        "match.stakeholders.role": "Job Title",
        "match.interactions.interaction_id": "Response ID",
        "match.interactions.occurred_at": "Submitted",
        "match.interactions.nps": "How likely are you to recommend us?",
        "match.interactions.comment": "Comments",
    }
    data = {"csrf_token": _csrf(page), "how": "match", "date_format": "%d/%m/%Y", **choices}
    r = site.client.post(f"{step}/mapping", data=data)
    assert r.status_code == 200
    counts = _counts(r.text)
    assert counts["interactions"] == (39, 2)  # NPS 11 and 30 February
    assert counts["accounts"][0] == 2 + 7 and counts["stakeholders"] == (39, 0)
    errors = r.text.split('id="errors"')[1].split("</section>")[0]
    # in the page's words: the field and the user's own column, the row of the file
    assert "NPS rating (0–10) (your column &#39;How likely are you to recommend us?&#39;)" in errors
    assert "survey.csv" in errors and ">4<" in errors and ">5<" in errors
    assert "--" not in errors
    # save under a name; the next upload of the same layout preselects it
    saved = site.client.post(
        f"{step}/save", data={"csrf_token": _csrf(r.text), "name": "survey tool"}
    )
    assert saved.status_code == 200 and "Saved the mapping as “survey tool”" in saved.text
    assert (site.path.parent / "mappings" / "survey tool.yaml").exists()
    again = _upload(site, [("survey.csv", SURVEY.encode())])
    page2 = site.client.get(again).text
    assert '<option value="survey tool" selected>survey tool (saved) — fits' in page2
    r2 = site.client.post(
        f"{again}/mapping",
        data={"csrf_token": _csrf(page2), "how": "choose", "mapping": "survey tool"},
    )
    assert _counts(r2.text) == counts
    done = site.client.post(
        f"{again}/import", data={"csrf_token": _csrf(r2.text), "allow_rejects": "true"}
    )
    assert "Imported as batch" in done.text
    with b2bcx.open_workspace(site.path) as ws:
        it = ws.backend.table("interactions").execute()
    assert len(it) == 37 and set(it["occurred_at"].dt.month) == {1, 2, 3}


def test_match_by_hand_says_which_choice_is_missing(site: Site) -> None:
    step = _upload(site, [("survey.csv", SURVEY.encode())])
    page = site.client.get(step).text
    data = {"csrf_token": _csrf(page), "how": "match", "match.accounts.name": "Company"}
    r = site.client.post(f"{step}/mapping", data=data)
    assert r.status_code == 400
    assert "choose the column that holds the Date" in r.text


def test_uploaded_mapping_and_its_errors(site: Site) -> None:
    step = _upload(site, _sample_files("hubspot"))
    page = site.client.get(step).text
    bad = b"sources: [companies.csv]\ntables:\n  acounts:\n    from: companies\n    columns: {}\n"
    r = site.client.post(
        f"{step}/mapping",
        data={"csrf_token": _csrf(page), "how": "upload"},
        files={"mapping_file": ("mine.yaml", bad, "application/yaml")},
    )
    assert r.status_code == 400 and "did you mean &#39;accounts&#39;" in r.text
    good = (MAPPINGS / "hubspot.yaml").read_bytes()
    r = site.client.post(
        f"{step}/mapping",
        data={"csrf_token": _csrf(page), "how": "upload"},
        files={"mapping_file": ("mine.yaml", good, "application/yaml")},
    )
    assert r.status_code == 200 and _counts(r.text) == _expected("hubspot")


def test_wrong_files_and_forged_forms_are_refused(site: Site) -> None:
    csrf = _csrf(site.client.get("/import").text)
    r = site.client.post(
        "/import/source",
        data={"csrf_token": csrf},
        files=[("files", ("notes.pdf", b"%PDF-1.4", "application/pdf"))],
    )
    assert r.status_code == 415 and "is not a .csv file" in r.text
    r = site.client.post(
        "/import/source",
        data={"csrf_token": "forged"},
        files=[("files", ("s.csv", SURVEY.encode(), "text/csv"))],
    )
    assert r.status_code == 403
    step = _upload(site, [("survey.csv", SURVEY.encode())])
    r = site.client.post(f"{step}/mapping", data={"csrf_token": "forged", "how": "choose"})
    assert r.status_code == 403
    r = site.client.post(f"{step}/import", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = site.client.get("/import/source/0123456789abcdef")
    assert r.status_code == 404 and "upload the files again" in r.text
    r = site.client.get("/import/source/..%2F..%2Fetc")
    assert r.status_code == 404
    # the bundle form points a CSV to the wizard instead of a CLI flag
    r = site.client.post(
        "/import",
        data={"csrf_token": csrf},
        files={"file": ("survey.csv", SURVEY.encode(), "text/csv")},
    )
    assert r.status_code == 415 and "Import an export" in r.text


def test_viewers_cannot_import(site: Site) -> None:
    sign_in(site.client, site.viewer, "/")
    r = site.client.get("/import", follow_redirects=False)
    assert r.status_code in (403, 303)
    r = site.client.get("/import/batches/x/rejects.csv", follow_redirects=False)
    assert r.status_code in (403, 303)


def test_next_months_cases_refer_to_people_already_imported(site: Site) -> None:
    """Only Case.csv: the preview checks its contacts against the workspace."""
    step = _upload(site, _sample_files("salesforce"))
    page = site.client.get(step).text
    r = site.client.post(
        f"{step}/mapping",
        data={"csrf_token": _csrf(page), "how": "choose", "mapping": "salesforce"},
    )
    site.client.post(f"{step}/import", data={"csrf_token": _csrf(r.text), "allow_rejects": "true"})
    cases = SAMPLES / "salesforce" / "Case.csv"
    rows = list(csv.DictReader(io.StringIO(cases.read_text(encoding="utf-8"))))
    contacts = list(csv.DictReader(io.StringIO((SAMPLES / "salesforce/Contact.csv").read_text())))
    accounts = {
        a["Id"]
        for a in csv.DictReader(io.StringIO((SAMPLES / "salesforce/Account.csv").read_text()))
    }
    imported = {c["Id"] for c in contacts if c["AccountId"] in accounts}
    unknown = sum(c["ContactId"] not in imported for c in rows)
    assert 0 < unknown < len(rows)
    step2 = _upload(site, [("Case.csv", cases.read_bytes())])
    page2 = site.client.get(step2).text
    r2 = site.client.post(
        f"{step2}/mapping",
        data={"csrf_token": _csrf(page2), "how": "choose", "mapping": "salesforce"},
    )
    assert r2.status_code == 200, r2.text
    got = _counts(r2.text)
    # only the cases of the contact that was never imported are errors
    assert got["interactions"] == (len(rows), unknown)
    assert f"{unknown} rows would be rejected" in r2.text


G2 = ROOT.parent / "shared" / "data" / "g2-reviews" / "g2_reviews_wide.csv"


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not G2.exists(), reason=f"the G2 export is not at {G2} (../shared/data)")
def test_the_g2_export_through_the_wizard(site: Site) -> None:
    """The real G2 export with the shipped mapping: the counts docs/mappings.md gives."""
    step = _upload(site, [(G2.name, G2.read_bytes())])
    page = site.client.get(step).text
    assert '<option value="g2-reviews" selected>' in page
    r = site.client.post(
        f"{step}/mapping",
        data={"csrf_token": _csrf(page), "how": "choose", "mapping": "g2-reviews"},
    )
    assert _counts(r.text) == {
        "accounts": (706, 0),
        "stakeholders": (762, 0),
        "interactions": (762, 0),
    }
    assert "No errors found" in r.text
