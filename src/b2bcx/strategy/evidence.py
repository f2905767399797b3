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

#: Days compared before and after an activity started.
ACTIVITY_WINDOW_DAYS = 180


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

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"outcome": self.outcome, "accounts": self.accounts, "events": self.events,
                "statistic": self.statistic, "value": self.value, "p": self.p,
                "detail": self.detail}  # fmt: skip


def outcome_relations(backend: Backend, as_of: _dt.datetime) -> list[OutcomeRelation]:
    """Account CX (0–100) against churn, renewal, expansion and contraction: the AUC
    of CX for telling accounts with the event from those without (Mann–Whitney),
    and Spearman's ρ of CX with the account's net value change per annual value."""
    units = measure_units(backend, by="account", decay=DecayOptions(as_of=as_of),
                          agreement=AgreementOptions(chance_reps=0)).units  # fmt: skip
    outcomes = backend.table("outcomes").to_pandas()
    if units.empty or outcomes.empty:
        return []
    cx = units.set_index("account_id").cx
    out: list[OutcomeRelation] = []
    for kind, better in (("churn", False), ("renewal", True), ("expansion", True),
                         ("contraction", False)):  # fmt: skip
        hit = set(outcomes.loc[outcomes.kind == kind, "account_id"])
        y = cx.index.isin(hit)
        if y.all() or not y.any():
            continue
        u = stats.mannwhitneyu(cx[y], cx[~y], alternative="two-sided")
        auc = float(u.statistic) / (y.sum() * (~y).sum())
        auc = auc if better else 1 - auc
        out.append(OutcomeRelation(kind, len(cx), int(y.sum()), "AUC", round(float(auc), 3),
                                   float(u.pvalue),
                                   f"accounts with higher CX {'had' if better else 'avoided'} "
                                   f"{kind} with AUC {auc:.2f}"))  # fmt: skip
    sign = {"new_contract": 1, "renewal": 0, "expansion": 1, "contraction": -1, "churn": -1}
    net = outcomes.assign(v=outcomes.kind.map(sign).fillna(0) * outcomes.value.fillna(0))
    value = backend.table("accounts").to_pandas().set_index("account_id").annual_value
    change = (net.groupby("account_id").v.sum() / value).reindex(cx.index).fillna(0.0)
    if change.nunique() > 1:
        rho, p = stats.spearmanr(cx.to_numpy(), change.to_numpy())
        out.append(OutcomeRelation("net value change", len(cx), int((change != 0).sum()),
                                   "spearman_rho", round(float(rho), 3), float(p),
                                   f"ρ = {rho:.2f} between account CX and its net value "
                                   "change per annual value"))  # fmt: skip
    return out


def results_strength(relations: list[OutcomeRelation]) -> float | None:
    """0–1: how strongly CX relates to outcomes (mean of AUC − 0.5 scaled ×2, and |ρ|)."""
    values = []
    for r in relations:
        if r.value is None:
            continue
        values.append(max(0.0, 2 * (r.value - 0.5)) if r.statistic == "AUC" else max(0.0, r.value))
    return float(np.mean(values)) if values else None


def activity_effects(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Per activity: its cost and the experience change where it runs.

    The change is a difference in differences on the 0–100 CX scale: mean CX at
    the activity's touchpoints (or stages) in the ``ACTIVITY_WINDOW_DAYS`` after
    it started minus before, less the same change everywhere else. Activities
    without a start date or data on both sides get no change (``reason`` says why).
    """
    acts = backend.table("activities").to_pandas()
    columns = ["activity_id", "name", "kind", "annual_cost", "started_at", "ended_at",
               "owner_unit", "reach", "ratings", "experience_change", "reason"]  # fmt: skip
    if acts.empty:
        return pd.DataFrame(columns=columns)
    f = experience_frame(backend, as_of=as_of)
    f = f.filter(f.cx.notnull()).select("touchpoint_id", "stage", "occurred_at",
                                        x=f.cx.cast("float64") * 10.0)  # fmt: skip
    rows = []
    window = _dt.timedelta(days=ACTIVITY_WINDOW_DAYS)
    for a in acts.to_dict("records"):
        tps = list(a["touchpoint_ids"]) if a["touchpoint_ids"] is not None else []
        stages = list(a["stages"]) if a["stages"] is not None else []
        reach = ", ".join(tps or stages) or "everywhere"
        row = {k: a.get(k) for k in columns if k in a} | {"reach": reach}
        start = a["started_at"]
        if start is None or pd.isna(start):
            rows.append(row | {"ratings": 0, "experience_change": None,
                               "reason": "no start date"})  # fmt: skip
            continue
        day = pd.Timestamp(start).to_pydatetime()
        inside = (f.touchpoint_id.isin(tps) if tps else
                  f.stage.isin(stages) if stages else ibis.literal(True))  # fmt: skip
        span = f.filter((f.occurred_at >= day - window) & (f.occurred_at < day + window))
        agg = (
            span.group_by(
                side=ibis.ifelse(span.occurred_at >= day, "after", "before"),
                here=inside.fill_null(False),
            )
            .aggregate(m=span.x.mean(), k=span.count())
            .to_pandas()
        )
        cells = {(r.side, bool(r.here)): (r.m, r.k) for r in agg.itertuples()}
        need = [("before", True), ("after", True), ("before", False), ("after", False)]
        if not all(c in cells for c in need) or (not tps and not stages):
            reason = ("it covers everything (no comparison group)" if not tps and not stages
                      else "no ratings on both sides of its start")  # fmt: skip
            rows.append(row | {"ratings": int(sum(v[1] for v in cells.values())),
                               "experience_change": None, "reason": reason})  # fmt: skip
            continue
        change = (cells[("after", True)][0] - cells[("before", True)][0]) - (
            cells[("after", False)][0] - cells[("before", False)][0]
        )
        rows.append(
            row
            | {
                "ratings": int(cells[("after", True)][1] + cells[("before", True)][1]),
                "experience_change": round(float(change), 2),
                "reason": None,
            }
        )
    return pd.DataFrame(rows, columns=columns)
