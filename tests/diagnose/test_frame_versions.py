"""The touchpoint version an interaction met (issue 22's faster join), checked
against a direct pandas lookup on the edges: a version without ``valid_from``
holds from the beginning, a dated version holds from its own day (inclusive)
until the next version's day (exclusive), an interaction before a touchpoint's
first dated version meets none (and is kept), one without a touchpoint meets none."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

import b2bcx
from b2bcx.measures.frame import experience_frame
from b2bcx.storage import Backend

DAYS = [
    dt.datetime(2023, 12, 31, 23, 59), dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 3, 1, 8),
    dt.datetime(2024, 6, 30, 23, 59), dt.datetime(2024, 7, 1, 0, 0), dt.datetime(2025, 2, 1, 12),
]  # fmt: skip
VERSIONS = {  # touchpoint → [(valid_from, controller)]
    "T1": [(None, "supplier"), (dt.date(2024, 7, 1), "partner")],
    "T2": [(dt.date(2024, 1, 1), "supplier"), (dt.date(2024, 7, 1), "customer")],
    "T3": [(None, "customer")],
}


def _world() -> Backend:
    b = b2bcx.open_workspace(":memory:").backend
    b.append("accounts", pa.table({"account_id": ["A"]}))
    b.append("partners", pa.table({"partner_id": ["P"]}))
    rows = [(t, f, c) for t, vs in VERSIONS.items() for f, c in vs]
    b.append("touchpoints", pa.table({
        "touchpoint_id": [r[0] for r in rows], "name": [r[0] for r in rows],
        "stage": ["operations"] * len(rows), "controller": [r[2] for r in rows],
        "partner_id": ["P" if r[2] == "partner" else None for r in rows],
        "valid_from": pa.array([r[1] for r in rows], pa.date32()),
    }))  # fmt: skip
    b.append("stakeholders", pa.table({"stakeholder_id": ["s"], "account_id": ["A"]}))
    tps = [*VERSIONS, None]
    b.append("interactions", pa.table({
        "interaction_id": [f"i{k}" for k in range(len(DAYS) * len(tps))],
        "stakeholder_id": ["s"] * (len(DAYS) * len(tps)),
        "occurred_at": [d for _ in tps for d in DAYS],
        "touchpoint_id": [t for t in tps for _ in DAYS],
        "cx": [5.0] * (len(DAYS) * len(tps)),
    }))  # fmt: skip
    return b


def _expected(touchpoint: str | None, when: dt.datetime) -> str | None:
    if touchpoint is None:
        return None
    found = None
    for start, controller in VERSIONS[touchpoint]:  # in valid_from order, undated first
        if start is None or start <= when.date():
            found = controller
    return found


def test_each_interaction_meets_the_version_valid_on_its_day() -> None:
    frame = experience_frame(_world()).execute()
    assert len(frame) == len(DAYS) * (len(VERSIONS) + 1)  # none lost, none duplicated
    frame = frame.sort_values("interaction_id", key=lambda s: s.str[1:].astype(int))
    got = [None if pd.isna(c) else c for c in frame.controller]
    want = [_expected(t, d) for t in [*VERSIONS, None] for d in DAYS]
    assert got == want
    # the edges themselves: before T2's first version nothing, on 1 July the new one
    assert want[len(DAYS)] is None and want[len(DAYS) + 4] == "customer"
    assert want[3] == "supplier" and want[4] == "partner"
