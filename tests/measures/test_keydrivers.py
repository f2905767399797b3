"""Key drivers on a workspace against the same maths run on a pandas person matrix."""

from __future__ import annotations

import numpy as np
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.drivers import relative_weights
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.keydrivers import CANNOT_TELL, FIX_FIRST, key_drivers


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("kd")
    generate_world(root / "b", size=8000, seed=2)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def test_stage_drivers_match_a_pandas_person_matrix(ws: b2bcx.Workspace) -> None:
    got = key_drivers(ws.backend, target="nps", drivers="stages", n_boot=0)
    f = experience_frame(ws.backend).execute()
    x = f.pivot_table(index="stakeholder_id", columns="stage", values="cx", aggfunc="mean")
    y = f.groupby("stakeholder_id").nps.mean()
    stages = ["pre_bid", "negotiation", "implementation", "operations"]
    data = x[stages].join(y).dropna()
    ref = relative_weights(data[stages].to_numpy(), data.nps.to_numpy(), names=stages)
    assert got.n == len(data)
    assert got.r2 == pytest.approx(ref.r2, rel=1e-9)
    weights = got.table.set_index("driver").weight
    np.testing.assert_allclose(weights[stages].to_numpy(), ref.weight, rtol=1e-9)
    perf = got.table.set_index("driver").performance
    assert perf["operations"] == pytest.approx(data.operations.mean() * 10)


def test_quadrants_and_shapley(ws: b2bcx.Workspace) -> None:
    res = key_drivers(ws.backend, target="nps", drivers="controllers", method="shapley")
    t = res.table
    assert t.weight.sum() == pytest.approx(res.r2)
    assert set(t.quadrant) <= {
        "fix first", "keep up", "lower priority", "possible overkill", CANNOT_TELL
    }  # fmt: skip
    fix = t[t.quadrant == FIX_FIRST]
    assert (fix.p_higher <= 0.05).all() and (fix.share > fix.equal_share).all()
    assert (fix.performance < t.performance.median()).all()
    assert ((t.quadrant == CANNOT_TELL) == (t.importance == "indistinct")).all()
    assert res.to_dict()["methods"]["bootstrap"] == "accounts resampled as clusters"
    assert res.n_clusters is not None and res.n_clusters < res.n


def test_bad_options(ws: b2bcx.Workspace) -> None:
    with pytest.raises(b2bcx.ConfigurationError, match="drivers must be"):
        key_drivers(ws.backend, drivers="moods")
    with pytest.raises(b2bcx.ConfigurationError, match="method must be"):
        key_drivers(ws.backend, method="guess")


def test_touchpoint_drivers_use_pairwise_correlations_as_pandas(ws: b2bcx.Workspace) -> None:
    got = key_drivers(
        ws.backend, target="nps", drivers="touchpoints", n_boot=20, min_raters=20,
        max_touchpoints=8,
    )  # fmt: skip
    f = experience_frame(ws.backend).execute()
    f = f[f.stakeholder_id.isin(f.dropna(subset=["nps"]).stakeholder_id)]
    x = f.pivot_table(index="stakeholder_id", columns="touchpoint_id", values="cx", aggfunc="mean")
    names = sorted(got.table.driver)
    assert len(names) == 8
    # pandas' pairwise-complete correlation is the independent reference
    y = f.groupby("stakeholder_id").nps.mean().rename("_y")
    data = x[names].join(y, how="inner")
    ref = data.corr(min_periods=3).to_numpy().copy()
    from b2bcx.measures.drivers import _rw_from_corr, nearest_correlation

    xx = ref[:-1, :-1]
    ref[:-1, :-1] = np.where(np.isnan(xx), np.nanmean(xx[np.triu_indices(8, 1)]), xx)
    c = nearest_correlation(ref, floor=1e-3)
    eps, _ = _rw_from_corr(c[:-1, :-1], c[:-1, -1])
    weights = got.table.set_index("driver").weight
    np.testing.assert_allclose(weights[names].to_numpy(), eps, rtol=1e-9)
    table = got.table
    assert (table.raters >= 20).all() and (table.lower <= table.weight + 1e-12).all()
    assert table.label.notna().all()
    # no fictional R² (the pairwise fill): null in JSON with a note, key kept
    d = got.to_dict()
    assert d["r2"] is None and "fictional" in d["r2_note"]
    assert np.isnan(got.r2)


def test_touchpoint_drivers_need_enough_raters(ws: b2bcx.Workspace) -> None:
    with pytest.raises(b2bcx.ConfigurationError, match="fewer than two touchpoints"):
        key_drivers(ws.backend, drivers="touchpoints", min_raters=10**9)
    with pytest.raises(b2bcx.ConfigurationError, match="pairwise"):
        key_drivers(ws.backend, drivers="touchpoints", method="shapley")
