"""Evidence from the data the assessment and the plan rest on: how CX relates to
commercial outcomes, and how the experience changed where each CXM activity runs."""

from __future__ import annotations

import datetime as _dt
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
    backend: Backend, as_of: _dt.datetime, *, metric: str = "cx"
) -> list[OutcomeRelation]:
    """How account CX relates to commercial outcomes (Fig. 1's "results").

    Account CX is the collective CX of :func:`b2bcx.measures.collective.measure_units`
    as of ``as_of``. For churn, renewal, expansion and contraction: the AUC of CX
    for telling the accounts that had the event from those that did not (the
    Mann–Whitney U over n₁n₀, oriented so that 1 = higher CX goes with the good
    outcome, 0.5 = no relation) and its two-sided p-value. For the net value
    change (new contracts and expansions minus contractions and churn, per
    annual value): Spearman's ρ with CX. ``metric``: another rating than ``cx``
    (its account score on 0–100). Outcomes after ``as_of`` are left out."""
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


def activity_effects(
    backend: Backend, as_of: _dt.datetime, options: StrategyOptions = DEFAULT_OPTIONS
) -> pd.DataFrame:
    """Per activity: its cost and the experience change at the touchpoints it covers.

    The change is a difference in differences on the 0–100 CX scale (``cx`` × 10):
    mean CX at the activity's touchpoints (or, without touchpoints, its stages)
    in the ``activity_window_days`` after it started minus before, less the same
    change everywhere else; ``se`` is its standard error from the four cells'
    variances (Σ s²/n). Activities without a start date, with data on one side
    only, or that cover everything (no comparison) get no change, and ``reason``
    says why.
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
    ]
    if acts.empty:
        return pd.DataFrame(columns=columns)
    f = experience_frame(backend, as_of=as_of)
    f = f.filter(f.cx.notnull()).select(
        "touchpoint_id", "stage", "occurred_at", x=f.cx.cast("float64") * 10.0
    )
    rows = []
    window = _dt.timedelta(days=options.activity_window_days)
    for a in acts.to_dict("records"):
        tps = list(a["touchpoint_ids"]) if a["touchpoint_ids"] is not None else []
        stages = list(a["stages"]) if a["stages"] is not None else []
        reach = ", ".join(tps or stages) or "everywhere"
        row = {k: a.get(k) for k in columns if k in a} | {"reach": reach, "touchpoints": tps}
        start = a["started_at"]
        if start is None or pd.isna(start):
            rows.append(row | {"ratings": 0, "experience_change": None, "reason": "no start date"})
            continue
        day = pd.Timestamp(start).to_pydatetime()
        inside = (
            f.touchpoint_id.isin(tps)
            if tps
            else f.stage.isin(stages)
            if stages
            else ibis.literal(True)
        )
        span = f.filter((f.occurred_at >= day - window) & (f.occurred_at < day + window))
        agg = (
            span.group_by(
                side=ibis.ifelse(span.occurred_at >= day, "after", "before"),
                here=inside.fill_null(False),
            )
            .aggregate(m=span.x.mean(), v=span.x.var(), k=span.count())
            .to_pandas()
        )
        cells = {(r.side, bool(r.here)): (r.m, r.k, r.v) for r in agg.itertuples()}
        need = [("before", True), ("after", True), ("before", False), ("after", False)]
        if not all(c in cells for c in need) or (not tps and not stages):
            reason = (
                "it covers everything (no comparison group)"
                if not tps and not stages
                else "no ratings on both sides of its start"
            )
            rows.append(
                row
                | {
                    "ratings": int(sum(v[1] for v in cells.values())),
                    "experience_change": None,
                    "reason": reason,
                }
            )
            continue
        change = (cells[("after", True)][0] - cells[("before", True)][0]) - (
            cells[("after", False)][0] - cells[("before", False)][0]
        )
        se = float(np.sqrt(sum((0.0 if pd.isna(c[2]) else c[2]) / c[1] for c in cells.values())))
        rows.append(
            row
            | {
                "ratings": int(cells[("after", True)][1] + cells[("before", True)][1]),
                "experience_change": round(float(change), 2),
                "se": round(se, 2),
                "reason": None,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def context_evidence(
    backend: Backend, as_of: _dt.datetime, options: StrategyOptions = DEFAULT_OPTIONS
) -> dict[str, tuple[float, str]]:
    """What the data says about the contextual factors it can see, on the item's
    0–1 scale (item id → (score, detail)), to check the answers against.

    - ``relational_ties``: share of accounts whose customer expects a relational
      relationship (``relationship_expected``; Witell et al. 2020, dimension 1);
    - ``direct_channel``: share of the window's experiences at touchpoints the
      supplier (not a partner) controls.
    """
    out: dict[str, tuple[float, str]] = {}
    acc = backend.table("accounts").select("relationship_expected").to_pandas()
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
