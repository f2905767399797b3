"""M6 of the reliability review: user data and paths are printed literally, never
parsed as Rich markup (a ``[/]`` used to crash the CLI with a MarkupError)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.cli.errors import EXIT_DATA_REJECTED, EXIT_USER_ERROR

runner = CliRunner()


def test_m6_a_rejected_value_with_markup_exits_3_not_a_traceback(
    small_bundle: Path, tmp_path: Path
) -> None:
    accounts = small_bundle / "accounts.csv"
    accounts.write_text(
        accounts.read_text(encoding="utf-8").replace("A1,Acme Mills,SE,120000,relational",
                                                     "A1,Acme Mills,SE,120000,[/]"),
        encoding="utf-8",
    )  # fmt: skip
    rejects = tmp_path / "out[/]x.rejects.csv"
    ws = tmp_path / "m6.duckdb"
    result = runner.invoke(
        app, ["import", str(small_bundle), "-w", str(ws), "--rejects", str(rejects)]
    )
    assert result.exit_code == EXIT_DATA_REJECTED, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Rejected:" in result.stderr
    assert "[/]" in result.stderr  # the rejects path, as written
    assert "[/]" in rejects.read_text(encoding="utf-8")  # the value itself, kept with its reason
    with b2bcx.open_workspace(ws) as opened:
        assert opened.info().counts["accounts"] == 0  # nothing committed


def test_m6_a_bundle_path_with_markup_is_printed_literally(
    small_bundle: Path, tmp_path: Path
) -> None:
    odd = tmp_path / "p[" / "]q"  # the path reads p[/]q
    shutil.copytree(small_bundle, odd)
    ws = tmp_path / "m6b.duckdb"
    result = runner.invoke(app, ["import", str(odd), "-w", str(ws), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"Imported {odd}" in result.stdout
    assert "p[/]q" in result.stdout
    with b2bcx.open_workspace(ws) as opened:
        assert opened.info().counts["accounts"] == 2


def test_m6_an_error_quoting_a_path_prints_it_literally(tmp_path: Path) -> None:
    missing = tmp_path / "no[bold]such[/bold]" / "w.duckdb"
    result = runner.invoke(app, ["info", "-w", str(missing)])
    assert result.exit_code == EXIT_USER_ERROR
    assert "Traceback" not in result.output
    assert "no[bold]such[/bold]" in result.stderr
