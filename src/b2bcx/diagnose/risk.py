"""At-risk accounts and root-cause priorities.

**Risk.** A logistic score with a-priori weights (not fitted to any outcome, so
it can be validated on churn honestly; docs/diagnose.md)::

    s = −2 + (60 − cx_recent)/10 + max(0, −slope)/10 + (1 − rwg) + 0.5 · Σ severity
          + max(0, days_since_last_contact − 90)/180
    risk = 1 / (1 + e^(−s))

``cx_recent`` is the account's mean over its last 180 days (0–100), ``slope``
its change in points per year over the last 12 months, ``rwg`` the agreement of
its people (a unit with no verdict counts as 0.5), the severities are the
account's findings (capped at 3). ``value_at_risk = risk × annual_value``.

**Priorities** (McColl-Kennedy et al. 2019): among detractors' interactions
(people whose latest NPS is 0–6), the touchpoint × stage × goal cells where the
goal was served poorly (rating ≤ 2 of 5). ``score = driver weight × frequency ×
value share``: the driver weight is the geometric mean of the touchpoint's and
the goal's share of explained NPS (Johnson's relative weights), frequency the
cell's share of all poor goal ratings among detractors, value share the annual
value of the accounts behind them over the portfolio's.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

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


def at_risk(
    prep: Prepared, findings: list[Finding], rwg: dict[str, float], *, limit: int | None = None
) -> list[AtRisk]:
    """Accounts by risk, with the reasons behind each score."""
    as_of = pd.Timestamp(prep.as_of)
    severity: dict[str, float] = {}
    kinds: dict[str, list[str]] = {}
    for f in findings:
        if f.account_id:
            severity[f.account_id] = severity.get(f.account_id, 0.0) + f.severity
            kinds.setdefault(f.account_id, []).append(f.challenge)
    contact = prep.contact.set_index("account_id") if not prep.contact.empty else None
    level, trend = _level_and_trend(prep.monthly, as_of)
    out = []
    for acc in records_of(prep.accounts):
        a = acc.account_id
        if a not in level.index:
            continue
        cx = float(level[a])
        slope = float(trend.get(a, 0.0))
        agree = rwg.get(a, float("nan"))
        agree_term = 0.5 if math.isnan(agree) else 1.0 - max(0.0, min(1.0, agree))
        sev = min(3.0, severity.get(a, 0.0))
        days = (as_of - pd.Timestamp(contact.last_seen[a])).days if contact is not None else 0
        terms = {
            "level": (60.0 - cx) / 10.0,
            "trend": max(0.0, -slope) / 10.0,
            "alignment": agree_term,
            "findings": 0.5 * sev,
            "silence": max(0, days - 90) / 180.0,
        }
        s = -2.0 + sum(terms.values())
        risk = 1.0 / (1.0 + math.exp(-s))
        value = float(acc.annual_value) if not pd.isna(acc.annual_value) else 0.0
        reasons = []
        if terms["level"] > 0:
            reasons.append(f"CX {cx:.0f} over the last 6 months (below 60)")
        if slope < -5:
            reasons.append(f"falling {-slope:.0f} points a year")
        if agree_term >= 0.3:
            reasons.append(
                f"people disagree (rwg {agree:.2f})"
                if not math.isnan(agree)
                else "too few respondents to know if people agree"
            )
        if sev > 0:
            reasons.append(f"findings {', '.join(sorted(set(kinds[a])))} (severity {sev:.1f})")
        if terms["silence"] > 0:
            reasons.append(f"no interaction for {days} days")
        out.append(
            AtRisk(
                account_id=a,
                risk=risk,
                annual_value=value,
                value_at_risk=risk * value,
                cx_recent=cx,
                slope_per_year=slope,
                rwg=None if math.isnan(agree) else agree,
                terms=terms,
                reasons=tuple(reasons),
            )
        )
    out.sort(key=lambda r: -r.risk)
    return out[:limit] if limit else out


def _level_and_trend(monthly: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
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
    """Touchpoint × stage × goal cells that concentrate poor experiences among detractors."""
    f = experience_frame(backend, as_of=prep.as_of)
    if account_id is not None:
        f = f.filter(f.account_id == account_id)
    latest = f.filter(f.nps.notnull())
    w = ibis.window(group_by=latest.stakeholder_id, order_by=latest.occurred_at.desc())
    latest = latest.mutate(_rn=ibis.row_number().over(w)).filter(lambda t: t._rn == 0)
    detractors = latest.filter(latest.nps <= 6).select(det_id="stakeholder_id")
    d = f.inner_join(detractors, f.stakeholder_id == detractors.det_id)
    parts = []
    for goal in Goal:
        col = d[goal.value]
        rated = d.filter(col.notnull() & d.touchpoint_id.notnull())
        parts.append(
            rated.group_by(["touchpoint_id", "stage", "controller", "account_id"]).aggregate(
                goal=ibis.literal(goal.value),
                rated=ibis._.count(),
                poor=(col <= options.poor_goal_rating).cast("int32").sum(),  # PG: bool → int4 only
            )
        )
    cells = pd.DataFrame(ibis.union(*parts).to_pandas()) if parts else pd.DataFrame()
    if cells.empty or cells.poor.sum() == 0:
        return []
    values = prep.accounts.set_index("account_id").annual_value.astype(float).fillna(0.0)
    total_value = float(values.sum()) or 1.0
    cells["value"] = cells.account_id.map(values).fillna(0.0) * (cells.poor > 0)
    grouped = cells.groupby(["touchpoint_id", "stage", "controller", "goal"], dropna=False).agg(
        rated=("rated", "sum"), poor=("poor", "sum"), value=("value", "sum"),
        accounts=("poor", lambda s: int((s > 0).sum())),
    ).reset_index()  # fmt: skip
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
    voice = _comment_evidence(backend, d, {(r["touchpoint_id"], _none(r["stage"])) for r in top})
    spoken = _goal_examples(backend, d, top) if voice else {}
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


#: A comment speaks of a goal when the text head gives it at least this.
GOAL_SPOKEN = 0.5


def _goal_examples(
    backend: Backend, detractor_frame: ir.Table, top: list[dict[str, Any]]
) -> dict[tuple[str, str | None, str], tuple[int, dict[str, Any] | None]]:
    """For each priority's touchpoint × stage × goal: how many detractor comments
    there speak of the goal (text goal probability ≥ :data:`GOAL_SPOKEN`) and the
    most negative of them, so the evidence quotes what was said about that goal."""
    goals = sorted({str(r["goal"]) for r in top if r.get("goal")})
    columns = [f"goal_{g}" for g in goals]
    ts = backend.table(schema.TEXT_SCORES_TABLE)
    if not goals or any(c not in ts.columns for c in columns):
        return {}
    tps = sorted({str(r["touchpoint_id"]) for r in top})
    d = detractor_frame.filter(detractor_frame.touchpoint_id.isin(tps)).select(
        "interaction_id", "touchpoint_id", "stage", "comment"
    )
    j = d.inner_join(ts.select("interaction_id", "sentiment", *columns), "interaction_id")
    out: dict[tuple[str, str | None, str], tuple[int, dict[str, Any] | None]] = {}
    for goal, column in zip(goals, columns, strict=True):
        about = j.filter(j[column] >= GOAL_SPOKEN)
        counts = about.group_by(["touchpoint_id", "stage"]).aggregate(
            n=about.interaction_id.count()
        )
        w = ibis.window(group_by=[about.touchpoint_id, about.stage], order_by=about.sentiment.asc())
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
    backend: Backend, detractor_frame: ir.Table, cells: set[tuple[str, str | None]]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """What detractors wrote at each touchpoint × stage cell, from ``b2bcx text
    analyze`` (empty when no comment was analysed): comments, mean sentiment and
    effort, the share of negative comments, the Ekman emotions' shares and the most
    negative comment."""
    if not cells or schema.TEXT_SCORES_TABLE not in backend.list_tables():
        return {}
    ts = backend.table(schema.TEXT_SCORES_TABLE).select(
        "interaction_id", "sentiment", "effort", "ekman_labels"
    )
    tps = sorted({tp for tp, _ in cells})
    d = detractor_frame.filter(detractor_frame.touchpoint_id.isin(tps)).select(
        "interaction_id", "touchpoint_id", "stage", "comment"
    )
    j = d.inner_join(ts, "interaction_id")
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
    w = ibis.window(group_by=[j.touchpoint_id, j.stage], order_by=j.sentiment.asc())
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
