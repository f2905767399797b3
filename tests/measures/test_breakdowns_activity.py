"""Activity cells against a direct pandas computation on the experience frame,
their types (what the pages filter on) and edge cases (no rating, no row)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.breakdowns import ACTIVITY_KEYS, activity_cells, monthly_trend
from b2bcx.measures.frame import experience_frame

COUNTS = ["n_interactions", "n_rated", "n_nps", "promoters", "detractors"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("act")
    generate_world(root / "b", size=3000, seed=11)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def _expected(ws: b2bcx.Workspace, metric: str) -> pd.DataFrame:
    frame = experience_frame(ws.backend).execute()
    frame["month"] = frame.occurred_at.dt.to_period("M").dt.start_time
    keys = list(ACTIVITY_KEYS)
    for key in keys[:-1]:  # pandas drops missing keys from groups: mark them
        frame[key] = frame[key].astype(object).where(frame[key].notna(), "<none>")
    frame["promoter"] = (frame.nps >= 9).astype(int)
    frame["detractor"] = (frame.nps <= 6).astype(int)
    out = frame.groupby(keys).agg(
        n_interactions=("interaction_id", "size"),
        n_rated=(metric, "count"),
        total=(metric, "sum"),
        n_nps=("nps", "count"),
        promoters=("promoter", "sum"),
        detractors=("detractor", "sum"),
    )
    return out.reset_index().sort_values(keys).reset_index(drop=True)


def _sorted(cells: pd.DataFrame) -> pd.DataFrame:
    got = cells.copy()
    for key in list(ACTIVITY_KEYS)[:-1]:
        got[key] = got[key].astype(object).where(got[key].notna(), "<none>")
    return got.sort_values(list(ACTIVITY_KEYS)).reset_index(drop=True)


@pytest.mark.parametrize("metric", ["cx", "csat"])
def test_cells_match_pandas(ws: b2bcx.Workspace, metric: str) -> None:
    cells = activity_cells(ws.backend, metric=metric)
    expected = _expected(ws, metric)
    got = _sorted(cells)
    assert len(got) == len(expected)
    for key in ACTIVITY_KEYS:
        assert [str(v) for v in got[key]] == [str(v) for v in expected[key]], key
    for col in COUNTS:
        np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(got["total"], expected["total"], rtol=1e-12)
    assert cells.attrs["metric"] == metric


def test_types_pages_filter_on(ws: b2bcx.Workspace) -> None:
    cells = activity_cells(ws.backend)
    for col in COUNTS:
        assert cells[col].dtype == np.int64, col
    assert cells["total"].dtype == np.float64
    assert cells["month"].dtype == "datetime64[s]"
    assert (cells["month"].dt.day == 1).all()
    # ids compare with plain strings, missing ones are missing (not "None")
    tp = str(cells["touchpoint_id"].dropna().iloc[0])
    assert (cells["touchpoint_id"] == tp).sum() > 0
    assert cells["partner_id"].isna().any() and not (cells["partner_id"] == "None").any()
    assert cells["account_id"].notna().all()


def test_cells_sum_to_the_trend(ws: b2bcx.Workspace) -> None:
    cells = activity_cells(ws.backend)
    trend = monthly_trend(ws.backend).set_index("month")
    by_month = cells.groupby("month")[["n_interactions", "n_rated", "total"]].sum()
    assert [pd.Timestamp(m) for m in trend.index] == list(by_month.index)
    np.testing.assert_array_equal(by_month.n_interactions, trend.n_interactions)
    np.testing.assert_allclose(by_month.total / by_month.n_rated, trend["mean"], rtol=1e-12)


def test_no_interaction_before_the_date(ws: b2bcx.Workspace) -> None:
    cells = activity_cells(ws.backend, as_of=dt.datetime(1990, 1, 1))
    assert cells.empty
    assert list(cells.columns) == [*ACTIVITY_KEYS, "n_interactions", "n_rated", "total",
                                   "n_nps", "promoters", "detractors"]  # fmt: skip
    assert cells["n_rated"].dtype == np.int64 and cells["total"].dtype == np.float64


def test_cells_without_a_rating() -> None:
    # one interaction, unrated: the sums are 0, not missing
    with b2bcx.open_workspace(":memory:") as w:
        w.backend.append("accounts", pa.table({"account_id": ["a1"]}))
        w.backend.append("stakeholders", pa.table({"stakeholder_id": ["s1"], "account_id": ["a1"]}))
        w.backend.append(
            "interactions",
            pa.table({"interaction_id": ["i1"], "stakeholder_id": ["s1"],
                      "occurred_at": [dt.datetime(2024, 3, 5, 10)]}),
        )  # fmt: skip
        cells = activity_cells(w.backend)
    assert len(cells) == 1
    row = cells.iloc[0]
    assert row["n_interactions"] == 1 and row["n_rated"] == 0 and row["n_nps"] == 0
    assert row["total"] == 0.0 and row["promoters"] == 0 and row["detractors"] == 0
    assert pd.Timestamp(row["month"]) == pd.Timestamp("2024-03-01")
    assert pd.isna(row["touchpoint_id"]) and pd.isna(row["partner_id"])
