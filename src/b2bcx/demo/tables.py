"""The demo's small tables: accounts, people, partners, catalogue, journeys, goals,
outcomes, activities — and the relationship history."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from b2bcx.demo import catalogue as cat
from b2bcx.demo.world import DAYS, ROLE_TITLES, World, day_to_date, goal_importance


def _iso(days: np.ndarray) -> list[str | None]:
    return [day_to_date(d).isoformat() if d >= 0 else None for d in days.tolist()]


def relationship_types(rng: np.random.Generator, w: World) -> tuple[np.ndarray, np.ndarray]:
    """Intended and expected relationship type per account (C1 mismatches planted)."""
    relational = np.where(
        w.segment == "key account",
        True,
        np.where(w.segment == "SMB", False, rng.random(w.n_accounts) < 0.5),
    )
    intended = np.where(relational, "relational", "transactional")
    expected = intended.copy()
    flip = w.flags["c1_mismatch"]
    expected[flip] = np.where(intended[flip] == "relational", "transactional", "relational")
    return intended, expected


def accounts_table(
    rng: np.random.Generator, w: World, intended: np.ndarray, expected: np.ndarray
) -> pa.Table:
    """The accounts, some as sites of a corporate group (parent_account_id)."""
    n = w.n_accounts
    parent: list[str | None] = [None] * n
    groups = np.flatnonzero((w.segment == "key account") & (rng.random(n) < 0.4))
    for g in groups.tolist():
        for child in rng.choice(n, 2, replace=False).tolist():
            if child != g and parent[g] is None and w.segment[child] != "key account":
                parent[child] = str(w.account_id[g])
    names = [
        f"{a} {b}"
        for a, b in zip(
            rng.choice(
                np.array(
                    [
                        "Nord",
                        "Baltic",
                        "Alpine",
                        "Rhein",
                        "Vasa",
                        "Oder",
                        "Tamar",
                        "Loire",
                        "Ebro",
                        "Danube",
                        "Kalix",
                        "Glomma",
                    ]
                ),
                n,
            ).tolist(),
            rng.choice(
                np.array(
                    [
                        "Foods",
                        "Automotive",
                        "Mining",
                        "Paper",
                        "Pharma",
                        "Chemicals",
                        "Packaging",
                        "Metals",
                        "Dairy",
                        "Logistics",
                    ]
                ),
                n,
            ).tolist(),
            strict=True,
        )
    ]
    names = [f"{name} {i % 97 + 1}" for i, name in enumerate(names)]
    return pa.table(
        {
            "account_id": w.account_id,
            "name": names,
            "industry": rng.choice(np.array(cat.INDUSTRIES), n),
            "employees": np.round(
                rng.lognormal(5.5, 1.0, n) * np.where(w.segment == "key account", 8, 1)
            ).astype(np.int64),
            "country": rng.choice(np.array(cat.COUNTRIES), n),
            "segment": w.segment,
            "annual_value": w.annual_value,
            "account_manager": rng.choice(
                np.array(["A. Berg", "M. Keller", "S. Nowak", "J. Smith", "L. Virtanen"]), n
            ),
            "parent_account_id": pa.array(parent, pa.string()),
            "relationship_intended": intended,
            "relationship_expected": expected,
        }
    )


def relationships_table(w: World, intended: np.ndarray, expected: np.ndarray) -> pa.Table:
    """History for accounts whose expected relationship shifted (C5)."""
    idx = np.flatnonzero(w.flags["c5_relationship_shift"])
    rows: dict[str, list[object]] = {
        k: []
        for k in ("account_id", "valid_from", "relationship_intended", "relationship_expected")
    }
    for i in idx.tolist():
        before = "transactional" if expected[i] == "relational" else "relational"
        for valid_from, exp in (
            (None, before),
            (day_to_date(w.change_day[i]).isoformat(), expected[i]),
        ):
            rows["account_id"].append(w.account_id[i])
            rows["valid_from"].append(valid_from)
            rows["relationship_intended"].append(intended[i])
            rows["relationship_expected"].append(exp)
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


def stakeholders_table(rng: np.random.Generator, w: World) -> pa.Table:
    """The people, with function, level, centre, role, unit and decision makers."""
    total = len(w.sh_account)
    dm = (w.sh_level == "executive") | ((w.sh_center != "usage") & (rng.random(total) < 0.3))
    roles = [ROLE_TITLES.get(f, f) for f in w.sh_function.tolist()]
    units = np.where(
        w.sh_center == "buying",
        "headquarters",
        rng.choice(np.array(["plant north", "plant south", "main plant"]), total),
    )
    active_from = rng.integers(0, DAYS // 2, total)
    return pa.table(
        {
            "stakeholder_id": [f"STK-{i:07d}" for i in range(total)],
            "account_id": w.account_id[w.sh_account],
            "function": w.sh_function,
            "level": w.sh_level,
            "center": w.sh_center,
            "role": roles,
            "unit": units,
            "decision_maker": dm,
            "active_from": _iso(active_from),
        }
    )


def partners_table() -> pa.Table:
    """The supplier's partners."""
    return pa.table(
        {k: [p[i] for p in cat.PARTNERS] for i, k in enumerate(("partner_id", "name", "kind"))}
    )


def touchpoints_table() -> pa.Table:
    """The catalogue, plus the version that records a change of control."""
    rows: list[tuple[str, str, str, str, str, str | None, str | None]] = [
        (t.touchpoint_id, t.name, t.stage, t.channel, t.controller, t.partner_id, None)
        for t in cat.TOUCHPOINTS
    ]
    tid, date, controller, partner = cat.CONTROL_CHANGE
    base = next(t for t in cat.TOUCHPOINTS if t.touchpoint_id == tid)
    rows.append((tid, base.name, base.stage, base.channel, controller, partner, date))
    names = ("touchpoint_id", "name", "stage", "channel", "controller", "partner_id", "valid_from")
    return pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})


def cues_table() -> pa.Table:
    """Cues attached to touchpoints."""
    rows = [(t.touchpoint_id, c) for t in cat.TOUCHPOINTS for c in t.cues]
    return pa.table(
        {
            "cue_id": [f"CUE-{i:03d}" for i in range(len(rows))],
            "touchpoint_id": [r[0] for r in rows],
            "description": [r[1] for r in rows],
        }
    )


def journeys_tables(
    rng: np.random.Generator, w: World
) -> tuple[pa.Table, pa.Table, np.ndarray, np.ndarray]:
    """Journeys (1–4 per account) and the dates they entered each stage.

    Returns the two tables and, per account, the index of its first journey and
    how many it has.
    """
    k = np.clip(1 + rng.poisson(1.0, w.n_accounts), 1, 4)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    acc = np.repeat(np.arange(w.n_accounts), k)
    nj = len(acc)
    start = rng.integers(0, int(DAYS * 0.6), nj)
    offering = rng.choice(np.array(cat.OFFERINGS), nj)
    value = np.round(w.annual_value[acc] * rng.uniform(0.3, 1.5, nj), -2)
    ids = [f"JRN-{i:06d}" for i in range(nj)]
    steps = np.stack(
        [
            np.zeros(nj, np.int64),
            rng.integers(20, 90, nj),
            rng.integers(30, 150, nj),
            rng.integers(20, 90, nj),
        ],
        axis=1,
    )
    entered = start[:, None] + np.cumsum(steps, axis=1)
    st_j, st_s, st_d = [], [], []
    for s, stage in enumerate(cat.STAGES):
        ok = entered[:, s] < DAYS
        st_j.extend(np.array(ids)[ok].tolist())
        st_s.extend([stage] * int(ok.sum()))
        st_d.extend(_iso(entered[ok, s]))
    journeys = pa.table(
        {
            "journey_id": ids,
            "account_id": w.account_id[acc],
            "offering": offering,
            "started_at": _iso(start),
            "contract_value": value,
        }
    )
    stages = pa.table({"journey_id": st_j, "stage": st_s, "entered_at": st_d})
    return journeys, stages, first, k


def goals_table(rng: np.random.Generator, w: World) -> tuple[pa.Table, list[dict[str, object]]]:
    """Goal-importance surveys; shifting accounts (C5) answer again with new priorities."""
    total = len(w.sh_account)
    imp = goal_importance(rng, w.sh_level, w.sh_center)
    asked = rng.random(total) < 0.6
    idx = np.flatnonzero(asked)
    day = rng.integers(0, int(DAYS * 0.3), total)
    cols: dict[str, list[object]] = {
        "stakeholder_id": [],
        "asked_at": [],
        "goal": [],
        "importance": [],
    }
    sid = np.array([f"STK-{i:07d}" for i in range(total)])
    for g, values in imp.items():
        cols["stakeholder_id"].extend(sid[idx].tolist())
        cols["asked_at"].extend(_iso(day[idx]))
        cols["goal"].extend([g] * len(idx))
        cols["importance"].extend(values[idx].tolist())
    shift = asked & w.flags["c5_goal_shift"][w.sh_account]
    sidx = np.flatnonzero(shift)
    later = w.change_day[w.sh_account[sidx]] + 10
    for g, values in imp.items():
        new = values[sidx] + (2 if g == "efficiency" else -1 if g == "relationships" else 0)
        cols["stakeholder_id"].extend(sid[sidx].tolist())
        cols["asked_at"].extend(_iso(later))
        cols["goal"].extend([g] * len(sidx))
        cols["importance"].extend(np.clip(new, 1, 5).tolist())
    truth: list[dict[str, object]] = [
        {
            "account_id": str(w.account_id[a]),
            "date": day_to_date(w.change_day[a] + 10).isoformat(),
            "changes": {"efficiency": 2, "relationships": -1},
        }
        for a in np.flatnonzero(w.flags["c5_goal_shift"]).tolist()
    ]
    return pa.table({k: pa.array(v) for k, v in cols.items()}), truth


def outcomes_table(rng: np.random.Generator, w: World, level: np.ndarray) -> pa.Table:
    """Renewals, expansions, contractions and churn that follow experience."""
    rows: list[tuple[str, str, str, float]] = []
    for a in range(w.n_accounts):
        acc = str(w.account_id[a])
        end = w.churn_day[a] if w.churn_day[a] >= 0 else DAYS
        for year_day in range(365, int(end), 365):
            rows.append(
                (acc, day_to_date(year_day).isoformat(), "renewal", float(w.annual_value[a]))
            )
        if level[a] > 7.3 and rng.random() < 0.6:
            rows.append(
                (
                    acc,
                    day_to_date(int(rng.integers(DAYS // 3, end))).isoformat(),
                    "expansion",
                    float(round(w.annual_value[a] * 0.3, -2)),
                )
            )
        elif level[a] < 5.5 and w.churn_day[a] < 0 and rng.random() < 0.5:
            rows.append(
                (
                    acc,
                    day_to_date(int(rng.integers(DAYS // 3, DAYS))).isoformat(),
                    "contraction",
                    float(-round(w.annual_value[a] * 0.2, -2)),
                )
            )
        if w.churn_day[a] >= 0:
            rows.append(
                (acc, day_to_date(w.churn_day[a]).isoformat(), "churn", float(-w.annual_value[a]))
            )
    names = ("account_id", "occurred_at", "kind", "value")
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


ACTIVITIES = (
    (
        "ACT-01",
        "Relationship NPS survey programme",
        "measurement",
        "",
        "pre_bid;negotiation;implementation;operations",
        60000,
        "2023-01-01",
        None,
    ),
    (
        "ACT-02",
        "Service technician mobile app",
        "technology",
        "TP-SVC;TP-SVC-1;TP-SVC-2",
        "operations",
        120000,
        "2023-06-01",
        None,
    ),
    (
        "ACT-03",
        "Key account management programme",
        "program",
        "TP-REVIEW;TP-CONTRACT",
        "negotiation;operations",
        250000,
        "2023-01-01",
        None,
    ),
    (
        "ACT-04",
        "Installation playbook redesign",
        "touchpoint_design",
        "TP-INSTALL;TP-TRAIN",
        "implementation",
        45000,
        "2024-02-01",
        "2024-12-31",
    ),
    (
        "ACT-05",
        "Dealer and service partner training",
        "training",
        "TP-DEMO-1;TP-DEMO-2;TP-SVC-1;TP-SVC-2",
        "pre_bid;operations",
        80000,
        "2024-03-01",
        None,
    ),
    ("ACT-06", "CX steering committee", "governance", "", "", 20000, "2023-09-01", None),
    (
        "ACT-07",
        "Spare parts webshop relaunch",
        "technology",
        "TP-PARTS",
        "operations",
        150000,
        "2024-05-01",
        None,
    ),
    (
        "ACT-08",
        "Trade fair presence",
        "program",
        "TP-FAIR",
        "pre_bid",
        90000,
        "2023-01-01",
        "2024-12-31",
    ),
)


def activities_table() -> pa.Table:
    """The supplier's CXM activities with costs."""
    names = (
        "activity_id",
        "name",
        "kind",
        "touchpoint_ids",
        "stages",
        "annual_cost",
        "started_at",
        "ended_at",
    )
    cols = {n: [a[i] for a in ACTIVITIES] for i, n in enumerate(names)}
    cols["touchpoint_ids"] = [v or None for v in cols["touchpoint_ids"]]
    cols["stages"] = [v or None for v in cols["stages"]]
    return pa.table(cols)
