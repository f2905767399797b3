"""People's accounts: sign-in with a login and a password (argon2id), or with
single sign-on (:mod:`b2bcx.server.oidc`), beside API tokens.

A user has a role and an account scope exactly as a token has
(:class:`~b2bcx.server.tokens.Role`, a list of account ids or every account);
signed in, a user is a :class:`~b2bcx.server.tokens.Principal` whose
``token_id`` is ``user:<login>``, the *subject* its dashboard sessions and its
audit entries carry (a token id is 8 hex characters, a login never holds a
colon, so the two never meet).

Passwords are hashed with argon2id (:mod:`argon2`, the parameters of
:data:`HASHER`); only the hash is stored. Checking a password:

- takes the same time whether the login exists or not: an unknown login, a
  disabled user and a single sign-on user without a password are checked
  against a dummy hash made with the same parameters (no timing oracle for
  which logins exist);
- re-hashes the password with the current parameters when the stored hash was
  made with other ones (:meth:`argon2.PasswordHasher.check_needs_rehash`), so
  raising the parameters upgrades every hash at its next sign-in.

Making, disabling a user and setting a password are writes: given an
:class:`~b2bcx.server.tokens.AuditedBy`, they are recorded in the audit log, as
tokens' are.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.server.tokens import AuditedBy, Principal, Role, parse_role, principal_of
from b2bcx.storage import Backend, authstore
from b2bcx.storage.records import account_ids

__all__ = [
    "CONCURRENT_CHECKS",
    "HASHER",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "SUBJECT_PREFIX",
    "SignIn",
    "User",
    "check_new_password",
    "check_password",
    "create_user",
    "disable_user",
    "enable_user",
    "get_user",
    "list_users",
    "normalize_login",
    "password_hasher",
    "set_password",
    "subject_principal",
    "user_principal",
]

#: The prefix of a user's subject (``user:<login>``) in sessions and the audit log.
SUBJECT_PREFIX = "user:"
#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 12
#: The longest password accepted (a bound on the work one sign-in can ask for).
MAX_PASSWORD_LENGTH = 1024

#: The argon2id hasher of new passwords: argon2-cffi's defaults (RFC 9106's
#: low-memory profile: 3 passes over 64 MiB, 4 lanes). Changing them makes
#: every stored hash re-hashed at its owner's next sign-in.
HASHER = PasswordHasher()

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,99}$")
#: How many argon2 computations of sign-ins run at once (each takes the
#: hasher's memory, 64 MiB by default): a burst of sign-ins waits instead of
#: exhausting the server's memory.
CONCURRENT_CHECKS = 4
_CHECKS = threading.BoundedSemaphore(CONCURRENT_CHECKS)
_DUMMY: dict[tuple[int, int, int, int, int], str] = {}
_DUMMY_LOCK = threading.Lock()


@dataclass(frozen=True)
class User:
    """A person's account, without its password hash.

    Attributes
    ----------
    login:
        Lower case; what the person types to sign in.
    display_name:
        The name shown on the dashboard and used as the case owner.
    role:
        What the user may do (as a token's role).
    accounts:
        The account ids the user sees, or ``None`` for every account.
    has_password:
        Whether the user can sign in with a password (a single sign-on user
        may have none).
    oidc_subject:
        The single sign-on identity (``"<issuer> <sub>"``) that signs in as
        this user, or ``None``.
    created_at, disabled_at, last_signin_at:
        When the user was made, disabled (``None``: active) and last signed in.
    """

    login: str
    display_name: str
    role: Role
    accounts: tuple[str, ...] | None
    has_password: bool
    oidc_subject: str | None
    created_at: Any
    disabled_at: Any
    last_signin_at: Any

    @property
    def disabled(self) -> bool:
        """Whether the user may no longer sign in."""
        return self.disabled_at is not None

    @property
    def subject(self) -> str:
        """``user:<login>``: the user's sessions and audit entries carry it."""
        return SUBJECT_PREFIX + self.login

    def principal(self) -> Principal:
        """The user as the caller of dashboard pages."""
        return Principal(
            token_id=self.subject,
            name=self.display_name or self.login,
            role=self.role,
            accounts=frozenset(self.accounts) if self.accounts is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (never the hash)."""
        return {
            "login": self.login,
            "display_name": self.display_name,
            "role": self.role.value,
            "accounts": list(self.accounts) if self.accounts is not None else None,
            "has_password": self.has_password,
            "oidc_subject": self.oidc_subject,
            "disabled": self.disabled,
            "created_at": self.created_at,
            "disabled_at": self.disabled_at,
            "last_signin_at": self.last_signin_at,
        }


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password check: the user, or why not (``reason``:
    ``"unknown"``, ``"disabled"``, ``"no_password"``, ``"wrong_password"``),
    and whether the stored hash was upgraded to the current parameters."""

    user: User | None
    reason: str | None = None
    rehashed: bool = False


def password_hasher(settings: Any) -> PasswordHasher:
    """The argon2id hasher of ``settings`` (a
    :class:`~b2bcx.server.settings.ServerSettings`): its ``password_*`` parameters."""
    return PasswordHasher(
        time_cost=int(settings.password_time_cost),
        memory_cost=int(settings.password_memory_kib),
        parallelism=int(settings.password_parallelism),
    )


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def _user(row: dict[str, Any]) -> User:
    accounts = row.get("accounts")
    return User(
        login=str(row["login"]),
        display_name=str(row.get("display_name") or ""),
        role=Role(row["role"]),
        accounts=tuple(accounts) if accounts is not None else None,
        has_password=bool(row.get("password_hash")),
        oidc_subject=row.get("oidc_subject"),
        created_at=row.get("created_at"),
        disabled_at=row.get("disabled_at"),
        last_signin_at=row.get("last_signin_at"),
    )


def normalize_login(login: str) -> str:
    """``login`` trimmed and in lower case, or a clear error.

    A login is 1-100 characters: letters, digits and ``. _ @ + -`` (an e-mail
    address fits), starting with a letter or a digit.

    >>> normalize_login("  Anna.Berg@Example.com ")
    'anna.berg@example.com'
    """
    value = login.strip().lower()
    if not _LOGIN.match(value):
        raise ConfigurationError(
            f"a login is 1-100 letters, digits and . _ @ + - starting with a letter or a "
            f"digit (got {login!r})"
        )
    return value


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or too long.

    Raises
    ------
    ConfigurationError
        If ``password`` has fewer than :data:`MIN_PASSWORD_LENGTH` or more than
        :data:`MAX_PASSWORD_LENGTH` characters, or is only spaces.
    """
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise ConfigurationError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters (got {len(password)})"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ConfigurationError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def _scope(backend: Backend, accounts: list[str] | None) -> list[str] | None:
    if accounts is None:
        return None
    accounts = sorted({a.strip() for a in accounts if a.strip()})
    if not accounts:
        raise ConfigurationError("--accounts needs at least one account id")
    known = set(account_ids(backend))
    missing = [a for a in accounts if a not in known]
    if missing:
        raise NotFound(f"no account {', '.join(repr(m) for m in missing)} in the workspace")
    return accounts


def create_user(
    backend: Backend,
    *,
    login: str,
    role: Role | str,
    password: str | None,
    display_name: str = "",
    accounts: list[str] | None = None,
    oidc_subject: str | None = None,
    check_accounts: bool = True,
    hasher: PasswordHasher | None = None,
    audit: AuditedBy | None = None,
) -> User:
    """Make a user; only the argon2 hash of ``password`` is stored.

    ``accounts`` limits the user to those accounts (they must exist);
    ``password`` may be ``None`` for a single sign-on user. Without
    ``check_accounts`` (single sign-on: the provider's claims decide), the
    account ids are kept as given, known or not. With ``audit``, the creation
    is recorded in the audit log (status 201).

    Raises
    ------
    ConfigurationError
        If the login, role or password is not acceptable, or the login is taken.
    NotFound
        If an account of ``accounts`` is not in the workspace.
    """
    login = normalize_login(login)
    role = parse_role(str(role))
    if check_accounts:
        scope = _scope(backend, accounts)
    else:
        scope = sorted(set(accounts)) if accounts is not None else None
    digest = None
    if password is not None:
        check_new_password(password)
        digest = (hasher or HASHER).hash(password)
    row = authstore.insert_user(
        backend,
        login=login,
        display_name=display_name.strip(),
        password_hash=digest,
        role=role.value,
        accounts=scope,
        oidc_subject=oidc_subject,
    )
    if row is None:
        raise ConfigurationError(f"there is a user {login!r} already")
    user = _user(row)
    if audit is not None:
        detail = {"role": role.value, "accounts": scope, "password": digest is not None}
        if oidc_subject is not None:
            detail["oidc_subject"] = oidc_subject
        audit.record(backend, target=user.subject, status=201, detail=detail)
    return user


def get_user(backend: Backend, login: str) -> User | None:
    """One user (disabled or not), or ``None``."""
    try:
        login = normalize_login(login)
    except ConfigurationError:
        return None
    row = authstore.get_user(backend, login)
    return None if row is None else _user(row)


def list_users(backend: Backend) -> list[User]:
    """Every user, by login."""
    return [_user(r) for r in authstore.list_users(backend)]


def _existing(backend: Backend, login: str) -> str:
    found = get_user(backend, login)
    if found is None:
        raise NotFound(f"no user {login!r}")
    return found.login


def disable_user(backend: Backend, login: str, *, audit: AuditedBy | None = None) -> User:
    """Stop a user from signing in; the user's sessions end at once (status 204
    in the audit log with ``audit``).

    Raises
    ------
    NotFound
        If there is no such user.
    """
    login = _existing(backend, login)
    row = authstore.get_user(backend, login)
    if row is not None and row.get("disabled_at") is None:
        authstore.update_user(backend, login, disabled_at=_now())
    ended = authstore.revoke_subject_sessions(backend, SUBJECT_PREFIX + login)
    if audit is not None:
        audit.record(backend, target=SUBJECT_PREFIX + login, status=204, detail={"sessions": ended})
    user = get_user(backend, login)
    assert user is not None
    return user


def enable_user(backend: Backend, login: str, *, audit: AuditedBy | None = None) -> User:
    """Let a disabled user sign in again (status 200 in the audit log with ``audit``).

    Raises
    ------
    NotFound
        If there is no such user.
    """
    login = _existing(backend, login)
    authstore.update_user(backend, login, disabled_at=None)
    if audit is not None:
        audit.record(backend, target=SUBJECT_PREFIX + login, status=200, detail={"enabled": True})
    user = get_user(backend, login)
    assert user is not None
    return user


def set_password(
    backend: Backend,
    login: str,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
    audit: AuditedBy | None = None,
) -> User:
    """Set a user's password (argon2 hash); the user's sessions end, so a
    stolen session does not outlive the change (status 200 in the audit log).

    Raises
    ------
    NotFound
        If there is no such user.
    ConfigurationError
        If the password is too short or too long.
    """
    login = _existing(backend, login)
    check_new_password(password)
    authstore.update_user(backend, login, password_hash=(hasher or HASHER).hash(password))
    ended = authstore.revoke_subject_sessions(backend, SUBJECT_PREFIX + login)
    if audit is not None:
        audit.record(backend, target=SUBJECT_PREFIX + login, status=200, detail={"sessions": ended})
    user = get_user(backend, login)
    assert user is not None
    return user


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash made with ``hasher``'s parameters, checked when there is no real one."""
    key = (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
    )
    with _DUMMY_LOCK:
        if key not in _DUMMY:
            _DUMMY[key] = hasher.hash("not a password: the dummy of unknown logins")
        return _DUMMY[key]


def _verify(hasher: PasswordHasher, digest: str, password: str) -> bool:
    with _CHECKS:
        try:
            return bool(hasher.verify(digest, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_password(
    backend: Backend, login: str, password: str, *, hasher: PasswordHasher | None = None
) -> SignIn:
    """Check a login and password; on success record the sign-in time and,
    if the stored hash was made with other argon2 parameters than ``hasher``'s,
    store a new hash.

    Every failure costs one argon2 verification, as a success does: an unknown
    login, a disabled user and a user without a password are checked against a
    dummy hash, so the answer's time does not tell which logins exist.
    """
    hasher = hasher or HASHER
    password = password[: MAX_PASSWORD_LENGTH + 1]
    dummy = _dummy_hash(hasher)  # made on the first check of any login, not of an unknown one
    try:
        key = normalize_login(login)
    except ConfigurationError:
        key = None
    row = authstore.get_user(backend, key) if key is not None else None
    digest = str(row["password_hash"]) if row is not None and row.get("password_hash") else None
    if digest is None or len(password) > MAX_PASSWORD_LENGTH:
        _verify(hasher, dummy, password)
        reason = "unknown" if row is None else "no_password"
        return SignIn(None, reason)
    matched = _verify(hasher, digest, password)
    assert row is not None
    if not matched:
        return SignIn(None, "wrong_password")
    if row.get("disabled_at") is not None:
        return SignIn(None, "disabled")
    rehashed = False
    values: dict[str, Any] = {"last_signin_at": _now()}
    try:
        stale = hasher.check_needs_rehash(digest)
    except InvalidHashError:
        stale = True
    if stale:
        with _CHECKS:
            values["password_hash"] = hasher.hash(password)
        rehashed = True
    authstore.update_user(backend, str(row["login"]), **values)
    user = get_user(backend, str(row["login"]))
    return SignIn(user, None, rehashed)


def user_principal(backend: Backend, login: str) -> Principal | None:
    """The principal of an active (not disabled) user, or ``None``."""
    row = authstore.get_user(backend, login)
    if row is None or row.get("disabled_at") is not None:
        return None
    return _user(row).principal()


def subject_principal(backend: Backend, subject: str) -> Principal | None:
    """The principal of a session's subject: ``user:<login>`` (an active user)
    or a token id (an unrevoked token); ``None`` otherwise."""
    if subject.startswith(SUBJECT_PREFIX):
        return user_principal(backend, subject.removeprefix(SUBJECT_PREFIX))
    return principal_of(backend, subject)
