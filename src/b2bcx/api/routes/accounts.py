"""Accounts: the portfolio list and one account on one page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, check_account
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.pagination import (
    Page,
    Paging,
    page_of,
    parse_sort,
    slice_page,
    sort_query,
    sort_rows,
)
from b2bcx.api.schemas import (
    AccountDetail,
    AccountSummary,
    Comment,
    Finding,
    JourneyWithStages,
    Open,
)
from b2bcx.server.records import all_records, comments
from b2bcx.server.tokens import Principal
from b2bcx.server.views import (
    account_findings,
    account_row,
    account_rows,
    by_account,
    group_of,
    journeys_with_stages,
    unit_rows,
    visible,
)

router = APIRouter(prefix=f"{API_PREFIX}/accounts", tags=["accounts"], responses=ERROR_RESPONSES)

ACCOUNT_SORTS = ("account_id", "name", "cx", "nps", "rwg", "risk", "annual_value", "findings")


@router.get("", response_model=Page[AccountSummary], summary="Accounts with CX, verdict, risk")
def list_accounts(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    segment: str | None = None,
    verdict: Annotated[
        str | None,
        Query(
            description="Only accounts with this verdict: 'collective & aligned', "
            "'agreement not proven', 'diverse & unaligned' or 'too few respondents'."
        ),
    ] = None,
    account_manager: str | None = None,
    q: Annotated[str | None, Query(description="Search in the account's name and id.")] = None,
    sort: Annotated[str | None, sort_query(ACCOUNT_SORTS, "-risk")] = None,
) -> dict[str, Any]:
    """Every account the token may see, with collective CX (0–100), NPS, agreement
    (rwg), verdict, risk (0–1) and the number of findings."""
    name, desc = parse_sort(sort, ACCOUNT_SORTS, "-risk")
    rows = [hide_parent(r, caller) for r in account_rows(state.results, caller)]
    for field, value in (
        ("segment", segment),
        ("verdict", verdict),
        ("account_manager", account_manager),
    ):
        if value is not None:
            rows = [r for r in rows if r.get(field) == value]
    if q:
        needle = q.lower()
        rows = [r for r in rows if needle in f"{r['account_id']} {r.get('name') or ''}".lower()]
    if (name, desc) != ("risk", True):  # the rows come most at risk first
        rows = sort_rows(sort_rows(rows, "account_id", False), name, desc)
    return slice_page(request, paging, rows)


def hide_parent(row: dict[str, Any], caller: Principal) -> dict[str, Any]:
    """``row`` as ``caller`` may see it: a token limited to some accounts does not
    see the id of a parent account outside them (``parent_account_id`` is null)."""
    parent = row.get("parent_account_id")
    if parent is None or caller.sees(str(parent)):
        return row
    return {**row, "parent_account_id": None}


def _summary(state: State, caller: Viewer, account_id: str) -> dict[str, Any]:
    check_account(caller, account_id)
    return hide_parent(account_row(state.results, caller, account_id), caller)


@router.get(
    "/{account_id:path}/people",
    response_model=list[Open],
    summary="The people map: CX and agreement per function × level",
)
def people_map(
    account_id: str,
    caller: Viewer,
    state: State,
    by: Annotated[str, Query(pattern="^(function_level|function|level|center)$")] = (
        "function_level"
    ),
) -> list[dict[str, Any]]:
    """Each group of the account's people with its collective CX, rwg, AD and verdict."""
    _summary(state, caller, account_id)
    found: list[dict[str, Any]] = unit_rows(state.results, by).get(account_id, [])
    return found


@router.get(
    "/{account_id:path}/journeys",
    response_model=list[JourneyWithStages],
    summary="The account's journeys and their stages",
)
def journeys(account_id: str, caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Every journey of the account with the stages it entered."""
    _summary(state, caller, account_id)
    with state.db() as backend:
        return journeys_with_stages(backend, account_id)


@router.get(
    "/{account_id:path}/touchpoints",
    response_model=list[Open],
    summary="The account's stage × controller map",
)
def touchpoint_map(account_id: str, caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Cells of the stage × controller map for this account (Witell et al. 2020, Table 2)."""
    _summary(state, caller, account_id)
    found: list[dict[str, Any]] = by_account(state.results, "map:accounts", "cells").get(
        account_id, []
    )
    return found


@router.get(
    "/{account_id:path}/trend", response_model=list[Open], summary="The account's CX by month"
)
def trend(account_id: str, caller: Viewer, state: State) -> list[dict[str, Any]]:
    """CX (0–100) and NPS per month for this account."""
    _summary(state, caller, account_id)
    found: list[dict[str, Any]] = by_account(state.results, "trend:accounts").get(account_id, [])
    return found


@router.get(
    "/{account_id:path}/findings", response_model=list[Finding], summary="The account's findings"
)
def findings_of_account(account_id: str, caller: Viewer, state: State) -> list[dict[str, Any]]:
    """Findings about this account, most severe first, with evidence and actions."""
    _summary(state, caller, account_id)
    return account_findings(state.results, account_id)


@router.get(
    "/{account_id:path}/comments", response_model=Page[Comment], summary="The account's comments"
)
def account_comments(
    request: Request,
    account_id: str,
    caller: Viewer,
    state: State,
    paging: Paging,
    touchpoint_id: str | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    """What the account's people wrote, newest first (filter by touchpoint or stage)."""
    _summary(state, caller, account_id)
    with state.db() as backend:
        total, rows = comments(
            backend,
            account_id=account_id,
            touchpoint_id=touchpoint_id,
            stage=stage,
            limit=paging.limit,
            offset=paging.offset,
        )
    return page_of(request, paging, total, visible(rows, caller))


# registered last: ``{account_id:path}`` takes ids containing "/" (L9), and the
# routes above must see ``/{id}/people`` etc. first
@router.get("/{account_id:path}", response_model=AccountDetail, summary="One account")
def get_account(account_id: str, caller: Viewer, state: State) -> dict[str, Any]:
    """The account's record, its summary and its relationship-type history."""
    summary = _summary(state, caller, account_id)
    with state.db() as backend:
        account = all_records(backend, "accounts", {"account_id": account_id})
        history = all_records(backend, "relationships", {"account_id": account_id})
    group = None if caller.is_restricted else group_of(state.results, account_id)
    record = hide_parent(account[0], caller)
    return {"account": record, "summary": summary, "relationships": history, "group": group}
