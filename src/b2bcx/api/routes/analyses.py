"""Measures: collective CX with agreement, the stage × controller map, trends,
splits and key drivers (computed once per data version)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.schemas import Open
from b2bcx.measures.individual import metric_label
from b2bcx.server.convert import plain, plain_dict, records
from b2bcx.server.views import result, unit_rows

router = APIRouter(prefix=f"{API_PREFIX}/measures", tags=["measures"], responses=ERROR_RESPONSES)

UNIT_PATTERN = "^(account|function|level|function_level|center|stage|touchpoint|controller|group)$"


@router.get("/units", response_model=Open, summary="Collective CX per unit, with agreement")
def units(
    caller: Viewer,
    state: State,
    by: Annotated[str, Query(pattern=UNIT_PATTERN, description="The unit (within accounts).")] = (
        "account"
    ),
) -> dict[str, Any]:
    """Each unit's collective CX (0–100), NPS, rwg, AD and verdict (*collective &
    aligned*; *agreement not proven*: its people agree, but no more than random
    groups of the portfolio do; *diverse & unaligned*; or *too few respondents*),
    and the portfolio's ICC(1), ICC(2) and NPS
    (the portfolio only for tokens that see every account). ``group``: corporate
    groups (accounts rolled up ``parent_account_id``), for tokens that see every
    account."""
    if by == "group":
        require_all_accounts(caller, "corporate groups")
        found = result(state.results, "units:group")
        rows = records(found.units)
        return {
            "by": by,
            "metric": found.metric,
            "metric_label": found.metric_label or metric_label(found.metric),
            "units": rows,
            "portfolio": plain(found.portfolio),
        }
    found = result(state.results, "accounts" if by == "account" else f"units:{by}")
    grouped = unit_rows(state.results, by)
    mine = grouped if caller.accounts is None else {a: grouped.get(a, []) for a in caller.accounts}
    rows = [r for account in sorted(mine) for r in mine[account]]
    portfolio = plain(found.portfolio) if not caller.is_restricted else None
    return {
        "by": by,
        "metric": found.metric,
        "metric_label": found.metric_label or metric_label(found.metric),
        "units": rows,
        "portfolio": portfolio,
    }


@router.get("/map", response_model=Open, summary="The portfolio stage × controller map")
def stage_map(caller: Viewer, state: State) -> dict[str, Any]:
    """Cells of the stage × controller map (Witell et al. 2020, Table 2) for the portfolio."""
    require_all_accounts(caller, "the portfolio map")
    return plain_dict(result(state.results, "map").to_dict())


@router.get("/trend", response_model=list[Open], summary="The portfolio's CX by month")
def trend(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """CX (0–100) and response-level NPS per month, over every account."""
    require_all_accounts(caller, "the portfolio trend")
    return records(result(state.results, "trend"))


@router.get("/drivers", response_model=Open, summary="Key drivers of NPS")
def drivers(
    caller: Viewer,
    state: State,
    drivers: Annotated[str, Query(pattern="^(goals|touchpoints)$")] = "goals",
) -> dict[str, Any]:
    """Johnson's relative weights of the goals or touchpoints on NPS, with performance
    and the importance × performance quadrant."""
    require_all_accounts(caller, "key drivers")
    return plain_dict(result(state.results, f"drivers:{drivers}").to_dict())
