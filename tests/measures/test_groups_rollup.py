"""Corporate groups: results roll up the parent_account_id hierarchy (DATA_FORMAT)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.measures.collective import account_groups, measure_units
from b2bcx.measures.individual import DecayOptions

# account → parent; P ← C1 ← C3, P ← C2; X alone; Y ↔ Z loop
PARENT = {"P": None, "C1": "P", "C2": "P", "C3": "C1", "X": None, "Y": "Z", "Z": "Y"}
# account → each person's cx ratings
CX = {"P": [[9]], "C1": [[7, 8], [6]], "C2": [[9], [10]], "C3": [[3]], "X": [[5], [6], [5]],
      "Y": [[8]], "Z": [[2], [4]]}  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path) -> b2bcx.Workspace:
    w = b2bcx.open_workspace(tmp_path / "groups.duckdb")
    b = w.backend
    parents = pa.array(list(PARENT.values()), pa.string())
    b.append("accounts", pa.table({"account_id": list(PARENT), "parent_account_id": parents}))
    people = [(f"{a}-{i}", a, ratings) for a, rows in CX.items() for i, ratings in enumerate(rows)]
    b.append("stakeholders", pa.table({"stakeholder_id": [p for p, _, _ in people],
                                       "account_id": [a for _, a, _ in people]}))  # fmt: skip
    rows = [(f"{p}-{k}", p, dt.datetime(2024, 3, 1 + k), float(v))
            for p, _, ratings in people for k, v in enumerate(ratings)]  # fmt: skip
    cx = pa.array([r[3] for r in rows], pa.float64())
    b.append("interactions", pa.table({
        "interaction_id": [r[0] for r in rows], "stakeholder_id": [r[1] for r in rows],
        "occurred_at": [r[2] for r in rows], "cx": cx}))  # fmt: skip
    return w


def test_every_account_maps_to_the_top_of_its_chain(ws: b2bcx.Workspace) -> None:
    groups = account_groups(ws.backend)
    assert groups == {"P": "P", "C1": "P", "C2": "P", "C3": "P", "X": "X", "Y": "Y", "Z": "Y"}


def test_group_units_pool_the_people_of_every_account_below(ws: b2bcx.Workspace) -> None:
    flat = DecayOptions(half_life_days=math.inf)
    result = measure_units(ws.backend, by="group", decay=flat)
    units = result.units.set_index("group_id")
    assert list(units.index) == ["P", "X", "Y"]
    # each person's mean cx (no decay), averaged over the group's people, on 0–100
    person = {
        "P": [9, 7.5, 6, 9, 10, 3], "X": [5, 6, 5], "Y": [8, 2, 4],
    }  # fmt: skip
    for group, scores in person.items():
        assert units.loc[group, "n_stakeholders"] == len(scores)
        assert units.loc[group, "cx"] == pytest.approx(10 * sum(scores) / len(scores))
    assert units.loc["P", "n_accounts"] == 4 and units.loc["Y", "n_accounts"] == 2
    assert units.loc["P", "n_interactions"] == 7
    # the accounts themselves are unchanged by the roll-up
    accounts = measure_units(ws.backend, by="account", decay=flat).units
    assert sorted(accounts.account_id) == sorted(PARENT)


def test_cli_measure_by_group(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    path = str(tmp_path / "groups.duckdb")
    ws.close()
    result = CliRunner().invoke(app, ["measure", "--by", "group", "--format", "json", "-w", path])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [u["group_id"] for u in data["units"]] == ["P", "X", "Y"]
    assert data["units"][0]["n_accounts"] == 4
