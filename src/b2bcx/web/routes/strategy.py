"""Strategy: the impact × scope matrix with the firm's position, the
value-proposition profile, the playbook."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from b2bcx.api.deps import State
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/strategy", response_class=HTMLResponse)
def strategy(request: Request, visitor: Visitor, state: State) -> HTMLResponse:
    """The strategy page."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="The CXM strategy")
    return render(
        request,
        "strategy.html",
        profile=state.results.get("profile"),
        assessment=state.results.get("assessment"),
        plan=state.results.get("plan"),
    )
