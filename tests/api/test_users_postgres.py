"""People's accounts in a shared PostgreSQL workspace: the same SQL as on
DuckDB (made, unique logins, password checks with re-hashing, disabling with
its sessions, single sign-on users found by their identity)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import b2bcx
from b2bcx.errors import ConfigurationError
from b2bcx.server import users
from b2bcx.storage import authstore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
OLD = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster.create_database("users")
    finally:
        cluster.stop()


def test_users_on_postgres(pg_url: str) -> None:
    with b2bcx.open_workspace(pg_url) as ws:
        backend = ws.backend
        assert "web_users" in backend.list_tables()
        users.create_user(
            backend,
            login="Ana",
            role="analyst",
            password=PASSWORD,
            hasher=OLD,
            display_name="Ana P",
            accounts=["ACC-9"],
            check_accounts=False,
        )
        with pytest.raises(ConfigurationError, match="already"):
            users.create_user(backend, login="ana", role="viewer", password=None)
        first = users.check_password(backend, "ana", PASSWORD, hasher=FAST)
        assert first.user is not None and first.rehashed
        assert first.user.accounts == ("ACC-9",) and first.user.last_signin_at is not None
        row = authstore.get_user(backend, "ana")
        assert row is not None and "$m=1024,t=1,p=1$" in str(row["password_hash"])
        assert users.check_password(backend, "ana", "wrong password!", hasher=FAST).user is None
        assert users.check_password(backend, "zed", PASSWORD, hasher=FAST).reason == "unknown"
        authstore.insert_session(
            backend, session_id="s1", token_id="user:ana", expires_at=dt.datetime(2100, 1, 1)
        )
        assert users.subject_principal(backend, "user:ana") is not None
        users.disable_user(backend, "ana")
        assert not authstore.session_active(backend, "s1", "user:ana")
        assert users.subject_principal(backend, "user:ana") is None
        users.create_user(backend, login="sso@x.io", role="viewer", password=None,
                          oidc_subject="https://idp.example 42")  # fmt: skip
        found = authstore.get_user_by_subject(backend, "https://idp.example 42")
        assert found is not None and found["login"] == "sso@x.io"
        assert [u.login for u in users.list_users(backend)] == ["ana", "sso@x.io"]
