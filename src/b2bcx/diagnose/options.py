"""Every threshold of the detectors, documented and configurable (docs/diagnose.md).

Differences are on the common 0–100 scale of the chosen metric, so the defaults
mean the same on every rating (10 points = 1 point on a 0–10 scale).
"""

from __future__ import annotations

from dataclasses import dataclass

from b2bcx.errors import ConfigurationError


@dataclass(frozen=True, kw_only=True)
class DiagnoseOptions:
    """Thresholds of the five detectors, the risk score and the priorities."""

    metric: str = "cx"
    #: false-discovery rate (Benjamini–Hochberg) for every family of tests
    alpha: float = 0.05
    #: fewest people in a group compared (C2) and fewest ratings in a cell (C3, C4)
    min_people: int = 2
    min_ratings: int = 20
    # C1: an account counts as low-value below this quantile of annual value
    low_value_quantile: float = 0.25
    #: C1 power: customer-controlled share of an account's interactions that dominates
    customer_control_share: float = 0.5
    #: C1 fallback when the customer's expectation is not stated: mean importance
    #: (1–5) of the relational goals (relationships, empowerment) that reads as relational
    relational_importance: float = 4.0
    # C2: between-group gap (0–100) and effect size (omega squared) to call a silo
    silo_gap: float = 20.0
    silo_omega2: float = 0.14
    # C3: drop from buying-centre to usage-centre stages, and between concurrent journeys
    journey_gap: float = 12.0
    # C4: partner/customer/external touchpoints below comparable supplier ones
    control_gap: float = 8.0
    #: C4: days without a direct (supplier-controlled) touchpoint while partners met the account
    lost_contact_days: int = 180
    min_partner_contacts: int = 5
    # C5: decline of CX (0–100 points per year) after a change point, and its total drop
    decline_per_year: float = 8.0
    decline_drop: float = 8.0
    min_months: int = 6
    #: C5: change of mean goal importance (1–5) between survey waves that counts
    goal_shift: float = 0.75
    #: C5: days compared before and after a change of relationship type or control
    change_window_days: int = 365
    # priorities: an experience counts as poor at or below this (0–100), a goal
    # rating at or below this on its 1–5 scale
    poor_experience: float = 40.0
    poor_goal_rating: float = 2.0
    max_priorities: int = 20

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ConfigurationError(f"alpha must lie in (0, 1) (got {self.alpha})")
        if self.min_people < 2:
            raise ConfigurationError("min_people must be at least 2 (a variance needs two)")
        if self.min_ratings < 2:
            raise ConfigurationError("min_ratings must be at least 2")
        for name in ("silo_gap", "journey_gap", "control_gap", "decline_per_year"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive")
        if not 0.0 < self.low_value_quantile < 1.0:
            raise ConfigurationError("low_value_quantile must lie in (0, 1)")
