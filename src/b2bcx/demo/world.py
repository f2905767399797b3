"""The static part of the demo world: accounts, people, journeys, planted phenomena.

Every account gets a latent CX level and the phenomena planted on it; the
interactions drawn later (:mod:`b2bcx.demo.generate`) follow from these, so
what truth.json states is visible in the numbers and in the words.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from b2bcx.demo import catalogue as cat
from b2bcx.model.enums import Goal

START = _dt.date(2023, 1, 1)
END = _dt.date(2025, 12, 31)
DAYS = (END - START).days + 1

BUYING_FUNCTIONS = ("management", "procurement", "finance")
USAGE_FUNCTIONS = ("production", "maintenance", "operations", "quality", "engineering")
ROLE_TITLES = {
    "management": "plant director",
    "procurement": "purchasing manager",
    "finance": "controller",
    "production": "production manager",
    "maintenance": "maintenance manager",
    "operations": "shift supervisor",
    "quality": "quality engineer",
    "engineering": "process engineer",
    "it": "OT/IT specialist",
    "logistics": "logistics coordinator",
}


@dataclass
class World:
    """Accounts and stakeholders as column arrays, with their latent parameters."""

    n_accounts: int
    account_id: np.ndarray
    segment: np.ndarray
    annual_value: np.ndarray
    base: np.ndarray  # latent CX level on 0–10
    spread: np.ndarray  # within-account SD of stakeholders' latent CX
    churn_day: np.ndarray  # day index of churn, or -1
    flags: dict[str, np.ndarray]  # phenomenon → bool per account
    change_day: np.ndarray  # C5 decline start / C4 lost-contact day, per account
    dealer: np.ndarray
    service_partner: np.ndarray
    sh_account: np.ndarray  # stakeholder → account index
    sh_function: np.ndarray
    sh_level: np.ndarray
    sh_center: np.ndarray
    sh_offset: np.ndarray  # stakeholder's latent deviation from the account level
    sh_first: np.ndarray  # first stakeholder index per account (stakeholders are grouped)
    sh_count: np.ndarray


def day_to_date(day: int) -> _dt.date:
    """The calendar date of a day index."""
    return START + _dt.timedelta(days=int(day))


def build_world(rng: np.random.Generator, size: int) -> World:
    """Draw accounts, stakeholders and the planted phenomena for ``size`` interactions."""
    n = max(30, size // 1000)
    segment = rng.choice(np.array(cat.SEGMENTS), n, p=[0.15, 0.35, 0.5])
    seg_scale = np.where(segment == "key account", 8.0, np.where(segment == "mid-market", 3.0, 1.0))
    annual_value = np.round(rng.lognormal(11.0, 0.6, n) * seg_scale, -2)
    flags = {
        "c1_mismatch": rng.random(n) < 0.12,
        "c2_siloed": rng.random(n) < 0.10,
        "c3_stage_mismatch": rng.random(n) < 0.10,
        "c4_lost_contact": rng.random(n) < 0.06,
        "c5_declining": rng.random(n) < 0.10,
        "c5_goal_shift": rng.random(n) < 0.06,
        "c5_relationship_shift": rng.random(n) < 0.05,
        "unaligned": rng.random(n) < 0.25,
    }
    # every phenomenon is planted on at least two accounts, however small the world
    for name, flag in flags.items():
        if flag.sum() < 2:
            flag[rng.choice(n, 2, replace=False)] = True
        flags[name] = flag
    flags["c3_promise_broken"] = flags["c3_stage_mismatch"] & (rng.random(n) < 0.6)
    flags["c3_promise_broken"][np.flatnonzero(flags["c3_stage_mismatch"])[0]] = True
    base = np.clip(rng.normal(6.8, 0.9, n), 3.5, 9.0)
    base -= 0.8 * flags["c1_mismatch"]
    spread = np.where(flags["unaligned"], 2.4, 0.55)
    change_day = rng.integers(int(DAYS * 0.35), int(DAYS * 0.75), n)
    # Expected CX after the planted effects drives churn (Wirtz: CX → outcomes).
    expected = base - 1.2 * flags["c5_declining"] - 0.5 * flags["c4_lost_contact"]
    p_churn = 1 / (1 + np.exp(2.0 * (expected - 5.2)))
    churned = rng.random(n) < p_churn * 0.7
    churn_day = np.where(churned, rng.integers(int(DAYS * 0.7), DAYS - 5, n), -1)
    n_sh_f = np.clip(np.round(rng.lognormal(np.log(18), 0.35, n) * seg_scale**0.25), 4, 90)
    n_sh = n_sh_f.astype(np.int64)
    total = int(n_sh.sum())
    sh_account = np.repeat(np.arange(n), n_sh)
    buying = rng.random(total) < 0.3
    sh_function = np.where(
        buying,
        rng.choice(np.array(BUYING_FUNCTIONS), total),
        rng.choice(np.array([*USAGE_FUNCTIONS, "it", "logistics"]), total),
    )
    # make sure every siloed account has both production and maintenance people
    first = np.concatenate([[0], np.cumsum(n_sh)[:-1]])
    sil = np.flatnonzero(flags["c2_siloed"])
    sh_function[first[sil] + 1] = "production"
    sh_function[first[sil] + 2] = "maintenance"
    sh_function[first[sil] + 3] = "maintenance"
    is_buy_fn = np.isin(sh_function, BUYING_FUNCTIONS)
    sh_center = np.where(is_buy_fn, "buying", "usage")
    sh_center = np.where(rng.random(total) < 0.1, "both", sh_center)
    level_draw = rng.random(total)
    sh_level = np.where(
        level_draw < np.where(sh_function == "management", 0.8, 0.08),
        "executive",
        np.where(level_draw < 0.45, "manager", "operational"),
    )
    sh_offset = rng.normal(0.0, 1.0, total) * spread[sh_account]
    return World(
        n_accounts=n,
        account_id=np.array([f"ACC-{i:05d}" for i in range(n)]),
        segment=segment,
        annual_value=annual_value,
        base=base,
        spread=spread,
        churn_day=churn_day,
        flags=flags,
        change_day=change_day,
        dealer=rng.choice(np.array(cat.DEALERS), n),
        service_partner=rng.choice(np.array(cat.SERVICE_PARTNERS), n, p=[0.5, 0.5]),
        sh_account=sh_account,
        sh_function=sh_function,
        sh_level=sh_level,
        sh_center=sh_center,
        sh_offset=sh_offset,
        sh_first=first,
        sh_count=n_sh,
    )


def goal_importance(
    rng: np.random.Generator, level: np.ndarray, center: np.ndarray
) -> dict[str, np.ndarray]:
    """Importance (1–5) of each goal per stakeholder: organizational goals weigh
    more for executives and the buying centre, individual goals for users."""
    org_lean = (level == "executive") | (center == "buying")
    out = {}
    for g in Goal:
        organizational = g in (Goal.EFFICIENCY, Goal.DIFFERENTIATION, Goal.ASSOCIATION)
        mean = np.where(org_lean == organizational, 4.2, 3.0)
        out[g.value] = np.clip(np.round(rng.normal(mean, 0.7)), 1, 5)
    return out
