"""The web dashboard: server-rendered pages over the server's state, beside the
REST API (both stand on :mod:`b2bcx.server`; the dashboard imports nothing of
the API).

:func:`b2bcx.web.app.mount_dashboard` adds the pages (``/``) and ``/static``
assets to an application; ``b2bcx serve`` mounts them on the API's:
``create_app(settings, mount=(mount_dashboard,))``.
"""

from __future__ import annotations
