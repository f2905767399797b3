"""Notifications that are not lost: the outbox and its delivery.

A case change and the notification it causes are written in **one
transaction** (:func:`queue_case_event` runs inside the caller's): either both
are stored or neither. :func:`deliver` then sends what the outbox holds —
webhook events signed per Standard Webhooks (:mod:`b2bcx.cases.webhooks`) and
e-mails (:mod:`b2bcx.cases.email`) — logs every attempt in ``deliveries``, and
on failure retries with exponential back-off: a few quick tries in the same
run, then the message waits ``base_delay × 2^(attempt − 1)`` (capped at
``max_delay``) for a later run, up to ``max_attempts`` attempts. A receiver
that was down therefore receives every event once it is back, in the order
the events happened (a case's later events wait behind an undelivered one).
The ``webhook-id`` is the message id, the same on every retry, so a receiver
can drop a duplicate.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from b2bcx.cases.email import SmtpSettings, send_email
from b2bcx.cases.webhooks import send_webhook
from b2bcx.storage import casestore

if TYPE_CHECKING:
    from b2bcx.cases.model import Case
    from b2bcx.storage.backend import Backend

#: The webhook event types.
EVENT_TYPES = ("case.opened", "case.updated")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def message_id(*parts: str) -> str:
    """A stable message id (``msg_`` + 24 hex digits) for the parts that make it unique."""
    return "msg_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def queue_case_event(
    backend: Backend,
    event_type: str,
    case: Case,
    *,
    event_id: str,
    webhook_url: str | None,
    at: _dt.datetime,
    change: dict[str, Any] | None = None,
) -> str | None:
    """Put a ``case.opened``/``case.updated`` webhook event in the outbox (inside the
    caller's transaction); ``None`` (nothing queued) without a webhook URL."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not webhook_url:
        return None
    mid = message_id(case.case_id, event_id)
    payload = {
        "type": event_type,
        "timestamp": at.replace(tzinfo=_dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {**case.to_dict(), "change": change or {}},
    }
    casestore.enqueue(
        backend,
        {
            "message_id": mid,
            "channel": "webhook",
            "event_type": event_type,
            "case_id": case.case_id,
            "target": webhook_url,
            "payload": payload,
            "created_at": at,
            "next_attempt_at": at,
        },
    )
    return mid


def queue_email(
    backend: Backend,
    *,
    mid: str,
    to: str,
    subject: str,
    body: str,
    at: _dt.datetime,
    kind: str = "digest",
) -> bool:
    """Put one e-mail in the outbox unless a message with ``mid`` is there already."""
    if any(m["message_id"] == mid for m in casestore.list_outbox(backend)):
        return False
    casestore.enqueue(
        backend,
        {
            "message_id": mid,
            "channel": "email",
            "event_type": kind,
            "case_id": None,
            "target": to,
            "payload": {"subject": subject, "body": body},
            "created_at": at,
            "next_attempt_at": at,
        },
    )
    return True


@dataclass(frozen=True)
class DeliveryResult:
    """What one :func:`deliver` run did."""

    delivered: tuple[str, ...] = ()
    retrying: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    attempts: int = 0
    pending: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As JSON: ``{"delivered": [...], "retrying": [...], "failed": [...], ...}``."""
        return {
            "delivered": list(self.delivered),
            "retrying": list(self.retrying),
            "failed": list(self.failed),
            "attempts": self.attempts,
            "pending": self.pending,
            "errors": dict(self.errors),
        }


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...): ``base·2^(attempt−1)``,
    at most ``cap``.

    >>> [backoff(n, 30, 600) for n in (1, 2, 3, 6)]
    [30.0, 60.0, 120.0, 600.0]
    """
    return float(min(cap, base * 2 ** (attempt - 1)))


def _send(
    message: dict[str, Any], secret: str | None, smtp: SmtpSettings | None, timeout: float
) -> tuple[bool, int | None, str | None]:
    if message["channel"] == "webhook":
        if not secret:
            return False, None, "no webhook secret (B2BCX_WEBHOOK_SECRET or the rules file)"
        body = json.dumps(message["payload"], sort_keys=True, separators=(",", ":")).encode()
        return send_webhook(message["target"], secret, message["message_id"], body, timeout=timeout)
    if smtp is None:
        return False, None, "no SMTP server configured (B2BCX_SMTP_HOST)"
    payload = message["payload"]
    try:
        send_email(smtp, message["target"], payload["subject"], payload["body"])
    except Exception as exc:  # delivery failures are logged, not raised
        return False, None, f"{type(exc).__name__}: {exc}"
    return True, None, None


def deliver(
    backend: Backend,
    *,
    secret: str | None = None,
    smtp: SmtpSettings | None = None,
    now: _dt.datetime | None = None,
    tries: int = 3,
    quick_delay: float = 0.5,
    base_delay: float = 60.0,
    max_delay: float = 3600.0,
    max_attempts: int = 10,
    timeout: float = 10.0,
    ignore_schedule: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send every due message of the outbox; log each attempt; retry with back-off.

    Parameters
    ----------
    backend
        The workspace.
    secret
        The webhook signing secret (``whsec_…``).
    smtp
        SMTP settings for e-mails (:meth:`SmtpSettings.from_env`); ``None``: e-mails wait.
    now
        The time of this run (default: the clock).
    tries
        Attempts per message in this run, ``quick_delay · 2^k`` seconds apart.
    base_delay, max_delay
        Back-off before the next run may try again: ``base_delay · 2^(attempt − 1)``
        seconds, at most ``max_delay``.
    max_attempts
        After this many failed attempts a message is given up (``failed_at``).
    ignore_schedule
        Try every pending message now, whatever its next attempt time.
    sleep
        The pause between quick tries (tests pass a no-op).
    """
    casestore.require_writable(backend)
    now = now or _now()
    horizon = _dt.datetime.max if ignore_schedule else now
    due = casestore.due_messages(backend, horizon)
    delivered: list[str] = []
    retrying: list[str] = []
    failed: list[str] = []
    errors: dict[str, str] = {}
    blocked: set[str] = set()
    attempts = 0
    for message in due:
        mid = message["message_id"]
        if message["case_id"] and message["case_id"] in blocked:
            retrying.append(mid)  # keeps the order of a case's events
            continue
        attempt = int(message["attempts"] or 0)
        ok = False
        for k in range(max(1, tries)):
            attempt += 1
            attempts += 1
            started = time.perf_counter()
            ok, status, error = _send(message, secret, smtp, timeout)
            give_up = not ok and attempt >= max_attempts
            wait = _dt.timedelta(seconds=backoff(attempt, base_delay, max_delay))
            casestore.record_attempt(
                backend,
                mid,
                attempt=attempt,
                at=now,
                target=message["target"],
                ok=ok,
                status_code=status,
                error=error,
                seconds=time.perf_counter() - started,
                next_attempt_at=now + wait,
                give_up=give_up,
            )
            if ok or give_up:
                break
            if k + 1 < tries:
                sleep(quick_delay * 2**k)
        if ok:
            delivered.append(mid)
            continue
        errors[mid] = str(error)
        (failed if attempt >= max_attempts else retrying).append(mid)
        if message["case_id"]:
            blocked.add(message["case_id"])
    pending = len(casestore.list_outbox(backend, pending_only=True))
    return DeliveryResult(
        tuple(delivered), tuple(retrying), tuple(failed), attempts, pending, errors
    )


__all__ = [
    "EVENT_TYPES",
    "DeliveryResult",
    "backoff",
    "deliver",
    "message_id",
    "queue_case_event",
    "queue_email",
]
