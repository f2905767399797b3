"""The REST API (FastAPI): a thin adapter over the b2bcx library.

Build the application with :func:`b2bcx.api.app.create_app`; ``b2bcx serve``
runs it (with the web dashboard mounted) under uvicorn. Install the ``server``
extra. Nothing here connects or reads settings at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from b2bcx.server.settings import ServerSettings

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings, **kwargs: Any) -> FastAPI:
    """The API application for ``settings`` (see :func:`b2bcx.api.app.create_app`)."""
    from b2bcx.api.app import create_app as _create

    return _create(settings, **kwargs)


__all__ = ["API_PREFIX", "create_app"]
