"""``b2bcx token``, ``b2bcx serve`` and ``b2bcx demo --no-serve``: the command-line adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.server.tokens import verify_token

runner = CliRunner()


def test_token_create_list_revoke(tmp_path: Path, small_bundle: Path) -> None:
    ws_path = tmp_path / "w.duckdb"
    with b2bcx.open_workspace(ws_path) as ws:
        ws.import_bundle(small_bundle)
    made = runner.invoke(
        app,
        [
            "token",
            "create",
            "--role",
            "viewer",
            "--accounts",
            "A1",
            "--name",
            "anna",
            "-w",
            str(ws_path),
        ],
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("b2bcx_")
    with b2bcx.open_workspace(ws_path) as ws:
        principal = verify_token(ws.backend, token)
    assert principal is not None and principal.accounts == frozenset({"A1"})
    listed = runner.invoke(app, ["token", "list", "--json", "-w", str(ws_path)])
    assert listed.exit_code == 0 and principal.token_id in listed.output
    assert token not in listed.output
    revoked = runner.invoke(app, ["token", "revoke", principal.token_id, "-w", str(ws_path)])
    assert revoked.exit_code == 0
    with b2bcx.open_workspace(ws_path) as ws:
        assert verify_token(ws.backend, token) is None
    again = runner.invoke(app, ["token", "revoke", principal.token_id, "-w", str(ws_path)])
    assert again.exit_code == 1 and "no active token" in again.output
    with b2bcx.open_workspace(ws_path) as ws:
        log = ws.backend.execute('SELECT action, target FROM audit_log ORDER BY "at"')
    assert log == [
        ("b2bcx token create", principal.token_id),
        ("b2bcx token revoke", principal.token_id),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "root"], "role must be one of"),
        (["--role", "viewer", "--accounts", "NOPE"], "no account 'NOPE'"),
    ],
)
def test_token_create_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["token", "create", *args, "-w", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1 and message in result.output


def test_serve_refuses_to_start_without_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("B2BCX_SECRET", raising=False)
    result = runner.invoke(app, ["serve", "-w", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "no secret configured" in result.output and "--dev" in result.output


def test_serve_refuses_a_short_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B2BCX_SECRET", "short")
    result = runner.invoke(app, ["serve", "-w", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1 and "at least 32" in result.output


def test_serve_binds_loopback_by_default() -> None:
    from b2bcx.server.settings import ServerSettings

    assert ServerSettings().host == "127.0.0.1"
    help_text = runner.invoke(app, ["serve", "--help"]).output
    assert "127.0.0.1" in help_text


@pytest.mark.slow
def test_demo_ends_with_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--size", "8000", "--no-progress", "--no-serve"])
    assert result.exit_code == 0, result.output
    report = tmp_path / "b2bcx-demo-report.html"
    assert report.exists() and 'id="step4"' in report.read_text(encoding="utf-8")
    assert "Wrote the management report" in result.output
    with b2bcx.open_workspace(tmp_path / "b2bcx-demo.duckdb") as ws:  # a viewer token was made
        assert ws.backend.execute("SELECT role FROM api_tokens") == [("viewer",)]
        # every comment was analysed with the packaged model before the report
        ((comments,),) = ws.backend.execute(
            "SELECT count(*) FROM interactions WHERE comment IS NOT NULL AND trim(comment) <> ''"
        )
        ((scored, models),) = ws.backend.execute(
            "SELECT count(*), count(DISTINCT model) FROM text_scores"
        )
    assert comments > 0 and scored == comments and models == 1
    assert "Analysed" in result.output
