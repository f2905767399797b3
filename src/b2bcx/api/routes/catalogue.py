"""The touchpoint catalogue and partners, with performance and scorecards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Open, PartnerList, TouchpointList
from b2bcx.errors import NotFound
from b2bcx.model.enums import Controller, Stage
from b2bcx.server.convert import records
from b2bcx.server.views import result, scorecards

router = APIRouter(prefix=API_PREFIX, tags=["touchpoints and partners"], responses=ERROR_RESPONSES)


@router.get("/touchpoints", response_model=TouchpointList, summary="The catalogue")
def touchpoints(
    caller: Viewer, state: State, stage: Stage | None = None, controller: Controller | None = None
) -> list[dict[str, Any]]:
    """Every touchpoint version (a change of controller is a new version, ``valid_from``)."""
    rows = state.results.get("catalogue:touchpoints")
    if stage is not None:
        rows = [r for r in rows if r["stage"] == stage.value]
    if controller is not None:
        rows = [r for r in rows if r["controller"] == controller.value]
    return list(rows)


@router.get(
    "/touchpoints/performance",
    response_model=list[Open],
    summary="Touchpoint performance and importance (key drivers of NPS)",
)
def performance(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Each touchpoint's performance (0–100) and share of explained NPS with its quadrant."""
    require_all_accounts(caller, "touchpoint performance")
    return records(result(state.results, "drivers:touchpoints").table)


@router.get("/controllers", response_model=list[Open], summary="Performance by controller")
def controllers(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """CX (0–100) and NPS of the touchpoints each controller runs."""
    require_all_accounts(caller, "performance by controller")
    return records(result(state.results, "split:controller"))


@router.get("/partners", response_model=PartnerList, summary="Partners")
def partners(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Dealers, service partners and others that run touchpoints."""
    return list(state.results.get("catalogue:partners"))


@router.get("/partners/scorecards", response_model=list[Open], summary="Partner scorecards")
def partner_cards(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Per partner: its touchpoints' performance and importance, and the C4 findings."""
    require_all_accounts(caller, "partner scorecards")
    return scorecards(state.results)


@router.get("/partners/{partner_id}", response_model=Open, summary="One partner's scorecard")
def partner(partner_id: str, caller: Viewer, state: State) -> dict[str, Any]:
    """One partner's scorecard."""
    require_all_accounts(caller, "a partner scorecard")
    for card in scorecards(state.results):
        if card["partner_id"] == partner_id:
            return card
    raise NotFound(f"no partner {partner_id!r}")
