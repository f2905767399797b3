"""The web dashboard: server-rendered pages over the server's state, beside the
REST API (both stand on :mod:`b2bcx.server`).

:func:`b2bcx.web.app.mount_dashboard` adds the pages (``/``) and ``/static``
assets to an application; ``b2bcx serve`` mounts them on the API's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from b2bcx.server.settings import ServerSettings


def create_web_app(settings: ServerSettings, **kwargs: Any) -> FastAPI:
    """The REST API with the dashboard mounted, as ``b2bcx serve`` runs it.

    Kept for callers written before the API and the dashboard stood side by
    side; new code composes them itself:
    ``b2bcx.api.app.create_app(settings, mount=(mount_dashboard,))``.
    """
    # the one place web/ reaches the API (tests/test_architecture.py: COMPAT)
    from b2bcx.api.app import create_app
    from b2bcx.web.app import mount_dashboard

    return create_app(settings, mount=(mount_dashboard,), **kwargs)


__all__ = ["create_web_app"]
