"""What the two HTTP adapters (the REST API and the dashboard) share: the
server's state as a request dependency, and the HTTP status and stable code of
each library error (the API puts them in its envelope, the dashboard on its
error page and forms).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from b2bcx.errors import (
    B2bcxError,
    BundleError,
    ConfigurationError,
    DataRejected,
    NotAvailable,
    NotFound,
    WorkspaceError,
)
from b2bcx.server.cases import CaseChangeRefused
from b2bcx.server.state import AppState
from b2bcx.server.uploads import InvalidAnswers, UnsupportedUpload, UploadTooLarge


def get_state(request: Request) -> AppState:
    """The server's state (``app.state.b2bcx``)."""
    state: AppState = request.app.state.b2bcx
    return state


#: The server's state, as a route parameter.
State = Annotated[AppState, Depends(get_state)]

#: Library error → (HTTP status, stable code), the first match wins (subclasses first).
ERROR_STATUS: tuple[tuple[type[B2bcxError], int, str], ...] = (
    (UploadTooLarge, 413, "too_large"),
    (UnsupportedUpload, 415, "unsupported_media_type"),
    (InvalidAnswers, 422, "invalid_answers"),
    (CaseChangeRefused, 422, "invalid_change"),
    (DataRejected, 422, "data_rejected"),
    (NotFound, 404, "not_found"),
    (NotAvailable, 409, "not_available"),
    (BundleError, 400, "bad_bundle"),
    (ConfigurationError, 400, "invalid_option"),
    (WorkspaceError, 503, "workspace_unavailable"),
)


def status_of(exc: B2bcxError) -> tuple[int, str]:
    """The HTTP status and stable code answering ``exc`` (400 ``error`` by default)."""
    for kind, status, code in ERROR_STATUS:
        if isinstance(exc, kind):
            return status, code
    return 400, "error"
