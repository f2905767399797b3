"""Moved to :mod:`b2bcx.server.tokens`; re-exported here until the CLI imports it from there."""

from __future__ import annotations

from b2bcx.server.tokens import (
    AuditedBy,
    NewToken,
    Principal,
    Role,
    create_token,
    hash_token,
    list_tokens,
    principal_of,
    revoke_token,
    verify_token,
)

__all__ = [
    "AuditedBy",
    "NewToken",
    "Principal",
    "Role",
    "create_token",
    "hash_token",
    "list_tokens",
    "principal_of",
    "revoke_token",
    "verify_token",
]
