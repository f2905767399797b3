"""What a diagnosis returns: findings, at-risk accounts, priorities (a stable JSON contract).

Every result is a frozen dataclass whose ``to_dict()`` is the JSON object of
``docs/diagnose.md`` (``to_json()`` is an alias, kept for compatibility).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from b2bcx.convert import plain

if TYPE_CHECKING:
    from b2bcx.diagnose.sensitivity_model import Sensitivity

#: The five B2B CEM challenges of Witell et al. (2020, section 3, Table 3).
CHALLENGES: dict[str, str] = {
    "C1": "mismatches in business relationships",
    "C2": "siloed customer experiences",
    "C3": "mismatches across the customer journey",
    "C4": "lack of touchpoint control",
    "C5": "dynamics of the customer experience",
}

#: Kinds of thing a finding is about.
SUBJECT_KINDS = ("account", "journey", "touchpoint", "partner", "unit")


def records_of(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of a small frame as objects with one attribute per column."""
    for record in frame.to_dict("records"):
        yield SimpleNamespace(**{str(k): v for k, v in record.items()})


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One diagnosed instance of a challenge, with the numbers behind it.

    Attributes
    ----------
    challenge : str
        ``C1`` … ``C5`` (:data:`CHALLENGES`).
    account_id : str or None
        The account, or None for a portfolio-wide finding (a touchpoint, a partner).
    subject_kind, subject_id : str
        What the finding is about (:data:`SUBJECT_KINDS`) and its id.
    severity : float
        0–1; about 0.5 just over the threshold.
    evidence : dict
        The numbers behind the finding (free-form per detector).
    summary, implication : str
        What was found, and what it means (with the paper's section).
    actions : tuple of str
        What to do about it.
    detector : str
        The detector that found it.
    """

    challenge: str
    account_id: str | None
    subject_kind: str
    subject_id: str
    severity: float
    evidence: dict[str, Any]
    summary: str
    implication: str
    actions: tuple[str, ...]
    detector: str = ""

    def __post_init__(self) -> None:
        if self.challenge not in CHALLENGES:
            raise ValueError(f"unknown challenge {self.challenge!r}")
        if self.subject_kind not in SUBJECT_KINDS:
            raise ValueError(f"unknown subject kind {self.subject_kind!r}")
        if not 0.0 <= self.severity <= 1.0:
            raise ValueError(f"severity must lie in [0, 1] (got {self.severity})")

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of ``docs/diagnose.md``."""
        return {
            "challenge": self.challenge,
            "account_id": self.account_id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "severity": round(float(self.severity), 4),
            "detector": self.detector,
            "evidence": plain(self.evidence),
            "summary": self.summary,
            "implication": self.implication,
            "actions": list(self.actions),
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True)
class Skipped:
    """A check that could not be made, and why (no finding on too little data)."""

    challenge: str
    account_id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """``{"challenge", "account_id", "reason"}``."""
        return {"challenge": self.challenge, "account_id": self.account_id, "reason": self.reason}

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True)
class Unavailable:
    """A check that cannot run on this workspace at all, and the data that would
    unlock it (an empty state that explains)."""

    challenge: str
    check: str
    missing: str
    unlock: str

    def to_dict(self) -> dict[str, Any]:
        """``{"challenge", "check", "missing", "unlock"}``."""
        return {"challenge": self.challenge, "check": self.check, "missing": self.missing,
                "unlock": self.unlock}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class AtRisk:
    """One account's risk score and the terms and reasons behind it
    (:func:`b2bcx.diagnose.risk.at_risk`; formula in docs/diagnose.md).

    Attributes
    ----------
    account_id : str
    risk : float or None
        0–1, the logistic of the intercept plus the summed terms; None when the
        account's data is too thin or too old to judge (``unknown_reason``).
    annual_value : float
        The account's annual value.
    value_at_risk : float or None
        ``risk × annual_value`` when the risk is a fitted churn probability
        (``risk_kind`` "fitted"); None for the a-priori risk index.
    cx_recent : float
        Mean CX (0–100) of the last 180 days.
    slope_per_year : float
        Change of CX in points per year over the last 12 months.
    rwg : float or None
        Agreement of the account's people (None without a verdict).
    terms : dict of str to float
        The score's terms (``level``, ``trend``, ``alignment``, ``findings``,
        ``silence``): each component's value × its weight.
    reasons : tuple of str
        The terms that raise the risk, in words.
    risk_kind : str
        ``"index"`` (a-priori weights, a ranking) or ``"fitted"`` (a churn probability).
    components : dict
        Per component: ``{"value", "weight", "contribution"}``.
    intercept : float
        The constant added to the contributions before the logistic.
    unknown_reason : str or None
        Why the risk is unknown (None when it was scored).
    value_exposed : float
        The annual value of an account whose risk is ≥ 0.5 (0 otherwise): a
        ranking aid that is not a probability-weighted value.
    ratings : int
        Ratings behind ``cx_recent``.
    """

    account_id: str
    risk: float | None
    annual_value: float
    value_at_risk: float | None
    cx_recent: float
    slope_per_year: float
    rwg: float | None
    terms: dict[str, float]
    reasons: tuple[str, ...]
    risk_kind: str = "index"
    components: dict[str, dict[str, float]] = field(default_factory=dict)
    intercept: float = 0.0
    unknown_reason: str | None = None
    value_exposed: float = 0.0
    ratings: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``at_risk`` in ``docs/diagnose.md``."""
        return {
            "account_id": plain(self.account_id),
            "risk": plain(self.risk),
            "annual_value": plain(self.annual_value),
            "value_at_risk": plain(self.value_at_risk),
            "cx_recent": plain(self.cx_recent),
            "slope_per_year": plain(self.slope_per_year),
            "rwg": plain(self.rwg),
            "terms": plain(self.terms),
            "reasons": list(self.reasons),
            "risk_kind": self.risk_kind,
            "risk_label": "risk index" if self.risk_kind == "index" else "churn probability",
            "components": plain(self.components),
            "intercept": plain(self.intercept),
            "unknown_reason": self.unknown_reason,
            "value_exposed": plain(self.value_exposed),
            "ratings": plain(self.ratings),
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Priority:
    """A touchpoint × stage × goal cell that concentrates poor experiences among
    detractors (:func:`b2bcx.diagnose.risk.priorities`; docs/diagnose.md).

    Attributes
    ----------
    touchpoint_id, touchpoint : str
        The touchpoint's id and name.
    stage, controller : str or None
        Where in the journey, and who runs the touchpoint.
    goal, value_proposition : str
        The goal served poorly and its value proposition (Wirtz et al. 2025, Table 1).
    poor, rated : int
        Poor goal ratings among detractors, and all goal ratings, in the cell.
    poor_rate, lift, frequency, driver_weight, value_share : float
        ``poor / rated``, its ratio to the overall rate, the cell's share of all
        poor ratings, the driver weight and the value share (``lift`` None when
        nothing was rated poor overall).
    value_at_risk : float
        Annual value of the accounts behind the poor ratings.
    accounts : int
        Accounts with a poor rating in the cell.
    score : float
        ``driver_weight × frequency × value_share``, relative to the top priority (0–1].
    action : str
        What to do, in words.
    rank : int
        1 for the top priority.
    text : dict or None
        What detractors wrote at the cell (from ``b2bcx text analyze``), else None.
    """

    touchpoint_id: str
    touchpoint: str
    stage: str | None
    controller: str | None
    goal: str
    value_proposition: str
    poor: int
    rated: int
    poor_rate: float
    lift: float | None
    frequency: float
    driver_weight: float
    value_at_risk: float
    value_share: float
    accounts: int
    score: float
    action: str
    rank: int
    text: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``priorities`` in ``docs/diagnose.md``."""
        return {name: plain(getattr(self, name)) for name in _PRIORITY_KEYS}

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


_PRIORITY_KEYS = tuple(Priority.__dataclass_fields__)


@dataclass(frozen=True, kw_only=True)
class DiagnosisMeta:
    """What a diagnosis was run on."""

    as_of: _dt.datetime
    metric: str
    challenges: tuple[str, ...]
    account_id: str | None
    accounts: int
    #: the metric asked for, when ``metric`` is a fallback (else None)
    metric_requested: str | None = None
    #: why the metric fell back, in words (else None)
    metric_note: str | None = None
    #: how the risk was scored (:meth:`b2bcx.diagnose.risk.RiskModel.to_dict`)
    risk_model: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "metric", "challenges", "account_id", "accounts",
        "metric_requested", "metric_note", "risk_model"}``."""
        return {
            "as_of": plain(self.as_of),
            "metric": self.metric,
            "challenges": list(self.challenges),
            "account_id": self.account_id,
            "accounts": plain(self.accounts),
            "metric_requested": self.metric_requested,
            "metric_note": self.metric_note,
            "risk_model": plain(self.risk_model),
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """Findings, at-risk accounts and priorities of one diagnosis run.

    Attributes
    ----------
    findings : tuple of Finding
        Sorted by challenge, then severity (highest first), account and subject.
    at_risk : tuple of AtRisk
        Every account with ratings, highest risk first.
    priorities : tuple of Priority
        At most ``max_priorities``, rank 1 first.
    skipped : tuple of Skipped
        Checks that could not be made, and why.
    meta : DiagnosisMeta or None
        The date, metric, challenges and account of the run.
    unavailable : tuple of Unavailable
        Checks that could not run at all, with the data that would unlock them.
    sensitivity : Sensitivity or None
        What the run could not have seen: minimal detectable effects of C2 and
        C3 (:mod:`b2bcx.diagnose.sensitivity`).
    """

    findings: tuple[Finding, ...]
    at_risk: tuple[AtRisk, ...]
    priorities: tuple[Priority, ...]
    skipped: tuple[Skipped, ...] = ()
    meta: DiagnosisMeta | None = None
    unavailable: tuple[Unavailable, ...] = ()
    sensitivity: Sensitivity | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"findings": [...], "at_risk": [...], "priorities": [...], "skipped": [...],
        "meta": {...}, "unavailable": [...], "sensitivity": {...}}``: the contract of
        ``docs/diagnose.md``."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "at_risk": [r.to_dict() for r in self.at_risk],
            "priorities": [p.to_dict() for p in self.priorities],
            "skipped": [s.to_dict() for s in self.skipped],
            "meta": {} if self.meta is None else self.meta.to_dict(),
            "unavailable": [u.to_dict() for u in self.unavailable],
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
        }

    def to_json(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`, kept for compatibility."""
        return self.to_dict()
