"""Portfolio: accounts by CX, alignment, risk and value; the trend; the stage ×
controller map; findings by challenge; the root causes where detractors'
experiences break, with what they wrote there."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from b2bcx.diagnose import CHALLENGES
from b2bcx.measures.individual import metric_label
from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import (
    AccountFilters,
    account_rows,
    account_tiles,
    all_findings,
    filter_accounts,
    filter_options,
    has_contract_values,
    json_or_reason,
)
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
#: A month (``YYYY-MM``) or a date (``YYYY-MM-DD``), or nothing.
MONTH = r"^(\d{4}-\d{2}(-\d{2})?)?$"
#: Root causes shown on the portfolio page (the API and the report have them all).
TOP_PRIORITIES = 8


def _portfolio_parts(state: State) -> dict[str, Any]:
    measured = state.results.get("accounts")
    trend = state.results.get("trend")
    stage_map = state.results.get("map")
    diagnosis = json_or_reason(state.results, "diagnosis")
    return {
        "priorities": diagnosis
        if isinstance(diagnosis, Unavailable)
        else diagnosis["priorities"][:TOP_PRIORITIES],
        "portfolio": None if isinstance(measured, Unavailable) else measured.portfolio,
        "trend": trend if isinstance(trend, Unavailable) else trend.to_dict("records"),
        "map": stage_map if isinstance(stage_map, Unavailable) else stage_map.cells,
    }


@router.get("/", response_class=HTMLResponse)
def portfolio(
    request: Request,
    visitor: Visitor,
    state: State,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    verdict: Annotated[str, Query(max_length=100)] = "",
    segment: Annotated[str, Query(max_length=200)] = "",
    country: Annotated[str, Query(max_length=100)] = "",
    account_manager: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The portfolio page; the account list and its tiles obey the filters, which
    the URL keeps (paging included)."""
    every = account_rows(state.results, visitor)
    notices = [
        f"“{value}” is not a month (YYYY-MM): the {name} filter is left out."
        for name, value in (("from", since), ("to", until))
        if not re.fullmatch(MONTH, value)
    ]
    since = since if re.fullmatch(MONTH, since) else ""
    until = until if re.fullmatch(MONTH, until) else ""
    filters = AccountFilters(
        q=q.strip(), verdict=verdict, segment=segment, country=country,
        account_manager=account_manager, since=since, until=until,
    )  # fmt: skip
    rows = filter_accounts(state.results, every, filters)
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    diagnosis = json_or_reason(state.results, "diagnosis")
    by_challenge: dict[str, int] = dict.fromkeys(CHALLENGES, 0)
    if not isinstance(diagnosis, Unavailable):
        for f in all_findings(state.results, visitor):
            by_challenge[f["challenge"]] += 1
    parts = _portfolio_parts(state) if not visitor.is_restricted else {}
    measured = state.results.get("accounts")
    label = (
        "collective CX"
        if isinstance(measured, Unavailable)
        else measured.metric_label or metric_label(measured.metric)
    )
    return render(
        request,
        "portfolio.html",
        accounts=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        n_accounts=len(rows),
        n_all=len(every),
        page=page,
        pages=pages,
        per_page=PER_PAGE,
        tiles=account_tiles(rows),
        notices=notices,
        all_tiles=account_tiles(every),
        options=filter_options(state.results, every),
        filters=filters,
        metric_label=label,
        value_weighted=has_contract_values(state.results),
        challenges=CHALLENGES,
        by_challenge=by_challenge,
        diagnosis_reason=diagnosis.reason if isinstance(diagnosis, Unavailable) else None,
        top_risk=[r for r in rows if r["risk"] is not None][:12],
        **parts,
    )
