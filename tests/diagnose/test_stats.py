"""The diagnosis statistics against scipy and against planted signals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from b2bcx.diagnose.stats import bh_adjust, change_point, one_way_anova, welch


def test_bh_matches_scipy() -> None:
    p = np.random.default_rng(0).uniform(0, 0.2, 40)
    np.testing.assert_allclose(bh_adjust(p), stats.false_discovery_control(p), rtol=1e-12)


def test_bh_keeps_nan_out_of_the_count() -> None:
    got = bh_adjust([0.01, np.nan, 0.04])
    assert np.isnan(got[1])
    np.testing.assert_allclose(got[[0, 2]], stats.false_discovery_control([0.01, 0.04]))


def test_welch_matches_scipy_on_raw_data() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 12), rng.normal(0.8, 2, 30)
    t, p = welch(a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert float(t) == pytest.approx(ref.statistic) and float(p) == pytest.approx(ref.pvalue)


def test_welch_needs_two_per_side() -> None:
    t, p = welch(1.0, 0.0, 1, 2.0, 1.0, 5)
    assert np.isnan(t) and np.isnan(p)


def test_anova_matches_scipy_and_omega_squared_by_hand() -> None:
    rng = np.random.default_rng(2)
    groups = [rng.normal(m, 1, n) for m, n in ((0, 5), (1, 7), (3, 4))]
    x = np.concatenate(groups)
    g = np.repeat(["a", "b", "c"], [5, 7, 4])
    res = one_way_anova(x, g)
    ref = stats.f_oneway(*groups)
    assert res is not None
    assert res.f == pytest.approx(ref.statistic) and res.p == pytest.approx(ref.pvalue)
    grand = x.mean()
    ssb = sum(len(v) * (v.mean() - grand) ** 2 for v in groups)
    ssw = sum(((v - v.mean()) ** 2).sum() for v in groups)
    msw = ssw / (len(x) - 3)
    assert res.omega2 == pytest.approx((ssb - 2 * msw) / (ssb + ssw + msw))


def test_anova_edge_cases() -> None:
    assert one_way_anova([1.0, 2.0], ["a", "a"]) is None  # one group
    flat = one_way_anova([3.0, 3.0, 3.0, 3.0], ["a", "a", "b", "b"])
    assert flat is not None and flat.p == 1.0 and flat.omega2 == 0.0


def test_change_point_finds_a_planted_decline() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(36) / 12
    truth = np.where(t > 1.5, -10 * (t - 1.5), 0.0)
    n = np.full(36, 40)
    mean = truth + rng.normal(0, 10 / np.sqrt(40), 36)
    cp = change_point(t, mean, n, ss_within=float(100 * 39 * 36))
    assert cp is not None
    assert cp.tau == pytest.approx(1.5, abs=0.25)
    assert cp.slope == pytest.approx(-10, rel=0.25)
    assert cp.p < 1e-6


def test_change_point_is_quiet_on_noise() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(36) / 12
    mean = rng.normal(0, 10 / np.sqrt(40), 36)
    cp = change_point(t, mean, np.full(36, 40), ss_within=float(100 * 39 * 36))
    assert cp is not None and cp.p > 0.01
    assert change_point(t[:4], mean[:4], np.full(4, 40), ss_within=1.0) is None
