"""The stored records the API and the dashboard read, a page at a time: the
server's door to :mod:`b2bcx.storage.records` and the audit log, so the two
adapters never reach into storage themselves."""

from __future__ import annotations

from typing import Any

from b2bcx.storage import Backend, authstore
from b2bcx.storage.records import (
    Query,
    all_records,
    batch_exists,
    comments,
    get_record,
    list_batches,
    list_records,
    list_rejects,
)

__all__ = [
    "Query",
    "all_records",
    "batch_exists",
    "comments",
    "get_record",
    "list_batches",
    "list_records",
    "list_rejects",
    "read_audit",
]


def read_audit(backend: Backend, *, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """``(total, page)`` of the audit log, newest first."""
    return authstore.read_audit(backend, limit=limit, offset=offset)
