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


def test_simes_and_holm_published_values() -> None:
    from b2bcx.diagnose.stats import holm_adjust, simes

    # Simes (1986): min over i of m p_(i) / i
    assert simes([0.01, 0.04, 0.03, 0.5]) == pytest.approx(min(4 * 0.01, 2 * 0.03, 4 / 3 * 0.04))
    assert simes([0.2]) == pytest.approx(0.2)
    assert np.isnan(simes([np.nan]))
    # Holm (1979) step-down: (m - i + 1) p_(i), running maximum, capped at 1
    adj = holm_adjust([0.01, 0.04, 0.03, np.nan, 0.005])
    assert adj[4] == pytest.approx(4 * 0.005)
    assert adj[0] == pytest.approx(3 * 0.01)
    assert adj[2] == pytest.approx(max(3 * 0.01, 2 * 0.03))
    assert adj[1] == pytest.approx(max(2 * 0.03, 0.04))
    assert np.isnan(adj[3])


def test_hierarchical_fdr_selects_families_then_tests() -> None:
    from b2bcx.diagnose.stats import hierarchical_fdr

    rng = np.random.default_rng(1)
    fam = np.repeat(np.arange(100), 4)
    p = rng.uniform(size=400)
    p[0] = 1e-7  # one strong test in family 0
    p[4:8] = [1e-4, 2e-4, 0.3, 0.9]  # family 1: two strong tests
    fam_adj, within, rej = hierarchical_fdr(fam, p, 0.05)
    assert rej[0] == 1.0 and rej[4] == 1.0 and rej[5] == 1.0
    assert rej[6] == 0.0 and rej[1:4].sum() == 0.0
    assert within[0] == pytest.approx(4e-7)
    assert fam_adj[0] == fam_adj[3]
    # all-null families: about alpha of the simulations reject anything at all
    hits = 0
    for seed in range(200):
        q = np.random.default_rng(seed).uniform(size=400)
        hits += hierarchical_fdr(fam, q, 0.05)[2].sum() > 0
    assert hits / 200 <= 0.09


def _hierarchical_fdr_loop(
    family: np.ndarray, p: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: one pass of :func:`simes` and :func:`holm_adjust` per family."""
    from b2bcx.diagnose.stats import bh_adjust, holm_adjust, simes

    uniq = list(dict.fromkeys(family.tolist()))
    codes = np.array([uniq.index(f) for f in family.tolist()], dtype=np.int64)
    fam_p = np.array([simes(p[codes == k]) for k in range(len(uniq))])
    fam_adj = bh_adjust(fam_p)
    selected = fam_adj < alpha
    m_fam = int((~np.isnan(fam_p)).sum())
    within = np.full(p.shape, np.nan)
    for k in range(len(uniq)):
        idx = np.flatnonzero(codes == k)
        within[idx] = holm_adjust(p[idx])
    level = alpha * int(selected.sum()) / m_fam if m_fam else 0.0
    return fam_adj[codes], within, (selected[codes] & (within < level)).astype(float)


def test_hierarchical_fdr_equals_the_per_family_loop() -> None:
    """The vectorized Simes/Holm step gives the per-family loop's values exactly,
    with ties, NaN p-values, one-test families and a family of NaN only."""
    from b2bcx.diagnose.stats import hierarchical_fdr

    rng = np.random.default_rng(5)
    for trial in range(200):
        n = int(rng.integers(1, 150))
        fam = rng.choice([f"a{i}" for i in range(int(rng.integers(1, 25)))], n)
        p = rng.uniform(size=n) ** rng.uniform(0.2, 3.0)
        p[rng.uniform(size=n) < 0.15] = np.nan
        if trial % 3 == 0:
            p = np.round(p, 2)  # ties
        got = hierarchical_fdr(fam, p, 0.05)
        want = _hierarchical_fdr_loop(fam, p, 0.05)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    only_nan = hierarchical_fdr(np.array(["x", "x", "y"]), np.array([np.nan, np.nan, 0.01]), 0.05)
    assert np.isnan(only_nan[0][:2]).all() and np.isnan(only_nan[1][:2]).all()
    assert only_nan[1][2] == pytest.approx(0.01)


def test_robust_ar1_params_equal_one_series_at_a_time() -> None:
    """The per-series AR(1) estimates, computed by length as matrix rows, are
    ``pooled_ar1_params([y], [v])`` of each series exactly (short series left
    out, a series with NaN and one without noise included)."""
    from b2bcx.diagnose.stats import _ar1_params_each, pooled_ar1_params, robust_ar1_params

    rng = np.random.default_rng(11)
    for trial in range(100):
        k = int(rng.integers(1, 50))
        ys = [rng.normal(0, rng.uniform(0.1, 20), int(rng.integers(1, 40))) for _ in range(k)]
        vs = [rng.uniform(0, 30, len(y)) * float(rng.uniform() < 0.8) for y in ys]
        if trial % 10 == 0 and len(ys[0]) >= 3:
            ys[0][1] = np.nan
        per = [pooled_ar1_params([y], [v]) for y, v in zip(ys, vs, strict=True) if len(y) >= 3]
        var_obs, phi = _ar1_params_each(ys, vs)
        np.testing.assert_array_equal(var_obs, [p[0] for p in per])
        np.testing.assert_array_equal(phi, [p[1] for p in per])
        want = (
            (float(np.median([p[0] for p in per])), float(np.median([p[1] for p in per])))
            if per
            else (0.0, 0.0)
        )
        np.testing.assert_array_equal(robust_ar1_params(ys, vs), want)
    assert robust_ar1_params([np.ones(2)], [np.ones(2)]) == (0.0, 0.0)


def _pooled_ar1_loop(series: list[np.ndarray], noises: list[np.ndarray]) -> tuple[float, float]:
    """Reference: pooled_ar1_params as one pass per series (before issue 22)."""
    g0 = g1 = noise_sum = 0.0
    lengths = []
    for y, v in zip(series, noises, strict=True):
        if len(y) < 3:
            continue
        e = y - y.mean()
        g0 += float((e * e).sum())
        g1 += float((e[1:] * e[:-1]).sum())
        noise_sum += float(np.asarray(v, dtype=float).sum())
        lengths.append(len(y))
    if not lengths:
        return 0.0, 0.0
    var_a = max(g0 - noise_sum, 0.05 * g0, 1e-12)
    phi = min(max(g1 / var_a, 0.0), 0.9)
    t = float(np.mean(lengths))
    phi = min(phi + (1 + 3 * phi) / t, 0.95)
    var_obs = var_a / sum(lengths) / max(0.2, 1 - (1 + phi) / ((1 - phi) * t))
    return float(var_obs), float(phi)


def test_pooled_ar1_params_equal_the_per_series_loop() -> None:
    from b2bcx.diagnose.stats import pooled_ar1_params

    rng = np.random.default_rng(12)
    for _ in range(100):
        k = int(rng.integers(0, 50))
        ys = [rng.normal(0, rng.uniform(0.1, 20), int(rng.integers(1, 40))) for _ in range(k)]
        vs = [rng.uniform(0, 30, len(y)) for y in ys]
        assert pooled_ar1_params(ys, vs) == _pooled_ar1_loop(ys, vs)
