"""Touchpoints and partners: performance by controller, touchpoint drivers,
partner scorecards."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import scorecards_by_harm
from b2bcx.web.deps import Visitor
from b2bcx.web.render import catalogue_names, render
from b2bcx.web.xlsx import plain_sheet, xlsx_response

router = APIRouter(include_in_schema=False)


@router.get("/touchpoints", response_class=HTMLResponse, response_model=None)
def touchpoints(
    request: Request,
    visitor: Visitor,
    state: State,
    partner: Annotated[str, Query(max_length=200)] = "",
    format: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The touchpoints and partners page (``?partner=`` shows one partner's
    scorecard; ``?format=xlsx`` downloads the tables)."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Touchpoint and partner performance")
    by_controller = state.results.get("split:controller")
    drivers = state.results.get("drivers:touchpoints")
    cards = scorecards_by_harm(state.results)
    if partner:
        cards = [c for c in cards if c["partner_id"] == partner]
    driver_rows = [] if isinstance(drivers, Unavailable) else drivers.table.to_dict("records")
    if format == "xlsx":
        return xlsx_response(
            "touchpoints",
            {
                "Partner scorecards": [_card_row(c) for c in cards],
                "Touchpoint drivers": plain_sheet(driver_rows, DRIVER_COLUMNS),
            },
        )
    return render(
        request,
        "touchpoints.html",
        by_controller=by_controller
        if isinstance(by_controller, Unavailable)
        else by_controller.to_dict("records"),
        drivers=drivers if isinstance(drivers, Unavailable) else driver_rows,
        cards=cards,
        partner=partner,
        names=catalogue_names(state),
        catalogue=state.results.get("catalogue:touchpoints"),
        download_href="/touchpoints?"
        + urlencode([("partner", partner)] * bool(partner) + [("format", "xlsx")]),
    )


#: The touchpoint drivers' columns in the download (key → header).
DRIVER_COLUMNS = {
    "label": "Touchpoint",
    "driver": "Touchpoint ID",
    "share": "Share of explained NPS",
    "lower": "Share, lower bound",
    "upper": "Share, upper bound",
    "performance": "Performance (0-100)",
    "raters": "Raters",
    "quadrant": "Quadrant",
}


def _card_row(card: dict[str, Any]) -> dict[str, Any]:
    """A scorecard as one row of the download (most harmful first)."""
    return {
        "Partner": card.get("name") or card["partner_id"],
        "Partner ID": card["partner_id"],
        "Kind": card.get("kind"),
        "Performance (0-100)": card.get("performance"),
        "Supplier's own touchpoints (0-100)": card.get("reference"),
        "Gap (points)": card.get("gap"),
        "Raters": card.get("raters"),
        "Harm (points x raters)": card.get("harm"),
        "Touchpoints": ", ".join(
            str(t.get("name") or t["touchpoint_id"]) for t in card.get("touchpoints") or []
        ),
        "Findings": len(card.get("findings") or []),
    }
