"""Key drivers on data without variance: a clear b2bcx error, never numpy's.

A target everyone answers alike leaves nothing to explain (every correlation
with it is undefined), and a driver everyone rates alike explains nothing: the
first is refused with a message saying so, the second is left out, as a driver
nobody rated is. Before, the goal drivers raised numpy's ``LinAlgError`` and
the stage and controller drivers returned NaN shares, and ``diagnose()``
crashed on such a workspace.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.diagnose import diagnose
from b2bcx.errors import ConfigurationError
from b2bcx.measures.keydrivers import key_drivers
from b2bcx.storage import Backend

GOALS = ("efficiency", "convenience", "differentiation", "empowerment", "association",
         "relationships")  # fmt: skip


def _world(nps_varies: bool) -> Backend:
    """8 accounts × 5 people, two touchpoints, monthly ratings for a year; the
    'association' goal is rated 4 by everyone; NPS varies with the person's
    efficiency rating or is 7 for everyone."""
    rng = np.random.default_rng(3)
    b = b2bcx.open_workspace(":memory:").backend
    accounts = [f"A{i}" for i in range(8)]
    b.append("accounts", pa.table({"account_id": accounts}))
    b.append("touchpoints", pa.table({
        "touchpoint_id": ["T1", "T2"], "name": ["Service", "Portal"],
        "stage": ["operations", "operations"], "controller": ["supplier", "supplier"],
    }))  # fmt: skip
    people = [(f"{a}-{k}", a) for a in accounts for k in range(5)]
    b.append("stakeholders", pa.table({"stakeholder_id": [p for p, _ in people],
                                       "account_id": [a for _, a in people]}))  # fmt: skip
    rows: dict[str, list[Any]] = {c: [] for c in ("interaction_id", "stakeholder_id",
                                                  "occurred_at", "touchpoint_id", "cx", "nps",
                                                  *GOALS)}  # fmt: skip
    for month in range(1, 13):
        for person, _ in people:
            for tp in ("T1", "T2"):
                goals = {g: float(rng.integers(1, 6)) for g in GOALS}
                goals["association"] = 4.0
                rows["interaction_id"].append(f"i{len(rows['interaction_id'])}")
                rows["stakeholder_id"].append(person)
                rows["occurred_at"].append(dt.datetime(2024, month, 10, 12))
                rows["touchpoint_id"].append(tp)
                rows["cx"].append(float(rng.integers(1, 6)))
                rows["nps"].append(min(10.0, 2.0 * goals["efficiency"]) if nps_varies else 7.0)
                for goal in GOALS:
                    rows[goal].append(goals[goal])
    b.append("interactions", pa.table(rows))
    return b


@pytest.mark.parametrize("kind", ["goals", "touchpoints", "stages", "controllers"])
def test_a_target_without_variance_is_refused_in_words(kind: str) -> None:
    with pytest.raises(ConfigurationError, match=r"nps is the same \(7\) for all 40 stakeholders"):
        key_drivers(_world(nps_varies=False), drivers=kind, n_boot=10, min_raters=5)


def test_a_driver_without_variance_is_left_out() -> None:
    result = key_drivers(_world(nps_varies=True), drivers="goals", n_boot=20)
    drivers = set(result.table.driver)
    assert "association" not in drivers
    assert drivers == set(GOALS) - {"association"}
    assert np.isfinite(result.table.share.to_numpy()).all()
    # NPS follows efficiency here: it carries the largest share
    assert result.table.driver.iloc[0] == "efficiency"


def test_diagnose_runs_where_the_target_never_varies() -> None:
    found = diagnose(_world(nps_varies=False), challenges=["C1"]).to_json()
    assert found["meta"]["as_of"].startswith("2024-12-10")
    assert found["meta"]["accounts"] == 8
