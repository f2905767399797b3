"""``b2bcx alerts`` and ``b2bcx cases`` end to end through the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from casehelpers import SECRET, Receiver
from typer.testing import CliRunner

import b2bcx
import b2bcx.cli.cases
from b2bcx.cases import verify
from b2bcx.cli.app import app

runner = CliRunner()


@pytest.fixture
def wfile(world: Path, tmp_path: Path) -> str:
    path = tmp_path / "w.duckdb"
    with b2bcx.open_workspace(path) as ws:
        ws.import_bundle(world)
    return str(path)


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_alerts_run_list_update_show(
    wfile: str, world_end: dt.datetime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = f"{world_end:%Y-%m-%dT%H:%M:%S}"
    since = f"{world_end - dt.timedelta(days=60):%Y-%m-%d}"
    out = json.loads(
        _run(
            "alerts",
            "run",
            "-w",
            wfile,
            "--since",
            since,
            "--now",
            now,
            "--webhook",
            receiver.url,
            "--format",
            "json",
        )
    )
    opened = out["opened"]
    assert opened and all(c["rule"] == "detractor" for c in opened)
    again = json.loads(
        _run(
            "alerts",
            "run",
            "-w",
            wfile,
            "--since",
            since,
            "--now",
            now,
            "--webhook",
            receiver.url,
            "--format",
            "json",
        )
    )
    assert again["opened"] == [] and again["queued"] == 0

    listed = json.loads(_run("cases", "list", "-w", wfile, "--format", "json"))["cases"]
    keys = {
        "case_id",
        "rule",
        "account_id",
        "stakeholder_id",
        "status",
        "owner",
        "priority",
        "opened_at",
        "due_at",
    }
    assert keys <= set(listed[0]) and len(listed) == len(opened)
    owner = listed[0]["owner"]
    mine = json.loads(_run("cases", "list", "-w", wfile, "--owner", owner, "--format", "json"))
    assert {c["owner"] for c in mine["cases"]} == {owner}
    rows = list(csv.DictReader(io.StringIO(_run("cases", "list", "-w", wfile, "--format", "csv"))))
    assert len(rows) == len(listed) and set(keys) <= set(rows[0])

    cid = listed[0]["case_id"]
    bad = runner.invoke(app, ["cases", "update", cid, "-w", wfile, "--status", "closed"])
    assert bad.exit_code != 0 and "outcome" in bad.output
    _run(
        "cases",
        "update",
        cid,
        "-w",
        wfile,
        "--status",
        "in_progress",
        "--note",
        "called",
        "--webhook",
        receiver.url,
    )
    shown = json.loads(_run("cases", "show", cid, "-w", wfile, "--format", "json"))
    assert shown["case"]["status"] == "in_progress"
    assert [e["kind"] for e in shown["history"]] == ["opened", "status", "note"]
    closed = json.loads(
        _run("cases", "list", "-w", wfile, "--status", "in_progress", "--format", "json")
    )["cases"]
    assert [c["case_id"] for c in closed] == [cid]

    monkeypatch.setenv("B2BCX_WEBHOOK_SECRET", SECRET)
    sent = json.loads(_run("alerts", "deliver", "-w", wfile, "--format", "json"))
    assert len(sent["delivered"]) == len(opened) + 1 and sent["pending"] == 0
    for headers, body in receiver.received:
        verify(SECRET, headers, body)
    assert receiver.payloads()[-1]["type"] == "case.updated"
    results = json.loads(_run("cases", "results", "-w", wfile, "--format", "json"))
    assert results["n_cases"] == len(opened) and results["median_hours_to_first_response"] >= 0


def test_open_by_hand(wfile: str, world: Path) -> None:
    import pandas as pd

    account = str(pd.read_csv(world / "accounts.csv").account_id.iloc[0])
    out = json.loads(
        _run(
            "cases",
            "open",
            "-w",
            wfile,
            "--account",
            account,
            "--title",
            "Quarterly review",
            "--priority",
            "high",
            "--format",
            "json",
        )
    )
    (case,) = out["cases"]
    assert case["rule"] == "manual" and case["priority"] == "high"
    missing = runner.invoke(
        app, ["cases", "open", "-w", wfile, "--account", "NOPE", "--title", "x"]
    )
    assert missing.exit_code != 0 and "NOPE" in missing.output
