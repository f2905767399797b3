"""The detectors on a small hand-built world with one planted case per challenge."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.diagnose import DiagnoseOptions, diagnose
from b2bcx.errors import ConfigurationError

START = dt.datetime(2023, 1, 1)
DAYS = 730


def _build(path: Path) -> None:
    rng = np.random.default_rng(11)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({
        "account_id": ["A", "B", "C", "D"],
        "annual_value": [100_000.0, 80_000.0, 5_000.0, 90_000.0],
        "relationship_intended": ["relational", "transactional", "transactional", "relational"],
        "relationship_expected": ["transactional", "transactional", "relational", "relational"],
    }))  # fmt: skip
    b.append("partners", pa.table({"partner_id": ["P"], "kind": ["service_provider"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T-BID", "T-IMPL", "T-OPS", "T-HELP", "T-PART"],
        "name": ["Bid", "Implementation", "Service", "Helpdesk", "Partner service"],
        "stage": ["pre_bid", "implementation", "operations", "operations", "operations"],
        "controller": ["supplier", "supplier", "supplier", "supplier", "partner"],
        "partner_id": [None, None, None, None, "P"],
    }))  # fmt: skip
    people: list[tuple[str, str, str]] = []
    for account in ("A", "B", "C", "D"):
        for i in range(8):
            function = (
                ("production" if i < 4 else "maintenance")
                if account == "A"
                else ("production" if i % 2 else "maintenance")
            )
            people.append((f"{account}{i}", account, function))
    b.append("stakeholders", pa.table({
        "stakeholder_id": [p[0] for p in people], "account_id": [p[1] for p in people],
        "function": [p[2] for p in people], "level": ["manager"] * len(people),
    }))  # fmt: skip
    rows: dict[str, list[object]] = {k: [] for k in
                                     ("interaction_id", "stakeholder_id", "occurred_at",
                                      "touchpoint_id", "cx")}  # fmt: skip
    k = 0
    for sid, account, function in people:
        offset = rng.normal(0, 0.3)
        for day in np.sort(rng.integers(0, DAYS, 40)):
            tp = str(rng.choice(["T-BID", "T-IMPL", "T-OPS", "T-HELP", "T-PART"]))
            if account == "C" and day > 200:  # the supplier stopped meeting C directly
                tp = "T-PART"
            cx = 7.0 + offset + rng.normal(0, 0.8)
            if tp == "T-PART":
                cx -= 3.0
            if account == "A":
                cx += 1.5 if function == "production" else -3.0
            if account == "B" and day > 365:
                cx -= 4.0 * (day - 365) / 365
            rows["interaction_id"].append(f"i{k}")
            rows["stakeholder_id"].append(sid)
            rows["occurred_at"].append(START + dt.timedelta(days=int(day), hours=10))
            rows["touchpoint_id"].append(tp)
            rows["cx"].append(float(np.clip(round(cx, 1), 0, 10)))
            k += 1
    b.append("interactions", pa.table(rows))
    ws.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("diag") / "w.duckdb"
    _build(path)
    return path


@pytest.fixture(scope="module")
def result(world: Path) -> dict[str, object]:
    with b2bcx.open_workspace(world) as ws:
        out: dict[str, object] = diagnose(ws.backend).to_json()
    return out


def _items(result: dict[str, object], challenge: str) -> set[tuple[str | None, str]]:
    findings = result["findings"]
    assert isinstance(findings, list)
    return {(f["account_id"], f["subject"]["id"]) for f in findings if f["challenge"] == challenge}


def test_c1_relationship_mismatches_and_low_value(result: dict[str, object]) -> None:
    assert _items(result, "C1") == {("A", "A"), ("C", "C")}
    findings = result["findings"]
    assert isinstance(findings, list)
    c = next(f for f in findings if f["challenge"] == "C1" and f["account_id"] == "C")
    assert c["evidence"]["low_value_expects_relational"] is True
    a = next(f for f in findings if f["challenge"] == "C1" and f["account_id"] == "A")
    assert a["evidence"]["low_value_expects_relational"] is False
    assert c["severity"] > a["severity"]


def test_c2_finds_the_silo_only(result: dict[str, object]) -> None:
    assert _items(result, "C2") == {("A", "A:function")}
    findings = result["findings"]
    assert isinstance(findings, list)
    silo = next(f for f in findings if f["challenge"] == "C2")
    assert silo["evidence"]["happy"]["group"] == "production"
    assert silo["evidence"]["unhappy"]["group"] == "maintenance"
    assert silo["evidence"]["gap"] == pytest.approx(45, abs=8)


def test_c4_partner_touchpoint_and_lost_contact(result: dict[str, object]) -> None:
    found = _items(result, "C4")
    assert (None, "T-PART") in found and (None, "P") in found
    assert ("C", "C") in found
    assert not {a for a, _ in found if a not in (None, "C")}
    findings = result["findings"]
    assert isinstance(findings, list)
    tp = next(f for f in findings if f["subject"]["id"] == "T-PART")
    low, high = tp["evidence"]["ci95"]
    assert low < 30 < high  # the planted 3 points on 0–10


def test_c5_decline_with_its_start(result: dict[str, object]) -> None:
    findings = result["findings"]
    assert isinstance(findings, list)
    declines = [f for f in findings if f["detector"] == "decline_change_point"]
    assert [f["account_id"] for f in declines] == ["B"]
    since = dt.date.fromisoformat(declines[0]["evidence"]["since"])
    assert abs((since - dt.date(2024, 1, 1)).days) < 120


def test_contract_shape_and_risk_order(result: dict[str, object]) -> None:
    assert set(result) >= {"findings", "at_risk", "priorities"}
    findings = result["findings"]
    assert isinstance(findings, list)
    for f in findings:
        assert set(f) >= {"challenge", "account_id", "subject", "severity", "evidence",
                          "summary", "implication", "actions"}  # fmt: skip
        assert 0 <= f["severity"] <= 1 and f["evidence"] and f["actions"] and f["summary"]
    json.dumps(result)  # JSON-safe
    risk = result["at_risk"]
    assert isinstance(risk, list)
    order = [r["account_id"] for r in risk]
    assert order.index("D") == len(order) - 1  # the healthy account is least at risk
    assert all(r["reasons"] for r in risk if r["risk"] > 0.5)


def test_filters_and_errors(world: Path) -> None:
    with b2bcx.open_workspace(world) as ws:
        only = diagnose(ws.backend, challenges=["c2"]).to_json()
        assert {f["challenge"] for f in only["findings"]} == {"C2"}
        one = diagnose(ws.backend, account_id="B").to_json()
        assert {f["account_id"] for f in one["findings"]} <= {"B", None}
        with pytest.raises(ConfigurationError, match="unknown challenge C9"):
            diagnose(ws.backend, challenges=["C9"])
        with pytest.raises(ConfigurationError, match="no account"):
            diagnose(ws.backend, account_id="nobody")
        early = diagnose(ws.backend, as_of=dt.date(2023, 3, 1)).to_json()
        assert early["meta"]["as_of"].startswith("2023-03-01")
    with pytest.raises(ConfigurationError):
        DiagnoseOptions(alpha=2)


def test_cli_json_and_thresholds_file(world: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["diagnose", "-w", str(world), "--no-progress"]
    res = runner.invoke(app, [*base, "--challenge", "C1,C4", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {f["challenge"] for f in data["findings"]} == {"C1", "C4"}
    strict = tmp_path / "t.yaml"
    strict.write_text("silo_gap: 90\n")
    res = runner.invoke(app, [*base, "--challenge", "C2", "--thresholds", str(strict),
                              "--format", "json"])  # fmt: skip
    assert res.exit_code == 0 and json.loads(res.output)["findings"] == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("silo_gapp: 1\n")
    res = runner.invoke(app, [*base, "--thresholds", str(bad)])
    assert res.exit_code != 0 and "silo_gapp" in res.output
    table = runner.invoke(app, base)
    assert table.exit_code == 0 and "Findings" in table.output
