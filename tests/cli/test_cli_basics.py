"""The CLI's contract: commands, exit codes, --workspace on every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.cli.errors import EXIT_USAGE, EXIT_USER_ERROR

runner = CliRunner()


def test_init_then_info_json(tmp_path: Path) -> None:
    ws = str(tmp_path / "w.duckdb")
    result = runner.invoke(app, ["init", "-w", ws])
    assert result.exit_code == 0, result.output
    assert "schema version" in result.output
    result = runner.invoke(app, ["info", "-w", ws, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["interactions"] == 0
    assert data["url"] == ws


def test_workspace_from_environment(tmp_path: Path) -> None:
    ws = tmp_path / "env.duckdb"
    result = runner.invoke(app, ["init"], env={"B2BCX_WORKSPACE": str(ws)})
    assert result.exit_code == 0, result.output
    assert ws.exists()


def test_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["import", "--no-such-option"])
    assert result.exit_code == EXIT_USAGE


def test_user_error_exits_1_with_one_clear_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "-w", str(tmp_path / "missing" / "w.duckdb")])
    assert result.exit_code == EXIT_USER_ERROR
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == b2bcx.__version__


@pytest.mark.parametrize("command", ["init", "import", "export", "info", "demo"])
def test_every_workspace_command_takes_workspace_option(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--workspace" in result.output and "-w" in result.output


def test_measure_without_the_metric_names_the_ratings_there_are(tmp_path: Path) -> None:
    import pandas as pd

    from b2bcx.demo import generate_world

    bundle = tmp_path / "bundle"
    generate_world(bundle, size=1500, seed=4)
    interactions = pd.read_csv(bundle / "interactions.csv", dtype=str, keep_default_na=False)
    interactions.drop(columns=["cx"]).to_csv(bundle / "interactions.csv", index=False)
    ws = str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["import", str(bundle), "-w", ws]).exit_code == 0
    nps = int((interactions.nps != "").sum())

    # without cx it falls back to the rating there is, as diagnose and the report do
    # (UX review #10), and says so with the ratings there are
    table = runner.invoke(app, ["measure", "-w", ws])
    assert table.exit_code == 0, table.output
    assert "No cx ratings in this workspace: shown on nps" in table.stderr
    assert f"nps ({nps:,})" in table.stderr and "--metric" in table.stderr
    assert table.stdout.startswith("Collective NPS (0–100) by account")  # the table, on NPS

    as_json = runner.invoke(app, ["measure", "-w", ws, "--format", "json"])
    by_nps = runner.invoke(app, ["measure", "-w", ws, "--metric", "nps", "--format", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["units"]
    assert json.loads(as_json.stdout) == json.loads(by_nps.stdout)
    assert not by_nps.stderr
