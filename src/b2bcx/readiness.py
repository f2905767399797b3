"""Data readiness: which analyses a workspace's data supports, and what unlocks the rest.

:func:`workspace_readiness` says, for every analysis b2bcx offers (collective
CX and agreement, NPS, CSAT, CES, individual CX, the stage × controller map,
key drivers, the trend, each diagnosis check C1–C5 and the risk score, the
strategy profile, assessment and plan, text analysis, topics and cases), whether
the data supports it (``ready``, ``partial`` or ``unavailable``), why (with
counts: "0 of 412 interactions have a touchpoint_id") and what to add to unlock
it, in plain words that name the bundle table and column.

It is cheap: a handful of counting queries run by the engine (one aggregate per
table and four small group-bys), no analysis. The CLI (``b2bcx readiness``), the
API (``GET /api/v1/readiness``), the dashboard (``/readiness`` and the panel on
pages that would otherwise be empty) and the report's appendix show it; they
take it from :meth:`b2bcx.analyses.Analyses.readiness`.

>>> import b2bcx
>>> with b2bcx.open_workspace(":memory:") as ws:
...     r = workspace_readiness(ws.backend)
...     r.get("nps").status, r.get("nps").reason
('unavailable', '0 of 0 interactions have an NPS answer')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis

from b2bcx.errors import NotFound
from b2bcx.model.enums import Goal
from b2bcx.storage import Backend

__all__ = [
    "AREAS",
    "IMPORT_PAGE",
    "PARTIAL",
    "READY",
    "STATUSES",
    "UNAVAILABLE",
    "AnalysisReadiness",
    "Readiness",
    "workspace_readiness",
]

READY = "ready"
PARTIAL = "partial"
UNAVAILABLE = "unavailable"
#: The statuses, best first.
STATUSES: tuple[str, ...] = (READY, PARTIAL, UNAVAILABLE)

#: The dashboard page where analysts import data (bundles, or a CSV with a mapping).
IMPORT_PAGE = "/import"

#: The areas analyses belong to, in the order they are listed.
AREAS: tuple[str, ...] = ("measures", "diagnosis", "strategy", "text", "cases")

#: Fewest people with a rating per account for agreement (rwg, AD) and a verdict
#: (the default ``min_n`` of :class:`b2bcx.measures.verdict.VerdictRule`).
AGREEMENT_MIN_PEOPLE = 3
#: Fewest months with ratings for C5's change test (``DiagnoseOptions.min_months``).
C5_MIN_MONTHS = 6
#: Fewest churned and retained accounts to fit the risk weights
#: (``DiagnoseOptions.risk_min_events``).
RISK_MIN_EVENTS = 30
#: Fewest analysed comments topics are made of.
TOPICS_MIN_COMMENTS = 4
#: Below this share of interactions with a touchpoint, the map covers too little.
COVERAGE_PARTIAL = 0.5

_RATINGS = ("cx", "nps", "csat", "ces")
_GOALS = tuple(g.value for g in Goal)
_RATING_NAMES = {"cx": "a CX rating", "nps": "an NPS answer", "csat": "a CSAT rating",
                 "ces": "a CES rating"}  # fmt: skip
_RATING_UNLOCK = {
    "cx": "interactions.cx (the overall experience of the interaction, 0–10)",
    "nps": "interactions.nps (likelihood to recommend, 0–10)",
    "csat": "interactions.csat (satisfaction, 1–5)",
    "ces": "interactions.ces (ease, 1–7, 7 = very easy)",
}
_TOUCHPOINTS_UNLOCK = (
    "import the touchpoints table (touchpoint_id, name, stage, controller; partner_id "
    "for partner-run touchpoints) and set interactions.touchpoint_id on each interaction"
)


@dataclass(frozen=True, kw_only=True)
class AnalysisReadiness:
    """Whether the data supports one analysis.

    Attributes
    ----------
    key : str
        Stable identifier (``collective``, ``nps``, ``map``, ``C1``, ``risk``, ...).
    name : str
        What a CX team calls it.
    area : str
        One of :data:`AREAS`.
    status : str
        ``ready`` (the data supports it), ``partial`` (it runs, but part of it
        is missing) or ``unavailable`` (it cannot run on this data).
    reason : str
        Why, with counts (e.g. "0 of 412 interactions have a touchpoint_id").
    unlock : str or None
        What to add to unlock it (or the missing part), naming the bundle table
        and column; None when ready.
    needs : tuple of str
        The ``table.column`` (or ``table``) the analysis reads.
    """

    key: str
    name: str
    area: str
    status: str
    reason: str
    unlock: str | None = None
    needs: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether the data fully supports the analysis."""
        return self.status == READY

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "name", "area", "status", "reason", "unlock", "needs"}``."""
        return {"key": self.key, "name": self.name, "area": self.area, "status": self.status,
                "reason": self.reason, "unlock": self.unlock,
                "needs": list(self.needs)}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Readiness:
    """What a workspace's data supports (:func:`workspace_readiness`).

    Attributes
    ----------
    workspace : str
        The workspace's URL.
    metric : str
        The rating the analyses use (cx, else the one the workspace has).
    counts : dict of str to int
        The counts the statuses rest on (rows per table and the coverage of the
        columns that unlock analyses).
    analyses : tuple of AnalysisReadiness
        One per analysis, in the order of :data:`AREAS`.
    import_page : str
        The dashboard page where data is added.
    """

    workspace: str
    metric: str
    counts: dict[str, int] = field(default_factory=dict)
    analyses: tuple[AnalysisReadiness, ...] = ()
    import_page: str = IMPORT_PAGE

    def get(self, key: str) -> AnalysisReadiness:
        """The readiness of analysis ``key``; :class:`~b2bcx.errors.NotFound` if unknown."""
        for a in self.analyses:
            if a.key == key:
                return a
        raise NotFound(
            f"no analysis {key!r}; choose from {', '.join(a.key for a in self.analyses)}"
        )

    def not_ready(self, keys: Iterable[str] | None = None) -> tuple[AnalysisReadiness, ...]:
        """The analyses (of ``keys``, else all) that are partial or unavailable."""
        wanted = None if keys is None else set(keys)
        return tuple(a for a in self.analyses
                     if not a.ready and (wanted is None or a.key in wanted))  # fmt: skip

    @property
    def summary(self) -> dict[str, int]:
        """How many analyses are ready, partial and unavailable."""
        return {s: sum(a.status == s for a in self.analyses) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """``{"workspace", "metric", "summary", "counts", "import_page", "analyses"}``."""
        return {
            "workspace": self.workspace,
            "metric": self.metric,
            "summary": self.summary,
            "counts": dict(self.counts),
            "import_page": self.import_page,
            "analyses": [a.to_dict() for a in self.analyses],
        }


# -- counting ------------------------------------------------------------------


def _one_row(backend: Backend, table: ibis.Table, **aggs: Any) -> dict[str, int]:
    """One aggregate row as ints (missing values as 0)."""
    row = backend.to_arrow(table.aggregate(**aggs)).to_pylist()[0]
    return {k: int(v or 0) for k, v in row.items()}


def _count(backend: Backend, table: ibis.Table) -> int:
    return int(backend.to_arrow(table.aggregate(n=table.count())).to_pylist()[0]["n"] or 0)


def _filled(t: ibis.Table, column: str) -> Any:
    """The number of rows of ``t`` with a value in ``column`` (0 when absent)."""
    if column not in t.columns:
        return ibis.literal(0)
    col = t[column]
    if col.type().is_string():
        return (col.notnull() & (col.strip() != "")).sum()
    return col.count()


def _counts(backend: Backend, metric: str) -> dict[str, int]:
    """Every count the statuses rest on, run by the engine."""
    c: dict[str, int] = {}
    acc = backend.table("accounts")
    row = _one_row(
        backend,
        acc,
        accounts=acc.count(),
        accounts_relationship=(
            acc.relationship_intended.notnull() | acc.relationship_expected.notnull()
        ).sum(),
        accounts_annual_value=_filled(acc, "annual_value"),
        accounts_manager=_filled(acc, "account_manager"),
    )
    c.update(row)
    c["relationships"] = _count(backend, backend.table("relationships"))
    sh = backend.table("stakeholders")
    c.update(
        _one_row(
            backend,
            sh,
            stakeholders=sh.count(),
            stakeholders_unit=(
                sh.function.notnull() | sh.level.notnull() | (sh.unit.notnull() & (sh.unit != ""))
            ).sum(),
        )
    )
    tp = backend.table("touchpoints")
    c.update(
        _one_row(
            backend,
            tp,
            touchpoints=tp.touchpoint_id.nunique(),
            touchpoints_not_supplier=tp.touchpoint_id.nunique(where=tp.controller != "supplier"),
            touchpoint_versions=tp.valid_from.count(),
        )
    )
    c["partners"] = _count(backend, backend.table("partners"))
    it = backend.table("interactions")
    aggs: dict[str, Any] = {"interactions": it.count()}
    for name in (*_RATINGS, *_GOALS):
        aggs[f"interactions_{name}"] = _filled(it, name)
    aggs["interactions_goal_rated"] = (
        ibis.or_(*(it[g].notnull() for g in _GOALS if g in it.columns)).sum()
        if any(g in it.columns for g in _GOALS)
        else ibis.literal(0)
    )
    aggs["interactions_touchpoint"] = _filled(it, "touchpoint_id")
    aggs["interactions_stage"] = (it.stage.notnull() | it.touchpoint_id.notnull()).sum()
    aggs["interactions_comment"] = _filled(it, "comment")
    aggs["interactions_rated"] = (
        ibis.or_(*(it[m].notnull() for m in _RATINGS if m in it.columns)).sum()
        if any(m in it.columns for m in _RATINGS)
        else ibis.literal(0)
    )
    c.update(_one_row(backend, it, **aggs))
    if metric in it.columns:
        rated = it.filter(it[metric].notnull())
        month = rated.occurred_at.year() * 12 + rated.occurred_at.month()
        c.update(
            _one_row(
                backend,
                rated,
                metric_touchpoint=rated.touchpoint_id.count(),
                metric_months=month.nunique(),
                metric_people=rated.stakeholder_id.nunique(),
            )
        )
        people = rated.join(sh.select("stakeholder_id", "account_id"), "stakeholder_id")
        per_account = people.group_by("account_id").aggregate(n=people.stakeholder_id.nunique())
        c.update(
            _one_row(
                backend,
                per_account,
                accounts_rated=per_account.count(),
                accounts_agreement=(per_account.n >= AGREEMENT_MIN_PEOPLE).sum(),
            )
        )
    else:
        c.update(metric_touchpoint=0, metric_months=0, metric_people=0, accounts_rated=0,
                 accounts_agreement=0)  # fmt: skip
    goals = backend.table("goals")
    waves = goals.group_by("stakeholder_id").aggregate(w=goals.asked_at.nunique())
    c.update(
        _one_row(
            backend,
            waves,
            goals_people=waves.count(),
            goals_people_twice=(waves.w >= 2).sum(),
        )
    )
    out = backend.table("outcomes")
    kinds = out.group_by("account_id").aggregate(
        churn=(out.kind == "churn").sum(), other=(out.kind != "churn").sum()
    )
    c.update(
        _one_row(
            backend,
            kinds,
            outcomes_accounts=kinds.count(),
            accounts_churned=(kinds.churn > 0).sum(),
            accounts_retained=((kinds.churn == 0) & (kinds.other > 0)).sum(),
        )
    )
    c["activities"] = _count(backend, backend.table("activities"))
    tables = set(backend.list_tables())
    c["comments_analysed"] = 0
    if "text_scores" in tables:
        scores = backend.table("text_scores")
        c["comments_analysed"] = _one_row(backend, scores, n=scores.interaction_id.nunique())["n"]
    c["strategy_answers"] = (
        _count(backend, backend.table("strategy_answers")) if "strategy_answers" in tables else 0
    )
    return c


# -- judging -------------------------------------------------------------------


def _of(n: int, total: int, what: str) -> str:
    """ "3 of 412 interactions have a touchpoint_id"."""
    return f"{n:,} of {total:,} {what}"


class _Judge:
    """Builds the readiness of each analysis from the counts."""

    def __init__(self, c: dict[str, int], metric: str, *, answers_given: bool,
                 read_only: bool) -> None:  # fmt: skip
        self.c = c
        self.metric = metric
        self.answers_given = answers_given
        self.read_only = read_only
        self.out: list[AnalysisReadiness] = []

    def add(self, key: str, name: str, area: str, status: str, reason: str,
            unlock: str | None, needs: tuple[str, ...]) -> None:  # fmt: skip
        self.out.append(AnalysisReadiness(key=key, name=name, area=area, status=status,
                                          reason=reason, unlock=None if status == READY
                                          else unlock, needs=needs))  # fmt: skip

    # facts used by several analyses
    @property
    def n_it(self) -> int:
        return self.c["interactions"]

    @property
    def rated(self) -> int:
        return self.c.get(f"interactions_{self.metric}", 0)

    def no_ratings(self) -> str:
        return _of(0, self.n_it, "interactions have a rating (cx, nps, csat or ces)")

    def ratings_unlock(self) -> str:
        return ("import interactions with a rating: interactions.cx (0–10) or nps, csat or ces "
                "(survey answers, reviews)")  # fmt: skip

    def measures(self) -> None:
        c, m, n = self.c, self.metric, self.n_it
        label = m.upper()
        needs = (f"interactions.{m}", "stakeholders.account_id")
        if not self.rated:
            self.add("collective", "Collective CX and agreement (rwg, AD, verdict)", "measures",
                     UNAVAILABLE, self.no_ratings(), self.ratings_unlock(), needs)  # fmt: skip
        elif not c["accounts_agreement"]:
            self.add(
                "collective", "Collective CX and agreement (rwg, AD, verdict)", "measures",
                PARTIAL,
                f"{c['accounts_rated']:,} accounts have {label} ratings, but none has "
                f"{AGREEMENT_MIN_PEOPLE} or more people who rated: scores are shown, agreement "
                "and the verdict are not",
                f"import more people per account (stakeholders table) with rated interactions; "
                f"agreement needs at least {AGREEMENT_MIN_PEOPLE} per account",
                needs,
            )  # fmt: skip
        else:
            enough = c["accounts_agreement"] / c["accounts_rated"] >= COVERAGE_PARTIAL
            reason = _of(c["accounts_agreement"], c["accounts_rated"],
                         f"accounts with {label} ratings have {AGREEMENT_MIN_PEOPLE} or more "
                         "people who rated (enough for agreement)")  # fmt: skip
            self.add(
                "collective", "Collective CX and agreement (rwg, AD, verdict)", "measures",
                READY if enough else PARTIAL,
                reason if enough else f"only {reason}: the others get a score but no agreement "
                "or verdict",
                f"import more people per account (stakeholders table) with rated interactions; "
                f"agreement needs at least {AGREEMENT_MIN_PEOPLE} per account",
                needs,
            )  # fmt: skip
        for rating in ("nps", "csat", "ces"):
            k = c.get(f"interactions_{rating}", 0)
            self.add(
                rating, f"{rating.upper()}", "measures", READY if k else UNAVAILABLE,
                _of(k, n, f"interactions have {_RATING_NAMES[rating]}"),
                f"add {_RATING_UNLOCK[rating]}", (f"interactions.{rating}",),
            )  # fmt: skip
        k = c.get("interactions_cx", 0)
        if k:
            status, reason = READY, _of(k, n, "interactions have a CX rating")
        elif self.rated:
            status = PARTIAL
            reason = (f"{_of(0, n, 'interactions have a CX rating')}: individual "
                      f"experience is read from {label} in its place")  # fmt: skip
        else:
            status, reason = UNAVAILABLE, self.no_ratings()
        self.add("individual_cx", "Individual CX", "measures", status, reason,
                 f"add {_RATING_UNLOCK['cx']}", ("interactions.cx",))  # fmt: skip
        self._map()
        self._drivers()
        months = c["metric_months"]
        if months >= 2:
            status, reason = READY, f"{months:,} months have {label} ratings"
        elif months == 1:
            status, reason = PARTIAL, f"only 1 month has {label} ratings: no change to show yet"
        else:
            status, reason = UNAVAILABLE, self.no_ratings()
        self.add("trend", "Trend by month", "measures", status, reason,
                 "keep importing rated interactions as they come (interactions.occurred_at "
                 "spread over two months or more)" if self.rated else self.ratings_unlock(),
                 ("interactions.occurred_at", f"interactions.{m}"))  # fmt: skip

    def _map(self) -> None:
        c, n = self.c, self.n_it
        needs = ("touchpoints", "interactions.touchpoint_id")
        name = "Stage × controller map"
        with_tp = c["interactions_touchpoint"]
        if not c["touchpoints"]:
            self.add("map", name, "measures", UNAVAILABLE,
                     f"no touchpoints: the touchpoints catalogue is empty and "
                     f"{_of(with_tp, n, 'interactions have a touchpoint_id')}",
                     _TOUCHPOINTS_UNLOCK, needs)  # fmt: skip
        elif not with_tp:
            self.add("map", name, "measures", UNAVAILABLE,
                     _of(0, n, "interactions have a touchpoint_id") +
                     f" (the catalogue has {c['touchpoints']:,} touchpoints)",
                     "set interactions.touchpoint_id on each interaction", needs)  # fmt: skip
        elif not c["metric_touchpoint"]:
            self.add("map", name, "measures", UNAVAILABLE,
                     f"none of the {with_tp:,} interactions with a touchpoint has a "
                     f"{self.metric.upper()} rating",
                     f"rate the interactions at touchpoints ({_RATING_UNLOCK[self.metric]})"
                     if self.metric in _RATING_UNLOCK else self.ratings_unlock(),
                     needs)  # fmt: skip
        else:
            share = with_tp / n if n else 0.0
            reason = _of(with_tp, n, "interactions have a touchpoint_id") + (
                f" ({c['touchpoints']:,} touchpoints in the catalogue)"
            )
            self.add("map", name, "measures", READY if share >= COVERAGE_PARTIAL else PARTIAL,
                     reason if share >= COVERAGE_PARTIAL else
                     f"only {reason}: the map covers those",
                     "set interactions.touchpoint_id on the other interactions",
                     needs)  # fmt: skip

    def _drivers(self) -> None:
        c, n = self.c, self.n_it
        name = "Key drivers of NPS"
        needs = ("interactions.nps", "interactions.efficiency (and the other goals)",
                 "interactions.touchpoint_id")  # fmt: skip
        nps = c.get("interactions_nps", 0)
        goals = c["interactions_goal_rated"]
        tps = c["interactions_touchpoint"] and c.get("interactions_cx", 0)
        if not nps:
            self.add("key_drivers", name, "measures", UNAVAILABLE,
                     f"key drivers explain NPS: {_of(0, n, 'interactions have an NPS answer')}",
                     f"add {_RATING_UNLOCK['nps']}", needs)  # fmt: skip
            return
        missing = []
        if not goals:
            missing.append((
                _of(0, n, "interactions rate a goal (efficiency, differentiation, …)"),
                "rate how well each interaction served the goals (interactions.efficiency, "
                "differentiation, association, convenience, empowerment, relationships; 1–5)",
            ))  # fmt: skip
        if not tps:
            missing.append((
                _of(0, n, "interactions have a touchpoint_id")
                if not c["interactions_touchpoint"]
                else _of(0, n, "interactions have a CX rating (touchpoint drivers use it)"),
                "set interactions.touchpoint_id and interactions.cx (touchpoint drivers)",
            ))  # fmt: skip
        if not missing:
            self.add("key_drivers", name, "measures", READY,
                     f"{nps:,} NPS answers, {goals:,} interactions rating goals, "
                     f"{c['interactions_touchpoint']:,} at touchpoints", None, needs)  # fmt: skip
        else:
            self.add("key_drivers", name, "measures",
                     PARTIAL if len(missing) == 1 else UNAVAILABLE,
                     "; ".join(r for r, _ in missing), "; ".join(u for _, u in missing),
                     needs)  # fmt: skip

    def diagnosis(self) -> None:
        c, n = self.c, self.n_it
        a, s = c["accounts"], c["stakeholders"]
        area = "diagnosis"
        rated = self.rated
        names = {
            "C1": "C1 · Relationship type mismatch",
            "C2": "C2 · Silos between the customer's units",
            "C3": "C3 · Journey mismatch (buying vs using)",
            "C4": "C4 · Touchpoints outside the supplier's control",
            "C5": "C5 · Changes over time",
            "risk": "Risk score of accounts",
        }
        if not rated:
            for key, name in names.items():
                self.add(key, name, area, UNAVAILABLE, self.no_ratings(), self.ratings_unlock(),
                         (f"interactions.{self.metric}",))  # fmt: skip
            return
        # C1
        needs: tuple[str, ...] = (
            "accounts.relationship_intended",
            "accounts.relationship_expected",
            "relationships",
            "accounts.annual_value",
        )
        typed = c["accounts_relationship"]
        if not typed and not c["relationships"]:
            self.add("C1", names["C1"], area, UNAVAILABLE,
                     f"no relationship types: {_of(0, a, 'accounts have')} "
                     "relationship_intended or relationship_expected, and there is no "
                     "relationships history",
                     "set accounts.relationship_intended (the relationship you intend: "
                     "transactional, relational, …) and accounts.relationship_expected (the one "
                     "the customer expects), or import the relationships table",
                     needs)  # fmt: skip
        elif not c["accounts_annual_value"]:
            self.add("C1", names["C1"], area, PARTIAL,
                     f"{_of(typed, a, 'accounts have a relationship type')}, but no contract "
                     f"values ({_of(0, a, 'accounts have an annual_value')}): a mismatch on a "
                     "small account cannot be told from one on a large account",
                     "set accounts.annual_value (priorities' value share and value at risk need "
                     "it too)", needs)  # fmt: skip
        else:
            self.add("C1", names["C1"], area, READY,
                     f"{_of(typed, a, 'accounts have a relationship type')}; "
                     f"{_of(c['accounts_annual_value'], a, 'have an annual_value')}",
                     None, needs)  # fmt: skip
        # C2
        units = c["stakeholders_unit"]
        needs = ("stakeholders.function", "stakeholders.level", "stakeholders.unit")
        status = READY if s and units / s >= COVERAGE_PARTIAL else PARTIAL if units else UNAVAILABLE
        self.add("C2", names["C2"], area, status,
                 _of(units, s, "people have a function, level or unit"),
                 "set stakeholders.function, level or unit (the part of the customer "
                 "each person belongs to)", needs)  # fmt: skip
        # C3
        staged = c["interactions_stage"]
        needs = ("interactions.touchpoint_id", "interactions.stage")
        status = (
            READY if n and staged / n >= COVERAGE_PARTIAL else PARTIAL if staged else UNAVAILABLE
        )
        self.add("C3", names["C3"], area, status,
                 _of(staged, n, "interactions have a journey stage (interactions.stage or a "
                     "touchpoint)"),
                 "set interactions.touchpoint_id (with a touchpoints catalogue) or "
                 "interactions.stage", needs)  # fmt: skip
        # C4
        needs = ("touchpoints.controller", "touchpoints.partner_id", "partners")
        if not c["touchpoints"] or not c["interactions_touchpoint"]:
            self.add("C4", names["C4"], area, UNAVAILABLE,
                     f"no touchpoints: {c['touchpoints']:,} in the catalogue, "
                     f"{_of(c['interactions_touchpoint'], n, 'interactions have a touchpoint_id')}",
                     _TOUCHPOINTS_UNLOCK, needs)  # fmt: skip
        elif not c["touchpoints_not_supplier"]:
            self.add("C4", names["C4"], area, UNAVAILABLE,
                     f"every one of the {c['touchpoints']:,} touchpoints is supplier-controlled",
                     "record partner-, customer- or externally controlled touchpoints "
                     "(touchpoints.controller, partner_id, and the partners table)",
                     needs)  # fmt: skip
        else:
            self.add("C4", names["C4"], area, READY,
                     _of(c["touchpoints_not_supplier"], c["touchpoints"],
                         "touchpoints are run by partners, customers or others"),
                     None, needs)  # fmt: skip
        # C5
        months = c["metric_months"]
        needs = ("interactions.occurred_at", "goals", "relationships", "touchpoints.valid_from")
        events = []
        if not c["goals_people_twice"]:
            events.append(
                (
                    "no goal importance asked twice of the same people",
                    "ask goal importance (goals table) in two or more survey waves",
                )
            )
        if not c["relationships"]:
            events.append(
                (
                    "no relationship history",
                    "import the relationships table with valid_from for each change",
                )
            )
        if not c["touchpoint_versions"]:
            events.append(
                (
                    "no touchpoint versions",
                    "add a touchpoints row with valid_from when a touchpoint's controller changes",
                )
            )
        if months < C5_MIN_MONTHS:
            self.add("C5", names["C5"], area, UNAVAILABLE,
                     f"{months:,} months have {self.metric.upper()} ratings; the change test "
                     f"needs at least {C5_MIN_MONTHS}",
                     "keep importing rated interactions month by month", needs)  # fmt: skip
        elif events:
            self.add("C5", names["C5"], area, PARTIAL,
                     f"{months:,} months of ratings (changes in the trend are tested), but "
                     + "; ".join(r for r, _ in events) + ": those events are not tested",
                     "; ".join(u for _, u in events), needs)  # fmt: skip
        else:
            self.add("C5", names["C5"], area, READY,
                     f"{months:,} months of ratings; goal waves, relationship history and "
                     "touchpoint versions present", None, needs)  # fmt: skip
        # risk
        churned, retained = c["accounts_churned"], c["accounts_retained"]
        needs = ("outcomes", "accounts.annual_value")
        if min(churned, retained) < RISK_MIN_EVENTS:
            self.add("risk", names["risk"], area, PARTIAL,
                     f"{churned:,} churned and {retained:,} renewed or retained accounts in the "
                     f"outcomes table (at least {RISK_MIN_EVENTS} of each fit the weights): the "
                     "risk is an index (a ranking), not a churn probability",
                     "import the outcomes table (churn, renewal and other events per account, "
                     "with occurred_at)", needs)  # fmt: skip
        elif not c["accounts_annual_value"]:
            self.add("risk", names["risk"], area, PARTIAL,
                     f"weights can be fitted ({churned:,} churned, {retained:,} retained), but "
                     f"{_of(0, a, 'accounts have an annual_value')}: no value at risk",
                     "set accounts.annual_value", needs)  # fmt: skip
        else:
            self.add("risk", names["risk"], area, READY,
                     f"{churned:,} churned and {retained:,} retained accounts to fit the "
                     "weights to", None, needs)  # fmt: skip

    def strategy(self) -> None:
        c, n = self.c, self.n_it
        area = "strategy"
        seek, served = c["goals_people"], c["interactions_goal_rated"]
        needs = ("goals", "interactions.efficiency (and the other goals)")
        importance = f"{c['goals_people']:,} people said which goals matter (goals table)"
        ratings = _of(served, n, "interactions rate how well a goal was served")
        if seek and served:
            status, reason = READY, f"{importance}; {ratings}"
        elif seek or served:
            status, reason = PARTIAL, f"{importance}; {ratings}"
        else:
            status, reason = UNAVAILABLE, f"{importance}; {ratings}"
        unlock = []
        if not seek:
            unlock.append("ask goal importance (goals table: stakeholder_id, asked_at, goal, "
                          "importance 1–5)")  # fmt: skip
        if not served:
            unlock.append("rate how well interactions served the goals (interactions.efficiency, "
                          "…, relationships; 1–5)")  # fmt: skip
        self.add("profile", "Value-proposition profile", area, status, reason,
                 "; ".join(unlock) or None, needs)  # fmt: skip
        answered = self.answers_given or c["strategy_answers"] > 0
        answers_unlock = (
            "answer the CXM strategy questionnaire (the dashboard's Strategy page, or an "
            "answers file saved in the workspace)"
        )
        if answered:
            reason = ("answers given" if self.answers_given
                      else f"{c['strategy_answers']:,} saved strategy answers")  # fmt: skip
            self.add("assessment", "CXM assessment and archetype", area, READY, reason, None,
                     ("strategy answers", "activities"))  # fmt: skip
        else:
            self.add("assessment", "CXM assessment and archetype", area, PARTIAL,
                     "no strategy answers: scope is measured from the data, but impact is "
                     "unknown and the archetype is not called", answers_unlock,
                     ("strategy answers", "activities"))  # fmt: skip
        if not answered:
            self.add("plan", "Four-step plan", area, PARTIAL,
                     "no strategy answers: the plan cannot start from an archetype",
                     answers_unlock, ("strategy answers", "activities"))  # fmt: skip
        elif not c["activities"]:
            self.add("plan", "Four-step plan", area, PARTIAL,
                     "no activities: the plan cannot say which of your CXM activities to keep "
                     "or stop", "import the activities table (your CXM activities with their "
                     "touchpoint_ids, stages and annual_cost)",
                     ("strategy answers", "activities"))  # fmt: skip
        else:
            self.add("plan", "Four-step plan", area, READY,
                     f"strategy answers and {c['activities']:,} activities", None,
                     ("strategy answers", "activities"))  # fmt: skip

    def text(self) -> None:
        c, n = self.c, self.n_it
        comments, done = c["interactions_comment"], c["comments_analysed"]
        needs = ("interactions.comment",)
        comment_unlock = ("add interactions.comment (the customer's own words: survey "
                          "verbatims, ticket text, reviews)")  # fmt: skip
        analyse = (
            "have the comments analysed (the text analysis, run by an analyst); the results "
            "appear once it has run"
        )
        if not comments:
            status, reason, unlock = (UNAVAILABLE, _of(0, n, "interactions have a comment"),
                                      comment_unlock)  # fmt: skip
        elif not done:
            status = UNAVAILABLE
            reason = f"{_of(comments, n, 'interactions have a comment')}; none analysed yet"
            unlock = analyse
        elif done < comments:
            status = PARTIAL
            reason = f"{_of(done, comments, 'comments analysed')}; the others are not yet"
            unlock = analyse
        else:
            status, reason, unlock = READY, _of(done, comments, "comments analysed"), None
        self.add("text", "Text analysis (goals, emotions, sentiment)", "text", status, reason,
                 unlock, needs)  # fmt: skip
        if done >= TOPICS_MIN_COMMENTS:
            self.add("topics", "Topics", "text", READY, f"{done:,} analysed comments", None,
                     needs)  # fmt: skip
        else:
            self.add("topics", "Topics", "text", UNAVAILABLE,
                     f"{done:,} analysed comments; topics need at least {TOPICS_MIN_COMMENTS}",
                     analyse if comments else comment_unlock, needs)  # fmt: skip

    def cases(self) -> None:
        c, n = self.c, self.n_it
        needs = ("interactions.nps", "accounts.account_manager")
        name = "Cases and alerts (closed loop)"
        nps = c.get("interactions_nps", 0)
        if self.read_only:
            self.add("cases", name, "cases", UNAVAILABLE,
                     "the workspace is read-only (Spark): cases cannot be kept",
                     "import the bundle into a DuckDB or PostgreSQL workspace", needs)  # fmt: skip
        elif not nps:
            self.add("cases", name, "cases", PARTIAL,
                     f"the detractor rule (on by default) needs NPS answers: "
                     f"{_of(0, n, 'interactions have one')}; cases can still be opened by hand "
                     "and by the other rules",
                     f"add {_RATING_UNLOCK['nps']}", needs)  # fmt: skip
        elif not c["accounts_manager"]:
            self.add("cases", name, "cases", PARTIAL,
                     f"{nps:,} NPS answers, but {_of(0, c['accounts'], 'accounts have')} an "
                     "account_manager: every case goes to the default owner",
                     "set accounts.account_manager (the case owner)", needs)  # fmt: skip
        else:
            self.add("cases", name, "cases", READY,
                     f"{nps:,} NPS answers; "
                     f"{_of(c['accounts_manager'], c['accounts'], 'accounts have')} an "
                     "account_manager", None, needs)  # fmt: skip


def workspace_readiness(
    backend: Backend, *, metric: str | None = None, answers_given: bool = False
) -> Readiness:
    """Which analyses the workspace's data supports, why, and what unlocks the rest.

    Parameters
    ----------
    backend
        The workspace's engine.
    metric
        The rating the analyses use; ``None``: cx, else the rating the workspace
        has (:func:`b2bcx.measures.individual.default_metric`).
    answers_given
        Whether strategy answers are given to the analyses (an answers file),
        besides those saved in the workspace.

    Returns
    -------
    Readiness
        One :class:`AnalysisReadiness` per analysis, and the counts behind them.
    """
    from b2bcx.measures.individual import default_metric

    chosen = metric or default_metric(backend)
    counts = _counts(backend, chosen)
    judge = _Judge(counts, chosen, answers_given=answers_given,
                   read_only=backend.kind == "spark")  # fmt: skip
    judge.measures()
    judge.diagnosis()
    judge.strategy()
    judge.text()
    judge.cases()
    return Readiness(workspace=backend.url, metric=chosen, counts=counts,
                     analyses=tuple(judge.out))  # fmt: skip
