"""Corporate hierarchy at import: a parent_account_id chain that loops is
rejected with the loop named; a child of a rejected parent is rejected too."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from load_bundles import write_bundle

import b2bcx
from b2bcx import DataRejected, ImportOptions

HEADER = "account_id,name,parent_account_id\n"
NO_TOUCHPOINTS = "touchpoint_id,name,stage,controller\n"
NO_PEOPLE = "stakeholder_id,account_id\n"
NO_INTERACTIONS = "interaction_id,stakeholder_id,occurred_at\n"


def _rejects(tmp_path: Path, accounts: str) -> tuple[b2bcx.Workspace, list[dict[str, str]]]:
    ws = b2bcx.open_workspace(":memory:")
    path = tmp_path / "rejects.csv"
    stakeholders = "stakeholder_id,account_id\nS1,A1\nS2,A1\nS3,A2\n"
    interactions = "interaction_id,stakeholder_id,occurred_at\nI1,S1,2024-01-01\n"
    bundle = write_bundle(tmp_path / "b", accounts=accounts, stakeholders=stakeholders,
                          interactions=interactions, touchpoints=NO_TOUCHPOINTS)  # fmt: skip
    with pytest.raises(DataRejected):
        ws.import_bundle(bundle, ImportOptions(rejects_path=path))
    with path.open(newline="") as fh:
        return ws, list(csv.DictReader(fh))


def test_a_loop_is_rejected_with_the_chain_and_the_fix(tmp_path: Path) -> None:
    accounts = HEADER + (
        "A1,Group,\nA2,Sub,A1\nL1,Loop one,L2\nL2,Loop two,L1\nS,Self,S\nD,Below loop,L1\n"
    )
    ws, rejects = _rejects(tmp_path, accounts)
    by_id = {r["original"].split('"account_id": "')[1].split('"')[0]: r for r in rejects}
    assert set(by_id) == {"L1", "L2", "S", "D"}
    l1 = by_id["L1"]["reason"]
    assert l1.startswith("accounts.csv row 4, column parent_account_id: ")
    assert "loops (L1 → L2 → L1)" in l1 and "clear parent_account_id" in l1
    assert "loops (S → S)" in by_id["S"]["reason"]
    # below the loop, not on it: rejected because its parent was
    assert "'L1', which was rejected" in by_id["D"]["reason"]
    assert ws.table("accounts").count().execute() == 0  # all or nothing


def test_a_chain_under_a_dangling_parent_is_rejected_all_the_way_down(tmp_path: Path) -> None:
    accounts = HEADER + "A1,Group,\nA2,Sub,A1\nB1,Orphan,NOPE\nB2,Child,B1\nB3,Grandchild,B2\n"
    _, rejects = _rejects(tmp_path, accounts)
    reasons = sorted(r["reason"] for r in rejects)
    assert len(reasons) == 3
    assert any("'NOPE', which is neither in the bundle" in r for r in reasons)
    assert any("'B1', which was rejected" in r for r in reasons)
    assert any("'B2', which was rejected" in r for r in reasons)


def test_a_loop_through_the_workspace_is_caught_on_the_next_import(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(tmp_path / "w.duckdb")
    first = write_bundle(tmp_path / "b1", accounts=HEADER + "A1,Group,\nA2,Sub,A1\n",
                         stakeholders=NO_PEOPLE + "S1,A1\n", interactions=NO_INTERACTIONS,
                         touchpoints=NO_TOUCHPOINTS)  # fmt: skip
    ws.import_bundle(first)
    # the group's top now names its own subsidiary as parent: A1 → A2 → A1
    second = write_bundle(tmp_path / "b2", accounts=HEADER + "A1,Group,A2\n",
                          stakeholders=NO_PEOPLE, interactions=NO_INTERACTIONS,
                          touchpoints=NO_TOUCHPOINTS)  # fmt: skip
    with pytest.raises(DataRejected) as info:
        ws.import_bundle(second, ImportOptions(rejects_path=tmp_path / "r.csv"))
    assert info.value.n_rejected == 1
    with (tmp_path / "r.csv").open(newline="") as fh:
        [reject] = list(csv.DictReader(fh))
    assert "loops (A1 → A2 → A1)" in reject["reason"]
    stored = ws.table("accounts").execute().set_index("account_id").parent_account_id
    assert stored.isna()["A1"] and stored["A2"] == "A1"  # the workspace is as it was
