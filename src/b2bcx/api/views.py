"""Cached results shaped for callers: limited to the accounts a token may see,
joined with the records they describe. No statistics here: only lookups,
filters and joins of what the library computed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from b2bcx.api.convert import plain, records
from b2bcx.api.errors import ApiError
from b2bcx.api.results import ResultCache, Unavailable
from b2bcx.api.tokens import Principal


def result(cache: ResultCache, key: str) -> Any:
    """A cached result, or a 409 ``not_available`` error with the library's reason."""
    value = cache.get(key)
    if isinstance(value, Unavailable):
        raise ApiError(409, value.reason, code="not_available")
    return value


def visible(
    rows: list[dict[str, Any]], principal: Principal, key: str = "account_id"
) -> list[dict[str, Any]]:
    """The rows about accounts the token may see; portfolio-wide rows (no account)
    only for unrestricted tokens."""
    if principal.accounts is None:
        return rows
    return [r for r in rows if r.get(key) is not None and r[key] in principal.accounts]


def account_rows(cache: ResultCache, principal: Principal) -> list[dict[str, Any]]:
    """Every visible account with its collective CX, agreement, verdict and risk."""
    accounts = cache.get("catalogue:accounts")
    measured = cache.get("accounts")
    units: dict[str, dict[str, Any]] = {}
    if not isinstance(measured, Unavailable):
        cols = [
            "account_id",
            "n_stakeholders",
            "n_interactions",
            "cx",
            "nps",
            "nps_role",
            "rwg",
            "ad",
            "verdict",
        ]
        units = {r["account_id"]: r for r in records(measured.units[cols])}
    diagnosis = cache.get("diagnosis")
    risk: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    if not isinstance(diagnosis, Unavailable):
        risk = {r["account_id"]: r for r in diagnosis["at_risk"]}
        for f in diagnosis["findings"]:
            if f["account_id"] is not None:
                counts[f["account_id"]] = counts.get(f["account_id"], 0) + 1
    rows = []
    for a in visible(accounts, principal):
        m = units.get(a["account_id"], {})
        r = risk.get(a["account_id"], {})
        rows.append(
            {
                "account_id": a["account_id"],
                "name": a.get("name"),
                "segment": a.get("segment"),
                "country": a.get("country"),
                "annual_value": a.get("annual_value"),
                "account_manager": a.get("account_manager"),
                "parent_account_id": a.get("parent_account_id"),
                "relationship_intended": a.get("relationship_intended"),
                "relationship_expected": a.get("relationship_expected"),
                "n_stakeholders": m.get("n_stakeholders"),
                "n_interactions": m.get("n_interactions"),
                "cx": m.get("cx"),
                "nps": m.get("nps"),
                "rwg": m.get("rwg"),
                "verdict": m.get("verdict"),
                "risk": r.get("risk"),
                "risk_reasons": r.get("reasons", []),
                "findings": counts.get(a["account_id"], 0),
            }
        )
    return rows


def frame_rows(frame: pd.DataFrame, principal: Principal) -> list[dict[str, Any]]:
    """A per-account result frame as rows the token may see."""
    return visible(records(frame), principal)


def findings_for(diagnosis: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    """The findings the token may see."""
    return [plain(f) for f in visible(diagnosis["findings"], principal)]
