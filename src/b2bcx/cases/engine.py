"""``run_alerts``: evaluate the alert rules over new data, open cases, queue notifications.

Each rule keeps a high-water mark in the workspace (``alert_state``): the data
time it has evaluated up to. A run looks at what is new since that mark (or
since ``since``), so it is safe to schedule (cron, Airflow), and **idempotent**:
running it again over the same data opens nothing and queues nothing.

- Event rules (``detractor``) look at answers with ``mark − grace_days <
  occurred_at ≤ now`` (the grace window catches answers imported late); an
  answer already behind a case of the rule is never used twice. The first new
  detractor answer of a person opens a case; later ones attach to the person's
  open case (one open case per stakeholder).
- State rules (``collective_drop``, ``risk_jump``, ``finding``,
  ``partner_touchpoint``, ``silent_decision_maker``) compare the state at the
  mark (or ``since``; on a first run ``window_days`` back) with the state now
  and fire on a *crossing* — a drop, a jump, a new finding, a fall below the
  threshold, a silence passing N days — so a condition that persists does not
  open a case on every run. The collective, risk and finding rules use the
  standard analyses (:class:`b2bcx.analyses.Analyses`) at the two dates.

A rule with an open case for the same dedupe key opens nothing new.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from b2bcx.cases.actions import SYSTEM, attach, case_from_row, insert_new_case, new_case_id, now_utc
from b2bcx.cases.model import Case, CaseStatus, add_business_days, as_dict
from b2bcx.cases.rules import ACCOUNT_MANAGER, Rule, RuleSet
from b2bcx.errors import B2bcxError
from b2bcx.storage import casestore

if TYPE_CHECKING:
    from b2bcx.analyses import Analyses
    from b2bcx.storage.backend import Backend


@dataclass(frozen=True)
class Trigger:
    """One thing a rule found: what would open (or attach to) a case."""

    key: str
    account_id: str | None
    stakeholder_id: str | None
    title: str
    at: _dt.datetime
    interaction_ids: tuple[str, ...] = ()
    finding: dict[str, Any] = field(default_factory=dict)
    rating: float | None = None
    decision_maker: bool = False


@dataclass(frozen=True)
class RuleRun:
    """What one rule did in one run."""

    rule: str
    kind: str
    after: _dt.datetime | None
    until: _dt.datetime
    found: int
    opened: tuple[str, ...]
    attached: tuple[str, ...]
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready values."""
        return {
            "rule": self.rule,
            "kind": self.kind,
            "after": self.after.isoformat() if self.after else None,
            "until": self.until.isoformat(),
            "found": self.found,
            "opened": list(self.opened),
            "attached": list(self.attached),
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class AlertRun:
    """The outcome of :func:`run_alerts`."""

    now: _dt.datetime
    since: _dt.datetime | None
    opened: tuple[Case, ...]
    attached: tuple[Case, ...]
    queued: int
    rules: tuple[RuleRun, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"now", "since", "opened": [case...], "attached": [case...], "queued",
        "rules": [...]}`` (the JSON of ``b2bcx alerts run --format json``)."""
        return {
            "now": self.now.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "opened": [c.to_dict() for c in self.opened],
            "attached": [c.to_dict() for c in self.attached],
            "queued": self.queued,
            "rules": [r.to_dict() for r in self.rules],
        }


# -- helpers -------------------------------------------------------------------------


class _Row:
    """One record of a frame, its columns as attributes (typed ``Any``)."""

    def __init__(self, values: dict[Any, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values[name]

    def __getitem__(self, name: str) -> Any:
        return self._values[name]


def _naive(value: Any) -> _dt.datetime:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    out: _dt.datetime = stamp.to_pydatetime()
    return out


def key_accounts(accounts: pd.DataFrame, share: float) -> set[str]:
    """The top ``share`` of accounts by annual value (all accounts at ``share`` 1).

    >>> frame = pd.DataFrame({"account_id": list("abcd"), "annual_value": [1, 2, 3, 4.0]})
    >>> sorted(key_accounts(frame, 0.5))
    ['c', 'd']
    """
    if share >= 1.0:
        return set(accounts.account_id.astype(str))
    values = accounts.dropna(subset=["annual_value"]).sort_values(
        ["annual_value", "account_id"], ascending=[False, True]
    )
    n = int(np.ceil(share * len(values)))
    return set(values.account_id.astype(str).head(n))


def _analyses(backend: Backend, at: _dt.datetime, metric: str | None = None) -> Analyses:
    from b2bcx.analyses import Analyses, AnalysisOptions

    return Analyses(backend, AnalysisOptions(as_of=at, metric=metric, n_boot=50))


def _unit_scores(backend: Backend, at: _dt.datetime, metric: str) -> pd.Series:
    units = _analyses(backend, at, metric).units("account").units
    key = "account_id" if "account_id" in units.columns else units.columns[0]
    return pd.Series(units["cx"].to_numpy(dtype=float), index=units[key].astype(str))


# -- the rules -------------------------------------------------------------------------

Evaluator = Callable[["Backend", Rule, "_dt.datetime | None", _dt.datetime], list[Trigger]]


def _detractor(
    backend: Backend, rule: Rule, after: _dt.datetime | None, until: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    frame = casestore.answers_between(
        backend, metric="nps", after=after, until=until, at_most=float(p["max_nps"])
    )
    linked = casestore.linked_interactions(backend, rule.name)
    out = []
    for row in frame.to_dict("records"):
        r = _Row(row)
        if r.interaction_id in linked:
            continue
        comment = "" if pd.isna(r.comment) else f": “{str(r.comment)[:80]}”"
        out.append(
            Trigger(
                key=str(r.stakeholder_id),
                account_id=str(r.account_id),
                stakeholder_id=str(r.stakeholder_id),
                title=f"Detractor: {r.stakeholder_id} ({r.account_id}) answered NPS "
                f"{r.value:g}{comment}",
                at=_naive(r.occurred_at),
                interaction_ids=(str(r.interaction_id),),
                finding={"nps": float(r.value), "occurred_at": _naive(r.occurred_at).isoformat()},
                rating=float(r.value),
                decision_maker=bool(r.decision_maker) if not pd.isna(r.decision_maker) else False,
            )
        )
    return out


def _collective_drop(
    backend: Backend, rule: Rule, before: _dt.datetime | None, now: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    assert before is not None
    keys = key_accounts(casestore.accounts_frame(backend), float(p["key_share"]))
    then = _unit_scores(backend, before, str(p["metric"]))
    current = _unit_scores(backend, now, str(p["metric"]))
    both = pd.concat({"then": then, "now": current}, axis=1).dropna()
    both = both[(both["then"] - both["now"] >= float(p["min_drop"])) & both.index.isin(keys)]
    return [
        Trigger(
            key=str(a),
            account_id=str(a),
            stakeholder_id=None,
            at=now,
            title=f"Collective CX of key account {a} fell {r.then - r.now:.1f} points "
            f"({r.then:.1f} → {r.now:.1f})",
            finding={
                "before": before.isoformat(),
                "score_before": float(r.then),
                "score_now": float(r.now),
                "drop": float(r.then - r.now),
            },
        )
        for a, r in both.iterrows()
    ]


def _risk_jump(
    backend: Backend, rule: Rule, before: _dt.datetime | None, now: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    assert before is not None
    keys = key_accounts(casestore.accounts_frame(backend), float(p["key_share"]))

    def risks(at: _dt.datetime) -> dict[str, float]:
        entries = [as_dict(r) for r in _analyses(backend, at).diagnosis.at_risk]
        # an unknown risk (too little or too old data) is no rise
        return {str(r["account_id"]): float(r["risk"]) for r in entries if r["risk"] is not None}

    then, current = risks(before), risks(now)
    out = []
    for a, risk in sorted(current.items()):
        jump = risk - then.get(a, risk)
        if a in keys and a in then and jump >= float(p["min_jump"]):
            out.append(
                Trigger(
                    key=a,
                    account_id=a,
                    stakeholder_id=None,
                    at=now,
                    title=f"Risk of account {a} jumped {then[a]:.2f} → {risk:.2f}",
                    finding={
                        "before": before.isoformat(),
                        "risk_before": then[a],
                        "risk_now": risk,
                        "jump": jump,
                    },
                )
            )
    return out


def _finding(
    backend: Backend, rule: Rule, before: _dt.datetime | None, now: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    assert before is not None

    def found(at: _dt.datetime) -> dict[str, Any]:
        return {
            f"{f.challenge}:{f.subject_kind}:{f.subject_id}": f
            for f in _analyses(backend, at).diagnosis.findings
            if f.challenge == p["challenge"] and f.severity >= float(p["min_severity"])
        }

    then, current = found(before), found(now)
    return [
        Trigger(
            key=k,
            account_id=f.account_id,
            stakeholder_id=None,
            at=now,
            title=f"{f.challenge} finding on {f.subject_kind} {f.subject_id} "
            f"(severity {f.severity:.2f}): {f.summary}",
            finding=as_dict(f),
        )
        for k, f in sorted(current.items())
        if k not in then
    ]


def _scale(metric: str) -> Callable[[float], float]:
    from b2bcx.model.tables import RATING_SCALES

    return RATING_SCALES[metric].to_0_100


def _partner_touchpoint(
    backend: Backend, rule: Rule, before: _dt.datetime | None, now: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    assert before is not None
    metric, window = str(p["metric"]), _dt.timedelta(days=int(p["window_days"]))
    to100 = _scale(metric)

    def means(at: _dt.datetime) -> pd.DataFrame:
        frame = casestore.partner_touchpoint_means(
            backend, metric=metric, after=at - window, until=at
        )
        frame = frame[frame.n >= int(p["min_answers"])].copy()
        frame["score"] = [to100(float(v)) for v in frame["mean"]]
        return frame.set_index("touchpoint_id")

    then, current = means(before), means(now)
    out = []
    for tp, row in zip(current.index, current.to_dict("records"), strict=True):
        r = _Row(row)
        was = then.score.get(tp) if not then.empty else None
        if r.score < float(p["threshold"]) and (was is None or was >= float(p["threshold"])):
            out.append(
                Trigger(
                    key=str(tp),
                    account_id=None,
                    stakeholder_id=None,
                    at=now,
                    title=f"Partner touchpoint {r['name'] or tp} ({r.partner_id}) fell to "
                    f"{r.score:.1f} (< {float(p['threshold']):g}) over {int(p['window_days'])} "
                    "days",
                    finding={
                        "touchpoint_id": str(tp),
                        "partner_id": r.partner_id,
                        "n": int(r.n),
                        "score": float(r.score),
                        "score_before": was,
                    },
                )
            )
    return out


def _silent(
    backend: Backend, rule: Rule, before: _dt.datetime | None, now: _dt.datetime
) -> list[Trigger]:
    p = rule.params
    assert before is not None
    days = int(p["days"])
    keys = key_accounts(casestore.accounts_frame(backend), float(p["key_share"]))
    frame = casestore.last_contact(backend, until=now)
    frame = frame[frame.account_id.astype(str).isin(keys)]
    out = []
    for row in frame.to_dict("records"):
        r = _Row(row)
        if not pd.isna(r.active_to) and pd.Timestamp(r.active_to) < pd.Timestamp(now):
            continue  # no longer a contact
        if pd.isna(r.last_seen):
            continue  # never heard from: not a silence that began
        last = _naive(r.last_seen)
        silent_now = (now - last).days >= days
        silent_then = (before - last).days >= days
        if silent_now and not silent_then:
            out.append(
                Trigger(
                    key=str(r.stakeholder_id),
                    account_id=str(r.account_id),
                    stakeholder_id=str(r.stakeholder_id),
                    at=now,
                    decision_maker=True,
                    title=f"Decision maker {r.stakeholder_id} of key account {r.account_id} "
                    f"silent for {(now - last).days} days",
                    finding={"last_seen": last.isoformat(), "days": (now - last).days},
                )
            )
    return out


EVALUATORS: dict[str, Evaluator] = {
    "detractor": _detractor,
    "collective_drop": _collective_drop,
    "risk_jump": _risk_jump,
    "finding": _finding,
    "partner_touchpoint": _partner_touchpoint,
    "silent_decision_maker": _silent,
}


# -- the run -----------------------------------------------------------------------------


def _window(
    rule: Rule, mark: _dt.datetime | None, since: _dt.datetime | None, now: _dt.datetime
) -> _dt.datetime:
    if since is not None:
        return since
    p = rule.params
    if rule.kind == "detractor":
        if mark is None:
            return now - _dt.timedelta(days=int(p["lookback_days"]))
        return mark - _dt.timedelta(days=int(p["grace_days"]))
    return mark if mark is not None else now - _dt.timedelta(days=int(p["window_days"]))


def _owner(rule: Rule, rules: RuleSet, managers: dict[str, str], account: str | None) -> str:
    if rule.owner != ACCOUNT_MANAGER:
        return rule.owner
    manager = managers.get(account or "")
    return manager if manager else rules.default_owner


def run_alerts(
    backend: Backend,
    rules: RuleSet,
    *,
    since: _dt.datetime | None = None,
    now: _dt.datetime | None = None,
) -> AlertRun:
    """Evaluate the enabled rules over the data new since each rule's mark (or
    ``since``), open and attach cases, and queue their notifications.

    Parameters
    ----------
    backend
        A writable workspace (DuckDB or PostgreSQL; Spark is refused).
    rules
        The rules and the webhook settings (:func:`b2bcx.cases.rules.load_rules`).
    since
        Evaluate from this time instead of each rule's mark (a backfill).
    now
        The time of the run (default: the clock); data after it is not looked at.

    Returns
    -------
    AlertRun
        The cases opened, the cases later answers were attached to, the
        notifications queued and what each rule did.
    """
    casestore.require_writable(backend)
    now = now or now_utc()
    accounts = casestore.accounts_frame(backend)
    managers = {
        str(a): str(m)
        for a, m in zip(accounts.account_id, accounts.account_manager, strict=True)
        if isinstance(m, str) and m
    }
    outbox_before = len(casestore.list_outbox(backend))
    opened: list[Case] = []
    attached: dict[str, Case] = {}
    runs: list[RuleRun] = []
    for rule in rules.enabled:
        mark = casestore.get_mark(backend, rule.name)
        after = _window(rule, mark, since, now)
        try:
            triggers = EVALUATORS[rule.kind](backend, rule, after, now)
        except B2bcxError as exc:
            runs.append(RuleRun(rule.name, rule.kind, after, now, 0, (), (), str(exc)))
            continue
        triggers.sort(key=lambda t: (t.at, t.key, t.interaction_ids))
        rule_opened: list[str] = []
        rule_attached: list[str] = []
        with backend.transaction():
            for t in triggers:
                dedupe = f"{rule.name}:{t.key}"
                found = casestore.find_open(backend, dedupe)
                if found is not None:
                    if not t.interaction_ids:
                        continue  # a state rule whose case is still open
                    case = attach(
                        backend,
                        case_from_row(found),
                        t.interaction_ids,
                        webhook_url=rules.webhook_url,
                        now=now,
                        detail={"rating": t.rating},
                    )
                    attached[case.case_id] = case
                    rule_attached.append(case.case_id)
                    continue
                priority = rule.priority
                if t.decision_maker and "decision_maker_priority" in rule.params:
                    priority = str(rule.params["decision_maker_priority"])
                case = Case(
                    case_id=new_case_id(now, f"{dedupe}:{t.at.isoformat()}:{uuid.uuid4().hex}"),
                    rule=rule.name,
                    account_id=t.account_id,
                    stakeholder_id=t.stakeholder_id,
                    title=t.title,
                    owner=_owner(rule, rules, managers, t.account_id),
                    priority=priority,
                    status=CaseStatus.open.value,
                    opened_at=now,
                    due_at=add_business_days(now, rule.due_business_days),
                    dedupe_key=dedupe,
                    interaction_ids=t.interaction_ids,
                    finding=t.finding,
                    updated_at=now,
                    rating=t.rating,
                )
                insert_new_case(
                    backend,
                    case,
                    SYSTEM,
                    webhook_url=rules.webhook_url,
                    detail={"trigger": t.finding, "kind": rule.kind},
                )
                opened.append(case)
                rule_opened.append(case.case_id)
            new_mark = now if mark is None else max(mark, now)
            casestore.set_mark(backend, rule.name, new_mark, now_utc())
        runs.append(
            RuleRun(
                rule.name,
                rule.kind,
                after,
                now,
                len(triggers),
                tuple(rule_opened),
                tuple(rule_attached),
            )
        )
    queued = len(casestore.list_outbox(backend)) - outbox_before
    return AlertRun(now, since, tuple(opened), tuple(attached.values()), queued, tuple(runs))


__all__ = ["EVALUATORS", "AlertRun", "RuleRun", "Trigger", "key_accounts", "run_alerts"]
