"""The world specification and the fixed catalogue of the independent worlds.

Everything here follows ``benchmarks/worlds/README.md`` (the description this
generator is written from); the numbers are documented there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

CHALLENGES: Final = ("C1", "C2", "C3", "C4", "C5")

#: Effect levels in units of the total rating SD (Cohen's d).
EFFECT_LEVELS: Final = MappingProxyType({"subtle": 0.3, "moderate": 0.6, "strong": 1.2})

#: Rating model on the 0–10 scale (README, "Ratings").
MU: Final = 7.0
SD_ACCOUNT: Final = 0.7
SD_PERSON: Final = 0.8
SD_TOUCHPOINT: Final = 0.18
SD_NOISE: Final = 1.4
SD_PORTFOLIO_SHOCK: Final = 0.25
PHI_PORTFOLIO: Final = 0.5
SD_ACCOUNT_SHOCK: Final = 0.5
PHI_ACCOUNT: Final = 0.6
SEASON_AMPLITUDE: Final = 0.3
#: Total SD of one rating (the unit of effect sizes), from the components above
#: (stage, function and season add about 0.35² on average).
SD_TOTAL: Final = 1.85

STAGES: Final = ("pre_bid", "negotiation", "implementation", "operations")
STAGE_EFFECT: Final = MappingProxyType(
    {"pre_bid": 0.3, "negotiation": -0.2, "implementation": -0.6, "operations": 0.0}
)
USAGE_STAGES: Final = frozenset({"implementation", "operations"})

#: function → (people low, people high inclusive, level, centre, unit, interactions a month,
#: function effect)
FUNCTIONS: Final = MappingProxyType(
    {
        "it": (3, 8, "operational", "usage", "central IT", 0.9, -0.3),
        "operations": (1, 2, "operational", "usage", "service operations", 0.7, 0.0),
        "procurement": (1, 2, "manager", "buying", "central procurement", 0.35, -0.2),
        "finance": (1, 1, "manager", "buying", "finance", 0.3, 0.0),
        "management": (1, 1, "executive", "buying", "executive office", 0.3, 0.3),
        "hr": (0, 1, "manager", "usage", "people & culture", 0.4, 0.0),
    }
)
FUNCTION_NAMES: Final = tuple(FUNCTIONS)

PARTNERS: Final = (
    ("NW-P-INTA", "Integra Partners", "integrator"),
    ("NW-P-INTB", "Systemhaus Delta", "integrator"),
    ("NW-P-HELP", "HelpNow Services", "service_provider"),
)

#: touchpoint id → (name, stage, channel, controller, partner id, default source)
TOUCHPOINTS: Final = MappingProxyType(
    {
        "NW-TP01": ("Discovery workshop", "pre_bid", "human", "supplier", "", "meeting"),
        "NW-TP02": ("Platform demo & trial", "pre_bid", "digital", "supplier", "", "event"),
        "NW-TP03": (
            "Integrator pre-sales scoping",
            "pre_bid",
            "human",
            "partner",
            "NW-P-INTA",
            "meeting",
        ),
        "NW-TP04": ("Peer reference call", "pre_bid", "human", "external", "", "call"),
        "NW-TP05": (
            "Commercial proposal & pricing",
            "negotiation",
            "human",
            "supplier",
            "",
            "meeting",
        ),
        "NW-TP06": (
            "Security & compliance questionnaire",
            "negotiation",
            "digital",
            "customer",
            "",
            "email",
        ),
        "NW-TP07": ("Renewal negotiation", "negotiation", "human", "supplier", "", "meeting"),
        "NW-TP08": ("Customer vendor portal", "negotiation", "digital", "customer", "", "event"),
        "NW-TP09": (
            "Implementation project (Integra Partners)",
            "implementation",
            "human",
            "partner",
            "NW-P-INTA",
            "meeting",
        ),
        "NW-TP10": (
            "Implementation project (Systemhaus Delta)",
            "implementation",
            "human",
            "partner",
            "NW-P-INTB",
            "meeting",
        ),
        "NW-TP11": ("Data migration", "implementation", "hybrid", "supplier", "", "email"),
        "NW-TP12": ("Admin training", "implementation", "digital", "supplier", "", "survey"),
        "NW-TP13": ("SSO & network setup", "implementation", "hybrid", "customer", "", "ticket"),
        "NW-TP14": ("Service desk ticket", "operations", "human", "supplier", "", "ticket"),
        "NW-TP15": (
            "Managed first-line support (HelpNow)",
            "operations",
            "human",
            "partner",
            "NW-P-HELP",
            "ticket",
        ),
        "NW-TP16": ("Platform usage", "operations", "digital", "supplier", "", "event"),
        "NW-TP17": (
            "Status page & outages (cloud host)",
            "operations",
            "digital",
            "external",
            "",
            "event",
        ),
        "NW-TP18": ("Quarterly business review", "operations", "human", "supplier", "", "meeting"),
        "NW-TP19": ("Billing & invoicing portal", "operations", "digital", "supplier", "", "email"),
    }
)
TOUCHPOINT_IDS: Final = tuple(TOUCHPOINTS)

#: function → weight of each touchpoint (in TOUCHPOINT_IDS order); people meet the
#: supplier only at the stages of their centre. TP09 stands for "the account's
#: integrator" and is swapped for TP10 where that integrator serves the account.
_W = {
    "it": {"NW-TP09": 3, "NW-TP11": 2, "NW-TP12": 1, "NW-TP13": 1, "NW-TP14": 4, "NW-TP16": 4,
           "NW-TP17": 2},
    "operations": {"NW-TP12": 1, "NW-TP14": 3, "NW-TP16": 5, "NW-TP17": 1},
    "procurement": {"NW-TP01": 1, "NW-TP02": 1, "NW-TP03": 1, "NW-TP04": 1, "NW-TP05": 3,
                    "NW-TP06": 2, "NW-TP07": 3, "NW-TP08": 2},
    "finance": {"NW-TP05": 2, "NW-TP07": 2, "NW-TP08": 1, "NW-TP19": 5},
    "management": {"NW-TP01": 2, "NW-TP02": 1, "NW-TP03": 1, "NW-TP04": 1, "NW-TP05": 2,
                   "NW-TP07": 2, "NW-TP18": 4},
    "hr": {"NW-TP12": 3, "NW-TP16": 3, "NW-TP14": 1},
}  # fmt: skip
TOUCHPOINT_WEIGHTS: Final = MappingProxyType(
    {f: tuple(float(_W[f].get(t, 0)) for t in TOUCHPOINT_IDS) for f in FUNCTION_NAMES}
)

#: supplier touchpoint → the partner touchpoint that replaces it when a partner takes
#: over the relationship (C4 ownership); TP09 stands for the account's integrator.
PARTNER_REPLACEMENT: Final = MappingProxyType(
    {
        "NW-TP01": "NW-TP03",
        "NW-TP02": "NW-TP03",
        "NW-TP05": "NW-TP03",
        "NW-TP07": "NW-TP03",
        "NW-TP11": "NW-TP09",
        "NW-TP12": "NW-TP09",
        "NW-TP14": "NW-TP15",
        "NW-TP16": "NW-TP15",
        "NW-TP18": "NW-TP15",
        "NW-TP19": "NW-TP15",
    }
)

GOALS: Final = (
    "efficiency",
    "differentiation",
    "association",
    "convenience",
    "empowerment",
    "relationships",
)
RELATIONAL_GOALS: Final = ("relationships", "empowerment")

#: columns a world may drop (table, column)
DROPPABLE: Final = (
    ("stakeholders", "unit"),
    ("stakeholders", "level"),
    ("accounts", "relationship_expected"),
    ("interactions", "nps"),
    ("interactions", "csat"),
    ("interactions", "comment"),
    ("accounts", "employees"),
    ("touchpoints", "channel"),
)


@dataclass(frozen=True)
class WorldSpec:
    """What to generate.

    Parameters
    ----------
    accounts : int
        Number of client organizations.
    seed : int
        Seed of the generator; the same spec gives byte-identical files.
    null : bool
        Plant nothing (every nuisance stays on).
    effect : str
        ``subtle``, ``moderate``, ``strong`` or ``mixed`` (each planted item draws
        a level).
    scale : dict
        Factor per challenge (``C1`` … ``C5``) on the effect size; default 1.
    share : float
        Share of accounts that get each challenge (at most one per account).
    months : int
        Length of the period, starting ``start``.
    start : datetime.date
        First day of the period.
    drop_probability : float
        Probability that each droppable optional column is left out.
    churn : bool
        Plant churn at renewals (independent worlds; null worlds never churn).
    """

    accounts: int = 200
    seed: int = 0
    null: bool = False
    effect: str = "mixed"
    scale: dict[str, float] = field(default_factory=dict)
    share: float = 0.1
    months: int = 36
    start: dt.date = dt.date(2023, 1, 1)
    drop_probability: float = 0.3
    churn: bool = True

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise ValueError("accounts must be ≥ 1")
        if self.effect not in (*EFFECT_LEVELS, "mixed"):
            raise ValueError(f"effect must be one of {[*EFFECT_LEVELS, 'mixed']}")
        if not 0 <= self.share <= 0.2:
            raise ValueError("share must lie in 0–0.2 (five challenges, one per account)")
        if self.months < 12:
            raise ValueError("months must be ≥ 12")
        unknown = set(self.scale) - set(CHALLENGES)
        if unknown:
            raise ValueError(f"unknown challenges in scale: {sorted(unknown)}")

    @property
    def end(self) -> dt.date:
        """Last day of the period."""
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return dt.date(self.start.year + y, m + 1, 1) - dt.timedelta(days=1)
