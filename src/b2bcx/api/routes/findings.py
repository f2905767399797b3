"""Diagnosis: findings of the five B2B CEM challenges, at-risk accounts, priorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import State, Viewer, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES
from b2bcx.api.pagination import Page, Paging, slice_page
from b2bcx.api.schemas import AtRisk, Finding, Priority, Sensitivity
from b2bcx.server.views import all_findings, json_result, visible

router = APIRouter(prefix=API_PREFIX, tags=["diagnosis"], responses=ERROR_RESPONSES)


@router.get("/findings", response_model=Page[Finding], summary="Findings")
def findings(
    request: Request,
    caller: Viewer,
    state: State,
    paging: Paging,
    challenge: Annotated[str | None, Query(pattern="^C[1-5]$")] = None,
    account_id: str | None = None,
    subject_kind: Annotated[
        str | None, Query(pattern="^(account|journey|touchpoint|partner|unit)$")
    ] = None,
    min_severity: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> dict[str, Any]:
    """Findings of challenges C1–C5 (Witell et al. 2020), most severe first, each with
    its evidence, implication and actions. A token limited to accounts sees the
    findings about those accounts only."""
    rows = all_findings(state.results, caller)
    rows = [
        f
        for f in rows
        if (challenge is None or f["challenge"] == challenge)
        and (account_id is None or f["account_id"] == account_id)
        and (subject_kind is None or f["subject"]["kind"] == subject_kind)
        and f["severity"] >= min_severity
    ]
    return slice_page(request, paging, rows)


@router.get("/at-risk", response_model=Page[AtRisk], summary="Accounts at risk")
def at_risk(request: Request, caller: Viewer, state: State, paging: Paging) -> dict[str, Any]:
    """Accounts by risk (0–1), with the reasons and the terms of the score."""
    rows = visible(json_result(state.results, "diagnosis")["at_risk"], caller)
    return slice_page(request, paging, rows)


@router.get("/priorities", response_model=Page[Priority], summary="Priorities")
def priorities(request: Request, caller: Viewer, state: State, paging: Paging) -> dict[str, Any]:
    """Root causes ranked: the touchpoint, stage and goal to fix first, and the action."""
    require_all_accounts(caller, "the priorities list")
    return slice_page(request, paging, json_result(state.results, "diagnosis")["priorities"])


#: A challenge's portfolio-wide figures, left out for a token limited to some accounts.
_PORTFOLIO_KEYS = ("median_mde_points", "median_mde_sd", "share_moderate_detectable", "summary",
                   "accounts_total", "accounts_assessed")  # fmt: skip


@router.get("/sensitivity", response_model=Sensitivity, summary="What the diagnosis could not see")
def sensitivity(
    caller: Viewer, state: State, account_id: str | None = None
) -> dict[str, Any]:  # fmt: skip
    """The minimal detectable effects of the diagnosis (80 % power): per challenge
    (C2 silos, C3 buying/usage gaps) the portfolio's median and the share of
    accounts where an 11-point effect could be seen, and every account's own
    value (null with the reason when the detector could not test it). A token
    limited to accounts sees its accounts' values only, without the portfolio's
    figures."""
    block = json_result(state.results, "diagnosis").get("sensitivity") or {
        "power": 0.8, "challenges": [], "not_assessed": {}}  # fmt: skip
    challenges = []
    for c in block.get("challenges", []):
        rows = visible(c.get("accounts", []), caller)
        if account_id is not None:
            rows = [r for r in rows if r["account_id"] == account_id]
        entry = {**c, "accounts": rows}
        if caller.accounts is not None:
            entry = {k: v for k, v in entry.items() if k not in _PORTFOLIO_KEYS}
        challenges.append(entry)
    return {**block, "challenges": challenges}
