"""API tokens: made once, shown once, stored hashed; roles and account limits.

A token reads ``b2bcx_<id>_<secret>``: ``id`` (8 hex characters) is public and
names the token in listings and the audit log; ``secret`` is 32 random bytes.
Only ``sha256(token)`` is stored (:mod:`b2bcx.storage.authstore`), so a stolen
database does not give working tokens; the secret's entropy makes a plain hash
enough (no slow hash needed, as for passwords).

Roles are ordered: a **viewer** reads; an **analyst** also imports bundles and
refreshes analyses; an **admin** also manages tokens and reads the audit log.
A token may be limited to a list of accounts: it then sees those accounts only.

Making and revoking a token is a write: given an :class:`AuditedBy` (who does
it, through which action), :func:`create_token` and :func:`revoke_token` record
it in the audit log themselves, so the CLI and the API audit them alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from b2bcx.errors import ConfigurationError, NotFound
from b2bcx.storage import Backend, authstore
from b2bcx.storage.records import account_ids

PREFIX = "b2bcx"
_TOKEN = re.compile(r"^b2bcx_([0-9a-f]{8})_([A-Za-z0-9_-]{20,})$")


class Role(StrEnum):
    """What a token may do; each role includes the ones before it."""

    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer, 1 for analyst, 2 for admin."""
        return list(Role).index(self)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, name, role and the accounts it may see.

    ``accounts`` is ``None`` for a token that sees every account.
    """

    token_id: str
    name: str
    role: Role
    accounts: frozenset[str] | None = None

    @property
    def is_restricted(self) -> bool:
        """Whether the token is limited to a list of accounts."""
        return self.accounts is not None

    def has_role(self, role: Role) -> bool:
        """Whether the token's role includes ``role``."""
        return self.role.rank >= role.rank

    def sees(self, account_id: str) -> bool:
        """Whether the token may see ``account_id``."""
        return self.accounts is None or account_id in self.accounts

    def may_contact(self, account_id: str | None) -> bool:
        """Whether the token may see the personal data (``name``, ``email``) of
        ``account_id``'s people.

        The people behind the comments are shown to those allowed to contact
        customers: analysts and admins, and tokens limited to a list of accounts
        (an account team's token) for their own accounts. A viewer of every
        account (management, a shared screen) sees the people without them.
        """
        if account_id is None:
            return False
        if self.accounts is not None:
            return account_id in self.accounts
        return self.has_role(Role.analyst)

    @property
    def owner_name(self) -> str:
        """The case owner this token acts as (its name, else its id): a token made
        with ``--name`` equal to an owner (e.g. ``"A. Berg"``) sees that owner's
        cases as its own on the dashboard, and its changes carry that name."""
        return self.name.strip() or self.token_id

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "token_id": self.token_id,
            "name": self.name,
            "role": self.role.value,
            "accounts": sorted(self.accounts) if self.accounts is not None else None,
        }


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``token`` is shown once and never stored."""

    token: str
    principal: Principal


@dataclass(frozen=True, kw_only=True)
class AuditedBy:
    """Who makes a write, for its audit entry.

    Attributes
    ----------
    action:
        What was done, e.g. ``"b2bcx token create"`` or ``"POST /api/v1/tokens"``.
    role:
        The writer's role (``"cli"`` for the command line).
    token_id:
        The writing token's id (``None`` for the command line).
    """

    action: str
    role: str | None = None
    token_id: str | None = None

    def record(
        self, backend: Backend, *, target: str, status: int, detail: dict[str, Any] | None = None
    ) -> None:
        """Append this write to the audit log."""
        from b2bcx.server.requests import note_audited

        note_audited()
        authstore.append_audit(
            backend,
            token_id=self.token_id,
            role=self.role,
            action=self.action,
            target=target,
            status=status,
            detail=detail,
        )


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    """``value`` as a :class:`Role`, or a clear error."""
    try:
        return Role(value)
    except ValueError:
        raise ConfigurationError(
            f"role must be one of {', '.join(r.value for r in Role)} (got {value!r})"
        ) from None


def _principal(row: dict[str, Any]) -> Principal:
    accounts = row.get("accounts")
    return Principal(
        token_id=str(row["token_id"]),
        name=str(row.get("name") or ""),
        role=Role(row["role"]),
        accounts=frozenset(accounts) if accounts is not None else None,
    )


def create_token(
    backend: Backend,
    *,
    role: Role | str,
    accounts: list[str] | None = None,
    name: str = "",
    audit: AuditedBy | None = None,
) -> NewToken:
    """Make a token, store its hash, and return it (the only time it is visible).

    ``accounts`` limits the token to those accounts (they must exist). With
    ``audit``, the creation is recorded in the audit log (status 201, the role
    and the accounts as given).
    """
    given = accounts
    role = parse_role(str(role))
    if accounts is not None:
        accounts = sorted({a.strip() for a in accounts if a.strip()})
        if not accounts:
            raise ConfigurationError("--accounts needs at least one account id")
        known = set(account_ids(backend))
        missing = [a for a in accounts if a not in known]
        if missing:
            raise NotFound(f"no account {', '.join(repr(m) for m in missing)} in the workspace")
    token_id = secrets.token_hex(4)
    token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    row = authstore.insert_token(
        backend,
        token_id=token_id,
        token_hash=hash_token(token),
        name=name,
        role=role.value,
        accounts=accounts,
    )
    made = NewToken(token, _principal(row))
    if audit is not None:
        detail = {"role": role.value, "accounts": given}
        audit.record(backend, target=token_id, status=201, detail=detail)
    return made


def verify_token(backend: Backend, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token; ``None`` otherwise."""
    match = _TOKEN.match(token.strip())
    if match is None:
        return None
    row = authstore.get_token(backend, match.group(1))
    if row is None or row.get("revoked_at") is not None:
        return None
    if not hmac.compare_digest(str(row["token_hash"]), hash_token(token.strip())):
        return None
    return _principal(row)


def principal_of(backend: Backend, token_id: str) -> Principal | None:
    """The principal of an unrevoked token by its id (sessions refer to tokens so)."""
    row = authstore.get_token(backend, token_id)
    if row is None or row.get("revoked_at") is not None:
        return None
    return _principal(row)


def list_tokens(backend: Backend) -> list[dict[str, Any]]:
    """Every token without its hash: id, name, role, accounts, created, revoked."""
    return [
        {k: v for k, v in r.items() if k != "token_hash"} for r in authstore.list_tokens(backend)
    ]


def revoke_token(backend: Backend, token_id: str, *, audit: AuditedBy | None = None) -> None:
    """Revoke a token at once (its sessions end too); with ``audit``, record it
    in the audit log (status 204).

    Raises
    ------
    NotFound
        If there is no active token with that id (nothing is audited then).
    """
    if not authstore.revoke_token(backend, token_id):
        raise NotFound(f"no active token {token_id!r}")
    if audit is not None:
        audit.record(backend, target=token_id, status=204)
