"""The partially overlapping t-test and the moderated variances (C2, C3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from b2bcx.diagnose.stats import partially_overlapping_t, variance_prior


def test_without_pairs_it_is_welch() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 7), rng.normal(0.8, 2, 12)
    ours = partially_overlapping_t(a, b, [], [])
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert ours is not None
    assert ours.t == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-8)


def test_with_pairs_only_it_is_the_paired_t() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(0, 3, 9)
    y = x + rng.normal(0.5, 0.4, 9)
    ours = partially_overlapping_t([], [], x, y)
    ref = stats.ttest_rel(x, y)
    assert ours is not None
    assert ours.t == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-8)
    assert ours.df == pytest.approx(8.0)


def test_mixed_design_holds_its_size_and_beats_welch() -> None:
    # 4 people only in phase 1, 6 only in phase 2, 5 in both; people differ (SD 2),
    # ratings within a person little (SD 0.5): the size must not exceed 5 %
    rng = np.random.default_rng(5)
    reject, welch_power, power = 0, 0, 0
    reps = 2000
    for _ in range(reps):
        a, b = rng.normal(0, 2, 4), rng.normal(0, 2, 6)
        person = rng.normal(0, 2, 5)
        c1, c2 = person + rng.normal(0, 0.5, 5), person + rng.normal(0, 0.5, 5)
        res = partially_overlapping_t(a, b, c1, c2)
        assert res is not None
        reject += res.p < 0.05
        shifted = partially_overlapping_t(a, b + 1.0, c1, c2 + 1.0)
        assert shifted is not None
        power += shifted.p < 0.05
        welch_power += (
            stats.ttest_ind(np.r_[a, c1], np.r_[b, c2] + 1.0, equal_var=False).pvalue < 0.05
        )
    # at or a little below the nominal 5 % (2.5 % with seed 5): never liberal
    assert 0.01 < reject / reps < 0.065
    assert power > welch_power


def test_too_small_samples_give_none() -> None:
    assert partially_overlapping_t([1.0], [2.0, 3.0], [], []) is None
    assert partially_overlapping_t([1.0, 1.0], [1.0, 1.0], [], []) is None


def test_variance_prior_recovers_a_known_prior() -> None:
    rng = np.random.default_rng(6)
    d = rng.integers(2, 10, 4000).astype(float)
    sigma2 = 4.0 * 8.0 / rng.chisquare(8.0, 4000)  # scaled inverse chi-square: s0² 4, d0 8
    s2 = sigma2 * rng.chisquare(d) / d
    prior = variance_prior(s2, d)
    assert prior is not None
    assert prior.df == pytest.approx(8.0, rel=0.25)
    assert prior.s2 == pytest.approx(4.0, rel=0.1)
    moderated, df = prior.moderate(np.array([100.0]), np.array([2.0]))
    assert 4.0 < moderated[0] < 100.0 and df[0] == pytest.approx(prior.df + 2)


def test_variance_prior_of_one_common_variance_is_large() -> None:
    rng = np.random.default_rng(7)
    d = np.full(3000, 4.0)
    prior = variance_prior(2.5 * rng.chisquare(d) / d, d)
    assert prior is not None
    assert prior.s2 == pytest.approx(2.5, rel=0.05)
    assert prior.df > 40 or math.isinf(prior.df)
    assert variance_prior([1.0, 2.0], [3.0, 3.0]) is None
