"""Trends and splits against a direct pandas computation on the experience frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.measures.breakdowns import monthly_trend, split
from b2bcx.measures.frame import experience_frame


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> b2bcx.Workspace:
    root = tmp_path_factory.mktemp("bd")
    generate_world(root / "b", size=3000, seed=9)
    w = b2bcx.open_workspace(root / "w.duckdb")
    w.import_bundle(root / "b")
    return w


def _nps(s: pd.Series) -> float:
    s = s.dropna()
    return float(100 * ((s >= 9).mean() - (s <= 6).mean())) if len(s) else np.nan


def test_monthly_trend_matches_pandas(ws: b2bcx.Workspace) -> None:
    frame = experience_frame(ws.backend).execute()
    frame["month"] = frame.occurred_at.dt.to_period("M").dt.start_time.dt.date
    expected = frame.groupby("month").agg(n=("interaction_id", "size"), mean=("cx", "mean"))
    expected["nps"] = frame.groupby("month").nps.apply(_nps)
    got = monthly_trend(ws.backend).set_index("month")
    assert [pd.Timestamp(m) for m in got.index] == [pd.Timestamp(m) for m in expected.index]
    np.testing.assert_array_equal(got.n_interactions, expected.n)
    np.testing.assert_allclose(got["mean"], expected["mean"], rtol=1e-9)
    np.testing.assert_allclose(got.nps, expected.nps, rtol=1e-9, equal_nan=True)
    per_account = monthly_trend(ws.backend, per_account=True)
    assert per_account.n_interactions.sum() == len(frame)


def test_solicited_split_and_centres(ws: b2bcx.Workspace) -> None:
    frame = experience_frame(ws.backend).execute()
    got = split(ws.backend, by="solicited").set_index("solicited")
    assert got.loc[True, "n_interactions"] == int((frame.solicited == True).sum())  # noqa: E712
    centres = split(ws.backend, by="center", metric="nps")
    assert set(centres.center.dropna()) == {"buying", "usage", "both"}
    assert ((centres.score >= 0) & (centres.score <= 100)).all()


def test_bad_split(ws: b2bcx.Workspace) -> None:
    with pytest.raises(b2bcx.ConfigurationError, match="split by one of"):
        split(ws.backend, by="colour")


def test_breakdowns_carry_their_metric(ws: b2bcx.Workspace) -> None:
    frame = monthly_trend(ws.backend, metric="nps")
    assert frame.attrs["metric"] == "nps" and frame.attrs["metric_label"] == "NPS"
