"""Portfolio: accounts by CX, alignment, risk and value; the trend; the stage ×
controller map; findings by challenge; the root causes where detractors'
experiences break, with what they wrote there."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

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
    filtered_activity,
    filtered_map,
    filtered_trend,
    grouped_priorities,
    has_contract_values,
    high_risk_then,
    json_or_reason,
    partner_options,
    period_change,
    scorecards_by_harm,
    touchpoint_controllers,
    touchpoint_options,
    touchpoint_owners,
    touchpoint_partners,
)
from b2bcx.web.deps import Visitor
from b2bcx.web.render import render
from b2bcx.web.xlsx import account_sheet, cause_sheet, finding_sheet, xlsx_response

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
#: A month (``YYYY-MM``) or a date (``YYYY-MM-DD``), or nothing.
MONTH = r"^(\d{4}-\d{2}(-\d{2})?)?$"
#: Root causes shown on the portfolio page (the API and the report have them all).
TOP_PRIORITIES = 8
#: Touchpoint × owner groups of root causes in "What needs attention".
TOP_CAUSES = 5
#: Accounts at risk in "What needs attention".
TOP_AT_RISK = 5


def _reason_of(value: Any) -> str | None:
    """Why a result is missing (None when it is there)."""
    return value.reason if isinstance(value, Unavailable) else None


def _portfolio_parts(state: State) -> dict[str, Any]:
    measured = state.results.get("accounts")
    diagnosis = json_or_reason(state.results, "diagnosis")
    return {
        "priorities": diagnosis
        if isinstance(diagnosis, Unavailable)
        else diagnosis["priorities"][:TOP_PRIORITIES],
        "all_priorities": [] if isinstance(diagnosis, Unavailable) else diagnosis["priorities"],
        "portfolio": None if isinstance(measured, Unavailable) else measured.portfolio,
    }


def _findings_by_challenge(
    state: State, visitor: Any, filters: AccountFilters, listed: set[str], narrowed: bool
) -> dict[str, list[dict[str, Any]]]:
    """Findings per challenge, most severe first: of the listed accounts, and
    (unless account filters narrow the list) those about no account, at the
    filters' touchpoint or partner when those are set."""
    counts: dict[str, list[dict[str, Any]]] = {c: [] for c in CHALLENGES}
    tp_partners = touchpoint_partners(state.results)
    for f in all_findings(state.results, visitor):
        if f["account_id"] is not None:
            if f["account_id"] in listed:
                counts[f["challenge"]].append(f)
            continue
        if narrowed:
            continue
        subject = f.get("subject") or {}
        sid = str(subject.get("id") or "")
        if filters.touchpoint and sid != filters.touchpoint:
            continue
        if filters.partner and not (
            sid == filters.partner or filters.partner in tp_partners.get(sid, set())
        ):
            continue
        counts[f["challenge"]].append(f)
    return counts


def _unchecked(diagnosis: Any) -> dict[str, list[dict[str, str]]]:
    """Per challenge, the checks the diagnosis could not run on this workspace
    (``unavailable``: check, missing data, what unlocks it); none while the
    diagnosis is not available."""
    out: dict[str, list[dict[str, str]]] = {c: [] for c in CHALLENGES}
    if isinstance(diagnosis, Unavailable):
        return out
    for u in diagnosis.get("unavailable") or []:
        if u.get("challenge") in out:
            out[u["challenge"]].append(u)
    return out


def read_filters(
    q: str,
    verdict: str,
    segment: str,
    country: str,
    account_manager: str,
    since: str,
    until: str,
    touchpoint: str,
    partner: str,
) -> tuple[AccountFilters, list[str]]:
    """The filters of a page's URL, and notices for the values left out."""  # fmt: skip
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
        touchpoint=touchpoint, partner=partner,
    )  # fmt: skip
    return filters, notices


@router.get("/", response_class=HTMLResponse, response_model=None)
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
    touchpoint: Annotated[str, Query(max_length=200)] = "",
    partner: Annotated[str, Query(max_length=200)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    format: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The portfolio page; every widget obeys the filters, which the URL keeps
    (paging included); ``?format=xlsx`` downloads its tables under the same
    filters."""
    every = account_rows(state.results, visitor)
    filters, notices = read_filters(
        q, verdict, segment, country, account_manager, since, until, touchpoint, partner
    )
    rows = filter_accounts(state.results, every, filters)
    listed = {r["account_id"] for r in rows}
    # account fields narrow the list; touchpoint, partner and months pick activity
    narrowed = any((filters.q, filters.verdict, filters.segment, filters.country,
                    filters.account_manager)) or visitor.is_restricted  # fmt: skip
    parts = _portfolio_parts(state) if not visitor.is_restricted else {}
    owners = touchpoint_owners(state.results)
    controllers = touchpoint_controllers(state.results)
    tp_partners = touchpoint_partners(state.results)
    causes = grouped_priorities(
        parts.get("all_priorities") or [],
        filters,
        owners,
        tp_partners,
        limit=TOP_CAUSES,
        controllers=controllers,
    )
    at_risk = [r for r in rows if r["risk"] is not None][:TOP_AT_RISK]
    if format == "xlsx":
        names = {r["account_id"]: r.get("name") or r["account_id"] for r in every}
        shown = [
            f
            for f in all_findings(state.results, visitor)
            if f["account_id"] is None or f["account_id"] in listed
        ]
        sheets = {
            "Accounts": account_sheet(rows),
            "Root causes": cause_sheet(
                causes_all(parts, filters, owners, tp_partners, controllers)
            ),
            "Findings": finding_sheet(shown, names),
        }
        return xlsx_response("portfolio", sheets)
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    diagnosis = json_or_reason(state.results, "diagnosis")
    per_challenge: dict[str, list[dict[str, Any]]] = {c: [] for c in CHALLENGES}
    if not isinstance(diagnosis, Unavailable):
        per_challenge = _findings_by_challenge(state, visitor, filters, listed, narrowed)
    unchecked = _unchecked(diagnosis)
    if "priorities" in parts and not isinstance(parts["priorities"], Unavailable):
        kept = [p for g in causes_all(parts, filters, owners, tp_partners, controllers)
                for p in g["rows"]]  # fmt: skip
        parts["priorities"] = sorted(kept, key=lambda p: p.get("rank") or 0)[:TOP_PRIORITIES]
    measured = state.results.get("accounts")
    label = (
        "collective CX"
        if isinstance(measured, Unavailable)
        else measured.metric_label or metric_label(measured.metric)
    )
    scope = None if not narrowed and not visitor.is_restricted else listed
    # with no filter the cells sum to the cached trend and map (tested): those are
    # shown, and the period change is shaped once per data version
    everything = not filters.active and scope is None
    cells = None if everything else filtered_activity(state.results, filters, scope)
    if scope is None:
        change = state.results.derived(
            f"view:period:{filters.query()}",
            lambda: period_change(state.results, filters, None),
        )
    else:
        change = period_change(state.results, filters, scope)
    then = high_risk_then(state.results, listed) if change is not None else None
    cards = [] if visitor.is_restricted else scorecards_by_harm(state.results)
    if filters.partner:
        cards = [c for c in cards if c["partner_id"] == filters.partner]
    elif filters.touchpoint:
        tp = filters.touchpoint
        cards = [c for c in cards if any(t["touchpoint_id"] == tp for t in c["touchpoints"])]
    worst = cards[0] if cards and cards[0]["harm"] is not None else None
    # the partners are ranked over the whole portfolio; under filters its own score there
    worst_filtered = None
    if worst is not None and cells is not None:
        from b2bcx.web.cells import partner_rows

        worst_filtered = partner_rows(cells).get(str(worst["partner_id"])) or {"n_rated": 0}
    trend = state.results.get("trend")
    stage_map = state.results.get("map")
    if cells is None and not everything:  # filtered (or a restricted token's): never all's
        trend = stage_map = Unavailable(
            "the monthly figures under these filters cannot be computed from this workspace yet"
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
        touchpoints=touchpoint_options(state.results),
        partners=partner_options(state.results),
        filters=filters,
        narrowed=narrowed,
        metric_label=label,
        value_weighted=has_contract_values(state.results),
        challenges=CHALLENGES,
        by_challenge={c: len(f) for c, f in per_challenge.items()},
        per_challenge=per_challenge,
        unchecked=unchecked,
        names={r["account_id"]: r.get("name") or r["account_id"] for r in every},
        diagnosis_reason=diagnosis.reason if isinstance(diagnosis, Unavailable) else None,
        top_risk=[r for r in rows if r["risk"] is not None][:12],
        at_risk=at_risk,
        causes=causes,
        worst=worst,
        worst_filtered=worst_filtered,
        scorecards_reason=_reason_of(state.results.get("scorecards")),
        change=change,
        then=then,
        trend=trend if isinstance(trend, Unavailable)
        else trend.to_dict("records") if cells is None else filtered_trend(cells),
        map=stage_map if isinstance(stage_map, Unavailable)
        else stage_map.cells.to_dict("records") if cells is None else filtered_map(cells),
        download_href=f"/?{filters.query(format='xlsx')}",
        **parts,
    )  # fmt: skip


def causes_all(
    parts: dict[str, Any],
    filters: AccountFilters,
    owners: dict[str, str],
    tp_partners: dict[str, set[str]],
    controllers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every ranked priority at the filters' touchpoint and partner, grouped."""
    return grouped_priorities(
        parts.get("all_priorities") or [],
        filters,
        owners,
        tp_partners,
        limit=10_000,
        controllers=controllers,
    )
