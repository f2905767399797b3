"""The stage × controller map against a direct pandas computation on the frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.maps import stage_control_map


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("map")
    generate_world(root / "b", size=4000, seed=5)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def test_portfolio_map_has_sixteen_cells_in_journey_order(ws: b2bcx.Workspace) -> None:
    m = stage_control_map(ws.backend)
    assert len(m.cells) == 16
    pivot = m.pivot("n_interactions")
    assert list(pivot.index) == ["pre_bid", "negotiation", "implementation", "operations"]
    assert list(pivot.columns) == ["supplier", "customer", "partner", "external"]
    # the demo's catalogue meets every controller in these stages
    for stage, controller in [("implementation", "partner"), ("operations", "external")]:
        assert pivot.loc[stage, controller] > 0, (stage, controller)
    frame = experience_frame(ws.backend).execute()
    assert int(m.cells.n_interactions.sum()) == int(frame.controller.notna().sum())


def test_cells_match_pandas(ws: b2bcx.Workspace) -> None:
    frame = experience_frame(ws.backend).execute().dropna(subset=["stage", "controller"])
    expected = frame.groupby(["account_id", "stage", "controller"]).agg(
        n=("interaction_id", "size"), mean=("cx", "mean"), people=("stakeholder_id", "nunique")
    )
    got = stage_control_map(ws.backend, per_account=True).cells.set_index(
        ["account_id", "stage", "controller"]
    )
    got = got.loc[expected.index]
    assert (got.n_interactions.to_numpy() == expected.n.to_numpy()).all()
    assert (got.n_stakeholders.to_numpy() == expected.people.to_numpy()).all()
    pd.testing.assert_series_equal(
        got["mean"], expected["mean"], check_names=False, check_exact=False, rtol=1e-9
    )
    assert ((got.score >= 0) & (got.score <= 100) | got.score.isna()).all()


def test_weak_partner_shows_in_the_partner_operations_cell(ws: b2bcx.Workspace) -> None:
    pivot = stage_control_map(ws.backend).pivot("score")
    assert pivot.loc["operations", "partner"] < pivot.loc["operations", "supplier"]


def test_unknown_metric(ws: b2bcx.Workspace, tmp_path: Path) -> None:
    with pytest.raises(b2bcx.ConfigurationError):
        stage_control_map(ws.backend, metric="mood")
