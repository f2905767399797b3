"""Data readiness: which analyses the workspace's data supports, and what unlocks the rest."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.server.views import json_result

router = APIRouter(prefix=API_PREFIX, tags=["meta"], responses=ERROR_RESPONSES)


class AnalysisReadiness(BaseModel):
    """Whether the data supports one analysis, why, and what unlocks it."""

    model_config = ConfigDict(extra="allow")

    key: str
    name: str
    area: Literal["measures", "diagnosis", "strategy", "text", "cases"]
    status: Literal["ready", "partial", "unavailable"]
    reason: str
    unlock: str | None = None
    needs: list[str]


class Readiness(BaseModel):
    """Every analysis b2bcx offers and whether this workspace's data supports it."""

    model_config = ConfigDict(extra="allow")

    workspace: str
    metric: str
    summary: dict[str, int]
    counts: dict[str, int]
    import_page: str
    analyses: list[AnalysisReadiness]


@router.get("/readiness", response_model=Readiness, summary="Data readiness")
def readiness(caller: Viewer, state: State) -> dict[str, Any]:
    """For every analysis (collective CX and agreement, NPS, CSAT, CES, individual
    CX, the stage × controller map, key drivers, the trend, C1–C5 and the risk
    score, the strategy profile, assessment and plan, text, topics, cases):
    ``status`` (``ready``, ``partial``, ``unavailable``), the ``reason`` with
    counts, and what to add to ``unlock`` it (the bundle table and column). Counts
    only: cheap. ``import_page`` is the dashboard page where data is added."""
    require_all_accounts(caller, "data readiness")
    return json_result(state.results, "readiness")
