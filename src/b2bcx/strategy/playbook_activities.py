"""Step 3 of the playbook: start, keep or stop each CXM activity, and which
metrics to keep (Wirtz et al. 2025, section 7.2)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.convert import plain_dict
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
    #: ``estimated`` (clustered estimate, parallel trends not rejected) or
    #: ``no evidence yet``; None for an activity to start
    evidence: str | None = None
    #: for a start from the priorities: who controls the touchpoint, whether the
    #: firm ``act``s or can only ``influence``, the priority's rank and the
    #: annual value of the accounts behind it
    controller: str | None = None
    action: str | None = None
    priority_rank: int | None = None
    value_at_stake: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"activity_id", "name", "decision", "reason", "cost", "experience_change",
        "se", "touchpoints", "evidence", "controller", "action", "priority_rank",
        "value_at_stake"}``."""
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
                "evidence": self.evidence,
                "controller": self.controller,
                "action": self.action,
                "priority_rank": self.priority_rank,
                "value_at_stake": self.value_at_stake,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


#: How the firm can influence a touchpoint it does not control (Witell et al.
#: 2020, touchpoint control).
INFLUENCE = {
    "partner": "influence the partner that runs it: agree experience targets in the "
    "partner contract, share the ratings and review them together",
    "customer": "influence the customer's own part: onboarding, guidance and tools for "
    "their people, agreed with the account",
    "external": "influence what you can: monitor it, respond publicly, and brief the "
    "third parties involved",
}


def decide_activities(
    assessment: Assessment,
    to_be: str | None,
    priorities: Sequence[Any],
    answers: Answers | None,
    bank: ItemBank,
    options: StrategyOptions,
) -> list[Decision]:
    """Start / keep / stop per running activity, and the starts the to-be calls
    for (from the diagnosis' ranked ``priorities``).

    Keep and stop rest on effects estimated with account-clustered errors and a
    parallel-trends check (``evidence`` = ``estimated``); otherwise the
    activity is kept with "no evidence yet, keep measuring"."""
    day = pd.Timestamp(assessment.as_of)
    running = [
        r
        for r in assessment.activities
        if r.get("ended_at") is None or pd.Timestamp(r["ended_at"]) >= day
    ]
    out = []
    for r in running:
        change, se = r.get("experience_change"), r.get("se")
        cost = None if r.get("annual_cost") is None else float(r["annual_cost"])
        hygiene = r.get("kind") in HYGIENE_KINDS
        estimated = r.get("evidence") == "estimated" and change is not None and se is not None
        if not estimated:
            why = r.get("reason") or "no clustered estimate"
            seen = "" if change is None else f"experience {change:+.1f} points where it runs; "
            decision, reason = (
                "keep",
                f"no evidence yet, keep measuring ({seen}{why})",
            )
        else:
            change = float(change or 0.0)
            band = 1.96 * float(se or 0.0)
            per = "" if not cost else f", {change / cost * 100_000:+.1f} points per 100,000"
            said = (
                f"experience {change:+.1f} ± {band:.1f} points where it runs (account-"
                f"clustered, parallel trends not rejected){per}"
            )
            if change + band < 0:
                decision, reason = "stop", f"{said}: it made the experience worse"
            elif change - band > 0 and change >= options.keep_change:
                decision, reason = "keep", f"{said}: a proven gain"
            elif change + band < options.keep_change and to_be in ("cherry_picker", "minimalist"):
                if to_be == "minimalist" and hygiene:
                    decision, reason = "keep", f"{said}: a hygiene activity"
                else:
                    decision, reason = (
                        "stop",
                        f"{said}: the estimate rules out a gain of {options.keep_change:g} "
                        "points, and a narrow posture cannot carry it",
                    )
            else:
                decision, reason = "keep", f"{said}: no evidence yet, keep measuring"
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
                evidence="estimated" if estimated else "no evidence yet",
            )
        )
    out += _starts(assessment, to_be, priorities, out, answers, bank, options)
    return out


def _field(p: Any, name: str) -> Any:
    return p.get(name) if isinstance(p, dict) else getattr(p, name, None)


def act_first_lines(
    priorities: Sequence[Any], decided: Sequence[Decision], limit: int = 3
) -> list[str]:
    """Step 3's lines naming where the diagnosis says to act first, when no start
    came from its priorities (no to-be archetype yet, or one that starts nothing).

    The diagnosis' one ranked list, grouped by touchpoint and controller in rank
    order (:func:`b2bcx.diagnose.priority_groups.group_priorities`, the
    dashboard's and the report's grouping): up to ``limit`` groups, each with its
    ranks, the goals served poorly there and what the firm can do (act where it
    runs the touchpoint, influence where a partner, the customer or a third party
    runs it). A touchpoint handed over within the period gives one line per
    controller, so each line's advice matches the rows it names. Empty when a
    start already names a priority.
    """
    from b2bcx.diagnose.priority_groups import group_priorities  # the one grouping

    if not priorities or any(d.priority_rank is not None for d in decided):
        return []
    lines: list[str] = []
    for group in group_priorities(priorities)[:limit]:
        first = group.rows[0]
        ctrl = _field(first, "controller")
        label = _field(first, "touchpoint") or _field(first, "touchpoint_id")
        goals = ", ".join(group.goals)
        ranks = list(group.ranks)
        where = (
            f"priority {ranks[0]}"
            if len(ranks) == 1
            else (f"priorities {', '.join(str(r) for r in ranks[:-1])} and {ranks[-1]}")
        )
        if controlled(ctrl):
            how = f"the firm runs it: {_field(first, 'action')}"
        else:
            how = f"{ctrl}-run, so {INFLUENCE.get(str(ctrl), INFLUENCE['external'])}"
        lines.append(
            f"act first: '{label}' ({where} of the diagnosis; served poorly for detractors: "
            f"{goals}) — {how}"
        )
    if lines:
        lines.append(
            "these become started activities once the to-be archetype is set "
            "(the impact assessment decides how many the archetype carries)"
        )
    return lines


def controlled(controller: Any) -> bool:
    """Whether the firm controls a touchpoint (supplier-run, or not said)."""
    return controller in (None, "supplier") or (
        isinstance(controller, float) and np.isnan(controller)
    )


def _starts(
    assessment: Assessment,
    to_be: str | None,
    priorities: Sequence[Any],
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
    if limit and priorities:
        seen: set[str] = set()
        cells = []
        for p in sorted(priorities, key=lambda p: int(_field(p, "rank") or 0)):
            tp = str(_field(p, "touchpoint_id"))
            if tp in covered or tp in seen:
                continue
            seen.add(tp)
            cells.append(p)
        if to_be == "minimalist":  # hygiene factors only: what the firm runs itself
            cells = [p for p in cells if controlled(_field(p, "controller"))]
        # act first on what the firm controls; uncontrolled cells follow as influence
        cells.sort(key=lambda p: (not controlled(_field(p, "controller")), _field(p, "rank")))
        for p in cells[:limit]:
            ctrl = _field(p, "controller")
            own = controlled(ctrl)
            label = _field(p, "touchpoint") or _field(p, "touchpoint_id")
            value = _field(p, "value_at_risk")
            how = INFLUENCE.get(str(ctrl), INFLUENCE["external"])
            money = "" if not value else f"; annual value of the accounts behind it {value:,.0f}"
            what = (
                f"priority {_field(p, 'rank')} of the diagnosis: {_field(p, 'goal')} is served "
                f"poorly for detractors ({_field(p, 'poor')} of {_field(p, 'rated')} ratings)"
                f"{money}"
            )
            out.append(
                Decision(
                    activity_id=f"new-{_field(p, 'touchpoint_id')}",
                    name=(f"Improve '{label}'" if own else f"Influence '{label}' ({ctrl}-run)"),
                    decision="start",
                    reason=(
                        f"{what}; the firm runs it: {_field(p, 'action')}"
                        if own
                        else f"{what}; the firm does not control it: {how}"
                    ),
                    cost=None,
                    experience_change=None,
                    se=None,
                    touchpoints=(str(_field(p, "touchpoint_id")),),
                    controller=None if not isinstance(ctrl, str) else ctrl,
                    action="act" if own else "influence",
                    priority_rank=int(_field(p, "rank")),
                    value_at_stake=None if value is None else float(value),
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
                action="act",
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
                action="act",
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
