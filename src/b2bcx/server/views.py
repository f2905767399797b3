"""Cached results shaped for callers: limited to the accounts a token may see,
joined with the records they describe, made JSON-ready where they are answered.
No statistics here: only lookups, filters and joins of what the library computed.

A result the workspace cannot give raises :class:`~b2bcx.errors.NotAvailable`
with the library's reason; an account the caller may not see raises
:class:`~b2bcx.errors.NotFound` (so its existence is not revealed). The API and
the dashboard map both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from b2bcx.errors import NotAvailable, NotFound
from b2bcx.server.convert import as_dict, plain, records
from b2bcx.server.results import JSON_VIEW, ResultCache, Unavailable
from b2bcx.server.tokens import Principal, Role
from b2bcx.storage import Backend
from b2bcx.storage.records import all_records

#: Builds shared views over every account (each caller's limit applies after).
_EVERYONE = Principal(token_id="", name="", role=Role.viewer)


def result(cache: ResultCache, key: str) -> Any:
    """A cached result (a typed value), or :class:`NotAvailable` with the library's reason."""
    value = cache.get(key)
    if isinstance(value, Unavailable):
        raise NotAvailable(value.reason)
    return value


def or_reason(cache: ResultCache, key: str) -> Any:
    """A cached result, or its :class:`Unavailable` (pages show the reason)."""
    return cache.get(key)


def json_result(cache: ResultCache, key: str) -> dict[str, Any]:
    """A cached result as its JSON object (``to_dict()``), shaped once per data
    version; :class:`NotAvailable` when the workspace cannot give it."""

    def build() -> dict[str, Any]:
        return as_dict(result(cache, key))

    value: dict[str, Any] = cache.derived(f"{JSON_VIEW}{key}", build)
    return value


def json_or_reason(cache: ResultCache, key: str) -> dict[str, Any] | Unavailable:
    """:func:`json_result`, or :class:`Unavailable` with the reason (for pages)."""
    try:
        return json_result(cache, key)
    except NotAvailable as exc:
        return Unavailable(str(exc))


def check_account(principal: Principal, account_id: str) -> None:
    """Refuse an account the token may not see (:class:`NotFound`, so its
    existence is not revealed)."""
    if not principal.sees(account_id):
        raise NotFound(f"no account {account_id!r}")


def visible(
    rows: list[dict[str, Any]], principal: Principal, key: str = "account_id"
) -> list[dict[str, Any]]:
    """The rows about accounts the token may see; portfolio-wide rows (no account)
    only for unrestricted tokens."""
    if principal.accounts is None:
        return rows
    return [r for r in rows if r.get(key) is not None and r[key] in principal.accounts]


def _all_account_rows(cache: ResultCache) -> list[dict[str, Any]]:
    accounts = cache.get("catalogue:accounts")
    measured = cache.get("accounts")
    units: dict[str, dict[str, Any]] = {}
    if not isinstance(measured, Unavailable):
        cols = ["account_id", "n_stakeholders", "n_interactions", "cx", "nps", "nps_role",
                "rwg", "ad", "verdict"]  # fmt: skip
        units = {r["account_id"]: r for r in records(measured.units[cols])}
    diagnosis = json_or_reason(cache, "diagnosis")
    risk: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    if not isinstance(diagnosis, Unavailable):
        risk = {r["account_id"]: r for r in diagnosis["at_risk"]}
        for f in diagnosis["findings"]:
            if f["account_id"] is not None:
                counts[f["account_id"]] = counts.get(f["account_id"], 0) + 1
    rows = []
    for a in accounts:
        m = units.get(a["account_id"], {})
        r = risk.get(a["account_id"], {})
        rows.append({
            "account_id": a["account_id"], "name": a.get("name"), "segment": a.get("segment"),
            "country": a.get("country"), "annual_value": a.get("annual_value"),
            "account_manager": a.get("account_manager"),
            "parent_account_id": a.get("parent_account_id"),
            "relationship_intended": a.get("relationship_intended"),
            "relationship_expected": a.get("relationship_expected"),
            "n_stakeholders": m.get("n_stakeholders"), "n_interactions": m.get("n_interactions"),
            "cx": m.get("cx"), "nps": m.get("nps"), "rwg": m.get("rwg"),
            "verdict": m.get("verdict"), "risk": plain(r.get("risk")),
            "risk_reasons": r.get("reasons", []), "findings": counts.get(a["account_id"], 0),
        })  # fmt: skip
    # most at risk first (the default order of the API and the portfolio page)
    rows.sort(key=lambda r: (-(r["risk"] if r["risk"] is not None else -1.0), r["account_id"]))
    return rows


def account_rows(cache: ResultCache, principal: Principal) -> list[dict[str, Any]]:
    """Every visible account with its collective CX, agreement, verdict and risk
    (shaped once per data version, filtered per caller)."""
    rows = cache.derived("view:accounts", lambda: _all_account_rows(cache))
    return list(visible(rows, principal))


def account_row(cache: ResultCache, principal: Principal, account_id: str) -> dict[str, Any]:
    """One visible account's row, or :class:`NotFound`."""
    index = cache.derived(
        "view:accounts_by_id",
        lambda: {r["account_id"]: r for r in account_rows(cache, _EVERYONE)},
    )
    if not principal.sees(account_id) or account_id not in index:
        raise NotFound(f"no account {account_id!r}")
    row: dict[str, Any] = index[account_id]
    return row


def by_account(cache: ResultCache, key: str, attr: str | None = None) -> dict[str, Any]:
    """A per-account result frame (``attr`` of the cached value, or the value) as
    account id → rows, shaped once per data version; :class:`NotAvailable` when
    the result is not."""

    def build() -> dict[str, list[dict[str, Any]]]:
        found = result(cache, key)
        frame = getattr(found, attr) if attr else found
        grouped: dict[str, list[dict[str, Any]]] = {}
        for r in records(frame):
            grouped.setdefault(str(r["account_id"]), []).append(r)
        return grouped

    value: dict[str, Any] = cache.derived(f"view:{key}:{attr}", build)
    return value


def unit_key(by: str) -> str:
    """The cache key of the collective CX per ``by``."""
    return "accounts" if by == "account" else f"units:{by}"


def unit_rows(cache: ResultCache, by: str) -> dict[str, list[dict[str, Any]]]:
    """The units of ``by`` grouped by account (shaped once per data version)."""
    return by_account(cache, unit_key(by), "units")


def frame_rows(frame: pd.DataFrame, principal: Principal) -> list[dict[str, Any]]:
    """A per-account result frame as rows the token may see."""
    return visible(records(frame), principal)


def findings_for(diagnosis: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    """The findings the token may see."""
    return [plain(f) for f in visible(diagnosis["findings"], principal)]


def all_findings(cache: ResultCache, principal: Principal) -> list[dict[str, Any]]:
    """The findings the token may see, most severe first (shaped once per version)."""

    def build() -> list[dict[str, Any]]:
        rows = [plain(f) for f in json_result(cache, "diagnosis")["findings"]]
        rows.sort(key=lambda f: (-f["severity"], f["challenge"], f["account_id"] or ""))
        return rows

    return visible(cache.derived("view:findings", build), principal)


def account_findings(cache: ResultCache, account_id: str) -> list[dict[str, Any]]:
    """One account's findings, most severe first (call after checking access)."""

    def build() -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for f in all_findings(cache, _EVERYONE):
            if f["account_id"] is not None:
                grouped.setdefault(f["account_id"], []).append(f)
        return grouped

    found: list[dict[str, Any]] = cache.derived("view:findings_by_account", build).get(
        account_id, []
    )
    return found


def group_of(cache: ResultCache, account_id: str) -> dict[str, Any] | None:
    """The corporate group of ``account_id`` with its collective CX, or None when
    the account stands alone (no parent and no subsidiaries)."""
    groups: dict[str, str] = result(cache, "groups")
    top = groups.get(account_id)
    members = sorted(a for a, g in groups.items() if g == top)
    if top is None or len(members) < 2:
        return None
    try:
        found = result(cache, "units:group")
    except NotAvailable:  # no collective CX to pool (e.g. no ratings): the members still
        row: dict[str, Any] = {}
    else:
        rows = [r for r in records(found.units) if r.get("group_id") == top]
        row = rows[0] if rows else {}
    keys = ("n_accounts", "n_stakeholders", "cx", "nps", "rwg", "verdict")
    return {"group_id": top, "accounts": members, **{k: row.get(k) for k in keys}}


def scorecards(cache: ResultCache) -> list[dict[str, Any]]:
    """Every partner's scorecard: its touchpoints' performance and share of
    explained NPS, and the C4 findings about it (JSON-ready)."""

    def build() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = plain(result(cache, "scorecards"))
        return found

    value: list[dict[str, Any]] = cache.derived("view:scorecards", build)
    return value


def journeys_with_stages(backend: Backend, account_id: str) -> list[dict[str, Any]]:
    """Every journey of the account with the stages it entered, in entry order."""
    found = all_records(backend, "journeys", {"account_id": account_id})
    stages = all_records(backend, "journey_stages", {"account_id": account_id})
    return [
        {
            "journey": j,
            "stages": sorted(
                [s for s in stages if s["journey_id"] == j["journey_id"]],
                key=lambda s: s["entered_at"] or "",
            ),
        }
        for j in found
    ]


# -- the portfolio's account list: filters, their options and the figures they give --

#: The filters of the account list, in the order of the page's filter bar (and its URL).
FILTER_KEYS: tuple[str, ...] = (
    "q", "verdict", "segment", "country", "account_manager", "since", "until",
)  # fmt: skip


@dataclass(frozen=True)
class AccountFilters:
    """What the account list is limited to (every value "" when not set).

    ``since``/``until`` are months (``YYYY-MM``) or dates (``YYYY-MM-DD``, the
    month counts): an account is kept when it had an interaction in a month of
    the range. The other fields match the account's field exactly, ``q`` its id
    or name (case-insensitive).
    """

    q: str = ""
    verdict: str = ""
    segment: str = ""
    country: str = ""
    account_manager: str = ""
    since: str = ""
    until: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(getattr(self, k) for k in FILTER_KEYS)

    def query(self, **extra: Any) -> str:
        """The URL query of the set filters (and ``extra``, e.g. ``page=2``)."""
        pairs = [(k, getattr(self, k)) for k in FILTER_KEYS if getattr(self, k)]
        pairs += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
        return urlencode(pairs)


def _month(value: str) -> pd.Timestamp | None:
    """``YYYY-MM`` or ``YYYY-MM-DD`` as the first day of its month (None when unset)."""
    if not value:
        return None
    try:
        return pd.Timestamp(value[:7] + "-01")
    except ValueError:  # the routes check the form; anything else is no limit
        return None


def _active_accounts(cache: ResultCache, since: str, until: str) -> set[str] | None:
    """The accounts with an interaction in the months from ``since`` to ``until``
    (None when the monthly series per account is not available)."""
    trend = cache.get("trend:accounts")
    if isinstance(trend, Unavailable):
        return None
    start, end = _month(since), _month(until)
    months = pd.to_datetime(trend["month"])
    keep = trend["n_interactions"] > 0
    if start is not None:
        keep &= months >= start
    if end is not None:
        keep &= months <= end
    return {str(a) for a in trend.loc[keep, "account_id"]}


def filter_accounts(
    cache: ResultCache, rows: list[dict[str, Any]], filters: AccountFilters
) -> list[dict[str, Any]]:
    """The rows of :func:`account_rows` that pass ``filters`` (order kept)."""
    out = rows
    for key in ("verdict", "segment", "country", "account_manager"):
        wanted = getattr(filters, key)
        if wanted:
            out = [r for r in out if (r.get(key) or "") == wanted]
    if filters.q:
        needle = filters.q.lower()
        out = [r for r in out if needle in f"{r['account_id']} {r.get('name') or ''}".lower()]
    if filters.since or filters.until:
        active = _active_accounts(cache, filters.since, filters.until)
        if active is not None:
            out = [r for r in out if r["account_id"] in active]
    return out


def filter_options(cache: ResultCache, rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The values each filter can take in ``rows`` (sorted; verdicts in rule order,
    months of the monthly series)."""
    from b2bcx.measures.verdict import ALIGNED, TOO_FEW, UNALIGNED

    def values(key: str) -> list[str]:
        return sorted({str(r[key]) for r in rows if r.get(key)})

    seen = set(values("verdict"))
    verdicts = [v for v in (ALIGNED, UNALIGNED, TOO_FEW) if v in seen]
    verdicts += sorted(seen - set(verdicts))
    trend = cache.get("trend:accounts")
    months: list[str] = []
    if not isinstance(trend, Unavailable) and len(trend):
        months = sorted({pd.Timestamp(m).strftime("%Y-%m") for m in trend["month"].unique()})
    return {
        "verdict": verdicts,
        "segment": values("segment"),
        "country": values("country"),
        "account_manager": values("account_manager"),
        "month": months,
    }


def account_tiles(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the account list's tiles over ``rows``: how many accounts,
    how many aligned, the unweighted mean of their collective scores, how many at
    high risk (≥ 0.66) and their summed annual value (None when none has one)."""
    from b2bcx.measures.verdict import ALIGNED

    scores = [float(r["cx"]) for r in rows if r.get("cx") is not None]
    values = [float(r["annual_value"]) for r in rows if r.get("annual_value") is not None]
    return {
        "n_accounts": len(rows),
        "n_aligned": sum(1 for r in rows if r.get("verdict") == ALIGNED),
        "n_rated": len(scores),
        "mean_cx": sum(scores) / len(scores) if scores else None,
        "n_high_risk": sum(1 for r in rows if r.get("risk") is not None and r["risk"] >= 0.66),
        "annual_value": sum(values) if values else None,
    }


def has_contract_values(cache: ResultCache) -> bool:
    """Whether any account has an annual (contract) value, i.e. whether the
    portfolio NPS is value-weighted."""
    accounts = cache.get("catalogue:accounts")
    if isinstance(accounts, Unavailable):
        return False
    return any((a.get("annual_value") or 0) > 0 for a in accounts)
