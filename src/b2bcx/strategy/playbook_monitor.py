"""Step 4 of the playbook: what to monitor and the triggers for a re-think
(changing customer goals, lost business, drift in impact or scope, disagreeing
key stakeholders; Wirtz et al. 2025, section 7.2 and Table 4). Every trigger is
one the system can observe in the workspace's own data."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from b2bcx.convert import plain_dict
from b2bcx.storage import Backend
from b2bcx.strategy.answers import Answers, ItemBank
from b2bcx.strategy.assess import Assessment
from b2bcx.strategy.options import StrategyOptions
from b2bcx.strategy.playbook_activities import Decision
from b2bcx.strategy.playbook_recommend import archetype_label
from b2bcx.strategy.profile import Profile, latest_importance
from b2bcx.strategy.scope import observed_scope


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


def monitor_items(
    assessment: Assessment, prof: Profile, decisions: list[Decision], options: StrategyOptions
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
    if assessment.scope_data is not None:
        weakest = min(
            (d for d in assessment.scope_dimensions if d["data"] is not None),
            key=lambda d: d["data"],
        )
        out.append(
            Monitor(
                what="observed scope",
                now=round(assessment.scope_data, 3),
                text=f"monitor: observed CXM scope (now {assessment.scope_data:.2f}; weakest "
                f"{weakest['dimension']} {weakest['data']:.2f}) every quarter",
            )
        )
    for rel in assessment.relations:
        if min(rel.events, rel.accounts - rel.events) >= options.min_events:
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


def rethink_triggers(
    backend: Backend,
    assessment: Assessment,
    bank: ItemBank,
    answers: Answers | None,
    as_of: _dt.datetime,
    options: StrategyOptions,
) -> list[Trigger]:
    """Triggers for a re-think, each with its current value and whether it fired."""
    out: list[Trigger] = []
    year_ago = as_of - _dt.timedelta(days=options.window_days)
    now_imp = latest_importance(backend, as_of)
    before = latest_importance(backend, year_ago)
    if not now_imp.empty and not before.empty:
        shift = (
            now_imp.groupby("goal").importance.mean() - before.groupby("goal").importance.mean()
        ).dropna()
        if not shift.empty:
            goal = str(shift.abs().idxmax())
            value = float(shift[goal])
            fired = abs(value) >= options.goal_shift
            out.append(
                Trigger(
                    trigger="changing customer goals",
                    now=round(value, 2),
                    threshold=options.goal_shift,
                    fired=fired,
                    text=f"trigger: customer goals — {goal} importance moved {value:+.2f} "
                    f"over the last {options.window_days} days (re-think at ±{options.goal_shift})"
                    + (": FIRED" if fired else ""),
                )
            )
    else:
        out.append(
            Trigger(
                trigger="changing customer goals",
                now=None,
                threshold=options.goal_shift,
                fired=None,
                text="trigger: customer goals — ask the goals survey at least twice a "
                f"year apart to see them move (re-think at ±{options.goal_shift})",
            )
        )
    if assessment.scope_data is not None:
        past = observed_scope(backend, as_of=year_ago, options=options).score
        if past is not None:
            drift = assessment.scope_data - past
            fired = abs(drift) >= options.scope_drift
            out.append(
                Trigger(
                    trigger="drift in scope",
                    now=round(drift, 3),
                    threshold=options.scope_drift,
                    fired=fired,
                    text=f"trigger: scope drift — observed scope {past:.2f} → "
                    f"{assessment.scope_data:.2f} over the year (re-think at "
                    f"±{options.scope_drift})" + (": FIRED" if fired else ""),
                )
            )
    out += lost_business_trigger(backend, as_of, options)
    if assessment.impact.agreed is False:
        out.append(
            Trigger(
                trigger="key stakeholders disagree",
                now=assessment.impact.agreement,
                threshold=options.agreement_rwg,
                fired=True,
                text=f"trigger: the {assessment.impact.respondents} key stakeholders disagree "
                f"on CXM impact (rwg(j) {assessment.impact.agreement:.2f} < "
                f"{options.agreement_rwg:g}): settle the view before committing to a to-be: "
                "FIRED",
            )
        )
    if assessment.misperception:
        out.append(
            Trigger(
                trigger="misperceived impact",
                now=round(
                    (assessment.impact.perception or 0) - (assessment.impact.context or 0), 3
                ),
                threshold=options.misperception,
                fired=True,
                text="trigger: the key stakeholders' view and the antecedents disagree (an "
                "open research question of Table 4: how misperceptions can be identified): "
                "re-assess impact with the wider leadership team: FIRED",
            )
        )
    return out


def drift_trigger(
    before: Assessment, now: Assessment, previous: Answers, options: StrategyOptions
) -> Trigger:
    """How the firm's own view moved since an earlier assessment (same data, so
    the change is the answers')."""
    when = f"{previous.answered_on:%Y-%m-%d}" if previous.answered_on else "the last one"
    b, n = before.impact.score, now.impact.score
    if b is None or n is None:
        return Trigger(
            trigger="drift in impact",
            now=None,
            threshold=options.impact_drift,
            fired=None,
            since=when,
            text=f"trigger: drift in impact — the assessment of {when} or this one "
            "lacks the impact items, so no drift can be told",
        )
    drift = n - b
    fired = abs(drift) >= options.impact_drift
    parts = [f"impact {b:.2f} → {n:.2f}"]
    if before.scope_self is not None and now.scope_self is not None:
        parts.append(f"assessed scope {before.scope_self:.2f} → {now.scope_self:.2f}")
    if before.archetype != now.archetype:
        parts.append(
            f"archetype {archetype_label(before.archetype)} → {archetype_label(now.archetype)}"
        )
    return Trigger(
        trigger="drift in impact",
        now=round(drift, 3),
        threshold=options.impact_drift,
        fired=fired,
        since=when,
        text=f"trigger: drift since the assessment of {when} — "
        + ", ".join(parts)
        + f" (re-think at ±{options.impact_drift})"
        + (": FIRED" if fired else ""),
    )


def lost_business_trigger(
    backend: Backend, as_of: _dt.datetime, options: StrategyOptions
) -> list[Trigger]:
    """Competitor moves as the system can see them: annual value lost (churn and
    contraction in the outcomes table) in the last ``window_days`` against the
    window before, as a share of the portfolio's annual value. Fires when the
    rise is at least ``lost_value_rise``. Nothing without outcomes or values."""
    outcomes = backend.table("outcomes").to_pandas()
    value = backend.table("accounts").select("annual_value").to_pandas().annual_value
    total = float(value.dropna().sum())
    if outcomes.empty or total <= 0:
        return [
            Trigger(
                trigger="lost business",
                now=None,
                threshold=options.lost_value_rise,
                fired=None,
                text="trigger: lost business (competitor moves) — record churn and "
                "contraction in the outcomes table, and annual values, to watch it",
            )
        ]
    when = pd.to_datetime(outcomes.occurred_at)
    lost = outcomes.kind.isin(["churn", "contraction"])
    span = pd.Timedelta(days=options.window_days)
    day = pd.Timestamp(as_of)
    now_v = float(outcomes.loc[lost & (when > day - span) & (when <= day), "value"].sum())
    before_v = float(
        outcomes.loc[lost & (when > day - 2 * span) & (when <= day - span), "value"].sum()
    )
    rise = (now_v - before_v) / total
    fired = rise >= options.lost_value_rise
    return [
        Trigger(
            trigger="lost business",
            now=round(rise, 3),
            threshold=options.lost_value_rise,
            fired=fired,
            text=f"trigger: lost business (competitor moves) — churn and contraction worth "
            f"{now_v:,.0f} in the last {options.window_days} days against {before_v:,.0f} "
            f"the window before ({rise:+.1%} of the portfolio's annual value; re-think at "
            f"+{options.lost_value_rise:.0%})" + (": FIRED" if fired else ""),
        )
    ]


__all__ = [
    "Flip",
    "Monitor",
    "Trigger",
    "drift_trigger",
    "lost_business_trigger",
    "monitor_items",
    "rethink_triggers",
]
