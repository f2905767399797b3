"""Every threshold of the detectors, documented and configurable (docs/diagnose.md).

Differences are on the common 0–100 scale of the chosen metric, so the defaults
mean the same on every rating (10 points = 1 point on a 0–10 scale).
"""

from __future__ import annotations

from dataclasses import dataclass

from b2bcx.model.ranges import check_options, option
from b2bcx.model.tables import RATING_SCALES


def _points(default: float) -> float:
    """A gap or drop on the 0–100 scale: in (0, 100]."""
    result: float = option(default, 0, 100, open_low=True)
    return result


@dataclass(frozen=True, kw_only=True)
class DiagnoseOptions:
    """Thresholds of the five detectors, the risk score and the priorities.

    Each field declares its allowed range next to its default
    (:func:`b2bcx.model.ranges.option`); a value outside it raises
    :class:`~b2bcx.errors.ConfigurationError` naming the option, the value, the
    range and the default.
    """

    #: the rating diagnosed (``cx``, ``nps``, ``csat`` or ``ces``)
    metric: str = option("cx", choices=tuple(RATING_SCALES))
    #: false-discovery rate (Benjamini–Hochberg) for every family of tests
    alpha: float = option(0.05, 0, 1, open_low=True, open_high=True)
    #: fewest people in a group compared (C2) and fewest ratings in a cell (C3, C4)
    min_people: int = option(2, 2, integer=True)
    min_ratings: int = option(20, 2, integer=True)
    #: C1: an account counts as low-value below this quantile of annual value
    low_value_quantile: float = option(0.25, 0, 1, open_low=True, open_high=True)
    #: C1 power: customer-controlled share of an account's interactions that dominates
    customer_control_share: float = option(0.5, 0, 1, open_low=True)
    #: C1 fallback when the customer's expectation is not stated: importance (1–5)
    #: of the relationships goal; relational when the account's interval lies above,
    #: transactional when below (3 = the scale's midpoint)
    relational_importance: float = option(3.0, 1, 5)
    #: C1 excellent experience: how much worse (0–100) an account gets a goal it
    #: values, against its other goals, than other accounts do
    excellence_gap: float = _points(10.0)
    #: C2: between-group gap (0–100) to call a silo
    silo_gap: float = _points(20.0)
    #: C2: effect size (omega squared) to call a silo
    silo_omega2: float = option(0.14, 0, 1)
    #: C3: drop from buying-centre to usage-centre stages, and between concurrent journeys
    journey_gap: float = _points(12.0)
    #: C4: partner/customer/external touchpoints below comparable supplier ones
    control_gap: float = _points(8.0)
    #: C4: days without a direct (supplier-controlled) touchpoint while partners met the account
    lost_contact_days: int = option(180, 1, integer=True)
    #: C4: fewest partner contacts in that time
    min_partner_contacts: int = option(5, 1, integer=True)
    #: C5: decline of CX (0–100 points per year) after a change point
    decline_per_year: float = option(8.0, 0, open_low=True)
    #: C5: total drop (0–100) since the change point
    decline_drop: float = _points(8.0)
    #: C5: fewest months with ratings for a trend
    min_months: int = option(6, 2, integer=True)
    #: C5: change of mean goal importance (1–5) between survey waves that counts
    goal_shift: float = option(0.75, 0, 4, open_low=True)
    #: C5: days compared before and after a change of relationship type or control
    change_window_days: int = option(365, 1, integer=True)
    #: priorities: an experience counts as poor at or below this (0–100)
    poor_experience: float = option(40.0, 0, 100)
    #: priorities: a goal rating at or below this on its 1–5 scale counts as poor
    poor_goal_rating: float = option(2.0, 1, 5)
    #: priorities: at most this many
    max_priorities: int = option(20, 1, integer=True)

    #: C4: share of an account's contact run by partners that reads as partner-owned
    partner_share: float = option(0.5, 0, 1, open_low=True, open_high=True)
    #: C4: rise of that share (recent 12 months against the months before) that counts
    partner_share_rise: float = option(0.2, 0, 1, open_low=True)
    #: C5: simulated series for the null distribution of the change test
    change_reps: int = option(999, 99, integer=True)
    #: risk: fewest ratings behind an account's level, else the risk is unknown
    risk_min_ratings: int = option(3, 1, integer=True)
    #: risk: an account known only through reviews older than this is unknown
    risk_max_age_days: int = option(365, 1, integer=True)
    #: risk: fewest outcome events of each class (churned, not) to fit the weights
    risk_min_events: int = option(30, 10, integer=True)
    #: risk: days ahead the fitted risk predicts churn over
    risk_horizon_days: int = option(365, 30, integer=True)

    def __post_init__(self) -> None:
        check_options(self)
