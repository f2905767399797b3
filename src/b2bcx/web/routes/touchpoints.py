"""Touchpoints and partners: performance by controller, touchpoint drivers,
partner scorecards."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import (
    AccountFilters,
    account_rows,
    filter_accounts,
    filter_options,
    filtered_activity,
    partner_options,
    scorecards_by_harm,
    touchpoint_options,
)
from b2bcx.web.cells import controller_rows, partner_rows, touchpoint_rows
from b2bcx.web.deps import Visitor
from b2bcx.web.render import catalogue_names, render
from b2bcx.web.routes.portfolio import read_filters
from b2bcx.web.xlsx import plain_sheet, xlsx_response

router = APIRouter(include_in_schema=False)


@router.get("/touchpoints", response_class=HTMLResponse, response_model=None)
def touchpoints(
    request: Request,
    visitor: Visitor,
    state: State,
    verdict: Annotated[str, Query(max_length=100)] = "",
    segment: Annotated[str, Query(max_length=200)] = "",
    country: Annotated[str, Query(max_length=100)] = "",
    account_manager: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    touchpoint: Annotated[str, Query(max_length=200)] = "",
    partner: Annotated[str, Query(max_length=200)] = "",
    format: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The touchpoints and partners page under the portfolio's filters (the same
    URL parameters; ``?partner=`` shows one partner's scorecard; ``?format=xlsx``
    downloads the tables).

    Under filters the figures made of interactions are summed again from the
    additive activity cells, as on the portfolio: the performance by controller,
    the touchpoints' scores and each partner's score. Account filters keep the
    listed accounts' interactions, touchpoint and partner those there, the
    months those in the period. The key drivers (a model fitted to the whole
    portfolio) are not refitted: the page says so.
    """
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Touchpoint and partner performance")
    filters, notices = read_filters(
        "", verdict, segment, country, account_manager, since, until, touchpoint, partner
    )
    every = account_rows(state.results, visitor)
    cells = filtered_cells(state, every, filters)
    by_controller = state.results.get("split:controller")
    drivers = state.results.get("drivers:touchpoints")
    cards = scorecards_by_harm(state.results)
    if partner:
        cards = [c for c in cards if c["partner_id"] == partner]
    elif touchpoint:
        cards = [
            c for c in cards if any(t["touchpoint_id"] == touchpoint for t in c["touchpoints"])
        ]
    names = catalogue_names(state)
    shown_controllers: Any = by_controller
    if cells is not None:
        shown_controllers = controller_rows(cells)
    elif filters.active:  # never the unfiltered figures under a filter
        shown_controllers = Unavailable(
            "the figures under these filters cannot be computed from this workspace yet"
        )
    elif not isinstance(by_controller, Unavailable):
        shown_controllers = by_controller.to_dict("records")
    filtered_touchpoints = None if cells is None else touchpoint_rows(cells, names)
    partner_scores = {} if cells is None else partner_rows(cells)
    driver_rows = [] if isinstance(drivers, Unavailable) else drivers.table.to_dict("records")
    if format == "xlsx":
        sheets = {
            "Partner scorecards": [_card_row(c) for c in cards],
            "Touchpoint drivers": plain_sheet(driver_rows, DRIVER_COLUMNS),
        }
        if filtered_touchpoints is not None:
            sheets["Touchpoints (filtered)"] = plain_sheet(filtered_touchpoints, FILTERED_COLUMNS)
        return xlsx_response("touchpoints", sheets)
    return render(
        request,
        "touchpoints.html",
        by_controller=shown_controllers,
        drivers=drivers if isinstance(drivers, Unavailable) else driver_rows,
        cards=cards,
        partner=partner,
        names=names,
        filters=filters,
        notices=notices,
        filtered=filters.active,
        filtered_touchpoints=filtered_touchpoints,
        partner_scores=partner_scores,
        options=filter_options(state.results, every),
        touchpoints=touchpoint_options(state.results),
        partners=partner_options(state.results),
        filter_action="/touchpoints",
        all_partners_href="/touchpoints?" + replace(filters, partner="").query() + "#partners",
        catalogue=state.results.get("catalogue:touchpoints"),
        download_href=f"/touchpoints?{filters.query(format='xlsx')}",
    )


#: The account fields of the filters (they pick the listed accounts).
ACCOUNT_FIELDS = ("verdict", "segment", "country", "account_manager")


def filtered_cells(
    state: Any, every: list[dict[str, Any]], filters: AccountFilters
) -> pd.DataFrame | None:
    """The activity cells under ``filters`` (the portfolio's approach: account
    filters keep the listed accounts, touchpoint and partner their cells, the
    months theirs); None when no filter is set or the workspace cannot give
    the cells (the page then shows the unfiltered results)."""
    if not filters.active:
        return None
    scope = None
    if any(getattr(filters, k) for k in ACCOUNT_FIELDS):
        only = AccountFilters(**{k: getattr(filters, k) for k in ACCOUNT_FIELDS})
        scope = {str(r["account_id"]) for r in filter_accounts(state.results, every, only)}
    return filtered_activity(state.results, filters, scope)


#: The filtered touchpoints' columns in the download (key → header).
FILTERED_COLUMNS = {
    "name": "Touchpoint",
    "touchpoint_id": "Touchpoint ID",
    "score": "Score (0-100), filtered",
    "nps": "NPS of the answers, filtered",
    "n_rated": "Ratings",
    "n_interactions": "Interactions",
}


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
