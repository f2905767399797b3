"""random_person_contrast against a dense GLS written out with numpy, and
empirical_null_scale on known distributions."""

from __future__ import annotations

import numpy as np
import pytest

from b2bcx.diagnose.stats import empirical_null_scale, random_person_contrast


def _dense_gls(
    person: np.ndarray, level: np.ndarray, n: np.ndarray, y: np.ndarray,
    within: float, extra: float, between: float,
) -> tuple[float, float]:  # fmt: skip
    """Independent implementation: build V = τ² ZZ' + diag(ω² + σ²/n) and solve."""
    x = np.column_stack([np.ones(len(y)), level.astype(float)])
    same = (person[:, None] == person[None, :]).astype(float)
    v = between * same + np.diag(extra + within / n)
    vi = np.linalg.inv(v)
    cov = np.linalg.inv(x.T @ vi @ x)
    beta = cov @ x.T @ vi @ y
    return float(beta[1]), float(np.sqrt(cov[1, 1]))


def test_matches_dense_gls_per_group() -> None:
    rng = np.random.default_rng(3)
    rows = []
    pid = 0
    for g in range(5):
        for _ in range(int(rng.integers(3, 9))):
            levels = [[0], [1], [0, 1]][int(rng.integers(0, 3))]
            for lv in levels:
                rows.append((g, pid, lv, int(rng.integers(1, 20)), float(rng.normal(60, 15))))
            pid += 1
    arr = np.array(rows)
    g, p, lv = arr[:, 0].astype(int), arr[:, 1].astype(int), arr[:, 2].astype(int)
    n, y = arr[:, 3], arr[:, 4]
    res = random_person_contrast(g, p, lv, n, y, within=200.0, extra=10.0, between=60.0)
    for k in range(5):
        m = g == k
        if len(set(lv[m])) < 2:
            assert np.isnan(res.estimate[k])
            continue
        est, se = _dense_gls(p[m], lv[m], n[m], y[m], 200.0, 10.0, 60.0)
        assert res.estimate[k] == pytest.approx(est, rel=1e-9, abs=1e-9)
        assert res.se[k] == pytest.approx(se, rel=1e-9)
        assert res.paired[k] == sum(1 for q in set(p[m]) if set(lv[(p == q)]) == {0, 1})


def test_paired_only_is_mean_difference_and_one_level_is_nan() -> None:
    # every person rates both levels with equal n: GLS is the mean paired difference
    g = np.zeros(6, dtype=int)
    p = np.repeat(np.arange(3), 2)
    lv = np.tile([0, 1], 3)
    y = np.array([50.0, 60.0, 40.0, 45.0, 70.0, 85.0])
    res = random_person_contrast(g, p, lv, np.full(6, 4.0), y, within=100.0, extra=0.0,
                                 between=50.0)  # fmt: skip
    assert res.estimate[0] == pytest.approx(10.0)
    assert res.se[0] == pytest.approx(np.sqrt(2 * 100.0 / 4 / 3))
    only = random_person_contrast([0, 0], [0, 1], [0, 0], [3.0, 3.0], [1.0, 2.0],
                                  within=1.0, extra=0.0, between=1.0)  # fmt: skip
    assert np.isnan(only.estimate[0]) and np.isnan(only.se[0])


def test_empirical_null_scale() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.3, 5000)
    assert empirical_null_scale(z) == pytest.approx(1.3, rel=0.05)
    # a 10 % minority of large effects widens it a little (conservative), not to their spread
    mixed = np.concatenate([rng.normal(0, 1, 900), rng.normal(4, 1, 100)])
    assert 1.0 <= empirical_null_scale(mixed) < 1.2
    assert empirical_null_scale(rng.normal(0, 0.5, 1000), floor=0.8) == 0.8
    assert empirical_null_scale(rng.normal(0, 0.5, 1000)) == 1.0
    assert empirical_null_scale([5.0] * 10) == 1.0
