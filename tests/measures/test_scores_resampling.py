"""NPS, CSAT, CES against hand-computed values; random group resampling."""

from __future__ import annotations

import numpy as np
import pytest

from b2bcx.errors import ConfigurationError
from b2bcx.measures.nps import ces, csat, nps
from b2bcx.measures.resampling import random_group_agreement


def test_nps_by_hand_with_interval() -> None:
    # 3 promoters, 1 passive, 2 detractors of 6: NPS = 100 (3 − 2)/6; interval
    # Rocks (2016) adjusted Wald: counts + 3/4 (promoters, detractors), n + 3
    r = nps([10, 9, 9, 8, 0, 6])
    p, d = 3.75 / 9, 2.75 / 9
    se = np.sqrt((p + d - (p - d) ** 2) / 9)
    assert r.score[0] == pytest.approx(100 / 6)
    assert r.lower[0] == pytest.approx(100 * (p - d - 1.96 * se))
    assert r.upper[0] == pytest.approx(100 * (p - d + 1.96 * se))


def test_nps_per_group_drops_missing() -> None:
    r = nps([10, np.nan, 0, 10, 10], ["a", "a", "a", "b", "b"])
    assert r.group.tolist() == ["a", "b"]
    assert r.score.tolist() == [0.0, 100.0]
    assert r.n.tolist() == [2.0, 2.0]
    assert list(r.to_frame().columns)[:3] == ["group", "n", "score"]


def test_weighted_nps_uses_weight_shares_and_kish_n() -> None:
    r = nps([10, 0], weights=[3, 1])
    assert r.score[0] == pytest.approx(50.0)
    assert r.n[0] == pytest.approx(16 / 10)


def test_csat_and_ces() -> None:
    assert csat([5, 4, 3, 2]).score[0] == pytest.approx(50.0)
    r = ces([7, 6, 1, 2], ["x", "x", "y", "y"])
    assert r.mean.tolist() == [6.5, 1.5]
    assert r.score.tolist() == [100.0, 0.0]


def test_out_of_scale_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        nps([11])
    with pytest.raises(ConfigurationError):
        csat([0])
    with pytest.raises(ConfigurationError):
        nps([1, 2], weights=[1])


def test_resampling_flags_real_alignment_and_is_seeded() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(30), 5)
    values = np.repeat(rng.integers(1, 6, 30), 5) + rng.normal(0, 0.3, 150)
    a = random_group_agreement(values, groups, reps=200, seed=7)
    b = random_group_agreement(values, groups, reps=200, seed=7)
    assert a == b
    assert a.z < -3 and a.p < 0.001
    assert a.n_random_groups == 200 * 30


def test_resampling_of_random_data_is_not_significant() -> None:
    rng = np.random.default_rng(5)
    r = random_group_agreement(rng.normal(size=400), np.repeat(np.arange(80), 5), reps=300)
    assert abs(r.z) < 4
