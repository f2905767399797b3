"""People's accounts (:mod:`b2bcx.server.users`), the ``web_users`` migration
and the ``b2bcx user`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.server import users
from b2bcx.storage import SCHEMA_VERSION, authstore, connect, current_version, migrate

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
OLD = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def backend() -> object:
    ws = b2bcx.open_workspace(":memory:")
    yield ws.backend
    ws.close()


def test_migration_10_adds_web_users_to_an_older_workspace(tmp_path: Path) -> None:
    backend = connect(str(tmp_path / "old.duckdb"))
    migrate(backend, target=9)
    assert "web_users" not in backend.list_tables()
    assert migrate(backend) == list(range(10, SCHEMA_VERSION + 1))
    assert "web_users" in backend.list_tables()
    assert current_version(backend) == SCHEMA_VERSION
    assert set(backend.columns("web_users")) >= {
        "login", "display_name", "password_hash", "role", "accounts", "oidc_subject",
        "created_at", "disabled_at", "last_signin_at",
    }  # fmt: skip
    backend.close()


def test_only_an_argon2id_hash_is_stored(backend: object) -> None:
    user = users.create_user(
        backend, login=" Anna@Example.com ", role="analyst", password=PASSWORD, hasher=FAST
    )
    assert user.login == "anna@example.com" and user.has_password
    row = authstore.get_user(backend, "anna@example.com")
    assert row is not None
    digest = str(row["password_hash"])
    assert digest.startswith("$argon2id$v=19$m=1024,t=1,p=1$") and PASSWORD not in digest
    assert PasswordHasher().verify(digest, PASSWORD)
    assert "password_hash" not in user.to_dict()


def test_check_password_says_why_not(backend: object) -> None:
    users.create_user(backend, login="ben", role="viewer", password=PASSWORD, hasher=FAST)
    users.create_user(backend, login="sso", role="viewer", password=None)
    assert users.check_password(backend, "BEN", PASSWORD, hasher=FAST).user is not None
    assert users.check_password(backend, "ben", PASSWORD + "x", hasher=FAST).reason == (
        "wrong_password"
    )
    assert users.check_password(backend, "nobody", PASSWORD, hasher=FAST).reason == "unknown"
    assert users.check_password(backend, "sso", PASSWORD, hasher=FAST).reason == "no_password"
    assert users.check_password(backend, "bad login!", PASSWORD, hasher=FAST).reason == "unknown"
    assert users.check_password(backend, "ben", "", hasher=FAST).user is None
    users.disable_user(backend, "ben")
    assert users.check_password(backend, "ben", PASSWORD, hasher=FAST).reason == "disabled"
    assert users.check_password(backend, "ben", "wrong one", hasher=FAST).reason == (
        "wrong_password"
    )


def test_a_hash_with_other_parameters_is_rehashed_once(backend: object) -> None:
    users.create_user(backend, login="cy", role="viewer", password=PASSWORD, hasher=OLD)
    first = users.check_password(backend, "cy", PASSWORD, hasher=FAST)
    second = users.check_password(backend, "cy", PASSWORD, hasher=FAST)
    assert first.rehashed and not second.rehashed
    row = authstore.get_user(backend, "cy")
    assert row is not None and "$m=1024,t=1,p=1$" in str(row["password_hash"])
    assert row["last_signin_at"] is not None
    # a wrong password never rewrites the hash
    users.create_user(backend, login="dee", role="viewer", password=PASSWORD, hasher=OLD)
    assert not users.check_password(backend, "dee", "not it at all", hasher=FAST).rehashed
    row = authstore.get_user(backend, "dee")
    assert row is not None and "$m=512," in str(row["password_hash"])


@pytest.mark.parametrize(
    ("login", "ok"),
    [("a", True), ("Anna.Berg+cx@ex-ample.com", True), ("", False), (" ", False),
     ("-lead", False), ("has space", False), ("user:x", False), ("x" * 100, True),
     ("x" * 101, False), ("émile", False)],
)  # fmt: skip
def test_logins(login: str, ok: bool) -> None:
    if ok:
        assert users.normalize_login(login) == login.strip().lower()
    else:
        with pytest.raises(ConfigurationError):
            users.normalize_login(login)


def test_passwords_have_bounds(backend: object) -> None:
    with pytest.raises(ConfigurationError, match="at least 12"):
        users.create_user(backend, login="e", role="viewer", password="x" * 11, hasher=FAST)
    with pytest.raises(ConfigurationError, match="at least"):
        users.create_user(backend, login="e", role="viewer", password=" " * 20, hasher=FAST)
    with pytest.raises(ConfigurationError, match="at most"):
        users.create_user(backend, login="e", role="viewer", password="x" * 1025, hasher=FAST)
    users.create_user(backend, login="e", role="viewer", password="x" * 12, hasher=FAST)
    # a password past the bound is refused without hashing it
    assert users.check_password(backend, "e", "x" * 5000, hasher=FAST).user is None


def test_logins_are_unique_and_roles_and_accounts_checked(backend: object) -> None:
    users.create_user(backend, login="fay", role="viewer", password=None)
    with pytest.raises(ConfigurationError, match="already"):
        users.create_user(backend, login="FAY", role="admin", password=None)
    with pytest.raises(ConfigurationError, match="role"):
        users.create_user(backend, login="gus", role="owner", password=None)
    with pytest.raises(NotFound, match="NO-SUCH"):
        users.create_user(backend, login="gus", role="viewer", password=None, accounts=["NO-SUCH"])
    with pytest.raises(NotFound):
        users.disable_user(backend, "nobody")
    with pytest.raises(NotFound):
        users.set_password(backend, "nobody", PASSWORD, hasher=FAST)


def test_a_user_principal_is_like_a_token_principal(backend: object) -> None:
    users.create_user(
        backend, login="hal", role="analyst", password=None, display_name="Hal Berg",
        accounts=["ACC-1"], check_accounts=False,
    )  # fmt: skip
    principal = users.subject_principal(backend, "user:hal")
    assert principal is not None
    assert principal.token_id == "user:hal" and principal.owner_name == "Hal Berg"
    assert principal.role.value == "analyst" and principal.accounts == frozenset({"ACC-1"})
    assert principal.sees("ACC-1") and not principal.sees("ACC-2")
    users.disable_user(backend, "hal")
    assert users.subject_principal(backend, "user:hal") is None
    assert users.subject_principal(backend, "user:nobody") is None
    assert users.subject_principal(backend, "deadbeef") is None  # an unknown token id


def test_disable_and_passwd_end_only_that_users_sessions(backend: object) -> None:
    import datetime as dt

    users.create_user(backend, login="ivy", role="viewer", password=PASSWORD, hasher=FAST)
    later = dt.datetime(2100, 1, 1)
    for sid, subject in [("s1", "user:ivy"), ("s2", "user:ivy"), ("s3", "user:other")]:
        authstore.insert_session(backend, session_id=sid, token_id=subject, expires_at=later)
    users.set_password(backend, "ivy", "another good password", hasher=FAST)
    assert not authstore.session_active(backend, "s1", "user:ivy")
    assert authstore.session_active(backend, "s3", "user:other")
    authstore.insert_session(backend, session_id="s4", token_id="user:ivy", expires_at=later)
    users.disable_user(backend, "ivy")
    assert not authstore.session_active(backend, "s4", "user:ivy")
    assert authstore.session_active(backend, "s3", "user:other")


# -- the command line ----------------------------------------------------------

runner = CliRunner()


def _run(args: list[str], stdin: str = "") -> object:
    return runner.invoke(app, args, input=stdin)


@pytest.fixture
def ws_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("B2BCX_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("B2BCX_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("B2BCX_PASSWORD_PARALLELISM", "1")
    return str(tmp_path / "users.duckdb")


def test_cli_add_with_password_stdin_then_list(ws_path: str) -> None:
    r = _run(["user", "add", "Lea", "--role", "admin", "--name", "Lea Vos", "--password-stdin",
              "-w", ws_path], f"{PASSWORD}\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Added user lea (admin)" in r.output and PASSWORD not in r.output
    listed = _run(["user", "list", "--json", "-w", ws_path])
    rows = json.loads(listed.output)
    assert [(u["login"], u["display_name"], u["role"], u["has_password"]) for u in rows] == [
        ("lea", "Lea Vos", "admin", True)
    ]
    with b2bcx.open_workspace(ws_path) as ws:
        row = authstore.get_user(ws.backend, "lea")
        entries = authstore.read_audit(ws.backend, limit=10)[1]
    assert row is not None and "$m=1024,t=1,p=1$" in str(row["password_hash"])  # B2BCX_PASSWORD_*
    assert (entries[0]["action"], entries[0]["target"], entries[0]["role"]) == (
        "b2bcx user add", "user:lea", "cli",
    )  # fmt: skip
    table = _run(["user", "list", "-w", ws_path])
    assert "lea" in table.output and "password" in table.output and "active" in table.output


def test_cli_prompt_asks_twice(ws_path: str) -> None:
    r = _run(["user", "add", "max", "--role", "viewer", "-w", ws_path],
             f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    with b2bcx.open_workspace(ws_path) as ws:
        assert users.check_password(ws.backend, "max", PASSWORD).user is not None


def test_cli_never_takes_a_password_in_argv(ws_path: str) -> None:
    r = _run(["user", "add", "nat", "--role", "viewer", "--password", PASSWORD, "-w", ws_path])
    assert r.exit_code != 0 and "No such option" in r.output


def test_cli_refusals(ws_path: str) -> None:
    short = _run(["user", "add", "oli", "--role", "viewer", "--password-stdin", "-w", ws_path],
                 "short\n")  # fmt: skip
    assert short.exit_code == 1 and "at least 12" in short.output
    empty = _run(["user", "add", "oli", "--role", "viewer", "--password-stdin", "-w", ws_path])
    assert empty.exit_code == 1 and "no password" in empty.output
    bad = _run(["user", "add", "bad login", "--role", "viewer", "-w", ws_path])
    assert bad.exit_code == 1 and "login" in bad.output
    assert _run(["user", "disable", "nobody", "-w", ws_path]).exit_code == 1
    nobody = _run(["user", "passwd", "nobody", "--password-stdin", "-w", ws_path], "x" * 20)
    assert nobody.exit_code == 1 and "no user" in nobody.output


def test_cli_passwd_disable_enable(ws_path: str) -> None:
    add = ["user", "add", "pia", "--role", "viewer", "--password-stdin", "-w", ws_path]
    assert _run(add, f"{PASSWORD}\n").exit_code == 0
    new = "the new password is long"
    r = _run(["user", "passwd", "pia", "--password-stdin", "-w", ws_path], f"{new}\n")
    assert r.exit_code == 0, r.output
    with b2bcx.open_workspace(ws_path) as ws:
        assert users.check_password(ws.backend, "pia", PASSWORD).user is None
        assert users.check_password(ws.backend, "pia", new).user is not None
    assert _run(["user", "disable", "pia", "-w", ws_path]).exit_code == 0
    rows = json.loads(_run(["user", "list", "--json", "-w", ws_path]).output)
    assert rows[0]["disabled"] is True
    assert _run(["user", "enable", "pia", "-w", ws_path]).exit_code == 0
    with b2bcx.open_workspace(ws_path) as ws:
        assert users.check_password(ws.backend, "pia", new).user is not None
        actions = [e["action"] for e in authstore.read_audit(ws.backend, limit=10)[1]]
    assert actions[:4] == ["b2bcx user enable", "b2bcx user disable", "b2bcx user passwd",
                           "b2bcx user add"]  # fmt: skip


def test_cli_add_no_password_for_single_sign_on(ws_path: str) -> None:
    r = _run(["user", "add", "quinn", "--role", "viewer", "--no-password", "-w", ws_path])
    assert r.exit_code == 0, r.output
    rows = json.loads(_run(["user", "list", "--json", "-w", ws_path]).output)
    assert rows[0]["has_password"] is False


def test_at_most_a_few_argon2_checks_run_at_once(
    backend: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    users.create_user(backend, login="ray", role="viewer", password=PASSWORD, hasher=FAST)
    running, most = 0, 0
    lock = threading.Lock()
    real = PasswordHasher.verify

    def slow(self: PasswordHasher, digest: str | bytes, password: str | bytes) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return real(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow)
    threads = [
        threading.Thread(target=users.check_password, args=(backend, "nobody", "x" * 12),
                         kwargs={"hasher": FAST})
        for _ in range(12)
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 2 <= most <= users.CONCURRENT_CHECKS  # they overlapped, within the bound


def test_the_role_map_and_default_role_name_known_roles() -> None:
    from pydantic import ValidationError

    from b2bcx.server.settings import load_server_settings

    with pytest.raises(ValidationError, match="unknown roles"):
        load_server_settings(oidc_role_map={"cx": "owner"})
    with pytest.raises(ValidationError, match="DEFAULT_ROLE"):
        load_server_settings(oidc_default_role="root")
    ok = load_server_settings(oidc_role_map={"cx": "admin"}, oidc_default_role="viewer")
    assert ok.oidc_role_map == {"cx": "admin"} and not ok.oidc_enabled
