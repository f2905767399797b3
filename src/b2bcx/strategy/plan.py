"""The four-step CXM playbook (Wirtz et al. 2025, section 7.2) generated from the
workspace's own numbers:

1. understand customer goals and derive the value propositions (the profile);
2. identify the as-is archetype and a to-be aligned with impact, resources,
   context and results;
3. deploy activities that fit the to-be: start, keep and stop, from each
   activity's cost and the experience change at the touchpoints it covers;
4. monitor and adapt: what to watch, the triggers for a re-think (changing
   customer goals, competitor moves, drift in impact or scope) and the
   trajectory between archetypes.

The steps live in one module each: :mod:`~b2bcx.strategy.playbook_recommend`
(step 2 and the trajectory), :mod:`~b2bcx.strategy.playbook_activities` (step 3)
and :mod:`~b2bcx.strategy.playbook_monitor` (step 4); this module builds the
plan from them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from b2bcx.errors import B2bcxError, ConfigurationError
from b2bcx.measures.individual import resolve_as_of
from b2bcx.measures.keydrivers import KeyDriverResult, key_drivers
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank, item_bank
from b2bcx.strategy.assess import ARCHETYPES, Assessment, assess
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions
from b2bcx.strategy.playbook_activities import (
    Decision,
    act_first_lines,
    choose_metrics,
    decide_activities,
    decision_text,
)
from b2bcx.strategy.playbook_monitor import (
    Flip,
    Monitor,
    Trigger,
    drift_trigger,
    monitor_items,
    rethink_triggers,
)
from b2bcx.strategy.playbook_recommend import (
    TrajectoryStep,
    format_score,
    recommend_to_be,
    trace_trajectory,
)
from b2bcx.strategy.profile import Profile
from b2bcx.strategy.profile import profile as profile_of
from b2bcx.strategy.scope import segment_accounts

if TYPE_CHECKING:
    from b2bcx.diagnose.findings import Diagnosis, Priority

STEP_TITLES = (
    "Understand customer goals and derive the CXM value propositions",
    "Identify the archetype and align it with strategy, resources and context",
    "Deploy CXM activities that fit the archetype",
    "Monitor and adapt",
)


#: The moves between neighbouring archetypes (section 7.2 and 4.3).
@dataclass(frozen=True, kw_only=True)
class PlanStep:
    """One of the playbook's four steps: its number, title and the items under it."""

    step: int
    title: str
    items: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"step", "title", "items"}``."""
        return {"step": self.step, "title": self.title, "items": list(self.items)}

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The generated playbook (:func:`plan`).

    Attributes
    ----------
    as_is, to_be : str or None
        The archetype now and the one to move to (ids of :data:`ARCHETYPES`).
    argument : tuple of str
        Why the to-be (step 2).
    steps : tuple of PlanStep
        The four steps with their items.
    activities : tuple of Decision
        Start, keep or stop per activity (step 3).
    monitor : tuple of Monitor
        What to watch (step 4).
    triggers : tuple of Trigger
        Triggers for a re-think (step 4).
    trajectory : tuple of TrajectoryStep
        The path between archetypes.
    gaps : tuple of str
        What could not be assessed (``could_not_assess`` in the JSON).
    assessment, profile
        The assessment and profile the plan was built on.
    """

    as_is: str | None
    to_be: str | None
    argument: tuple[str, ...]
    steps: tuple[PlanStep, ...]
    activities: tuple[Decision, ...]
    monitor: tuple[Monitor, ...]
    triggers: tuple[Trigger, ...]
    trajectory: tuple[TrajectoryStep, ...]
    gaps: tuple[str, ...]
    assessment: Assessment = field(repr=False)
    profile: Profile = field(repr=False)
    segment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"as_is", "to_be", "argument", "steps", "activities", "monitor",
        "triggers", "trajectory", "could_not_assess", "segment"}``."""
        return {
            "as_is": self.as_is,
            "to_be": self.to_be,
            "argument": list(self.argument),
            "steps": [s.to_dict() for s in self.steps],
            "activities": [d.to_dict() for d in self.activities],
            "monitor": [m.to_dict() for m in self.monitor],
            "triggers": [t.to_dict() for t in self.triggers],
            "trajectory": [t.to_dict() for t in self.trajectory],
            "could_not_assess": list(self.gaps),
            "segment": self.segment,
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def plan(
    backend: Backend,
    answers: Answers | None = None,
    *,
    target: str | None = None,
    as_of: _dt.datetime | _dt.date | None = None,
    bank: ItemBank | None = None,
    options: StrategyOptions = DEFAULT_OPTIONS,
    previous: Answers | None = None,
    assessment: Assessment | None = None,
    profile: Profile | None = None,
    previous_assessment: Assessment | None = None,
    touchpoint_drivers: KeyDriverResult | None = None,
    priorities: Sequence[Priority] | None = None,
    diagnosis: Diagnosis | None = None,
    segment: str | None = None,
) -> Plan:
    """Generate the four-step plan; ``target`` sets the to-be archetype (one of
    ``champion``, ``cherry_picker``, ``minimalist``, ``fashionista``).

    ``previous``: an earlier assessment's answers (a saved one,
    :mod:`b2bcx.strategy.saved`); step 4 then reports how impact, the assessed
    scope and the archetype moved since, and fires when impact moved by
    ``options.impact_drift`` or more.

    ``assessment``, ``profile``, ``previous_assessment`` and
    ``touchpoint_drivers``: results already computed (``assess(backend, answers,
    as_of=..., bank=bank, options=options)``, ``profile(backend, as_of=...,
    options=options)``, ``assess(backend, previous, ...)`` and
    ``key_drivers(backend, drivers="touchpoints", as_of=...)``), used instead of
    computing them again. The caller is responsible for computing them on the
    same workspace, at the same as-of date and with the same answers, bank and
    options; they are used as given, not checked.

    ``priorities`` (or ``diagnosis``, whose ``priorities`` are used): the one
    ranked priority list of the diagnosis (:func:`b2bcx.diagnose.diagnose`),
    from which step 3's starts come — what the firm controls first, partner-,
    customer- and externally-run touchpoints as influence actions. Without
    either the diagnosis is run here. ``segment``: the plan of one market
    segment (``accounts.segment``; the assessment of that segment).

    Examples
    --------
    >>> import b2bcx
    >>> with b2bcx.open_workspace(":memory:") as ws:
    ...     p = plan(ws.backend)
    >>> p.as_is is None and len(p.steps) == 4
    True
    """
    if target is not None and target not in ARCHETYPES:
        raise ConfigurationError(
            f"unknown archetype {target!r}; choose from {', '.join(ARCHETYPES)}"
        )
    bank = bank or item_bank()
    stamp = resolve_as_of(backend, as_of)
    assessed = assessment or assess(
        backend, answers, as_of=stamp, bank=bank, options=options, segment=segment
    )
    prof = profile or profile_of(backend, as_of=stamp, options=options)
    gaps = list(prof.notes)
    if assessed.archetype is None:
        gaps.append(f"as-is archetype: {assessed.archetype_reason}")
    if assessed.results_strength is None:
        gaps.append(
            f"results: no outcomes with ≥ {options.min_events} accounts on each side "
            "to relate CX to (outcomes table)"
        )
    drivers = _drivers(backend, stamp) if touchpoint_drivers is None else touchpoint_drivers.table
    if drivers.empty:
        gaps.append("touchpoint priorities: too few people rated touchpoints for key drivers")
    ranked = _priorities(backend, stamp, priorities, diagnosis, segment)
    if not ranked:
        gaps.append("priorities: the diagnosis ranked no touchpoint × goal cell to start on")
    to_be, argument = recommend_to_be(assessed, target, drivers, options)
    decisions = decide_activities(assessed, to_be, ranked, answers, bank, options)
    argument += stake_lines(backend, assessed, decisions, segment)
    if not any(d.decision != "start" for d in decisions):
        gaps.append("no CXM activities running (activities table): nothing to keep or stop")
    metric_lines = choose_metrics(backend, assessed, to_be, stamp, options) if to_be else []
    monitor = monitor_items(assessed, prof, decisions, options)
    triggers = rethink_triggers(backend, assessed, bank, answers, stamp, options)
    if previous is not None and answers is not None:
        before = previous_assessment or assess(
            backend, previous, as_of=stamp, bank=bank, options=options
        )
        triggers.append(drift_trigger(before, assessed, previous, options))
    trajectory = trace_trajectory(assessed.archetype, to_be, assessed)
    items = (
        _step_goals(prof),
        argument,
        [decision_text(d) for d in decisions] + act_first_lines(ranked, decisions) + metric_lines,
        [m.text for m in monitor] + [t.text for t in triggers],
    )
    steps = tuple(
        PlanStep(step=number, title=title, items=tuple(lines))
        for number, (title, lines) in enumerate(zip(STEP_TITLES, items, strict=True), 1)
    )
    return Plan(
        as_is=assessed.archetype,
        to_be=to_be,
        argument=tuple(argument),
        steps=steps,
        activities=tuple(decisions),
        monitor=tuple(monitor),
        triggers=tuple(triggers),
        trajectory=tuple(trajectory),
        gaps=tuple(gaps),
        assessment=assessed,
        profile=prof,
        segment=segment,
    )


def _priorities(
    backend: Backend,
    as_of: _dt.datetime,
    priorities: Sequence[Priority] | None,
    diagnosis: Diagnosis | None,
    segment: str | None,
) -> list[Priority]:
    """The diagnosis' ranked priorities (given, from the given diagnosis, or
    computed), limited to the segment's accounts' touchpoints when a segment is
    planned (the ranking is the diagnosis')."""
    if priorities is None and diagnosis is not None:
        priorities = diagnosis.priorities
    if priorities is None:
        from b2bcx.diagnose import diagnose

        try:
            priorities = diagnose(backend, as_of=as_of).priorities
        except (B2bcxError, ValueError, np.linalg.LinAlgError):
            priorities = ()
    out = list(priorities)
    if segment is not None:
        accounts = set(segment_accounts(backend, segment) or [])
        f = backend.table("interactions").select("touchpoint_id", "stakeholder_id")
        people = backend.table("stakeholders").select("stakeholder_id", "account_id")
        met = f.inner_join(people, "stakeholder_id").to_pandas()
        tps = set(met.loc[met.account_id.isin(accounts), "touchpoint_id"].dropna())
        out = [p for p in out if p.touchpoint_id in tps]
    return out


def stake_lines(
    backend: Backend, assessed: Assessment, decisions: list[Decision], segment: str | None
) -> list[str]:
    """What is at stake in money where annual value exists."""
    acc = backend.table("accounts").select("account_id", "annual_value").to_pandas()
    accounts = segment_accounts(backend, segment)
    if accounts is not None:
        acc = acc[acc.account_id.isin(set(accounts))]
    total = float(acc.annual_value.dropna().sum()) if not acc.empty else 0.0
    if total <= 0:
        return []
    starts = [d for d in decisions if d.value_at_stake]
    lines = [f"At stake: the portfolio's annual value is {total:,.0f}."]
    if starts:
        top = max(float(d.value_at_stake or 0.0) for d in starts)
        lines.append(
            f"The priorities started below concern accounts worth up to {top:,.0f} a year "
            f"({top / total:.0%} of the portfolio's annual value)."
        )
    costs = sum(d.cost or 0.0 for d in decisions if d.decision != "start")
    if costs:
        lines.append(
            f"Running CXM activities cost {costs:,.0f} a year ({costs / total:.1%} of "
            "annual value)."
        )
    return lines


def _drivers(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Touchpoint key drivers of NPS (empty when the data cannot carry them)."""
    try:
        table = key_drivers(backend, drivers="touchpoints", n_boot=0, as_of=as_of).table
    except (B2bcxError, ValueError, np.linalg.LinAlgError):
        return pd.DataFrame(columns=["driver", "label", "share", "performance", "quadrant"])
    return table


def _step_goals(prof: Profile) -> list[str]:
    rows = prof.rows.dropna(subset=["importance"])
    if rows.empty:
        return [
            "Ask stakeholders which goals matter (goals table): what customers seek is unknown."
        ]
    items = []
    top = rows.sort_values("importance", ascending=False).head(2)
    items.append(
        "Customers seek most: "
        + ", ".join(
            f"{r.goal} ({r.goal_level}, {r.value_proposition} CX; importance {r.importance:.2f}/5, "
            f"{r.n} people)"
            for r in top.itertuples()
        )
        + "."
    )
    gaps = rows.dropna(subset=["gap"]).sort_values("gap", ascending=False)
    if not gaps.empty and gaps.gap.iloc[0] > 0:
        g = gaps.iloc[0]
        items.append(
            f"Largest gap: {g.goal} — sought {g.importance:.2f}, delivered "
            f"{g.rating:.2f} (1–5): strengthen the {g.value_proposition} value "
            "proposition there."
        )
    vp = prof.value_propositions.dropna(subset=["importance"]).sort_values(
        "importance", ascending=False
    )
    if not vp.empty:
        lead = vp.iloc[0]
        items.append(
            f"Lead value proposition: {lead.value_proposition} CX (importance "
            f"{lead.importance:.2f}, delivered {format_score(lead.rating)})."
        )
    text = rows.dropna(subset=["text_share"])
    if not text.empty:
        t = text.sort_values("text_share", ascending=False).iloc[0]
        items.append(
            f"Comments speak most of {t.goal} ({t.text_share:.0%} of {int(t.n_text):,} "
            "analysed comments)."
        )
    for c in prof.conflicts.head(2).itertuples():
        items.append(
            f"Goal conflict to reconcile ({c.kind}, strength {c.strength:.1f}): "
            f"{c.summary}: craft a proposition for each group."
        )
    return items


__all__ = [
    "Decision",
    "Flip",
    "Monitor",
    "Plan",
    "PlanStep",
    "TrajectoryStep",
    "Trigger",
    "plan",
]
