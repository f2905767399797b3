"""Account: one account on one page — its people map, journeys, touchpoints with
their controller, findings with evidence and actions, and the comments behind them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from b2bcx.errors import NotAvailable
from b2bcx.model.enums import STAGE_ORDER, Controller, Function, Level
from b2bcx.server.http import State
from b2bcx.server.records import all_records, comments
from b2bcx.server.results import Unavailable
from b2bcx.server.views import (
    account_findings,
    account_row,
    by_account,
    check_account,
    group_of,
    journeys_with_stages,
    json_or_reason,
    unit_rows,
)
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render
from b2bcx.web.xlsx import finding_sheet, plain_sheet, xlsx_response

router = APIRouter(include_in_schema=False)

COMMENTS_PER_PAGE = 20


def _or_reason(build: Callable[[], Any]) -> Any:
    """A cached view, or :class:`Unavailable` with the reason the analysis gave."""
    try:
        return build()
    except NotAvailable as exc:
        return Unavailable(str(exc))


#: The account's own row in the download (key → header).
ACCOUNT_COLUMNS = {
    "account_id": "Account ID", "name": "Account", "segment": "Segment", "country": "Country",
    "account_manager": "Account manager", "cx": "Score (0-100)", "nps": "NPS",
    "rwg": "Agreement (rwg)", "verdict": "Verdict", "risk": "Risk (0-1)",
    "risk_reasons": "Why at risk", "annual_value": "Annual value", "findings": "Findings",
}  # fmt: skip


#: A unit's columns in the download (key → header).
UNIT_COLUMNS = {
    "n_stakeholders": "People", "cx": "Score (0-100)", "nps": "NPS",
    "rwg": "Agreement (rwg)", "ad": "Spread (AD)", "verdict": "Verdict",
}  # fmt: skip


def _sheets(
    summary: dict[str, Any], people: Any, centres: Any, findings: Any, journeys: Any
) -> dict[str, list[dict[str, Any]]]:
    """The account page's tables as download sheets."""
    names = {summary["account_id"]: summary.get("name") or summary["account_id"]}
    trips = []
    for j in journeys:
        entered = ", ".join(f"{s['stage']} {s['entered_at']}" for s in j["stages"])
        trips.append({
            "Journey": j["journey"].get("journey_id"), "Offering": j["journey"].get("offering"),
            "Started": j["journey"].get("started_at"),
            "Contract value": j["journey"].get("contract_value"), "Stages entered": entered,
        })  # fmt: skip
    return {
        "Account": plain_sheet([summary], ACCOUNT_COLUMNS),
        "People map": plain_sheet(
            _rows(people), {"function": "Function", "level": "Level", **UNIT_COLUMNS}
        ),
        "Buying and usage centre": plain_sheet(
            _rows(centres), {"center": "Centre", **UNIT_COLUMNS}
        ),
        "Findings": finding_sheet(_rows(findings), names),
        "Journeys": trips,
    }


def _rows(found: Any) -> list[dict[str, Any]]:
    """A view's rows, or none when it is unavailable."""
    return [] if isinstance(found, Unavailable) else list(found)


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


@router.get("/accounts/{account_id:path}", response_class=HTMLResponse, response_model=None)
def account(
    request: Request,
    account_id: str,
    visitor: Visitor,
    state: State,
    touchpoint_id: Annotated[str | None, Query(max_length=200)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    format: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The account page (ids may hold "/"); ``?format=xlsx`` downloads its tables."""
    check_account(visitor, account_id)
    summary = account_row(state.results, visitor, account_id)
    diagnosis = json_or_reason(state.results, "diagnosis")
    scored = None
    sensitivity: list[str] = []
    if not isinstance(diagnosis, Unavailable):
        found = [r for r in diagnosis["at_risk"] if r["account_id"] == account_id]
        scored = found[0] if found else None
        # what the diagnosis could not have seen in this account (issue 16)
        from b2bcx.diagnose.sensitivity import account_sentences

        sensitivity = account_sentences(diagnosis.get("sensitivity"), account_id)
    with state.db() as backend:
        record = all_records(backend, "accounts", {"account_id": account_id})[0]
        history = all_records(backend, "relationships", {"account_id": account_id})
        journeys = journeys_with_stages(backend, account_id)
        n_comments, shown = comments(
            backend,
            account_id=account_id,
            touchpoint_id=touchpoint_id,
            stage=stage,
            limit=COMMENTS_PER_PAGE,
            offset=(page - 1) * COMMENTS_PER_PAGE,
        )
        # who wrote each comment, by name, for those who may contact the account's people
        writers: dict[str, str] = {}
        if shown and visitor.may_contact(account_id):
            wanted = {c.get("stakeholder_id") for c in shown}
            writers = {
                str(r["stakeholder_id"]): str(r["name"])
                for r in all_records(backend, "stakeholders", {"account_id": account_id})
                if r["stakeholder_id"] in wanted and r.get("name")
            }
    cache = state.results
    findings = _or_reason(lambda: account_findings(cache, account_id))
    people = _or_reason(lambda: unit_rows(cache, "function_level").get(account_id, []))
    centres = _or_reason(lambda: unit_rows(cache, "center").get(account_id, []))
    cells = _or_reason(lambda: by_account(cache, "map:accounts", "cells").get(account_id, []))
    trend = _or_reason(lambda: by_account(cache, "trend:accounts").get(account_id, []))
    catalogue = {t["touchpoint_id"]: t for t in state.results.get("catalogue:touchpoints")}
    # a group's figures pool other accounts' people: for unrestricted visitors only
    group = None if visitor.is_restricted else _or_reason(lambda: group_of(cache, account_id))
    if format == "xlsx":
        return xlsx_response("account", _sheets(summary, people, centres, findings, journeys))
    return render(
        request,
        "account.html",
        summary=summary,
        scored=scored,
        group=group,
        record=record,
        history=history,
        people=people,
        centres=centres,
        cells=cells,
        trend=trend,
        findings=findings,
        sensitivity=sensitivity,
        comment_filter=comment_filter,
        journeys=journeys,
        comments=shown,
        writers=writers,
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
