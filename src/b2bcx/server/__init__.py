"""The server behind the REST API and the dashboard: its settings, the
workspace's connections, the cached analyses (one :class:`~b2bcx.analyses.Analyses`
per data version), views of them shaped for callers, tokens and uploads.

No HTTP here: errors are the library's (:class:`~b2bcx.errors.NotFound`,
:class:`~b2bcx.errors.NotAvailable`, the upload errors of
:mod:`b2bcx.server.uploads`); :mod:`b2bcx.api` and :mod:`b2bcx.web` stand side
by side on this package and map them to their answers.
"""

from __future__ import annotations
