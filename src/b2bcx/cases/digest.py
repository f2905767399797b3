"""The daily digest: one e-mail per owner with open cases, queued in the outbox.

:func:`queue_digests` is idempotent per owner and day (the message id is made
of both), so a scheduled ``b2bcx alerts deliver --digest`` sends each owner one
digest a day however often it runs.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from b2bcx.cases.actions import list_cases, now_utc
from b2bcx.cases.email import digest
from b2bcx.cases.outbox import message_id, queue_email

if TYPE_CHECKING:
    from b2bcx.cases.rules import RuleSet
    from b2bcx.storage.backend import Backend


def queue_digests(
    backend: Backend, rules: RuleSet, *, now: _dt.datetime | None = None
) -> dict[str, str]:
    """Queue today's digest for every owner with open cases and a known address.

    Returns owner → the message id queued (owners already served today, or
    without an address in the rules file's ``owners``, are left out).
    """
    now = now or now_utc()
    cases = list_cases(backend, status=("open", "in_progress"))
    queued: dict[str, str] = {}
    with backend.transaction():
        for owner in sorted({c.owner for c in cases}):
            address = rules.email_of(owner)
            made = digest(owner, cases, now)
            if address is None or made is None:
                continue
            mid = message_id("digest", owner, f"{now:%Y-%m-%d}")
            if queue_email(backend, mid=mid, to=address, subject=made[0], body=made[1], at=now):
                queued[owner] = mid
    return queued


__all__ = ["queue_digests"]
