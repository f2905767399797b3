"""Moved to :mod:`b2bcx.server.settings`; re-exported here until the CLI imports it from there."""

from __future__ import annotations

from b2bcx.server.settings import ServerSettings, load_server_settings, signing_key

__all__ = ["ServerSettings", "load_server_settings", "signing_key"]
