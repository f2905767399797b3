"""Every threshold and weight of the strategy analyses, in one place.

The defaults are documented in ``docs/strategy.md`` with the reasoning behind
each; pass a changed :class:`StrategyOptions` to :func:`~b2bcx.strategy.profile`,
:func:`~b2bcx.strategy.assess` or :func:`~b2bcx.strategy.plan` to use others.
The item weights of the questionnaire live in the item bank (``items.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from b2bcx.errors import ConfigurationError


@dataclass(frozen=True)
class StrategyOptions:
    """Thresholds and weights (scores are on 0–1 unless said otherwise).

    Attributes
    ----------
    boundary: impact and scope at or above this are *high* and *broad* (the
        middle of each axis of Fig. 1).
    clear_margin: an archetype is a clear call when both positions are at
        least this far from the boundary.
    self_weight: weight of the self-assessed scope in the scope score (the rest
        is the scope observed in the data).
    disagree: self-assessed and observed scope of a dimension disagree when
        they differ by at least this.
    perception_share: share of the impact score carried by the top-management
        view (the rest by the contextual factors).
    min_context_answers: fewest contextual factors answered for an impact score.
    misperception: the top-management view and the context disagree when their
        scores differ by at least this (Wirtz et al. 2025, Table 4).
    window_days: the period before the as-of date whose data counts (ratings of
        the profile, observed scope).
    min_rated: fewest rated experiences for a touchpoint or partner to count as
        covered.
    in_use: a metric, data kind or source is in use when at least this share of
        interactions has it.
    deep_account_people: people heard for an account to count as heard in depth.
    conflict_strength: smallest conflict strength (1–5 importance points) reported.
    conflict_min_group: fewest people in each group for a conflict.
    text_detected: a comment speaks of a goal when its probability is at least this.
    activity_window_days: days before and after an activity's start compared.
    keep_change: experience change (0–100 CX points, difference in
        differences) that earns an activity its place.
    goal_shift: change in a goal's mean importance (1–5) between survey waves
        that triggers a re-think.
    scope_drift: change in observed scope over a year that triggers a re-think.
    impact_drift: change in impact (0–1) since the previous saved assessment that
        triggers a re-think.
    strong_results: CX–outcome strength (0–1) counted as strong evidence.
    min_events: fewest accounts with (and without) an outcome for its relation
        with CX to count in the results strength.
    """

    boundary: float = 0.5
    clear_margin: float = 0.1
    self_weight: float = 0.5
    disagree: float = 0.25
    perception_share: float = 0.5
    min_context_answers: int = 3
    misperception: float = 0.25
    window_days: int = 365
    min_rated: int = 5
    in_use: float = 0.01
    deep_account_people: int = 3
    conflict_strength: float = 1.0
    conflict_min_group: int = 2
    text_detected: float = 0.5
    activity_window_days: int = 180
    keep_change: float = 2.0
    goal_shift: float = 0.5
    scope_drift: float = 0.1
    impact_drift: float = 0.1
    strong_results: float = 0.4
    min_events: int = 3

    def __post_init__(self) -> None:
        for name in (
            "boundary",
            "self_weight",
            "perception_share",
            "disagree",
            "misperception",
            "in_use",
            "text_detected",
            "scope_drift",
            "strong_results",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigurationError(f"{name} must be within 0–1 (got {value})")
        if not 0.0 <= self.clear_margin <= 0.5:
            raise ConfigurationError(f"clear_margin must be within 0–0.5 (got {self.clear_margin})")
        for name in (
            "window_days",
            "activity_window_days",
            "min_rated",
            "conflict_min_group",
            "min_events",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1 (got {getattr(self, name)})")


DEFAULT_OPTIONS = StrategyOptions()
