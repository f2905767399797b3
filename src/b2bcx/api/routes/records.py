"""The workspace's records: stakeholders, journeys and interactions, paged and filtered."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.pagination import Paging, page_of, parse_sort, sort_query
from b2bcx.api.schemas import (
    InteractionPage,
    InteractionRecord,
    JourneyPage,
    StakeholderPage,
)
from b2bcx.errors import NotFound
from b2bcx.model.enums import Center, Level, Source, Stage
from b2bcx.server.cases import redact_person
from b2bcx.server.records import Query as RecordQuery
from b2bcx.server.records import get_record, list_records

router = APIRouter(prefix=API_PREFIX, tags=["records"], responses=ERROR_RESPONSES)

STAKEHOLDER_SORTS = ("stakeholder_id", "account_id", "function", "level")
JOURNEY_SORTS = ("journey_id", "account_id", "started_at", "contract_value")
INTERACTION_SORTS = ("occurred_at", "interaction_id", "cx", "nps")


def _accounts_filter(caller: Viewer, account_id: str | None) -> list[str] | None:
    """The accounts a query may cover: the token's, narrowed to ``account_id``."""
    if account_id is None:
        return sorted(caller.accounts) if caller.accounts is not None else None
    if not caller.sees(account_id):
        return []
    return [account_id]


@router.get("/stakeholders", response_model=StakeholderPage, summary="People")
def stakeholders(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    account_id: str | None = None,
    function: str | None = None,
    level: Level | None = None,
    center: Center | None = None,
    sort: Annotated[str | None, sort_query(STAKEHOLDER_SORTS, "stakeholder_id")] = None,
) -> dict[str, Any]:
    """The people of the accounts the token may see (sort: stakeholder_id, account_id,
    function, level). Their ``name`` and ``email`` are personal data: given only
    to analysts and admins and to tokens limited to the person's account, else
    ``null``."""
    name, desc = parse_sort(sort, STAKEHOLDER_SORTS, "stakeholder_id")
    query = RecordQuery(
        filters={
            "function": function,
            "level": level and level.value,
            "center": center and center.value,
        },
        sort=name,
        descending=desc,
        limit=paging.limit,
        offset=paging.offset,
        accounts=_accounts_filter(caller, account_id),
    )
    with state.db() as backend:
        total, rows = list_records(backend, "stakeholders", query)
    return page_of(request, paging, total, [redact_person(caller, r) for r in rows])


@router.get("/journeys", response_model=JourneyPage, summary="Journeys")
def journeys(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    account_id: str | None = None,
    since: _dt.date | None = None,
    until: _dt.date | None = None,
    sort: Annotated[str | None, sort_query(JOURNEY_SORTS, "journey_id")] = None,
) -> dict[str, Any]:
    """Journeys (one per offering or contract) of the accounts the token may see
    (sort: journey_id, account_id, started_at, contract_value)."""
    name, desc = parse_sort(sort, JOURNEY_SORTS, "journey_id")
    query = RecordQuery(
        filters={},
        sort=name,
        descending=desc,
        limit=paging.limit,
        offset=paging.offset,
        accounts=_accounts_filter(caller, account_id),
        since=_start(since),
        until=_start(until),
    )
    with state.db() as backend:
        total, rows = list_records(backend, "journeys", query)
    return page_of(request, paging, total, rows)


def _start(day: _dt.date | None) -> _dt.datetime | None:
    return _dt.datetime.combine(day, _dt.time()) if day is not None else None


@router.get("/interactions", response_model=InteractionPage, summary="Interactions")
def interactions(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    account_id: str | None = None,
    stakeholder_id: str | None = None,
    touchpoint_id: str | None = None,
    journey_id: str | None = None,
    stage: Stage | None = None,
    source: Source | None = None,
    since: Annotated[_dt.date | None, Query(description="On or after this day.")] = None,
    until: Annotated[_dt.date | None, Query(description="Before this day.")] = None,
    q: Annotated[
        str | None, Query(description="Text the comment contains.", max_length=200)
    ] = None,
    sort: Annotated[str | None, sort_query(INTERACTION_SORTS, "-occurred_at")] = None,
) -> dict[str, Any]:
    """Every experience record of the accounts the token may see, newest first by
    default (sort: occurred_at, interaction_id, cx, nps)."""
    name, desc = parse_sort(sort, INTERACTION_SORTS, "-occurred_at")
    query = RecordQuery(
        filters={
            "stakeholder_id": stakeholder_id,
            "touchpoint_id": touchpoint_id,
            "journey_id": journey_id,
            "stage": stage and stage.value,
            "source": source and source.value,
        },
        sort=name,
        descending=desc,
        limit=paging.limit,
        offset=paging.offset,
        accounts=_accounts_filter(caller, account_id),
        since=_start(since),
        until=_start(until),
        text=q,
    )
    with state.db() as backend:
        total, rows = list_records(backend, "interactions", query, extra=("account_id",))
    return page_of(request, paging, total, rows)


@router.get(
    "/interactions/{interaction_id}", response_model=InteractionRecord, summary="One interaction"
)
def interaction(interaction_id: str, caller: Viewer, state: State) -> dict[str, Any]:
    """One interaction (404 if the token may not see its account)."""
    with state.db() as backend:
        row = get_record(backend, "interactions", interaction_id)
    if row is None or not caller.sees(str(row.get("account_id"))):
        raise NotFound(f"no interaction {interaction_id!r}")
    return row
