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

from b2bcx.diagnose.risk import HIGH_RISK as _HIGH_RISK
from b2bcx.errors import NotAvailable, NotFound
from b2bcx.server.convert import as_dict, plain, records
from b2bcx.server.results import JSON_VIEW, ResultCache, Unavailable
from b2bcx.server.tokens import Principal, Role
from b2bcx.storage import Backend
from b2bcx.storage.records import all_records
from b2bcx.text.sentences import without_field_label

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


def account_order(row: dict[str, Any]) -> tuple[float, int, int, str]:
    """The accounts' default order: most at risk first (unknown risk last); among
    equals the most findings, then the most people heard, then the id."""
    risk = row.get("risk")
    return (
        -(float(risk) if risk is not None else -1.0),
        -int(row.get("findings") or 0),
        -int(row.get("n_stakeholders") or 0),
        str(row["account_id"]),
    )


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
    # most at risk first (the default order of the API and the portfolio page);
    # among equals (e.g. every risk unknown), the accounts with most findings,
    # then the most people heard, so the list opens on what can be read
    rows.sort(key=account_order)
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
    "touchpoint", "partner",
)  # fmt: skip


@dataclass(frozen=True)
class AccountFilters:
    """What the account list is limited to (every value "" when not set).

    ``since``/``until`` are months (``YYYY-MM``) or dates (``YYYY-MM-DD``, the
    month counts): an account is kept when it had an interaction in a month of
    the range. ``touchpoint`` (a touchpoint id) and ``partner`` (a partner id)
    keep the accounts with an interaction at that touchpoint, or at a touchpoint
    the partner ran at the time (within the months when those are set). The
    other fields match the account's field exactly, ``q`` its id or name
    (case-insensitive).
    """

    q: str = ""
    verdict: str = ""
    segment: str = ""
    country: str = ""
    account_manager: str = ""
    since: str = ""
    until: str = ""
    touchpoint: str = ""
    partner: str = ""

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
    if filters.touchpoint or filters.partner:
        cells = filtered_activity(cache, filters)
        if cells is not None:
            met = set(cells.loc[cells["n_interactions"] > 0, "account_id"].astype(str))
            out = [r for r in out if r["account_id"] in met]
    elif filters.since or filters.until:
        active = _active_accounts(cache, filters.since, filters.until)
        if active is not None:
            out = [r for r in out if r["account_id"] in active]
    return out


def filter_options(cache: ResultCache, rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The values each filter can take in ``rows`` (sorted; verdicts in rule order,
    months of the monthly series)."""
    from b2bcx.measures.verdict import VERDICTS

    def values(key: str) -> list[str]:
        return sorted({str(r[key]) for r in rows if r.get(key)})

    seen = set(values("verdict"))
    verdicts = [v for v in VERDICTS if v in seen]
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


def touchpoint_options(cache: ResultCache) -> list[tuple[str, str]]:
    """(touchpoint id, name) of every touchpoint in the catalogue, by name."""
    found = cache.get("catalogue:touchpoints")
    if isinstance(found, Unavailable):
        return []
    names = {str(t["touchpoint_id"]): str(t.get("name") or t["touchpoint_id"]) for t in found}
    return sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0]))


def partner_options(cache: ResultCache) -> list[tuple[str, str]]:
    """(partner id, name) of every partner, by name."""
    found = cache.get("catalogue:partners")
    if isinstance(found, Unavailable):
        return []
    names = {str(p["partner_id"]): str(p.get("name") or p["partner_id"]) for p in found}
    return sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0]))


def touchpoint_partners(cache: ResultCache) -> dict[str, set[str]]:
    """Touchpoint id → the partners that ran it (any version of the catalogue)."""
    found = cache.get("catalogue:touchpoints")
    out: dict[str, set[str]] = {}
    if isinstance(found, Unavailable):
        return out
    for t in found:
        if t.get("partner_id"):
            out.setdefault(str(t["touchpoint_id"]), set()).add(str(t["partner_id"]))
    return out


# -- every widget under the filters: the additive activity cells ---------------------


def activity_frame(cache: ResultCache) -> pd.DataFrame | None:
    """The additive counts per account × touchpoint × partner × stage ×
    controller × month (:func:`b2bcx.measures.breakdowns.activity_cells`), or
    None when the workspace cannot give them."""
    found = cache.get("activity")
    return None if isinstance(found, Unavailable) else found


def filtered_activity(
    cache: ResultCache,
    filters: AccountFilters,
    accounts: set[str] | None = None,
    *,
    months: bool = True,
) -> pd.DataFrame | None:
    """The activity cells at the filters' touchpoint and partner, in their months
    (unless ``months`` is False) and of ``accounts`` (None: every account)."""
    cells = activity_frame(cache)
    if cells is None:
        return None
    keep = pd.Series(True, index=cells.index)
    if filters.touchpoint:
        keep &= cells["touchpoint_id"] == filters.touchpoint
    if filters.partner:
        keep &= cells["partner_id"] == filters.partner
    if months:
        start, end = _month(filters.since), _month(filters.until)
        stamp = pd.to_datetime(cells["month"])
        if start is not None:
            keep &= stamp >= start
        if end is not None:
            keep &= stamp <= end
    if accounts is not None:
        keep &= cells["account_id"].isin(accounts)
    return cells.loc[keep]


def _sums(cells: pd.DataFrame) -> dict[str, float]:
    cols = ["n_interactions", "n_rated", "total", "n_nps", "promoters", "detractors"]
    return {c: float(cells[c].sum()) for c in cols}


def _score_and_nps(sums: dict[str, float], low: float, high: float) -> dict[str, Any]:
    """The 0–100 score (mean rating rescaled) and response-level NPS of summed cells."""
    score = (
        (sums["total"] / sums["n_rated"] - low) / (high - low) * 100 if sums["n_rated"] else None
    )
    nps = 100 * (sums["promoters"] - sums["detractors"]) / sums["n_nps"] if sums["n_nps"] else None
    return {"score": score, "nps": nps, "n_interactions": int(sums["n_interactions"]),
            "n_rated": int(sums["n_rated"]), "n_nps": int(sums["n_nps"])}  # fmt: skip


def _scale(cells: pd.DataFrame) -> tuple[float, float]:
    from b2bcx.model.tables import RATING_SCALES

    scale = RATING_SCALES[str(cells.attrs.get("metric") or "cx")]
    return float(scale.low), float(scale.high)


def filtered_trend(cells: pd.DataFrame) -> list[dict[str, Any]]:
    """Month by month: the 0–100 score and response-level NPS of ``cells`` (the
    portfolio trend's numbers when nothing is filtered)."""
    low, high = _scale(cells)
    rows = []
    for month, part in cells.groupby("month", sort=True):
        row = _score_and_nps(_sums(part), low, high)
        if row["n_interactions"]:
            rows.append({"month": pd.Timestamp(str(month)).date(), **row})
    return rows


def filtered_map(cells: pd.DataFrame) -> list[dict[str, Any]]:
    """The stage × controller cells (0–100 score, interactions) of ``cells``
    (the portfolio map's numbers when nothing is filtered)."""
    low, high = _scale(cells)
    known = cells[cells["stage"].notna() & cells["controller"].notna()]
    rows = []
    for (stage, controller), part in known.groupby(["stage", "controller"], sort=True):
        row = _score_and_nps(_sums(part), low, high)
        rows.append({"stage": stage, "controller": controller, **row})
    return rows


@dataclass(frozen=True)
class PeriodChange:
    """The filtered figures of a period against the period of the same length
    before it (months are calendar months of the interactions)."""

    start: str  # first month of the period (YYYY-MM)
    end: str  # last month of the period
    previous_start: str
    previous_end: str
    months: int
    current: dict[str, Any]  # score, nps, n_interactions, n_rated, n_nps, accounts
    previous: dict[str, Any]

    def change(self, key: str) -> float | None:
        """Current minus previous of ``key`` (None when either is missing)."""
        a, b = self.current.get(key), self.previous.get(key)
        return None if a is None or b is None else float(a) - float(b)


#: The period compared when no date range is chosen: the last 3 months with data.
DEFAULT_PERIOD_MONTHS = 3


def period_change(
    cache: ResultCache, filters: AccountFilters, accounts: set[str] | None
) -> PeriodChange | None:
    """The chosen date range (else the last :data:`DEFAULT_PERIOD_MONTHS` months
    up to the workspace's last month with data) against the period of the same
    length just before, over the activity cells the other filters keep; None
    without activity."""
    cells = filtered_activity(cache, filters, accounts, months=False)
    if cells is None or cells.empty:
        return None
    stamps = pd.to_datetime(cells["month"])
    everything = activity_frame(cache)
    assert everything is not None
    # the workspace's last month, whatever is filtered: periods stay comparable
    last = _month(filters.until) or pd.to_datetime(everything["month"]).max()
    first = _month(filters.since) or (last - pd.DateOffset(months=DEFAULT_PERIOD_MONTHS - 1))
    if first > last:
        return None
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    prev_last = first - pd.DateOffset(months=1)
    prev_first = first - pd.DateOffset(months=months)
    low, high = _scale(cells)

    def figures(a: pd.Timestamp, b: pd.Timestamp) -> dict[str, Any]:
        part = cells[(stamps >= a) & (stamps <= b)]
        out = _score_and_nps(_sums(part), low, high)
        out["accounts"] = int(part.loc[part["n_interactions"] > 0, "account_id"].nunique())
        return out

    return PeriodChange(
        start=first.strftime("%Y-%m"), end=last.strftime("%Y-%m"),
        previous_start=prev_first.strftime("%Y-%m"), previous_end=prev_last.strftime("%Y-%m"),
        months=months, current=figures(first, last), previous=figures(prev_first, prev_last),
    )  # fmt: skip


#: The risk at and above which an account counts as "at high risk" (the tiles, the
#: risk colours and the period comparison): the one threshold of
#: :data:`b2bcx.diagnose.risk.HIGH_RISK`, which the report's summary also reads.
HIGH_RISK = _HIGH_RISK


def high_risk_then(cache: ResultCache, accounts: set[str]) -> dict[str, Any] | None:
    """How many of ``accounts`` were at high risk (≥ :data:`HIGH_RISK`) in the
    diagnosis made 3 months before the workspace's date, and that date
    (``pending`` while that diagnosis is computed in the background); None when
    it cannot be made."""

    found = cache.ready("earlier:3")
    if found is None:
        return {"n_high_risk": None, "as_of": None, "pending": True}
    if isinstance(found, Unavailable):
        return None

    def build() -> dict[str, Any]:
        earlier = found.to_dict()
        as_of = (earlier.get("meta") or {}).get("as_of")
        high = {
            str(r["account_id"])
            for r in earlier["at_risk"]
            if r.get("risk") is not None and r["risk"] >= HIGH_RISK
        }
        return {"high": high, "as_of": str(as_of)[:10] if as_of else None}

    shaped: dict[str, Any] = cache.derived("view:earlier_high_risk", build)
    return {"n_high_risk": len(shaped["high"] & accounts), "as_of": shaped["as_of"],
            "pending": False}  # fmt: skip


def scorecards_by_harm(cache: ResultCache) -> list[dict[str, Any]]:
    """The partner scorecards, the most harmful first, each with ``reference``
    (the rater-weighted performance of the supplier's own touchpoints, 0–100),
    ``gap`` (reference − the partner's performance) and ``harm``: the sum over
    its touchpoints of max(0, reference − performance) × raters, i.e. rating
    points lost against the supplier's own touchpoints, times the people who
    rated them. Partners without a rated touchpoint come last (harm None)."""

    def build() -> list[dict[str, Any]]:
        cards = scorecards(cache)
        drivers = cache.get("drivers:touchpoints")
        catalogue = cache.get("catalogue:touchpoints")
        reference = None
        if not isinstance(drivers, Unavailable) and not isinstance(catalogue, Unavailable):
            own = {str(t["touchpoint_id"]) for t in catalogue if t.get("controller") == "supplier"}
            rated = [r for r in records(drivers.table)
                     if r["driver"] in own and r.get("performance") is not None
                     and r.get("raters")]  # fmt: skip
            weight = sum(float(r["raters"]) for r in rated)
            if weight:
                reference = sum(float(r["performance"]) * r["raters"] for r in rated) / weight
        out = []
        for card in cards:
            tps = [t for t in card["touchpoints"] if t.get("performance") is not None
                   and t.get("raters")]  # fmt: skip
            harm = gap = None
            if reference is not None and tps:
                harm = sum(max(0.0, reference - t["performance"]) * t["raters"] for t in tps)
                gap = (reference - card["performance"]) if card["performance"] is not None else None
            out.append({**card, "reference": reference, "gap": gap, "harm": harm,
                        "raters": sum(int(t["raters"]) for t in tps)})  # fmt: skip
        out.sort(key=lambda c: (c["harm"] is None, -(c["harm"] or 0.0),
                                c["performance"] if c["performance"] is not None else 101.0,
                                c["partner_id"]))  # fmt: skip
        return out

    try:
        value: list[dict[str, Any]] = cache.derived("view:scorecards_by_harm", build)
    except NotAvailable:
        return []
    return value


def grouped_priorities(
    priorities: list[dict[str, Any]],
    filters: AccountFilters,
    owners: dict[str, str],
    tp_partners: dict[str, set[str]],
    *,
    limit: int = 5,
    controllers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The diagnosis' ranked priorities (the CLI's, report's and plan's list) at
    the filters' touchpoint and partner, grouped by touchpoint and owner, in the
    order of each group's best rank: ``touchpoint``, ``owner``, ``rank`` (the
    best), ``goals`` and ``rows`` (the priorities, ranked), ``accounts`` (the
    most in one row) and ``action`` (the top row's).

    The groups are :func:`b2bcx.diagnose.priority_groups.group_priorities`'s (one
    per touchpoint and controller, as the report and the plan group them). The
    owner is the touchpoint's in ``owners`` (the latest catalogue) for the group
    of its current controller (``controllers``, :func:`touchpoint_controllers`;
    without it, when the touchpoint's rows carry one controller); a group of an
    earlier controller (a touchpoint handed over) reads "the <controller>", so
    no owner stands beside another owner's action.
    """
    from b2bcx.diagnose.priority_groups import group_priorities

    def wanted(p: dict[str, Any]) -> bool:
        tp = str(p.get("touchpoint_id") or "")
        if filters.touchpoint and tp != filters.touchpoint:
            return False
        return not filters.partner or filters.partner in tp_partners.get(tp, set())

    out: list[dict[str, Any]] = []
    for g in group_priorities([p for p in priorities if wanted(p)]):
        top = g.rows[0]
        tp = g.touchpoint_id
        current = (controllers or {}).get(tp) or None
        earlier = current != g.controller if current is not None else g.handover
        if earlier and g.controller:  # not (or not known to be) who runs it now
            owner = f"the {g.controller}"
        else:
            owner = owners.get(tp) or str(top.get("controller") or "–")
        out.append({
            "touchpoint_id": tp, "touchpoint": top.get("touchpoint") or tp, "owner": owner,
            "controller": top.get("controller"), "rank": top.get("rank"), "goals": list(g.goals),
            "rows": list(g.rows), "accounts": g.accounts, "action": top.get("action"),
            "text": top.get("text"),
        })  # fmt: skip
    return out[:limit]


def touchpoint_controllers(cache: ResultCache) -> dict[str, str]:
    """Touchpoint id → its controller in the latest version of the catalogue
    (``supplier``, ``partner``, ``customer``, ``external``), for
    :func:`grouped_priorities`' owners."""
    found = cache.get("catalogue:touchpoints")
    out: dict[str, str] = {}
    if isinstance(found, Unavailable):
        return out
    for t in sorted(found, key=lambda t: str(t.get("valid_from") or "")):
        out[str(t["touchpoint_id"])] = str(t.get("controller") or "")
    return out


def touchpoint_owners(cache: ResultCache) -> dict[str, str]:
    """Touchpoint id → who runs it in words: "the supplier", the partner's name,
    "the customer" (the latest version of the catalogue)."""
    found = cache.get("catalogue:touchpoints")
    partners = dict(partner_options(cache))
    out: dict[str, str] = {}
    if isinstance(found, Unavailable):
        return out
    for t in sorted(found, key=lambda t: str(t.get("valid_from") or "")):
        pid = t.get("partner_id")
        controller = str(t.get("controller") or "")
        out[str(t["touchpoint_id"])] = (
            partners.get(str(pid), str(pid)) if pid
            else f"the {controller}" if controller else "–"
        )  # fmt: skip
    return out


def account_tiles(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the account list's tiles over ``rows``: how many accounts,
    how many aligned (an account whose agreement is not proven counts like one
    with too few people: in the total, not as aligned), the unweighted mean of
    their collective scores, how many at high risk (≥ :data:`HIGH_RISK`), their
    summed annual value (None when none has one) and how many have no risk (not
    judged: too little or too old data)."""
    from b2bcx.measures.verdict import ALIGNED

    scores = [float(r["cx"]) for r in rows if r.get("cx") is not None]
    values = [float(r["annual_value"]) for r in rows if r.get("annual_value") is not None]
    return {
        "n_accounts": len(rows),
        "n_aligned": sum(1 for r in rows if r.get("verdict") == ALIGNED),
        "n_rated": len(scores),
        "mean_cx": sum(scores) / len(scores) if scores else None,
        "n_high_risk": sum(1 for r in rows if r.get("risk") is not None and r["risk"] >= HIGH_RISK),
        "annual_value": sum(values) if values else None,
        "n_unknown": sum(1 for r in rows if r.get("risk") is None),
    }


def has_contract_values(cache: ResultCache) -> bool:
    """Whether any account has an annual (contract) value, i.e. whether the
    portfolio NPS is value-weighted."""
    accounts = cache.get("catalogue:accounts")
    if isinstance(accounts, Unavailable):
        return False
    return any((a.get("annual_value") or 0) > 0 for a in accounts)


def quote_text(text: str) -> str:
    """A comment's sentence as a page quotes it: without an import's field label
    ("Liked best:", "Disliked:"; :func:`b2bcx.text.sentences.without_field_label`),
    for the dashboard, which takes no text internals itself."""
    return without_field_label(text)
