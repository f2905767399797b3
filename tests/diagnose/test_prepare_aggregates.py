"""``prepare``'s aggregates without a materialized residual frame (issue 22).

The residuals are shifts by group constants, so ``prepare`` joins the small
tables (touchpoint effects, account and person means) to the shared frame per
aggregate and derives the per-person moments from the per-person-and-stage
cells (:func:`~b2bcx.diagnose.data.combine_moments`). Each table is compared
here with a plain pandas computation from the shared frame's rows, row by row,
including people with one rating (no variance: missing) and cells whose
ratings are all equal (variance 0)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import data
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.measures.individual import resolve_as_of
from b2bcx.model.tables import RATING_SCALES
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("prepare_aggregates"), size=400, seed=3)


@pytest.fixture(scope="module")
def rows(demo: b2bcx.Workspace) -> pd.DataFrame:
    """The rated rows of the shared frame with the residuals computed in pandas."""
    b = demo.backend
    base = data.shared_frame(b, resolve_as_of(b, None))
    try:
        df = pd.DataFrame(base.to_pandas())
    finally:
        base.release()
    scale = RATING_SCALES["cx"]
    df = df[df.cx.notna()].copy()
    df["x"] = (df.cx.astype(float) - scale.low) / (scale.high - scale.low) * 100.0
    grand = df.x.mean()
    tp_eff = df[df.touchpoint_id.notna()].groupby("touchpoint_id").x.mean() - grand
    df["r_tp"] = df.x - df.touchpoint_id.map(tp_eff).astype(float).fillna(0.0)
    df["r_acc"] = df.x - df.groupby("account_id").x.transform("mean")
    df["r_w"] = df.r_tp - df.groupby("stakeholder_id").r_tp.transform("mean")
    df["month"] = df.occurred_at.dt.to_period("M").dt.to_timestamp()
    return df


@pytest.fixture(scope="module")
def prep(demo: b2bcx.Workspace) -> data.Prepared:
    return data.prepare(demo.backend, DiagnoseOptions())


def _expected(rows: pd.DataFrame, keys: list[str], value: str, var: bool) -> pd.DataFrame:
    g = rows.groupby(keys, dropna=False)[value]
    out = g.agg(n="size", mean="mean", **({"var": "var"} if var else {})).reset_index()
    out["n"] = out["n"].astype("int64")
    return out


def _check(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) > 0
    a = got.sort_values(keys, kind="stable").reset_index(drop=True)
    b = expected.sort_values(keys, kind="stable").reset_index(drop=True)
    for key in keys:
        assert a[key].astype(str).tolist() == b[key].astype(str).tolist(), key
    assert a.n.tolist() == b.n.tolist()
    for col in ("mean", "var", "raw"):
        if col in b:
            np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float),
                                       rtol=1e-9, atol=1e-9)  # fmt: skip
            # missing exactly where pandas has none (one rating: no variance)
            assert (a[col].isna() == b[col].isna()).all(), col


def test_per_person_tables_equal_pandas(rows: pd.DataFrame, prep: data.Prepared) -> None:
    keys = ["account_id", "stakeholder_id", "stage"]
    staged = rows[rows.stage.notna()]
    _check(prep.person_stage, _expected(staged, keys, "r_tp", var=False), keys)
    keys = ["account_id", "journey_id", "stakeholder_id"]
    journeys = rows[rows.journey_id.notna()]
    _check(prep.person_journey, _expected(journeys, keys, "r_tp", var=False), keys)
    keys = ["account_id", "stakeholder_id"]
    expected = _expected(rows, keys, "r_tp", var=True)
    _check(prep.person_tp, expected, keys)
    # the edge cases are in the data: people with one rating (variance missing)
    assert (expected.n == 1).any() and prep.person_tp["var"].isna().any()


def test_monthly_and_cells_equal_pandas(rows: pd.DataFrame, prep: data.Prepared) -> None:
    keys = ["account_id", "month"]
    g = rows.groupby(keys)
    expected = g.r_w.agg(n="size", mean="mean", var="var").reset_index()
    expected["n"] = expected.n.astype("int64")
    expected["raw"] = g.x.mean().to_numpy()
    got = prep.monthly.assign(month=pd.to_datetime(prep.monthly.month))
    _check(got, expected, keys)
    rated = rows[rows.touchpoint_id.notna()]
    cells = _expected(rated, ["account_id", "touchpoint_id", "controller", "partner_id",
                              "stage"], "x", var=True)  # fmt: skip
    # the versions in the engine's order of the cells: compared sorted
    version = ["touchpoint_id", "controller", "partner_id", "stage"]
    pd.testing.assert_frame_equal(
        prep.touchpoints.sort_values(version).reset_index(drop=True),
        data.touchpoint_effects(cells).sort_values(version).reset_index(drop=True),
        check_exact=False, rtol=1e-9,
    )  # fmt: skip
    # cells whose ratings are all equal: variance 0, not missing
    assert ((cells.n > 1) & (cells["var"] == 0)).any()
    assert prep.grand_mean == pytest.approx(rows.x.mean(), rel=1e-12)


def test_combine_moments_equals_the_moments_of_the_values() -> None:
    """Against numpy on the raw values: groups of one value (variance missing),
    constant groups (0), cells of one value inside a larger group, a large offset
    (where Σx² − (Σx)²/n would lose every digit), and no cells at all."""
    rng = np.random.default_rng(7)
    values: list[tuple[str, str, float]] = []
    for g in range(40):
        offset = 1e9 if g % 5 == 0 else 0.0
        for c in range(int(rng.integers(1, 5))):
            size = int(rng.integers(1, 6))
            spread = 0.0 if g % 7 == 0 else 1.0
            values += [(f"g{g}", f"c{c}", offset + spread * rng.normal()) for _ in range(size)]
    values.append(("single", "c0", 3.0))
    raw = pd.DataFrame(values, columns=["g", "c", "v"])
    cells = raw.groupby(["g", "c"]).v.agg(n="size", mean="mean", var="var").reset_index()
    got = data.combine_moments(cells, ["g"]).set_index("g").sort_index()
    expected = raw.groupby("g").v.agg(n="size", mean="mean", var="var").sort_index()
    assert got.n.tolist() == expected.n.tolist()
    np.testing.assert_allclose(got["mean"], expected["mean"], rtol=1e-14)
    np.testing.assert_allclose(got["var"], expected["var"], rtol=1e-6, atol=1e-12)
    assert np.isnan(got.loc["single", "var"]) and got.loc["single", "n"] == 1
    assert (got.loc[[f"g{g}" for g in range(0, 40, 7) if g % 5], "var"].fillna(0) == 0).all()
    empty = data.combine_moments(cells.iloc[:0], ["g"])
    assert empty.empty and list(empty.columns) == ["g", "n", "mean", "var"]
