"""Evidence from the data the assessment and the plan rest on: how CX relates to
commercial outcomes, and how the experience changed where each CXM activity runs."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from b2bcx.measures.collective import AgreementOptions, measure_units
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import DecayOptions
from b2bcx.storage import Backend
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions


@dataclass(frozen=True)
class OutcomeRelation:
    """How account CX relates to one kind of outcome."""

    outcome: str
    accounts: int
    events: int
    statistic: str
    value: float | None
    p: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """``{"outcome", "accounts", "events", "statistic", "value", "p", "detail"}``."""
        return {
            "outcome": self.outcome,
            "accounts": self.accounts,
            "events": self.events,
            "statistic": self.statistic,
            "value": self.value,
            "p": self.p,
            "detail": self.detail,
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def outcome_relations(
    backend: Backend,
    as_of: _dt.datetime,
    *,
    metric: str = "cx",
    account_ids: Sequence[str] | None = None,
) -> list[OutcomeRelation]:
    """How account CX relates to commercial outcomes (Fig. 1's "results").

    Account CX is the collective CX of :func:`b2bcx.measures.collective.measure_units`
    as of ``as_of``. For churn, renewal, expansion and contraction: the AUC of CX
    for telling the accounts that had the event from those that did not (the
    Mann–Whitney U over n₁n₀, oriented so that 1 = higher CX goes with the good
    outcome, 0.5 = no relation) and its two-sided p-value. For the net value
    change (new contracts and expansions minus contractions and churn, per
    annual value): Spearman's ρ with CX. ``metric``: another rating than ``cx``
    (its account score on 0–100). Outcomes after ``as_of`` are left out;
    ``account_ids`` limits the accounts (a market segment)."""
    units = measure_units(
        backend,
        by="account",
        metric=metric,
        decay=DecayOptions(as_of=as_of),
        agreement=AgreementOptions(chance_reps=0),
    ).units
    outcomes = backend.table("outcomes").to_pandas()
    if units.empty or outcomes.empty:
        return []
    cx = units.set_index("account_id").cx.dropna().astype(float)
    if account_ids is not None:
        cx = cx[cx.index.isin(set(account_ids))]
        if cx.empty:
            return []
    out: list[OutcomeRelation] = []
    outcomes = outcomes[pd.to_datetime(outcomes.occurred_at) <= pd.Timestamp(as_of)]
    if outcomes.empty:
        return []
    for kind, better in (
        ("churn", False),
        ("renewal", True),
        ("expansion", True),
        ("contraction", False),
    ):
        hit = set(outcomes.loc[outcomes.kind == kind, "account_id"])
        y = cx.index.isin(hit)
        if y.all() or not y.any():
            continue
        u = stats.mannwhitneyu(cx[y], cx[~y], alternative="two-sided")
        auc = float(u.statistic) / (y.sum() * (~y).sum())
        auc = auc if better else 1 - auc
        out.append(
            OutcomeRelation(
                kind,
                len(cx),
                int(y.sum()),
                "AUC",
                round(float(auc), 3),
                float(u.pvalue),
                f"accounts with higher CX {'had' if better else 'avoided'} "
                f"{kind} with AUC {auc:.2f}",
            )
        )
    sign = {"new_contract": 1, "renewal": 0, "expansion": 1, "contraction": -1, "churn": -1}
    net = outcomes.assign(v=outcomes.kind.map(sign).fillna(0) * outcomes.value.fillna(0))
    value = backend.table("accounts").to_pandas().set_index("account_id").annual_value
    change = (net.groupby("account_id").v.sum() / value).reindex(cx.index).fillna(0.0)
    if change.nunique() > 1:
        rho, p = stats.spearmanr(cx.to_numpy(), change.to_numpy())
        out.append(
            OutcomeRelation(
                "net value change",
                len(cx),
                int((change != 0).sum()),
                "spearman_rho",
                round(float(rho), 3),
                float(p),
                f"ρ = {rho:.2f} between account CX and its net value change per annual value",
            )
        )
    return out


def results_strength(relations: list[OutcomeRelation], min_events: int = 3) -> float | None:
    """0–1: how strongly CX relates to outcomes in the workspace — the mean over
    the relations of 2·(AUC − 0.5) and of ρ, each floored at 0 (a relation in the
    wrong direction is no evidence of results). Relations resting on fewer than
    ``min_events`` events (or non-events) are too noisy and left out. None
    without such relations."""
    values = []
    for r in relations:
        if r.value is None or min(r.events, r.accounts - r.events) < min_events:
            continue
        values.append(max(0.0, 2 * (r.value - 0.5)) if r.statistic == "AUC" else max(0.0, r.value))
    return float(np.mean(values)) if values else None


def cluster_ols(
    y: np.ndarray, x: np.ndarray, clusters: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """OLS coefficients and their cluster-robust (CR1, Liang–Zeger with the
    Stata small-sample factor G/(G − 1) · (n − 1)/(n − k)) standard errors.

    None when the design is singular or there are fewer than two clusters.
    """
    n, k = x.shape
    labels, codes = np.unique(clusters, return_inverse=True)
    g = len(labels)
    if g < 2 or n <= k:
        return None
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < k:
        return None
    inv = np.linalg.inv(xtx)
    beta = inv @ (x.T @ y)
    e = y - x @ beta
    scores = np.zeros((g, k))
    np.add.at(scores, codes, x * e[:, None])
    meat = scores.T @ scores
    factor = g / (g - 1) * (n - 1) / (n - k)
    cov = factor * inv @ meat @ inv
    return beta, np.sqrt(np.clip(np.diag(cov), 0.0, None))


def _t_p(estimate: float, se: float, df: int) -> float | None:
    if se <= 0 or df < 1 or not math.isfinite(se):
        return None
    return float(2 * stats.t.sf(abs(estimate / se), df))


def activity_effects(
    backend: Backend,
    as_of: _dt.datetime,
    options: StrategyOptions = DEFAULT_OPTIONS,
    *,
    account_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per activity: its cost and the experience change at the touchpoints it covers.

    The change is a difference in differences on the 0–100 CX scale (``cx`` × 10):
    mean CX at the activity's touchpoints (or, without touchpoints, its stages)
    in the ``activity_window_days`` after it started minus before, less the same
    change everywhere else — the interaction of the regression
    ``x ~ here + after + here × after`` over the ratings. ``se`` is its
    **cluster-robust** standard error with accounts as clusters (ratings of one
    account are not independent), on G − 1 degrees of freedom; it needs at
    least ``min_clusters`` accounts with ratings at the activity and elsewhere.

    **Parallel trends**: in the before period, the regression ``x ~ here + t +
    here × t`` (t in years) tests whether the activity's touchpoints were
    already moving differently from the rest (``pretrend``, its clustered
    ``pretrend_p``); ``parallel_trends`` is False when ``pretrend_p`` <
    ``pretrend_p`` of the options. ``evidence`` is ``estimated`` only when the
    clustered estimate exists and the check does not fail, else ``no evidence
    yet`` and ``reason`` says why. Activities without a start date, with data on
    one side only, or that cover everything (no comparison) get no change.
    ``account_ids`` limits the ratings to those accounts (a market segment).
    """
    acts = backend.table("activities").to_pandas()
    columns = [
        "activity_id",
        "name",
        "kind",
        "annual_cost",
        "started_at",
        "ended_at",
        "owner_unit",
        "touchpoints",
        "reach",
        "ratings",
        "experience_change",
        "se",
        "reason",
        "clusters",
        "p",
        "pretrend",
        "pretrend_p",
        "parallel_trends",
        "evidence",
    ]
    if acts.empty:
        return pd.DataFrame(columns=columns)
    f = experience_frame(backend, as_of=as_of)
    f = f.filter(f.cx.notnull())
    if account_ids is not None:
        f = f.filter(f.account_id.isin(list(account_ids) or ["\0"]))
    frame = f.select(
        "touchpoint_id", "stage", "occurred_at", "account_id", x=f.cx.cast("float64") * 10.0
    ).to_pandas()
    frame["occurred_at"] = pd.to_datetime(frame.occurred_at)
    rows = []
    window = pd.Timedelta(days=options.activity_window_days)
    for a in acts.to_dict("records"):
        tps = list(a["touchpoint_ids"]) if a["touchpoint_ids"] is not None else []
        stages = list(a["stages"]) if a["stages"] is not None else []
        reach = ", ".join(tps or stages) or "everywhere"
        row = {k: a.get(k) for k in columns if k in a} | {"reach": reach, "touchpoints": tps}
        none = {"experience_change": None, "se": None, "evidence": "no evidence yet"}
        start = a["started_at"]
        if start is None or pd.isna(start):
            rows.append(row | none | {"ratings": 0, "reason": "no start date"})
            continue
        day = pd.Timestamp(start)
        here = (
            frame.touchpoint_id.isin(tps)
            if tps
            else frame.stage.isin(stages)
            if stages
            else pd.Series(True, index=frame.index)
        )
        span = frame[(frame.occurred_at >= day - window) & (frame.occurred_at < day + window)]
        h = here.loc[span.index].fillna(False).astype(bool)
        after = span.occurred_at >= day
        cells = {
            (side, inside): span[(after == (side == "after")) & (h == inside)]
            for side in ("before", "after")
            for inside in (True, False)
        }
        if (not tps and not stages) or any(c.empty for c in cells.values()):
            reason = (
                "it covers everything (no comparison group)"
                if not tps and not stages
                else "no ratings on both sides of its start"
            )
            rows.append(row | none | {"ratings": len(span), "reason": reason})
            continue
        change = (cells[("after", True)].x.mean() - cells[("before", True)].x.mean()) - (
            cells[("after", False)].x.mean() - cells[("before", False)].x.mean()
        )
        ratings = int(len(cells[("after", True)]) + len(cells[("before", True)]))
        treated = span[h].account_id.nunique()
        control = span[~h].account_id.nunique()
        base = row | {"ratings": ratings, "experience_change": round(float(change), 2)}
        if min(treated, control) < options.min_clusters:
            rows.append(
                base
                | {
                    "se": None,
                    "clusters": int(span.account_id.nunique()),
                    "evidence": "no evidence yet",
                    "reason": f"ratings from {treated} accounts at it and {control} elsewhere: "
                    f"fewer than {options.min_clusters} accounts for a clustered estimate",
                }
            )
            continue
        hi, af = h.to_numpy(float), after.to_numpy(float)
        design = np.column_stack([np.ones(len(span)), hi, af, hi * af])
        fit = cluster_ols(span.x.to_numpy(float), design, span.account_id.to_numpy())
        groups = int(span.account_id.nunique())
        if fit is None:
            rows.append(base | {"se": None, "clusters": groups, "evidence": "no evidence yet",
                                "reason": "the comparison cannot be estimated"})  # fmt: skip
            continue
        se = float(fit[1][3])
        pre = span[~after]
        pre_h = h[~after].to_numpy(float)
        t = ((pre.occurred_at - day).dt.days / 365.25).to_numpy(float)
        pre_fit = cluster_ols(
            pre.x.to_numpy(float),
            np.column_stack([np.ones(len(pre)), pre_h, t, pre_h * t]),
            pre.account_id.to_numpy(),
        )
        trend = trend_p = None
        if pre_fit is not None:
            trend = float(pre_fit[0][3])
            trend_p = _t_p(trend, float(pre_fit[1][3]), int(pre.account_id.nunique()) - 1)
        parallel = None if trend_p is None else bool(trend_p >= options.pretrend_p)
        ok = parallel is not False
        rows.append(
            base
            | {
                "se": round(se, 2),
                "clusters": groups,
                "p": _t_p(float(change), se, groups - 1),
                "pretrend": None if trend is None else round(trend, 2),
                "pretrend_p": None if trend_p is None else round(trend_p, 4),
                "parallel_trends": parallel,
                "evidence": "estimated" if ok else "no evidence yet",
                "reason": None
                if ok
                else f"its touchpoints were already moving {trend:+.1f} points a year "
                f"relative to the rest before it started (p = {trend_p:.3f}): parallel "
                "trends fail",
            }
        )
    return pd.DataFrame(rows, columns=columns)


def context_evidence(
    backend: Backend,
    as_of: _dt.datetime,
    options: StrategyOptions = DEFAULT_OPTIONS,
    *,
    account_ids: Sequence[str] | None = None,
) -> dict[str, tuple[float, str]]:
    """What the data says about the contextual factors it can see, on the item's
    0–1 scale (item id → (score, detail)), to check the answers against.

    - ``relational_ties``: share of accounts whose customer expects a relational
      relationship (``relationship_expected``; Witell et al. 2020, dimension 1);
    - ``direct_channel``: share of the window's experiences at touchpoints the
      supplier (not a partner) controls.
    """
    out: dict[str, tuple[float, str]] = {}
    acc = backend.table("accounts").select("account_id", "relationship_expected").to_pandas()
    if account_ids is not None:
        acc = acc[acc.account_id.isin(set(account_ids))]
    known = acc.relationship_expected.dropna()
    if len(known):
        share = float((known == "relational").mean())
        out["relational_ties"] = (
            share,
            f"{share:.0%} of {len(known)} accounts expect a relational relationship",
        )
    f = experience_frame(backend, as_of=as_of)
    f = f.filter(f.occurred_at > ibis.literal(as_of - _dt.timedelta(days=options.window_days)))
    f = f.filter(f.controller.isin(["supplier", "partner"]))
    if account_ids is not None:
        f = f.filter(f.account_id.isin(list(account_ids) or ["\0"]))
    counts = f.group_by("controller").aggregate(k=f.count()).to_pandas()
    total = int(counts.k.sum())
    if total:
        direct = float(counts.loc[counts.controller == "supplier", "k"].sum() / total)
        out["direct_channel"] = (
            direct,
            f"{direct:.0%} of experiences at supplier- or "
            "partner-run touchpoints are at the supplier's own",
        )
    return out
