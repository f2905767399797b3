"""The touchpoint drivers' person matrix, built from one engine join and numpy
codes, against the pandas pivot it replaced (an independent construction): the
same touchpoints chosen, the same people in the same order, the same bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.drivers import pairwise_relative_weights
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.keydrivers import _met_codes, _touchpoint_matrix, key_drivers


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("tpm")
    generate_world(root / "b", size=3000, seed=6)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def _pivot(ws: b2bcx.Workspace, names: list[str]) -> pd.DataFrame:
    f = experience_frame(ws.backend).execute()
    y = f.groupby(["stakeholder_id", "account_id"]).nps.mean().rename("_y").dropna()
    y = y.reset_index().set_index("stakeholder_id")
    met = f.dropna(subset=["cx", "touchpoint_id"])
    met = met[met.stakeholder_id.isin(y.index) & met.touchpoint_id.isin(names)]
    x = met.pivot_table(index="stakeholder_id", columns="touchpoint_id", values="cx",
                        aggfunc="mean")  # fmt: skip
    return x.reindex(columns=names).join(y, how="inner")


@pytest.mark.parametrize("n_boot", [0, 30])
def test_touchpoint_drivers_equal_the_pivoted_matrix(ws: b2bcx.Workspace, n_boot: int) -> None:
    got = key_drivers(ws.backend, drivers="touchpoints", n_boot=n_boot, min_raters=15,
                      max_touchpoints=6)  # fmt: skip
    names = sorted(got.table.driver)
    ref = _pivot(ws, names)
    assert got.n == len(ref) and got.n_clusters == ref.account_id.nunique()
    expected = pairwise_relative_weights(
        ref[names].to_numpy(float), ref["_y"].to_numpy(float), names=names, n_boot=n_boot,
        clusters=ref.account_id.astype(str).to_numpy(),
    ).to_frame().set_index("driver")  # fmt: skip
    table = got.table.set_index("driver").loc[names]
    np.testing.assert_allclose(table.weight, expected.weight, rtol=1e-9)
    if n_boot:
        np.testing.assert_allclose(table.lower, expected.lower, rtol=1e-9)
        np.testing.assert_allclose(table.upper, expected.upper, rtol=1e-9)
    performance = (ref[names].mean() - 0) / 10 * 100  # cx on 0–10
    np.testing.assert_allclose(table.performance, performance.to_numpy(), rtol=1e-9)


def test_touchpoint_matrix_edge_cases() -> None:
    import pyarrow as pa

    # the engine numbered people in its own order (_p), not Python's
    people = pd.DataFrame({"stakeholder_id": ["p2", "p1", "p3"], "account_id": ["A", "A", "B"],
                           "_y": [6.0, 9.0, 3.0], "_p": [3, 1, 2]})  # fmt: skip
    met = pa.table({"_p": [3, 1, 1, 2, 3], "touchpoint_id": ["t1", "t1", "t2", "t3", "t3"],
                    "x": [5.0, 7.0, 8.0, 2.0, 4.0]})  # fmt: skip
    rows = _met_codes(people, met)
    assert list(rows.tp_ids) == ["t1", "t2", "t3"]
    wide, clusters, y = _touchpoint_matrix(rows, ["t1", "t2"])
    # p3 met neither chosen touchpoint: left out; people in id order; NaN where not met
    assert list(wide.index) == ["p1", "p2"]
    np.testing.assert_array_equal(wide.to_numpy(), [[7.0, 8.0], [5.0, np.nan]])
    assert list(clusters) == ["A", "A"] and list(y) == [9.0, 6.0]
    # one respondent only
    one = _met_codes(people.iloc[[2]], met.slice(3, 1))
    w1, cl, yy = _touchpoint_matrix(one, ["t3"])
    assert w1.shape == (1, 1) and list(cl) == ["B"] and list(yy) == [3.0]
