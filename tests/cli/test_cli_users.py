"""``b2bcx user disable|enable|passwd``: what each says and how each is audited
(pinned when the commands came to share one body)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.server import users
from b2bcx.storage import authstore

PASSWORD = "a long enough password"


@pytest.fixture
def ws_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("B2BCX_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("B2BCX_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("B2BCX_PASSWORD_PARALLELISM", "1")
    path = str(tmp_path / "users.duckdb")
    add = ["user", "add", "Tove", "--role", "viewer", "--password-stdin", "-w", path]
    assert CliRunner().invoke(app, add, input=f"{PASSWORD}\n").exit_code == 0
    return path


def _run(args: list[str], ws_path: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "-w", ws_path], input=stdin)
    return result.exit_code, " ".join(result.output.split())


def _state(ws_path: str) -> tuple[bool, list[tuple[str, str, str]]]:
    with b2bcx.open_workspace(ws_path) as ws:
        user = users.get_user(ws.backend, "tove")
        entries = authstore.read_audit(ws.backend, limit=10)[1]
    assert user is not None
    marks = [(str(e["action"]), str(e["target"]), str(e["role"])) for e in entries]
    return user.disabled, marks


def test_disable_then_enable_say_what_they_did_and_are_audited(ws_path: str) -> None:
    assert _run(["user", "disable", "tove"], ws_path) == (0, "Disabled user tove.")
    disabled, marks = _state(ws_path)
    assert disabled and marks[0] == ("b2bcx user disable", "user:tove", "cli")
    assert _run(["user", "enable", "TOVE"], ws_path) == (0, "Enabled user tove.")
    disabled, marks = _state(ws_path)
    assert not disabled and marks[0] == ("b2bcx user enable", "user:tove", "cli")
    assert [m[0] for m in marks] == ["b2bcx user enable", "b2bcx user disable", "b2bcx user add"]


def test_enable_and_disable_refuse_an_unknown_login(ws_path: str) -> None:
    for command in ("disable", "enable"):
        code, said = _run(["user", command, "nobody"], ws_path)
        assert code == 1 and "no user" in said
    assert [m[0] for m in _state(ws_path)[1]] == ["b2bcx user add"]


def test_passwd_is_audited_with_its_own_action(ws_path: str) -> None:
    code, said = _run(["user", "passwd", "tove", "--password-stdin"], ws_path,
                      "another long password\n")  # fmt: skip
    assert (code, said) == (0, "Set the password of tove; their sessions were ended.")
    assert _state(ws_path)[1][0] == ("b2bcx user passwd", "user:tove", "cli")
