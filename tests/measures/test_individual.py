"""Individual CX inside the engine, checked against a direct numpy computation."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.errors import ConfigurationError
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import DecayOptions, individual_cx, individual_cx_expr
from b2bcx.storage import Backend

T0 = dt.datetime(2024, 1, 1)


def _world(rng: np.random.Generator, n: int = 400) -> tuple[Backend, pa.Table]:
    ws = b2bcx.open_workspace(":memory:")
    b = ws.backend
    b.append("accounts", pa.table({"account_id": ["A", "B"], "segment": ["key", "smb"]}))
    b.append("partners", pa.table({"partner_id": ["P"]}))
    b.append(
        "touchpoints",
        pa.table(
            {
                "touchpoint_id": ["T1", "T1", "T2"],
                "name": ["service visit", "service visit", "quote"],
                "stage": ["operations", "operations", "negotiation"],
                "controller": ["supplier", "partner", "supplier"],
                "partner_id": [None, "P", None],
                "valid_from": [None, dt.date(2024, 7, 1), None],
            }
        ),
    )
    sids = [f"s{i}" for i in range(12)]
    b.append(
        "stakeholders",
        pa.table({"stakeholder_id": sids, "account_id": ["A"] * 6 + ["B"] * 6}),
    )
    days = rng.integers(0, 365, n)
    interactions = pa.table(
        {
            "interaction_id": [f"i{i}" for i in range(n)],
            "stakeholder_id": [sids[k] for k in rng.integers(0, 12, n)],
            "occurred_at": [T0 + dt.timedelta(days=int(d), hours=9) for d in days],
            "touchpoint_id": [["T1", "T2", None][k] for k in rng.integers(0, 3, n)],
            "cx": [None if rng.random() < 0.1 else float(v) for v in rng.integers(0, 11, n)],
        }
    )
    b.append("interactions", interactions)
    return b, interactions


@pytest.mark.parametrize("half_life", [30.0, 180.0, math.inf])
def test_decayed_mean_matches_numpy(half_life: float) -> None:
    b, data = _world(np.random.default_rng(1))
    as_of = dt.datetime(2024, 10, 1)
    got = individual_cx_expr(b, decay=DecayOptions(half_life_days=half_life, as_of=as_of)).execute()
    df = data.to_pandas()
    df = df[(df.occurred_at <= as_of) & df.cx.notna()]
    age = (as_of - df.occurred_at).dt.total_seconds() / 86400
    df["w"] = 1.0 if math.isinf(half_life) else 0.5 ** (age / half_life)
    expected = (df.w * df.cx).groupby(df.stakeholder_id).sum() / df.w.groupby(
        df.stakeholder_id
    ).sum()
    got = got.set_index("stakeholder_id").score.sort_index()
    np.testing.assert_allclose(got.to_numpy(), expected.sort_index().to_numpy(), rtol=1e-9)
    counts = df.groupby("stakeholder_id").size().sort_index()
    assert got.index.tolist() == counts.index.tolist()


def test_one_half_life_weighs_half() -> None:
    b, _ = _world(np.random.default_rng(2), n=0)
    b.append(
        "interactions",
        pa.table(
            {
                "interaction_id": ["a", "b"],
                "stakeholder_id": ["s0", "s0"],
                "occurred_at": [dt.datetime(2024, 1, 1), dt.datetime(2024, 7, 1)],
                "cx": [4.0, 8.0],
            }
        ),
    )
    res = individual_cx_expr(b, decay=DecayOptions(half_life_days=182)).execute()
    # 2024-01-01 is 182 days before 2024-07-01: weight 0.5 → (0.5·4 + 8) / 1.5
    assert res.score.iloc[0] == pytest.approx((0.5 * 4 + 8) / 1.5)
    assert res.weight.iloc[0] == pytest.approx(1.5)


def test_touchpoint_control_is_the_version_valid_at_the_time() -> None:
    b, data = _world(np.random.default_rng(3))
    frame = experience_frame(b).execute()
    t1 = frame[frame.touchpoint_id == "T1"]
    before = t1[t1.occurred_at < dt.datetime(2024, 7, 1)]
    after = t1[t1.occurred_at >= dt.datetime(2024, 7, 1)]
    assert set(before.controller) == {"supplier"} and set(after.controller) == {"partner"}
    assert set(after.partner_id) == {"P"}
    assert len(frame) == data.num_rows  # the history join never duplicates an interaction
    assert set(frame[frame.touchpoint_id == "T2"].stage) == {"negotiation"}  # from the catalogue


def test_breakdown_by_controller_splits_scores() -> None:
    b, _ = _world(np.random.default_rng(4))
    res = individual_cx_expr(b, by=["controller"]).execute()
    assert set(res.controller.dropna()) == {"supplier", "partner"}
    assert (res.n > 0).all()


def test_bad_options_are_clear() -> None:
    b, _ = _world(np.random.default_rng(5), n=10)
    with pytest.raises(ConfigurationError, match="unknown metric"):
        individual_cx_expr(b, metric="loyalty")
    with pytest.raises(ConfigurationError, match="break individual CX down"):
        individual_cx_expr(b, by=["colour"])
    with pytest.raises(ConfigurationError, match="half_life_days"):
        DecayOptions(half_life_days=0)


def test_individual_cx_per_stage_for_one_account_matches_pandas() -> None:
    b, data = _world(np.random.default_rng(6))
    got = individual_cx(b, per="stage", account_id="A", decay=DecayOptions(half_life_days=math.inf))
    df = data.to_pandas()
    df = df[df.cx.notna() & df.stakeholder_id.isin([f"s{i}" for i in range(6)])]
    df["stage"] = df.touchpoint_id.map({"T1": "operations", "T2": "negotiation"})
    expected = df.groupby(["stakeholder_id", "stage"], dropna=False).cx.mean()
    got_scores = got.set_index(["stakeholder_id", "stage"]).score
    assert set(got.account_id) == {"A"}
    assert len(got_scores) == len(expected)
    for key, value in expected.items():
        stage = None if pd.isna(key[1]) else key[1]
        match = got[(got.stakeholder_id == key[0]) & (got.stage.fillna("-") == (stage or "-"))]
        assert match.score.iloc[0] == pytest.approx(value)
        assert match.cx.iloc[0] == pytest.approx(value * 10)
    assert got_scores.notna().all()


def test_individual_cli_json_and_bad_per(tmp_path: Path) -> None:
    ws = b2bcx.open_workspace(tmp_path / "w.duckdb")
    ws.backend.append("accounts", pa.table({"account_id": ["A"]}))
    ws.backend.append("stakeholders", pa.table({"stakeholder_id": ["s"], "account_id": ["A"]}))
    ws.backend.append(
        "interactions",
        pa.table({"interaction_id": ["i"], "stakeholder_id": ["s"],
                  "occurred_at": [T0], "csat": [4.0]}),
    )  # fmt: skip
    ws.close()
    runner = CliRunner()
    args = ["individual", "-w", str(tmp_path / "w.duckdb"), "--metric", "csat"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.output)
    assert row["stakeholder_id"] == "s" and row["score"] == 4.0 and row["cx"] == 75.0
    bad = runner.invoke(app, [*args, "--per", "colour"])
    assert bad.exit_code != 0 and "choose from" in bad.output
