"""The four-step CXM playbook (Wirtz et al. 2025, section 7.2) as a plan generated
from the workspace's own numbers:

1. customer goals and the value propositions that follow (the profile);
2. the as-is archetype and a recommended to-be, argued from impact, resources
   and results;
3. activities to start, keep and stop, from their cost and the experience change
   where they run, and the priorities no activity covers;
4. what to monitor and the triggers for a re-think, with the trajectory between
   archetypes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from b2bcx.errors import ConfigurationError
from b2bcx.measures.individual import resolve_as_of
from b2bcx.measures.keydrivers import FIX_FIRST, key_drivers
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers
from b2bcx.strategy.assess import ARCHETYPES, BOUNDARY, Assessment, assess
from b2bcx.strategy.profile import Profile, profile
from b2bcx.strategy.scope import observed_scope

#: An activity whose experience change (0–100 points, difference in differences)
#: is at least this keeps its place; at or below zero it is a candidate to stop.
KEEP_CHANGE = 2.0


@dataclass
class Plan:
    """The generated playbook."""

    as_is: str | None
    to_be: str | None
    argument: list[str]
    steps: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    monitor: list[str]
    triggers: list[str]
    trajectory: list[str]
    gaps: list[str]
    assessment: Assessment
    profile: Profile

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON."""
        return {
            "as_is": self.as_is, "to_be": self.to_be, "argument": self.argument,
            "steps": self.steps, "activities": self.activities, "monitor": self.monitor,
            "triggers": self.triggers, "trajectory": self.trajectory,
            "could_not_assess": self.gaps,
        }  # fmt: skip


def plan(
    backend: Backend,
    answers: Answers | None = None,
    *,
    target: str | None = None,
    as_of: _dt.datetime | _dt.date | None = None,
) -> Plan:
    """Generate the four-step plan (``target``: force the to-be archetype)."""
    if target is not None and target not in ARCHETYPES:
        raise ConfigurationError(
            f"unknown archetype {target!r}; choose from {', '.join(ARCHETYPES)}"
        )
    stamp = resolve_as_of(backend, as_of)
    a = assess(backend, answers, as_of=stamp)
    prof = profile(backend, as_of=stamp)
    gaps: list[str] = list(prof.notes)
    if a.archetype is None:
        gaps.append(f"as-is archetype: {a.archetype_reason}")
    to_be, argument = _recommend(a, target)
    step1 = _step_goals(prof)
    decisions, starts = _activities(backend, a, to_be, stamp)
    if not decisions:
        gaps.append("no CXM activities recorded (activities table): nothing to keep or stop")
    monitor, triggers = _monitor(backend, a, prof, to_be, stamp)
    trajectory = _trajectory(a.archetype, to_be)
    steps = [
        {"step": 1, "title": "Understand customer goals and craft value propositions",
         "items": step1},
        {"step": 2, "title": "Identify the archetype and align it with strategy and resources",
         "items": argument},
        {"step": 3, "title": "Deploy CXM activities that fit the archetype",
         "items": [_decision_text(d) for d in decisions] + starts},
        {"step": 4, "title": "Monitor and adapt", "items": monitor + triggers},
    ]  # fmt: skip
    return Plan(a.archetype, to_be, argument, steps, decisions, monitor, triggers, trajectory,
                gaps, a, prof)  # fmt: skip


def _name(archetype: str | None) -> str:
    return ARCHETYPES.get(archetype or "", "unknown")


def _recommend(a: Assessment, target: str | None) -> tuple[str | None, list[str]]:
    """The to-be archetype and the argument for it."""
    lines: list[str] = []
    if a.archetype is not None:
        lines.append(f"As-is: {_name(a.archetype)} — impact {a.impact:.0f}/100, scope "
                     f"{a.scope:.0f}/100 (assessed {a.scope_assessed if a.scope_assessed is not None else 'n/a'}, "  # noqa: E501
                     f"observed {a.scope_observed:.0f}); {'a clear' if (a.margin or 0) >= 10 else 'a close'} "  # noqa: E501
                     f"call, {a.margin:.0f} points from the nearest boundary.")  # fmt: skip
    strength = a.results_strength
    if strength is not None:
        lines.append(f"Results: CX relates to outcomes with strength {strength:.2f} (0–1): "
                     + "; ".join(r.detail for r in a.relations) + ".")  # fmt: skip
    disagree = [d["dimension"] for d in a.scope_dimensions if d["disagree"]]
    if disagree:
        lines.append("The firm's view of its scope disagrees with its data on "
                     + ", ".join(disagree) + ".")  # fmt: skip
    if target is not None:
        lines.append(f"To-be set by management: {_name(target)}.")
        return target, lines
    if a.impact is None:
        lines.append("No to-be archetype without an impact assessment: answer the "
                     "questionnaire first.")  # fmt: skip
        return None, lines
    high = a.impact >= BOUNDARY or (strength is not None and strength >= 0.5)
    rich = a.resources is None or a.resources >= BOUNDARY
    if high and rich:
        to_be = "champion"
        why = "CX is a source of advantage here and the firm has the resources to cover it broadly"
    elif high:
        to_be = "cherry_picker"
        why = (
            "CX matters for advantage but resources are limited: focus on the touchpoints that pay"
        )
    else:
        to_be = "minimalist"
        why = ("CX is not where this firm wins: keep the hygiene factors right and spend the "
               "rest on its real levers")  # fmt: skip
    if a.impact < BOUNDARY and high:
        why += f" (impact is assessed at {a.impact:.0f}, but the outcomes in the data argue higher)"
    lines.append(f"To-be: {_name(to_be)}, because {why}.")
    if a.archetype == "fashionista":
        lines.append("A Fashionista is the least effective posture: cut the flurry of activities "
                     "back to those with measurable returns.")  # fmt: skip
    return to_be, lines


def _step_goals(prof: Profile) -> list[str]:
    rows = prof.rows.dropna(subset=["importance"])
    items = []
    if rows.empty:
        return [
            "Ask stakeholders which goals matter (goals table): what customers seek is unknown."
        ]
    top = rows.sort_values("importance", ascending=False).head(2)
    items.append("Customers seek most: " + ", ".join(
        f"{r.goal} ({r.value_proposition}, {r.goal_level}, importance {r.importance:.2f}/5)"
        for r in top.itertuples()) + ".")  # fmt: skip
    gaps = rows.dropna(subset=["gap"]).sort_values("gap", ascending=False)
    if not gaps.empty and gaps.gap.iloc[0] > 0:
        g = gaps.iloc[0]
        items.append(f"Largest gap: {g.goal} — sought {g.importance:.2f}, delivered "
                     f"{g.rating:.2f} (1–5): strengthen the {g.value_proposition} value "
                     "proposition here.")  # fmt: skip
    vp = prof.value_propositions.dropna(subset=["importance"]).sort_values(
        "importance", ascending=False)  # fmt: skip
    if not vp.empty:
        lead = vp.iloc[0]
        items.append(f"Lead value proposition: {lead.value_proposition} CX "
                     f"(importance {lead.importance:.2f}).")  # fmt: skip
    if not prof.conflicts.empty:
        c = prof.conflicts.iloc[0]
        items.append(f"Goal conflict to reconcile: {c.summary} (strength {c.strength:.1f}).")
    return items


def _activities(
    backend: Backend, a: Assessment, to_be: str | None, as_of: _dt.datetime
) -> tuple[list[dict[str, Any]], list[str]]:
    """Start / keep / stop per activity, and starts for uncovered priorities."""
    narrow = to_be in ("cherry_picker", "minimalist")
    acts = pd.DataFrame(a.activities)
    decisions: list[dict[str, Any]] = []
    costs = acts.annual_cost.dropna() if not acts.empty else pd.Series(dtype=float)
    median_cost = float(costs.median()) if not costs.empty else 0.0
    for r in acts.to_dict("records") if not acts.empty else []:
        ended = r.get("ended_at") is not None and pd.Timestamp(r["ended_at"]) < pd.Timestamp(as_of)
        if ended:
            continue
        change = r.get("experience_change")
        change = None if change is None or pd.isna(change) else float(change)
        cost = float(r.get("annual_cost") or 0.0)
        cost = 0.0 if pd.isna(cost) else cost
        if change is None:
            decision = "stop" if narrow and cost > median_cost else "keep"
            reason = (f"no measurable experience change ({r.get('reason')}); "
                      + ("costly for a narrow posture" if decision == "stop"
                         else "measure it before deciding"))  # fmt: skip
        elif change >= KEEP_CHANGE:
            decision, reason = "keep", f"experience +{change:.1f} points where it runs"
        elif change <= 0 and (narrow or cost >= median_cost):
            decision, reason = "stop", f"experience {change:+.1f} points where it runs"
        else:
            decision = "keep"
            reason = f"experience {change:+.1f} points; review its return within a year"
        decisions.append({"activity_id": r["activity_id"], "name": r.get("name"),
                          "decision": decision, "reason": reason, "cost": cost,
                          "experience_change": change,
                          "points_per_100k": None if not change or not cost
                          else round(change / cost * 100_000, 2)})  # fmt: skip
    starts: list[str] = []
    covered = {t for x in acts.to_dict("records") for t in (x.get("reach") or "").split(", ")} \
        if not acts.empty else set()  # fmt: skip
    try:
        drivers = key_drivers(backend, drivers="touchpoints", n_boot=0, as_of=as_of).table
    except Exception:
        drivers = pd.DataFrame()
    if not drivers.empty:
        fix = drivers[(drivers.quadrant == FIX_FIRST) & ~drivers.driver.isin(covered)]
        limit = 2 if narrow else 4
        for row in fix.sort_values("share", ascending=False).head(limit).to_dict("records"):
            label = row.get("label") or row["driver"]
            starts.append(f"start: an activity at '{label}' ({row['driver']}) — it drives "
                          f"{row['share']:.0%} of explained NPS and performs at "
                          f"{row['performance']:.0f}/100, and no activity covers it")  # fmt: skip
    if to_be == "cherry_picker":
        best = [
            d
            for d in decisions
            if d["decision"] == "keep" and (d["experience_change"] or 0) >= KEEP_CHANGE
        ]
        owner = next((r.get("owner_unit") for r in a.activities if r.get("owner_unit")), None)
        starts.append(
            f"name an owner for CXM ({owner or 'a CX manager'}) and track a few "
            "metrics: NPS and CX at the touchpoints kept"
            + (f" ({', '.join(d['activity_id'] for d in best)})" if best else "")
        )
    return decisions, starts


def _decision_text(d: dict[str, Any]) -> str:
    name = d["name"] or d["activity_id"]
    return f"{d['decision']}: {name} ({d['cost']:,.0f} a year) — {d['reason']}"


def _monitor(
    backend: Backend, a: Assessment, prof: Profile, to_be: str | None, as_of: _dt.datetime
) -> tuple[list[str], list[str]]:
    monitor = []
    rows = prof.rows.dropna(subset=["importance"])
    if not rows.empty:
        top = rows.sort_values("importance", ascending=False).iloc[0]
        monitor.append(f"monitor: importance of {top.goal} (now {top.importance:.2f}/5) in each "
                       "goals survey wave")  # fmt: skip
    monitor.append(
        f"monitor: observed CXM scope (now {a.scope_observed:.0f}/100) every quarter"
        if a.scope_observed is not None
        else "monitor: observed CXM scope quarterly"
    )
    for r in a.relations[:2]:
        monitor.append(f"monitor: {r.outcome} against CX ({r.statistic} now {r.value})")
    triggers = ["re-think when the importance of a goal moves by ≥ 0.75 (1–5) between waves "
                "(b2bcx diagnose --challenge C5 reports it)",
                "re-think when a competitor moves or rivalry, switching barriers or "
                "technological differentiation change: re-answer the impact items"]  # fmt: skip
    year_ago = as_of - _dt.timedelta(days=365)
    try:
        before = observed_scope(backend, as_of=year_ago).score
    except Exception:
        before = None
    if before is not None and a.scope_observed is not None:
        drift = a.scope_observed - before
        triggers.append(f"scope drifted {drift:+.0f} points over the last year "
                        f"({before:.0f} → {a.scope_observed:.0f}); re-think if it moves ≥ 10 "
                        "points away from the to-be posture")  # fmt: skip
    if to_be is not None and a.impact is not None:
        triggers.append(f"re-assess impact yearly: at {a.impact:.0f} it is "
                        f"{abs(a.impact - BOUNDARY):.0f} points from the line between "
                        "high and low impact")  # fmt: skip
    return monitor, triggers


def _trajectory(as_is: str | None, to_be: str | None) -> list[str]:
    if as_is is None or to_be is None:
        return []
    if as_is == to_be:
        return [_name(as_is) + " (hold the position)"]
    path = [as_is]
    if {as_is, to_be} == {"minimalist", "champion"}:
        path.append("cherry_picker")  # widen scope only once impact is proven
    if as_is == "fashionista" and to_be == "champion":
        path.append("cherry_picker")  # first focus, then roll out what works
    path.append(to_be)
    return [_name(p) for p in path]
