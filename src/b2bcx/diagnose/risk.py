"""At-risk accounts and root-cause priorities.

**Risk.** A logistic of weighted components (docs/diagnose.md)::

    risk = 1 / (1 + e^−(intercept + Σ weight · value))

over ``level`` (60 − cx_recent), ``trend`` (points a year of decline),
``alignment`` (1 − rwg), ``findings`` (summed severity, ≤ 3) and ``silence``
(days beyond 90 since the last contact in the relationship: reviews do not
count). A-priori weights (:data:`PRIOR_WEIGHTS`, intercept −2) make it a *risk
index* (a ranking; ``value_at_risk`` None); with at least ``risk_min_events``
churned and retained accounts the weights are fitted to churn
(:func:`risk_model`) and it is a churn probability with cross-validated AUC and
calibration. Accounts whose data is too thin or too old get ``risk`` None and
an ``unknown_reason``.

**Priorities** (McColl-Kennedy et al. 2019): among detractors' interactions
(people whose latest NPS is 0–6), the touchpoint × stage × goal cells where the
goal was served poorly (rating ≤ 2 of 5). ``score = driver weight × frequency ×
value share``: the driver weight is the geometric mean of the touchpoint's and
the goal's share of explained NPS (Johnson's relative weights), frequency the
cell's share of all poor goal ratings among detractors, value share the annual
value of the accounts behind them over the portfolio's.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.special import expit

from b2bcx.convert import plain
from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.findings import AtRisk, Finding, Priority, records_of
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.measures.frame import experience_frame
from b2bcx.model.enums import Goal
from b2bcx.storage import Backend, schema

#: A comment below this sentiment counts as negative in a priority's evidence.
NEGATIVE_SENTIMENT = -0.2

#: Each customer goal → its value proposition (Wirtz et al. 2025, Table 1).
VALUE_PROPOSITION: dict[str, str] = {
    "efficiency": "relieving", "convenience": "relieving",
    "differentiation": "enabling", "empowerment": "enabling",
    "association": "enriching", "relationships": "enriching",
}  # fmt: skip

_GOAL_ACTIONS: dict[str, str] = {
    "relieving": "take work off the customer: fewer steps, faster answers, self-service",
    "enabling": "equip the customer's people: training, expert advice, tools that let them do more",
    "enriching": "invest in the relationship: a named contact, regular reviews, shared events",
}


#: A-priori weights of the risk index: per unit of each component's value.
#: ``level``: points below 60 (0–100); ``trend``: points a year of decline;
#: ``alignment``: 1 − rwg; ``findings``: summed severity (capped at 3);
#: ``silence``: days beyond 90 since the last contact in the relationship.
PRIOR_WEIGHTS: dict[str, float] = {
    "level": 0.1, "trend": 0.1, "alignment": 1.0, "findings": 0.5, "silence": 1.0 / 180.0,
}  # fmt: skip
PRIOR_INTERCEPT = -2.0
#: The risk at and above which an account counts as "at high risk" (issue 16: "at
#: risk above 50 %"): the dashboard's tiles and colours, the report's summary and
#: ``value_exposed`` all read this one threshold.
HIGH_RISK = 0.5
#: Components a fitted model uses (their history can be rebuilt from the monthly
#: aggregates; alignment and findings are not re-run at the earlier date).
FITTED_COMPONENTS = ("level", "trend", "silence")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RiskModel:
    """How the risk was scored: an a-priori ``index`` or weights ``fitted`` to churn.

    Attributes
    ----------
    kind : str
        ``"index"`` (a-priori weights; a ranking, not a probability) or ``"fitted"``
        (logistic regression on the workspace's churn; a probability of churn
        within ``horizon_days``).
    intercept : float
    weights : dict of str to float
        Per unit of each component's value.
    reason : str
        Why this kind was used.
    events : dict of str to int
        Accounts that churned and did not within the training window.
    min_events : int
        Fewest of each class needed to fit.
    horizon_days : int or None
    validation : dict or None
        Cross-validated AUC, Brier score, base rate and reliability curve (fitted only).
    """

    kind: str
    intercept: float
    weights: dict[str, float]
    reason: str
    events: dict[str, int]
    min_events: int
    horizon_days: int | None = None
    validation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``meta.risk_model`` object of ``docs/diagnose.md``."""
        return {
            "kind": self.kind,
            "label": "risk index" if self.kind == "index" else "churn probability",
            "intercept": self.intercept,
            "weights": dict(self.weights),
            "reason": self.reason,
            "events": dict(self.events),
            "min_events": self.min_events,
            "horizon_days": self.horizon_days,
            "validation": plain(self.validation),
        }


def _components(
    prep: Prepared,
    findings: list[Finding],
    rwg: dict[str, float],
    as_of: pd.Timestamp,
    monthly: pd.DataFrame,
) -> pd.DataFrame:
    """Per account: the raw value of each component, the ratings behind the level,
    the latest contact in the relationship and the latest review."""
    severity: dict[str, float] = {}
    for f in findings:
        if f.account_id:
            severity[f.account_id] = severity.get(f.account_id, 0.0) + f.severity
    level, trend, count = _level_and_trend(monthly, as_of, with_count=True)
    out = pd.DataFrame(index=pd.Index(prep.accounts.account_id.astype(str), name="account_id"))
    out["cx"] = level.reindex(out.index)
    out["ratings"] = count.reindex(out.index).fillna(0)
    out["slope"] = trend.reindex(out.index).fillna(0.0)
    out["trend_months"] = _trend_months(monthly, as_of).reindex(out.index).fillna(0)
    agree = pd.Series(rwg, dtype=float).reindex(out.index)
    out["rwg"] = agree
    out["level"] = 60.0 - out.cx
    out["trend"] = (-out.slope).clip(lower=0.0) + 0.0
    out["alignment"] = (1.0 - agree.clip(0.0, 1.0)).fillna(0.5)
    out["findings"] = pd.Series(severity, dtype=float).reindex(out.index).fillna(0.0).clip(upper=3)
    c = prep.contact.set_index("account_id") if not prep.contact.empty else pd.DataFrame()
    for col in ("last_relationship", "last_review", "last_seen"):
        values = c[col] if col in c else pd.Series(dtype="datetime64[ns]")
        out[col] = pd.to_datetime(values.reindex(out.index))
    days = (as_of - out.last_relationship).dt.days
    # no contact in a relationship channel at all (reviews only): nothing has lapsed
    out["silence_days"] = days
    out["silence"] = (days - 90).clip(lower=0).fillna(0.0).astype(float)
    return out


def _unknown(row: Any, as_of: pd.Timestamp, options: DiagnoseOptions) -> str | None:
    """Why an account's data is too thin or too old to judge, else None."""
    if pd.isna(row.cx) or row.ratings < options.risk_min_ratings:
        n = int(row.ratings)
        return (f"only {n} rating{'s' if n != 1 else ''} behind the level "
                f"(< {options.risk_min_ratings})")  # fmt: skip
    if pd.isna(row.last_relationship) and not pd.isna(row.last_review):
        age = (as_of - row.last_review).days
        if age > options.risk_max_age_days:
            return (f"known only through reviews, the latest {age} days old "
                    f"(> {options.risk_max_age_days})")  # fmt: skip
    return None


def at_risk(
    prep: Prepared,
    findings: list[Finding],
    rwg: dict[str, float],
    *,
    limit: int | None = None,
    options: DiagnoseOptions | None = None,
    model: RiskModel | None = None,
) -> list[AtRisk]:
    """Accounts by risk, with each component, its weight and the reasons behind it.

    Accounts whose data is too thin or too old to judge get ``risk`` None and an
    ``unknown_reason``; they come after every scored account. With a ``fitted``
    ``model`` the risk is a churn probability and ``value_at_risk = risk ×
    annual_value``; with the a-priori index it is a ranking, ``value_at_risk`` is
    None and ``value_exposed`` is the annual value of accounts whose index is ≥
    :data:`HIGH_RISK` (0.5).
    """
    options = options or DiagnoseOptions()
    model = model or prior_model(options)
    as_of = pd.Timestamp(prep.as_of)
    kinds: dict[str, list[str]] = {}
    for f in findings:
        if f.account_id:
            kinds.setdefault(f.account_id, []).append(f.challenge)
    table = _components(prep, findings, rwg, as_of, prep.monthly)
    values = prep.accounts.set_index(prep.accounts.account_id.astype(str)).annual_value
    ids = table.index.astype(str)
    worth = pd.to_numeric(values.reindex(ids), errors="coerce").astype(float).fillna(0.0).tolist()
    # whole columns as plain floats, not pd.isna and a Series lookup per account and value
    columns = {name: table[name].astype(float).fillna(0.0).tolist() for name in PRIOR_WEIGHTS}
    never = (table.cx.isna() & (table.ratings == 0) & table.last_seen.isna()).tolist()
    cxs, agrees = table.cx.astype(float).tolist(), table.rwg.astype(float).tolist()
    out = []
    for i, (a, row) in enumerate(zip(ids, records_of(table), strict=True)):
        if never[i]:
            continue  # never met: not in the portfolio's experience data
        value = worth[i]
        why = _unknown(row, as_of, options)
        comps = {name: columns[name][i] for name in PRIOR_WEIGHTS}
        components = {
            name: {"value": comps[name], "weight": model.weights.get(name, 0.0),
                   "contribution": comps[name] * model.weights.get(name, 0.0)}
            for name in PRIOR_WEIGHTS
        }  # fmt: skip
        terms = {name: c["contribution"] for name, c in components.items()}
        cx, agree, slope = cxs[i], agrees[i], float(row.slope)  # cx, agree NaN when unknown
        risk: float | None = None
        if why is None:
            s = model.intercept + sum(terms.values())
            risk = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, s))))
        reasons = []
        if why is not None:
            reasons.append(f"unknown: {why}")
        else:
            if comps["level"] > 0:
                reasons.append(f"CX {cx:.0f} over the last 6 months (below 60)")
            if slope < -5:
                reasons.append(_falling(slope, int(row.trend_months)))
            if comps["alignment"] >= 0.3:
                reasons.append(
                    f"people disagree (rwg {agree:.2f})"
                    if not math.isnan(agree)
                    else "too few respondents to know if people agree"
                )
            if comps["findings"] > 0:
                reasons.append(f"findings {', '.join(sorted(set(kinds.get(a, []))))} "
                               f"(severity {comps['findings']:.1f})")  # fmt: skip
            if comps["silence"] > 0:
                reasons.append(f"no contact in the relationship for {int(row.silence_days)} days")
        probability = model.kind == "fitted"
        out.append(
            AtRisk(
                account_id=a,
                risk=risk,
                annual_value=value,
                value_at_risk=risk * value if probability and risk is not None else None,
                cx_recent=cx,
                slope_per_year=slope,
                rwg=None if math.isnan(agree) else agree,
                terms=terms,
                reasons=tuple(reasons),
                risk_kind=model.kind,
                components=components,
                intercept=model.intercept,
                unknown_reason=why,
                value_exposed=value if risk is not None and risk >= HIGH_RISK else 0.0,
                ratings=int(row.ratings),
            )
        )
    out.sort(key=lambda r: (r.risk is None, -(r.risk or 0.0), r.account_id))
    return out[:limit] if limit else out


def prior_model(options: DiagnoseOptions, reason: str = "", events: dict[str, int] | None = None
                ) -> RiskModel:  # fmt: skip
    """The a-priori risk index (docs/diagnose.md)."""
    return RiskModel(
        kind="index", intercept=PRIOR_INTERCEPT, weights=dict(PRIOR_WEIGHTS),
        reason=reason or "a-priori weights (no outcomes fitted)",
        events=events or {"churned": 0, "retained": 0}, min_events=options.risk_min_events,
    )  # fmt: skip


def risk_model(prep: Prepared, options: DiagnoseOptions) -> RiskModel:
    """Fit the risk weights to the workspace's churn when it has enough events.

    Training rows are the accounts as they were ``risk_horizon_days`` before the
    diagnosis date (components rebuilt from the monthly aggregates up to then:
    level, trend, silence); the label is whether the account churned in the
    following ``risk_horizon_days`` (accounts that churned earlier are left out).
    With at least ``risk_min_events`` of each class, a logistic regression is
    fitted (L2 penalty, C = 1, solved by Newton–Raphson: :func:`logistic_fit`);
    AUC, Brier score and a reliability curve come from 5-fold stratified
    cross-validation (one row per account, so folds never share an account; the
    training window ends before every outcome it predicts: a time split).
    Otherwise the a-priori index is used.
    """
    as_of = pd.Timestamp(prep.as_of)
    cut = as_of - pd.Timedelta(days=options.risk_horizon_days)
    o = prep.outcomes
    if o.empty or prep.monthly.empty:
        return prior_model(options, "no outcome events in the workspace")
    o = o.assign(occurred_at=pd.to_datetime(o.occurred_at))
    churn = o[o.kind == "churn"].groupby("account_id").occurred_at.min()
    monthly = prep.monthly.assign(month=pd.to_datetime(prep.monthly.month))
    before = monthly[monthly.month < cut]
    if before.empty:
        return prior_model(options, "no ratings before the training cut")
    level, trend, count = _level_and_trend(before, cut, with_count=True)
    last = before.groupby("account_id").month.max()
    rows = pd.DataFrame({"level": 60.0 - level, "trend": (-trend).clip(lower=0.0)})
    rows["silence"] = ((cut - last.reindex(rows.index)).dt.days - 90).clip(lower=0).astype(float)
    rows = rows[count.reindex(rows.index).fillna(0) >= options.risk_min_ratings]
    churned_at = churn.reindex(rows.index)
    rows = rows[~(churned_at <= cut).fillna(False).astype(bool)]
    later = churned_at.reindex(rows.index)
    y = ((later > cut) & (later <= as_of)).fillna(False).astype(int).to_numpy()
    events = {"churned": int(y.sum()), "retained": int(len(y) - y.sum())}
    if min(events.values()) < options.risk_min_events:
        return prior_model(
            options,
            f"{events['churned']} churned and {events['retained']} retained accounts in the "
            f"{options.risk_horizon_days} days before the date (< {options.risk_min_events} "
            "of each to fit weights): an a-priori risk index",
            events,
        )
    x = np.nan_to_num(rows[list(FITTED_COMPONENTS)].to_numpy(dtype=float))
    # out-of-fold probabilities (scikit-learn's cross_val_predict with
    # StratifiedKFold(5, shuffle=True, random_state=0): the same folds)
    folds = stratified_folds(y, _FOLDS, seed=0)
    p = np.empty(len(y))
    for fold in range(_FOLDS):
        test = folds == fold
        b0, b = logistic_fit(x[~test], y[~test], c=1.0)
        p[test] = expit(b0 + x[test] @ b)
    intercept, coef = logistic_fit(x, y, c=1.0)
    return RiskModel(
        kind="fitted",
        intercept=intercept,
        weights={k: float(v) for k, v in zip(FITTED_COMPONENTS, coef, strict=True)}
        | {"alignment": 0.0, "findings": 0.0},
        reason=f"logistic regression fitted to {events['churned']} churned and "
        f"{events['retained']} retained accounts (≥ {options.risk_min_events} of each)",
        events=events,
        min_events=options.risk_min_events,
        horizon_days=options.risk_horizon_days,
        validation=calibration(y, p),
    )


#: Cross-validation folds of the fitted risk model.
_FOLDS = 5


def logistic_fit(
    x: npt.ArrayLike, y: npt.ArrayLike, *, c: float = 1.0, tol: float = 1e-12, max_iter: int = 100
) -> tuple[float, npt.NDArray[np.float64]]:
    """L2-penalised logistic regression by Newton–Raphson (IRLS).

    Minimises ``Σ log(1 + e^η) − y·η + ‖w‖² / (2c)`` with ``η = intercept + x·w``
    (the intercept is not penalised): the objective of scikit-learn's
    ``LogisticRegression(C=c)``, solved to convergence (its default L-BFGS stops
    at a gradient tolerance of 1e-4) without importing scikit-learn.

    Parameters
    ----------
    x : array_like, shape (n, k)
        Predictors.
    y : array_like, shape (n,)
        0/1 labels; both classes must occur.
    c : float
        Inverse penalty strength (scikit-learn's ``C``).
    tol : float
        Stop when no coefficient moves by more than ``tol`` × (1 + its size).
    max_iter : int
        Most Newton steps.

    Returns
    -------
    intercept : float
    weights : ndarray, shape (k,)
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    a = np.column_stack([np.ones(len(ya)), xa])
    penalty = np.full(a.shape[1], 1.0 / c)
    penalty[0] = 0.0
    beta = np.zeros(a.shape[1])

    def objective(b: npt.NDArray[np.float64]) -> float:
        eta = a @ b
        return float(np.sum(np.logaddexp(0.0, eta) - ya * eta) + 0.5 * np.sum(penalty * b * b))

    value = objective(beta)
    for _ in range(max_iter):
        p = expit(a @ beta)
        gradient = a.T @ (p - ya) + penalty * beta
        hessian = (a * (p * (1.0 - p))[:, None]).T @ a + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        # backtracking (Armijo) keeps every step a descent far from the optimum
        t, decrease = 1.0, float(gradient @ step)
        while True:
            trial = beta - t * step
            new = objective(trial)
            if new <= value - 1e-4 * t * decrease or t < 1e-10:
                break
            t /= 2.0
        moved = np.abs(trial - beta)
        beta, value = trial, new
        if np.all(moved <= tol * (1.0 + np.abs(beta))):
            break
    return float(beta[0]), beta[1:].copy()


def stratified_folds(y: npt.ArrayLike, n_splits: int, *, seed: int) -> npt.NDArray[np.int_]:
    """The test fold of each row: scikit-learn's ``StratifiedKFold(n_splits,
    shuffle=True, random_state=seed)`` assignment (classes numbered in order of
    first appearance, dealt round-robin, then shuffled within each class)."""
    ya = np.asarray(y)
    _, first, inverse = np.unique(ya, return_index=True, return_inverse=True)
    _, order = np.unique(first, return_inverse=True)
    encoded = order[inverse]
    n_classes = len(first)
    ranked = np.sort(encoded)
    allocation = np.asarray(
        [np.bincount(ranked[i::n_splits], minlength=n_classes) for i in range(n_splits)]
    )
    rng = np.random.RandomState(seed)
    folds = np.empty(len(ya), dtype=int)
    for k in range(n_classes):
        per_class = np.arange(n_splits).repeat(allocation[:, k])
        rng.shuffle(per_class)
        folds[encoded == k] = per_class
    return folds


def calibration(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 5) -> dict[str, Any]:
    """AUC, Brier score, base rate and a reliability curve (quantile bins of ``p``)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pos, neg = p[y == 1], p[y == 0]
    auc = None
    if len(pos) and len(neg):
        ranks = stats.rankdata(np.concatenate([pos, neg]))
        u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
        auc = float(u / (len(pos) * len(neg)))
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(0, len(edges) - 2))
    curve = [
        {"predicted": float(p[which == b].mean()), "observed": float(y[which == b].mean()),
         "accounts": int((which == b).sum())}
        for b in range(max(1, len(edges) - 1)) if (which == b).any()
    ]  # fmt: skip
    return {"auc": auc, "brier": float(((p - y) ** 2).mean()), "base_rate": float(y.mean()),
            "accounts": len(y), "reliability": curve, "cv": "5-fold stratified"}  # fmt: skip


def _trend_months(monthly: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per account: the rated months of the last year the trend's slope is fitted on
    (first to last, inclusive)."""
    m = monthly.dropna(subset=["raw"])
    month = pd.to_datetime(m.month)
    year = m.assign(month=month)[month >= as_of - pd.Timedelta(days=365)]
    if year.empty:
        return pd.Series(dtype=float)
    g = year.groupby("account_id").month
    first, last = g.min(), g.max()
    months: pd.Series = (last.dt.year - first.dt.year) * 12 + (last.dt.month - first.dt.month) + 1
    return months.astype(float)


def _falling(slope: float, months: int) -> str:
    """The trend reason in words: a year's fall when the line spans most of a year,
    else the fall the fitted line makes over the months it spans (a 3-month drop of
    34 points is not "135 points a year" on a 0–100 scale)."""
    if months >= 10 or months < 2:
        return f"falling {-slope:.0f} points a year"
    change = -slope * (months - 1) / 12.0
    return f"falling {change:.0f} points over the last {months} months"


def _level_and_trend(
    monthly: pd.DataFrame, as_of: pd.Timestamp, *, with_count: bool = False
) -> Any:
    """Per account: mean CX of the last 180 days (else its last six months) and the
    weighted least-squares slope of monthly CX over the last year (points per year;
    0 with fewer than three months), for all accounts at once."""
    m = monthly.dropna(subset=["raw"]).assign(month=lambda d: pd.to_datetime(d.month))
    m = m.sort_values(["account_id", "month"])
    m["wy"] = m.raw * m.n
    recent = m[m.month >= as_of - pd.Timedelta(days=180)].groupby("account_id")[["wy", "n"]].sum()
    tail = m.groupby("account_id").tail(6).groupby("account_id")[["wy", "n"]].sum()
    both = tail.copy()
    has = recent.index[recent.n > 0]
    both.loc[has] = recent.loc[has]
    level = both.wy / both.n
    year = m[m.month >= as_of - pd.Timedelta(days=365)].copy()
    year["t"] = (year.month - as_of).dt.days / 365.25
    year = year.assign(wt=year.n * year.t, wtt=year.n * year.t**2, wty=year.n * year.t * year.raw)
    g = year.groupby("account_id")
    sums = g[["n", "wt", "wtt", "wy", "wty"]].sum()
    months = g.size()
    den = sums.wtt - sums.wt**2 / sums.n
    slope = (sums.wty - sums.wt * sums.wy / sums.n) / den
    slope = slope.where((months >= 3) & (den > 0), 0.0)
    if with_count:
        return level, slope, both.n
    return level, slope


def priorities(
    backend: Backend,
    prep: Prepared,
    options: DiagnoseOptions,
    *,
    touchpoint_weights: dict[str, float],
    goal_weights: dict[str, float],
    account_id: str | None = None,
) -> list[Priority]:
    """Touchpoint × stage × goal cells that concentrate poor experiences among detractors.

    The cells are counted on ``prep.frame`` (the experience frame materialized
    once for the diagnosis) when it is kept, else on a fresh experience frame;
    the comment evidence reads the interactions' text from the workspace.
    """

    def fresh() -> ir.Table:
        full = experience_frame(backend, as_of=prep.as_of)
        return full if account_id is None else full.filter(full.account_id == account_id)

    f = fresh() if prep.frame is None else prep.frame
    if account_id is not None and prep.frame is not None:
        f = f.filter(f.account_id == account_id)
    rated = f.filter(f.nps.notnull())
    # each person's latest NPS: one hash aggregate, not a window sorting every rating
    latest = rated.group_by("stakeholder_id").aggregate(_nps=rated.nps.argmax(rated.occurred_at))
    detractors = latest.filter(latest._nps <= 6).select(det_id="stakeholder_id")
    # the comments' text (not in the shared frame) only where some were analysed
    text = _has_text_scores(backend)
    if not text:
        return _priorities(backend, prep, options, f, None, detractors, touchpoint_weights,
                           goal_weights)  # fmt: skip
    # the detractors (a window over every rating) are read by up to five queries: once
    detractors = detractors.cache()
    try:
        full = f if prep.frame is None else fresh()
        return _priorities(
            backend, prep, options, f, full, detractors, touchpoint_weights, goal_weights
        )
    finally:
        detractors.release()


def _has_text_scores(backend: Backend) -> bool:
    """Whether ``b2bcx text analyze`` scored any comment (an existence check)."""
    if schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return False
    return bool(int(backend.table(schema.TEXT_SCORES_TABLE).limit(1).count().execute()))


def _priorities(
    backend: Backend,
    prep: Prepared,
    options: DiagnoseOptions,
    f: ir.Table,
    full: ir.Table | None,
    detractors: ir.Table,
    touchpoint_weights: dict[str, float],
    goal_weights: dict[str, float],
) -> list[Priority]:
    """:func:`priorities` on the frame ``f`` (``full`` for the comments' text, None
    when no comment was analysed) and the ``detractors`` (one ``det_id`` per
    stakeholder whose latest NPS is ≤ 6)."""
    d = f.semi_join(detractors, f.stakeholder_id == detractors.det_id)
    # every goal's ratings and poor ratings per cell in one pass, one row per goal after
    keys = ["touchpoint_id", "stage", "controller", "account_id"]
    rated = d.filter(d.touchpoint_id.notnull())
    aggs: dict[str, Any] = {}
    for goal in Goal:
        col = rated[goal.value]
        aggs[f"rated__{goal.value}"] = col.count()
        # PG: bool → int4 only
        aggs[f"poor__{goal.value}"] = (col <= options.poor_goal_rating).cast("int32").sum()
    wide = pd.DataFrame(rated.group_by(keys).aggregate(**aggs).to_pandas())
    values = prep.accounts.set_index("account_id").annual_value.astype(float).fillna(0.0)
    total_value = float(values.sum()) or 1.0
    grouped = _goal_cells(wide, values)
    if grouped.empty:
        return []
    grouped = grouped[grouped.rated >= options.min_ratings]
    if grouped.empty or grouped.poor.sum() == 0:  # no cell has enough ratings
        return []
    total_poor = float(grouped.poor.sum()) or 1.0
    overall_rate = total_poor / float(grouped.rated.sum())
    tp_default = float(np.median(list(touchpoint_weights.values()))) if touchpoint_weights else 1.0
    gw_default = float(np.median(list(goal_weights.values()))) if goal_weights else 1.0
    names = prep.catalogue.drop_duplicates("touchpoint_id").set_index("touchpoint_id")["name"]
    rows = []
    for r in records_of(grouped):
        if r.poor == 0:
            continue
        tw = touchpoint_weights.get(r.touchpoint_id, tp_default)
        gw = goal_weights.get(r.goal, gw_default)
        weight = math.sqrt(max(tw, 0.0) * max(gw, 0.0))
        frequency = r.poor / total_poor
        value_share = r.value / total_value
        vp = VALUE_PROPOSITION[r.goal]
        label = names.get(r.touchpoint_id, r.touchpoint_id)
        owner = (
            "with the partner that runs it"
            if r.controller == "partner"
            else "with the customer"
            if r.controller == "customer"
            else "in house"
        )
        rows.append({
            "touchpoint_id": r.touchpoint_id, "touchpoint": label, "stage": r.stage,
            "controller": r.controller, "goal": r.goal, "value_proposition": vp,
            "poor": int(r.poor), "rated": int(r.rated), "poor_rate": r.poor / r.rated,
            "lift": (r.poor / r.rated) / overall_rate if overall_rate else None,
            "frequency": frequency, "driver_weight": weight, "value_at_risk": float(r.value),
            "value_share": value_share, "accounts": int(r.accounts),
            "score": weight * frequency * value_share,
            "action": f"At '{label}', {_GOAL_ACTIONS[vp]} — {r.goal} is served poorly for "
                      f"detractors; fix it {owner}.",
        })  # fmt: skip
    rows.sort(key=lambda x: -x["score"])
    top = rows[: options.max_priorities]
    best = top[0]["score"] if top else 1.0
    voice: dict[tuple[str, str | None], dict[str, Any]] = {}
    spoken: dict[tuple[str, str | None, str], tuple[int, dict[str, Any] | None]] = {}
    if full is not None:
        # the text columns (comment, interaction_id) are not in the shared frame
        d_text = full.semi_join(detractors, full.stakeholder_id == detractors.det_id)
        cells_top = {(r["touchpoint_id"], _none(r["stage"])) for r in top}
        # the top touchpoints' scored detractor comments, read once for every query after
        scored = _scored_comments(backend, d_text, top)
        try:
            voice = _comment_evidence(scored, cells_top)
            spoken = _goal_examples(scored, top) if voice else {}
        finally:
            if scored is not None:
                scored.release()
    for rank, row in enumerate(top, 1):
        row["rank"] = rank
        row["score"] = row["score"] / best if best else 0.0
        cell = (row["touchpoint_id"], _none(row["stage"]))
        found = voice.get(cell) if voice else None
        if found is not None:
            goal_name = str(row["goal"])
            count, example = spoken.get((*cell, goal_name), (0, None))
            found = {**found, "goal": {"goal": goal_name, "comments": count,
                                       "most_negative": example}}  # fmt: skip
        row["text"] = found
    return [Priority(**row) for row in top]


def _goal_cells(wide: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Touchpoint × stage × controller × goal cells from the per-account ``wide``
    counts (``rated__<goal>``, ``poor__<goal>``): ratings, poor ratings, the annual
    value of the accounts with poor ratings there (``values``) and how many they
    are; sorted by those keys (a missing stage last), cells nobody rated left out;
    empty when no goal was rated poorly anywhere.

    Every goal's cells come from one grouping of the accounts' rows (integer codes,
    not a long frame of strings per goal); each sum adds the same rows in the same
    order as a group-by of the long frame would (pandas' compensated sum)."""
    cell_keys = ["touchpoint_id", "stage", "controller"]
    if wide.empty:
        return pd.DataFrame()
    code = wide.groupby(cell_keys, dropna=False, sort=True).ngroup().to_numpy()
    n_cells = int(code.max()) + 1
    _, first = np.unique(code, return_index=True)
    account_value = wide.account_id.map(values).fillna(0.0).to_numpy(dtype=float)
    goals = sorted(g.value for g in Goal)
    rated = np.zeros((n_cells, len(goals)), dtype=np.int64)
    poor = np.zeros((n_cells, len(goals)), dtype=np.int64)
    value = np.zeros((n_cells, len(goals)))
    accounts = np.zeros((n_cells, len(goals)), dtype=np.int64)
    for j, goal in enumerate(goals):
        r = wide[f"rated__{goal}"].to_numpy(dtype=np.int64)
        p = wide[f"poor__{goal}"].fillna(0).to_numpy(dtype=np.int64)
        use = r > 0  # the accounts that rated the goal there
        c = code[use]
        rated[:, j] = np.bincount(c, weights=r[use], minlength=n_cells).astype(np.int64)
        poor[:, j] = np.bincount(c, weights=p[use], minlength=n_cells).astype(np.int64)
        hit = p[use] > 0
        accounts[:, j] = np.bincount(c, weights=hit, minlength=n_cells).astype(np.int64)
        sums = pd.Series(account_value[use] * hit).groupby(c).sum()
        value[sums.index.to_numpy(), j] = sums.to_numpy()
    if int(poor.sum()) == 0:
        return pd.DataFrame()
    keep = (rated > 0).ravel()  # cell-major, goal-minor: the long frame's sort order
    out = wide[cell_keys].iloc[np.repeat(first, len(goals))[keep]].reset_index(drop=True)
    out["goal"] = np.tile(np.asarray(goals, dtype=object), n_cells)[keep]
    out["rated"] = rated.ravel()[keep]
    out["poor"] = poor.ravel()[keep]
    out["value"] = value.ravel()[keep]
    out["accounts"] = accounts.ravel()[keep]
    return out


#: A comment speaks of a goal when the text head gives it at least this.
GOAL_SPOKEN = 0.5


def _scored_comments(
    backend: Backend, detractor_frame: ir.Table, top: list[dict[str, Any]]
) -> ir.Table | None:
    """The detractors' comments at the ``top`` priorities' touchpoints that ``b2bcx
    text analyze`` scored, with their scores (sentiment, effort, Ekman labels and
    the goal probabilities of the top goals), cached in the engine: the evidence's
    queries read this small table, not the experience frame once each. None when
    nothing was scored."""
    if not top or schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return None
    ts = backend.table(schema.TEXT_SCORES_TABLE)
    goals = sorted({f"goal_{r['goal']}" for r in top if r.get("goal")})
    scores = ["sentiment", "effort", "ekman_labels", *(c for c in goals if c in ts.columns)]
    tps = sorted({str(r["touchpoint_id"]) for r in top})
    d = detractor_frame.filter(detractor_frame.touchpoint_id.isin(tps)).select(
        "interaction_id", "touchpoint_id", "stage", "comment"
    )
    return d.inner_join(ts.select("interaction_id", *scores), "interaction_id").cache()


def _goal_examples(
    scored: ir.Table | None, top: list[dict[str, Any]]
) -> dict[tuple[str, str | None, str], tuple[int, dict[str, Any] | None]]:
    """For each priority's touchpoint × stage × goal: how many detractor comments
    there speak of the goal (text goal probability ≥ :data:`GOAL_SPOKEN`) and the
    most negative of them, so the evidence quotes what was said about that goal
    (``scored``: :func:`_scored_comments`)."""
    goals = sorted({str(r["goal"]) for r in top if r.get("goal")})
    columns = [f"goal_{g}" for g in goals]
    if scored is None or not goals or any(c not in scored.columns for c in columns):
        return {}
    j = scored
    out: dict[tuple[str, str | None, str], tuple[int, dict[str, Any] | None]] = {}
    for goal, column in zip(goals, columns, strict=True):
        about = j.filter(j[column] >= GOAL_SPOKEN)
        counts = about.group_by(["touchpoint_id", "stage"]).aggregate(
            n=about.interaction_id.count()
        )
        # equal sentiments (one comment in two spellings) by id: the same quote on every engine
        w = ibis.window(
            group_by=[about.touchpoint_id, about.stage],
            order_by=[about.sentiment.asc(), about.interaction_id.asc()],
        )
        worst = about.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
        examples = {
            (r.touchpoint_id, _none(r.stage)): {"comment": str(r.comment),
                                                "sentiment": float(r.sentiment)}
            for r in records_of(pd.DataFrame(
                worst.select("touchpoint_id", "stage", "comment", "sentiment").to_pandas()))
        }  # fmt: skip
        for r in records_of(pd.DataFrame(counts.to_pandas())):
            key = (r.touchpoint_id, _none(r.stage))
            out[(*key, goal)] = (int(r.n), examples.get(key))
    return out


#: Ekman groups reported in a priority's comment evidence (``neutral`` left out).
_EKMAN_NEGATIVE_FIRST = ("anger", "disgust", "fear", "sadness", "surprise", "joy")


def _comment_evidence(
    scored: ir.Table | None, cells: set[tuple[str, str | None]]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """What detractors wrote at each touchpoint × stage cell, from ``b2bcx text
    analyze`` (``scored``: :func:`_scored_comments`; empty when no comment was
    analysed): comments, mean sentiment and effort, the share of negative comments,
    the Ekman emotions' shares and the most negative comment."""
    if not cells or scored is None:
        return {}
    j = scored
    aggs: dict[str, Any] = {
        "comments": j.interaction_id.count(),
        "sentiment": j.sentiment.mean(),
        "effort": j.effort.mean(),
        "negative": (j.sentiment < NEGATIVE_SENTIMENT).cast("int32").sum(),
    }
    for label in _EKMAN_NEGATIVE_FIRST:
        aggs[f"ekman_{label}"] = j.ekman_labels.contains(f'"{label}"').cast("int32").sum()
    stats = pd.DataFrame(j.group_by(["touchpoint_id", "stage"]).aggregate(**aggs).to_pandas())
    if stats.empty:
        return {}
    # equal sentiments by id: the same quote on every engine
    w = ibis.window(
        group_by=[j.touchpoint_id, j.stage], order_by=[j.sentiment.asc(), j.interaction_id.asc()]
    )
    worst = j.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
    worst_df = pd.DataFrame(worst.select("touchpoint_id", "stage", "comment", "sentiment")
                            .to_pandas())  # fmt: skip
    example = {(r.touchpoint_id, _none(r.stage)): (str(r.comment), float(r.sentiment))
               for r in records_of(worst_df)}  # fmt: skip
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for r in records_of(stats):
        key = (r.touchpoint_id, _none(r.stage))
        if key not in cells or not r.comments:
            continue
        n = int(r.comments)
        emotions = {lab: int(getattr(r, f"ekman_{lab}")) / n for lab in _EKMAN_NEGATIVE_FIRST}
        top = sorted((lab for lab in emotions if emotions[lab] > 0), key=lambda x: -emotions[x])
        text, sent = example.get(key, ("", 0.0))
        out[key] = {
            "comments": n,
            "sentiment": float(r.sentiment),
            "effort": float(r.effort),
            "negative_share": int(r.negative) / n,
            "emotions": {lab: round(emotions[lab], 3) for lab in top[:3]},
            "most_negative": {"comment": text, "sentiment": sent},
        }
    return out


def _none(value: Any) -> Any:
    """NaN/None → None (stages may be missing)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
