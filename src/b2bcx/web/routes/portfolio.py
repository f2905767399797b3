"""Portfolio: accounts by CX, alignment, risk and value; the trend; the stage ×
controller map; findings by challenge; the root causes where detractors'
experiences break, with what they wrote there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from b2bcx.diagnose import CHALLENGES
from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import account_rows, all_findings, json_or_reason
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
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
    verdict: str | None = None,
    segment: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """The portfolio page."""
    rows = account_rows(state.results, visitor)
    segments = sorted({r["segment"] for r in rows if r.get("segment")})
    aligned = [r for r in rows if r.get("verdict") == "collective & aligned"]
    if verdict:
        rows = [r for r in rows if r.get("verdict") == verdict]
    if segment:
        rows = [r for r in rows if r.get("segment") == segment]
    if q:
        rows = [r for r in rows if q.lower() in f"{r['account_id']} {r.get('name')}".lower()]
    diagnosis = json_or_reason(state.results, "diagnosis")
    by_challenge: dict[str, int] = dict.fromkeys(CHALLENGES, 0)
    if not isinstance(diagnosis, Unavailable):
        for f in all_findings(state.results, visitor):
            by_challenge[f["challenge"]] += 1
    parts = _portfolio_parts(state) if not visitor.is_restricted else {}
    return render(
        request,
        "portfolio.html",
        accounts=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        n_accounts=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // PER_PAGE)),
        n_aligned=len(aligned),
        segments=segments,
        verdict=verdict,
        segment=segment,
        q=q or "",
        challenges=CHALLENGES,
        by_challenge=by_challenge,
        diagnosis_reason=diagnosis.reason if isinstance(diagnosis, Unavailable) else None,
        top_risk=[r for r in rows if r["risk"] is not None][:12],
        **parts,
    )
