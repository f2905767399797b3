"""Touchpoints and partners: performance by controller, touchpoint drivers,
partner scorecards."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from b2bcx.errors import NotAvailable
from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import scorecards
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/touchpoints", response_class=HTMLResponse)
def touchpoints(request: Request, visitor: Visitor, state: State) -> HTMLResponse:
    """The touchpoints and partners page."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Touchpoint and partner performance")
    by_controller = state.results.get("split:controller")
    drivers = state.results.get("drivers:touchpoints")
    return render(
        request,
        "touchpoints.html",
        by_controller=by_controller
        if isinstance(by_controller, Unavailable)
        else by_controller.to_dict("records"),
        drivers=drivers if isinstance(drivers, Unavailable) else drivers.table.to_dict("records"),
        cards=_cards(state),
        catalogue=state.results.get("catalogue:touchpoints"),
    )


def _cards(state: State) -> list[dict[str, object]]:
    """The partner scorecards (none while the analyses behind them are unavailable)."""
    try:
        return scorecards(state.results)
    except NotAvailable:
        return []
