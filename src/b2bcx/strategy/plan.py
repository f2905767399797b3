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
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from b2bcx.convert import plain_dict
from b2bcx.errors import B2bcxError, ConfigurationError
from b2bcx.measures.individual import resolve_as_of
from b2bcx.measures.keydrivers import FIX_FIRST, KeyDriverResult, key_drivers
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank, item_bank
from b2bcx.strategy.assess import ARCHETYPES, HYGIENE_KINDS, Assessment, assess
from b2bcx.strategy.evidence import outcome_relations, results_strength
from b2bcx.strategy.options import DEFAULT_OPTIONS, StrategyOptions
from b2bcx.strategy.profile import Profile, latest_importance
from b2bcx.strategy.profile import profile as profile_of
from b2bcx.strategy.scope import observed_scope

STEP_TITLES = (
    "Understand customer goals and derive the CXM value propositions",
    "Identify the archetype and align it with strategy, resources and context",
    "Deploy CXM activities that fit the archetype",
    "Monitor and adapt",
)
#: The moves between neighbouring archetypes (section 7.2 and 4.3).
MOVES: dict[tuple[str, str], str] = {
    ("fashionista", "cherry_picker"): "narrow the scope: stop the activities without return, "
    "define a small set of effective metrics, appoint a CX manager",
    ("fashionista", "minimalist"): "cut back to the hygiene factors and the feedback system",
    ("cherry_picker", "champion"): "roll out what worked to more touchpoints, journeys and "
    "stakeholders; detailed dashboards; tie incentives to CX",
    ("minimalist", "cherry_picker"): "prove that CX pays on a few critical touchpoints, with "
    "top-management attention",
    ("champion", "cherry_picker"): "focus the roll-out on the touchpoints with the highest return",
    ("cherry_picker", "minimalist"): "keep the hygiene factors; release the rest of the budget",
    ("minimalist", "fashionista"): "broaden the scope (not advised: the least effective posture)",
    ("cherry_picker", "fashionista"): "broaden without impact (not advised)",
    ("champion", "fashionista"): "keep the scope while impact falls (not advised)",
    ("fashionista", "champion"): "raise impact: top management makes CX a source of advantage",
    ("minimalist", "champion"): "raise impact and broaden scope",
    ("champion", "minimalist"): "narrow the scope and step back from CX as a lever",
}
#: Where a move goes through a third archetype (one axis at a time).
VIA: dict[tuple[str, str], str] = {
    ("minimalist", "champion"): "cherry_picker",
    ("fashionista", "champion"): "cherry_picker",
    ("champion", "minimalist"): "cherry_picker",
}


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


@dataclass(frozen=True, kw_only=True)
class Monitor:
    """What to watch (step 4), its value now and the sentence saying so."""

    what: str
    now: float | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """``{"what", "now", "text"}``."""
        return plain_dict({"what": self.what, "now": self.now, "text": self.text})

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Flip:
    """An answer to a contextual factor that, alone, would move impact across the
    boundary: the item, its answer now and the answer at which the call flips."""

    item: str
    answer: float
    flips_at: float

    def to_dict(self) -> dict[str, Any]:
        """``{"item", "answer", "flips_at"}``."""
        return plain_dict({"item": self.item, "answer": self.answer, "flips_at": self.flips_at})

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """A trigger for a re-think (step 4): its value now, its threshold and whether
    it fired (None when it cannot be told).

    ``since`` (drift in impact only): the date of the earlier assessment compared;
    ``flips`` (competitor moves with an impact score only): the answers that would
    flip the call. Both are left out of :meth:`to_dict` when None.
    """

    trigger: str
    now: float | None
    threshold: float | None
    fired: bool | None
    since: str | None = None
    flips: tuple[Flip, ...] | None = None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """``{"trigger", "now", "threshold", "fired", ["since",] ["flips",] "text"}``."""
        out: dict[str, Any] = {
            "trigger": self.trigger,
            "now": self.now,
            "threshold": self.threshold,
            "fired": self.fired,
        }
        if self.since is not None:
            out["since"] = self.since
        if self.flips is not None:
            out["flips"] = [f.to_dict() for f in self.flips]
        out["text"] = self.text
        return plain_dict(out)

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class TrajectoryStep:
    """One archetype on the path from the as-is to the to-be, and the move to it."""

    archetype: str
    label: str
    move: str

    def to_dict(self) -> dict[str, Any]:
        """``{"archetype", "label", "move"}``."""
        return {"archetype": self.archetype, "label": self.label, "move": self.move}

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

    def to_dict(self) -> dict[str, Any]:
        """``{"as_is", "to_be", "argument", "steps", "activities", "monitor",
        "triggers", "trajectory", "could_not_assess"}``."""
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
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


def _label(archetype: str | None) -> str:
    return ARCHETYPES.get(archetype or "", "unknown")


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
    a = assessment or assess(backend, answers, as_of=stamp, bank=bank, options=options)
    prof = profile or profile_of(backend, as_of=stamp, options=options)
    gaps = list(prof.notes)
    if a.archetype is None:
        gaps.append(f"as-is archetype: {a.archetype_reason}")
    if a.results_strength is None:
        gaps.append(
            f"results: no outcomes with ≥ {options.min_events} accounts on each side "
            "to relate CX to (outcomes table)"
        )
    drivers = _drivers(backend, stamp) if touchpoint_drivers is None else touchpoint_drivers.table
    if drivers.empty:
        gaps.append("touchpoint priorities: too few people rated touchpoints for key drivers")
    to_be, argument = _recommend(a, target, drivers, options)
    decisions = _decide(a, to_be, drivers, answers, bank, options)
    if not any(d.decision != "start" for d in decisions):
        gaps.append("no CXM activities running (activities table): nothing to keep or stop")
    metric_lines = _metrics(backend, a, to_be, stamp, options) if to_be else []
    monitor = _monitor(a, prof, decisions, options)
    triggers = _triggers(backend, a, bank, answers, stamp, options)
    if previous is not None and answers is not None:
        before = previous_assessment or assess(
            backend, previous, as_of=stamp, bank=bank, options=options
        )
        triggers.append(_drift_trigger(before, a, previous, options))
    trajectory = _trajectory(a.archetype, to_be, a)
    items = (
        _step_goals(prof),
        argument,
        [_decision_text(d) for d in decisions] + metric_lines,
        [m.text for m in monitor] + [t.text for t in triggers],
    )
    steps = tuple(
        PlanStep(step=number, title=title, items=tuple(lines))
        for number, (title, lines) in enumerate(zip(STEP_TITLES, items, strict=True), 1)
    )
    return Plan(
        as_is=a.archetype,
        to_be=to_be,
        argument=tuple(argument),
        steps=steps,
        activities=tuple(decisions),
        monitor=tuple(monitor),
        triggers=tuple(triggers),
        trajectory=tuple(trajectory),
        gaps=tuple(gaps),
        assessment=a,
        profile=prof,
    )


def _drivers(backend: Backend, as_of: _dt.datetime) -> pd.DataFrame:
    """Touchpoint key drivers of NPS (empty when the data cannot carry them)."""
    try:
        table = key_drivers(backend, drivers="touchpoints", n_boot=0, as_of=as_of).table
    except (B2bcxError, ValueError, np.linalg.LinAlgError):
        return pd.DataFrame(columns=["driver", "label", "share", "performance", "quadrant"])
    return table


def _concentration(drivers: pd.DataFrame) -> float | None:
    """Share of explained NPS carried by the top fifth of the touchpoints."""
    if drivers.empty or len(drivers) < 5:
        return None
    shares = drivers.share.sort_values(ascending=False).to_numpy(float)
    top = max(1, round(len(shares) / 5))
    return float(shares[:top].sum() / shares.sum()) if shares.sum() > 0 else None


def _recommend(
    a: Assessment, target: str | None, drivers: pd.DataFrame, o: StrategyOptions
) -> tuple[str | None, list[str]]:
    """The to-be archetype and the argument for it (impact, resources, results,
    the concentration of what drives NPS)."""
    lines: list[str] = []
    imp, scope = a.impact.score, a.scope
    if a.archetype is not None and imp is not None and scope is not None:
        lines.append(
            f"As-is: {_label(a.archetype)} — impact {imp:.2f} (top-management view "
            f"{a.impact.perception:.2f}, context {a.impact.context:.2f}), scope {scope:.2f} "
            f"(self {_fmt(a.scope_self)}, data {_fmt(a.scope_data)}); "
            f"{'a clear call' if a.clear else 'a close call'}, {a.margin:.2f} from the nearest "
            "boundary."
        )
    elif a.scope_data is not None:
        lines.append(
            f"As-is: not called ({a.archetype_reason}); the data show scope {a.scope_data:.2f}."
        )
    if a.misperception:
        lines.append(
            f"Top management's view of CX ({a.impact.perception:.2f}) and the "
            f"contextual factors ({a.impact.context:.2f}) disagree: a possible "
            "misperception of CXM impact to settle before choosing (Table 4)."
        )
    disagree = [d for d in a.scope_dimensions if d["disagree"]]
    if disagree:
        lines.append(
            "The firm sees its scope differently from its data on "
            + ", ".join(
                f"{d['dimension']} (self {d['self']:.2f}, data {d['data']:.2f})" for d in disagree
            )
            + "."
        )
    strength = a.results_strength
    strong = strength is not None and strength >= o.strong_results
    if strength is not None:
        lines.append(
            f"Results: CX relates to outcomes with strength {strength:.2f} — "
            + "; ".join(r.detail for r in a.relations)
            + "."
        )
    conc = _concentration(drivers)
    focused = conc is not None and conc >= 0.5
    if conc is not None:
        lines.append(
            f"The top fifth of the touchpoints carries {conc:.0%} of explained NPS: "
            + (
                "returns concentrate on a few touchpoints."
                if focused
                else "returns are spread across the journey."
            )
        )
    if a.resources is not None:
        lines.append(f"Resources for CXM: {a.resources:.2f} (answer to resources).")
    if target is not None:
        lines.append(
            f"To-be set by management: {_label(target)}."
            + (
                " The paper calls it the least effective posture; the plan follows it "
                "but argues against it."
                if target == "fashionista"
                else ""
            )
        )
        return target, lines
    if imp is None:
        lines.append(
            "No to-be without an impact assessment: answer the impact items (--answers "
            "FILE); the activities below are judged on their returns alone."
        )
        return None, lines
    high = imp >= o.boundary
    rich = a.resources is None or a.resources >= o.boundary
    if high and rich and not focused:
        to_be = "champion"
        why = (
            "CX is a source of advantage here"
            + (", results confirm it" if strong else "")
            + (
                ", and the resources allow a broad roll-out"
                if a.resources is not None
                else " (resources not answered: check them before a broad roll-out)"
            )
        )
    elif high:
        to_be = "cherry_picker"
        why = "CX matters for advantage, but " + (
            "resources are limited" if not rich else "the returns sit on a few touchpoints"
        )
    elif strong:
        to_be = "cherry_picker"
        why = (
            f"impact is seen as low ({imp:.2f}), but CX relates to outcomes with strength "
            f"{strength:.2f}: prove it on a few critical touchpoints first"
        )
    else:
        to_be = "minimalist"
        why = (
            "CX is not where this firm wins: keep the hygiene factors right and invest in "
            "its real levers"
        )
    lines.append(f"To-be: {_label(to_be)}, because {why}.")
    if a.archetype == "fashionista":
        lines.append(
            "The Fashionista is the least effective posture (4.3.4): cut the flurry of "
            "activities back to those with a measurable return."
        )
    return to_be, lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


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
            f"{lead.importance:.2f}, delivered {_fmt(lead.rating)})."
        )
    text = rows.dropna(subset=["text_share"])
    if not text.empty:
        t = text.sort_values("text_share", ascending=False).iloc[0]
        items.append(
            f"Comments speak most of {t.goal} ({t.text_share:.0%} of {t.n_text} analysed comments)."
        )
    for c in prof.conflicts.head(2).itertuples():
        items.append(
            f"Goal conflict to reconcile ({c.kind}, strength {c.strength:.1f}): "
            f"{c.summary}: craft a proposition for each group."
        )
    return items


def _decide(
    a: Assessment,
    to_be: str | None,
    drivers: pd.DataFrame,
    answers: Answers | None,
    bank: ItemBank,
    o: StrategyOptions,
) -> list[Decision]:
    """Start / keep / stop per running activity, and starts the to-be calls for."""
    day = pd.Timestamp(a.as_of)
    running = [
        r for r in a.activities if r.get("ended_at") is None or pd.Timestamp(r["ended_at"]) >= day
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
            elif change - band > 0 and change >= o.keep_change:
                decision, reason = "keep", f"{said}: a proven gain"
            elif to_be == "champion" or to_be == "fashionista" or to_be is None:
                decision, reason = "keep", f"{said}: no proven gain yet; review within a year"
            elif to_be == "minimalist" and hygiene:
                decision, reason = "keep", f"{said}: a hygiene activity"
            elif change >= o.keep_change and not costly:
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
    out += _starts(a, to_be, drivers, out, answers, bank, o)
    return out


def _starts(
    a: Assessment,
    to_be: str | None,
    drivers: pd.DataFrame,
    decided: list[Decision],
    answers: Answers | None,
    bank: ItemBank,
    o: StrategyOptions,
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
    governed = any(r.get("kind") == "governance" for r in a.activities)
    if to_be == "cherry_picker" and (owner_score is None or owner_score < o.boundary):
        units = sorted({str(r["owner_unit"]) for r in a.activities if r.get("owner_unit")})
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


def _decision_text(d: Decision) -> str:
    cost = "" if d.cost is None else f" ({d.cost:,.0f} a year)"
    return f"{d.decision}: {d.name or d.activity_id}{cost} — {d.reason}"


def _metrics(
    backend: Backend, a: Assessment, to_be: str, as_of: _dt.datetime, o: StrategyOptions
) -> list[str]:
    """Which metrics to keep: how strongly each relates to outcomes (Cherry Picker:
    "a small set of effective CX metrics"; Champion: detailed dashboards)."""
    coverage = a.observed.metric_coverage if a.observed else {}
    metrics = [m for m in ("cx", "nps", "csat", "ces") if m in coverage]
    if not metrics or to_be not in ("cherry_picker", "champion", "minimalist"):
        return []
    strength = {}
    for m in metrics:
        s = results_strength(outcome_relations(backend, as_of, metric=m), o.min_events)
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


def _monitor(
    a: Assessment, prof: Profile, decisions: list[Decision], o: StrategyOptions
) -> list[Monitor]:
    out = []
    rows = prof.rows.dropna(subset=["importance"]).sort_values("importance", ascending=False)
    for r in rows.head(2).to_dict("records"):
        out.append(
            Monitor(
                what=f"importance of {r['goal']}",
                now=round(float(r["importance"]), 2),
                text=f"monitor: importance of {r['goal']} (now {r['importance']:.2f}/5 from "
                f"{r['n']} people) in each goals survey wave",
            )
        )
    gaps = prof.rows.dropna(subset=["gap"]).sort_values("gap", ascending=False)
    if not gaps.empty and gaps.gap.iloc[0] > 0:
        g = gaps.iloc[0]
        out.append(
            Monitor(
                what=f"gap on {g.goal}",
                now=round(float(g.gap), 2),
                text=f"monitor: the gap on {g.goal} (sought {g.importance:.2f}, "
                f"delivered {g.rating:.2f}) until it closes",
            )
        )
    if a.scope_data is not None:
        weakest = min(
            (d for d in a.scope_dimensions if d["data"] is not None), key=lambda d: d["data"]
        )
        out.append(
            Monitor(
                what="observed scope",
                now=round(a.scope_data, 3),
                text=f"monitor: observed CXM scope (now {a.scope_data:.2f}; weakest "
                f"{weakest['dimension']} {weakest['data']:.2f}) every quarter",
            )
        )
    for rel in a.relations:
        if min(rel.events, rel.accounts - rel.events) >= o.min_events:
            out.append(
                Monitor(
                    what=f"{rel.outcome} vs CX",
                    now=rel.value,
                    text=f"monitor: {rel.outcome} against account CX ({rel.statistic} now "
                    f"{rel.value:.2f}, {rel.events} of {rel.accounts} accounts)",
                )
            )
    for d in decisions:
        if d.decision == "keep" and d.experience_change is not None:
            out.append(
                Monitor(
                    what=f"experience change of {d.activity_id}",
                    now=d.experience_change,
                    text=f"monitor: {d.name} — experience {d.experience_change:+.1f} "
                    "points where it runs; stop it if no gain shows by the next review",
                )
            )
    return out


def _triggers(
    backend: Backend,
    a: Assessment,
    bank: ItemBank,
    answers: Answers | None,
    as_of: _dt.datetime,
    o: StrategyOptions,
) -> list[Trigger]:
    """Triggers for a re-think, each with its current value and whether it fired."""
    out: list[Trigger] = []
    year_ago = as_of - _dt.timedelta(days=o.window_days)
    now_imp = latest_importance(backend, as_of)
    before = latest_importance(backend, year_ago)
    if not now_imp.empty and not before.empty:
        shift = (
            now_imp.groupby("goal").importance.mean() - before.groupby("goal").importance.mean()
        ).dropna()
        if not shift.empty:
            goal = str(shift.abs().idxmax())
            value = float(shift[goal])
            fired = abs(value) >= o.goal_shift
            out.append(
                Trigger(
                    trigger="changing customer goals",
                    now=round(value, 2),
                    threshold=o.goal_shift,
                    fired=fired,
                    text=f"trigger: customer goals — {goal} importance moved {value:+.2f} "
                    f"over the last {o.window_days} days (re-think at ±{o.goal_shift})"
                    + (": FIRED" if fired else ""),
                )
            )
    else:
        out.append(
            Trigger(
                trigger="changing customer goals",
                now=None,
                threshold=o.goal_shift,
                fired=None,
                text="trigger: customer goals — ask the goals survey at least twice a "
                f"year apart to see them move (re-think at ±{o.goal_shift})",
            )
        )
    if a.scope_data is not None:
        past = observed_scope(backend, as_of=year_ago, options=o).score
        if past is not None:
            drift = a.scope_data - past
            fired = abs(drift) >= o.scope_drift
            out.append(
                Trigger(
                    trigger="drift in scope",
                    now=round(drift, 3),
                    threshold=o.scope_drift,
                    fired=fired,
                    text=f"trigger: scope drift — observed scope {past:.2f} → "
                    f"{a.scope_data:.2f} over the year (re-think at "
                    f"±{o.scope_drift})" + (": FIRED" if fired else ""),
                )
            )
    out += _impact_triggers(a, bank, answers, o)
    if a.misperception:
        out.append(
            Trigger(
                trigger="misperceived impact",
                now=round((a.impact.perception or 0) - (a.impact.context or 0), 3),
                threshold=o.misperception,
                fired=True,
                text="trigger: the top-management view and the context disagree: re-assess "
                "impact with the wider leadership team: FIRED",
            )
        )
    return out


def _drift_trigger(
    before: Assessment, now: Assessment, previous: Answers, o: StrategyOptions
) -> Trigger:
    """How the firm's own view moved since an earlier assessment (same data, so
    the change is the answers')."""
    when = f"{previous.answered_on:%Y-%m-%d}" if previous.answered_on else "the last one"
    b, n = before.impact.score, now.impact.score
    if b is None or n is None:
        return Trigger(
            trigger="drift in impact",
            now=None,
            threshold=o.impact_drift,
            fired=None,
            since=when,
            text=f"trigger: drift in impact — the assessment of {when} or this one "
            "lacks the impact items, so no drift can be told",
        )
    drift = n - b
    fired = abs(drift) >= o.impact_drift
    parts = [f"impact {b:.2f} → {n:.2f}"]
    if before.scope_self is not None and now.scope_self is not None:
        parts.append(f"assessed scope {before.scope_self:.2f} → {now.scope_self:.2f}")
    if before.archetype != now.archetype:
        parts.append(f"archetype {_label(before.archetype)} → {_label(now.archetype)}")
    return Trigger(
        trigger="drift in impact",
        now=round(drift, 3),
        threshold=o.impact_drift,
        fired=fired,
        since=when,
        text=f"trigger: drift since the assessment of {when} — "
        + ", ".join(parts)
        + f" (re-think at ±{o.impact_drift})"
        + (": FIRED" if fired else ""),
    )


def _impact_triggers(
    a: Assessment, bank: ItemBank, answers: Answers | None, o: StrategyOptions
) -> list[Trigger]:
    """Competitor moves and drift in impact: the answer to each contextual factor
    that, alone, would move impact across the boundary."""
    if a.impact.score is None or answers is None:
        return [
            Trigger(
                trigger="competitor moves",
                now=None,
                threshold=None,
                fired=None,
                text="trigger: competitor moves — answer the impact items to learn which "
                "change in rivalry, switching barriers or deal size would flip the "
                "call",
            )
        ]
    imp = a.impact.score
    flips = []
    for f in a.impact.factors:
        if f["answer"] is None or f["weight"] <= 0:
            continue
        item = bank.by_id()[f["item"]]
        need = (o.boundary - imp) / f["weight"] + f["score"]  # score the item must reach
        if not 0.0 <= need <= 1.0:
            continue
        raw = need if item.direction > 0 else 1.0 - need
        answer = bank.low + raw * (bank.high - bank.low)
        flips.append((abs(answer - f["answer"]), f["item"], f["answer"], answer))
    flips.sort()
    side = "low" if imp >= o.boundary else "high"
    text = (
        f"trigger: competitor moves and drift in impact — impact {imp:.2f} is "
        f"{abs(imp - o.boundary):.2f} from the boundary"
    )
    if flips:
        text += (
            "; it turns "
            + side
            + " if "
            + "; or ".join(f"{i} moves from {was:g} to {to:.1f}" for _, i, was, to in flips[:3])
        )
    else:
        text += "; no single answer can flip it"
    return [
        Trigger(
            trigger="competitor moves",
            now=round(imp, 3),
            threshold=o.boundary,
            fired=False,
            flips=tuple(
                [Flip(item=i, answer=was, flips_at=round(to, 2)) for _, i, was, to in flips]
            ),
            text=text,
        )
    ]


def _trajectory(as_is: str | None, to_be: str | None, a: Assessment) -> list[TrajectoryStep]:
    """The path from the as-is to the to-be archetype, one axis at a time."""
    if to_be is None:
        return []
    if as_is is None:
        return [
            TrajectoryStep(
                archetype=to_be, label=_label(to_be), move="as-is unknown: assess impact first"
            )
        ]
    if as_is == to_be:
        return [TrajectoryStep(archetype=as_is, label=_label(as_is), move="hold the position")]
    path = [as_is]
    if (as_is, to_be) in VIA:
        path.append(VIA[(as_is, to_be)])
    path.append(to_be)
    out = [TrajectoryStep(archetype=as_is, label=_label(as_is), move="as-is")]
    for prev, nxt in itertools.pairwise(path):
        out.append(TrajectoryStep(archetype=nxt, label=_label(nxt), move=MOVES[(prev, nxt)]))
    return out


__all__ = ["Plan", "plan"]
