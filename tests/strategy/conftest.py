"""Small constructed worlds for the strategy tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import b2bcx

GOAL_NAMES = ("efficiency", "differentiation", "association", "convenience", "empowerment",
              "relationships")  # fmt: skip
T0 = dt.datetime(2024, 1, 1)


def build(path: Path, *, broad: bool = False, goals: bool = True, activities: bool = True) -> Path:
    """Two accounts of six people; executives (buying centre) seek efficiency,
    operational staff (usage centre) empowerment.

    ``broad=False``: only touchpoint T1 of four is met, only ``cx`` and the goal
    ratings are given, no comments, no source or solicited flag, no activities.
    ``broad=True``: every touchpoint and stage, every metric, comments, solicited
    and unsolicited data from several sources, a partner, six activities.
    """
    rng = np.random.default_rng(5)
    ws = b2bcx.open_workspace(path)
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A", "B"], "annual_value": [100.0, 50.0],
                                   "segment": ["key", "smb"]}))  # fmt: skip
    b.append("partners", pa.table({"partner_id": ["P"]}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T1", "T2", "T3", "T4"], "name": ["Bid", "Install", "Service", "Deal"],
        "stage": ["pre_bid", "implementation", "operations", "negotiation"],
        "controller": ["supplier", "supplier", "partner", "supplier"],
        "partner_id": [None, None, "P", None],
    }))  # fmt: skip
    b.append("cues", pa.table({"cue_id": ["C1", "C2"], "touchpoint_id": ["T1", "T3"]}))
    people = [(f"{a}{i}", a, "executive" if i < 3 else "operational",
               "buying" if i < 3 else "usage") for a in ("A", "B") for i in range(6)]  # fmt: skip
    b.append("stakeholders", pa.table({
        "stakeholder_id": [p[0] for p in people], "account_id": [p[1] for p in people],
        "level": [p[2] for p in people], "center": [p[3] for p in people],
        "function": ["management" if p[2] == "executive" else "production" for p in people],
    }))  # fmt: skip
    if goals:
        rows: dict[str, list[object]] = {"stakeholder_id": [], "asked_at": [], "goal": [],
                                         "importance": []}  # fmt: skip
        for sid, _, level, _ in people:
            for goal in GOAL_NAMES:
                want = (goal == "efficiency") if level == "executive" else (goal == "empowerment")
                rows["stakeholder_id"].append(sid)
                rows["asked_at"].append(dt.date(2024, 1, 10))
                rows["goal"].append(goal)
                rows["importance"].append(5.0 if want else 2.0)
        b.append("goals", pa.table(rows))
    n = 400
    sids = [p[0] for p in people]
    cols: dict[str, object] = {
        "interaction_id": [f"i{k}" for k in range(n)],
        "stakeholder_id": [sids[k % len(sids)] for k in range(n)],
        "occurred_at": [T0 + dt.timedelta(days=int(d)) for d in rng.integers(0, 360, n)],
        "touchpoint_id": ([["T1", "T2", "T3", "T4"][k % 4] for k in range(n)] if broad
                          else ["T1"] * n),
        "cx": rng.integers(4, 10, n).astype(float),
        "efficiency": np.where(np.arange(n) % 2 == 0, 2.0, 3.0),
        "empowerment": np.full(n, 4.0),
    }  # fmt: skip
    if broad:
        cols |= {
            "nps": rng.integers(0, 11, n), "csat": rng.integers(1, 6, n).astype(float),
            "ces": rng.integers(1, 8, n).astype(float),
            "solicited": [k % 2 == 0 for k in range(n)],
            "source": [("survey", "ticket", "email", "call")[k % 4] for k in range(n)],
            "comment": [f"comment {k}" if k % 3 == 0 else None for k in range(n)],
        }  # fmt: skip
    b.append("interactions", pa.table(cols))
    if broad and activities:
        b.append("activities", pa.table({
            "activity_id": ["X1", "X2", "X3", "X4", "X5", "X6"],
            "name": ["Survey", "App", "Training", "Design", "Board", "Portal"],
            "kind": ["measurement", "technology", "training", "touchpoint_design", "governance",
                     "technology"],
            "touchpoint_ids": [["T1"], ["T3"], ["T2"], ["T4"], None, ["T1", "T2"]],
            "stages": [None, None, None, None, ["pre_bid", "negotiation", "implementation",
                                                "operations"], None],
            "annual_cost": [10.0, 50.0, 20.0, 30.0, 5.0, 40.0],
            "started_at": [dt.date(2024, 6, 1)] * 6,
        }))  # fmt: skip
    ws.close()
    return path


@pytest.fixture(scope="session")
def narrow_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The narrow world (one touchpoint, two metrics, no activities)."""
    return build(tmp_path_factory.mktemp("narrow") / "w.duckdb")


@pytest.fixture(scope="session")
def broad_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The broad world (every touchpoint, metric and data kind, six activities)."""
    return build(tmp_path_factory.mktemp("broad") / "w.duckdb", broad=True)


@pytest.fixture
def builder() -> Callable[..., Path]:
    """The world builder, for tests that need a variant."""
    return build
