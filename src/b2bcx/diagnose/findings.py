"""What a diagnosis returns: findings, at-risk accounts, priorities (a stable JSON contract)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

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


def clean(value: Any) -> Any:
    """``value`` with numpy scalars made plain and NaN/inf made ``None`` (JSON-safe)."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records_of(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of a small frame as objects with one attribute per column."""
    for record in frame.to_dict("records"):
        yield SimpleNamespace(**{str(k): v for k, v in record.items()})


@dataclass(frozen=True)
class Finding:
    """One diagnosed instance of a challenge, with the numbers behind it."""

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

    def to_json(self) -> dict[str, Any]:
        """The finding as the JSON object of ``docs/diagnose.md``."""
        return {
            "challenge": self.challenge,
            "account_id": self.account_id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "severity": round(float(self.severity), 4),
            "detector": self.detector,
            "evidence": clean(self.evidence),
            "summary": self.summary,
            "implication": self.implication,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class Skipped:
    """A check that could not be made, and why (no finding on too little data)."""

    challenge: str
    account_id: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"challenge": self.challenge, "account_id": self.account_id, "reason": self.reason}


@dataclass
class Diagnosis:
    """Findings, at-risk accounts and priorities of one diagnosis run."""

    findings: list[Finding]
    at_risk: list[dict[str, Any]]
    priorities: list[dict[str, Any]]
    skipped: list[Skipped] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"findings": [...], "at_risk": [...], "priorities": [...], ...}``."""
        return {
            "findings": [f.to_json() for f in self.findings],
            "at_risk": clean(self.at_risk),
            "priorities": clean(self.priorities),
            "skipped": [s.to_json() for s in self.skipped],
            "meta": clean(self.meta),
        }
