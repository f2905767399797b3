"""The web dashboard: server-rendered pages over the same state as the REST API.

:func:`create_web_app` builds the API application and mounts the dashboard on
it (``/`` pages, ``/static`` assets); ``b2bcx serve`` runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from b2bcx.api.settings import ServerSettings


def create_web_app(settings: ServerSettings, **kwargs: Any) -> FastAPI:
    """The API with the dashboard mounted (see :func:`b2bcx.web.app.create_web_app`)."""
    from b2bcx.web.app import create_web_app as _create

    return _create(settings, **kwargs)


__all__ = ["create_web_app"]
