"""Health, the calling token, and what the workspace holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import b2bcx
from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Health, Me, Open
from b2bcx.server.views import json_result

router = APIRouter(prefix=API_PREFIX, tags=["meta"], responses=ERROR_RESPONSES)


@router.get("/health", response_model=Health, summary="Liveness (no token needed)")
def health() -> dict[str, Any]:
    """``{"status": "ok", "version": ...}``."""
    return {"status": "ok", "version": b2bcx.__version__}


@router.get("/me", response_model=Me, summary="The calling token")
def me(caller: Viewer) -> dict[str, Any]:
    """The token's id, name, role and the accounts it is limited to (``null``: all)."""
    return caller.to_dict()


@router.get("/workspace", response_model=Open, summary="What the workspace holds")
def workspace(caller: Viewer, state: State) -> dict[str, Any]:
    """Counts per table, the date range of interactions and column coverage."""
    require_all_accounts(caller, "the workspace summary")
    return json_result(state.results, "info")
