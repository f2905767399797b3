"""Collective CX per unit: agreement, verdicts, real NPS, and the JSON contract."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import b2bcx
from b2bcx.cli import app
from b2bcx.errors import ConfigurationError
from b2bcx.measures.collective import measure_units
from b2bcx.measures.individual import DecayOptions
from b2bcx.measures.verdict import ALIGNED, NOT_PROVEN, TOO_FEW, UNALIGNED, VerdictRule

# account → stakeholder → (cx ratings, nps answers oldest first)
PEOPLE = {
    "ALIGN": {"a1": ([8, 8], [9]), "a2": ([8, 9], [10]), "a3": ([9], [6, 9])},
    "SPLIT": {"b1": ([1], [2]), "b2": ([9], [10]), "b3": ([5, 5], [7]), "b4": ([10], [0])},
    "SOLO": {"c1": ([7], [8])},
}
VALUE = {"ALIGN": 300.0, "SPLIT": 100.0, "SOLO": 0.0}


@pytest.fixture
def ws(tmp_path: Path) -> b2bcx.Workspace:
    w = b2bcx.open_workspace(tmp_path / "w.duckdb")
    b = w.backend
    b.append(
        "accounts", pa.table({"account_id": list(PEOPLE), "annual_value": list(VALUE.values())})
    )
    sh = [(s, a) for a, people in PEOPLE.items() for s in people]
    b.append(
        "stakeholders",
        pa.table({"stakeholder_id": [s for s, _ in sh], "account_id": [a for _, a in sh]}),
    )
    rows = []
    for people in PEOPLE.values():
        for s, (cxs, npss) in people.items():
            for i, v in enumerate(cxs):
                rows.append((f"{s}-cx{i}", s, dt.datetime(2024, 1, 1 + i), float(v), None))
            for i, v in enumerate(npss):
                rows.append((f"{s}-nps{i}", s, dt.datetime(2024, 2, 1 + i), None, v))
    b.append(
        "interactions",
        pa.table({
            "interaction_id": [r[0] for r in rows], "stakeholder_id": [r[1] for r in rows],
            "occurred_at": [r[2] for r in rows], "cx": pa.array([r[3] for r in rows], pa.float64()),
            "nps": pa.array([r[4] for r in rows], pa.int64()),
        }),
    )  # fmt: skip
    return w


def _independent_rwg_means(account: str) -> float:
    scores = [np.mean(cx) for cx, _ in PEOPLE[account].values()]
    return max(0.0, 1 - float(np.var(scores, ddof=1)) / 10.0)  # 0–10: 11 options, σ² = 10


def _independent_rwg(account: str) -> float:
    # single-response variance = var of person means + (1 − mean 1/m) · pooled within variance
    ratings = [np.asarray(cx, dtype=float) for cx, _ in PEOPLE[account].values()]
    s2_means = float(np.var([r.mean() for r in ratings], ddof=1))
    df = sum(len(r) - 1 for r in ratings)
    within = sum(float(((r - r.mean()) ** 2).sum()) for r in ratings) / df if df else 0.0
    h_bar = float(np.mean([1 / len(r) for r in ratings]))
    return max(0.0, 1 - (s2_means + (1 - h_bar) * within) / 10.0)


def test_units_match_an_independent_computation(ws: b2bcx.Workspace) -> None:
    res = measure_units(ws.backend, decay=DecayOptions(half_life_days=math.inf))
    units = res.units.set_index("account_id")
    for account in ("ALIGN", "SPLIT"):
        assert units.loc[account, "rwg"] == pytest.approx(_independent_rwg(account))
        assert units.loc[account, "rwg_means"] == pytest.approx(_independent_rwg_means(account))
        scores = [np.mean(cx) for cx, _ in PEOPLE[account].values()]
        assert units.loc[account, "cx"] == pytest.approx(np.mean(scores) * 10)
        assert units.loc[account, "n_stakeholders"] == len(PEOPLE[account])
    # three people in an eight-person portfolio cannot show they agree more than
    # randomly drawn people: the default verdict (chance test included) says so,
    # and calls their agreement not proven, not diverse (rwg is far above .70)
    assert units.loc["ALIGN", "rwg"] >= 0.70
    assert units.loc["ALIGN", "verdict"] == NOT_PROVEN
    assert "chance p >" in units.loc["ALIGN", "reason"]
    no_chance = measure_units(
        ws.backend, decay=DecayOptions(half_life_days=math.inf),
        rule=VerdictRule(chance_alpha=None),
    ).units.set_index("account_id")  # fmt: skip
    assert no_chance.loc["ALIGN", "verdict"] == ALIGNED
    assert units.loc["SPLIT", "verdict"] == UNALIGNED
    assert units.loc["SOLO", "verdict"] == TOO_FEW
    assert "only 1 respondent" in units.loc["SOLO", "reason"]
    assert units.loc["ALIGN", "n_interactions"] == 5


def test_account_nps_is_a_real_nps_of_latest_answers(ws: b2bcx.Workspace) -> None:
    units = measure_units(ws.backend).units.set_index("account_id")
    # ALIGN latest answers: 9, 10, 9 → 3 promoters of 3
    assert units.loc["ALIGN", "nps"] == pytest.approx(100.0)
    # SPLIT: 2 (D), 10 (P), 7 (passive), 0 (D) → (1 − 2)/4
    assert units.loc["SPLIT", "nps"] == pytest.approx(-25.0)


def test_portfolio_nps_is_weighted_by_account_value(ws: b2bcx.Workspace) -> None:
    p = measure_units(ws.backend).portfolio
    assert p["nps"] == pytest.approx((100 * 300 - 25 * 100) / 400)
    assert p["nps_unweighted"] == pytest.approx((100 - 25 + 0) / 3)  # SOLO: one passive
    assert p["icc1"] is not None and -1 <= p["icc1"] <= 1


def test_function_units_and_bad_unit(ws: b2bcx.Workspace) -> None:
    with pytest.raises(ConfigurationError, match="--by must be one of"):
        measure_units(ws.backend, by="colour")
    assert measure_units(ws.backend, by="function").units.empty  # no functions recorded


def test_cli_json_contract(ws: b2bcx.Workspace) -> None:
    url = ws.url
    ws.close()
    result = CliRunner().invoke(app, ["measure", "-w", url, "--by", "account", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["portfolio"]) == {"icc1", "icc2", "nps", "cx"}
    keys = {"account_id", "n_stakeholders", "n_interactions", "cx", "nps", "rwg", "ad", "verdict"}
    assert all(set(u) == keys for u in data["units"])
    solo = next(u for u in data["units"] if u["account_id"] == "SOLO")
    assert solo["rwg"] is None and solo["verdict"] == TOO_FEW


def test_units_carry_the_nps_interval(ws: b2bcx.Workspace) -> None:
    units = measure_units(ws.backend).units.set_index("account_id")
    assert units.loc["SPLIT", "nps_n"] == 4
    assert (
        units.loc["SPLIT", "nps_low"] < units.loc["SPLIT", "nps"] < units.loc["SPLIT", "nps_high"]
    )
