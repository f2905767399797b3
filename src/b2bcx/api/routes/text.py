"""Text insights: goals, emotions and topics in what customers write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Open
from b2bcx.server.convert import records
from b2bcx.server.views import json_result, result

router = APIRouter(prefix=f"{API_PREFIX}/text", tags=["text"], responses=ERROR_RESPONSES)


@router.get("/insights", response_model=Open, summary="Goals, emotions, sentiment")
def insights(caller: Viewer, state: State) -> dict[str, Any]:
    """What the analysed comments say: the six goals, the Ekman emotions, sentiment
    and effort, each with example comments (409 until text was analysed)."""
    require_all_accounts(caller, "text insights")
    return json_result(state.results, "text")


@router.get("/topics", response_model=list[Open], summary="Topics")
def topics(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Themes of the analysed comments with their share, sentiment and examples."""
    require_all_accounts(caller, "topics")
    return records(result(state.results, "topics"))
