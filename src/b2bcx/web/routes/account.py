"""Account: one account on one page — its people map, journeys, touchpoints with
their controller, findings with evidence and actions, and the comments behind them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from b2bcx.api.convert import records
from b2bcx.api.deps import State, check_account
from b2bcx.api.errors import ApiError
from b2bcx.api.records import all_records, comments
from b2bcx.api.results import Unavailable
from b2bcx.api.views import account_rows, findings_for
from b2bcx.model.enums import STAGE_ORDER, Controller, Function, Level
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render

router = APIRouter(include_in_schema=False)

COMMENTS_PER_PAGE = 20


def _of_account(value: Any, account_id: str, attr: str | None = None) -> Any:
    """Rows of a cached per-account frame for one account (or the reason it is missing)."""
    if isinstance(value, Unavailable):
        return value
    frame = getattr(value, attr) if attr else value
    return records(frame[frame.account_id == account_id])


def comment_filter(finding: dict[str, Any]) -> dict[str, str]:
    """The touchpoint and stage whose comments lie behind a finding."""
    out: dict[str, str] = {}
    evidence = finding.get("evidence") or {}
    if finding["subject"]["kind"] == "touchpoint":
        out["touchpoint_id"] = finding["subject"]["id"]
    elif isinstance(evidence.get("touchpoint_id"), str):
        out["touchpoint_id"] = evidence["touchpoint_id"]
    if isinstance(evidence.get("stage"), str):
        out["stage"] = evidence["stage"]
    return out


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account(
    request: Request,
    account_id: str,
    visitor: Visitor,
    state: State,
    touchpoint_id: Annotated[str | None, Query(max_length=200)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The account page."""
    check_account(visitor, account_id)
    found = [r for r in account_rows(state.results, visitor) if r["account_id"] == account_id]
    if not found:
        raise ApiError(404, f"no account {account_id!r}")
    with state.db() as backend:
        record = all_records(backend, "accounts", {"account_id": account_id})[0]
        history = all_records(backend, "relationships", {"account_id": account_id})
        journeys = all_records(backend, "journeys", {"account_id": account_id})
        stages = all_records(backend, "journey_stages", {"account_id": account_id})
        n_comments, shown = comments(
            backend,
            account_id=account_id,
            touchpoint_id=touchpoint_id,
            stage=stage,
            limit=COMMENTS_PER_PAGE,
            offset=(page - 1) * COMMENTS_PER_PAGE,
        )
    diagnosis = state.results.get("diagnosis")
    findings = (
        diagnosis
        if isinstance(diagnosis, Unavailable)
        else sorted(
            [f for f in findings_for(diagnosis, visitor) if f["account_id"] == account_id],
            key=lambda f: -f["severity"],
        )
    )
    people = _of_account(state.results.get("units:function_level"), account_id, "units")
    centres = _of_account(state.results.get("units:center"), account_id, "units")
    cells = _of_account(state.results.get("map:accounts"), account_id, "cells")
    trend = _of_account(state.results.get("trend:accounts"), account_id)
    catalogue = {t["touchpoint_id"]: t for t in state.results.get("catalogue:touchpoints")}
    return render(
        request,
        "account.html",
        summary=found[0],
        record=record,
        history=history,
        people=people,
        centres=centres,
        cells=cells,
        trend=trend,
        findings=findings,
        comment_filter=comment_filter,
        journeys=[
            {
                "journey": j,
                "stages": sorted(
                    [s for s in stages if s["journey_id"] == j["journey_id"]],
                    key=lambda s: s["entered_at"] or "",
                ),
            }
            for j in journeys
        ],
        comments=shown,
        n_comments=n_comments,
        page=page,
        pages=max(1, -(-n_comments // COMMENTS_PER_PAGE)),
        touchpoint_id=touchpoint_id,
        stage=stage,
        catalogue=catalogue,
        stages=[s.value for s in STAGE_ORDER],
        controllers=[c.value for c in Controller],
        functions=[f.value for f in Function],
        levels=[lv.value for lv in Level],
    )
