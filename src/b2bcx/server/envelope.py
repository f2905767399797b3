"""The error envelope every API error answers with (``{"error": {...}}``), in
one place for the API's handlers and the server's request guard.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CODES", "envelope"]

#: HTTP status → the default ``code`` of the envelope.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def envelope(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> dict[str, Any]:
    """The envelope as a dict."""
    return {"error": {"status": status, "code": code, "message": message, "details": details or []}}
