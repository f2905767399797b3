"""Every threshold and weight of the strategy analyses, in one place.

The defaults are documented in ``docs/strategy.md`` with the reasoning behind
each; pass a changed :class:`StrategyOptions` to :func:`~b2bcx.strategy.profile`,
:func:`~b2bcx.strategy.assess` or :func:`~b2bcx.strategy.plan` to use others.
The item weights of the questionnaire live in the item bank (``items.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from b2bcx.model.ranges import check_options, option


@dataclass(frozen=True, kw_only=True)
class StrategyOptions:
    """Thresholds and weights (scores are on 0–1 unless said otherwise).

    Each field declares its allowed range next to its default
    (:func:`b2bcx.model.ranges.option`); a value outside it raises
    :class:`~b2bcx.errors.ConfigurationError` naming the option, the value, the
    range and the default.

    Attributes
    ----------
    boundary: impact and scope at or above this are *high* and *broad* (the
        middle of each axis of Fig. 1).
    clear_margin: an archetype is a clear call when both positions are at
        least this far from the boundary.
    self_weight: weight of the self-assessed scope in the scope score (the rest
        is the scope observed in the data, which sees only the activities the
        workspace records).
    disagree: self-assessed and observed scope of a dimension disagree when
        they differ by at least this.
    perception_share: not read by the analyses (impact uses the item bank's
        ``perception_share``, 1 in the shipped bank: perception alone).
    min_context_answers: fewest contextual factors answered for an impact score.
    misperception: the key stakeholders' view and the antecedents disagree when their
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
    relevant_reach: a touchpoint is relevant to observed scope when at least this
        share of the people heard met it (or this share of explained NPS).
    n_boot: bootstrap replicates of the position's interval (0: none).
    confidence: level of the position's interval.
    seed: seed of the position's bootstrap (the same answers give the same interval).
    agreement_rwg: the key stakeholders agree on impact when rwg(j) over their
        perception answers is at least this (the product's customer rule, .70).
    pretrend_p: the parallel-trends check fails when the before-period trend
        difference has a p-value below this.
    min_clusters: fewest accounts on each side of an activity's comparison for
        a clustered estimate.
    lost_value_rise: trigger when the annual value lost (churn and contraction)
        in the last window exceeds the window before by at least this share of
        the portfolio's annual value.
    """

    boundary: float = option(0.5, 0, 1)
    clear_margin: float = option(0.1, 0, 0.5)
    self_weight: float = option(0.75, 0, 1)
    disagree: float = option(0.25, 0, 1)
    perception_share: float = option(0.5, 0, 1)
    min_context_answers: int = option(3, 1, integer=True)
    misperception: float = option(0.25, 0, 1)
    window_days: int = option(365, 1, integer=True)
    min_rated: int = option(5, 1, integer=True)
    in_use: float = option(0.01, 0, 1)
    deep_account_people: int = option(3, 1, integer=True)
    conflict_strength: float = option(1.0, 0, 8)
    conflict_min_group: int = option(2, 1, integer=True)
    text_detected: float = option(0.5, 0, 1)
    activity_window_days: int = option(180, 1, integer=True)
    keep_change: float = option(2.0, 0, 100)
    goal_shift: float = option(0.5, 0, 4, open_low=True)
    scope_drift: float = option(0.1, 0, 1)
    impact_drift: float = option(0.1, 0, 1)
    strong_results: float = option(0.4, 0, 1)
    min_events: int = option(3, 1, integer=True)
    relevant_reach: float = option(0.05, 0, 1)
    n_boot: int = option(1000, 0, integer=True)
    confidence: float = option(0.95, 0.5, 1, open_high=True)
    seed: int = option(0, 0, integer=True)
    agreement_rwg: float = option(0.7, 0, 1)
    pretrend_p: float = option(0.1, 0, 1)
    min_clusters: int = option(5, 2, integer=True)
    lost_value_rise: float = option(0.05, 0, 1)

    def __post_init__(self) -> None:
        check_options(self)


DEFAULT_OPTIONS = StrategyOptions()
