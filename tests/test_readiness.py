"""Data readiness (issue 16 item 4, issue 19 item 7): every surface says which
analyses the data supports, why (counts) and what unlocks the rest; ``diagnose``
falls back on the rating the workspace has.

The counts are checked against an independent count of the bundle's CSV files
(pandas), on workspaces made from one small demo world by removing what each
variant lacks: touchpoints, relationship types, contract values, cx ratings,
comments, every rating but CSAT.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import b2bcx
from b2bcx.analyses import AnalysisOptions
from b2bcx.cli import app
from b2bcx.readiness import (
    PARTIAL,
    READY,
    UNAVAILABLE,
    Readiness,
    workspace_readiness,
)

SECRET = "readiness-secret-" + "y" * 40
G2 = Path("/work/shared/data/g2-reviews/g2_reviews_wide.csv")
G2_MAPPING = Path(__file__).resolve().parents[1] / "examples" / "mappings" / "g2-reviews.yaml"

Edit = Callable[[dict[str, pd.DataFrame]], None]


def _blank(table: str, *columns: str) -> Edit:
    def edit(frames: dict[str, pd.DataFrame]) -> None:
        for c in columns:
            frames[table][c] = ""

    return edit


def _drop_columns(table: str, *columns: str) -> Edit:
    def edit(frames: dict[str, pd.DataFrame]) -> None:
        frames[table] = frames[table].drop(columns=list(columns))

    return edit


def _no_touchpoints(frames: dict[str, pd.DataFrame]) -> None:
    for table in ("touchpoints", "cues", "partners"):
        frames.pop(table, None)
    frames["interactions"]["touchpoint_id"] = ""
    frames["activities"]["touchpoint_ids"] = ""


def _no_relationship_types(frames: dict[str, pd.DataFrame]) -> None:
    frames.pop("relationships", None)
    _blank("accounts", "relationship_intended", "relationship_expected")(frames)


#: variant → what is removed from the demo bundle
VARIANTS: dict[str, Edit | None] = {
    "full": None,
    "no_touchpoints": _no_touchpoints,
    "no_relationship_types": _no_relationship_types,
    "no_contract_values": _blank("accounts", "annual_value"),
    "no_cx": _drop_columns("interactions", "cx"),
    "no_comments": _blank("interactions", "comment"),
    "csat_only": _drop_columns("interactions", "cx", "nps", "ces"),
}


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from b2bcx.demo import generate_world

    folder = tmp_path_factory.mktemp("readiness") / "demo"
    generate_world(folder, size=1500, seed=5)
    (folder / "truth.json").unlink(missing_ok=True)
    return folder


@pytest.fixture(scope="module")
def variants(demo_bundle: Path) -> dict[str, tuple[Path, Path]]:
    """Variant → (its bundle folder, its DuckDB workspace)."""
    out: dict[str, tuple[Path, Path]] = {}
    root = demo_bundle.parent
    for name, edit in VARIANTS.items():
        bundle = root / f"bundle-{name}"
        shutil.copytree(demo_bundle, bundle)
        if edit is not None:
            frames = {
                p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
                for p in bundle.glob("*.csv")
            }
            edit(frames)
            for p in bundle.glob("*.csv"):
                p.unlink()
            for table, frame in frames.items():
                frame.to_csv(bundle / f"{table}.csv", index=False)
        path = root / f"{name}.duckdb"
        with b2bcx.open_workspace(path) as ws:
            ws.import_bundle(bundle)
            if name == "full":  # everything a workspace can have: analysed text, answers
                from b2bcx.strategy import load_answers
                from b2bcx.strategy.saved import save_answers
                from b2bcx.text import HashingEncoder, analyze

                analyze(ws.backend, encoder=HashingEncoder())
                answers = Path(__file__).resolve().parents[1] / "examples/strategy/answers.yaml"
                save_answers(ws.backend, load_answers(answers))
        out[name] = (bundle, path)
    return out


@pytest.fixture(scope="module")
def ready(variants: dict[str, tuple[Path, Path]]) -> dict[str, Readiness]:
    """Each variant's readiness, through the front door."""
    found = {}
    for name, (_, path) in variants.items():
        with b2bcx.open_workspace(path, read_only=True) as ws:
            found[name] = ws.analyses().readiness()
    return found


def _csv(bundle: Path, table: str) -> pd.DataFrame:
    path = bundle / f"{table}.csv"
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _filled(frame: pd.DataFrame, column: str) -> int:
    if column not in frame:
        return 0
    return int((frame[column].str.strip() != "").sum())


# -- the library ----------------------------------------------------------------


def test_counts_match_an_independent_count_of_the_bundle(
    variants: dict[str, tuple[Path, Path]], ready: dict[str, Readiness]
) -> None:
    for name, (bundle, _) in variants.items():
        c = ready[name].counts
        it, acc, sh = (_csv(bundle, t) for t in ("interactions", "accounts", "stakeholders"))
        assert c["interactions"] == len(it), name
        assert c["accounts"] == len(acc), name
        for col in ("cx", "nps", "csat", "ces", "comment", "touchpoint_id"):
            key = "interactions_touchpoint" if col == "touchpoint_id" else f"interactions_{col}"
            assert c[key] == _filled(it, col), (name, col)
        assert c["accounts_annual_value"] == _filled(acc, "annual_value"), name
        typed = (acc.relationship_intended != "") | (acc.relationship_expected != "")
        assert c["accounts_relationship"] == int(typed.sum()), name
        # accounts with 3+ people who rated the metric used: an independent pandas count
        metric = ready[name].metric
        rated = it[it[metric] != ""] if metric in it else it.iloc[:0]
        people = rated.merge(sh[["stakeholder_id", "account_id"]], on="stakeholder_id")
        per_account = people.groupby("account_id").stakeholder_id.nunique()
        assert c["accounts_rated"] == len(per_account), name
        assert c["accounts_agreement"] == int((per_account >= 3).sum()), name
        months = pd.to_datetime(rated.occurred_at, utc=True, format="mixed").dt.strftime("%Y-%m")
        assert c["metric_months"] == months.nunique(), name
        tp = _csv(bundle, "touchpoints")
        assert c["touchpoints"] == (tp.touchpoint_id.nunique() if len(tp) else 0), name


def test_a_full_workspace_says_ready(ready: dict[str, Readiness]) -> None:
    full = ready["full"]
    assert full.metric == "cx"
    not_ready = {a.key: a for a in full.not_ready()}
    # the demo's 30 accounts cannot hold 30 churned and 30 retained: the risk stays an index
    assert set(not_ready) == {"risk"}, {k: a.reason for k, a in not_ready.items()}
    assert not_ready["risk"].status == PARTIAL and "churned" in not_ready["risk"].reason
    assert all(a.unlock is None for a in full.analyses if a.ready)
    assert full.summary == {READY: len(full.analyses) - 1, PARTIAL: 1, UNAVAILABLE: 0}


@pytest.mark.parametrize(
    ("variant", "key", "status", "reason", "unlock"),
    [
        ("no_touchpoints", "map", UNAVAILABLE, r"0 of 1,\d{3} interactions have a touchpoint_id",
         "interactions.touchpoint_id"),
        ("no_touchpoints", "C4", UNAVAILABLE, "no touchpoints", "touchpoints table"),
        ("no_touchpoints", "C3", UNAVAILABLE, r"0 of 1,\d{3} interactions have a journey stage",
         "interactions.stage"),
        ("no_relationship_types", "C1", UNAVAILABLE, r"0 of \d+ accounts have",
         "accounts.relationship_intended"),
        ("no_contract_values", "C1", PARTIAL, r"0 of \d+ accounts have an annual_value",
         "accounts.annual_value"),
        ("no_cx", "individual_cx", PARTIAL, r"0 of 1,\d{3} interactions have a CX rating",
         "interactions.cx"),
        ("no_comments", "text", UNAVAILABLE, r"0 of 1,\d{3} interactions have a comment",
         "interactions.comment"),
        ("no_comments", "topics", UNAVAILABLE, "0 analysed comments", "interactions.comment"),
        ("csat_only", "nps", UNAVAILABLE, r"0 of 1,\d{3} interactions have an NPS answer",
         "interactions.nps"),
        ("csat_only", "key_drivers", UNAVAILABLE, "key drivers explain NPS", "interactions.nps"),
    ],
)  # fmt: skip
def test_what_is_missing_is_named_with_counts_and_the_unlock(
    ready: dict[str, Readiness], variant: str, key: str, status: str, reason: str, unlock: str
) -> None:
    a = ready[variant].get(key)
    assert a.status == status, a
    assert re.search(reason, a.reason), a.reason
    assert a.unlock is not None and unlock in a.unlock, a.unlock
    assert ready["full"].get(key).ready  # the full workspace has it


def test_the_other_variants_keep_what_they_have(ready: dict[str, Readiness]) -> None:
    assert ready["no_touchpoints"].get("C1").ready and ready["no_touchpoints"].get("trend").ready
    assert ready["no_contract_values"].get("map").ready
    assert ready["no_cx"].metric == "nps" and ready["no_cx"].get("collective").ready
    assert ready["csat_only"].metric == "csat" and ready["csat_only"].get("trend").ready


def test_an_empty_workspace_has_nothing_ready() -> None:
    with b2bcx.open_workspace(":memory:") as ws:
        r = workspace_readiness(ws.backend)
    assert r.metric == "cx" and r.counts["interactions"] == 0
    assert not any(a.ready for a in r.analyses)
    assert r.get("collective").status == UNAVAILABLE
    assert "0 of 0 interactions have a rating" in r.get("C2").reason
    with pytest.raises(b2bcx.errors.NotFound, match="no analysis 'nope'"):
        r.get("nope")


def test_the_json_contract(ready: dict[str, Readiness]) -> None:
    d = ready["no_touchpoints"].to_dict()
    assert set(d) == {"workspace", "metric", "summary", "counts", "import_page", "analyses"}
    assert d["import_page"] == "/import"
    keys = [a["key"] for a in d["analyses"]]
    for key in ("collective", "nps", "csat", "ces", "individual_cx", "map", "key_drivers",
                "trend", "C1", "C2", "C3", "C4", "C5", "risk", "profile", "assessment", "plan",
                "text", "topics", "cases"):  # fmt: skip
        assert key in keys
    assert len(keys) == len(set(keys))
    for a in d["analyses"]:
        assert set(a) == {"key", "name", "area", "status", "reason", "unlock", "needs"}
        assert (a["unlock"] is None) == (a["status"] == READY)
    assert sum(d["summary"].values()) == len(keys)
    json.dumps(d)


def test_readiness_is_memoised_on_the_front_door(variants: dict[str, tuple[Path, Path]]) -> None:
    with b2bcx.open_workspace(variants["no_cx"][1], read_only=True) as ws:
        a = ws.analyses()
        assert a.readiness() is a.readiness()
        assert a.readiness().metric == a.metric == "nps"
        forced = ws.analyses(AnalysisOptions(metric="csat")).readiness()
        assert forced.metric == "csat"


# -- diagnose falls back on the rating the workspace has ------------------------


def test_diagnose_falls_back_on_csat(variants: dict[str, tuple[Path, Path]]) -> None:
    from b2bcx.diagnose import diagnose

    with b2bcx.open_workspace(variants["csat_only"][1], read_only=True) as ws:
        result = diagnose(ws.backend)
    assert result.meta is not None
    assert result.meta.metric == "csat" and result.meta.metric_requested == "cx"
    assert result.meta.metric_note and "csat" in result.meta.metric_note
    assert len(result.at_risk) > 0


def test_cli_diagnose_names_the_fallback_and_what_it_cannot_show(
    variants: dict[str, tuple[Path, Path]],
) -> None:
    runner = CliRunner()
    path = str(variants["csat_only"][1])
    out = runner.invoke(app, ["diagnose", "-w", path, "--no-progress", "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["meta"]["metric"] == "csat"
    out = runner.invoke(app, ["diagnose", "-w", path, "--no-progress"], env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert "from CSAT" in out.stdout and "from CX" not in out.stdout
    assert "No cx ratings in this workspace: diagnosed on csat" in out.stderr
    assert "Choose one with --metric" not in out.stderr  # it fell back: nothing to choose
    path = str(variants["no_touchpoints"][1])
    out = runner.invoke(app, ["diagnose", "-w", path, "--no-progress"], env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    tail = out.stdout[out.stdout.index("What the data cannot show yet") :]
    assert "no touchpoints" in tail and "interactions.touchpoint_id" in tail


# -- the CLI ------------------------------------------------------------------------


def test_cli_readiness_table_and_json(
    variants: dict[str, tuple[Path, Path]], ready: dict[str, Readiness]
) -> None:
    runner = CliRunner()
    path = str(variants["no_touchpoints"][1])
    out = runner.invoke(app, ["readiness", "-w", path, "-f", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data == json.loads(json.dumps(ready["no_touchpoints"].to_dict()))
    out = runner.invoke(app, ["readiness", "-w", path], env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())
    n = ready["no_touchpoints"].counts["interactions"]
    assert max(len(line) for line in out.stdout.splitlines()) <= 100
    assert "Stage × controller map" in out.stdout
    # wrapped over lines, the words still follow each other
    assert re.search(rf"0 of {n:,} interactions[ │]+have a[ │]+touchpoint_id", text), text[:2000]
    out = runner.invoke(app, ["readiness", "-w", str(variants["full"][1])])
    assert out.exit_code == 0 and "19 ready, 1 partial, 0 not yet" in out.stdout


# -- the API and the dashboard --------------------------------------------------


@pytest.fixture(scope="module")
def servers(
    variants: dict[str, tuple[Path, Path]],
) -> Iterator[dict[str, tuple[TestClient, dict[str, str]]]]:
    """An API + dashboard client per variant (full, no_touchpoints, no_comments,
    csat_only) and its tokens by role."""
    from b2bcx.api.app import create_app
    from b2bcx.server.settings import load_server_settings
    from b2bcx.server.tokens import create_token
    from b2bcx.web.app import mount_dashboard

    made: dict[str, tuple[TestClient, dict[str, str]]] = {}
    clients = []
    for name in ("full", "no_touchpoints", "no_comments", "csat_only", "no_relationship_types"):
        path = variants[name][1]
        with b2bcx.open_workspace(path) as ws:
            first = str(ws.backend.table("accounts").account_id.min().execute())
            tokens = {
                "analyst": create_token(ws.backend, role="analyst", name="a").token,
                "viewer": create_token(ws.backend, role="viewer", name="v").token,
                "restricted": create_token(ws.backend, role="viewer", accounts=[first]).token,
            }
        settings = load_server_settings(workspace=str(path), secret=SECRET, warm=False)
        client = TestClient(create_app(settings, mount=(mount_dashboard,)))
        client.__enter__()
        clients.append(client)
        made[name] = (client, tokens)
    yield made
    for client in clients:
        client.__exit__(None, None, None)


def _sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert csrf
    r = client.post("/signin", data={"token": token, "csrf_token": csrf.group(1)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303


def test_api_readiness(servers: dict[str, tuple[TestClient, dict[str, str]]]) -> None:
    client, tokens = servers["no_touchpoints"]
    r = client.get("/api/v1/readiness", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.status_code == 200
    rows = {a["key"]: a for a in r.json()["analyses"]}
    assert rows["map"]["status"] == "unavailable"
    assert "touchpoint_id" in rows["map"]["reason"] and "touchpoints table" in rows["map"]["unlock"]
    assert rows["C1"]["status"] == "ready"
    r = client.get("/api/v1/readiness",
                   headers={"Authorization": f"Bearer {tokens['restricted']}"})  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_restricted"
    assert client.get("/api/v1/readiness").status_code == 401
    client, tokens = servers["full"]
    r = client.get("/api/v1/readiness", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.json()["summary"] == {"ready": 19, "partial": 1, "unavailable": 0}


def _panel(html: str) -> dict[str, str]:
    """The readiness panel's analyses → status (empty without a panel)."""
    m = re.search(r'<section class="unavailable readiness".*?</section>', html, re.S)
    if m is None:
        return {}
    return dict(re.findall(r'data-analysis="([^"]+)" data-status="([^"]+)"', m.group(0)))


@pytest.mark.parametrize(
    ("variant", "page", "expected"),
    [
        ("no_touchpoints", "/touchpoints", {"map": "unavailable", "C4": "unavailable"}),
        ("no_comments", "/text", {"text": "unavailable", "topics": "unavailable"}),
        ("csat_only", "/touchpoints", {"key_drivers": "unavailable"}),
        ("no_touchpoints", "/", {"map": "unavailable"}),
        ("no_touchpoints", "/strategy", {"assessment": "partial", "plan": "partial"}),
    ],
)
def test_pages_that_would_be_empty_say_what_unlocks_them(
    servers: dict[str, tuple[TestClient, dict[str, str]]],
    variant: str,
    page: str,
    expected: dict[str, str],
) -> None:
    client, tokens = servers[variant]
    _sign_in(client, tokens["analyst"])
    html = client.get(page).text
    panel = _panel(html)
    assert panel and expected.items() <= panel.items(), panel
    assert 'href="/import"' in html and 'href="/readiness"' in html
    assert "To unlock:" in html


def test_a_full_workspace_shows_no_panel(
    servers: dict[str, tuple[TestClient, dict[str, str]]],
) -> None:
    client, tokens = servers["full"]
    _sign_in(client, tokens["analyst"])
    for page in ("/", "/touchpoints", "/text", "/strategy"):
        assert _panel(client.get(page).text) == {}, page


def test_readiness_page(servers: dict[str, tuple[TestClient, dict[str, str]]]) -> None:
    client, tokens = servers["no_relationship_types"]
    _sign_in(client, tokens["viewer"])
    html = client.get("/readiness").text
    rows = dict(re.findall(r'<tr data-analysis="([^"]+)" data-status="([^"]+)"', html))
    assert rows["C1"] == "unavailable" and rows["map"] == "ready" and len(rows) == 20
    assert "accounts.relationship_intended" in html
    assert "Import page" in html and 'href="/import"' not in html  # a viewer does not import
    _sign_in(client, tokens["restricted"])
    assert 'data-unavailable="restricted"' in client.get("/readiness").text
    assert _panel(client.get("/").text) == {}  # workspace-wide counts: not for a restricted token


# -- the report ---------------------------------------------------------------------


def test_report_appendix_and_empty_sections(variants: dict[str, tuple[Path, Path]]) -> None:
    from b2bcx.report.builder import gather, render_report

    # read-write: the servers above hold the file open so in this process
    with b2bcx.open_workspace(variants["no_touchpoints"][1]) as ws:
        html = render_report(gather(ws.analyses(AnalysisOptions(n_boot=0))))
    appendix = html[html.index('id="readiness"') :]
    rows = dict(re.findall(r'<tr data-analysis="([^"]+)" data-status="([^"]+)"', appendix))
    assert rows["map"] == "unavailable" and rows["C1"] == "ready" and len(rows) == 20
    # the map's section says why it is empty and what unlocks it (not an empty grid)
    section = re.search(r'<p class="missing" data-missing="map">.*?</p>', html, re.S)
    assert section and "touchpoint_id" in section.group(0) and "to unlock" in section.group(0)
    # a challenge that could not run says so instead of "not detected"
    c4 = re.search(r'data-challenge-empty="C4">(.*?)</p>', html, re.S)
    assert c4 and c4.group(1).startswith("Not checked") and "touchpoints table" in c4.group(1)
    assert re.search(r"\bb2bcx [a-z]", re.sub(r"<[^>]+>", " ", appendix)) is None


def test_report_of_a_full_workspace_has_no_not_checked(
    variants: dict[str, tuple[Path, Path]],
) -> None:
    from b2bcx.report.builder import gather, render_report

    with b2bcx.open_workspace(variants["full"][1]) as ws:
        html = render_report(gather(ws.analyses(AnalysisOptions(n_boot=0))))
    assert "Not checked" not in html
    appendix = html[html.index('id="readiness"') :]
    statuses = re.findall(r'<tr data-analysis="[^"]+" data-status="([^"]+)"', appendix)
    assert statuses.count("ready") == 19


# -- the G2 review export -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not G2.exists(), reason="the G2 export is not on this machine")
def test_g2_mapping_falls_back_on_nps_and_says_what_is_missing(tmp_path: Path) -> None:
    from b2bcx.bundle.results import ImportOptions
    from b2bcx.diagnose import diagnose

    with b2bcx.open_workspace(tmp_path / "g2.duckdb") as ws:
        ws.import_bundle(G2, ImportOptions(mapping=G2_MAPPING, allow_rejects=True,
                                           rejects_path=tmp_path / "rejects"))  # fmt: skip
        r = ws.analyses().readiness()
        result = diagnose(ws.backend)
    assert r.metric == "nps" and r.get("nps").ready
    assert r.get("map").status == UNAVAILABLE and r.get("C1").status == UNAVAILABLE
    assert result.meta is not None and result.meta.metric == "nps"
    missing = {u.challenge for u in result.unavailable}
    assert {"C1", "C3", "C4"} <= missing
