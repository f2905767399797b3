"""Step 3 of the playbook: start, keep or stop each CXM activity, and which
metrics to keep (Wirtz et al. 2025, section 7.2)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.convert import plain_dict
from b2bcx.measures.keydrivers import FIX_FIRST
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank
from b2bcx.strategy.assess import HYGIENE_KINDS, Assessment
from b2bcx.strategy.evidence import outcome_relations, results_strength
from b2bcx.strategy.options import StrategyOptions


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Start, keep or stop one CXM activity (step 3), and why.

    ``cost`` is the annual cost, ``experience_change`` and ``se`` the change of
    the experience where the activity runs (difference in differences, 0–100
    points) and its standard error; all None for an activity to start.
    """

    activity_id: str
    name: str | None
    decision: str
    reason: str
    cost: float | None
    experience_change: float | None
    se: float | None
    touchpoints: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"activity_id", "name", "decision", "reason", "cost", "experience_change",
        "se", "touchpoints"}``."""
        return plain_dict(
            {
                "activity_id": self.activity_id,
                "name": self.name,
                "decision": self.decision,
                "reason": self.reason,
                "cost": self.cost,
                "experience_change": self.experience_change,
                "se": self.se,
                "touchpoints": list(self.touchpoints),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def decide_activities(
    assessment: Assessment,
    to_be: str | None,
    drivers: pd.DataFrame,
    answers: Answers | None,
    bank: ItemBank,
    options: StrategyOptions,
) -> list[Decision]:
    """Start / keep / stop per running activity, and starts the to-be calls for."""
    day = pd.Timestamp(assessment.as_of)
    running = [
        r
        for r in assessment.activities
        if r.get("ended_at") is None or pd.Timestamp(r["ended_at"]) >= day
    ]
    costs = [float(r["annual_cost"]) for r in running if r.get("annual_cost") is not None]
    median = float(np.median(costs)) if costs else 0.0
    out = []
    for r in running:
        change, se = r.get("experience_change"), r.get("se")
        cost = None if r.get("annual_cost") is None else float(r["annual_cost"])
        hygiene = r.get("kind") in HYGIENE_KINDS
        costly = cost is not None and cost > median
        if change is None:
            if to_be in ("cherry_picker", "minimalist") and costly and not hygiene:
                decision, reason = (
                    "stop",
                    (
                        f"no measurable experience change ({r['reason']}) "
                        f"for {cost:,.0f} a year, above the median "
                        f"{median:,.0f}: a narrow posture cannot carry it"
                    ),
                )
            else:
                decision, reason = (
                    "keep",
                    (
                        f"no measurable experience change ({r['reason']}); "
                        "measure its return before the next review"
                    ),
                )
        else:
            band = 1.96 * (se or 0.0)
            per = "" if not cost else f", {change / cost * 100_000:+.1f} points per 100,000"
            said = f"experience {change:+.1f} ± {band:.1f} points where it runs{per}"
            if change + band < 0:
                decision, reason = "stop", f"{said}: it made the experience worse"
            elif change - band > 0 and change >= options.keep_change:
                decision, reason = "keep", f"{said}: a proven gain"
            elif to_be == "champion" or to_be == "fashionista" or to_be is None:
                decision, reason = "keep", f"{said}: no proven gain yet; review within a year"
            elif to_be == "minimalist" and hygiene:
                decision, reason = "keep", f"{said}: a hygiene activity"
            elif change >= options.keep_change and not costly:
                decision, reason = "keep", f"{said}: a likely gain at below-median cost"
            else:
                decision, reason = "stop", f"{said}: no proven return for a narrow posture"
        out.append(
            Decision(
                activity_id=r["activity_id"],
                name=r.get("name"),
                decision=decision,
                reason=reason,
                cost=cost,
                experience_change=change,
                se=se,
                touchpoints=tuple(list(r.get("touchpoints") or [])),
            )
        )
    out += _starts(assessment, to_be, drivers, out, answers, bank, options)
    return out


def _starts(
    assessment: Assessment,
    to_be: str | None,
    drivers: pd.DataFrame,
    decided: list[Decision],
    answers: Answers | None,
    bank: ItemBank,
    options: StrategyOptions,
) -> list[Decision]:
    covered = {t for d in decided if d.decision == "keep" for t in d.touchpoints}
    limit = {"champion": 4, "fashionista": 0, "cherry_picker": 2, "minimalist": 2}.get(
        to_be or "", 0
    )
    out: list[Decision] = []
    if limit and not drivers.empty:
        cands = drivers[~drivers.driver.isin(covered)]
        if to_be == "minimalist":  # hygiene: the touchpoints that perform worst
            cands = cands.sort_values("performance").head(limit)
            why = "one of the worst-performing touchpoints (a hygiene factor)"
        else:
            cands = cands[cands.quadrant == FIX_FIRST].sort_values("share", ascending=False)
            cands = cands.head(limit)
            why = "important and under-performing (fix first)"
        for r in cands.to_dict("records"):
            out.append(
                Decision(
                    activity_id=f"new-{r['driver']}",
                    name=f"Improve '{r.get('label') or r['driver']}'",
                    decision="start",
                    reason=f"{why}: carries {r['share']:.0%} of explained NPS, performs "
                    f"at {r['performance']:.0f}/100, and no kept activity covers it",
                    cost=None,
                    experience_change=None,
                    se=None,
                    touchpoints=tuple([r["driver"]]),
                )
            )
    owner = answers.get("cx_owner") if answers else None
    owner_score = (
        None
        if owner is None or "cx_owner" not in bank.by_id()
        else bank.score(bank.by_id()["cx_owner"], owner)
    )
    governed = any(r.get("kind") == "governance" for r in assessment.activities)
    if to_be == "cherry_picker" and (owner_score is None or owner_score < options.boundary):
        units = sorted({str(r["owner_unit"]) for r in assessment.activities if r.get("owner_unit")})
        out.append(
            Decision(
                activity_id="new-cx-owner",
                name="Appoint a CX manager",
                decision="start",
                reason="a Cherry Picker assigns CXM to one unit reporting to a "
                "customer-facing executive (4.3.2)"
                + (f"; today it is spread over {', '.join(units)}" if units else "")
                + ("" if owner_score is None else f"; cx_owner answered {owner_score:.2f}"),
                cost=None,
                experience_change=None,
                se=None,
                touchpoints=tuple([]),
            )
        )
    if to_be == "champion" and not governed:
        out.append(
            Decision(
                activity_id="new-governance",
                name="Anchor CXM in the C-suite",
                decision="start",
                reason="a Champion prioritises CX at the top, aligns functions and ties "
                "incentives to CX (4.3.1); no governance activity runs",
                cost=None,
                experience_change=None,
                se=None,
                touchpoints=tuple([]),
            )
        )
    return out


def decision_text(d: Decision) -> str:
    cost = "" if d.cost is None else f" ({d.cost:,.0f} a year)"
    return f"{d.decision}: {d.name or d.activity_id}{cost} — {d.reason}"


def choose_metrics(
    backend: Backend,
    assessment: Assessment,
    to_be: str,
    as_of: _dt.datetime,
    options: StrategyOptions,
) -> list[str]:
    """Which metrics to keep: how strongly each relates to outcomes (Cherry Picker:
    "a small set of effective CX metrics"; Champion: detailed dashboards)."""
    coverage = assessment.observed.metric_coverage if assessment.observed else {}
    metrics = [m for m in ("cx", "nps", "csat", "ces") if m in coverage]
    if not metrics or to_be not in ("cherry_picker", "champion", "minimalist"):
        return []
    strength = {}
    for m in metrics:
        s = results_strength(outcome_relations(backend, as_of, metric=m), options.min_events)
        if s is not None:
            strength[m] = s
    if not strength:
        return [f"metrics: {len(metrics)} in use; no outcomes to tell which pay"]
    ranked = sorted(strength, key=lambda m: -strength[m])
    said = ", ".join(f"{m} {strength[m]:.2f}" for m in ranked)
    if to_be == "champion":
        return [
            f"metrics: keep all {len(metrics)} in one dashboard (outcome strength: {said}); "
            "raise the coverage of "
            + ", ".join(f"{m} ({coverage[m]:.0%})" for m in metrics if coverage[m] < 0.5)
            if any(coverage[m] < 0.5 for m in metrics)
            else f"metrics: keep all {len(metrics)} in one dashboard (outcome strength: {said})"
        ]
    keep = ranked[:1] if to_be == "minimalist" else ranked[:2]
    drop = [m for m in ranked if m not in keep]
    return [
        f"metrics: track {' and '.join(keep)} (outcome strength: {said})"
        + (f"; drop {', '.join(drop)} from the dashboard" if drop else "")
    ]


__all__ = ["Decision", "choose_metrics", "decide_activities", "decision_text"]
