"""C5's change test (sup-Wald with a simulated AR(1) null) and the risk model's
calibration, against independent computations and by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from b2bcx.diagnose.risk import calibration
from b2bcx.diagnose.stats import (
    _sup_wald,
    bh_adjust,
    pooled_ar1_params,
    robust_ar1_params,
    shift_test,
)


def _series(rng: np.random.Generator, phi: float, t: int, step: float = 0.0) -> tuple[
    np.ndarray, np.ndarray
]:  # fmt: skip
    """A monthly mean: AR(1) month shock (SD 5) + sampling noise of 1–8 ratings
    (SD 14 each) + an optional step at the middle."""
    n = rng.integers(1, 9, t)
    a = np.empty(t)
    a[0] = rng.normal() * 5
    for i in range(1, t):
        a[i] = phi * a[i - 1] + np.sqrt(1 - phi**2) * 5 * rng.normal()
    noise = 14.0**2 / n
    y = a + rng.normal(size=t) * np.sqrt(noise) + np.where(np.arange(t) >= t // 2, step, 0.0)
    return y, noise


def test_sup_wald_matches_ols_with_a_step_dummy() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=30)
    got, _ = _sup_wald(y[None, :], 5, 25)
    best = 0.0
    for kk in range(5, 26):
        x = np.column_stack([np.ones(30), np.arange(30) >= kk])
        beta, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
        s2 = rss[0] / (30 - 2)
        cov = s2 * np.linalg.inv(x.T @ x)
        best = max(best, beta[1] ** 2 / cov[1, 1])
    assert got[0] == pytest.approx(best)


def test_pooled_ar1_recovers_the_persistence() -> None:
    rng = np.random.default_rng(4)
    pairs = [_series(rng, 0.6, 36) for _ in range(300)]
    var_a, phi = pooled_ar1_params([p[0] for p in pairs], [p[1] for p in pairs])
    assert phi == pytest.approx(0.6, abs=0.08)
    assert var_a == pytest.approx(25.0, rel=0.3)
    r_var, r_phi = robust_ar1_params([p[0] for p in pairs], [p[1] for p in pairs])
    assert r_phi == pytest.approx(0.6, abs=0.1)
    assert r_var == pytest.approx(25.0, rel=0.35)
    # a tenth of the series with a 40-point step hardly moves the robust estimate
    stepped = [_series(rng, 0.6, 36, step=40.0) for _ in range(30)] + pairs[:270]
    s_var, s_phi = robust_ar1_params([p[0] for p in stepped], [p[1] for p in stepped])
    p_var, p_phi = pooled_ar1_params([p[0] for p in stepped], [p[1] for p in stepped])
    assert abs(s_phi - r_phi) < abs(p_phi - phi) + 0.05
    assert s_var < p_var


@pytest.mark.parametrize("phi", [0.6])
def test_size_on_null_series_with_ar1_month_shocks(phi: float) -> None:
    """Null series (no change) with AR(1) month shocks: the test's false-positive
    rate is not above 5 % beyond simulation error, and after Benjamini–Hochberg
    over the series at most 5 % of them are flagged."""
    rng = np.random.default_rng(8)
    pairs = [_series(rng, phi, 36) for _ in range(300)]
    # the detector's final pass pools the accounts not found changed in its first
    var_a, ph = pooled_ar1_params([p[0] for p in pairs], [p[1] for p in pairs])
    ps = []
    for y, v in pairs:
        res = shift_test(y, v, reps=199, rng=rng, phi=ph, var_a=var_a)
        assert res is not None
        ps.append(res.p)
    p = np.array(ps)
    rejected = int((p < 0.05).sum())
    # one-sided binomial test of "size > 5 %": must not reject at the 1 % level
    assert stats.binomtest(rejected, len(p), 0.05, alternative="greater").pvalue > 0.01
    assert (bh_adjust(p) < 0.05).mean() <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize(("phi", "t"), [(0.3, 36), (0.8, 36), (0.6, 24)])
def test_size_other_persistence_and_lengths(phi: float, t: int) -> None:
    rng = np.random.default_rng(9)
    pairs = [_series(rng, phi, t) for _ in range(400)]
    # the detector's final pass pools the accounts not found changed in its first
    var_a, ph = pooled_ar1_params([p[0] for p in pairs], [p[1] for p in pairs])
    ps = np.array([
        shift_test(y, v, reps=499, rng=rng, phi=ph, var_a=var_a).p  # type: ignore[union-attr]
        for y, v in pairs
    ])  # fmt: skip
    assert (ps < 0.05).mean() <= 0.09
    assert (bh_adjust(ps) < 0.05).mean() <= 0.05


def test_a_planted_step_up_is_found_with_its_month_and_sign() -> None:
    rng = np.random.default_rng(10)
    y, v = _series(rng, 0.6, 36, step=30.0)
    res = shift_test(y, v, reps=499, rng=rng, phi=0.6, var_a=25.0)
    assert res is not None
    assert res.p < 0.01
    assert res.shift > 15
    assert 15 <= res.k <= 21
    down = shift_test(-y, v, reps=499, rng=rng, phi=0.6, var_a=25.0)
    assert down is not None and down.shift == pytest.approx(-res.shift)


def test_too_short_a_series_is_not_tested() -> None:
    assert shift_test(np.ones(5), np.ones(5)) is None


def test_calibration_against_scikit_learn() -> None:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    rng = np.random.default_rng(1)
    p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < p).astype(int)
    out = calibration(y, p)
    assert out["auc"] == pytest.approx(roc_auc_score(y, p))
    assert out["brier"] == pytest.approx(brier_score_loss(y, p))
    assert out["base_rate"] == pytest.approx(y.mean())
    assert sum(b["accounts"] for b in out["reliability"]) == 400
    # calibrated by construction: observed close to predicted in every bin
    for b in out["reliability"]:
        assert abs(b["observed"] - b["predicted"]) < 0.15


def test_did_is_the_change_against_comparison_accounts() -> None:
    from b2bcx.diagnose.c5_dynamics import _did

    change = pd.DataFrame(
        {
            "before": [60.0] * 12,
            "after": [60.0 + d for d in (-30, 1, -2, 3, 0, 2, -1, 1, 0, -3, 2, 20)],
        },
        index=[f"A{i}" for i in range(12)],
    ).assign(change=lambda d: d.after - d.before)
    out = _did(change, "A0", excluded={"A0", "A11"})
    assert out is not None
    comp = change.change.iloc[1:11]
    assert out["did"] == pytest.approx(-30 - comp.mean())
    assert out["comparison_accounts"] == 10
    t = (-30 - comp.mean()) / (comp.std(ddof=1) * np.sqrt(1 + 1 / 10))
    assert out["p"] == pytest.approx(2 * stats.t.sf(abs(t), 9))
