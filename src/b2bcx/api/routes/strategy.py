"""Strategy: the value-proposition profile, the CXM assessment and the playbook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from b2bcx.api import API_PREFIX
from b2bcx.api.convert import plain_dict
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Open
from b2bcx.api.views import result

router = APIRouter(prefix=f"{API_PREFIX}/strategy", tags=["strategy"], responses=ERROR_RESPONSES)


@router.get("/profile", response_model=Open, summary="Value-proposition profile")
def profile(caller: Viewer, state: State) -> dict[str, Any]:
    """What customers seek and get per goal and value proposition, gaps and conflicts."""
    require_all_accounts(caller, "the strategy profile")
    return plain_dict(result(state.results, "profile"))


@router.get("/assessment", response_model=Open, summary="CXM impact, scope and archetype")
def assessment(caller: Viewer, state: State) -> dict[str, Any]:
    """CXM impact and scope (assessed and observed), the archetype and its evidence."""
    require_all_accounts(caller, "the strategy assessment")
    return plain_dict(result(state.results, "assessment"))


@router.get("/plan", response_model=Open, summary="The four-step playbook")
def plan(caller: Viewer, state: State) -> dict[str, Any]:
    """The four-step plan (Wirtz et al. 2025, 7.2) built from the workspace's numbers."""
    require_all_accounts(caller, "the strategy plan")
    return plain_dict(result(state.results, "plan"))
