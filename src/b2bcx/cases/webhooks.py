"""Signed webhooks per the Standard Webhooks scheme.

Each request carries three headers:

- ``webhook-id``: the message id (the same on every retry of one message);
- ``webhook-timestamp``: seconds since the epoch when it was sent;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``
  (several space-separated signatures are allowed when a secret is rotated).

The secret is ``whsec_<base64 key>`` (``B2BCX_WEBHOOK_SECRET`` or the rules
file); :func:`generate_secret` makes one. A receiver checks a request with
:func:`verify`. Requests use the standard library (``urllib``).

>>> secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> sig = sign(secret, "msg_1", 1700000000, b'{"a":1}')
>>> sig.startswith("v1,")
True
>>> verify(secret, {"webhook-id": "msg_1", "webhook-timestamp": "1700000000",
...                 "webhook-signature": sig}, b'{"a":1}', now=1700000010)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from b2bcx.errors import B2bcxError, ConfigurationError

PREFIX = "whsec_"

#: How far a timestamp may be from the receiver's clock (seconds).
TOLERANCE = 5 * 60


class WebhookVerificationError(B2bcxError):
    """A webhook request's signature or timestamp does not check out."""


def generate_secret() -> str:
    """A new random secret, ``whsec_`` + base64 of 24 random bytes."""
    return PREFIX + base64.b64encode(_secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        raise ConfigurationError(
            "the webhook secret must be whsec_ followed by base64 (e.g. from "
            "`python -c 'from b2bcx.cases.webhooks import generate_secret; "
            "print(generate_secret())'`)"
        ) from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secret: str, msg_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers (and the JSON content type) for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
        "content-type": "application/json",
    }


def verify(
    secret: str,
    request_headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> None:
    """Check a received webhook; raise :class:`WebhookVerificationError` if it fails.

    Header names are matched without regard to case. The timestamp must lie
    within ``tolerance`` seconds of ``now`` (replays are refused).
    """
    lower = {k.lower(): v for k, v in request_headers.items()}
    try:
        msg_id = lower["webhook-id"]
        ts_text = lower["webhook-timestamp"]
        given = lower["webhook-signature"]
    except KeyError as exc:
        raise WebhookVerificationError(f"missing header {exc.args[0]}") from None
    try:
        ts = int(ts_text)
    except ValueError:
        raise WebhookVerificationError(f"invalid webhook-timestamp {ts_text!r}") from None
    clock = time.time() if now is None else now
    if abs(clock - ts) > tolerance:
        raise WebhookVerificationError("the webhook-timestamp is too old or in the future")
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    for part in given.split():
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise WebhookVerificationError("no matching v1 signature")


def send_webhook(
    url: str, secret: str, msg_id: str, body: bytes, *, timeout: float = 10.0
) -> tuple[bool, int | None, str | None]:
    """POST one signed event; ``(ok, HTTP status or None, error or None)``, never raises.

    A 2xx answer is a delivery; anything else (another status, a refused or
    timed-out connection) is a failure to retry.
    """
    if not url.startswith(("http://", "https://")):
        return False, None, f"not an http(s) URL: {url!r}"
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers=headers(secret, msg_id, body) | {"user-agent": "b2bcx-webhooks/1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return False, int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(exc).__name__}: {reason}"
    if 200 <= status < 300:
        return True, status, None
    return False, status, f"HTTP {status}"


__all__ = [
    "PREFIX",
    "TOLERANCE",
    "WebhookVerificationError",
    "generate_secret",
    "headers",
    "send_webhook",
    "sign",
    "verify",
]
