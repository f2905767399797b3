"""Closed-loop results: is the loop closed, how fast, by whom, and does it help?

- **Contacted within the SLA**: among detractor cases whose outcome is known,
  the share whose first response (first move out of ``open``, or first note)
  came by the due time. A case still unanswered and not yet due is left out
  (it can still make it); one unanswered past its due time counts as missed.
- **Median time to first response** and **to close** (hours), over the cases
  that have one.
- **Open and overdue by owner** (overdue: not closed and past the due time).
- **The follow-up effect**: for each closed case with a person and the
  rating that opened it, that person's *next* rating on the same metric after
  the case closed. The mean paired change (after − before) is given with a
  two-sided paired *t* interval, ``mean ± t(n−1, 1−α/2) · sd / √n`` (no
  interval under two pairs). It is a before/after difference, not a causal
  effect: a detractor's next answer also regresses to the mean.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from b2bcx.cases.actions import case_from_row, now_utc
from b2bcx.cases.model import Case, CaseStatus
from b2bcx.storage import casestore

if TYPE_CHECKING:
    from b2bcx.storage.backend import Backend


@dataclass(frozen=True)
class OwnerLoad:
    """One owner's cases."""

    owner: str
    open: int
    overdue: int
    closed: int

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "owner": self.owner,
            "open": self.open,
            "overdue": self.overdue,
            "closed": self.closed,
        }


@dataclass(frozen=True)
class FollowUp:
    """The person's next rating after the case closed against the one that opened it."""

    n: int
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None
    low: float | None
    high: float | None
    confidence: float
    metric: str
    method: str = "paired t interval"

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            k: getattr(self, k)
            for k in (
                "n",
                "mean_before",
                "mean_after",
                "mean_change",
                "low",
                "high",
                "confidence",
                "metric",
                "method",
            )
        }


@dataclass(frozen=True)
class ClosedLoopResult:
    """The closed-loop figures of a workspace at one time (:func:`closed_loop`)."""

    as_of: _dt.datetime
    n_cases: int
    n_open: int
    n_overdue: int
    detractor_cases: int
    sla_decided: int
    sla_met: int
    sla_share: float | None
    median_hours_to_first_response: float | None
    median_hours_to_close: float | None
    by_owner: tuple[OwnerLoad, ...]
    follow_up: FollowUp

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "n_cases", ..., "by_owner": [...], "follow_up": {...}}``."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "n_cases",
                "n_open",
                "n_overdue",
                "detractor_cases",
                "sla_decided",
                "sla_met",
                "sla_share",
                "median_hours_to_first_response",
                "median_hours_to_close",
            )
        }
        out["as_of"] = self.as_of.isoformat()
        out["by_owner"] = [o.to_dict() for o in self.by_owner]
        out["follow_up"] = self.follow_up.to_dict()
        return out


def _hours(pairs: Sequence[tuple[_dt.datetime, _dt.datetime | None]]) -> float | None:
    values = [(end - start).total_seconds() / 3600 for start, end in pairs if end is not None]
    return float(np.median(values)) if values else None


def paired_t_interval(
    before: Sequence[float], after: Sequence[float], confidence: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Mean of ``after − before`` and its two-sided paired t interval.

    >>> paired_t_interval([2, 4, 6], [5, 6, 10])
    (3.0, 0.5158..., 5.4841...)
    """
    diff = np.asarray(after, float) - np.asarray(before, float)
    if diff.size == 0:
        return None, None, None
    mean = float(diff.mean())
    if diff.size < 2:
        return mean, None, None
    half = (
        float(stats.t.ppf(0.5 + confidence / 2, diff.size - 1))
        * float(diff.std(ddof=1))
        / math.sqrt(diff.size)
    )
    return mean, mean - half, mean + half


def follow_up_pairs(
    backend: Backend, cases: Sequence[Case], *, metric: str = "nps"
) -> list[tuple[Case, float, float]]:
    """``(case, rating that opened it, the person's next rating after closing)`` per
    closed case that has both."""
    closed = [
        c
        for c in cases
        if c.status == CaseStatus.closed
        and c.stakeholder_id
        and c.rating is not None
        and c.closed_at is not None
    ]
    ratings = casestore.ratings_of(backend, [c.stakeholder_id or "" for c in closed], metric=metric)
    out = []
    for c in closed:
        mine = ratings[ratings.stakeholder_id == c.stakeholder_id]
        later = mine[mine.occurred_at > c.closed_at].sort_values(["occurred_at", "interaction_id"])
        if len(later):
            out.append((c, float(c.rating or 0.0), float(later.value.iloc[0])))
    return out


def closed_loop(
    backend: Backend,
    *,
    now: _dt.datetime | None = None,
    detractor_rules: Sequence[str] = ("detractor",),
    metric: str = "nps",
    confidence: float = 0.95,
    account_ids: Sequence[str] | None = None,
) -> ClosedLoopResult:
    """The closed-loop figures (see the module docstring) at ``now``.

    ``account_ids`` limits to those accounts (an account-scoped view).
    """
    now = now or now_utc()
    cases = [case_from_row(r) for r in casestore.list_cases(backend, account_ids=account_ids)]
    detractors = [c for c in cases if c.rule in detractor_rules]
    met = missed = 0
    for c in detractors:
        if c.first_response_at is not None:
            if c.due_at is None or c.first_response_at <= c.due_at:
                met += 1
            else:
                missed += 1
        elif c.due_at is not None and now > c.due_at:
            missed += 1
    owners: dict[str, list[Case]] = {}
    for c in cases:
        owners.setdefault(c.owner, []).append(c)
    by_owner = tuple(
        OwnerLoad(
            owner,
            sum(c.status != CaseStatus.closed for c in mine),
            sum(c.overdue(now) for c in mine),
            sum(c.status == CaseStatus.closed for c in mine),
        )
        for owner, mine in sorted(owners.items())
    )
    pairs = follow_up_pairs(backend, cases, metric=metric)
    before = [b for _, b, _ in pairs]
    after = [a for _, _, a in pairs]
    change, low, high = paired_t_interval(before, after, confidence)
    follow = FollowUp(
        n=len(pairs),
        mean_before=float(np.mean(before)) if pairs else None,
        mean_after=float(np.mean(after)) if pairs else None,
        mean_change=change,
        low=low,
        high=high,
        confidence=confidence,
        metric=metric,
    )
    return ClosedLoopResult(
        as_of=now,
        n_cases=len(cases),
        n_open=sum(c.status != CaseStatus.closed for c in cases),
        n_overdue=sum(c.overdue(now) for c in cases),
        detractor_cases=len(detractors),
        sla_decided=met + missed,
        sla_met=met,
        sla_share=met / (met + missed) if met + missed else None,
        median_hours_to_first_response=_hours([(c.opened_at, c.first_response_at) for c in cases]),
        median_hours_to_close=_hours([(c.opened_at, c.closed_at) for c in cases]),
        by_owner=by_owner,
        follow_up=follow,
    )


__all__ = [
    "ClosedLoopResult",
    "FollowUp",
    "OwnerLoad",
    "closed_loop",
    "follow_up_pairs",
    "paired_t_interval",
]
