"""UX #11 and #6 on the command line: tables for people (the rows that matter
first, the top N with ``--all`` for every row, names beside ids, stages in
journey order, dates and booleans formatted, columns that fit 100 characters)
and the metric named where cx is missing; ``--format json/csv`` unchanged."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.cli.app import cell, journey_order, top_rows, with_names
from b2bcx.demo import generate_world

runner = CliRunner()
WIDE = {"COLUMNS": "100"}


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo workspace, and the same one without cx ratings or contract values."""
    root = tmp_path_factory.mktemp("cli-tables")
    bundle = root / "bundle"
    generate_world(bundle, size=1500, seed=4)
    out = {}
    for kind in ("full", "nps-only"):
        if kind == "nps-only":
            rows = pd.read_csv(bundle / "interactions.csv", dtype=str, keep_default_na=False)
            rows.drop(columns=["cx"]).to_csv(bundle / "interactions.csv", index=False)
            accounts = pd.read_csv(bundle / "accounts.csv", dtype=str, keep_default_na=False)
            accounts.assign(annual_value="").to_csv(bundle / "accounts.csv", index=False)
        path = root / f"{kind}.duckdb"
        with b2bcx.open_workspace(path) as ws:
            ws.import_bundle(bundle)
        out[kind] = str(path)
    out["accounts"] = str(bundle / "accounts.csv")
    return out


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of a Rich table (cells split on the box's │)."""
    rows = [line for line in text.splitlines() if line.startswith("│")]
    return [[c.strip() for c in line.strip("│").split("│")] for line in rows]


def test_cell_formats_dates_booleans_and_missing_values() -> None:
    assert cell(pd.Timestamp("2023-01-01"), 1) == "2023-01-01"
    assert cell(dt.datetime(2023, 1, 1, 14, 5), 1) == "2023-01-01 14:05"
    assert (cell(True, 1), cell(np.bool_(False), 1)) == ("yes", "no")
    assert cell(pd.NaT, 1) == cell(None, 1) == "–"
    assert cell(np.float64(2.345), 1) == "2.3"


def test_helpers_order_and_cut_rows() -> None:
    stages = pd.DataFrame({"stage": ["operations", "pre_bid", "implementation", "negotiation"]})
    assert list(journey_order(stages)["stage"]) == [
        "pre_bid", "negotiation", "implementation", "operations"
    ]  # fmt: skip
    rows, note = top_rows(pd.DataFrame({"a": range(30)}), 20, False)
    assert len(rows) == 20 and note == "top 20 of 30"
    rows, note = top_rows(pd.DataFrame({"a": range(30)}), 20, True)
    assert len(rows) == 30 and note == "30"
    named = with_names(pd.DataFrame({"account_id": ["A", "B"], "cx": [1.0, 2.0]}), {"A": "Acme"})
    assert list(named.columns) == ["account_id", "name", "cx"]
    assert list(named["name"]) == ["Acme", ""]


def test_measure_shows_the_worst_accounts_by_name_in_100_columns(
    workspaces: dict[str, str],
) -> None:
    result = runner.invoke(app, ["measure", "-w", workspaces["full"]], env=WIDE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    header = next(line for line in lines if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == [
        "account_id", "name", "people", "cx", "nps", "rwg", "verdict"
    ]  # fmt: skip
    rows = _table_rows(result.stdout)
    accounts = pd.read_csv(workspaces["accounts"], dtype=str)
    names = dict(zip(accounts["account_id"], accounts["name"], strict=True))
    assert all(names[r[0]].startswith(r[1]) for r in rows if r[0])  # names beside ids
    # independent: the lowest collective CX first, from the JSON output
    data = json.loads(
        runner.invoke(app, ["measure", "-w", workspaces["full"], "-f", "json"]).stdout
    )
    rated = [u for u in data["units"] if u["verdict"] != "too few respondents"]
    lowest = sorted(rated, key=lambda u: u["cx"])[0]
    assert rows[0][0] == lowest["account_id"]
    assert f"{lowest['cx']:.1f}" == rows[0][3]
    assert "Collective CX (0–100) by account" in result.stdout
    assert "(value-weighted)" in result.stdout


def test_measure_top_all_and_columns(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["measure", "-w", ws, "-f", "json"]).stdout)
    n = len(data["units"])
    few = runner.invoke(app, ["measure", "-w", ws, "--top", "5"], env=WIDE)
    assert len([r for r in _table_rows(few.stdout) if r[0]]) == 5
    assert f"top 5 of {n}" in few.stdout and "--all" in few.stderr
    every = runner.invoke(app, ["measure", "-w", ws, "--all"], env={"COLUMNS": "200"})
    assert len([r for r in _table_rows(every.stdout) if r[0]]) == n
    wide = runner.invoke(app, ["measure", "-w", ws, "--columns", "all"], env={"COLUMNS": "400"})
    assert "p_chance" in wide.stdout and "rwg_star" in wide.stdout
    chosen = runner.invoke(app, ["measure", "-w", ws, "--columns", "nps,ad"], env=WIDE)
    header = next(line for line in chosen.stdout.splitlines() if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == ["account_id", "name", "nps", "ad"]
    bad = runner.invoke(app, ["measure", "-w", ws, "--columns", "nope"])
    assert bad.exit_code != 0 and "nope" in bad.output


def test_measure_by_stage_lists_stages_in_journey_order(workspaces: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["measure", "-w", workspaces["full"], "--by", "stage", "--all"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    order = ["pre_bid", "negotiation", "implementation", "operations"]
    by_account: dict[str, list[str]] = {}
    for row in _table_rows(result.stdout):
        if row[0]:
            by_account.setdefault(row[0], []).append(row[2])
    assert by_account
    for stages in by_account.values():
        assert stages == sorted(stages, key=order.index)


def test_machine_formats_are_unchanged(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["measure", "-w", ws, "-f", "json"]).stdout)
    assert set(data) == {"metric", "metric_label", "units", "portfolio", "methods"}
    assert set(data["units"][0]) == {
        "account_id", "n_stakeholders", "n_interactions", "cx", "nps", "rwg", "ad", "verdict"
    }  # fmt: skip
    csv = runner.invoke(app, ["measure", "-w", ws, "-f", "csv"]).stdout
    frame = pd.read_csv(io.StringIO(csv))
    assert len(frame) == len(data["units"]) and "reason" in frame.columns
    assert "name" not in frame.columns


def test_a_workspace_without_cx_names_nps(workspaces: dict[str, str]) -> None:
    ws = workspaces["nps-only"]
    result = runner.invoke(app, ["measure", "-w", ws, "--metric", "nps"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Collective NPS (0–100) by account" in result.stdout
    assert "collective NPS" in result.stdout and "(mean of accounts)" in result.stdout
    assert not re.search(r"collective CX|value-weighted", result.stdout, re.IGNORECASE)
    data = json.loads(
        runner.invoke(app, ["measure", "-w", ws, "--metric", "nps", "-f", "json"]).stdout
    )
    assert data["metric_label"] == "collective NPS"


def test_diagnose_names_accounts_and_the_metric(workspaces: dict[str, str]) -> None:
    ws = workspaces["nps-only"]
    result = runner.invoke(
        app, ["diagnose", "-w", ws, "--metric", "nps", "--no-progress", "--top", "3"],
        env={"COLUMNS": "160"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Accounts at risk (from NPS)" in result.stdout
    assert "poor NPS experiences" in result.stdout
    missing = runner.invoke(app, ["diagnose", "-w", ws, "--no-progress"], env=WIDE)
    assert missing.exit_code == 0, missing.output
    assert "No cx ratings in this workspace" in missing.stderr and "nps" in missing.stderr
    data = json.loads(
        runner.invoke(app, ["diagnose", "-w", ws, "--metric", "nps", "-f", "json"]).stdout
    )
    at_risk = data["at_risk"]
    if at_risk:
        accounts = pd.read_csv(Path(workspaces["accounts"]), dtype=str)
        name = dict(zip(accounts["account_id"], accounts["name"], strict=True))[
            at_risk[0]["account_id"]
        ]
        assert name.split()[0] in result.stdout


def test_individual_breakdown_and_drivers_tables(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    rows = json.loads(
        runner.invoke(app, ["individual", "-w", ws, "--per", "stage", "-f", "json"]).stdout
    )
    short = runner.invoke(app, ["individual", "-w", ws, "--per", "stage"], env=WIDE)
    assert short.exit_code == 0, short.output
    body = [r for r in _table_rows(short.stdout) if r[0]]
    assert len(body) == 20 and f"top 20 of {len(rows):,}" in short.stdout
    assert max(len(line) for line in short.stdout.splitlines()) <= 100
    order = ["pre_bid", "negotiation", "implementation", "operations"]
    stages = [r[2] for r in body]  # account (by name), person, stage, ...
    assert stages == sorted(stages, key=order.index)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?", r[-1]) for r in body)
    months = runner.invoke(app, ["breakdown", "-w", ws], env=WIDE)
    first = _table_rows(months.stdout)[0][0]
    assert re.fullmatch(r"\d{4}-\d{2}", first), first
    drivers = runner.invoke(app, ["drivers", "-w", ws, "--boot", "10"], env=WIDE)
    assert drivers.exit_code == 0, drivers.output
    header = next(line for line in drivers.stdout.splitlines() if line.startswith("┃"))
    names = [h.strip() for h in header.strip("┃").split("┃")]
    assert names.index("low") == names.index("weight") + 1  # bounds beside the weight
    assert "sign" not in names and max(len(x) for x in drivers.stdout.splitlines()) <= 100


def test_strategy_profile_lists_the_widest_gap_first(workspaces: dict[str, str]) -> None:
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["strategy", "profile", "-w", ws, "-f", "json"]).stdout)
    gaps = {r["goal"]: r["gap"] for r in data["rows"] if r["gap"] is not None}
    table = runner.invoke(app, ["strategy", "profile", "-w", ws], env=WIDE)
    assert table.exit_code == 0, table.output
    goals = [r[1] for r in _table_rows(table.stdout) if r[1] in gaps]
    assert goals == sorted(gaps, key=lambda g: -gaps[g])
    assert max(len(line) for line in table.stdout.splitlines()) <= 100


def test_diagnose_table_says_what_a_finding_is_about_and_which_value(
    workspaces: dict[str, str],
) -> None:
    """The 'about' column does not repeat the account beside it, and with a risk
    index (no fitted churn model) the money column is the value exposed, not an
    empty 'value at risk' on every row."""
    from b2bcx.cli.diagnose import _about

    assert _about({"kind": "account", "id": "ACC-1"}, "ACC-1") == "the account"
    assert _about({"kind": "unit", "id": "ACC-1:function"}, "ACC-1") == "unit function"
    assert _about({"kind": "touchpoint", "id": "TP-9"}, None) == "touchpoint TP-9"
    ws = workspaces["full"]
    data = json.loads(runner.invoke(app, ["diagnose", "-w", ws, "-f", "json"]).stdout)
    table = runner.invoke(app, ["diagnose", "-w", ws, "--no-progress"], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    fitted = any(r["value_at_risk"] is not None for r in data["at_risk"])
    assert ("value at risk" if fitted else "value exposed") in table.stdout
    assert not re.search(r"account ACC-\d+", table.stdout)
    exposed = [r["value_exposed"] for r in data["at_risk"][:10] if r.get("value_exposed")]
    if not fitted and exposed:
        assert f"{exposed[0]:,.0f}" in table.stdout
