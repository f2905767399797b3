"""Accounts, stakeholders (with turnover) and journeys of an independent world.

All day values are integer offsets from the first day of the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from benchmarks.worlds.spec import FUNCTION_NAMES, FUNCTIONS, WorldSpec

_PREFIX = np.array(["Alder", "Brightwater", "Corvid", "Dunmore", "Elmstead", "Fjord", "Granite",
                    "Harbour", "Ironbridge", "Juniper", "Kestrel", "Lindholm", "Meridian",
                    "Northgate", "Oakridge", "Pinecrest", "Quayside", "Redfern", "Stonebay",
                    "Tidewater"])  # fmt: skip
_SUFFIX = np.array(["Utilities", "Facility Services", "Telecom", "Care Group", "Builders",
                    "Lift & HVAC", "Water", "Energy Services", "Property Management",
                    "Rail Services"])  # fmt: skip
_INDUSTRY = np.array(["utilities", "facility management", "telecom", "healthcare services",
                      "construction", "building services"])  # fmt: skip
_COUNTRY = np.array(["NL", "BE", "DE", "FR", "GB", "PL", "DK"])
_MANAGERS = np.array(["A. Visser", "B. Laurent", "C. Nowak", "D. Jensen", "E. Murphy",
                      "F. Becker", "G. Janssens", "H. Kowalski"])  # fmt: skip
_OFFERINGS = np.array(["Field Service Platform", "Managed Service Desk", "Data Migration",
                       "Analytics Add-on"])  # fmt: skip

#: yearly leaving rate of a contact
LEAVE_RATE = 0.15


@dataclass(frozen=True)
class People:
    """Stakeholders as arrays (one entry per person)."""

    account: np.ndarray  # account index
    function: np.ndarray  # index into FUNCTION_NAMES
    slot: np.ndarray  # the position the person fills (chains of successors)
    first_in_slot: np.ndarray  # bool: the slot's first holder
    active_from: np.ndarray  # day offset (may be < 0)
    active_to: np.ndarray  # day offset; > horizon means still active
    level: np.ndarray
    center: np.ndarray
    unit: np.ndarray
    decision_maker: np.ndarray


def make_accounts(spec: WorldSpec, rng: np.random.Generator) -> pd.DataFrame:
    """The accounts table (before planting; relationship columns set later)."""
    n = spec.accounts
    employees = np.round(np.exp(rng.normal(6.6, 1.1, n))).astype(int) + 20
    enterprise = employees >= 2000
    value = np.round(np.exp(rng.normal(10.6, 0.7, n)) * np.where(enterprise, 2.5, 1.0), -2)
    ids = np.array([f"NW-{i + 1:04d}" for i in range(n)])
    names = np.char.add(np.char.add(rng.choice(_PREFIX, n), " "), rng.choice(_SUFFIX, n))
    names = np.char.add(names, np.array([f" {i + 1}" for i in range(n)]))
    parent = np.full(n, "", dtype=object)
    if n > 10:
        sub = np.flatnonzero(rng.random(n) < 0.10)
        sub = sub[sub >= 10]
        parent[sub] = ids[rng.integers(0, 10, sub.size)]
    relational = rng.random(n) < np.where(enterprise, 0.7, 0.4)
    return pd.DataFrame(
        {
            "account_id": ids,
            "name": names,
            "industry": rng.choice(_INDUSTRY, n),
            "employees": employees,
            "country": rng.choice(_COUNTRY, n),
            "segment": np.where(enterprise, "enterprise", "mid-market"),
            "annual_value": value,
            "account_manager": rng.choice(_MANAGERS, n),
            "parent_account_id": parent,
            "relationship_intended": np.where(relational, "relational", "transactional"),
            "relationship_expected": np.where(relational, "relational", "transactional"),
        }
    )


def make_people(spec: WorldSpec, rng: np.random.Generator, horizon: int) -> People:
    """Slots per account and function, each filled by a chain of people over time."""
    n = spec.accounts
    counts = np.stack(
        [rng.integers(lo, hi + 1, n) for lo, hi, *_ in FUNCTIONS.values()], axis=1
    )  # accounts × functions
    slot_account = np.repeat(np.repeat(np.arange(n), len(FUNCTIONS)), counts.ravel())
    slot_function = np.repeat(np.tile(np.arange(len(FUNCTIONS)), n), counts.ravel())
    n_slots = slot_account.size
    # rank of the slot within its account and function (0 = first)
    key = slot_account * len(FUNCTIONS) + slot_function
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    rank = np.arange(n_slots) - np.repeat(starts, np.diff(np.r_[starts, n_slots]))
    is_mgmt = slot_function == FUNCTION_NAMES.index("management")

    acc, fun, slot, first, a_from, a_to = [], [], [], [], [], []
    t = -rng.integers(30, 1500, n_slots)  # the first holders joined before the period
    alive = np.ones(n_slots, dtype=bool)
    is_first = True
    while alive.any():
        idx = np.flatnonzero(alive)
        tenure = rng.exponential(365.0 / LEAVE_RATE, idx.size).astype(int) + 60
        leave = t[idx] + tenure
        acc.append(slot_account[idx])
        fun.append(slot_function[idx])
        slot.append(idx)
        first.append(np.full(idx.size, is_first))
        a_from.append(t[idx])
        a_to.append(leave)
        gap = np.where(is_mgmt[idx], rng.integers(0, 240, idx.size), rng.integers(0, 120, idx.size))
        t[idx] = leave + gap
        alive[idx] = t[idx] <= horizon
        is_first = False
    account = np.concatenate(acc)
    function = np.concatenate(fun)
    slots = np.concatenate(slot)
    order = np.lexsort((np.concatenate(a_from), slots))
    account, function, slots = account[order], function[order], slots[order]
    active_from = np.concatenate(a_from)[order]
    active_to = np.concatenate(a_to)[order]
    first_in_slot = np.concatenate(first)[order]

    names = np.array(FUNCTION_NAMES)[function]
    level = np.array([FUNCTIONS[f][2] for f in FUNCTION_NAMES])[function].astype(object)
    center = np.array([FUNCTIONS[f][3] for f in FUNCTION_NAMES])[function].astype(object)
    unit = np.array([FUNCTIONS[f][4] for f in FUNCTION_NAMES])[function].astype(object)
    it_lead = (names == "it") & (rank[slots] == 0)
    level[it_lead], center[it_lead] = "manager", "both"
    # large IT groups work from two sites
    it_count = counts[:, FUNCTION_NAMES.index("it")][account]
    second_site = (names == "it") & (it_count >= 6) & (rank[slots] % 2 == 1)
    unit[second_site] = "IT site operations"
    return People(
        account=account,
        function=function,
        slot=slots,
        first_in_slot=first_in_slot,
        active_from=active_from,
        active_to=active_to,
        level=level,
        center=center,
        unit=unit,
        decision_maker=names == "management",
    )


def vacancies(people: People, function: int) -> pd.DataFrame:
    """Gaps between successive holders of the slots of one function.

    Returns a frame with ``account``, ``gap_from`` and ``gap_to`` (day offsets).
    """
    mask = people.function == function
    slot = people.slot[mask]
    same = slot[1:] == slot[:-1]
    return pd.DataFrame(
        {
            "account": people.account[mask][1:][same],
            "gap_from": people.active_to[mask][:-1][same],
            "gap_to": people.active_from[mask][1:][same],
        }
    )


def make_journeys(
    accounts: pd.DataFrame, rng: np.random.Generator, spec: WorldSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One platform journey per account (started before the period) and 0–2 later ones."""
    n = len(accounts)
    k = 1 + rng.binomial(2, 0.3, n)
    acc = np.repeat(np.arange(n), k)
    nth = np.arange(acc.size) - np.repeat(np.r_[0, np.cumsum(k)[:-1]], k)
    horizon = (spec.end - spec.start).days
    started = np.where(nth == 0, -rng.integers(200, 1500, acc.size),
                       rng.integers(0, int(horizon * 0.8), acc.size))  # fmt: skip
    offering = np.where(nth == 0, _OFFERINGS[0], _OFFERINGS[1:][rng.integers(0, 3, acc.size)])
    share = np.where(nth == 0, 1.0, rng.uniform(0.1, 0.4, acc.size))
    journeys = pd.DataFrame(
        {
            "journey_id": [f"NW-J{i + 1:05d}" for i in range(acc.size)],
            "account": acc,
            "offering": offering,
            "started": started,
            "contract_value": np.round(accounts["annual_value"].to_numpy()[acc] * share, -2),
        }
    )
    gaps = np.stack(
        [np.zeros(acc.size, dtype=int), rng.integers(20, 80, acc.size),
         rng.integers(40, 120, acc.size), rng.integers(60, 200, acc.size)], axis=1
    ).cumsum(axis=1)  # fmt: skip
    stages = pd.DataFrame(
        {
            "journey_id": np.repeat(journeys["journey_id"].to_numpy(), 4),
            "stage": np.tile(["pre_bid", "negotiation", "implementation", "operations"], acc.size),
            "entered": np.repeat(started, 4) + gaps.ravel(),
        }
    )
    stages = stages[stages["entered"] <= horizon].reset_index(drop=True)
    return journeys, stages
