"""Cases and their history: the objects of the closed loop (issue 18).

A *case* is one thing somebody has to follow up: a detractor's answer, an
account whose collective CX dropped, a finding, a step-3 action of the plan.
It has an owner, a priority, a due time and a status that moves

    open → in_progress → closed, and closed → open again (reopen)

(``open → closed`` is allowed too: a case can be settled at once). Every change
is a :class:`CaseEvent`; the events are the case's history.

>>> check_transition("open", "in_progress")
>>> try:
...     check_transition("closed", "in_progress")
... except ConfigurationError as exc:
...     print(exc)
a closed case cannot move to in_progress; from closed it can only go to: open (reopen)
>>> add_business_days(_dt.datetime(2026, 11, 27, 9, 30), 2)  # a Friday
datetime.datetime(2026, 12, 1, 9, 30)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from b2bcx.errors import ConfigurationError


class CaseStatus(StrEnum):
    """Where a case stands."""

    open = "open"
    in_progress = "in_progress"
    closed = "closed"


class Priority(StrEnum):
    """How urgent a case is."""

    low = "low"
    normal = "normal"
    high = "high"


#: Status → the statuses it may move to.
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.open: (CaseStatus.in_progress, CaseStatus.closed),
    CaseStatus.in_progress: (CaseStatus.closed, CaseStatus.open),
    CaseStatus.closed: (CaseStatus.open,),
}

#: The kinds of :class:`CaseEvent`.
EVENT_KINDS = ("opened", "status", "note", "assigned", "priority", "attached", "due")


def parse_status(value: str) -> CaseStatus:
    """``value`` as a :class:`CaseStatus`; a clear error naming the statuses otherwise."""
    try:
        return CaseStatus(value)
    except ValueError:
        raise ConfigurationError(
            f"unknown case status {value!r}; one of: {', '.join(s.value for s in CaseStatus)}"
        ) from None


def parse_priority(value: str) -> Priority:
    """``value`` as a :class:`Priority`; a clear error naming the priorities otherwise."""
    try:
        return Priority(value)
    except ValueError:
        raise ConfigurationError(
            f"unknown priority {value!r}; one of: {', '.join(p.value for p in Priority)}"
        ) from None


def check_transition(current: str, target: str) -> None:
    """Raise :class:`~b2bcx.errors.ConfigurationError` unless ``current → target`` is allowed.

    The message names the statuses the case can move to.
    """
    now, to = parse_status(current), parse_status(target)
    allowed = TRANSITIONS[now]
    if to not in allowed:
        reopen = " (reopen)" if now is CaseStatus.closed else ""
        names = ", ".join(s.value + reopen for s in allowed)
        raise ConfigurationError(
            f"a {now.value} case cannot move to {to.value}; from {now.value} it can only go to: "
            f"{names}"
        )


def add_business_days(start: _dt.datetime, days: int) -> _dt.datetime:
    """``start`` plus ``days`` business days (Monday–Friday), same time of day.

    A start on a weekend counts from the next Monday; 0 days gives ``start``.
    """
    if days < 0:
        raise ConfigurationError(f"business days must be ≥ 0 (got {days})")
    out = start
    left = days
    while left > 0:
        out += _dt.timedelta(days=1)
        if out.weekday() < 5:
            left -= 1
    return out


@dataclass(frozen=True)
class Case:
    """One case (a row of the ``cases`` table).

    Attributes
    ----------
    case_id : str
        ``C-<yyyymmdd>-<hash>``, stable for the trigger that opened it.
    rule : str
        The alert rule that opened it, ``manual`` or ``plan``.
    account_id, stakeholder_id : str or None
        Whom it is about.
    interaction_ids : tuple of str
        The answers behind it (later detractor answers of the person attach here).
    finding : dict
        What raised it when not an answer: the rule's evidence (a finding's JSON,
        the drop, the risk jump, a plan action).
    title : str
        One line saying why the case exists.
    owner, priority, status : str
        Who follows up, how urgently, and where it stands.
    opened_at, due_at, first_response_at, closed_at, updated_at : datetime or None
        Naive UTC times; ``first_response_at`` is the first move out of ``open``
        or the first note.
    outcome : str or None
        How it ended (set on closing).
    dedupe_key : str
        At most one case per key is open at a time.
    rating : float or None
        The rating that opened it (NPS for a detractor), for the follow-up effect.
    """

    case_id: str
    rule: str
    account_id: str | None
    stakeholder_id: str | None
    title: str
    owner: str
    priority: str
    status: str
    opened_at: _dt.datetime
    due_at: _dt.datetime | None
    dedupe_key: str
    interaction_ids: tuple[str, ...] = ()
    finding: dict[str, Any] = field(default_factory=dict)
    first_response_at: _dt.datetime | None = None
    closed_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    outcome: str | None = None
    rating: float | None = None

    def overdue(self, now: _dt.datetime) -> bool:
        """Whether the case is not closed and past its due time at ``now``."""
        return self.status != CaseStatus.closed and self.due_at is not None and now > self.due_at

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready values (times ISO 8601, lists as lists)."""
        d = asdict(self)
        d["interaction_ids"] = list(self.interaction_ids)
        for key in ("opened_at", "due_at", "first_response_at", "closed_at", "updated_at"):
            value = d[key]
            d[key] = value.isoformat() if value is not None else None
        return d


@dataclass(frozen=True)
class CaseEvent:
    """One change of a case (a row of ``case_events``): its history."""

    event_id: str
    case_id: str
    at: _dt.datetime
    kind: str
    actor: str | None
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values."""
        d = asdict(self)
        d["at"] = self.at.isoformat()
        return d


def as_dict(value: Any) -> dict[str, Any]:
    """A result entry as a dict: a dict itself, else its ``to_dict()`` (or ``to_json()``),
    else its dataclass fields (results of other modules may be dicts or typed objects)."""
    if isinstance(value, dict):
        return value
    for name in ("to_dict", "to_json"):
        method = getattr(value, name, None)
        if callable(method):
            out = method()
            if isinstance(out, dict):
                return out
    return dict(asdict(value))


__all__ = [
    "EVENT_KINDS",
    "TRANSITIONS",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "Priority",
    "add_business_days",
    "as_dict",
    "check_transition",
    "parse_priority",
    "parse_status",
]
