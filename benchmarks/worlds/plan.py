"""What a world plants: one challenge per chosen account, with its effect size,
direction and timing, plus the portfolio items (a weak partner, a control change).

A null world's plan is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from benchmarks.worlds.spec import (
    CHALLENGES,
    EFFECT_LEVELS,
    FUNCTION_NAMES,
    GOALS,
    PARTNERS,
    WorldSpec,
)

LEVEL_NAMES = tuple(EFFECT_LEVELS)


@dataclass(frozen=True)
class Plan:
    """Per-account arrays (index = account) and the portfolio items.

    ``challenge`` is "" for a clean account; ``d`` is the effect size in rating
    SDs (0 when clean); ``direction`` is −1 (worse) or +1 (better).
    """

    challenge: np.ndarray
    level: np.ndarray
    d: np.ndarray
    direction: np.ndarray
    group: np.ndarray  # C2: function index of the silo group (−1 otherwise)
    tau: np.ndarray  # C4/C5: day the change starts (−1 otherwise)
    ramp: np.ndarray  # C5: days of a linear change (0 = a step)
    c5_kind: np.ndarray  # C5: "step", "linear" or "goal_shift"
    goal: np.ndarray  # C5 goal shift: index into GOALS (−1 otherwise)
    take_over: np.ndarray  # C4: share of supplier contact taken over by partners
    promises: np.ndarray  # C3: usage-stage comments say a promise was broken
    weak_partner: str | None
    weak_level: str
    weak_d: float
    control_tp: str | None
    control_day: int
    control_level: str
    control_d: float
    control_direction: int


def _level(spec: WorldSpec, rng: np.random.Generator, size: int) -> np.ndarray:
    if spec.effect == "mixed":
        return np.array(LEVEL_NAMES)[rng.integers(0, len(LEVEL_NAMES), size)]
    return np.full(size, spec.effect)


def make_plan(spec: WorldSpec, rng: np.random.Generator) -> Plan:
    """Choose the planted accounts and their effects (empty for a null world)."""
    n = spec.accounts
    horizon = (spec.end - spec.start).days
    challenge = np.full(n, "", dtype=object)
    if not spec.null:
        k = round(spec.share * n)
        order = rng.permutation(n)
        for i, c in enumerate(CHALLENGES):
            challenge[order[i * k : (i + 1) * k]] = c
    level = np.where(challenge != "", _level(spec, rng, n), "")
    scale = np.array([spec.scale.get(str(c), 1.0) if c else 0.0 for c in challenge])
    d = np.array([EFFECT_LEVELS.get(str(lv), 0.0) for lv in level]) * scale
    u = rng.random(n)
    direction = np.full(n, -1)
    direction[(challenge == "C2") & (u < 0.2)] = 1
    direction[(challenge == "C3") & (u < 0.3)] = 1
    direction[(challenge == "C5") & (u < 0.35)] = 1
    # C2: the large IT group in half the cases, else a one- or two-person function
    small = np.array([FUNCTION_NAMES.index(f) for f in ("finance", "procurement", "operations")])
    group = np.where(
        rng.random(n) < 0.5, FUNCTION_NAMES.index("it"), small[rng.integers(0, small.size, n)]
    )
    group = np.where(challenge == "C2", group, -1)
    # timing: C4 from the first half, C5 from the middle half of the period
    tau = np.full(n, -1)
    c4 = challenge == "C4"
    tau[c4] = rng.integers(int(horizon * 0.15), int(horizon * 0.5), int(c4.sum()))
    c5 = challenge == "C5"
    tau[c5] = rng.integers(int(horizon * 0.25), int(horizon * 0.75), int(c5.sum()))
    kind_u = rng.random(n)
    c5_kind = np.where(kind_u < 0.2, "goal_shift", np.where(kind_u < 0.6, "step", "linear"))
    c5_kind = np.where(c5, c5_kind, "")
    ramp = np.where(c5_kind == "linear", rng.integers(183, 366, n), 0)
    goal = np.where(c5_kind == "goal_shift", rng.integers(0, len(GOALS), n), -1)
    take = {"subtle": 0.5, "moderate": 0.8, "strong": 1.0}
    take_over = np.array([take.get(str(lv), 0.0) for lv in level]) * c4
    promises = (challenge == "C3") & (direction < 0) & (rng.random(n) < 0.3)

    weak_partner: str | None = None
    weak_level, weak_d = "", 0.0
    control_tp: str | None = None
    control_day, control_level, control_d, control_direction = -1, "", 0.0, 0
    if not spec.null:
        weak_partner = str(rng.choice([PARTNERS[0][0], PARTNERS[1][0]]))
        weak_level = str(_level(spec, rng, 1)[0])
        weak_d = EFFECT_LEVELS[weak_level] * spec.scale.get("C4", 1.0)
        control_tp = str(rng.choice(["NW-TP12", "NW-TP14"]))
        control_day = int(rng.integers(int(horizon * 0.3), int(horizon * 0.6)))
        control_level = str(_level(spec, rng, 1)[0])
        control_d = EFFECT_LEVELS[control_level] * spec.scale.get("C5", 1.0)
        control_direction = -1 if rng.random() < 0.65 else 1
    return Plan(
        challenge=challenge,
        level=level,
        d=d,
        direction=direction,
        group=group,
        tau=tau,
        ramp=ramp,
        c5_kind=c5_kind,
        goal=goal,
        take_over=take_over,
        promises=promises,
        weak_partner=weak_partner,
        weak_level=weak_level,
        weak_d=weak_d,
        control_tp=control_tp,
        control_day=control_day,
        control_level=control_level,
        control_d=control_d,
        control_direction=control_direction,
    )
