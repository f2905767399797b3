"""Collective CX options: role-weighted NPS, function × level, skewed nulls,
multi-item rwg(j), chance p-values and the stricter verdict rules."""

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
from b2bcx.measures.collective import (
    AgreementOptions,
    RoleWeights,
    accounts_json,
    measure_units,
)
from b2bcx.measures.individual import DecayOptions
from b2bcx.measures.resampling import chance_p_values, random_group_agreement
from b2bcx.measures.verdict import (
    ALIGNED,
    NOT_PROVEN,
    UNALIGNED,
    VerdictRule,
    ad_cutoff,
    verdicts,
)

NO_DECAY = DecayOptions(half_life_days=math.inf)

# stakeholder → (account, function, level, center, decision maker, cx, nps, efficiency, convenience)
PEOPLE = {
    "p1": ("A", "procurement", "manager", "buying", True, 6.0, 3, 2.0, 3.0),
    "p2": ("A", "procurement", "manager", "buying", False, 7.0, 10, 3.0, 3.0),
    "p3": ("A", "production", "operational", "usage", False, 8.0, 9, 4.0, 4.0),
    "p4": ("A", "production", "operational", "usage", False, 8.0, 9, 4.0, 5.0),
    "p5": ("A", "production", "operational", "usage", False, 9.0, 10, 5.0, 5.0),
    "p6": ("A", "production", "operational", "usage", False, 9.0, 8, 4.0, 4.0),
    "q1": ("B", "it", "executive", "both", True, 2.0, 0, 1.0, 2.0),
    "q2": ("B", "it", "executive", None, False, 3.0, 6, 2.0, 1.0),
    "q3": ("B", "it", "executive", None, False, 9.0, 10, 5.0, 5.0),
}


@pytest.fixture
def ws(tmp_path: Path) -> b2bcx.Workspace:
    w = b2bcx.open_workspace(tmp_path / "w.duckdb")
    b = w.backend
    b.append("accounts", pa.table({"account_id": ["A", "B"], "annual_value": [1.0, 1.0]}))
    cols = list(zip(*PEOPLE.values(), strict=True))
    b.append(
        "stakeholders",
        pa.table({
            "stakeholder_id": list(PEOPLE), "account_id": list(cols[0]),
            "function": list(cols[1]), "level": list(cols[2]), "center": list(cols[3]),
            "decision_maker": pa.array(cols[4], pa.bool_()),
        }),
    )  # fmt: skip
    b.append(
        "interactions",
        pa.table({
            "interaction_id": [f"i-{s}" for s in PEOPLE], "stakeholder_id": list(PEOPLE),
            "occurred_at": [dt.datetime(2024, 3, 1)] * len(PEOPLE),
            "cx": pa.array(cols[5], pa.float64()), "nps": pa.array(cols[6], pa.int64()),
            "efficiency": pa.array(cols[7], pa.float64()),
            "convenience": pa.array(cols[8], pa.float64()),
        }),
    )  # fmt: skip
    return w


def _nps(values: list[float], weights: list[float]) -> float:
    v, w = np.asarray(values), np.asarray(weights)
    return float(100 * (w[v >= 9].sum() - w[v <= 6].sum()) / w.sum())


def test_role_weighted_nps_balances_centres_and_counts_decision_makers(
    ws: b2bcx.Workspace,
) -> None:
    units = measure_units(ws.backend, decay=NO_DECAY).units.set_index("account_id")
    # A: buying p1 (dm, 2) and p2 (1) share the buying half; four users share the other
    a = [3, 10, 9, 9, 10, 8]
    weights = [2 / 3, 1 / 3, 0.25, 0.25, 0.25, 0.25]
    assert units.loc["A", "nps_role"] == pytest.approx(_nps(a, weights))
    assert units.loc["A", "nps"] == pytest.approx(_nps(a, [1.0] * 6))
    # B: q1 is "both" (its own group); q2 and q3 have no centre (one group)
    assert units.loc["B", "nps_role"] == pytest.approx(_nps([0, 6, 10], [1, 0.5, 0.5]))
    # without balancing: decision makers double, centres equal
    plain = measure_units(
        ws.backend, decay=NO_DECAY, role_weights=RoleWeights(balance_centers=False)
    ).units.set_index("account_id")
    assert plain.loc["A", "nps_role"] == pytest.approx(_nps(a, [2, 1, 1, 1, 1, 1]))
    with pytest.raises(ConfigurationError, match="decision_maker"):
        RoleWeights(decision_maker=0)


def test_function_by_level_units(ws: b2bcx.Workspace) -> None:
    units = measure_units(ws.backend, by="function_level", decay=NO_DECAY).units
    got = {(r.account_id, r.function, r.level): r.n_stakeholders for r in units.itertuples()}
    assert got == {
        ("A", "procurement", "manager"): 2,
        ("A", "production", "operational"): 4,
        ("B", "it", "executive"): 3,
    }
    prod = units[units.function == "production"].iloc[0]
    assert prod["rwg"] == pytest.approx(1 - np.var([8, 8, 9, 9], ddof=1) / 10)


def test_centre_is_an_alias_of_center(ws: b2bcx.Workspace) -> None:
    a = measure_units(ws.backend, by="centre", decay=NO_DECAY).units
    b = measure_units(ws.backend, by="center", decay=NO_DECAY).units
    assert a.equals(b) and set(a.center.dropna()) == {"buying", "usage", "both"}


def test_skewed_and_explicit_nulls_change_rwg_by_the_variance(ws: b2bcx.Workspace) -> None:
    s2 = float(np.var([6, 7, 8, 8, 9, 9], ddof=1))
    for options, sigma2 in (
        (AgreementOptions(null="moderate"), 10.0 * 0.90 / 2.0),
        (AgreementOptions(null_variance=3.0), 3.0),
    ):
        units = measure_units(ws.backend, decay=NO_DECAY, agreement=options).units
        a = units.set_index("account_id").loc["A"]
        assert a["rwg"] == pytest.approx(max(0.0, 1 - s2 / sigma2))
    with pytest.raises(ConfigurationError, match="null_variance"):
        AgreementOptions(null_variance=0)


def test_items_give_multi_item_rwg_j(ws: b2bcx.Workspace) -> None:
    res = measure_units(ws.backend, decay=NO_DECAY, items=["efficiency", "convenience"])
    assert res.metric == "efficiency+convenience"
    a = res.units.set_index("account_id").loc["A"]
    eff, con = [2, 3, 4, 4, 5, 4], [3, 3, 4, 5, 5, 4]
    mean_var = (np.var(eff, ddof=1) + np.var(con, ddof=1)) / 2
    ratio = mean_var / 2.0  # 1–5: σ²_EU = 2
    assert a["rwg"] == pytest.approx(2 * (1 - ratio) / (2 * (1 - ratio) + ratio))
    assert a["mean"] == pytest.approx((np.mean(eff) + np.mean(con)) / 2)
    with pytest.raises(ConfigurationError, match="share one scale"):
        measure_units(ws.backend, items=["cx", "efficiency"])
    with pytest.raises(ConfigurationError, match="two or more"):
        measure_units(ws.backend, items=["efficiency"])


def test_units_carry_chance_p_and_portfolio_rgr(ws: b2bcx.Workspace) -> None:
    res = measure_units(ws.backend, decay=NO_DECAY, agreement=AgreementOptions(chance_reps=200))
    p = res.units.p_chance
    assert ((p > 0) & (p <= 1)).all()
    assert res.portfolio["rgr_z"] is not None
    off = measure_units(ws.backend, agreement=AgreementOptions(chance_reps=0))
    assert off.units.p_chance.isna().all() and off.portfolio["rgr_z"] is None


def test_chance_p_values_follow_their_definition() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 11, 300).astype(float)
    groups = np.repeat(np.arange(60), 5)
    x[:5] = 7.0  # group 0: perfectly aligned
    labels, p = chance_p_values(x, groups, reps=2000, seed=1)
    assert labels.tolist() == list(range(60))
    # p of a zero-variance unit = share of random 5-groups with zero variance (≈ 0)
    assert p[0] < 0.01
    # random units: p-values roughly uniform → about half below .5
    assert 0.3 < float(np.mean(p[1:] < 0.5)) < 0.7
    # independent check of one unit: brute-force draws without replacement
    draws = np.array([np.var(rng.choice(x, 5, replace=False), ddof=1) for _ in range(4000)])
    brute = (1 + np.sum(draws <= np.var(x[5:10], ddof=1))) / 4001
    assert p[1] == pytest.approx(brute, abs=0.03)
    assert np.isnan(chance_p_values([1.0, 2, 3], [0, 1, 1], reps=10)[1][0])  # one person


def test_random_group_variance_is_the_total_variance_in_expectation() -> None:
    # drawing without replacement, E[s²] of a pseudo-group is the total variance
    # with n − 1 (a finite-population identity): an analytic check of rgr.agree
    rng = np.random.default_rng(7)
    x = rng.normal(size=400)
    groups = np.repeat(np.arange(80), 5)
    r = random_group_agreement(x, groups, reps=500, seed=2)
    assert r.mean_random_var == pytest.approx(float(np.var(x, ddof=1)), rel=0.02)
    assert abs(r.z) < 4  # random groups are not aligned


def test_verdict_rules_ad_cutoff_and_chance() -> None:
    assert ad_cutoff(11) == pytest.approx(11 / 6)
    rule = VerdictRule(min_rwg=0.7, max_ad=1.0, max_p=0.05)
    v, why = verdicts(
        [5, 5, 5], [0.9, 0.9, 0.9], rule, ad=[0.5, 1.5, 0.5], p_chance=[0.01] * 2 + [0.2]
    )
    assert v == [ALIGNED, UNALIGNED, NOT_PROVEN]
    assert "AD >" in why[1] and "p >" in why[2]
    with pytest.raises(ConfigurationError, match="AD"):
        verdicts([5], [0.9], VerdictRule(max_ad=1.0))
    with pytest.raises(ConfigurationError, match="max_p"):
        VerdictRule(max_p=1.5)


def test_cli_measure_options(ws: b2bcx.Workspace) -> None:
    url = ws.url
    ws.close()
    args = ["measure", "-w", url, "--by", "function_level", "--null", "slight", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--max-ad", "0.5", "--chance-reps", "50"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {u["function"] for u in data["units"]} == {"procurement", "production", "it"}
    assert all("p_chance" in u and "nps_role" in u for u in data["units"])
    items = CliRunner().invoke(
        app, ["measure", "-w", url, "--items", "efficiency,convenience", "--format", "json"]
    )
    assert items.exit_code == 0, items.output
    assert json.loads(items.stdout)["metric"] == "efficiency+convenience"


def test_units_carry_ad_md_and_awg_as_defined(ws: b2bcx.Workspace) -> None:
    units = measure_units(ws.backend, by="account", decay=NO_DECAY).units.set_index("account_id")
    for account in ("A", "B"):
        x = np.array([v[5] for v in PEOPLE.values() if v[0] == account])
        med_dev = np.abs(x - np.median(x)).mean()
        assert units.loc[account, "ad_md"] == pytest.approx(med_dev)
        n, m = len(x), x.mean()
        max_var = ((10 + 0) * m - m**2 - 10 * 0) * n / (n - 1)
        assert units.loc[account, "awg"] == pytest.approx(1 - 2 * x.var(ddof=1) / max_var)


def test_awg_over_items_is_the_mean_of_item_awgs(ws: b2bcx.Workspace) -> None:
    result = measure_units(ws.backend, by="account", decay=NO_DECAY,
                           items=["efficiency", "convenience"])  # fmt: skip
    got = result.units.set_index("account_id").loc["A", "awg"]
    expected = []
    for col in (7, 8):
        x = np.array([v[col] for v in PEOPLE.values() if v[0] == "A"])
        n, m = len(x), x.mean()
        max_var = ((5 + 1) * m - m**2 - 5 * 1) * n / (n - 1)
        expected.append(1 - 2 * x.var(ddof=1) / max_var)
    assert got == pytest.approx(np.mean(expected))


def test_items_carry_lindell_r_star_wg_j(ws: b2bcx.Workspace) -> None:
    res = measure_units(ws.backend, decay=NO_DECAY, items=["efficiency", "convenience"])
    a = res.units.set_index("account_id").loc["A"]
    eff, con = [2, 3, 4, 4, 5, 4], [3, 3, 4, 5, 5, 4]
    mean_var = (np.var(eff, ddof=1) + np.var(con, ddof=1)) / 2
    assert a["rwg_star"] == pytest.approx(max(0.0, 1 - mean_var / 2.0))  # no step-up
    assert a["rwg_star"] < a["rwg"]
    assert a["rwg_low"] <= a["rwg"] + 1e-9 <= a["rwg_high"] + 2e-9  # rwg(j) bootstrap
    assert res.metric_label == "collective efficiency+convenience (multi-item)"


def test_methods_block_travels_with_every_result(ws: b2bcx.Workspace) -> None:
    res = measure_units(
        ws.backend, decay=NO_DECAY, agreement=AgreementOptions(null="slight", chance_reps=200),
        rule=VerdictRule(min_n=4, ad_rule=True),
    )  # fmt: skip
    d = res.to_dict()
    m = d["methods"]
    assert d["metric_label"] == "collective CX"
    assert m["agreement"]["null"] == "slight"
    assert m["agreement"]["null_variance"] == pytest.approx(10.0 * 1.34 / 2.0)
    assert m["individual"]["half_life_days"] is None  # inf: no decay
    assert m["chance_test"]["reps"] == 200 and m["chance_test"]["run"]
    assert m["verdict"]["min_n"] == 4 and m["verdict"]["max_ad"] == pytest.approx(11 / 6)
    assert m["nps"]["min_n"] == 3 and "Rocks" in m["nps"]["interval"]
    assert "direct consensus" in m["composition_model"]
    json.dumps(d)  # JSON-ready
    assert accounts_json(res)["methods"] == m
    nps_res = measure_units(ws.backend, metric="nps", decay=NO_DECAY)
    assert nps_res.to_dict()["metric_label"] == "collective NPS"


def test_units_carry_reliability_interval_and_components(ws: b2bcx.Workspace) -> None:
    res = measure_units(ws.backend, decay=NO_DECAY)
    u = res.units
    icc1 = res.portfolio["icc1"]
    n = u.n_stakeholders.to_numpy(dtype=float)
    expected = n * max(icc1, 0) / (1 + (n - 1) * max(icc1, 0))
    np.testing.assert_allclose(u.reliability.to_numpy(dtype=float), expected)
    many = u[u.n_stakeholders >= 2]
    assert (many.rwg_low <= many.rwg + 1e-9).all() and (many.rwg <= many.rwg_high + 1e-9).all()
    assert {"var_person", "var_within", "m_eff", "rwg_means", "nps_note"} <= set(u.columns)
    assert {"var_unit", "var_person", "var_within", "icc1_f", "icc1_p", "icc1_low"} <= set(
        res.portfolio
    )
